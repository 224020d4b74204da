"""Events the operations centre publishes: incidents, public alerts, the alert stage, indicators."""

from __future__ import annotations

from typing import Any

from smartcity.core.events import Event, register_event


@register_event("ioc.IncidentOpened")
class IncidentOpened(Event):
    """A new incident was opened (from an alarm, a camera, a report or by hand)."""

    incident_id: int
    code: str
    type: str
    severity: int
    title: str
    lon: float | None
    lat: float | None
    ward_code: str | None
    source: str
    at: str


@register_event("ioc.IncidentEventMerged")
class IncidentEventMerged(Event):
    """A further event of the same kind nearby was merged into an open incident."""

    incident_id: int
    code: str
    source: str
    event_count: int
    severity: int
    at: str


@register_event("ioc.IncidentStateChanged")
class IncidentStateChanged(Event):
    """An incident moved from one state to another."""

    incident_id: int
    code: str
    from_state: str
    to_state: str
    by: str
    at: str


@register_event("ioc.IncidentEscalated")
class IncidentEscalated(Event):
    """An incident was not acknowledged in time: the next role of the chain is called."""

    incident_id: int
    code: str
    title: str
    severity: int
    level: int
    role: str
    at: str
    recipients: tuple[str, ...] = ()  # the centre's holders of `role` (empty in events stored before)
    # What the notice says (which incident, where, unacknowledged for how long), as Vietnamese text and as
    # phrases (Phrase.to_json()) for pages to say it in their language; empty in events stored before.
    subject: str = ""
    body: str = ""
    subject_phrase: dict[str, Any] | None = None
    body_phrase: dict[str, Any] | None = None


@register_event("ioc.PlaybookNotificationDue")
class PlaybookNotificationDue(Event):
    """A playbook step asks to notify a unit or role about an incident."""

    incident_id: int
    code: str
    step_id: int
    recipients: tuple[str, ...]
    subject: str
    body: str
    urgent: bool
    at: str
    # `subject` and `body` as phrases (Phrase.to_json()), for pages to say them in their language; None in
    # events stored before.
    subject_phrase: dict[str, Any] | None = None
    body_phrase: dict[str, Any] | None = None


@register_event("ioc.CapAlertPublished")
class CapAlertPublished(Event):
    """A public CAP 1.2 alert was published in the feed."""

    alert_id: int
    identifier: str
    incident_id: int | None
    msg_type: str
    headline: str
    at: str
    headline_en: str | None = None  # the English headline (absent from alerts stored before it)


@register_event("ioc.AlertStageChanged")
class AlertStageChanged(Event):
    """The city-wide alert stage changed (0 normal, 1 watch, 2 warning, 3 emergency)."""

    stage: int
    previous: int
    reason: str
    by: str
    at: str


@register_event("ioc.IndicatorComputed")
class IndicatorComputed(Event):
    """The city value of an indicator for a period was computed; `level` is ok, warning or critical."""

    code: str
    frequency: str
    period_start: str
    value: float | None
    target: float | None
    level: str
    at: str


@register_event("ioc.OperationsReportReady")
class OperationsReportReady(Event):
    """The daily or monthly operations report of a period can be fetched at `path` (PDF; `.xlsx` too)."""

    kind: str  # daily | monthly
    period: str  # 2026-12-04 | 2026-11
    path: str
    recipients: tuple[str, ...]
    at: str
