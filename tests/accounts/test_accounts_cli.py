"""`smartcity users ...` and `smartcity apikeys ...` through typer's CliRunner."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from smartcity.accounts import service
from smartcity.cli import app
from smartcity.core.config import get_settings
from smartcity.core.errors import Unauthorized
from tests.accounts.conftest import PASSWORD
from tests.conftest import TEST_SECRET


@pytest.fixture
def run(db, tmp_path) -> Iterator:
    """Invoke the CLI against the test database."""
    runner = CliRunner()
    env = {
        "SMARTCITY_DATABASE_URL": db.url,
        "SMARTCITY_SECRET_KEY": TEST_SECRET,
        "SMARTCITY_DATA_DIR": str(tmp_path / "var"),
        "SMARTCITY_LOG_JSON": "false",
    }
    get_settings.cache_clear()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        get_settings.cache_clear()
        return runner.invoke(app, list(args), env=env)

    yield invoke
    get_settings.cache_clear()


def test_users_create_and_list(run, db, settings):
    result = run(
        "users",
        "create",
        "--username",
        "head.a",
        "--password",
        PASSWORD,
        "--role",
        "head",
        "--full-name",
        "Đỗ Văn F",
    )
    assert result.exit_code == 0, result.output
    listed = run("users", "list")
    assert listed.exit_code == 0 and "head.a" in listed.output and "Đỗ Văn F" in listed.output
    logged_in = service.authenticate(
        db, settings=settings, username="head.a", password=PASSWORD, client_ip="cli"
    )
    assert logged_in.actor.has_role("head")


@pytest.mark.parametrize("extra", [["--role", "mayor"], ["--role", "clerk", "--unit", "NOPE"]])
def test_users_create_refuses_unknown_role_or_unit_with_exit_2(run, db, extra):
    result = run("users", "create", "--username", "x.user", "--password", PASSWORD, *extra)
    assert result.exit_code == 2
    assert "unknown" in result.output
    assert service.get_user_by_username(db, "x.user") is None


def test_apikeys_create_list_revoke(run, db):
    created = run("apikeys", "create", "--name", "Hệ thống 1022")
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert key.startswith("sc_")
    assert service.actor_from_api_key(db, key).has_role("integrator")
    prefix = key.split("_")[1]
    listed = run("apikeys", "list")
    assert prefix in listed.output and key.split("_", 2)[2] not in listed.output
    assert run("apikeys", "revoke", prefix).exit_code == 0
    with pytest.raises(Unauthorized):
        service.actor_from_api_key(db, key)
    assert run("apikeys", "revoke", "zzzzzzzz").exit_code == 1
    assert run("apikeys", "create", "--name", "bad", "--role", "mayor").exit_code == 2


def test_users_set_password_and_deactivate(run, db, settings, make_user):
    make_user("ops.user", ("operator", None))
    changed = run("users", "set-password", "--username", "ops.user", "--password", "brand new pass")
    assert changed.exit_code == 0, changed.output
    assert service.authenticate(
        db, settings=settings, username="ops.user", password="brand new pass", client_ip="cli"
    ).actor.has_role("operator")
    assert run("users", "deactivate", "ops.user").exit_code == 0
    with pytest.raises(Unauthorized):
        service.authenticate(
            db, settings=settings, username="ops.user", password="brand new pass", client_ip="cli"
        )
    assert run("users", "deactivate", "nobody.here").exit_code == 2
