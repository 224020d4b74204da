"""Environment use cases: stations, hourly and daily VN_AQI from the stations' telemetry, flooded streets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartcity.core import clock
from smartcity.core.config import Settings, section_of
from smartcity.core.db import Database, get_or_404
from smartcity.core.errors import Conflict, ValidationFailed
from smartcity.core.i18n import Phrase
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.environment import aqi
from smartcity.environment.config import EnvironmentSettings
from smartcity.environment.events import AirQualityDegraded, FloodReceded, StreetFlooded, WaterRising
from smartcity.environment.models import AqiDaily, AqiHourly, FloodEvent, QualityNote, Station
from smartcity.environment.schemas import AqiRead, StationCreate
from smartcity.iot import service as iot_service
from smartcity.iot.schemas import DeviceCreate

SYSTEM = Actor.system("environment")
HOUR = timedelta(hours=1)
DEVICE_TYPES = {"air": "air_quality", "flood": "flood_sensor"}
# The VN_AQI bands' names by code, in Vietnamese and English (for other domains' pages).
BAND_NAMES = {band.code: (band.name_vi, band.name_en) for band in aqi.BANDS}
LEVEL_KEY = "currentLevel"
# Stations and flood events are run by the operations centre (TDM-IOC), the Natural Resources and Environment
# division (TDM-TNMT) and the people's committees (UBND-: since 2025 the wards run their own streets):
# their operators, or city-wide ones, or admin.
OPERATOR_UNITS = ("TDM-IOC", "TDM-TNMT", "UBND-")
OPERATOR_REFUSAL = (
    "Việc này dành cho cán bộ vận hành của Trung tâm điều hành, Phòng Tài nguyên và Môi trường "
    "và Ủy ban nhân dân thành phố, phường."
)


def _settings(settings: Settings | None) -> EnvironmentSettings:
    return section_of(EnvironmentSettings, settings)


# ---------------------------------------------------------------- stations


def create_station(db: Database, *, actor: Actor, data: StationCreate) -> Station:
    """Install a station: register its IoT device (same id) and keep its place and levels."""
    with db.session() as s:
        if s.get(Station, data.id) is not None:
            raise Conflict(f"station {data.id!r} already exists")
    installed = data.installed_on or clock.today(db.settings)
    device = iot_service.register_device(
        db,
        actor=actor,
        data=DeviceCreate(
            id=data.id,
            type=DEVICE_TYPES[data.kind],
            name=data.name,
            location={"type": "Point", "coordinates": [data.lon, data.lat]},
            installed_on=installed,
            tags=["environment", data.kind, *data.tags],
        ),
    ).device
    with UnitOfWork(db, actor) as uow:
        station = Station(
            id=data.id,
            kind=data.kind,
            name=data.name,
            street=data.street,
            lon=data.lon,
            lat=data.lat,
            ward_code=device.ward_code,
            alert_level_cm=data.alert_level_cm if data.kind == "flood" else None,
            danger_level_cm=data.danger_level_cm if data.kind == "flood" else None,
        )
        if data.kind == "flood":
            env = _settings(db.settings)
            station.alert_level_cm = _default(station.alert_level_cm, env.alert_level_cm)
            station.danger_level_cm = _default(station.danger_level_cm, env.danger_level_cm)
            if station.danger_level_cm <= station.alert_level_cm:
                raise ValidationFailed.for_field("danger_level_cm", "phải cao hơn mức báo động")
        uow.session.add(station)
        uow.audit(
            "create", "environment.station", data.id, after=data.model_dump(mode="json", exclude={"tags"})
        )
    return get_station(db, station_id=data.id)


def _default(value: float | None, default: float) -> float:
    return default if value is None else value


def get_station(db: Database, *, station_id: str) -> Station:
    """One station; 404 if unknown."""
    return db.get_or_404(Station, station_id, Phrase("Không có trạm {station}.", station=repr(station_id)))


def list_stations(db: Database, *, kind: str | None = None) -> list[Station]:
    """Stations by name, optionally of one kind (air, flood)."""
    query = select(Station).order_by(Station.name)
    if kind:
        query = query.where(Station.kind == kind)
    return db.all(query)


# ---------------------------------------------------------------- VN_AQI


def hourly_means(
    db: Database, *, station_id: str, start: datetime, end: datetime
) -> dict[str, dict[datetime, float]]:
    """Each pollutant's hourly means of a station in [start, end): pollutant → hour start → mean."""
    means: dict[str, dict[datetime, float]] = {}
    hours = int((end - start) / HOUR) + 1
    for pollutant in aqi.POLLUTANTS:
        rows = iot_service.aggregates_every(
            db, device_id=station_id, key=pollutant, seconds=3600, start=start, end=end, limit=hours
        )
        means[pollutant] = {r["start"]: r["avg"] for r in rows if r["avg"] is not None}
    return means


