"""Common: part of the documents service (see __init__)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from smartcity.core.config import Settings
from smartcity.signing import service as signing

STATES = ("draft", "submitted", "returned", "approved", "signed", "issued")
DRAFTERS = ("specialist", "head", "leader", "clerk")
# Official documents are drafted, signed, issued and exchanged by the people's committees (UBND-: the city's
# until 1 July 2025, each ward's since) and the city's departments (TDM-, until 30 June 2025), under the
# committee's letterhead (DocumentsSettings: "UBND"); their staff, city-wide holders and the admin use the
# document pages. A school's or health station's staff keeps no register here.
OFFICE_UNITS = ("UBND-", "TDM-")
OFFICE_REFUSAL = (
    "Văn bản điều hành dành cho cán bộ Ủy ban nhân dân thành phố, phường và các phòng, ban của thành phố."
)
EDITABLE = ("draft", "returned")
MAX_NUMBER_RACES = 20
_office_locks: dict[str, threading.Lock] = {}
_office_locks_guard = threading.Lock()


@dataclass(frozen=True)
class Signing:
    """What signing needs besides the actor: the core and signing settings."""

    settings: Settings | None = None
    signing_settings: signing.SigningSettings | None = None
