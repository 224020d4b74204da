"""Who may sign: part of the documents service (see __init__).

A draft names its signer, who must hold the signing role (SIGNER_ROLE) for the unit that issues the draft,
or for the whole city: accounts records a city-wide role as an assignment without an org unit, and an
active account only. A leader of a parent unit is not a leader of its units (roles do not pass down the org
chart, as `Actor.has_role` does not), and the system administrator is not a signer unless also a leader.
The API and the draft form both ask here; the form offers exactly `signers_for` its offices."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from smartcity.accounts import service as accounts
from smartcity.core.db import Database
from smartcity.core.errors import ValidationFailed

SIGNER_ROLE = "leader"  # who signs a document: a leader of the issuing unit, or of the whole city
WRONG_SIGNER = (
    "Người ký phải là lãnh đạo của cơ quan ban hành hoặc lãnh đạo toàn thành phố; "
    "vui lòng chọn người ký khác."
)
SIGNER_NO_LONGER = (
    "Người ký đã chọn trước đây không còn là lãnh đạo của cơ quan ban hành hoặc lãnh đạo toàn thành phố; "
    "vui lòng chọn người ký khác."
)


@dataclass(frozen=True)
class Signer:
    """Someone who may sign: the username (the key, never shown on a page), the full name ("" when none is
    recorded) and where they lead among the units asked about (None: the whole city)."""

    username: str
    full_name: str
    units: tuple[str | None, ...]


def signers_for(db: Database, office_codes: Iterable[str]) -> list[Signer]:
    """Who may sign a document issued by one of these units: each unit's leaders by name, unit by unit, then
    the city-wide leaders by name; each person once, with every place they lead."""
    found: dict[str, tuple[str, list[str | None]]] = {}
    for code in [*dict.fromkeys(office_codes), None]:
        for username, full_name in accounts.holders_of(db, role=SIGNER_ROLE, org_unit_code=code):
            name = "" if full_name == username else full_name  # holders_of names the nameless by username
            found.setdefault(username, (name, []))[1].append(code)
    return [Signer(username, name, tuple(units)) for username, (name, units) in found.items()]


def may_sign(db: Database, office_code: str, username: str) -> Signer | None:
    """The signer, when this user may sign a document issued by `office_code`; None otherwise."""
    wanted = accounts.normalise_username(username)
    return next((s for s in signers_for(db, [office_code]) if s.username == wanted), None)


def check_signer(db: Database, office_code: str, username: str, *, kept: bool = False) -> Signer:
    """The signer of a draft issued by `office_code`; refused on the field `signer_username` otherwise, in
    words for people (`kept`: the draft already named them, before they stopped leading)."""
    signer = may_sign(db, office_code, username)
    if signer is None:
        raise ValidationFailed.for_field("signer_username", SIGNER_NO_LONGER if kept else WRONG_SIGNER)
    return signer
