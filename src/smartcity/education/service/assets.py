"""Assets: each school's register, value and straight-line depreciation, transfers, write-offs and the
yearly stock-take, whose differences (explained) change the register when it is closed."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import Conflict, ValidationFailed
from smartcity.core.i18n import Phrase
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.education.events import AssetWrittenOff
from smartcity.education.models import Asset, AssetMovement, School
from smartcity.education.schemas import (
    AssetCreate,
    AssetTransfer,
    AssetWriteOff,
)
from smartcity.education.service.common import (
    ASSET_CATEGORIES,
    ASSET_STATUS,
    CONDITIONS,
    SCHOOL_OFFICE_ROLES,
    dmy,
    reference,
    require_school_staff,
    school_by_code,
    school_roles,
    school_row,
)

MOVEMENTS = {
    "received": "Tiếp nhận",
    "transfer_out": "Điều chuyển đi",
    "transfer_in": "Điều chuyển đến",
    "write_off": "Thanh lý",
    "stocktake_shortage": "Thiếu khi kiểm kê",
    "stocktake_surplus": "Thừa khi kiểm kê",
    "condition": "Đánh giá lại tình trạng",
}


def depreciation_classes() -> dict[str, dict[str, Any]]:
    """The depreciation classes by code: useful life in years and yearly rate in percent."""
    return {c["code"]: c for c in reference("depreciation.json")["classes"]}


def depreciation(asset: Asset, on: date) -> dict[str, int]:
    """Original value, depreciation to date and remaining value of an item (all its units).

    Straight line: the yearly rate of its class times the original value, counted by whole months in use
    from the month it was acquired, never beyond the original value. An item whose unit value is below the
    fixed-asset threshold is a tool and is not depreciated.
    """
    data = reference("depreciation.json")
    original = asset.unit_value_vnd * asset.quantity
    if asset.unit_value_vnd < int(data["fixed_asset_threshold_vnd"]) or on < asset.acquired_on:
        return {"original": original, "accumulated": 0, "remaining": original, "yearly": 0}
    rate = float(depreciation_classes()[asset.depreciation_class]["rate"])
    months = (on.year - asset.acquired_on.year) * 12 + on.month - asset.acquired_on.month + 1
    yearly = round(original * rate / 100)
    accumulated = min(original, round(yearly * months / 12))
    return {
        "original": original,
        "accumulated": accumulated,
        "remaining": original - accumulated,
        "yearly": yearly,
    }


def _asset_row(asset: Asset, on: date) -> dict[str, Any]:
    value = depreciation(asset, on)
    klass = depreciation_classes().get(asset.depreciation_class, {})
    return {
        "id": asset.id,
        "code": asset.code,
        "name": asset.name,
        "category_name": ASSET_CATEGORIES[asset.category],
        "class_name": klass.get("name", ""),
        "rate": klass.get("rate"),
        "quantity": asset.quantity,
        "unit_value_vnd": asset.unit_value_vnd,
        "acquired_text": dmy(asset.acquired_on),
        "condition": asset.condition,
        "condition_name": CONDITIONS[asset.condition],
        "status_name": ASSET_STATUS[asset.status],
        "learning_device": asset.learning_device,
        **{f"{k}_vnd": v for k, v in value.items()},
    }


def _check_class(name: str) -> None:
    if name not in depreciation_classes():
        raise ValidationFailed.for_field(
            "depreciation_class", Phrase("Không có nhóm hao mòn «{name}».", name=name)
        )


def _next_code(s: Session, school_id: int) -> str:
    count = s.scalar(select(func.count()).select_from(Asset).where(Asset.school_id == school_id))
    return f"TS-{int(count or 0) + 1:05d}"


def add_asset(
    db: Database, *, actor: Actor, settings: Settings, school_code: str, data: AssetCreate
) -> dict[str, Any]:
    """Receive an item into the school's register (the office)."""
    _check_class(data.depreciation_class)
    if data.acquired_on > clock.today(settings):
        raise ValidationFailed.for_field("acquired_on", "Ngày đưa vào sử dụng không được ở tương lai.")
    with UnitOfWork(db, actor) as uow:
        school = school_by_code(uow.session, school_code)
        require_school_staff(actor, school, office=True)
        asset = _insert(uow.session, school.id, data, actor)
        uow.audit(
            "education.asset.received",
            "asset",
            f"{school_code}/{asset.code}",
            after={"quantity": data.quantity},
        )
        return {"id": asset.id, "code": asset.code}


def _insert(
    s: Session,
    school_id: int,
    data: AssetCreate,
    actor: Actor,
    kind: str = "received",
    other: int | None = None,
    reason: str = "",
) -> Asset:
    asset = Asset(school_id=school_id, code=_next_code(s, school_id), **data.model_dump())
    s.add(asset)
    s.flush()
    s.add(
        AssetMovement(
            asset_id=asset.id,
            kind=kind,
            quantity=data.quantity,
            value_vnd=data.quantity * data.unit_value_vnd,
            on_date=data.acquired_on if kind == "received" else clock.today(),
            other_school_id=other,
            reason=reason,
            actor=actor.label,
        )
    )
    return asset


def list_assets(
    db: Database, *, actor: Actor, school_code: str, on: date | None = None, include_gone: bool = False
) -> list[dict[str, Any]]:
    """The school's register with values and depreciation on a day (staff of the school)."""
    on = on or clock.today(db.settings)
    with db.session() as s:
        school = school_by_code(s, school_code)
        require_school_staff(actor, school)
        query = select(Asset).where(Asset.school_id == school.id)
        if not include_gone:
            query = query.where(Asset.status == "in_use")
        return [_asset_row(a, on) for a in s.scalars(query.order_by(Asset.code))]


