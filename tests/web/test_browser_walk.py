"""The demo walked in headless Chromium as a citizen, a ward clerk and a department head (issue 13).

The citizen submits a house-number dossier, follows it, receives the signed result, verifies it on the
public page and finds the new number on the map; the ward's one-stop staff receive, process, decide and
return it; the department head opens the dashboards. Every page visited is read as a person reads it: no
internal code, no English, no UTC time, and every local link on it answers 2xx.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urldefrag, urlsplit

import pytest
from shapely.geometry import Point

from smartcity.accounts.views import CITIZEN_HOME
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.demo import DEMO_ADMIN, DemoLogin
from tests.support import chromium_browser, served

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
FAULTS = {
    "an internal code": re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b"),
    "an actor id": re.compile(r"\b(?:user|system|service):[\w.-]+"),
    "a ward by its code": re.compile(r"\b(?:Phường|Xã|Thị trấn)\s+\d{4,5}\b"),
    "a unit by its code": re.compile(r"\b[A-Z]{2,}-\d{4,5}-[A-Z]{2,}\b(?!-)"),
    "a UTC or ISO time": re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d|\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z\b|\+00:00"),
    # (a licence's SPDX name such as AGPL-3.0 is a name, not a number)
    "a decimal point (not a comma)": re.compile(r"(?<![\d.])(?<![A-Za-z]-)\d+\.(?!\d{3}(?!\d))\d+(?![\d.])"),
    "English": re.compile(
        r"\b(?:Submit|Error|Not Found|Internal Server Error|Forbidden|Unauthorized|Method Not Allowed|"
        r"Dashboard|None|null|undefined|NaN|Invalid|early|waiting|pending|overdue|signed|unsigned|"
        r"true|false|Traceback|ConnectError)\b"
    ),
}
ALLOWED: tuple[tuple[re.Pattern[str], str, re.Pattern[str]], ...] = (
    # (page, fault, text), each with the reason it is not a fault; empty: the walk found none to excuse
)
VISIBLE_TEXT = """() => {
  const hidden = Array.from(document.querySelectorAll('code, pre')).map((e) => e.innerText);
  let text = document.body.innerText;  // API paths in <code> are shown to developers on purpose
  for (const part of hidden) { text = text.split(part).join(' '); }
  return text;
}"""
LINKS = "() => Array.from(document.querySelectorAll('a[href]')).map((a) => a.href)"
NOT_REQUESTED = re.compile(r"^/(logout|dang-xuat)\b|[?&]lang=")  # would end the session / switch language


@dataclass(frozen=True)
class WalkCity:
    """The live demo server, its sign-in and a vacant spot on a street for a new house."""

    url: str
    login: DemoLogin
    house: tuple[float, float]


@dataclass
class Walker:
    """Reads each visited page as a person does and records what is wrong on it."""

    base: str
    faults: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    links: dict[tuple[str, str], int] = field(default_factory=dict)

    def read(self, page: Any, who: str) -> str:
        """Check the page now shown: its text and every local link on it; returns its visible text."""
        where = urlsplit(page.url)
        path = where.path + (f"?{where.query}" if where.query else "")
        self.visited.append(f"{who} {path}")
        text = " ".join(str(page.evaluate(VISIBLE_TEXT)).split())
        for fault, pattern in FAULTS.items():
            for found in pattern.finditer(text):
                if not self._allowed(path, fault, found.group(0)):
                    around = text[max(0, found.start() - 40) : found.end() + 20]
                    self.faults.append(f"{who} {path}: shows {fault}: {found.group(0)!r} in {around!r}")
        for href in page.evaluate(LINKS):
            self._check_link(page, who, path, href)
        return text

    def _allowed(self, path: str, fault: str, text: str) -> bool:
        return any(p.match(path) and f == fault and t.fullmatch(text) for p, f, t in ALLOWED)

    def _check_link(self, page: Any, who: str, path: str, href: str) -> None:
        link, _fragment = urldefrag(href)
        parts = urlsplit(link)
        local = parts.path + (f"?{parts.query}" if parts.query else "")
        if not link.startswith(self.base) or NOT_REQUESTED.search(local):
            return
        if (who, local) not in self.links:
            self.links[(who, local)] = page.request.get(link, timeout=20000).status
        status = self.links[(who, local)]
        if not 200 <= status < 300:
            self.faults.append(f"{who} {path}: link {local} answers {status}")


def _vacant_spot(db: Database) -> tuple[float, float]:
    """A point just inside a parcel with no address yet, facing a street: where the citizen's house is."""
    from smartcity.gis import service
    from smartcity.gis.geo import from_metric, parse_geojson, to_metric

    addressed = {
        f.properties["parcel"] for f in service.query_features(db, slug="addresses", limit=5000).features
    }
    for parcel in service.query_features(db, slug="land-parcels", limit=5000).features:
        if parcel.key in addressed:
            continue
        shape = to_metric(parse_geojson(parcel.geometry))
        for street in service.features_in_bbox(db, slug="streets", box=parcel.bbox):
            line = to_metric(parse_geojson(street.geometry))
            if line.distance(shape) < 10:
                front = line.interpolate(line.project(shape.centroid))
                inside = Point(
                    front.x + (shape.centroid.x - front.x) * 0.4, front.y + (shape.centroid.y - front.y) * 0.4
                )
                point = from_metric(inside)
                return round(point.x, 6), round(point.y, 6)
    raise AssertionError("no vacant parcel in the demo")


