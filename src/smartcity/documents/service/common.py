"""Common: part of the documents service (see __init__)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from smartcity.core.config import Settings
from smartcity.signing import service as signing

STATES = ("draft", "submitted", "returned", "approved", "signed", "issued")
DRAFTERS = ("specialist", "head", "leader", "clerk")
EDITABLE = ("draft", "returned")
MAX_NUMBER_RACES = 20
_office_locks: dict[str, threading.Lock] = {}
_office_locks_guard = threading.Lock()


@dataclass(frozen=True)
class Signing:
    """What signing needs besides the actor: the core and signing settings."""

    settings: Settings | None = None
    signing_settings: signing.SigningSettings | None = None
