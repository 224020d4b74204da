"""Notifications react to the operations centre's events (and apply the rules to them) and tell parents
of their children's immunisation doses (health.ImmunisationReminderDue)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from smartcity.accounts import service as accounts_service
from smartcity.core.db import Database
from smartcity.core.errors import NotFound
from smartcity.core.events import Event
from smartcity.core.i18n import Phrase, phrase_from_json
from smartcity.core.outbox import Handler
from smartcity.core.security import Actor
from smartcity.health import service as health_service
from smartcity.health.events import ImmunisationReminderDue, QuarantineAlertRaised
from smartcity.ioc import service as ioc_service
from smartcity.ioc.events import (
    IncidentEscalated,
    IndicatorComputed,
    OperationsReportReady,
    PlaybookNotificationDue,
)
from smartcity.notifications import service


def apply_rules(event: Event, db: Database) -> None:
    """Any event some rule may watch: apply the event rules."""
    payload = event.to_payload()
    key = f"{event.name}:{payload.get('code') or payload.get('identifier') or ''}:{payload.get('at', '')}"
    service.on_event(db, settings=db.settings, name=event.name, payload=payload, key=key)


def _when(event: Event) -> datetime | None:
    """When the event happened (its `at`): the time its notification is dated."""
    return service.moment_of(event.to_payload())


def escalation(event: IncidentEscalated, db: Database) -> None:
    """An incident was not acknowledged in time: call the next role of the chain, whatever the hour, with
    the notice the centre wrote (which incident, where, waiting how long) in the page's language."""
    service.notify(
        db,
        settings=db.settings,
        recipients=list(event.recipients) or [f"role:{event.role}"],
        urgent=True,
        subject=_said(event.subject, event.subject_phrase)
        or Phrase(
            "[Chuyển cấp {level}] {code} {title}", level=event.level, code=event.code, title=event.title
        ),
        body=_said(event.body, event.body_phrase)
        or Phrase(
            "Sự cố mức độ {severity} chưa được tiếp nhận đúng hạn.",
            severity=Phrase.of(ioc_service.severity_name(event.severity)),
        ),
        link=f"/can-bo/dieu-hanh/su-co/{event.code}",
        dedup_key=f"esc:{event.code}:{event.level}",
        at=_when(event),
    )


def playbook_step(event: PlaybookNotificationDue, db: Database) -> None:
    """A playbook step asks to notify a unit or role (its words as phrases, in the page's language)."""
    service.notify(
        db,
        settings=db.settings,
        recipients=list(event.recipients),
        subject=_said(event.subject, event.subject_phrase),
        body=_said(event.body, event.body_phrase),
        urgent=event.urgent,
        link=f"/can-bo/dieu-hanh/su-co/{event.code}",
        dedup_key=f"step:{event.step_id}",
        at=_when(event),
    )


def _said(text: str, phrase: dict[str, Any] | None) -> str:
    """An event's sentence: the phrase it carries (`Phrase.to_json()`), else its text as it is."""
    return phrase_from_json(phrase) if phrase else text


def report_ready(event: OperationsReportReady, db: Database) -> None:
    """Send the operations report's link to its recipients."""
    service.notify(
        db,
        settings=db.settings,
        recipients=list(event.recipients),
        link=event.path,
        subject=_report_title(event.kind, event.period),
        body=Phrase.of("Báo cáo đã sẵn sàng (PDF, có bản XLSX); bấm vào tiêu đề để tải về."),
        dedup_key=f"report:{event.kind}:{event.period}",
        at=_when(event),
    )


def _report_title(kind: str, period: str) -> Phrase:
    """A report's title with its period as a person reads it: "Báo cáo vận hành ngày 05/12/2026" or
    "Báo cáo vận hành tháng 11/2026" (a period of another shape as it is)."""
    try:
        if kind == "monthly":
            return Phrase(
                "Báo cáo vận hành tháng {month}", month=f"{date.fromisoformat(period + '-01'):%m/%Y}"
            )
        return Phrase("Báo cáo vận hành ngày {day}", day=f"{date.fromisoformat(period):%d/%m/%Y}")
    except ValueError:
        return Phrase("Báo cáo vận hành {period}", period=period)


def indicator(event: IndicatorComputed, db: Database) -> None:
    """Apply the indicator rules to a freshly computed city value."""
    service.on_indicator(
        db,
        settings=db.settings,
        code=event.code,
        level=event.level,
        value=event.value,
        period=event.period_start[:10],
        at=_when(event),
    )


