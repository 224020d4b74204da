"""Dossiers through the service: intake, the workflow steps by role and unit, deadlines, refusals."""

from __future__ import annotations

from datetime import date

import pytest

from smartcity.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    UnsupportedMediaType,
    ValidationFailed,
)
from smartcity.dossiers import service
from smartcity.dossiers.schemas import DossierCreate
from tests.dossiers.dossier_fixtures import (
    BIRTH,
    PDF,
    SYSTEM,
    house_request,
    house_uploads,
    local,
    make_user,
    submit_house,
)

BEFORE = local(2025, 3, 3, 9, 0)  # a Monday morning, before the 2025 reorganisation


def _walk_to_decision(db, settings, people, code, at):
    service.act(db, actor=people.clerk, settings=settings, code=code, action="receive", now=at)
    service.act(
        db,
        actor=people.head,
        settings=settings,
        code=code,
        action="assign",
        payload={"assignee": "spec1"},
        now=at,
    )
    service.act(
        db,
        actor=people.specialist,
        settings=settings,
        code=code,
        action="process",
        payload={"result": {"house_number": "15A", "side": "odd_left"}},
        now=at,
    )
    service.act(db, actor=people.head, settings=settings, code=code, action="review", now=at)
    return service.act(db, actor=people.leader, settings=settings, code=code, action="decide", now=at)


def test_online_submission_gets_a_code_and_state_1_routed_to_the_city_units(db, settings, people):
    detail = submit_house(db, settings, people, now=BEFORE)
    assert detail.code == "TDM-MOTCUA-250303-0001"
    assert detail.state == 1 and detail.step == "receive" and detail.due_date is None
    assert (detail.intake_unit, detail.processing_unit, detail.deciding_unit) == (
        "TDM-MOTCUA",
        "TDM-QLDT",
        "UBND-TDM",
    )
    assert detail.applicant_id_masked == "*********234"
    assert {a.document_code for a in detail.attachments} == {"don_de_nghi", "gcn_qsdd"}
    second = submit_house(db, settings, people, now=BEFORE)
    assert second.code == "TDM-MOTCUA-250303-0002"


def test_after_reorganisation_city_procedures_go_to_the_ward(db, settings, people):
    detail = submit_house(db, settings, people, now=local(2025, 8, 4, 9, 0))
    assert detail.intake_unit == detail.processing_unit == detail.deciding_unit == "UBND-25747-HCM"
    assert detail.code.startswith("UBND-25747-HCM-250804-")


def test_full_path_with_roles_payment_result_and_return(db, settings, people):
    code = submit_house(db, settings, people, now=BEFORE).code
    decided = _walk_to_decision(db, settings, people, code, BEFORE)
    assert decided.state == 6  # the fee is unpaid: payment required
    assert "result" in decided.documents
    paid = service.act(db, actor=people.clerk, settings=settings, code=code, action="pay", now=BEFORE)
    assert paid.state == 9 and paid.deadline_status == "early"
    citizen_view = service.get_dossier(db, actor=people.citizen, settings=settings, code=code)
    assert "return" in citizen_view.actions  # fully online: the citizen takes the result online
    pdf = service.document_pdf(db, actor=people.citizen, settings=settings, code=code, kind="result")
    assert pdf.startswith(b"%PDF")
    returned = service.act(
        db, actor=people.citizen, settings=settings, code=code, action="return", now=BEFORE
    )
    assert returned.state == 10 and returned.actions == []
    assert [t.action for t in returned.timeline] == [
        "submit",
        "receive",
        "assign",
        "process",
        "review",
        "decide",
        "pay",
        "return",
    ]


def test_each_step_needs_its_role_and_unit_and_leaves_the_state_unchanged(db, settings, people):
    code = submit_house(db, settings, people, now=BEFORE).code
    with pytest.raises(Forbidden) as caught:
        service.act(db, actor=people.citizen, settings=settings, code=code, action="receive", now=BEFORE)
    assert "clerk in TDM-MOTCUA" in caught.value.detail
    with pytest.raises(Forbidden):
        service.act(db, actor=people.ward_clerk, settings=settings, code=code, action="receive", now=BEFORE)
    with pytest.raises(Conflict) as conflict:
        service.act(db, actor=people.leader, settings=settings, code=code, action="decide", now=BEFORE)
    assert "state 1" in conflict.value.detail
    with pytest.raises(Conflict):
        service.act(db, actor=people.clerk, settings=settings, code=code, action="fly", now=BEFORE)
    assert service.get_dossier(db, actor=SYSTEM, settings=settings, code=code).state == 1


