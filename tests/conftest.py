"""Shared fixtures: every database test runs on SQLite and again on PostgreSQL when it is configured."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import inspect, text

from smartcity.accounts import service as accounts_service
from smartcity.city import unit_lists
from smartcity.core.config import Settings
from smartcity.core.db import Base, Database
from smartcity.core.migrate import upgrade
from smartcity.domains import import_models, register_handlers
from smartcity.iot import service as iot_service

# Property tests are not timed: a loaded CI machine must not fail them (speed is measured under bench/).
hypothesis_settings.register_profile("smartcity", deadline=None)
hypothesis_settings.load_profile("smartcity")

POSTGRES_URL = os.environ.get("SMARTCITY_TEST_POSTGRES_URL")
REQUIRE_SERVICES = os.environ.get("SMARTCITY_REQUIRE_SERVICES") == "1"
TEST_SECRET = "test-secret-key-not-for-production"

import_models()
register_handlers()


# Argon2 with the smallest parameters (the same algorithm): creating a user or signing in costs a millisecond
# instead of a tenth of a second, and a test of twenty staff members no longer spends two seconds hashing.
# A test of the production parameters or of re-hashing sets its own hasher.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> Iterator[PasswordHasher]:
    """Every test hashes passwords with CHEAP_HASHER."""
    monkeypatch.setattr(accounts_service, "_hasher", CHEAP_HASHER)
    accounts_service._dummy_hash.cache_clear()
    yield CHEAP_HASHER
    accounts_service._dummy_hash.cache_clear()


def service_missing(reason: str) -> None:
    """Skip with the reason, or fail where CI promised the service (SMARTCITY_REQUIRE_SERVICES=1)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


# The EICAR anti-virus test file: harmless, and found by every scanner that is given its signature.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_SIGNATURE = "Smartcity-Test-EICAR.UNOFFICIAL"


@contextmanager
def running_clamd(stream_max_length: str = "32M") -> Iterator[str]:
    """A ClamAV daemon on a unix socket (its path), stopped on exit. There is no network, so no official
    signature database: clamd loads one of our own, the EICAR string anywhere in a file (an .ndb)."""
    clamd = shutil.which("clamd") or shutil.which("clamd", path="/usr/sbin:/usr/local/sbin")
    if clamd is None:
        service_missing("clamd (Debian package clamav-daemon) is needed for the malware-scanning tests")
    assert clamd is not None
    folder = Path(tempfile.mkdtemp(prefix="clamd-"))  # short: a unix socket path has at most 107 bytes
    (folder / "smartcity-test.ndb").write_text(f"{EICAR_SIGNATURE.split('.')[0]}:0:*:{EICAR.hex()}\n")
    socket_path = folder / "clamd.sock"
    (folder / "clamd.conf").write_text(
        f"Foreground yes\nLocalSocket {socket_path}\nDatabaseDirectory {folder}\n"
        f"TemporaryDirectory {folder}\nLogFile {folder / 'clamd.log'}\nStreamMaxLength {stream_max_length}\n"
    )
    process = subprocess.Popen([clamd, "-c", str(folder / "clamd.conf")], stdout=subprocess.DEVNULL)
    try:
        _wait_for_clamd(process, socket_path, folder / "clamd.log")
        yield str(socket_path)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def clamd_socket() -> Iterator[str]:
    """The session's clamd (see `running_clamd`): started once, in about a tenth of a second."""
    with running_clamd() as socket_path:
        yield socket_path


def _wait_for_clamd(process: subprocess.Popen[bytes], socket_path: Path, log: Path) -> None:
    """Until clamd answers PING on its socket (it loads a one-signature database in well under a second)."""
    for _ in range(300):
        if process.poll() is not None:
            pytest.fail(f"clamd stopped at start: {log.read_text() if log.exists() else 'no log'}")
        try:
            with socket.socket(socket.AF_UNIX) as conn:
                conn.connect(str(socket_path))
                conn.sendall(b"zPING\0")
                if conn.recv(16).startswith(b"PONG"):
                    return
        except OSError:
            pass  # not listening yet
        time.sleep(0.05)
    pytest.fail("clamd did not answer PING within 15 s")


