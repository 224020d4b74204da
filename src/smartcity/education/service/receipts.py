"""Receipts (biên lai thu tiền) of school fees as PDF, for the school's staff and the child's parents."""

from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle
from sqlalchemy import select

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import NotFound
from smartcity.core.numbers import money_vnd
from smartcity.core.pdf import build_pdf, sans_fonts, styles
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.education.models import FeePayment, Invoice, School, Student
from smartcity.education.service.common import ward_name
from smartcity.education.service.fees import _student_names
from smartcity.education.service.students import guardians_of


def _receipt_parts(s: Any, actor: Actor, receipt_number: str) -> tuple[FeePayment, Invoice, School, Student]:
    payment = s.scalar(select(FeePayment).where(FeePayment.receipt_number == receipt_number))
    if payment is None or payment.status != "paid":
        raise NotFound("Không có biên lai này.")
    invoice = s.get(Invoice, payment.invoice_id)
    school = s.get(School, payment.school_id)
    student = s.get(Student, invoice.student_id) if invoice else None
    assert invoice is not None and school is not None and student is not None
    staff = actor.kind == "system" or any(unit == school.org_unit_code for _role, unit in actor.roles)
    if not staff and (actor.user_id is None or actor.user_id not in guardians_of(s, student.id)):
        raise NotFound("Không có biên lai này.")
    return payment, invoice, school, student


def receipt_pdf(db: Database, *, actor: Actor, settings: Settings, receipt_number: str) -> bytes:
    """The receipt of one payment as an A4 PDF (the read is audited)."""
    with UnitOfWork(db, actor) as uow:
        payment, invoice, school, student = _receipt_parts(uow.session, actor, receipt_number)
        name, class_name = _student_names(uow.session, settings, [student.id]).get(student.id, ("", ""))
        uow.audit("education.receipt.read", "receipt", receipt_number)
    return build_pdf(
        _flowables(settings, payment, invoice, school, student.code, name, class_name),
        title=f"Biên lai {receipt_number}",
    )


def _flowables(
    settings: Settings,
    payment: FeePayment,
    invoice: Invoice,
    school: School,
    code: str,
    name: str,
    class_name: str,
) -> list[Any]:
    st = styles()
    fonts = sans_fonts()
    paid_at = (
        clock.local(payment.paid_at, settings).strftime("%H:%M ngày %d/%m/%Y") if payment.paid_at else ""
    )
    channel = (
        f"Trực tuyến qua cổng thanh toán ({payment.provider}, mã giao dịch {payment.provider_txn_no or '—'})"
        if payment.channel == "online"
        else f"Nộp tại trường, người thu: {payment.received_by.split(':', 1)[-1]}"
    )
    head = Table(
        [
            [
                Paragraph(
                    f"<b>{school.name.upper()}</b><br/>{school.address}, "
                    + ward_name(school.ward_code, school.ward_on),
                    st["small"],
                ),
                Paragraph(
                    "<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br/>Độc lập – Tự do – Hạnh phúc", st["small"]
                ),
            ]
        ],
        colWidths=[85 * mm, 89 * mm],
    )
    facts = [
        ["Số biên lai", payment.receipt_number or ""],
        ["Thời gian nộp", paid_at],
        ["Người nộp", payment.payer.split(":", 1)[-1]],
        ["Học sinh", f"{name} — mã {code}"],
        ["Lớp", class_name],
        ["Hóa đơn", f"{invoice.number} (tháng {invoice.period[5:]}/{invoice.period[:4]})"],
        ["Hình thức", channel],
    ]
    lines = [["Khoản thu", "Số tiền", "Miễn, giảm", "Phải nộp"]] + [
        [
            Paragraph(line["name"], st["small"]),
            money_vnd(line["amount"]),
            money_vnd(line["reduction"]),
            money_vnd(line["net"]),
        ]
        for line in invoice.lines
    ]
    table = Table(lines, colWidths=[78 * mm, 32 * mm, 32 * mm, 32 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), fonts.regular, 9),
                ("FONT", (0, 0), (-1, 0), fonts.bold, 9),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    fact_table = Table([[k, Paragraph(v, st["body"])] for k, v in facts], colWidths=[40 * mm, 134 * mm])
    fact_table.setStyle(
        TableStyle([("FONT", (0, 0), (0, -1), fonts.bold, 10), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    return [
        head,
        Spacer(1, 6 * mm),
        Paragraph("BIÊN LAI THU TIỀN", st["title"]),
        fact_table,
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 4 * mm),
        Paragraph(f"<b>Số tiền đã nộp: {money_vnd(payment.amount_vnd)}</b>", st["body"]),
        Paragraph(
            f"Còn phải nộp trên hóa đơn: {money_vnd(invoice.total_vnd - invoice.paid_vnd)}", st["body"]
        ),
        Spacer(1, 6 * mm),
        Paragraph(
            "Biên lai điện tử do hệ thống quản lý thu của nhà trường lập; không cần chữ ký tay.", st["small"]
        ),
    ]
