"""Alembic migrations run from code, so that every process and test migrates the same way."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from smartcity.core.db import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at the package's migrations and this database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the database schema up to `revision`."""
    with db.engine.begin() as connection:
        config = alembic_config(db.url)
        config.attributes["connection"] = connection
        config.attributes["settings"] = db.settings  # data migrations encrypt with its key ring
        command.upgrade(config, revision)
