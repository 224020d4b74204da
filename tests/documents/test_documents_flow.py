"""The flow of an official document: draft, submit, approve or return, sign, issue; numbering; refusals."""

from __future__ import annotations

import threading

import pytest

from smartcity.accounts import service as accounts
from smartcity.core.errors import Conflict, Forbidden, ValidationFailed
from smartcity.documents import kinds, service
from smartcity.signing import service as signing
from smartcity.signing.errors import CertificateNotUsable
from tests.documents.conftest import SYSTEM, WARD, Office, draft_data, make_user, signed_count, to_signed


def test_numbers_and_symbols_follow_decree_30() -> None:
    assert kinds.number_symbol(5, kinds.symbol("QĐ", organisation_abbr="UBND")) == "05/QĐ-UBND"
    assert (
        kinds.number_symbol(123, kinds.symbol("CV", organisation_abbr="UBND", drafting_unit_abbr="VP"))
        == "123/UBND-VP"
    )
    assert kinds.symbol("TTr", organisation_abbr="UBND") == "TTr-UBND"
    table = kinds.document_types()
    assert {"NQ", "QĐ", "CT", "TB", "KH", "BC", "TTr", "GM", "CV"} <= set(table)
    assert table["CV"].abbreviation is None and len(table) == 31


def test_a_document_goes_from_draft_to_issued_with_both_signatures_valid(office: Office) -> None:
    doc_id = to_signed(office)
    signed = service.get_document(office.db, actor=office.clerk, document_id=doc_id)
    assert signed.state == "signed" and signed.number_symbol is None
    issued = service.issue(office.db, actor=office.clerk, document_id=doc_id, signing_with=office.signing)
    assert issued.state == "issued" and issued.number == 1 and issued.number_symbol == "01/QĐ-UBND"
    pdf = service.document_pdf(office.db, actor=office.clerk, document_id=doc_id)
    report = signing.verify_pdf(office.db, pdf, settings=office.settings)
    assert report.signature_count == 2 and report.all_hold, report
    leader, seal = report.signatures
    assert leader.signer.common_name == "Phạm Minh Tuấn" and leader.modification_level == "FORM_FILLING"
    assert seal.signer.common_name == "UBND phường Thủ Dầu Một" and not seal.modified_after_signing
    steps = service.history(office.db, actor=office.head, document_id=doc_id)
    assert [s.action for s in steps] == ["drafted", "submitted", "approved", "signed", "issued"]
    entries = service.register(office.db, actor=office.clerk, register_name="outgoing")
    assert [(e.number, e.number_symbol, e.document_id) for e in entries] == [(1, "01/QĐ-UBND", doc_id)]


def test_the_head_returns_a_draft_with_a_comment_and_the_author_resubmits(office: Office) -> None:
    doc = service.create_draft(office.db, actor=office.specialist, data=draft_data())
    service.submit(office.db, actor=office.specialist, document_id=doc.id)
    with pytest.raises(ValidationFailed):
        service.return_draft(office.db, actor=office.head, document_id=doc.id, comment=" ")
    returned = service.return_draft(office.db, actor=office.head, document_id=doc.id, comment="Sửa trích yếu")
    assert returned.state == "returned"
    service.update_draft(
        office.db,
        actor=office.specialist,
        document_id=doc.id,
        data=draft_data(subject="Về việc chỉnh trang đô thị năm 2026"),
    )
    assert service.submit(office.db, actor=office.specialist, document_id=doc.id).state == "submitted"
    steps = service.history(office.db, actor=office.specialist, document_id=doc.id)
    assert ("returned", "Sửa trích yếu") in [(s.action, s.comment) for s in steps]
    with pytest.raises(Forbidden):
        service.approve(office.db, actor=office.specialist, document_id=doc.id)


