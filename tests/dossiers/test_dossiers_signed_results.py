"""One-stop results signed after the decision: the leader's signature, then the deciding unit's seal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from smartcity.core import config as core_config
from smartcity.core.files import file_store
from smartcity.dossiers import service, signed_results
from smartcity.dossiers.models import Dossier, DossierDocument
from smartcity.signing import config as signing_config
from smartcity.signing import service as signing
from smartcity.signing.models import SignedDocument
from smartcity.signing.qr import add_verification_qr
from tests.conftest import TEST_SECRET
from tests.dossiers.dossier_fixtures import SYSTEM, local, submit_house

BEFORE = local(2025, 3, 3, 9, 0)
LEADER_NAME = "Nguyễn Văn Lãnh Đạo"
UNIT_NAME = "UBND thành phố Thủ Dầu Một"


@pytest.fixture
def process_settings(settings, monkeypatch) -> Iterator[None]:
    """Handlers read the process-wide settings: point them at this test's data directory and secret."""
    monkeypatch.setenv("SMARTCITY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SMARTCITY_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("SMARTCITY_PUBLIC_BASE_URL", "http://verify.test")
    monkeypatch.setenv("SMARTCITY_SIGNING_ROOT_KEY_BITS", "2048")
    core_config.get_settings.cache_clear()
    yield
    core_config.get_settings.cache_clear()


def _pki(db, settings, *, leader: str | None, unit: str | None) -> None:
    ss = signing_config.get_signing_settings()
    signing.init_pki(db, actor=SYSTEM, settings=settings, signing_settings=ss)
    if leader:
        signing.issue_official_certificate(
            db, actor=SYSTEM, username=leader, full_name=LEADER_NAME, settings=settings, signing_settings=ss
        )
    if unit:
        signing.issue_organisation_certificate(
            db, actor=SYSTEM, org_unit_code=unit, name=UNIT_NAME, settings=settings, signing_settings=ss
        )


def _decide(db, settings, people, code: str) -> None:
    service.act(db, actor=people.clerk, settings=settings, code=code, action="receive", now=BEFORE)
    service.act(
        db,
        actor=people.head,
        settings=settings,
        code=code,
        action="assign",
        payload={"assignee": "spec1"},
        now=BEFORE,
    )
    service.act(
        db,
        actor=people.specialist,
        settings=settings,
        code=code,
        action="process",
        payload={"result": {"house_number": "15A", "side": "odd_left"}},
        now=BEFORE,
    )
    service.act(db, actor=people.head, settings=settings, code=code, action="review", now=BEFORE)
    service.act(db, actor=people.leader, settings=settings, code=code, action="decide", now=BEFORE)


def _documents(db, code: str) -> dict[str, DossierDocument]:
    with db.session() as s:
        dossier_id = s.scalar(select(Dossier.id).where(Dossier.code == code))
        rows = s.scalars(select(DossierDocument).where(DossierDocument.dossier_id == dossier_id))
        return {row.kind: row for row in rows}


def test_house_number_result_is_signed_by_the_leader_and_sealed_by_the_unit(
    db, settings, people, process_settings, client, monkeypatch
):
    from smartcity.dossiers import result_signing as handlers

    printed: list[str] = []

    def spy(pdf: bytes, url: str, **kwargs) -> bytes:
        printed.append(url)
        return add_verification_qr(pdf, url, **kwargs)

    monkeypatch.setattr(handlers, "add_verification_qr", spy)
    detail = submit_house(db, settings, people, now=BEFORE)
    _pki(db, settings, leader="leader1", unit=detail.deciding_unit)
    _decide(db, settings, people, detail.code)

    status = signed_results.signature_status(db, detail.code)
    assert status["status"] == "signed", status
    documents = _documents(db, detail.code)
    assert documents["result"].signed and documents["result"].sha256 == status["sha256"]
    unsigned = file_store(settings, "dossiers").get(documents["result_unsigned"].sha256)
    assert signing.verify_pdf(db, unsigned, settings=settings).signature_count == 0
    signed = file_store(settings, "dossiers").get(documents["result"].sha256)
    report = signing.verify_pdf(db, signed, settings=settings)
    assert report.all_hold and report.signature_count == 2
    assert [sig.signer.common_name for sig in report.signatures] == [LEADER_NAME, UNIT_NAME]
    assert all(sig.signing_time_source == "timestamp" for sig in report.signatures)
    assert report.document_id == status["document_id"]
    assert status["verification_url"] == f"http://verify.test/kiem-tra-chu-ky/{status['document_id']}"
    assert printed == [status["verification_url"]]  # the QR code on the result leads to its verification

    page = client.get(f"/kiem-tra-chu-ky/{status['document_id']}")
    assert page.status_code == 200
    assert LEADER_NAME in page.text and UNIT_NAME in page.text


def test_result_without_the_leaders_certificate_stays_unsigned_and_says_why(
    db, settings, people, process_settings
):
    detail = submit_house(db, settings, people, now=BEFORE)
    _pki(db, settings, leader=None, unit=detail.deciding_unit)
    _decide(db, settings, people, detail.code)

    status = signed_results.signature_status(db, detail.code)
    assert status["status"] == "unsigned" and "leader1" in status["reason"]
    documents = _documents(db, detail.code)
    assert not documents["result"].signed and "result_unsigned" not in documents


def test_results_left_unsigned_are_signed_later_from_the_shell(
    db, settings, people, process_settings, monkeypatch
):
    from typer.testing import CliRunner

    from smartcity.cli import app

    detail = submit_house(db, settings, people, now=BEFORE)
    _pki(db, settings, leader=None, unit=detail.deciding_unit)
    _decide(db, settings, people, detail.code)
    assert signed_results.signature_status(db, detail.code)["status"] == "unsigned"
    signing.issue_official_certificate(
        db,
        actor=SYSTEM,
        username="leader1",
        full_name=LEADER_NAME,
        settings=settings,
        signing_settings=signing_config.get_signing_settings(),
    )
    monkeypatch.setenv("SMARTCITY_DATABASE_URL", db.url)
    core_config.get_settings.cache_clear()
    result = CliRunner().invoke(app, ["dossiers", "sign-results"])
    assert result.exit_code == 0, result.output
    assert "Signed: 1; left unsigned: 0" in result.output
    assert signed_results.signature_status(db, detail.code)["status"] == "signed"
    again = CliRunner().invoke(app, ["dossiers", "sign-results"])
    assert "Signed: 0; left unsigned: 0; skipped: 0" in again.output


def test_result_without_a_pki_stays_unsigned_and_the_relay_goes_on(db, settings, people, process_settings):
    detail = submit_house(db, settings, people, now=BEFORE)
    _decide(db, settings, people, detail.code)

    status = signed_results.signature_status(db, detail.code)
    assert status["status"] == "unsigned" and "not initialised" in status["reason"]
    assert service.get_dossier(db, actor=people.leader, settings=settings, code=detail.code).state == 6


def test_a_unit_without_a_seal_leaves_the_result_unsigned_and_signs_nothing(
    db, settings, people, process_settings
):
    detail = submit_house(db, settings, people, now=BEFORE)
    _pki(db, settings, leader="leader1", unit=None)
    _decide(db, settings, people, detail.code)

    status = signed_results.signature_status(db, detail.code)
    assert status["status"] == "unsigned" and detail.deciding_unit in status["reason"]
    assert "seal" in status["reason"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SignedDocument)) == 0  # not even the leader's


