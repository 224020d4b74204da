"""`smartcity demo` preparation end to end (small data): every domain's demo loads, twice, on a fresh DB."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

from smartcity.core.config import Settings, get_settings
from smartcity.demo import prepare_demo


@pytest.fixture
def small_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink the demo data so the whole preparation runs in seconds."""
    monkeypatch.setattr("smartcity.feedback.demo.DEMO_DAYS", 5)
    monkeypatch.setattr("smartcity.gis.demo.DEMO_PARCELS", 300)
    monkeypatch.setattr("smartcity.dossiers.demo.DEMO_COUNT", 40)


def test_demo_prepares_a_working_city_and_can_run_again(tmp_path: Path, small_demo: None) -> None:
    settings = Settings(
        data_dir=tmp_path / "var", secret_key="demo-test-secret", log_json=False, _env_file=None
    )
    console = Console(record=True, width=200)
    login = prepare_demo(settings, console=console)
    again = prepare_demo(settings, console=console)
    assert again == login and login.username == "admin" and len(login.password) >= 12
    output = console.export_text()
    for domain in ("accounts", "gis", "procedures", "dossiers", "feedback", "iot"):
        assert f"  {domain}: " in output, output

    from smartcity.web.app import create_app

    with TestClient(create_app(settings)) as client:
        wards = client.get("/api/v1/city/units", params={"level": "ward", "on": "2022-02-27"}).json()
        assert len(wards) == 14
        token = client.post(
            "/api/v1/auth/token",
            data={
                "grant_type": "password",
                "username": "motcua",
                "password": login.password,
            },
        )
        assert token.status_code == 200
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        me = client.get("/api/v1/auth/me", headers=bearer).json()
        assert me["name"] == "motcua"
        assert me["roles"] == [{"role": "clerk", "org_unit_code": "UBND-25747-HCM"}]
        procedures = client.get("/api/v1/procedures", params={"limit": 1}).json()
        assert procedures["total"] == 278


def test_demo_command_prints_the_login(
    tmp_path: Path, small_demo: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smartcity.cli import app

    monkeypatch.setenv("SMARTCITY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("SMARTCITY_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["demo", "--no-serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    password = (tmp_path / "var" / "demo-admin-password").read_text().strip()
    assert f"admin / {password}" in " ".join(result.output.split())
    assert "http://127.0.0.1:8000/" in result.output