def _guardian_addresses(db: Database, user_ids: tuple[int, ...]) -> list[str]:
    """A parent's in-page inbox, e-mail and phone (the phone read is audited by accounts)."""
    addresses = []
    for user_id in user_ids:
        try:
            user = accounts_service.get_user(db, user_id)
        except NotFound:
            continue
        if not user.is_active:
            continue
        addresses.append(f"user:{user.username}")
        if user.email:
            addresses.append(f"email:{user.email}")
        if user.phone_masked:
            phone = accounts_service.get_user_phone(
                db,
                actor=Actor.system("notifications.health"),
                user_id=user_id,
                secret=db.settings.personal_keys,
            )
            if phone:
                addresses.append(f"sms:{phone}")
    return addresses


def immunisation_reminder(event: ImmunisationReminderDue, db: Database) -> None:
    """Tell a child's parents a dose is due or overdue: once per child, dose and due date; e-mail and SMS
    wait for the end of quiet hours (no name or ID in the message: the citizen space shows the record)."""
    recipients = _guardian_addresses(db, event.guardian_user_ids)
    if not recipients:
        return
    due = date.fromisoformat(event.due_date).strftime("%d/%m/%Y")
    state = (
        Phrase("đã quá hạn từ ngày {due}", due=due)
        if event.overdue
        else Phrase("đến hạn ngày {due}", due=due)
    )
    service.notify(
        db,
        settings=db.settings,
        recipients=recipients,
        subject=Phrase(
            "Nhắc lịch tiêm chủng: {vaccine}, mũi {dose}", vaccine=event.vaccine_name, dose=event.dose
        ),
        body=Phrase(
            "Mũi {dose} vắc xin {vaccine} của con quý vị {state}. Xin đưa trẻ đến trạm y tế phường; xem sổ "
            "tiêm chủng của trẻ trong trang Sức khỏe của Cổng công dân.",
            dose=event.dose,
            vaccine=event.vaccine_name,
            state=state,
        ),
        link="/suc-khoe",
        dedup_key=f"tcmr:{event.patient_id}:{event.vaccine}:{event.dose}:{event.due_date}",
    )


QUARANTINE_BOARD = "/can-bo/y-te/cach-ly"


def quarantine_alert(event: QuarantineAlertRaised, db: Database) -> None:
    """A missed check-in or warning symptoms: tell the health workers of the ward's station (by name, so
    workers of other wards are not disturbed); warning symptoms are urgent, whatever the hour."""
    station = health_service.station_code(event.ward_code)
    workers = accounts_service.holders_of(db, role="health_worker", org_unit_code=station)
    if not workers:
        return
    day = date.fromisoformat(event.day).strftime("%d/%m/%Y")
    urgent = event.kind == "warning_symptoms"
    what = Phrase.of("có triệu chứng cần theo dõi ngay" if urgent else "chưa khai báo sức khỏe")
    service.notify(
        db,
        settings=db.settings,
        recipients=[f"user:{username}" for username, _name in workers],
        subject=Phrase("Người cách ly tại nhà {what} (ngày {day})", what=what, day=day),
        body=Phrase(
            "Một người đang cách ly tại nhà trên địa bàn trạm {what} ngày {day}. "
            "Xem bảng theo dõi cách ly để liên hệ và ghi nhận xử lý.",
            what=what,
            day=day,
        ),
        link=QUARANTINE_BOARD,
        urgent=urgent,
        dedup_key=f"quarantine:{event.alert_id}",
    )


def default_rules(event: Event, db: Database) -> None:
    """When a city pack is loaded, make sure the default rules exist."""
    service.ensure_default_rules(db)


def _typed(func: object) -> Handler:
    return func  # type: ignore[return-value]


HANDLERS: dict[str, list[Handler]] = {
    "ioc.IncidentOpened": [apply_rules],
    "ioc.IncidentStateChanged": [apply_rules],
    "ioc.CapAlertPublished": [apply_rules],
    "ioc.AlertStageChanged": [apply_rules],
    "ioc.IncidentEscalated": [_typed(escalation)],
    "ioc.PlaybookNotificationDue": [_typed(playbook_step)],
    "ioc.OperationsReportReady": [_typed(report_ready)],
    "ioc.IndicatorComputed": [_typed(indicator)],
    "city.CityPackLoaded": [default_rules],
    "health.ImmunisationReminderDue": [_typed(immunisation_reminder)],
    "health.QuarantineAlertRaised": [_typed(quarantine_alert)],
}
