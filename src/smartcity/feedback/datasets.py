"""Public datasets of citizen feedback: reports per category, ward and month (no report, no person)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, select

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.datasets import Column, Dataset, suppress_small
from smartcity.core.db import Database
from smartcity.feedback.models import Category, Report

RESOLVED = frozenset({"resolved", "closed"})


def report_rows(db: Database, settings: Settings) -> Iterable[dict[str, Any]]:
    """Reports submitted and resolved per month, category and ward (by its name); counts under 5 hidden."""
    received: Counter[tuple[str, str, str]] = Counter()
    resolved: Counter[tuple[str, str, str]] = Counter()
    query = select(Report.submitted_at, Report.category_code, Report.ward_name, Report.status).where(
        Report.status != "merged"
    )
    with db.session() as s:
        names = dict(s.execute(select(Category.code, Category.name)).all())
        for submitted_at, category, ward, status in s.execute(query):
            key = (clock.local(submitted_at, settings).strftime("%Y-%m"), category, ward or "")
            received[key] += 1
            resolved[key] += status in RESOLVED
    for key in sorted(received):
        month, category, ward = key
        yield {
            "month": month,
            "category": names.get(category, category),
            "ward": ward or "Không xác định",
            "reports": suppress_small(received[key]),
            "resolved": suppress_small(resolved[key]),
        }


def report_period(db: Database, settings: Settings) -> tuple[date | None, date | None]:
    """The first and last day on which a report was submitted (city dates)."""
    with db.session() as s:
        first, last = s.execute(select(func.min(Report.submitted_at), func.max(Report.submitted_at))).one()
    return (
        clock.local_date(first, settings) if first else None,
        clock.local_date(last, settings) if last else None,
    )


DATASETS = [
    Dataset(
        name="feedback-reports-monthly",
        title_vi="Phản ánh hiện trường theo lĩnh vực, phường và tháng",
        title_en="Citizen reports by category, ward and month",
        description_vi=(
            "Số phản ánh, kiến nghị của người dân (đường dây nóng 1022, ứng dụng, cổng thông tin) và số đã "
            "xử lý xong, theo lĩnh vực, phường và tháng. Không có nội dung phản ánh hay thông tin cá nhân; "
            "số dưới 5 được ẩn."
        ),
        description_en=(
            "Citizen reports (hotline 1022, app, portal) and those resolved, per category, ward and month. "
            "No report text and no personal data; counts under 5 are suppressed."
        ),
        themes=("GOVE", "SOCI"),
        keywords=("phản ánh", "1022", "kiến nghị", "citizen reports", "hotline"),
        frequency="daily",
        columns=(
            Column("month", "Tháng", "Month"),
            Column("category", "Lĩnh vực", "Category"),
            Column("ward", "Phường", "Ward"),
            Column("reports", "Số phản ánh", "Reports", "integer"),
            Column("resolved", "Số đã xử lý xong", "Resolved", "integer"),
        ),
        rows=report_rows,
        temporal=report_period,
    ),
]
