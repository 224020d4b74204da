"""Online payment of dossier fees behind a provider interface, with a sandbox gateway.

`SandboxGateway` is a mock, named as such everywhere: it speaks a signed-redirect protocol of the kind
Vietnamese gateways use (parameters sorted and URL-encoded, signed with HMAC-SHA512; a browser return
URL and a server-to-server callback, both verified). Amounts are in đồng ×100, as such gateways send them.
Forged, replayed or mismatched callbacks are refused and logged; nothing about the dossier changes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlencode

from sqlalchemy import select

from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, NotFound
from smartcity.core.registry import Registry
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.dossiers import workflow
from smartcity.dossiers.config import get_dossier_settings
from smartcity.dossiers.events import DossierPaid, DossierStateChanged
from smartcity.dossiers.models import Dossier, DossierEvent, DossierPayment, PaymentCallback
from smartcity.dossiers.states import PAYMENT

SIGNATURE_FIELD = "sc_SecureHash"
SANDBOX_PAGE = "/thanh-toan/sandbox"


class PaymentProvider(Protocol):
    """What a payment gateway must offer the one-stop shop."""

    name: str

    def payment_url(self, *, txn_ref: str, amount_vnd: int, order_info: str, return_url: str) -> str:
        """Where to send the payer's browser."""
        ...

    def verify(self, params: dict[str, str]) -> bool:
        """True if the parameters carry a valid signature of this gateway."""
        ...


def sign(secret: str, params: dict[str, str]) -> str:
    """HMAC-SHA512 over the sorted, URL-encoded parameters (the signature field excluded)."""
    data = urlencode(sorted((k, v) for k, v in params.items() if k != SIGNATURE_FIELD))
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


@dataclass(frozen=True)
class SandboxGateway:
    """A MOCK gateway for demos and tests (no money moves); its hosted page lives in this application."""

    secret: str
    merchant: str = "TDMONESTOP"
    name: str = "sandbox"

    def payment_url(self, *, txn_ref: str, amount_vnd: int, order_info: str, return_url: str) -> str:
        """The sandbox's hosted payment page with signed parameters."""
        params = {
            "sc_Merchant": self.merchant,
            "sc_TxnRef": txn_ref,
            "sc_Amount": str(amount_vnd * 100),
            "sc_OrderInfo": order_info,
            "sc_ReturnUrl": return_url,
            "sc_CreateDate": utcnow().strftime("%Y%m%d%H%M%S"),
        }
        params[SIGNATURE_FIELD] = sign(self.secret, params)
        return f"{SANDBOX_PAGE}?{urlencode(params)}"

    def verify(self, params: dict[str, str]) -> bool:
        """Constant-time check of the signature."""
        given = params.get(SIGNATURE_FIELD, "")
        return bool(given) and hmac.compare_digest(given, sign(self.secret, params))

    def complete(self, params: dict[str, str], *, approve: bool) -> dict[str, str]:
        """What the gateway sends back (to the return URL and the callback) after the payer decides."""
        if not self.verify(params):
            raise Conflict("The payment request was not signed by this merchant")
        result = {
            "sc_Merchant": self.merchant,
            "sc_TxnRef": params["sc_TxnRef"],
            "sc_Amount": params["sc_Amount"],
            "sc_ResponseCode": "00" if approve else "24",
            "sc_TransactionNo": str(secrets.randbelow(10**9)),
            "sc_PayDate": utcnow().strftime("%Y%m%d%H%M%S"),
        }
        result[SIGNATURE_FIELD] = sign(self.secret, result)
        return result


# Payment providers by name (SMARTCITY_DOSSIERS_PAYMENT_PROVIDER); each is a factory (settings, merchant).
payment_providers: Registry[Callable[[Settings, str], SandboxGateway]] = Registry("payment provider")


@payment_providers.register("sandbox")
def sandbox_gateway(settings: Settings, merchant: str) -> SandboxGateway:
    """The MOCK gateway, keyed from the platform's secret."""
    secret = hmac.new(settings.resolved_secret_key.encode(), b"payment-sandbox", hashlib.sha256).hexdigest()
    return SandboxGateway(secret=secret, merchant=merchant)


def provider_for(settings: Settings) -> SandboxGateway:
    """The configured payment provider (UnknownExtension, 503, for a name nothing registered)."""
    config = get_dossier_settings()
    gateway: SandboxGateway = payment_providers.create(
        config.payment_provider, settings, config.payment_merchant
    )
    return gateway


def start_payment(db: Database, *, actor: Actor, settings: Settings, code: str, return_url: str) -> str:
    """Open a payment for the dossier's unpaid fees; returns the gateway URL for the payer's browser."""
    provider = provider_for(settings)
    with UnitOfWork(db, actor) as uow:
        dossier = uow.session.scalar(select(Dossier).where(Dossier.code == code))
        if dossier is None or actor.user_id is None or dossier.applicant_user_id != actor.user_id:
            raise NotFound(f"No dossier {code} of yours")
        if dossier.state != PAYMENT or dossier.paid_at is not None or dossier.fee_vnd <= 0:
            raise Conflict("This dossier has no fee awaiting payment", reason="state")
        txn_ref = f"{dossier.id}-{secrets.token_hex(6)}"
        uow.session.add(
            DossierPayment(
                dossier_id=dossier.id, txn_ref=txn_ref, provider=provider.name, amount_vnd=dossier.fee_vnd
            )
        )
        uow.audit(
            "dossier.payment_started", "dossier", code, after={"txn_ref": txn_ref, "amount": dossier.fee_vnd}
        )
        amount = dossier.fee_vnd
    return provider.payment_url(
        txn_ref=txn_ref, amount_vnd=amount, order_info=f"Le phi ho so {code}", return_url=return_url
    )


