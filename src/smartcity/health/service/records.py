"""Health records: roles, the store's context, the access log, registered systems, citizens' links."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.accounts import service as accounts_service
from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.crypto import mask
from smartcity.core.db import Database
from smartcity.core.errors import NotFound, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.health.config import HealthSettings
from smartcity.health.fhir import search, store
from smartcity.health.fhir.access import (
    Caller,
    actor_wards,
    new_client_secret,
    secret_digest,
)
from smartcity.health.fhir.extract import fold
from smartcity.health.fhir.reads import log_access as log_access
from smartcity.health.fhir.reads import log_access_in as log_access_in
from smartcity.health.models import (
    Consent,
    FhirResource,
    HealthSystem,
    PatientConflict,
    PersonLink,
    RecordAccess,
)


def ensure_health_roles(db: Database) -> None:
    """Make sure the accounts' role table holds the health roles (accounts seeds every known role)."""
    accounts_service.seed_roles(db)


def ward_names(db: Database, on: date) -> dict[str, str]:
    """Ward code → name of the wards valid on a date."""
    return {u.code: u.name for u in city_service.units_on(db, on=on, level="ward")}


def store_context(session: Session, db: Database, settings: Settings, caller: Caller) -> store.StoreContext:
    """What the FHIR store needs for writes by `caller` today."""
    today = clock.today(settings)
    wards = {fold(name): code for code, name in ward_names(db, today).items()}  # "PHUONG PHU LOI"
    return store.StoreContext(
        session=session,
        secret=settings.personal_keys,
        national_system=settings.section(HealthSettings).national_id_system,
        caller=caller,
        wards=wards,
        today=today,
    )


@dataclass(frozen=True)
class AccessRow:
    """One read of a person's record, as the person sees it."""

    actor: str
    interaction: str
    resource_type: str
    at: datetime


def accesses_of_patients(db: Database, patient_ids: list[str], limit: int = 100) -> list[AccessRow]:
    """Reads of these people's records, newest first."""
    with db.session() as s:
        rows = s.scalars(
            select(RecordAccess)
            .where(RecordAccess.patient_id.in_(patient_ids))
            .order_by(RecordAccess.at.desc(), RecordAccess.id.desc())
            .limit(limit)
        ).all()
        return [AccessRow(r.actor, r.interaction, r.resource_type, r.at) for r in rows]


def accesses_of_user(db: Database, user_id: int, limit: int = 100) -> list[AccessRow]:
    """Who read the signed-in citizen's record (their own Patient), newest first."""
    patient = patient_for_user(db, user_id)
    return accesses_of_patients(db, [patient], limit) if patient else []


def register_system(db: Database, *, actor: Actor, name: str, organization_id: str) -> tuple[str, str]:
    """Register a clinic's or hospital's system for client credentials; returns (client_id, secret) once."""
    if not name.strip():
        raise ValidationFailed.for_field("name", "must not be empty")
    with UnitOfWork(db, actor) as uow:
        if store.current_row(uow.session, "Organization", organization_id) is None:
            raise ValidationFailed.for_field(
                "organization_id", f"Organization/{organization_id} is not known"
            )
        client_id, secret = "hs-" + secrets.token_hex(8), new_client_secret()
        uow.session.add(
            HealthSystem(
                client_id=client_id,
                name=name.strip(),
                secret_hash=secret_digest(secret),
                organization_id=organization_id,
            )
        )
        uow.audit(
            "health.system_registered", "health_system", client_id, after={"organization": organization_id}
        )
    return client_id, secret


def link_person(
    db: Database, *, actor: Actor, user_id: int, patient_id: str, wards: set[str] | None = None
) -> None:
    """Link a citizen's account to their own Patient record (for the citizen space); `wards`: the
    linking health worker's wards, outside which the patient is not found."""
    with UnitOfWork(db, actor) as uow:
        patient = store.current_row(uow.session, "Patient", patient_id)
        if patient is None or (wards is not None and patient.ward_code not in wards):
            raise NotFound(f"Patient/{patient_id} is not known")
        link = uow.session.scalar(select(PersonLink).where(PersonLink.user_id == user_id))
        if link is None:
            uow.session.add(PersonLink(user_id=user_id, patient_id=patient_id))
        else:
            link.patient_id = patient_id
        uow.audit("health.person_linked", "user", user_id, after={"patient_id": patient_id})


def patient_for_user(db: Database, user_id: int) -> str | None:
    """The Patient id linked to a citizen's account, if any."""
    with db.session() as s:
        return s.scalar(select(PersonLink.patient_id).where(PersonLink.user_id == user_id))


def staff_wards(db: Database, actor: Actor) -> set[str] | None:
    """The wards whose health data a staff member sees: None = every ward (manager, admin)."""
    return actor_wards(db, actor)


@dataclass(frozen=True)
class PatientSummary:
    """A patient as staff lists show them: the citizen ID masked."""

    id: str
    name: str
    id_masked: str
    birthdate: date | None
    gender: str | None
    ward_code: str | None


