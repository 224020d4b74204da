"""Lifecycle: part of the feedback service (see __init__)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import select

from smartcity.accounts import service as accounts_service
from smartcity.core.crypto import Keys, blind_index, decrypt_personal
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, Forbidden, ValidationFailed
from smartcity.core.i18n import Phrase
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.feedback import routing
from smartcity.feedback.config import FeedbackSettings, get_feedback_settings
from smartcity.feedback.events import (
    ReportAssigned,
    ReportMerged,
    ReportRated,
    ReportRejected,
    ReportReopened,
    ReportResolved,
    ReportStatusChanged,
)
from smartcity.feedback.models import Report
from smartcity.feedback.moderation import scrub_text
from smartcity.feedback.schemas import (
    ContactRead,
    ReportRead,
)
from smartcity.feedback.service.common import (
    ACCEPTED,
    ASSIGNED,
    CLOSED,
    DISPATCH_ROLES,
    IN_PROGRESS,
    MERGED,
    OPEN_STATUSES,
    RATING_NAMES,
    REASSIGN_ROLES,
    REJECTED,
    REOPENED,
    RESOLVED,
    STAFF_ROLES,
    STATUS_NAMES,
    TRANSITIONS,
)
from smartcity.feedback.service.reading import _category_names, _load, _to_read
from smartcity.feedback.service.submission import (
    _add_step,
    _is_reporter,
    _snapshot,
    _urgent_event,
    normalise_phone,
)


def _may_handle(actor: Actor, report: Report) -> bool:
    if any(actor.has_role(role) for role in DISPATCH_ROLES):
        return True
    return any(actor.has_role(role, report.unit_code) for role in STAFF_ROLES if role not in DISPATCH_ROLES)


def _require_handler(actor: Actor, report: Report) -> None:
    if not _may_handle(actor, report):
        raise Forbidden(
            "Chỉ trung tâm điều hành hoặc cán bộ của đơn vị được giao mới xử lý được phản ánh này."
        )


def _check_transition(report: Report, action: str) -> str:
    sources, target = TRANSITIONS[action]
    if report.status not in sources:
        raise Conflict(
            Phrase(
                "Phản ánh đang ở trạng thái “{status}” nên không thực hiện được thao tác này.",
                status=Phrase(STATUS_NAMES.get(report.status, report.status)),
            )
        )
    return target


def _move(
    uow: UnitOfWork,
    report: Report,
    action: str,
    actor: Actor,
    at: datetime,
    *,
    comment: str = "",
    note: str = "",
    label: str | None = None,
) -> str:
    """Apply a transition: state, timestamps, a step, the audit row and the status event."""
    before = _snapshot(report)
    target = _check_transition(report, action)
    previous = report.status
    report.status, report.status_changed_at, report.updated_at = target, at, at
    if comment:
        report.status_notes = scrub_text(comment)
    if target == ACCEPTED or (target in (ASSIGNED, IN_PROGRESS, RESOLVED) and report.accepted_at is None):
        report.accepted_at = report.accepted_at or at
    if target == RESOLVED:
        report.resolved_at = at
    if target in (CLOSED, REJECTED, MERGED):
        report.closed_at = at
    if target == REOPENED:
        report.resolved_at, report.closed_at = None, None
    step = label or action
    _add_step(uow, report, step, previous, target, actor, at, before=before, comment=comment, note=note)
    uow.publish(
        ReportStatusChanged(
            report_id=report.id,
            code=report.code,
            action=action,
            from_status=previous,
            to_status=target,
            unit_code=report.unit_code,
            at=at.isoformat(),
        )
    )
    return previous


@contextmanager
def _handling(db: Database, actor: Actor, code: str) -> Iterator[tuple[UnitOfWork, Report]]:
    """One transaction over a report the actor may handle (Forbidden otherwise)."""
    with UnitOfWork(db, actor) as uow:
        report = _load(uow.session, code)
        _require_handler(actor, report)
        yield uow, report


def _finish(uow: UnitOfWork, report: Report, at: datetime) -> ReportRead:
    return _to_read(uow.session, report, _category_names(uow.session), now=at)


def accept_report(
    db: Database, *, actor: Actor, code: str, comment: str = "", at: datetime | None = None
) -> ReportRead:
    """The operations centre or the handling unit accepts a new report."""
    at = at or utcnow()
    with _handling(db, actor, code) as (uow, report):
        _move(uow, report, "accept", actor, at, comment=comment or "Đã tiếp nhận phản ánh.")
        return _finish(uow, report, at)


def _target_unit(db: Database, unit_code: str, at: datetime) -> tuple[str, str]:
    unit = accounts_service.get_org_unit(db, unit_code)
    on = routing.local_date(db, at)
    if (
        unit is None
        or not unit.active
        or (unit.valid_from and unit.valid_from > on)
        or (unit.valid_to and unit.valid_to < on)
    ):
        raise ValidationFailed.for_field("unit_code", f"no org unit {unit_code!r} on {on.isoformat()}")
    return unit.code, unit.name


def assign_report(
    db: Database,
    *,
    actor: Actor,
    code: str,
    unit_code: str | None = None,
    assignee: str | None = None,
    comment: str = "",
    note: str = "",
    at: datetime | None = None,
) -> ReportRead:
    """Send a report to a unit (by default its routed one), optionally to a person; also reassigns."""
    at = at or utcnow()
    target = _target_unit(db, unit_code, at) if unit_code else None
    with _handling(db, actor, code) as (uow, report):
        previous_unit = report.unit_code
        moving = target is not None and target[0] != previous_unit
        if moving and not (
            any(actor.has_role(r) for r in DISPATCH_ROLES)
            or any(actor.has_role(r, previous_unit) for r in REASSIGN_ROLES)
        ):
            raise Forbidden(
                "Chỉ trung tâm điều hành hoặc lãnh đạo đơn vị mới chuyển phản ánh cho đơn vị khác."
            )
        if target is not None:
            report.unit_code, report.unit_name = target
        report.assignee = assignee or (None if moving else report.assignee)
        action = "reassign" if moving else "assign"
        default_comment = Phrase("Chuyển {unit} xử lý.", unit=report.unit_name)
        _move(uow, report, "assign", actor, at, comment=comment or default_comment, note=note, label=action)
        uow.publish(
            ReportAssigned(
                report_id=report.id,
                code=report.code,
                unit_code=report.unit_code or "",
                previous_unit_code=previous_unit,
                assignee=report.assignee,
                at=at.isoformat(),
            )
        )
        return _finish(uow, report, at)


def start_report(
    db: Database, *, actor: Actor, code: str, comment: str = "", at: datetime | None = None
) -> ReportRead:
    """The handling unit starts working on a report."""
    at = at or utcnow()
    with _handling(db, actor, code) as (uow, report):
        _move(uow, report, "start", actor, at, comment=comment or "Đang xử lý.")
        return _finish(uow, report, at)


def resolve_report(
    db: Database, *, actor: Actor, code: str, comment: str, note: str = "", at: datetime | None = None
) -> ReportRead:
    """The handling unit resolves a report, saying publicly what was done."""
    if not comment.strip():
        raise ValidationFailed.for_field("comment", "Hãy ghi rõ đã xử lý những gì.")
    at = at or utcnow()
    with _handling(db, actor, code) as (uow, report):
        _move(uow, report, "resolve", actor, at, comment=comment, note=note)
        within = None if report.deadline_at is None else at <= report.deadline_at
        uow.publish(
            ReportResolved(
                report_id=report.id,
                code=report.code,
                unit_code=report.unit_code,
                within_deadline=within,
                at=at.isoformat(),
            )
        )
        return _finish(uow, report, at)


def close_report(
    db: Database, *, actor: Actor, code: str, comment: str = "", at: datetime | None = None
) -> ReportRead:
    """Close a resolved report (staff, or the timer after the reopening period)."""
    at = at or utcnow()
    with _handling(db, actor, code) as (uow, report):
        _move(uow, report, "close", actor, at, comment=comment)
        return _finish(uow, report, at)


def reject_report(
    db: Database, *, actor: Actor, code: str, reason: str, note: str = "", at: datetime | None = None
) -> ReportRead:
    """Reject a report, with the reason shown publicly."""
    if not reason.strip():
        raise ValidationFailed.for_field("comment", "Hãy ghi rõ lý do không tiếp nhận.")
    at = at or utcnow()
    with _handling(db, actor, code) as (uow, report):
        _move(uow, report, "reject", actor, at, comment=reason, note=note)
        uow.publish(
            ReportRejected(
                report_id=report.id, code=report.code, reason=scrub_text(reason), at=at.isoformat()
            )
        )
        return _finish(uow, report, at)


def reopen_deadline(resolved_at: datetime, settings: FeedbackSettings) -> datetime:
    """Until when the reporter may reopen a report resolved at `resolved_at` (closed since or not)."""
    return resolved_at + timedelta(days=settings.reopen_days)


def reopen_report(
    db: Database,
    *,
    actor: Actor,
    code: str,
    comment: str,
    reporter_key: str | None = None,
    at: datetime | None = None,
    settings: FeedbackSettings | None = None,
) -> ReportRead:
    """The reporter (or an operator on their behalf) reopens a resolved report within the set period."""
    settings = settings or get_feedback_settings()
    if not comment.strip():
        raise ValidationFailed.for_field("comment", "Hãy cho biết vì sao vấn đề chưa được giải quyết.")
    at = at or utcnow()
    with UnitOfWork(db, actor) as uow:
        report = _load(uow.session, code)
        if not (_is_reporter(actor, report, reporter_key) or any(actor.has_role(r) for r in DISPATCH_ROLES)):
            raise Forbidden("Chỉ người gửi phản ánh mới mở lại được phản ánh này.")
        _check_transition(report, "reopen")
        if at > reopen_deadline(report.resolved_at or report.status_changed_at, settings):
            raise Conflict(
                Phrase(
                    "Phản ánh chỉ mở lại được trong {days} ngày kể từ khi có kết quả xử lý.",
                    days=settings.reopen_days,
                )
            )
        _move(uow, report, "reopen", actor, at, comment=comment)
        uow.publish(
            ReportReopened(
                report_id=report.id, code=report.code, unit_code=report.unit_code, at=at.isoformat()
            )
        )
        return _finish(uow, report, at)


def rate_report(
    db: Database,
    *,
    actor: Actor,
    code: str,
    rating: int,
    comment: str = "",
    reporter_key: str | None = None,
    at: datetime | None = None,
) -> ReportRead:
    """The reporter rates the resolution: 1 not satisfied, 2 satisfied, 3 very satisfied."""
    if rating not in RATING_NAMES:
        raise ValidationFailed.for_field("rating", "Chọn mức đánh giá 1, 2 hoặc 3.")
    at = at or utcnow()
    with UnitOfWork(db, actor) as uow:
        report = _load(uow.session, code)
        if not _is_reporter(actor, report, reporter_key):
            raise Forbidden("Chỉ người gửi phản ánh mới đánh giá được kết quả xử lý.")
        if report.status not in (RESOLVED, CLOSED):
            raise Conflict("Chỉ đánh giá được khi phản ánh đã có kết quả xử lý.")
        before = _snapshot(report)
        report.rating, report.rating_comment, report.rated_at = rating, scrub_text(comment), at
        shown = RATING_NAMES[rating] + (f": {comment}" if comment else "")
        _add_step(uow, report, "rated", report.status, report.status, actor, at, before=before, comment=shown)
        uow.publish(
            ReportRated(
                report_id=report.id,
                code=report.code,
                unit_code=report.unit_code,
                rating=rating,
                at=at.isoformat(),
            )
        )
        return _finish(uow, report, at)


def merge_report(
    db: Database, *, actor: Actor, code: str, into: str, comment: str = "", at: datetime | None = None
) -> ReportRead:
    """Merge a report into another open one as its duplicate; the kept one counts its supporters."""
    at = at or utcnow()
    with UnitOfWork(db, actor) as uow:
        report = _load(uow.session, code)
        kept = _load(uow.session, into)
        _require_handler(actor, report)
        if kept.id == report.id:
            raise ValidationFailed.for_field("into", "Không gộp được phản ánh vào chính nó.")
        if kept.status not in OPEN_STATUSES:
            raise Conflict(
                Phrase("Phản ánh {code} đã đóng; chỉ gộp được vào phản ánh đang xử lý.", code=kept.code)
            )
        report.merged_into_id = kept.id
        kept.supporters += 1 + report.supporters
        kept.updated_at = at
        said = comment or Phrase("Trùng với phản ánh {code}.", code=kept.code)
        _move(uow, report, "merge", actor, at, comment=said)
        uow.publish(
            ReportMerged(
                report_id=report.id,
                code=report.code,
                into_report_id=kept.id,
                into_code=kept.code,
                at=at.isoformat(),
            )
        )
        return _finish(uow, report, at)


def flag_urgent(
    db: Database, *, actor: Actor, code: str, comment: str = "", at: datetime | None = None
) -> ReportRead:
    """An operator flags a report as urgent: the operations centre is told at once."""
    at = at or utcnow()
    with _handling(db, actor, code) as (uow, report):
        if report.status not in OPEN_STATUSES:
            raise Conflict("Chỉ đánh dấu khẩn được phản ánh đang xử lý.")
        if not report.is_urgent:
            before = _snapshot(report)
            report.is_urgent, report.updated_at = True, at
            _add_step(
                uow,
                report,
                "flagged_urgent",
                report.status,
                report.status,
                actor,
                at,
                before=before,
                comment=comment,
            )
            uow.publish(_urgent_event(report, actor, at))
        return _finish(uow, report, at)


def read_contact(db: Database, *, actor: Actor, code: str, secret: Keys) -> ContactRead:
    """The reporter's contact for staff handling the report; every read is written to the audit log."""
    with UnitOfWork(db, actor) as uow:
        report = _load(uow.session, code)
        if not (_may_handle(actor, report) or actor.has_role("admin")):
            raise Forbidden("Chỉ cán bộ xử lý phản ánh này mới xem được thông tin liên hệ của người gửi.")
        uow.audit("feedback.contact_read", "feedback_report", report.code, after={"by": actor.label})

        def clear(value: str | None) -> str | None:
            return decrypt_personal(secret, value) if value else None

        return ContactRead(
            name=clear(report.reporter_name_encrypted),
            phone=clear(report.reporter_phone_encrypted),
            email=clear(report.reporter_email_encrypted),
        )


def reports_by_phone(
    db: Database, *, actor: Actor, phone: str, secret: Keys, limit: int = 20
) -> list[ReportRead]:
    """A caller's earlier reports, found by the keyed hash of the phone number (operators; logged)."""
    if not any(actor.has_role(r) for r in DISPATCH_ROLES):
        raise Forbidden("Chỉ điện thoại viên đường dây nóng mới tra cứu được phản ánh theo số điện thoại.")
    digits = normalise_phone(phone)
    if not 8 <= len(digits) <= 15:
        raise ValidationFailed.for_field("phone", "Số điện thoại gồm 8 đến 15 chữ số.")
    index = blind_index(secret, digits)
    with UnitOfWork(db, actor) as uow:
        rows = uow.session.scalars(
            select(Report)
            .where(Report.reporter_phone_index == index)
            .order_by(Report.submitted_at.desc())
            .limit(limit)
        ).all()
        uow.audit(
            "feedback.caller_lookup",
            "feedback_report",
            "*",
            after={"by": actor.label, "found": [r.code for r in rows]},
        )
        names = _category_names(uow.session)
        return [_to_read(uow.session, r, names, with_details=False) for r in rows]
