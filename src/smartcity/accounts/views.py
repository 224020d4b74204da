"""Pages of the accounts domain: log in, log out, the staff landing page."""

from __future__ import annotations

import hmac
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from smartcity.accounts import service
from smartcity.core.db import Database
from smartcity.core.errors import Conflict, TooManyRequests, Unauthorized, ValidationFailed
from smartcity.core.i18n import get_translations, in_language
from smartcity.core.security import SYSTEM_SHOWN_NAME, Actor
from smartcity.domains import collect
from smartcity.web.deps import (
    SESSION_CSRF,
    SESSION_KEY,
    PageUserDep,
    get_db,
    get_settings,
    login_redirect,
    new_csrf_token,
    verify_csrf,
)
from smartcity.web.forms import SOME_MISTAKE, refusal_sentence
from smartcity.web.templating import ENVIRONMENT, render, request_locale

router = APIRouter(include_in_schema=False)
# Staff pages moved under /can-bo (old addresses redirect permanently).
MOVED = {"/staff": "/can-bo"}

DEFAULT_NEXT = "/can-bo"
CITIZEN_HOME = "/cua-toi"  # a citizen's own space (the portal's)
MAX_PASSWORD = 1024
BUILTIN_LINKS: tuple[dict[str, Any], ...] = (
    {"label": "Trang chủ", "href": "/", "roles": ()},
    {"label": "Tài liệu API", "href": "/api/v1/docs", "roles": ("admin", "integrator", "operator")},
)


def safe_next(value: str | None, default: str = DEFAULT_NEXT) -> str:
    """`value` if it is a path on this site (no scheme, host, `//` or backslash), else `default`."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def home_for(roles: list[str] | set[str] | tuple[str, ...]) -> str:
    """Where someone goes after signing in without a `next`: staff to their area, citizens to their space."""
    return DEFAULT_NEXT if set(roles) & service.STAFF_ROLES else CITIZEN_HOME


def _login_page(
    request: Request,
    *,
    next_url: str,
    username: str = "",
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    retry_after: int | None = None,
) -> HTMLResponse:
    context = {"next": next_url, "username": username, "error": error, "retry_after": retry_after}
    response = render(request, "accounts/login.html", context, status_code=status_code)
    response.headers.update(headers or {})
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    """The login form; someone already logged in goes straight on."""
    next_url = safe_next(next, default="")  # none given: where the person belongs, once known
    view = getattr(request.state, "user_view", None)
    if view is not None:
        return RedirectResponse(next_url or home_for(view.roles), status_code=303)
    return _login_page(request, next_url=next_url)


@router.post("/login", response_class=HTMLResponse)
async def login_submit(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
    otp: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Check the credentials; on success start the session and go to `next` (a local path only)."""
    next_url, username = safe_next(next, default=""), username.strip()[:200]
    expected = str(request.session.get(SESSION_CSRF) or "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_page(
            request,
            next_url=next_url,
            username=username,
            status_code=403,
            error="Phiên đăng nhập đã hết hạn. Vui lòng thử lại.",
        )
    if not username or not password:
        return _login_page(
            request,
            next_url=next_url,
            username=username,
            status_code=422,
            error="Vui lòng nhập tên đăng nhập và mật khẩu.",
        )
    try:
        if len(password) > MAX_PASSWORD:
            raise Unauthorized(service.WRONG_CREDENTIALS)
        result = await run_in_threadpool(
            lambda: service.authenticate(
                db,
                settings=get_settings(request),
                username=username,
                password=password,
                client_ip=_client_ip(request),
                otp=otp.strip() or None,
            )
        )
    except TooManyRequests as exc:
        return _login_page(
            request,
            next_url=next_url,
            username=username,
            status_code=429,
            headers=exc.headers,
            retry_after=exc.extensions.get("retry_after", 1),
        )
    except Unauthorized as exc:
        # Only what is said after the password was right is shown; before, one sentence for every miss.
        second_factor = "totp_required" in (exc.headers or {}).get("WWW-Authenticate", "")
        after_password = second_factor or exc.detail == service.ADMIN_TOTP_FIRST
        return _login_page(
            request,
            next_url=next_url,
            username=username,
            status_code=401,
            error=exc.detail if after_password else "Tên đăng nhập hoặc mật khẩu không đúng.",
        )
    await run_in_threadpool(_start_session, request, db, result.user_id, result.generation)
    if not next_url:
        user = await run_in_threadpool(service.actor_for_user, db, result.user_id)
        next_url = home_for([role for role, _unit in user.roles])
    return RedirectResponse(next_url, status_code=303)