def _series(means: dict[str, dict[datetime, float]], hour: datetime, count: int) -> dict[str, list[Any]]:
    """The last `count` hourly means up to `hour`, most recent first."""
    return {p: [values.get(hour - i * HOUR) for i in range(count)] for p, values in means.items()}


def floor_hour(moment: datetime) -> datetime:
    """The start of the hour of a moment (UTC)."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def compute_hourly(
    db: Database,
    *,
    now: datetime | None = None,
    station_ids: Sequence[str] | None = None,
    hours: int | None = None,
) -> int:
    """Compute the VN_AQI of every complete hour not computed yet (up to `hours` or `catch_up_hours` back)."""
    now = now or clock.now()
    env = _settings(db.settings)
    if hours is not None:
        env = env.model_copy(update={"catch_up_hours": hours})
    last_complete = floor_hour(now) - HOUR
    computed = 0
    for station in list_stations(db, kind="air"):
        if station_ids is not None and station.id not in station_ids:
            continue
        computed += _compute_station_hours(db, station, last_complete, env)
    return computed


def _compute_station_hours(db: Database, station: Station, last: datetime, env: EnvironmentSettings) -> int:
    with db.session() as s:
        done = s.scalar(select(func.max(AqiHourly.hour)).where(AqiHourly.station_id == station.id))
    first = last - (env.catch_up_hours - 1) * HOUR
    if done is not None:
        first = max(first, done.astimezone(UTC) + HOUR)
    if first > last:
        return 0
    means = hourly_means(db, station_id=station.id, start=first - 11 * HOUR, end=last + HOUR)
    results: list[tuple[datetime, aqi.AqiResult]] = []
    hour = first
    while hour <= last:
        result = aqi.hourly_aqi(_series(means, hour, aqi.NOWCAST_HOURS))
        if result is not None:
            results.append((hour, result))
        hour += HOUR
    _note_contradictions(db, station, means, first, last)
    if results:
        _store_hourly(db, station, results, env)
    return len(results)


DUST_TOLERANCE = 1.05  # PM2.5 is part of PM10: more than 5 % above it is a measuring fault


def _note_contradictions(
    db: Database, station: Station, means: dict[str, dict[datetime, float]], first: datetime, last: datetime
) -> None:
    """Hours whose PM2.5 exceeds PM10 (impossible: PM2.5 is a part of PM10) are explained, not hidden."""
    notes = []
    for hour, pm25 in sorted(means.get("pm25", {}).items()):
        pm10 = means.get("pm10", {}).get(hour)
        if first <= hour <= last and pm10 is not None and pm25 > pm10 * DUST_TOLERANCE:
            local = clock.local(hour, db.settings)
            notes.append(
                QualityNote(
                    station_id=station.id,
                    at=hour,
                    message=(
                        f"Giờ {local:%H:00 %d/%m/%Y}: PM2.5 ({pm25:.1f} µg/m³) lớn hơn "
                        f"PM10 ({pm10:.1f} µg/m³), điều không thể xảy ra vì PM2.5 là một phần của PM10. "
                        "VN_AQI vẫn tính theo số đo nhận được; cần kiểm tra, hiệu chuẩn thiết bị đo bụi."
                    ),
                    detail={"pm25": round(pm25, 2), "pm10": round(pm10, 2)},
                )
            )
    if notes:
        with UnitOfWork(db, SYSTEM) as uow:
            uow.session.add_all(notes)


def _store_hourly(
    db: Database, station: Station, results: list[tuple[datetime, aqi.AqiResult]], env: EnvironmentSettings
) -> None:
    with UnitOfWork(db, SYSTEM) as uow:
        previous = _latest_hourly(uow.session, station.id)
        for hour, result in results:
            uow.session.add(
                AqiHourly(
                    station_id=station.id,
                    hour=hour,
                    aqi=result.aqi,
                    band=result.band.code,
                    dominant=result.dominant,
                    sub_indices=result.sub_indices,
                    concentrations={k: round(v, 2) for k, v in result.values.items()},
                )
            )
            if result.aqi >= env.alert_aqi and (previous is None or previous < env.alert_aqi):
                uow.publish(_degraded(station, hour, result))
            previous = result.aqi
    _publish_to_device(db, station.id, results)


def _latest_hourly(session: Session, station_id: str) -> int | None:
    row = session.scalars(
        select(AqiHourly).where(AqiHourly.station_id == station_id).order_by(AqiHourly.hour.desc()).limit(1)
    ).first()
    return row.aqi if row else None


def _degraded(station: Station, hour: datetime, result: aqi.AqiResult) -> AirQualityDegraded:
    return AirQualityDegraded(
        station_id=station.id,
        station_name=station.name,
        hour=hour.isoformat(),
        aqi=result.aqi,
        band=result.band.code,
        dominant=result.dominant,
        lon=station.lon,
        lat=station.lat,
        ward_code=station.ward_code,
    )


def _publish_to_device(db: Database, station_id: str, results: list[tuple[datetime, aqi.AqiResult]]) -> None:
    """Write the newest hourly AQI on the station's device, so its AirQualityObserved entity carries it."""
    hour, result = results[-1]
    envelope = iot_service.Envelope(
        payload={
            "ts": (hour + HOUR).isoformat(),
            "msg_id": f"vn-aqi-{hour:%Y%m%d%H}",
            "values": {"airQualityIndex": result.aqi, "airQualityLevel": result.band.code},
        },
        device_id=station_id,
    )
    iot_service.ingest(db, envelopes=[envelope])


