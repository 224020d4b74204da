"""The second way in for staff, without CAPTCHA: a one-time sign-in link sent by e-mail."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from smartcity.accounts.models import RoleAssignment, User
from smartcity.accounts.service.common import STAFF_ROLES, _actor, normalise_username
from smartcity.accounts.service.login import Authenticated
from smartcity.city import service as city_service
from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Unauthorized

log = logging.getLogger(__name__)
LINK_SALT = "smartcity.sign-in-link"
LINK_MINUTES = 15
LINK_PATH = "/login/link"


@dataclass(frozen=True)
class Mail:
    """One e-mail: recipient, subject and plain-text body."""

    to: str
    subject: str
    body: str


class MailSink(Protocol):
    """Where e-mail goes (an SMTP relay in production; a recording sink in tests)."""

    def send(self, mail: Mail) -> None:
        """Deliver one e-mail."""


@dataclass
class RecordingMailSink:
    """Keeps what was sent in memory (tests)."""

    sent: list[Mail] = field(default_factory=list)

    def send(self, mail: Mail) -> None:
        """Remember the e-mail."""
        self.sent.append(mail)


@dataclass
class FileMailSink:
    """Sandbox: writes each e-mail as an owner-only file under data_dir/mail-outbox (no SMTP here)."""

    directory: Path

    def send(self, mail: Mail) -> None:
        """Write the e-mail to a new file, readable by the service account only."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.directory / f"{utcnow():%Y%m%dT%H%M%S%f}.eml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(f"To: {mail.to}\nSubject: {mail.subject}\n\n{mail.body}\n")


def default_mail_sink(settings: Settings) -> MailSink:
    """The sandbox file sink in the data directory (replace with an SMTP sink when one exists)."""
    return FileMailSink(settings.data_dir / "mail-outbox")


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.resolved_secret_key, salt=LINK_SALT)


def send_sign_in_link(db: Database, *, settings: Settings, username: str, sink: MailSink) -> bool:
    """E-mail a one-time sign-in link to an active staff member with an address; False otherwise.

    Callers answer the same either way, so that the answer does not tell who has an account.
    """
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == normalise_username(username)[:64]))
        to = user.email(db.settings.personal_keys) if user is not None else None
        if user is None or not user.is_active or not to:
            return False
        roles = set(s.scalars(select(RoleAssignment.role).where(RoleAssignment.user_id == user.id)))
        if not roles & STAFF_ROLES:
            return False
        token = _serializer(settings).dumps({"u": user.id, "g": user.credential_generation})
    link = f"{settings.public_base_url.rstrip('/')}{LINK_PATH}?t={quote(token)}"
    body = (
        "Xin chào,\n\nĐể đăng nhập vào hệ thống đô thị thông minh "
        f"{city_service.city_name()}, mở liên kết sau "
        f"(dùng được một lần, trong {LINK_MINUTES} phút):\n\n{link}\n\n"
        "Nếu bạn không yêu cầu, hãy bỏ qua thư này."
    )
    sink.send(Mail(to=to, subject="Liên kết đăng nhập một lần", body=body))
    return True


def use_sign_in_link(db: Database, *, settings: Settings, token: str) -> Authenticated:
    """Sign in with a link: valid once (its use ends the user's older sessions and tokens) and briefly."""
    invalid = Unauthorized("Liên kết đăng nhập không hợp lệ, đã dùng hoặc đã hết hạn.")
    try:
        claims = _serializer(settings).loads(token, max_age=LINK_MINUTES * 60)
    except (SignatureExpired, BadSignature):
        raise invalid from None
    if not isinstance(claims, dict) or not isinstance(claims.get("u"), int):
        raise invalid
    with db.write_session() as s:
        user = s.get(User, claims["u"])
        if user is None or not user.is_active or user.credential_generation != claims.get("g"):
            raise invalid
        user.credential_generation += 1  # makes the link one-time
        s.flush()
        return Authenticated(actor=_actor(s, user), user_id=user.id, generation=user.credential_generation)
