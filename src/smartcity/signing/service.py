"""Use cases of the signing domain: the city PKI, signing PDFs, verifying them."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from PIL import Image, UnidentifiedImageError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core import clock
from smartcity.core.config import Settings, get_settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.signing import appearance, pades, pki, token, tsa
from smartcity.signing.appearance import Placement as Placement
from smartcity.signing.config import SigningSettings, get_signing_settings
from smartcity.signing.errors import CertificateNotUsable, PkiNotInitialised
from smartcity.signing.events import CertificateIssued, CertificateRevoked, DocumentSigned, PkiInitialised
from smartcity.signing.keys import (
    provider_for,
    seal_private_key,
    software_key,
    to_asn1_cert,
    to_asn1_key,
)
from smartcity.signing.models import Authority, Certificate, SignedDocument, StoredKey
from smartcity.signing.qr import add_verification_qr as add_verification_qr
from smartcity.signing.schemas import (
    CertificateRead,
    PkiStatus,
    SignedDocumentRead,
    VerificationReport,
)
from smartcity.signing.verification import TrustMaterial, check_pdf

SIGNING_ROLES_FOR_SEAL = ("leader", "head", "clerk")
MAX_IMAGE_BYTES = 2 * 1024 * 1024


def _secret(settings: Settings | None) -> str:
    return (settings or get_settings()).resolved_secret_key


def _signing(signing_settings: SigningSettings | None) -> SigningSettings:
    return signing_settings or get_signing_settings()


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


# --- authorities -----------------------------------------------------------------------------------


def _authority_row(session: Session, slug: str) -> Certificate:
    cert = session.scalar(
        select(Certificate)
        .join(Authority, Authority.certificate_id == Certificate.id)
        .where(Authority.slug == slug)
    )
    if cert is None:
        raise PkiNotInitialised("The city PKI is not initialised: run `smartcity pki init`")
    return cert


def _key_of(session: Session, row: Certificate, secret: str) -> rsa.RSAPrivateKey:
    stored = session.get(StoredKey, row.key_id) if row.key_id else None
    if stored is None:
        raise Conflict(f"No key is held for certificate {row.serial}")
    return software_key(stored, secret)


def _store_key(session: Session, key: rsa.RSAPrivateKey, secret: str) -> StoredKey:
    public_hash = pki.public_key_sha256(key)
    stored = StoredKey(
        provider="software",
        algorithm=f"rsa-{key.key_size}",
        public_key_sha256=public_hash,
        sealed=seal_private_key(secret, key, public_hash),
    )
    session.add(stored)
    session.flush()
    return stored


def _token_key_row(session: Session, held: token.TokenKey | None) -> StoredKey | None:
    """The row naming a key on a token (reused when a certificate is issued again for the same key)."""
    if held is None:
        return None
    public_hash = pki.public_key_sha256(held.public_key)
    stored = session.scalar(select(StoredKey).where(StoredKey.public_key_sha256 == public_hash))
    if stored is not None:
        if stored.provider != "pkcs11":
            raise Conflict("This public key is already held in software by the platform")
        stored.token_label, stored.key_label = held.token_label, held.key_label
        return stored
    stored = StoredKey(
        provider="pkcs11",
        algorithm=f"rsa-{held.public_key.key_size}",
        public_key_sha256=public_hash,
        sealed=None,
        token_label=held.token_label,
        key_label=held.key_label,
    )
    session.add(stored)
    session.flush()
    return stored


def _add_certificate(
    session: Session,
    cert: x509.Certificate,
    *,
    kind: str,
    holder: str | None = None,
    org_unit_code: str | None = None,
    issuer_slug: str | None,
    key: StoredKey | None = None,
    image_png: bytes | None = None,
    trusted: bool = False,
) -> Certificate:
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    row = Certificate(
        serial=pki.serial_hex(cert.serial_number),
        kind=kind,
        subject=cert.subject.rfc4514_string()[:500],
        common_name=str(cn[0].value)[:200] if cn else "",
        holder=holder,
        org_unit_code=org_unit_code,
        issuer_slug=issuer_slug,
        status="active",
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        fingerprint_sha256=pki.fingerprint(cert),
        der=cert.public_bytes(serialization.Encoding.DER),
        key_id=key.id if key else None,
        image_png=image_png,
        trusted=trusted,
    )
    session.add(row)
    session.flush()
    return row


def init_pki(
    db: Database,
    *,
    actor: Actor,
    settings: Settings | None = None,
    signing_settings: SigningSettings | None = None,
) -> PkiStatus:
    """Create the city root CA, the issuing CA and the TSA (once); keys sealed in the database."""
    _require_admin(actor)
    conf, secret = _signing(signing_settings), _secret(settings)
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        if s.scalar(select(Authority).where(Authority.slug == "root")) is not None:
            raise Conflict("The city PKI is already initialised")
        root_key = pki.new_rsa_key(conf.signing_root_key_bits)
        root = pki.build_certificate(
            kind="root-ca",
            subject=_ca_subject(conf, f"CA gốc {conf.city_name}"),
            public_key=root_key.public_key(),
            issuer=None,
            issuer_key=root_key,
            lifetime=timedelta(days=365 * conf.signing_root_years),
        )
        issuing_key = pki.new_rsa_key(conf.signing_key_bits)
        issuing = pki.build_certificate(
            kind="issuing-ca",
            subject=_ca_subject(conf, f"CA cấp chứng thư {conf.city_name}"),
            public_key=issuing_key.public_key(),
            issuer=root,
            issuer_key=root_key,
            lifetime=timedelta(days=365 * conf.signing_issuing_years),
            endpoints=pki.Endpoints.for_ca(conf.base_url, "root"),
        )
        tsa_key = pki.new_rsa_key(conf.signing_key_bits)
        tsa_cert = pki.build_certificate(
            kind="tsa",
            subject=_ca_subject(conf, f"Dấu thời gian {conf.city_name}"),
            public_key=tsa_key.public_key(),
            issuer=issuing,
            issuer_key=issuing_key,
            lifetime=timedelta(days=365 * conf.signing_issuing_years),
            endpoints=pki.Endpoints.for_ca(conf.base_url, "issuing"),
        )
        rows = {}
        for slug, cert, key, kind, issuer in (
            ("root", root, root_key, "root-ca", None),
            ("issuing", issuing, issuing_key, "issuing-ca", "root"),
            ("tsa", tsa_cert, tsa_key, "tsa", "issuing"),
        ):
            row = _add_certificate(
                s, cert, kind=kind, issuer_slug=issuer, key=_store_key(s, key, secret), trusted=slug == "root"
            )
            s.add(Authority(slug=slug, certificate_id=row.id))
            uow.audit("signing.certificate_issued", "certificate", row.serial, after=_public_summary(row))
            rows[slug] = row
        uow.publish(
            PkiInitialised(
                root_serial=rows["root"].serial,
                issuing_serial=rows["issuing"].serial,
                tsa_serial=rows["tsa"].serial,
            )
        )
        return PkiStatus(
            initialised=True, root=_read(rows["root"]), issuing=_read(rows["issuing"]), tsa=_read(rows["tsa"])
        )


def _ca_subject(conf: SigningSettings, common_name: str) -> pki.SubjectInfo:
    return pki.SubjectInfo(
        common_name=common_name, organisation=conf.city_organisation, locality=conf.city_name
    )


def pki_status(db: Database) -> PkiStatus:
    """The city's authorities, or `initialised=False`."""
    with db.session() as s:
        try:
            return PkiStatus(
                initialised=True,
                root=_read(_authority_row(s, "root")),
                issuing=_read(_authority_row(s, "issuing")),
                tsa=_read(_authority_row(s, "tsa")),
            )
        except PkiNotInitialised:
            return PkiStatus(initialised=False)


