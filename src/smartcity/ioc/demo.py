"""Demo data of the operations centre: a year of indicator series, three weeks of incidents in every state,
public alerts, the city's alert stage. Idempotent, nothing dated after today, a few seconds on SQLite."""

from __future__ import annotations

import random
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import AppError
from smartcity.core.i18n import Phrase
from smartcity.core.security import Actor
from smartcity.ioc import service
from smartcity.ioc.catalogue import OPEN_STATES
from smartcity.ioc.config import IocSettings
from smartcity.ioc.models import Incident, IncidentStep, IndicatorValue
from smartcity.ioc.schemas import EventIn
from smartcity.ioc.service.incidents import titled
from smartcity.ioc.service.indicators import catalogue, compute, period_of

# Places of Thủ Dầu Một where things happen (lon, lat, street).
PLACES = [
    (106.6525, 10.9805, "ngã tư Yersin – Cách Mạng Tháng Tám"),
    (106.6668, 10.9717, "đường Huỳnh Văn Lũy"),
    (106.6590, 10.9930, "Đại lộ Bình Dương, đoạn qua Hiệp Thành"),
    (106.6722, 11.0112, "đường Phạm Ngọc Thạch"),
    (106.6475, 10.9660, "đường Bạch Đằng ven sông Sài Gòn"),
    (106.6812, 10.9868, "đường Nguyễn Văn Linh"),
    (106.6380, 10.9935, "đường Lê Hồng Phong"),
    (106.7005, 11.0240, "đường Lê Chí Dân, Tương Bình Hiệp"),
]
SCENARIOS = [
    ("traffic_accident", 4, "Va chạm giữa xe tải và xe máy"),
    ("congestion", 3, "Ùn tắc giờ cao điểm"),
    ("flooding", 3, "Ngập sâu 30 cm sau mưa lớn"),
    ("power_outage", 2, "Mất điện chiếu sáng cả tuyến"),
    ("waste_overflow", 2, "Rác tràn điểm tập kết"),
    ("pollution", 3, "Khói đốt rác gây ô nhiễm"),
    ("crowd_security", 3, "Tụ tập đông người trước khu công nghiệp"),
    ("road_damage", 2, "Ổ gà lớn giữa đường"),
    ("fire", 5, "Cháy kho hàng"),
    ("citizen_report", 2, "Phản ánh khẩn qua 1022"),
]
# Where each demo incident ends: the states walked from "new".
PATHS = {
    "new": [],
    "acknowledged": ["acknowledged"],
    "active": ["acknowledged", "active"],
    "stable": ["acknowledged", "active", "stable"],
    "resolved": ["acknowledged", "active", "resolved"],
    "closed": ["acknowledged", "active", "stable", "resolved", "closed"],
    "cancelled": ["cancelled"],
}
DAYS = 21
HISTORY_MONTHS = 13  # twelve complete months for the charts, and the one running
DAILY_DAYS = 30


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Indicator history and incidents, the first time only."""
    # A history of months, not the current month that the scheduler may have computed while the demo loads.
    months = select(func.count(func.distinct(IndicatorValue.period_start))).where(
        IndicatorValue.frequency == "monthly"
    )
    with db.session() as s:
        if (s.scalar(months) or 0) > 2:
            return "already there"
    points = load_history(db, settings=settings)
    incidents = load_incidents(db, settings=settings, actor=actor)
    service.set_stage(
        db,
        actor=actor,
        stage=1,
        reason="Mùa mưa: theo dõi ngập tại các tuyến trũng",
        now=clock.now() - timedelta(days=3),
    )
    return f"{points} indicator periods, {incidents} incidents"


def load_history(db: Database, *, settings: Settings) -> int:
    """Monthly values over the last year and daily ones over the last month (hourly ones: now only)."""
    now = clock.now()
    done = 0
    shared: dict[Hashable, Any] = {}  # figures the indicators of one day share (KpiContext.reuse)
    for indicator in catalogue(db):
        if indicator.frequency == "hourly":
            done += service.compute_now(db, settings=settings, codes=[indicator.code], at=now)
            continue
        for frequency, steps in (
            ("monthly", HISTORY_MONTHS),
            ("daily", DAILY_DAYS),
        ):
            start, end = period_of(now, frequency, settings)
            for _ in range(steps):
                compute(
                    db,
                    settings,
                    indicator,
                    frequency=frequency,
                    start=start,
                    end=min(end, now),
                    shared=shared,
                )
                done += 1
                start, end = period_of(start - timedelta(seconds=1), frequency, settings)
    return done


def load_incidents(db: Database, *, settings: Settings, actor: Actor) -> int:
    """About forty incidents over the last three weeks, in every state, walked through their playbooks."""
    rng = random.Random(17)
    now = clock.now()
    targets = list(PATHS) * 2 + rng.choices(["closed", "closed", "resolved", "cancelled"], k=26)
    count = 0
    for n, final in enumerate(targets):
        kind, severity, title = SCENARIOS[n % len(SCENARIOS)]
        lon, lat, street = PLACES[rng.randrange(len(PLACES))]
        recent = final in ("new", "acknowledged", "active", "stable")
        age = timedelta(minutes=rng.randint(20, 300)) if recent else timedelta(days=rng.uniform(1, DAYS))
        at = now - age
        said = titled(title, Phrase.of(street))  # the scenario and the street, translated on pages
        data = EventIn(
            type=kind,
            severity=severity,
            lon=lon + rng.uniform(-0.004, 0.004),
            lat=lat + rng.uniform(-0.004, 0.004),
            source=rng.choice(["camera", "alarm", "report", "manual"]),
            title=said,
            description=f"{title} tại {street}.",
            occurred_at=at,
            radius_m=rng.choice([150.0, 250.0, 400.0]),
        )
        try:
            incident, _merged = service.receive_event(
                db, actor=actor, settings=settings, data=data, now=at, title_phrase=said
            )
            _walk(db, settings, actor, incident.code, PATHS[final], at, now, rng)
        except AppError:
            continue
        count += 1
    return count


def _walk(
    db: Database,
    settings: Settings,
    actor: Actor,
    code: str,
    path: list[str],
    at: datetime,
    now: datetime,
    rng: random.Random,
) -> None:
    moment = at
    for state in path:
        moment = min(moment + timedelta(minutes=rng.randint(3, 40)), now - timedelta(minutes=1))
        _run_timers(db, settings, code, until=moment)
        if state == "resolved":
            for step in service.get_incident(db, code=code).steps:
                if step.done_at is None:
                    service.complete_step(
                        db, actor=actor, code=code, step_id=step.id, outcome="Đã thực hiện", now=moment
                    )
        service.transition(
            db,
            actor=actor,
            settings=settings,
            code=code,
            to=state,
            now=moment,
            note="Báo nhầm: camera nhận diện sai" if state == "cancelled" else "",
            closure_report="Đã xử lý xong, thông xe, không còn nguy hiểm; lực lượng rút khỏi hiện trường."
            if state == "closed"
            else "",
        )
    _run_timers(db, settings, code, until=now)


def _run_timers(db: Database, settings: Settings, code: str, *, until: datetime) -> None:
    """What the worker's timers would have done for the incident up to `until`, each at its own past moment:
    its escalations at each missed acknowledgement deadline, its playbook's notification and automated steps
    when due. Its notifications and timeline are so dated in the past, never at the demo's loading."""
    top = len(settings.section(IocSettings).escalation_chain) - 1
    for _ in range(50):  # a few deadlines and steps; the bound only guards against a loop
        with db.session() as s:
            incident = s.scalars(select(Incident).where(Incident.code == code)).one()
            if incident.state not in OPEN_STATES:
                return
            due = list(
                s.scalars(
                    select(IncidentStep.due_at).where(
                        IncidentStep.incident_id == incident.id,
                        IncidentStep.done_at.is_(None),
                        IncidentStep.kind != "manual",
                        IncidentStep.due_at <= until,
                    )
                )
            )
            deadline = incident.ack_due_at
            if incident.state == "new" and deadline is not None and incident.escalation_level < top:
                due += [deadline] if deadline <= until else []
        if not due:
            return
        moment = min(due)
        escalated = service.escalate_overdue(db, settings=settings, now=moment, codes=[code])
        ran = service.run_due_steps(db, settings=settings, now=moment, codes=[code])
        if not escalated and not ran:
            return
