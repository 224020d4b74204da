"""PDF documents: the six results built from a dossier's data, the register, the QR code of the receipt."""

from __future__ import annotations

from datetime import date

from smartcity.dossiers import documents
from smartcity.dossiers.models import Dossier
from smartcity.procedures.catalogue import build_catalogue
from tests.dossiers.dossier_fixtures import local

RESULTS = {
    "TDM-QLDT-001": {"house_number": "15A", "side": "odd_left"},
    "TDM-QLDT-002": {"permit_number": "123/GPXD", "valid_months": 12},
    "TDM-HT-001": {"book_number": "15/2025", "personal_id_number": "074225000123"},
    "TDM-HT-002": {"book_number": "3/2025"},
    "TDM-HT-003": {"book_number": "8/2025"},
    "TDM-HKD-001": {"registration_number": "46A8001234"},
}


def _dossier(code: str, result: dict) -> Dossier:
    return Dossier(
        code=f"UBND-25747-250303-0001-{code}",
        procedure_code=code,
        procedure_name="Thủ tục thử",
        applicant_id_masked="*********234",
        intake_unit="UBND-25747",
        processing_unit="UBND-25747",
        deciding_unit="UBND-25747",
        ward_code="25747",
        result_data=result,
        decided_at=local(2025, 3, 3, 10),
        received_at=local(2025, 3, 3, 9),
        due_date=date(2025, 3, 10),
        processing_days=5,
        fee_vnd=50000,
        channel="online",
        state=9,
    )


def test_each_full_procedure_has_its_own_result_document():
    forms = {p["code"]: p for p in build_catalogue()[:6]}
    sizes = set()
    for code, result in RESULTS.items():
        example = {name: "x" for name in forms[code]["form_schema"]["properties"]}
        example.update(
            {"latitude": 10.98, "longitude": 106.65, "business_lines": ["Bán lẻ"], "capital_vnd": 1}
        )
        pdf, number = documents.UnsignedResultIssuer().issue(
            _dossier(code, result), example, applicant="Nguyễn Văn An"
        )
        assert pdf.startswith(b"%PDF") and number == next(iter(result.values()))
        sizes.add(len(pdf))
    assert len(sizes) == 6  # six different documents, not one template


def test_receipt_carries_a_qr_code_image_and_register_lists_dossiers():
    dossier = _dossier("TDM-QLDT-001", {})
    pdf = documents.process_form(
        "receipt",
        dossier,
        applicant="Nguyễn Văn An",
        timeline=[],
        steps_due={},
        base_url="http://city.example",
    )
    assert b"/Subtype /Image" in pdf
    register = documents.register_pdf([(dossier, "Nguyễn Văn An")] * 2, unit="UBND-25747", period="03/2025")
    assert register.startswith(b"%PDF") and b"841.8898 595.2756" in register  # landscape A4
