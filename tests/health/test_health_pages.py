"""Health pages through HTTP: staff search, immunisation list, quarantine board; the citizen's space."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from smartcity.core import clock
from smartcity.core.security import Actor
from smartcity.health import service
from tests.health.conftest import PASSWORD, bearer, patient


def _signed_in(client: TestClient, username: str) -> TestClient:
    """A browser-like client signed in through the login form (the staff page reads the web session)."""
    browser = TestClient(client.app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").text).group(1)  # type: ignore[union-attr]
    form = {"username": username, "password": PASSWORD, "csrf_token": token, "next": "/can-bo"}
    assert browser.post("/login", data=form, follow_redirects=False).status_code == 303
    return browser


def _html(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "text/html"}


def test_staff_pages_show_names_not_codes_and_log_reads(client, db, settings, user_token) -> None:  # type: ignore[no-untyped-def]
    _, manager = user_token("health_manager")
    service.ensure_population(db)
    pid = client.post(
        "/fhir/R4/Patient",
        json=patient("074190007777", "Trương", "Mỹ Linh", "1990-07-07", ward="25760"),
        headers=bearer(manager),
    ).json()["id"]
    _, worker = user_token("health_worker", "TYT-25760")
    home = client.get("/can-bo/y-te", params={"q": "truong my linh"}, headers=_html(worker))
    assert home.status_code == 200
    assert "Trương Mỹ Linh" in home.text and "*********777" in home.text and "074190007777" not in home.text
    assert "Phường Bình Dương" in home.text and ">25760<" not in home.text
    assert "Toàn thành phố" in home.text and "Nguồn số dân: Số liệu minh hoạ" in home.text
    record = client.get(f"/can-bo/y-te/benh-nhan/{pid}", headers=_html(worker))
    assert record.status_code == 200 and "Trương Mỹ Linh" in record.text
    _, elsewhere = user_token("health_worker", "TYT-25747")
    other_ward = client.get(f"/can-bo/y-te/benh-nhan/{pid}", headers=_html(elsewhere))
    nobody = client.get("/can-bo/y-te/benh-nhan/khong-co-ai", headers=_html(elsewhere))
    assert other_ward.status_code == nobody.status_code == 404  # another ward's person, as if there were none
    assert "Không tìm thấy hồ sơ sức khỏe của người này." in other_ward.text
    assert "Trương Mỹ Linh" not in other_ward.text
    assert (
        "Trương Mỹ Linh"
        not in client.get("/can-bo/y-te", params={"q": "Trương"}, headers=_html(elsewhere)).text
    )
    citizen_id, citizen = user_token("citizen")
    service.link_person(db, actor=Actor.system("t"), user_id=citizen_id, patient_id=pid)
    space = client.get("/suc-khoe", headers=_html(citizen))
    assert space.status_code == 200 and "Ai đã xem hồ sơ của tôi" in space.text
    assert "healthworker" in space.text  # the staff member who opened the record
    assert (
        client.post(
            "/suc-khoe/dong-y", data={"given": "1"}, headers=_html(citizen), follow_redirects=False
        ).status_code
        == 303
    )
    assert citizen_id in service.consented(db, "immunisation-reminders")
    assert "Rút lại sự đồng ý" in client.get("/suc-khoe", headers=_html(citizen)).text
    client.post("/suc-khoe/dong-y", data={"given": "0"}, headers=_html(citizen))
    assert citizen_id not in service.consented(db, "immunisation-reminders")
    _, clerk = user_token("clerk", "UBND-25747-HCM")
    for path in (
        "/can-bo/y-te",
        "/can-bo/y-te/tiem-chung",
        "/can-bo/y-te/cach-ly",
        f"/can-bo/y-te/benh-nhan/{pid}",
    ):
        assert client.get(path, headers=_html(clerk)).status_code == 403
    assert client.get("/can-bo/y-te", follow_redirects=False).status_code == 303


def test_quarantine_board_and_citizen_check_in_through_forms(client, db, settings, user_token) -> None:  # type: ignore[no-untyped-def]
    _, manager = user_token("health_manager")
    pid = client.post(
        "/fhir/R4/Patient",
        json=patient("074190008888", "Lý", "Thanh", "1988-08-08", ward="25768"),
        headers=bearer(manager),
    ).json()["id"]
    today = clock.today(settings)
    case_id = service.open_case(
        db,
        settings,
        actor=Actor.system("t"),
        patient_id=pid,
        disease="covid-19",
        kind="case",
        start=today - timedelta(days=2),
    )
    assert service.find_missed_checkins(db, settings, on=today) == 2
    _, worker = user_token("health_worker", "TYT-25768", username="tram.chanhnghia")
    board = client.get("/can-bo/y-te/cach-ly", headers=_html(worker))
    assert "Lý Thanh" in board.text and board.text.count("Không khai báo y tế") == 2
    work = _signed_in(client, "tram.chanhnghia").get("/can-bo").text
    assert re.search(r'<strong class="work-count">2</strong> Cảnh báo cách ly chưa xử lý', work)
    user_token("health_worker", "TYT-25747", username="tram.khac")  # another ward's station sees none
    assert "Cảnh báo cách ly" not in _signed_in(client, "tram.khac").get("/can-bo").text
    citizen_id, citizen = user_token("citizen")
    assert "<h2>Sức khỏe của tôi</h2>" not in client.get("/cua-toi", headers=_html(citizen)).text  # no record
    service.link_person(db, actor=Actor.system("t"), user_id=citizen_id, patient_id=pid)
    space = client.get("/cua-toi", headers=_html(citizen)).text
    assert "Hôm nay chưa khai báo y tế" in space and 'href="/suc-khoe#checkin"' in space
    client.cookies.set("lang", "en")
    english = client.get("/cua-toi", headers=_html(citizen)).text
    assert "<h2>My health</h2>" in english and "Not yet checked in today" in english
    assert "Cách ly" not in english
    client.cookies.set("lang", "vi")
    done = client.post(
        "/suc-khoe/khai-bao",
        data={"case_id": case_id, "temperature": "38,9", "symptoms": ["ho", "kho-tho"]},
        headers=_html(citizen),
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/suc-khoe?da-khai-bao=1"
    space = client.get("/cua-toi", headers=_html(citizen)).text
    assert "<h2>Sức khỏe của tôi</h2>" in space and "Cách ly y tế tại nhà (COVID-19)" in space
    assert "Hôm nay đã khai báo" in space and "Hôm nay chưa khai báo" not in space
    assert "Có dấu hiệu cảnh báo" in client.get("/can-bo/y-te/cach-ly", headers=_html(worker)).text
    released = client.post(
        "/can-bo/y-te/cach-ly",
        data={"action": "release", "case_id": case_id},
        headers=_html(worker),
        follow_redirects=False,
    )
    assert released.status_code == 303
    assert "Lý Thanh" not in client.get("/can-bo/y-te/cach-ly", headers=_html(worker)).text


def test_linking_an_account_and_the_conflict_list(client, db, user_token) -> None:  # type: ignore[no-untyped-def]
    _, manager = user_token("health_manager")
    pid = client.post(
        "/fhir/R4/Patient",
        json=patient("074190011111", "Quách", "Tĩnh", "1980-01-01"),
        headers=bearer(manager),
    ).json()["id"]
    client.post(
        "/fhir/R4/Patient",
        json=patient("074190011111", "Quách", "Tĩnh", "1981-01-01"),
        headers=bearer(manager),
    )
    home = client.get("/can-bo/y-te", headers=_html(manager))
    assert "Hồ sơ trùng số căn cước cần xem xét" in home.text and "Ngày sinh" in home.text
    citizen_id, citizen = user_token("citizen", username="quachtinh")
    _, worker = user_token("health_worker", "TYT-25747")
    linked = client.post(
        f"/can-bo/y-te/benh-nhan/{pid}/lien-ket",
        data={"username": "quachtinh"},
        headers=_html(worker),
        follow_redirects=False,
    )
    assert linked.status_code == 303 and "da-lien-ket" in linked.headers["location"]
    assert service.patient_for_user(db, citizen_id) == pid
    _, far = user_token("health_worker", "TYT-25768")
    api = client.post(
        "/api/v1/health/links", json={"username": "quachtinh", "patient_id": pid}, headers=bearer(far)
    )
    assert api.status_code == 404  # not a person of that worker's ward
    assert client.get("/api/v1/health/conflicts", headers=bearer(manager)).json()[0]["patient_id"] == pid
    assert client.get("/api/v1/health/conflicts", headers=bearer(citizen)).status_code == 403


def test_public_epidemic_page_shows_aggregates_only(client, db, settings, user_token) -> None:  # type: ignore[no-untyped-def]
    _, manager = user_token("health_manager")
    today = clock.today(settings)
    for n in range(6):
        pid = client.post(
            "/fhir/R4/Patient",
            json=patient(f"07419002{n:04d}", "Mạc", "Cửu", "1975-01-01", ward="25750" if n < 5 else "25771"),
            headers=bearer(manager),
        ).json()["id"]
        service.open_case(
            db, settings, actor=Actor.system("t"), patient_id=pid, disease="dengue", kind="case", start=today
        )
    page = client.get("/dich-benh")
    assert page.status_code == 200
    assert "Phường Phú Lợi</td><td>5<" in page.text.replace("\n", "")
    assert "Phường Chánh Hiệp</td><td>dưới 5" in page.text.replace("\n", "")
    assert "Mạc" not in page.text


def test_english_pages_name_vaccines_and_diseases_in_english_and_write_numbers_the_english_way(  # type: ignore[no-untyped-def]
    client, db, settings, user_token
) -> None:
    from smartcity.core.i18n import get_translations
    from smartcity.health.demo import POPULATION_SOURCE

    _, manager = user_token("health_manager")
    service.ensure_population(db)
    today = clock.today(settings)
    pid = client.post(
        "/fhir/R4/Patient",
        json=patient("074190009999", "Đỗ", "Bảo An", (today - timedelta(days=700)).isoformat(), ward="25768"),
        headers=bearer(manager),
    ).json()["id"]
    service.open_case(db, settings, actor=Actor.system("t"), patient_id=pid, disease="hfmd", kind="case")
    _, worker = user_token("health_worker", "TYT-25768")
    city = next(r for r in service.coverage_by_ward(db, today) if r.ward_code is None and r.age_group is None)
    assert city.population >= 1000

    client.cookies.set("lang", "en")
    home = client.get("/can-bo/y-te", headers=_html(worker)).text
    assert f"({city.records:,} / {city.population:,})" in home
    assert "Source of the population figures: Illustrative figures, not official statistics" in home
    immunisation = client.get("/can-bo/y-te/tiem-chung", headers=_html(worker)).text
    for name in ("Hepatitis B birth dose", "BCG", "Oral polio vaccine (OPV)", "Measles–rubella (MR)"):
        assert name in immunisation
    assert "Viêm gan B sơ sinh" not in immunisation and "Bại liệt uống" not in immunisation
    assert "0.0%" in immunisation and "0,0%" not in immunisation
    board = client.get("/can-bo/y-te/cach-ly", headers=_html(worker)).text
    assert "Hand, foot and mouth disease" in board and "Tay chân miệng" not in board
    record = client.get(f"/can-bo/y-te/benh-nhan/{pid}", headers=_html(worker)).text
    assert "Oral polio vaccine (OPV)" in record and ">Dengue fever</option>" in record
    # the demo's own source line has its English too (it names the demo's scale)
    assert get_translations("en", "health").gettext(POPULATION_SOURCE).startswith("Simulated: ")

    client.cookies.set("lang", "vi")
    home = client.get("/can-bo/y-te", headers=_html(worker)).text
    assert f"({city.records:,} / {city.population:,})".replace(",", ".") in home
    assert "Nguồn số dân: Số liệu minh hoạ, không phải thống kê chính thức" in home
    immunisation = client.get("/can-bo/y-te/tiem-chung", headers=_html(worker)).text
    assert "Viêm gan B sơ sinh" in immunisation and "Bại liệt uống (OPV)" in immunisation
    assert "0,0%" in immunisation and "Hepatitis B" not in immunisation
    board = client.get("/can-bo/y-te/cach-ly", headers=_html(worker)).text
    assert "Tay chân miệng" in board and "Hand, foot" not in board


def test_a_health_station_is_named_in_both_languages(city):
    from smartcity.accounts import service as accounts_service

    station = accounts_service.get_org_unit(city, "TYT-25747")
    assert station is not None
    assert station.name == "Trạm Y tế phường Thủ Dầu Một"
    assert station.name_en == "Health station of Thủ Dầu Một Ward"
