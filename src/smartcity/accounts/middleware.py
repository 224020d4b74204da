"""Per-request web session work: load the logged-in user for pages and keep a CSRF token in the session."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from smartcity.accounts import service
from smartcity.web.deps import SESSION_CSRF, SESSION_KEY, new_csrf_token
from smartcity.web.problems import API_PREFIXES

SKIPPED_PREFIXES = ("/static/", "/healthz", "/readyz", "/metrics")


class SessionUserMiddleware:
    """Set request.state.user_view, .session_actor and .csrf_token from the session.

    Runs inside Starlette's SessionMiddleware (web/app.py adds that one last, so it wraps this one).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or "session" not in scope or path.startswith(SKIPPED_PREFIXES):
            await self.app(scope, receive, send)
            return
        session: dict[str, Any] = scope["session"]
        state: dict[str, Any] = scope.setdefault("state", {})
        if not path.startswith(API_PREFIXES) and not session.get(SESSION_CSRF):
            session[SESSION_CSRF] = new_csrf_token()
        state["csrf_token"] = session.get(SESSION_CSRF, "")
        state["user_view"] = None
        session_key = session.get(SESSION_KEY)
        if isinstance(session_key, str):
            db = scope["app"].state.db
            view = await run_in_threadpool(service.session_user, db, session_key=session_key)
            if view is None:
                session.pop(SESSION_KEY, None)
            else:
                state["user_view"] = view
                state["session_actor"] = view.actor
        await self.app(scope, receive, send)


MIDDLEWARE = SessionUserMiddleware
