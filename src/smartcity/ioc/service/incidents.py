"""Incidents: opened from events (merging related ones), handled through their playbook to closure."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, ServiceUnavailable, ValidationFailed
from smartcity.core.i18n import Phrase
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.feedback import service as feedback_service
from smartcity.ioc.catalogue import (
    OPEN_STATES,
    STATES,
    SYSTEM_TRANSITIONS,
    TRANSITIONS,
    TYPES,
    alarm_of,
    alarm_ref,
    playbooks,
)
from smartcity.ioc.config import IocSettings
from smartcity.ioc.events import (
    IncidentEventMerged,
    IncidentOpened,
    IncidentStateChanged,
)
from smartcity.ioc.models import Incident, IncidentLink, IncidentStep
from smartcity.ioc.schemas import EventIn, IncidentCreate, IncidentDetail
from smartcity.ioc.service import alerts
from smartcity.ioc.service.geo import bbox, distance_m
from smartcity.ioc.service.incident_reads import (
    _incident,
    _steps,
    get_incident,
)
from smartcity.ioc.service.playbook import _conf, _entry, run_due_steps
from smartcity.iot import service as iot_service

CLOCK_SKEW = timedelta(minutes=5)


def receive_event(
    db: Database,
    *,
    actor: Actor,
    settings: Settings,
    data: EventIn,
    now: datetime | None = None,
    title_phrase: Phrase | None = None,
) -> tuple[IncidentDetail, bool]:
    """An event joins the open incident of its type nearby (seen recently) or opens a new one;
    `title_phrase` is the title the platform wrote for it (`data.title` as a phrase), for pages."""
    now = now or utcnow()
    title = _title(data, title_phrase)
    at = data.occurred_at or now
    if at > now + CLOCK_SKEW:
        raise ValidationFailed.for_field("occurred_at", "an event cannot have happened in the future")
    conf = _conf(settings)
    with UnitOfWork(db, actor) as uow:
        target = _mergeable(uow.session, data, at, conf)
        if target is not None:
            _merge(uow, target, data, at, conf, title)
            code = target.code
        else:
            code = _open(uow, db, settings, data, at, title, units=getattr(data, "units", []))
    if target is None:
        run_due_steps(db, settings=settings, now=at, codes=[code])
    return get_incident(db, code=code), target is not None


def open_incident(db: Database, *, actor: Actor, settings: Settings, data: IncidentCreate) -> IncidentDetail:
    """An operator opens an incident by hand (it still merges into a matching open one)."""
    return receive_event(db, actor=actor, settings=settings, data=data)[0]


def titled(what: str, where: str) -> Phrase:
    """A title the platform writes for an incident: what happened (words pages translate) — where it
    happened (a device's or a camera's name as it is; a phrase to translate it too)."""
    return Phrase("{what} — {where}", what=Phrase.of(what), where=where)


def _title(data: EventIn, phrase: Phrase | None) -> str:
    """The event's title: the platform's phrase where it says `data.title`, else the title as written (a
    person's words); the type's name (a phrase) for an event without one."""
    if not data.title:
        return Phrase.of(TYPES[data.type].name_vi)
    return phrase if phrase is not None and phrase == data.title else data.title


def _mergeable(s: Session, data: EventIn, at: datetime, conf: IocSettings) -> Incident | None:
    since = at - timedelta(minutes=conf.merge_window_min)
    candidates = s.scalars(
        select(Incident)
        .where(
            Incident.type == data.type,
            Incident.state.in_(OPEN_STATES),
            Incident.last_event_at >= since,
            Incident.opened_at <= at + timedelta(minutes=conf.merge_window_min),
        )
        .order_by(Incident.opened_at)
    )
    for incident in candidates:
        near = incident.lon is not None and incident.lat is not None
        if near and distance_m(incident.lon, incident.lat, data.lon, data.lat) <= conf.merge_radius_m:  # type: ignore[arg-type]
            return incident
    return None


def _merge(
    uow: UnitOfWork, incident: Incident, data: EventIn, at: datetime, conf: IocSettings, title: str
) -> None:
    incident.event_count += 1
    incident.last_event_at = max(incident.last_event_at, at)
    raised = data.severity > incident.severity
    incident.severity = max(incident.severity, data.severity)
    if raised and incident.ack_due_at is not None:  # a graver incident must be acknowledged sooner
        sooner = at + timedelta(minutes=conf.ack_minutes[incident.severity - 1])
        incident.ack_due_at = min(incident.ack_due_at, sooner)
    what = title if data.title else data.description or title
    source = _source_vi(data.source)
    if raised:
        text = Phrase(
            "Thêm một sự kiện từ {source}: {what} (mức độ nâng lên {severity})",
            source=source,
            what=what,
            severity=incident.severity,
        )
    else:
        text = Phrase("Thêm một sự kiện từ {source}: {what}", source=source, what=what)
    _entry(uow.session, incident, "event", text, uow.actor.label, {"source_ref": data.source_ref}, at)
    _link_source(uow.session, incident, data)
    uow.publish(
        IncidentEventMerged(
            incident_id=incident.id,
            code=incident.code,
            source=data.source,
            event_count=incident.event_count,
            severity=incident.severity,
            at=at.isoformat(),
        )
    )


def _source_vi(source: str) -> str:
    """Where an event came from, in Vietnamese words (a phrase, translated on pages); an unknown source's
    code as it is."""
    words = {
        "alarm": "cảnh báo thiết bị",
        "camera": "camera",
        "report": "phản ánh của người dân",
        "manual": "nhân viên vận hành",
        "api": "hệ thống liên kết",
        "sensor": "cảm biến",
    }
    return Phrase.of(words[source]) if source in words else source


def _open(
    uow: UnitOfWork,
    db: Database,
    settings: Settings,
    data: EventIn,
    at: datetime,
    title: str,
    *,
    units: list[str],
) -> str:
    s, conf = uow.session, _conf(settings)
    local_day = clock.local_date(at, settings)
    ward = city_service.ward_at(db, lon=data.lon, lat=data.lat, on=local_day)
    incident = Incident(
        code=_next_code(s, at, settings),
        type=data.type,
        severity=data.severity,
        state="new",
        title=str(title),
        title_phrase=title.to_json() if isinstance(title, Phrase) else None,
        description=data.description,
        lon=data.lon,
        lat=data.lat,
        radius_m=data.radius_m,
        ward_code=ward.code if ward else None,
        source=data.source,
        units=list(units) or _playbook_units(data.type),
        opened_at=at,
        last_event_at=at,
        event_count=1,
        ack_due_at=at + timedelta(minutes=conf.ack_minutes[data.severity - 1]),
    )
    s.add(incident)
    s.flush()
    opened = Phrase("Mở sự cố từ {source}", source=_source_vi(data.source))
    _entry(s, incident, "opened", opened, uow.actor.label, {}, at)
    _instantiate_playbook(s, incident, at)
    _link_source(s, incident, data)
    _link_nearby_devices(db, s, incident, conf)
    uow.audit(
        "ioc.incident_opened", "incident", incident.code, after={"type": data.type, "severity": data.severity}
    )
    uow.publish(
        IncidentOpened(
            incident_id=incident.id,
            code=incident.code,
            type=incident.type,
            severity=incident.severity,
            title=incident.title,
            lon=incident.lon,
            lat=incident.lat,
            ward_code=incident.ward_code,
            source=incident.source,
            at=at.isoformat(),
        )
    )
    return incident.code


def _next_code(s: Session, at: datetime, settings: Settings) -> str:
    day = clock.local_date(at, settings)
    prefix = f"SC-{day:%y%m%d}-"
    taken = s.scalar(select(func.count()).select_from(Incident).where(Incident.code.like(f"{prefix}%"))) or 0
    return f"{prefix}{taken + 1:04d}"


def _playbook_units(kind: str) -> list[str]:
    seen: list[str] = []
    for step in playbooks().get(kind, []):
        if step["unit"] not in seen:
            seen.append(step["unit"])
    return seen


def _instantiate_playbook(s: Session, incident: Incident, at: datetime) -> None:
    for position, step in enumerate(playbooks().get(incident.type, []), start=1):
        s.add(
            IncidentStep(
                incident_id=incident.id,
                position=position,
                title=step["title"],
                unit=step["unit"],
                role=step["role"],
                kind=step["kind"],
                action=step.get("action", {}),
                due_at=at + timedelta(minutes=step["offset_min"]),
            )
        )


def _link(s: Session, incident: Incident, kind: str, ref: str, label: str) -> None:
    exists = s.scalar(
        select(IncidentLink.id).where(
            IncidentLink.incident_id == incident.id, IncidentLink.kind == kind, IncidentLink.ref == ref
        )
    )
    if exists is None:
        s.add(IncidentLink(incident_id=incident.id, kind=kind, ref=ref, label=label))
        s.flush()


def _link_source(s: Session, incident: Incident, data: EventIn) -> None:
    if not data.source_ref:
        return
    kind = {"alarm": "alarm", "camera": "camera", "report": "report"}.get(data.source, "event")
    _link(s, incident, kind, data.source_ref, data.title or data.source_ref)


def _link_nearby_devices(db: Database, s: Session, incident: Incident, conf: IocSettings) -> None:
    if incident.lon is None or incident.lat is None:
        return
    radius = max(conf.nearby_device_radius_m, incident.radius_m)
    where = iot_service.DeviceFilter(bbox=bbox(incident.lon, incident.lat, radius))
    devices, _total = iot_service.list_devices(db, where=where, limit=200)
    for device in devices:
        if device.lon is None or device.lat is None:
            continue
        if distance_m(incident.lon, incident.lat, device.lon, device.lat) <= radius:
            kind = "camera" if "camera" in device.type else "device"
            _link(s, incident, kind, device.id, device.name or device.id)
    _link_nearby_reports(db, s, incident, radius)


def _link_nearby_reports(db: Database, s: Session, incident: Incident, radius: float) -> None:
    assert incident.lon is not None and incident.lat is not None
    filters = feedback_service.ReportFilter(
        status=tuple(feedback_service.OPEN_STATUSES),
        bbox=bbox(incident.lon, incident.lat, radius),
        public_only=False,
    )
    reports, _total = feedback_service.list_reports(
        db, actor=Actor.system("ioc.links"), filters=filters, limit=20
    )
    for report in reports:
        if (
            report.lon is not None
            and report.lat is not None
            and distance_m(incident.lon, incident.lat, report.lon, report.lat) <= radius
        ):
            _link(s, incident, "report", report.code, f"{report.code} — {report.description[:80]}")


# ---------------------------------------------------------------- lifecycle


def transition(
    db: Database,
    *,
    actor: Actor,
    settings: Settings,
    code: str,
    to: str,
    note: str = "",
    closure_report: str = "",
    now: datetime | None = None,
) -> IncidentDetail:
    """Move an incident along new → acknowledged → active → stable → resolved → closed (or cancelled)."""
    now = now or utcnow()
    with UnitOfWork(db, actor) as uow:
        incident = _incident(uow.session, code)
        before = incident.state
        if to not in TRANSITIONS[before]:
            raise Conflict(
                f"An incident in state {STATES[before][1]!r} cannot become {STATES.get(to, (to, to))[1]!r}"
            )
        if to == "closed":
            if not closure_report.strip():
                raise ValidationFailed.for_field(
                    "closure_report", "a closed incident needs its closure report"
                )
            open_steps = [
                st for st in _steps(uow.session, incident) if st.done_at is None and st.kind == "manual"
            ]
            if open_steps:
                raise Conflict(f"{len(open_steps)} playbook step(s) are not done yet")
            incident.closure_report, incident.closed_at = closure_report.strip(), now
        _move(uow, incident, to, note, now)
        severity = incident.severity
    _alert_after_move(db, actor, settings, code, severity, to, now)
    return get_incident(db, code=code)


def _move(uow: UnitOfWork, incident: Incident, to: str, note: str, now: datetime) -> None:
    """Put an incident in state `to` (allowed by the caller), on its timeline, in the audit and the events.
    `note` is a person's words, or the platform's own as a `Phrase`."""
    before, actor = incident.state, uow.actor
    _apply_state(incident, to, now)
    states = {"before": Phrase.of(STATES[before][0]), "after": Phrase.of(STATES[to][0])}
    if note:
        text = Phrase("{before} → {after}: {note}", note=note, **states)
    else:
        text = Phrase("{before} → {after}", **states)
    _entry(uow.session, incident, "state", text, actor.label, {"from": before, "to": to}, now)
    uow.audit("ioc.incident_state", "incident", incident.code, before={"state": before}, after={"state": to})
    uow.publish(
        IncidentStateChanged(
            incident_id=incident.id,
            code=incident.code,
            from_state=before,
            to_state=to,
            by=actor.label,
            at=now.isoformat(),
        )
    )


def _alert_after_move(
    db: Database, actor: Actor, settings: Settings, code: str, severity: int, to: str, now: datetime
) -> None:
    """The public alert a state change calls for (alerts.auto_alert), once the change is committed."""
    try:
        alerts.auto_alert(db, actor=actor, settings=settings, code=code, severity=severity, to=to, now=now)
    except ServiceUnavailable as exc:  # the state change stands; the missing alert is written down
        with UnitOfWork(db, actor) as uow:
            _entry(
                uow.session,
                _incident(uow.session, code),
                "alert",
                Phrase("Chưa phát được cảnh báo công cộng: {detail}", detail=str(exc.detail)),
                actor.label,
                {},
            )


def _apply_state(incident: Incident, to: str, now: datetime) -> None:
    incident.state = to
    if to == "acknowledged":
        incident.acknowledged_at, incident.ack_due_at = now, None
    if to == "resolved":
        incident.resolved_at, incident.ack_due_at = now, None
    if to == "cancelled":
        incident.ack_due_at = None
    if to == "active" and incident.resolved_at is not None:
        incident.resolved_at = None


def alarm_cleared(
    db: Database, *, actor: Actor, settings: Settings, alarm_id: int, by: str, now: datetime | None = None
) -> list[str]:
    """A device alarm behind open incidents ended (`by` "rule": its condition ended by itself; otherwise the
    person who cleared it): each incident records it. One still new (nobody took it up) whose every event was
    a device alarm, now all cleared, is resolved by the platform (catalogue.SYSTEM_TRANSITIONS). Returns the
    codes of the incidents resolved."""
    now = now or utcnow()
    ref = alarm_ref(alarm_id)
    ended = Phrase(
        "Cảnh báo thiết bị đã tự hết" if by == "rule" else "Cảnh báo thiết bị đã được đóng thủ công"
    )
    resolved: list[tuple[str, int]] = []
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        links = s.execute(
            select(Incident, IncidentLink.label)
            .join(IncidentLink, IncidentLink.incident_id == Incident.id)
            .where(IncidentLink.kind == "alarm", IncidentLink.ref == ref, Incident.state.in_(OPEN_STATES))
            .order_by(Incident.id)
        ).all()
        for incident, label in links:
            data = {"source_ref": ref, "by": by}
            said = Phrase("{ended}: {label}", ended=ended, label=label)
            _entry(s, incident, "alarm_cleared", said, actor.label, data, now)
            untouched = "resolved" in SYSTEM_TRANSITIONS.get(incident.state, ())
            if untouched and _alarms_all_ended(db, s, incident):
                _move(uow, incident, "resolved", ended, now)
                resolved.append((incident.code, incident.severity))
    for code, severity in resolved:
        _alert_after_move(db, actor, settings, code, severity, "resolved", now)
    return [code for code, _ in resolved]


def _alarms_all_ended(db: Database, s: Session, incident: Incident) -> bool:
    """Whether every event of the incident was a device alarm, and each of them has cleared."""
    refs = s.scalars(
        select(IncidentLink.ref).where(IncidentLink.incident_id == incident.id, IncidentLink.kind == "alarm")
    )
    alarm_ids = {alarm_id for ref in refs if (alarm_id := alarm_of(ref)) is not None}
    if len(alarm_ids) != incident.event_count:  # a report, a camera or an operator added to it
        return False
    return not iot_service.open_alarm_ids(db, alarm_ids)


def add_note(db: Database, *, actor: Actor, code: str, text: str) -> IncidentDetail:
    """Add an operator's note to the timeline."""
    if not text.strip():
        raise ValidationFailed.for_field("text", "the note is empty")
    with UnitOfWork(db, actor) as uow:
        _entry(uow.session, _incident(uow.session, code), "note", text.strip(), actor.label, {})
    return get_incident(db, code=code)


# ---------------------------------------------------------------- reading
