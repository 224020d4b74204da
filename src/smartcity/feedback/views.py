"""Pages of citizen reports: public map, submit form, report page, my reports; hotline console, queue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from smartcity.accounts import service as accounts_service
from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.db import utcnow
from smartcity.core.errors import AppError, Forbidden, NotFound, ValidationFailed
from smartcity.core.i18n import Phrase, get_translations, in_language
from smartcity.core.security import Actor
from smartcity.feedback import service
from smartcity.feedback.api import run_action
from smartcity.feedback.config import FeedbackSettings, get_feedback_settings
from smartcity.feedback.schemas import ActionInput, ReportCreate
from smartcity.web.deps import ActorDep, PageUserDep, get_db, get_settings, login_redirect, scoped_link
from smartcity.web.forms import notice, redirect_with_notice, refusal_messages, refusal_sentence
from smartcity.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
# Pages that moved: staff pages under /can-bo, the public ones under Vietnamese paths (old addresses, as on
# printed receipts and in messages already sent, redirect permanently; /feedback/static stays where it is).
MOVED = {
    "/staff/feedback/console": "/can-bo/phan-anh/tong-dai",
    "/staff/feedback/queue": "/can-bo/phan-anh",
    "/staff/feedback/r": "/can-bo/phan-anh/r",
    "/feedback/new": "/phan-anh/gui",
    "/feedback/mine": "/phan-anh/cua-toi",
    "/feedback/r": "/phan-anh",
    "/feedback": "/phan-anh",
}
PUBLIC_LINKS = ({"label": "Phản ánh hiện trường", "href": "/phan-anh"},)
STAFF_LINKS = (
    scoped_link(
        "Tổng đài 1022 — tiếp nhận cuộc gọi", "/can-bo/phan-anh/tong-dai", ("operator",), service.STAFF_UNITS
    ),
    scoped_link("Hàng đợi xử lý phản ánh", "/can-bo/phan-anh", service.STAFF_ROLES, service.STAFF_UNITS),
)
PAGE_SIZE = 50
# How the public map draws the reports (a MapLibre circle layer's layout and paint, by the report's Open311
# status): the few still being handled above the many done, larger and bright; the done ones small and faint.
_OPEN = ["==", ["get", "open311_status"], "open"]
REPORT_LAYER: dict[str, Any] = {
    "layout": {"circle-sort-key": ["case", _OPEN, 1, 0]},  # a higher key is drawn above
    "paint": {
        "circle-color": ["case", _OPEN, "#e8710a", "#2e8b57"],
        "circle-radius": ["case", _OPEN, 7, 4],
        "circle-opacity": ["case", _OPEN, 1, 0.55],
        "circle-stroke-width": ["case", _OPEN, 1.5, 0.5],
        "circle-stroke-color": "#ffffff",
    },
}


def _today(request: Request) -> Any:
    return clock.today(get_settings(request))


def _wards(request: Request) -> list[Any]:
    return city_service.units_on(get_db(request), on=_today(request), level="ward")


def _category_names(request: Request) -> dict[str, str]:
    """The categories' names in the page's language, by code."""
    return service.category_names(get_db(request), request_locale(request))


def _unit_name(request: Request, code: str | None, stored: str) -> str:
    """The handling unit's name in the page's language (the name stored on the report otherwise)."""
    return _unit_names(request).get(code or "", stored)


def _comments_in_words(request: Request, steps: list[Any]) -> list[Phrase]:
    """Each step's public comment as a `Phrase` the page translates: the platform's own sentences (kept as
    phrases) with the unit they name in the page's language, a person's words as written."""
    said = []
    for step in steps:
        phrase = Phrase.of(step.public_comment or "")
        if step.comment_phrase:
            parts = dict(step.comment_phrase.get("parts") or {})
            if "unit" in parts:
                parts["unit"] = _unit_name(request, step.unit_code, str(parts["unit"]))
            phrase = Phrase(step.comment_phrase["template"], **parts)
        said.append(phrase)
    return said


def _org_units(request: Request) -> list[Any]:
    """Every org unit, read once per request (a page names units in several places)."""
    units: list[Any] | None = getattr(request.state, "org_units", None)
    if units is None:
        units = request.state.org_units = accounts_service.list_org_units(get_db(request))
    return units


def _unit_names(request: Request) -> dict[str, str]:
    """Every org unit's name in the page's language, by code, built once per request (a list names many
    reports' units, a report's history one per step)."""
    names: dict[str, str] | None = getattr(request.state, "unit_names", None)
    if names is None:
        locale = request_locale(request)
        names = {u.code: in_language(u.name, u.name_en, locale) for u in _org_units(request)}
        request.state.unit_names = names
    return names


@router.get("/phan-anh", response_class=HTMLResponse)
def public_map(
    request: Request, actor: ActorDep, category: str = "", status: str = "", ward: str = "", page: int = 1
) -> Response:
    """Map and list of public reports, filtered by category, status (open/closed) and ward."""
    db = get_db(request)
    statuses = [s for s in service.STATUSES if service.open311_status(s) == status] if status else []
    filters = service.ReportFilter(
        status=statuses,
        category_codes=[category] if category else [],
        ward_code=ward or None,
        public_only=True,
    )
    page = max(page, 1)
    items, total = service.list_reports(
        db,
        actor=Actor(kind="anonymous", name="map"),
        filters=filters,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    return render(
        request,
        "feedback/map.html",
        {
            "items": items,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "categories": service.list_categories(db),
            "category_names": _category_names(request),
            "wards": _wards(request),
            "filters": {"category": category, "status": status, "ward": ward},
            "base_map_style_url": get_settings(request).base_map_style_url,
            "report_layer": REPORT_LAYER,
        },
    )


def _form_context(request: Request, **extra: Any) -> dict[str, Any]:
    settings = get_feedback_settings()
    return {
        "categories": service.list_categories(get_db(request)),
        "category_names": _category_names(request),
        "wards": _wards(request),
        "radius_m": settings.duplicate_radius_m,
        "days": settings.duplicate_max_age_days,
        "max_photos": settings.max_photos,
        "max_photo_mb": settings.max_photo_bytes // (1024 * 1024),
        "values": {},
        "error": None,
        "base_map_style_url": get_settings(request).base_map_style_url,
        **extra,
    }


@router.get("/phan-anh/gui", response_class=HTMLResponse)
def new_report(request: Request, category: str = "") -> Response:
    """The submit form: category, description, a pin on the map (or address / ward), photos."""
    return render(request, "feedback/new.html", _form_context(request, values={"category_code": category}))


def _float(value: Any) -> float | None:
    text = str(value or "").strip().replace(",", ".")
    try:
        return float(text) if text else None
    except ValueError:
        raise ValidationFailed.for_field("lat", FIELD_MISTAKES["lat"]) from None


def _report_from_form(form: FormData, *, channel: str) -> ReportCreate:
    return ReportCreate(
        category_code=str(form.get("category_code") or ""),
        description=str(form.get("description") or ""),
        lon=_float(form.get("lon")),
        lat=_float(form.get("lat")),
        address=str(form.get("address") or ""),
        ward_code=str(form.get("ward_code") or "") or None,
        channel=channel,
        is_public=form.get("is_public") == "on",
        urgent=form.get("urgent") == "on",
        reporter_name=str(form.get("reporter_name") or "") or None,
        reporter_phone=str(form.get("reporter_phone") or "") or None,
        reporter_email=str(form.get("reporter_email") or "") or None,
    )


FIELD_MISTAKES = {
    "category_code": "Chọn loại phản ánh.",
    "description": "Nội dung phản ánh cần từ 3 đến 5.000 ký tự.",
    "lon": "Vị trí trên bản đồ chưa đúng (vĩ độ, kinh độ là số).",
    "lat": "Vị trí trên bản đồ chưa đúng (vĩ độ, kinh độ là số).",
    "address": "Địa chỉ không quá 500 ký tự.",
    "reporter_name": "Họ tên không quá 200 ký tự.",
    "reporter_phone": "Số điện thoại chưa đúng (ví dụ 0912345678).",
    "reporter_email": "Địa chỉ thư điện tử chưa đúng.",
    "comment": "Nội dung ghi chú chưa hợp lệ.",
    "rating": "Chọn mức đánh giá 1, 2 hoặc 3.",
}
NOT_VALID = "Thông tin chưa hợp lệ; vui lòng kiểm tra lại."


def _error_text(request: Request, exc: Exception) -> str:
    """The refusal in a citizen's or an officer's words (never a field's code or a developer's English), in
    the page's language where the platform has the words."""
    words = get_translations(request_locale(request), "feedback").gettext
    if isinstance(exc, ValidationError):
        fields = [str(e["loc"][0]) if e["loc"] else "" for e in exc.errors()]
        sentences = list(dict.fromkeys(FIELD_MISTAKES.get(field, NOT_VALID) for field in fields))
    elif isinstance(exc, AppError):
        sentences = refusal_messages(exc)
    else:
        sentences = [NOT_VALID]
    return " ".join(words(sentence) for sentence in sentences)


