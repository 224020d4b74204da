"""Kinds of official documents and their abbreviations (Decree 30/2020, Appendix III), read from data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from smartcity.core.i18n import in_language
from smartcity.documents.schemas import SECRECIES, URGENCIES

DATA = Path(__file__).resolve().parent / "document_types.json"
OFFICIAL_LETTER = "CV"


@dataclass(frozen=True)
class DocumentType:
    """A kind of document: its code, abbreviation in symbols (None for công văn), name, printed title and
    English name (for pages in English; the printed document is always Vietnamese)."""

    code: str
    abbreviation: str | None
    name: str
    title: str | None
    name_en: str = ""

    def name_in(self, locale: str) -> str:
        """The kind's name in the page's language (Vietnamese where no English name is known)."""
        return in_language(self.name, self.name_en, locale)


@lru_cache(maxsize=1)
def document_types() -> dict[str, DocumentType]:
    """Every kind of document, by code, in the order of the appendix."""
    rows = json.loads(DATA.read_text(encoding="utf-8"))["types"]
    return {row["code"]: DocumentType(**row) for row in rows}


def type_names(locale: str = "vi") -> dict[str, str]:
    """Every kind's name by code, in English where asked ("Công văn"; "Official letter")."""
    return {code: kind.name_in(locale) for code, kind in document_types().items()}


# Urgency and secrecy as stored (the Vietnamese words of Decree 30/2020; "" for neither) and in English.
URGENCIES_EN = {"": "Normal", "Khẩn": "Urgent", "Thượng khẩn": "Very urgent", "Hỏa tốc": "Immediate"}
SECRECIES_EN = {"": "Normal", "Mật": "Confidential", "Tối mật": "Secret", "Tuyệt mật": "Top secret"}


def urgency_names(locale: str = "vi") -> dict[str, str]:
    """Every urgency's name by its stored value ("" is "Thường", the normal one)."""
    return {value: URGENCIES_EN[value] if locale == "en" else value or "Thường" for value in URGENCIES}


def secrecy_names(locale: str = "vi") -> dict[str, str]:
    """Every secrecy level's name by its stored value ("" is "Thường", not secret)."""
    return {value: SECRECIES_EN[value] if locale == "en" else value or "Thường" for value in SECRECIES}


def symbol(type_code: str, *, organisation_abbr: str, drafting_unit_abbr: str = "") -> str:
    """The ký hiệu: `QĐ-UBND`; for an official letter the body and the drafting unit, `UBND-VP`."""
    kind = document_types()[type_code]
    if kind.abbreviation is None:
        return f"{organisation_abbr}-{drafting_unit_abbr}" if drafting_unit_abbr else organisation_abbr
    return f"{kind.abbreviation}-{organisation_abbr}"


def number_symbol(number: int, symbol_text: str) -> str:
    """`15/QĐ-UBND`; numbers below 10 are written 01 to 09."""
    return f"{number:02d}/{symbol_text}"
