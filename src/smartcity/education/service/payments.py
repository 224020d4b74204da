"""Online payment of school fees through the one payment flow (`core.payments`), references EDU…: what an
invoice still owes is paid for, and once paid it is settled with a receipt. Provider:
SMARTCITY_EDUCATION_PAYMENT_PROVIDER (the sandbox, a MOCK, in the demo)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import Conflict, NotFound
from smartcity.core.payments import PaymentFlow, payment_owners
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.education.events import FeePaid
from smartcity.education.models import FeePayment, Invoice, PaymentCallbackLog, School
from smartcity.education.service.common import education_settings
from smartcity.education.service.fees import settle
from smartcity.education.service.students import guardians_of


class SchoolFees(PaymentFlow):
    """What is still owed on an invoice, paid by the child's parent."""

    prefix = "EDU"
    payment_model = FeePayment
    callback_model = PaymentCallbackLog
    started_action = "education.fee.payment_started"
    refused_action = "education.payment.callback_refused"
    log_actor = "education-payments"

    def config(self, settings: Settings) -> Any:
        """The education section."""
        return education_settings(settings)

    def subject(self, session: Session, payment: Any) -> str:
        """The invoice's number."""
        return session.get_one(Invoice, payment.invoice_id).number

    def paid(self, uow: UnitOfWork, payment: Any, settings: Settings, now: datetime, provider: str) -> None:
        """The money goes on the invoice with a receipt, if the invoice still owes it."""
        s = uow.session
        invoice, school = s.get_one(Invoice, payment.invoice_id), s.get_one(School, payment.school_id)
        if invoice.status != "open" or payment.amount_vnd > invoice.total_vnd - invoice.paid_vnd:
            payment.status = "failed"
            raise Conflict("the invoice no longer owes this amount")
        settle(s, invoice, payment, school, now, settings)
        s.flush()
        receipt = str(payment.receipt_number)
        uow.audit(
            "education.fee.paid_online",
            "invoice",
            invoice.number,
            after={"amount": payment.amount_vnd, "receipt": receipt},
        )
        uow.publish(
            FeePaid(
                school_code=school.code,
                invoice_number=invoice.number,
                receipt_number=receipt,
                amount_vnd=payment.amount_vnd,
                channel="online",
            )
        )


SCHOOL_FEES = SchoolFees()
payment_owners.add("school fees", SCHOOL_FEES)
handle_callback = SCHOOL_FEES.handle_callback


def start_online_payment(
    db: Database, *, actor: Actor, settings: Settings, number: str, return_url: str
) -> str:
    """Open a payment of what is still owed on an invoice, by the child's parent; the URL to pay at."""
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        invoice = s.scalar(select(Invoice).where(Invoice.number == number))
        if (
            invoice is None
            or actor.user_id is None
            or actor.user_id not in guardians_of(s, invoice.student_id)
        ):
            raise NotFound("Không có hóa đơn này của con bạn.")
        outstanding = invoice.total_vnd - invoice.paid_vnd
        if invoice.status != "open" or outstanding <= 0:
            raise Conflict("Hóa đơn này không còn khoản phải nộp.")
        return SCHOOL_FEES.open(
            uow,
            settings,
            key=invoice.id,
            amount_vnd=outstanding,
            audited=("invoice", number),
            order_info=f"Thu phi {number}",
            return_url=return_url,
            invoice_id=invoice.id,
            school_id=invoice.school_id,
            channel="online",
            payer=actor.label,
        )
