"""The public list of works /cong-trinh: a page at a time, by ward today, by stage, by words of the name."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.pages import PageParams
from smartcity.investment import service, works

ALL = PageParams(limit=500)


def _rows(html: str) -> list[str]:
    body = html.split('<table class="data" id="works">')[1].split("</table>")[0]
    return re.findall(r'<a href="/cong-trinh/(\d+)">', body)


@pytest.fixture
def today(settings):  # type: ignore[no-untyped-def]
    return clock.today(settings)


def test_the_list_comes_a_page_at_a_time_with_the_filters_kept_in_the_pager(client, demo):
    first = client.get("/cong-trinh")
    assert first.status_code == 200
    assert len(_rows(first.text)) == 20 and "181 công trình; đang xem 1–20" in first.text
    assert 'aria-current="page">1<' in first.text and "Trang 1 / 10" in first.text
    second = client.get("/cong-trinh", params={"page": "2"}).text
    assert "đang xem 21–40" in second and not set(_rows(second)) & set(_rows(first.text))
    last = client.get("/cong-trinh", params={"page": "10"}).text
    assert len(_rows(last)) == 1 and 'rel="next"' not in last
    kept = client.get("/cong-trinh", params={"giai_doan": "da-quyet-toan", "q": "duong"}).text
    pager = kept.split('id="pager"')[1]
    assert "?giai_doan=da-quyet-toan&amp;q=duong&amp;page=2" in pager


def test_under_way_works_come_first(client, demo):
    html = client.get("/cong-trinh").text
    table = html.split('id="works"')[1]
    assert table.index("Đang thi công") < table.index("Đã quyết toán")


def test_a_bad_or_too_large_page_number_is_no_error(client, demo):
    for page in ("abc", "0", "-3", "1e9", "99999999999999999999"):
        response = client.get("/cong-trinh", params={"page": page})
        assert response.status_code == 200, page
        assert "Trang 1 / 10" in response.text
    past = client.get("/cong-trinh", params={"page": "57"})
    assert past.status_code == 200 and "Trang 10 / 10" in past.text and len(_rows(past.text)) == 1


def test_by_ward_today_finds_the_works_recorded_in_the_wards_it_took_over(client, demo, today):
    ward = next(w for w in works.current_wards(demo, on=today) if w.name == "Phường Thủ Dầu Một")
    found = works.find_works(demo, on=today, filters=works.WorksFilter(ward=ward.code), paging=ALL)
    recorded_here = [w for w in found.items if ward.code in w["ward_codes"]]
    taken_over = [w for w in found.items if ward.code not in w["ward_codes"]]
    assert recorded_here and taken_over  # Phú Thọ, Chánh Nghĩa (whole), parts of Hiệp Thành and Chánh Mỹ
    assert all(w["wards_today"] == ["Phường Thủ Dầu Một"] for w in found.items)
    assert {"Phường Phú Thọ", "Phường Chánh Nghĩa"} <= {n for w in taken_over for n in w["former_wards"]}
    every = works.find_works(demo, on=today, filters=works.WorksFilter(), paging=ALL)
    per_ward = [
        works.find_works(demo, on=today, filters=works.WorksFilter(ward=w.code), paging=ALL).total
        for w in works.current_wards(demo, on=today)
    ]
    assert sum(per_ward) == every.total == 181  # each work in exactly one ward today

    html = client.get("/cong-trinh", params={"phuong": ward.code}).text
    assert f"{found.total} công trình" in html
    assert f'<option value="{ward.code}" selected>Phường Thủ Dầu Một</option>' in html
    assert "trước đây: Phường" in html and ward.code not in html.split('id="works"')[1].split("</table>")[0]


def test_a_split_ward_goes_by_where_the_work_is(demo, today):
    """Hiệp Thành went partly to Thủ Dầu Một and the rest to Phú Lợi: each work to the one it lies in."""
    every = works.find_works(demo, on=today, filters=works.WorksFilter(), paging=ALL).items
    in_hiep_thanh = [w for w in every if "Phường Hiệp Thành" in w["former_wards"]]
    assert in_hiep_thanh and all(len(w["wards_today"]) == 1 for w in in_hiep_thanh)
    for work in in_hiep_thanh:
        middle = works.shape(work["geometry"]).representative_point()
        ward = city_service.ward_at(demo, lon=middle.x, lat=middle.y, on=today)
        assert ward is not None and work["wards_today"] == [ward.name]


def test_by_stage_in_words(client, demo):
    html = client.get("/cong-trinh", params={"giai_doan": "dang-thi-cong"}).text
    assert "14 công trình" in html and len(_rows(html)) == 14 and "Đã quyết toán</td>" not in html
    assert '<option value="dang-thi-cong" selected>Đang thi công (14)</option>' in html
    assert "implementation" not in html.split("<main")[1].split('id="inv-map"')[0]
    assert "Trang 1 /" not in html  # one page: no pager


def test_search_without_accents_finds_the_name_with_them(client, demo, today):
    folded = works.find_works(demo, on=today, filters=works.WorksFilter(q="duong yersin"), paging=ALL)
    accented = works.find_works(demo, on=today, filters=works.WorksFilter(q="Đường YERSIN"), paging=ALL)
    assert folded.total == accented.total > 0
    assert all("Yersin" in w["name"] and "đường" in w["name"] for w in folded.items)
    html = client.get("/cong-trinh", params={"q": "thoat nuoc"}).text
    assert "Hệ thống thoát nước" in html and "Cải tạo đường" not in html.split('id="works"')[1]
    assert 'value="thoat nuoc"' in html


def test_an_empty_result_says_so(client, demo):
    html = client.get("/cong-trinh", params={"q": "san bay quoc te", "giai_doan": "chuan-bi-dau-tu"}).text
    assert "Không có công trình nào phù hợp với điều kiện tìm" in html
    assert 'id="pager"' not in html and 'href="/cong-trinh">Bỏ lọc' in html


def test_an_unknown_filter_value_is_no_filter(client, demo):
    response = client.get("/cong-trinh", params={"phuong": "99999", "giai_doan": "settled", "q": "x" * 500})
    assert response.status_code == 200
    assert "Tất cả các phường</option>" in response.text


def test_the_map_shows_the_same_works_as_the_list(client, demo, today):
    ward = works.current_wards(demo, on=today)[0]
    html = client.get("/cong-trinh", params={"phuong": ward.code, "giai_doan": "da-quyet-toan"}).text
    source = html.split('data-source="')[1].split('"')[0].replace("&amp;", "&")
    assert source == f"/api/v1/investment/projects.geojson?ward={ward.code}&phase=settled"
    features = client.get(source).json()["features"]
    listed = works.find_works(
        demo, on=today, filters=works.WorksFilter(ward=ward.code, phase="settled"), paging=ALL
    )
    assert {f["properties"]["id"] for f in features} == {w["id"] for w in listed.items if w["geometry"]}
    assert len(client.get("/api/v1/investment/projects.geojson").json()["features"]) > 100


def test_a_work_has_a_public_page(client, demo):
    first = _rows(client.get("/cong-trinh").text)[0]
    page = client.get(f"/cong-trinh/{first}")
    assert page.status_code == 200 and "Đang thi công" in page.text and "tỷ đồng" in page.text
    assert f"/api/v1/investment/projects/{first}/geojson" in page.text
    assert client.get(f"/api/v1/investment/projects/{first}/geojson").status_code == 200
    assert client.get("/cong-trinh/999999").status_code == 404


def test_demo_names_read_as_the_city_writes_them_each_once(demo):
    names = [p["name"] for p in service.list_projects(demo)]
    assert len(names) == len(set(names)) == 181
    for name in names:  # "Nhà văn hóa khu phố khu phố 7": no word or words said twice over
        assert not re.search(r"\b(\w+(?: \w+)*) \1\b", name), name
    assert any(re.fullmatch(r"Nhà văn hóa khu phố \d, phường [^,]+", n) for n in names)
    assert any(re.fullmatch(r"Trạm y tế phường [^,]+", n) for n in names)


def test_an_english_work_page_names_its_wards_the_english_way(client, demo, today, login):
    every = works.find_works(demo, on=today, filters=works.WorksFilter(), paging=ALL).items
    work = next(w for w in every if w["former_wards"] and w["wards_today"])
    client.cookies.set("lang", "en")
    page = client.get(f"/cong-trinh/{work['id']}").text
    facts = page.split('id="work-facts"')[1].split("</dl>")[0]
    assert city_service.name_in_english(work["wards_today"][0]) in facts
    assert f"formerly: {city_service.name_in_english(work['former_wards'][0])}" in facts
    assert "Phường" not in facts
    live = next(w for w in every if w["phase"] == "implementation" and w["wards_today"])
    staff = client.get(f"/can-bo/dau-tu/du-an/{live['id']}", headers=login("lanhdao", ("leader", None))).text
    assert city_service.name_in_english(live["wards_today"][0]) in staff
    assert "<dd>Phường" not in staff


def test_in_english_the_list_is_in_english(client, demo):
    client.cookies.set("lang", "en")
    html = client.get("/cong-trinh", params={"giai_doan": "dang-thi-cong"}).text
    assert "Under construction (14)" in html and "VND " in html and "tỷ đồng" not in html
    assert "% done" in html and "All wards" in html
    words = json.loads(html.split('id="inv-map-words">')[1].split("</script>")[0])
    assert words["phases"]["implementation"] == "Under construction"  # the map's popups, in English too
    empty = client.get("/cong-trinh", params={"q": "zzzz"}).text
    assert "No works match your search" in empty


def _sheet_codes(client, ward: str) -> set[str]:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/investment/projects.xlsx", params={"ward": ward}).content
    return {row[0] for row in load_workbook(io.BytesIO(body)).active.iter_rows(min_row=2, values_only=True)}


def test_the_api_and_the_spreadsheet_filter_by_ward_as_the_page(client, demo, today):
    """A ward valid today finds the works in it, also those recorded in a ward abolished on 2025-07-01."""
    ward = next(w for w in works.current_wards(demo, on=today) if w.name == "Phường Thủ Dầu Một")
    listed = works.find_works(demo, on=today, filters=works.WorksFilter(ward=ward.code), paging=ALL).items
    api = client.get("/api/v1/investment/projects", params={"ward": ward.code}).json()
    assert {w["id"] for w in api} == {w["id"] for w in listed}
    assert any(ward.code not in w["ward_codes"] for w in api)  # recorded under a ward abolished in 2025
    assert _sheet_codes(client, ward.code) == {w["code"] for w in listed}
    roads = client.get("/api/v1/investment/projects", params={"ward": ward.code, "kind": "road"}).json()
    assert roads and {w["id"] for w in roads} == {w["id"] for w in listed if w["kind"] == "road"}


def test_an_abolished_ward_finds_the_works_recorded_in_it(client, demo):
    """An old ward's code (Phú Thọ, abolished in 2025) still finds the works recorded in it, as before."""
    every = client.get("/api/v1/investment/projects").json()
    before = city_service.reorganisation_date() - timedelta(days=1)
    phu_tho = next(
        u.code for u in city_service.units_on(demo, on=before, level="ward") if u.name == "Phường Phú Thọ"
    )
    recorded = {w["code"] for w in every if phu_tho in w["ward_codes"]}
    found = client.get("/api/v1/investment/projects", params={"ward": phu_tho}).json()
    assert recorded and {w["code"] for w in found} == recorded == _sheet_codes(client, phu_tho)


def test_a_work_is_placed_with_one_question_to_the_city_at_most(demo, today, monkeypatch):
    """A split ward's works are placed by the city's `ward_at`, once each, not by reading every ward."""
    asked: list[tuple[float, float]] = []
    ward_at = city_service.ward_at
    monkeypatch.setattr(
        city_service,
        "ward_at",
        lambda db, *, lon, lat, on: asked.append((lon, lat)) or ward_at(db, lon=lon, lat=lat, on=on),
    )
    ward = next(w for w in works.current_wards(demo, on=today) if w.name == "Phường Phú Lợi")
    found = works.find_works(demo, on=today, filters=works.WorksFilter(ward=ward.code), paging=ALL)
    assert found.total and asked and len(asked) == len(set(asked)) < 181
