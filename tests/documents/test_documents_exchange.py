"""Delivery between two platform instances on two databases, served on loopback: envelope, receipt, retry."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from smartcity.core.audit import AuditEntry
from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Forbidden
from smartcity.core.malware import MalwareSettings
from smartcity.core.migrate import upgrade
from smartcity.documents import attachments, exchange, service
from smartcity.documents.models import Delivery
from smartcity.documents.schemas import AgencyIn
from smartcity.documents.storage import read_pdf
from smartcity.signing import service as signing
from smartcity.signing.config import SigningSettings
from smartcity.web.app import create_app
from tests import support
from tests.conftest import EICAR, TEST_SECRET
from tests.documents.conftest import SYSTEM, WARD, Office, annex_pdf, draft_data, setup_office, to_signed

OTHER = "UBND-25750-HCM"  # the receiving agency, on its own platform instance


@pytest.fixture
def other(tmp_path: Path) -> tuple[Database, Settings]:
    """A second platform instance: its own SQLite database, PKI and the seal of its records office."""
    db = Database(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(db)
    settings = Settings(
        data_dir=tmp_path / "other", database_url=db.url, secret_key=TEST_SECRET + "-b", log_json=False
    )
    setup_office(db, settings, with_pki=False)
    # Another city's CAs: their names differ from ours (a CRL is matched to its CA by name).
    conf = SigningSettings(
        public_base_url="http://other.test",
        signing_root_key_bits=2048,
        city_name="Dĩ An",
        city_organisation="Chính quyền đô thị Dĩ An",
    )
    signing.init_pki(db, actor=SYSTEM, settings=settings, signing_settings=conf)
    signing.issue_organisation_certificate(
        db,
        actor=SYSTEM,
        org_unit_code=OTHER,
        name="UBND phường Phú Lợi",
        settings=settings,
        signing_settings=conf,
    )
    yield db, settings
    db.dispose()


def _introduce(office: Office, other_db: Database, endpoint: str) -> None:
    """Each side trusts the other's root and registers the other as an agency."""
    signing.register_trusted_root(
        office.db, actor=SYSTEM, certificate=signing.root_certificate_pem(other_db).encode()
    )
    signing.register_trusted_root(
        other_db, actor=SYSTEM, certificate=signing.root_certificate_pem(office.db).encode()
    )
    exchange.upsert_agency(
        office.db, actor=SYSTEM, data=AgencyIn(code=OTHER, name="UBND phường Phú Lợi", endpoint=endpoint)
    )
    exchange.upsert_agency(
        other_db,
        actor=SYSTEM,
        data=AgencyIn(code=WARD, name="UBND phường Thủ Dầu Một", endpoint="http://127.0.0.1:9"),
    )


