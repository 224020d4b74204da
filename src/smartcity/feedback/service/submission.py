"""Submission: part of the feedback service (see __init__)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from smartcity.core.crypto import Keys, blind_index, encrypt_personal, mask
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from smartcity.core.i18n import Phrase
from smartcity.core.malware import Intake, screen
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.feedback import routing
from smartcity.feedback.config import FeedbackSettings, get_feedback_settings
from smartcity.feedback.events import (
    ReportSubmitted,
    UrgentReportFlagged,
)
from smartcity.feedback.models import Photo, Report, ReportStep
from smartcity.feedback.moderation import CleanImage, clean_image, scrub_text
from smartcity.feedback.schemas import (
    CategoryRead,
    PublicReport,
    ReportCreate,
    SubmitResult,
)
from smartcity.feedback.service.categories import get_category
from smartcity.feedback.service.common import NEW, OPEN_STATUSES
from smartcity.feedback.service.reading import (
    _category_names,
    _load,
    _may_see,
    _to_public,
    _to_read,
    is_staff,
    nearby_open_reports,
)


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _snapshot(report: Report) -> dict[str, Any]:
    """What the audit log keeps of a report (no contact details)."""
    return {
        "code": report.code,
        "status": report.status,
        "category": report.category_code,
        "unit": report.unit_code,
        "ward": report.ward_code,
        "channel": report.channel,
        "public": report.is_public,
        "urgent": report.is_urgent,
        "assignee": report.assignee,
        "deadline_at": report.deadline_at,
        "merged_into_id": report.merged_into_id,
        "escalation_level": report.escalation_level,
        "rating": report.rating,
    }


def _set_contact(report: Report, data: ReportCreate, secret: Keys) -> None:
    if data.reporter_name:
        report.reporter_name_encrypted = encrypt_personal(secret, data.reporter_name)
    if data.reporter_phone:
        report.reporter_phone_encrypted = encrypt_personal(secret, data.reporter_phone)
        report.reporter_phone_index = blind_index(secret, normalise_phone(data.reporter_phone))
        report.reporter_phone_masked = mask(data.reporter_phone, keep_start=0, keep_end=3)
    if data.reporter_email:
        report.reporter_email_encrypted = encrypt_personal(secret, data.reporter_email)


def normalise_phone(phone: str) -> str:
    """Digits of a Vietnamese phone number in national form (+84 / 84 prefixes become 0)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+84") or (digits.startswith("84") and len(digits) == 11):
        digits = "0" + digits[2:]
    return digits


def check_attributes(category: CategoryRead, values: dict[str, str]) -> dict[str, str]:
    """The attribute values checked against the category's definition (required, known list keys)."""
    defined = {a.code: a for a in category.attributes}
    unknown = sorted(set(values) - set(defined))
    if unknown:
        raise ValidationFailed.for_field(
            f"attribute[{unknown[0]}]", "Thông tin này không thuộc loại phản ánh đã chọn."
        )
    for attribute in category.attributes:
        value = (values.get(attribute.code) or "").strip()
        if attribute.required and not value:
            raise ValidationFailed.for_field(f"attribute[{attribute.code}]", "Chưa điền.")
        allowed = {v.key for v in attribute.values}
        if value and attribute.datatype == "singlevaluelist" and value not in allowed:
            raise ValidationFailed.for_field(
                f"attribute[{attribute.code}]", "Chọn một trong các giá trị cho sẵn."
            )
        if value and attribute.datatype == "multivaluelist" and not set(value.split(",")) <= allowed:
            raise ValidationFailed.for_field(
                f"attribute[{attribute.code}]", "Chỉ chọn trong các giá trị cho sẵn."
            )
    return {k: v.strip() for k, v in values.items() if v and v.strip()}


def _check_location(category: CategoryRead, data: ReportCreate) -> None:
    if (data.lon is None) != (data.lat is None):
        raise ValidationFailed.for_field(
            "lat" if data.lat is None else "lon", "Cần cả vĩ độ và kinh độ của vị trí."
        )
    if data.lon is None and not data.ward_code and not data.address and category.handler == "ward":
        raise ValidationFailed.for_field(
            "location", "Hãy chọn vị trí trên bản đồ, ghi địa chỉ hoặc chọn phường."
        )


