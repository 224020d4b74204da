"""Fixtures of the documents tests: the ward's staff, the city PKI with the leader's key and the ward seal."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy import func, select

from smartcity.accounts import service as accounts
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.documents import service
from smartcity.documents.schemas import DocumentCreate
from smartcity.signing import service as signing
from smartcity.signing.config import SigningSettings
from smartcity.signing.models import SignedDocument
from tests.dossiers.dossier_fixtures import ORG_CHART, PASSWORD

SYSTEM = Actor.system("tests")
WARD = "UBND-25747-HCM"


@dataclass
class Office:
    """The ward's people as actors, and how to sign."""

    db: Database
    settings: Settings
    signing: service.Signing
    specialist: Actor
    head: Actor
    leader: Actor
    clerk: Actor
    other_leader: Actor


def make_user(db: Database, username: str, full_name: str, roles: list[tuple[str, str | None]]) -> Actor:
    """A user with roles, as an Actor."""
    user = accounts.create_user(
        db, actor=SYSTEM, username=username, password=PASSWORD, full_name=full_name, roles=roles
    )
    return accounts.actor_for_user(db, user.id)


def setup_office(db: Database, settings: Settings, *, with_pki: bool = True) -> Office:
    """Org units, the ward's staff and (optionally) the PKI with the leader's certificate and the seal."""
    units = json.loads(ORG_CHART.read_text(encoding="utf-8"))["org_units"]
    accounts.upsert_org_units(db, actor=SYSTEM, units=units)
    signing_settings = SigningSettings(public_base_url="http://verify.test", signing_root_key_bits=2048)
    office = Office(
        db=db,
        settings=settings,
        signing=service.Signing(settings=settings, signing_settings=signing_settings),
        specialist=make_user(db, "chuyenvien", "Trần Văn Hùng", [("specialist", WARD)]),
        head=make_user(db, "truongphong", "Lê Thị Hồng", [("head", WARD)]),
        leader=make_user(db, "lanhdao", "Phạm Minh Tuấn", [("leader", WARD)]),
        clerk=make_user(db, "vanthu", "Nguyễn Thị Mai", [("clerk", WARD)]),
        other_leader=make_user(db, "phochutich", "Đỗ Văn Bình", [("leader", WARD)]),
    )
    if with_pki:
        signing.init_pki(db, actor=SYSTEM, settings=settings, signing_settings=signing_settings)
        for username, name in (("lanhdao", "Phạm Minh Tuấn"), ("phochutich", "Đỗ Văn Bình")):
            signing.issue_official_certificate(
                db,
                actor=SYSTEM,
                username=username,
                full_name=name,
                org_unit_code=WARD,
                settings=settings,
                signing_settings=signing_settings,
            )
        signing.issue_organisation_certificate(
            db,
            actor=SYSTEM,
            org_unit_code=WARD,
            name="UBND phường Thủ Dầu Một",
            settings=settings,
            signing_settings=signing_settings,
        )
    return office


@pytest.fixture
def office(db: Database, settings: Settings) -> Office:
    """The ward with its staff and signing keys."""
    return setup_office(db, settings)


def draft_data(**changes: object) -> DocumentCreate:
    """A valid decision of the ward, signed by lanhdao."""
    values: dict[str, object] = {
        "type_code": "QĐ",
        "office_code": WARD,
        "subject": "Về việc ban hành Kế hoạch chỉnh trang đô thị năm 2026",
        "body": "Căn cứ Luật Tổ chức chính quyền địa phương;\nĐiều 1. Ban hành Kế hoạch chỉnh trang đô thị.",
        "recipients": ["Như Điều 3", "UBND Thành phố (để báo cáo)"],
        "retention": "10 năm",
        "file_code": "HS-2026-01",
        "signer_username": "lanhdao",
    }
    values.update(changes)
    return DocumentCreate.model_validate(values)


def signed_count(office: Office) -> int:
    """How many PDFs the signing service has signed and stored."""
    with office.db.session() as s:
        return s.scalar(select(func.count()).select_from(SignedDocument)) or 0


def to_signed(office: Office, **changes: object) -> int:
    """Draft, submit, approve and sign a document; its id."""
    doc = service.create_draft(office.db, actor=office.specialist, data=draft_data(**changes))
    service.submit(office.db, actor=office.specialist, document_id=doc.id)
    service.approve(office.db, actor=office.head, document_id=doc.id)
    service.sign(office.db, actor=office.leader, document_id=doc.id, signing_with=office.signing)
    return doc.id


def annex_pdf(title: str = "PHỤ LỤC I", pages: int = 2) -> bytes:
    """A small PDF of `pages` pages, as a drafter would attach."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    for index in range(pages):
        page.drawString(72, 700, f"{title} - trang {index + 1}")
        page.showPage()
    page.save()
    return buffer.getvalue()
