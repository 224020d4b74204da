"""Night plans: dusk and dawn for the group's place and date, steps, exceptions, contradictions explained."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from smartcity.lighting.schedule import (
    Exception_,
    ScheduleError,
    ScheduleSpec,
    holiday_of,
    night_plan,
)

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
TDM = (10.9804, 106.6537)  # lat, lon


def noaa_event(lat: float, lon: float, day: date, zenith: float, rising: bool) -> datetime:
    """An independent check (NOAA's general solar position formulas, about a minute accurate)."""
    gamma = 2 * math.pi / 365 * (day.timetuple().tm_yday - 1)
    eqtime = 229.18 * (
        0.000075
        + 0.001868 * math.cos(gamma)
        - 0.032077 * math.sin(gamma)
        - 0.014615 * math.cos(2 * gamma)
        - 0.040849 * math.sin(2 * gamma)
    )
    decl = (
        0.006918
        - 0.399912 * math.cos(gamma)
        + 0.070257 * math.sin(gamma)
        - 0.006758 * math.cos(2 * gamma)
        + 0.000907 * math.sin(2 * gamma)
        - 0.002697 * math.cos(3 * gamma)
        + 0.00148 * math.sin(3 * gamma)
    )
    phi = math.radians(lat)
    ha = math.degrees(
        math.acos(
            math.cos(math.radians(zenith)) / (math.cos(phi) * math.cos(decl)) - math.tan(phi) * math.tan(decl)
        )
    )
    minutes = 720 - 4 * (lon + ha if rising else lon - ha) - eqtime
    return datetime.combine(day, time(0), UTC) + timedelta(minutes=minutes)


@pytest.mark.parametrize("night", [date(2026, 12, 5), date(2026, 6, 21), date(2027, 3, 20)])
def test_dusk_and_dawn_for_the_place_and_date(night: date) -> None:
    plan = night_plan(ScheduleSpec(), lat=TDM[0], lon=TDM[1], night=night, zone=ZONE)
    dusk = noaa_event(*TDM, night, 96, rising=False)
    dawn = noaa_event(*TDM, night + timedelta(days=1), 96, rising=True)
    assert abs((plan.on_at - dusk).total_seconds()) < 180
    assert abs((plan.off_at - dawn).total_seconds()) < 180
    assert plan.on_at.tzinfo is not None and plan.on_at.date() == night
    assert 10 < plan.hours_on < 13


def test_known_night_in_thu_dau_mot() -> None:
    # 05/12/2026 at Thủ Dầu Một: civil dusk about 17:52, civil dawn (06/12) about 05:35 (UTC+7)
    plan = night_plan(ScheduleSpec(), lat=TDM[0], lon=TDM[1], night=date(2026, 12, 5), zone=ZONE)
    assert plan.on_at.strftime("%H:%M") in ("17:51", "17:52", "17:53")
    assert plan.off_at.strftime("%d/%m %H:%M") in ("06/12 05:34", "06/12 05:35", "06/12 05:36")


def test_offsets_and_sun_events_per_schedule() -> None:
    spec = ScheduleSpec(on_event="sunset", on_offset_minutes=10, off_event="sunrise", off_offset_minutes=-15)
    plan = night_plan(spec, lat=TDM[0], lon=TDM[1], night=date(2026, 12, 5), zone=ZONE)
    sunset = noaa_event(*TDM, date(2026, 12, 5), 90.833, rising=False)
    assert abs((plan.on_at - (sunset + timedelta(minutes=10))).total_seconds()) < 180
    assert (
        plan.on_at
        < night_plan(ScheduleSpec(), lat=TDM[0], lon=TDM[1], night=date(2026, 12, 5), zone=ZONE).on_at
    )


def test_dimming_steps_by_hour() -> None:
    spec = ScheduleSpec.from_data(
        {"initial_level": 100, "steps": [{"at": "23:00", "level": 60}, {"at": "01:00", "level": 40}]}
    )
    plan = night_plan(spec, lat=TDM[0], lon=TDM[1], night=date(2026, 12, 5), zone=ZONE)
    at = lambda d, h, m: datetime(2026, 12, d, h, m, tzinfo=ZONE)  # noqa: E731
    assert plan.level_at(at(5, 17, 0)) == 0
    assert plan.level_at(at(5, 20, 0)) == 100
    assert plan.level_at(at(5, 23, 30)) == 60
    assert plan.level_at(at(6, 2, 0)) == 40
    assert plan.level_at(at(6, 6, 0)) == 0
    assert plan.reason == "Lịch thường"


def test_lunar_new_year_is_a_holiday_night_without_dimming() -> None:
    # Tết Bính Ngọ: 17/02/2026 is the first day of the lunar year
    assert holiday_of(date(2026, 2, 17)) is not None
    spec = ScheduleSpec.from_data({"steps": [{"at": "23:00", "level": 50}], "holiday_level": 100})
    plan = night_plan(spec, lat=TDM[0], lon=TDM[1], night=date(2026, 2, 17), zone=ZONE)
    assert plan.reason.startswith("Ngày lễ: ")
    assert plan.level_at(datetime(2026, 2, 17, 23, 30, tzinfo=ZONE)) == 100
    # Giỗ Tổ Hùng Vương (10/3 lunar) 2026 falls on 26/04
    assert holiday_of(date(2026, 4, 26)) is not None


def test_override_beats_event_beats_holiday() -> None:
    override = Exception_("override", "Sự cố lưới điện", level=50, off_at=time(4, 0))
    event = Exception_("event", "Lễ hội Trung thu", level=100, on_at=time(17, 30))
    plan = night_plan(
        ScheduleSpec(),
        lat=TDM[0],
        lon=TDM[1],
        night=date(2026, 2, 17),
        zone=ZONE,
        exceptions=[event, override],
    )
    assert plan.reason == "Điều chỉnh của cán bộ: Sự cố lưới điện"
    assert plan.off_at == datetime(2026, 2, 18, 4, 0, tzinfo=ZONE)
    assert plan.level_at(datetime(2026, 2, 17, 21, 0, tzinfo=ZONE)) == 50


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"steps": [{"at": "23:00", "level": 60}, {"at": "23:00", "level": 40}]}, "trùng giờ"),
        ({"steps": [{"at": "23:00", "level": 0}, {"at": "02:00", "level": 40}]}, "bật lại"),
        ({"steps": [{"at": "25:00", "level": 60}]}, "HH:MM"),
        ({"steps": [{"at": "23:00", "level": 160}]}, r"0 \(tắt\) đến 100"),
        ({"on_offset_minutes": 400}, "tối đa"),
        ({"on_event": "noon"}, "hoàng hôn"),
    ],
)
def test_contradictions_are_explained(data: dict, words: str) -> None:
    with pytest.raises(ScheduleError, match=words):
        ScheduleSpec.from_data(data)


def test_step_outside_the_night_is_reported() -> None:
    spec = ScheduleSpec.from_data({"steps": [{"at": "17:00", "level": 60}]})
    plan = night_plan(spec, lat=TDM[0], lon=TDM[1], night=date(2026, 12, 5), zone=ZONE)
    assert any("17:00" in n and "không áp dụng" in n for n in plan.notes)
