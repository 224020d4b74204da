"""Operational endpoints and problem details (RFC 9457) for every error."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import Conflict, Forbidden, NotFound
from smartcity.web.app import create_app


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    count: int


def _with_sample_routes(app):
    router = APIRouter(prefix="/api/v1/sample")

    @router.post("")
    def create(body: Sample) -> dict:
        return body.model_dump()

    @router.post("/conflict")
    def conflict() -> dict:
        raise Conflict("already there", code="X1")

    app.include_router(router)
    return app


def test_healthz_readyz_metrics(client):
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert "smartcity_http_requests_total" in metrics.text


def test_readyz_is_503_when_database_unreachable(tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key="x" * 32, log_json=False)
    dead = Database("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    with TestClient(create_app(settings, dead)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 503


def test_problem_details_for_bad_input(app):
    client = TestClient(_with_sample_routes(app))
    malformed = client.post(
        "/api/v1/sample", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.headers["content-type"].startswith("application/problem+json")
    wrong_type = client.post("/api/v1/sample", json={"name": "a", "count": "many"})
    body = wrong_type.json()
    assert wrong_type.status_code == 422 and body["status"] == 422
    assert [e["field"] for e in body["errors"]] == ["count"]
    unknown = client.post("/api/v1/sample", json={"name": "a", "count": 1, "extra": 1})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "extra"
    conflict = client.post("/api/v1/sample/conflict")
    assert conflict.status_code == 409 and conflict.json()["code"] == "X1"
    assert conflict.json()["type"].endswith("/conflict")


def test_unknown_route_is_a_problem_or_a_vietnamese_page(client):
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404 and api.json()["title"] == "Not found"
    page = client.get("/nothing-here", headers={"accept": "text/html"})
    assert page.status_code == 404 and "Không tìm thấy trang" in page.text
    english = client.get("/nothing-here?lang=en", headers={"accept": "text/html"})
    assert "Page not found" in english.text


def test_an_error_page_speaks_to_people_not_developers(app):
    """A page shows a Vietnamese detail, never an English one (the API's) or an internal value."""
    router = APIRouter()

    @router.get("/trang-thu/tieng-anh")
    def english() -> dict:
        raise Forbidden("Only the staff of the issuing office may read this document")

    @router.get("/trang-thu/tieng-viet")
    def vietnamese() -> dict:
        raise NotFound("Không tìm thấy hồ sơ sức khỏe của người này.")

    app.include_router(router)
    client = TestClient(app)
    html = {"accept": "text/html"}
    refused = client.get("/trang-thu/tieng-anh", headers=html)
    assert refused.status_code == 403 and "Bạn không có quyền truy cập" in refused.text
    assert "issuing office" not in refused.text
    assert "Tài khoản của bạn không được giao việc này" in refused.text
    missing = client.get("/trang-thu/tieng-viet", headers=html)
    assert missing.status_code == 404 and "Không tìm thấy hồ sơ sức khỏe của người này." in missing.text
    unknown = client.get("/khong-co-trang-nay", headers=html)
    assert "No route" not in unknown.text and "/khong-co-trang-nay" not in unknown.text
    assert "đã được chuyển sang địa chỉ khác" in unknown.text
    api = client.get("/trang-thu/tieng-anh")  # the API keeps the developer's detail
    assert api.json()["detail"] == "Only the staff of the issuing office may read this document"
    in_english = client.get("/trang-thu/tieng-anh?lang=en", headers=html)
    assert "Your account is not given this work" in in_english.text


def test_a_form_mistake_is_named_on_the_page_in_vietnamese_with_a_way_back(app):
    """FastAPI refuses a typed form field before the service sees it: the page names the field by its title
    and says what is wrong in Vietnamese, never pydantic's English or the field's code."""
    router = APIRouter()

    @router.post("/trang-thu/ke-hoach")
    def plan(
        year: Annotated[int, Form(title="Năm kế hoạch", ge=2000)],
        note: Annotated[str, Form(min_length=3)],
    ) -> dict:
        return {"year": year}

    app.include_router(router)
    client = TestClient(app)
    html = {"accept": "text/html", "referer": "http://testserver/trang-thu/mau?nam=2026"}
    page = client.post("/trang-thu/ke-hoach", data={"year": "hai nghìn", "note": "ab"}, headers=html)
    assert page.status_code == 422
    assert "Năm kế hoạch: Phải là một số nguyên." in page.text
    assert "Phải có ít nhất 3 ký tự." in page.text
    assert "Input should be" not in page.text and "year" not in page.text
    assert 'href="/trang-thu/mau?nam=2026"' in page.text, "a way back to the form"
    too_early = client.post("/trang-thu/ke-hoach", data={"year": "1990", "note": "abc"}, headers=html)
    assert "Năm kế hoạch: Phải từ 2000 trở lên." in too_early.text
    elsewhere = {"accept": "text/html", "referer": "https://example.org/form"}
    assert "example.org" not in client.post("/trang-thu/ke-hoach", data={}, headers=elsewhere).text
    api = client.post("/trang-thu/ke-hoach", data={"year": "x", "note": "abc"})  # the API: pydantic
    assert api.json()["errors"][0]["field"] == "year"


def test_a_busy_embedded_database_asks_to_retry_in_a_moment_not_a_server_fault(app):
    """SQLite's "database is locked" (another writer held it past the busy timeout: a bulk import, the demo
    loading) is a 503 with Retry-After and a plain sentence; any other database fault stays a 500."""
    from sqlalchemy.exc import OperationalError

    router = APIRouter()

    @router.post("/trang-thu/ban")
    def busy() -> dict:
        raise OperationalError("DELETE FROM login_failures", {}, Exception("database is locked"))

    @router.post("/trang-thu/hong")
    def broken() -> dict:
        raise OperationalError("SELECT 1", {}, Exception("disk I/O error"))

    app.include_router(router)
    client = TestClient(app, raise_server_exceptions=False)
    page = client.post(
        "/trang-thu/ban", headers={"accept": "text/html", "referer": "http://testserver/login"}
    )
    assert page.status_code == 503 and page.headers["retry-after"] == "5"
    assert "Hệ thống đang bận ghi dữ liệu; vui lòng thử lại sau giây lát." in page.text
    assert 'href="/login">Quay lại để thử lại' in page.text, "a way back to try again"
    api = client.post("/trang-thu/ban")
    assert api.status_code == 503 and api.json()["type"].endswith("/problems/service-unavailable")
    assert client.post("/trang-thu/hong").status_code == 500


def test_no_free_database_connection_is_a_busy_503_in_words_not_a_500(app, caplog):
    """The pool's timeout (every connection in use under a burst of requests) asks to retry in a moment, and
    is logged as one warning line, not an error with a traceback."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    router = APIRouter()

    @router.get("/trang-thu/day")
    def crowded() -> dict:
        raise PoolTimeout(
            "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00"
        )

    app.include_router(router)
    client = TestClient(app, raise_server_exceptions=False)
    with caplog.at_level("WARNING", logger="smartcity.web.problems"):
        page = client.get("/trang-thu/day", headers={"accept": "text/html"})
        english = client.get("/trang-thu/day", headers={"accept": "text/html"}, cookies={"lang": "en"})
        api = client.get("/trang-thu/day")
    assert page.status_code == 503 and page.headers["retry-after"] == "5"
    assert "Hệ thống đang bận; vui lòng thử lại sau giây lát." in page.text
    assert "The system is busy; please try again in a moment." in english.text
    assert (
        api.status_code == 503
        and api.json()["detail"] == "Every database connection is in use; retry shortly."
    )
    assert [r.levelname for r in caplog.records] == ["WARNING"] * 3
    assert not any(r.exc_info for r in caplog.records)


def test_a_logged_error_keeps_its_traceback_but_not_the_frames_variables(capsys):
    """Production's JSON lines carry the exception's type, message and frames; neither format prints the
    frames' local variables (settings, requests, personal data)."""
    import json
    import logging

    from smartcity.core.logging import configure_logging

    def fail(citizen_id: str) -> None:
        raise ValueError("refused")

    citizen_id = "".join(("0791", "23456789"))  # not in the source lines a traceback quotes
    try:
        for json_output in (True, False):
            configure_logging(json_output=json_output)
            try:
                fail(citizen_id)
            except ValueError:
                logging.getLogger("smartcity.test").exception("it failed")
        lines = capsys.readouterr().err.splitlines()
    finally:
        configure_logging(json_output=False)
    record = json.loads(lines[0])
    exception = record["exception"][0]
    assert (exception["exc_type"], exception["exc_value"]) == ("ValueError", "refused")
    assert [frame["name"] for frame in exception["frames"]][-1] == "fail"
    assert any("ValueError: refused" in line for line in lines[1:]), "the console keeps the traceback"
    assert "079123456789" not in "\n".join(lines)


def test_problem_types_are_described_by_the_server(client):
    problem = client.get("/api/v1/nothing-here").json()
    assert problem["type"] == "http://127.0.0.1:8000/problems/not-found"  # the configured base, not Host
    described = client.get("/problems/not-found").json()
    assert described["status"] == 404 and described["title"] == "Not found"
    assert client.get("/problems/no-such-thing").status_code == 404


def test_the_relay_postpones_a_turn_when_the_database_is_busy_and_goes_on(monkeypatch, caplog):
    """A busy embedded database is a warning and a retry, not an error with a traceback; other faults are
    logged as errors; the loop goes on after both."""
    import threading

    from sqlalchemy.exc import OperationalError

    from smartcity.web import app as web_app

    stop = threading.Event()
    faults = [OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked")), RuntimeError("boom")]

    def dispatch(_db):  # type: ignore[no-untyped-def]
        if faults:
            raise faults.pop(0)
        stop.set()
        return 0

    monkeypatch.setattr(web_app.bus, "dispatch_pending", dispatch)
    monkeypatch.setattr(web_app, "run_due_tasks", lambda *_args: {})
    monkeypatch.setattr(stop, "wait", lambda _seconds: stop.is_set())
    with caplog.at_level("WARNING", logger="smartcity.web.app"):
        web_app._relay_loop(object(), stop)  # type: ignore[arg-type]
    levels = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert levels == [
        ("WARNING", "outbox relay postponed: database is locked"),
        ("ERROR", "outbox relay failed"),
    ]
