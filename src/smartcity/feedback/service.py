"""Use cases of the feedback domain: categories, submission and routing, the lifecycle, duplicates."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from smartcity.accounts import service as accounts_service
from smartcity.core.crypto import blind_index, decrypt_personal, encrypt_personal, mask
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.feedback import routing
from smartcity.feedback.config import FeedbackSettings, get_feedback_settings
from smartcity.feedback.events import (
    ReportAssigned,
    ReportEscalated,
    ReportMerged,
    ReportRated,
    ReportRejected,
    ReportReopened,
    ReportResolved,
    ReportStatusChanged,
    ReportSubmitted,
    UrgentReportFlagged,
)
from smartcity.feedback.geo import bbox_around, haversine_m
from smartcity.feedback.models import Category, Photo, Report, ReportStep
from smartcity.feedback.moderation import CleanImage, clean_image, scrub_text
from smartcity.feedback.schemas import (
    CategoryBase,
    CategoryRead,
    ContactRead,
    NearbyReport,
    PublicReport,
    PublicStep,
    ReportCreate,
    ReportRead,
    StepRead,
    SubmitResult,
)

CATEGORIES_FILE = Path(__file__).resolve().parent / "categories.json"

NEW, ACCEPTED, ASSIGNED, IN_PROGRESS = "new", "accepted", "assigned", "in_progress"
RESOLVED, CLOSED, REJECTED, REOPENED, MERGED = "resolved", "closed", "rejected", "reopened", "merged"
STATUSES = (NEW, ACCEPTED, ASSIGNED, IN_PROGRESS, RESOLVED, CLOSED, REJECTED, REOPENED, MERGED)
OPEN_STATUSES = frozenset({NEW, ACCEPTED, ASSIGNED, IN_PROGRESS, REOPENED})
STATUS_NAMES = {
    NEW: "Mới tiếp nhận",
    ACCEPTED: "Đã tiếp nhận",
    ASSIGNED: "Đã chuyển xử lý",
    IN_PROGRESS: "Đang xử lý",
    RESOLVED: "Đã xử lý",
    CLOSED: "Đã đóng",
    REJECTED: "Từ chối",
    REOPENED: "Mở lại",
    MERGED: "Gộp (trùng)",
}
STAFF_ROLES = ("operator", "clerk", "specialist", "head", "leader")
DISPATCH_ROLES = ("operator",)  # may act on any report, in any unit
REASSIGN_ROLES = ("head", "leader")  # may send a report of their unit elsewhere
RATING_NAMES = {1: "Không hài lòng", 2: "Hài lòng", 3: "Rất hài lòng"}

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({NEW}), ACCEPTED),
    "assign": (frozenset({NEW, ACCEPTED, ASSIGNED, IN_PROGRESS, REOPENED}), ASSIGNED),
    "start": (frozenset({ACCEPTED, ASSIGNED, REOPENED}), IN_PROGRESS),
    "resolve": (frozenset({NEW, ACCEPTED, ASSIGNED, IN_PROGRESS, REOPENED}), RESOLVED),  # NEW: answered
    "close": (frozenset({RESOLVED}), CLOSED),
    "reject": (frozenset({NEW, ACCEPTED, ASSIGNED}), REJECTED),
    "reopen": (frozenset({RESOLVED, CLOSED}), REOPENED),
    "merge": (OPEN_STATUSES, MERGED),
}


# ------------------------------------------------------------------------------------------- categories


def default_categories() -> list[CategoryBase]:
    """The categories shipped with the platform (categories.json)."""
    raw = json.loads(CATEGORIES_FILE.read_text(encoding="utf-8"))
    return [CategoryBase.model_validate(item) for item in raw["categories"]]


def upsert_categories(db: Database, *, actor: Actor, categories: Iterable[CategoryBase]) -> int:
    """Create or update categories by code (idempotent, audited); returns how many changed."""
    changed = 0
    with UnitOfWork(db, actor) as uow:
        for item in categories:
            values = item.model_dump(mode="json")
            row = uow.session.scalar(select(Category).where(Category.code == item.code))
            if row is None:
                uow.session.add(Category(**values))
                uow.audit("feedback.category_created", "feedback_category", item.code, after=values)
                changed += 1
                continue
            before = CategoryBase.model_validate(row, from_attributes=True).model_dump(mode="json")
            if before != values:
                for key, value in values.items():
                    setattr(row, key, value)
                uow.audit(
                    "feedback.category_updated", "feedback_category", item.code, before=before, after=values
                )
                changed += 1
    return changed


def ensure_default_categories(db: Database, *, actor: Actor) -> int:
    """Add the shipped categories that are missing (never overwrites local changes)."""
    with db.session() as s:
        existing = set(s.scalars(select(Category.code)))
    missing = [c for c in default_categories() if c.code not in existing]
    return upsert_categories(db, actor=actor, categories=missing) if missing else 0


def list_categories(db: Database, *, include_inactive: bool = False) -> list[CategoryRead]:
    """Categories in display order."""
    query = select(Category).order_by(Category.position, Category.code)
    if not include_inactive:
        query = query.where(Category.active.is_(True))
    with db.session() as s:
        return [CategoryRead.model_validate(c) for c in s.scalars(query)]


def get_category(db: Database, code: str) -> CategoryRead:
    """The active category with this code; NotFound otherwise."""
    with db.session() as s:
        row = s.scalar(select(Category).where(Category.code == code, Category.active.is_(True)))
        if row is None:
            raise NotFound(f"No report category {code!r}")
        return CategoryRead.model_validate(row)


# ------------------------------------------------------------------------------------------- reading


def open311_status(status: str) -> str:
    """GeoReport v2 status: 'open' while the report is being handled, else 'closed'."""
    return "open" if status in OPEN_STATUSES else "closed"


def _category_names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.execute(select(Category.code, Category.name))}


def _public_steps(steps: Sequence[ReportStep]) -> list[PublicStep]:
    return [
        PublicStep(
            at=s.at,
            action=s.action,
            to_status=s.to_status,
            unit_code=s.unit_code,
            public_comment=s.public_comment,
        )
        for s in steps
    ]


def _photo_urls(session: Session, report_id: int) -> list[str]:
    ids = session.scalars(select(Photo.id).where(Photo.report_id == report_id).order_by(Photo.id))
    return [f"/api/v1/feedback/photos/{photo_id}" for photo_id in ids]


def _merged_code(session: Session, report: Report) -> str | None:
    if report.merged_into_id is None:
        return None
    return session.scalar(select(Report.code).where(Report.id == report.merged_into_id))


def _public_fields(
    session: Session, report: Report, names: dict[str, str], *, with_details: bool
) -> dict[str, Any]:
    steps = (
        session.scalars(
            select(ReportStep).where(ReportStep.report_id == report.id).order_by(ReportStep.at, ReportStep.id)
        ).all()
        if with_details
        else []
    )
    return {
        "code": report.code,
        "category_code": report.category_code,
        "category_name": names.get(report.category_code, report.category_code),
        "status": report.status,
        "open311_status": open311_status(report.status),
        "description": report.public_description,
        "address": scrub_text(report.address),
        "ward_code": report.ward_code,
        "ward_name": report.ward_name,
        "lon": report.lon,
        "lat": report.lat,
        "unit_code": report.unit_code,
        "unit_name": report.unit_name,
        "status_notes": report.status_notes,
        "supporters": report.supporters,
        "is_urgent": report.is_urgent,
        "submitted_at": report.submitted_at,
        "updated_at": report.updated_at,
        "deadline_at": report.deadline_at,
        "resolved_at": report.resolved_at,
        "merged_into": _merged_code(session, report),
        "rating": report.rating,
        "media_url": (report.attributes or {}).get("media_url"),
        "photos": _photo_urls(session, report.id) if with_details else [],
        "steps": _public_steps(steps),
        "_steps": steps,
    }


def _to_public(
    session: Session, report: Report, names: dict[str, str], *, with_details: bool = True
) -> PublicReport:
    fields = _public_fields(session, report, names, with_details=with_details)
    fields.pop("_steps")
    return PublicReport(**fields)


def _to_read(
    session: Session,
    report: Report,
    names: dict[str, str],
    *,
    with_details: bool = True,
    now: datetime | None = None,
) -> ReportRead:
    fields = _public_fields(session, report, names, with_details=with_details)
    steps = fields.pop("_steps")
    now = now or utcnow()
    return ReportRead(
        **fields,
        id=report.id,
        token=report.token,
        original_description=report.description,
        channel=report.channel,
        is_public=report.is_public,
        assignee=report.assignee,
        submitted_by=report.submitted_by,
        reporter_user_id=report.reporter_user_id,
        reporter_phone_masked=report.reporter_phone_masked,
        has_contact=bool(
            report.reporter_phone_encrypted
            or report.reporter_email_encrypted
            or report.reporter_name_encrypted
        ),
        account_id=report.account_id,
        attributes=report.attributes or {},
        accepted_at=report.accepted_at,
        closed_at=report.closed_at,
        escalation_level=report.escalation_level,
        escalated_to=report.escalated_to,
        overdue=bool(report.status in OPEN_STATUSES and report.deadline_at and report.deadline_at < now),
        staff_steps=[StepRead.model_validate(s) for s in steps],
    )


def _load(session: Session, code_or_id: str | int) -> Report:
    if isinstance(code_or_id, int) or (isinstance(code_or_id, str) and code_or_id.isdigit()):
        report = session.get(Report, int(code_or_id))
    else:
        report = session.scalar(select(Report).where(Report.code == code_or_id))
    if report is None:
        raise NotFound(f"No report {code_or_id!r}")
    return report


def is_staff(actor: Actor) -> bool:
    """True when the actor works on reports (operators, one-stop and department staff, admins)."""
    return any(actor.has_role(role) for role in STAFF_ROLES)


def _may_see(actor: Actor, report: Report) -> bool:
    if report.is_public:
        return True
    if actor.user_id is not None and actor.user_id == report.reporter_user_id:
        return True
    return is_staff(actor)


def get_public_report(db: Database, code: str) -> PublicReport:
    """A public report by its code (NotFound for private ones)."""
    with db.session() as s:
        report = _load(s, code)
        if not report.is_public:
            raise NotFound(f"No report {code!r}")
        return _to_public(s, report, _category_names(s))


def get_report(db: Database, *, actor: Actor, code: str) -> ReportRead | PublicReport:
    """A report as this actor may see it: staff and the reporter see everything, others the public view."""
    with db.session() as s:
        report = _load(s, code)
        if not _may_see(actor, report):
            raise NotFound(f"No report {code!r}")
        names = _category_names(s)
        is_reporter = actor.user_id is not None and actor.user_id == report.reporter_user_id
        if is_staff(actor) or is_reporter:
            return _to_read(s, report, names)
        return _to_public(s, report, names)


def get_report_by_token(db: Database, token: str) -> tuple[str, str]:
    """(service_request_id, token) of the report created with this Open311 token."""
    with db.session() as s:
        code = s.scalar(select(Report.code).where(Report.token == token))
        if code is None:
            raise NotFound(f"No service request for token {token!r}")
        return code, token


@dataclass(frozen=True)
class ReportFilter:
    """Which reports to list."""

    status: Sequence[str] = ()
    category_codes: Sequence[str] = ()
    codes: Sequence[str] = ()
    ward_code: str | None = None
    unit_codes: Sequence[str] = ()
    channel: str | None = None
    urgent: bool | None = None
    overdue: bool | None = None
    start: datetime | None = None
    end: datetime | None = None
    updated_since: datetime | None = None
    reporter_user_id: int | None = None
    public_only: bool = True
    bbox: tuple[float, float, float, float] | None = None
    text: str | None = None


def _apply_filter(query: Any, f: ReportFilter, now: datetime) -> Any:
    conditions: list[Any] = []
    if f.status:
        conditions.append(Report.status.in_(list(f.status)))
    if f.category_codes:
        conditions.append(Report.category_code.in_(list(f.category_codes)))
    if f.codes:
        conditions.append(Report.code.in_(list(f.codes)))
    if f.ward_code:
        conditions.append(Report.ward_code == f.ward_code)
    if f.unit_codes:
        conditions.append(Report.unit_code.in_(list(f.unit_codes)))
    if f.channel:
        conditions.append(Report.channel == f.channel)
    if f.urgent is not None:
        conditions.append(Report.is_urgent.is_(f.urgent))
    if f.overdue:
        conditions += [Report.status.in_(list(OPEN_STATUSES)), Report.deadline_at < now]
    if f.start:
        conditions.append(Report.submitted_at >= f.start)
    if f.end:
        conditions.append(Report.submitted_at <= f.end)
    if f.updated_since:
        conditions.append(Report.updated_at >= f.updated_since)
    if f.reporter_user_id is not None:
        conditions.append(Report.reporter_user_id == f.reporter_user_id)
    if f.public_only:
        conditions.append(Report.is_public.is_(True))
    if f.bbox:
        min_lon, min_lat, max_lon, max_lat = f.bbox
        conditions += [Report.lat.between(min_lat, max_lat), Report.lon.between(min_lon, max_lon)]
    if f.text:
        conditions.append(or_(Report.public_description.ilike(f"%{f.text}%"), Report.code == f.text))
    return query.where(*conditions)


def list_reports(
    db: Database,
    *,
    actor: Actor,
    filters: ReportFilter,
    limit: int = 50,
    offset: int = 0,
    order: str = "newest",
    details: bool = False,
) -> tuple[list[ReportRead | PublicReport], int]:
    """Reports matching `filters` and the total; staff get the full view, others public reports only."""
    staff = is_staff(actor)
    if not staff and not (filters.reporter_user_id is not None and filters.reporter_user_id == actor.user_id):
        filters = ReportFilter(**{**filters.__dict__, "public_only": True})
    now = utcnow()
    ordering = {
        "newest": (Report.submitted_at.desc(), Report.id.desc()),
        "oldest": (Report.submitted_at.asc(), Report.id.asc()),
        "deadline": (Report.deadline_at.asc(), Report.id.asc()),
    }.get(order, (Report.submitted_at.desc(), Report.id.desc()))
    with db.session() as s:
        total = s.scalar(_apply_filter(select(func.count(Report.id)), filters, now)) or 0
        rows = s.scalars(
            _apply_filter(select(Report), filters, now).order_by(*ordering).limit(limit).offset(offset)
        ).all()
        names = _category_names(s)
        full = staff or filters.reporter_user_id is not None
        items: list[ReportRead | PublicReport] = [
            _to_read(s, r, names, with_details=details, now=now)
            if full
            else _to_public(s, r, names, with_details=details)
            for r in rows
        ]
    return items, int(total)


def nearby_open_reports(
    db: Database,
    *,
    category_code: str,
    lon: float,
    lat: float,
    radius_m: float | None = None,
    max_age_days: int | None = None,
    now: datetime | None = None,
    exclude_code: str | None = None,
    settings: FeedbackSettings | None = None,
) -> list[NearbyReport]:
    """Open public reports of the same category within `radius_m` and `max_age_days`, nearest first.

    A bounding-box query on the indexed (lat, lon) columns narrows the candidates; the exact
    great-circle distance is then computed in Python (the same on SQLite and PostgreSQL).
    """
    settings = settings or get_feedback_settings()
    radius = radius_m if radius_m is not None else settings.duplicate_radius_m
    age = max_age_days if max_age_days is not None else settings.duplicate_max_age_days
    now = now or utcnow()
    min_lon, min_lat, max_lon, max_lat = bbox_around(lon, lat, radius)
    query = select(Report).where(
        Report.lat.between(min_lat, max_lat),
        Report.lon.between(min_lon, max_lon),
        Report.category_code == category_code,
        Report.status.in_(list(OPEN_STATUSES)),
        Report.is_public.is_(True),
        Report.submitted_at >= now - timedelta(days=age),
    )
    found = []
    with db.session() as s:
        for report in s.scalars(query):
            if report.code == exclude_code or report.lon is None or report.lat is None:
                continue
            distance = haversine_m(lon, lat, report.lon, report.lat)
            if distance <= radius:
                found.append(
                    NearbyReport(
                        code=report.code,
                        category_code=report.category_code,
                        description=report.public_description[:200],
                        status=report.status,
                        distance_m=round(distance, 1),
                        submitted_at=report.submitted_at,
                        supporters=report.supporters,
                        lon=report.lon,
                        lat=report.lat,
                    )
                )
    return sorted(found, key=lambda n: n.distance_m)


# ------------------------------------------------------------------------------------------- submission


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


def _set_contact(report: Report, data: ReportCreate, secret: str) -> None:
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
        raise ValidationFailed.for_field(f"attribute[{unknown[0]}]", "not an attribute of this service")
    for attribute in category.attributes:
        value = (values.get(attribute.code) or "").strip()
        if attribute.required and not value:
            raise ValidationFailed.for_field(f"attribute[{attribute.code}]", "is required")
        allowed = {v.key for v in attribute.values}
        if value and attribute.datatype == "singlevaluelist" and value not in allowed:
            raise ValidationFailed.for_field(
                f"attribute[{attribute.code}]", f"must be one of {', '.join(sorted(allowed))}"
            )
        if value and attribute.datatype == "multivaluelist" and not set(value.split(",")) <= allowed:
            raise ValidationFailed.for_field(
                f"attribute[{attribute.code}]", f"must be among {', '.join(sorted(allowed))}"
            )
    return {k: v.strip() for k, v in values.items() if v and v.strip()}


def _check_location(category: CategoryRead, data: ReportCreate) -> None:
    if (data.lon is None) != (data.lat is None):
        raise ValidationFailed.for_field("lat" if data.lat is None else "lon", "give both lat and long")
    if data.lon is None and not data.ward_code and not data.address and category.handler == "ward":
        raise ValidationFailed.for_field("location", "this category needs a map point, an address or a ward")


def submit_report(
    db: Database,
    *,
    actor: Actor,
    data: ReportCreate,
    secret: str,
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
        raise ValidationFailed.for_field("media", f"at most {settings.max_photos} photos")
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
        _add_step(
            uow.session,
            report,
            "submitted",
            None,
            NEW,
            actor,
            submitted_at,
            comment=f"Chuyển tới {route.unit_name}",
        )
        uow.session.flush()
        uow.audit("feedback.submitted", "feedback_report", report.code, after=_snapshot(report))
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
    session: Session,
    report: Report,
    action: str,
    from_status: str | None,
    to_status: str,
    actor: Actor,
    at: datetime,
    *,
    comment: str = "",
    note: str = "",
) -> None:
    session.add(
        ReportStep(
            report_id=report.id,
            at=at,
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor=actor.label,
            unit_code=report.unit_code,
            public_comment=scrub_text(comment),
            internal_note=note,
        )
    )


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
            raise Forbidden("Only the reporter or staff may add photos.")
        count = uow.session.scalar(select(func.count(Photo.id)).where(Photo.report_id == report.id)) or 0
        if count + len(images) > settings.max_photos:
            raise Conflict(f"A report has at most {settings.max_photos} photos.")
        rows = [_photo_row(report.id, image, at=utcnow()) for image in images]
        uow.session.add_all(rows)
        uow.session.flush()
        for row in rows:
            uow.audit("feedback.photo_added", "feedback_report", report.code, after={"photo": row.id})
        return [row.id for row in rows]


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
            raise Conflict("Only open public reports can be joined.")
        report.supporters += 1
        uow.session.flush()
        uow.audit("feedback.joined", "feedback_report", report.code, after={"supporters": report.supporters})
        return _to_public(uow.session, report, _category_names(uow.session))


# ------------------------------------------------------------------------------------------- lifecycle


def _is_reporter(actor: Actor, report: Report, reporter_key: str | None) -> bool:
    if actor.user_id is not None and actor.user_id == report.reporter_user_id:
        return True
    return bool(
        reporter_key
        and report.reporter_key_hash
        and hmac.compare_digest(report.reporter_key_hash, _key_hash(reporter_key))
    )


def _may_handle(actor: Actor, report: Report) -> bool:
    if any(actor.has_role(role) for role in DISPATCH_ROLES):
        return True
    return any(actor.has_role(role, report.unit_code) for role in STAFF_ROLES if role not in DISPATCH_ROLES)


def _require_handler(actor: Actor, report: Report) -> None:
    if not _may_handle(actor, report):
        raise Forbidden(f"Only the operations centre or staff of {report.unit_code} may act on this report.")


def _check_transition(report: Report, action: str) -> str:
    sources, target = TRANSITIONS[action]
    if report.status not in sources:
        raise Conflict(
            f"A report that is {report.status!r} cannot be {action!r}ed "
            f"(allowed from: {', '.join(sorted(sources))})."
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
    _add_step(uow.session, report, step, previous, target, actor, at, comment=comment, note=note)
    uow.session.flush()
    uow.audit(f"feedback.{step}", "feedback_report", report.code, before=before, after=_snapshot(report))
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


def _finish(uow: UnitOfWork, report: Report, at: datetime) -> ReportRead:
    return _to_read(uow.session, report, _category_names(uow.session), now=at)


def accept_report(
    db: Database, *, actor: Actor, code: str, comment: str = "", at: datetime | None = None
) -> ReportRead:
    """The operations centre or the handling unit accepts a new report."""
    at = at or utcnow()
    with UnitOfWork(db, actor) as uow:
        report = _load(uow.session, code)
        _require_handler(actor, report)
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
    with UnitOfWork(db, actor) as uow:
        report = _load(uow.session, code)
        _require_handler(actor, report)
        previous_unit = report.unit_code
        moving = target is not None and target[0] != previous_unit
        if moving and not (
            any(actor.has_role(r) for r in DISPATCH_ROLES)
            or any(actor.has_role(r, previous_unit) for r in REASSIGN_ROLES)
        ):
            raise Forbidden("Only the operations centre or the head of the unit may reassign a report.")
        if target is not None:
            report.unit_code, report.unit_name = target
        report.assignee = assignee or (None if moving else report.assignee)
        action = "reassign" if moving else "assign"
        default_comment = f"Chuyển {report.unit_name} xử lý."
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
    with UnitOfWork(db, actor) as uow:
        report = _load(uow.session, code)
        _require_handler(actor, report)
        _move(uow, report, "start", actor, at, comment=comment or "Đang xử lý.")
        return _finish(uow, report, at)


def resolve_report(
    db: Database, *, actor: Actor, code: str, comment: str, note: str = "", at: datetime | None = None
) -> ReportRead:
    """The handling unit resolves a report, saying publicly what was done."""
    if not comment.strip():
        raise ValidationFailed.for_field("comment", "say what was done")
    at = at or utcnow()
    with UnitOfWork(db, actor) as uow:
        report = _load(uow.session, code)
        _require_handler(actor, report)
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
    with UnitOfWork(db, actor) as uow:
        report = _load(uow.session, code)
        _require_handler(actor, report)
        _move(uow, report, "close", actor, at, comment=comment)
        return _finish(uow, report, at)


def reject_report(
    db: Database, *, actor: Actor, code: str, reason: str, note: str = "", at: datetime | None = None
) -> ReportRead:
    """Reject a report, with the reason shown publicly."""
    if not reason.strip():
        raise ValidationFailed.for_field("comment", "a rejection needs a reason")
    at = at or utcnow()
    with UnitOfWork(db, actor) as uow:
        report = _load(uow.session, code)
        _require_handler(actor, report)
        _move(uow, report, "reject", actor, at, comment=reason, note=note)
        uow.publish(
            ReportRejected(
                report_id=report.id, code=report.code, reason=scrub_text(reason), at=at.isoformat()
            )
        )
        return _finish(uow, report, at)


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
        raise ValidationFailed.for_field("comment", "say why the problem is not solved")
    at = at or utcnow()
    with UnitOfWork(db, actor) as uow:
        report = _load(uow.session, code)
        if not (_is_reporter(actor, report, reporter_key) or any(actor.has_role(r) for r in DISPATCH_ROLES)):
            raise Forbidden("Only the reporter may reopen this report.")
        _check_transition(report, "reopen")
        resolved_at = report.resolved_at or report.status_changed_at
        if at > resolved_at + timedelta(days=settings.reopen_days):
            raise Conflict(f"A report can be reopened within {settings.reopen_days} days of its resolution.")
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
        raise ValidationFailed.for_field("rating", "must be 1, 2 or 3")
    at = at or utcnow()
    with UnitOfWork(db, actor) as uow:
        report = _load(uow.session, code)
        if not _is_reporter(actor, report, reporter_key):
            raise Forbidden("Only the reporter may rate this report.")
        if report.status not in (RESOLVED, CLOSED):
            raise Conflict("Only a resolved report can be rated.")
        before = _snapshot(report)
        report.rating, report.rating_comment, report.rated_at = rating, scrub_text(comment), at
        _add_step(
            uow.session,
            report,
            "rated",
            report.status,
            report.status,
            actor,
            at,
            comment=RATING_NAMES[rating] + (f": {comment}" if comment else ""),
        )
        uow.session.flush()
        uow.audit("feedback.rated", "feedback_report", report.code, before=before, after=_snapshot(report))
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
            raise ValidationFailed.for_field("into", "a report cannot be merged into itself")
        if kept.status not in OPEN_STATUSES:
            raise Conflict(f"Report {kept.code} is not open; merge into an open report.")
        report.merged_into_id = kept.id
        kept.supporters += 1 + report.supporters
        kept.updated_at = at
        _move(uow, report, "merge", actor, at, comment=comment or f"Trùng với phản ánh {kept.code}.")
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
    with UnitOfWork(db, actor) as uow:
        report = _load(uow.session, code)
        _require_handler(actor, report)
        if report.status not in OPEN_STATUSES:
            raise Conflict("Only an open report can be flagged urgent.")
        if not report.is_urgent:
            before = _snapshot(report)
            report.is_urgent, report.updated_at = True, at
            _add_step(
                uow.session,
                report,
                "flagged_urgent",
                report.status,
                report.status,
                actor,
                at,
                comment=comment,
            )
            uow.session.flush()
            uow.audit(
                "feedback.flagged_urgent",
                "feedback_report",
                report.code,
                before=before,
                after=_snapshot(report),
            )
            uow.publish(_urgent_event(report, actor, at))
        return _finish(uow, report, at)


def read_contact(db: Database, *, actor: Actor, code: str, secret: str) -> ContactRead:
    """The reporter's contact for staff handling the report; every read is written to the audit log."""
    with UnitOfWork(db, actor) as uow:
        report = _load(uow.session, code)
        if not (_may_handle(actor, report) or actor.has_role("admin")):
            raise Forbidden("Only staff handling this report may see the reporter's contact.")
        uow.audit("feedback.contact_read", "feedback_report", report.code, after={"by": actor.label})

        def clear(value: str | None) -> str | None:
            return decrypt_personal(secret, value) if value else None

        return ContactRead(
            name=clear(report.reporter_name_encrypted),
            phone=clear(report.reporter_phone_encrypted),
            email=clear(report.reporter_email_encrypted),
        )


