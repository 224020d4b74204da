"""The demo: a house number certificate approved by the ward comes out signed by `lanhdao` and sealed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smartcity.accounts import demo as accounts_demo
from smartcity.accounts import service as accounts
from smartcity.core import config as core_config
from smartcity.dossiers import service, signed_results
from smartcity.signing import demo as signing_demo
from smartcity.signing import service as signing
from tests.dossiers.dossier_fixtures import SYSTEM, local, submit_house

AFTER = local(2025, 8, 4, 9, 0)  # the ward decides city procedures since 2025-07-01


@pytest.fixture
def process_settings(settings, monkeypatch) -> Iterator[None]:
    """Handlers see this test's settings through the database; the signing settings are process-wide."""
    monkeypatch.setenv("SMARTCITY_SIGNING_ROOT_KEY_BITS", "2048")
    core_config.get_settings.cache_clear()
    yield
    core_config.get_settings.cache_clear()


def _staff(db, username: str):
    user = accounts.get_user_by_username(db, username)
    assert user is not None
    return accounts.actor_for_user(db, user.id)


def _approve(db, settings, code: str) -> None:
    """Walk the dossier through the ward's one-stop staff to the leader's decision."""
    steps = [
        ("motcua", "receive", {}),
        ("truongphong", "assign", {"assignee": "chuyenvien"}),
        ("chuyenvien", "process", {"result": {"house_number": "27B", "side": "odd_left"}}),
        ("truongphong", "review", {}),
        ("lanhdao", "decide", {}),
    ]
    for username, action, payload in steps:
        actor = _staff(db, username)
        if action in service.get_dossier(db, actor=actor, settings=settings, code=code).actions:
            service.act(
                db, actor=actor, settings=settings, code=code, action=action, payload=payload, now=AFTER
            )


def test_demo_certificates_are_issued_once(db, settings, people, process_settings):
    accounts_demo.load_demo(db, settings=settings, actor=SYSTEM)
    first = signing_demo.load_demo(db, settings=settings, actor=SYSTEM)
    second = signing_demo.load_demo(db, settings=settings, actor=SYSTEM)
    assert "lanhdao" in first and "UBND-25747-HCM" in first
    assert second == "PKI and certificates already there"
    assert len(signing.list_certificates(db, kind="official", holder="lanhdao")) == 1
    assert len(signing.list_certificates(db, kind="organisation", holder="UBND-25747-HCM")) == 1
    # every ward's team can decide and sign: Phú Lợi's leader and seal too
    assert "lanhdao.phuloi" in first and "UBND-25750-HCM" in first
    assert len(signing.list_certificates(db, kind="official", holder="lanhdao.phuloi")) == 1
    assert len(signing.list_certificates(db, kind="organisation", holder="UBND-25750-HCM")) == 1


def test_demo_house_number_result_is_signed_by_the_leader_and_sealed_by_the_ward(
    db, settings, people, process_settings
):
    accounts_demo.load_demo(db, settings=settings, actor=SYSTEM)
    signing_demo.load_demo(db, settings=settings, actor=SYSTEM)
    code = submit_house(db, settings, people, now=AFTER).code
    _approve(db, settings, code)

    status = signed_results.signature_status(db, code)
    assert status.get("status") == "signed", status
    report = signing.verify_signed_document(db, status["document_id"], settings=settings)
    assert report.all_hold and report.signature_count == 2
    leader, seal = (sig.signer.common_name for sig in report.signatures)
    assert leader == "Phạm Minh Tuấn" and seal == accounts.get_org_unit(db, "UBND-25747-HCM").name
