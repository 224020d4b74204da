"""The application factory: one FastAPI app with every domain's API and pages."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.middleware.sessions import SessionMiddleware

from smartcity import __version__
from smartcity.core.config import Settings, get_settings
from smartcity.core.db import Database
from smartcity.core.errors import ServiceUnavailable
from smartcity.core.malware import scanner_for
from smartcity.core.metrics import render_latest
from smartcity.core.outbox import bus
from smartcity.core.scheduler import run_due_tasks
from smartcity.domains import DOMAINS, collect, periodic_tasks, register_handlers
from smartcity.web.middleware import (
    BodyLimit,
    MovedPaths,
    RequestObserver,
    SecurityHeaders,
    SharedReads,
    TextBodyChecks,
)
from smartcity.web.problems import PROBLEM_JSON, install_problem_handlers
from smartcity.web.ratelimit import RateLimit
from smartcity.web.routing import guard_included_routers

STATIC_DIR = Path(__file__).resolve().parent / "static"


class Alive(BaseModel):
    """What /healthz answers."""

    status: str
    version: str


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    """Build the web/API application for these settings (and this database, if given)."""
    settings = settings or get_settings()
    scanner_for(settings)  # refuse to start with an unknown scanner, or with `none` in production unaccepted
    if db is None:
        db = Database(settings.resolved_database_url, dispatch_inline=settings.dispatch_inline)
    db.bind_settings(settings)
    register_handlers()
    app = FastAPI(
        lifespan=_lifespan,
        title="Nền tảng đô thị thông minh — Smart-city platform",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db
    install_problem_handlers(app)
    for _domain, middleware in collect("middleware", "MIDDLEWARE"):
        app.add_middleware(middleware)
    app.add_middleware(SharedReads, db=db)  # outside the domains' middleware: their reads share it too
    app.add_middleware(RateLimit, settings=settings)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key,
        session_cookie="smartcity_session",
        same_site="lax",
        https_only=settings.secure_cookies,
        max_age=12 * 3600,
    )
    app.add_middleware(TextBodyChecks, max_depth=settings.max_json_depth)  # inside BodyLimit: size first
    app.add_middleware(
        BodyLimit,
        default_bytes=settings.max_body_bytes,
        upload_bytes=settings.max_upload_bytes,
        limits=settings.body_limits,
    )
    files = tuple(f"/{domain}/static" for domain, _folder in domain_static_folders())
    app.add_middleware(MovedPaths, moves=_moved_paths(), kept=files)
    app.add_middleware(
        SecurityHeaders,
        hsts=settings.secure_cookies,
        map_origins=_map_origins(settings),
        docs_prefix=app.docs_url,
    )
    app.add_middleware(RequestObserver)
    _add_operational_routes(app)
    for _domain, router in collect("api", "router"):
        app.include_router(router)
    for _domain, router in collect("views", "router"):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for domain, folder in domain_static_folders():
        app.mount(f"/{domain}/static", StaticFiles(directory=folder), name=f"{domain}-static")
    guard_included_routers(app.router)  # a path skips the routers it cannot reach (same matches as without)
    return app


def _map_origins(settings: Settings) -> tuple[str, ...]:
    """The origins an external base map loads its style, tiles, glyphs and sprites from (for the CSP)."""
    origins = [*settings.map_origins]
    if settings.base_map_style_url:
        parts = urlsplit(settings.base_map_style_url)
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.insert(0, f"{parts.scheme}://{parts.netloc}")
    return tuple(dict.fromkeys(origins))


def domain_static_folders() -> list[tuple[str, Path]]:
    """Each domain's `static/` folder (its pages' scripts and styles), served at /<domain>/static/."""
    package = STATIC_DIR.parent.parent
    return [
        (domain, package / domain / "static") for domain in DOMAINS if (package / domain / "static").is_dir()
    ]


def _moved_paths() -> dict[str, str]:
    """Every domain's moved pages (`views.MOVED`: old path prefix → new one)."""
    moves: dict[str, str] = {}
    for _domain, table in collect("views", "MOVED"):
        moves.update(table)
    return moves


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the in-process outbox relay when configured (the all-in-one demo)."""
    stop = threading.Event()
    thread = None
    if app.state.settings.worker_in_process:
        thread = threading.Thread(target=_relay_loop, args=(app.state.db, stop), daemon=True, name="relay")
        thread.start()
    yield
    stop.set()
    if thread is not None:
        thread.join(timeout=5)


def _relay_loop(db: Database, stop: threading.Event) -> None:
    tasks, intervals = periodic_tasks()
    while not stop.is_set():
        try:
            handled = bus.dispatch_pending(db)
            run_due_tasks(db, tasks, intervals)
        except OperationalError as exc:  # e.g. SQLite busy with another writer: the next turn retries
            logging.getLogger(__name__).warning("outbox relay postponed: %s", exc.orig)
            handled = 0
        except Exception:  # keep relaying after any other error
            logging.getLogger(__name__).exception("outbox relay failed")
            handled = 0
        if not handled:
            stop.wait(1.0)


def _add_operational_routes(app: FastAPI) -> None:
    alive = json.dumps({"status": "ok", "version": __version__}).encode()

    @app.get("/healthz", tags=["operations"], summary="The process is alive", response_model=Alive)
    def healthz() -> Response:
        # Its body built once: no response validation or encoding per probe. A plain `def`: measured
        # faster than `async def` under the bench's keep-alive clients (bench/http_bench.py).
        return Response(alive, media_type="application/json")

    @app.get("/readyz", tags=["operations"], summary="The process can serve: its database answers")
    def readyz(request: Request) -> Response:
        try:
            request.app.state.db.ping()
        except Exception as exc:  # any failure to reach the database means not ready
            error = ServiceUnavailable(f"The database cannot be reached: {type(exc).__name__}")
            problem = error.to_problem(
                instance="/readyz", base_url=str(request.app.state.settings.public_base_url).rstrip("/") + "/"
            )
            return JSONResponse(problem, status_code=503, media_type=PROBLEM_JSON)
        return JSONResponse({"status": "ready", "database": request.app.state.db.dialect})

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", include_in_schema=False)
    def metrics() -> Response:
        body, content_type = render_latest()
        return Response(body, media_type=content_type)