SMALL_DEMO_SECRET = "small-demo-test-secret"


@pytest.fixture(scope="session")
def small_demo_source(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> tuple[Path, str]:
    """The demo as `smartcity demo` prepares it, on SQLite with small sizes (5 days of reports, 300 parcels,
    40 dossiers), prepared once for the whole run: the first worker that asks prepares it under a file lock,
    the others wait and share it. Returns its data folder and the admin's password;
    tests use a copy (`small_demo`)."""
    from rich.console import Console

    from smartcity.demo import prepare_demo

    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # the workers' temporary folders share the run's folder
        shared = shared.parent
    folder, password = shared / "small-demo", shared / "small-demo-password"
    with open(shared / "small-demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not password.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a preparation that failed half-way
            settings = Settings(data_dir=folder, secret_key=SMALL_DEMO_SECRET, log_json=False, _env_file=None)
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr("smartcity.feedback.demo.DEMO_DAYS", 5)
                patch.setattr("smartcity.gis.demo.DEMO_PARCELS", 300)
                patch.setattr("smartcity.dossiers.demo.DEMO_COUNT", 40)
                login = prepare_demo(settings, console=Console(quiet=True))
            password.write_text(login.password)
    return folder, password.read_text()


@pytest.fixture(scope="module")
def small_demo(
    small_demo_source: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, str]:
    """A copy of the small demo (`small_demo_source`) for one test module, which may change it: its settings
    and the admin's password."""
    source, password = small_demo_source
    data_dir = tmp_path_factory.mktemp("small-demo") / "var"
    shutil.copytree(source, data_dir)
    return Settings(data_dir=data_dir, secret_key=SMALL_DEMO_SECRET, log_json=False, _env_file=None), password


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database file that each test copies."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    template = Database(f"sqlite:///{path}")
    upgrade(template)
    template.dispose()
    return path


def _worker_database_url(base_url: str, worker: str) -> str:
    """A PostgreSQL database of this xdist worker's own (created with PostGIS), so workers never share
    tables; the base database itself when tests run in one process."""
    if worker in ("", "master"):
        return base_url
    from sqlalchemy.engine import make_url

    return _create_database(base_url, f"{make_url(base_url).database}_{worker}")


def _create_database(base_url: str, name: str) -> str:
    """The database `name` on the server of `base_url`, created when missing (its URL). One left over from an
    earlier run is kept: `_migrate_empty` resets its schema, far cheaper than DROP DATABASE (a checkpoint)."""
    from sqlalchemy.engine import make_url

    admin = Database(Settings(database_url=base_url).resolved_database_url)
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first()
        if found is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def _migrate_empty(database: Database) -> None:
    """Give an empty PostgreSQL database PostGIS and the platform's schema."""
    with database.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    upgrade(database)


@pytest.fixture(scope="session")
def postgres_database(worker_id: str) -> Iterator[Database | None]:
    """The PostgreSQL test database, migrated once per session (None when not configured)."""
    if not POSTGRES_URL:
        yield None
        return
    url = _worker_database_url(POSTGRES_URL, worker_id)
    database = Database(Settings(database_url=url).resolved_database_url)
    _migrate_empty(database)
    yield database
    database.dispose()


@contextmanager
def private_postgres_database(purpose: str, worker: str) -> Iterator[Database]:
    """A migrated PostgreSQL database of the caller's own, `<base>_<purpose>_<xdist worker>`, reset on entry:
    for module-scoped fixtures whose data must outlive the truncation the `db` fixture does before each test
    of the worker. Skips (fails under SMARTCITY_REQUIRE_SERVICES=1) when PostgreSQL is not configured."""
    if not POSTGRES_URL:
        service_missing("PostgreSQL tests need SMARTCITY_TEST_POSTGRES_URL (.ci/run sets it)")
    assert POSTGRES_URL is not None
    from sqlalchemy.engine import make_url

    name = f"{make_url(POSTGRES_URL).database}_{purpose}_{worker or 'master'}"
    database = Database(Settings(database_url=_create_database(POSTGRES_URL, name)).resolved_database_url)
    try:
        _migrate_empty(database)
        yield database
    finally:
        database.dispose()


def copy_postgres_rows(source: Database, target: Database) -> None:
    """Every row of `source`'s platform tables into the emptied `target` (both migrated alike), in place of
    any the test's set-up already wrote there, and the sequences where `source` left them: COPY in binary,
    foreign keys not checked while it runs (the rows were consistent where they came from). A fixture loads
    its data once and copies it for each test."""
    tables = [t.name for t in Base.metadata.sorted_tables]
    holding_rows = " UNION ALL ".join(
        f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in tables
    )
    reading, writing = source.engine.raw_connection(), target.engine.raw_connection()
    try:
        with reading.driver_connection.cursor() as read, writing.driver_connection.cursor() as write:
            read.execute(holding_rows)
            filled = [row[0] for row in read.fetchall()]
            write.execute("SET session_replication_role = replica")
            for name in filled:
                write.execute(f'DELETE FROM "{name}"')  # a row the test's app already wrote (a stamp) goes
                with (
                    read.copy(f'COPY "{name}" TO STDOUT (FORMAT BINARY)') as rows_out,
                    write.copy(f'COPY "{name}" FROM STDIN (FORMAT BINARY)') as rows_in,
                ):
                    for chunk in rows_out:
                        rows_in.write(chunk)
            read.execute(
                "SELECT sequencename, last_value FROM pg_sequences "
                "WHERE schemaname = 'public' AND last_value IS NOT NULL"
            )
            for sequence, value in read.fetchall():
                write.execute("SELECT setval(%s::regclass, %s, true)", (f'public."{sequence}"', value))
            write.execute("SET session_replication_role = DEFAULT")
        writing.commit()
        reading.rollback()
    finally:
        reading.close()
        writing.close()


def _truncate_all(database: Database) -> None:
    """Empty every table the last test wrote to and restart every sequence. Truncating only the tables that
    hold rows (a test writes to a few of some 150) takes a tenth of the time of truncating them all."""
    existing = set(inspect(database.engine).get_table_names())
    tables = [t.name for t in Base.metadata.sorted_tables if t.name in existing]
    if not tables:
        return
    holding_rows = " UNION ALL ".join(
        f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in tables
    )
    with database.engine.begin() as conn:
        filled = [row[0] for row in conn.execute(text(holding_rows))]
        if filled:
            quoted = ", ".join(f'"{name}"' for name in filled)
            conn.execute(text(f"TRUNCATE {quoted} CASCADE"))
        # A sequence also moves on for rows a test added and deleted again: restart them all.
        conn.execute(
            text(
                "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) "
                "FROM pg_sequences WHERE schemaname = 'public'"
            )
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def db(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, postgres_database: Database | None
) -> Iterator[Database]:
    """A migrated, empty database: SQLite, then PostgreSQL. It serves the test's settings (the `settings`
    fixture's, else ones with the test secret), so that services sealing personal data use the test's keys."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
        database.bind_settings(_test_settings(tmp_path, database.url))
        yield database
        database.dispose()
        return
    if postgres_database is None:
        service_missing("PostgreSQL tests need SMARTCITY_TEST_POSTGRES_URL (.ci/run sets it)")
    assert postgres_database is not None
    _truncate_all(postgres_database)
    unit_lists.forget(postgres_database)  # this process's lists of units of the emptied database
    iot_service.forget_watch(postgres_database)  # and its watch for silent devices
    postgres_database.bind_settings(_test_settings(tmp_path, postgres_database.url))
    yield postgres_database


def _test_settings(tmp_path: Path, url: str) -> Settings:
    """Settings on the test database, with the test secret and a private data directory."""
    return Settings(data_dir=tmp_path / "var", database_url=url, secret_key=TEST_SECRET, log_json=False)


@pytest.fixture
def settings(tmp_path: Path, db: Database) -> Settings:
    """Settings pointing at the test database and a private data directory (handlers see them too)."""
    test_settings = _test_settings(tmp_path, db.url)
    db.bind_settings(test_settings)
    return test_settings


@pytest.fixture
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    """The web application on the test database."""
    from smartcity.web.app import create_app

    return create_app(settings, db)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """An HTTP client for the application."""
    with TestClient(app) as test_client:
        yield test_client
