"""Incidents' playbooks and timers: steps done by hand or run when due (lights, notifications), and the
escalation of incidents nobody acknowledged in time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.accounts import service as accounts_service
from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, NotFound
from smartcity.core.i18n import Phrase, said
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.ioc.catalogue import OPEN_STATES, SEVERITIES, STAFF_UNITS
from smartcity.ioc.config import IocSettings
from smartcity.ioc.events import IncidentEscalated, PlaybookNotificationDue
from smartcity.ioc.models import Incident, IncidentEntry, IncidentStep
from smartcity.ioc.schemas import IncidentDetail
from smartcity.ioc.service.geo import bbox, distance_m
from smartcity.ioc.service.incident_reads import _incident, get_incident
from smartcity.iot import schemas as iot_schemas
from smartcity.iot import service as iot_service
from smartcity.lighting import service as lighting_service


def _conf(settings: Settings) -> IocSettings:
    return settings.section(IocSettings)


def _entry(
    s: Session,
    incident: Incident,
    kind: str,
    text: str,
    actor: str,
    data: dict[str, Any],
    at: datetime | None = None,
) -> None:
    """A line on the incident's timeline. `text` a `Phrase` (the platform's own sentence) is kept as its
    Vietnamese text, as the API and CAP read it, and in `data["phrase"]` for pages to say it in their
    language; a person's words (a note) as they are."""
    if isinstance(text, Phrase):
        data = {**data, "phrase": text.to_json()}
    s.add(
        IncidentEntry(
            incident_id=incident.id, kind=kind, text=str(text), actor=actor, data=data, at=at or utcnow()
        )
    )


def complete_step(
    db: Database, *, actor: Actor, code: str, step_id: int, outcome: str = "", now: datetime | None = None
) -> IncidentDetail:
    """Mark a playbook step done, with what came of it."""
    now = now or utcnow()
    with UnitOfWork(db, actor) as uow:
        incident = _incident(uow.session, code)
        step = uow.session.get(IncidentStep, step_id)
        if step is None or step.incident_id != incident.id:
            raise NotFound(f"No step {step_id} in incident {code}")
        if step.done_at is not None:
            raise Conflict("This step is already done")
        if incident.state not in OPEN_STATES:
            raise Conflict("The incident is no longer open")
        step.done_at, step.done_by, step.outcome = now, actor.label, outcome
        _entry(
            uow.session,
            incident,
            "step",
            Phrase(
                "Hoàn thành bước {position}: {title}", position=step.position, title=Phrase.of(step.title)
            ),
            actor.label,
            {},
            now,
        )
        uow.audit("ioc.step_done", "incident", code, after={"step": step.position, "outcome": outcome})
    return get_incident(db, code=code)


# ---------------------------------------------------------------- timers


def escalate_overdue(
    db: Database, *, settings: Settings, now: datetime | None = None, codes: list[str] | None = None
) -> list[str]:
    """Incidents not acknowledged by their deadline go one step up the chain (the operators, then the head,
    then the leader), the deadline starting again, until the chain's last role has been called: each role
    is called once per incident, so a repeated run never calls the same people twice for one incident.
    With `codes`, only those incidents (the demo replays each incident's past)."""
    now = now or utcnow()
    conf = _conf(settings)
    chain = conf.escalation_chain
    escalated = []
    with UnitOfWork(db, Actor.system("ioc.escalation")) as uow:
        query = select(Incident).where(
            Incident.state == "new",
            Incident.ack_due_at.is_not(None),
            Incident.ack_due_at <= now,
            Incident.escalation_level < len(chain) - 1,
        )
        if codes:
            query = query.where(Incident.code.in_(codes))
        for incident in uow.session.scalars(query.order_by(Incident.ack_due_at, Incident.id)):
            incident.escalation_level += 1
            role = chain[incident.escalation_level]
            incident.ack_due_at = now + timedelta(minutes=conf.ack_minutes[incident.severity - 1])
            _entry(
                uow.session,
                incident,
                "escalation",
                Phrase(
                    "Quá hạn tiếp nhận: chuyển cấp {level} ({role})",
                    level=incident.escalation_level,
                    role=Phrase.of(accounts_service.role_name(role)),
                ),
                "system",
                {"role": role},
                now,
            )
            subject, body = escalation_notice(incident, role, now, settings)
            uow.publish(
                IncidentEscalated(
                    incident_id=incident.id,
                    code=incident.code,
                    title=incident.title,
                    severity=incident.severity,
                    level=incident.escalation_level,
                    role=role,
                    at=now.isoformat(),
                    recipients=(staff_address(role),),
                    subject=str(subject),
                    body=str(body),
                    subject_phrase=subject.to_json(),
                    body_phrase=body.to_json(),
                )
            )
            escalated.append(incident.code)
    return escalated


