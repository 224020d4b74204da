"""Kinds of official documents and their abbreviations (Decree 30/2020, Appendix III), read from data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "document_types.json"
OFFICIAL_LETTER = "CV"


@dataclass(frozen=True)
class DocumentType:
    """A kind of document: its code, abbreviation in symbols (None for công văn), name and printed title."""

    code: str
    abbreviation: str | None
    name: str
    title: str | None


@lru_cache(maxsize=1)
def document_types() -> dict[str, DocumentType]:
    """Every kind of document, by code, in the order of the appendix."""
    rows = json.loads(DATA.read_text(encoding="utf-8"))["types"]
    return {row["code"]: DocumentType(**row) for row in rows}


def symbol(type_code: str, *, organisation_abbr: str, drafting_unit_abbr: str = "") -> str:
    """The ký hiệu: `QĐ-UBND`; for an official letter the body and the drafting unit, `UBND-VP`."""
    kind = document_types()[type_code]
    if kind.abbreviation is None:
        return f"{organisation_abbr}-{drafting_unit_abbr}" if drafting_unit_abbr else organisation_abbr
    return f"{kind.abbreviation}-{organisation_abbr}"


def number_symbol(number: int, symbol_text: str) -> str:
    """`15/QĐ-UBND`; numbers below 10 are written 01 to 09."""
    return f"{number:02d}/{symbol_text}"
