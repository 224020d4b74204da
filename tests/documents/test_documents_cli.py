"""`smartcity documents ...`: register an agency, list agencies, deliver what is due."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from smartcity.cli import app
from smartcity.core.config import Settings, get_settings
from smartcity.core.db import Database
from smartcity.documents import exchange

runner = CliRunner()


@pytest.fixture
def cli_env(db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI's settings point at the test database."""
    monkeypatch.setenv("SMARTCITY_DATABASE_URL", db.url)
    monkeypatch.setenv("SMARTCITY_SECRET_KEY", settings.resolved_secret_key)
    monkeypatch.setenv("SMARTCITY_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_agencies_are_registered_and_listed_from_the_command_line(db: Database, cli_env: None) -> None:
    added = runner.invoke(
        app,
        [
            "documents",
            "agency",
            "UBND-25750-HCM",
            "--name",
            "UBND phường Phú Lợi",
            "--endpoint",
            "https://phuloi.example.gov.vn/",
        ],
    )
    assert added.exit_code == 0, added.output
    assert [(a.code, a.endpoint) for a in exchange.list_agencies(db)] == [
        ("UBND-25750-HCM", "https://phuloi.example.gov.vn")
    ]
    listed = runner.invoke(app, ["documents", "agencies"])
    assert listed.exit_code == 0 and "UBND-25750-HCM" in listed.output
    bad = runner.invoke(app, ["documents", "agency", "X", "--name", "X", "--endpoint", "ftp://nowhere"])
    assert bad.exit_code == 2 and "endpoint" in bad.output
    nothing = runner.invoke(app, ["documents", "deliver"])
    assert nothing.exit_code == 0 and "0 delivered, 0 to retry." in nothing.output
