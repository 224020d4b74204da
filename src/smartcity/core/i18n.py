"""Translations (Babel catalogues, Vietnamese source text) and locale choice for pages."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from smartcity.core.numbers import number

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
# The letters only Vietnamese writes (đ, the vowels with breve, circumflex or horn, and the five tone marks).
_VIETNAMESE_LETTERS = frozenset("ăâđêôơưàáạảãằắặẳẵầấậẩẫèéẹẻẽềếệểễìíịỉĩòóọỏõồốộổỗờớợởỡùúụủũừứựửữỳýỵỷỹ")


class Phrase(str):
    """A sentence written for people with variable parts: it reads as its Vietnamese text (a `str`), and
    keeps its `template` (the msgid, "Không có đèn {light}.") and `parts`, so that a catalogue translates
    the template and then fills in the parts (numbers written in the page's language, a part that is itself
    a `Phrase`, a word such as a status's name, translated too)."""

    template: str
    parts: dict[str, Any]

    def __new__(cls, template: str, /, **parts: Any) -> Phrase:
        """`template` filled with `parts` in Vietnamese (`Phrase("Phiếu {ticket} đã đóng.", ticket=7)`)."""
        made = super().__new__(cls, template.format(**_written(parts, DEFAULT_LOCALE)))
        made.template, made.parts = template, parts
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (_phrase, (self.template, self.parts))

    def in_language(self, gettext: Callable[[str], str], locale: str) -> str:
        """The sentence in `locale`: the template translated with `gettext`, then the parts filled in;
        the Vietnamese text where the translation does not fit the parts."""
        parts = {
            k: v.in_language(gettext, locale) if isinstance(v, Phrase) else v for k, v in self.parts.items()
        }
        try:
            return gettext(self.template).format(**_written(parts, locale))
        except (KeyError, IndexError, ValueError):
            return str.__str__(self)

    def to_json(self) -> dict[str, Any]:
        """The template and the parts as given (text, numbers, phrases), to carry the phrase in a link."""
        parts = {k: v.to_json() if isinstance(v, Phrase) else v for k, v in self.parts.items()}
        return {"template": self.template, "parts": parts}

    @classmethod
    def of(cls, text: str) -> Phrase:
        """`text` as a phrase: itself if it is one, else a fixed sentence (translated as a whole)."""
        return text if isinstance(text, Phrase) else cls(text.replace("{", "{{").replace("}", "}}"))

    @classmethod
    def joined(cls, sentences: Iterable[str], separator: str = " ") -> Phrase:
        """Several sentences said as one ("Năm: Chưa điền. Tên: Chưa điền."), each translated on its own."""
        said = {f"s{index}": cls.of(sentence) for index, sentence in enumerate(sentences)}
        glue = separator.replace("{", "{{").replace("}", "}}")
        return cls(glue.join("{" + name + "}" for name in said), **said)


def _phrase(template: str, parts: dict[str, Any]) -> Phrase:
    return Phrase(template, **parts)


def _written(parts: dict[str, Any], locale: str) -> dict[str, Any]:
    """The parts as a sentence in `locale` writes them: a float or Decimal with its digits (2,5 or 2.5,
    1.000.000 or 1,000,000); an int as itself (a code, a year, an id)."""
    return {
        key: number(v, locale=locale) if isinstance(v, float | Decimal) else v for key, v in parts.items()
    }


def phrase_from_json(value: Any) -> str:
    """A phrase carried as `Phrase.to_json()`, or the text itself."""
    if (
        isinstance(value, dict)
        and isinstance(value.get("template"), str)
        and isinstance(value.get("parts"), dict)
    ):
        parts = {k: phrase_from_json(v) if isinstance(v, dict) else v for k, v in value["parts"].items()}
        return Phrase(value["template"], **parts)
    return str(value)


def said(text: str, phrase: Any = None, *, as_written: bool = False) -> str:
    """A stored sentence as a page says it: rebuilt from the phrase it keeps (`Phrase.to_json()`), else its
    text as a whole sentence to look up (a row stored before phrases were kept) or, `as_written`, shown as
    it is and never looked up (a person's own words: a title an operator typed); "" for none (gettext("")
    is a catalogue's header)."""
    if phrase:
        return phrase_from_json(phrase)
    if not text:
        return ""
    return Phrase("{words}", words=text) if as_written else Phrase.of(text)


class Catalogue(Translations):
    """Babel translations in one language that also translate a `Phrase` (its template, then its parts)."""

    language: str = DEFAULT_LOCALE

    def gettext(self, message: str) -> str:
        """`message` in this catalogue's language; a `Phrase` by its template."""
        if isinstance(message, Phrase):
            return message.in_language(super().gettext, self.language)
        return super().gettext(message)

    def pgettext(self, context: str, message: str) -> str:
        """`message` in the sense `context` names (a .po entry with that msgctxt: "Dân tộc" as a field of
        procedures, "Ethnic affairs"), else in its usual sense (the entry without a context, "Ethnicity"); so
        a word that reads differently in one place needs one entry with a context there, not one per word."""
        translated = self._catalog.get(f"{context}\x04{message}")
        return translated if translated is not None else self.gettext(message)


def in_language(vietnamese: str, english: str | None, locale: str) -> str:
    """A text kept in both languages, as the page's language reads it: the English where the page is English
    and an English text was written, else the Vietnamese."""
    return english if locale == "en" and english else vietnamese


def written_in_vietnamese(text: str) -> bool:
    """True when `text` carries Vietnamese letters: a sentence written for the city's people, not a
    developer's English message or an internal value."""
    return any(letter in _VIETNAMESE_LETTERS for letter in text.lower())


@lru_cache(maxsize=64)
def get_translations(locale: str, domain: str | None = None) -> NullTranslations:
    """The merged catalogues for `locale` (one .po file per domain), `domain`'s own winning where two
    domains translate the same Vietnamese words differently. Words that mean different things in different
    places ("Mức độ": severity, or a procedure's online level) are told apart by a message context
    (msgctxt, `pgettext`), not by the domain: tests/core/test_core_translation_clashes.py keeps the
    catalogues agreeing."""
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    if locale == DEFAULT_LOCALE or not folder.is_dir():
        return NullTranslations()
    merged: Catalogue | None = None
    # Later catalogues override earlier ones, so the page's own domain goes last.
    for po_path in sorted(folder.glob("*.po"), key=lambda path: (path.stem == domain, path.stem)):
        translations = _compiled(po_path, locale)
        if merged is None:
            merged = translations
        else:
            merged.merge(translations)
    if merged is not None:
        merged.language = locale
    return merged or NullTranslations()


def _compiled(po_path: Path, locale: str) -> Catalogue:
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Catalogue(buffer, domain="messages")


def negotiate_locale(query: str | None, cookie: str | None) -> str:
    """The page language: an explicit choice (?lang= or the cookie it sets), else Vietnamese.

    The browser's Accept-Language is not followed: the platform is Vietnamese first, and most browsers
    (including headless ones) send an English default that their users never chose.
    """
    for choice in (query, cookie):
        if choice in LOCALES:
            return choice
    return DEFAULT_LOCALE
