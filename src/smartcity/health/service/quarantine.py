"""Home quarantine and case follow-up: cases and contacts, daily check-ins, alerts to the ward's health
station, clusters for the operations centre, release; the case map and the epidemic curve."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.datasets import suppress_small
from smartcity.core.db import Database, get_or_404
from smartcity.core.errors import Conflict, Forbidden, NotFound, ValidationFailed, found_or_404
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.health.config import HealthSettings
from smartcity.health.events import CasesClustered, QuarantineAlertRaised
from smartcity.health.fhir.access import is_health_actor
from smartcity.health.fhir.store import current_row
from smartcity.health.models import ClusterSignal, HealthAlert, PersonLink, QuarantineCase, QuarantineCheckin

KINDS = ("case", "contact")
NO_CASE = "Không tìm thấy đợt theo dõi cách ly này."
NO_ALERT = "Không tìm thấy cảnh báo này."


def disease_names(health: HealthSettings, locale: str = "vi") -> dict[str, str]:
    """Every configured disease's name by code, in English where asked and known (a disease configured
    without "name_en" keeps its Vietnamese name)."""
    names = {}
    for code, config in health.quarantine_periods.items():
        english = config.get("name_en") if locale == "en" else None
        names[code] = str(english or config.get("name") or code)
    return names


def _period(health: HealthSettings, disease: str, kind: str) -> int:
    config = health.quarantine_periods.get(disease)
    if config is None:
        raise ValidationFailed.for_field("disease", f"one of {', '.join(health.quarantine_periods)}")
    if kind not in KINDS:
        raise ValidationFailed.for_field("kind", "case or contact")
    days = int(str(config.get(kind, 0)))
    if days <= 0:
        raise ValidationFailed.for_field(
            "kind", f"no home quarantine for a {kind} of {config.get('name', disease)}"
        )
    return days


def open_case(
    db: Database,
    settings: Settings,
    *,
    actor: Actor,
    patient_id: str,
    disease: str,
    kind: str,
    start: date | None = None,
) -> int:
    """Put a person in home quarantine for the configured period; the ward is the person's (unit of date)."""
    health = settings.section(HealthSettings)
    days = _period(health, disease, kind)
    start = start or clock.today(settings)
    with UnitOfWork(db, actor) as uow:
        patient = current_row(uow.session, "Patient", patient_id)
        if patient is None:
            raise NotFound("Không tìm thấy hồ sơ sức khỏe của người này.")
        if patient.ward_code is None:
            raise ValidationFailed.for_field("patient_id", "the person's address names no ward of the city")
        case = QuarantineCase(
            patient_id=patient_id,
            disease=disease,
            kind=kind,
            ward_code=patient.ward_code,
            ward_on=patient.ward_on or start,
            start_date=start,
            end_date=start + timedelta(days=days - 1),
            created_by=actor.label,
        )
        uow.session.add(case)
        uow.session.flush()
        uow.audit(
            "health.quarantine_opened",
            "quarantine_case",
            case.id,
            after={"disease": disease, "kind": kind, "ward": case.ward_code, "start": start.isoformat()},
        )
        return case.id


def _may_check_in(db: Database, actor: Actor, case: QuarantineCase) -> None:
    if is_health_actor(actor):
        from smartcity.health.service.records import staff_wards

        wards = staff_wards(db, actor)
        if wards is None or case.ward_code in wards:
            return
    if actor.user_id is not None:
        with db.session() as s:
            linked = s.scalar(select(PersonLink.patient_id).where(PersonLink.user_id == actor.user_id))
        if linked == case.patient_id:
            return
    # neither the person nor the ward's health worker: as if there were no such case (SECURITY.md, V8.2)
    raise NotFound(NO_CASE)


def _case(session: Session, case_id: int) -> QuarantineCase:
    case = found_or_404(session.get(QuarantineCase, case_id), NO_CASE)
    return case


def check_in(
    db: Database,
    settings: Settings,
    *,
    actor: Actor,
    case_id: int,
    temperature: float | None,
    symptoms: list[str],
    day: date | None = None,
) -> bool:
    """Record today's check-in; warning symptoms raise an alert to the ward. Returns True if it warned."""
    health = settings.section(HealthSettings)
    today = clock.today(settings)
    day = day or today
    if day != today and not is_health_actor(actor):
        raise ValidationFailed.for_field(
            "day", "the person checks in for today; health workers may fill past days"
        )
    if temperature is not None and not 34.0 <= temperature <= 43.0:
        raise ValidationFailed.for_field("temperature", "Nhiệt độ cơ thể phải từ 34 đến 43 °C.")
    with db.session() as s:
        case = _case(s, case_id)
    _may_check_in(db, actor, case)
    if case.status != "active" or not case.start_date <= day <= case.end_date:
        raise Conflict("Đợt theo dõi này không diễn ra vào ngày đó.")
    warning = (temperature is not None and temperature >= health.warning_temperature) or bool(
        set(symptoms) & set(health.warning_symptoms)
    )
    with UnitOfWork(db, actor) as uow:
        uow.session.add(
            QuarantineCheckin(
                case_id=case_id,
                day=day,
                temperature=temperature,
                symptoms=symptoms,
                warning=warning,
                by=actor.label,
            )
        )
        if warning:
            _raise_alert(uow, case, "warning_symptoms", day)
    return warning


