"""The issued PDF checked by poppler's pdfsig (NSS) trusting only the city root: both signatures valid."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from smartcity.documents import service
from smartcity.signing import service as signing
from tests.conftest import service_missing
from tests.documents.conftest import Office, to_signed
from tests.support import pdfsig_trusting


def test_pdfsig_accepts_the_leader_signature_and_the_seal(office: Office, tmp_path: Path) -> None:
    if not shutil.which("pdfsig") or not shutil.which("certutil") or not shutil.which("pdftotext"):
        service_missing("pdfsig, pdftotext (poppler-utils) and certutil (libnss3-tools) are needed")
    doc_id = to_signed(office)
    service.issue(office.db, actor=office.clerk, document_id=doc_id, signing_with=office.signing)
    issued = service.document_pdf(office.db, actor=office.clerk, document_id=doc_id)
    output = pdfsig_trusting(signing.root_certificate_pem(office.db), issued, tmp_path)
    assert output.count("Signature is Valid.") == 2, output
    assert output.count("Certificate is Trusted.") == 2, output
    assert "Total document signed" in output.split("Signature #2")[1], output
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=issued, capture_output=True, check=True
    ).stdout.decode()
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "QUYẾT ĐỊNH" in text and "/QĐ-UBND" in text
