"""The expanded programme on immunisation (TCMR): the schedule as data, each child's status, overdue
lists by ward, reminders to parents, coverage by vaccine, dose and ward."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select, true

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.health.config import HealthSettings
from smartcity.health.events import ImmunisationReminderDue
from smartcity.health.fhir.store import served
from smartcity.health.models import FhirResource, ImmunisationReminder, PersonLink

SCHEDULE_FILE = Path(__file__).resolve().parents[1] / "schedule.json"
CVX = "http://hl7.org/fhir/sid/cvx"
GRACE_DAYS = 30  # a dose is overdue this long after it fell due (unless the schedule says "latest")
CHILD_YEARS = 6


@dataclass(frozen=True)
class Dose:
    """One dose of the schedule."""

    vaccine: str
    name: str
    dose: int
    age: int  # recommended age in days
    min_age: int
    min_interval: int  # days after the previous dose of the same vaccine
    latest: int | None  # latest age in days (birth doses)
    after: tuple[str, int] | None  # (other vaccine, days after its last dose)


@lru_cache(maxsize=1)
def _schedule_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEDULE_FILE.read_text(encoding="utf-8"))
    return data


def schedule() -> list[Dose]:
    """The programme's doses in order of age."""
    doses = []
    for vaccine in _schedule_data()["vaccines"]:
        for item in vaccine["doses"]:
            after = item.get("min_interval_from")
            doses.append(
                Dose(
                    vaccine=vaccine["code"],
                    name=vaccine["name"],
                    dose=item["dose"],
                    age=item["age"],
                    min_age=item.get("min_age", item["age"]),
                    min_interval=item.get("min_interval", 0),
                    latest=item.get("latest"),
                    after=(after["vaccine"], after["days"]) if after else None,
                )
            )
    return sorted(doses, key=lambda d: (d.age, d.vaccine, d.dose))


def vaccine_names(locale: str = "vi") -> dict[str, str]:
    """Every programme vaccine's name by code, in English where asked and known."""
    return {
        v["code"]: v.get("name_en") or v["name"] if locale == "en" else v["name"]
        for v in _schedule_data()["vaccines"]
    }


def vaccine_codes() -> dict[str, str]:
    """Code tokens ('system|code') → programme vaccine code (TCMR codes and CVX)."""
    data = _schedule_data()
    codes = {}
    for vaccine in data["vaccines"]:
        codes[f"{data['system']}|{vaccine['code']}"] = vaccine["code"]
        codes[f"{CVX}|{vaccine['cvx']}"] = vaccine["code"]
    return codes


def vaccine_coding(code: str) -> dict[str, Any]:
    """The CodeableConcept of a programme vaccine (TCMR code and CVX)."""
    data = _schedule_data()
    vaccine = next(v for v in data["vaccines"] if v["code"] == code)
    return {
        "coding": [
            {"system": data["system"], "code": code, "display": vaccine["name"]},
            {"system": CVX, "code": vaccine["cvx"]},
        ],
        "text": vaccine["name"],
    }


@dataclass(frozen=True)
class DoseStatus:
    """Where a child stands on one dose."""

    dose: Dose
    due: date
    given: date | None
    state: str  # given | overdue | due | upcoming


def given_doses(codes_and_dates: list[tuple[str, date | None]]) -> dict[str, list[date]]:
    """Programme vaccine → dates given (sorted), from Immunization code tokens and dates."""
    lookup = vaccine_codes()
    given: dict[str, list[date]] = defaultdict(list)
    for codes, when in codes_and_dates:
        if when is None:
            continue
        vaccine = next((lookup[t] for t in codes.split() if t in lookup), None)
        if vaccine:
            given[vaccine].append(when)
    return {k: sorted(v) for k, v in given.items()}


def child_schedule(
    birthdate: date, given: dict[str, list[date]], on: date, *, soon_days: int = 7
) -> list[DoseStatus]:
    """Each dose's due date and state for a child born on `birthdate`, on `on`."""
    statuses = []
    for dose in schedule():
        dates = given.get(dose.vaccine, [])
        if len(dates) >= dose.dose:
            statuses.append(
                DoseStatus(dose, birthdate + timedelta(days=dose.age), dates[dose.dose - 1], "given")
            )
            continue
        due = birthdate + timedelta(days=max(dose.age, dose.min_age))
        if dose.dose > 1 and len(dates) >= dose.dose - 1:
            due = max(due, dates[dose.dose - 2] + timedelta(days=dose.min_interval))
        if dose.after and given.get(dose.after[0]):
            due = max(due, given[dose.after[0]][-1] + timedelta(days=dose.after[1]))
        limit = (
            birthdate + timedelta(days=dose.latest)
            if dose.latest is not None
            else due + timedelta(days=GRACE_DAYS)
        )
        state = "overdue" if on > limit else "due" if on >= due - timedelta(days=soon_days) else "upcoming"
        statuses.append(DoseStatus(dose, due, None, state))
    return statuses


