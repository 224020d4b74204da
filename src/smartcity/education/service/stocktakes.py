"""Stocktakes of a school's assets: open one, count items, close it and apply the differences."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, NotFound, ValidationFailed
from smartcity.core.i18n import Phrase
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.education.events import StocktakeClosed
from smartcity.education.models import Asset, AssetMovement, School, Stocktake, StocktakeLine
from smartcity.education.schemas import (
    StocktakeCount,
    StocktakeOpen,
)
from smartcity.education.service.common import (
    CONDITIONS,
    SCHOOL_OFFICE_ROLES,
    dmy,
    require_school_staff,
    school_by_code,
    school_row,
    school_units,
)


def open_stocktake(
    db: Database, *, actor: Actor, settings: Settings, school_code: str, data: StocktakeOpen
) -> int:
    """Open the year's stock-take: one line per item in use, with its book quantity and condition."""
    if data.counted_on > clock.today(settings) or data.counted_on.year != data.year:
        raise ValidationFailed.for_field(
            "counted_on", "Ngày kiểm kê phải thuộc năm kiểm kê và không ở tương lai."
        )
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        school = school_by_code(s, school_code)
        require_school_staff(actor, school, office=True)
        if s.scalar(
            select(Stocktake.id).where(Stocktake.school_id == school.id, Stocktake.year == data.year)
        ):
            raise Conflict(Phrase("Đã có đợt kiểm kê năm {year}.", year=data.year))
        take = Stocktake(
            school_id=school.id, year=data.year, counted_on=data.counted_on, committee=data.committee
        )
        s.add(take)
        s.flush()
        for asset in s.scalars(select(Asset).where(Asset.school_id == school.id, Asset.status == "in_use")):
            s.add(
                StocktakeLine(
                    stocktake_id=take.id,
                    asset_id=asset.id,
                    book_quantity=asset.quantity,
                    book_condition=asset.condition,
                )
            )
        uow.audit("education.stocktake.opened", "school", school_code, after={"year": data.year})
        return take.id


def _open_take(s: Session, actor: Actor, stocktake_id: int) -> tuple[Stocktake, School]:
    take, school = school_row(s, Stocktake, stocktake_id, actor, office=True)
    if take.status != "open":
        raise Conflict("Đợt kiểm kê đã khóa.")
    return take, school


def count_item(db: Database, *, actor: Actor, stocktake_id: int, asset_id: int, data: StocktakeCount) -> None:
    """Record what the committee found for one item."""
    with UnitOfWork(db, actor) as uow:
        _open_take(uow.session, actor, stocktake_id)
        line = uow.session.scalar(
            select(StocktakeLine).where(
                StocktakeLine.stocktake_id == stocktake_id, StocktakeLine.asset_id == asset_id
            )
        )
        if line is None:
            raise NotFound("Tài sản không có trong đợt kiểm kê.")
        line.counted_quantity, line.counted_condition = data.counted_quantity, data.counted_condition
        line.explanation = data.explanation.strip()
        uow.audit(
            "education.stocktake.counted",
            "stocktake",
            stocktake_id,
            after={"asset": asset_id, "counted": data.counted_quantity},
        )


def count_items(db: Database, *, actor: Actor, stocktake_id: int, counts: dict[int, StocktakeCount]) -> int:
    """Record what the committee found for several items at once (the stock-take sheet); returns how many."""
    with UnitOfWork(db, actor) as uow:
        _open_take(uow.session, actor, stocktake_id)
        lines = uow.session.scalars(
            select(StocktakeLine).where(
                StocktakeLine.stocktake_id == stocktake_id, StocktakeLine.asset_id.in_(list(counts))
            )
        )
        done = 0
        for line in lines:
            data = counts[line.asset_id]
            line.counted_quantity, line.counted_condition = data.counted_quantity, data.counted_condition
            line.explanation = data.explanation.strip()
            done += 1
        uow.audit("education.stocktake.counted", "stocktake", stocktake_id, after={"items": done})
        return done


def _differs(line: StocktakeLine) -> bool:
    return line.counted_quantity != line.book_quantity or line.counted_condition != line.book_condition