def _start_session(request: Request, db: Database, user_id: int, generation: int) -> None:
    """A new web session for the user: its key and a fresh CSRF token in the cookie."""
    session_key = service.start_web_session(
        db,
        user_id=user_id,
        generation=generation,
        client_ip=_client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    request.session.clear()
    request.session.update({SESSION_KEY: session_key, SESSION_CSRF: new_csrf_token()})


def _client_ip(request: Request) -> str | None:
    peer = request.client.host if request.client else None
    return service.client_address(get_settings(request), peer=peer, headers=request.headers)


@router.get("/account/totp", response_class=HTMLResponse)
def totp_page(request: Request, db: Annotated[Database, Depends(get_db)]) -> Response:
    """Enrol an authenticator app: a fresh secret shown as a QR code, confirmed by a first code."""
    view: service.UserView | None = getattr(request.state, "user_view", None)
    if view is None:
        return login_redirect("/account/totp")
    uri = service.start_totp_enrolment(db, settings=get_settings(request), user_id=view.user_id)
    qr = Markup(service.totp_qr_svg(uri))  # noqa: S704 (segno's SVG of our own otpauth URI)
    return render(request, "accounts/totp.html", {"qr": qr, "error": None})


@router.post("/account/totp", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)])
def totp_confirm(
    request: Request, db: Annotated[Database, Depends(get_db)], code: Annotated[str, Form(max_length=10)] = ""
) -> Response:
    """Confirm the enrolment with the first code from the app; then sign-in asks for a code."""
    view: service.UserView | None = getattr(request.state, "user_view", None)
    if view is None:
        return RedirectResponse("/login", status_code=303)
    try:
        service.confirm_totp(db, settings=get_settings(request), user_id=view.user_id, code=code)
    except ValidationFailed:
        context = {
            "qr": None,
            "error": "Mã xác thực không đúng hoặc đã hết hạn. Hãy tải lại trang và thử lại.",
        }
        return render(request, "accounts/totp.html", context, status_code=422)
    return RedirectResponse("/can-bo", status_code=303)


OWN_DETAILS_PAGE = "/cua-toi/thong-tin"
OWN_DETAIL_LABELS = {"phone": "Số điện thoại", "email": "Thư điện tử", "citizen_id": "Số định danh cá nhân"}
OWN_DETAIL_MISTAKES = {
    "phone": "Số điện thoại chưa đúng (ví dụ 0912345678).",
    "email": "Thư điện tử chưa đúng (ví dụ ten@example.vn).",
    "citizen_id": "Số định danh cá nhân gồm đúng 12 chữ số.",
}
TAKEN_CITIZEN_ID = "Số định danh cá nhân này đã gắn với một tài khoản khác. Vui lòng liên hệ Bộ phận Một cửa."


@router.get(OWN_DETAILS_PAGE, response_class=HTMLResponse)
def own_details_page(
    request: Request, db: Annotated[Database, Depends(get_db)], actor: PageUserDep
) -> Response:
    """The signed-in person's own details: the name the administrator keeps, and the phone, e-mail and
    personal ID number they change themselves (shown masked; the e-forms fill them in)."""
    return _own_details(request, db, actor, errors=[], saved=request.query_params.get("da-luu") == "1")