def _raise_alert(uow: UnitOfWork, case: QuarantineCase, kind: str, day: date) -> bool:
    exists = uow.session.scalar(
        select(HealthAlert.id).where(
            HealthAlert.kind == kind, HealthAlert.case_id == case.id, HealthAlert.day == day
        )
    )
    if exists is not None:
        return False
    alert = HealthAlert(kind=kind, case_id=case.id, ward_code=case.ward_code, ward_on=case.ward_on, day=day)
    uow.session.add(alert)
    uow.session.flush()
    uow.publish(
        QuarantineAlertRaised(
            alert_id=alert.id, kind=kind, case_id=case.id, ward_code=case.ward_code, day=day.isoformat()
        )
    )
    return True


def find_missed_checkins(db: Database, settings: Settings, *, on: date | None = None) -> int:
    """Alert the ward for each past day of a running quarantine with no check-in; returns alerts raised."""
    health = settings.section(HealthSettings)
    on = on or clock.today(settings)
    raised = 0
    with UnitOfWork(db, Actor.system("health.quarantine")) as uow:
        cases = uow.session.scalars(
            select(QuarantineCase).where(
                QuarantineCase.status == "active",
                QuarantineCase.start_date < on,
                QuarantineCase.end_date >= on - timedelta(days=health.missed_lookback_days),
            )
        ).all()
        for case in cases:
            days = set(
                uow.session.scalars(select(QuarantineCheckin.day).where(QuarantineCheckin.case_id == case.id))
            )
            first = max(case.start_date, on - timedelta(days=health.missed_lookback_days))
            last = min(case.end_date, on - timedelta(days=1))
            day = first
            while day <= last:
                if day not in days:
                    raised += int(_raise_alert(uow, case, "missed_checkin", day))
                day += timedelta(days=1)
    return raised


def detect_clusters(db: Database, settings: Settings, *, on: date | None = None) -> int:
    """Publish CasesClustered once a day for each ward and disease with many new cases in the window."""
    health = settings.section(HealthSettings)
    on = on or clock.today(settings)
    since = on - timedelta(days=health.cluster_window_days - 1)
    signals = 0
    with UnitOfWork(db, Actor.system("health.clusters")) as uow:
        rows = uow.session.execute(
            select(
                QuarantineCase.ward_code,
                QuarantineCase.disease,
                func.max(QuarantineCase.ward_on),
                func.count(),
            )
            .where(
                QuarantineCase.kind == "case",
                QuarantineCase.start_date >= since,
                QuarantineCase.start_date <= on,
            )
            .group_by(QuarantineCase.ward_code, QuarantineCase.disease)
        ).all()
        for ward, disease, ward_on, count in rows:
            if count < health.cluster_cases:
                continue
            exists = uow.session.scalar(
                select(ClusterSignal.id).where(
                    ClusterSignal.ward_code == ward, ClusterSignal.disease == disease, ClusterSignal.day == on
                )
            )
            if exists is None:
                uow.session.add(ClusterSignal(ward_code=ward, disease=disease, day=on, cases=count))
                uow.publish(
                    CasesClustered(
                        ward_code=ward,
                        ward_on=ward_on.isoformat(),
                        disease=disease,
                        cases=count,
                        window_days=health.cluster_window_days,
                        day=on.isoformat(),
                    )
                )
                signals += 1
    return signals


def release_case(db: Database, *, actor: Actor, case_id: int) -> None:
    """End a person's quarantine (a health worker of the ward decides)."""
    from smartcity.health.service.records import staff_wards

    with UnitOfWork(db, actor) as uow:
        case = _case(uow.session, case_id)
        wards = staff_wards(db, actor)
        if not is_health_actor(actor):
            raise Forbidden("Chỉ cán bộ y tế của phường mới kết thúc được đợt theo dõi này.")
        if wards is not None and case.ward_code not in wards:  # another ward's case: as if there were none
            raise NotFound(NO_CASE)
        if case.status != "active":
            raise Conflict("Đợt theo dõi này đã kết thúc.")
        case.status, case.released_at = "released", clock.now()
        uow.audit("health.quarantine_released", "quarantine_case", case.id)


