"""Pydantic schemas of the health JSON API (/api/v1/health)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from smartcity.core.schemas import StrictModel


class SystemCreate(StrictModel):
    """Register a clinic's or hospital's system for OAuth2 client credentials."""

    name: str = Field(min_length=1, max_length=200)
    organization_id: str = Field(min_length=1, max_length=64, description="FHIR Organization logical id")


class SystemCreated(BaseModel):
    """The client credentials, shown once."""

    client_id: str
    client_secret: str
    token_url: str


class CaseCreate(StrictModel):
    """Put a person in home quarantine."""

    patient_id: str = Field(min_length=1, max_length=64)
    disease: str = Field(min_length=1, max_length=30)
    kind: str = Field(pattern="^(case|contact)$")
    start_date: dt.date | None = None


class CaseCreated(BaseModel):
    """The new case."""

    id: int


class CheckinCreate(StrictModel):
    """A daily check-in."""

    temperature: float | None = Field(default=None, ge=30, le=45)
    symptoms: list[str] = Field(default_factory=list, max_length=20)
    day: dt.date | None = None


class CheckinResult(BaseModel):
    """Whether the check-in raised a warning alert."""

    warning: bool


class CoverageRead(BaseModel):
    """Record coverage in a ward (None = city) and age group (None = all ages)."""

    ward_code: str | None
    ward_name: str | None
    age_group: str | None
    records: int
    population: int
    share: float | None


class VaccineCoverageRead(BaseModel):
    """Coverage of one dose in a ward (None = city); counts below 5 suppressed on public outputs."""

    vaccine: str
    name: str
    dose: int
    ward_code: str | None
    eligible: int | None
    vaccinated: int | None
    share: float | None


class AlertRead(BaseModel):
    """An open alert of a ward health station."""

    id: int
    kind: str
    case_id: int
    ward_code: str
    day: dt.date


class BoardRead(BaseModel):
    """A running quarantine."""

    case_id: int
    patient_id: str
    disease: str
    kind: str
    ward_code: str
    start_date: dt.date
    end_date: dt.date
    last_checkin: dt.date | None
    open_alerts: list[AlertRead]


class CaseMapRead(BaseModel):
    """Running cases by ward (None = fewer than 5, suppressed)."""

    ward_code: str
    ward_name: str
    cases: int | None


class CurvePoint(BaseModel):
    """New cases on a day (None = fewer than 5, suppressed)."""

    day: dt.date
    cases: int | None


class AccessRead(BaseModel):
    """A read of the person's record."""

    actor: str
    interaction: str
    resource_type: str
    at: dt.datetime


class LinkCreate(StrictModel):
    """Link a citizen's account (by username) to their own Patient record, after checking their ID card."""

    username: str = Field(min_length=1, max_length=64)
    patient_id: str = Field(min_length=1, max_length=64)


class ConflictRead(BaseModel):
    """The same citizen ID sent with different details: for a person to settle."""

    id: int
    patient_id: str
    fields: list[str]
    source: str
    created_at: dt.datetime
