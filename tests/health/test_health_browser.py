"""In headless Chromium: a ward health worker sees a missed check-in on the board and takes it in hand;
the person checks in from the citizen space and sees their children's vaccination record."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smartcity.accounts import service as accounts_service
from smartcity.core import clock
from smartcity.core.security import Actor
from smartcity.health import service
from tests.health.conftest import NATIONAL, PASSWORD, SYSTEM, bearer, patient
from tests.support import chromium_page, run_once_on_sqlite, served

pytestmark = pytest.mark.browser


def _login(page, base: str, username: str, target: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login?next={target}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_health_worker_board_and_citizen_check_in(app, client, db, settings, user_token, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run_once_on_sqlite(db)
    _, manager = user_token("health_manager")
    mother = client.post(
        "/fhir/R4/Patient",
        json=patient("074190009999", "Cao", "Thị Nga", "1991-03-03"),
        headers=bearer(manager),
    ).json()["id"]
    today = clock.today(settings)
    contact = [
        {
            "extension": [
                {
                    "url": "http://thudaumot.gov.vn/fhir/StructureDefinition/contact-identifier",
                    "valueIdentifier": {"system": NATIONAL, "value": "074190009999"},
                }
            ]
        }
    ]
    client.post(
        "/fhir/R4/Patient",
        json=patient(
            "074326009999", "Cao", "Minh Khôi", (today - timedelta(days=400)).isoformat(), contact=contact
        ),
        headers=bearer(manager),
    )
    case_id = service.open_case(
        db,
        settings,
        actor=SYSTEM,
        patient_id=mother,
        disease="covid-19",
        kind="contact",
        start=today - timedelta(days=1),
    )
    service.find_missed_checkins(db, settings, on=today)
    accounts_service.create_user(
        db,
        actor=SYSTEM,
        username="tramyte",
        password=PASSWORD,
        full_name="Lê Thị Hồng",
        roles=[("health_worker", "TYT-25747")],
    )
    citizen = accounts_service.create_user(
        db, actor=SYSTEM, username="caothinga", password=PASSWORD, roles=[("citizen", None)]
    )
    service.link_person(db, actor=Actor.system("t"), user_id=citizen.id, patient_id=mother)
    with served(app) as base, chromium_page() as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _login(page, base, "tramyte", "/can-bo/y-te/cach-ly")
        row = page.locator(f"#board tr[data-case='{case_id}']")
        assert "Cao Thị Nga" in row.inner_text() and "Không khai báo y tế" in row.inner_text()
        page.screenshot(path=str(tmp_path / "health-board.png"), full_page=True)
        row.locator("button", has_text="Đã xử lý").click()
        page.wait_for_load_state()
        assert "Không khai báo y tế" not in page.locator(f"#board tr[data-case='{case_id}']").inner_text()
        page.context.clear_cookies()

        _login(page, base, "caothinga", "/suc-khoe")
        page.fill("#temperature", "37,1")
        page.check("input[value=ho]")
        page.click("#checkin button[type=submit]")
        page.wait_for_selector("#done")
        assert "Cao Minh Khôi" in page.inner_text("main") and "Đã tiêm" not in page.inner_text("#record-2")
        assert "Quá hạn" in page.inner_text("#record-2")
        readers = page.inner_text("#accesses")  # the board showed her name: a logged read, by her name
        assert "Lê Thị Hồng" in readers and "tramyte" not in readers
        page.screenshot(path=str(tmp_path / "health-citizen.png"), full_page=True)
        assert errors == []
    board = service.quarantine_board(db, wards={"25747"})
    assert board[0].last_checkin == today and board[0].last_temperature == 37.1
