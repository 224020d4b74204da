"""Checking every signature of a PDF with pyHanko, at the time it was made when a timestamp proves it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import EmbeddedPdfSignature, validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from smartcity.signing.schemas import CertificateSummary, SignatureReport, TimestampReport

ALLOWED_LATER_CHANGES = ("NONE", "LTA_UPDATES", "FORM_FILLING")


@dataclass(frozen=True)
class TrustMaterial:
    """What the verifier knows: trust roots, other CA certificates, current CRLs of the city CAs."""

    roots: list[asn1_x509.Certificate]
    other_certs: list[asn1_x509.Certificate] = field(default_factory=list)
    crls: list[asn1_crl.CertificateList] = field(default_factory=list)
    authoritative_issuers: frozenset[bytes] = frozenset()  # subject DER of CAs whose CRL we hold


def _context(
    dss: DocumentSecurityStore | None, material: TrustMaterial, moment: datetime | None
) -> ValidationContext:
    kwargs: dict[str, Any] = {
        "trust_roots": material.roots,
        "other_certs": list(material.other_certs),
        "crls": list(material.crls),
        "allow_fetching": False,
        "revocation_mode": "soft-fail",
    }
    if moment is not None:
        kwargs.update(moment=moment, retroactive_revinfo=True)
    if dss is not None:
        return dss.as_validation_context(kwargs)
    return ValidationContext(**kwargs)


def _read_dss(reader: PdfFileReader) -> DocumentSecurityStore | None:
    try:
        return DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return None


def _summary(cert: asn1_x509.Certificate) -> CertificateSummary:
    return CertificateSummary(
        subject=cert.subject.human_friendly,
        common_name=str(cert.subject.native.get("common_name", "")),
        serial=format(cert.serial_number, "x"),
        issuer=cert.issuer.human_friendly,
        not_before=cert["tbs_certificate"]["validity"]["not_before"].native,
        not_after=cert["tbs_certificate"]["validity"]["not_after"].native,
        fingerprint_sha256=cert.sha256.hex(),
    )


def _validate(
    sig: EmbeddedPdfSignature,
    dss: DocumentSecurityStore | None,
    material: TrustMaterial,
    moment: datetime | None,
) -> PdfSignatureStatus:
    return validate_pdf_signature(
        sig,
        signer_validation_context=_context(dss, material, moment),
        ts_validation_context=_context(dss, material, None),
    )


def _coverage(status: PdfSignatureStatus) -> Literal["entire_file", "entire_revision", "partial"]:
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return "entire_file"
    if status.coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        return "entire_revision"
    return "partial"


def _timestamp(status: PdfSignatureStatus) -> TimestampReport | None:
    ts = status.timestamp_validity
    if ts is None:
        return None
    return TimestampReport(
        time=ts.timestamp,
        authority=ts.signing_cert.subject.human_friendly,
        valid=bool(ts.intact and ts.valid),
        trusted=bool(ts.trusted),
    )


def check_signature(
    sig: EmbeddedPdfSignature, *, dss: DocumentSecurityStore | None, material: TrustMaterial, has_dss: bool
) -> SignatureReport:
    """Validate one signature: first now, then again at its proven time if a trusted timestamp holds."""
    status = _validate(sig, dss, material, None)
    timestamp = _timestamp(status)
    signing_time, source = sig.self_reported_timestamp, "claimed" if sig.self_reported_timestamp else "none"
    if timestamp is not None and timestamp.valid and timestamp.trusted:
        signing_time, source = timestamp.time, "timestamp"
        status = _validate(sig, dss, material, timestamp.time)
    return _report(sig, status, timestamp, signing_time, source, material, has_dss)


def _report(
    sig: EmbeddedPdfSignature,
    status: PdfSignatureStatus,
    timestamp: TimestampReport | None,
    signing_time: datetime | None,
    source: str,
    material: TrustMaterial,
    has_dss: bool,
) -> SignatureReport:
    cert = status.signing_cert
    path = status.validation_path
    chain = [c.subject.human_friendly for c in path.iter_certs(include_root=True)][::-1] if path else []
    revocation: Literal["good", "revoked", "unknown"] = "unknown"
    revoked_at = None
    if status.revoked and status.revocation_details is not None:
        revocation, revoked_at = "revoked", status.revocation_details.revocation_date
    elif status.trusted and cert.issuer.dump() in material.authoritative_issuers:
        revocation = "good"
    modification = status.modification_level.name if status.modification_level is not None else None
    changes_allowed = modification in ALLOWED_LATER_CHANGES and status.docmdp_ok is not False
    coverage = _coverage(status)
    problems = _problems(status, timestamp, revocation, changes_allowed)
    level = "B-B" if timestamp is None else ("B-LT" if has_dss else "B-T")
    return SignatureReport(
        field_name=str(sig.field_name),
        signer=_summary(cert),
        chain=chain,
        trust_anchor=path[0].subject.human_friendly if path else None,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        signing_time=signing_time,
        signing_time_source=source,
        timestamp=timestamp,
        revocation=revocation,
        revoked_at=revoked_at,
        level=level,
        coverage=coverage,
        modified_after_signing=coverage != "entire_file",
        changes_allowed=changes_allowed,
        modification_level=modification,
        holds=not problems,
        problems=problems,
    )


def _problems(
    status: PdfSignatureStatus, timestamp: TimestampReport | None, revocation: str, changes_allowed: bool
) -> list[str]:
    problems = []
    if not status.intact:
        problems.append("document_altered")
    if not status.valid:
        problems.append("signature_invalid")
    if revocation == "revoked":
        problems.append("certificate_revoked")
    elif not status.trusted:
        problems.append("untrusted_certificate")
    if timestamp is not None and not (timestamp.valid and timestamp.trusted):
        problems.append("timestamp_invalid")
    if not changes_allowed or status.coverage not in (
        SignatureCoverageLevel.ENTIRE_FILE,
        SignatureCoverageLevel.ENTIRE_REVISION,
    ):
        problems.append("modified_after_signing")
    return problems


def check_pdf(reader: PdfFileReader, material: TrustMaterial) -> list[SignatureReport]:
    """Reports for every regular signature of the document, in signing order."""
    dss = _read_dss(reader)
    return [
        check_signature(sig, dss=dss, material=material, has_dss=dss is not None)
        for sig in reader.embedded_regular_signatures
    ]
