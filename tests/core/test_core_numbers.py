"""One number writer: numbers, money and percentages in the page's language, a dash for nothing."""

from __future__ import annotations

from decimal import Decimal

from smartcity.core.numbers import money_vnd, number, percent


def test_a_number_is_grouped_the_pages_way():
    assert number(1234.5) == "1.234,5"
    assert number(1234.5, locale="en") == "1,234.5"
    assert number(1234567, locale="en_US") == "1,234,567"
    assert number(2318.66, 1) == "2.318,7"
    assert number(2318.66, 1, "en") == "2,318.7"


def test_digits_fix_the_decimals_and_none_writes_up_to_three():
    assert number(2.5, 2) == "2,50"
    assert number(1234.56, 0) == "1.235"
    assert number(0.5, 0) == "0"  # half to even, as Python's round
    assert number(1.23456) == "1,235"
    assert number(Decimal("7.10")) == "7,1"
    assert number(2.345, max_digits=1) == "2,3" and number(2.0, max_digits=1, locale="en") == "2"
    assert percent(12.34, None, "en", max_digits=1) == "12.3%"


def test_nothing_is_a_dash():
    assert number(None) == number("") == money_vnd(None) == percent(None) == percent(None, locale="en") == "—"


def test_money_in_dong_is_rounded_to_the_dong():
    assert money_vnd(1250000) == "1.250.000 ₫"
    assert money_vnd(1250000.4, "en") == "1,250,000 ₫"
    assert money_vnd(0) == "0 ₫"


def test_a_percentage_takes_the_locales_sign_without_a_space():
    assert percent(88.7) == "88,7%"
    assert percent(88.7, locale="en") == "88.7%"
    assert percent(96.54, 1) == "96,5%"
    assert percent(100, 0) == "100%"
    assert percent(1234.5, 1, "en") == "1,234.5%"
    assert percent(33.333, None) == "33,333%"
    assert percent(0.1 + 0.2, 2) == "0,30%"
