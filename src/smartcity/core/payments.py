"""Online payment behind a provider interface: the one gateway flow of every domain that takes money.

`MockGateway` ("sandbox") is a MOCK: a signed-redirect protocol of the kind Vietnamese gateways use (sorted,
URL-encoded parameters signed with HMAC-SHA512; a browser return and a server callback, both verified;
amounts in đồng ×100). A domain subclasses `PaymentFlow` with what is its own (what is paid for, what
happens once paid) and registers it in `payment_owners`, so the callback goes to the domain whose
transaction it is. Forged, replayed or mismatched callbacks are refused and logged; nothing else changes.
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
from sqlalchemy.orm import Session

from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, NotFound
from smartcity.core.registry import Registry
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork

SIGNATURE_FIELD = "sc_SecureHash"
SANDBOX_PAGE = "/thanh-toan/sandbox"


class PaymentProvider(Protocol):
    """What a payment gateway must offer a domain that takes money."""

    @property
    def name(self) -> str:
        """The provider's name in the registry."""
        ...

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
class MockGateway:
    """A MOCK gateway for demos and tests (no money moves); its hosted page lives in this application."""

    secret: str
    merchant: str
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


# Payment providers by name (a domain's `payment_provider` setting); each is a factory (settings, merchant).
payment_providers: Registry[Callable[[Settings, str], PaymentProvider]] = Registry("payment provider")


@payment_providers.register("sandbox")
def sandbox_gateway(settings: Settings, merchant: str) -> MockGateway:
    """The MOCK gateway, keyed from the platform's secret."""
    secret = hmac.new(settings.resolved_secret_key.encode(), b"payment-sandbox", hashlib.sha256).hexdigest()
    return MockGateway(secret=secret, merchant=merchant)


def provider_for(settings: Settings, config: Any) -> Any:
    """The provider a domain's section names (`payment_provider`, `payment_merchant`); 503 if unregistered."""
    return payment_providers.create(config.payment_provider, settings, config.payment_merchant)


@dataclass(frozen=True)
class Verdict:
    """The outcome of a callback: accepted, duplicate, forged or rejected; the gateway's response code;
    what was paid for (the domain's own code for it) and whether it is now paid."""

    verdict: str
    response_code: str
    message: str
    subject: str | None = None
    paid: bool = False


class PaymentFlow:
    """One domain's payments at the gateway; a subclass names its tables and says what is its own."""

    prefix = ""  # the domain's transaction references begin with it
    payment_model: Any  # a row with txn_ref, provider, amount_vnd, status, provider_txn_no
    callback_model: Any  # a row with txn_ref, channel, params, verdict, reason
    started_action = "payment.started"
    refused_action = "payment.callback_refused"
    log_actor = "payments"

    config: Callable[[Settings], Any]  # the domain's settings section (payment_provider, payment_merchant)
    subject: Callable[[Session, Any], str]  # the domain's code of what the payment is for
    # what happens once the payment (uow, payment, settings, now, provider) is confirmed; Conflict refuses it
    paid: Callable[[UnitOfWork, Any, Settings, datetime, str], None]

    def declined(self, payment: Any, now: datetime) -> None:
        """The payer declined at the gateway."""
        payment.status = "failed"

    def provider(self, settings: Settings) -> Any:
        """The provider the domain's settings name."""
        return provider_for(settings, self.config(settings))

    def open(
        self,
        uow: UnitOfWork,
        settings: Settings,
        *,
        key: int,
        amount_vnd: int,
        audited: tuple[str, str],
        order_info: str,
        return_url: str,
        **row: Any,
    ) -> str:
        """Record a pending payment of `amount_vnd`, audited on `audited` (kind, code); the gateway URL."""
        gateway = self.provider(settings)
        txn_ref = f"{self.prefix}{key}-{secrets.token_hex(6)}"
        uow.session.add(
            self.payment_model(txn_ref=txn_ref, provider=gateway.name, amount_vnd=amount_vnd, **row)
        )
        uow.audit(self.started_action, *audited, after={"txn_ref": txn_ref, "amount": amount_vnd})
        return str(
            gateway.payment_url(
                txn_ref=txn_ref, amount_vnd=amount_vnd, order_info=order_info, return_url=return_url
            )
        )

    def handle_callback(
        self, db: Database, *, settings: Settings, params: dict[str, str], channel: str = "ipn"
    ) -> Verdict:
        """Verify a callback or return and settle the payment once; every call is logged with its verdict."""
        gateway = self.provider(settings)
        if not gateway.verify(params):
            verdict = Verdict("forged", "97", "invalid signature")
        else:
            try:
                verdict = self._settle(db, settings, params, gateway.name, utcnow())
            except (NotFound, Conflict) as exc:
                verdict = Verdict("rejected", "01" if isinstance(exc, NotFound) else "04", exc.detail)
        self._log(db, params, channel, verdict)
        return verdict

    def _log(self, db: Database, params: dict[str, str], channel: str, verdict: Verdict) -> None:
        with UnitOfWork(db, Actor.system(self.log_actor)) as uow:
            uow.session.add(
                self.callback_model(
                    txn_ref=params.get("sc_TxnRef"),
                    channel=channel,
                    params=dict(params),
                    verdict=verdict.verdict,
                    reason=verdict.message[:200],
                )
            )
            if verdict.verdict in ("forged", "rejected"):
                uow.audit(
                    self.refused_action,
                    "payment",
                    params.get("sc_TxnRef") or "?",
                    after={"verdict": verdict.verdict, "reason": verdict.message, "channel": channel},
                )

    def _settle(
        self, db: Database, settings: Settings, params: dict[str, str], provider: str, now: datetime
    ) -> Verdict:
        with UnitOfWork(db, Actor.system(f"payments:{provider}")) as uow:
            model = self.payment_model
            payment = uow.session.scalar(select(model).where(model.txn_ref == params.get("sc_TxnRef", "")))
            if payment is None:
                raise NotFound("unknown transaction")
            subject = self.subject(uow.session, payment)
            if str(payment.amount_vnd * 100) != params.get("sc_Amount"):
                raise Conflict("amount does not match the payment")
            if payment.status != "pending":
                return Verdict("duplicate", "02", "already confirmed", subject, payment.status == "paid")
            if params.get("sc_ResponseCode") != "00":
                self.declined(payment, now)
                return Verdict("accepted", "00", "declined by the payer", subject)
            payment.provider_txn_no = params.get("sc_TransactionNo")
            self.paid(uow, payment, settings, now, provider)
            return Verdict("accepted", "00", "confirmed", subject, True)


# The domains that take payments at the gateway, by name; a callback goes to the flow whose prefix is the
# longest that its transaction reference begins with.
payment_owners: Registry[PaymentFlow] = Registry("payment owner")


def settle_callback(
    db: Database, *, settings: Settings, params: dict[str, str], channel: str = "ipn"
) -> Verdict:
    """The gateway's callback, settled by the domain whose transaction it is."""
    reference = params.get("sc_TxnRef", "")
    owners = [flow for _name, flow in payment_owners if reference.startswith(flow.prefix)]
    if not owners:
        raise NotFound("No domain takes payments with this reference")
    owner = max(owners, key=lambda flow: len(flow.prefix))
    return owner.handle_callback(db, settings=settings, params=params, channel=channel)
