"""Vietnamese text helpers: fold diacritics so that "dang ky khai sinh" finds "Đăng ký khai sinh"."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case text without diacritics (đ → d), spaces collapsed."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped.lower()).strip()


def search_terms(query: str) -> list[str]:
    """The folded words of a search query."""
    return [word for word in fold(query).split(" ") if word]


def matches(text: str, query: str) -> bool:
    """True when every word of the query is in the text, diacritics and case ignored (empty query: True)."""
    folded = fold(text)
    return all(word in folded for word in fold(query).split(" ") if word)
