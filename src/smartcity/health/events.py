"""Events the health domain publishes: reminders to parents, alerts to ward health stations, clusters."""

from __future__ import annotations

from smartcity.core.events import Event, register_event


@register_event("health.ImmunisationReminderDue")
class ImmunisationReminderDue(Event):
    """A child's dose is due or overdue: the notification service tells the parents (user ids given)."""

    reminder_id: int
    patient_id: str
    vaccine: str
    vaccine_name: str
    dose: int
    due_date: str
    overdue: bool
    ward_code: str | None
    guardian_user_ids: tuple[int, ...]


@register_event("health.QuarantineAlertRaised")
class QuarantineAlertRaised(Event):
    """A missed check-in or warning symptoms: the ward's health station must act."""

    alert_id: int
    kind: str  # missed_checkin | warning_symptoms
    case_id: int
    ward_code: str
    day: str


@register_event("health.CasesClustered")
class CasesClustered(Event):
    """New cases of a disease cluster in a ward: an incident for the operations centre (counts only)."""

    ward_code: str
    ward_on: str
    disease: str
    cases: int
    window_days: int
    day: str
