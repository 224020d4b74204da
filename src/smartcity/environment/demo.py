"""Demo stations of Thủ Dầu Một with seven days of hourly air quality and water levels (one past flood)."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.environment import service
from smartcity.environment.schemas import StationCreate
from smartcity.iot import service as iot_service

AIR = (
    ("AQ-TDM-01", "Trạm UBND phường Thủ Dầu Một (Quang Trung)", 106.6528, 10.9803, 1.0),
    ("AQ-TDM-02", "Trạm vòng xoay Ngã Sáu", 106.6581, 10.9776, 1.25),
    ("AQ-TDM-03", "Trạm Đại lộ Bình Dương – Phú Hòa", 106.6705, 10.9903, 1.4),
    ("AQ-TDM-04", "Trạm công viên Phú Cường", 106.6468, 10.9862, 0.8),
)
FLOOD = (
    ("FL-TDM-01", "Chợ Thủ Dầu Một", "Đường Bạch Đằng", 106.6510, 10.9786),
    ("FL-TDM-02", "Ngã tư Huỳnh Văn Lũy – Lê Hồng Phong", "Đường Huỳnh Văn Lũy", 106.6755, 11.0083),
    ("FL-TDM-03", "Khu phố Chánh Nghĩa", "Đường Nguyễn Tri Phương", 106.6592, 10.9688),
)
DAYS = 7
BATCH = 500


def _traffic(hour: float) -> float:
    """Relative traffic of an hour of the day: peaks around 07:30 and 17:30."""
    return 0.35 + math.exp(-((hour - 7.5) ** 2) / 2) + 0.9 * math.exp(-((hour - 17.5) ** 2) / 2.5)


def air_reading(local_hour: float, scale: float, rng: random.Random) -> dict[str, float]:
    """One hour's means at a station: traffic pollutants follow the rush hours, ozone the afternoon sun."""
    traffic = _traffic(local_hour)
    night = 1.25 if local_hour < 6 or local_hour >= 21 else 1.0  # inversion keeps dust low at night
    sun = max(0.0, math.sin(math.pi * (local_hour - 6) / 13)) if 6 <= local_hour <= 19 else 0.0
    pm25 = scale * (16 + 16 * traffic * night) * rng.uniform(0.85, 1.15)
    return {
        "pm25": round(pm25, 1),
        "pm10": round(pm25 * rng.uniform(1.5, 1.9), 1),
        "no2": round(scale * (22 + 38 * traffic) * rng.uniform(0.85, 1.15), 1),
        "o3": round(25 + 95 * sun * rng.uniform(0.85, 1.1), 1),
        "co": round(scale * (900 + 2200 * traffic) * rng.uniform(0.85, 1.15), 0),
        "so2": round(scale * (9 + 8 * traffic) * rng.uniform(0.85, 1.15), 1),
        "temperature": round(24 + 8 * sun + rng.uniform(-0.5, 0.5), 1),
        "relativeHumidity": round(85 - 25 * sun + rng.uniform(-3, 3), 0),
    }


def water_level(moment: datetime, station_index: int, flood_at: datetime, rng: random.Random) -> float:
    """A gauge's level: the drain's usual level with the tide, and one storm on Bạch Đằng three days ago."""
    hours = (moment - flood_at).total_seconds() / 3600
    tide = 6 * math.sin(2 * math.pi * moment.timestamp() / (12.42 * 3600))
    level = -50 + tide + rng.uniform(-1, 1)  # the live simulator continues from the same level
    if station_index == 0 and -1.5 <= hours <= 3:
        storm = 76 * math.exp(-(hours**2) / 1.6)  # peaks about 18 cm on the road at the storm's height
        level += storm
    return round(level, 1)


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Install the demo stations and their last seven days (once); compute their VN_AQI and flood events."""
    if service.list_stations(db):
        return "environment stations already there"
    now = clock.now()
    start = (now - timedelta(days=DAYS)).replace(minute=0, second=0, microsecond=0)
    installed = (start - timedelta(days=30)).date()
    for sid, name, lon, lat, _scale in AIR:
        service.create_station(
            db,
            actor=actor,
            data=StationCreate(
                id=sid, kind="air", name=name, lon=lon, lat=lat, installed_on=installed, tags=["simulate"]
            ),
        )
    for sid, name, street, lon, lat in FLOOD:
        data = StationCreate(
            id=sid,
            kind="flood",
            name=name,
            street=street,
            lon=lon,
            lat=lat,
            installed_on=installed,
            tags=["simulate"],
        )
        service.create_station(db, actor=actor, data=data)
    messages = _history(start, now, settings)
    for i in range(0, len(messages), BATCH):
        iot_service.ingest(db, envelopes=messages[i : i + BATCH], now=now)
    hours = service.compute_hourly(db, now=now, hours=DAYS * 24)
    today = clock.today(settings)
    days = sum(service.compute_daily(db, day=today - timedelta(days=d)) for d in range(DAYS, -1, -1))
    service.check_water_levels(db, now=now, since=start)
    return (
        f"{len(AIR)} air stations, {len(FLOOD)} flood gauges, {len(messages)} messages, "
        f"{hours} hourly and {days} daily VN_AQI"
    )


def _history(start: datetime, now: datetime, settings: Settings) -> list[Any]:
    rng = random.Random(1459)
    messages: list[Any] = []
    flood_at = (now - timedelta(days=3)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )  # 17:00 in the city
    moment = start
    while moment < now - timedelta(minutes=1):
        if moment.minute == 0:
            local_hour = clock.local(moment, settings).hour + 0.5
            for sid, _name, _lon, _lat, scale in AIR:
                at = moment + timedelta(minutes=30)
                if at < now:
                    messages.append(_envelope(sid, at, air_reading(local_hour, scale, rng)))
        for index, (sid, *_rest) in enumerate(FLOOD):
            messages.append(
                _envelope(sid, moment, {"currentLevel": water_level(moment, index, flood_at, rng)})
            )
        moment += timedelta(minutes=15)
    return messages


def _envelope(device_id: str, at: datetime, values: dict[str, Any]) -> Any:
    return iot_service.Envelope(
        payload={"ts": at.astimezone(UTC).isoformat(), "msg_id": f"demo-{at:%Y%m%d%H%M}", "values": values},
        device_id=device_id,
    )