async def _photos(form: FormData) -> list[bytes]:
    limit = get_feedback_settings().max_photo_bytes + 1
    photos = []
    for upload in form.getlist("photos"):
        if isinstance(upload, UploadFile) and upload.filename:
            photos.append(await upload.read(limit))
    return photos


@router.post("/phan-anh/gui", response_class=HTMLResponse)
async def submit_report(request: Request, actor: ActorDep) -> Response:
    """Submit the form; on a mistake the form comes back with the values and the reason."""
    form = await request.form()
    photos = await _photos(form)
    return await run_in_threadpool(_submitted, request, actor, form, photos)


def _submitted(request: Request, actor: Actor, form: FormData, photos: list[bytes]) -> Response:
    """The citizen's report recorded (in a worker thread): where it went, or the form with the reason."""
    try:
        data = _report_from_form(form, channel="web")
        result = service.submit_report(
            get_db(request), actor=actor, data=data, photos=photos, secret=get_settings(request).personal_keys
        )
    except (AppError, ValidationError, ValueError) as exc:
        status = exc.status if isinstance(exc, AppError) else 422
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        return render(
            request,
            "feedback/new.html",
            _form_context(request, values=values, error=_error_text(request, exc)),
            status_code=status,
        )
    unit_name = _unit_name(request, result.report.unit_code, result.report.unit_name)
    return render(
        request, "feedback/submitted.html", {"result": result, "unit_name": unit_name}, status_code=201
    )


