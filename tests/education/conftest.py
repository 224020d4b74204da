"""Fixtures of the education tests: the city pack, the demo data, signed-in staff and parents."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smartcity.accounts import service as accounts_service
from smartcity.city import unit_lists
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.education.config import EducationSettings
from tests.conftest import CHEAP_HASHER, TEST_SECRET, copy_postgres_rows, private_postgres_database

SYSTEM = Actor.system("test")
PASSWORD = "correct horse battery"


def _load(database: Database, settings: Settings) -> None:
    from smartcity.city.loader import load_city_pack
    from smartcity.education.demo import load_demo

    load_city_pack(database, pack="thu-dau-mot", actor=SYSTEM)
    settings.set_section(EducationSettings(demo_students_per_class=1))
    load_demo(database, settings=settings, actor=SYSTEM)


def _load_once(database: Database, data_dir: Path) -> None:
    """`_load` into a session's database, with the test secret and the cheap password hasher."""
    settings = Settings(data_dir=data_dir, database_url=database.url, secret_key=TEST_SECRET, log_json=False)
    database.bind_settings(settings)
    saved = accounts_service._hasher
    accounts_service._hasher = CHEAP_HASHER
    try:
        _load(database, settings)
    finally:
        accounts_service._hasher = saved


@pytest.fixture(scope="session")
def sqlite_demo(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Path]:
    """A SQLite database with the city pack and the demo loaded once, copied into each test's database."""
    import shutil

    folder = tmp_path_factory.mktemp("education-demo")
    path = folder / "demo.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    _load_once(database, folder / "var")
    with database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    yield path


@pytest.fixture(scope="session")
def postgres_demo(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Database]:
    """A PostgreSQL database of this worker's own with the city pack and the demo loaded once; each test's
    database gets a copy of its rows (`copy_postgres_rows`), as a SQLite test gets a copy of `sqlite_demo`."""
    with private_postgres_database("education_demo", worker_id) as database:
        _load_once(database, tmp_path_factory.mktemp("education-demo-pg") / "var")
        yield database


@pytest.fixture
def city(db):  # type: ignore[no-untyped-def]
    """The Thủ Dầu Một pack loaded (wards)."""
    from smartcity.city.loader import load_city_pack

    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    return db


@pytest.fixture
def demo(request: pytest.FixtureRequest, db, settings):  # type: ignore[no-untyped-def]
    """The city pack and the education demo (one student record per class, one class in full): a copy of a
    database loaded once per session (and per worker on PostgreSQL)."""
    if db.is_sqlite:
        source = sqlite3.connect(request.getfixturevalue("sqlite_demo"))
        target = sqlite3.connect(db.url.removeprefix("sqlite:///"))
        source.backup(target)
        source.close()
        target.close()
        db.dispose()
        settings.set_section(EducationSettings(demo_students_per_class=1))
        return db
    copy_postgres_rows(request.getfixturevalue("postgres_demo"), db)
    unit_lists.forget(db)  # this process's lists of units, made before the rows came
    settings.set_section(EducationSettings(demo_students_per_class=1))
    return db


@pytest.fixture
def login(db, settings) -> Callable[..., dict[str, str]]:
    """Create a user with roles (or reuse one) and return bearer headers for it."""

    def make(username: str, *roles: tuple[str, str | None]) -> dict[str, str]:
        user = accounts_service.get_user_by_username(db, username)
        if user is None:
            accounts_service.create_user(
                db, actor=SYSTEM, username=username, password=PASSWORD, roles=list(roles)
            )
        else:  # a demo account: give it the test password
            accounts_service.set_password(db, actor=SYSTEM, user_id=user.id, password=PASSWORD)
        token = accounts_service.login_for_token(
            db, settings=settings, username=username, password=PASSWORD, client_ip="10.1.2.3"
        ).access_token
        return {"Authorization": f"Bearer {token}"}

    return make
