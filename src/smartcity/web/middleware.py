"""Pure ASGI middleware of the shell: request id and metrics, security headers, request body limits (size;
JSON nesting depth and the NUL character, checked in one read), one database connection for a request's
reads."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartcity.core.db import Database
from smartcity.core.metrics import HTTP_LATENCY, HTTP_REQUESTS

PROBLEM_JSON = b"application/problem+json"
CSP = b"content-security-policy"


class RequestObserver:
    """Give each request an id (X-Request-ID, also in the logs) and count it in the Prometheus metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _header(scope, b"x-request-id") or uuid.uuid4().hex
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
            template = getattr(scope.get("route"), "path", "unmatched")
            HTTP_REQUESTS.labels(scope["method"], template, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], template).observe(time.perf_counter() - started)


class SharedReads:
    """Every read session of a request runs on one pooled connection, taken at its first read and given
    back as soon as the response starts (a streamed body reads on connections of its own)."""

    def __init__(self, app: ASGIApp, *, db: Database) -> None:
        self.app = app
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self.db.shared_reads() as reads:

            async def send_releasing(message: Message) -> None:
                if message["type"] == "http.response.start":
                    reads.release()
                await send(message)

            await self.app(scope, receive, send_releasing)


PAGE_POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),  # no inline script anywhere: page data travels in JSON data blocks
    "worker-src": ("'self'", "blob:"),  # MapLibre starts its workers from a blob: URL
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "frame-ancestors": ("'none'",),
    "form-action": ("'self'",),
    "img-src": ("'self'", "data:", "blob:"),
    "style-src": ("'self'", "'unsafe-inline'"),  # style attributes (colours of legends and bands)
    "connect-src": ("'self'",),  # fetch, EventSource; CSP 3 'self' also covers same-origin WebSocket
}
DOCS_POLICY: dict[str, tuple[str, ...]] = {  # FastAPI's Swagger UI: a CDN bundle started by an inline script
    **PAGE_POLICY,
    "script-src": ("'self'", "https://cdn.jsdelivr.net", "'unsafe-inline'"),
    "style-src": ("'self'", "https://cdn.jsdelivr.net", "'unsafe-inline'"),
    "img-src": ("'self'", "data:", "https://fastapi.tiangolo.com", "https://cdn.jsdelivr.net"),
}


def content_security_policy(policy: dict[str, tuple[str, ...]], map_origins: tuple[str, ...] = ()) -> bytes:
    """The header value of `policy`, letting maps fetch and draw from `map_origins` (an external base map)."""
    directives = []
    for name, sources in policy.items():
        if name in ("connect-src", "img-src"):
            sources = (*sources, *map_origins)
        directives.append(f"{name} {' '.join(sources)}")
    return "; ".join(directives).encode()


