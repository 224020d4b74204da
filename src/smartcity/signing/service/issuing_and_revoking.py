"""Issuing and revoking: part of the signing service (see __init__)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, NotFound, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.signing import pki, token
from smartcity.signing.appearance import Placement as Placement
from smartcity.signing.config import SigningSettings
from smartcity.signing.events import CertificateIssued, CertificateRevoked
from smartcity.signing.models import Certificate
from smartcity.signing.qr import add_verification_qr as add_verification_qr
from smartcity.signing.schemas import (
    CertificateRead,
)
from smartcity.signing.service.authorities import (
    _add_certificate,
    _authority_row,
    _key_of,
    _store_key,
    _token_key_row,
)
from smartcity.signing.service.common import (
    MAX_IMAGE_BYTES,
    _city_subject,
    _load,
    _public_summary,
    _read,
    _require_admin,
    _secret,
    _signing,
)


def _check_png(image_png: bytes | None, field: str) -> bytes | None:
    if image_png is None:
        return None
    if len(image_png) > MAX_IMAGE_BYTES:
        raise ValidationFailed.for_field(field, "the image is larger than 2 MB")
    try:
        with Image.open(io.BytesIO(image_png)) as image:
            image.load()
            if image.format != "PNG":
                raise ValidationFailed.for_field(field, "the image must be a PNG")
    except (UnidentifiedImageError, OSError) as exc:
        raise ValidationFailed.for_field(field, "the file is not a readable image") from exc
    return image_png


def _issue(
    db: Database,
    *,
    actor: Actor,
    kind: str,
    subject: pki.SubjectInfo,
    holder: str,
    settings: Settings | None,
    signing_settings: SigningSettings | None,
    org_unit_code: str | None = None,
    image_png: bytes | None = None,
    public_key: rsa.RSAPublicKey | None = None,
    handed_out_key: rsa.RSAPrivateKey | None = None,
    alt_names: list[x509.GeneralName] | None = None,
    token_key: token.TokenKey | None = None,
) -> CertificateRead:
    """Issue for the CSR's `public_key`, for a `handed_out_key` kept nowhere here, for a key held on a
    token (`token_key`), or for a new sealed key."""
    _require_admin(actor)
    conf, secret = _signing(signing_settings), _secret(settings)
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        issuer_row = _authority_row(s, "issuing")
        issuer_key = _key_of(s, issuer_row, secret)
        if handed_out_key is not None:
            public_key = handed_out_key.public_key()
        if token_key is not None:
            public_key = token_key.public_key
        key = pki.new_rsa_key(conf.signing_key_bits) if public_key is None else None
        cert = pki.build_certificate(
            kind=kind,
            subject=subject,
            public_key=key.public_key() if key else public_key,  # type: ignore[arg-type]
            issuer=_load(issuer_row),
            issuer_key=issuer_key,
            lifetime=timedelta(days=365 * conf.signing_certificate_years),
            endpoints=pki.Endpoints.for_ca(conf.base_url, "issuing"),
            alt_names=alt_names,
        )
        for old in _active_certificates(s, kind=kind, holder=holder):
            _mark_revoked(uow, old, "superseded")
        row = _add_certificate(
            s,
            cert,
            kind=kind,
            holder=holder,
            org_unit_code=org_unit_code,
            issuer_slug="issuing",
            key=_store_key(s, key, secret) if key else _token_key_row(s, token_key),
            image_png=image_png,
        )
        summary = _public_summary(row)
        if token_key is not None:  # where the key is, never how to use it (no PIN)
            summary["key_on_token"] = {"token": token_key.token_label, "label": token_key.key_label}
        return _issued(uow, row, "signing.certificate_issued", summary)


def _issued(uow: UnitOfWork, row: Certificate, action: str, summary: dict[str, object]) -> CertificateRead:
    """Audit and announce a certificate just added."""
    uow.audit(action, "certificate", row.serial, after=summary)
    uow.publish(
        CertificateIssued(
            serial=row.serial,
            kind=row.kind,
            holder=row.holder,
            org_unit_code=row.org_unit_code,
            not_after=row.not_after.isoformat(),
        )
    )
    return _read(row)


def _active_certificates(s: Session, *, kind: str, holder: str) -> list[Certificate]:
    return list(
        s.scalars(
            select(Certificate).where(
                Certificate.kind == kind, Certificate.holder == holder, Certificate.status == "active"
            )
        )
    )


def _official_subject(
    conf: SigningSettings, username: str, full_name: str, org_unit_code: str | None, organisation: str | None
) -> pki.SubjectInfo:
    return _city_subject(conf, full_name, organisation=organisation, org_unit=org_unit_code, user_id=username)


def issue_official_certificate(
    db: Database,
    *,
    actor: Actor,
    username: str,
    full_name: str,
    org_unit_code: str | None = None,
    organisation: str | None = None,
    signature_png: bytes | None = None,
    settings: Settings | None = None,
    signing_settings: SigningSettings | None = None,
) -> CertificateRead:
    """Issue an official's personal signing certificate (the previous one is superseded)."""
    conf = _signing(signing_settings)
    subject = _official_subject(conf, username, full_name, org_unit_code, organisation)
    return _issue(
        db,
        actor=actor,
        kind="official",
        subject=subject,
        holder=username,
        org_unit_code=org_unit_code,
        image_png=_check_png(signature_png, "signature_image"),
        settings=settings,
        signing_settings=signing_settings,
    )


