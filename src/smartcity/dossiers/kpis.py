"""Indicators the one-stop shop offers the operations centre (contract: smartcity.core.kpis.Indicator)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import select

from smartcity.core import clock
from smartcity.core.db import Database
from smartcity.core.kpis import Indicator, KpiContext, KpiValue, by_ward, per_ward
from smartcity.dossiers import deadlines
from smartcity.dossiers.models import Dossier, DossierRating
from smartcity.dossiers.states import FINISHED

Counts = dict[str, int]


def _counts(db: Database, ctx: KpiContext) -> dict[str | None, Counts]:
    """Counts per ward code (and None for the city) over dossiers submitted in [start, end)."""
    query = select(Dossier).where(Dossier.submitted_at >= ctx.start, Dossier.submitted_at < ctx.end)
    with db.session() as s:
        rated = dict(s.execute(select(DossierRating.dossier_id, DossierRating.overall)).all())
        return by_ward(
            s.scalars(query),
            lambda dossier: dossier.ward_code,
            lambda row, dossier: _count(row, dossier, rated.get(dossier.id), ctx),
            lambda: defaultdict(int),
        )


def _count(row: Counts, dossier: Dossier, rating: int | None, ctx: KpiContext) -> None:
    row["received"] += 1
    row["online"] += dossier.channel == "online"
    row["paid_online"] += bool(dossier.paid_online)
    if dossier.state in FINISHED and dossier.finished_at is not None and dossier.due_date is not None:
        status = deadlines.finished_status(
            dossier.due_date, clock.local_date(dossier.finished_at, ctx.settings)
        )
        row["finished"] += 1
        row["on_time"] += status in ("early", "on_time")
    if rating is not None:
        row["rated"] += 1
        row["satisfied"] += rating >= 2


def _share(numerator: str, denominator: str) -> Callable[[Database, KpiContext], list[KpiValue]]:
    return per_ward(_counts, lambda row: KpiValue.share(row[numerator], row[denominator]), KpiValue(None))


def _total(name: str) -> Callable[[Database, KpiContext], list[KpiValue]]:
    return per_ward(_counts, lambda row: KpiValue(float(row[name])), KpiValue(0.0))


INDICATORS: list[Indicator] = [
    Indicator(
        code="dossiers.on_time_share",
        name_vi="Tỷ lệ hồ sơ giải quyết đúng hạn",
        name_en="Dossiers settled on time",
        unit="%",
        formula_vi="(hồ sơ giải quyết trước hạn + đúng hạn) / hồ sơ đã giải quyết × 100",
        formula_en="(dossiers settled early + on time) / dossiers settled × 100",
        direction="up",
        compute=_share("on_time", "finished"),
        target=98.0,
        thresholds=(90.0, 95.0),
    ),
    Indicator(
        code="dossiers.online_share",
        name_vi="Tỷ lệ hồ sơ nộp trực tuyến",
        name_en="Dossiers submitted online",
        unit="%",
        formula_vi="hồ sơ nộp trực tuyến / hồ sơ tiếp nhận × 100",
        formula_en="dossiers submitted online / dossiers received × 100",
        direction="up",
        compute=_share("online", "received"),
        target=80.0,
        iso_reference="tham khảo ISO 37122:2019, 10.2 (dịch vụ đô thị được yêu cầu trực tuyến)",
        thresholds=(40.0, 60.0),
    ),
    Indicator(
        code="dossiers.satisfied_share",
        name_vi="Tỷ lệ người dân hài lòng với thủ tục hành chính",
        name_en="Citizens satisfied with administrative procedures",
        unit="%",
        formula_vi="đánh giá hài lòng hoặc rất hài lòng / số đánh giá × 100",
        formula_en="ratings “satisfied” or “very satisfied” / all ratings × 100",
        direction="up",
        compute=_share("satisfied", "rated"),
        target=95.0,
        thresholds=(80.0, 90.0),
    ),
    Indicator(
        code="dossiers.received",
        name_vi="Số hồ sơ tiếp nhận",
        name_en="Dossiers received",
        unit="count",
        formula_vi="số hồ sơ nộp trong kỳ",
        formula_en="dossiers submitted in the period",
        direction="up",
        compute=_total("received"),
        accumulates=True,
    ),
    Indicator(
        code="dossiers.paid_online",
        name_vi="Hồ sơ thanh toán phí, lệ phí trực tuyến",
        name_en="Dossiers whose fees were paid online",
        unit="count",
        formula_vi="số hồ sơ nộp trong kỳ đã thanh toán trực tuyến",
        formula_en="dossiers submitted in the period whose fees were paid online",
        direction="up",
        compute=_total("paid_online"),
        accumulates=True,
    ),
]
