"""Use cases of the signing domain: the city PKI, signing PDFs, verifying them."""

from __future__ import annotations

# What other domains use of signing's inner modules (they import only this package).
from smartcity.signing.appearance import Placement as Placement
from smartcity.signing.config import SigningSettings as SigningSettings
from smartcity.signing.config import get_signing_settings as get_signing_settings
from smartcity.signing.qr import add_verification_qr as add_verification_qr
from smartcity.signing.service.authorities import (  # noqa: F401
    _authority_row,
    ca_certificate_der,
    init_pki,
    pki_status,
    root_certificate_pem,
)
from smartcity.signing.service.common import MAX_IMAGE_BYTES, SIGNING_ROLES_FOR_SEAL, _load  # noqa: F401
from smartcity.signing.service.crl_ocsp_tsa import _timestamper, answer_ocsp, current_crl, timestamp_reply  # noqa: F401
from smartcity.signing.service.issuing_and_revoking import (  # noqa: F401
    DNS_LABEL,
    DNS_NAME,
    IssuedWithKey,
    ca_chain_pem,
    certificate_pem,
    get_certificate,
    issue_device_certificate,
    issue_device_certificate_with_key,
    issue_official_certificate,
    issue_official_certificate_on_token,
    issue_organisation_certificate,
    issue_server_certificate,
    list_certificates,
    register_trusted_root,
    revoke_certificate,
)
from smartcity.signing.service.signing import (  # noqa: F401
    SignedPdf,
    document_id_for,
    get_signed_document,
    sign_pdf,
    signed_document_pdf,
    verification_url,
)
from smartcity.signing.service.verification import (  # noqa: F401
    asn1_root,
    open_pdf,
    verify_pdf,
    verify_signed_document,
)