def test_refusal_needs_a_reason_and_is_final(db, settings, people):
    code = submit_house(db, settings, people, now=BEFORE).code
    with pytest.raises(ValidationFailed):
        service.act(db, actor=people.clerk, settings=settings, code=code, action="refuse", now=BEFORE)
    refused = service.act(
        db,
        actor=people.clerk,
        settings=settings,
        code=code,
        action="refuse",
        payload={"reason": "Thiếu bản sao giấy chứng nhận"},
        now=BEFORE,
    )
    assert refused.state == 3 and refused.actions == [] and "refusal" in refused.documents


def test_deadline_counts_working_days_across_tet(db, settings, people):
    friday_before_tet = local(2025, 1, 24, 10, 0)
    code = submit_house(db, settings, people, now=friday_before_tet).code
    received = service.act(
        db, actor=people.clerk, settings=settings, code=code, action="receive", now=friday_before_tet
    )
    assert received.start_date == date(2025, 1, 24)
    assert received.due_date == date(2025, 2, 7)  # Tết 27/1–1/2 and two weekends do not count
    assert max(received.step_due_dates.values()) == received.due_date


def test_afternoon_cutoff_and_make_up_day(db, settings, people):
    late = local(2025, 1, 24, 15, 30)
    code = submit_house(db, settings, people, now=late).code
    received = service.act(db, actor=people.clerk, settings=settings, code=code, action="receive", now=late)
    assert received.start_date == date(2025, 2, 3) and received.due_date == date(2025, 2, 10)


def test_supplement_stops_the_clock(db, settings, people):
    code = submit_house(db, settings, people, now=BEFORE).code
    service.act(db, actor=people.clerk, settings=settings, code=code, action="receive", now=BEFORE)
    assert service.get_dossier(db, actor=SYSTEM, settings=settings, code=code).due_date == date(2025, 3, 10)
    paused = service.act(
        db,
        actor=people.clerk,
        settings=settings,
        code=code,
        action="request_supplement",
        payload={"reason": "Bổ sung bản vẽ"},
        now=local(2025, 3, 4, 9, 0),
    )
    assert (
        paused.state == 5 and paused.deadline_status == "paused" and "supplement_request" in paused.documents
    )
    resumed = service.act(
        db,
        actor=people.citizen,
        settings=settings,
        code=code,
        action="supplement",
        now=local(2025, 3, 7, 10, 0),
    )
    assert resumed.state == 2 and resumed.step == "assign"
    assert resumed.paused_working_days == 3  # Wed, Thu, Fri
    assert resumed.due_date == date(2025, 3, 13)


def test_same_day_procedure_at_the_ward(db, settings, people):
    data = DossierCreate(
        procedure_code=BIRTH,
        applicant={"name": "Trần Thị Bình", "phone": "0987654321"},
        form={
            "child_name": "Trần Minh Khang",
            "sex": "nam",
            "date_of_birth": "2025-02-20",
            "place_of_birth": "Bệnh viện",
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
            "mother_name": "Trần Thị Bình",
            "ward_code": "25747",
            "declarant_relation": "mẹ",
        },
    )
    uploads = [
        service.Upload("to_khai", "tk.pdf", "application/pdf", PDF),
        service.Upload("giay_chung_sinh", "gcs.pdf", "application/pdf", PDF),
    ]
    detail, _ = service.submit_dossier(
        db, actor=people.citizen, settings=settings, data=data, uploads=uploads, now=BEFORE
    )
    assert detail.intake_unit == "UBND-25747" and detail.fee_vnd == 0
    service.act(
        db, actor=people.ward_clerk, settings=settings, code=detail.code, action="receive", now=BEFORE
    )
    service.act(
        db,
        actor=people.ward_specialist,
        settings=settings,
        code=detail.code,
        action="process",
        payload={"result": {"book_number": "15/2025"}},
        now=BEFORE,
    )
    done = service.act(
        db, actor=people.ward_leader, settings=settings, code=detail.code, action="decide", now=BEFORE
    )
    assert done.state == 9 and done.due_date == date(2025, 3, 3) and done.deadline_status == "on_time"


