"""JSON and binary API of the signing domain under /api/v1/signing (thin: parse, call the service, return)."""

from __future__ import annotations

import base64
import binascii
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from smartcity.core.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from smartcity.core.malware import Intake, screen
from smartcity.core.security import Actor
from smartcity.signing import service
from smartcity.signing.config import get_signing_settings
from smartcity.signing.schemas import (
    CertificateRead,
    DeviceCertificateCreate,
    OfficialCertificateCreate,
    OrganisationCertificateCreate,
    PkiStatus,
    RevocationRequest,
    SignedDocumentRead,
    VerificationReport,
)
from smartcity.web.deps import get_db, get_settings, require_actor, require_role
from smartcity.web.responses import pdf_response
from smartcity.web.uploads import read_pdf_upload

router = APIRouter(prefix="/api/v1/signing", tags=["signing"])
MAX_PROTOCOL_BODY = 64 * 1024
admin_only = require_role("admin")


async def _protocol_body(request: Request, content_type: str) -> bytes:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != content_type:
        raise UnsupportedMediaType(f"Send the request as {content_type}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_PROTOCOL_BODY:
            raise PayloadTooLarge("The request is too large")
    return bytes(body)


@router.get("/pki", response_model=PkiStatus, summary="The city's certificate authorities")
def get_pki(request: Request) -> PkiStatus:
    """The root CA, issuing CA and TSA certificates (public data)."""
    return service.pki_status(get_db(request))


@router.get("/root.pem", summary="The city root certificate (PEM)", response_class=Response)
def get_root_pem(request: Request) -> Response:
    """The trust anchor to install in independent verifiers."""
    return Response(service.root_certificate_pem(get_db(request)), media_type="application/x-pem-file")


@router.get(
    "/ca/{slug}.crt", summary="A CA certificate (DER), as AIA caIssuers names it", response_class=Response
)
def get_ca_certificate(slug: str, request: Request) -> Response:
    """The DER certificate of the root or issuing CA."""
    return Response(service.ca_certificate_der(get_db(request), slug), media_type="application/pkix-cert")


@router.get("/crl/{slug}.crl", summary="Current CRL of a city CA (DER)", response_class=Response)
def get_crl(slug: str, request: Request) -> Response:
    """A freshly signed CRL of the root or issuing CA."""
    der = service.current_crl(get_db(request), slug, settings=get_settings(request))
    return Response(der, media_type="application/pkix-crl", headers={"Cache-Control": "max-age=300"})


@router.post("/ocsp", summary="OCSP responder (RFC 6960)", response_class=Response)
async def post_ocsp(request: Request) -> Response:
    """application/ocsp-request in, application/ocsp-response out."""
    body = await _protocol_body(request, "application/ocsp-request")
    answer = await run_in_threadpool(
        service.answer_ocsp, get_db(request), body, settings=get_settings(request)
    )
    return Response(answer, media_type="application/ocsp-response")


@router.get(
    "/ocsp/{encoded:path}", summary="OCSP responder, GET form (RFC 6960 A.1)", response_class=Response
)
def get_ocsp(encoded: str, request: Request) -> Response:
    """The base64 (URL-encoded) DER request in the path."""
    try:
        body = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("The OCSP request is not base64") from exc
    answer = service.answer_ocsp(get_db(request), body, settings=get_settings(request))
    return Response(answer, media_type="application/ocsp-response")


@router.post("/tsa", summary="Timestamp authority (RFC 3161)", response_class=Response)
async def post_tsa(request: Request) -> Response:
    """application/timestamp-query in, application/timestamp-reply out."""
    body = await _protocol_body(request, "application/timestamp-query")
    answer = await run_in_threadpool(
        service.timestamp_reply, get_db(request), body, settings=get_settings(request)
    )
    return Response(answer, media_type="application/timestamp-reply")


@router.post("/verify", response_model=VerificationReport, summary="Verify the signatures of a PDF")
async def post_verify(request: Request) -> VerificationReport:
    """Upload a PDF (multipart field `file`, or an application/pdf body); every signature is checked."""
    upload = await read_pdf_upload(request, limit=get_signing_settings().signing_max_upload_bytes)
    return await run_in_threadpool(
        service.verify_pdf, get_db(request), upload.pdf, settings=get_settings(request)
    )


@router.get("/documents/{document_id}", summary="A signed document and its verification")
def get_document(document_id: str, request: Request) -> dict[str, Any]:
    """The stored document's facts and a fresh verification report."""
    db = get_db(request)
    document = service.get_signed_document(db, document_id)
    report = service.verify_signed_document(db, document_id, settings=get_settings(request))
    return {
        "document": SignedDocumentRead.model_validate(document).model_dump(mode="json"),
        "verification": report.model_dump(mode="json"),
    }


@router.get("/documents/{document_id}/pdf", summary="The signed PDF", response_class=Response)
def get_document_pdf(document_id: str, request: Request) -> Response:
    """The latest signed version of the document."""
    document = service.get_signed_document(get_db(request), document_id)
    pdf = service.signed_document_pdf(get_db(request), document_id)
    return pdf_response(pdf, _safe_name(document.filename))


def _safe_name(name: str) -> str:
    return "".join(c for c in name if c.isascii() and (c.isalnum() or c in "._-")) or "document.pdf"


@router.post(
    "/sign", summary="Sign a PDF with your certificate or your organisation's seal", response_class=Response
)
async def post_sign(request: Request, actor: Actor = Depends(require_actor)) -> Response:
    """Multipart: file, level (B-B|B-T|B-LT), appearance (visible|invisible|attachment), and either
    nothing (sign as yourself) or org_unit_code (apply that unit's seal); number/symbol for attachments."""
    upload = await read_pdf_upload(request, limit=get_signing_settings().signing_max_upload_bytes)
    await run_in_threadpool(screen, Intake(get_db(request), actor, "signing.sign"), upload.pdf)  # it is kept
    fields = upload.fields
    org_unit = fields.get("org_unit_code") or None
    signed = await run_in_threadpool(
        lambda: service.sign_pdf(
            get_db(request),
            actor=actor,
            pdf=upload.pdf,
            signer_username=None if org_unit else actor.name,
            org_unit_code=org_unit,
            level=fields.get("level", "B-T"),
            appearance_kind=fields.get("appearance", "visible"),
            reason=fields.get("reason"),
            document_number=fields.get("number"),
            document_symbol=fields.get("symbol"),
            filename=upload.filename,
            settings=get_settings(request),
        )
    )
    return Response(
        signed.pdf,
        media_type="application/pdf",
        headers={
            "X-Document-Id": signed.document_id,
            "Link": f'<{signed.verification_url}>; rel="verification"',
        },
    )


@router.get("/certificates", response_model=list[CertificateRead], summary="Certificates")
def get_certificates(
    request: Request,
    kind: str | None = None,
    holder: str | None = None,
    actor: Actor = Depends(require_actor),
) -> list[CertificateRead]:
    """Certificates issued or trusted by the platform (public data), newest first."""
    return service.list_certificates(get_db(request), kind=kind, holder=holder)


@router.get("/certificates/{serial}", response_model=CertificateRead, summary="One certificate")
def get_certificate(serial: str, request: Request) -> CertificateRead:
    """A certificate by serial (hex)."""
    return service.get_certificate(get_db(request), serial)


@router.get("/certificates/{serial}/pem", summary="A certificate in PEM", response_class=Response)
def get_certificate_pem(serial: str, request: Request) -> Response:
    """The certificate itself (public), never its key."""
    return Response(service.certificate_pem(get_db(request), serial), media_type="application/x-pem-file")


def _image(encoded: str | None, field: str) -> bytes | None:
    if not encoded:
        return None
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed.for_field(field, "must be base64") from exc


@router.post(
    "/certificates/officials",
    response_model=CertificateRead,
    status_code=201,
    summary="Issue an official's signing certificate",
)
def post_official(
    body: OfficialCertificateCreate, request: Request, actor: Actor = Depends(admin_only)
) -> CertificateRead:
    """Admin only; the key is generated and sealed on the platform, never returned, or it is held on the
    server's PKCS#11 token (key_on_token; the token's PIN is configured on the server, never sent)."""
    if not body.key_on_token and (body.key_label or body.generate_key):
        raise ValidationFailed.for_field("key_on_token", "key_label and generate_key go with key_on_token")
    issue = (
        partial(
            service.issue_official_certificate_on_token, key_label=body.key_label, generate=body.generate_key
        )
        if body.key_on_token
        else service.issue_official_certificate
    )
    return issue(
        get_db(request),
        actor=actor,
        username=body.username,
        full_name=body.full_name,
        org_unit_code=body.org_unit_code,
        organisation=body.organisation,
        signature_png=_image(body.signature_png_base64, "signature_png_base64"),
        settings=get_settings(request),
    )


@router.post(
    "/certificates/organisations",
    response_model=CertificateRead,
    status_code=201,
    summary="Issue an organisation's seal certificate",
)
def post_organisation(
    body: OrganisationCertificateCreate, request: Request, actor: Actor = Depends(admin_only)
) -> CertificateRead:
    """Admin only."""
    return service.issue_organisation_certificate(
        get_db(request),
        actor=actor,
        org_unit_code=body.org_unit_code,
        name=body.name,
        seal_png=_image(body.seal_png_base64, "seal_png_base64"),
        settings=get_settings(request),
    )


@router.post(
    "/certificates/devices",
    response_model=CertificateRead,
    status_code=201,
    summary="Issue a device certificate",
)
def post_device(
    body: DeviceCertificateCreate, request: Request, actor: Actor = Depends(admin_only)
) -> CertificateRead:
    """Admin only; send the device's CSR so that its key never leaves it."""
    return service.issue_device_certificate(
        get_db(request),
        actor=actor,
        device_id=body.device_id,
        csr_pem=body.csr_pem,
        settings=get_settings(request),
    )


@router.post("/certificates/{serial}/revoke", response_model=CertificateRead, summary="Revoke a certificate")
def post_revoke(
    serial: str, body: RevocationRequest, request: Request, actor: Actor = Depends(admin_only)
) -> CertificateRead:
    """Admin only; the certificate can no longer sign and CRL/OCSP report it revoked."""
    return service.revoke_certificate(get_db(request), actor=actor, serial=serial, reason=body.reason)


@router.post(
    "/trusted-roots",
    response_model=CertificateRead,
    status_code=201,
    summary="Trust an external CA certificate",
)
async def post_trusted_root(request: Request, actor: Actor = Depends(admin_only)) -> CertificateRead:
    """Admin only; body: the certificate in PEM or DER."""
    body = await _protocol_body_any(request)
    return await run_in_threadpool(
        service.register_trusted_root, get_db(request), actor=actor, certificate=body
    )


async def _protocol_body_any(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_PROTOCOL_BODY:
            raise PayloadTooLarge("The certificate is too large")
    return bytes(body)
