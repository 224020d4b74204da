"""Fixtures of the open-data and portal tests: a small public city (procedures, reports, planning zones)."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from smartcity.core.security import Actor
from smartcity.feedback.schemas import ReportCreate

SYSTEM = Actor.system("public-test")
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
PHU_CUONG = (106.655, 10.98)
REPORT_TEXT = "Đèn đường hỏng trước chợ Thủ Dầu Một, tối om cả đoạn"
REPORTS = 6  # above the suppression threshold of 5


def add_reports(  # type: ignore[no-untyped-def]
    db, secret: str, count: int = REPORTS, *, text: str = REPORT_TEXT, start: datetime | None = None
) -> list[str]:
    """`count` public reports of one category at Phú Cường, a day apart from 3 March 2025; their codes."""
    from smartcity.feedback import service

    codes = []
    start = start or datetime(2025, 3, 3, 9, 0, tzinfo=LOCAL)
    for index in range(count):
        data = ReportCreate(
            category_code="ha-tang",
            description=f"{text} (lần {index + 1})",
            lon=PHU_CUONG[0] + index * 0.0015,
            lat=PHU_CUONG[1],
            address="Đường Bạch Đằng",
        )
        result = service.submit_report(
            db, actor=SYSTEM, data=data, secret=secret, at=start + timedelta(days=index)
        )
        codes.append(result.report.code)
    return codes


def _load_public_city(db, secret: str) -> None:  # type: ignore[no-untyped-def]
    """The city pack, its procedures catalogue, six public reports and a small synthetic planning layer."""
    from smartcity.city.loader import load_city_pack
    from smartcity.gis import service as gis
    from smartcity.procedures import service as procedures

    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    procedures.load_city_catalogue(db, actor=SYSTEM)
    gis.ensure_builtin_layers(db, actor=SYSTEM)
    gis.load_demo_layers(db, actor=SYSTEM, parcels=40)
    add_reports(db, secret)


@pytest.fixture(scope="session")
def public_sqlite_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the public city loaded once per session; each SQLite test copies it."""
    from smartcity.core.config import Settings
    from smartcity.core.db import Database
    from tests.conftest import TEST_SECRET

    path = tmp_path_factory.mktemp("public-city") / "public.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    database.bind_settings(
        Settings(
            data_dir=path.parent / "var", database_url=database.url, secret_key=TEST_SECRET, log_json=False
        )
    )
    _load_public_city(database, TEST_SECRET)
    database.dispose()
    return path


@pytest.fixture
def public_city(db, settings, request):  # type: ignore[no-untyped-def]
    """The public city on the test database (on SQLite a copy of the session's loaded file)."""
    if db.dialect == "sqlite":
        template = request.getfixturevalue("public_sqlite_template")
        db.dispose()
        shutil.copy(template, db.url.removeprefix("sqlite:///"))
    else:
        _load_public_city(db, settings.resolved_secret_key)
    return db
