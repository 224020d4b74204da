"""Attachments (phụ lục): added to a draft, refused when bad, sealed at issue with the attachment stamp."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import EmbeddedPdfSignature
from sqlalchemy import select

from smartcity.core import clock
from smartcity.core.errors import Conflict, Forbidden, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from smartcity.documents import attachments, service
from smartcity.documents.config import get_documents_settings
from smartcity.documents.models import Counter
from smartcity.signing import appearance
from smartcity.signing import service as signing
from smartcity.signing.config import get_signing_settings
from tests.documents.conftest import Office, annex_pdf, draft_data, signed_count
from tests.support import pdfsig_trusting


def _attach(office: Office, doc_id: int, name: str = "Phụ lục I.pdf", content: bytes | None = None) -> int:
    row = attachments.add(
        office.db,
        actor=office.specialist,
        document_id=doc_id,
        filename=name,
        content=content or annex_pdf(),
        content_type="application/pdf",
    )
    return row.id


def _draft_with_annex(office: Office) -> tuple[int, int]:
    doc = service.create_draft(office.db, actor=office.specialist, data=draft_data())
    return doc.id, _attach(office, doc.id)


def _to_signed(office: Office, doc_id: int) -> None:
    service.submit(office.db, actor=office.specialist, document_id=doc_id)
    service.approve(office.db, actor=office.head, document_id=doc_id)
    service.sign(office.db, actor=office.leader, document_id=doc_id, signing_with=office.signing)


def test_an_attachment_is_sealed_at_issue_with_number_symbol_and_time(office: Office) -> None:
    doc_id, annex_id = _draft_with_annex(office)
    listed = attachments.list_for(office.db, actor=office.head, document_id=doc_id)
    assert [(a.filename, a.sealed) for a in listed] == [("Phu-luc-I.pdf", False)]
    _to_signed(office, doc_id)
    issued = service.issue(office.db, actor=office.clerk, document_id=doc_id, signing_with=office.signing)
    sealed, name = attachments.pdf_of(
        office.db, actor=office.clerk, document_id=doc_id, attachment_id=annex_id
    )
    assert (
        name == "Phu-luc-I.pdf"
        and attachments.list_for(office.db, actor=office.clerk, document_id=doc_id)[0].sealed
    )
    report = signing.verify_pdf(office.db, sealed, settings=office.settings)
    assert report.signature_count == 1 and report.all_hold, report
    assert report.signatures[0].signer.common_name == "UBND phường Thủ Dầu Một"
    reader = PdfFileReader(io.BytesIO(sealed))
    signature = reader.embedded_signatures[0]
    assert str(signature.sig_object["/Reason"]) == f"Tài liệu kèm theo văn bản số {issued.number_symbol}"
    placement = appearance.last_visible_signature(reader)
    width, height = appearance.page_size(reader, 0)
    assert placement is not None and placement.page == 0
    _left, _bottom, right, top = placement.box
    assert right > width * 0.6 and top > height * 0.85, placement  # top right of page 1
    assert _stamp_shows(signature, "01", "QĐ-UBND") and not _stamp_shows(signature, "02", "QĐ-UBND")


def _stamp_image(signature: EmbeddedPdfSignature) -> Image.Image:
    """The picture drawn in a signature's widget (pyHanko writes it as an RGB image with an alpha mask)."""
    xobjects = signature.sig_field["/AP"]["/N"]["/Resources"]["/XObject"]
    image = next(iter(xobjects.values())).get_object()
    mask = image["/SMask"].get_object()
    drawn = Image.frombytes("RGB", (int(image["/Width"]), int(image["/Height"])), image.data)
    drawn.putalpha(Image.frombytes("L", (int(mask["/Width"]), int(mask["/Height"])), mask.data))
    return drawn


def _stamp_shows(signature: EmbeddedPdfSignature, number: str, symbol: str) -> bool:
    """The stamp is, pixel for pixel, the attachment stamp's text with this number and symbol and the
    signing time (ISO 8601, Vietnam) - the stamp is an image, so pdftotext cannot read it."""
    drawn = _stamp_image(signature)
    signed_at = signature.self_reported_timestamp
    assert signed_at is not None
    for seconds_before in range(3):  # the stamp is drawn a moment before the signing time is taken
        lines = appearance.attachment_stamp_lines(
            organisation="UBND phường Thủ Dầu Một",
            number=number,
            symbol=symbol,
            signed_at=clock.local(signed_at - timedelta(seconds=seconds_before)),
        )
        wanted = appearance.attachment_stamp_image(lines, font_path=get_signing_settings().signing_font)
        if ImageChops.difference(drawn, wanted.convert("RGBA")).getbbox() is None:
            return True
    return False


