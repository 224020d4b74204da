"""Signing: part of the signing service (see __init__)."""

from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass

from asn1crypto import crl as asn1_crl
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from PIL import Image
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database, get_or_404, utcnow
from smartcity.core.errors import BadRequest, Conflict, Forbidden, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.signing import appearance, pades, pki
from smartcity.signing.appearance import Placement as Placement
from smartcity.signing.config import SigningSettings
from smartcity.signing.errors import CertificateNotUsable
from smartcity.signing.events import DocumentSigned
from smartcity.signing.keys import (
    provider_for,
    to_asn1_cert,
)
from smartcity.signing.models import Certificate, SignedDocument, StoredKey
from smartcity.signing.qr import add_verification_qr as add_verification_qr
from smartcity.signing.schemas import (
    CertificateRead,
    SignedDocumentRead,
)
from smartcity.signing.service.authorities import _authority_row, _key_of
from smartcity.signing.service.common import SIGNING_ROLES_FOR_SEAL, _load, _read, _secret, _signing
from smartcity.signing.service.crl_ocsp_tsa import _crl, _timestamper


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
    return f"{_signing(signing_settings).base_url}/kiem-tra-chu-ky/{document_id}"


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
        doc = get_or_404(s, SignedDocument, document_id, f"No signed document {document_id}")
        return SignedDocumentRead.model_validate(doc)


def signed_document_pdf(db: Database, document_id: str) -> bytes:
    """The latest signed version of a stored document."""
    with db.session() as s:
        doc = get_or_404(s, SignedDocument, document_id, f"No signed document {document_id}")
        return bytes(doc.content)
