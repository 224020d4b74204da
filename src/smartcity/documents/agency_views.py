"""Administrators' pages for the agencies official documents are exchanged with: list, add, edit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from smartcity.core.errors import AppError, NotFound
from smartcity.core.security import Actor
from smartcity.documents import exchange
from smartcity.documents.schemas import AgencyIn
from smartcity.web.deps import get_db, require_page_role
from smartcity.web.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/can-bo/van-ban/co-quan"
FIELD_NAMES = {
    "code": "mã cơ quan",
    "name": "tên cơ quan",
    "endpoint": "địa chỉ trao đổi (http:// hoặc https://)",
}
DONE = {"added": "Đã thêm cơ quan.", "saved": "Đã lưu thông tin cơ quan."}


AdminPage = Annotated[Actor, Depends(require_page_role("admin", refusal="Trang dành cho quản trị viên."))]


def _problem(exc: Exception) -> str:
    """A plain Vietnamese sentence for a refused form."""
    if isinstance(exc, ValidationError):
        fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e["loc"]})
        return "Thông tin chưa hợp lệ: " + ", ".join(FIELD_NAMES.get(f, f) for f in fields) + "."
    if isinstance(exc, AppError) and exc.status == 409:
        return "Mã cơ quan này đã có; hãy sửa cơ quan đó thay vì thêm mới."
    if isinstance(exc, AppError) and exc.status == 403:
        return "Bạn không có quyền thực hiện thao tác này."
    return "Không lưu được thông tin cơ quan."


def _page(
    request: Request,
    *,
    editing: str | None = None,
    values: dict[str, Any] | None = None,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "documents/agencies.html",
        {
            "agencies": exchange.list_agencies(get_db(request)),
            "editing": editing,
            "values": values or {},
            "message": message,
            "error": error,
        },
        status_code=status_code,
    )


@router.get(BASE, response_class=HTMLResponse)
def agencies(request: Request, actor: AdminPage, msg: str = "") -> Response:
    """Every agency documents are exchanged with, and the form to add one."""
    return _page(request, message=DONE.get(msg), values={"active": True})


@router.get(BASE + "/{code}", response_class=HTMLResponse)
def edit_agency(request: Request, code: str, actor: AdminPage) -> Response:
    """The form filled with one agency."""
    found = next((a for a in exchange.list_agencies(get_db(request)) if a.code == code), None)
    if found is None:
        raise NotFound("Không tìm thấy cơ quan.")
    return _page(request, editing=code, values=found.model_dump())


def _form_data(form: Any, code: str | None) -> AgencyIn:
    return AgencyIn(
        code=code if code is not None else str(form.get("code") or "").strip(),
        name=str(form.get("name") or "").strip(),
        endpoint=str(form.get("endpoint") or "").strip(),
        active=form.get("active") == "on",
    )


async def _save(request: Request, actor: Actor, code: str | None) -> Response:
    form = await request.form()
    return await run_in_threadpool(_saved, request, actor, code, form)


def _saved(request: Request, actor: Actor, code: str | None, form: FormData) -> Response:
    """The agency added (no code) or changed, in a worker thread: to the list, or the page with the reason."""
    try:
        data = _form_data(form, code)
        if code is None:
            exchange.add_agency(get_db(request), actor=actor, data=data)
        else:
            exchange.upsert_agency(get_db(request), actor=actor, data=data)
    except (AppError, ValidationError) as exc:
        values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
        values["active"] = form.get("active") == "on"
        status = 409 if isinstance(exc, AppError) and exc.status == 409 else 422
        return _page(request, editing=code, values=values, error=_problem(exc), status_code=status)
    return RedirectResponse(f"{BASE}?msg={'added' if code is None else 'saved'}", status_code=303)


@router.post(BASE, response_class=HTMLResponse)
async def add_agency(request: Request, actor: AdminPage) -> Response:
    """Add an agency; a mistake comes back on the page in Vietnamese with the values kept."""
    return await _save(request, actor, None)


@router.post(BASE + "/{code}", response_class=HTMLResponse)
async def update_agency(request: Request, code: str, actor: AdminPage) -> Response:
    """Change an agency's name, endpoint or whether it is active."""
    return await _save(request, actor, code)
