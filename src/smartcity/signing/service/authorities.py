"""Authorities: part of the signing service (see __init__)."""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import Conflict, NotFound
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.signing import pki, token
from smartcity.signing.appearance import Placement as Placement
from smartcity.signing.config import SigningSettings
from smartcity.signing.errors import PkiNotInitialised
from smartcity.signing.events import PkiInitialised
from smartcity.signing.keys import (
    seal_private_key,
    software_key,
)
from smartcity.signing.models import Authority, Certificate, StoredKey
from smartcity.signing.qr import add_verification_qr as add_verification_qr
from smartcity.signing.schemas import (
    PkiStatus,
)
from smartcity.signing.service.common import (
    _city_subject,
    _load,
    _public_summary,
    _read,
    _require_admin,
    _secret,
    _signing,
)


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
        built: dict[str, tuple[x509.Certificate, rsa.RSAPrivateKey]] = {}
        rows = {}
        top = (conf.signing_root_key_bits, conf.signing_root_years)
        below = (conf.signing_key_bits, conf.signing_issuing_years)
        for slug, kind, name, (bits, years), issuer in (
            ("root", "root-ca", "CA gốc", top, None),
            ("issuing", "issuing-ca", "CA cấp chứng thư", below, "root"),
            ("tsa", "tsa", "Dấu thời gian", below, "issuing"),
        ):
            key = pki.new_rsa_key(bits)
            issuer_cert, issuer_key = built[issuer] if issuer else (None, key)
            cert = pki.build_certificate(
                kind=kind,
                subject=_city_subject(conf, f"{name} {conf.city_name}"),
                public_key=key.public_key(),
                issuer=issuer_cert,
                issuer_key=issuer_key,
                lifetime=timedelta(days=365 * years),
                endpoints=pki.Endpoints.for_ca(conf.base_url, issuer) if issuer else None,
            )
            built[slug] = (cert, key)
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