def submit_report(
    db: Database,
    *,
    actor: Actor,
    data: ReportCreate,
    secret: Keys,
    photos: Sequence[bytes] = (),
    at: datetime | None = None,
    settings: FeedbackSettings | None = None,
) -> SubmitResult:
    """Check, moderate, route and store a new report with its photos; publish it (and flag it if urgent)."""
    settings = settings or get_feedback_settings()
    category = get_category(db, data.category_code)
    _check_location(category, data)
    attributes: dict[str, Any] = check_attributes(category, data.attributes)
    if data.media_url:
        attributes["media_url"] = data.media_url
    if len(photos) > settings.max_photos:
        raise ValidationFailed.for_field(
            "media", Phrase("Gửi tối đa {count} ảnh.", count=settings.max_photos)
        )
    _screen_photos(db, actor, photos, settings)
    cleaned = [
        clean_image(
            p,
            max_bytes=settings.max_photo_bytes,
            max_pixels=settings.max_photo_pixels,
            max_side=settings.photo_max_side,
        )
        for p in photos
    ]
    urgent = category.urgent or (data.urgent and is_staff(actor))
    submitted_at = at or utcnow()
    on = routing.local_date(db, submitted_at)
    place = routing.locate(
        db, lon=data.lon, lat=data.lat, ward_code=data.ward_code, on=on, outside_city=settings.outside_city
    )
    route = routing.choose_unit(
        db, handler=category.handler, department_code=category.department_code, place=place, on=on
    )
    deadline = routing.deadline_for(
        db,
        submitted_at=submitted_at,
        hours=category.deadline_hours,
        working_days=category.deadline_working_days,
    )
    nearby = (
        nearby_open_reports(
            db, category_code=category.code, lon=data.lon, lat=data.lat, now=submitted_at, settings=settings
        )
        if data.lon is not None and data.lat is not None
        else []
    )
    reporter_key = secrets.token_urlsafe(18)
    with UnitOfWork(db, actor) as uow:
        report = Report(
            code=f"tmp-{secrets.token_hex(8)}",
            token=secrets.token_hex(16),
            category_code=category.code,
            description=data.description,
            public_description=scrub_text(data.description),
            lon=data.lon,
            lat=data.lat,
            address=data.address,
            ward_code=route.ward_code,
            ward_name=route.ward_name,
            channel=data.channel,
            is_public=data.is_public,
            is_urgent=urgent,
            status=NEW,
            unit_code=route.unit_code,
            unit_name=route.unit_name,
            attributes=attributes,
            submitted_by=actor.label,
            reporter_user_id=actor.user_id if actor.kind == "user" else None,
            reporter_key_hash=_key_hash(reporter_key),
            account_id=data.account_id,
            submitted_at=submitted_at,
            status_changed_at=submitted_at,
            deadline_at=deadline,
            created_at=submitted_at,
            updated_at=submitted_at,
        )
        _set_contact(report, data, secret)
        uow.session.add(report)
        uow.session.flush()
        report.code = f"PA-{routing.local_date(db, submitted_at):%y%m%d}-{report.id:06d}"
        uow.session.add_all(_photo_row(report.id, image, at=submitted_at) for image in cleaned)
        routed = Phrase("Chuyển tới {unit}", unit=route.unit_name)
        _add_step(uow, report, "submitted", None, NEW, actor, submitted_at, comment=routed)
        uow.publish(
            ReportSubmitted(
                report_id=report.id,
                code=report.code,
                category_code=report.category_code,
                channel=report.channel,
                unit_code=route.unit_code,
                ward_code=route.ward_code,
                lon=report.lon,
                lat=report.lat,
                urgent=urgent,
                is_public=report.is_public,
                submitted_at=submitted_at.isoformat(),
                deadline_at=deadline.isoformat() if deadline else None,
            )
        )
        if urgent:
            uow.publish(_urgent_event(report, actor, submitted_at))
        names = _category_names(uow.session)
        read = _to_read(uow.session, report, names, now=submitted_at)
    return SubmitResult(report=read, reporter_key=reporter_key, nearby=nearby)


def _urgent_event(report: Report, actor: Actor, at: datetime) -> UrgentReportFlagged:
    return UrgentReportFlagged(
        report_id=report.id,
        code=report.code,
        category_code=report.category_code,
        unit_code=report.unit_code,
        ward_code=report.ward_code,
        lon=report.lon,
        lat=report.lat,
        flagged_by=actor.label,
        at=at.isoformat(),
    )


