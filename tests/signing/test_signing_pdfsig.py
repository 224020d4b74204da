"""Independent verification with poppler's pdfsig (NSS), whose database holds only the city root."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from smartcity.signing import service
from tests.conftest import service_missing
from tests.signing.conftest import LEADER, WARD, CityPki, sign


@pytest.fixture
def nss_dir(city_pki: CityPki, tmp_path: Path) -> Path:
    """An NSS database trusting only the city root."""
    if not shutil.which("pdfsig") or not shutil.which("certutil"):
        service_missing("pdfsig (poppler-utils) and certutil (libnss3-tools) are needed")
    folder = tmp_path / "nss"
    folder.mkdir()
    root = tmp_path / "root.pem"
    root.write_text(service.root_certificate_pem(city_pki.db))
    subprocess.run(["certutil", "-N", "-d", f"sql:{folder}", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{folder}", "-n", "city-root", "-t", "C,C,C", "-i", str(root)],
        check=True,
    )
    return folder


def _pdfsig(nss: Path, pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "checked.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss}", "-no-ocsp", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout + result.stderr


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT"])
def test_pdfsig_accepts_our_signatures(
    city_pki: CityPki, pdf: bytes, nss_dir: Path, tmp_path: Path, level: str
) -> None:
    first = sign(city_pki, pdf, signer_username=LEADER, level=level)
    both = sign(city_pki, first.pdf, org_unit_code=WARD, level=level)
    output = _pdfsig(nss_dir, both.pdf, tmp_path)
    assert output.count("Signature is Valid.") == 2, output
    assert output.count("Certificate is Trusted.") == 2, output
    if level != "B-LT":  # B-LT appends its validation data (DSS) after the last signature
        assert "Total document signed" in output.split("Signature #2")[1], output


def test_pdfsig_rejects_bytes_changed_inside_the_signed_range(
    city_pki: CityPki, pdf: bytes, nss_dir: Path, tmp_path: Path
) -> None:
    signed = bytearray(sign(city_pki, pdf, signer_username=LEADER, level="B-T").pdf)
    position = 12  # inside the binary comment of line 2: covered by the signature
    signed[position] ^= 0x01
    output = _pdfsig(nss_dir, bytes(signed), tmp_path)
    assert "Signature is Valid." not in output, output
    report = service.verify_pdf(city_pki.db, bytes(signed), settings=city_pki.settings)
    assert not report.all_hold and "document_altered" in report.signatures[0].problems


def test_pdfsig_sees_an_update_after_signing(
    city_pki: CityPki, pdf: bytes, nss_dir: Path, tmp_path: Path
) -> None:
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
    output = _pdfsig(nss_dir, altered, tmp_path)
    assert "Not total document signed" in output, output
    report = service.verify_pdf(city_pki.db, altered, settings=city_pki.settings)
    sig = report.signatures[0]
    assert not report.all_hold and sig.modified_after_signing and not sig.changes_allowed
