"""The shell's HTTP defences: body limits refused early, security headers, no Host header echoed, values the
databases cannot hold refused alike on both engines."""

from __future__ import annotations

import asyncio

import pytest

from smartcity.web.middleware import BodyLimit

FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_a_body_declared_too_large_is_refused_before_it_is_read(client):
    response = client.post(
        "/api/v1/auth/token",
        content=b"x" * 10,
        headers={"content-length": str(50 << 20), "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 413


def test_a_streamed_body_is_cut_off_as_soon_as_it_passes_the_limit():
    """Chunked bodies carry no length: the middleware counts and stops reading at the limit."""
    read_chunks = []

    async def app(scope, receive, send):
        while True:
            message = await receive()
            read_chunks.append(len(message.get("body", b"")))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    chunks = [{"type": "http.request", "body": b"x" * 1024, "more_body": True} for _ in range(1000)]
    sent: list[dict] = []

    async def receive():
        return chunks.pop(0)

    async def send(message):
        sent.append(message)

    limited = BodyLimit(app, default_bytes=4096, upload_bytes=8192)
    scope = {"type": "http", "method": "POST", "path": "/api/v1/x", "headers": []}
    asyncio.run(limited(scope, receive, send))
    assert sent[0]["status"] == 413
    assert len(read_chunks) == 4  # the fifth kilobyte passes 4096 and is never handed to the app
    assert len(chunks) == 995


def test_uploads_get_their_own_larger_limit():
    limited = BodyLimit(lambda *a: None, default_bytes=1000, upload_bytes=5000, limits={"/fhir/": 9000})
    form = {"type": "http", "path": "/x", "headers": [(b"content-type", b"multipart/form-data; boundary=a")]}
    assert limited.limit_for(form) == 5000
    assert limited.limit_for({"type": "http", "path": "/x", "headers": []}) == 1000
    assert limited.limit_for({"type": "http", "path": "/fhir/R4/Patient", "headers": []}) == 9000


def test_every_response_carries_the_security_headers(client):
    for path in ("/", "/healthz", "/api/v1/city/units"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert "x-request-id" in headers
        assert "strict-transport-security" not in headers  # not over plain HTTP by default


@pytest.mark.parametrize("host", ["evil.example", "attacker.test:666"])
def test_problem_types_never_echo_the_host_header(client, host):
    body = client.get("/api/v1/no-such-thing", headers={"host": host}).json()
    assert host not in body["type"]
    assert body["type"].startswith("http://127.0.0.1:8000/")


def test_secure_cookies_setting_marks_the_session_cookie_secure_and_sends_hsts(settings, db):
    from fastapi.testclient import TestClient

    from smartcity.web.app import create_app

    settings.secure_cookies = True
    with TestClient(create_app(settings, db), base_url="https://testserver") as secure:
        response = secure.get("/login")
        assert "max-age=31536000" in response.headers["strict-transport-security"]
        cookie = response.headers.get("set-cookie", "")
        assert "secure" in cookie.lower()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/staff", "/can-bo"),
        ("/staff/feedback/console?x=1", "/can-bo/phan-anh/tong-dai?x=1"),
        ("/staff/feedback/r/ABC/accept", "/can-bo/phan-anh/r/ABC/accept"),
        ("/iot/devices/SL-0001", "/can-bo/thiet-bi/SL-0001"),
        ("/iot/alarms", "/can-bo/canh-bao-thiet-bi"),
        ("/staff/gis/ban-do-chinh-sua", "/can-bo/ban-do-chinh-sua"),
    ],
)
def test_moved_staff_pages_redirect_permanently(client, old, new):
    response = client.get(old, follow_redirects=False)
    assert response.status_code == 308 and response.headers["location"] == new
    assert client.get("/staffing", follow_redirects=False).status_code == 404  # only whole path segments


def test_a_wrong_method_is_a_405_problem_of_its_own_type(client):
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert response.json()["type"].endswith("/problems/method-not-allowed")
    assert "allow" in {k.lower() for k in response.headers}


def _nested(levels: int) -> object:
    """A value nested `levels` deep in arrays and objects, alternately."""
    value: object = "lá"
    for level in range(levels):
        value = [value] if level % 2 else {"v": value}
    return value


def test_json_nesting_is_counted_on_the_bytes_with_strings_skipped():
    import json

    from smartcity.web.middleware import json_nesting_exceeds

    assert not json_nesting_exceeds(json.dumps(_nested(32)).encode(), 32)
    assert json_nesting_exceeds(json.dumps(_nested(33)).encode(), 32)
    assert not json_nesting_exceeds(json.dumps({"text": "[" * 100 + '\\"{' * 50}).encode(), 32)
    assert json_nesting_exceeds(b"[" * 5000, 32)  # unclosed: a parser would recurse before failing
    assert not json_nesting_exceeds(b"[]" * 10_000, 32)  # wide is not deep


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/ngsi-ld/v1/entities", "application/ld+json"), ("/api/v1/feedback/reports", "application/json")],
)
def test_a_deeply_nested_json_body_is_a_400_problem_in_the_requests_language(client, path, content_type):
    """Deep NGSI-LD bodies drove the parser into RecursionError (500); the edge now refuses them first."""
    import json

    deep = {
        "id": "urn:ngsi-ld:Device:deep",
        "type": "Device",
        "note": {"type": "Property", "value": _nested(40)},
    }
    if path.startswith("/api/"):
        deep = {"category_code": "ha-tang", "description": "Ổ gà lớn", "attributes": _nested(40)}
    for levels, body in (("40", deep), ("5000", "[" * 5000 + "]" * 5000)):
        payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        answer = client.post(path, content=payload, headers={"content-type": content_type})
        assert answer.status_code == 400, levels
        assert answer.headers["content-type"] == "application/problem+json"
        assert (
            answer.json()["detail"] == "Dữ liệu JSON lồng nhau quá 32 cấp; vui lòng gửi dữ liệu ít cấp hơn."
        )
    english = client.post(
        f"{path}?lang=en", content=json.dumps(deep).encode(), headers={"content-type": content_type}
    )
    assert english.status_code == 400
    assert (
        english.json()["detail"] == "The JSON body is nested deeper than 32 levels; please send flatter data."
    )
    shallow = dict(deep, note=_nested(20)) if "id" in deep else dict(deep, attributes=_nested(20))
    passed = client.post(path, content=json.dumps(shallow).encode(), headers={"content-type": content_type})
    assert passed.status_code != 400 and passed.status_code < 500  # the route got the body and judged it