def compute_daily(db: Database, *, day: date, station_ids: Sequence[str] | None = None) -> int:
    """Compute (or recompute) the daily VN_AQI of a city calendar day for every air station."""
    env = _settings(db.settings)
    zone = clock.city_zone(db.settings)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    computed = 0
    for station in list_stations(db, kind="air"):
        if station_ids is not None and station.id not in station_ids:
            continue
        means = hourly_means(db, station_id=station.id, start=start - 7 * HOUR, end=start + 24 * HOUR)
        hours = {p: [v.get(start + i * HOUR) for i in range(24)] for p, v in means.items()}
        before = [means["o3"].get(start - (7 - i) * HOUR) for i in range(7)]
        result = aqi.daily_aqi(
            hours,
            o3_before=before,
            min_dust_hours=env.min_dust_hours,
            min_eight_hour=env.min_eight_hour_values,
        )
        if result is not None:
            _store_daily(db, station.id, day, result)
            computed += 1
    return computed


def _store_daily(db: Database, station_id: str, day: date, result: aqi.AqiResult) -> None:
    with UnitOfWork(db, SYSTEM) as uow:
        row = uow.session.get(AqiDaily, (station_id, day)) or AqiDaily(station_id=station_id, day=day)
        row.aqi, row.band, row.dominant = result.aqi, result.band.code, result.dominant
        row.sub_indices = result.sub_indices
        row.concentrations = {k: round(v, 2) for k, v in result.values.items()}
        row.notes = list(result.notes)
        uow.session.add(row)


