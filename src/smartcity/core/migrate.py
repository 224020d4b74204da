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


REWRITE_TABLES = "rewrite_tables"


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the database schema up to `revision`."""
    config = alembic_config(db.url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        config.attributes["settings"] = db.settings  # data migrations find the file store and the key ring
        config.attributes[REWRITE_TABLES] = set()
        command.upgrade(config, revision)
    rewrite(db, config.attributes[REWRITE_TABLES])


def rewrite(db: Database, tables: set[str]) -> None:
    """Rewrite the storage of tables from which a migration removed clear personal data, so that no old copy
    stays in free pages or the write-ahead log (SQLite: VACUUM and a truncating checkpoint; PostgreSQL:
    VACUUM FULL of each table). Runs outside any transaction, after the migration committed."""
    if not tables:
        return
    raw = db.engine.raw_connection()
    try:
        if not db.is_sqlite:
            raw.driver_connection.autocommit = True  # type: ignore[union-attr]
        cursor = raw.cursor()
        if db.is_sqlite:
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            for table in sorted(tables):
                cursor.execute(f'VACUUM FULL "{table}"')
        cursor.close()
    finally:
        if not db.is_sqlite:
            # The pool does not know we switched it: a connection handed back in autocommit would make the
            # next unit of work commit statement by statement (and lose temporary rows kept until commit).
            raw.driver_connection.autocommit = False  # type: ignore[union-attr]
        raw.close()
