"""PAdES signing mechanics on pyHanko: levels B-B, B-T, B-LT, appearances, incremental updates."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.stamp import BaseStampStyle
from pyhanko_certvalidator import ValidationContext

from smartcity.core.errors import PayloadTooLarge
from smartcity.signing.appearance import Placement, image_style
from smartcity.signing.errors import DocumentNotSignable, EncryptedPdf, NotAPdf

LEVELS = ("B-B", "B-T", "B-LT")


def open_pdf(pdf: bytes, *, max_bytes: int) -> PdfFileReader:
    """Parse a PDF, refusing what is too big, not a PDF or encrypted, with a clear problem each."""
    if len(pdf) > max_bytes:
        raise PayloadTooLarge(f"The PDF is larger than the limit of {max_bytes} bytes")
    if b"%PDF-" not in pdf[:1024]:
        raise NotAPdf("The file is not a PDF (it does not start with %PDF-)")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        encrypted = reader.encrypted
        if not encrypted:
            _ = reader.root["/Pages"]["/Count"]
    except (PdfError, KeyError, ValueError, TypeError, IndexError) as exc:
        raise NotAPdf(f"The file cannot be read as a PDF: {exc}") from exc
    if encrypted:
        raise EncryptedPdf("The PDF is encrypted; remove the password before signing or verifying it")
    return reader


@dataclass(frozen=True)
class VisibleStamp:
    """An image drawn in a signature widget at a placement."""

    image: Image.Image
    placement: Placement


@dataclass(frozen=True)
class SignRequest:
    """Everything pyHanko needs for one signature."""

    signer: signers.Signer
    field_name: str
    level: str
    timestamper: TimeStamper | None = None
    validation_context: ValidationContext | None = None
    stamp: VisibleStamp | None = None
    reason: str | None = None
    location: str | None = None
    name: str | None = None


def sign(pdf: bytes, request: SignRequest) -> bytes:
    """Add one PAdES signature to `pdf` as an incremental update; returns the new file."""
    meta = PdfSignatureMetadata(
        field_name=request.field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=request.reason,
        location=request.location,
        name=request.name,
        embed_validation_info=request.level == "B-LT",
        validation_context=request.validation_context if request.level == "B-LT" else None,
    )
    field_spec = None
    style: BaseStampStyle | None = None
    if request.stamp is not None:
        x1, y1, x2, y2 = (round(v) for v in request.stamp.placement.box)
        field_spec = fields.SigFieldSpec(
            sig_field_name=request.field_name, on_page=request.stamp.placement.page, box=(x1, y1, x2, y2)
        )
        style = image_style(request.stamp.image)
    else:
        field_spec = fields.SigFieldSpec(sig_field_name=request.field_name)
    pdf_signer = signers.PdfSigner(
        meta,
        signer=request.signer,
        timestamper=request.timestamper if request.level in ("B-T", "B-LT") else None,
        stamp_style=style,
        new_field_spec=field_spec,
    )
    output = io.BytesIO()
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        pdf_signer.sign_pdf(writer, output=output)
    except SigningError as exc:
        raise DocumentNotSignable(f"The document cannot take this signature: {exc}") from exc
    return output.getvalue()
