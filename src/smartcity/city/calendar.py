"""The working calendar: weekends, Vietnamese public holidays with official swaps, local exceptions.

Pure functions of a `WorkingCalendar` value; `smartcity.city.service.working_calendar(db)` builds one
from the database (the pack's and the administrators' exceptions, the afternoon cut-off).

Conventions (used by dossier deadlines):
- `add_working_days(start, n)` is the n-th working day strictly after `start` (n >= 1); for n = 0 it is
  `start` itself when that is a working day, else the next working day.
- `working_days_between(start, end)` counts the working days d with start < d <= end (negative when
  end < start), so that `working_days_between(s, add_working_days(s, n)) == n` for n >= 1.
- `receipt_start(received_at)` is the local day a dossier's time starts counting from: the day it was
  received, unless it was received after the afternoon cut-off or on a non-working day, in which case
  the next working day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

DAY_OFF = "day_off"
WORKING_DAY = "working_day"
EXCEPTION_KINDS = (DAY_OFF, WORKING_DAY)
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_CUTOFF = time(15, 0)
WEEKEND = (5, 6)  # Saturday, Sunday
MAX_WORKING_DAYS = 3650
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DayStatus:
    """Whether a day is worked, and why."""

    day: date
    working: bool
    reason: str  # "working_day", "weekend", "holiday", "make_up_working_day", "exception_day_off", ...
    name: str | None = None


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days of a Vietnamese public body: Monday–Friday, minus holidays, plus exceptions."""

    exceptions: Mapping[date, str] = field(default_factory=dict)
    notes: Mapping[date, str] = field(default_factory=dict)
    afternoon_cutoff: time = DEFAULT_CUTOFF
    timezone: str = DEFAULT_TIMEZONE

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays("VN")

    @cached_property
    def zone(self) -> ZoneInfo:
        """The calendar's local time zone."""
        return ZoneInfo(self.timezone)

    def status(self, day: date) -> DayStatus:
        """Whether `day` is a working day and the reason (exception, swap, holiday, weekend)."""
        kind = self.exceptions.get(day)
        if kind is not None:
            reason = "exception_working_day" if kind == WORKING_DAY else "exception_day_off"
            return DayStatus(day, kind == WORKING_DAY, reason, self.notes.get(day))
        holiday = self._holidays.get(day)  # also expands the year, filling weekend_workdays
        if day in self._holidays.weekend_workdays:
            return DayStatus(day, True, "make_up_working_day")
        if holiday is not None:
            return DayStatus(day, False, "holiday", str(holiday))
        if day.weekday() in WEEKEND:
            return DayStatus(day, False, "weekend")
        return DayStatus(day, True, "working_day")

    def is_working_day(self, day: date) -> bool:
        """True when public bodies work on `day`."""
        return self.status(day).working

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        day += _ONE_DAY
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (n = 0: `start` if working, else the next working day)."""
        if n < 0:
            raise ValueError("n must be zero or positive")
        if n == 0:
            return start if self.is_working_day(start) else self.next_working_day(start)
        day = start
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        count, day = 0, start + _ONE_DAY
        while day <= end:
            count += self.is_working_day(day)
            day += _ONE_DAY
        return count

    def local_date(self, moment: datetime) -> date:
        """The calendar day of an aware datetime in the calendar's time zone."""
        return self.localise(moment).date()

    def localise(self, moment: datetime) -> datetime:
        """An aware datetime in the calendar's time zone (naive datetimes are refused)."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("an aware datetime is required (with a time zone)")
        return moment.astimezone(self.zone)

    def receipt_start(self, received_at: datetime) -> date:
        """The day counting starts from: that day if worked and not past the cut-off, else the next one."""
        local = self.localise(received_at)
        day = local.date()
        if self.is_working_day(day) and local.time().replace(tzinfo=None) <= self.afternoon_cutoff:
            return day
        return self.next_working_day(day)

    def deadline(self, received_at: datetime, working_days: int) -> date:
        """The due day of a procedure taking `working_days`, counted from the receipt start day."""
        return self.add_working_days(self.receipt_start(received_at), working_days)
