"""Online payment of dossier fees through the one payment flow (`core.payments`): a dossier's fees are
paid for, and once paid the dossier goes on. SMARTCITY_DOSSIERS_PAYMENT_PROVIDER: the sandbox, a MOCK."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import Conflict, NotFound
from smartcity.core.payments import SIGNATURE_FIELD, PaymentFlow, payment_owners, settle_callback, sign  # noqa: F401
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.dossiers import workflow
from smartcity.dossiers.config import get_dossier_settings
from smartcity.dossiers.events import DossierPaid, DossierStateChanged
from smartcity.dossiers.models import Dossier, DossierEvent, DossierPayment, PaymentCallback
from smartcity.dossiers.states import PAYMENT


class DossierFees(PaymentFlow):
    """A dossier's fees: references are the dossier's id and a random tail."""

    payment_model = DossierPayment
    callback_model = PaymentCallback
    started_action = "dossier.payment_started"

    def config(self, settings: Settings) -> Any:
        """The process-wide dossiers section."""
        return get_dossier_settings()

    def subject(self, session: Session, payment: Any) -> str:
        """The dossier's code."""
        return session.get_one(Dossier, payment.dossier_id).code

    def declined(self, payment: Any, now: datetime) -> None:
        """Failed, and closed now."""
        payment.status, payment.completed_at = "failed", now

    def paid(self, uow: UnitOfWork, payment: Any, settings: Settings, now: datetime, provider: str) -> None:
        """The dossier is paid online and goes back to where the payment was asked."""
        payment.status, payment.completed_at = "paid", now
        dossier = uow.session.get_one(Dossier, payment.dossier_id)
        before = dossier.state
        workflow.mark_paid(dossier, now, online=True)
        uow.session.add(
            DossierEvent(
                dossier_id=dossier.id,
                action="pay",
                from_state=before,
                to_state=dossier.state,
                step=dossier.step,
                actor=f"payments:{provider}",
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


DOSSIER_FEES = DossierFees()
payment_owners.add("dossier fees", DOSSIER_FEES)
handle_callback = DOSSIER_FEES.handle_callback
provider_for = DOSSIER_FEES.provider


def start_payment(db: Database, *, actor: Actor, settings: Settings, code: str, return_url: str) -> str:
    """Open a payment for the dossier's unpaid fees; returns the gateway URL for the payer's browser."""
    with UnitOfWork(db, actor) as uow:
        dossier = uow.session.scalar(select(Dossier).where(Dossier.code == code))
        if dossier is None or actor.user_id is None or dossier.applicant_user_id != actor.user_id:
            raise NotFound(f"No dossier {code} of yours")
        if dossier.state != PAYMENT or dossier.paid_at is not None or dossier.fee_vnd <= 0:
            raise Conflict("This dossier has no fee awaiting payment", reason="state")
        return DOSSIER_FEES.open(
            uow,
            settings,
            key=dossier.id,
            amount_vnd=dossier.fee_vnd,
            audited=("dossier", code),
            order_info=f"Le phi ho so {code}",
            return_url=return_url,
            dossier_id=dossier.id,
        )


def sandbox_decision(settings: Settings, params: dict[str, str], *, approve: bool) -> dict[str, str]:
    """The sandbox's signed answer once the payer approves or cancels on its page."""
    answer: dict[str, str] = provider_for(settings).complete(params, approve=approve)
    return answer


def payment_rows(db: Database, code: str) -> list[dict[str, Any]]:
    """The payments of a dossier (for its pages)."""
    with db.session() as s:
        dossier_id = s.scalar(select(Dossier.id).where(Dossier.code == code))
        rows = s.scalars(
            select(DossierPayment).where(DossierPayment.dossier_id == dossier_id).order_by(DossierPayment.id)
        )
        fields = ("txn_ref", "amount_vnd", "status", "provider", "completed_at")
        return [{field: getattr(r, field) for field in fields} for r in rows]
