"""In headless Chromium, the whole citizen path of the house-number procedure: find it, submit online with
attachments, the clerk receives, the head assigns, the specialist processes, the leader approves, the
citizen pays in the sandbox, downloads the result and rates the service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from smartcity.accounts import service as accounts
from smartcity.core.security import Actor
from smartcity.procedures import service as procedures
from tests.dossiers.dossier_fixtures import PASSWORD, PDF, PNG
from tests.support import chromium_browser, run_once_on_sqlite, served

pytestmark = pytest.mark.browser
SYSTEM = Actor.system("browser-test")
WARD = "UBND-25747-HCM"
STAFF = {"b_clerk": "clerk", "b_head": "head", "b_spec": "specialist", "b_leader": "leader"}


@pytest.fixture
def live_city(app, db) -> Iterator[str]:
    """The app on a free port with the city pack, the catalogue, a citizen and the ward's staff."""
    from smartcity.city.loader import load_city_pack

    run_once_on_sqlite(db)
    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    procedures.load_city_catalogue(db, actor=SYSTEM)
    accounts.create_user(db, actor=SYSTEM, username="b_citizen", password=PASSWORD, roles=[("citizen", None)])
    for username, role in STAFF.items():
        accounts.create_user(db, actor=SYSTEM, username=username, password=PASSWORD, roles=[(role, WARD)])
    with served(app) as url:
        yield url


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    """Debian's headless Chromium."""
    with chromium_browser() as launched:
        yield launched


def _session(browser, base: str, username: str):  # type: ignore[no-untyped-def]
    page = browser.new_context(locale="vi-VN").new_page()
    page.goto(f"{base}/login?next=/ho-so")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/ho-so")
    return page


def _act(
    browser, base: str, username: str, code: str, action: str, fill: dict[str, str] | None = None
) -> None:
    page = _session(browser, base, username)
    page.goto(f"{base}/ho-so/{code}")
    for selector, value in (fill or {}).items():
        page.fill(selector, value)
    page.click(f"#action-{action}")
    page.wait_for_url(f"{base}/ho-so/{code}")
    page.context.close()


def test_citizen_path_from_catalogue_to_rating(live_city, browser, tmp_path: Path):
    base = live_city
    (tmp_path / "don.pdf").write_bytes(PDF)
    (tmp_path / "so-do.png").write_bytes(PNG)
    citizen = _session(browser, base, "b_citizen")
    errors: list[str] = []
    citizen.on("pageerror", lambda exc: errors.append(str(exc)))
    citizen.goto(f"{base}/thu-tuc")
    citizen.fill("#q", "cap so nha")
    citizen.click("form[role=search] button[type=submit]")
    citizen.click("text=Cấp giấy chứng nhận số nhà")
    citizen.click("#submit-online")
    citizen.fill("#applicant_name", "Nguyễn Văn An")
    citizen.fill("#applicant_id", "074090001234")
    citizen.fill("#applicant_phone", "0912345678")
    citizen.fill("#f_owner_name", "Nguyễn Văn An")
    citizen.fill("#f_street", "Đường Bạch Đằng")
    citizen.select_option("#f_ward_code", "25747")
    citizen.fill("#f_map_sheet", "12")
    citizen.fill("#f_parcel_number", "345")
    citizen.select_option("#f_purpose", "new")
    citizen.set_input_files("#file_don_de_nghi", str(tmp_path / "don.pdf"))
    citizen.set_input_files("#file_gcn_qsdd", str(tmp_path / "so-do.png"))
    citizen.click("#submit-button")
    citizen.wait_for_selector("#dossier-code")
    code = citizen.inner_text("#dossier-code")
    assert code.startswith(f"{WARD}-") and citizen.get_attribute("#dossier-state", "data-state") == "1"

    _act(browser, base, "b_clerk", code, "receive")
    _act(browser, base, "b_head", code, "assign")
    _act(browser, base, "b_spec", code, "process", {"#r_house_number": "15A"})
    _act(browser, base, "b_head", code, "review")
    _act(browser, base, "b_leader", code, "decide")

    citizen.goto(f"{base}/ho-so/{code}")
    assert citizen.get_attribute("#dossier-state", "data-state") == "6"
    citizen.click("#pay-online")
    citizen.wait_for_selector("#sandbox-approve")
    assert "50.000" in citizen.inner_text("#amount")
    citizen.click("#sandbox-approve")
    citizen.wait_for_url(f"{base}/ho-so/{code}?msg=paid")
    assert citizen.get_attribute("#dossier-state", "data-state") == "9"
    result = citizen.request.get(f"{base}/api/v1/dossiers/{code}/documents/result.pdf")
    assert result.status == 200 and result.body().startswith(b"%PDF")
    citizen.click("#action-return")
    citizen.wait_for_url(f"{base}/ho-so/{code}")
    assert citizen.get_attribute("#dossier-state", "data-state") == "10"
    citizen.check("#overall-3")
    citizen.click("#rate-button")
    citizen.wait_for_selector("#rated")
    assert errors == []