def test_only_the_named_signer_signs_and_only_an_approved_document(office: Office) -> None:
    doc = service.create_draft(office.db, actor=office.specialist, data=draft_data())
    before = signed_count(office)
    with pytest.raises(Conflict):
        service.sign(office.db, actor=office.leader, document_id=doc.id, signing_with=office.signing)
    service.submit(office.db, actor=office.specialist, document_id=doc.id)
    service.approve(office.db, actor=office.head, document_id=doc.id)
    for intruder in (office.other_leader, office.head, office.clerk):
        with pytest.raises(Forbidden):
            service.sign(office.db, actor=intruder, document_id=doc.id, signing_with=office.signing)
    with pytest.raises(Conflict):
        service.issue(office.db, actor=office.clerk, document_id=doc.id, signing_with=office.signing)
    assert signed_count(office) == before
    assert service.get_document(office.db, actor=office.head, document_id=doc.id).state == "approved"
    service.sign(office.db, actor=office.leader, document_id=doc.id, signing_with=office.signing)
    with pytest.raises(Conflict):
        service.sign(office.db, actor=office.leader, document_id=doc.id, signing_with=office.signing)
    with pytest.raises(Forbidden):
        service.issue(office.db, actor=office.specialist, document_id=doc.id, signing_with=office.signing)
    assert signed_count(office) == before + 1


def test_a_failed_seal_uses_no_number(office: Office) -> None:
    first, second = to_signed(office), to_signed(office)
    revoke = signing.list_certificates(office.db, kind="organisation", holder=WARD)[0].serial
    signing.revoke_certificate(office.db, actor=SYSTEM, serial=revoke, reason="key_compromise")
    with pytest.raises(CertificateNotUsable):
        service.issue(office.db, actor=office.clerk, document_id=first, signing_with=office.signing)
    assert service.get_document(office.db, actor=office.clerk, document_id=first).number is None
    signing.issue_organisation_certificate(
        office.db,
        actor=SYSTEM,
        org_unit_code=WARD,
        name="UBND phường",
        settings=office.settings,
        signing_settings=office.signing.signing_settings,
    )
    issued = service.issue(office.db, actor=office.clerk, document_id=second, signing_with=office.signing)
    assert issued.number == 1


def test_concurrent_issues_get_exactly_one_to_n(office: Office) -> None:
    ids = [to_signed(office, subject=f"Về việc số {i} của kế hoạch") for i in range(6)]
    errors: list[BaseException] = []

    def issue(doc_id: int) -> None:
        try:
            service.issue(office.db, actor=office.clerk, document_id=doc_id, signing_with=office.signing)
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(doc_id,)) for doc_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    numbers = sorted(
        service.get_document(office.db, actor=office.clerk, document_id=i).number or 0 for i in ids
    )
    assert numbers == [1, 2, 3, 4, 5, 6]
    register = service.register(office.db, actor=office.clerk, register_name="outgoing")
    assert sorted(e.number for e in register) == [1, 2, 3, 4, 5, 6]


def test_numbers_race_between_processes_is_settled_by_the_counter(office: Office) -> None:
    """Two issuers that read the same next number: the counter lets only one record it."""
    with office.db.write_session() as s:
        assert service.take_number(s, WARD, 2026, 1)
    with office.db.write_session() as s:
        assert not service.take_number(s, WARD, 2026, 1)
        assert not service.take_number(s, WARD, 2026, 3)
        assert service.take_number(s, WARD, 2026, 2)


def test_search_finds_documents_with_or_without_diacritics(office: Office) -> None:
    service.create_draft(
        office.db, actor=office.specialist, data=draft_data(subject="Về việc phòng chống lụt bão")
    )
    service.create_draft(office.db, actor=office.specialist, data=draft_data(subject="Về việc tiêm chủng"))
    for query in ("lụt bão", "lut bao", "PHONG CHONG"):
        items, total = service.list_documents(office.db, actor=office.head, q=query)
        assert total == 1 and "lụt bão" in items[0].subject
    assert service.list_documents(office.db, actor=office.head)[1] == 2


