"""Indicators the one-stop shop offers the operations centre (FIWARE KeyPerformanceIndicator-like dicts)."""

from __future__ import annotations

from typing import Any

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.dossiers.stats import statistics


def _indicator(
    kpi_id: str, name: str, value: float | int | None, unit: str, formula: str, good: str
) -> dict[str, Any]:
    return {
        "id": f"dossiers.{kpi_id}",
        "name": name,
        "kpiValue": value,
        "unit": unit,
        "calculationFormula": formula,
        "calculationFrequency": "hourly",
        "directionOfGood": good,
        "organization": "Bộ phận Một cửa",
        "areaServed": "Thủ Dầu Một",
    }


def indicators(db: Database, *, settings: Settings) -> list[dict[str, Any]]:
    """On-time rate, overdue open dossiers, online share, online payments and satisfaction, all time."""
    rows = statistics(db, settings=settings, by="all")
    total = rows[0] if rows else {}
    return [
        _indicator(
            "on_time_share",
            "Tỷ lệ hồ sơ giải quyết đúng hạn",
            total.get("on_time_share"),
            "ratio",
            "(early + on_time) / finished",
            "up",
        ),
        _indicator(
            "open_overdue",
            "Hồ sơ đang giải quyết quá hạn",
            total.get("open_overdue", 0),
            "count",
            "open dossiers past their due date",
            "down",
        ),
        _indicator(
            "online_share",
            "Tỷ lệ hồ sơ nộp trực tuyến",
            total.get("online_share"),
            "ratio",
            "online / received",
            "up",
        ),
        _indicator(
            "paid_online",
            "Hồ sơ thanh toán trực tuyến",
            total.get("paid_online", 0),
            "count",
            "dossiers whose fees were paid online",
            "up",
        ),
        _indicator(
            "satisfied_share",
            "Tỷ lệ hài lòng",
            total.get("satisfied_share"),
            "ratio",
            "ratings hài lòng or rất hài lòng / ratings",
            "up",
        ),
    ]