def test_bad_uploads_are_refused_and_nothing_is_stored(office: Office) -> None:
    doc = service.create_draft(office.db, actor=office.specialist, data=draft_data())
    with pytest.raises(UnsupportedMediaType):
        _attach(office, doc.id, "ghi-chu.txt", b"Khong phai PDF " * 20)
    with pytest.raises(UnsupportedMediaType):
        attachments.add(
            office.db,
            actor=office.specialist,
            document_id=doc.id,
            filename="anh.png",
            content=annex_pdf(),
            content_type="image/png",
        )
    limit = get_documents_settings().max_attachment_bytes
    with pytest.raises(PayloadTooLarge):
        _attach(office, doc.id, "lon.pdf", b"%PDF-1.7\n" + b"0" * limit)
    with pytest.raises(UnsupportedMediaType):
        _attach(office, doc.id, "hong.pdf", b"%PDF-1.7\nkhong doc duoc")
    with pytest.raises(Forbidden):
        attachments.add(
            office.db,
            actor=office.head,
            document_id=doc.id,
            filename="x.pdf",
            content=annex_pdf(),
            content_type="application/pdf",
        )
    assert attachments.list_for(office.db, actor=office.specialist, document_id=doc.id) == []
    annex = _attach(office, doc.id)
    service.submit(office.db, actor=office.specialist, document_id=doc.id)
    with pytest.raises(Conflict):
        _attach(office, doc.id)
    with pytest.raises(Conflict):
        attachments.remove(office.db, actor=office.specialist, document_id=doc.id, attachment_id=annex)
    service.return_draft(office.db, actor=office.head, document_id=doc.id, comment="Bỏ phụ lục")
    attachments.remove(office.db, actor=office.specialist, document_id=doc.id, attachment_id=annex)
    assert attachments.list_for(office.db, actor=office.specialist, document_id=doc.id) == []
    with pytest.raises(ValidationFailed):
        _attach(office, doc.id, "rong.pdf", annex_pdf(pages=0))


def test_a_failure_sealing_an_attachment_fails_the_issue_and_uses_no_number(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc_id, annex_id = _draft_with_annex(office)
    _to_signed(office, doc_id)
    real_sign = signing.sign_pdf

    def refuse_attachments(*args: object, **kwargs: object) -> object:
        if kwargs.get("appearance_kind") == "attachment":
            raise Conflict("the seal's token is unavailable (injected)")
        return real_sign(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(signing, "sign_pdf", refuse_attachments)
    with pytest.raises(Conflict, match="injected"):
        service.issue(office.db, actor=office.clerk, document_id=doc_id, signing_with=office.signing)
    doc = service.get_document(office.db, actor=office.clerk, document_id=doc_id)
    assert doc.state == "signed" and doc.number is None and doc.number_symbol is None
    with office.db.session() as s:
        assert s.scalars(select(Counter)).all() == []
    assert not attachments.list_for(office.db, actor=office.clerk, document_id=doc_id)[0].sealed
    monkeypatch.setattr(signing, "sign_pdf", real_sign)
    issued = service.issue(office.db, actor=office.clerk, document_id=doc_id, signing_with=office.signing)
    assert issued.number == 1 and issued.number_symbol == "01/QĐ-UBND"
    assert attachments.list_for(office.db, actor=office.clerk, document_id=doc_id)[0].id == annex_id


def test_pdfsig_accepts_the_sealed_attachment(office: Office, tmp_path: Path) -> None:
    doc_id, annex_id = _draft_with_annex(office)
    _to_signed(office, doc_id)
    service.issue(office.db, actor=office.clerk, document_id=doc_id, signing_with=office.signing)
    sealed, _name = attachments.pdf_of(
        office.db, actor=office.clerk, document_id=doc_id, attachment_id=annex_id
    )
    output = pdfsig_trusting(signing.root_certificate_pem(office.db), sealed, tmp_path)
    assert output.count("Signature is Valid.") == 1 and "Certificate is Trusted." in output, output
    assert "Total document signed" in output, output
    assert signed_count(office) == 3  # the leader's signature, the seal, the attachment's stamp
