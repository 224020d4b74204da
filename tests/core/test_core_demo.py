"""The demo citizen is declared once: her ID number says who she is; her children fit her and each other."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from smartcity.core.demo import DEMO_CITIZEN, FATHER_FAMILY, demo_children, id_number, school_year_start


def _born_in(number: str) -> tuple[int, bool]:
    """The birth year and sex (True: a woman) an ID number encodes (Decree 137/2015/NĐ-CP)."""
    code = int(number[3])
    return 1900 + 100 * (code // 2) + int(number[4:6]), bool(code % 2)


def test_her_id_number_encodes_her_birth_year_and_sex() -> None:
    assert DEMO_CITIZEN.id_number == "074190012482" and DEMO_CITIZEN.full_name == "Đỗ Thị Lan"
    assert _born_in(DEMO_CITIZEN.id_number) == (DEMO_CITIZEN.birth.year, True) == (1990, True)
    assert id_number(date(2018, 3, 14), female=False, serial=7) == "074218000007"


@pytest.mark.parametrize(
    "today", [date(2026, 12, 6), date(2026, 9, 4), date(2026, 9, 5), date(2027, 6, 30), date(2031, 2, 1)]
)
def test_her_children_fit_her_each_other_and_their_classes(today: date) -> None:
    children = demo_children(today)
    births = sorted(child.birth for child in children)
    assert all(child.family == FATHER_FAMILY == "Nguyễn" for child in children), "the father's family name"
    assert all(later - earlier >= timedelta(days=9 * 30) for earlier, later in pairwise(births))
    assert all(DEMO_CITIZEN.birth.year + 20 <= birth.year and birth <= today for birth in births)
    assert all(_born_in(child.id_number) == (child.birth.year, child.female) for child in children)
    first = school_year_start(today).year
    assert children.son.birth.year == first - 8, "class 3: class 1 in the calendar year he turned six"
    assert children.daughter.birth.year == first - 5, "Lá: the year she turns five"
    assert 8 * 30 <= (today - children.baby.birth).days <= 14 * 30, "doses given and doses due"
    assert demo_children(today) == children, "the same day gives the same family"
