"""Backups of the database and the data directory's files, each file with its SHA-256 in a manifest.

    smartcity backup /srv/backups/2026-12-05      # database + files + manifest.json
    smartcity restore /srv/backups/2026-12-05     # checks every checksum first, then restores

SQLite is copied with its online backup API (a consistent copy while the platform runs); PostgreSQL with
`pg_dump --format=custom` and `pg_restore`. The secret key is never written into a backup: keep it (or
SMARTCITY_SECRET_KEY) and the personal-data key ring (personal_keys.json) apart, as the personal data in
the backup is encrypted under them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from smartcity.core.clock import now
from smartcity.core.errors import Conflict, ValidationFailed

if TYPE_CHECKING:
    from smartcity.core.config import Settings
    from smartcity.core.db import Database

MANIFEST = "manifest.json"
SQLITE_COPY = "database.sqlite"
POSTGRES_DUMP = "database.pgdump"
FILES = "files"
NEVER_COPIED = {
    "secret_key",
    "personal_keys.json",
    "personal_keys.json.new",
    "smartcity.db",
    "smartcity.db-wal",
    "smartcity.db-shm",
}


@dataclass(frozen=True)
class BackupReport:
    """What a backup or restore wrote: the database engine, how many files and bytes."""

    dialect: str
    files: int
    bytes: int


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def backup(db: Database, settings: Settings, target: Path) -> BackupReport:
    """Write the database and the data directory's files into `target` (a new or empty folder)."""
    if target.exists() and any(target.iterdir()):
        raise Conflict(f"{target} is not empty: back up into a new folder.")
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    database_file = _dump_database(db, target)
    _copy_files(settings.data_dir, target / FILES, skip=target)
    entries = {str(p.relative_to(target)): _entry(p) for p in sorted(target.rglob("*")) if p.is_file()}
    manifest = {
        "created_at": now().isoformat(),
        "dialect": db.dialect,
        "database": database_file,
        "files": entries,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    return BackupReport(db.dialect, len(entries), sum(e["size"] for e in entries.values()))


def check_backup(source: Path) -> dict[str, Any]:
    """The backup's manifest, once every file's size and SHA-256 is checked (ValidationFailed if not)."""
    manifest_path = source / MANIFEST
    if not manifest_path.is_file():
        raise ValidationFailed(f"{source} has no {MANIFEST}: it is not a backup of this platform.")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    for name, expected in manifest["files"].items():
        path = source / name
        if not path.is_file():
            raise ValidationFailed(f"The backup lacks {name}.")
        if path.stat().st_size != expected["size"] or sha256_of(path) != expected["sha256"]:
            raise ValidationFailed(f"{name} does not match its checksum: the backup is damaged.")
    return manifest


def restore(db: Database, settings: Settings, source: Path, *, force: bool = False) -> BackupReport:
    """Restore a checked backup into `db` and the data directory (an empty database unless `force`)."""
    manifest = check_backup(source)
    if manifest["dialect"] != db.dialect:
        raise ValidationFailed(f"The backup is of {manifest['dialect']}, the database is {db.dialect}.")
    if not force and _has_data(db):
        raise Conflict("The database already holds data: restore into an empty one (or pass --force).")
    _load_database(db, source / manifest["database"])
    files = source / FILES
    if files.is_dir():
        _copy_files(files, settings.data_dir, skip=None)
    count = sum(1 for name in manifest["files"] if name.startswith(FILES + "/"))
    return BackupReport(db.dialect, count, sum(e["size"] for e in manifest["files"].values()))


def _entry(path: Path) -> dict[str, Any]:
    return {"sha256": sha256_of(path), "size": path.stat().st_size}


def _copy_files(source: Path, target: Path, *, skip: Path | None) -> None:
    if not source.is_dir():
        return
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name in NEVER_COPIED or path.suffix == ".part":
            continue
        if skip is not None and skip.resolve() in path.resolve().parents:
            continue
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copy2(path, destination)


def _sqlite_path(db: Database) -> str:
    database = make_url(db.url).database
    if not database:
        raise ValidationFailed("An in-memory SQLite database cannot be backed up.")
    return database


def _libpq_url(db: Database) -> str:
    return make_url(db.url).set(drivername="postgresql").render_as_string(hide_password=False)


def _dump_database(db: Database, target: Path) -> str:
    if db.is_sqlite:
        with sqlite3.connect(_sqlite_path(db)) as live, sqlite3.connect(target / SQLITE_COPY) as copy:
            live.backup(copy)
        (target / SQLITE_COPY).chmod(0o600)
        return SQLITE_COPY
    subprocess.run(  # noqa: S603
        ["pg_dump", "--format=custom", "--no-owner", f"--file={target / POSTGRES_DUMP}", _libpq_url(db)],  # noqa: S607
        check=True,
        capture_output=True,
    )
    return POSTGRES_DUMP


def _load_database(db: Database, dump: Path) -> None:
    db.dispose()
    if db.is_sqlite:
        with sqlite3.connect(dump) as copy, sqlite3.connect(_sqlite_path(db)) as live:
            copy.backup(live)
        return
    subprocess.run(  # noqa: S603
        [  # noqa: S607
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq_url(db)}",
            str(dump),
        ],
        check=True,
        capture_output=True,
    )


def _has_data(db: Database) -> bool:
    tables = [
        t for t in inspect(db.engine).get_table_names() if t not in ("alembic_version", "spatial_ref_sys")
    ]
    if not tables:
        return False
    from sqlalchemy import text

    with db.engine.connect() as conn:
        return any(conn.execute(text(f'SELECT 1 FROM "{t}" LIMIT 1')).first() for t in tables)