@dataclass(frozen=True)
class Child:
    """A child in the programme: patient id, birth date, ward, doses given."""

    patient_id: str
    birthdate: date
    ward_code: str | None
    given: dict[str, list[date]]


def children(
    db: Database, on: date, wards: set[str] | None = None, patient_ids: list[str] | None = None
) -> list[Child]:
    """Children under six on `on` (in `wards`, or these patients) with the doses they were given."""
    query = select(FhirResource.logical_id, FhirResource.birthdate, FhirResource.ward_code).where(
        FhirResource.resource_type == "Patient",
        FhirResource.is_current.is_(True),
        FhirResource.birthdate > on - timedelta(days=365 * CHILD_YEARS + 1),
        FhirResource.birthdate <= on,
    )
    if wards is not None:
        query = query.where(FhirResource.ward_code.in_(wards))
    if patient_ids is not None:
        query = query.where(FhirResource.logical_id.in_(patient_ids))
    with db.session() as s:
        kids = s.execute(query.order_by(FhirResource.birthdate)).all()
        shots = s.execute(
            select(FhirResource.patient_ref, FhirResource.codes, FhirResource.clinical_date).where(
                FhirResource.resource_type == "Immunization",
                FhirResource.is_current.is_(True),
                FhirResource.status == "completed",
                FhirResource.clinical_date <= on,
                FhirResource.patient_ref.in_([f"Patient/{k[0]}" for k in kids])
                if len(kids) < 900
                else true(),
            )
        ).all()
    by_patient: dict[str, list[tuple[str, date | None]]] = defaultdict(list)
    for ref, codes, when in shots:
        if ref is not None:
            by_patient[ref].append((codes, when))
    return [
        Child(pid, birth, ward, given_doses(by_patient.get(f"Patient/{pid}", [])))
        for pid, birth, ward in kids
        if birth is not None
    ]


@dataclass(frozen=True)
class OverdueChild:
    """A child with overdue doses, for the ward health station's list."""

    patient_id: str
    name: str
    birthdate: date
    ward_code: str | None
    overdue: list[DoseStatus]


def overdue_children(
    db: Database, settings: Settings, *, on: date, wards: set[str] | None, actor: Actor | None = None
) -> list[OverdueChild]:
    """Children with at least one overdue dose, oldest first (names decrypted: the list is logged)."""
    found = [(child, late) for child in children(db, on, wards) if (late := _late_doses(child, on))]
    names = _names(db, settings, [c.patient_id for c, _ in found], actor)
    return [
        OverdueChild(c.patient_id, names.get(c.patient_id, ""), c.birthdate, c.ward_code, late)
        for c, late in found
    ]


def count_overdue_children(db: Database, *, on: date, wards: set[str] | None) -> int:
    """How many children (in `wards`, or all) have an overdue dose; no names are read."""
    return sum(1 for child in children(db, on, wards) if _late_doses(child, on))


def _late_doses(child: Child, on: date) -> list[DoseStatus]:
    return [s for s in child_schedule(child.birthdate, child.given, on) if s.state == "overdue"]


def _names(db: Database, settings: Settings, patient_ids: list[str], actor: Actor | None) -> dict[str, str]:
    from smartcity.health.service.records import log_access, summary

    secret, system = settings.personal_keys, settings.section(HealthSettings).national_id_system
    with db.session() as s:
        rows = s.scalars(
            select(FhirResource).where(
                FhirResource.resource_type == "Patient",
                FhirResource.is_current.is_(True),
                FhirResource.logical_id.in_(patient_ids),
            )
        ).all()
        stored = [served(secret, r) for r in rows]
    if actor is not None:
        log_access(db, actor.label, "page", stored)
    return {s.resource["id"]: summary(s, system).name for s in stored}


@dataclass(frozen=True)
class VaccineCoverage:
    """Children due for a dose by `on` and how many got it, per ward (None = city)."""

    vaccine: str
    name: str
    dose: int
    ward_code: str | None
    eligible: int
    vaccinated: int

    @property
    def share(self) -> float | None:
        """Percentage vaccinated."""
        return round(100 * self.vaccinated / self.eligible, 1) if self.eligible else None


def immunisation_coverage(db: Database, on: date, wards: set[str] | None = None) -> list[VaccineCoverage]:
    """Coverage by vaccine, dose and ward: children past the dose's age plus the grace, and those given it."""
    counts: dict[tuple[str, int, str | None], list[int]] = defaultdict(lambda: [0, 0])
    doses = schedule()
    for child in children(db, on, wards):
        age = (on - child.birthdate).days
        for dose in doses:
            if age < dose.age + GRACE_DAYS:
                continue
            got = len(child.given.get(dose.vaccine, [])) >= dose.dose
            for ward in (child.ward_code, None):
                cell = counts[(dose.vaccine, dose.dose, ward)]
                cell[0] += 1
                cell[1] += int(got)
    names = {d.vaccine: d.name for d in doses}
    return [
        VaccineCoverage(v, names[v], n, w, e, g)
        for (v, n, w), (e, g) in sorted(counts.items(), key=lambda i: (i[0][0], i[0][1], i[0][2] or ""))
    ]