def escalation_notice(
    incident: Incident, role: str, now: datetime, settings: Settings
) -> tuple[Phrase, Phrase]:
    """What an escalation tells the role it calls: which incident (its title, which says what and where, and
    its ward), since when and for how long nobody acknowledged it, in words."""
    waited = duration_words(now - incident.opened_at)
    subject = Phrase(
        "[Chuyển cấp {level}] {title}: chưa được tiếp nhận sau {waited}",
        level=incident.escalation_level,
        title=_title_words(incident),
        waited=waited,
    )
    facts: dict[str, Any] = {
        "code": incident.code,
        "severity": Phrase.of(_severity_name(incident.severity)),
        "opened": clock.local(incident.opened_at, settings).strftime("%H:%M %d/%m/%Y"),
        "waited": waited,
        "role": Phrase.of(accounts_service.role_name(role)),
    }
    ward = _ward_words(incident, settings)
    if ward is None:
        body = Phrase(
            "Sự cố {code} (mức độ {severity}) mở lúc {opened} vẫn chưa được tiếp nhận sau {waited}. "
            "Chuyển lên: {role}.",
            **facts,
        )
    else:
        body = Phrase(
            "Sự cố {code} (mức độ {severity}) tại {ward} mở lúc {opened} vẫn chưa được tiếp nhận sau "
            "{waited}. Chuyển lên: {role}.",
            ward=ward,
            **facts,
        )
    return subject, body


