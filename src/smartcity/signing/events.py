"""Events the signing domain publishes: its public contract."""

from __future__ import annotations

from smartcity.core.events import Event, register_event


@register_event("signing.PkiInitialised")
class PkiInitialised(Event):
    """The city root CA, issuing CA and TSA were created."""

    root_serial: str
    issuing_serial: str
    tsa_serial: str


@register_event("signing.CertificateIssued")
class CertificateIssued(Event):
    """A certificate was issued to an official, organisation or device (or an external root trusted)."""

    serial: str
    kind: str
    holder: str | None
    org_unit_code: str | None
    not_after: str


@register_event("signing.CertificateRevoked")
class CertificateRevoked(Event):
    """A certificate was revoked; it can no longer sign."""

    serial: str
    kind: str
    holder: str | None
    reason: str
    revoked_at: str


@register_event("signing.DocumentSigned")
class DocumentSigned(Event):
    """A PDF was signed on the platform; `document_id` opens /kiem-tra-chu-ky/<document_id>."""

    document_id: str
    sha256: str
    certificate_serial: str
    signer_kind: str
    holder: str | None
    level: str
    signature_count: int
