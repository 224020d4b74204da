"""/api/v1/accounts: admin-only user, role and API-key management; public org units and roles."""

from __future__ import annotations

from datetime import date

import pytest

from smartcity.accounts import service
from smartcity.core.security import ROLE_SLUGS
from tests.accounts.conftest import PASSWORD, SYSTEM

UNITS = [
    {
        "code": "UBND-TDM",
        "name": "UBND thành phố Thủ Dầu Một",
        "name_en": "Thu Dau Mot People's Committee",
        "kind": "people_committee",
        "valid_to": "2025-06-30",
    },
    {
        "code": "UBND-P-TDM",
        "name": "UBND phường Thủ Dầu Một",
        "kind": "ward_committee",
        "admin_unit_code": "25747",
        "valid_from": "2025-07-01",
    },
]


@pytest.fixture
def admin(make_user, bearer):
    """Headers of an administrator."""
    make_user("root", ("admin", None))
    return bearer("root")


def test_admin_creates_lists_updates_and_deactivates_users(client, admin):
    service.upsert_org_units(client.app.state.db, actor=SYSTEM, units=UNITS)
    created = client.post(
        "/api/v1/accounts/users",
        headers=admin,
        json={
            "username": "clerk.p1",
            "password": PASSWORD,
            "full_name": "Lê Văn C",
            "phone": "0909123456",
            "roles": [{"role": "clerk", "org_unit_code": "UBND-P-TDM"}],
        },
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["phone_masked"] == "*******456" and "password" not in str(user).lower()
    assert user["roles"][0]["org_unit_code"] == "UBND-P-TDM"
    listed = client.get("/api/v1/accounts/users", headers=admin, params={"q": "lê văn"}).json()
    assert [u["username"] for u in listed["items"]] == ["clerk.p1"] and listed["total"] == 1
    patched = client.patch(
        f"/api/v1/accounts/users/{user['id']}", headers=admin, json={"full_name": "Lê Văn D"}
    )
    assert patched.json()["full_name"] == "Lê Văn D"
    token = client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": "clerk.p1", "password": PASSWORD}
    ).json()["access_token"]
    off = client.post(f"/api/v1/accounts/users/{user['id']}/deactivate", headers=admin)
    assert off.json()["is_active"] is False
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_role_assignment_endpoints(client, admin, make_user):
    user = make_user("spec")
    url = f"/api/v1/accounts/users/{user.id}/roles"
    added = client.post(url, headers=admin, json={"role": "specialist"})
    assert added.status_code == 201
    assert client.post(url, headers=admin, json={"role": "specialist"}).status_code == 409
    unknown = client.post(url, headers=admin, json={"role": "mayor"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "role"
    assert client.post(url, headers=admin, json={"role": "clerk", "org_unit_code": "NOPE"}).status_code == 422
    assert [r["role"] for r in client.get(url, headers=admin).json()] == ["specialist"]
    assert client.delete(f"{url}/{added.json()['id']}", headers=admin).status_code == 204
    assert client.get(url, headers=admin).json() == []
    assert client.delete(f"{url}/{added.json()['id']}", headers=admin).status_code == 404


def test_non_admins_get_403_and_anonymous_401(client, make_user, bearer):
    make_user("clerk.only", ("clerk", None))
    headers = bearer("clerk.only")
    for method, url in (
        ("get", "/api/v1/accounts/users"),
        ("post", "/api/v1/accounts/api-keys"),
        ("get", "/api/v1/accounts/api-keys"),
        ("get", "/api/v1/accounts/users/1"),
    ):
        assert client.request(method, url, headers=headers, json={"name": "x"}).status_code == 403
        assert client.request(method, url, json={"name": "x"}).status_code == 401


def test_bad_input_is_a_problem_not_a_500(client, admin, make_user):
    user = make_user("victim2")
    url = "/api/v1/accounts/users"
    cases = [
        client.post(url, headers=admin, json={"username": "x1", "password": PASSWORD, "is_admin": True}),
        client.post(url, headers=admin, json={"username": "ok.name", "password": "short"}),
        client.post(url, headers=admin, json={"username": "bad name!", "password": PASSWORD}),
        client.post(
            url, headers=admin, json={"username": "ok.mail", "password": PASSWORD, "email": "not-an-email"}
        ),
        client.patch(f"/api/v1/accounts/users/{user.id}", headers=admin, json={"password_hash": "x"}),
        client.get("/api/v1/accounts/users/abc", headers=admin),
    ]
    assert [c.status_code for c in cases] == [422] * 6
    assert (
        client.post(
            "/api/v1/accounts/users",
            headers={**admin, "content-type": "application/json"},
            content=b"{not json",
        ).status_code
        == 400
    )
    assert client.get("/api/v1/accounts/users/999999", headers=admin).status_code == 404
    dup = client.post(url, headers=admin, json={"username": "VICTIM2", "password": PASSWORD})
    assert dup.status_code == 409
    assert all(c.headers["content-type"].startswith("application/problem+json") for c in cases)


def test_password_reset_by_admin(client, admin, make_user):
    user = make_user("forgetful")
    url = f"/api/v1/accounts/users/{user.id}/password"
    assert client.put(url, headers=admin, json={"password": "new long password"}).status_code == 204
    login = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": "forgetful", "password": "new long password"},
    )
    assert login.status_code == 200


def test_api_keys_are_shown_once_listed_without_secret_and_revocable(client, admin, db):
    created = client.post("/api/v1/accounts/api-keys", headers=admin, json={"name": "Cổng Zalo"})
    assert created.status_code == 201
    key = created.json()["key"]
    prefix = created.json()["prefix"]
    assert key.startswith(f"sc_{prefix}_") and len(prefix) == 8
    listed = client.get("/api/v1/accounts/api-keys", headers=admin)
    assert key not in listed.text and key.split("_", 2)[2] not in listed.text
    assert listed.json()[0]["last_used_at"] is None
    me = client.get("/api/v1/auth/me", headers={"X-API-Key": key}).json()
    assert me["kind"] == "apikey" and me["roles"] == [{"role": "integrator", "org_unit_code": None}]
    assert client.get("/api/v1/accounts/api-keys", headers=admin).json()[0]["last_used_at"] is not None
    revoked = client.post(f"/api/v1/accounts/api-keys/{prefix}/revoke", headers=admin)
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": key}).status_code == 401
    assert client.post("/api/v1/accounts/api-keys/nothere/revoke", headers=admin).status_code == 404
    wrong_secret = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    service.create_api_key(db, actor=SYSTEM, name="other")
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": wrong_secret}).status_code == 401


def test_org_units_and_roles_are_public(client, db):
    service.upsert_org_units(db, actor=SYSTEM, units=UNITS)
    assert [u["code"] for u in client.get("/api/v1/accounts/org-units").json()] == ["UBND-P-TDM", "UBND-TDM"]
    before = client.get("/api/v1/accounts/org-units", params={"on": "2025-06-30"}).json()
    after = client.get("/api/v1/accounts/org-units", params={"on": "2025-07-01"}).json()
    assert [u["code"] for u in before] == ["UBND-TDM"] and [u["code"] for u in after] == ["UBND-P-TDM"]
    assert client.get("/api/v1/accounts/org-units", params={"on": "yesterday"}).status_code == 422
    one = client.get("/api/v1/accounts/org-units/UBND-TDM").json()
    assert one["name_en"] == "Thu Dau Mot People's Committee" and one["valid_to"] == "2025-06-30"
    assert client.get("/api/v1/accounts/org-units/NOPE").status_code == 404
    roles = client.get("/api/v1/accounts/roles").json()
    assert [r["slug"] for r in roles][:3] == ["citizen", "clerk", "specialist"] and len(roles) == len(
        ROLE_SLUGS
    )
    assert service.list_org_units(db, date(2025, 7, 1))[0].admin_unit_code == "25747"
