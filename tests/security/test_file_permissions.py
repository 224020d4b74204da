"""The embedded database and its journal are readable by the platform's own user only (0600)."""

from __future__ import annotations

import stat

from sqlalchemy import text

from smartcity.core.config import Settings
from smartcity.core.db import Database


def test_the_default_database_is_created_owner_only(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", secret_key="x" * 40, log_json=False)
    database = Database(settings.resolved_database_url, settings=settings)
    with database.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x TEXT)"))
        conn.execute(text("INSERT INTO t VALUES ('Nguyễn Văn An')"))
    files = [p for p in (tmp_path / "var").iterdir() if p.name.startswith("smartcity.db")]
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files), [
        (p.name, oct(p.stat().st_mode)) for p in files
    ]
    assert stat.S_IMODE((tmp_path / "var").stat().st_mode) & 0o077 == 0
    database.dispose()


def test_an_existing_world_readable_database_is_made_owner_only(tmp_path):
    folder = tmp_path / "var"
    folder.mkdir()
    (folder / "smartcity.db").touch(mode=0o644)
    (folder / "smartcity.db").chmod(0o644)
    Settings(data_dir=folder, secret_key="x" * 40, log_json=False).resolved_database_url  # noqa: B018
    assert stat.S_IMODE((folder / "smartcity.db").stat().st_mode) == 0o600
