"""Issue 14 findings in the accounts domain: the last administrator, tokens checked everywhere."""

from __future__ import annotations

import pytest

from smartcity.accounts import service
from smartcity.core.errors import Forbidden
from smartcity.core.security import Actor

PASSWORD = "correct horse battery"
SYSTEM = Actor.system("test")


def _admin(db, settings, name):
    user = service.create_user(db, actor=SYSTEM, username=name, password=PASSWORD, roles=[("admin", None)])
    actor = service.authenticate(db, settings=settings, username=name, password=PASSWORD, client_ip="x").actor
    return user, actor


def test_an_administrator_cannot_deactivate_themself(db, settings):
    user, actor = _admin(db, settings, "boss")
    _admin(db, settings, "deputy")
    with pytest.raises(Forbidden):
        service.deactivate_user(db, actor=actor, user_id=user.id)
    assert service.get_user(db, user.id).is_active


def test_the_last_administrator_cannot_be_deactivated_or_lose_the_role(db, settings):
    boss, _ = _admin(db, settings, "boss")
    deputy, deputy_actor = _admin(db, settings, "deputy")
    service.deactivate_user(db, actor=deputy_actor, user_id=boss.id)  # another admin remains: allowed
    with pytest.raises(service.Conflict):
        service.deactivate_user(db, actor=SYSTEM, user_id=deputy.id)
    assignment = service.get_user(db, deputy.id).roles[0]
    with pytest.raises(service.Conflict):
        service.revoke_role(db, actor=SYSTEM, user_id=deputy.id, assignment_id=assignment.id)
    assert service.get_user(db, deputy.id).is_active


def test_an_administrator_cannot_revoke_their_own_admin_role(db, settings):
    boss, actor = _admin(db, settings, "boss")
    _admin(db, settings, "deputy")
    with pytest.raises(Forbidden):
        service.revoke_role(
            db, actor=actor, user_id=boss.id, assignment_id=service.get_user(db, boss.id).roles[0].id
        )


def test_deactivating_yourself_over_the_api_is_refused_with_a_problem(client, db, settings):
    boss, _ = _admin(db, settings, "boss")
    _admin(db, settings, "deputy")
    token = service.login_for_token(db, settings=settings, username="boss", password=PASSWORD, client_ip="x")
    response = client.post(
        f"/api/v1/accounts/users/{boss.id}/deactivate",
        headers={"Authorization": f"Bearer {token.access_token}"},
    )
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", ["/api/v1/city/units", "/api/v1/city/units/nonexistent"])
def test_a_bad_bearer_token_gets_401_on_the_city_api(client, path):
    """Issue 14: /api/v1/city/units answered 200 to a forged token instead of refusing it."""
    response = client.get(path, headers={"Authorization": "Bearer forged.token.value"})
    assert response.status_code == 401
    assert client.get("/api/v1/city/units").status_code == 200  # without credentials it stays public


def _address(settings, peer, forwarded):
    return service.client_address(settings, peer=peer, headers={"x-forwarded-for": forwarded})


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_configured_proxy(settings):
    """Issue 14: X-Forwarded-For was believed from any local address."""
    from smartcity.accounts.config import AccountsSettings

    assert _address(settings, "127.0.0.1", "203.0.113.9") == "127.0.0.1"  # nobody trusted by default
    settings.set_section(AccountsSettings(trusted_proxies=["10.0.0.0/8"]))
    assert _address(settings, "127.0.0.1", "203.0.113.9") == "127.0.0.1"  # local, but not listed
    assert _address(settings, "10.1.2.3", "203.0.113.9") == "203.0.113.9"
    # a client cannot hide behind a forged left-most entry: the right-most untrusted hop is the client
    assert _address(settings, "10.1.2.3", "1.1.1.1, 203.0.113.9, 10.4.4.4") == "203.0.113.9"
    assert _address(settings, "10.1.2.3", "not-an-ip") == "10.1.2.3"


def test_sign_in_throttling_uses_the_forwarded_address_only_from_a_trusted_proxy(client, db, settings):
    """Spoofed X-Forwarded-For must not let an attacker escape the per-address delay."""
    service.create_user(db, actor=SYSTEM, username="victim", password=PASSWORD)

    def login(password, forwarded):
        return client.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": "victim", "password": password},
            headers={"X-Forwarded-For": forwarded},
        )

    for i in range(settings.login_max_failures):
        assert login("wrong", f"198.51.100.{i}").status_code == 401
    assert login(PASSWORD, "198.51.100.200").status_code == 429  # the peer is the failing address