def summary(stored: store.Stored, national_system: str, ward_code: str | None = None) -> PatientSummary:
    """A masked summary of a Patient resource."""
    resource = stored.resource
    names = resource.get("name") or [{}]
    name = names[0].get("text") or " ".join([names[0].get("family", ""), *names[0].get("given", [])]).strip()
    national = next(
        (i.get("value", "") for i in resource.get("identifier") or [] if i.get("system") == national_system),
        "",
    )
    birth = resource.get("birthDate")
    return PatientSummary(
        id=resource["id"],
        name=name,
        id_masked=mask(national, keep_end=3) if national else "",
        birthdate=date.fromisoformat(birth) if isinstance(birth, str) and len(birth) == 10 else None,
        gender=resource.get("gender"),
        ward_code=ward_code,
    )


def patient_summaries(
    db: Database, settings: Settings, *, actor: Actor, query: str, limit: int = 20
) -> list[PatientSummary]:
    """Staff search by citizen ID (12 digits) or name words, within the staff member's wards; logged."""
    health, secret = settings.section(HealthSettings), settings.personal_keys
    query = query.strip()
    if not query:
        return []
    items = [("identifier", f"{health.national_id_system}|{query}")] if query.isdigit() else [("name", query)]
    parsed = search.parse(
        "Patient",
        [*items, ("_count", str(limit))],
        secret=secret,
        settings=settings,
        default_count=limit,
        max_count=limit,
    )
    wards = staff_wards(db, actor)
    if wards is not None:
        parsed.conditions.append(FhirResource.ward_code.in_(wards))
    with db.session() as s:
        found, _total, _ = search.run(s, secret, "Patient", parsed)
        wards_of = dict(
            s.execute(
                select(FhirResource.logical_id, FhirResource.ward_code).where(
                    FhirResource.resource_type == "Patient",
                    FhirResource.is_current.is_(True),
                    FhirResource.logical_id.in_([f.resource["id"] for f in found]),
                )
            ).all()
        )
    log_access(db, actor.label, "page", found)
    return [summary(f, health.national_id_system, wards_of.get(f.resource["id"])) for f in found]


def list_conflicts(db: Database, *, open_only: bool = True) -> list[dict[str, Any]]:
    """Same-identifier patients sent with different details, for a person to settle."""
    query = select(PatientConflict).order_by(PatientConflict.created_at.desc())
    if open_only:
        query = query.where(PatientConflict.resolved_at.is_(None))
    with db.session() as s:
        return [
            {
                "id": c.id,
                "patient_id": c.patient_id,
                "fields": c.fields,
                "source": c.source,
                "created_at": c.created_at,
            }
            for c in s.scalars(query)
        ]


def station_code(ward_code: str) -> str:
    """The org-unit code of a ward's health station."""
    return f"TYT-{ward_code}"


def ensure_health_stations(db: Database, *, actor: Actor, on: date) -> int:
    """An org unit (trạm y tế) for each ward valid on `on`, so health workers hold roles there."""
    units = [
        {
            "code": station_code(code),
            "name": f"Trạm Y tế {name.replace('Phường', 'phường')}",
            "name_en": f"Health station of {city_service.name_in_english(name)}",
            "kind": "health_station",
            "admin_unit_code": code,
            "valid_from": city_service.reorganisation_date().isoformat()
            if city_service.is_after_reorganisation(on)
            else None,
        }
        for code, name in ward_names(db, on).items()
    ]
    return accounts_service.upsert_org_units(db, actor=actor, units=units)


CONSENT_PURPOSES = {
    "immunisation-reminders": (
        "v1",
        "Tôi đồng ý để hệ thống y tế thành phố dùng hồ sơ tiêm chủng của con tôi "
        "để nhắc lịch tiêm qua thông báo.",
    ),
}


def set_consent(db: Database, *, actor: Actor, user_id: int, purpose: str, given: bool) -> None:
    """Record that a person gives (with the text's version) or withdraws consent for a purpose; audited."""
    if purpose not in CONSENT_PURPOSES:
        raise ValidationFailed.for_field("purpose", f"one of {', '.join(CONSENT_PURPOSES)}")
    version = CONSENT_PURPOSES[purpose][0]
    with UnitOfWork(db, actor) as uow:
        current = uow.session.scalar(
            select(Consent).where(
                Consent.user_id == user_id, Consent.purpose == purpose, Consent.withdrawn_at.is_(None)
            )
        )
        if given and current is None:
            uow.session.add(Consent(user_id=user_id, purpose=purpose, version=version, given_at=clock.now()))
        elif not given and current is not None:
            current.withdrawn_at = clock.now()
        uow.audit(
            "health.consent_given" if given else "health.consent_withdrawn",
            "user",
            user_id,
            after={"purpose": purpose, "version": version},
        )


def consented(db: Database, purpose: str) -> set[int]:
    """The users whose consent for `purpose` stands."""
    with db.session() as s:
        return set(
            s.scalars(
                select(Consent.user_id).where(Consent.purpose == purpose, Consent.withdrawn_at.is_(None))
            )
        )
