"""Independent verification with poppler's pdfsig (NSS), whose database holds only the city root."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from smartcity.signing import service
from tests.signing.conftest import LEADER, WARD, CityPki, sign
from tests.support import pdfsig_trusting


def _pdfsig(city_pki: CityPki, pdf: bytes, tmp_path: Path) -> str:
    return pdfsig_trusting(service.root_certificate_pem(city_pki.db), pdf, tmp_path)


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT"])
def test_pdfsig_accepts_our_signatures(city_pki: CityPki, pdf: bytes, tmp_path: Path, level: str) -> None:
    first = sign(city_pki, pdf, signer_username=LEADER, level=level)
    both = sign(city_pki, first.pdf, org_unit_code=WARD, level=level)
    output = _pdfsig(city_pki, both.pdf, tmp_path)
    assert output.count("Signature is Valid.") == 2, output
    assert output.count("Certificate is Trusted.") == 2, output
    if level != "B-LT":  # B-LT appends its validation data (DSS) after the last signature
        assert "Total document signed" in output.split("Signature #2")[1], output


def test_pdfsig_rejects_bytes_changed_inside_the_signed_range(
    city_pki: CityPki, pdf: bytes, tmp_path: Path
) -> None:
    signed = bytearray(sign(city_pki, pdf, signer_username=LEADER, level="B-T").pdf)
    position = 12  # inside the binary comment of line 2: covered by the signature
    signed[position] ^= 0x01
    output = _pdfsig(city_pki, bytes(signed), tmp_path)
    assert "Signature is Valid." not in output, output
    report = service.verify_pdf(city_pki.db, bytes(signed), settings=city_pki.settings)
    assert not report.all_hold and "document_altered" in report.signatures[0].problems


def test_pdfsig_sees_an_update_after_signing(city_pki: CityPki, pdf: bytes, tmp_path: Path) -> None:
    signed = sign(city_pki, pdf, signer_username=LEADER, level="B-T").pdf
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page_ref, _resources = writer.find_page_for_modification(0)
    extra = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 600 Td (ALTERED) Tj ET")
    page = page_ref.get_object()
    contents = page["/Contents"]
    array = (
        contents
        if isinstance(contents, generic.ArrayObject)
        else generic.ArrayObject([page.raw_get("/Contents")])
    )
    array.append(writer.add_object(extra))
    page["/Contents"] = array
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    altered = out.getvalue()
    output = _pdfsig(city_pki, altered, tmp_path)
    assert "Not total document signed" in output, output
    report = service.verify_pdf(city_pki.db, altered, settings=city_pki.settings)
    sig = report.signatures[0]
    assert not report.all_hold and sig.modified_after_signing and not sig.changes_allowed