class SecurityHeaders:
    """Headers every response carries: a Content-Security-Policy without inline script, no sniffing, no
    framing, no referrer leaks; HSTS over HTTPS. `docs_prefix` and the paths below it (Swagger UI and its
    OAuth2 redirect) get DOCS_POLICY."""

    def __init__(
        self, app: ASGIApp, *, hsts: bool, map_origins: tuple[str, ...] = (), docs_prefix: str | None = None
    ) -> None:
        self.app = app
        self.docs_prefix = docs_prefix
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"x-frame-options", b"DENY"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(self)"),
        ]
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        self.page_headers = [*self.headers, (CSP, content_security_policy(PAGE_POLICY, map_origins))]
        self.docs_headers = [*self.headers, (CSP, content_security_policy(DOCS_POLICY))]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, prefix = scope.get("path", ""), self.docs_prefix
        docs = prefix is not None and (path == prefix or path.startswith(prefix + "/"))
        headers = self.docs_headers if docs else self.page_headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in headers if n not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuse a request body larger than its limit with 413, as soon as it passes it (never read whole).

    `limits` maps a path prefix to bytes (the longest matching prefix wins); multipart bodies (uploads)
    get `upload_bytes` unless a prefix says otherwise; everything else `default_bytes`.
    """

    def __init__(
        self, app: ASGIApp, *, default_bytes: int, upload_bytes: int, limits: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.default_bytes = default_bytes
        self.upload_bytes = upload_bytes
        self.limits = sorted((limits or {}).items(), key=lambda item: -len(item[0]))

    def limit_for(self, scope: Scope) -> int:
        """The body limit of this request."""
        path = scope.get("path", "")
        for prefix, limit in self.limits:
            if path.startswith(prefix):
                return limit
        content_type = _header(scope, b"content-type") or ""
        return self.upload_bytes if content_type.startswith("multipart/") else self.default_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(scope, send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _too_large(scope, send, limit)


class _BodyTooLarge(Exception):
    """The body passed its limit while it was being read."""


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": "Payload too large",
        "status": 413,
        "detail": f"The request body is larger than the {limit:,} bytes this address accepts.",
        "instance": scope.get("path", ""),
    }
    payload = json.dumps(body).encode()
    headers = [(b"content-type", PROBLEM_JSON), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


# A JSON string (escapes included) and the bytes that are neither an opening nor a closing bracket.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_SQUARE_BRACKETS = bytes.maketrans(b"{}", b"[]")


def json_nesting_exceeds(body: bytes, max_depth: int) -> bool:
    """True if the JSON text nests arrays/objects deeper than `max_depth`, counted on the bytes (strings
    skipped) without building the document, in at most `max_depth` passes at the speed of bytes.replace.

    Unclosed brackets count too (a parser recurses into them before it finds the text malformed)."""
    brackets = _JSON_STRING.sub(b"", body).translate(_SQUARE_BRACKETS, _NOT_BRACKETS)
    for _level in range(max_depth):  # each pass removes the innermost level of the closed ones
        inner_removed = brackets.replace(b"[]", b"")
        if inner_removed == brackets:
            break
        brackets = inner_removed
    return b"[]" in brackets or brackets.count(b"[") > max_depth


def _content_type(scope: Scope) -> str:
    return (_header(scope, b"content-type") or "").split(";", 1)[0].strip().lower()


def _is_json(scope: Scope) -> bool:
    content_type = _content_type(scope)
    return content_type in ("", "application/json") or content_type.endswith("+json")


# A JSON escape of U+0000: an odd run of backslashes before u0000 ("\\u0000" is a backslash, then text).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_FORM = "application/x-www-form-urlencoded"


def text_carries_nul(body: bytes, *, json_body: bool) -> bool:
    """True if a JSON body (escaped) or a URL-encoded one (percent-encoded or raw) carries U+0000."""
    if json_body:
        return _JSON_NUL.search(body) is not None
    return b"%00" in body or b"\x00" in body


class TextBodyChecks:
    """Refuse, with a 400 problem in the request's language and before any handler sees the value:
    - a path, query or text body (JSON, URL-encoded form) carrying the NUL character (U+0000): PostgreSQL
      cannot hold it in text (the query or insert failed with a 500) where SQLite would store it;
    - a JSON body nested deeper than `max_depth`, before any parser recurses into it (deep NGSI-LD bodies
      raised RecursionError).

    The body is read once for both checks, and the app then gets the same bytes. Multipart bodies are left
    whole to their handlers (a file may hold NUL bytes). Placed inside BodyLimit, so the body it reads whole
    is already bounded in size."""

    def __init__(self, app: ASGIApp, *, max_depth: int) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or text_carries_nul(scope.get("query_string", b""), json_body=False):
            await _refuse_nul(scope, receive, send)
            return
        json_body = _is_json(scope)
        if scope["method"] in ("GET", "HEAD", "OPTIONS") or not (json_body or _content_type(scope) == _FORM):
            await self.app(scope, receive, send)
            return
        body = await _whole_body(receive)
        if body is None:
            return  # the client went away: nothing to answer
        if json_body and json_nesting_exceeds(body, self.max_depth):
            await _refuse_deep(scope, receive, send, self.max_depth)
        elif text_carries_nul(body, json_body=json_body):
            await _refuse_nul(scope, receive, send)
        else:
            await self.app(scope, _replaying(body, receive), send)


async def _refuse_deep(scope: Scope, receive: Receive, send: Send, max_depth: int) -> None:
    gettext = _words(scope).gettext
    text = gettext("Dữ liệu JSON lồng nhau quá %(levels)s cấp; vui lòng gửi dữ liệu ít cấp hơn.")
    await _refuse(scope, receive, send, text % {"levels": max_depth})


async def _refuse_nul(scope: Scope, receive: Receive, send: Send) -> None:
    gettext = _words(scope).gettext
    text = gettext(
        "Dữ liệu gửi lên có một ký tự rỗng (mã U+0000) không hợp lệ; vui lòng xoá ký tự đó rồi gửi lại."
    )
    await _refuse(scope, receive, send, text, field="request")


async def _whole_body(receive: Receive) -> bytes | None:
    """The request body read whole, None if the client went away first."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then whatever the client sends next."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _words(scope: Scope) -> Any:
    """The web catalogue in the request's language (for the refusals answered here)."""
    from starlette.requests import Request

    from smartcity.core.i18n import get_translations
    from smartcity.web.templating import request_locale

    return get_translations(request_locale(Request(scope)), "web")


async def _refuse(scope: Scope, receive: Receive, send: Send, message: str, field: str = "body") -> None:
    """Answer a 400 problem (or page) with `message`, already in the request's language, about `field`."""
    from starlette.requests import Request

    from smartcity.core.errors import BadRequest
    from smartcity.web.problems import problem_response

    error = BadRequest(message, errors=[{"field": field, "message": message}])
    await problem_response(Request(scope, receive), error)(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class MovedPaths:
    """Pages that moved answer with a permanent redirect (308, so a form's POST survives) to where they are
    now; `moves` maps an old path prefix to the new one (each domain's `views.MOVED`); paths under a `kept`
    prefix (a domain's own files at /<domain>/static) never move, whatever prefix they share with a page."""

    def __init__(self, app: ASGIApp, *, moves: dict[str, str], kept: tuple[str, ...] = ()) -> None:
        self.app = app
        self.moves = sorted(moves.items(), key=lambda item: -len(item[0]))
        self.kept = kept

    def target(self, path: str) -> str | None:
        """The new path of `path`, None when it did not move."""
        if any(path == prefix or path.startswith(prefix + "/") for prefix in self.kept):
            return None
        for old, new in self.moves:
            if path == old or path.startswith(old + "/"):
                return new + path[len(old) :]
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = self.target(scope.get("path", "")) if scope["type"] == "http" else None
        if target is None:
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        location = target + (f"?{query}" if query else "")
        headers = [(b"location", location.encode("latin-1")), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 308, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
