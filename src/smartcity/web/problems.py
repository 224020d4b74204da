"""Error handlers: problem details (RFC 9457) for the APIs, a plain Vietnamese page for people."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as NoConnectionFree
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartcity.core.errors import (
    AppError,
    BadRequest,
    MethodNotAllowed,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
    found_or_404,
    problem_types,
)
from smartcity.web.deps import SignInFirst, login_redirect
from smartcity.web.forms import form_mistakes

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
API_PREFIXES = ("/api/", "/open311/", "/ngsi-ld/", "/ogc/", "/fhir/", "/opendata/", "/metrics", "/readyz")


def wants_page(request: Request) -> bool:
    """True when the error should be shown as a page rather than problem+json."""
    if request.url.path.startswith(API_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


def _field_name(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(location[-1] if location else "body")


def validation_problem(exc: RequestValidationError) -> AppError:
    """Turn FastAPI's validation errors into one 422 naming each field (400 for a malformed body)."""
    errors = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            return BadRequest("The request body is not valid JSON: " + str(error.get("msg", "")))
        errors.append({"field": _field_name(tuple(error.get("loc", ()))), "message": error.get("msg", "")})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return ValidationFailed(detail or "Invalid input", errors=errors)


def page_validation_problem(request: Request, exc: RequestValidationError) -> AppError:
    """The same refusal for a page: each mistake in the page's language (Vietnamese first), beside the
    field's title where the route gives one (`Form(title="Năm kế hoạch")`), never pydantic's English or a
    field's code."""
    error = validation_problem(exc)
    error.page_message = " ".join(form_mistakes(request, exc, _field_titles(request)))
    return error


def _field_titles(request: Request) -> dict[str, str]:
    """The titles the matched route gives its parameters, by name (what a form or query string sends)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    titles: dict[str, str] = {}
    pending = [dependant] if dependant is not None else []
    while pending:
        current = pending.pop()
        pending.extend(current.dependencies)
        for field in (*current.query_params, *current.body_params, *current.path_params):
            if field.field_info.title:
                titles[field.alias] = field.field_info.title
    return titles


def value_out_of_range(request: Request, exc: Exception) -> AppError:
    """A 422 for a value in the request that the database refuses to hold or compare: PostgreSQL's data
    exceptions (a number past bigint or integer, text it cannot store) and SQLite's OverflowError (an integer
    past 64 bits). Both engines then answer alike, and the cause stays in the log."""
    from smartcity.core.i18n import get_translations
    from smartcity.web.templating import request_locale

    log.warning("value refused by the database on %s %s: %s", request.method, request.url.path, exc)
    detail = get_translations(request_locale(request), "web").gettext(
        "Một giá trị gửi lên vượt quá mức hệ thống lưu được (có thể là số quá lớn); vui lòng kiểm tra lại."
    )
    return ValidationFailed(detail, errors=[{"field": "request", "message": detail}])


BUSY_RETRY_SECONDS = 5


def database_busy(exc: OperationalError) -> bool:
    """SQLite's "database is locked": another writer held the embedded database longer than the busy
    timeout (a bulk import, the demo loading). Nothing was written; the same request will pass shortly."""
    return "database is locked" in str(exc.orig)


BUSY_SENTENCE = "Hệ thống đang bận; vui lòng thử lại sau giây lát."


def busy_error(
    request: Request,
    detail: str = "The database is busy with another write; retry shortly.",
    sentence: str = "Hệ thống đang bận ghi dữ liệu; vui lòng thử lại sau giây lát.",
) -> AppError:
    """A 503 with Retry-After, saying in the request's language to try again in a moment."""
    from smartcity.core.i18n import get_translations
    from smartcity.web.templating import request_locale

    sentence = get_translations(request_locale(request), "web").gettext(sentence)
    error = ServiceUnavailable(detail, headers={"Retry-After": str(BUSY_RETRY_SECONDS)})
    error.page_message = sentence
    return error


def problem_response(request: Request, error: AppError) -> Response:
    """Render `error` for this request, as a page or as problem details."""
    if wants_page(request):
        from smartcity.web.templating import render

        page = render(
            request, "error.html", {"error": error, "back": _page_before(request)}, status_code=error.status
        )
        page.headers.update(error.headers)  # Retry-After, WWW-Authenticate: a page's too
        return page
    return JSONResponse(
        error.to_problem(instance=request.url.path, base_url=_canonical_base(request)),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers=error.headers,
    )


def _page_before(request: Request) -> str | None:
    """The page of this site the person came from (its path and query), to go back and correct a form."""
    referer = urlsplit(request.headers.get("referer", ""))
    if not referer.path.startswith("/") or referer.netloc not in ("", request.url.netloc):
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")


def _canonical_base(request: Request) -> str:
    """The platform's configured address (problem type URIs never echo the Host header)."""
    settings = request.app.state.settings
    return str(settings.public_base_url).rstrip("/") + "/"


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers so that no error leaves the app as anything but a problem or a page."""

    @app.get("/problems/{slug}", tags=["operations"], summary="What a problem type means")
    def describe_problem(slug: str) -> dict[str, Any]:
        kind = found_or_404(problem_types().get(slug), f"No problem type {slug!r}")
        return {
            "type": slug,
            "title": kind.title,
            "status": kind.status,
            "description": (kind.__doc__ or "").strip(),
        }

    @app.exception_handler(SignInFirst)
    async def _sign_in_first(request: Request, exc: SignInFirst) -> Response:
        return login_redirect(exc.path)

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return problem_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if wants_page(request):
            return problem_response(request, page_validation_problem(request, exc))
        return problem_response(request, validation_problem(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        error: AppError
        if exc.status_code == 404:
            error = NotFound(str(exc.detail) if exc.detail != "Not Found" else f"No route {request.url.path}")
        elif exc.status_code == 405:
            error = MethodNotAllowed(f"{request.method} is not accepted at {request.url.path}.")
        else:
            error = AppError(str(exc.detail))
            error.status, error.title = exc.status_code, str(exc.detail)
        error.headers.update(exc.headers or {})
        return problem_response(request, error)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _value_the_database_refuses(request: Request, exc: Exception) -> Response:
        return problem_response(request, value_out_of_range(request, exc))

    @app.exception_handler(OperationalError)
    async def _database_busy(request: Request, exc: OperationalError) -> Response:
        if not database_busy(exc):
            return await _unexpected(request, exc)
        log.warning("database busy on %s %s: %s", request.method, request.url.path, exc.orig)
        return problem_response(request, busy_error(request))

    @app.exception_handler(NoConnectionFree)
    async def _every_connection_in_use(request: Request, exc: NoConnectionFree) -> Response:
        log.warning("no database connection free on %s %s: %s", request.method, request.url.path, exc)
        detail = "Every database connection is in use; retry shortly."
        return problem_response(
            request, busy_error(request, detail, "Hệ thống đang bận; vui lòng thử lại sau giây lát.")
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, AppError("An unexpected error occurred; it has been logged."))
