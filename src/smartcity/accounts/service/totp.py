"""Time-based one-time codes (TOTP, RFC 6238) as a second factor: enrolment with a QR, checks at sign-in."""

from __future__ import annotations

import pyotp
import segno
from sqlalchemy import select

from smartcity.accounts.config import admins_need_totp
from smartcity.accounts.models import RoleAssignment, User, UserTotp
from smartcity.city import service as city_service
from smartcity.core.config import Settings
from smartcity.core.crypto import decrypt_personal, encrypt_personal
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import NotFound, ValidationFailed


def start_totp_enrolment(db: Database, *, settings: Settings, user_id: int) -> str:
    """A new secret for the user (unconfirmed until a first code is entered); returns the otpauth:// URI."""
    secret = pyotp.random_base32()
    with db.write_session() as s:
        user = s.get(User, user_id)
        if user is None:
            raise NotFound(f"No user {user_id}")
        row = s.get(UserTotp, user_id) or UserTotp(user_id=user_id, last_step=0)
        row.secret_encrypted = encrypt_personal(settings.personal_keys, secret)
        row.confirmed_at, row.last_step = None, 0
        s.add(row)
        return pyotp.TOTP(secret).provisioning_uri(
            name=user.username, issuer_name=f"{city_service.city_name(locale='en')} Smart City"
        )


def totp_qr_svg(uri: str) -> str:
    """The enrolment URI as an inline SVG QR code for the authenticator app."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=5)
    return svg


def _check_code(settings: Settings, row: UserTotp, code: str) -> bool:
    """True if `code` is right for now (±1 step) and newer than the last one used (no replay)."""
    totp = pyotp.TOTP(decrypt_personal(settings.personal_keys, row.secret_encrypted))
    now = utcnow()
    for offset in (-1, 0, 1):
        step = int(now.timestamp()) // totp.interval + offset
        if step > row.last_step and totp.at(step * totp.interval) == code.strip():
            row.last_step = step
            return True
    return False


def confirm_totp(db: Database, *, settings: Settings, user_id: int, code: str) -> None:
    """Confirm enrolment with a first correct code; from then on sign-in asks for a code."""
    with db.write_session() as s:
        row = s.get(UserTotp, user_id)
        if row is None or not _check_code(settings, row, code):
            raise ValidationFailed.for_field("code", "Mã xác thực không đúng hoặc đã hết hạn.")
        row.confirmed_at = utcnow()


def totp_enabled(db: Database, user_id: int) -> bool:
    """True if the user has a confirmed TOTP enrolment."""
    with db.session() as s:
        row = s.get(UserTotp, user_id)
        return row is not None and row.confirmed_at is not None


def totp_needed(db: Database, *, settings: Settings, user_id: int) -> bool:
    """True if sign-in must ask for a code: enrolled, or an administrator when the setting requires it."""
    if totp_enabled(db, user_id):
        return True
    if not admins_need_totp(settings):
        return False
    with db.session() as s:
        roles = s.scalars(select(RoleAssignment.role).where(RoleAssignment.user_id == user_id))
        return "admin" in set(roles)


def verify_totp(db: Database, *, settings: Settings, user_id: int, code: str) -> bool:
    """Check a sign-in code against the confirmed enrolment (each code works once)."""
    with db.write_session() as s:
        row = s.get(UserTotp, user_id)
        if row is None or row.confirmed_at is None:
            return False
        return _check_code(settings, row, code)
