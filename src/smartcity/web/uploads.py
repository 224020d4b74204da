"""Reading an uploaded PDF (multipart field `file`, or a raw application/pdf body) within a size limit,
refusing an oversized upload as soon as its declared or streamed size passes the limit."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from smartcity.core.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

MULTIPART_OVERHEAD = 64 * 1024
RAW_TYPES = ("application/pdf", "application/octet-stream")


@dataclass
class Upload:
    """The uploaded PDF, its file name and the other form fields."""

    pdf: bytes
    filename: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


def _too_big(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The upload is larger than the limit of {limit} bytes", limit=limit)


async def _bounded_body(request: Request, ceiling: int, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > ceiling:
        raise _too_big(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > ceiling:
            raise _too_big(limit)
    return bytes(body)


async def _once(data: bytes) -> AsyncGenerator[bytes, None]:
    yield data
    yield b""


async def read_pdf_upload(request: Request, *, limit: int) -> Upload:
    """The PDF of this request; 413 past `limit`, 415 for another content type, 400 without a file."""
    content_type = request.headers.get("content-type", "").lower()
    is_multipart = content_type.startswith("multipart/form-data")
    if not is_multipart and not content_type.startswith(RAW_TYPES):
        raise UnsupportedMediaType("Send the PDF as multipart/form-data (field 'file') or as application/pdf")
    try:
        body = await _bounded_body(request, limit + (MULTIPART_OVERHEAD if is_multipart else 0), limit)
    except RuntimeError:  # already parsed by a dependency (the CSRF check reads the form): use that form
        body = None
    if not is_multipart:
        return Upload(pdf=body or b"")
    try:
        form = (
            await MultiPartParser(request.headers, _once(body), max_files=1, max_fields=20).parse()
            if body is not None
            else await request.form()
        )
    except MultiPartException as exc:
        raise BadRequest(f"The multipart body cannot be read: {exc.message}") from exc
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise BadRequest("The form has no file field named 'file'")
    pdf = await upload.read()
    if len(pdf) > limit:
        raise _too_big(limit)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return Upload(pdf=pdf, filename=upload.filename, fields=fields)
