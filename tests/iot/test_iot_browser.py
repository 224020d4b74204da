"""In headless Chromium: an operator sees devices on the map, opens one, dims it, acknowledges an alarm."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from smartcity.iot import service
from smartcity.iot.pipeline import Envelope
from smartcity.iot.schemas import RuleCreate
from tests.iot.conftest import SYSTEM, message
from tests.support import chromium_page, run_once_on_sqlite, served

pytestmark = pytest.mark.browser
PASSWORD = "Iot-browser-test-1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

CABINET = "urn:ngsi-ld:StreetlightControlCabinet:TU-1"


@pytest.fixture
def live_server(app, db, add_device) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app on a free loopback port with an admin, two lights and a full container raising an alarm."""
    from smartcity.accounts.service import ensure_admin

    run_once_on_sqlite(db)
    ensure_admin(db, username="admin", password=PASSWORD)
    add_device("SL-1", lon=106.6530, lat=10.9800, relationships={"refStreetlightControlCabinet": CABINET})
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
    with served(app) as url:
        yield url


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    """A page in headless Chromium."""
    with chromium_page() as fresh:
        yield fresh


def test_operator_dims_a_light_and_acknowledges_an_alarm(live_server, page, db):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login?next=/can-bo/thiet-bi")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/can-bo/thiet-bi")
    page.wait_for_selector("#iot-map[data-ready=true]", timeout=20000)
    assert page.get_attribute("#iot-map", "data-count") == "3"
    assert page.locator("#device-table tbody tr").count() == 3
    page.click("text=SL-1")
    page.wait_for_url(f"{live_server}/can-bo/thiet-bi/SL-1")
    assert page.locator("dd code", has_text=CABINET).is_visible()  # its NGSI-LD Relationship
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "iot-device-page.png"), full_page=True)
    page.fill("input[name=value]", "35")
    page.click("form:has(input[value=dim]) button[type=submit]")
    page.wait_for_url("**message=sent")
    assert service.list_commands(db, device_id="SL-1")[0].params == {"dimLevel": 35.0}
    page.wait_for_selector("#latest[data-refreshed=true]", timeout=15000)
    observed = service.latest_state(db, device_ids=["SL-1"])["SL-1"]["dimLevel"][1]
    local = observed.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M:%S")
    assert page.text_content('#latest tr[data-key="dimLevel"] .t') == local  # refreshed in Vietnam time
    page.goto(f"{live_server}/can-bo/canh-bao-thiet-bi")
    page.click("text=Xác nhận")
    page.wait_for_url(f"{live_server}/can-bo/canh-bao-thiet-bi")
    assert service.list_alarms(db)[0][0].state == "acknowledged"
    assert errors == []
