"""POST /api/v1/auth/token and GET /api/v1/auth/me: the token flow, failures without hints, throttling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from itsdangerous import TimestampSigner
from sqlalchemy import select

from smartcity.accounts import service
from smartcity.accounts.models import LoginFailure
from tests.accounts.conftest import PASSWORD, SYSTEM

TOKEN_URL = "/api/v1/auth/token"


def _login(client, username: str, password: str):
    return client.post(TOKEN_URL, data={"grant_type": "password", "username": username, "password": password})


def test_token_flow(client, make_user, settings):
    make_user("clerk.a", ("clerk", None), full_name="Trần Thị B")
    response = _login(client, "clerk.a", PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == settings.access_token_minutes * 60
    assert response.headers["cache-control"] == "no-store"
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}).json()
    assert me["name"] == "clerk.a" and me["full_name"] == "Trần Thị B"
    assert me["roles"] == [{"role": "clerk", "org_unit_code": None}] and me["csrf_token"] is None


def test_wrong_username_and_wrong_password_look_the_same(client, make_user, monkeypatch):
    make_user("real.user")
    calls: list[str] = []

    class SpyHasher(PasswordHasher):
        def verify(self, hash, password):  # type: ignore[no-untyped-def]
            calls.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(service, "_hasher", SpyHasher(time_cost=1, memory_cost=1024, parallelism=1))
    wrong_password = _login(client, "real.user", "not the password")
    wrong_username = _login(client, "nobody.here", "not the password")
    for response in (wrong_password, wrong_username):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"].startswith("application/problem+json")
    strip = lambda r: {k: v for k, v in r.json().items() if k != "instance"}  # noqa: E731
    assert strip(wrong_password) == strip(wrong_username)
    assert len(calls) == 2, "a missing user is still checked against a (dummy) hash"


def test_token_request_errors_are_problems(client, make_user):
    make_user("someone")
    bad_grant = client.post(
        TOKEN_URL, data={"grant_type": "client_credentials", "username": "someone", "password": PASSWORD}
    )
    assert bad_grant.status_code == 400 and bad_grant.json()["error"] == "unsupported_grant_type"
    missing = client.post(TOKEN_URL, data={"grant_type": "password"})
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} == {"username", "password"}
    assert client.post(TOKEN_URL, json={"x": 1}).status_code == 422


def test_expired_or_forged_token_is_401(client, make_user, bearer, monkeypatch, settings):
    make_user("expiring")
    headers = bearer("expiring")
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    later = TimestampSigner.get_timestamp(TimestampSigner("x")) + settings.access_token_minutes * 60 + 5
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401 and "invalid_token" in response.headers["www-authenticate"]
    forged = {"Authorization": headers["Authorization"][:-3] + "abc"}
    assert client.get("/api/v1/auth/me", headers=forged).status_code == 401


def test_deactivated_users_token_stops_working(client, make_user, bearer):
    user = make_user("leaving", ("specialist", None))
    headers = bearer("leaving")
    service.deactivate_user(client.app.state.db, actor=SYSTEM, user_id=user.id)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def _age_failures(db, seconds: int) -> None:
    with db.write_session() as s:
        for failure in s.scalars(select(LoginFailure)):
            failure.at -= timedelta(seconds=seconds)


def test_repeated_failures_are_throttled_with_growing_retry_after(client, db, make_user, settings):
    make_user("target")
    for _ in range(settings.login_max_failures):
        assert _login(client, "target", "guess").status_code == 401
    throttled = _login(client, "target", PASSWORD)
    assert throttled.status_code == 429
    first_wait = int(throttled.headers["retry-after"])
    assert 0 < first_wait <= settings.login_lockout_seconds
    assert throttled.json()["retry_after"] == first_wait
    _age_failures(db, settings.login_lockout_seconds + 1)
    assert _login(client, "target", "guess again").status_code == 401
    second = _login(client, "target", PASSWORD)
    assert second.status_code == 429 and int(second.headers["retry-after"]) > first_wait
    _age_failures(db, 10 * settings.login_lockout_seconds)
    assert _login(client, "target", PASSWORD).status_code == 200
    assert _login(client, "target", "one more slip").status_code == 401, "success cleared the count"


def _fail(db, settings, name, address, times):
    for _ in range(times):
        with pytest.raises(service.Unauthorized):
            service.authenticate(db, settings=settings, username=name, password="wrong", client_ip=address)


def test_failures_slow_the_failing_address_but_not_the_rightful_user_elsewhere(db, settings, make_user):
    """Issue 14: five wrong passwords used to block the account for every address (lock-out as DoS)."""
    make_user("victim")
    _fail(db, settings, "victim", "10.0.0.1", settings.login_max_failures)
    with pytest.raises(service.TooManyRequests):  # the attacker's address waits, even with the password
        service.authenticate(
            db, settings=settings, username="victim", password=PASSWORD, client_ip="10.0.0.1"
        )
    # the rightful user, from an address that has not been failing, still gets in
    ok = service.authenticate(
        db, settings=settings, username="victim", password=PASSWORD, client_ip="10.7.7.7"
    )
    assert ok.actor.name == "victim"


def test_an_address_sharing_colleagues_are_not_blocked_by_one_persons_failures(db, settings, make_user):
    """Issue 14: five failures from one address used to block that address for everyone."""
    make_user("careless")
    make_user("colleague")
    _fail(db, settings, "careless", "10.0.0.1", settings.login_max_failures)
    ok = service.authenticate(
        db, settings=settings, username="colleague", password=PASSWORD, client_ip="10.0.0.1"
    )
    assert ok.actor.name == "colleague"


def test_the_account_delay_also_holds_an_attacker_spread_over_failing_addresses(db, settings, make_user):
    make_user("victim")
    for i in range(settings.login_max_failures):
        _fail(db, settings, "victim", f"10.0.1.{i}", 1)
    with pytest.raises(service.TooManyRequests) as raised:  # 10.0.1.0 has been failing: it waits
        service.authenticate(
            db, settings=settings, username="victim", password=PASSWORD, client_ip="10.0.1.0"
        )
    assert int(raised.value.headers["Retry-After"]) >= 1


def test_the_delay_grows_with_failures_and_is_capped(db, settings):
    from datetime import timedelta

    from smartcity.accounts.config import AccountsSettings
    from smartcity.accounts.service.login import _delay

    settings.set_section(AccountsSettings(max_delay_seconds=120))
    from smartcity.core.db import utcnow

    now = utcnow()
    waits = [_delay(settings, n, now, threshold=5, now=now) for n in range(4, 12)]
    assert waits[0] == 0 and waits[1] == settings.login_lockout_seconds
    assert waits == sorted(waits) and waits[-1] == 120
    assert _delay(settings, 9, now - timedelta(seconds=121), threshold=5, now=now) == 0


def test_spraying_many_accounts_from_one_address_is_slowed(db, settings, make_user):
    from smartcity.accounts.config import AccountsSettings

    settings.set_section(AccountsSettings(spray_failures=8))
    make_user("someone")
    for i in range(8):
        _fail(db, settings, f"user{i}", "10.0.0.9", 1)
    with pytest.raises(service.TooManyRequests):
        service.authenticate(
            db, settings=settings, username="someone", password=PASSWORD, client_ip="10.0.0.9"
        )