def test_a_document_is_delivered_after_a_failed_try_and_acknowledged(
    office: Office, other: tuple[Database, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    other_db, other_settings = other
    port = support.free_port()
    _introduce(office, other_db, f"http://127.0.0.1:{port}")
    doc_id = _signed_with_annex(office)
    service.issue(office.db, actor=office.clerk, document_id=doc_id, signing_with=office.signing)
    annex = attachments.list_for(office.db, actor=office.clerk, document_id=doc_id)[0]
    sealed_annex, _name = attachments.pdf_of(
        office.db, actor=office.clerk, document_id=doc_id, attachment_id=annex.id
    )

    first = exchange.deliver_due(office.db, signing_with=office.signing)  # nobody listens yet
    assert [(d.status, d.attempts) for d in first] == [("pending", 1)]
    assert first[0].last_error.startswith(
        "Không kết nối được tới hệ thống của cơ quan nhận"
    )  # words, not "ConnectError"
    assert first[0].next_attempt_at > utcnow()
    assert exchange.deliver_due(office.db, signing_with=office.signing) == []  # waits for its backoff

    monkeypatch.setattr(support, "free_port", lambda: port)
    with support.served(create_app(other_settings, other_db)) as base:
        later = utcnow() + timedelta(hours=2)
        second = exchange.deliver_due(office.db, now=later, signing_with=office.signing)
        assert [(d.status, d.attempts) for d in second] == [("delivered", 2)], second
        receipt = second[0].receipt
        assert receipt["receiver"] == OTHER and receipt["incoming_number"] == 1

        stored = exchange.deliveries(office.db, document_id=doc_id)[0]
        assert stored.status == "delivered" and stored.delivered_at is not None
        entries = service.register(other_db, actor=SYSTEM, register_name="incoming")
        assert [(e.number, e.number_symbol, e.book) for e in entries] == [(1, "01/QĐ-UBND", "incoming")]

        # The same envelope again: the same receipt, nothing registered twice.
        envelope = _envelope_of(office, doc_id)
        document = service.document_pdf(office.db, actor=office.clerk, document_id=doc_id)
        body = {
            "envelope_pdf": base64.b64encode(envelope).decode(),
            "document_pdf": base64.b64encode(document).decode(),
            "attachments": [{"filename": annex.filename, "pdf": base64.b64encode(sealed_annex).decode()}],
        }
        again = httpx.post(f"{base}{exchange.EXCHANGE_PATH}", json=body, timeout=30)
        assert again.status_code == 200 and again.json()["receipt"]["incoming_number"] == 1
        assert len(service.register(other_db, actor=SYSTEM, register_name="incoming")) == 1

        # A document that does not match the envelope is refused and nothing is registered.
        tampered = {**body, "document_pdf": base64.b64encode(document + b"\n%tampered").decode()}
        refused = httpx.post(f"{base}{exchange.EXCHANGE_PATH}", json=tampered, timeout=30)
        assert refused.status_code == 422 and refused.headers["content-type"].startswith(
            "application/problem+json"
        )
        for changed in (
            [],  # the attachment left out
            [{"filename": annex.filename, "pdf": base64.b64encode(sealed_annex + b"\n%x").decode()}],
        ):
            refused = httpx.post(
                f"{base}{exchange.EXCHANGE_PATH}", json={**body, "attachments": changed}, timeout=30
            )
            assert refused.status_code == 422 and "attachments" in refused.text, refused.text
        incoming_id = again.json()["incoming_id"]
        received = exchange.incoming(other_db, actor=SYSTEM, incoming_id=incoming_id)
        assert received.sender_code == WARD and received.subject.startswith("Về việc")
        assert len(service.register(other_db, actor=SYSTEM, register_name="incoming")) == 1

    # The attachment arrived sealed as sent, and its seal holds on the receiving side too.
    arrived = exchange.incoming_attachments(other_db, actor=SYSTEM, incoming_id=incoming_id)
    assert [(a.filename, a.sha256) for a in arrived] == [(annex.filename, annex_sha256(sealed_annex))]
    assert receipt["attachments_sha256"] == [arrived[0].sha256]
    pdf, _name = exchange.incoming_attachment_pdf(
        other_db, actor=SYSTEM, incoming_id=incoming_id, attachment_id=arrived[0].id
    )
    report = signing.verify_pdf(other_db, pdf, settings=other_settings)
    assert report.all_hold and report.signatures[0].signer.common_name == "UBND phường Thủ Dầu Một"


def test_an_infected_attachment_from_another_agency_is_refused_and_nothing_registered(
    office: Office, other: tuple[Database, Settings], clamd_socket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_db, other_settings = other
    other_settings.set_section(MalwareSettings(scanner="clamd", clamd_address=clamd_socket))
    port = support.free_port()
    _introduce(office, other_db, f"http://127.0.0.1:{port}")
    infected = annex_pdf() + b"%" + EICAR + b"\n"  # still a readable PDF, sealed by the sender as sent
    doc_id = _signed_with_annex(office, annex=infected)  # the sender runs without a scanner
    service.issue(office.db, actor=office.clerk, document_id=doc_id, signing_with=office.signing)
    monkeypatch.setattr(support, "free_port", lambda: port)
    with support.served(create_app(other_settings, other_db)):
        tried = exchange.deliver_due(office.db, signing_with=office.signing)
    assert [(d.status, d.attempts) for d in tried] == [("pending", 1)]
    assert tried[0].last_error.startswith(
        "Hệ thống của cơ quan nhận từ chối văn bản (mã lỗi HTTP 4"
    )  # refused
    assert service.register(other_db, actor=SYSTEM, register_name="incoming") == []
    with other_db.session() as s:
        refusal = s.scalar(select(AuditEntry).where(AuditEntry.action == "upload.malware_refused"))
    assert refusal is not None and refusal.actor == f"system:agency:{WARD}"
    assert refusal.after["source"] == "documents.incoming"
    assert not any(p.is_file() and EICAR in p.read_bytes() for p in other_settings.data_dir.rglob("*"))


def annex_sha256(pdf: bytes) -> str:
    """The SHA-256 of a PDF, in hex."""
    return hashlib.sha256(pdf).hexdigest()


def _signed_with_annex(office: Office, annex: bytes | None = None) -> int:
    """A document for the other agency with one attachment, signed by the leader."""
    doc = service.create_draft(office.db, actor=office.specialist, data=draft_data(external_agencies=[OTHER]))
    attachments.add(
        office.db,
        actor=office.specialist,
        document_id=doc.id,
        filename="Phụ lục I.pdf",
        content=annex or annex_pdf(),
        content_type="application/pdf",
    )
    service.submit(office.db, actor=office.specialist, document_id=doc.id)
    service.approve(office.db, actor=office.head, document_id=doc.id)
    service.sign(office.db, actor=office.leader, document_id=doc.id, signing_with=office.signing)
    return doc.id


def test_an_envelope_from_an_unknown_agency_is_refused(
    office: Office, other: tuple[Database, Settings]
) -> None:
    other_db, _settings = other
    signing.register_trusted_root(
        other_db, actor=SYSTEM, certificate=signing.root_certificate_pem(office.db).encode()
    )
    exchange.upsert_agency(
        office.db, actor=SYSTEM, data=AgencyIn(code=OTHER, name="B", endpoint="http://127.0.0.1:9")
    )
    doc_id = to_signed(office, external_agencies=[OTHER])
    service.issue(office.db, actor=office.clerk, document_id=doc_id, signing_with=office.signing)
    exchange.deliver_due(office.db, signing_with=office.signing)
    body = {
        "envelope_pdf": base64.b64encode(_envelope_of(office, doc_id)).decode(),
        "document_pdf": base64.b64encode(
            service.document_pdf(office.db, actor=office.clerk, document_id=doc_id)
        ).decode(),
    }
    with pytest.raises(Forbidden):
        exchange.receive(other_db, body=body)
    assert service.register(other_db, actor=SYSTEM, register_name="incoming") == []
    header = exchange.read_json(_envelope_of(office, doc_id), exchange.HEADER_FILE)
    assert header["code"]["number_symbol"] == "01/QĐ-UBND" and json.dumps(header)


def _envelope_of(office: Office, doc_id: int) -> bytes:
    with office.db.session() as s:
        row = s.query(Delivery).filter_by(document_id=doc_id).one()
        assert row.envelope_sha256 is not None
    return read_pdf(office.db, row.envelope_sha256)  # the envelope is kept in the file store
