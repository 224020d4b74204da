"""Notifications: one interface (`notify`), rules over events and indicators, quiet hours, escalation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, true
from sqlalchemy.exc import IntegrityError

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database, get_or_404, utcnow
from smartcity.core.errors import Forbidden, NotFound
from smartcity.core.i18n import Phrase, phrase_from_json
from smartcity.core.pages import Page, PageParams, count_and_slice
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.ioc import service as ioc_service
from smartcity.notifications.channels import channel_for
from smartcity.notifications.config import NotificationSettings
from smartcity.notifications.events import MessageAcknowledged
from smartcity.notifications.models import Message, NotificationRule
from smartcity.notifications.schemas import MessageRead, RuleCreate, RuleRead


def channel_kind(recipient: str) -> str:
    """The channel a recipient address takes: email:…, sms:…, else in-page (role:…, user:…)."""
    prefix = recipient.split(":", 1)[0]
    return {"email": "email", "sms": "sms"}.get(prefix, "in-page")


def _in_quiet_hours(
    moment: datetime, settings: Settings, start: str | None, end: str | None
) -> datetime | None:
    """When the quiet window containing `moment` ends (UTC), or None outside quiet hours."""
    if not start or not end:
        return None
    local = clock.local(moment, settings)
    s, e = time.fromisoformat(start), time.fromisoformat(end)
    now_t = local.time()
    inside = (s <= now_t < e) if s < e else (now_t >= s or now_t < e)
    if not inside:
        return None
    end_day = local.date() if now_t < e else local.date() + timedelta(days=1)
    return datetime.combine(end_day, e, local.tzinfo).astimezone(moment.tzinfo or None)


def notify(
    db: Database,
    *,
    settings: Settings,
    recipients: list[str] | tuple[str, ...],
    subject: str,
    body: str,
    dedup_key: str,
    link: str = "",
    urgent: bool = False,
    channels: list[str] | None = None,
    rule: NotificationRule | None = None,
    now: datetime | None = None,
    at: datetime | None = None,
) -> list[int]:
    """Queue one message per recipient (idempotent by dedup_key); in-page ones are delivered at once.

    A message is dated `at`, the moment of what it tells of (an event's time), never later than `now`: an
    event relayed a little after it happened, or a past event replayed (the demo's history), reads at its own
    time and in its order; `now` (quiet hours, delivery, `sent_at`) stays the moment it is handled.

    `subject` and `body` are stored as their (Vietnamese) text, which e-mail and SMS send; a `Phrase` (the
    platform's own sentence) is kept as a phrase too, for pages to say it in their language (`said`).
    Unless urgent, an e-mail or SMS inside the rule's quiet hours (or the default ones) is held until they
    end; the in-page inbox makes no sound, so its copy arrives at once whatever the hour.
    """
    now = now or utcnow()
    conf = settings.section(NotificationSettings)
    quiet_start = rule.quiet_start if rule and rule.quiet_start else conf.default_quiet_start
    quiet_end = rule.quiet_end if rule and rule.quiet_end else conf.default_quiet_end
    release = None if urgent else _in_quiet_hours(now, settings, quiet_start, quiet_end)
    ids = []
    for recipient in dict.fromkeys(recipients):
        kind = channel_kind(recipient)
        if channels is not None and kind not in channels:
            continue
        held_until = release if kind != "in-page" else None
        message = Message(
            rule_id=rule.id if rule else None,
            dedup_key=f"{dedup_key}|{recipient}"[:200],
            channel=kind,
            recipient=recipient,
            subject=str.__str__(subject)[:300],
            body=str.__str__(body),
            subject_phrase=_phrase_json(subject),
            body_phrase=_phrase_json(body),
            link=link,
            urgent=urgent,
            status="held" if held_until else "queued",
            created_at=min(at, now) if at else now,
            send_after=held_until or now,
        )
        try:
            with db.write_session() as s:
                s.add(message)
                s.flush()
                ids.append(message.id)
        except IntegrityError:
            continue  # the same notification was already queued
    deliver_due(db, settings=settings, now=now, ids=ids)
    return ids


def _phrase_json(text: str) -> dict[str, Any] | None:
    return text.to_json() if isinstance(text, Phrase) and text else None


def _kept(text: str, phrase: dict[str, Any] | None) -> str:
    """A stored subject or body to say again: its phrase when it keeps one, else its text."""
    return phrase_from_json(phrase) if phrase else text


def deliver_due(
    db: Database, *, settings: Settings, now: datetime | None = None, ids: list[int] | None = None
) -> int:
    """Deliver queued messages and held ones whose quiet hours are over; returns how many were sent."""
    now = now or utcnow()
    conf = settings.section(NotificationSettings)
    query = select(Message).where(Message.status.in_(("queued", "held")), Message.send_after <= now)
    if ids is not None:
        query = query.where(Message.id.in_(ids))
    sent = 0
    with db.write_session() as s:
        for message in s.scalars(query.order_by(Message.id).limit(500)):
            try:
                channel_for(message.channel, conf).deliver(
                    recipient=_address(message.recipient), subject=message.subject, body=message.body
                )
            except Exception as exc:  # a channel failure is recorded on the message, others go on
                message.status, message.error = "failed", f"{type(exc).__name__}: {exc}"
                continue
            message.status, message.sent_at = "sent", now
            sent += 1
    return sent


def _address(recipient: str) -> str:
    return recipient.split(":", 1)[1] if ":" in recipient else recipient


def addresses_of(actor: Actor) -> list[str]:
    """The in-page addresses that reach this person: their user name and every role they hold."""
    return [f"user:{actor.name}", *sorted({f"role:{role}" for role, _unit in actor.roles})]


def reaches(recipient: str, actor: Actor) -> bool:
    """Whether an in-page address reaches this person: their user name, a role they hold, or a role held in
    the units an address names ("role:head@TDM-IOC UBND-": heads of the centre and of the ward committees,
    by code or code prefix, and city-wide heads)."""
    if recipient in addresses_of(actor):
        return True
    role, _at, units = recipient.removeprefix("role:").partition("@")
    prefixes = tuple(units.split())
    return recipient.startswith("role:") and any(
        held == role and (unit is None or unit.startswith(prefixes)) for held, unit in actor.roles
    )


def _addressed_to(actor: Actor) -> ColumnElement[bool]:
    """The messages whose recipient reaches this person, as `reaches` says, as a condition in SQL."""
    scoped = []
    for role, unit in actor.roles:
        address = f"role:{role}@"
        named = literal(" ").concat(func.substr(Message.recipient, len(address) + 1)).concat(" ")
        held_here = (  # one of the named units is this unit's code or begins it
            or_(*(named.contains(f" {unit[:end]} ", autoescape=True) for end in range(1, len(unit) + 1)))
            if unit
            else true()  # a city-wide holder is reached wherever the role is addressed
        )
        scoped.append(and_(Message.recipient.startswith(address, autoescape=True), held_here))
    return or_(Message.recipient.in_(addresses_of(actor)), *scoped)


def inbox(
    db: Database, *, actor: Actor, paging: PageParams, unacknowledged: bool = False
) -> Page[MessageRead]:
    """The in-page messages addressed to this person or their roles, newest first."""
    conditions: list[Any] = [
        Message.channel == "in-page",
        _addressed_to(actor),
        Message.status == "sent",
    ]
    if unacknowledged:
        conditions.append(Message.acknowledged_at.is_(None))
    with db.session() as s:
        query, order = select(Message).where(*conditions), (Message.created_at.desc(), Message.id.desc())
        rows, total = count_and_slice(s, query, *order, limit=paging.limit, offset=paging.offset)
        return Page.of([MessageRead.model_validate(m) for m in rows], total=total, paging=paging)


def acknowledge(db: Database, *, actor: Actor, message_id: int) -> MessageRead:
    """A recipient acknowledges a message (stops its escalation)."""
    now = utcnow()
    with UnitOfWork(db, actor) as uow:
        message = get_or_404(uow.session, Message, message_id, f"No message {message_id}")
        if not reaches(message.recipient, actor) and not actor.has_role("admin"):
            raise Forbidden("This message is not addressed to you")
        if message.acknowledged_at is None:
            message.acknowledged_at, message.acknowledged_by = now, actor.label
            uow.publish(MessageAcknowledged(message_id=message_id, by=actor.label, at=now.isoformat()))
        return MessageRead.model_validate(message)


def escalate_unacknowledged(db: Database, *, settings: Settings, now: datetime | None = None) -> int:
    """What a rule with escalation told, still unacknowledged by every recipient after the delay, goes once
    to the next recipients (one message however many recipients the rule first told); nothing goes on when
    any of them acknowledged it. The number of notifications escalated."""
    now = now or utcnow()
    due = _unacknowledged_firings(db, now)
    for (_rule_id, firing), (rule, messages) in due.items():
        with db.write_session() as s:
            rows = [s.get(Message, m.id) for m in messages]
            for row in rows:
                if row is not None:
                    row.escalated = True
        first = messages[0]
        notify(
            db,
            settings=settings,
            recipients=rule.escalate_to or [],
            subject=Phrase("[Chưa xác nhận] {subject}", subject=_kept(first.subject, first.subject_phrase)),
            body=_kept(first.body, first.body_phrase),
            link=first.link,
            urgent=True,
            dedup_key=f"esc:{firing}"[:190],
            now=now,
            at=first.created_at + timedelta(minutes=rule.escalate_after_min or 0),
        )
    return len(due)


def _firing(message: Message) -> str:
    """What one rule's firing shares across its recipients' messages: the dedup key without the recipient."""
    return message.dedup_key.rsplit("|", 1)[0]


def _unacknowledged_firings(
    db: Database, now: datetime
) -> dict[tuple[int, str], tuple[NotificationRule, list[Message]]]:
    """The firings of rules with escalation whose delay ran out with none of their messages acknowledged
    and none escalated yet: each with its rule and its messages, oldest first."""
    of_rule = NotificationRule.id == Message.rule_id
    with db.session() as s:
        waiting = [
            message.created_at
            for message, rule in s.execute(
                select(Message, NotificationRule)
                .join(NotificationRule, of_rule)
                .where(
                    NotificationRule.escalate_after_min.is_not(None),
                    Message.acknowledged_at.is_(None),
                    Message.escalated.is_(False),
                    Message.status == "sent",
                )
            )
            if rule.escalate_to
        ]
        if not waiting:
            return {}
        # the messages of those firings: a firing's messages are queued together, none before the oldest
        rows = s.execute(
            select(Message, NotificationRule)
            .join(NotificationRule, of_rule)
            .where(
                NotificationRule.escalate_after_min.is_not(None),
                Message.status != "failed",
                Message.created_at >= min(waiting) - timedelta(minutes=1),
            )
            .order_by(Message.created_at, Message.id)
        ).all()
        s.expunge_all()
    firings: dict[tuple[int, str], tuple[NotificationRule, list[Message]]] = {}
    for message, rule in rows:
        firings.setdefault((rule.id, _firing(message)), (rule, []))[1].append(message)
    return {
        key: (rule, messages)
        for key, (rule, messages) in firings.items()
        if rule.escalate_to
        and all(m.acknowledged_at is None and not m.escalated for m in messages)
        and any(m.status == "sent" for m in messages)
        and messages[0].created_at + timedelta(minutes=rule.escalate_after_min or 0) <= now
    }


# ---------------------------------------------------------------- rules


def create_rule(db: Database, *, actor: Actor, data: RuleCreate) -> RuleRead:
    """Add a rule (audited)."""
    with UnitOfWork(db, actor) as uow:
        rule = NotificationRule(**data.model_dump(), active=True)
        uow.session.add(rule)
        uow.session.flush()
        uow.audit("notifications.rule_created", "notification_rule", rule.id, after=data.model_dump())
        return RuleRead.model_validate(rule)


def list_rules(db: Database) -> list[RuleRead]:
    """Every rule, by id."""
    with db.session() as s:
        return [
            RuleRead.model_validate(r)
            for r in s.scalars(select(NotificationRule).order_by(NotificationRule.id))
        ]


def ensure_default_rules(db: Database) -> int:
    """The rules a fresh centre starts with (added once, by name), addressed to the operations centre's own
    staff (`ioc.service.staff_address`), not to every holder of a role in the city. The severe-incident rule
    does not escalate: an incident nobody acknowledges goes up the centre's own chain (operators, head,
    leader; `ioc.service.escalate_overdue`), and a second escalation of its message would call the leader
    twice for one incident."""
    staff = ioc_service.staff_address
    defaults = [
        RuleCreate(
            name="Sự cố nghiêm trọng mới",
            kind="event",
            match="ioc.IncidentOpened",
            condition={"min_severity": 4},
            channels=["in-page", "sms"],
            recipients=[staff("operator"), staff("head"), "sms:+84900000000"],
        ),
        RuleCreate(
            name="Chỉ số ở mức báo động",
            kind="indicator",
            match="*",
            condition={"level": "critical"},
            channels=["in-page", "email"],
            recipients=[staff("head"), "email:ioc@thudaumot.gov.vn"],
            quiet_start="22:00",
            quiet_end="06:00",
        ),
    ]
    with db.session() as s:
        known = set(s.scalars(select(NotificationRule.name)))
    missing = [d for d in defaults if d.name not in known]
    for data in missing:
        create_rule(db, actor=Actor.system("notifications.defaults"), data=data)
    return len(missing)


def _rules(db: Database, kind: str, match: str) -> list[NotificationRule]:
    with db.session() as s:
        rules = list(
            s.scalars(
                select(NotificationRule).where(
                    NotificationRule.active.is_(True),
                    NotificationRule.kind == kind,
                    or_(NotificationRule.match == match, NotificationRule.match == "*"),
                )
            )
        )
        s.expunge_all()
        return rules


def on_event(db: Database, *, settings: Settings, name: str, payload: dict[str, Any], key: str) -> int:
    """Apply the event rules matching `name` to an event's payload; returns how many messages were queued
    (dated at the event's time, `at` in the payload)."""
    queued = 0
    for rule in _rules(db, "event", name):
        severity = payload.get("severity")
        if isinstance(severity, int) and severity < int(rule.condition.get("min_severity", 0)):
            continue
        code = payload.get("code", "")
        what = f"{code} {payload.get('title', '')}".strip()  # the incident's code and title, as they are
        subject = Phrase("{rule}: {what}" if what else "{rule}:", rule=Phrase.of(rule.name), what=what)
        link = f"/can-bo/dieu-hanh/su-co/{code}" if code else "/can-bo/dieu-hanh"
        queued += len(
            notify(
                db,
                settings=settings,
                recipients=rule.recipients,
                subject=subject,
                body=_describe(payload),
                link=link,
                urgent=bool(isinstance(severity, int) and severity >= 4),
                channels=rule.channels,
                rule=rule,
                dedup_key=f"rule:{rule.id}:{key}",
                at=moment_of(payload),
            )
        )
    return queued


def on_indicator(
    db: Database,
    *,
    settings: Settings,
    code: str,
    level: str,
    value: float | None,
    period: str,
    at: datetime | None = None,
) -> int:
    """Apply indicator rules: notify when an indicator's city value (computed `at`) reaches a rule's level."""
    order = {"ok": 0, "warning": 1, "critical": 2}
    queued = 0
    for rule in _rules(db, "indicator", code):
        if order.get(level, 0) < order.get(str(rule.condition.get("level", "critical")), 2):
            continue
        queued += len(
            notify(
                db,
                settings=settings,
                recipients=rule.recipients,
                subject=Phrase(
                    "{rule}: {indicator}",
                    rule=Phrase.of(rule.name),
                    indicator=Phrase.of(_indicator_name(db, code)),
                ),
                body=Phrase(
                    "Giá trị {value} (kỳ {period}) ở mức {level}.",
                    value=_number(value),
                    period=_day(period),
                    level=Phrase.of(LEVEL_WORDS.get(level, level)),
                ),
                link="/can-bo/dieu-hanh",
                channels=rule.channels,
                rule=rule,
                dedup_key=f"rule:{rule.id}:{code}:{period}",
                at=at,
            )
        )
    return queued


LEVEL_WORDS = {"ok": "đạt", "warning": "cần theo dõi", "critical": "báo động"}


def _indicator_name(db: Database, code: str) -> str:
    """An indicator's Vietnamese name (its code when the operations centre does not know it)."""
    from smartcity.ioc import service as ioc

    try:
        return ioc.get_indicator(db, code).name_vi
    except NotFound:
        return code


def _number(value: Any) -> float | str:
    """A value for a phrase, which writes it in the page's language (1.234,5 or 1,234.5) with up to two
    decimals; anything not a number as its text."""
    return (
        round(float(value), 2)
        if isinstance(value, int | float) and not isinstance(value, bool)
        else str(value)
    )


def _day(period: str) -> str:
    """An ISO day as dd/mm/yyyy (kept as given otherwise)."""
    try:
        return date.fromisoformat(period[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return period


def moment_of(payload: dict[str, Any]) -> datetime | None:
    """The moment an event happened, from its payload's `at` (an ISO time; naive is UTC), or None."""
    try:
        moment = datetime.fromisoformat(str(payload.get("at") or ""))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _describe(payload: dict[str, Any]) -> str:
    """An event's facts in words: severity and type by their names, the time in the city's time zone."""
    from smartcity.ioc import service as ioc

    parts = []
    severity = payload.get("severity")
    if isinstance(severity, int):
        parts.append(Phrase("Mức độ: {severity}", severity=Phrase.of(ioc.severity_name(severity))))
    if payload.get("type"):
        parts.append(Phrase("Loại: {type}", type=Phrase.of(ioc.incident_type_name(str(payload["type"])))))
    moment = moment_of(payload)
    if moment is not None:
        parts.append(Phrase("Lúc: {at}", at=clock.local(moment).strftime("%H:%M %d/%m/%Y")))
    if payload.get("source"):
        parts.append(Phrase("Nguồn: {source}", source=Phrase.of(ioc.source_name(str(payload["source"])))))
    return Phrase.joined(parts, "; ") if parts else ""
