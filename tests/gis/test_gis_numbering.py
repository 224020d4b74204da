"""The house-numbering rule: odd left, even right, from the street's start; sub-numbers in between."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from smartcity.gis.numbering import (
    LEFT,
    RIGHT,
    HouseNumber,
    NumberedHouse,
    NumberingProblem,
    frontage,
    propose_number,
    sequential_numbers,
)


def houses(*pairs: tuple[str, float]) -> list[NumberedHouse]:
    return [NumberedHouse(HouseNumber.parse(n), c) for n, c in pairs]


def test_left_is_odd_and_right_is_even_from_the_start():
    assert [str(n) for n in sequential_numbers(3, LEFT)] == ["1", "3", "5"]
    assert [str(n) for n in sequential_numbers(3, RIGHT)] == ["2", "4", "6"]


def test_side_follows_the_direction_of_the_street():
    street = LineString([(0, 0), (100, 0)])
    assert frontage(street, Point(30, 5)).side == LEFT
    assert frontage(street, Point(30, -5)).side == RIGHT
    reversed_street = LineString([(100, 0), (0, 0)])
    assert frontage(reversed_street, Point(30, 5)).side == RIGHT
    assert frontage(street, Point(30, 5)).chainage_m == pytest.approx(30)
    assert frontage(street, Point(30, 5)).offset_m == pytest.approx(5)


def test_first_house_on_an_empty_side():
    assert str(propose_number([], chainage_m=40, side=LEFT)) == "1"
    assert str(propose_number([], chainage_m=40, side=RIGHT)) == "2"


def test_after_the_last_house_comes_the_next_number():
    assert str(propose_number(houses(("12", 50), ("14", 60)), chainage_m=80, side=RIGHT)) == "16"


def test_a_free_number_between_houses_is_chosen_in_proportion():
    existing = houses(("2", 0), ("20", 90))
    assert str(propose_number(existing, chainage_m=10, side=RIGHT)) == "4"
    assert str(propose_number(existing, chainage_m=80, side=RIGHT)) == "18"


def test_no_free_number_gives_a_letter_sub_number():
    existing = houses(("12", 50), ("14", 60))
    assert str(propose_number(existing, chainage_m=55, side=RIGHT)) == "12A"
    existing += houses(("12A", 55))
    assert str(propose_number(existing, chainage_m=57, side=RIGHT)) == "12B"


def test_slash_style_sub_numbers():
    existing = houses(("12", 50), ("14", 60))
    assert str(propose_number(existing, chainage_m=55, side=RIGHT, style="slash")) == "12/1"


def test_between_a_house_and_its_own_sub_number_needs_a_decision():
    with pytest.raises(NumberingProblem):
        propose_number(houses(("12", 50), ("12A", 55), ("14", 60)), chainage_m=52, side=RIGHT)


def test_before_house_number_one_needs_a_decision():
    with pytest.raises(NumberingProblem):
        propose_number(houses(("1", 50)), chainage_m=10, side=LEFT)


@pytest.mark.parametrize("text", ["12", "12A", "12/3", " 7b "])
def test_house_numbers_read_and_write_back(text):
    assert str(HouseNumber.parse(text)).lower() == text.strip().lower()


@pytest.mark.parametrize("text", ["", "A12", "0", "12//3", "-4"])
def test_malformed_house_numbers_are_refused(text):
    with pytest.raises(ValueError, match="house number"):
        HouseNumber.parse(text)


@given(st.lists(st.floats(min_value=1, max_value=2000), min_size=1, max_size=25, unique=True))
def test_numbers_given_one_by_one_keep_the_order_along_the_street(chainages):
    """Whatever the building order, numbers on one side increase with the distance from the start."""
    register: list[NumberedHouse] = []
    for chainage in chainages:
        try:
            number = propose_number(register, chainage_m=chainage, side=LEFT)
        except NumberingProblem:
            continue
        assert number.base % 2 == 1
        register.append(NumberedHouse(number, chainage))
    ordered = sorted(register, key=lambda h: h.chainage_m)
    assert [h.number for h in ordered] == sorted(h.number for h in ordered)
