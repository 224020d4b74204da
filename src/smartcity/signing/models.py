"""Tables of the signing domain: keys (sealed), certificates, authorities, signed documents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base, TimestampMixin, UTCDateTime


class StoredKey(TimestampMixin, Base):
    """A private key: sealed with AES-GCM in the database (software) or held by a PKCS#11 token."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20), default="software")  # software | pkcs11
    algorithm: Mapped[str] = mapped_column(String(20))  # e.g. rsa-2048
    public_key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    token_label: Mapped[str | None] = mapped_column(String(100), nullable=True)
    key_label: Mapped[str | None] = mapped_column(String(100), nullable=True)


class Certificate(TimestampMixin, Base):
    """An X.509 certificate the platform issued, or an external root it trusts."""

    __tablename__ = "signing_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(64), unique=True)  # lower-case hex
    kind: Mapped[str] = mapped_column(String(20), index=True)
    subject: Mapped[str] = mapped_column(String(500))
    common_name: Mapped[str] = mapped_column(String(200))
    holder: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    org_unit_code: Mapped[str | None] = mapped_column(String(50), nullable=True, index=True)
    issuer_slug: Mapped[str | None] = mapped_column(String(30), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | revoked
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revocation_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    fingerprint_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    der: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("signing_keys.id"), nullable=True)
    image_png: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)


class Authority(TimestampMixin, Base):
    """One of the city's certificate authorities (root, issuing) or its timestamp authority."""

    __tablename__ = "signing_authorities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(30), unique=True)  # root | issuing | tsa
    certificate_id: Mapped[int] = mapped_column(ForeignKey("signing_certificates.id"))
    crl_number: Mapped[int] = mapped_column(Integer, default=0)


class SignedDocument(TimestampMixin, Base):
    """A PDF signed on the platform, kept under a hash-based id for the verification page and QR codes."""

    __tablename__ = "signing_documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    original_sha256: Mapped[str] = mapped_column(String(64))
    current_sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255), default="document.pdf")
    signature_count: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
