"""Staff pages of official documents: list and search, draft form, document page, sign queue, registers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from smartcity.accounts import service as accounts
from smartcity.core.db import Database
from smartcity.core.errors import AppError, NotFound, ValidationFailed
from smartcity.core.i18n import in_language
from smartcity.core.security import Actor
from smartcity.core.sheets import XLSX_MEDIA_TYPE, xlsx
from smartcity.documents import agency_views, attachments, exchange, incoming_views, kinds, service
from smartcity.documents.api import signing_with
from smartcity.documents.config import get_documents_settings
from smartcity.documents.schemas import DocumentCreate
from smartcity.documents.views_common import (
    STAFF,
    StaffPage,
    _problem,
    _verification,
    names,
)
from smartcity.web.deps import get_db, scoped_link
from smartcity.web.responses import pdf_response
from smartcity.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
router.include_router(agency_views.router)  # first: /co-quan must not be read as a document id
STAFF_LINKS = (
    scoped_link("Văn bản điều hành", "/can-bo/van-ban", STAFF, service.OFFICE_UNITS),
    scoped_link(
        "Văn bản chờ ký, chờ ban hành", "/can-bo/van-ban/cho-ky", ("leader", "clerk"), service.OFFICE_UNITS
    ),
    scoped_link("Sổ văn bản đi", "/can-bo/van-ban/so/di", STAFF, service.OFFICE_UNITS),
    scoped_link("Sổ văn bản đến", "/can-bo/van-ban/so/den", STAFF, service.OFFICE_UNITS),
)
REGISTERS = {"di": "outgoing", "den": "incoming"}  # the registers' page paths (sổ đi, sổ đến) → their names
MOVED = {f"/can-bo/van-ban/so/{name}": f"/can-bo/van-ban/so/{path}" for path, name in REGISTERS.items()}
STATE_NAMES = {
    "draft": "Dự thảo",
    "submitted": "Chờ duyệt",
    "returned": "Bị trả lại",
    "approved": "Chờ ký",
    "signed": "Đã ký, chờ ban hành",
    "issued": "Đã ban hành",
}
ACTION_NAMES = {
    "drafted": "Soạn thảo",
    "submitted": "Trình duyệt",
    "returned": "Trả lại",
    "approved": "Duyệt",
    "signed": "Ký số",
    "issued": "Cấp số, đóng dấu, ban hành",
}
DELIVERY_NAMES = {"pending": "Đang gửi", "delivered": "Đã nhận (có báo nhận)", "failed": "Gửi lỗi"}
ACTIONS: dict[str, Callable[..., Any]] = {
    "submit": service.submit,
    "approve": service.approve,
    "return": service.return_draft,
    "sign": service.sign,
    "issue": service.issue,
    "send": exchange.send_now,
}
DONE = {
    "submit": "Đã trình duyệt.",
    "approve": "Đã duyệt; văn bản chuyển người ký.",
    "return": "Đã trả lại người soạn.",
    "sign": "Đã ký số.",
    "issue": "Đã cấp số, đóng dấu và vào sổ văn bản đi.",
    "send": "Đã gửi văn bản tới cơ quan nhận.",
    "attached": "Đã thêm tài liệu kèm theo.",
    "detached": "Đã gỡ tài liệu kèm theo.",
}


@router.get("/can-bo/van-ban", response_class=HTMLResponse)
def document_list(
    request: Request, actor: StaffPage, q: str = "", state: str = "", page: int = 1
) -> Response:
    """Documents of my offices, searchable with or without diacritics."""
    page = max(page, 1)
    items, total = service.list_documents(
        get_db(request), actor=actor, q=q or None, state=state or None, limit=50, offset=(page - 1) * 50
    )
    return render(
        request,
        "documents/list.html",
        {
            "items": items,
            "total": total,
            "q": q,
            "state": state,
            "page": page,
            "pages": max(1, -(-total // 50)),
            "state_names": STATE_NAMES,
            **names(request),
        },
    )


def _offices(db: Database, actor: Actor) -> list[Any]:
    units = {u for role in STAFF for u in actor.units_for(role)}
    return [u for u in accounts.list_org_units(db) if u.code in units or None in units]


NO_SIGNER = "Vui lòng chọn người ký văn bản."


def _person(full_name: str, username: str) -> str:
    """A person's name in words, never the username."""
    name = full_name.strip()
    return name if name and name != username else "(chưa ghi họ tên)"


def _signer_choices(db: Database, actor: Actor, locale: str = "vi") -> list[dict[str, Any]]:
    """Who may sign, as the service says (`service.signers_for` the offices the author issues from: their
    leaders, then the city's): each with the username as the option's value only (the service's key), and
    in words their name, position and the units they lead (None: the whole city, which the page words)."""
    offices = {unit.code: _unit_name(unit, locale) for unit in _offices(db, actor)}
    position = accounts.role_name(service.SIGNER_ROLE, locale)
    return [
        {
            "username": signer.username,
            "name": _person(signer.full_name, signer.username),
            "position": position,
            "units": [offices[code] if code else None for code in signer.units],
        }
        for signer in service.signers_for(db, offices)
    ]


