"""Signing at each PAdES level, in order, with the Decree 30 appearances; checked by our verifier and by
pyHanko's own validator knowing only the city root."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import func, select

from smartcity.core.audit import AuditEntry
from smartcity.core.errors import Forbidden, PayloadTooLarge
from smartcity.core.security import Actor
from smartcity.signing import appearance, service
from smartcity.signing.errors import EncryptedPdf, NotAPdf
from smartcity.signing.models import SignedDocument
from tests.signing.conftest import LEADER, WARD, CityPki, make_pdf, sign


def _independent_check(pki: CityPki, signed: bytes, *, hard_fail: bool) -> list[bool]:
    """pyHanko's validator with only the root as trust anchor (and the DSS when the file carries one)."""
    reader = PdfFileReader(io.BytesIO(signed))
    root = service.asn1_root(pki.db)
    results = []
    for sig in reader.embedded_regular_signatures:
        kwargs = {
            "trust_roots": [root],
            "allow_fetching": False,
            "revocation_mode": "hard-fail" if hard_fail else "soft-fail",
        }
        context = (
            DocumentSecurityStore.read_dss(reader).as_validation_context(kwargs)
            if "/DSS" in reader.root
            else ValidationContext(**kwargs)
        )
        status = validate_pdf_signature(
            sig,
            signer_validation_context=context,
            ts_validation_context=ValidationContext(trust_roots=[root]),
        )
        results.append(status.bottom_line)
    return results


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT"])
def test_each_level_validates_against_the_root_only(city_pki: CityPki, pdf: bytes, level: str) -> None:
    signed = sign(city_pki, pdf, signer_username=LEADER, level=level)
    report = service.verify_pdf(city_pki.db, signed.pdf, settings=city_pki.settings)
    assert report.all_hold, report.signatures[0].problems
    sig = report.signatures[0]
    assert sig.level == level
    assert sig.revocation == "good"
    assert sig.signer.common_name == "Nguyễn Văn An"
    assert sig.chain[-1].startswith("Common Name: CA gốc") or "CA gốc" in sig.chain[-1]
    assert (sig.timestamp is not None) == (level != "B-B")
    assert sig.signing_time_source == ("claimed" if level == "B-B" else "timestamp")
    assert _independent_check(city_pki, signed.pdf, hard_fail=level == "B-LT") == [True]


def test_b_lt_embeds_revocation_data(city_pki: CityPki, pdf: bytes) -> None:
    signed = sign(city_pki, pdf, signer_username=LEADER, level="B-LT")
    dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(signed.pdf)))
    assert dss.ocsps or dss.crls
    assert dss.certs


def test_leader_signs_then_ward_seals_over_the_left_third(city_pki: CityPki, pdf: bytes) -> None:
    first = sign(city_pki, pdf, signer_username=LEADER, level="B-T")
    second = sign(city_pki, first.pdf, org_unit_code=WARD, level="B-T")
    report = service.verify_pdf(city_pki.db, second.pdf, settings=city_pki.settings)
    assert report.all_hold
    assert [s.signer.common_name for s in report.signatures] == ["Nguyễn Văn An", "UBND phường Phú Cường"]
    assert report.signatures[0].modified_after_signing and report.signatures[0].changes_allowed
    assert not report.signatures[1].modified_after_signing
    boxes = _widget_rects(second.pdf)
    signature_box, seal_box = boxes[0], boxes[1]
    third = signature_box[0] + (signature_box[2] - signature_box[0]) / 3
    assert seal_box[2] == pytest.approx(third, abs=1)  # the seal ends a third into the signature
    assert seal_box[0] < signature_box[0]  # and sticks out on the left
    assert first.document_id == second.document_id  # one document, one id, through its signatures


def _widget_rects(pdf: bytes) -> list[tuple[float, ...]]:
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(io.BytesIO(pdf))
    return [
        tuple(float(v) for v in ref.get_object()["/Rect"])
        for _n, _v, ref in enumerate_sig_fields(reader, filled_status=True)
    ]


