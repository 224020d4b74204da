"""Per-client rate limits on public writes: 429 with Retry-After, as problem+json or a Vietnamese page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from smartcity.accounts.config import AccountsSettings
from smartcity.web.ratelimit import RateLimit, RateLimitSettings, RateRule

PROXY = "10.0.0.5"


@pytest.fixture
def limited(settings, db):
    """Build an app whose rules allow `n` requests a minute (sign-in, reports, lookup, uploads)."""
    from smartcity.web.app import create_app

    def build(n: int, peer: str = "203.0.113.7") -> TestClient:
        defaults = RateLimitSettings().rules
        rules = {
            name: RateRule(limit=f"{n}/minute", routes=r.routes, uploads=r.uploads)
            for name, r in defaults.items()
        }
        settings.set_section(RateLimitSettings(rules=rules))
        settings.set_section(AccountsSettings(trusted_proxies=[PROXY]))
        return TestClient(create_app(settings, db), client=(peer, 50000))

    return build


def test_anonymous_report_submission_is_refused_past_the_limit_with_retry_after(limited):
    client = limited(3)
    answers = [client.post("/api/v1/feedback/reports", json={}).status_code for _ in range(4)]
    assert answers[:3] == [422, 422, 422]  # counted even when the body is refused
    refused = client.post("/api/v1/feedback/reports", json={})
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["status"] == 429
    assert "thử lại" in refused.json()["detail"]


def test_each_rule_counts_on_its_own_and_other_routes_are_not_limited(limited):
    client = limited(2)
    for _ in range(2):
        client.post("/api/v1/feedback/reports", json={})
    assert client.post("/api/v1/feedback/reports", json={}).status_code == 429
    assert client.post("/api/v1/dossiers/lookup", json={}).status_code == 422  # another rule's budget
    assert client.get("/api/v1/feedback/reports").status_code != 429
    assert client.get("/healthz").status_code == 200


def test_sign_in_form_gets_a_vietnamese_page_when_limited(limited):
    client = limited(2)
    form = {"username": "ai-do", "password": "sai mat khau"}
    for _ in range(2):
        client.post("/login", data=form, headers={"accept": "text/html"})
    page = client.post("/login", data=form, headers={"accept": "text/html"})
    assert page.status_code == 429
    assert page.headers["content-type"].startswith("text/html")
    assert "Bạn thao tác quá nhanh, vui lòng thử lại sau" in page.text
    assert "retry-after" in page.headers
    token = client.post("/api/v1/auth/token", data=form)
    assert token.status_code == 429  # the API and the form share the sign-in budget


def test_dossier_lookup_by_code_is_limited(limited):
    client = limited(2)
    for _ in range(2):
        assert (
            client.post("/api/v1/dossiers/lookup", json={"code": "X", "second_factor": "1"}).status_code
            != 429
        )
    assert client.post("/api/v1/dossiers/lookup", json={"code": "X", "second_factor": "1"}).status_code == 429


def test_uploads_are_counted_on_every_route(limited):
    client = limited(2)
    files = {"photos": ("a.jpg", b"not really a jpeg", "image/jpeg")}
    for _ in range(2):
        assert client.post("/api/v1/feedback/reports/PA-X/photos", files=files).status_code != 429
    assert client.post("/api/v1/dossiers/D-1/files", files=files).status_code == 429


def test_clients_behind_a_trusted_proxy_are_counted_apart_and_untrusted_forwarding_is_ignored(limited):
    through_proxy = limited(1, peer=PROXY)
    first = {"x-forwarded-for": "198.51.100.1"}
    second = {"x-forwarded-for": "198.51.100.2"}
    assert through_proxy.post("/api/v1/feedback/reports", json={}, headers=first).status_code == 422
    assert through_proxy.post("/api/v1/feedback/reports", json={}, headers=first).status_code == 429
    assert through_proxy.post("/api/v1/feedback/reports", json={}, headers=second).status_code == 422

    direct = limited(1, peer="203.0.113.9")
    assert direct.post("/api/v1/feedback/reports", json={}, headers=first).status_code == 422
    assert direct.post("/api/v1/feedback/reports", json={}, headers=second).status_code == 429


def test_rules_match_method_and_path_patterns_and_multipart_bodies(settings):
    middleware = RateLimit(lambda *a: None, settings=settings)

    def names(method: str, path: str, content_type: bytes = b"application/json") -> list[str]:
        scope = {"method": method, "path": path, "headers": [(b"content-type", content_type)]}
        return [name for name, _item in middleware.rules_for(scope)]

    assert names("POST", "/open311/v2/requests.json") == ["reports"]
    assert names("GET", "/open311/v2/requests.json") == []
    assert names("POST", "/api/v1/feedback/reports/PA-1/assign") == []
    assert names("POST", "/phan-anh/gui", b"multipart/form-data; boundary=x") == ["reports", "uploads"]
    assert names("POST", "/fhir/R4/auth/token") == ["sign-in"]