def _unit_name(unit: Any, locale: str) -> str:
    return in_language(unit.name, unit.name_en, locale)


def _signer_chosen(chosen: Any) -> None:
    """The form's signer was chosen (whether they may sign is the service's to say)."""
    if not chosen:
        raise ValidationFailed.for_field("signer_username", NO_SIGNER)


def _form_page(
    request: Request,
    actor: Actor,
    *,
    values: dict[str, Any],
    error: str | None = None,
    document_id: int | None = None,
    signer_note: str | None = None,
    status_code: int = 200,
) -> Response:
    db = get_db(request)
    return render(
        request,
        "documents/form.html",
        {
            "values": values,
            "error": error,
            "document_id": document_id,
            "types": kinds.document_types(),
            **names(request),
            "offices": _offices(db, actor),
            "signers": _signer_choices(db, actor, request_locale(request)),
            "signer_note": signer_note,
            "agencies": exchange.list_agencies(db),
            **(_attachment_context(request, actor, document_id, editable=True) if document_id else {}),
        },
        status_code=status_code,
    )


def _attachment_context(
    request: Request, actor: Actor, document_id: int, *, editable: bool
) -> dict[str, Any]:
    """What the attachments section shows: each attachment with its seal checked, and the upload form."""
    listed = attachments.list_for(get_db(request), actor=actor, document_id=document_id)
    rows = []
    for item in listed:
        pdf = None
        if item.sealed:
            pdf, _name = attachments.pdf_of(
                get_db(request), actor=actor, document_id=document_id, attachment_id=item.id
            )
        rows.append({"attachment": item, "report": _verification(request, pdf)})
    return {
        "attachment_rows": rows,
        "attachment_base": f"/can-bo/van-ban/{document_id}/phu-luc",
        "attachment_max_mb": get_documents_settings().max_attachment_bytes // (1024 * 1024),
        "can_attach": editable,
        "back": "sua" if request.url.path.endswith("/sua") else "",
    }


def _lines(text: Any) -> list[str]:
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


def _draft_from_form(form: FormData) -> DocumentCreate:
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    values["recipients"] = _lines(values.get("recipients"))
    values["external_agencies"] = [str(v) for v in form.getlist("external_agencies")]
    return DocumentCreate.model_validate(values)


@router.get("/can-bo/van-ban/moi", response_class=HTMLResponse)
def new_document(request: Request, actor: StaffPage) -> Response:
    """The draft form."""
    return _form_page(
        request,
        actor,
        values={"type_code": "QĐ", "signer_title": "Chủ tịch", "signer_authority": "TM. Ủy ban nhân dân"},
    )


@router.post("/can-bo/van-ban/moi", response_class=HTMLResponse)
async def create_document(request: Request, actor: StaffPage) -> Response:
    """Save a new draft; on a mistake the form comes back with the values and the reason."""
    form = await request.form()
    return await run_in_threadpool(_created, request, actor, form)


def _created(request: Request, actor: Actor, form: FormData) -> Response:
    """The new draft saved (in a worker thread): to its page, or the form with the reason."""
    try:
        _signer_chosen(form.get("signer_username"))
        doc = service.create_draft(get_db(request), actor=actor, data=_draft_from_form(form))
    except (AppError, ValidationError) as exc:
        text, status = _problem(exc)
        return _form_page(request, actor, values=_form_values(form), error=text, status_code=status)
    return RedirectResponse(f"/can-bo/van-ban/{doc.id}?msg=saved", status_code=303)


def _form_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values["external_agencies"] = [str(v) for v in form.getlist("external_agencies")]
    return values


@router.get("/can-bo/van-ban/{document_id}/sua", response_class=HTMLResponse)
def edit_document(request: Request, document_id: int, actor: StaffPage) -> Response:
    """The draft form filled with a draft (or a returned document); a signer it names who no longer may sign
    is not offered again, and a note says why."""
    db = get_db(request)
    doc = service.get_document(db, actor=actor, document_id=document_id)
    values = doc.model_dump()
    values["recipients"] = "\n".join(doc.recipients)
    gone = service.may_sign(db, doc.office_code, doc.signer_username) is None
    return _form_page(
        request,
        actor,
        values=values,
        document_id=document_id,
        signer_note=service.SIGNER_NO_LONGER if gone else None,
    )


@router.post("/can-bo/van-ban/{document_id}/sua", response_class=HTMLResponse)
async def update_document(request: Request, document_id: int, actor: StaffPage) -> Response:
    """Save the changed draft."""
    form = await request.form()
    return await run_in_threadpool(_updated, request, actor, document_id, form)