def test_signing_out_revokes_the_bearer_token(client, db, settings):
    """Issue 14: bearer tokens stayed valid after sign-out."""
    service.create_user(db, actor=SYSTEM, username="citizen1", password=PASSWORD)
    token = service.login_for_token(
        db, settings=settings, username="citizen1", password=PASSWORD, client_ip="x"
    )
    headers = {"Authorization": f"Bearer {token.access_token}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_a_password_change_revokes_earlier_tokens(client, db, settings):
    user = service.create_user(db, actor=SYSTEM, username="citizen2", password=PASSWORD)
    token = service.login_for_token(
        db, settings=settings, username="citizen2", password=PASSWORD, client_ip="x"
    )
    service.set_password(db, actor=SYSTEM, user_id=user.id, password="another long passphrase")
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token.access_token}"})
    assert me.status_code == 401


@pytest.mark.parametrize(
    ("password", "roles", "words"),
    [
        ("short-pw1", [], "ít nhất 10"),  # 9 characters: too short for a citizen
        ("eleven-char", [("clerk", None)], "ít nhất 12"),  # enough for a citizen, not for staff
        ("password1234", [], "phổ biến"),  # long enough but in the breached list
        ("newcitizen01", [], "trùng với tên đăng nhập"),
    ],
)
def test_weak_passwords_are_refused_with_a_vietnamese_message(db, password, roles, words):
    """Issue 14: weak passwords were accepted (8 characters, no list)."""
    from smartcity.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as raised:
        service.create_user(db, actor=SYSTEM, username="newcitizen01", password=password, roles=roles)
    assert words in str(raised.value)


def test_the_breached_list_is_shipped_and_complete():
    common = service.common_passwords()
    assert len(common) >= 10_000 and "123456" in common and "password" in common


