"""Common: part of the dossiers service (see __init__)."""

from __future__ import annotations

from dataclasses import dataclass

HOUSE_NUMBER_PROCEDURE = "TDM-QLDT-001"
CONSTRUCTION_PERMIT_PROCEDURE = "TDM-QLDT-002"
HOUSEHOLD_BUSINESS_PROCEDURE = "TDM-HKD-001"
STAFF_ROLES = ("clerk", "specialist", "head", "leader", "operator", "admin")


@dataclass(frozen=True)
class Upload:
    """A file given with a submission or a supplement, for one required document."""

    document_code: str
    filename: str
    content_type: str
    content: bytes
