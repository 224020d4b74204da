"""The parent's education pages in the citizen space: each child's school, fees and receipts, attendance."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcity.core import clock
from smartcity.core.errors import BadRequest
from smartcity.core.i18n import Phrase
from smartcity.education import service
from smartcity.education.service.common import education_settings
from smartcity.education.views_common import CSRF, _page
from smartcity.web.deps import ActorDep, DbDep, PageUserDep, SettingsDep

router = APIRouter()  # included in views.router


@router.get("/con-toi", response_class=HTMLResponse)
def my_children(request: Request, db: DbDep, settings: SettingsDep, actor: PageUserDep) -> Response:
    """The signed-in parent's children at school, with what is owed."""
    children = service.children_of(db, actor=actor, settings=settings)
    for child in children:
        invoices = service.student_invoices(db, actor=actor, code=child["code"])
        owed = sum(i["outstanding_vnd"] for i in invoices if i["status"] == "open")
        child["owed"] = owed
    return _page(request, "children.html", {"children": children})


@router.get("/con-toi/{code}", response_class=HTMLResponse)
def child_page(request: Request, db: DbDep, settings: SettingsDep, actor: PageUserDep, code: str) -> Response:
    """A child's fees (pay online, receipts), attendance of the last days and the class timetable."""
    child = service.get_student(db, actor=actor, settings=settings, code=code)
    days = education_settings(settings).attendance_days_shown
    since = clock.today(settings) - timedelta(days=days)
    attendance = service.student_attendance(db, actor=actor, code=code, since=since)
    invoices = service.student_invoices(db, actor=actor, code=code)
    for invoice in invoices:
        if invoice["status"] == "open":
            invoice["detail"] = service.get_invoice(
                db, actor=actor, settings=settings, number=invoice["number"]
            )
    return _page(
        request,
        "child.html",
        {
            "child": child,
            "invoices": invoices,
            "attendance": attendance,
            "absent": sum(1 for a in attendance if a["status"] in ("excused", "unexcused")),
            "days": days,
            "timetable": service.student_timetable(db, actor=actor, code=code),
            "timetable_grid": service.timetable_grid,
        },
    )


@router.post("/con-toi/hoa-don/{number}/thanh-toan", dependencies=CSRF)
def pay(request: Request, db: DbDep, settings: SettingsDep, actor: PageUserDep, number: str) -> Response:
    """Start paying an invoice online: to the payment provider's page."""
    return_url = str(request.url_for("education_payment_return"))
    url = service.start_online_payment(
        db, actor=actor, settings=settings, number=number, return_url=return_url
    )
    return RedirectResponse(url, status_code=303)


@router.get("/con-toi/thanh-toan/ket-qua", name="education_payment_return")
def payment_return(request: Request, db: DbDep, settings: SettingsDep, actor: ActorDep) -> Response:
    """The browser back from the gateway: verify the signed answer, then show the child's page."""
    verdict = service.handle_callback(
        db, settings=settings, params=dict(request.query_params), channel="return"
    )
    if verdict.subject is None:
        raise BadRequest(Phrase("Kết quả thanh toán không hợp lệ ({why}).", why=verdict.message))
    message = "paid" if verdict.paid else "declined"
    code = service.invoice_student_code(db, verdict.subject)
    return RedirectResponse(f"/con-toi/{code}?msg={message}", status_code=303)


@router.get("/con-toi/bien-lai/{number}.pdf")
def receipt(db: DbDep, settings: SettingsDep, actor: PageUserDep, number: str) -> Response:
    """A receipt as PDF (the child's parent or the school's staff)."""
    pdf = service.receipt_pdf(db, actor=actor, settings=settings, receipt_number=number)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{number}.pdf"'}
    )
