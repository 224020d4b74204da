"""The procedure catalogue: the city's 278 procedures, search, filters, import/export, API and pages."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from smartcity.core.errors import ValidationFailed
from smartcity.core.i18n import written_in_vietnamese
from smartcity.core.security import Actor
from smartcity.core.text import fold
from smartcity.procedures import service
from smartcity.procedures.catalogue import build_catalogue, distribute_levels, ward_options

SYSTEM = Actor.system("test")
FULL = {"TDM-QLDT-001", "TDM-QLDT-002", "TDM-HT-001", "TDM-HT-002", "TDM-HT-003", "TDM-HKD-001"}


@pytest.fixture
def loaded(db):
    """The database with the city's catalogue loaded."""
    service.load_city_catalogue(db, actor=SYSTEM)
    return db


def test_fold_removes_vietnamese_diacritics():
    assert fold("Đăng ký  KHAI SINH") == "dang ky khai sinh"
    assert fold("Cấp giấy chứng nhận số nhà") == "cap giay chung nhan so nha"


def test_distribute_levels_meets_quotas_exactly():
    levels = distribute_levels(10, {4: 5, 3: 3, 1: 2})
    assert sorted(levels) == [1, 1, 3, 3, 3, 4, 4, 4, 4, 4]
    with pytest.raises(ValueError):
        distribute_levels(3, {4: 1})


def test_a_form_offers_the_wards_before_the_reorganisation_each_with_its_successor():
    options = {o["const"]: o["title"] for o in ward_options()}
    assert len(options) == 14  # the city pack's wards on 30/06/2025
    assert options["25747"] == "Phường Phú Cường (từ 01/07/2025: Phường Thủ Dầu Một)"
    assert options["25771"] == "Phường Tương Bình Hiệp (từ 01/07/2025: Phường Chánh Hiệp)"
    assert options["25741"] == "Phường Hiệp Thành"  # merged away: no ward of today has its code
    assert sum("(từ " in title for title in options.values()) == 5


def test_city_catalogue_matches_the_city_figures(loaded):
    counts = service.level_counts(loaded)
    assert sum(counts.values()) == 278
    assert counts[4] == 157 and counts[3] == 43
    full = service.list_procedures(loaded, full_only=True, limit=100)
    assert {p.code for p in full.items} >= FULL and full.total >= 40
    placeholders = service.list_procedures(loaded, limit=50, offset=0, q="chung thuc")
    assert any(p.is_placeholder for p in placeholders.items)


def test_full_procedures_carry_forms_documents_and_consistent_scales(loaded):
    house = service.get_procedure(loaded, "TDM-QLDT-001")
    assert house.level == 4 and house.online_scope == "toan_trinh"
    assert house.fee_total_vnd > 0
    assert {d.code for d in house.required_documents if d.required} == {"don_de_nghi", "gcn_qsdd"}
    assert "ward_code" in house.form_schema["required"]
    assert len(house.form_schema["properties"]["ward_code"]["oneOf"]) == 14
    permit = service.get_procedure(loaded, "TDM-QLDT-002")
    assert permit.processing_days == 15
    marriage = service.get_procedure(loaded, "TDM-HT-002")
    assert marriage.level == 3 and marriage.online_scope == "mot_phan"
    business = service.get_procedure(loaded, "TDM-HKD-001")
    assert business.processing_days == 3


def test_reloading_changes_nothing(loaded):
    report = service.load_city_catalogue(loaded, actor=SYSTEM)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 278)


@pytest.mark.parametrize("query", ["cấp số nhà", "cap so nha", "CAP SO NHA", "số nhà"])
def test_search_with_or_without_diacritics(loaded, query):
    page = service.list_procedures(loaded, q=query)
    assert page.items[0].code == "TDM-QLDT-001"
    texts = [fold(f"{p.code} {p.name} {p.field}") for p in page.items]
    assert all("so" in text and "nha" in text for text in texts)


def test_filters_by_field_level_and_agency(loaded):
    civil = service.list_procedures(loaded, field="HT", limit=500)
    assert civil.total >= 30 and all(p.field_code == "HT" for p in civil.items)
    level3 = service.list_procedures(loaded, level=3, limit=500)
    assert level3.total == 43 and all(p.online_scope == "mot_phan" for p in level3.items)
    urban = service.list_procedures(loaded, agency="TDM-QLDT", level=4, limit=500)
    assert urban.total > 0 and all(p.agency_code == "TDM-QLDT" and p.level == 4 for p in urban.items)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_round_trips(loaded, db, fmt):
    exported = service.export_catalogue(loaded, fmt=fmt)
    report = service.import_catalogue(db, actor=SYSTEM, filename=f"catalogue.{fmt}", content=exported)
    assert report.unchanged == 278 and report.created == report.updated == 0


