"""In a real headless Chromium: log in, then see Thủ Dầu Một and its wards on the city map page (/ban-do)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from smartcity.core.security import Actor
from tests.support import chromium_page, run_once_on_sqlite, served

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ADMIN_PASSWORD = "Browser-test-1"


@pytest.fixture
def live_server(app, db) -> Iterator[str]:
    """The app served on a free loopback port, with the city loaded and an admin."""
    from smartcity.accounts.service import ensure_admin
    from smartcity.city.loader import load_city_pack

    run_once_on_sqlite(db)
    load_city_pack(db, pack="thu-dau-mot", actor=Actor.system("test"))
    ensure_admin(db, username="admin", password=ADMIN_PASSWORD)
    with served(app) as url:
        yield url


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    """A fresh page in headless Chromium."""
    with chromium_page() as fresh:
        yield fresh


def test_admin_logs_in_and_sees_the_city_map(live_server, page):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login?next=/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    header = page.inner_text("header")
    assert "Quản trị hệ thống" in header and "Đăng xuất" in header, "the header names the person"
    page.goto(f"{live_server}/ban-do")

    page.wait_for_selector("#map[data-ready=true]", timeout=20000)
    assert page.get_attribute("#map", "data-ward-count") == "5"
    assert page.locator("#map canvas").count() == 1
    assert page.locator("#ward-table tbody tr").count() == 5
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home-map-now.png"))

    page.goto(f"{live_server}/ban-do?period=before")
    page.wait_for_selector("#map[data-ready=true]", timeout=20000)
    assert page.get_attribute("#map", "data-ward-count") == "14"
    assert "Phường Phú Cường" in page.inner_text("#ward-table")
    page.screenshot(path=str(ARTIFACTS / "home-map-before-2025.png"))
    assert errors == []
