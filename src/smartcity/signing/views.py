"""Public pages: /kiem-tra-chu-ky (upload a PDF, see every signature) and /kiem-tra-chu-ky/<document id>
(the QR code's target)."""

from __future__ import annotations

import re
from typing import Any

from cryptography import x509
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from smartcity.core.errors import AppError
from smartcity.signing import service
from smartcity.signing.config import get_signing_settings
from smartcity.web.deps import get_db, get_settings
from smartcity.web.responses import pdf_response
from smartcity.web.templating import render
from smartcity.web.uploads import read_pdf_upload

router = APIRouter(include_in_schema=False)
HUMAN_FRIENDLY = re.compile(r"(?:^|,\s*)([A-Z][A-Za-z/ ]+):\s")  # "Common Name: …, Organization: …"
# The pages' old English address, printed in the QR codes of documents signed before the move.
MOVED = {"/verify": "/kiem-tra-chu-ky"}
PUBLIC_LINKS = ({"label": "Kiểm tra chữ ký số", "href": "/kiem-tra-chu-ky"},)

STAFF_LINKS = ({"label": "Kiểm tra chữ ký số", "href": "/kiem-tra-chu-ky", "roles": ()},)


@router.get("/kiem-tra-chu-ky", response_class=HTMLResponse)
def verify_form(request: Request) -> HTMLResponse:
    """The upload form."""
    return _verify_page(request)


def _limit_mb() -> int:
    return max(1, get_signing_settings().signing_max_upload_bytes // (1024 * 1024))


def _verify_page(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    """The upload form, with why a file was not checked (`error`, or `no_file` when none was chosen)."""
    return render(request, "signing/verify.html", {"limit_mb": _limit_mb(), **context}, status_code=status)


@router.post("/kiem-tra-chu-ky", response_class=HTMLResponse)
async def verify_upload(request: Request) -> HTMLResponse:
    """Check an uploaded PDF; problems (no file, not a PDF, encrypted, too big) are shown on the form."""
    try:
        upload = await read_pdf_upload(request, limit=get_signing_settings().signing_max_upload_bytes)
        if not upload.pdf:
            return _verify_page(request, 422, no_file=True)
        report = await run_in_threadpool(
            service.verify_pdf, get_db(request), upload.pdf, settings=get_settings(request)
        )
    except AppError as error:
        return _verify_page(request, error.status, error=error)
    return render(
        request,
        "signing/report.html",
        {"report": report, "filename": upload.filename, "names": _subject_names(report)},
    )


@router.get("/kiem-tra-chu-ky/{document_id}", response_class=HTMLResponse)
def verify_document(document_id: str, request: Request) -> HTMLResponse:
    """A document signed on the platform: a link to the original and its verification."""
    db = get_db(request)
    document = service.get_signed_document(db, document_id)
    report = service.verify_signed_document(db, document_id, settings=get_settings(request))
    return render(
        request,
        "signing/report.html",
        {
            "report": report,
            "document": document,
            "filename": document.filename,
            "names": _subject_names(report),
        },
    )


def _subject_names(report: Any) -> dict[str, str]:
    """Each certificate subject of the report as a person reads it: its name and organisation (no codes)."""
    subjects = {s for sig in report.signatures for s in (sig.signer.subject, *sig.chain)}
    return {subject: _readable(subject) for subject in subjects}


def _readable(subject: str) -> str:
    """A subject (RFC 4514, or pyHanko's "Common Name: …, Organization: …") as its name and organisation."""
    try:
        name = x509.Name.from_rfc4514_string(subject)
        found = {
            label: [str(a.value) for a in name.get_attributes_for_oid(oid)]
            for label, oid in (
                ("Common Name", x509.NameOID.COMMON_NAME),
                ("Organization", x509.NameOID.ORGANIZATION_NAME),
            )
        }
    except ValueError:
        parts = HUMAN_FRIENDLY.split(subject)[1:]
        found = {}
        for label, value in zip(parts[::2], parts[1::2], strict=False):
            found.setdefault(label, []).append(value.strip())
    names = [*found.get("Common Name", []), *found.get("Organization", [])]
    return ", ".join(dict.fromkeys(names)) or subject


@router.get("/kiem-tra-chu-ky/{document_id}/pdf")
def verify_document_pdf(document_id: str, request: Request) -> Response:
    """The stored signed PDF itself."""
    pdf = service.signed_document_pdf(get_db(request), document_id)
    return pdf_response(pdf, f"{document_id}.pdf")