NUL_REFUSED = "Dữ liệu gửi lên có một ký tự rỗng (mã U+0000) không hợp lệ; vui lòng xoá ký tự đó rồi gửi lại."
NUL_REFUSED_EN = (
    "The request contains an empty character (code U+0000), which is not allowed; "
    "please remove it and send again."
)


def test_text_with_the_nul_character_is_refused_at_the_edge_on_both_engines(client):
    """PostgreSQL cannot hold U+0000 in text: a filter, a path or a body carrying it was a 500 there (found by
    fuzzing on PostgreSQL) and stored on SQLite. Now both refuse it with a 400 before any handler runs."""
    report = {"category_code": "ha-tang", "description": "Ổ gà\u0000lớn", "lat": 10.78, "lon": 106.7}
    refused = [
        client.get("/api/v1/feedback/reports?category=ha%00tang"),
        client.get("/api/v1/ioc/incidents?type=%00"),
        client.get("/api/v1/feedback/reports/PA%00-1"),
        client.post("/api/v1/feedback/reports", json=report),
        client.post("/login", content=b"username=a%00b&password=x", headers=FORM),
    ]
    for answer in refused:
        assert answer.status_code == 400, answer.url
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["detail"] == NUL_REFUSED
    english = client.get("/api/v1/feedback/reports?category=%00&lang=en")
    assert english.json()["detail"] == NUL_REFUSED_EN
    assert client.get("/api/v1/feedback/reports?category=ha-tang").status_code == 200


def test_a_json_backslash_before_u0000_is_text_not_nul():
    from smartcity.web.middleware import text_carries_nul

    assert text_carries_nul(rb'{"a": "x\u0000"}', json_body=True)
    assert text_carries_nul(rb'{"a": "x\\\u0000"}', json_body=True)  # a backslash, then NUL
    assert not text_carries_nul(rb'{"a": "x\\u0000"}', json_body=True)  # a backslash, then "u0000"
    assert not text_carries_nul(b'{"a": "x%00"}', json_body=True)  # JSON text, not a URL encoding
    assert text_carries_nul(b"a=%00", json_body=False) and not text_carries_nul(b"a=%2500", json_body=False)


@pytest.mark.parametrize("number", [2**63, 2**70])
def test_a_number_past_what_the_database_holds_is_a_422_problem(client, number):
    """An id past 64 bits was a 500 on both engines (OverflowError on SQLite, bigint out of range on
    PostgreSQL; found by fuzzing on PostgreSQL): it is a value the request got wrong."""
    for path in (f"/api/v1/investment/projects/{number}", f"/api/v1/feedback/photos/{number}"):
        answer = client.get(path)
        assert answer.status_code == 422, path
        assert answer.json()["type"].endswith("/problems/validation-failed")
        assert "vượt quá mức hệ thống lưu được" in answer.json()["detail"]  # in words, Vietnamese first
    english = client.get(f"/api/v1/investment/projects/{number}", params={"lang": "en"})
    assert "larger than the platform can store" in english.json()["detail"]
    assert client.get(f"/api/v1/investment/projects/{2**63 - 1}").status_code == 404  # the largest id is fine


def test_a_staff_list_asked_for_a_page_far_past_its_end_is_an_empty_page(client, db, settings, monkeypatch):
    """`/can-bo/thong-bao?page=437886250` was a 500 on both engines (an offset past the deepest allowed)."""
    from argon2 import PasswordHasher

    from smartcity.accounts import service as accounts
    from smartcity.core.security import Actor

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    password = "pager horse battery"
    accounts.create_user(
        db, actor=Actor.system("t"), username="pager", password=password, roles=[("operator", None)]
    )
    token = accounts.login_for_token(
        db, settings=settings, username="pager", password=password, client_ip="10.9.9.9"
    ).access_token
    headers = {"Authorization": f"Bearer {token}", "accept": "text/html"}
    assert client.get("/can-bo/thong-bao?page=437886250", headers=headers).status_code == 200