def reports_by_phone(
    db: Database, *, actor: Actor, phone: str, secret: str, limit: int = 20
) -> list[ReportRead]:
    """A caller's earlier reports, found by the keyed hash of the phone number (operators; logged)."""
    if not any(actor.has_role(r) for r in DISPATCH_ROLES):
        raise Forbidden("Only operators may look up a caller's reports.")
    digits = normalise_phone(phone)
    if not 8 <= len(digits) <= 15:
        raise ValidationFailed.for_field("phone", "a phone number has 8 to 15 digits")
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


# ------------------------------------------------------------------------------------------- timers


def _escalation_target(db: Database, unit_code: str | None, on: Any) -> str | None:
    if unit_code is None:
        return None
    unit = accounts_service.get_org_unit(db, unit_code)
    if unit is not None and unit.parent_code:
        return unit.parent_code
    centres = [u.code for u in accounts_service.list_org_units(db, on=on) if u.kind == "operations_centre"]
    return centres[0] if centres else None


def escalate_overdue(db: Database, *, actor: Actor | None = None, now: datetime | None = None) -> list[str]:
    """Escalate open reports past their deadline (once per missed deadline); returns their codes.

    The worker calls it as the task "feedback.escalate". Escalation does not move the report: it tells
    the parent unit (or the operations centre) and the operations centre through ReportEscalated.
    """
    actor = actor or Actor.system("feedback.escalate")
    now = now or utcnow()
    with db.session() as s:
        due = s.execute(
            select(Report.id, Report.unit_code)
            .where(
                Report.status.in_(list(OPEN_STATUSES)),
                Report.deadline_at < now,
                Report.escalation_level == 0,
            )
            .order_by(Report.deadline_at)
        ).all()
    escalated = []
    on = routing.local_date(db, now)
    for report_id, unit_code in due:
        target = _escalation_target(db, unit_code, on)
        with UnitOfWork(db, actor) as uow:
            report = uow.session.get(Report, report_id)
            if report is None or report.escalation_level > 0 or report.status not in OPEN_STATUSES:
                continue
            before = _snapshot(report)
            report.escalation_level, report.escalated_to = 1, target
            _add_step(
                uow.session,
                report,
                "escalated",
                report.status,
                report.status,
                actor,
                now,
                note=f"Quá hạn xử lý; báo cáo {target or 'Trung tâm điều hành'}.",
            )
            uow.session.flush()
            uow.audit(
                "feedback.escalated", "feedback_report", report.code, before=before, after=_snapshot(report)
            )
            uow.publish(
                ReportEscalated(
                    report_id=report.id,
                    code=report.code,
                    unit_code=report.unit_code,
                    escalated_to=target,
                    level=1,
                    deadline_at=report.deadline_at.isoformat() if report.deadline_at else None,
                    at=now.isoformat(),
                )
            )
            escalated.append(report.code)
    return escalated


def close_resolved(
    db: Database,
    *,
    actor: Actor | None = None,
    now: datetime | None = None,
    settings: FeedbackSettings | None = None,
) -> list[str]:
    """Close resolved reports whose reopening period has passed (task "feedback.close_resolved")."""
    settings = settings or get_feedback_settings()
    actor = actor or Actor.system("feedback.close_resolved")
    now = now or utcnow()
    limit = now - timedelta(days=settings.close_after_days)
    with db.session() as s:
        codes = list(
            s.scalars(select(Report.code).where(Report.status == RESOLVED, Report.resolved_at < limit))
        )
    for code in codes:
        close_report(db, actor=actor, code=code, comment="Tự động đóng sau thời hạn mở lại.", at=now)
    return codes