def test_bad_drafts_are_refused(office: Office) -> None:
    for changes, field in (
        ({"type_code": "XX"}, "type_code"),
        ({"signer_username": "nobody"}, "signer_username"),
        ({"urgency": "gấp"}, "urgency"),
        ({"type_code": "CV"}, "drafting_unit_abbr"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            service.create_draft(office.db, actor=office.specialist, data=draft_data(**changes))
        assert caught.value.errors[0]["field"] == field
    with pytest.raises(Forbidden):
        service.create_draft(
            office.db, actor=office.specialist, data=draft_data(office_code="UBND-25741-HCM")
        )
    assert service.list_documents(office.db, actor=office.head)[1] == 0


def test_issuers_in_different_processes_still_get_one_to_n(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the in-process lock (as between two web processes) the counter's compare-and-set decides."""
    ids = [to_signed(office, subject=f"Về việc số {i} của đề án") for i in range(4)]
    monkeypatch.setattr(service.signing_and_issue, "_office_lock", lambda _office: threading.Lock())
    errors: list[BaseException] = []

    def issue(doc_id: int) -> None:
        try:
            service.issue(office.db, actor=office.clerk, document_id=doc_id, signing_with=office.signing)
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(doc_id,)) for doc_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not errors, errors
    numbers = sorted(
        service.get_document(office.db, actor=office.clerk, document_id=i).number or 0 for i in ids
    )
    assert numbers == [1, 2, 3, 4]


def test_a_signer_who_stops_leading_keeps_their_documents_but_is_not_named_again(office: Office) -> None:
    waiting = service.create_draft(
        office.db, actor=office.specialist, data=draft_data(signer_username="phochutich")
    )
    service.submit(office.db, actor=office.specialist, document_id=waiting.id)
    service.approve(office.db, actor=office.head, document_id=waiting.id)
    draft = service.create_draft(
        office.db, actor=office.specialist, data=draft_data(signer_username="phochutich")
    )
    user = accounts.get_user_by_username(office.db, "phochutich")
    assert user is not None
    accounts.revoke_role(office.db, actor=SYSTEM, user_id=user.id, assignment_id=user.roles[0].id)

    assert (
        service.get_document(office.db, actor=office.head, document_id=draft.id).signer_name == "Đỗ Văn Bình"
    )
    with pytest.raises(ValidationFailed) as caught:  # keeping the signer: told they no longer lead
        service.update_draft(
            office.db,
            actor=office.specialist,
            document_id=draft.id,
            data=draft_data(subject="Về việc khác hẳn", signer_username="phochutich"),
        )
    assert caught.value.errors == [{"field": "signer_username", "message": service.SIGNER_NO_LONGER}]
    with pytest.raises(ValidationFailed) as caught:  # naming them on another draft: the plain refusal
        service.create_draft(
            office.db, actor=office.specialist, data=draft_data(signer_username="phochutich")
        )
    assert caught.value.errors[0]["message"] == service.WRONG_SIGNER
    assert service.get_document(office.db, actor=office.head, document_id=draft.id).subject == draft.subject
    changed = service.update_draft(
        office.db, actor=office.specialist, document_id=draft.id, data=draft_data(signer_username="lanhdao")
    )
    assert (changed.signer_username, changed.signer_name) == ("lanhdao", "Phạm Minh Tuấn")

    # The approved document still waits for them, and they still sign it.
    assert [d.id for d in service.sign_queue(office.db, actor=office.other_leader)] == [waiting.id]
    signed = service.sign(
        office.db, actor=office.other_leader, document_id=waiting.id, signing_with=office.signing
    )
    assert signed.state == "signed"


def test_the_signers_of_a_unit_are_its_leaders_and_the_city_ones(office: Office) -> None:
    make_user(office.db, "chutich", "Nguyễn Văn Thành", [("leader", None), ("leader", WARD)])
    make_user(office.db, "phochutichtp", "Bùi Thị Quế", [("leader", None)])
    make_user(office.db, "quantri", "Quản Trị Viên", [("admin", None)])  # every right, but not a leader
    make_user(office.db, "cuulanhdao", "Hồ Văn Cựu", [("leader", WARD)])
    gone = accounts.get_user_by_username(office.db, "cuulanhdao")
    assert gone is not None
    accounts.deactivate_user(office.db, actor=SYSTEM, user_id=gone.id)
    assert [(s.username, s.full_name, s.units) for s in service.signers_for(office.db, [WARD])] == [
        ("phochutich", "Đỗ Văn Bình", (WARD,)),
        ("chutich", "Nguyễn Văn Thành", (WARD, None)),
        ("lanhdao", "Phạm Minh Tuấn", (WARD,)),
        ("phochutichtp", "Bùi Thị Quế", (None,)),
    ]
    assert service.may_sign(office.db, WARD, "quantri") is None
    assert service.may_sign(office.db, WARD, "cuulanhdao") is None
    assert service.may_sign(office.db, "UBND-25750-HCM", "lanhdao") is None
    assert service.may_sign(office.db, "UBND-25750-HCM", "phochutichtp") is not None