@dataclass(frozen=True)
class CallbackVerdict:
    """The outcome of a callback: accepted, duplicate, forged or rejected; the gateway's response code."""

    verdict: str
    response_code: str
    message: str
    dossier_code: str | None = None


def _log(db: Database, params: dict[str, str], channel: str, verdict: CallbackVerdict) -> CallbackVerdict:
    with UnitOfWork(db, Actor.system("payments")) as uow:
        uow.session.add(
            PaymentCallback(
                txn_ref=params.get("sc_TxnRef"),
                channel=channel,
                params=dict(params),
                verdict=verdict.verdict,
                reason=verdict.message,
            )
        )
        if verdict.verdict in ("forged", "rejected"):
            uow.audit(
                "payment.callback_refused",
                "payment",
                params.get("sc_TxnRef") or "?",
                after={"verdict": verdict.verdict, "reason": verdict.message, "channel": channel},
            )
    return verdict


def handle_callback(
    db: Database,
    *,
    settings: Settings,
    params: dict[str, str],
    channel: str = "ipn",
    now: datetime | None = None,
) -> CallbackVerdict:
    """Verify a callback or return and settle the payment once; every call is logged with its verdict."""
    provider = provider_for(settings)
    if not provider.verify(params):
        return _log(db, params, channel, CallbackVerdict("forged", "97", "invalid signature"))
    try:
        verdict = _settle(db, params, provider.name, now or utcnow())
    except (NotFound, Conflict) as exc:
        verdict = CallbackVerdict("rejected", "01" if isinstance(exc, NotFound) else "04", exc.detail)
    return _log(db, params, channel, verdict)


def _settle(db: Database, params: dict[str, str], provider: str, now: datetime) -> CallbackVerdict:
    with UnitOfWork(db, Actor.system(f"payments:{provider}")) as uow:
        s = uow.session
        payment = s.scalar(
            select(DossierPayment).where(DossierPayment.txn_ref == params.get("sc_TxnRef", ""))
        )
        if payment is None:
            raise NotFound("unknown transaction")
        dossier = s.get(Dossier, payment.dossier_id)
        assert dossier is not None
        if str(payment.amount_vnd * 100) != params.get("sc_Amount"):
            raise Conflict("amount does not match the dossier's fees")
        if payment.status != "pending":
            return CallbackVerdict("duplicate", "02", "already confirmed", dossier.code)
        if params.get("sc_ResponseCode") != "00":
            payment.status, payment.completed_at = "failed", now
            return CallbackVerdict("accepted", "00", "payment declined by the payer", dossier.code)
        payment.status, payment.completed_at = "paid", now
        payment.provider_txn_no = params.get("sc_TransactionNo")
        before = dossier.state
        workflow.mark_paid(dossier, now, online=True)
        s.add(
            DossierEvent(
                dossier_id=dossier.id,
                action="pay",
                from_state=before,
                to_state=dossier.state,
                step=dossier.step,
                actor=f"payments:{provider}",
                unit=None,
                note=None,
                at=now,
            )
        )
        uow.audit(
            "dossier.paid", "dossier", dossier.code, before={"state": before}, after={"state": dossier.state}
        )
        uow.publish(
            DossierPaid(
                code=dossier.code, amount_vnd=payment.amount_vnd, provider=provider, txn_ref=payment.txn_ref
            )
        )
        uow.publish(
            DossierStateChanged(
                code=dossier.code, action="pay", from_state=before, to_state=dossier.state, step=dossier.step
            )
        )
        return CallbackVerdict("accepted", "00", "confirmed", dossier.code)


@dataclass(frozen=True)
class PaymentOwner:
    """Another domain that starts payments at the platform's gateway (its transaction references begin with
    `prefix`) and settles them itself: `settle(db, settings, params, channel)`."""

    prefix: str
    settle: Callable[[Database, Settings, dict[str, str], str], Any]


# Domains that take payments through the gateway register here by name; the gateway's callback goes to the
# owner of the transaction (the one-stop shop's own dossiers need no entry).
payment_owners: Registry[PaymentOwner] = Registry("payment owner")


def settle_callback(db: Database, *, settings: Settings, params: dict[str, str], channel: str = "ipn") -> Any:
    """The gateway's callback, settled by the domain whose transaction it is."""
    reference = params.get("sc_TxnRef", "")
    for _name, owner in payment_owners:
        if reference.startswith(owner.prefix):
            return owner.settle(db, settings, params, channel)
    return handle_callback(db, settings=settings, params=params, channel=channel)


def sandbox_decision(settings: Settings, params: dict[str, str], *, approve: bool) -> dict[str, str]:
    """The sandbox's signed answer once the payer approves or cancels on its page."""
    return provider_for(settings).complete(params, approve=approve)


def payment_rows(db: Database, code: str) -> list[dict[str, Any]]:
    """The payments of a dossier (for its pages)."""
    with db.session() as s:
        dossier_id = s.scalar(select(Dossier.id).where(Dossier.code == code))
        rows = s.scalars(
            select(DossierPayment).where(DossierPayment.dossier_id == dossier_id).order_by(DossierPayment.id)
        )
        return [
            {
                "txn_ref": r.txn_ref,
                "amount_vnd": r.amount_vnd,
                "status": r.status,
                "provider": r.provider,
                "completed_at": r.completed_at,
            }
            for r in rows
        ]
