"""Public datasets of the one-stop shop: dossiers received and finished per procedure and month."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, select

from smartcity.core.config import Settings
from smartcity.core.datasets import Column, Dataset, suppress_small
from smartcity.core.db import Database, utcnow
from smartcity.dossiers.models import Dossier
from smartcity.dossiers.service import calendar_for
from smartcity.dossiers.stats import _classify

COUNTERS = ("received", "finished", "on_time")
PROCEDURE_COLUMNS = (
    Column("procedure_code", "Mã thủ tục", "Procedure code"),
    Column("procedure_name", "Tên thủ tục", "Procedure"),
    Column("received", "Số hồ sơ tiếp nhận", "Dossiers received", "integer"),
    Column("finished", "Số hồ sơ đã giải quyết", "Dossiers decided", "integer"),
    Column("on_time_share", "Tỷ lệ đúng hạn", "On-time share", "number"),
)


def _counts(db: Database, settings: Settings, *, monthly: bool) -> dict[tuple[str, str], dict[str, Any]]:
    """Counts per (month, procedure), or per procedure over all time (month ""), of dossiers submitted,
    finished, and finished on time or early."""
    calendar = calendar_for(db, settings)
    today = calendar.local_date(utcnow())
    rows: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    query = select(Dossier).execution_options(yield_per=500)
    with db.session(snapshot=True) as s:  # yield_per: a server-side cursor, which needs a transaction
        for dossier in s.scalars(query):
            month = dossier.submitted_at.astimezone(calendar.zone).strftime("%Y-%m") if monthly else ""
            key = (month, dossier.procedure_code)
            row = rows[key]
            row["name"] = dossier.procedure_name
            row["received"] += 1
            status = _classify(dossier, calendar, today)
            if status in ("early", "on_time", "late"):
                row["finished"] += 1
                row["on_time"] += status != "late"
    return rows


def _row(code: str, counts: dict[str, Any]) -> dict[str, Any]:
    finished = suppress_small(counts["finished"])
    return {
        "procedure_code": code,
        "procedure_name": counts["name"],
        "received": suppress_small(counts["received"]),
        "finished": finished,
        "on_time_share": round(counts["on_time"] / counts["finished"], 4) if finished else None,
    }


def dossier_rows(db: Database, settings: Settings) -> Iterable[dict[str, Any]]:
    """One row per month and procedure; counts under five suppressed, the on-time share only above it."""
    for (month, code), counts in sorted(_counts(db, settings, monthly=True).items()):
        yield {"month": month, **_row(code, counts)}


def procedure_rows(db: Database, settings: Settings) -> Iterable[dict[str, Any]]:
    """One row per procedure over the whole period, with the on-time share of its decided dossiers."""
    for (_month, code), counts in sorted(_counts(db, settings, monthly=False).items()):
        yield _row(code, counts)


def dossier_period(db: Database, settings: Settings) -> tuple[date | None, date | None]:
    """The first and last day on which a dossier was submitted."""
    with db.session() as s:
        first, last = s.execute(select(func.min(Dossier.submitted_at), func.max(Dossier.submitted_at))).one()
    calendar = calendar_for(db, settings)
    return (
        calendar.local_date(first) if first else None,
        calendar.local_date(last) if last else None,
    )


DATASETS = [
    Dataset(
        name="dossiers-monthly",
        title_vi="Hồ sơ thủ tục hành chính theo thủ tục và tháng",
        title_en="Administrative dossiers by procedure and month",
        description_vi=(
            "Số hồ sơ tiếp nhận, số hồ sơ đã giải quyết và tỷ lệ giải quyết đúng hạn (gồm trước hạn) "
            "của Bộ phận Một cửa, theo từng thủ tục và tháng. Số dưới 5 được ẩn."
        ),
        description_en=(
            "Dossiers received, dossiers decided and the share decided on time (or early) at the one-stop "
            "counters, per procedure and month. Counts under 5 are suppressed."
        ),
        themes=("GOVE",),
        keywords=("hồ sơ", "một cửa", "thủ tục hành chính", "đúng hạn", "dossiers", "one-stop shop"),
        frequency="monthly",
        columns=(Column("month", "Tháng", "Month", "string"), *PROCEDURE_COLUMNS),
        rows=dossier_rows,
        temporal=dossier_period,
    ),
    Dataset(
        name="dossiers-on-time",
        title_vi="Tỷ lệ giải quyết hồ sơ đúng hạn theo thủ tục",
        title_en="On-time share of decided dossiers by procedure",
        description_vi=(
            "Với mỗi thủ tục: số hồ sơ tiếp nhận, số đã giải quyết và tỷ lệ giải quyết đúng hạn (gồm trước "
            "hạn) trên toàn bộ thời gian. Số dưới 5 được ẩn."
        ),
        description_en=(
            "For each procedure: dossiers received, dossiers decided and the share decided on time "
            "(or early), over the whole period. Counts under 5 are suppressed."
        ),
        themes=("GOVE",),
        keywords=("hồ sơ", "đúng hạn", "một cửa", "on-time", "dossiers"),
        frequency="daily",
        columns=PROCEDURE_COLUMNS,
        rows=procedure_rows,
        temporal=dossier_period,
    ),
]