def test_a_weak_password_on_the_api_is_a_422_problem(client, db, settings):
    _admin(db, settings, "boss")
    token = service.login_for_token(db, settings=settings, username="boss", password=PASSWORD, client_ip="x")
    response = client.post(
        "/api/v1/accounts/users",
        json={"username": "weakling", "password": "qwertyuiop"},
        headers={"Authorization": f"Bearer {token.access_token}"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "phổ biến" in response.text


def test_staff_get_a_one_time_sign_in_link_by_mail(app, client, db, settings):
    """The CAPTCHA-free second path: a throttled staff member signs in through an e-mailed link."""
    import re
    from urllib.parse import urlsplit

    from smartcity.accounts.api import get_mail_sink

    sink = service.RecordingMailSink()
    app.dependency_overrides[get_mail_sink] = lambda: sink
    service.create_user(
        db,
        actor=SYSTEM,
        username="clerk1",
        password=PASSWORD,
        email="clerk1@example.vn",
        roles=[("clerk", None)],
    )
    service.create_user(db, actor=SYSTEM, username="citizen9", password=PASSWORD, email="c9@example.vn")
    for name in ("clerk1", "citizen9", "nobody"):
        response = client.post("/api/v1/auth/sign-in-link", data={"username": name})
        assert response.status_code == 202  # the same answer for all: no account enumeration
    assert [mail.to for mail in sink.sent] == ["clerk1@example.vn"]  # staff only
    link = re.search(r"https?://\S+", sink.sent[0].body).group(0)
    path = urlsplit(link).path + "?" + urlsplit(link).query
    signed_in = client.get(path, follow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/can-bo"
    assert client.get("/api/v1/auth/me").json()["name"] == "clerk1"
    client.cookies.clear()
    assert client.get(path, follow_redirects=False).status_code == 401  # one-time


def _enrol(db, settings, user_id):
    from urllib.parse import parse_qs, urlsplit

    import pyotp

    uri = service.start_totp_enrolment(db, settings=settings, user_id=user_id)
    totp = pyotp.TOTP(parse_qs(urlsplit(uri).query)["secret"][0])
    return totp


def test_totp_is_asked_at_sign_in_once_enrolled_and_codes_work_once(client, db, settings):
    """Issue 14: no second factor existed for staff."""
    import time

    user = service.create_user(db, actor=SYSTEM, username="head1", password=PASSWORD, roles=[("head", None)])
    totp = _enrol(db, settings, user.id)
    assert not service.totp_needed(db, settings=settings, user_id=user.id)  # not confirmed yet
    step = int(time.time()) // 30
    service.confirm_totp(db, settings=settings, user_id=user.id, code=totp.at((step - 1) * 30))

    def token(otp=None):
        data = {"grant_type": "password", "username": "head1", "password": PASSWORD}
        return client.post("/api/v1/auth/token", data=data | ({"otp": otp} if otp else {}))

    assert token().status_code == 401 and "totp_required" in token().headers["www-authenticate"]
    assert token("000000" if totp.now() != "000000" else "111111").status_code == 401
    good = totp.at(step * 30)
    assert token(good).status_code == 200
    assert token(good).status_code == 401  # the same code does not work twice


def test_administrators_can_be_required_to_use_totp(db, settings):
    from smartcity.accounts.config import AccountsSettings

    settings.set_section(AccountsSettings(require_totp_for_admins=True))
    boss = service.create_user(db, actor=SYSTEM, username="boss", password=PASSWORD, roles=[("admin", None)])
    with pytest.raises(service.Unauthorized, match="phải đăng ký ứng dụng xác thực"):
        service.authenticate(db, settings=settings, username="boss", password=PASSWORD, client_ip="x")
    svg = service.totp_qr_svg(service.start_totp_enrolment(db, settings=settings, user_id=boss.id))
    assert svg.startswith("<svg")


def test_administrators_need_totp_by_default_in_production_only(db, settings):
    """This failed before: the requirement was off unless set, production included."""
    from pathlib import Path

    from dotenv import dotenv_values

    from smartcity.accounts.config import AccountsSettings, admins_need_totp

    service.create_user(db, actor=SYSTEM, username="boss", password=PASSWORD, roles=[("admin", None)])
    service.create_user(db, actor=SYSTEM, username="clerk", password=PASSWORD, roles=[("clerk", None)])

    def sign_in(username: str, environment: str, required: bool | None = None) -> None:
        chosen = settings.model_copy(update={"environment": environment})
        chosen.set_section(AccountsSettings(require_totp_for_admins=required))
        service.authenticate(db, settings=chosen, username=username, password=PASSWORD, client_ip="x")

    with pytest.raises(service.Unauthorized, match="phải đăng ký ứng dụng xác thực"):
        sign_in("boss", "production")
    sign_in("clerk", "production")  # staff other than administrators: optional, as before
    for environment in ("demo", "test", "development"):
        sign_in("boss", environment)
    sign_in("boss", "production", required=False)  # an explicit choice still wins
    with pytest.raises(service.Unauthorized, match="phải đăng ký ứng dụng xác thực"):
        sign_in("boss", "demo", required=True)
    example = Path(__file__).resolve().parents[2] / "deploy" / "smartcity.env.example"
    deployed = settings.model_copy(update={"environment": dotenv_values(example)["SMARTCITY_ENVIRONMENT"]})
    deployed.set_section(AccountsSettings())
    assert admins_need_totp(deployed)  # the documented production configuration requires it
    containerfile = (example.parent / "Containerfile").read_text(encoding="utf-8")
    assert "SMARTCITY_ENVIRONMENT=production" in containerfile


def test_totp_enrolment_page_shows_a_qr_and_sign_in_then_asks_for_the_code(client, db, settings):
    import re
    import time

    import pyotp
    from sqlalchemy import select

    from smartcity.accounts.models import UserTotp
    from smartcity.core.crypto import decrypt_personal

    service.create_user(db, actor=SYSTEM, username="spec1", password=PASSWORD, roles=[("specialist", None)])

    def login_form(otp=""):
        page = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        data = {"username": "spec1", "password": PASSWORD, "csrf_token": csrf, "next": "/can-bo", "otp": otp}
        return client.post("/login", data=data, follow_redirects=False)

    assert login_form().status_code == 303
    page = client.get("/account/totp")
    assert page.status_code == 200 and "<svg" in page.text and "Xác thực hai lớp" in page.text
    with db.session() as s:
        row = s.scalars(select(UserTotp)).one()
        secret = decrypt_personal(settings.resolved_secret_key, row.secret_encrypted)
    totp = pyotp.TOTP(secret)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    step = int(time.time()) // 30
    done = client.post(
        "/account/totp", data={"code": totp.at((step - 1) * 30), "csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    client.cookies.clear()
    asked = login_form()
    assert asked.status_code == 401 and "mã xác thực" in asked.text.lower()
    assert login_form(totp.at(step * 30)).status_code == 303
