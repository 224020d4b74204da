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
    assert output.index("  ioc: ") > output.index("  education: "), "the centre summarises the others"
    _every_domain_has_indicator_history(settings)

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


def test_the_deferred_demo_data_reaches_the_open_data_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker builds the open-data files as the server starts, before the deferred demo data is
    loaded; once it is, the demo rebuilds them instead of leaving 0 rows until the next hourly run."""
    from smartcity import demo
    from smartcity.core.db import Database
    from smartcity.core.migrate import upgrade
    from smartcity.core.security import Actor
    from smartcity.opendata import service as opendata
    from smartcity.procedures import service as procedures

    settings = Settings(
        data_dir=tmp_path / "var", secret_key="demo-test-secret", log_json=False, _env_file=None
    )
    db = Database(settings.resolved_database_url, dispatch_inline=True, settings=settings)
    upgrade(db)
    opendata.regenerate(db, settings, names=["procedures-catalogue"])  # the worker, at start

    def deferred(db: Database, **_kwargs: object) -> None:  # the demo data loaded after the start
        procedures.load_city_catalogue(db, actor=Actor.system("demo"))

    monkeypatch.setattr(demo, "_wait_for", lambda *_args, **_kwargs: True)
    monkeypatch.setattr(demo, "load_domain_demos", deferred)

    def csv_rows() -> int | None:
        info = opendata.dataset_info(db, settings, opendata.get_dataset("procedures-catalogue"), "http://x/")
        return {r.id: r.rows for r in info.resources}["procedures-catalogue-csv"]

    assert csv_rows() == 0
    done: list[bool] = []
    demo.load_deferred_demos(
        settings, base_url="http://x", console=Console(record=True), then=lambda: done.append(True)
    ).join(timeout=120)
    assert done and csv_rows() == 278
    db.dispose()


def _every_domain_has_indicator_history(settings: Settings) -> None:
    """The operations centre's tiles show a value for each domain from the first minute (its history is
    made after the other domains' demo data)."""
    from smartcity.core.db import Database
    from smartcity.ioc import service as ioc

    db = Database(settings.resolved_database_url, settings=settings)
    try:
        tiles = ioc.latest(db, settings=settings)
    finally:
        db.dispose()
    with_values = {tile["indicator"].code.split(".")[0] for tile in tiles if tile["value"] is not None}
    for domain in ("dossiers", "feedback", "education", "lighting", "investment", "environment", "waste"):
        assert domain in with_values, (
            f"no indicator of {domain} has a value on the centre: {sorted(with_values)}"
        )
