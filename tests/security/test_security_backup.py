"""`smartcity backup` / `smartcity restore`: a round trip keeps every table and file; damage is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from smartcity.city.loader import load_city_pack
from smartcity.core.backup import backup, check_backup, restore
from smartcity.core.db import Base, Database
from smartcity.core.errors import Conflict, ValidationFailed
from smartcity.core.files import file_store
from smartcity.core.security import Actor

SYSTEM = Actor.system("backup-test")


def _every_row(db: Database) -> dict[str, list[tuple]]:
    """Each table's rows in primary-key order."""
    rows = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
    return rows


@pytest.fixture
def empty_twin(db: Database, tmp_path: Path) -> Iterator[Database]:
    """An empty database of the same engine to restore into."""
    if db.is_sqlite:
        twin = Database(f"sqlite:///{tmp_path / 'restored.db'}")
        yield twin
        twin.dispose()
        return
    url = make_url(db.url)
    name = f"{url.database}_restored"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    twin = Database(url.set(database=name).render_as_string(hide_password=False))
    yield twin
    twin.dispose()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_round_trip_keeps_every_table_and_file(db, settings, empty_twin, tmp_path):
    load_city_pack(db, actor=SYSTEM)
    stored = file_store(settings, "dossiers").put(b"%PDF-1.7 a dossier's paper")
    (settings.data_dir / "secret_key").write_text("never in a backup")
    before = _every_row(db)
    assert sum(len(r) for r in before.values()) > 100

    target = tmp_path / "backup"
    report = backup(db, settings, target)
    assert report.dialect == db.dialect and report.files >= 2
    assert not any(p.name == "secret_key" for p in target.rglob("*"))

    restored_settings = settings.model_copy(update={"data_dir": tmp_path / "restored-var"})
    restore(empty_twin, restored_settings, target)
    assert _every_row(empty_twin) == before
    assert file_store(restored_settings, "dossiers").get(stored) == b"%PDF-1.7 a dossier's paper"


def test_a_damaged_backup_is_refused_before_anything_changes(db, settings, empty_twin, tmp_path):
    load_city_pack(db, actor=SYSTEM)
    target = tmp_path / "backup"
    backup(db, settings, target)
    dump = next(p for p in target.iterdir() if p.name.startswith("database."))
    dump.write_bytes(dump.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ValidationFailed, match="checksum"):
        check_backup(target)
    with pytest.raises(ValidationFailed):
        restore(empty_twin, settings.model_copy(update={"data_dir": tmp_path / "other"}), target)
    assert not (tmp_path / "other").exists()


def test_restore_refuses_a_database_that_holds_data(db, settings, tmp_path):
    load_city_pack(db, actor=SYSTEM)
    target = tmp_path / "backup"
    backup(db, settings, target)
    with pytest.raises(Conflict):
        restore(db, settings, target)
    with pytest.raises(Conflict):
        backup(db, settings, target)  # never over an existing backup
