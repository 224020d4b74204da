"""Night plans of lighting groups: on at dusk, off at dawn for the group's place and date (astral), dimming
steps by hour, and the exceptions that win over them (operator override > event > public holiday).

Pure functions, no database. A night is named by the date of its evening: the night of 05/12 runs from the
dusk of 05/12 to the dawn of 06/12, in the city's time zone.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import holidays
from astral import Observer
from astral.sun import dawn, dusk, sunrise, sunset

from smartcity.core.i18n import Phrase

OnEvent = Literal["civil_dusk", "sunset"]
OffEvent = Literal["civil_dawn", "sunrise"]
EVENT_NAMES = {
    "civil_dusk": "cuối hoàng hôn dân dụng (mặt trời dưới chân trời 6°)",
    "sunset": "mặt trời lặn",
    "civil_dawn": "đầu bình minh dân dụng (mặt trời dưới chân trời 6°)",
    "sunrise": "mặt trời mọc",
}
MAX_OFFSET_MINUTES = 120
NOON = time(12, 0)
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ScheduleError(ValueError):
    """A schedule or exception that cannot work, with the reason in words for the operator."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message  # a `Phrase` kept whole


@dataclass(frozen=True)
class Step:
    """From `at` (local wall time) the lights burn at `level` % (0: switched off for the rest)."""

    at: time
    level: int


@dataclass(frozen=True)
class ScheduleSpec:
    """A switching schedule as data: which sun events switch, with what offset, and the dimming steps."""

    on_event: OnEvent = "civil_dusk"
    on_offset_minutes: int = 0
    off_event: OffEvent = "civil_dawn"
    off_offset_minutes: int = 0
    initial_level: int = 100
    steps: tuple[Step, ...] = ()
    holiday_level: int = 100  # on public holidays the whole night at this level (no dimming)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ScheduleSpec:
        """A spec from stored JSON, checked; ScheduleError explains what is wrong."""
        steps = tuple(_step(raw, i) for i, raw in enumerate(data.get("steps") or []))
        spec = cls(
            on_event=data.get("on_event", "civil_dusk"),
            on_offset_minutes=int(data.get("on_offset_minutes", 0)),
            off_event=data.get("off_event", "civil_dawn"),
            off_offset_minutes=int(data.get("off_offset_minutes", 0)),
            initial_level=int(data.get("initial_level", 100)),
            steps=steps,
            holiday_level=int(data.get("holiday_level", 100)),
        )
        spec.check()
        return spec

    def to_data(self) -> dict[str, Any]:
        """The spec as JSON for storage."""
        return {
            "on_event": self.on_event,
            "on_offset_minutes": self.on_offset_minutes,
            "off_event": self.off_event,
            "off_offset_minutes": self.off_offset_minutes,
            "initial_level": self.initial_level,
            "steps": [{"at": s.at.strftime("%H:%M"), "level": s.level} for s in self.steps],
            "holiday_level": self.holiday_level,
        }

    def check(self) -> None:
        """Raise ScheduleError when the schedule contradicts itself."""
        if self.on_event not in ("civil_dusk", "sunset"):
            raise ScheduleError("on_event", "Giờ bật phải theo hoàng hôn dân dụng hoặc mặt trời lặn.")
        if self.off_event not in ("civil_dawn", "sunrise"):
            raise ScheduleError("off_event", "Giờ tắt phải theo bình minh dân dụng hoặc mặt trời mọc.")
        for name in ("on_offset_minutes", "off_offset_minutes"):
            if abs(getattr(self, name)) > MAX_OFFSET_MINUTES:
                raise ScheduleError(
                    name,
                    Phrase("Độ lệch so với giờ mặt trời tối đa {minutes} phút.", minutes=MAX_OFFSET_MINUTES),
                )
        for name in ("initial_level", "holiday_level"):
            if not 1 <= getattr(self, name) <= 100:
                raise ScheduleError(name, "Mức sáng phải từ 1 đến 100 %.")
        ordered = sorted(self.steps, key=_night_order)
        seen = [s.at for s in ordered]
        if len(set(seen)) != len(seen):
            raise ScheduleError("steps", "Hai bước điều chỉnh độ sáng trùng giờ: mỗi giờ chỉ một mức.")
        if any(not 0 <= s.level <= 100 for s in ordered):
            raise ScheduleError("steps", "Mức sáng của mỗi bước phải từ 0 (tắt) đến 100 %.")
        for before, after in itertools.pairwise(ordered):
            if before.level == 0 and after.level > 0:
                raise ScheduleError(
                    "steps",
                    Phrase(
                        "Bước {after} bật lại đèn sau khi bước {before} đã tắt: "
                        "lịch không bật lại trong đêm, hãy dùng mức thấp thay vì tắt.",
                        after=f"{after.at:%H:%M}",
                        before=f"{before.at:%H:%M}",
                    ),
                )


