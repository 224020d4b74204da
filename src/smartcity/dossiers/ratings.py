"""Satisfaction ratings (đánh giá mức độ hài lòng): three levels, overall and by indicator; summaries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from smartcity.core.db import Database
from smartcity.core.errors import Conflict, NotFound, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.dossiers.events import DossierRated
from smartcity.dossiers.models import Dossier, DossierEvent, DossierRating
from smartcity.dossiers.schemas import RatingIn
from smartcity.dossiers.states import DONE, RETURNED

LEVELS = {1: "Không hài lòng", 2: "Hài lòng", 3: "Rất hài lòng"}
INDICATORS = {
    "processing_time": "Thời gian giải quyết",
    "contacts": "Số lần phải liên hệ",
    "conduct": "Thái độ, tinh thần phục vụ của công chức",
    "guidance": "Hướng dẫn, cung cấp thông tin",
    "publicity": "Công khai thủ tục, phí, lệ phí",
}
GROUPINGS = {
    "unit": DossierRating.unit,
    "procedure": DossierRating.procedure_code,
    "official": DossierRating.official,
    "month": DossierRating.month,
}


def _check(rating: RatingIn) -> None:
    for key, level in rating.indicators.items():
        if key not in INDICATORS:
            raise ValidationFailed.for_field(
                f"indicators.{key}", f"unknown indicator; use {', '.join(INDICATORS)}"
            )
        if level not in LEVELS:
            raise ValidationFailed.for_field(f"indicators.{key}", "1, 2 or 3")


def _official(uow: UnitOfWork, dossier: Dossier) -> str | None:
    """The official who received the dossier (the one citizens meet), else the last one who acted."""
    return dossier.received_by or uow.session.scalar(
        select(DossierEvent.actor)
        .where(DossierEvent.dossier_id == dossier.id)
        .order_by(DossierEvent.id.desc())
    )


def rate(db: Database, *, actor: Actor, code: str, rating: RatingIn) -> dict[str, Any]:
    """The applicant rates a decided or returned dossier, once."""
    _check(rating)
    with UnitOfWork(db, actor) as uow:
        dossier = uow.session.scalar(select(Dossier).where(Dossier.code == code))
        if dossier is None or actor.user_id is None or dossier.applicant_user_id != actor.user_id:
            raise NotFound(f"No dossier {code} of yours")
        if dossier.state not in (DONE, RETURNED):
            raise Conflict("A dossier can be rated once its result is ready", reason="state")
        if uow.session.scalar(select(DossierRating.id).where(DossierRating.dossier_id == dossier.id)):
            raise Conflict("This dossier has already been rated", reason="rated")
        moment = dossier.returned_at or dossier.finished_at or dossier.submitted_at
        row = DossierRating(
            dossier_id=dossier.id,
            procedure_code=dossier.procedure_code,
            unit=dossier.processing_unit,
            official=_official(uow, dossier),
            overall=rating.overall,
            indicators=dict(rating.indicators),
            comment=rating.comment,
            month=moment.strftime("%Y-%m"),
        )
        uow.session.add(row)
        uow.audit("dossier.rated", "dossier", code, after={"overall": rating.overall})
        uow.publish(
            DossierRated(code=code, overall=rating.overall, unit=row.unit, procedure_code=row.procedure_code)
        )
        return {"code": code, "overall": rating.overall, "level": LEVELS[rating.overall]}


def summary(db: Database, *, by: str = "unit") -> list[dict[str, Any]]:
    """Ratings counted by level and grouped by unit, procedure, official or month, best first."""
    column = GROUPINGS.get(by)
    if column is None:
        raise ValidationFailed.for_field("by", f"one of {', '.join(GROUPINGS)}")
    query = select(column, DossierRating.overall, func.count()).group_by(column, DossierRating.overall)
    groups: dict[str, dict[str, Any]] = {}
    with db.session() as s:
        for key, overall, count in s.execute(query):
            group = groups.setdefault(str(key), {"key": str(key), "total": 0, "levels": {1: 0, 2: 0, 3: 0}})
            group["levels"][overall] += count
            group["total"] += count
    for group in groups.values():
        satisfied = group["levels"][2] + group["levels"][3]
        group["satisfied_share"] = round(satisfied / group["total"], 4) if group["total"] else None
    return sorted(groups.values(), key=lambda g: (-(g["satisfied_share"] or 0), g["key"]))
