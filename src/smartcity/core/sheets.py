"""Spreadsheets the platform writes: one sheet of rows as XLSX bytes (openpyxl set up only here)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(rows: Iterable[Sequence[Any]], *, title: str | None = None) -> bytes:
    """A workbook of one sheet (named `title`, if given) holding `rows` in order, as XLSX bytes."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.title = title
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
