"""Online payment of school fees through the platform's payment-provider interface.

The provider is the entry of the one-stop shop's "payment provider" registry named in
SMARTCITY_EDUCATION_PAYMENT_PROVIDER (its SANDBOX gateway in the demo: a mock, no money moves). School fees
are registered as a "payment owner" there (references starting with EDU), so the gateway's callback comes
here whichever page the payer approved on. Every callback or return is logged with its verdict; forged,
replayed or mismatched ones change nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, NotFound, ServiceUnavailable
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.dossiers import service as dossiers_service
from smartcity.education.events import FeePaid
from smartcity.education.models import FeePayment, Invoice, PaymentCallbackLog, School
from smartcity.education.service.common import education_settings
from smartcity.education.service.fees import settle
from smartcity.education.service.students import guardians_of

REFERENCE_PREFIX = "EDU"


def provider(settings: Settings) -> Any:
    """The configured payment provider, from the one-stop shop's registry (503 when none is registered)."""
    config = education_settings(settings)
    if config.payment_provider not in dossiers_service.payment_providers:
        raise ServiceUnavailable(
            f"Cổng thanh toán {config.payment_provider!r} chưa sẵn sàng (chưa được đăng ký trong nền tảng)."
        )
    return dossiers_service.payment_providers.create(
        config.payment_provider, settings, config.payment_merchant
    )


def start_online_payment(
    db: Database, *, actor: Actor, settings: Settings, number: str, return_url: str
) -> str:
    """Open a payment of what is still owed on an invoice, by the child's parent; the URL to pay at."""
    gateway = provider(settings)
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
        txn_ref = f"{REFERENCE_PREFIX}{invoice.id}-{secrets.token_hex(6)}"
        s.add(
            FeePayment(
                invoice_id=invoice.id,
                school_id=invoice.school_id,
                channel="online",
                provider=gateway.name,
                txn_ref=txn_ref,
                amount_vnd=outstanding,
                payer=actor.label,
            )
        )
        uow.audit(
            "education.fee.payment_started",
            "invoice",
            number,
            after={"txn_ref": txn_ref, "amount": outstanding},
        )
    return str(
        gateway.payment_url(
            txn_ref=txn_ref, amount_vnd=outstanding, order_info=f"Thu phi {number}", return_url=return_url
        )
    )


@dataclass(frozen=True)
class Verdict:
    """The outcome of a callback: accepted, duplicate, forged or rejected, with the gateway's code."""

    verdict: str
    response_code: str
    message: str
    invoice_number: str | None = None
    paid: bool = False


def handle_callback(
    db: Database,
    *,
    settings: Settings,
    params: dict[str, str],
    channel: str = "ipn",
    now: datetime | None = None,
) -> Verdict:
    """Verify the provider's callback or return and settle the payment once; every call is logged."""
    gateway = provider(settings)
    if not gateway.verify(params):
        verdict = Verdict("forged", "97", "invalid signature")
    else:
        try:
            verdict = _settle(db, settings, params, gateway.name, now or utcnow())
        except (NotFound, Conflict) as exc:
            verdict = Verdict("rejected", "01" if isinstance(exc, NotFound) else "04", exc.detail)
    _log(db, params, channel, verdict)
    return verdict


def _log(db: Database, params: dict[str, str], channel: str, verdict: Verdict) -> None:
    with UnitOfWork(db, Actor.system("education-payments")) as uow:
        uow.session.add(
            PaymentCallbackLog(
                txn_ref=params.get("sc_TxnRef"),
                channel=channel,
                params=dict(params),
                verdict=verdict.verdict,
                reason=verdict.message[:200],
            )
        )
        if verdict.verdict in ("forged", "rejected"):
            uow.audit(
                "education.payment.callback_refused",
                "payment",
                params.get("sc_TxnRef") or "?",
                after={"verdict": verdict.verdict, "reason": verdict.message, "channel": channel},
            )


def _settle(
    db: Database, settings: Settings, params: dict[str, str], provider_name: str, now: datetime
) -> Verdict:
    with UnitOfWork(db, Actor.system(f"payments:{provider_name}")) as uow:
        s = uow.session
        payment = s.scalar(select(FeePayment).where(FeePayment.txn_ref == params.get("sc_TxnRef", "")))
        if payment is None:
            raise NotFound("unknown transaction")
        invoice = s.get(Invoice, payment.invoice_id)
        school = s.get(School, payment.school_id)
        assert invoice is not None and school is not None
        if str(payment.amount_vnd * 100) != params.get("sc_Amount"):
            raise Conflict("amount does not match the payment")
        if payment.status != "pending":
            return Verdict("duplicate", "02", "already confirmed", invoice.number, payment.status == "paid")
        if params.get("sc_ResponseCode") != "00":
            payment.status = "failed"
            return Verdict("accepted", "00", "declined by the payer", invoice.number)
        if invoice.status != "open" or payment.amount_vnd > invoice.total_vnd - invoice.paid_vnd:
            payment.status = "failed"
            raise Conflict("the invoice no longer owes this amount")
        payment.provider_txn_no = params.get("sc_TransactionNo")
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
        return Verdict("accepted", "00", "confirmed", invoice.number, True)


def _settle_from_gateway(db: Database, settings: Settings, params: dict[str, str], channel: str) -> Verdict:
    return handle_callback(db, settings=settings, params=params, channel=channel)


dossiers_service.payment_owners.add(
    "school fees", dossiers_service.PaymentOwner(prefix=REFERENCE_PREFIX, settle=_settle_from_gateway)
)
