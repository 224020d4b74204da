"""The catalogue: every domain's datasets with full metadata, generated files, suppression, usage, pages."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta

from openpyxl import load_workbook

from smartcity.core import clock
from smartcity.core.datasets import SMALL_COUNT
from smartcity.core.kpis import KpiContext
from smartcity.opendata import kpis, service, tasks
from tests.opendata.conftest import LOCAL, add_reports

EXPECTED = {"procedures-catalogue", "dossiers-monthly", "feedback-reports-monthly", "gis-planning-zones"}


def test_every_dataset_says_what_it_is(public_city, settings):
    datasets = service.all_datasets()
    assert {d.name for d in datasets} >= EXPECTED
    for d in datasets:
        assert d.title_vi and d.title_en and d.description_vi and d.description_en, d.name
        assert d.publisher and d.licence and d.themes and d.keywords and d.frequency, d.name
        assert d.columns and d.name.startswith(d.domain + "-"), d.name
    info = service.dataset_info(
        public_city, settings, service.get_dataset("feedback-reports-monthly"), "http://x/"
    )
    assert info.temporal[0] is not None and info.temporal[0].year == 2025


def _csv(client, resource_id):  # type: ignore[no-untyped-def]
    answer = client.get(f"/du-lieu-mo/tai-ve/{resource_id}")
    assert answer.status_code == 200, answer.text
    return answer, list(csv.DictReader(io.StringIO(answer.content.decode("utf-8"))))


def test_files_in_three_formats_with_small_counts_suppressed(client, public_city, settings):
    answer, rows = _csv(client, "feedback-reports-monthly-csv")
    assert answer.headers["content-type"].startswith("text/csv")
    assert "feedback-reports-monthly.csv" in answer.headers["content-disposition"]
    march = [r for r in rows if r["month"] == "2025-03"]
    assert sum(int(r["reports"]) for r in march if r["reports"]) == 6
    assert "description" not in rows[0] and "reporter" not in ",".join(rows[0])

    add_reports(public_city, settings.resolved_secret_key, count=SMALL_COUNT - 1, text="Rác thải ùn ứ")
    service.regenerate(public_city, settings, names=["feedback-reports-monthly"])
    _answer, rows = _csv(client, "feedback-reports-monthly-csv")
    counts = [r["reports"] for r in rows if r["month"] == "2025-03"]
    assert counts == ["10"], "the same category, ward and month: 6 + 4 reports"

    workbook = load_workbook(io.BytesIO(client.get("/du-lieu-mo/tai-ve/procedures-catalogue-xlsx").content))
    sheet = workbook["data"]
    assert sheet.cell(1, 1).value == "Mã thủ tục" and sheet.max_row == 279
    layer = json.loads(client.get("/du-lieu-mo/tai-ve/gis-planning-zones-geojson").content)
    assert layer["type"] == "FeatureCollection" and layer["features"]
    assert layer["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert client.get("/du-lieu-mo/tai-ve/procedures-catalogue-geojson").status_code == 404
    assert client.get("/du-lieu-mo/tai-ve/nothing-csv").status_code == 404


def test_small_groups_are_hidden(public_city, settings):
    from smartcity.feedback.datasets import report_rows

    april = datetime(2025, 4, 7, 9, 0, tzinfo=LOCAL)
    add_reports(public_city, settings.resolved_secret_key, count=2, text="Ngập nước sau mưa", start=april)
    rows = list(report_rows(public_city, settings))
    assert [r["reports"] for r in rows if r["month"] == "2025-04"] == [None]
    assert [r["reports"] for r in rows if r["month"] == "2025-03"] == [6]


def test_the_task_regenerates_every_file(public_city, settings):
    written = tasks.regenerate(public_city)
    expected = sum(len(service.file_formats(d)) for d in service.all_datasets())
    assert written == expected
    info = service.dataset_info(
        public_city, settings, service.get_dataset("procedures-catalogue"), "http://x/"
    )
    csv_resource = info.resources[0]
    assert csv_resource.rows == 278 and csv_resource.size and csv_resource.generated_at
    assert "opendata.regenerate" in tasks.INTERVALS


def test_downloads_and_api_calls_are_counted_and_offered_as_indicators(client, public_city, settings):
    client.get("/du-lieu-mo/tai-ve/procedures-catalogue-csv")
    client.get("/du-lieu-mo/tai-ve/procedures-catalogue-xlsx")
    client.get("/ckan/api/3/action/resource_show", params={"id": "procedures-catalogue-csv"})
    client.get("/ckan/api/3/action/package_list")  # names no dataset: not counted
    counts = service.usage_counts(public_city)
    assert counts["procedures-catalogue"] == {"download": 2, "api": 1}
    now = clock.now()
    context = KpiContext(
        settings=settings, start=now - timedelta(days=1), end=now + timedelta(minutes=1), on=now.date()
    )
    by_code = {i.code: i for i in kpis.INDICATORS}
    assert by_code["opendata.downloads"].compute(public_city, context)[0].value == 2.0
    assert by_code["opendata.api_calls"].compute(public_city, context)[0].value == 1.0
    earlier = KpiContext(
        settings=settings, start=now - timedelta(days=3), end=now - timedelta(days=2), on=now.date()
    )
    assert by_code["opendata.downloads"].compute(public_city, earlier)[0].value == 0.0


def test_the_pages_list_search_and_preview_without_javascript(client, public_city):
    page = client.get("/du-lieu-mo", params={"q": "phan anh"})
    assert page.status_code == 200
    assert "Phản ánh hiện trường theo lĩnh vực, phường và tháng" in page.text
    assert "Danh mục thủ tục hành chính" not in page.text
    themed = client.get("/du-lieu-mo", params={"theme": "REGI"})
    assert "Phân khu quy hoạch" in themed.text and "Danh mục thủ tục" not in themed.text
    detail = client.get("/du-lieu-mo/procedures-catalogue")
    assert detail.status_code == 200
    assert "CC-BY-4.0" in detail.text and "Hằng tháng" in detail.text
    assert re.search(r"278 dòng, \d+,\d KB", detail.text), "Vietnamese decimal comma"
    assert detail.text.count("<tr>") >= 20  # header and the preview rows
    assert 'href="/du-lieu-mo/tai-ve/procedures-catalogue-xlsx"' in detail.text
    assert client.get("/du-lieu-mo/nothing").status_code == 404
    english = client.get("/du-lieu-mo/procedures-catalogue?lang=en")
    assert "Catalogue of administrative procedures" in english.text
    assert re.search(r"278 rows, \d+\.\d KB", english.text), "English decimal point"
    assert "Thủ Dầu Một People&#39;s Committee" in english.text and "UBND thành phố" not in english.text
    assert "UBND thành phố Thủ Dầu Một" in detail.text
    assert "UBND thành phố" not in client.get("/du-lieu-mo").text  # the cookie keeps English


def test_the_command_line_regenerates_and_lists(public_city, settings, monkeypatch):
    from rich.console import Console
    from typer.testing import CliRunner

    from smartcity.opendata import cli

    monkeypatch.setattr("smartcity.core.db.open_database", lambda *a, **k: public_city)
    monkeypatch.setattr(cli, "console", Console(width=250))  # wide enough for the names, however many
    runner = CliRunner()
    result = runner.invoke(cli.opendata_app, ["regenerate", "procedures-catalogue"])
    assert result.exit_code == 0, result.output
    assert "2 files written" in result.output
    listed = runner.invoke(cli.opendata_app, ["list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "procedures-catalogue" in listed.output


def test_dossiers_per_procedure_and_month_with_the_on_time_share(public_city, settings):
    from smartcity.dossiers.datasets import dossier_rows, procedure_rows
    from smartcity.dossiers.demo import seed_demo_dossiers

    # enough that some procedure has five or more in a month whatever day the test runs on
    made = seed_demo_dossiers(public_city, settings=settings, count=600, years=0.25)
    rows = list(dossier_rows(public_city, settings))
    shown = [r["received"] for r in rows if r["received"] is not None]
    assert 0 < sum(shown) <= made
    assert all(n >= SMALL_COUNT for n in shown)
    assert all(r["on_time_share"] is None for r in rows if r["finished"] is None)
    overall = list(procedure_rows(public_city, settings))
    shares = [r["on_time_share"] for r in overall if r["on_time_share"] is not None]
    assert shares and all(0.0 <= s <= 1.0 for s in shares)
    assert "applicant_name" not in rows[0] and "applicant_name" not in overall[0]


def _preview(page: str) -> str:
    start = page.index('id="preview-title"')
    return page[start : page.index("</table>", start)]


def test_the_preview_writes_numbers_and_dates_the_vietnamese_way_and_the_files_do_not(client, public_city):
    procedures = _preview(client.get("/du-lieu-mo/procedures-catalogue").text)
    assert re.search(r"<td>\d{1,3}(\.\d{3})+</td>", procedures), "fees such as 2.000"
    assert not re.search(r"<td>\d{4,}</td>", procedures), "no plain 2000"
    zones = client.get("/du-lieu-mo/gis-planning-zones")
    preview = _preview(zones.text)
    assert re.search(r"<td>\d{2}/\d{2}/\d{4}</td>", preview) and not re.search(r"<td>\d{4}-\d{2}-", preview)
    english = _preview(client.get("/du-lieu-mo/procedures-catalogue?lang=en").text)
    assert re.search(r"<td>\d{1,3}(,\d{3})+</td>", english)
    files = client.get("/du-lieu-mo/tai-ve/gis-planning-zones-csv").text
    assert re.search(r",\d{4}-\d{2}-\d{2}", files) and not re.search(r"\d{2}/\d{2}/\d{4}", files)
    fees = client.get("/du-lieu-mo/tai-ve/procedures-catalogue-csv").text
    assert re.search(r",\d{4,}(,|$)", fees, re.MULTILINE)


def test_the_preview_writes_a_month_as_month_and_year_and_only_a_strict_iso_text_changes():
    from smartcity.core.datasets import Column
    from smartcity.opendata.views import preview_cell

    month = Column("month", "Tháng", "Month")
    assert preview_cell(month, "2024-12") == "12/2024"
    assert preview_cell(month, "2025-03") == "03/2025"
    assert preview_cell(month, "2025-13") == "2025-13"  # no such month: the text itself
    assert preview_cell(month, "TDM-2024-12") == "TDM-2024-12"
    assert preview_cell(month, "2024-12-05").strftime("%d/%m/%Y") == "05/12/2024"
    assert preview_cell(month, "2024-02-30") == "2024-02-30"
    assert preview_cell(Column("code", "Mã", "Code", "integer"), "2024") == 2024
    assert preview_cell(Column("day", "Ngày", "Day", "date"), "2024-12-05").isoformat() == "2024-12-05"


def test_the_monthly_preview_says_the_month_the_vietnamese_way_and_the_files_keep_iso(
    client, public_city, settings
):
    from smartcity.dossiers.demo import seed_demo_dossiers

    seed_demo_dossiers(public_city, settings=settings, count=60, years=0.25)
    for name in ("dossiers-monthly", "feedback-reports-monthly"):
        preview = _preview(client.get(f"/du-lieu-mo/{name}").text)
        assert re.search(r"<td>(0[1-9]|1[0-2])/\d{4}</td>", preview), name
        assert not re.search(r"<td>\d{4}-\d{2}</td>", preview), name
        csv_text = client.get(f"/du-lieu-mo/tai-ve/{name}-csv").text
        assert re.search(r"^\d{4}-\d{2},", csv_text, re.MULTILINE) and not re.search(r"\d{2}/\d{4}", csv_text)


def test_the_dataset_page_names_the_city_and_shows_the_keywords_of_its_language(client, public_city):
    from smartcity.city.service import city_name
    from smartcity.opendata.views import keywords_in_language

    page = client.get("/du-lieu-mo/dossiers-monthly").text
    title = re.search(r"<title>(.*?)</title>", page, re.DOTALL)[1]  # type: ignore[index]
    assert "Dữ liệu mở" in title and "Thủ Dầu Một" in title
    keywords = re.search(r"Từ khóa</dt><dd>(.*?)</dd>", page)[1]  # type: ignore[index]
    assert "hồ sơ" in keywords and "một cửa" in keywords
    assert "dossiers" not in keywords and "one-stop shop" not in keywords
    english = client.get("/du-lieu-mo/dossiers-monthly?lang=en").text
    english_title = re.search(r"<title>(.*?)</title>", english, re.DOTALL)[1]  # type: ignore[index]
    assert "Open data" in english_title and city_name(locale="en") in english_title
    english_keywords = re.search(r"Keywords</dt><dd>(.*?)</dd>", english)[1]  # type: ignore[index]
    assert "dossiers" in english_keywords and "one-stop shop" in english_keywords
    assert "hồ sơ" not in english_keywords and "một cửa" not in english_keywords
    # codes belong to both languages; the catalogue's machine formats keep every keyword
    assert keywords_in_language(("không khí", "AQI", "VN_AQI", "air"), "vi") == ["không khí", "AQI", "VN_AQI"]
    assert keywords_in_language(("không khí", "AQI", "1022", "air"), "en") == ["AQI", "1022", "air"]
    package = client.get("/ckan/api/3/action/package_show", params={"id": "dossiers-monthly"}).json()
    tags = {t["name"] for t in package["result"]["tags"]}
    assert {"hồ sơ", "dossiers", "one-stop shop"} <= tags
