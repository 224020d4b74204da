"""Who handles a procedure, as its public page says it: since the 2025 reorganisation the city's departments
are gone and the ward receives what they received (the rule that routes the dossiers), so the page names the
ward and, below it, the department that handled the procedure until 30 June 2025."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from smartcity.city.loader import load_city_pack
from smartcity.core.security import Actor
from smartcity.procedures import service
from smartcity.procedures.catalogue import build_catalogue

SYSTEM = Actor.system("test")
CERTIFIED_COPY, BIRTH = "TDM-CT-002", "TDM-HT-001"  # the city's Justice Division's; the ward's own
JUSTICE = "Phòng Tư pháp, Ủy ban nhân dân thành phố Thủ Dầu Một"


@pytest.fixture
def catalogue(db):
    """The city pack (its org units over time) and two procedures of the catalogue."""
    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    records = [r for r in build_catalogue() if r["code"] in (CERTIFIED_COPY, BIRTH)]
    service.upsert_procedures(db, actor=SYSTEM, records=records)
    return db


def _agency(page: str) -> str:
    found = re.search(r'<td id="agency">(.*?)</td>', html.unescape(page), re.S)
    assert found, "the page says who handles the procedure"
    return re.sub(r"<[^>]+>", " ", found.group(1))


def test_a_departments_procedure_is_handled_by_the_ward_since_the_reorganisation(catalogue):
    procedure = service.get_procedure(catalogue, CERTIFIED_COPY)
    before = service.handling(catalogue, procedure, on=date(2025, 6, 30))
    assert before == service.Handling(by_ward=False, name=JUSTICE)
    after = service.handling(catalogue, procedure, on=date(2025, 7, 1))
    assert after == service.Handling(by_ward=True, formerly=JUSTICE, formerly_until=date(2025, 6, 30))
    own = service.handling(catalogue, service.get_procedure(catalogue, BIRTH), on=date(2025, 7, 1))
    assert own == service.Handling(by_ward=True)


def test_the_page_names_the_ward_and_the_department_until_june_2025(client, catalogue):
    agency = _agency(client.get(f"/thu-tuc/{CERTIFIED_COPY}").text)
    assert "UBND phường nơi người dân nộp hồ sơ" in agency
    assert f"Đến hết ngày 30/06/2025: {JUSTICE}" in agency
    english = _agency(client.get(f"/thu-tuc/{CERTIFIED_COPY}", params={"lang": "en"}).text)
    assert "The People's Committee of the ward where the dossier is filed" in english
    assert "Until 30 June 2025: Justice Division, People's Committee of Thủ Dầu Một City" in english
    birth = _agency(client.get(f"/thu-tuc/{BIRTH}", params={"lang": "vi"}).text)
    assert "UBND phường nơi người dân nộp hồ sơ" in birth and "Đến hết" not in birth