def _csv(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode()


def test_import_of_a_bad_file_names_each_problem_and_stores_nothing(db):
    header = [
        "code",
        "name",
        "field",
        "field_code",
        "level",
        "processing_days",
        "agency_code",
        "result_type",
        "workflow",
        "required_documents",
    ]
    good = ["X-1", "Thủ tục thử", "Thử", "TH", "4", "3", "TDM-QLDT", "Quyết định", "city_standard", "[]"]
    bad = ["X-2", "Thủ tục sai", "Thử", "TH", "7", "3", "TDM-QLDT", "Quyết định", "no_such_flow", "[]"]
    with pytest.raises(ValidationFailed) as caught:
        service.import_catalogue(db, actor=SYSTEM, filename="c.csv", content=_csv([header, good, bad]))
    fields = {e["field"] for e in caught.value.errors}
    assert "row 2.level" in fields and "row 2.workflow" in fields
    assert service.list_procedures(db).total == 0
    broken_json = [*good[:-1], "[not json"]
    with pytest.raises(ValidationFailed):
        service.import_catalogue(db, actor=SYSTEM, filename="c.csv", content=_csv([header, broken_json]))


def test_import_rejects_level_scale_disagreement_and_bad_schema(db):
    record = {
        "code": "X-3",
        "name": "Thủ tục thử",
        "field": "Thử",
        "field_code": "TH",
        "level": 2,
        "online_scope": "toan_trinh",
        "processing_days": 1,
        "agency_code": "TDM-QLDT",
        "result_type": "Quyết định",
        "workflow": "ward_short",
    }
    with pytest.raises(ValidationFailed):
        service.upsert_procedures(db, actor=SYSTEM, records=[record])
    record.update(level=4, form_schema={"type": "object", "properties": {"x": {"type": "nope"}}})
    with pytest.raises(ValidationFailed):
        service.upsert_procedures(db, actor=SYSTEM, records=[record])


def test_api_lists_with_total_paging_and_filters(client, loaded):
    body = client.get("/api/v1/procedures", params={"q": "khai sinh", "limit": 2}).json()
    assert body["total"] >= 3 and len(body["items"]) == 2 and body["limit"] == 2
    assert client.get("/api/v1/procedures", params={"level": 4, "limit": 1}).json()["total"] == 157
    detail = client.get("/api/v1/procedures/TDM-HT-001").json()
    assert detail["form_schema"]["properties"]["child_name"]["type"] == "string"
    assert client.get("/api/v1/procedures/NOPE").status_code == 404
    assert client.get("/api/v1/procedures", params={"level": 9}).status_code == 422
    assert client.get("/api/v1/procedures/levels").json() == {"1": 18, "2": 60, "3": 43, "4": 157}


def test_api_export_and_admin_only_import(client, loaded):
    response = client.get("/api/v1/procedures/export", params={"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    files = {"file": ("c.csv", response.content, "text/csv")}
    assert client.post("/api/v1/procedures/import", files=files).status_code == 401


def test_catalogue_pages_in_vietnamese_and_english(client, loaded):
    page = client.get("/thu-tuc", params={"q": "cap so nha"})
    assert page.status_code == 200 and "Cấp giấy chứng nhận số nhà" in page.text
    detail = client.get("/thu-tuc/TDM-QLDT-001")
    assert "Thành phần hồ sơ" in detail.text and "Nộp hồ sơ trực tuyến" in detail.text
    english = client.get("/thu-tuc/TDM-QLDT-001", params={"lang": "en"})
    assert "Required documents" in english.text
    # The procedures' texts exist in Vietnamese only: the English page says so, marks the name as Vietnamese.
    only_vietnamese = "published in Vietnamese only"
    assert only_vietnamese in english.text and only_vietnamese not in detail.text
    assert '<h1 lang="vi">' in english.text
    assert "published in Vietnamese only" in client.get("/thu-tuc", params={"lang": "en"}).text
    assert json.loads(client.get("/api/v1/procedures/fields").text)


@pytest.fixture
def with_org_units(loaded):
    """The catalogue and the city pack's org units (the agencies that decide)."""
    from smartcity.city.loader import load_city_pack

    load_city_pack(loaded, pack="thu-dau-mot", actor=SYSTEM)
    return loaded


def test_catalogue_names_the_agencies_instead_of_their_codes(client, with_org_units):
    page = client.get("/thu-tuc").text
    agencies = page[page.index('<select id="agency"') : page.index("</select>", page.index('id="agency"'))]
    assert "Phòng Quản lý đô thị (" in agencies and "Ủy ban nhân dân thành phố Thủ Dầu Một (" in agencies
    assert "Phòng Giáo dục và Đào tạo (" in agencies and "Phòng Tài chính – Kế hoạch (" in agencies
    for code in ("TDM-GDDT", "TDM-QLDT", "TDM-TCKH", "UBND-TDM"):
        assert f"{code} (" not in agencies
    detail = client.get("/thu-tuc/TDM-QLDT-001").text
    # the ward has handled it since the 2025 reorganisation; the division that did until then, by its name
    assert "Phòng Quản lý đô thị, Ủy ban nhân dân thành phố Thủ Dầu Một" in detail
    assert "TDM-QLDT<" not in detail
    english = client.get("/thu-tuc", params={"lang": "en"}).text
    assert "Urban Management Division (" in english


def _pager(page: str) -> str:
    start = page.index('id="pager"')
    return re.sub(r"\s+", " ", page[start : page.index("</nav>", start)])


def test_catalogue_pager_spaces_the_pages_and_marks_the_current_one(client, loaded):
    pager = _pager(client.get("/thu-tuc").text)
    assert '<strong aria-current="page">1</strong> <a href="?page=2">2</a> <a href="?page=3">3</a>' in pager
    assert 'rel="next"' in pager and "Trang sau" in pager and 'rel="prev"' not in pager
    assert "…" in pager and '<a href="?page=14">14</a>' in pager  # 278 procedures, 20 a page
    assert "1 2 3 … 14" in re.sub(r"<[^>]+>", "", pager)
    pager = _pager(client.get("/thu-tuc", params={"page": 7}).text)
    assert '<strong aria-current="page">7</strong>' in pager and "Trang trước" in pager
    assert 'href="?page=6" rel="prev"' in pager and "Trang 7 / 14" in pager
    kept = _pager(client.get("/thu-tuc", params={"page": 2, "level": 4}).text)
    assert 'href="?level=4&amp;page=1" rel="prev"' in kept


def test_a_time_limit_of_no_working_days_reads_within_the_day(client, loaded, settings):
    from smartcity.procedures.search import search

    assert service.processing_time(0) == "trong ngày" and service.processing_time(5) == "5 ngày làm việc"
    hits = search(loaded, "dang ky khai sinh", settings, "vi")
    birth = next(hit for hit in hits if hit.title == "Đăng ký khai sinh")
    assert birth.summary == "Hộ tịch · trong ngày"
    assert "0 ngày làm việc" not in " ".join(hit.summary for hit in hits)
    english = search(loaded, "dang ky khai sinh", settings, "en")
    assert (
        next(hit for hit in english if hit.title == "Đăng ký khai sinh").summary
        == "Civil registration · same day"
    )


def test_every_field_of_the_catalogue_has_its_english_name():
    fields = {record["field"] for record in build_catalogue()}
    assert len(fields) >= 27 and "Bảo trợ xã hội - Giảm nghèo" in fields
    english = {name: service.field_name(name, "en") for name in fields}
    assert [name for name, said in english.items() if said == name or written_in_vietnamese(said)] == []
    assert len(set(english.values())) == len(fields)  # no two fields read alike
    assert all(service.field_name(name, "vi") == name for name in fields)
    assert english["Hộ tịch"] == "Civil registration" and english["Đất đai"] == "Land"


def test_english_pages_name_the_fields_in_english(client, loaded):
    page = client.get("/thu-tuc", params={"lang": "en"}).text
    choices = page[page.index('<select id="field"') : page.index("</select>", page.index('id="field"'))]
    assert "Social protection and poverty reduction (" in choices and "Certification (" in choices
    assert "Bảo trợ xã hội" not in choices and "Chứng thực" not in choices
    listed = client.get("/thu-tuc", params={"lang": "en", "field": "HT"}).text
    assert "<td>Civil registration</td>" in listed and "<td>Hộ tịch</td>" not in listed
    detail = client.get("/thu-tuc/TDM-BTXH-002", params={"lang": "en"}).text
    assert "<td>Social protection and poverty reduction</td>" in detail and "Bảo trợ xã hội" not in detail
    vietnamese = client.get("/thu-tuc/TDM-BTXH-002", params={"lang": "vi"}).text
    assert "<td>Bảo trợ xã hội - Giảm nghèo</td>" in vietnamese
