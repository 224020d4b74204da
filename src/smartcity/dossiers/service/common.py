"""Common: part of the dossiers service (see __init__)."""

from __future__ import annotations

from dataclasses import dataclass

HOUSE_NUMBER_PROCEDURE = "TDM-QLDT-001"
CONSTRUCTION_PERMIT_PROCEDURE = "TDM-QLDT-002"
HOUSEHOLD_BUSINESS_PROCEDURE = "TDM-HKD-001"
STAFF_ROLES = ("clerk", "specialist", "head", "leader", "operator", "admin")
# Dossiers are received and decided by the people's committees (UBND-: the city's until 1 July 2025, each
# ward's since, which took over the district's procedures) and by the city's departments (TDM-: the one-stop
# desk and the divisions named as the procedures' agencies, until 30 June 2025). Their staff, city-wide
# holders of the role and the admin work on dossiers and read the statistics; no school's or health
# station's staff does.
STAFF_UNITS = ("UBND-", "TDM-")
STAFF_REFUSAL = (
    "Việc này dành cho cán bộ Ủy ban nhân dân thành phố, phường và các phòng, ban "
    "giải quyết thủ tục hành chính."
)


@dataclass(frozen=True)
class Upload:
    """A file given with a submission or a supplement, for one required document."""

    document_code: str
    filename: str
    content_type: str
    content: bytes