def root_certificate_pem(db: Database) -> str:
    """The city root certificate in PEM, to install as a trust anchor anywhere."""
    with db.session() as s:
        return _load(_authority_row(s, "root")).public_bytes(serialization.Encoding.PEM).decode()


def ca_certificate_der(db: Database, slug: str) -> bytes:
    """The DER certificate of the CA `slug` (root or issuing), as AIA caIssuers URLs serve it."""
    if slug not in ("root", "issuing"):
        raise NotFound(f"No certificate authority {slug!r}")
    with db.session() as s:
        return bytes(_authority_row(s, slug).der)


# --- issuing and revoking ----------------------------------------------------------------------------


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
    org_unit_code: str | None,
    image_png: bytes | None,
    public_key: rsa.RSAPublicKey | None,
    settings: Settings | None,
    signing_settings: SigningSettings | None,
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
        uow.audit("signing.certificate_issued", "certificate", row.serial, after=summary)
        uow.publish(
            CertificateIssued(
                serial=row.serial,
                kind=kind,
                holder=holder,
                org_unit_code=org_unit_code,
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
    subject = pki.SubjectInfo(
        common_name=full_name,
        organisation=organisation or conf.city_organisation,
        locality=conf.city_name,
        org_unit=org_unit_code,
        user_id=username,
    )
    return _issue(
        db,
        actor=actor,
        kind="official",
        subject=subject,
        holder=username,
        org_unit_code=org_unit_code,
        image_png=_check_png(signature_png, "signature_image"),
        public_key=None,
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
    subject = pki.SubjectInfo(
        common_name=full_name,
        organisation=organisation or conf.city_organisation,
        locality=conf.city_name,
        org_unit=org_unit_code,
        user_id=username,
    )
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
            public_key=None,
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
    subject = pki.SubjectInfo(
        common_name=name, organisation=conf.city_organisation, locality=conf.city_name, org_unit=org_unit_code
    )
    return _issue(
        db,
        actor=actor,
        kind="organisation",
        subject=subject,
        holder=org_unit_code,
        org_unit_code=org_unit_code,
        image_png=_check_png(seal_png, "seal_image"),
        public_key=None,
        settings=settings,
        signing_settings=signing_settings,
    )


def _device_subject(conf: SigningSettings, device_id: str) -> pki.SubjectInfo:
    """CN = the device id: the broker takes it as the MQTT username (use_identity_as_username)."""
    return pki.SubjectInfo(
        common_name=device_id,
        organisation=conf.city_organisation,
        locality=conf.city_name,
        serial_number=device_id,
    )


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
        org_unit_code=None,
        image_png=None,
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


def _hand_out(db: Database, certificate: CertificateRead, key: rsa.RSAPrivateKey) -> IssuedWithKey:
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
    conf = _signing(signing_settings)
    key = pki.new_rsa_key(conf.signing_key_bits)
    certificate = _issue(
        db,
        actor=actor,
        kind="device",
        subject=_device_subject(conf, device_id),
        holder=device_id,
        org_unit_code=None,
        image_png=None,
        public_key=None,
        settings=settings,
        signing_settings=signing_settings,
        handed_out_key=key,
    )
    return _hand_out(db, certificate, key)


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
    key = pki.new_rsa_key(conf.signing_key_bits)
    certificate = _issue(
        db,
        actor=actor,
        kind="server",
        subject=pki.SubjectInfo(
            common_name=common_name, organisation=conf.city_organisation, locality=conf.city_name
        ),
        holder=common_name,
        org_unit_code=None,
        image_png=None,
        public_key=None,
        settings=settings,
        signing_settings=signing_settings,
        handed_out_key=key,
        alt_names=alt_names,
    )
    return _hand_out(db, certificate, key)


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
        uow.audit("signing.root_trusted", "certificate", row.serial, after=_public_summary(row))
        uow.publish(
            CertificateIssued(
                serial=row.serial,
                kind=row.kind,
                holder=None,
                org_unit_code=None,
                not_after=row.not_after.isoformat(),
            )
        )
        return _read(row)


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
        row = uow.session.scalar(select(Certificate).where(Certificate.serial == serial.lower().lstrip("0")))
        if row is None:
            raise NotFound(f"No certificate with serial {serial}")
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
        row = s.scalar(select(Certificate).where(Certificate.serial == serial.lower().lstrip("0")))
        if row is None:
            raise NotFound(f"No certificate with serial {serial}")
        return _read(row)


def certificate_pem(db: Database, serial: str) -> str:
    """A certificate in PEM (public data)."""
    with db.session() as s:
        row = s.scalar(select(Certificate).where(Certificate.serial == serial.lower().lstrip("0")))
        if row is None:
            raise NotFound(f"No certificate with serial {serial}")
        return _load(row).public_bytes(serialization.Encoding.PEM).decode()


# --- CRL, OCSP, TSA ----------------------------------------------------------------------------------


def _revoked_by(s: Session, slug: str) -> list[pki.RevokedEntry]:
    rows = s.scalars(
        select(Certificate).where(Certificate.issuer_slug == slug, Certificate.status == "revoked")
    )
    return [
        pki.RevokedEntry(
            serial=int(r.serial, 16), revoked_at=r.revoked_at or r.updated_at, reason=r.revocation_reason
        )
        for r in rows
    ]


def _crl(s: Session, slug: str, secret: str) -> x509.CertificateRevocationList:
    row = _authority_row(s, slug)
    now = utcnow()
    return pki.build_crl(
        ca_cert=_load(row),
        ca_key=_key_of(s, row, secret),
        revoked=_revoked_by(s, slug),
        crl_number=int(now.timestamp() * 1000),
        now=now,
    )


def current_crl(db: Database, ca_slug: str, *, settings: Settings | None = None) -> bytes:
    """A fresh DER CRL of the CA `ca_slug` (root or issuing)."""
    if ca_slug not in ("root", "issuing"):
        raise NotFound(f"No certificate authority {ca_slug!r}")
    with db.session() as s:
        return _crl(s, ca_slug, _secret(settings)).public_bytes(serialization.Encoding.DER)


def answer_ocsp(db: Database, request_der: bytes, *, settings: Settings | None = None) -> bytes:
    """A DER OCSP response (RFC 6960) for a DER request about a certificate of the city CAs."""
    secret = _secret(settings)
    with db.session() as s:
        cas = []
        for slug in ("root", "issuing"):
            row = _authority_row(s, slug)
            cas.append((_load(row), _key_of(s, row, secret)))
        slug_of = {pki.fingerprint(cas[0][0]): "root", pki.fingerprint(cas[1][0]): "issuing"}

        def lookup(ca_cert: x509.Certificate, serial: int) -> pki.OcspAnswer | None:
            row = s.scalar(
                select(Certificate).where(
                    Certificate.serial == pki.serial_hex(serial),
                    Certificate.issuer_slug == slug_of[pki.fingerprint(ca_cert)],
                )
            )
            if row is None:
                return None
            revoked = (
                pki.RevokedEntry(serial=serial, revoked_at=row.revoked_at, reason=row.revocation_reason)
                if row.status == "revoked" and row.revoked_at
                else None
            )
            return pki.OcspAnswer(cert=_load(row), revoked=revoked)

        return pki.build_ocsp_response(request_der, cas, lookup)


def _timestamper(s: Session, secret: str) -> tsa.CityTimeStamper:
    row = _authority_row(s, "tsa")
    key = _key_of(s, row, secret)
    chain = SimpleCertificateStore.from_certs([to_asn1_cert(_load(_authority_row(s, "issuing")))])
    return tsa.CityTimeStamper(
        tsa_cert=to_asn1_cert(_load(row)), tsa_key=to_asn1_key(key), certs_to_embed=chain
    )


def timestamp_reply(db: Database, request_der: bytes, *, settings: Settings | None = None) -> bytes:
    """A DER RFC 3161 TimeStampResp for a DER TimeStampReq."""
    with db.session() as s:
        stamper = _timestamper(s, _secret(settings))
    return tsa.answer_request(stamper, request_der)


# --- signing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedPdf:
    """The result of signing: the new PDF and where anyone can verify it."""

    pdf: bytes
    document_id: str
    sha256: str
    field_name: str
    certificate_serial: str
    verification_url: str


@dataclass(frozen=True)
class _SignerMaterial:
    row: CertificateRead
    cert: x509.Certificate
    stored: StoredKey
    image_png: bytes | None
    chain: list[x509.Certificate]


def _authorise_signing(actor: Actor, signer_username: str | None, org_unit_code: str | None) -> None:
    if (signer_username is None) == (org_unit_code is None):
        raise BadRequest("Give exactly one of signer_username (an official) or org_unit_code (a seal)")
    if actor.kind == "system":
        return
    if signer_username is not None and not (actor.kind == "user" and actor.name == signer_username):
        raise Forbidden("Only the holder of a personal certificate can sign with it")
    if org_unit_code is not None and not any(
        actor.has_role(r, org_unit_code) for r in SIGNING_ROLES_FOR_SEAL
    ):
        raise Forbidden(f"You may not apply the seal of {org_unit_code}")


def _signer_material(s: Session, *, kind: str, holder: str) -> _SignerMaterial:
    rows = list(
        s.scalars(
            select(Certificate)
            .where(Certificate.kind == kind, Certificate.holder == holder)
            .order_by(Certificate.id.desc())
        )
    )
    if not rows:
        raise Forbidden(f"{holder} holds no {kind} signing certificate")
    row = rows[0]
    if row.status == "revoked":
        raise CertificateNotUsable(f"The certificate {row.serial} of {holder} is revoked and cannot sign")
    now = utcnow()
    if not row.not_before <= now <= row.not_after:
        raise CertificateNotUsable(f"The certificate {row.serial} of {holder} is not valid now")
    stored = s.get(StoredKey, row.key_id) if row.key_id else None
    if stored is None:
        raise Forbidden(f"The platform holds no key for the certificate of {holder}")
    s.expunge(stored)
    chain = [_load(_authority_row(s, "issuing")), _load(_authority_row(s, "root"))]
    return _SignerMaterial(
        row=_read(row), cert=_load(row), stored=stored, image_png=row.image_png, chain=chain
    )


def _validation_context(s: Session, secret: str, material: _SignerMaterial) -> ValidationContext:
    crls = [_crl(s, slug, secret).public_bytes(serialization.Encoding.DER) for slug in ("root", "issuing")]
    issuing = _authority_row(s, "issuing")
    issuing_key = _key_of(s, issuing, secret)
    issuing_cert = _load(issuing)
    tsa_cert = _load(_authority_row(s, "tsa"))
    ocsps = []
    for cert in (material.cert, tsa_cert):
        request = pki.ocsp_request_for(cert, issuing_cert)
        lookup = _ocsp_lookup_fixed(cert)
        ocsps.append(pki.build_ocsp_response(request, [(issuing_cert, issuing_key)], lookup))
    return ValidationContext(
        trust_roots=[to_asn1_cert(material.chain[-1])],
        other_certs=[to_asn1_cert(issuing_cert)],
        crls=[asn1_crl.CertificateList.load(c) for c in crls],
        ocsps=ocsps,
        allow_fetching=False,
    )


def _ocsp_lookup_fixed(cert: x509.Certificate) -> pki.OcspLookup:
    def lookup(_ca: x509.Certificate, serial: int) -> pki.OcspAnswer | None:
        return pki.OcspAnswer(cert=cert, revoked=None) if serial == cert.serial_number else None

    return lookup


def _stamp(
    reader: object,
    *,
    kind: str,
    appearance_kind: str,
    material: _SignerMaterial,
    placement: appearance.Placement | None,
    document_number: str | None,
    document_symbol: str | None,
    conf: SigningSettings,
) -> pades.VisibleStamp | None:
    if appearance_kind == "invisible":
        return None
    if appearance_kind == "attachment":
        lines = appearance.attachment_stamp_lines(
            organisation=material.row.common_name,
            number=document_number,
            symbol=document_symbol,
            signed_at=clock.local(utcnow()),
        )
        image = appearance.attachment_stamp_image(lines, font_path=conf.signing_font)
        return pades.VisibleStamp(image=image, placement=placement or appearance.attachment_placement(reader))  # type: ignore[arg-type]
    if material.image_png is not None:
        image = Image.open(io.BytesIO(material.image_png)).convert("RGBA")
    elif kind == "organisation":
        image = appearance.seal_image(material.row.common_name, font_path=conf.signing_font)
    else:
        image = appearance.signature_image(material.row.common_name, font_path=conf.signing_font_italic)
    if placement is None:
        placement = _default_placement(reader, kind)
    return pades.VisibleStamp(image=image, placement=placement)


def _default_placement(reader: object, kind: str) -> appearance.Placement:
    previous = appearance.last_visible_signature(reader)  # type: ignore[arg-type]
    if kind == "organisation" and previous is not None:
        return appearance.Placement(page=previous.page, box=appearance.seal_box_over(previous.box))
    return appearance.Placement(page=-1, box=appearance.DEFAULT_SIGNATURE_BOX)


def document_id_for(pdf: bytes) -> str:
    """The hash-based id a PDF first signed here is kept under (the first 32 hex digits of its SHA-256)."""
    return hashlib.sha256(pdf).hexdigest()[:32]


def verification_url(document_id: str, *, signing_settings: SigningSettings | None = None) -> str:
    """The public page that shows a stored signed document and its verification (the QR code target)."""
    return f"{_signing(signing_settings).base_url}/verify/{document_id}"


def sign_pdf(
    db: Database,
    *,
    actor: Actor,
    pdf: bytes,
    signer_username: str | None = None,
    org_unit_code: str | None = None,
    level: str = "B-T",
    appearance_kind: str = "visible",
    placement: appearance.Placement | None = None,
    reason: str | None = None,
    location: str | None = None,
    document_number: str | None = None,
    document_symbol: str | None = None,
    filename: str | None = None,
    document_id: str | None = None,
    settings: Settings | None = None,
    signing_settings: SigningSettings | None = None,
) -> SignedPdf:
    """Sign `pdf` as an official (signer_username) or with an organisation's seal (org_unit_code).

    level: B-B, B-T (timestamped by the city TSA) or B-LT (validation data embedded).
    appearance_kind: "visible" (signature image, or the seal over the left third of the last visible
    signature), "attachment" (text stamp with number, symbol and time, top right of page 1), "invisible".
    Each call adds an incremental update, so signatures accumulate in order. Nothing is stored if it fails.
    document_id: the id to keep a newly signed document under (e.g. the one its printed QR code names).
    """
    if level not in pades.LEVELS:
        raise ValidationFailed.for_field("level", f"must be one of {', '.join(pades.LEVELS)}")
    if appearance_kind not in ("visible", "invisible", "attachment"):
        raise ValidationFailed.for_field("appearance", "must be visible, invisible or attachment")
    _authorise_signing(actor, signer_username, org_unit_code)
    conf, secret = _signing(signing_settings), _secret(settings)
    reader = pades.open_pdf(pdf, max_bytes=conf.signing_max_upload_bytes)
    kind = "official" if signer_username else "organisation"
    holder = signer_username or org_unit_code or ""
    with db.session() as s:
        material = _signer_material(s, kind=kind, holder=holder)
        timestamper = _timestamper(s, secret) if level != "B-B" else None
        context = _validation_context(s, secret, material) if level == "B-LT" else None
    stamp = _stamp(
        reader,
        kind=kind,
        appearance_kind=appearance_kind,
        material=material,
        placement=placement,
        document_number=document_number,
        document_symbol=document_symbol,
        conf=conf,
    )
    field_name = f"Sig{len(reader.embedded_signatures) + 1}_{kind}_{secrets.token_hex(3)}"
    provider = provider_for(material.stored, secret=secret, settings=conf)
    with provider.signing(material.stored, material.cert, material.chain) as signer:
        signed = pades.sign(
            pdf,
            pades.SignRequest(
                signer=signer,
                field_name=field_name,
                level=level,
                timestamper=timestamper,
                validation_context=context,
                stamp=stamp,
                reason=reason,
                location=location or conf.city_name,
                name=material.row.common_name,
            ),
        )
    document_id = _store_signed(
        db,
        actor=actor,
        original=pdf,
        signed=signed,
        filename=filename,
        material=material,
        level=level,
        field_name=field_name,
        document_id=document_id,
    )
    return SignedPdf(
        pdf=signed,
        document_id=document_id,
        sha256=hashlib.sha256(signed).hexdigest(),
        field_name=field_name,
        certificate_serial=material.row.serial,
        verification_url=verification_url(document_id, signing_settings=conf),
    )


def _store_signed(
    db: Database,
    *,
    actor: Actor,
    original: bytes,
    signed: bytes,
    filename: str | None,
    material: _SignerMaterial,
    level: str,
    field_name: str,
    document_id: str | None = None,
) -> str:
    before_hash, after_hash = hashlib.sha256(original).hexdigest(), hashlib.sha256(signed).hexdigest()
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        current = s.get(Certificate, _certificate_id(s, material.row.serial))
        if current is None or current.status != "active":
            raise CertificateNotUsable(f"The certificate {material.row.serial} was revoked while signing")
        doc = s.scalar(
            select(SignedDocument)
            .where(SignedDocument.current_sha256 == before_hash)
            .order_by(SignedDocument.updated_at.desc())
            .limit(1)
        )
        if doc is None:
            doc = SignedDocument(
                id=document_id or document_id_for(original),
                original_sha256=before_hash,
                filename=(filename or "document.pdf")[:255],
                signature_count=0,
            )
            if s.get(SignedDocument, doc.id) is not None:
                if document_id is not None:
                    raise Conflict(f"A signed document {document_id} already exists")
                doc.id = document_id_for(original + secrets.token_bytes(8))
            s.add(doc)
        doc.current_sha256, doc.content, doc.size = after_hash, signed, len(signed)
        doc.signature_count += 1
        s.flush()
        uow.audit(
            "signing.pdf_signed",
            "signed_document",
            doc.id,
            after={
                "sha256": after_hash,
                "previous_sha256": before_hash,
                "certificate_serial": material.row.serial,
                "signer": material.row.subject,
                "level": level,
                "field": field_name,
            },
        )
        uow.publish(
            DocumentSigned(
                document_id=doc.id,
                sha256=after_hash,
                certificate_serial=material.row.serial,
                signer_kind=material.row.kind,
                holder=material.row.holder,
                level=level,
                signature_count=doc.signature_count,
            )
        )
        return doc.id


def _certificate_id(s: Session, serial: str) -> int:
    return s.scalar(select(Certificate.id).where(Certificate.serial == serial)) or 0


def get_signed_document(db: Database, document_id: str) -> SignedDocumentRead:
    """A stored signed document's facts (not its bytes)."""
    with db.session() as s:
        doc = s.get(SignedDocument, document_id)
        if doc is None:
            raise NotFound(f"No signed document {document_id}")
        return SignedDocumentRead.model_validate(doc)


def signed_document_pdf(db: Database, document_id: str) -> bytes:
    """The latest signed version of a stored document."""
    with db.session() as s:
        doc = s.get(SignedDocument, document_id)
        if doc is None:
            raise NotFound(f"No signed document {document_id}")
        return bytes(doc.content)


# --- verification ------------------------------------------------------------------------------------


def _trust_material(s: Session, secret: str) -> TrustMaterial:
    roots = [
        to_asn1_cert(_load(r))
        for r in s.scalars(
            select(Certificate).where(Certificate.trusted.is_(True), Certificate.status == "active")
        )
    ]
    others, crls, authoritative = [], [], set()
    for slug in ("root", "issuing"):
        try:
            row = _authority_row(s, slug)
        except PkiNotInitialised:
            continue
        cert = to_asn1_cert(_load(row))
        others.append(cert)
        crls.append(
            asn1_crl.CertificateList.load(_crl(s, slug, secret).public_bytes(serialization.Encoding.DER))
        )
        authoritative.add(cert.subject.dump())
    return TrustMaterial(
        roots=roots, other_certs=others, crls=crls, authoritative_issuers=frozenset(authoritative)
    )


def verify_pdf(
    db: Database,
    pdf: bytes,
    *,
    settings: Settings | None = None,
    signing_settings: SigningSettings | None = None,
) -> VerificationReport:
    """Check every signature of a PDF: signer, chain to a trusted root, revocation at signing time,
    timestamp, and whether the document changed after signing."""
    conf = _signing(signing_settings)
    reader = pades.open_pdf(pdf, max_bytes=conf.signing_max_upload_bytes)
    digest = hashlib.sha256(pdf).hexdigest()
    with db.session() as s:
        material = _trust_material(s, _secret(settings))
        stored = s.scalar(select(SignedDocument.id).where(SignedDocument.current_sha256 == digest).limit(1))
    signatures = check_pdf(reader, material)
    return VerificationReport(
        sha256=digest,
        size=len(pdf),
        document_id=stored,
        signature_count=len(signatures),
        all_hold=bool(signatures) and all(sig.holds for sig in signatures),
        signatures=signatures,
        checked_at=utcnow(),
    )


def verify_signed_document(
    db: Database,
    document_id: str,
    *,
    settings: Settings | None = None,
    signing_settings: SigningSettings | None = None,
) -> VerificationReport:
    """Verify the stored latest version of a signed document (what the QR code leads to)."""
    pdf = signed_document_pdf(db, document_id)
    report = verify_pdf(db, pdf, settings=settings, signing_settings=signing_settings)
    return report.model_copy(update={"document_id": document_id})


def signing_time_of(report: VerificationReport) -> datetime | None:
    """The proven (or claimed) time of the last signature of a report."""
    return report.signatures[-1].signing_time if report.signatures else None


def asn1_root(db: Database) -> asn1_x509.Certificate:
    """The city root as an asn1crypto certificate (for pyHanko-based checks)."""
    with db.session() as s:
        return to_asn1_cert(_load(_authority_row(s, "root")))


# What other domains use of signing's inner modules, named here so that they import only this module.
open_pdf = pades.open_pdf
