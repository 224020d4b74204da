"""Channels by name in one registry: in-page, e-mail (SMTP or recording) and SMS (a mock provider only)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import ClassVar

from smartcity.core.registry import Registry
from smartcity.notifications.config import NotificationSettings


class Channel:
    """Delivers one message; raises on failure (the message is then marked failed with the reason)."""

    kind: ClassVar[str] = "channel"

    def __init__(self, settings: NotificationSettings) -> None:
        self.settings = settings

    def deliver(self, *, recipient: str, subject: str, body: str) -> str:
        """Send the message; returns a delivery note (provider id or "stored")."""
        raise NotImplementedError


channels: Registry[type[Channel]] = Registry("notification channel")


@channels.register("in-page")
class InPageChannel(Channel):
    """The message stays in the database and shows in the recipient's inbox on the staff pages."""

    kind = "in-page"

    def deliver(self, *, recipient: str, subject: str, body: str) -> str:
        """Nothing to send: the stored message is the delivery."""
        return "stored"


@channels.register("recording")
class RecordingEmailChannel(Channel):
    """E-mail that is recorded but not sent (development, demo, tests): `sent` lists what would go out."""

    kind = "email"
    sent: ClassVar[list[tuple[str, str, str]]] = []

    def deliver(self, *, recipient: str, subject: str, body: str) -> str:
        """Record the e-mail."""
        self.sent.append((recipient, subject, body))
        return "recorded"


@channels.register("smtp")
class SmtpEmailChannel(Channel):
    """E-mail through an SMTP server (SMARTCITY_NOTIFICATIONS_SMTP_*)."""

    kind = "email"

    def deliver(self, *, recipient: str, subject: str, body: str) -> str:
        """Send through SMTP, with STARTTLS and login when configured."""
        conf = self.settings
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = conf.smtp_sender, recipient, subject
        message.set_content(body)
        with smtplib.SMTP(conf.smtp_host, conf.smtp_port, timeout=10) as smtp:
            if conf.smtp_starttls:
                smtp.starttls()
            if conf.smtp_username and conf.smtp_password:
                smtp.login(conf.smtp_username, conf.smtp_password)
            smtp.send_message(message)
        return "smtp"


@channels.register("mock-sms")
class MockSmsProvider(Channel):
    """A MOCK SMS gateway: no SMS leaves the machine; `outbox` holds what a real provider would have sent."""

    kind = "sms"
    outbox: ClassVar[list[tuple[str, str]]] = []

    def deliver(self, *, recipient: str, subject: str, body: str) -> str:
        """Pretend to send an SMS (160 characters at most) and return a fake provider id."""
        text = f"{subject}: {body}"[:160]
        self.outbox.append((recipient, text))
        return f"mock-sms-{len(self.outbox)}"


def channel_for(kind: str, settings: NotificationSettings) -> Channel:
    """The configured implementation of a channel kind: in-page, email or sms."""
    name = {"in-page": "in-page", "email": settings.email_channel, "sms": settings.sms_channel}.get(
        kind, kind
    )
    instance: Channel = channels.create(name, settings)
    return instance