@router.post(OWN_DETAILS_PAGE, response_class=HTMLResponse, dependencies=[Depends(verify_csrf)])
def own_details_save(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    actor: PageUserDep,
    phone: Annotated[str, Form(max_length=20)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    citizen_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Save the person's own phone and e-mail (blank removes them) and a new ID number (blank keeps it)."""
    changes: dict[str, Any] = {"phone": phone.strip() or None, "email": email.strip() or None}
    if citizen_id.strip():
        changes["citizen_id"] = citizen_id
    try:
        service.update_own_details(db, actor=actor, changes=changes)
    except Conflict:
        return _own_details(request, db, actor, errors=[TAKEN_CITIZEN_ID], typed=changes, status_code=409)
    except ValidationFailed as exc:
        mistakes = [_mistake(str(e.get("field", ""))) for e in exc.errors] or [_mistake("")]
        return _own_details(request, db, actor, errors=mistakes, typed=changes, status_code=422)
    return RedirectResponse(f"{OWN_DETAILS_PAGE}?da-luu=1", status_code=303)


def _mistake(field: str) -> str:
    """What is wrong with one field of the own-details form, named by its label."""
    if field in OWN_DETAIL_MISTAKES:
        return OWN_DETAIL_MISTAKES[field]
    return f"{OWN_DETAIL_LABELS[field]}: {SOME_MISTAKE}" if field in OWN_DETAIL_LABELS else SOME_MISTAKE


def _own_details(
    request: Request,
    db: Database,
    actor: Actor,
    *,
    errors: list[str],
    saved: bool = False,
    typed: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page of one's own details; after a mistake, the form with what the person typed."""
    user = service.get_user(db, actor.user_id or 0)
    phone = (
        service.get_user_phone(db, actor=actor, user_id=user.id, secret=db.settings.personal_keys)
        if user.phone_masked and typed is None
        else None
    )
    values = typed if typed is not None else {"phone": phone or "", "email": user.email or ""}
    # The account as "person", not "user": the page frame names the signed-in person by that.
    context: dict[str, Any] = {"person": user, "values": values, "errors": errors, "saved": saved}
    context["labels"] = OWN_DETAIL_LABELS
    return render(request, "accounts/own_details.html", context, status_code=status_code)


@router.get("/login/link")
def login_with_link(request: Request, db: Annotated[Database, Depends(get_db)], t: str = "") -> Response:
    """Follow an e-mailed one-time sign-in link: a new web session, then the staff page."""
    try:
        result = service.use_sign_in_link(db, settings=get_settings(request), token=t[:2000])
    except Unauthorized as exc:
        error = refusal_sentence(exc)
        return _login_page(request, next_url="/can-bo", username="", status_code=401, error=error)
    _start_session(request, db, result.user_id, result.generation)
    return RedirectResponse("/can-bo", status_code=303)


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request, db: Annotated[Database, Depends(get_db)]) -> Response:
    """End the web session, here and on the server (the form must carry the session's CSRF token)."""
    session_key = request.session.get(SESSION_KEY)
    if isinstance(session_key, str):
        service.end_web_session(db, session_key)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/can-bo", response_class=HTMLResponse)
def staff(request: Request, db: Annotated[Database, Depends(get_db)]) -> Response:
    """Staff landing page: who you are, your roles and units, what waits, where to go; a citizen is sent to
    their own space (where signing in takes them too)."""
    view: service.UserView | None = getattr(request.state, "user_view", None)
    if view is None:
        return login_redirect("/can-bo")
    if not view.is_staff:
        return RedirectResponse(CITIZEN_HOME, status_code=303)
    locale = request_locale(request)
    units = {code: service.get_org_unit(db, code) for _role, code in view.assignments if code}
    kinds = {code: unit.kind for code, unit in units.items() if unit is not None}  # a school: "Hiệu trưởng"
    assignments = [
        {
            "role": service.role_name(role, locale, kinds.get(code) if code else None),
            "slug": role,
            "unit": _unit_label(units.get(code) if code else None, code, locale),
        }
        for role, code in view.assignments
    ]
    return render(
        request,
        "accounts/staff.html",
        {
            "person": view,
            "assignments": assignments,
            "links": staff_links(view.actor),
            "work": work_waiting(db, view.actor, get_settings(request)),
        },
    )


def _unit_label(unit: Any, code: str | None, locale: str) -> str | None:
    if code is None:
        return None
    if unit is None:
        return code
    return in_language(unit.name, unit.name_en, locale)


def staff_links(actor: Any) -> list[dict[str, Any]]:
    """Links for the staff page: built in, plus every domain's `views.STAFF_LINKS` the actor may use.

    A domain offers links as `STAFF_LINKS = [{"label": "Vietnamese text", "href": "/x", "roles": ("clerk",)}]`
    (empty roles = every staff member; `"units": ("TRUONG-", None)` = only those roles held in units whose
    code starts so, None for city-wide); labels are translated with the domain's catalogue.
    """
    offered: list[dict[str, Any]] = list(BUILTIN_LINKS)
    for domain, links in collect("views", "STAFF_LINKS"):
        if domain != "accounts":
            offered.extend(link for link in links if isinstance(link, dict) and "href" in link)
    return [link for link in offered if _may_use(actor, link)]


def work_waiting(db: Database, actor: Any, settings: Any) -> list[dict[str, Any]]:
    """The work waiting for this person: every domain's `worklist.WORKLIST` (see `web.deps.work_item`) the
    actor may open, with how many items wait; those with none are left out, late work first."""
    waiting = []
    for _domain, items in collect("worklist", "WORKLIST"):
        for item in items:
            if _may_use(actor, item):
                count = item["count"](db, actor, settings)
                if count:
                    waiting.append({**item, "count": count})
    return sorted(waiting, key=lambda item: not item["urgent"])


def _may_use(actor: Any, link: dict[str, Any]) -> bool:
    """Whether the actor holds one of the link's roles (in one of its units, when it names units)."""
    roles, units = link.get("roles") or (), link.get("units")
    if not roles:
        return True
    if units is None:
        return any(actor.has_role(role) for role in roles)
    prefixes = tuple(u for u in units if u is not None)
    if (
        None in units
    ):  # a department's work: its units' holders, city-wide holders and admin (require_role_in)
        return any(actor.has_role_in(role, prefixes) for role in roles)
    # An administrator holds no unit's work: a unit-only link (a school's own page) would answer 403.
    return any(role in roles and unit is not None and unit.startswith(prefixes) for role, unit in actor.roles)


SYSTEM_ACTOR_NAME = "Hệ thống (tự động)"


@pass_context
def actor_name(context: Context, label: str | None) -> str:
    """Who did it, as a person reads it: a user's full name for "user:<name>", "Hệ thống" for the system
    (in the page's language)."""
    if not label:
        return "—"
    kind, _, name = str(label).partition(":")
    if kind == "user" and name:
        request = context.get("request")
        return _full_name(request, name) if request is not None else name
    if kind in ("system", "service", "device") or label == SYSTEM_SHOWN_NAME:
        return get_translations(context.get("locale") or "vi", "accounts").gettext(SYSTEM_ACTOR_NAME)
    return str(label)


def _full_name(request: Request, username: str) -> str:
    """A user's full name, looked up once per request (a timeline names the same people many times)."""
    names: dict[str, str] | None = getattr(request.state, "actor_names", None)
    if names is None:
        names = request.state.actor_names = {}
    if username not in names:
        user = service.get_user_by_username(get_db(request), username)
        names[username] = (user.full_name or user.username) if user is not None else username
    return names[username]


ENVIRONMENT.filters["actor_name"] = actor_name