def acknowledge_alert(db: Database, *, actor: Actor, alert_id: int) -> None:
    """A health worker of the ward takes the alert in hand."""
    from smartcity.health.service.records import staff_wards

    with UnitOfWork(db, actor) as uow:
        alert = get_or_404(uow.session, HealthAlert, alert_id, NO_ALERT)
        wards = staff_wards(db, actor)
        if not is_health_actor(actor):
            raise Forbidden("Chỉ cán bộ y tế của phường mới nhận xử lý được cảnh báo này.")
        if wards is not None and alert.ward_code not in wards:  # another ward's alert: as if there were none
            raise NotFound(NO_ALERT)
        if alert.acknowledged_at is None:
            alert.acknowledged_at, alert.acknowledged_by = clock.now(), actor.label
            uow.audit("health.alert_acknowledged", "health_alert", alert.id)


@dataclass(frozen=True)
class BoardRow:
    """A running quarantine on the ward's board."""

    case_id: int
    patient_id: str
    disease: str
    kind: str
    ward_code: str
    start_date: date
    end_date: date
    status: str
    last_checkin: date | None
    last_temperature: float | None
    open_alerts: list[tuple[int, str, date]]


def quarantine_board(
    db: Database, *, wards: set[str] | None, include_released: bool = False
) -> list[BoardRow]:
    """Running cases (in `wards`, or all) with their last check-in and open alerts, alerts first."""
    with db.session() as s:
        query = select(QuarantineCase)
        if not include_released:
            query = query.where(QuarantineCase.status == "active")
        if wards is not None:
            query = query.where(QuarantineCase.ward_code.in_(wards))
        cases = s.scalars(query.order_by(QuarantineCase.start_date)).all()
        ids = [c.id for c in cases]
        last: dict[int, QuarantineCheckin] = {}
        for checkin in s.scalars(
            select(QuarantineCheckin)
            .where(QuarantineCheckin.case_id.in_(ids))
            .order_by(QuarantineCheckin.day, QuarantineCheckin.id)
        ):
            last[checkin.case_id] = checkin
        alerts: dict[int, list[tuple[int, str, date]]] = defaultdict(list)
        for alert in s.scalars(
            select(HealthAlert).where(HealthAlert.case_id.in_(ids), HealthAlert.acknowledged_at.is_(None))
        ):
            alerts[alert.case_id].append((alert.id, alert.kind, alert.day))
    rows = [
        BoardRow(
            c.id,
            c.patient_id,
            c.disease,
            c.kind,
            c.ward_code,
            c.start_date,
            c.end_date,
            c.status,
            last[c.id].day if c.id in last else None,
            last[c.id].temperature if c.id in last else None,
            alerts.get(c.id, []),
        )
        for c in cases
    ]
    return sorted(rows, key=lambda r: (not r.open_alerts, r.start_date))


def cases_of_user(db: Database, user_id: int) -> list[BoardRow]:
    """The signed-in citizen's own running quarantine(s)."""
    with db.session() as s:
        patient = s.scalar(select(PersonLink.patient_id).where(PersonLink.user_id == user_id))
    if patient is None:
        return []
    return [r for r in quarantine_board(db, wards=None) if r.patient_id == patient]


def case_map(
    db: Database, *, on: date, disease: str | None = None, public: bool = True
) -> dict[str, int | None]:
    """Running cases (not contacts) by ward on a date; counts below 5 suppressed when `public`."""
    with db.session() as s:
        query = select(QuarantineCase.ward_code, func.count()).where(
            QuarantineCase.kind == "case", QuarantineCase.start_date <= on, QuarantineCase.end_date >= on
        )
        if disease:
            query = query.where(QuarantineCase.disease == disease)
        counts = dict(s.execute(query.group_by(QuarantineCase.ward_code)).all())
    wards = [u.code for u in city_service.units_on(db, on=on, level="ward")]
    return {w: (suppress_small(counts.get(w, 0)) if public else counts.get(w, 0)) for w in wards}


def epidemic_curve(
    db: Database, *, start: date, end: date, disease: str | None = None, public: bool = True
) -> list[tuple[date, int | None]]:
    """New cases per day from start to end; counts below 5 suppressed when `public`."""
    with db.session() as s:
        query = select(QuarantineCase.start_date, func.count()).where(
            QuarantineCase.kind == "case",
            QuarantineCase.start_date >= start,
            QuarantineCase.start_date <= end,
        )
        if disease:
            query = query.where(QuarantineCase.disease == disease)
        counts = dict(s.execute(query.group_by(QuarantineCase.start_date)).all())
    days, day = [], start
    while day <= end:
        count = counts.get(day, 0)
        days.append((day, suppress_small(count) if public else count))
        day += timedelta(days=1)
    return days
