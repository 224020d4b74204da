"""Submission, routing by category and ward on the report's date, the lifecycle, timers, duplicates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from smartcity.core.audit import AuditEntry
from smartcity.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from smartcity.core.outbox import OutboxMessage
from smartcity.feedback import service
from smartcity.feedback.config import FeedbackSettings
from smartcity.feedback.models import Report
from smartcity.feedback.routing import OutsideCity
from tests.feedback.conftest import (
    AFTER,
    BEFORE,
    CITIZEN,
    OPERATOR,
    OTHER_CITIZEN,
    OUTSIDE,
    PHU_CUONG,
    SECRET,
    SYSTEM,
    staff_of,
)


def _submit(db, data, *, actor=CITIZEN, at=None):
    return service.submit_report(db, actor=actor, data=data, secret=SECRET, at=at).report


def _events(db, name: str) -> list[dict]:
    with db.session() as s:
        query = select(OutboxMessage).where(OutboxMessage.event_type == name).order_by(OutboxMessage.id)
        return [m.payload for m in s.scalars(query)]


def test_categories_come_with_the_city_pack(city):
    codes = [c.code for c in service.list_categories(city)]
    assert {
        "khan-cap",
        "an-ninh-trat-tu",
        "giao-thong",
        "den-tin-hieu",
        "ha-tang",
        "moi-truong",
        "thu-tuc-hanh-chinh",
        "thong-tin",
    } <= set(codes)
    # loading again changes nothing and never overwrites a local change
    service.upsert_categories(
        city,
        actor=SYSTEM,
        categories=[service.get_category(city, "ha-tang").model_copy(update={"deadline_working_days": 4})],
    )
    assert service.ensure_default_categories(city, actor=SYSTEM) == 0
    assert service.get_category(city, "ha-tang").deadline_working_days == 4


def test_ward_category_goes_to_the_ward_committee_valid_on_the_report_date(city, report_data):
    before = service.submit_report(
        city, actor=CITIZEN, data=report_data(category_code="an-ninh-trat-tu"), secret=SECRET, at=BEFORE
    ).report
    after = service.submit_report(
        city, actor=CITIZEN, data=report_data(category_code="an-ninh-trat-tu"), secret=SECRET, at=AFTER
    ).report
    assert (before.ward_code, before.unit_code) == ("25747", "UBND-25747")
    assert after.unit_code.endswith("-HCM") and after.unit_code.startswith("UBND-")
    assert before.deadline_at == BEFORE + timedelta(hours=24)


def test_department_category_goes_to_the_department_then_to_the_ward_after_the_reform(city, report_data):
    before = service.submit_report(city, actor=CITIZEN, data=report_data(), secret=SECRET, at=BEFORE).report
    after = service.submit_report(city, actor=CITIZEN, data=report_data(), secret=SECRET, at=AFTER).report
    assert before.unit_code == "TDM-QLDT"
    assert after.unit_code.startswith("UBND-") and after.unit_code.endswith("-HCM")
    # five working days from Monday 10 March 2025 -> Monday 17 March, end of the working day
    assert before.deadline_at is not None
    assert before.deadline_at.astimezone(BEFORE.tzinfo).date().isoformat() == "2025-03-17"


def test_point_outside_the_city_is_refused_or_sent_to_the_city(city, report_data):
    with pytest.raises(OutsideCity):
        service.submit_report(
            city, actor=CITIZEN, data=report_data(lon=OUTSIDE[0], lat=OUTSIDE[1]), secret=SECRET, at=BEFORE
        )
    routed = service.submit_report(
        city,
        actor=CITIZEN,
        data=report_data(lon=OUTSIDE[0], lat=OUTSIDE[1], category_code="an-ninh-trat-tu"),
        secret=SECRET,
        at=BEFORE,
        settings=FeedbackSettings(outside_city="city"),
    ).report
    assert routed.unit_code == "UBND-TDM" and routed.ward_code is None


def test_bad_input_is_refused_before_anything_is_written(city, report_data):
    with pytest.raises(NotFound):
        service.submit_report(city, actor=CITIZEN, data=report_data(category_code="nope"), secret=SECRET)
    with pytest.raises(ValidationFailed):
        service.submit_report(city, actor=CITIZEN, data=report_data(lat=None), secret=SECRET)
    with pytest.raises(ValidationFailed):
        service.submit_report(
            city, actor=CITIZEN, data=report_data(attributes={"hang_muc": "spaceship"}), secret=SECRET
        )
    with pytest.raises(ValidationFailed):
        service.submit_report(
            city,
            actor=CITIZEN,
            data=report_data(category_code="an-ninh-trat-tu", lon=None, lat=None, address="", ward_code=None),
            secret=SECRET,
        )
    with city.session() as s:
        assert s.scalar(select(Report.id)) is None


def test_full_lifecycle_with_timestamps_audit_and_events(city, report_data):
    result = service.submit_report(city, actor=CITIZEN, data=report_data(), secret=SECRET, at=BEFORE)
    code = result.report.code
    assert result.report.status == "new" and result.reporter_key
    qldt = staff_of("TDM-QLDT")
    service.accept_report(city, actor=OPERATOR, code=code, at=BEFORE + timedelta(minutes=10))
    service.assign_report(
        city, actor=OPERATOR, code=code, assignee="Tổ duy tu số 2", at=BEFORE + timedelta(minutes=20)
    )
    service.start_report(city, actor=qldt, code=code, at=BEFORE + timedelta(hours=2))
    resolved = service.resolve_report(
        city, actor=qldt, code=code, comment="Đã vá ổ gà.", at=BEFORE + timedelta(days=1)
    )
    assert resolved.status == "resolved" and resolved.status_notes == "Đã vá ổ gà."
    rated = service.rate_report(city, actor=CITIZEN, code=code, rating=3, at=BEFORE + timedelta(days=2))
    assert rated.rating == 3
    closed = service.close_report(city, actor=OPERATOR, code=code, at=BEFORE + timedelta(days=3))
    actions = [(s.action, s.to_status) for s in closed.staff_steps]
    assert actions == [
        ("submitted", "new"),
        ("accept", "accepted"),
        ("assign", "assigned"),
        ("start", "in_progress"),
        ("resolve", "resolved"),
        ("rated", "resolved"),
        ("close", "closed"),
    ]
    assert closed.accepted_at == BEFORE + timedelta(minutes=10)
    assert all(s.actor for s in closed.staff_steps)
    with city.session() as s:
        query = select(AuditEntry.action).where(AuditEntry.entity_id == code).order_by(AuditEntry.seq)
        audited = list(s.scalars(query))
    assert audited[:2] == ["feedback.submitted", "feedback.accept"] and "feedback.close" in audited
    assert _events(city, "feedback.ReportSubmitted")[0]["unit_code"] == "TDM-QLDT"
    assert _events(city, "feedback.ReportResolved")[0]["within_deadline"] is True
    assert _events(city, "feedback.ReportRated")[0]["rating"] == 3


def test_wrong_transitions_and_wrong_people_are_refused(city, report_data):
    code = _submit(city, report_data(), at=BEFORE).code
    with pytest.raises(Conflict):
        service.close_report(city, actor=OPERATOR, code=code)
    with pytest.raises(Forbidden):
        service.accept_report(city, actor=staff_of("TDM-TNMT"), code=code)
    with pytest.raises(Forbidden):
        service.accept_report(city, actor=CITIZEN, code=code)
    with pytest.raises(ValidationFailed):
        service.reject_report(city, actor=OPERATOR, code=code, reason=" ")
    rejected = service.reject_report(city, actor=OPERATOR, code=code, reason="Không thuộc thẩm quyền.")
    assert rejected.status == "rejected" and rejected.open311_status == "closed"


def test_reassign_needs_the_centre_or_the_head_of_the_unit(city, report_data):
    code = _submit(city, report_data(), at=BEFORE).code
    later = BEFORE + timedelta(hours=1)
    with pytest.raises(Forbidden):
        service.assign_report(city, actor=staff_of("TDM-QLDT"), code=code, unit_code="TDM-TNMT", at=later)
    moved = service.assign_report(
        city,
        actor=staff_of("TDM-QLDT", "head"),
        code=code,
        unit_code="TDM-TNMT",
        comment="Thuộc lĩnh vực môi trường.",
        at=later,
    )
    assert moved.unit_code == "TDM-TNMT" and moved.staff_steps[-1].action == "reassign"
    with pytest.raises(ValidationFailed):
        service.assign_report(city, actor=OPERATOR, code=code, unit_code="NO-SUCH-UNIT", at=later)
    assert _events(city, "feedback.ReportAssigned")[0]["previous_unit_code"] == "TDM-QLDT"


def test_reporter_reopens_within_the_period_only(city, report_data):
    result = service.submit_report(city, actor=CITIZEN, data=report_data(), secret=SECRET, at=BEFORE)
    code = result.report.code
    service.resolve_report(
        city, actor=OPERATOR, code=code, comment="Đã xử lý.", at=BEFORE + timedelta(days=1)
    )
    with pytest.raises(Forbidden):
        service.reopen_report(
            city, actor=OTHER_CITIZEN, code=code, comment="Chưa sửa", at=BEFORE + timedelta(days=2)
        )
    with pytest.raises(Conflict):
        service.reopen_report(
            city, actor=CITIZEN, code=code, comment="Chưa sửa", at=BEFORE + timedelta(days=30)
        )
    reopened = service.reopen_report(
        city,
        actor=SYSTEM.__class__(kind="anonymous", name="anonymous"),
        code=code,
        comment="Vẫn còn ổ gà",
        reporter_key=result.reporter_key,
        at=BEFORE + timedelta(days=2),
    )
    assert reopened.status == "reopened" and reopened.open311_status == "open"
    assert reopened.resolved_at is None


def test_escalation_once_when_the_deadline_passes_and_auto_close(city, report_data):
    code = service.submit_report(
        city, actor=CITIZEN, data=report_data(category_code="an-ninh-trat-tu"), secret=SECRET, at=BEFORE
    ).report.code
    assert service.escalate_overdue(city, now=BEFORE + timedelta(hours=23)) == []
    assert service.escalate_overdue(city, now=BEFORE + timedelta(hours=25)) == [code]
    assert service.escalate_overdue(city, now=BEFORE + timedelta(hours=30)) == []
    event = _events(city, "feedback.ReportEscalated")[0]
    assert event["escalated_to"] == "UBND-TDM" and event["level"] == 1
    steps = service.get_report(city, actor=OPERATOR, code=code).staff_steps
    note = next(s.internal_note for s in steps if s.action == "escalated")
    assert note.startswith("Quá hạn xử lý; báo cáo ") and "UBND-TDM" not in note  # the unit by its name
    service.resolve_report(city, actor=OPERATOR, code=code, comment="Xong.", at=BEFORE + timedelta(days=2))
    assert service.close_resolved(city, now=BEFORE + timedelta(days=5)) == []
    assert service.close_resolved(city, now=BEFORE + timedelta(days=10)) == [code]


def test_auto_close_passes_over_a_report_closed_meanwhile_and_closes_the_rest(city, report_data, monkeypatch):
    """The timer's list is read before it closes: a report closed in between (by staff, by the demo's
    history) is passed over, not the end of the whole run."""
    from smartcity.feedback.service import timers

    codes = []
    for _ in range(2):
        code = service.submit_report(
            city, actor=CITIZEN, data=report_data(), secret=SECRET, at=BEFORE
        ).report.code
        service.resolve_report(
            city, actor=OPERATOR, code=code, comment="Xong.", at=BEFORE + timedelta(hours=2)
        )
        codes.append(code)
    real_close = timers.close_report

    def closed_by_someone_else_first(db, *, code, **kwargs):  # type: ignore[no-untyped-def]
        if code == codes[0]:
            real_close(db, code=code, **kwargs)  # the other closer wins the race
        return real_close(db, code=code, **kwargs)

    monkeypatch.setattr(timers, "close_report", closed_by_someone_else_first)
    assert service.close_resolved(city, now=BEFORE + timedelta(days=10)) == [codes[1]]
    assert {service.get_report(city, actor=OPERATOR, code=c).status for c in codes} == {"closed"}


def test_nearby_open_duplicates_and_merge(city, report_data):
    first = service.submit_report(city, actor=CITIZEN, data=report_data(), secret=SECRET, at=BEFORE).report
    near = report_data(lon=PHU_CUONG[0] + 0.0003, lat=PHU_CUONG[1])  # about 33 m east
    far = report_data(lon=PHU_CUONG[0] + 0.002, lat=PHU_CUONG[1])  # about 220 m east
    second = service.submit_report(
        city, actor=OTHER_CITIZEN, data=near, secret=SECRET, at=BEFORE + timedelta(hours=1)
    )
    assert [n.code for n in second.nearby] == [first.code]
    assert 25 < second.nearby[0].distance_m < 40
    assert (
        service.submit_report(
            city, actor=OTHER_CITIZEN, data=far, secret=SECRET, at=BEFORE + timedelta(hours=1)
        ).nearby
        == []
    )
    other_kind = report_data(category_code="moi-truong", lon=near.lon, lat=near.lat)
    assert (
        service.submit_report(
            city, actor=OTHER_CITIZEN, data=other_kind, secret=SECRET, at=BEFORE + timedelta(hours=1)
        ).nearby
        == []
    )
    too_old = service.nearby_open_reports(
        city, category_code="ha-tang", lon=near.lon, lat=near.lat, now=BEFORE + timedelta(days=8)
    )
    assert too_old == []
    merged = service.merge_report(city, actor=OPERATOR, code=second.report.code, into=first.code)
    assert merged.status == "merged" and merged.merged_into == first.code
    kept = service.get_report(city, actor=OPERATOR, code=first.code)
    assert kept.supporters == 1
    joined = service.join_report(city, actor=OTHER_CITIZEN, code=first.code)
    assert joined.supporters == 2
    with pytest.raises(Conflict):
        service.merge_report(city, actor=OPERATOR, code=first.code, into=second.report.code)


def test_contact_is_encrypted_masked_and_reads_are_logged(city, report_data):
    code = service.submit_report(city, actor=CITIZEN, data=report_data(), secret=SECRET).report.code
    with city.session() as s:
        row = s.scalar(select(Report).where(Report.code == code))
        assert "0912345678" not in (row.reporter_phone_encrypted or "")
        assert row.reporter_phone_masked == "*******678"
    with pytest.raises(Forbidden):
        service.read_contact(city, actor=staff_of("TDM-TNMT"), code=code, secret=SECRET)
    contact = service.read_contact(city, actor=OPERATOR, code=code, secret=SECRET)
    assert contact.phone == "0912345678" and contact.name == "Nguyễn Văn A"
    earlier = service.reports_by_phone(city, actor=OPERATOR, phone="+84 912 345 678", secret=SECRET)
    assert [r.code for r in earlier] == [code]
    with city.session() as s:
        actions = set(s.scalars(select(AuditEntry.action)))
    assert {"feedback.contact_read", "feedback.caller_lookup"} <= actions


def test_urgent_reports_are_flagged_to_the_operations_centre(city, report_data):
    emergency = service.submit_report(
        city, actor=CITIZEN, data=report_data(category_code="khan-cap"), secret=SECRET, at=BEFORE
    ).report
    assert emergency.is_urgent and emergency.unit_code == "TDM-IOC"
    ordinary = service.submit_report(city, actor=CITIZEN, data=report_data(urgent=True), secret=SECRET).report
    assert not ordinary.is_urgent  # a citizen cannot flag; an operator can
    service.flag_urgent(city, actor=OPERATOR, code=ordinary.code, comment="Nguy hiểm cho xe máy")
    flagged = [e["code"] for e in _events(city, "feedback.UrgentReportFlagged")]
    assert flagged == [emergency.code, ordinary.code]


def test_private_reports_are_hidden_from_the_public(city, report_data):
    code = _submit(city, report_data(is_public=False)).code
    with pytest.raises(NotFound):
        service.get_public_report(city, code)
    with pytest.raises(NotFound):
        service.get_report(city, actor=OTHER_CITIZEN, code=code)
    assert service.get_report(city, actor=CITIZEN, code=code).code == code
    items, total = service.list_reports(city, actor=OTHER_CITIZEN, filters=service.ReportFilter())
    assert total == 0 and items == []
    items, total = service.list_reports(city, actor=OPERATOR, filters=service.ReportFilter(public_only=False))
    assert total == 1