def test_a_replayed_result_event_signs_nothing_twice(db, settings, people, process_settings):
    from smartcity.dossiers.events import DossierResultIssued
    from smartcity.dossiers.result_signing import sign_issued_result

    detail = submit_house(db, settings, people, now=BEFORE)
    _pki(db, settings, leader="leader1", unit=detail.deciding_unit)
    _decide(db, settings, people, detail.code)
    before = _documents(db, detail.code)
    replay = DossierResultIssued(
        code=detail.code,
        procedure_code=detail.procedure_code,
        document_sha256=before["result_unsigned"].sha256,
        number="15A",
    )
    sign_issued_result(replay, db)
    after = _documents(db, detail.code)
    assert after["result"].sha256 == before["result"].sha256
    assert signed_results.signature_status(db, detail.code)["sha256"] == before["result"].sha256


def test_a_revoked_leader_certificate_signs_no_result(db, settings, people, process_settings):
    detail = submit_house(db, settings, people, now=BEFORE)
    _pki(db, settings, leader="leader1", unit=detail.deciding_unit)
    serial = signing.list_certificates(db, kind="official", holder="leader1")[0].serial
    signing.revoke_certificate(db, actor=SYSTEM, serial=serial, reason="key_compromise")
    _decide(db, settings, people, detail.code)

    status = signed_results.signature_status(db, detail.code)
    assert status["status"] == "unsigned" and "leader1 holds no valid" in status["reason"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SignedDocument)) == 0
