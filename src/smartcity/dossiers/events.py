"""Events the dossiers domain publishes (its public contract)."""

from __future__ import annotations

from smartcity.core.events import Event, register_event


@register_event("dossiers.DossierSubmitted")
class DossierSubmitted(Event):
    """A dossier was submitted online or received at the counter."""

    code: str
    procedure_code: str
    channel: str
    state: int
    intake_unit: str
    ward_code: str | None = None


@register_event("dossiers.DossierStateChanged")
class DossierStateChanged(Event):
    """An action changed a dossier (its state, step or dates); the applicant is told when it matters."""

    code: str
    action: str
    from_state: int
    to_state: int
    step: str | None = None
    due_date: str | None = None
    note: str | None = None


@register_event("dossiers.DossierResultIssued")
class DossierResultIssued(Event):
    """The result document of a dossier was produced (unsigned until the signing service signs it)."""

    code: str
    procedure_code: str
    document_sha256: str
    number: str | None = None


@register_event("dossiers.DossierPaid")
class DossierPaid(Event):
    """The fees of a dossier were paid (online or at the counter)."""

    code: str
    amount_vnd: int
    provider: str
    txn_ref: str


@register_event("dossiers.DossierRated")
class DossierRated(Event):
    """The applicant rated the service for a dossier."""

    code: str
    overall: int
    unit: str
    procedure_code: str


@register_event("dossiers.DossierDeadlineApproaching")
class DossierDeadlineApproaching(Event):
    """An open dossier is due soon or overdue."""

    code: str
    status: str
    due_date: str
    processing_unit: str


@register_event("dossiers.HouseNumberCertified")
class HouseNumberCertified(Event):
    """A house-number certificate was decided: the GIS may enter the number in its address register
    (idempotent per dossier code, e.g. gis.addressing.assign_house_number(reference=code))."""

    code: str
    house_number: str
    street: str
    ward_code: str | None = None
    longitude: float | None = None
    latitude: float | None = None
    street_code: str | None = None


@register_event("dossiers.ConstructionPermitGranted")
class ConstructionPermitGranted(Event):
    """A construction permit was granted: the GIS may draw it on its parcel (idempotent per dossier code).

    Public fields only: the owner's name is not part of the contract."""

    code: str
    permit_number: str
    granted_on: str
    valid_months: int
    map_sheet: int | None
    parcel_number: int | None
    site_address: str
    ward_code: str | None
    floors: int | None
    height_m: float | None
    footprint_m2: float | None
    total_floor_area_m2: float | None


@register_event("dossiers.HouseholdBusinessRegistered")
class HouseholdBusinessRegistered(Event):
    """A household business was registered: the register of household businesses may enter it (idempotent per
    dossier code). Public fields only: the owner's name and contacts are not part of the contract."""

    code: str
    registration_number: str
    registered_on: str
    business_name: str
    address: str
    ward_code: str | None
    business_lines: tuple[str, ...]
    capital_vnd: int
    employees: int
