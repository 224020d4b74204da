"""Pydantic shapes of the GIS domain's API and read functions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field, field_validator

BBoxTuple = tuple[float, float, float, float]


class LayerRead(BaseModel):
    """A layer of the registry."""

    slug: str
    title: str
    title_en: str
    description: str
    geometry_type: str
    properties_schema: list[dict[str, Any]]
    source: str
    licence: str
    published: bool
    provider: str
    builtin: bool
    synthetic: bool
    temporal: bool
    version: int


class LayerCreate(BaseModel):
    """A new (imported or hand-made) layer."""

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,58}$")
    title: str = Field(min_length=1, max_length=200)
    title_en: str = ""
    description: str = ""
    geometry_type: str = "Geometry"
    properties_schema: list[dict[str, Any]] = Field(default_factory=list, max_length=200)
    source: str = ""
    licence: str = ""
    published: bool = False

    @field_validator("properties_schema")
    @classmethod
    def _named_properties(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each property is described by a name (1-64 characters) and, optionally, a type name."""
        for entry in value:
            name = entry.get("name")
            if not isinstance(name, str) or not 1 <= len(name) <= 64:
                raise ValueError("each property needs a name of 1 to 64 characters")
            if not isinstance(entry.get("type", "string"), str):
                raise ValueError(f"the type of property {name!r} must be a type name")
        return value


class FeatureOut(BaseModel):
    """A feature as published: id, properties (never the private ones) and WGS 84 geometry."""

    id: str
    key: str
    properties: dict[str, Any]
    geometry: dict[str, Any] | None
    bbox: BBoxTuple | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    version: int = 1

    def as_geojson(self) -> dict[str, Any]:
        """A GeoJSON Feature."""
        return {"type": "Feature", "id": self.id, "geometry": self.geometry, "properties": self.properties}


class FeatureChange(BaseModel):
    """One correction of a feature, from the audit log."""

    at: dt.datetime
    actor: str
    version: int | None
    reason: str
    changed_properties: dict[str, tuple[Any, Any]]
    geometry_changed: bool


class FeaturePage(BaseModel):
    """A slice of a layer's features with the number that matched."""

    features: list[FeatureOut]
    number_matched: int
    limit: int
    offset: int


class WardInfo(BaseModel):
    """A ward on some date (its area approximate when flagged)."""

    code: str
    name: str
    approximate: bool
    on: dt.date


class ZoneInfo(BaseModel):
    """A planning zone and its rules, with the share of the parcel it covers."""

    zone_code: str
    land_use_code: str
    land_use_name: str
    max_coverage_pct: float | None = None
    max_floors: int | None = None
    max_height_m: float | None = None
    max_far: float | None = None
    density_persons_ha: int | None = None
    plan_name: str = ""
    approval: str = ""
    approved_on: dt.date | None = None
    share_pct: float | None = Field(default=None, description="Share of the parcel inside the zone")
    synthetic: bool = False


class ParcelInfo(BaseModel):
    """A land parcel as published (no owner)."""

    key: str
    map_sheet: int
    parcel_number: int
    area_m2: float
    land_use_code: str
    recorded_on: dt.date | None
    geometry: dict[str, Any]
    synthetic: bool = False


class PermitInfo(BaseModel):
    """A construction permit granted on a parcel (public fields)."""

    permit_number: str
    granted_on: dt.date
    valid_until: dt.date | None = None
    floors: int | None = None
    total_floor_area_m2: float | None = None


class AddressInfo(BaseModel):
    """An address of the register."""

    key: str
    house_number: str
    street_code: str
    street_name: str
    lon: float
    lat: float


class PlanningInfo(BaseModel):
    """What the plan says for a point, a parcel or an address."""

    query: dict[str, Any]
    lon: float
    lat: float
    parcel: ParcelInfo | None
    address: AddressInfo | None
    zones: list[ZoneInfo]
    ward_of_record: WardInfo | None
    ward_today: WardInfo | None
    synthetic: bool
    notes: list[str] = Field(default_factory=list)
    permits: list[PermitInfo] = Field(default_factory=list, description="Construction permits on the parcel")


class PlanFinding(BaseModel):
    """One rule of the plan checked against a proposed construction."""

    rule: str
    limit: float | str | None
    proposed: float | str | None
    ok: bool
    zone_code: str


class PlanCheck(BaseModel):
    """A proposed construction checked against the plan on its parcel."""

    parcel: str
    ok: bool
    findings: list[PlanFinding]


class HouseNumberProposal(BaseModel):
    """The house number a new house gets on a street, and why."""

    street_code: str
    street_name: str
    house_number: str
    side: str
    chainage_m: float
    offset_m: float
    lon: float
    lat: float
    ward: WardInfo | None
    address_key: str


class ImportProblem(BaseModel):
    """What was wrong with one feature of an imported file."""

    feature: int
    severity: str  # error | repaired
    message: str


class ImportReport(BaseModel):
    """The outcome of an import: counts and a per-feature report."""

    layer: str
    source_crs: str
    read: int
    imported: int
    rejected: int
    repaired: int
    committed: bool
    problems: list[ImportProblem]


class InspectionCreate(BaseModel):
    """A construction-order inspection (trật tự xây dựng) of a parcel."""

    parcel: str = Field(description="Map sheet/parcel number, e.g. 12/34")
    inspected_on: dt.date
    finding: str = Field(pattern="^(compliant|violation)$")
    violations: list[str] = Field(default_factory=list, max_length=50)
    decision: str = Field(default="", max_length=2000)
    photos: list[str] = Field(default_factory=list, max_length=20, description="Attachment references")


class InspectionRead(InspectionCreate):
    """A recorded inspection with where it is and who made it."""

    id: int
    inspector: str
    lon: float
    lat: float
