"""Tables of the health domain: FHIR resources (all versions), systems, access log, quarantine, reminders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.crypto import SEALED
from smartcity.core.db import Base, JSONType, UTCDateTime, utcnow


class FhirResource(Base):
    """One version of a FHIR resource: its JSON encrypted, and the columns searches use in clear."""

    __tablename__ = "health_fhir_resources"
    __table_args__ = (
        UniqueConstraint("resource_type", "logical_id", "version"),
        Index("ix_health_fhir_current", "resource_type", "is_current", "last_updated"),
        Index("ix_health_fhir_patient", "patient_ref", "resource_type"),
        Index("ix_health_fhir_ward", "ward_code", "resource_type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(40))
    logical_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    last_updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content: Mapped[str] = mapped_column(Text, info=SEALED)  # the resource's JSON, encrypted (core.crypto)
    identifiers: Mapped[str] = mapped_column(Text, default="")  # keyed hashes of identifiers, spaced
    name_tokens: Mapped[str] = mapped_column(Text, default="")  # keyed hashes of name words, spaced
    guardian_tokens: Mapped[str] = mapped_column(Text, default="")  # keyed hashes of parents' IDs
    birthdate: Mapped[date | None] = mapped_column(Date, nullable=True)
    gender: Mapped[str | None] = mapped_column(String(16), nullable=True)
    ward_code: Mapped[str | None] = mapped_column(String(10), nullable=True)
    ward_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # the date the ward code is valid on
    clinical_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    patient_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)
    org_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)
    codes: Mapped[str] = mapped_column(Text, default="")  # " system|code code " tokens
    status: Mapped[str | None] = mapped_column(String(30), nullable=True)
    owner_org: Mapped[str | None] = mapped_column(String(64), nullable=True)  # writing system's Organization


class HealthSystem(Base):
    """A clinic's or hospital's system (OAuth2 client credentials); it writes for its Organization."""

    __tablename__ = "health_systems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    organization_id: Mapped[str] = mapped_column(String(64))  # FHIR Organization logical id
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PatientConflict(Base):
    """The same identifier sent with different details: listed for a person to settle, never merged."""

    __tablename__ = "health_patient_conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[str] = mapped_column(String(64), index=True)
    fields: Mapped[list[str]] = mapped_column(JSONType, default=list)  # which elements differ
    source: Mapped[str] = mapped_column(String(200))
    incoming: Mapped[str] = mapped_column(Text, info=SEALED)  # the refused resource, encrypted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RecordAccess(Base):
    """Someone read a person's health record: who, what, when (the person can review it)."""

    __tablename__ = "health_record_accesses"
    __table_args__ = (Index("ix_health_record_accesses_patient_at", "patient_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(200))
    interaction: Mapped[str] = mapped_column(String(40))  # read, vread, search, page
    resource_type: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PersonLink(Base):
    """A citizen's account linked to their own Patient record (for the citizen space)."""

    __tablename__ = "health_person_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, unique=True)
    patient_id: Mapped[str] = mapped_column(String(64), index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WardPopulation(Base):
    """Residents of a ward (unit of date) in an age group, as of a date: the coverage denominator."""

    __tablename__ = "health_ward_population"
    __table_args__ = (UniqueConstraint("ward_code", "as_of", "age_group"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_code: Mapped[str] = mapped_column(String(10))
    as_of: Mapped[date] = mapped_column(Date)
    age_group: Mapped[str] = mapped_column(String(10))  # "0-5", "6-17", "18-59", "60+"
    population: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(200), default="")


class QuarantineCase(Base):
    """A person isolating at home: a case or a contact of a disease, from start to end date."""

    __tablename__ = "health_quarantine_cases"
    __table_args__ = (Index("ix_health_quarantine_ward_status", "ward_code", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[str] = mapped_column(String(64), index=True)
    disease: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(10))  # case | contact
    ward_code: Mapped[str] = mapped_column(String(10))
    ward_on: Mapped[date] = mapped_column(Date)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | released
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuarantineCheckin(Base):
    """One daily check-in: temperature and symptoms, by the person or a health worker."""

    __tablename__ = "health_quarantine_checkins"
    __table_args__ = (Index("ix_health_checkins_case_day", "case_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    temperature: Mapped[float | None] = mapped_column(Float, nullable=True)
    symptoms: Mapped[list[str]] = mapped_column(JSONType, default=list)
    warning: Mapped[bool] = mapped_column(Boolean, default=False)
    by: Mapped[str] = mapped_column(String(200))


class HealthAlert(Base):
    """An alert to a ward's health station: a missed check-in or warning symptoms."""

    __tablename__ = "health_alerts"
    __table_args__ = (
        UniqueConstraint("kind", "case_id", "day"),
        Index("ix_health_alerts_ward_open", "ward_code", "acknowledged_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # missed_checkin | warning_symptoms
    case_id: Mapped[int] = mapped_column(Integer)
    ward_code: Mapped[str] = mapped_column(String(10))
    ward_on: Mapped[date] = mapped_column(Date)
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ClusterSignal(Base):
    """A cluster of new cases in a ward reported to the operations centre (once per ward, disease, day)."""

    __tablename__ = "health_cluster_signals"
    __table_args__ = (UniqueConstraint("ward_code", "disease", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_code: Mapped[str] = mapped_column(String(10))
    disease: Mapped[str] = mapped_column(String(30))
    day: Mapped[date] = mapped_column(Date)
    cases: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImmunisationReminder(Base):
    """A reminder to a child's parents that a dose is due (emitted as an event, recorded once per dose)."""

    __tablename__ = "health_immunisation_reminders"
    __table_args__ = (UniqueConstraint("patient_id", "vaccine", "dose"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[str] = mapped_column(String(64))
    vaccine: Mapped[str] = mapped_column(String(20))
    dose: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    ward_code: Mapped[str | None] = mapped_column(String(10), nullable=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Consent(Base):
    """A person's consent for one purpose, with the text version they agreed to; withdrawn keeps the row."""

    __tablename__ = "health_consents"
    __table_args__ = (Index("ix_health_consents_user_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
