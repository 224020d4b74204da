"""Tables of the accounts domain: org units, users, roles, role assignments, API keys, web sessions,
login failures."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.crypto import SEALED, Keys, decrypt_optional
from smartcity.core.db import Base, TimestampMixin, UTCDateTime, utcnow


class OrgUnit(TimestampMixin, Base):
    """An agency, department, ward committee or centre of the city government (from the city pack)."""

    __tablename__ = "org_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300), nullable=True)
    kind: Mapped[str] = mapped_column(String(50))
    parent_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    admin_unit_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(TimestampMixin, Base):
    """A person who logs in: staff or citizen. The full name, e-mail address, phone and ID numbers are stored
    encrypted; `email_index` (keyed hash) finds a user by address, `UserNameTerm` by words of the name."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True, info=SEALED)
    email_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True, info=SEALED)
    email_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    phone_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True, info=SEALED)
    phone_masked: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The personal ID number (căn cước, 12 digits) the person gave: sealed, masked for pages, and a keyed hash
    # that keeps one account per number.
    citizen_id_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True, info=SEALED)
    citizen_id_masked: Mapped[str | None] = mapped_column(String(16), nullable=True)
    citizen_id_index: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True, index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(8), default="vi")
    credential_generation: Mapped[int] = mapped_column(Integer, default=0)

    def full_name(self, keys: Keys) -> str:
        """The user's full name, decrypted ("" when none was given)."""
        return decrypt_optional(keys, self.full_name_encrypted) or ""

    def email(self, keys: Keys) -> str | None:
        """The user's e-mail address, decrypted (None when none was given)."""
        return decrypt_optional(keys, self.email_encrypted)


class UserNameTerm(Base):
    """One keyed hash of a word (or word prefix) of a user's full name: the blind index of the name search."""

    __tablename__ = "user_name_terms"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    term: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Role(Base):
    """A role slug with its Vietnamese and English names."""

    __tablename__ = "roles"

    slug: Mapped[str] = mapped_column(String(30), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))


class RoleAssignment(Base):
    """A user holds a role in one org unit (or in the whole city when the unit is NULL)."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role", "org_unit_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(ForeignKey("roles.slug"))
    org_unit_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Base):
    """A machine credential `sc_<prefix>_<secret>`; only the SHA-256 of the key is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(ForeignKey("roles.slug"))
    org_unit_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebSession(Base):
    """A logged-in browser: the cookie holds a random key, only its SHA-256 is kept; ending it here ends
    the session even for a copied cookie."""

    __tablename__ = "web_sessions"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_generation: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    client_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)


class LoginFailure(Base):
    """One failed login, kept for throttling by username and by client address."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_client_ip_at", "client_ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client_ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserTotp(Base):
    """A user's TOTP secret (encrypted); confirmed once the user has entered a first correct code."""

    __tablename__ = "user_totp"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret_encrypted: Mapped[str] = mapped_column(Text, info=SEALED)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_step: Mapped[int] = mapped_column(Integer, default=0)
