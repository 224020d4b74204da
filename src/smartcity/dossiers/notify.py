"""Telling applicants about their dossiers: SMS and e-mail behind one interface.

`RecordingSink` stands in where no gateway exists: it keeps each message (recipient masked) in the
database. `SmtpSink` sends e-mail through the configured SMTP server. Sending is idempotent per event.
"""

from __future__ import annotations

import json
import smtplib
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from smartcity.core.crypto import Keys, mask
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.dossiers.config import get_dossier_settings
from smartcity.dossiers.models import Dossier, DossierNotification
from smartcity.dossiers.states import state_name

MESSAGES = {
    "submit": "Hồ sơ {code} ({procedure}) đã được gửi, đang chờ tiếp nhận.",
    "receive": "Hồ sơ {code} đã được tiếp nhận. Ngày hẹn trả kết quả: {due}.",
    "refuse": "Hồ sơ {code} không được tiếp nhận. Lý do: {note}.",
    "request_supplement": "Hồ sơ {code} cần bổ sung: {note}. Thời gian chờ bổ sung không tính vào thời hạn.",
    "request_payment": "Hồ sơ {code}: đề nghị nộp phí, lệ phí để tiếp tục giải quyết.",
    "decide": "Hồ sơ {code} đã có kết quả ({state}).",
    "pay": "Hồ sơ {code}: đã nhận phí, lệ phí. Tình trạng: {state}.",
    "stop": "Hồ sơ {code} đã dừng xử lý. Lý do: {note}.",
    "apologise": "Xin lỗi vì hồ sơ {code} chậm trễ ({note}). Ngày hẹn mới: {due}.",
    "return": "Hồ sơ {code} đã trả kết quả. Mời ông/bà đánh giá mức độ hài lòng.",
    "withdraw": "Hồ sơ {code} đã được rút theo yêu cầu.",
}


class Sink(Protocol):
    """Delivers one message; `recipient` is in clear, only the sink sees it."""

    name: str

    def send(self, *, channel: str, recipient: str, subject: str, body: str) -> None:
        """Deliver the message or raise."""
        ...


class RecordingSink:
    """Records messages instead of sending them (the stand-in for a missing SMS gateway)."""

    name = "recording"

    def send(self, *, channel: str, recipient: str, subject: str, body: str) -> None:
        """Nothing to deliver: the caller stores the record."""


class SmtpSink:
    """E-mail through an SMTP server; SMS still recorded only."""

    name = "smtp"

    def __init__(self, host: str, port: int, sender: str) -> None:
        self.host, self.port, self.sender = host, port, sender

    def send(self, *, channel: str, recipient: str, subject: str, body: str) -> None:
        """Send the e-mail."""
        if channel != "email":
            return
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, recipient, subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            smtp.send_message(message)


def sink() -> Sink:
    """The configured sink."""
    config = get_dossier_settings()
    if config.notification_sink == "smtp" and config.smtp_host:
        return SmtpSink(config.smtp_host, config.smtp_port, config.smtp_sender)
    return RecordingSink()


def _recipients(dossier: Dossier, keys: Keys) -> list[tuple[str, str, str]]:
    """(channel, recipient, masked): the e-mail decrypted to send to; phones stay encrypted, so SMS goes to
    the recording sink under the masked number until an SMS gateway (decrypting with the key ring) exists."""
    found = []
    if dossier.applicant_phone_masked:
        found.append(("sms", dossier.applicant_phone_masked, dossier.applicant_phone_masked))
    email = dossier.applicant_email(keys)
    if email:
        found.append(("email", email, mask(email, keep_start=2, keep_end=6)))
    return found


def notify(
    db: Database, *, code: str, action: str, event_id: str, note: str | None = None, due: str | None = None
) -> int:
    """Tell the applicant about an action, once per event and channel; returns how many messages went."""
    template = MESSAGES.get(action)
    if template is None:
        return 0
    with db.session() as s:
        dossier = s.scalar(select(Dossier).where(Dossier.code == code))
    if dossier is None:
        return 0
    body = template.format(
        code=code,
        procedure=dossier.procedure_name,
        due=due or dossier.due_date or "—",
        note=note or "—",
        state=state_name(dossier.state),
    )
    subject = f"Hồ sơ {code}: {state_name(dossier.state)}"
    delivery, sent = sink(), 0
    for channel, recipient, masked in _recipients(dossier, db.settings.personal_keys):
        key = f"{event_id}:{channel}"
        with db.session() as s:
            if s.scalar(select(DossierNotification.id).where(DossierNotification.event_key == key)):
                continue
        if channel == "email" or delivery.name == "recording":
            delivery.send(channel=channel, recipient=recipient, subject=subject, body=body)
        try:
            with UnitOfWork(db, Actor.system("notifications")) as uow:
                uow.session.add(
                    DossierNotification(
                        dossier_code=code,
                        event_key=key,
                        channel=channel,
                        recipient_masked=masked,
                        subject=subject,
                        body=body,
                        provider=delivery.name,
                    )
                )
        except IntegrityError:
            continue
        sent += 1
    return sent


def messages_for(db: Database, code: str) -> list[dict[str, str]]:
    """The messages recorded for a dossier, oldest first."""
    with db.session() as s:
        rows = s.scalars(
            select(DossierNotification)
            .where(DossierNotification.dossier_code == code)
            .order_by(DossierNotification.id)
        )
        return [
            json.loads(json.dumps({"channel": r.channel, "to": r.recipient_masked, "body": r.body}))
            for r in rows
        ]
