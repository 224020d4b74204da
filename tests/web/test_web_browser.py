"""In a real headless Chromium: log in, then see Thủ Dầu Một and its wards on the home page map."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from smartcity.core.security import Actor
from tests.conftest import service_missing

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--enable-unsafe-swiftshader", "--use-angle=swiftshader",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ADMIN_PASSWORD = "Browser-test-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(app, db) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, with the city loaded and an admin."""
    from smartcity.accounts.service import ensure_admin
    from smartcity.city.loader import load_city_pack

    if db.dialect != "sqlite":
        pytest.skip("the browser test runs once, on the embedded default (SQLite)")
    load_city_pack(db, pack="thu-dau-mot", actor=Actor.system("test"))
    ensure_admin(db, username="admin", password=ADMIN_PASSWORD)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    """A fresh page in Debian's headless Chromium."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        service_missing("Chromium is not installed (apt-get install chromium; .ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()


def test_admin_logs_in_and_sees_the_city_map(live_server, page):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login?next=/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    assert "admin" in page.inner_text("header")

    page.wait_for_selector("#map[data-ready=true]", timeout=20000)
    assert page.get_attribute("#map", "data-ward-count") == "5"
    assert page.locator("#map canvas").count() == 1
    assert page.locator("#ward-table tbody tr").count() == 5
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home-map-now.png"))

    page.goto(f"{live_server}/?period=before")
    page.wait_for_selector("#map[data-ready=true]", timeout=20000)
    assert page.get_attribute("#map", "data-ward-count") == "14"
    assert "Phường Phú Cường" in page.inner_text("#ward-table")
    page.screenshot(path=str(ARTIFACTS / "home-map-before-2025.png"))
    assert errors == []