def latest_aqi(db: Database) -> dict[str, AqiHourly]:
    """The newest hourly AQI of every station that has one."""
    newest = (
        select(AqiHourly.station_id, func.max(AqiHourly.hour).label("hour"))
        .group_by(AqiHourly.station_id)
        .subquery()
    )
    query = select(AqiHourly).join(
        newest, (AqiHourly.station_id == newest.c.station_id) & (AqiHourly.hour == newest.c.hour)
    )
    with db.session() as s:
        return {row.station_id: row for row in s.scalars(query)}


def hourly_history(db: Database, *, station_id: str, since: datetime) -> list[AqiHourly]:
    """A station's hourly AQI since a moment, oldest first."""
    with db.session() as s:
        return list(
            s.scalars(
                select(AqiHourly)
                .where(AqiHourly.station_id == station_id, AqiHourly.hour >= since)
                .order_by(AqiHourly.hour)
            )
        )


def daily_history(db: Database, *, station_id: str | None = None, since: date) -> list[AqiDaily]:
    """Daily AQI since a day, oldest first (one station or all)."""
    query = select(AqiDaily).where(AqiDaily.day >= since).order_by(AqiDaily.day, AqiDaily.station_id)
    if station_id:
        query = query.where(AqiDaily.station_id == station_id)
    return db.all(query)


def aqi_read(row: AqiHourly | AqiDaily) -> AqiRead:
    """An AQI row with its band's name, colour and advice."""
    band = aqi.BANDS_BY_CODE[row.band]
    return AqiRead(
        station_id=row.station_id,
        period="hour" if isinstance(row, AqiHourly) else "day",
        start=row.hour if isinstance(row, AqiHourly) else row.day,
        aqi=row.aqi,
        band=band.code,
        band_name=band.name_vi,
        colour=band.hex,
        dominant=row.dominant,
        sub_indices=row.sub_indices,
        concentrations=row.concentrations,
        advice=band.advice_general_vi,
        advice_sensitive=band.advice_sensitive_vi,
    )


# ---------------------------------------------------------------- water levels and flooding


@dataclass(frozen=True, order=True)
class Reading:
    """One water level at a gauge."""

    at: datetime
    level: float


def check_water_levels(db: Database, *, now: datetime | None = None, since: datetime | None = None) -> int:
    """Read new water levels of every gauge and open, raise or close its flood event; returns changes.

    A gauge read for the first time is read from `since` (default: two hours ago)."""
    env = _settings(db.settings)
    changes = 0
    now = now or clock.now()
    for station in list_stations(db, kind="flood"):
        readings = _new_readings(db, station, now, since or now - 2 * HOUR)
        if readings:
            changes += _follow_water(db, station, readings, env)
    return changes


def _new_readings(db: Database, station: Station, now: datetime, since: datetime) -> list[Reading]:
    start = station.last_reading_at + timedelta(microseconds=1) if station.last_reading_at else since
    rows = iot_service.telemetry(db, device_id=station.id, key=LEVEL_KEY, start=start, end=now, limit=5000)
    return sorted(Reading(r["ts"], float(r["value"])) for r in rows if r["value"] is not None)


def _follow_water(db: Database, station: Station, readings: list[Reading], env: EnvironmentSettings) -> int:
    changes = 0
    with UnitOfWork(db, SYSTEM) as uow:
        row = uow.session.get(Station, station.id)
        assert row is not None
        event = _open_event(uow.session, station.id)
        last = None
        if row.last_reading_at is not None and row.last_level_cm is not None:
            last = Reading(row.last_reading_at, row.last_level_cm)
        for reading in readings:
            if last is not None and not _plausible(uow, row, last, reading, env):
                continue
            event, changed = _step(uow, row, event, reading, env)
            changes += changed
            last = reading
        if last is not None:
            row.last_reading_at, row.last_level_cm = last.at, last.level
    return changes


def _open_event(session: Session, station_id: str) -> FloodEvent | None:
    return session.scalars(
        select(FloodEvent).where(FloodEvent.station_id == station_id, FloodEvent.state != "receded")
    ).first()