def _step(raw: Any, index: int) -> Step:
    if not isinstance(raw, dict) or not isinstance(raw.get("at"), str) or not TIME_PATTERN.match(raw["at"]):
        raise ScheduleError(
            "steps", Phrase("Bước {step}: giờ phải viết dạng HH:MM (ví dụ 23:00).", step=index + 1)
        )
    level = raw.get("level")
    if isinstance(level, bool) or not isinstance(level, int):
        raise ScheduleError(
            "steps", Phrase("Bước {step}: mức sáng phải là số nguyên từ 0 đến 100.", step=index + 1)
        )
    hours, minutes = (int(x) for x in raw["at"].split(":"))
    return Step(time(hours, minutes), level)


def _night_order(step: Step) -> tuple[int, time]:
    """Evening times come before the small hours of the same night."""
    return (0 if step.at >= NOON else 1, step.at)


@dataclass(frozen=True)
class Exception_:
    """An exception for one night: an operator's override, a city event, or a public holiday."""

    kind: Literal["override", "event", "holiday"]
    name: str
    level: int | None = None  # constant level all night; 0 = lights stay off
    on_at: time | None = None  # replaces the computed switch-on time
    off_at: time | None = None  # replaces the computed switch-off time

    def check(self) -> None:
        """Raise ScheduleError when the exception cannot be applied."""
        if self.level is not None and not 0 <= self.level <= 100:
            raise ScheduleError("level", "Mức sáng phải từ 0 (tắt) đến 100 %.")
        if self.on_at is not None and self.off_at is not None and self.on_at < NOON <= self.off_at:
            raise ScheduleError("on_at", "Giờ bật phải vào buổi tối và giờ tắt vào sáng hôm sau.")


PRIORITY = {"override": 0, "event": 1, "holiday": 2}


@dataclass(frozen=True)
class NightPlan:
    """When a group's lights are on during one night, and at which level when."""

    night: date
    on_at: datetime
    off_at: datetime
    sun_on: datetime  # the sun event itself (before the offset)
    sun_off: datetime
    steps: tuple[tuple[datetime, int], ...]  # (from, level), the first at on_at
    reason: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    def level_at(self, moment: datetime) -> int:
        """The level the lights should have at a moment (0 outside the night)."""
        if not self.on_at <= moment < self.off_at:
            return 0
        level = 0
        for start, step_level in self.steps:
            if start <= moment:
                level = step_level
        return level

    @property
    def hours_on(self) -> float:
        """Hours from switch-on to switch-off (including parts dimmed to 0)."""
        return (self.off_at - self.on_at).total_seconds() / 3600


def sun_times(lat: float, lon: float, night: date, zone: ZoneInfo) -> dict[str, datetime]:
    """Sunset and civil dusk of the evening, sunrise and civil dawn of the next morning, in `zone`."""
    observer = Observer(latitude=lat, longitude=lon)
    morning = night + timedelta(days=1)
    return {
        "sunset": sunset(observer, date=night, tzinfo=zone),
        "civil_dusk": dusk(observer, date=night, tzinfo=zone, depression=6),
        "sunrise": sunrise(observer, date=morning, tzinfo=zone),
        "civil_dawn": dawn(observer, date=morning, tzinfo=zone, depression=6),
    }


