"""How the catalogue's texts read on a public page: facts not yet confirmed, and the online levels' words.

The catalogue's editors mark a fact they have not yet confirmed against the province's published decision
with a note in brackets inside its text: "(cần đối chiếu)", "(cần đối chiếu quyết định công bố của tỉnh)",
"(cần đối chiếu với Nghị định 168/2025/NĐ-CP)". The stored record keeps the note as the editors wrote it (the
API, the catalogue's export and its import read the record as it is kept); a public page shows the text
without the note, marks the item "chưa xác nhận" (not confirmed) and says once what the mark means
(procedures/detail.html).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from smartcity.procedures.schemas import ProcedureRead

# "(cần đối chiếu …)" with the spaces before it; never "(xuất trình bản chính để đối chiếu)", which is a step
# the applicant takes, not an editor's note.
MARKER = re.compile(r"\s*\(\s*cần đối chiếu\b[^()]*\)", re.IGNORECASE)

# The online levels in the words of Decree 42/2022/NĐ-CP: an online service is whole (toàn trình) or partial
# (một phần); a procedure of the old levels 1 and 2 is not an online service, only its information is online.
SCOPE_WORDS = {"toan_trinh": "toàn trình", "mot_phan": "một phần"}
INFORMATION_ONLY = "thông tin trực tuyến"
LEVEL_NAMES = {
    4: "Mức độ 4 — toàn trình",
    3: "Mức độ 3 — một phần",
    2: "Mức độ 2 — thông tin trực tuyến",
    1: "Mức độ 1 — thông tin trực tuyến",
}


class Checked(NamedTuple):
    """A catalogue text as a page shows it, and whether it still needs confirming."""

    text: str
    needs_confirmation: bool


def split_confirmation(text: str | None) -> Checked:
    """The text without its editors' notes "(cần đối chiếu …)", and whether it had one."""
    if not text:
        return Checked("", False)
    clean, found = MARKER.subn("", text)
    return Checked(clean.strip(), found > 0)


@dataclass(frozen=True)
class ShownFee:
    """A fee or charge as a public page shows it."""

    name: str
    amount_vnd: int
    note: str
    needs_confirmation: bool


@dataclass(frozen=True)
class ShownTexts:
    """The texts of a procedure a public page shows, without the editors' notes, each with its mark."""

    processing_note: Checked
    fees: list[ShownFee]
    legal_basis: Checked

    @property
    def any_unconfirmed(self) -> bool:
        """Whether the page marks anything (and so says what the mark means)."""
        return (
            self.processing_note.needs_confirmation
            or self.legal_basis.needs_confirmation
            or any(f.needs_confirmation for f in self.fees)
        )


def shown_texts(procedure: ProcedureRead) -> ShownTexts:
    """The processing note, the fees' names and notes and the legal basis of a procedure as a public page
    shows them; a fee is marked when its name or its note still needs confirming."""
    fees = []
    for fee in procedure.fees:
        name, note = split_confirmation(fee.name), split_confirmation(fee.note)
        fees.append(
            ShownFee(
                name=name.text,
                amount_vnd=fee.amount_vnd,
                note=note.text,
                needs_confirmation=name.needs_confirmation or note.needs_confirmation,
            )
        )
    return ShownTexts(
        processing_note=split_confirmation(procedure.processing_note),
        fees=fees,
        legal_basis=split_confirmation(procedure.legal_basis),
    )


def online_words(level: int, online_scope: str | None) -> str:
    """What a procedure's online level means, in words: "toàn trình", "một phần" or "thông tin trực tuyến"."""
    return SCOPE_WORDS.get(online_scope or "") or (INFORMATION_ONLY if level <= 2 else "")