def _plausible(
    uow: UnitOfWork, station: Station, last: Reading, reading: Reading, env: EnvironmentSettings
) -> bool:
    minutes = max((reading.at - last.at).total_seconds() / 60, 1 / 60)
    rate = abs(reading.level - last.level) / minutes
    if rate <= env.max_rise_cm_per_minute:
        return True
    uow.session.add(
        QualityNote(
            station_id=station.id,
            at=reading.at,
            message=(
                f"Bỏ qua số đo {reading.level:.0f} cm: thay đổi {reading.level - last.level:+.0f} cm trong "
                f"{minutes:.0f} phút, nhanh hơn mức nước có thể dâng/rút "
                f"({env.max_rise_cm_per_minute:.0f} cm/phút). Cần kiểm tra cảm biến."
            ),
            detail={"level": reading.level, "previous": last.level, "cm_per_minute": round(rate, 1)},
        )
    )
    return False


def _step(
    uow: UnitOfWork, station: Station, event: FloodEvent | None, reading: Reading, env: EnvironmentSettings
) -> tuple[FloodEvent | None, int]:
    alert = _default(station.alert_level_cm, env.alert_level_cm)
    danger = _default(station.danger_level_cm, env.danger_level_cm)
    if event is None:
        if reading.level < alert:
            return None, 0
        event = FloodEvent(
            station_id=station.id, state="rising", started_at=reading.at, peak_cm=reading.level
        )
        uow.session.add(event)
        uow.session.flush()
        uow.publish(
            WaterRising(event.id, station.id, station.street, reading.level, _iso(reading.at), *_xy(station))
        )
    event.peak_cm = max(event.peak_cm, reading.level)
    if event.state == "rising" and reading.level >= danger:
        event.state, event.flooded_at = "flooded", reading.at
        uow.publish(
            StreetFlooded(
                event.id, station.id, station.street, reading.level, _iso(reading.at), *_xy(station)
            )
        )
        return event, 1
    if reading.level < alert - env.recede_margin_cm:
        event.state, event.ended_at = "receded", reading.at
        uow.publish(FloodReceded(event.id, station.id, station.street, event.peak_cm, _iso(reading.at)))
        return None, 1
    return event, 1 if event.started_at == reading.at else 0


def _xy(station: Station) -> tuple[float, float]:
    return station.lon, station.lat


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def flood_events(db: Database, *, station_id: str | None = None, open_only: bool = False) -> list[FloodEvent]:
    """Flood events, newest first."""
    query = select(FloodEvent).order_by(FloodEvent.started_at.desc()).limit(200)
    if station_id:
        query = query.where(FloodEvent.station_id == station_id)
    if open_only:
        query = query.where(FloodEvent.state != "receded")
    return db.all(query)


def acknowledge_flood(db: Database, *, actor: Actor, event_id: int) -> FloodEvent:
    """An operator has seen a flood event (and dispatched whoever needs to go)."""
    with UnitOfWork(db, actor) as uow:
        event = get_or_404(
            uow.session, FloodEvent, event_id, Phrase("Không có sự kiện ngập {event}.", event=event_id)
        )
        if event.acknowledged_at is None:
            event.acknowledged_at, event.acknowledged_by = clock.now(), actor.shown_name
            uow.audit("acknowledge", "environment.flood_event", event_id)
    with db.session() as s:
        found = s.get(FloodEvent, event_id)
    assert found is not None
    return found


def quality_notes(db: Database, *, station_id: str | None = None, limit: int = 50) -> list[QualityNote]:
    """Readings that were left out, and why, newest first."""
    query = select(QualityNote).order_by(QualityNote.at.desc()).limit(limit)
    if station_id:
        query = query.where(QualityNote.station_id == station_id)
    return db.all(query)


def level_history(db: Database, *, station_id: str, since: datetime) -> list[dict[str, Any]]:
    """A gauge's 15-minute mean water levels since a moment, oldest first."""
    return iot_service.aggregates_every(
        db, device_id=station_id, key=LEVEL_KEY, seconds=900, start=since, limit=2000
    )
