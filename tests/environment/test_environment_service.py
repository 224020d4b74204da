"""Stations compute their VN_AQI from stored telemetry; gauges open, raise and close flood events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smartcity.core.errors import ValidationFailed
from smartcity.core.outbox import OutboxMessage
from smartcity.environment import service
from smartcity.environment.schemas import StationCreate
from tests.environment.conftest import OPERATOR, SYSTEM, hour, send


def _events(db, name: str) -> list[dict]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return [m.payload for m in s.query(OutboxMessage).filter(OutboxMessage.event_type == name)]


def test_hourly_aqi_from_telemetry_with_nowcast(db, settings, station) -> None:  # type: ignore[no-untyped-def]
    station("AQ-1")
    start = hour("2026-11-30 00:00")
    # twelve hours of PM2.5: 20 µg/m³ for hours 0..10, then 40 (two readings each hour, same value)
    for h in range(12):
        pm25 = 40.0 if h == 11 else 20.0
        for minute in (10, 40):
            send(db, "AQ-1", start + timedelta(hours=h, minutes=minute), {"pm25": pm25, "no2": 50.0})
    computed = service.compute_hourly(db, now=start + timedelta(hours=12, minutes=5))
    # hour 0 has no NowCast (needs two of the last three hours): hours 1..11 are rated
    assert computed == 11
    latest = service.latest_aqi(db)["AQ-1"]
    assert latest.hour == start + timedelta(hours=11)
    # NowCast of hour 11: c1 = 40, c2..c12 = 20 -> w* = 0.5, w = 1/2
    # (40 + 20 * (1 - 0.5^11)) / (2 - 0.5^11) = 59.990234375 / 1.99951171875 = 30.0024
    # PM2.5 30.0024 in [25, 50] -> 50 + 2 * 5.0024 = 60.005 -> 60; NO2 50 -> 25; AQI 60
    assert latest.concentrations["pm25"] == pytest.approx(30.0, abs=0.01)
    assert (latest.aqi, latest.band, latest.dominant) == (60, "moderate", "pm25")
    assert service.compute_hourly(db, now=start + timedelta(hours=12, minutes=30)) == 0


def test_aqi_reaches_the_stations_ngsi_ld_entity(db, settings, station, client, act_as) -> None:  # type: ignore[no-untyped-def]
    station("AQ-2")
    start = hour("2026-11-30 00:00")
    for h in range(3):
        send(db, "AQ-2", start + timedelta(hours=h, minutes=30), {"pm10": 100.0})
    service.compute_hourly(db, now=start + timedelta(hours=3))
    act_as(OPERATOR)
    entity = client.get(
        "/ngsi-ld/v1/entities/urn:ngsi-ld:AirQualityObserved:AQ-2", params={"options": "keyValues"}
    ).json()
    # PM10 100 in [50, 150] -> 50 + 0.5 * 50 = 75 (Trung bình)
    assert entity["type"] == "AirQualityObserved"
    assert entity["airQualityIndex"] == 75 and entity["airQualityLevel"] == "moderate"


def test_alert_published_when_the_band_turns_poor(db, settings, station) -> None:  # type: ignore[no-untyped-def]
    station("AQ-3")
    start = hour("2026-11-30 00:00")
    for h in range(4):
        send(db, "AQ-3", start + timedelta(hours=h, minutes=30), {"pm25": 20.0 if h < 2 else 200.0})
    service.compute_hourly(db, now=start + timedelta(hours=4))
    alerts = _events(db, "environment.AirQualityDegraded")
    assert len(alerts) == 1 and alerts[0]["station_id"] == "AQ-3" and alerts[0]["aqi"] > 100


def test_daily_aqi(db, settings, station) -> None:  # type: ignore[no-untyped-def]
    station("AQ-4")
    # the city day 01/12/2026 in Asia/Ho_Chi_Minh starts at 30/11 17:00 UTC
    start = hour("2026-11-30 17:00")
    for h in range(24):
        send(
            db,
            "AQ-4",
            start + timedelta(hours=h, minutes=20),
            {"pm10": 120.0, "so2": 100.0 if h != 5 else 200.0},
        )
    from datetime import date

    assert service.compute_daily(db, day=date(2026, 12, 1)) == 1
    row = service.daily_history(db, station_id="AQ-4", since=date(2026, 12, 1))[0]
    # PM10 mean 120 -> 50 + 0.5 * 70 = 85; SO2 highest hour 200 in [125, 350] -> 50 + 50/225 * 75 = 66.7 -> 67
    assert row.sub_indices == {"pm10": 85, "so2": 67} and row.aqi == 85


def test_flood_gauge_rises_floods_and_recedes(db, settings, station) -> None:  # type: ignore[no-untyped-def]
    station("FL-1", "flood", street="Đường Bạch Đằng", alert_level_cm=-10, danger_level_cm=10)
    start = hour("2026-11-30 08:00")
    levels = [-40, -30, -20, -8, 0, 6, 12, 15, 10, -5, -14, -20]
    for i, level in enumerate(levels):
        send(db, "FL-1", start + timedelta(minutes=5 * i), {"currentLevel": level})
    service.check_water_levels(db, now=start + timedelta(hours=2))
    [event] = service.flood_events(db, station_id="FL-1")
    assert event.state == "receded" and event.peak_cm == 15
    assert event.started_at == start + timedelta(minutes=15)  # -8 cm passed the alert level (-10)
    assert event.flooded_at == start + timedelta(minutes=30)  # 12 cm passed the danger level (10)
    assert event.ended_at == start + timedelta(minutes=55)  # -14 is not below -10 - 5; -20 is
    assert [e["street"] for e in _events(db, "environment.StreetFlooded")] == ["Đường Bạch Đằng"]
    assert (
        len(_events(db, "environment.WaterRising")) == 1 and len(_events(db, "environment.FloodReceded")) == 1
    )
    service.acknowledge_flood(db, actor=OPERATOR, event_id=event.id)


def test_impossible_jump_is_explained_not_alarmed(db, settings, station) -> None:  # type: ignore[no-untyped-def]
    station("FL-2", "flood", alert_level_cm=-10, danger_level_cm=10)
    start = hour("2026-11-30 08:00")
    for i, level in enumerate([-50, 80, -49]):
        send(db, "FL-2", start + timedelta(minutes=i), {"currentLevel": level})
    service.check_water_levels(db, now=start + timedelta(minutes=10))
    assert service.flood_events(db, station_id="FL-2") == []
    [note] = service.quality_notes(db, station_id="FL-2")
    assert "80 cm" in note.message and "cảm biến" in note.message


def test_levels_must_be_in_order(db, settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="danger level"):
        StationCreate(
            id="FL-3", kind="flood", name="x", lon=106.65, lat=10.98, alert_level_cm=20, danger_level_cm=10
        )
    assert ValidationFailed  # the service re-checks defaults (see create_station)
    assert SYSTEM


def test_pm25_above_pm10_is_explained(db, settings, station, client) -> None:  # type: ignore[no-untyped-def]
    station("AQ-9")
    start = hour("2026-11-30 00:00")
    for h in range(3):
        send(
            db,
            "AQ-9",
            start + timedelta(hours=h, minutes=30),
            {"pm25": 60.0 if h == 2 else 20.0, "pm10": 40.0},
        )
    service.compute_hourly(db, now=start + timedelta(hours=3))
    [note] = service.quality_notes(db, station_id="AQ-9")
    assert "PM2.5 (60.0 µg/m³) lớn hơn PM10 (40.0 µg/m³)" in note.message
    assert service.latest_aqi(db)["AQ-9"].hour == start + timedelta(hours=2)  # computed, not silently fixed
    assert "mâu thuẫn" in client.get("/moi-truong/tram/AQ-9").text