def _may_reopen(report: Any, settings: FeedbackSettings) -> bool:
    """Whether the reporter may still reopen the report: resolved or closed, within the reopening period."""
    if report.status not in ("resolved", "closed") or report.resolved_at is None:
        return False
    return utcnow() <= service.reopen_deadline(report.resolved_at, settings)


def _report_page(
    request: Request,
    actor: Actor,
    code: str,
    *,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    report = service.get_report(get_db(request), actor=actor, code=code)
    settings = get_feedback_settings()
    is_reporter = actor.user_id is not None and getattr(report, "reporter_user_id", None) == actor.user_id
    return render(
        request,
        "feedback/report.html",
        {
            "report": report,
            "category_name": _category_names(request).get(report.category_code, report.category_name),
            "unit_name": _unit_name(request, report.unit_code, report.unit_name),
            "comments": _comments_in_words(request, report.steps),
            "is_staff": _works_on_reports(actor),
            "is_reporter": is_reporter,
            "status_names": service.STATUS_NAMES,
            "rating_names": service.RATING_NAMES,
            "action_names": service.ACTION_NAMES,
            "channel_names": service.CHANNEL_NAMES,
            "reopen_days": settings.reopen_days,
            "may_reopen": _may_reopen(report, settings),
            "message": message,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/phan-anh/cua-toi", response_class=HTMLResponse)  # before /phan-anh/{code}, which would take it
def my_reports(request: Request, actor: ActorDep) -> Response:
    """The logged-in citizen's reports."""
    if actor.user_id is None:
        return login_redirect(request.url.path)
    items, total = service.list_reports(
        get_db(request),
        actor=actor,
        filters=service.ReportFilter(reporter_user_id=actor.user_id, public_only=False),
        limit=200,
    )
    context = {
        "items": items,
        "total": total,
        "status_names": service.STATUS_NAMES,
        "category_names": _category_names(request),
    }
    return render(request, "feedback/mine.html", context)


@router.get("/phan-anh/{code}", response_class=HTMLResponse)
def report_page(request: Request, code: str, actor: ActorDep) -> Response:
    """One report: state, public comments, photos; rating and reopening for its reporter."""
    return _report_page(request, actor, code)


@router.post("/phan-anh/{code}/{action}", response_class=HTMLResponse)
async def reporter_action(request: Request, code: str, action: str, actor: ActorDep) -> Response:
    """The reporter rates, reopens or adds photos (logged in, or with the reporter key); anyone may join."""
    if action not in ("rate", "reopen", "join", "photos"):
        raise NotFound(f"No action {action}")
    form = await request.form()
    if action == "photos":
        photos = await _photos(form)
        return await run_in_threadpool(_add_photos, request, actor, code, form, photos)
    return await run_in_threadpool(_reporter_acted, request, actor, code, action, form)


def _reporter_acted(request: Request, actor: Actor, code: str, action: str, form: FormData) -> Response:
    """The reporter's action taken (in a worker thread), then the report page with the outcome."""
    try:
        body = ActionInput(
            comment=str(form.get("comment") or ""),
            reporter_key=str(form.get("reporter_key") or "") or None,
            rating=int(str(form.get("rating"))) if form.get("rating") else None,
        )
        run_action(get_db(request), actor=actor, code=code, action=action, body=body)
    except (AppError, ValidationError, ValueError) as exc:
        status = exc.status if isinstance(exc, AppError) else 422
        return _report_page(request, actor, code, error=_error_text(request, exc), status_code=status)
    return _report_page(request, actor, code, message="Đã ghi nhận. Cảm ơn bạn!")


def _add_photos(request: Request, actor: Actor, code: str, form: FormData, photos: list[bytes]) -> Response:
    """Photos added after submission by the reporter (or staff), in a worker thread; all or none are kept."""
    key = str(form.get("reporter_key") or "") or None
    if not photos:
        return _report_page(request, actor, code, error="Vui lòng chọn ít nhất một ảnh.", status_code=422)
    try:
        service.attach_photos(get_db(request), actor=actor, code=code, photos=photos, reporter_key=key)
    except AppError as exc:
        return _report_page(request, actor, code, error=_error_text(request, exc), status_code=exc.status)
    return _report_page(request, actor, code, message="Đã thêm ảnh. Cảm ơn bạn!")


# ------------------------------------------------------------------------------------------- staff


def _forbidden(request: Request, message: str) -> Response:
    return render(request, "error.html", {"error": Forbidden(message)}, status_code=403)


def _is_operator(actor: Actor) -> bool:
    """A hotline operator: of the operations centre or a committee, or city-wide (or the admin)."""
    return actor.has_role_in("operator", service.STAFF_UNITS)


def _works_on_reports(actor: Actor) -> bool:
    """Staff of a unit that handles reports (service.STAFF_UNITS), city-wide staff or the admin."""
    return any(actor.has_role_in(role, service.STAFF_UNITS) for role in service.STAFF_ROLES)


@router.get("/can-bo/phan-anh/tong-dai", response_class=HTMLResponse)
def console(request: Request, actor: PageUserDep, phone: str = "") -> Response:
    """Hotline 1022 console: fast intake, the caller's earlier reports, urgent reports of the day; after a
    call is recorded, where it went (a notice the platform signed)."""
    if not _is_operator(actor):
        return _forbidden(request, "Trang này dành cho điều hành viên 1022.")
    return _console_page(request, actor, phone=phone, message=notice(request, "message"))


def _console_page(
    request: Request,
    actor: Actor,
    *,
    phone: str = "",
    message: str = "",
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    db = get_db(request)
    earlier: list[Any] = []
    if phone.strip():
        try:
            earlier = service.reports_by_phone(
                db, actor=actor, phone=phone, secret=get_settings(request).personal_keys
            )
        except AppError as exc:
            error = refusal_sentence(exc)
    urgent, _ = service.list_reports(
        db,
        actor=actor,
        filters=service.ReportFilter(urgent=True, status=sorted(service.OPEN_STATUSES), public_only=False),
        limit=20,
    )
    return render(
        request,
        "feedback/console.html",
        _form_context(
            request,
            values=values or {"reporter_phone": phone, "is_public": "on"},
            error=error,
            phone=phone,
            earlier=earlier,
            urgent=urgent,
            unit_names=_unit_names(request),
            message=message,
            status_names=service.STATUS_NAMES,
        ),
        status_code=status_code,
    )


@router.post("/can-bo/phan-anh/tong-dai", response_class=HTMLResponse)
async def console_submit(request: Request, actor: ActorDep) -> Response:
    """Record a call as a report (channel hotline); urgent ones go to the operations centre at once."""
    if not _is_operator(actor):
        return _forbidden(request, "Trang này dành cho điều hành viên 1022.")
    form = await request.form()
    return await run_in_threadpool(_call_recorded, request, actor, form)


def _call_recorded(request: Request, actor: Actor, form: FormData) -> Response:
    """The call recorded as a report (in a worker thread): back to the console with where it went, or the
    console with the values and the reason."""
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        data = _report_from_form(form, channel=str(form.get("channel") or "hotline"))
        result = service.submit_report(
            get_db(request), actor=actor, data=data, secret=get_settings(request).personal_keys
        )
    except (AppError, ValidationError, ValueError) as exc:
        status = exc.status if isinstance(exc, AppError) else 422
        return _console_page(
            request,
            actor,
            phone=values.get("reporter_phone", ""),
            error=_error_text(request, exc),
            values=values,
            status_code=status,
        )
    unit = _unit_name(request, result.report.unit_code, result.report.unit_name)
    recorded = Phrase("Đã ghi nhận phản ánh {code} — chuyển {unit}.", code=result.report.code, unit=unit)
    return redirect_with_notice(request, "/can-bo/phan-anh/tong-dai", message=recorded)


@router.get("/can-bo/phan-anh", response_class=HTMLResponse)
def queue(
    request: Request, actor: PageUserDep, status: str = "open", unit: str = "", overdue: bool = False
) -> Response:
    """The reports of the staff member's units (all units for operators), by deadline, with actions."""
    if not _works_on_reports(actor):
        return _forbidden(request, service.STAFF_REFUSAL)
    units = sorted(u for role in service.STAFF_ROLES for u in actor.units_for(role) if u)
    chosen = service.queue_units(actor, unit)
    statuses = sorted(service.OPEN_STATUSES) if status == "open" else ([status] if status else [])
    items, total = service.list_reports(
        get_db(request),
        actor=actor,
        order="deadline",
        limit=200,
        filters=service.ReportFilter(
            status=statuses, unit_codes=chosen, overdue=overdue or None, public_only=False
        ),
    )
    # the units that handle reports (ward committees, departments), not every school and health station
    org_units = [
        u
        for u in accounts_service.list_org_units(get_db(request), on=_today(request))
        if u.code.startswith(service.STAFF_UNITS)
    ]
    return render(
        request,
        "feedback/queue.html",
        {
            "items": items,
            "total": total,
            "status": status,
            "unit": unit,
            "overdue": overdue,
            "units": units,
            "org_units": org_units,
            "unit_names": _unit_names(request),
            "status_names": service.STATUS_NAMES,
            "category_names": _category_names(request),
            "now": utcnow(),
            "is_operator": _is_operator(actor),
            "all_statuses": service.STATUSES,
        },
    )


@router.post("/can-bo/phan-anh/r/{code}/{action}", response_class=HTMLResponse)
async def staff_action(request: Request, code: str, action: str, actor: ActorDep) -> Response:
    """A workflow action from the queue or the report page; back to where it came from."""
    if not _works_on_reports(actor):
        return _forbidden(request, service.STAFF_REFUSAL)
    form = await request.form()
    return await run_in_threadpool(_staff_acted, request, actor, code, action, form)


def _staff_acted(request: Request, actor: Actor, code: str, action: str, form: FormData) -> Response:
    """The staff action taken (in a worker thread): back where it came from, or the report page with the
    reason."""
    back = str(form.get("back") or "/can-bo/phan-anh")
    back = back if back.startswith("/") and not back.startswith("//") else "/can-bo/phan-anh"
    try:
        body = ActionInput(
            comment=str(form.get("comment") or ""),
            note=str(form.get("note") or ""),
            unit_code=str(form.get("unit_code") or "") or None,
            assignee=str(form.get("assignee") or "") or None,
            into=str(form.get("into") or "") or None,
        )
        run_action(get_db(request), actor=actor, code=code, action=action, body=body)
    except (AppError, ValidationError) as exc:
        status = exc.status if isinstance(exc, AppError) else 422
        return _report_page(request, actor, code, error=_error_text(request, exc), status_code=status)
    return RedirectResponse(back, status_code=303)