@pytest.fixture(scope="module")
def city(small_demo: tuple[Settings, str]) -> Iterator[WalkCity]:
    """The demo as `smartcity demo` prepares it (small sizes; a copy of the run's), served live."""
    from smartcity.web.app import create_app

    settings, password = small_demo
    db = Database(settings.resolved_database_url, settings=settings)
    try:
        house = _vacant_spot(db)
    finally:
        db.dispose()
    with served(create_app(settings)) as url:
        yield WalkCity(url, DemoLogin(DEMO_ADMIN, password), house)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium."""
    with chromium_browser() as launched:
        yield launched


def _signed_in(browser: Any, city: WalkCity, username: str, walker: Walker) -> Any:
    """A fresh browser context signed in from the home page's sign-in link, as a person does."""
    page = browser.new_context(locale="vi-VN").new_page()
    page.on("pageerror", lambda exc: walker.faults.append(f"{username} {page.url}: script error {exc}"))
    page.goto(f"{city.url}/")
    walker.read(page, "anonymous")
    page.click("header a[href^='/login']")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", city.login.password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def _visit(page: Any, walker: Walker, who: str, url: str) -> str:
    page.goto(url)
    return walker.read(page, who)


def _act(
    page: Any, walker: Walker, who: str, code: str, action: str, fill: dict[str, str] | None = None
) -> None:
    """Take a step of the dossier from its page, as `who`, and check it was taken."""
    _visit(page, walker, who, f"{walker.base}/ho-so/{code}")
    for selector, value in (fill or {}).items():
        if page.locator(selector).evaluate("e => e.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    page.click(f"#action-{action}")
    page.wait_for_url(f"{walker.base}/ho-so/{code}")
    walker.read(page, who)
    taken = page.locator(f"#action-{action}").count() == 0
    assert taken, f"{who} could not {action}: {page.inner_text('main')}"


def test_the_demo_walked_as_citizen_clerk_and_department_head(
    city: WalkCity, browser: Any, tmp_path: Path
) -> None:
    base, walker = city.url, Walker(city.url)
    (tmp_path / "don.pdf").write_bytes(PDF)
    (tmp_path / "so-do.png").write_bytes(PNG)
    lon, lat = city.house

    # 1. The citizen signs in, lands on their own space and submits a house-number dossier.
    citizen = _signed_in(browser, city, "congdan", walker)
    assert urlsplit(citizen.url).path == CITIZEN_HOME, citizen.url  # their own space, not the staff area
    walker.read(citizen, "congdan")
    _visit(citizen, walker, "congdan", f"{base}/thu-tuc")
    citizen.fill("#q", "cấp số nhà")
    citizen.click("form[role=search] button[type=submit]")
    citizen.wait_for_load_state()
    walker.read(citizen, "congdan")
    citizen.click("text=Cấp giấy chứng nhận số nhà")
    citizen.wait_for_load_state()
    walker.read(citizen, "congdan")
    citizen.click("#submit-online")
    citizen.wait_for_selector("#submit-form")
    walker.read(citizen, "congdan")
    citizen.fill("#applicant_name", "Đỗ Thị Lan")
    citizen.fill("#applicant_id", "074190001234")
    citizen.fill("#applicant_phone", "0912345678")
    citizen.fill("#f_owner_name", "Đỗ Thị Lan")
    citizen.fill("#f_street", "Đường Bạch Đằng")
    citizen.select_option("#f_ward_code", index=1)
    citizen.fill("#f_map_sheet", "12")
    citizen.fill("#f_parcel_number", "345")
    citizen.select_option("#f_purpose", "new")
    citizen.fill("#f_latitude", str(lat))
    citizen.fill("#f_longitude", str(lon))
    citizen.set_input_files("#file_don_de_nghi", str(tmp_path / "don.pdf"))
    citizen.set_input_files("#file_gcn_qsdd", str(tmp_path / "so-do.png"))
    citizen.click("#submit-button")
    citizen.wait_for_selector("#dossier-code")
    code = citizen.inner_text("#dossier-code")
    walker.read(citizen, "congdan")
    assert citizen.get_attribute("#dossier-state", "data-state") == "1"
    _visit(citizen, walker, "congdan", f"{base}/tra-cuu")
    citizen.fill("#code", code)
    citizen.fill("#second_factor", "0912345678")
    citizen.click("form[action='/tra-cuu'] button[type=submit]")
    citizen.wait_for_selector("#lookup-result")
    assert code in walker.read(citizen, "congdan")
    _visit(citizen, walker, "congdan", f"{base}/ho-so")
    assert code in citizen.inner_text("main")

    # 2. The ward's one-stop staff: receive, assign, process, review, decide (the result is signed).
    staff = {}
    for username in ("motcua", "truongphong", "chuyenvien", "lanhdao"):
        staff[username] = _signed_in(browser, city, username, walker)
        assert urlsplit(staff[username].url).path == "/can-bo", staff[username].url
        walker.read(staff[username], username)
    _visit(staff["motcua"], walker, "motcua", f"{base}/can-bo/ho-so")
    _act(staff["motcua"], walker, "motcua", code, "receive")
    receipt = staff["motcua"].request.get(f"{base}/api/v1/dossiers/{code}/documents/receipt.pdf")
    assert receipt.ok and receipt.body().startswith(b"%PDF")
    _act(staff["truongphong"], walker, "truongphong", code, "assign", {"#assignee": "chuyenvien"})
    _act(staff["chuyenvien"], walker, "chuyenvien", code, "process")
    _act(staff["truongphong"], walker, "truongphong", code, "review")
    _act(staff["lanhdao"], walker, "lanhdao", code, "decide")
    leader = staff["lanhdao"]
    assert leader.locator("#result-signature[data-status=signed]").count() == 1, leader.inner_text("main")

    # 3. The citizen pays, sees the signed result, downloads it and verifies it on the public page.
    _visit(citizen, walker, "congdan", f"{base}/ho-so/{code}")
    assert citizen.get_attribute("#dossier-state", "data-state") == "6"
    citizen.click("#pay-online")
    citizen.wait_for_selector("#sandbox-approve")
    walker.read(citizen, "congdan")
    citizen.click("#sandbox-approve")
    citizen.wait_for_url(f"{base}/ho-so/{code}?msg=paid")
    walker.read(citizen, "congdan")
    _act(staff["motcua"], walker, "motcua", code, "return")
    _visit(citizen, walker, "congdan", f"{base}/ho-so/{code}")
    assert citizen.get_attribute("#dossier-state", "data-state") == "10"
    assert citizen.get_attribute("#result-signature", "data-status") == "signed"
    result = citizen.request.get(base + str(citizen.get_attribute("#doc-result", "href")))  # the PDF link
    assert result.ok and result.body().startswith(b"%PDF"), result.status
    signed = tmp_path / "ket-qua.pdf"
    signed.write_bytes(result.body())
    _visit(citizen, walker, "congdan", f"{base}/kiem-tra-chu-ky")
    citizen.set_input_files("input[name=file]", str(signed))
    citizen.click("form[action='/kiem-tra-chu-ky'] button[type=submit]")
    citizen.wait_for_selector("#verdict")
    walker.read(citizen, "congdan")
    assert citizen.get_attribute("#verdict", "data-verdict") == "valid"
    _visit(citizen, walker, "congdan", f"{base}/ho-so/{code}")
    citizen.click("#verify-result")  # the result's own verification page (the QR code on it leads there)
    citizen.wait_for_selector("#verdict")
    walker.read(citizen, "congdan")

    # The new number is in the address register: the portal's search finds it, the map shows it.
    address = _certified_address(citizen, walker, code)
    _visit(citizen, walker, "congdan", f"{base}/tim-kiem?q={quote(address)}")
    citizen.click("main a[href^='/ban-do-quy-hoach?address=']")
    citizen.wait_for_selector("#plan-map[data-ready=true]", timeout=20000)
    walker.read(citizen, "congdan")
    assert address in citizen.inner_text("#plan-info")  # the map's panel: the register's address there

    # 4. The department head opens the statistics and dashboards.
    head = staff["truongphong"]
    _visit(head, walker, "truongphong", f"{base}/can-bo")
    dashboards = [
        link
        for link in dict.fromkeys(head.evaluate(LINKS))
        if link.startswith(f"{base}/can-bo/") and "thong-ke" not in link
    ]
    for by in ("field", "procedure", "unit", "month"):
        _visit(head, walker, "truongphong", f"{base}/can-bo/thong-ke?by={by}")
    for link in dashboards:
        _visit(head, walker, "truongphong", link)

    assert len(walker.visited) > 20
    assert not walker.faults, f"{len(walker.faults)} faults on {len(walker.visited)} pages:\n" + "\n".join(
        dict.fromkeys(walker.faults)
    )


def _certified_address(page: Any, walker: Walker, code: str) -> str:
    """The address written on the dossier's result (as the citizen reads it on the dossier page)."""
    _visit(page, walker, "congdan", f"{walker.base}/ho-so/{code}")
    return str(page.inner_text("#result-address")).strip()
