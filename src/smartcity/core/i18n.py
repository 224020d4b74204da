"""Translations (Babel catalogues, Vietnamese source text) and locale choice for pages."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
# The letters only Vietnamese writes (đ, the vowels with breve, circumflex or horn, and the five tone marks).
_VIETNAMESE_LETTERS = frozenset("ăâđêôơưàáạảãằắặẳẵầấậẩẫèéẹẻẽềếệểễìíịỉĩòóọỏõồốộổỗờớợởỡùúụủũừứựửữỳýỵỷỹ")


def written_in_vietnamese(text: str) -> bool:
    """True when `text` carries Vietnamese letters: a sentence written for the city's people, not a
    developer's English message or an internal value."""
    return any(letter in _VIETNAMESE_LETTERS for letter in text.lower())


@lru_cache(maxsize=64)
def get_translations(locale: str, domain: str | None = None) -> NullTranslations:
    """The merged catalogues for `locale` (one .po file per domain), `domain`'s own winning where two
    domains translate the same Vietnamese words differently ("Mức độ": severity or online level)."""
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    if locale == DEFAULT_LOCALE or not folder.is_dir():
        return NullTranslations()
    merged: Translations | None = None
    # Later catalogues override earlier ones, so the page's own domain goes last.
    for po_path in sorted(folder.glob("*.po"), key=lambda path: (path.stem == domain, path.stem)):
        translations = _compiled(po_path, locale)
        merged = translations if merged is None else merged.merge(translations)
    return merged or NullTranslations()


def _compiled(po_path: Path, locale: str) -> Translations:
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain="messages")


def negotiate_locale(query: str | None, cookie: str | None) -> str:
    """The page language: an explicit choice (?lang= or the cookie it sets), else Vietnamese.

    The browser's Accept-Language is not followed: the platform is Vietnamese first, and most browsers
    (including headless ones) send an English default that their users never chose.
    """
    for choice in (query, cookie):
        if choice in LOCALES:
            return choice
    return DEFAULT_LOCALE
