"""Pages for documents that arrived from other agencies: read one, its PDF and attachments, assign a unit."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from smartcity.core.errors import AppError
from smartcity.core.security import Actor
from smartcity.documents import exchange
from smartcity.documents.views_common import (
    StaffPage,
    _problem,
    _verification,
    names,
)
from smartcity.web.deps import get_db
from smartcity.web.responses import pdf_response
from smartcity.web.templating import render

router = APIRouter(include_in_schema=False)  # included in views.router


def _incoming_page(
    request: Request,
    actor: Actor,
    incoming_id: int,
    *,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    db = get_db(request)
    received = exchange.incoming(db, actor=actor, incoming_id=incoming_id)
    pdf = exchange.incoming_pdf(db, actor=actor, incoming_id=incoming_id)
    return render(
        request,
        "documents/incoming.html",
        {
            "doc": received,
            **names(request),
            "report": _verification(request, pdf),
            "attachment_rows": [
                {
                    "attachment": item,
                    "report": _verification(
                        request,
                        exchange.incoming_attachment_pdf(
                            db, actor=actor, incoming_id=incoming_id, attachment_id=item.id
                        )[0],
                    ),
                }
                for item in exchange.incoming_attachments(db, actor=actor, incoming_id=incoming_id)
            ],
            "attachment_base": f"/can-bo/van-ban/den/{incoming_id}/phu-luc",
            "can_attach": False,
            "message": message,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/can-bo/van-ban/den/{incoming_id}", response_class=HTMLResponse)
def incoming_page(request: Request, incoming_id: int, actor: StaffPage) -> Response:
    """A received document: sender, number, our số đến and receipt, and its signatures checked here."""
    try:
        return _incoming_page(request, actor, incoming_id)
    except AppError as exc:
        return render(request, "error.html", {"error": exc}, status_code=exc.status)


@router.post("/can-bo/van-ban/den/{incoming_id}/assign", response_class=HTMLResponse)
async def assign_incoming(request: Request, incoming_id: int, actor: StaffPage) -> Response:
    """Name the handling unit of a received document; a refusal comes back in Vietnamese."""
    form = await request.form()
    try:
        await run_in_threadpool(
            lambda: exchange.assign_handling_unit(
                get_db(request),
                actor=actor,
                incoming_id=incoming_id,
                handling_unit=str(form.get("handling_unit") or ""),
            )
        )
    except AppError as exc:
        text, status = _problem(exc)
        return await run_in_threadpool(
            lambda: _incoming_page(request, actor, incoming_id, error=text, status_code=status)
        )
    return await run_in_threadpool(
        lambda: _incoming_page(request, actor, incoming_id, message="Đã giao đơn vị xử lý.")
    )


@router.get("/can-bo/van-ban/den/{incoming_id}/pdf")
def incoming_pdf(request: Request, incoming_id: int, actor: StaffPage) -> Response:
    """A received document's signed PDF."""
    return pdf_response(
        exchange.incoming_pdf(get_db(request), actor=actor, incoming_id=incoming_id), f"den-{incoming_id}.pdf"
    )


@router.get("/can-bo/van-ban/den/{incoming_id}/phu-luc/{attachment_id}")
def incoming_attachment_pdf(
    request: Request, incoming_id: int, attachment_id: int, actor: StaffPage
) -> Response:
    """An attachment received with a document, as the sender sealed it."""
    pdf, filename = exchange.incoming_attachment_pdf(
        get_db(request), actor=actor, incoming_id=incoming_id, attachment_id=attachment_id
    )
    return pdf_response(pdf, filename)