def issue_official_certificate_on_token(
    db: Database,
    *,
    actor: Actor,
    username: str,
    full_name: str,
    key_label: str | None = None,
    token_label: str | None = None,
    generate: bool = False,
    write_certificate: bool = True,
    org_unit_code: str | None = None,
    organisation: str | None = None,
    signature_png: bytes | None = None,
    settings: Settings | None = None,
    signing_settings: SigningSettings | None = None,
) -> CertificateRead:
    """Issue an official's certificate for an RSA key pair on the configured PKCS#11 token.

    generate: make a new key pair on the token (sensitive, not extractable); otherwise use the pair
    labelled `key_label` (default `smartcity-<username>`). The platform stores only where the key is.
    write_certificate: also store the issued certificate on the token beside its key.
    """
    _require_admin(actor)
    conf = _signing(signing_settings)
    label = token.token_label_of(conf, token_label)
    key_label = key_label or f"smartcity-{username}"
    subject = _official_subject(conf, username, full_name, org_unit_code, organisation)
    image = _check_png(signature_png, "signature_image")
    with db.session() as s:
        _authority_row(s, "issuing")  # refuse before a key is generated for nothing
    with token.open_session(conf, label, read_write=generate or write_certificate) as session:
        if generate:
            held = token.generate_key(
                session, token_label=label, key_label=key_label, bits=conf.signing_key_bits
            )
        else:
            held = token.find_key(session, token_label=label, key_label=key_label)
        issued = _issue(
            db,
            actor=actor,
            kind="official",
            subject=subject,
            holder=username,
            org_unit_code=org_unit_code,
            image_png=image,
            settings=settings,
            signing_settings=conf,
            token_key=held,
        )
        if write_certificate:
            token.write_certificate(session, _load_serial(db, issued.serial), key_label=key_label)
    return issued