def duration_words(elapsed: timedelta) -> Phrase:
    """A length of time as a person says it, in its two largest units: "45 phút", "1 giờ 20 phút",
    "2 ngày 3 giờ" (at least a minute)."""
    minutes = max(1, int(elapsed.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    counts = [(days, "ngày"), (hours, "giờ")] if days else [(hours, "giờ"), (minutes, "phút")]
    said = [_count(n, unit) for n, unit in counts if n]
    return Phrase.joined(said, " ") if len(said) > 1 else said[0]


def _count(n: int, unit: str) -> Phrase:
    """A number of days, hours or minutes ("1 giờ", "20 phút"): one and more said apart, as English needs."""
    return Phrase(f"1 {unit}") if n == 1 else Phrase(f"{{count}} {unit}", count=n)


def _title_words(incident: Incident) -> Phrase:
    """The incident's title: the platform's phrase (what happened — where), or a person's words as typed."""
    title = said(incident.title, incident.title_phrase, as_written=True)
    return title if isinstance(title, Phrase) else Phrase("{words}", words=title)


def _severity_name(level: int) -> str:
    return SEVERITIES[level][0] if level in SEVERITIES else str(level)


WARD_KINDS = ("Phường", "Xã")  # the kinds of ward a name begins with, each a catalogue entry "Phường {name}"


def _ward_words(incident: Incident, settings: Settings) -> Phrase | None:
    """The incident's ward by its name on the day it opened ("Phường Phú Cường", in English "Phú Cường
    Ward"), or None where it has none."""
    if not incident.ward_code:
        return None
    name = city_service.unit_name_on(incident.ward_code, clock.local_date(incident.opened_at, settings))
    if not name:
        return None
    for kind in WARD_KINDS:
        if name.startswith(kind + " "):
            return Phrase(kind + " {name}", name=name[len(kind) + 1 :])
    return Phrase("{words}", words=name)


def run_due_steps(
    db: Database, *, settings: Settings, now: datetime | None = None, codes: list[str] | None = None
) -> int:
    """Carry out the automated and notification steps whose time has come; returns how many ran."""
    now = now or utcnow()
    with db.session() as s:
        query = (
            select(IncidentStep.id)
            .join(Incident, Incident.id == IncidentStep.incident_id)
            .where(
                IncidentStep.done_at.is_(None),
                IncidentStep.kind.in_(("automated", "notification")),
                IncidentStep.due_at <= now,
                Incident.state.in_(OPEN_STATES),
            )
        )
        if codes:
            query = query.where(Incident.code.in_(codes))
        step_ids = list(s.scalars(query.order_by(IncidentStep.due_at)))
    for step_id in step_ids:
        _run_step(db, settings, step_id, now)
    return len(step_ids)


def staff_address(role: str) -> str:
    """The in-page address of the centre's staff holding `role` ("role:head@TDM-IOC UBND-"): those of its own
    units and city-wide, not every holder of the role in the city (a school's head is a "head" too)."""
    return f"role:{role}@{' '.join(STAFF_UNITS)}"


def _centre_scoped(recipient: str) -> str:
    """A playbook's bare role address ("role:head") as the centre's own staff holding it, so a school's or
    health station's head is not sent the city's incidents; other addresses as they are."""
    kind, _, value = recipient.partition(":")
    if kind == "role" and "@" not in value:
        return staff_address(value)
    return recipient


def _recipient_words(db: Database, recipient: str) -> str:
    """A recipient address as a person reads it: a role by its Vietnamese name (a phrase, translated on
    pages), a user by full name, an e-mail address or phone number as it is."""
    kind, _, value = recipient.partition(":")
    if kind == "role":
        return Phrase.of(accounts_service.role_name(value.partition("@")[0]))
    if kind == "user":
        user = accounts_service.get_user_by_username(db, value)
        return user.full_name if user is not None and user.full_name else Phrase("Cán bộ")
    return value or recipient


def _notice_sent(db: Database, recipients: tuple[str, ...]) -> Phrase:
    """What a notification step says it did: "Đã gửi thông báo tới: Nhân viên vận hành IOC; Lãnh đạo"."""
    said = {f"r{n}": _recipient_words(db, r) for n, r in enumerate(recipients)}
    listed = Phrase("; ".join("{" + name + "}" for name in said), **said) if said else ""
    return Phrase("Đã gửi thông báo tới: {recipients}", recipients=listed)


def _run_step(db: Database, settings: Settings, step_id: int, now: datetime) -> None:
    actor = Actor.system("ioc.playbook")
    with db.session() as s:
        step = s.get(IncidentStep, step_id)
        incident = s.get(Incident, step.incident_id) if step else None
        if step is None or incident is None:
            return
        s.expunge_all()
    automated = step.kind == "automated"
    outcome: Phrase | None = _automated(db, actor, incident, step, now, settings) if automated else None
    with UnitOfWork(db, actor) as uow:
        row = uow.session.get(IncidentStep, step_id)
        if row is None or row.done_at is not None:
            return
        if step.kind == "notification":
            recipients = tuple(
                _centre_scoped(r) for r in step.action.get("recipients", [staff_address(step.role)])
            )
            outcome = _notice_sent(db, recipients)
            subject, body = step_notice(incident, step, settings)
            uow.publish(
                PlaybookNotificationDue(
                    incident_id=incident.id,
                    code=incident.code,
                    step_id=step_id,
                    recipients=recipients,
                    subject=str(subject),
                    body=str(body),
                    urgent=incident.severity >= 4,
                    at=now.isoformat(),
                    subject_phrase=subject.to_json(),
                    body_phrase=body.to_json(),
                )
            )
        row.done_at, row.done_by, row.outcome = now, actor.label, str(outcome or "")
        row.outcome_phrase = outcome.to_json() if outcome is not None else None
        inc = uow.session.get(Incident, incident.id)
        assert inc is not None
        _entry(
            uow.session,
            inc,
            "step",
            Phrase(
                "Bước {position} tự thực hiện: {title}. {outcome}",
                position=row.position,
                title=Phrase.of(row.title),
                outcome=outcome or "",
            ),
            actor.label,
            {},
            now,
        )


def step_notice(incident: Incident, step: IncidentStep, settings: Settings) -> tuple[Phrase, Phrase]:
    """What a playbook's notification step tells its recipients: the task and which incident (its title,
    which says what and where), then the incident's severity, when it opened and who carries the task out."""
    subject = Phrase(
        "Việc theo kịch bản: {step} — {title}", step=Phrase.of(step.title), title=_title_words(incident)
    )
    body = Phrase(
        "Sự cố {code} (mức độ {severity}) mở lúc {opened}. Bước {position} của kịch bản xử lý; đơn vị "
        "thực hiện: {unit}.",
        code=incident.code,
        severity=Phrase.of(_severity_name(incident.severity)),
        opened=clock.local(incident.opened_at, settings).strftime("%H:%M %d/%m/%Y"),
        position=step.position,
        unit=Phrase.of(step.unit),
    )
    return subject, body


def _automated(
    db: Database, actor: Actor, incident: Incident, step: IncidentStep, now: datetime, settings: Settings
) -> Phrase:
    """Run an automated step's action; returns what happened, in words. Street lights are switched to full
    brightness only between dusk and dawn: in daylight they would help nobody (and read as a fault)."""
    if step.action.get("do") != "lights_full":
        return Phrase("Không có hành động tự động nào được khai báo")
    if incident.lon is None or incident.lat is None:
        return Phrase("Sự cố không có vị trí: không bật đèn")
    if lighting_service.in_daylight(incident.lon, incident.lat, now, settings):
        return Phrase("Trời đang sáng: không cần bật đèn đường")
    radius = max(incident.radius_m, 150.0)
    where = iot_service.DeviceFilter(type="streetlight", bbox=bbox(incident.lon, incident.lat, radius))
    lights, _total = iot_service.list_devices(db, where=where, limit=500)
    ids = [
        d.id
        for d in lights
        if d.lon is not None
        and d.lat is not None
        and distance_m(incident.lon, incident.lat, d.lon, d.lat) <= radius
    ]
    if not ids:
        return Phrase("Không có đèn đường nào trong bán kính")
    iot_service.send_commands(
        db, actor=actor, data=iot_schemas.CommandCreate(name="dim", params={"dimLevel": 100}, device_ids=ids)
    )
    return Phrase("Đã gửi lệnh sáng 100% tới {count} đèn", count=len(ids))