def close_stocktake(db: Database, *, actor: Actor, stocktake_id: int) -> dict[str, Any]:
    """Apply the count to the register: every item counted, every difference explained, or nothing changes."""
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        take, school = _open_take(s, actor, stocktake_id)
        lines = list(s.scalars(select(StocktakeLine).where(StocktakeLine.stocktake_id == take.id)))
        assets = {
            a.id: a for a in s.scalars(select(Asset).where(Asset.id.in_([ln.asset_id for ln in lines])))
        }
        errors = [
            {
                "field": f"asset {assets[ln.asset_id].code}",
                "message": Phrase("{asset}: chưa kiểm đếm.", asset=assets[ln.asset_id].code),
            }
            for ln in lines
            if ln.counted_quantity is None
        ] + [
            {
                "field": f"asset {assets[ln.asset_id].code}",
                "message": Phrase("{asset}: chưa giải trình chênh lệch.", asset=assets[ln.asset_id].code),
            }
            for ln in lines
            if ln.counted_quantity is not None and _differs(ln) and not ln.explanation
        ]
        if errors:
            raise ValidationFailed("; ".join(e["message"] for e in errors), errors=errors)
        differences, change = 0, 0
        for line in lines:
            if _differs(line):
                differences += 1
                change += _apply(s, take, assets[line.asset_id], line, actor)
        take.status, take.closed_at, take.closed_by = "closed", utcnow(), actor.label
        uow.audit(
            "education.stocktake.closed",
            "stocktake",
            take.id,
            after={"differences": differences, "value_change": change},
        )
        uow.publish(
            StocktakeClosed(
                school_code=school.code,
                year=take.year,
                lines=len(lines),
                differences=differences,
                value_change_vnd=change,
            )
        )
        return {
            "lines": len(lines),
            "differences": differences,
            "value_change_vnd": change,
        }


def _apply(s: Session, take: Stocktake, asset: Asset, line: StocktakeLine, actor: Actor) -> int:
    """Change one item as counted; returns the change in original value."""
    assert line.counted_quantity is not None and line.counted_condition is not None
    delta = line.counted_quantity - asset.quantity
    reference_text = f"Kiểm kê năm {take.year}"
    if delta:
        kind = "stocktake_surplus" if delta > 0 else "stocktake_shortage"
        s.add(
            AssetMovement(
                asset_id=asset.id,
                kind=kind,
                quantity=abs(delta),
                value_vnd=abs(delta) * asset.unit_value_vnd,
                on_date=take.counted_on,
                reason=line.explanation,
                reference=reference_text,
                actor=actor.label,
            )
        )
        asset.quantity = line.counted_quantity
        if asset.quantity == 0:
            asset.status = "missing"
    if line.counted_condition != asset.condition:
        s.add(
            AssetMovement(
                asset_id=asset.id,
                kind="condition",
                quantity=0,
                value_vnd=0,
                on_date=take.counted_on,
                reason=f"{CONDITIONS[asset.condition]} → {CONDITIONS[line.counted_condition]}: "
                + line.explanation,
                reference=reference_text,
                actor=actor.label,
            )
        )
        asset.condition = line.counted_condition
    return delta * asset.unit_value_vnd


def get_stocktake(db: Database, *, actor: Actor, stocktake_id: int) -> dict[str, Any]:
    """A stock-take with its lines: book, counted, difference and explanation (staff of the school)."""
    with db.session() as s:
        take, school = school_row(s, Stocktake, stocktake_id, actor)
        rows = s.execute(
            select(StocktakeLine, Asset)
            .join(Asset, Asset.id == StocktakeLine.asset_id)
            .where(StocktakeLine.stocktake_id == take.id)
            .order_by(Asset.code)
        )
        lines = [
            {
                "asset_id": a.id,
                "code": a.code,
                "name": a.name,
                "book_quantity": ln.book_quantity,
                "counted_quantity": ln.counted_quantity,
                "difference": None if ln.counted_quantity is None else ln.counted_quantity - ln.book_quantity,
                "book_condition_name": CONDITIONS[ln.book_condition],
                "counted_condition": ln.counted_condition or ln.book_condition,
                "counted_condition_name": CONDITIONS[ln.counted_condition] if ln.counted_condition else "—",
                "explanation": ln.explanation,
                "differs": ln.counted_quantity is not None and _differs(ln),
            }
            for ln, a in rows
        ]
        return {
            "id": take.id,
            "school_code": school.code,
            "school_name": school.name,
            "year": take.year,
            "counted_on_text": dmy(take.counted_on),
            "committee": take.committee,
            "status": take.status,
            "status_name": "Đang kiểm kê" if take.status == "open" else "Đã khóa",
            "lines": lines,
            "counted": sum(1 for ln in lines if ln["counted_quantity"] is not None),
        }


def stocktakes(db: Database, *, actor: Actor, school_code: str) -> list[dict[str, Any]]:
    """The school's stock-takes, newest first."""
    with db.session() as s:
        school = school_by_code(s, school_code)
        require_school_staff(actor, school)
        rows = s.scalars(
            select(Stocktake).where(Stocktake.school_id == school.id).order_by(Stocktake.year.desc())
        )
        return [
            {"id": t.id, "year": t.year, "counted_on_text": dmy(t.counted_on), "status": t.status}
            for t in rows
        ]


def count_open_stocktakes(db: Database, *, actor: Actor) -> int:
    """How many stock-takes are open (not yet closed) at the schools whose office the actor is in."""
    offices = school_units(actor, SCHOOL_OFFICE_ROLES)
    query = (
        select(func.count())
        .select_from(Stocktake)
        .join(School, School.id == Stocktake.school_id)
        .where(Stocktake.status == "open", School.org_unit_code.in_(offices))
    )
    with db.session() as s:
        return int(s.scalar(query) or 0)
