"""Numbers, money and percentages written in the page's language: the one number writer of every domain.

`locale` is the page's language as the site names it ("vi", "en"; a Babel name such as "en_US" also does):
English writes 1,234.5, 1,250,000 ₫ and 88.7%; anything else is Vietnamese, the site's first language:
1.234,5, 1.250.000 ₫ and 88,7%. The percent sign follows the locale's CLDR pattern (no space in either).
Nothing to write (None or "") is a dash. Sentences stored in the database are not written here.
"""

from __future__ import annotations

from decimal import Decimal

from babel import Locale
from babel.numbers import format_decimal, format_percent

DASH = "—"
Number = int | float | Decimal


def babel_locale(locale: str | None) -> str:
    """The Babel locale whose digits a page in `locale` uses: en_US for English, vi_VN otherwise."""
    return "en_US" if (locale or "").lower().startswith("en") else "vi_VN"


def _pattern(digits: int | None, max_digits: int) -> str:
    if digits is None:
        return "#,##0" + ("." + "#" * max_digits if max_digits > 0 else "")
    return "#,##0" + ("." + "0" * digits if digits > 0 else "")


def number(
    value: Number | str | None, digits: int | None = None, locale: str | None = "vi", *, max_digits: int = 3
) -> str:
    """`value` grouped by thousands in the page's language: 1.234,5 (Vietnamese), 1,234.5 (English).

    `digits` fixes the decimals (number(2.5, 2) -> "2,50"; number(1234.56, 0) -> "1.235", rounding half to
    even); None writes up to `max_digits` (three), without trailing zeros (number(1234.5) -> "1.234,5";
    number(2.345, max_digits=1) -> "2,3"). None -> "—"."""
    if value is None or value == "":
        return DASH
    return str(format_decimal(value, format=_pattern(digits, max_digits), locale=babel_locale(locale)))


def money_vnd(value: Number | str | None, locale: str | None = "vi") -> str:
    """An amount of đồng rounded to the đồng: "1.250.000 ₫" (Vietnamese), "1,250,000 ₫" (English);
    None (or text) -> "—"."""
    if value is None or isinstance(value, str):
        return DASH
    return f"{number(round(value), 0, locale)} ₫"


def percent(
    value: Number | str | None, digits: int | None = 1, locale: str | None = "vi", *, max_digits: int = 3
) -> str:
    """A percentage given in hundredths (88.7 means 88.7 per cent) with the locale's sign: "88,7%"
    (Vietnamese), "88.7%" (English). `digits` and `max_digits` as in `number`. None -> "—"."""
    if value is None or value == "":
        return DASH
    babel = Locale.parse(babel_locale(locale))
    sign_pattern = babel.percent_formats[None].pattern
    body = _pattern(digits, max_digits)
    return str(
        format_percent(Decimal(str(value)) / 100, format=sign_pattern.replace("#,##0", body, 1), locale=babel)
    )
