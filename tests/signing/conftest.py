"""Fixtures of the signing tests: a PDF with Vietnamese text, and a city PKI with an official and a ward."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.signing import service
from smartcity.signing.config import SigningSettings

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
SYSTEM = Actor.system("tests")
LEADER = "leader.an"
WARD = "W-PHU-CUONG"


def make_pdf(
    text: str = "Giấy chứng nhận số nhà — phường Phú Cường, Thủ Dầu Một",
    *,
    pages: int = 1,
    encrypt: str | None = None,
) -> bytes:
    """An A4 PDF with Vietnamese text (DejaVu Sans), optionally encrypted with a password."""
    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", str(FONT)))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, encrypt=encrypt)
    for number in range(pages):
        page.setFont("DejaVu", 14)
        page.drawString(72, 760, text)
        page.drawString(72, 730, f"Trang {number + 1}")
        page.showPage()
    page.save()
    return buffer.getvalue()


@dataclass
class CityPki:
    """The PKI of a test: database, settings and the serials of the certificates issued."""

    db: Database
    settings: Settings
    signing: SigningSettings
    official_serial: str
    ward_serial: str


@pytest.fixture(scope="session")
def pdf() -> bytes:
    """A one-page unsigned PDF."""
    return make_pdf()


@pytest.fixture
def signing_settings() -> SigningSettings:
    """Signing settings of the tests (smaller root key to keep tests quick)."""
    return SigningSettings(public_base_url="http://verify.test", signing_root_key_bits=2048)


@pytest.fixture
def city_pki(db: Database, settings: Settings, signing_settings: SigningSettings) -> CityPki:
    """A city PKI with the leader's personal certificate and the ward's seal certificate."""
    service.init_pki(db, actor=SYSTEM, settings=settings, signing_settings=signing_settings)
    official = service.issue_official_certificate(
        db,
        actor=SYSTEM,
        username=LEADER,
        full_name="Nguyễn Văn An",
        org_unit_code=WARD,
        settings=settings,
        signing_settings=signing_settings,
    )
    ward = service.issue_organisation_certificate(
        db,
        actor=SYSTEM,
        org_unit_code=WARD,
        name="UBND phường Phú Cường",
        settings=settings,
        signing_settings=signing_settings,
    )
    return CityPki(
        db=db,
        settings=settings,
        signing=signing_settings,
        official_serial=official.serial,
        ward_serial=ward.serial,
    )


def sign(pki: CityPki, pdf: bytes, **kwargs: object) -> service.SignedPdf:
    """Sign with the PKI's settings; keyword arguments go to service.sign_pdf."""
    kwargs.setdefault("actor", SYSTEM)
    return service.sign_pdf(pki.db, pdf=pdf, settings=pki.settings, signing_settings=pki.signing, **kwargs)  # type: ignore[arg-type]
