"""Education pages for a school's assets: the register, one asset's history, transfers, stocktakes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from smartcity.core import clock
from smartcity.core.errors import ValidationFailed
from smartcity.education import service
from smartcity.education.schemas import (
    AssetTransfer,
    AssetWriteOff,
    StocktakeCount,
    StocktakeOpen,
)
from smartcity.education.service.common import CONDITIONS
from smartcity.education.views_common import CSRF, _attempt, _back, _page
from smartcity.web.deps import DbDep, PageUserDep, SettingsDep
from smartcity.web.forms import notice, refusal_messages

router = APIRouter()  # included in views.router


@router.get("/can-bo/giao-duc/truong/{code}/tai-san", response_class=HTMLResponse)
def assets(request: Request, db: DbDep, settings: SettingsDep, actor: PageUserDep, code: str) -> Response:
    """The register with depreciation to date, totals, and the stock-takes."""
    rows = service.list_assets(db, actor=actor, school_code=code)
    today = clock.today(settings)
    takes = service.stocktakes(db, actor=actor, school_code=code)
    return _page(
        request,
        "assets.html",
        {
            "school": service.get_school(db, code),
            "assets": rows,
            "totals": service.register_totals(rows),
            "stocktakes": takes,
            "can_open": all(t["year"] != today.year for t in takes),
            "today": today.isoformat(),
            "year": today.year,
            "on_text": service.dmy(today),
            "classes": service.depreciation_classes(),
            "basis": service.reference("depreciation.json")["legal_basis"],
        },
    )


@router.post("/can-bo/giao-duc/truong/{code}/kiem-ke", dependencies=CSRF)
def open_stocktake(
    db: DbDep,
    settings: SettingsDep,
    actor: PageUserDep,
    code: str,
    ngay: Annotated[date, Form(title="Ngày")],
    hoi_dong: Annotated[str, Form(title="Hội đồng kiểm kê", max_length=300)] = "",
) -> Response:
    """Open this year's stock-take."""
    data = StocktakeOpen(year=ngay.year, counted_on=ngay, committee=hoi_dong)
    take_id = service.open_stocktake(db, actor=actor, settings=settings, school_code=code, data=data)
    return RedirectResponse(f"/can-bo/giao-duc/kiem-ke/{take_id}", status_code=303)


@router.get("/can-bo/giao-duc/kiem-ke/{take_id}", response_class=HTMLResponse)
def stocktake(request: Request, db: DbDep, actor: PageUserDep, take_id: int) -> Response:
    """The stock-take sheet: every item with its book quantity, what was found and why they differ."""
    take = service.get_stocktake(db, actor=actor, stocktake_id=take_id)
    errors = [e for e in notice(request, "errors").split("|") if e]
    return _page(request, "stocktake.html", {"take": take, "conditions": CONDITIONS, "errors": errors})


@router.post("/can-bo/giao-duc/kiem-ke/{take_id}", dependencies=CSRF)
async def count(request: Request, db: DbDep, actor: PageUserDep, take_id: int) -> Response:
    """Save the counts of the sheet (each row: quantity, condition, explanation)."""
    form = await request.form()
    take = await run_in_threadpool(lambda: service.get_stocktake(db, actor=actor, stocktake_id=take_id))
    counts: dict[int, StocktakeCount] = {}
    for line in take["lines"]:
        key = str(line["asset_id"])
        quantity = str(form.get(f"qty_{key}", "")).strip()
        condition = str(form.get(f"cond_{key}", line["counted_condition"]))
        if not quantity.isdigit() or condition not in CONDITIONS:
            continue
        counts[line["asset_id"]] = StocktakeCount(
            counted_quantity=int(quantity),
            counted_condition=condition,
            explanation=str(form.get(f"note_{key}", "")),
        )
    await run_in_threadpool(lambda: service.count_items(db, actor=actor, stocktake_id=take_id, counts=counts))
    if form.get("action") == "close":
        try:
            await run_in_threadpool(lambda: service.close_stocktake(db, actor=actor, stocktake_id=take_id))
        except ValidationFailed as exc:
            problems = "|".join(refusal_messages(exc)[:30])
            return _back(request, f"/can-bo/giao-duc/kiem-ke/{take_id}", errors=problems)
        return RedirectResponse(
            f"/can-bo/giao-duc/truong/{take['school_code']}/tai-san?msg=closed", status_code=303
        )
    return _back(request, f"/can-bo/giao-duc/kiem-ke/{take_id}", msg="counted")


@router.get("/can-bo/giao-duc/tai-san/{asset_id}", response_class=HTMLResponse)
def asset_page(
    request: Request, db: DbDep, settings: SettingsDep, actor: PageUserDep, asset_id: int
) -> Response:
    """An item of the register: value, history, and the office's transfer and write-off forms."""
    asset = service.get_asset(db, actor=actor, settings=settings, asset_id=asset_id)
    return _page(
        request,
        "asset.html",
        {
            "asset": asset,
            "school": service.get_school(db, asset["school_code"]),
            "history": service.movements(db, actor=actor, asset_id=asset_id),
            "schools": [sc for sc in service.list_schools(db) if sc["code"] != asset["school_code"]],
            "today": clock.today(settings).isoformat(),
            "error": notice(request),
        },
    )


@router.post("/can-bo/giao-duc/tai-san/{asset_id}/dieu-chuyen", dependencies=CSRF)
def move_asset(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    actor: PageUserDep,
    asset_id: int,
    truong_nhan: Annotated[str, Form(title="Trường nhận", max_length=40)],
    so_luong: Annotated[int, Form(title="Số lượng", ge=1, le=1_000_000)],
    ngay: Annotated[date, Form(title="Ngày")],
    ly_do: Annotated[str, Form(title="Lý do", max_length=300)] = "",
) -> Response:
    """Move units of the item to another school's register."""
    url = f"/can-bo/giao-duc/tai-san/{asset_id}"
    if len(ly_do.strip()) < 3:
        return _back(request, url, error="Hãy ghi lý do điều chuyển.")
    move = AssetTransfer(to_school=truong_nhan, quantity=so_luong, on_date=ngay, reason=ly_do.strip())
    return _attempt(
        request,
        url,
        lambda: service.transfer_asset(db, actor=actor, settings=settings, asset_id=asset_id, data=move),
        "asset_moved",
    )


@router.post("/can-bo/giao-duc/tai-san/{asset_id}/thanh-ly", dependencies=CSRF)
def write_off_asset(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    actor: PageUserDep,
    asset_id: int,
    so_luong: Annotated[int, Form(title="Số lượng", ge=1, le=1_000_000)],
    ngay: Annotated[date, Form(title="Ngày")],
    ly_do: Annotated[str, Form(title="Lý do", max_length=300)] = "",
    so_quyet_dinh: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    """Write off units of the item by a decision."""
    url = f"/can-bo/giao-duc/tai-san/{asset_id}"
    if len(ly_do.strip()) < 3:
        return _back(request, url, error="Hãy ghi lý do thanh lý.")
    data = AssetWriteOff(
        quantity=so_luong, on_date=ngay, reason=ly_do.strip(), reference=so_quyet_dinh.strip()
    )
    return _attempt(
        request,
        url,
        lambda: service.write_off(db, actor=actor, settings=settings, asset_id=asset_id, data=data),
        "written_off",
    )