def _load_serial(db: Database, serial: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(certificate_pem(db, serial).encode())


def issue_organisation_certificate(
    db: Database,
    *,
    actor: Actor,
    org_unit_code: str,
    name: str,
    seal_png: bytes | None = None,
    settings: Settings | None = None,
    signing_settings: SigningSettings | None = None,
) -> CertificateRead:
    """Issue the seal certificate of an organisation (the previous one is superseded)."""
    conf = _signing(signing_settings)
    return _issue(
        db,
        actor=actor,
        kind="organisation",
        subject=_city_subject(conf, name, org_unit=org_unit_code),
        holder=org_unit_code,
        org_unit_code=org_unit_code,
        image_png=_check_png(seal_png, "seal_image"),
        settings=settings,
        signing_settings=signing_settings,
    )


def _device_subject(conf: SigningSettings, device_id: str) -> pki.SubjectInfo:
    """CN = the device id: the broker takes it as the MQTT username (use_identity_as_username)."""
    return _city_subject(conf, device_id, serial_number=device_id)


def issue_device_certificate(
    db: Database,
    *,
    actor: Actor,
    device_id: str,
    csr_pem: str | None = None,
    settings: Settings | None = None,
    signing_settings: SigningSettings | None = None,
) -> CertificateRead:
    """Issue a device certificate, for the key in the device's CSR (or a key kept sealed here)."""
    conf = _signing(signing_settings)
    public_key = _csr_public_key(csr_pem) if csr_pem else None
    return _issue(
        db,
        actor=actor,
        kind="device",
        subject=_device_subject(conf, device_id),
        holder=device_id,
        public_key=public_key,
        settings=settings,
        signing_settings=signing_settings,
    )


@dataclass(frozen=True)
class IssuedWithKey:
    """A certificate with its private key, handed out once: the platform keeps no copy of the key."""

    certificate: CertificateRead
    certificate_pem: str
    private_key_pem: str = field(repr=False)


def _issue_handed_out(
    db: Database, *, signing_settings: SigningSettings | None, **issue: Any
) -> IssuedWithKey:
    """Issue (as `_issue`) for a fresh key handed out once with its certificate."""
    key = pki.new_rsa_key(_signing(signing_settings).signing_key_bits)
    certificate = _issue(db, signing_settings=signing_settings, handed_out_key=key, **issue)
    return IssuedWithKey(
        certificate=certificate,
        certificate_pem=certificate_pem(db, certificate.serial),
        private_key_pem=pki.private_key_pem(key).decode(),
    )


def issue_device_certificate_with_key(
    db: Database,
    *,
    actor: Actor,
    device_id: str,
    settings: Settings | None = None,
    signing_settings: SigningSettings | None = None,
) -> IssuedWithKey:
    """Issue a device certificate for a fresh key given to the caller once (simulators, demo devices)."""
    return _issue_handed_out(
        db,
        actor=actor,
        kind="device",
        subject=_device_subject(_signing(signing_settings), device_id),
        holder=device_id,
        settings=settings,
        signing_settings=signing_settings,
    )


DNS_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
DNS_NAME = re.compile(rf"^(?=.{{1,253}}$)(\*\.)?{DNS_LABEL}(\.{DNS_LABEL})*$")


def issue_server_certificate(
    db: Database,
    *,
    actor: Actor,
    dns_names: list[str],
    ip_addresses: list[str],
    settings: Settings | None = None,
    signing_settings: SigningSettings | None = None,
) -> IssuedWithKey:
    """Issue a TLS server certificate (serverAuth, SAN DNS/IP) for a fresh key handed out once."""
    dns_names = [name.strip().lower().rstrip(".") for name in dns_names]
    if not dns_names and not ip_addresses:
        raise ValidationFailed.for_field("dns_names", "give at least one DNS name or IP address")
    for name in dns_names:
        if not DNS_NAME.match(name):
            raise ValidationFailed.for_field("dns_names", f"not a DNS name: {name!r}")
    try:
        alt_names = pki.server_alt_names(dns_names, ip_addresses)
    except ValueError as exc:
        raise ValidationFailed.for_field("ip_addresses", str(exc)) from exc
    conf = _signing(signing_settings)
    common_name = (dns_names or ip_addresses)[0]
    return _issue_handed_out(
        db,
        actor=actor,
        kind="server",
        subject=_city_subject(conf, common_name),
        holder=common_name,
        settings=settings,
        signing_settings=signing_settings,
        alt_names=alt_names,
    )


def ca_chain_pem(db: Database) -> str:
    """The issuing CA then the root in PEM: what a TLS peer needs to check the city's certificates."""
    with db.session() as s:
        rows = (_authority_row(s, "issuing"), _authority_row(s, "root"))
        return "".join(_load(row).public_bytes(serialization.Encoding.PEM).decode() for row in rows)


def _csr_public_key(csr_pem: str) -> rsa.RSAPublicKey:
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
    except ValueError as exc:
        raise ValidationFailed.for_field("csr_pem", "not a PEM certificate signing request") from exc
    key = csr.public_key()
    if not csr.is_signature_valid or not isinstance(key, rsa.RSAPublicKey):
        raise ValidationFailed.for_field("csr_pem", "the CSR must be self-signed with an RSA key")
    return key


def register_trusted_root(db: Database, *, actor: Actor, certificate: bytes) -> CertificateRead:
    """Trust an external CA certificate (PEM or DER) as a root for verification."""
    _require_admin(actor)
    try:
        cert = (
            x509.load_pem_x509_certificate(certificate)
            if b"-----BEGIN" in certificate
            else x509.load_der_x509_certificate(certificate)
        )
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except (ValueError, x509.ExtensionNotFound) as exc:
        raise ValidationFailed.for_field("certificate", "not a CA certificate in PEM or DER") from exc
    if not constraints.ca:
        raise ValidationFailed.for_field("certificate", "the certificate is not a CA certificate")
    with UnitOfWork(db, actor) as uow:
        if (
            uow.session.scalar(
                select(Certificate).where(Certificate.fingerprint_sha256 == pki.fingerprint(cert))
            )
            is not None
        ):
            raise Conflict("This certificate is already registered")
        row = _add_certificate(uow.session, cert, kind="external-root", issuer_slug=None, trusted=True)
        return _issued(uow, row, "signing.root_trusted", _public_summary(row))


def _whole_second(moment: datetime) -> datetime:
    """CRLs and OCSP carry whole seconds; rounding down errs on the safe side: a signature made in the
    same second as the revocation counts as made after it."""
    return moment.replace(microsecond=0)


def _mark_revoked(uow: UnitOfWork, row: Certificate, reason: str) -> None:
    before = _public_summary(row)
    row.status, row.revoked_at, row.revocation_reason = "revoked", _whole_second(utcnow()), reason
    uow.session.flush()
    uow.audit(
        "signing.certificate_revoked", "certificate", row.serial, before=before, after=_public_summary(row)
    )
    uow.publish(
        CertificateRevoked(
            serial=row.serial,
            kind=row.kind,
            holder=row.holder,
            reason=reason,
            revoked_at=row.revoked_at.isoformat(),
        )
    )


def revoke_certificate(
    db: Database, *, actor: Actor, serial: str, reason: str = "unspecified"
) -> CertificateRead:
    """Revoke a certificate issued by the city CAs; from now on it cannot sign."""
    _require_admin(actor)
    if reason not in pki.REASONS:
        raise ValidationFailed.for_field("reason", f"unknown revocation reason {reason!r}")
    with UnitOfWork(db, actor) as uow:
        row = _certificate_row(uow.session, serial)
        if row.kind in ("root-ca", "external-root"):
            raise Conflict("A root certificate is not revoked; remove its trust instead")
        if row.status == "revoked":
            raise Conflict(f"Certificate {serial} is already revoked")
        _mark_revoked(uow, row, reason)
        return _read(row)


def list_certificates(
    db: Database, *, kind: str | None = None, holder: str | None = None
) -> list[CertificateRead]:
    """Certificates, newest first, optionally of one kind or holder."""
    with db.session() as s:
        query = select(Certificate).order_by(Certificate.id.desc())
        if kind:
            query = query.where(Certificate.kind == kind)
        if holder:
            query = query.where(Certificate.holder == holder)
        return [_read(row) for row in s.scalars(query)]


def get_certificate(db: Database, serial: str) -> CertificateRead:
    """One certificate by serial (hex)."""
    with db.session() as s:
        return _read(_certificate_row(s, serial))


def certificate_pem(db: Database, serial: str) -> str:
    """A certificate in PEM (public data)."""
    with db.session() as s:
        return _load(_certificate_row(s, serial)).public_bytes(serialization.Encoding.PEM).decode()


def _certificate_row(s: Session, serial: str) -> Certificate:
    row = s.scalar(select(Certificate).where(Certificate.serial == serial.lower().lstrip("0")))
    if row is None:
        raise NotFound(f"No certificate with serial {serial}")
    return row
