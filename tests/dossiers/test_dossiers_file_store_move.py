"""Migration 0025 moves the dossiers' files into core's file store, and its downgrade moves them back."""

from __future__ import annotations

from pathlib import Path

from alembic import command

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.files import FileStore, file_store
from smartcity.core.migrate import alembic_config, upgrade
from tests.conftest import TEST_SECRET

PDF = b"%PDF-1.7\na dossier's attachment\n%%EOF\n"


def test_dossier_files_move_into_the_core_store_and_back(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    settings = Settings(data_dir=tmp_path / "var", database_url=db.url, secret_key=TEST_SECRET)
    db.bind_settings(settings)
    upgrade(db, "0024")
    old = FileStore(settings.data_dir / "dossiers")
    digest = old.put(PDF)

    upgrade(db, "0025")
    assert file_store(settings, "dossiers").get(digest) == PDF
    assert not (settings.data_dir / "dossiers").exists()

    with db.engine.begin() as connection:
        config = alembic_config(db.url)
        config.attributes.update(connection=connection, settings=settings)
        command.downgrade(config, "0024")
    assert old.get(digest) == PDF
    assert not (settings.data_dir / "files" / "dossiers").exists()
    db.dispose()