def test_form_errors_name_each_field(db, settings, people):
    bad = house_request(map_sheet="twelve", purpose="demolish")
    bad.form.pop("street")
    with pytest.raises(ValidationFailed) as caught:
        service.submit_dossier(
            db, actor=people.citizen, settings=settings, data=bad, uploads=house_uploads(), now=BEFORE
        )
    fields = {e["field"] for e in caught.value.errors}
    assert {"form.map_sheet", "form.purpose", "form.street"} <= fields


def test_attachments_checked_before_anything_is_stored(db, settings, people):
    too_big = [
        house_uploads()[0],
        service.Upload("gcn_qsdd", "x.pdf", "application/pdf", PDF + b"0" * 11_000_000),
    ]
    with pytest.raises(PayloadTooLarge):
        service.submit_dossier(
            db, actor=people.citizen, settings=settings, data=house_request(), uploads=too_big, now=BEFORE
        )
    fake = [house_uploads()[0], service.Upload("gcn_qsdd", "x.pdf", "application/pdf", b"MZ\x90 not a pdf")]
    with pytest.raises(UnsupportedMediaType):
        service.submit_dossier(
            db, actor=people.citizen, settings=settings, data=house_request(), uploads=fake, now=BEFORE
        )
    with pytest.raises(ValidationFailed) as missing:
        service.submit_dossier(
            db,
            actor=people.citizen,
            settings=settings,
            data=house_request(),
            uploads=house_uploads()[:1],
            now=BEFORE,
        )
    assert missing.value.errors[0]["field"] == "attachments.gcn_qsdd"
    assert not (settings.data_dir / "files" / "dossiers").exists()
    assert service.list_dossiers(db, actor=SYSTEM, settings=settings).total == 0


def test_idempotent_submission(db, settings, people):
    first = submit_house(db, settings, people, now=BEFORE, key="k-1")
    again = submit_house(db, settings, people, now=BEFORE, key="k-1")
    assert again.code == first.code
    assert service.list_dossiers(db, actor=SYSTEM, settings=settings).total == 1
    with pytest.raises(Conflict):
        service.submit_dossier(
            db,
            actor=people.citizen,
            settings=settings,
            data=house_request(owner_name="Khác"),
            uploads=house_uploads(),
            idempotency_key="k-1",
            now=BEFORE,
        )


def test_counter_intake_by_clerk_starts_the_clock(db, settings, people):
    data = house_request()
    data.paper_documents = ["gcn_qsdd", "don_de_nghi"]
    detail, _ = service.submit_dossier(
        db, actor=people.clerk, settings=settings, data=data, channel="counter", now=BEFORE
    )
    assert detail.state == 2 and detail.channel == "counter" and detail.due_date == date(2025, 3, 10)
    with pytest.raises(Forbidden):
        service.submit_dossier(
            db, actor=people.citizen, settings=settings, data=data, channel="counter", now=BEFORE
        )


def test_lookup_needs_the_second_factor_and_hides_personal_data(db, settings, people):
    code = submit_house(db, settings, people, now=BEFORE).code
    found = service.lookup(db, settings=settings, code=code, second_factor="074090001234")
    assert found.state == 1 and all(t.actor is None for t in found.timeline)
    assert service.lookup(db, settings=settings, code=code, second_factor="+84912345678").code == code
    with pytest.raises(Exception) as caught:
        service.lookup(db, settings=settings, code=code, second_factor="074090009999")
    assert getattr(caught.value, "status", None) == 404
    assert "074090001234" not in found.model_dump_json() and "Nguyễn" not in found.model_dump_json()


