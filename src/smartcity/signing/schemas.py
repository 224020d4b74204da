"""Pydantic shapes of the signing domain: certificates, signed documents, verification reports."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from smartcity.core.schemas import RowModel, StrictModel

Level = Literal["B-B", "B-T", "B-LT"]


class CertificateRead(RowModel):
    """A certificate as anyone may see it (public data only, never a key)."""

    serial: str
    kind: str
    subject: str
    common_name: str
    holder: str | None = None
    org_unit_code: str | None = None
    issuer_slug: str | None = None
    status: str
    not_before: datetime
    not_after: datetime
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    fingerprint_sha256: str
    trusted: bool = False
    has_image: bool = False


class OfficialCertificateCreate(StrictModel):
    """Issue a personal signing certificate to an official."""

    username: str = Field(min_length=1, max_length=100)
    full_name: str = Field(min_length=1, max_length=200)
    org_unit_code: str | None = Field(default=None, max_length=50)
    organisation: str | None = Field(default=None, max_length=200)
    signature_png_base64: str | None = Field(default=None, description="The blue signature image (PNG)")
    key_on_token: bool = Field(
        default=False, description="The key is on the server's configured PKCS#11 token, not sealed here"
    )
    key_label: str | None = Field(
        default=None,
        max_length=100,
        description="With key_on_token: the key pair's label (default smartcity-<username>)",
    )
    generate_key: bool = Field(
        default=False, description="With key_on_token: generate the key pair on the token"
    )


class OrganisationCertificateCreate(StrictModel):
    """Issue the seal certificate of an organisation (org unit)."""

    org_unit_code: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=200)
    seal_png_base64: str | None = Field(default=None, description="The red seal image (PNG)")


class DeviceCertificateCreate(StrictModel):
    """Issue a device certificate, from a CSR (PEM) when the device holds its own key."""

    device_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9 .:-]*$")
    csr_pem: str | None = None


class RevocationRequest(StrictModel):
    """Revoke a certificate."""

    reason: Literal[
        "unspecified",
        "key_compromise",
        "ca_compromise",
        "affiliation_changed",
        "superseded",
        "cessation_of_operation",
        "privilege_withdrawn",
    ] = "unspecified"


class PkiStatus(BaseModel):
    """The city's authorities."""

    initialised: bool
    root: CertificateRead | None = None
    issuing: CertificateRead | None = None
    tsa: CertificateRead | None = None


class CertificateSummary(BaseModel):
    """Who a certificate names, as a verification report shows it."""

    subject: str
    common_name: str
    serial: str
    issuer: str
    not_before: datetime
    not_after: datetime
    fingerprint_sha256: str


class TimestampReport(BaseModel):
    """The RFC 3161 timestamp attached to a signature."""

    time: datetime
    authority: str
    valid: bool
    trusted: bool


class SignatureReport(BaseModel):
    """One signature of a PDF, checked."""

    field_name: str
    signer: CertificateSummary
    chain: list[str] = Field(default_factory=list, description="Subjects from signer to trust anchor")
    trust_anchor: str | None = None
    intact: bool
    valid: bool
    trusted: bool
    signing_time: datetime | None = None
    signing_time_source: Literal["timestamp", "claimed", "none"] = "none"
    timestamp: TimestampReport | None = None
    revocation: Literal["good", "revoked", "unknown"] = "unknown"
    revoked_at: datetime | None = None
    level: Level
    coverage: Literal["entire_file", "entire_revision", "partial"]
    modified_after_signing: bool
    changes_allowed: bool
    modification_level: str | None = None
    holds: bool
    problems: list[str] = Field(default_factory=list)


class VerificationReport(BaseModel):
    """Every signature of a PDF and whether all of them hold."""

    sha256: str
    size: int
    document_id: str | None = None
    signature_count: int
    all_hold: bool
    signatures: list[SignatureReport]
    checked_at: datetime


class SignedDocumentRead(RowModel):
    """A PDF signed on the platform."""

    id: str
    filename: str
    original_sha256: str
    current_sha256: str
    signature_count: int
    size: int
    created_at: datetime
    updated_at: datetime
