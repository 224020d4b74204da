"""Reading: part of the feedback service (see __init__)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from smartcity.core.db import Database, utcnow
from smartcity.core.errors import NotFound
from smartcity.core.security import Actor
from smartcity.feedback.config import FeedbackSettings, get_feedback_settings
from smartcity.feedback.geo import bbox_around, haversine_m
from smartcity.feedback.models import Category, Photo, Report, ReportStep
from smartcity.feedback.moderation import scrub_text
from smartcity.feedback.schemas import (
    NearbyReport,
    PublicReport,
    PublicStep,
    ReportRead,
    StepRead,
)
from smartcity.feedback.service.common import OPEN_STATUSES, STAFF_ROLES, STAFF_UNITS


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
            comment_phrase=s.comment_phrase,
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


def staff_units(actor: Actor) -> set[str] | None:
    """The org units whose private reports the actor's staff roles cover; None for every unit (operators
    of hotline 1022, administrators and roles held city-wide), an empty set for non-staff."""
    if actor.has_role("operator"):
        return None
    units = {unit for role in STAFF_ROLES for unit in actor.units_for(role)}
    return None if None in units else {unit for unit in units if unit}


def _may_see(actor: Actor, report: Report) -> bool:
    if report.is_public:
        return True
    if actor.user_id is not None and actor.user_id == report.reporter_user_id:
        return True
    if report.unit_code is None:
        return is_staff(actor)
    # A private report: its unit's staff and city-wide staff only; another ward's staff get a 404.
    return any(actor.has_role(role, report.unit_code) for role in STAFF_ROLES)


def _visible_to(actor: Actor) -> Any:
    """The SQL form of `_may_see` for lists: None when the actor sees every report."""
    units = staff_units(actor)
    if units is None:
        return None
    conditions: list[Any] = [
        Report.is_public.is_(True),
        Report.unit_code.is_(None),
        Report.unit_code.in_(sorted(units)),
    ]
    if actor.user_id is not None:
        conditions.append(Report.reporter_user_id == actor.user_id)
    return or_(*conditions)


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


def queue_units(actor: Actor, unit: str = "") -> list[str]:
    """The units whose reports a staff member's queue lists: `unit` when they may see it (any unit for hotline
    operators and the administrator, one of their own for others), else all of theirs ([]: every unit)."""
    if actor.has_role_in("operator", STAFF_UNITS):  # the administrator too
        return [unit] if unit else []
    own = sorted(u for role in STAFF_ROLES for u in actor.units_for(role) if u)
    return [unit] if unit in own else own


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
    """Reports matching `filters` and the total; staff get the full view, others public reports only.

    Private reports are listed to their reporter, to the staff of the unit handling them and to city-wide
    staff (operators, administrators), never to the staff of another unit."""
    staff = is_staff(actor)
    if not staff and not (filters.reporter_user_id is not None and filters.reporter_user_id == actor.user_id):
        filters = ReportFilter(**{**filters.__dict__, "public_only": True})
    now = utcnow()
    ordering = {
        "newest": (Report.submitted_at.desc(), Report.id.desc()),
        "oldest": (Report.submitted_at.asc(), Report.id.asc()),
        "deadline": (Report.deadline_at.asc(), Report.id.asc()),
    }.get(order, (Report.submitted_at.desc(), Report.id.desc()))
    counted, selected = select(func.count(Report.id)), select(Report)
    visible = None if filters.public_only else _visible_to(actor)
    if visible is not None:  # private reports of the caller's own units only (another unit's: not listed)
        counted, selected = counted.where(visible), selected.where(visible)
    with db.session() as s:
        total = s.scalar(_apply_filter(counted, filters, now)) or 0
        rows = s.scalars(
            _apply_filter(selected, filters, now).order_by(*ordering).limit(limit).offset(offset)
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
