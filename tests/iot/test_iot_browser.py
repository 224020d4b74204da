"""In headless Chromium: an operator sees devices on the map, opens one, dims it, acknowledges an alarm."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from smartcity.iot import service
from smartcity.iot.pipeline import Envelope
from smartcity.iot.schemas import RuleCreate
from tests.conftest import service_missing
from tests.iot.conftest import SYSTEM, message

pytestmark = pytest.mark.browser
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--enable-unsafe-swiftshader",
    "--use-angle=swiftshader",
]
PASSWORD = "Iot-browser-test-1"


@pytest.fixture
def live_server(app, db, add_device) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app on a free loopback port with an admin, two lights and a full container raising an alarm."""
    from smartcity.accounts.service import ensure_admin

    if db.dialect != "sqlite":
        pytest.skip("the browser test runs once, on the embedded default (SQLite)")
    ensure_admin(db, username="admin", password=PASSWORD)
    add_device("SL-1", lon=106.6530, lat=10.9800)
    add_device("SL-2", lon=106.6560, lat=10.9810)
    add_device("WC-1", "waste_container", lon=106.6600, lat=10.9790)
    service.create_rule(
        db,
        actor=SYSTEM,
        data=RuleCreate(
            name="Thùng đầy", kind="threshold", key="fillingLevel", params={"op": ">", "value": 90}
        ),
    )
    service.ingest(
        db,
        envelopes=[
            Envelope(message("a", {"fillingLevel": 97}), device_id="WC-1"),
            Envelope(message("b", {"dimLevel": 80, "powerState": "on"}), device_id="SL-1"),
        ],
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    """A page in headless Chromium."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        service_missing("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()


def test_operator_dims_a_light_and_acknowledges_an_alarm(live_server, page, db):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login?next=/iot/devices")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/iot/devices")
    page.wait_for_selector("#iot-map[data-ready=true]", timeout=20000)
    assert page.get_attribute("#iot-map", "data-count") == "3"
    assert page.locator("#device-table tbody tr").count() == 3
    page.click("text=SL-1")
    page.wait_for_url(f"{live_server}/iot/devices/SL-1")
    page.fill("input[name=value]", "35")
    page.click("form:has(input[value=dim]) button[type=submit]")
    page.wait_for_url("**message=sent")
    assert service.list_commands(db, device_id="SL-1")[0].params == {"dimLevel": 35.0}
    page.wait_for_selector("#latest[data-refreshed=true]", timeout=15000)
    page.goto(f"{live_server}/iot/alarms")
    page.click("text=Xác nhận")
    page.wait_for_url(f"{live_server}/iot/alarms")
    assert service.list_alarms(db)[0][0].state == "acknowledged"
    assert errors == []