def test_lists_show_staff_their_units_and_citizens_their_own(db, settings, people):
    code = submit_house(db, settings, people, now=BEFORE).code
    assert service.list_dossiers(db, actor=people.other_citizen, settings=settings).total == 0
    assert service.list_dossiers(db, actor=people.citizen, settings=settings).total == 1
    assert service.list_dossiers(db, actor=people.ward_clerk, settings=settings).total == 0
    queue = service.list_dossiers(db, actor=people.clerk, settings=settings, queue=True)
    assert [d.code for d in queue.items] == [code]
    assert service.list_dossiers(db, actor=people.head, settings=settings, queue=True).total == 0


def test_apology_sets_a_new_date_and_makes_form_04(db, settings, people):
    code = submit_house(db, settings, people, now=BEFORE).code
    service.act(db, actor=people.clerk, settings=settings, code=code, action="receive", now=BEFORE)
    with pytest.raises(ValidationFailed):
        service.act(
            db,
            actor=people.head,
            settings=settings,
            code=code,
            action="apologise",
            payload={"reason": "Chờ xác minh", "new_due_date": "2025-03-05"},
            now=BEFORE,
        )
    sorry = service.act(
        db,
        actor=people.head,
        settings=settings,
        code=code,
        action="apologise",
        payload={"reason": "Chờ xác minh", "new_due_date": "2025-03-14"},
        now=BEFORE,
    )
    assert sorry.apology_due_date == date(2025, 3, 14) and "apology" in sorry.documents
    pdf = service.document_pdf(db, actor=people.head, settings=settings, code=code, kind="apology")
    assert pdf.startswith(b"%PDF")


def test_once_assigned_only_that_specialist_processes(db, settings, people):
    other = make_user(db, "spec2", [("specialist", "TDM-QLDT")])
    code = submit_house(db, settings, people, now=BEFORE).code
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
    assert "process" not in service.get_dossier(db, actor=other, settings=settings, code=code).actions
    with pytest.raises(Forbidden) as caught:
        service.act(
            db,
            actor=other,
            settings=settings,
            code=code,
            action="process",
            payload={"result": {"house_number": "9"}},
            now=BEFORE,
        )
    assert "spec1" in caught.value.detail
    done = service.act(
        db,
        actor=people.specialist,
        settings=settings,
        code=code,
        action="process",
        payload={"result": {"house_number": "9"}},
        now=BEFORE,
    )
    assert done.step == "review"


def test_guessing_the_second_factor_is_slowed_down(db, settings, people):
    code = submit_house(db, settings, people, now=BEFORE).code
    for guess in range(10):
        with pytest.raises(NotFound):
            service.lookup(
                db, settings=settings, code=code, second_factor=f"07409000{guess:04d}", client="1.2.3.4"
            )
    with pytest.raises(TooManyRequests):
        service.lookup(db, settings=settings, code=code, second_factor="074090001234", client="1.2.3.4")
    assert (
        service.lookup(db, settings=settings, code=code, second_factor="074090001234", client="5.6.7.8").code
        == code
    )


def test_transfer_of_an_interlinked_procedure_to_a_known_unit(db, settings, people):
    data = DossierCreate(
        procedure_code=BIRTH,
        applicant={"name": "Trần Thị Bình", "phone": "0987654321"},
        form={
            "child_name": "Trần Minh Khang",
            "sex": "nam",
            "date_of_birth": "2025-02-20",
            "place_of_birth": "Bệnh viện",
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
            "mother_name": "Trần Thị Bình",
            "ward_code": "25747",
            "declarant_relation": "mẹ",
        },
        paper_documents=["to_khai", "giay_chung_sinh"],
    )
    code = service.submit_dossier(
        db, actor=people.ward_clerk, settings=settings, data=data, channel="counter", now=BEFORE
    )[0].code
    with pytest.raises(ValidationFailed):
        service.act(
            db,
            actor=people.ward_head,
            settings=settings,
            code=code,
            action="transfer",
            payload={"unit": "NO-SUCH-UNIT", "reason": "liên thông"},
            now=BEFORE,
        )
    moved = service.act(
        db,
        actor=people.ward_head,
        settings=settings,
        code=code,
        action="transfer",
        payload={"unit": "TDM-TP", "reason": "liên thông"},
        now=BEFORE,
    )
    assert moved.processing_unit == "TDM-TP" and moved.state == 4 and moved.step == "process"