def _add_step(
    uow: UnitOfWork,
    report: Report,
    action: str,
    from_status: str | None,
    to_status: str,
    actor: Actor,
    at: datetime,
    *,
    before: dict[str, Any] | None = None,
    comment: str = "",
    note: str = "",
) -> None:
    """A step of the report's history, and its audit row `feedback.<action>` (`before`: the snapshot taken
    before the change)."""
    uow.session.add(
        ReportStep(
            report_id=report.id,
            at=at,
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor=actor.label,
            unit_code=report.unit_code,
            public_comment=scrub_text(comment),
            comment_phrase=comment.to_json() if isinstance(comment, Phrase) else None,
            internal_note=note,
        )
    )
    uow.session.flush()
    uow.audit(f"feedback.{action}", "feedback_report", report.code, before=before, after=_snapshot(report))


def attach_photo(
    db: Database,
    *,
    actor: Actor,
    code: str,
    data: bytes,
    reporter_key: str | None = None,
    settings: FeedbackSettings | None = None,
) -> int:
    """Add a cleaned photo to a report (its reporter or staff); returns the photo id."""
    return attach_photos(
        db, actor=actor, code=code, photos=[data], reporter_key=reporter_key, settings=settings
    )[0]


def attach_photos(
    db: Database,
    *,
    actor: Actor,
    code: str,
    photos: Sequence[bytes],
    reporter_key: str | None = None,
    settings: FeedbackSettings | None = None,
) -> list[int]:
    """Add cleaned photos to a report (its reporter or staff), all or none; returns their ids."""
    settings = settings or get_feedback_settings()
    _screen_photos(db, actor, photos, settings)
    images = [
        clean_image(
            data,
            max_bytes=settings.max_photo_bytes,
            max_pixels=settings.max_photo_pixels,
            max_side=settings.photo_max_side,
        )
        for data in photos
    ]
    with UnitOfWork(db, actor) as uow:
        report = _load(uow.session, code)
        if not (is_staff(actor) or _is_reporter(actor, report, reporter_key)):
            raise Forbidden("Chỉ người gửi phản ánh hoặc cán bộ xử lý mới thêm được ảnh.")
        count = uow.session.scalar(select(func.count(Photo.id)).where(Photo.report_id == report.id)) or 0
        if count + len(images) > settings.max_photos:
            raise Conflict(Phrase("Mỗi phản ánh có tối đa {count} ảnh.", count=settings.max_photos))
        rows = [_photo_row(report.id, image, at=utcnow()) for image in images]
        uow.session.add_all(rows)
        uow.session.flush()
        for row in rows:
            uow.audit("feedback.photo_added", "feedback_report", report.code, after={"photo": row.id})
        return [row.id for row in rows]


def _screen_photos(db: Database, actor: Actor, photos: Sequence[bytes], settings: FeedbackSettings) -> None:
    """Scan each photo for malware before the image decoder reads it (422 infected, 503 unscanned).
    A photo past the size limit is left to `clean_image` to refuse (413) without scanning it."""
    intake = Intake(db, actor, "feedback.photo", field_name="media")
    for photo in photos:
        if len(photo) <= settings.max_photo_bytes:
            screen(intake, photo)


def _photo_row(report_id: int, image: CleanImage, *, at: datetime) -> Photo:
    """The stored form of a cleaned photo."""
    return Photo(
        report_id=report_id,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        size=len(image.data),
        sha256=image.sha256,
        data=image.data,
        created_at=at,
    )


def get_photo(db: Database, *, actor: Actor, photo_id: int) -> tuple[bytes, str]:
    """A photo's bytes and type, if the actor may see its report."""
    with db.session() as s:
        photo = s.get(Photo, photo_id)
        report = s.get(Report, photo.report_id) if photo else None
        if photo is None or report is None or not _may_see(actor, report):
            raise NotFound(f"No photo {photo_id}")
        return photo.data, photo.content_type


def join_report(db: Database, *, actor: Actor, code: str) -> PublicReport:
    """A citizen joins an open report instead of filing a duplicate (counted as a supporter)."""
    with UnitOfWork(db, actor) as uow:
        report = _load(uow.session, code)
        if report.status not in OPEN_STATUSES or not report.is_public:
            raise Conflict("Chỉ cùng theo dõi được phản ánh công khai đang xử lý.")
        report.supporters += 1
        uow.session.flush()
        uow.audit("feedback.joined", "feedback_report", report.code, after={"supporters": report.supporters})
        return _to_public(uow.session, report, _category_names(uow.session))


def _is_reporter(actor: Actor, report: Report, reporter_key: str | None) -> bool:
    if actor.user_id is not None and actor.user_id == report.reporter_user_id:
        return True
    return bool(
        reporter_key
        and report.reporter_key_hash
        and hmac.compare_digest(report.reporter_key_hash, _key_hash(reporter_key))
    )