def in_reminder_hours(settings: Settings, moment: datetime) -> bool:
    """Whether `moment` falls in the city-time window in which parents are reminded."""
    start, end = (time.fromisoformat(t) for t in settings.section(HealthSettings).reminder_hours)
    return start <= clock.local(moment, settings).time() < end


def send_reminders(
    db: Database, settings: Settings, *, on: date | None = None, now: datetime | None = None
) -> int:
    """Record and publish ImmunisationReminderDue for each dose due soon or overdue, once a dose; nothing
    outside the reminder hours (the next run sends them). The notifications domain tells the parents."""
    now = now or clock.now()
    if not in_reminder_hours(settings, now):
        return 0
    on = on or clock.local_date(now, settings)
    soon = settings.section(HealthSettings).reminder_days_ahead
    kids = children(db, on)
    sent = 0
    with UnitOfWork(db, Actor.system("health.reminders")) as uow:
        done = set(
            uow.session.execute(
                select(
                    ImmunisationReminder.patient_id, ImmunisationReminder.vaccine, ImmunisationReminder.dose
                )
            ).all()
        )
        guardians = _guardian_users(db, settings, [c.patient_id for c in kids])
        if settings.section(HealthSettings).reminders_need_consent:
            from smartcity.health.service.records import consented

            allowed = consented(db, "immunisation-reminders")
            guardians = {k: [u for u in v if u in allowed] for k, v in guardians.items()}
        for child in kids:
            for status in child_schedule(child.birthdate, child.given, on, soon_days=soon):
                key = (child.patient_id, status.dose.vaccine, status.dose.dose)
                if status.state not in ("due", "overdue") or key in done:
                    continue
                reminder = ImmunisationReminder(
                    patient_id=child.patient_id,
                    vaccine=status.dose.vaccine,
                    dose=status.dose.dose,
                    due_date=status.due,
                    ward_code=child.ward_code,
                    details={"state": status.state},
                )
                uow.session.add(reminder)
                uow.session.flush()
                uow.publish(
                    ImmunisationReminderDue(
                        reminder_id=reminder.id,
                        patient_id=child.patient_id,
                        vaccine=status.dose.vaccine,
                        vaccine_name=status.dose.name,
                        dose=status.dose.dose,
                        due_date=status.due.isoformat(),
                        overdue=status.state == "overdue",
                        ward_code=child.ward_code,
                        guardian_user_ids=tuple(guardians.get(child.patient_id, ())),
                    )
                )
                sent += 1
    return sent


def _guardian_users(db: Database, settings: Settings, child_ids: list[str]) -> dict[str, list[int]]:
    """Child patient id → user ids of the parents linked to their own records."""
    with db.session() as s:
        links = s.execute(
            select(PersonLink.user_id, FhirResource.identifiers).join(
                FhirResource,
                (FhirResource.logical_id == PersonLink.patient_id)
                & (FhirResource.resource_type == "Patient")
                & FhirResource.is_current.is_(True),
            )
        ).all()
        kids = dict(
            s.execute(
                select(FhirResource.logical_id, FhirResource.guardian_tokens).where(
                    FhirResource.resource_type == "Patient",
                    FhirResource.is_current.is_(True),
                    FhirResource.guardian_tokens != "",
                )
            ).all()
        )
    result: dict[str, list[int]] = defaultdict(list)
    for user_id, identifiers in links:
        parent_tokens = set(identifiers.split())
        for child_id, tokens in kids.items():
            if child_id in child_ids and parent_tokens & set(tokens.split()):
                result[child_id].append(user_id)
    return result


def children_of_user(db: Database, user_id: int) -> list[str]:
    """Patient ids of the children whose parent is the citizen linked to `user_id`."""
    with db.session() as s:
        identifiers = s.scalar(
            select(FhirResource.identifiers)
            .join(PersonLink, PersonLink.patient_id == FhirResource.logical_id)
            .where(
                PersonLink.user_id == user_id,
                FhirResource.resource_type == "Patient",
                FhirResource.is_current.is_(True),
            )
        )
        if not identifiers:
            return []
        tokens = identifiers.split()
        rows = s.execute(
            select(FhirResource.logical_id, FhirResource.guardian_tokens).where(
                FhirResource.resource_type == "Patient",
                FhirResource.is_current.is_(True),
                FhirResource.guardian_tokens != "",
            )
        ).all()
    return [pid for pid, guardians in rows if set(tokens) & set(guardians.split())]
