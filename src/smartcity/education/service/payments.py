"""Online payment of school fees through the platform's payment-provider interface.

The provider is the entry of the platform's one "payment provider" registry (core.registry) named in
SMARTCITY_EDUCATION_PAYMENT_PROVIDER — the one-stop shop registers its SANDBOX gateway (a mock: no money
moves) there. The one-stop shop's service does not offer its payments, so the registry entry is looked up
through core.registry, never by importing the dossiers' modules. The sandbox's hosted page for school fees
is served by this domain (its answer is signed and verified by the same gateway).
Every callback or return is logged with its verdict; forged, replayed or mismatched ones change nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, NotFound, ServiceUnavailable
from smartcity.core.registry import registries
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.education.events import FeePaid
from smartcity.education.models import FeePayment, Invoice, PaymentCallbackLog, School
from smartcity.education.service.common import education_settings
from smartcity.education.service.fees import settle
from smartcity.education.service.students import guardians_of

SIGNATURE_FIELD = "sc_SecureHash"
HOSTED_SANDBOX_PATH = "/thanh-toan/sandbox"  # where the sandbox gateway sends a payer's browser
SCHOOL_SANDBOX_PAGE = "/con-toi/thanh-toan/sandbox"  # this domain's copy of that page, for school fees


def provider(settings: Settings) -> Any:
    """The configured payment provider, from the platform's registry (503 when none is registered)."""
    registry = registries().get("payment provider")
    config = education_settings(settings)
    if registry is None or config.payment_provider not in registry:
        raise ServiceUnavailable(
            f"Cổng thanh toán {config.payment_provider!r} chưa sẵn sàng (chưa được đăng ký trong nền tảng)."
        )
    return registry.create(config.payment_provider, settings, config.payment_merchant)


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
        txn_ref = f"EDU{invoice.id}-{secrets.token_hex(6)}"
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
    url = str(
        gateway.payment_url(
            txn_ref=txn_ref, amount_vnd=outstanding, order_info=f"Thu phi {number}", return_url=return_url
        )
    )
    return _school_page(url)


def _school_page(url: str) -> str:
    """The sandbox's hosted page for school fees is this domain's; a real gateway's URL is kept."""
    parts = urlsplit(url)
    if not parts.netloc and parts.path == HOSTED_SANDBOX_PATH:
        return f"{SCHOOL_SANDBOX_PAGE}?{parts.query}"
    return url


def sandbox_check(settings: Settings, params: dict[str, str]) -> bool:
    """Whether the parameters of the sandbox page carry the gateway's signature."""
    return bool(provider(settings).verify(params))


def sandbox_decision(settings: Settings, params: dict[str, str], *, approve: bool) -> dict[str, str]:
    """The sandbox gateway's signed answer once the payer approves or cancels on its page."""
    gateway = provider(settings)
    if not hasattr(gateway, "complete"):
        raise Conflict("Cổng thanh toán đang dùng không phải cổng thử nghiệm.")
    answer: dict[str, str] = gateway.complete(params, approve=approve)
    return answer


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