def register_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals of a register: items, units, original value, depreciation, remaining value."""
    totals = {k: sum(r[f"{k}_vnd"] for r in rows) for k in ("original", "accumulated", "remaining")}
    return {
        "item_count": len(rows),
        "units": sum(r["quantity"] for r in rows),
        **{f"{k}_vnd": v for k, v in totals.items()},
    }


def _asset_for(s: Session, actor: Actor, asset_id: int) -> tuple[Asset, School]:
    asset, school = school_row(s, Asset, asset_id, actor, office=True)
    if asset.status != "in_use":
        raise Conflict("Tài sản không còn trong sổ.")
    return asset, school


def _take(s: Session, asset: Asset, quantity: int, gone: str, actor: Actor, **movement: Any) -> int:
    """Units leave the register (no more than it holds), the item `gone` once none is left, with the movement
    that says how; returns their original value."""
    if quantity > asset.quantity:
        raise ValidationFailed.for_field(
            "quantity", Phrase("Chỉ còn {quantity} trong sổ.", quantity=asset.quantity)
        )
    asset.quantity -= quantity
    if asset.quantity == 0:
        asset.status = gone
    value = quantity * asset.unit_value_vnd
    s.add(AssetMovement(asset_id=asset.id, quantity=quantity, value_vnd=value, actor=actor.label, **movement))
    return value


def transfer_asset(
    db: Database, *, actor: Actor, settings: Settings, asset_id: int, data: AssetTransfer
) -> dict[str, Any]:
    """Move some or all units of an item to another school's register (the sending school's office)."""
    if data.on_date > clock.today(settings):
        raise ValidationFailed.for_field("on_date", "Ngày điều chuyển không được ở tương lai.")
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        asset, school = _asset_for(s, actor, asset_id)
        target = school_by_code(s, data.to_school)
        if target.id == school.id:
            raise ValidationFailed.for_field("to_school", "Trường nhận phải khác trường giao.")
        value = _take(
            s,
            asset,
            data.quantity,
            "transferred",
            actor,
            kind="transfer_out",
            on_date=data.on_date,
            other_school_id=target.id,
            reason=data.reason,
        )
        moved = AssetCreate(
            name=asset.name,
            category=asset.category,
            depreciation_class=asset.depreciation_class,
            quantity=data.quantity,
            unit_value_vnd=asset.unit_value_vnd,
            acquired_on=asset.acquired_on,
            condition=asset.condition,
            learning_device=asset.learning_device,
        )
        new = _insert(s, target.id, moved, actor, kind="transfer_in", other=school.id, reason=data.reason)
        action = "education.asset.transferred"
        _units_out(uow, action, school, asset, value, data.quantity, "transfer", to=target.code)
        return {"to_code": new.code, "remaining": asset.quantity}


def _units_out(
    uow: UnitOfWork,
    action: str,
    school: School,
    asset: Asset,
    value: int,
    quantity: int,
    reason: str,
    /,
    **after: Any,
) -> None:
    """`quantity` units leave the school's register, transferred or written off: audited (with `after`), and
    told to the others."""
    uow.audit(action, "asset", f"{school.code}/{asset.code}", after={"quantity": quantity, **after})
    event = AssetWrittenOff(
        school_code=school.code, asset_code=asset.code, quantity=quantity, value_vnd=value, reason=reason
    )
    uow.publish(event)


def write_off(
    db: Database, *, actor: Actor, settings: Settings, asset_id: int, data: AssetWriteOff
) -> dict[str, Any]:
    """Write off some or all units of an item by a decision (the office)."""
    if data.on_date > clock.today(settings):
        raise ValidationFailed.for_field("on_date", "Ngày thanh lý không được ở tương lai.")
    with UnitOfWork(db, actor) as uow:
        asset, school = _asset_for(uow.session, actor, asset_id)
        value = _take(
            uow.session,
            asset,
            data.quantity,
            "written_off",
            actor,
            kind="write_off",
            on_date=data.on_date,
            reason=data.reason,
            reference=data.reference,
        )
        action = "education.asset.written_off"
        _units_out(uow, action, school, asset, value, data.quantity, data.reason, reason=data.reason)
        return {"remaining": asset.quantity, "status": asset.status}


def get_asset(db: Database, *, actor: Actor, settings: Settings, asset_id: int) -> dict[str, Any]:
    """One item of the register with its depreciation to date (staff of the school)."""
    with db.session() as s:
        asset, school = school_row(s, Asset, asset_id, actor)
        row = _asset_row(asset, clock.today(settings))
        office = bool(school_roles(actor, school) & set(SCHOOL_OFFICE_ROLES))
        row.update(school_code=school.code, school_name=school.name, office=office)
        row["in_register"] = asset.status == "in_use"
        return row


def movements(db: Database, *, actor: Actor, asset_id: int) -> list[dict[str, Any]]:
    """The history of an item in the register (staff of the school)."""
    with db.session() as s:
        school_row(s, Asset, asset_id, actor)
        rows = s.scalars(
            select(AssetMovement).where(AssetMovement.asset_id == asset_id).order_by(AssetMovement.id)
        )
        return [
            {
                "kind": m.kind,
                "kind_name": MOVEMENTS[m.kind],
                "quantity": m.quantity,
                "value_vnd": m.value_vnd,
                "on_text": dmy(m.on_date),
                "reason": m.reason,
            }
            for m in rows
        ]


# ------------------------------------------------------------------------------------------ stock-take


def devices_by_school(db: Database) -> dict[int, int]:
    """Learning devices in use per school id."""
    with db.session() as s:
        rows = s.execute(
            select(Asset.school_id, func.sum(Asset.quantity))
            .where(Asset.learning_device.is_(True), Asset.status == "in_use")
            .group_by(Asset.school_id)
        )
        return {int(k): int(v or 0) for k, v in rows}