def test_attachment_stamp_is_top_right_of_page_one(city_pki: CityPki) -> None:
    document = make_pdf(pages=2)
    signed = sign(
        city_pki,
        document,
        org_unit_code=WARD,
        appearance_kind="attachment",
        document_number="15",
        document_symbol="QĐ-UBND",
    )
    rect = _widget_rects(signed.pdf)[0]
    width, height = 595.27, 841.89
    assert rect[2] > width - 40 and rect[3] > height - 40
    reader = PdfFileReader(io.BytesIO(signed.pdf))
    field = next(iter(reader.embedded_regular_signatures)).sig_field
    page0, _ = reader.find_page_for_modification(0)
    assert field.raw_get("/P") == page0
    assert service.verify_pdf(city_pki.db, signed.pdf, settings=city_pki.settings).all_hold


def test_attachment_stamp_text() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    lines = appearance.attachment_stamp_lines(
        organisation="UBND phường Phú Cường",
        number="15",
        symbol="QĐ-UBND",
        signed_at=datetime(2025, 7, 1, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
    )
    assert lines == [
        "Ký bởi: UBND phường Phú Cường",
        "Số, ký hiệu: 15/QĐ-UBND",
        "Thời gian ký: 2025-07-01T09:30:00+07:00",
    ]


def test_invisible_signature_has_no_widget_area(city_pki: CityPki, pdf: bytes) -> None:
    signed = sign(city_pki, pdf, signer_username=LEADER, appearance_kind="invisible", level="B-B")
    rect = _widget_rects(signed.pdf)[0]
    assert rect[2] - rect[0] == 0
    assert service.verify_pdf(city_pki.db, signed.pdf, settings=city_pki.settings).all_hold


def _stored_documents(pki: CityPki) -> int:
    with pki.db.session() as s:
        return s.scalar(select(func.count()).select_from(SignedDocument)) or 0


def _audit_rows(pki: CityPki) -> int:
    with pki.db.session() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_someone_else_cannot_sign_with_the_leaders_certificate(city_pki: CityPki, pdf: bytes) -> None:
    before = _audit_rows(city_pki)
    clerk = Actor(kind="user", name="clerk.binh", user_id=7, roles=frozenset({("clerk", WARD)}))
    with pytest.raises(Forbidden):
        sign(city_pki, pdf, actor=clerk, signer_username=LEADER)
    outsider = Actor(kind="user", name="other", user_id=8, roles=frozenset({("clerk", "W-OTHER")}))
    with pytest.raises(Forbidden):
        sign(city_pki, pdf, actor=outsider, org_unit_code=WARD)
    assert _stored_documents(city_pki) == 0 and _audit_rows(city_pki) == before


def test_the_holder_and_a_ward_clerk_can_sign(city_pki: CityPki, pdf: bytes) -> None:
    leader = Actor(kind="user", name=LEADER, user_id=1, roles=frozenset({("leader", WARD)}))
    clerk = Actor(kind="user", name="clerk.binh", user_id=7, roles=frozenset({("clerk", WARD)}))
    first = sign(city_pki, pdf, actor=leader, signer_username=LEADER, level="B-B")
    second = sign(city_pki, first.pdf, actor=clerk, org_unit_code=WARD, level="B-B")
    assert len(service.verify_pdf(city_pki.db, second.pdf, settings=city_pki.settings).signatures) == 2
    assert service.get_signed_document(city_pki.db, second.document_id).signature_count == 2


def test_bad_input_is_refused_clearly(city_pki: CityPki, signing_settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotAPdf):
        service.verify_pdf(city_pki.db, b"hello, not a pdf", settings=city_pki.settings)
    with pytest.raises(NotAPdf):
        service.verify_pdf(city_pki.db, b"%PDF-1.7\n garbage without objects", settings=city_pki.settings)
    with pytest.raises(EncryptedPdf):
        sign(city_pki, make_pdf(encrypt="secret"), signer_username=LEADER)
    small = signing_settings.model_copy(update={"signing_max_upload_bytes": 1000})
    with pytest.raises(PayloadTooLarge):
        service.verify_pdf(city_pki.db, make_pdf(), settings=city_pki.settings, signing_settings=small)
    assert _stored_documents(city_pki) == 0
