"""Deadlines in working days: the whole dossier's and each step's, the clock stopped during supplements.

Rules (GLOSSARY.md): counting starts on `receipt_start(received_at)` (the afternoon cut-off applies);
the dossier is due `processing_days` working days later (0 = the same day); working days spent waiting for
a supplement (state 5) are added back: a pause from day P to resumption on day R adds the working days d
with P < d <= R. A step is due at its cumulative share of the processing days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from smartcity.city.service import WorkingCalendar

WITHIN, DUE_SOON, OVERDUE, PAUSED = "within", "due_soon", "overdue", "paused"
EARLY, ON_TIME, LATE = "early", "on_time", "late"


@dataclass(frozen=True)
class Clock:
    """What the deadline of a dossier depends on."""

    received_at: datetime | None
    processing_days: int
    paused_working_days: int = 0


def start_day(calendar: WorkingCalendar, received_at: datetime) -> date:
    """The working day counting starts from (the afternoon cut-off applied)."""
    return calendar.receipt_start(received_at)


def due_date(calendar: WorkingCalendar, clock: Clock) -> date | None:
    """The whole dossier's due date (None until it is received)."""
    if clock.received_at is None:
        return None
    start = start_day(calendar, clock.received_at)
    return calendar.add_working_days(start, clock.processing_days + clock.paused_working_days)


def step_due_dates(
    calendar: WorkingCalendar, clock: Clock, shares: list[tuple[str, float]]
) -> dict[str, date]:
    """Each processing step's due date, at its cumulative share of the processing days."""
    if clock.received_at is None:
        return {}
    start = start_day(calendar, clock.received_at)
    dues, cumulative = {}, 0.0
    for key, share in shares:
        cumulative += share
        days = min(clock.processing_days, round(cumulative * clock.processing_days + 1e-9))
        dues[key] = calendar.add_working_days(start, days + clock.paused_working_days)
    return dues


def paused_days(calendar: WorkingCalendar, paused_at: datetime, resumed_at: datetime) -> int:
    """Working days a supplement wait adds: d with pause day < d <= resumption day."""
    return max(
        0, calendar.working_days_between(calendar.local_date(paused_at), calendar.local_date(resumed_at))
    )


def open_status(
    calendar: WorkingCalendar, due: date | None, today: date, *, paused: bool, warn_days: int = 1
) -> str:
    """within, due_soon (at most `warn_days` working days left), overdue, or paused."""
    if paused:
        return PAUSED
    if due is None:
        return WITHIN
    if today > due:
        return OVERDUE
    if calendar.working_days_between(today, due) <= warn_days:
        return DUE_SOON
    return WITHIN


def finished_status(due: date | None, finished_on: date) -> str:
    """early (trước hạn), on_time (đúng hạn) or late (quá hạn)."""
    if due is None or finished_on == due:
        return ON_TIME
    return EARLY if finished_on < due else LATE