def _updated(request: Request, actor: Actor, document_id: int, form: FormData) -> Response:
    """The changed draft saved (in a worker thread): to its page, or the form with the reason."""
    try:
        _signer_chosen(form.get("signer_username"))
        data = _draft_from_form(form)
        service.update_draft(get_db(request), actor=actor, document_id=document_id, data=data)
    except (AppError, ValidationError) as exc:
        text, status = _problem(exc)
        return _form_page(
            request,
            actor,
            values=_form_values(form),
            error=text,
            document_id=document_id,
            status_code=status,
        )
    return RedirectResponse(f"/can-bo/van-ban/{document_id}?msg=saved", status_code=303)


def _document_page(
    request: Request,
    actor: Actor,
    document_id: int,
    *,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    db = get_db(request)
    doc = service.get_document(db, actor=actor, document_id=document_id)
    deliveries = exchange.deliveries(db, document_id=document_id)
    office = accounts.get_org_unit(db, doc.office_code)
    locale = request_locale(request)
    pdf = (
        service.document_pdf(db, actor=actor, document_id=document_id)
        if doc.state in ("signed", "issued")
        else None
    )
    return render(
        request,
        "documents/document.html",
        {
            "doc": doc,
            **names(request),
            # as printed in Vietnamese; in English the office's English name where it has one
            "office_name": _unit_name(office, locale) if office and locale == "en" else doc.organisation_name,
            "history": service.history(db, actor=actor, document_id=document_id),
            "deliveries": deliveries,
            "report": _verification(request, pdf),
            "message": message,
            "error": error,
            "state_names": STATE_NAMES,
            "action_names": ACTION_NAMES,
            "delivery_names": DELIVERY_NAMES,
            "agency_names": {a.code: a.name for a in exchange.list_agencies(db)} if deliveries else {},
            "can": _allowed(actor, doc, pending=any(d.status == "pending" for d in deliveries)),
            **_attachment_context(
                request,
                actor,
                document_id,
                editable=doc.state in service.EDITABLE and doc.author == actor.name,
            ),
        },
        status_code=status_code,
    )


def _allowed(actor: Actor, doc: Any, *, pending: bool) -> set[str]:
    """Which buttons to show (the service decides again on every action)."""
    office, allowed = doc.office_code, set()
    if doc.state in ("draft", "returned") and doc.author == actor.name:
        allowed |= {"submit", "edit"}
    if doc.state == "submitted" and (actor.has_role("head", office) or actor.has_role("leader", office)):
        allowed |= {"approve", "return"}
    if doc.state == "approved" and actor.name == doc.signer_username:
        allowed |= {"sign", "return"}
    if doc.state == "signed" and actor.has_role("clerk", office):
        allowed.add("issue")
    if doc.state == "issued" and actor.has_role("clerk", office) and pending:
        allowed.add("send")
    return allowed


@router.get("/can-bo/van-ban/cho-ky", response_class=HTMLResponse)
def sign_queue(request: Request, actor: StaffPage) -> Response:
    """Documents waiting for my signature, and signed ones waiting for my records office."""
    db = get_db(request)
    return render(
        request,
        "documents/queue.html",
        {
            "to_sign": service.sign_queue(db, actor=actor),
            "to_issue": service.issue_queue(db, actor=actor),
            **names(request),
        },
    )


@router.get("/can-bo/van-ban/so/{book}", response_class=HTMLResponse)
def register(
    request: Request,
    book: str,
    actor: StaffPage,
    q: str = "",
    year: str = "",
    format: str = "html",
) -> Response:
    """The outgoing (`di`) or incoming (`den`) register; `format=xlsx` downloads it as a spreadsheet (an
    empty year: all)."""
    register_name = REGISTERS.get(book)
    if register_name is None:
        raise NotFound(f"No register {book}")
    chosen_year = int(year) if year.strip().isdigit() else None
    entries = service.register(
        get_db(request), actor=actor, register_name=register_name, year=chosen_year, q=q or None
    )
    if format == "xlsx":
        return _xlsx(register_name, entries)
    return render(
        request,
        "documents/register.html",
        {"entries": entries, "book": register_name, "q": q, "year": chosen_year or ""},
    )


def _xlsx(register_name: str, entries: list[Any]) -> Response:
    outgoing = register_name == "outgoing"
    heading = ["Số đi" if outgoing else "Số đến", "Ngày vào sổ", "Số, ký hiệu", "Ngày văn bản", "Loại"]
    heading += ["Trích yếu", "Nơi nhận" if outgoing else "Nơi gửi", "Người ký"]
    rows = (
        [
            e.number,
            e.registered_at.date().isoformat(),
            e.number_symbol,
            e.document_date.isoformat(),
            e.type_code,
            e.subject,
            e.counterpart,
            e.signer_name,
        ]
        for e in entries
    )
    content = xlsx([heading, *rows], title="So van ban di" if outgoing else "So van ban den")
    name = "so-van-ban-di.xlsx" if outgoing else "so-van-ban-den.xlsx"
    return Response(
        content,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/can-bo/van-ban/{document_id}", response_class=HTMLResponse)
def document_page(request: Request, document_id: int, actor: StaffPage, msg: str = "") -> Response:
    """A document: its facts, the PDF, signatures and their verification, history, deliveries."""
    try:
        message = "Đã lưu." if msg == "saved" else DONE.get(msg)
        return _document_page(request, actor, document_id, message=message)
    except AppError as exc:
        return render(request, "error.html", {"error": exc}, status_code=exc.status)


@router.get("/can-bo/van-ban/{document_id}/pdf")
def document_pdf(request: Request, document_id: int, actor: StaffPage, preview: bool = False) -> Response:
    """The document's PDF (a layout preview for drafts)."""
    db = get_db(request)
    pdf = (
        service.preview_pdf(db, actor=actor, document_id=document_id)
        if preview
        else service.document_pdf(db, actor=actor, document_id=document_id)
    )
    return pdf_response(pdf, f"van-ban-{document_id}.pdf")


def _back_to(document_id: int, back: Any, msg: str) -> RedirectResponse:
    if back == "sua":  # from the draft form: back to it, the list there shows the change
        return RedirectResponse(f"/can-bo/van-ban/{document_id}/sua#attachments", status_code=303)
    return RedirectResponse(f"/can-bo/van-ban/{document_id}?msg={msg}", status_code=303)


@router.post("/can-bo/van-ban/{document_id}/phu-luc", response_class=HTMLResponse)
async def add_attachment(request: Request, document_id: int, actor: StaffPage) -> Response:
    """Upload a PDF attachment to a draft; a refusal (too big, not a PDF) comes back in Vietnamese."""
    form = await request.form()
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed.for_field("file", "choose a PDF file")
        await run_in_threadpool(
            attachments.add,
            get_db(request),
            actor=actor,
            document_id=document_id,
            filename=upload.filename,
            content=await upload.read(get_documents_settings().max_attachment_bytes + 1),
            content_type=upload.content_type,
        )
    except AppError as exc:
        text, status = _problem(exc)
        return await run_in_threadpool(
            lambda: _document_page(request, actor, document_id, error=text, status_code=status)
        )
    return _back_to(document_id, form.get("back"), "attached")


@router.post("/can-bo/van-ban/{document_id}/phu-luc/{attachment_id}/xoa", response_class=HTMLResponse)
async def remove_attachment(
    request: Request, document_id: int, attachment_id: int, actor: StaffPage
) -> Response:
    """Remove an attachment from a draft."""
    form = await request.form()
    try:
        await run_in_threadpool(
            attachments.remove,
            get_db(request),
            actor=actor,
            document_id=document_id,
            attachment_id=attachment_id,
        )
    except AppError as exc:
        text, status = _problem(exc)
        return await run_in_threadpool(
            lambda: _document_page(request, actor, document_id, error=text, status_code=status)
        )
    return _back_to(document_id, form.get("back"), "detached")


@router.get("/can-bo/van-ban/{document_id}/phu-luc/{attachment_id}")
def attachment_pdf(request: Request, document_id: int, attachment_id: int, actor: StaffPage) -> Response:
    """An attachment's PDF (sealed once the document is issued)."""
    pdf, filename = attachments.pdf_of(
        get_db(request), actor=actor, document_id=document_id, attachment_id=attachment_id
    )
    return pdf_response(pdf, filename)


@router.post("/can-bo/van-ban/{document_id}/{action}", response_class=HTMLResponse)
async def document_action(request: Request, document_id: int, action: str, actor: StaffPage) -> Response:
    """Submit, approve, return, sign, issue or send; refusals come back on the page in Vietnamese."""
    if action not in ACTIONS:
        raise NotFound(f"No action {action}")
    form = await request.form()
    kwargs: dict[str, Any] = {"actor": actor, "document_id": document_id}
    if action in ("submit", "approve", "return"):
        kwargs["comment"] = str(form.get("comment") or "")
    if action in ("sign", "issue", "send"):
        kwargs["signing_with"] = signing_with(request)
    try:
        await run_in_threadpool(ACTIONS[action], get_db(request), **kwargs)
    except AppError as exc:
        text, status = _problem(exc)
        return await run_in_threadpool(
            lambda: _document_page(request, actor, document_id, error=text, status_code=status)
        )
    # Post/redirect/get: reloading the page must not sign or issue again.
    return RedirectResponse(f"/can-bo/van-ban/{document_id}?msg={action}", status_code=303)


router.include_router(incoming_views.router)
