"""Public datasets of the environment domain: daily VN_AQI of each station, and the stations as a layer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.datasets import Column, Dataset, point_features
from smartcity.core.db import Database
from smartcity.environment import aqi, service


def _daily_rows(db: Database, settings: Settings) -> Iterable[dict[str, Any]]:
    names = {s.id: s.name for s in service.list_stations(db, kind="air")}
    since = clock.today(settings) - timedelta(days=365)
    for row in service.daily_history(db, since=since):
        band = aqi.BANDS_BY_CODE[row.band]
        yield {
            "ngay": row.day.isoformat(),
            "tram": names.get(row.station_id, row.station_id),
            "vn_aqi": row.aqi,
            "muc": band.name_vi,
            "chat_quyet_dinh": aqi.POLLUTANT_LABELS[row.dominant],
        }


def _stations(db: Database, settings: Settings) -> dict[str, Any]:
    latest = service.latest_aqi(db)
    points = []
    for station in service.list_stations(db):
        props: dict[str, Any] = {
            "ten": station.name,
            "loai": "không khí" if station.kind == "air" else "mực nước",
        }
        if station.id in latest:
            props |= {
                "vn_aqi": latest[station.id].aqi,
                "muc": aqi.BANDS_BY_CODE[latest[station.id].band].name_vi,
            }
        points.append((station.lon, station.lat, props))
    return point_features(points)


DATASETS = [
    Dataset(
        name="environment-daily-aqi",
        title_vi="Chỉ số chất lượng không khí (VN_AQI) theo ngày",
        title_en="Daily air quality index (VN_AQI)",
        description_vi="VN_AQI ngày của từng trạm quan trắc (Quyết định 1459/QĐ-TCMT), một năm gần nhất.",
        description_en="Daily VN_AQI of each station (Decision 1459/QĐ-TCMT), last twelve months.",
        themes=("ENVI", "HEAL"),
        keywords=("không khí", "AQI", "VN_AQI", "bụi mịn"),
        frequency="daily",
        columns=(
            Column("ngay", "Ngày", "Day", "date"),
            Column("tram", "Trạm", "Station"),
            Column("vn_aqi", "VN_AQI", "VN_AQI", "integer"),
            Column("muc", "Mức", "Band"),
            Column("chat_quyet_dinh", "Chất quyết định", "Dominant pollutant"),
        ),
        rows=_daily_rows,
        features=_stations,
    )
]
