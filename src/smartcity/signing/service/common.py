"""Common: part of the signing service (see __init__)."""

from __future__ import annotations

from cryptography import x509

from smartcity.core.config import Settings, get_settings
from smartcity.core.errors import Forbidden
from smartcity.core.security import Actor
from smartcity.signing import pki
from smartcity.signing.appearance import Placement as Placement
from smartcity.signing.config import SigningSettings, get_signing_settings
from smartcity.signing.models import Certificate
from smartcity.signing.qr import add_verification_qr as add_verification_qr
from smartcity.signing.schemas import (
    CertificateRead,
)

SIGNING_ROLES_FOR_SEAL = ("leader", "head", "clerk")
MAX_IMAGE_BYTES = 2 * 1024 * 1024


def _secret(settings: Settings | None) -> str:
    return (settings or get_settings()).resolved_secret_key


def _signing(signing_settings: SigningSettings | None) -> SigningSettings:
    return signing_settings or get_signing_settings()


def _city_subject(
    conf: SigningSettings,
    common_name: str,
    *,
    organisation: str | None = None,
    org_unit: str | None = None,
    user_id: str | None = None,
    serial_number: str | None = None,
) -> pki.SubjectInfo:
    """A subject in the city: its organisation (unless another is named) and its locality."""
    return pki.SubjectInfo(
        common_name=common_name,
        organisation=organisation or conf.city_organisation,
        locality=conf.city_name,
        org_unit=org_unit,
        user_id=user_id,
        serial_number=serial_number,
    )


def _require_admin(actor: Actor) -> None:
    if not actor.has_role("admin"):
        raise Forbidden("Only an administrator may manage the city PKI")


def _read(row: Certificate) -> CertificateRead:
    data = CertificateRead.model_validate(row)
    return data.model_copy(update={"has_image": row.image_png is not None})


def _public_summary(row: Certificate) -> dict[str, object]:
    """What the audit trail records about a certificate: public facts only, never key material."""
    return {
        "serial": row.serial,
        "kind": row.kind,
        "subject": row.subject,
        "status": row.status,
        "not_after": row.not_after.isoformat(),
        "fingerprint_sha256": row.fingerprint_sha256,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
        "revocation_reason": row.revocation_reason,
    }


def _load(row: Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(row.der)
