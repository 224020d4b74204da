"""Spreadsheets the platform writes and reads: one sheet of rows as XLSX bytes, the first sheet of an upload.

openpyxl is set up only here, and imported on first use: it costs each process about 40 MiB.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(rows: Iterable[Sequence[Any]], *, title: str | None = None) -> bytes:
    """A workbook of one sheet (named `title`, if given) holding `rows` in order, as XLSX bytes."""
    from openpyxl import Workbook

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


def first_sheet(content: bytes) -> Any:
    """The first sheet of an XLSX file, read-only, with cell values (openpyxl raises many kinds of error
    on a file that is not XLSX: callers catch Exception)."""
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