def in_daylight(lat: float, lon: float, moment: datetime, zone: ZoneInfo) -> bool:
    """Whether `moment` is between civil dawn and civil dusk of its day at the place: no light is needed."""
    observer = Observer(latitude=lat, longitude=lon)
    day = moment.astimezone(zone).date()
    return (
        dawn(observer, date=day, tzinfo=zone, depression=6)
        <= moment
        <= dusk(observer, date=day, tzinfo=zone, depression=6)
    )


@lru_cache(maxsize=16)
def public_holidays(year: int) -> dict[date, str]:
    """Vietnam's public holidays of a year in Vietnamese (lunar ones included: Tết, Giỗ Tổ Hùng Vương)."""
    return dict(holidays.country_holidays("VN", years=year, language="vi").items())


def holiday_of(night: date) -> str | None:
    """The public holiday whose evening this is, if any."""
    return public_holidays(night.year).get(night)


def night_plan(
    spec: ScheduleSpec,
    *,
    lat: float,
    lon: float,
    night: date,
    zone: ZoneInfo,
    exceptions: list[Exception_] | tuple[Exception_, ...] = (),
) -> NightPlan:
    """The plan of one night for a group at (lat, lon): the schedule, unless an exception wins."""
    sun = sun_times(lat, lon, night, zone)
    on_at = sun[spec.on_event] + timedelta(minutes=spec.on_offset_minutes)
    off_at = sun[spec.off_event] + timedelta(minutes=spec.off_offset_minutes)
    chosen = _winning_exception(night, exceptions)
    if chosen is None:
        steps, notes = _scheduled_steps(spec, night, on_at, off_at, zone)
        return NightPlan(
            night, on_at, off_at, sun[spec.on_event], sun[spec.off_event], steps, "Lịch thường", notes
        )
    chosen.check()
    if chosen.on_at is not None:
        on_at = datetime.combine(night, chosen.on_at, zone)
    if chosen.off_at is not None:
        off_at = datetime.combine(night + timedelta(days=1), chosen.off_at, zone)
    level = (
        chosen.level
        if chosen.level is not None
        else (spec.holiday_level if chosen.kind == "holiday" else None)
    )
    if level is None:
        steps, notes = _scheduled_steps(spec, night, on_at, off_at, zone)
    else:
        steps, notes = ((on_at, level),), ()
    labels = {"override": "Điều chỉnh của cán bộ", "event": "Sự kiện", "holiday": "Ngày lễ"}
    reason = f"{labels[chosen.kind]}: {chosen.name}"
    return NightPlan(night, on_at, off_at, sun[spec.on_event], sun[spec.off_event], steps, reason, notes)


def _winning_exception(night: date, exceptions: Any) -> Exception_ | None:
    found = list(exceptions)
    holiday = holiday_of(night)
    if holiday:
        found.append(Exception_("holiday", holiday))
    return min(found, key=lambda e: PRIORITY[e.kind]) if found else None


def _scheduled_steps(
    spec: ScheduleSpec, night: date, on_at: datetime, off_at: datetime, zone: ZoneInfo
) -> tuple[tuple[tuple[datetime, int], ...], tuple[str, ...]]:
    steps: list[tuple[datetime, int]] = [(on_at, spec.initial_level)]
    notes = []
    for step in sorted(spec.steps, key=_night_order):
        day = night if step.at >= NOON else night + timedelta(days=1)
        at = datetime.combine(day, step.at, zone)
        if not on_at < at < off_at:
            notes.append(f"Bước {step.at:%H:%M} nằm ngoài thời gian đèn sáng đêm nay nên không áp dụng.")
            continue
        steps.append((at, step.level))
    return tuple(steps), tuple(notes)
