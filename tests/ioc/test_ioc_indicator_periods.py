"""Which period an indicator's value is for: a total over the period (dossiers received) is shown for the
latest complete period, never for the one that has just begun (0 at 00:05), while a share still shows the
running period's value; the centre's widget and the indicator's page show the same figure and say which
period it is, in Vietnamese."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.db import utcnow
from smartcity.ioc import service
from smartcity.ioc.models import IndicatorValue
from smartcity.ioc.service.indicators import period_of
from smartcity.ioc.views import period_text
from tests.ioc.test_ioc_pages import browser

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
JUST_AFTER_MIDNIGHT = datetime(2026, 12, 1, 0, 5, tzinfo=LOCAL)  # a new day and a new month have begun
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


def store(db, settings, code: str, frequency: str, start: datetime, values: dict[str, float | None]) -> None:  # type: ignore[no-untyped-def]
    """An indicator's stored values for one period: the city ("") and wards by code."""
    end = period_of(start, frequency, settings)[1]
    with db.write_session() as s:
        for ward, value in values.items():
            s.add(
                IndicatorValue(
                    code=code,
                    frequency=frequency,
                    period_start=start,
                    period_end=end,
                    ward_code=ward,
                    value=value,
                    computed_at=utcnow(),
                )
            )


def periods(now: datetime, frequency: str, settings) -> tuple[datetime, datetime]:  # type: ignore[no-untyped-def]
    """The start of the period running at `now` and of the one before it."""
    current = period_of(now, frequency, settings)[0]
    return current, period_of(current - timedelta(seconds=1), frequency, settings)[0]


def figures(db, settings, now: datetime, ward: str) -> None:  # type: ignore[no-untyped-def]
    """Dossiers received: 30 yesterday and 0 so far today; 147 last month (27 in `ward`) and 0 so far
    this month. Dossiers submitted online: 40% yesterday, 52.1% so far today."""
    today, yesterday = periods(now, "daily", settings)
    this_month, last_month = periods(now, "monthly", settings)
    store(db, settings, "dossiers.received", "daily", yesterday, {"": 30.0, ward: 6.0})
    store(db, settings, "dossiers.received", "daily", today, {"": 0.0})
    store(db, settings, "dossiers.received", "monthly", last_month, {"": 147.0, ward: 27.0})
    store(db, settings, "dossiers.received", "monthly", this_month, {"": 0.0})
    store(db, settings, "dossiers.online_share", "daily", yesterday, {"": 40.0})
    store(db, settings, "dossiers.online_share", "daily", today, {"": 52.1})


def test_a_total_shows_its_latest_complete_period_and_a_share_its_running_one(city, settings):
    ward = city_service.units_on(city, on=JUST_AFTER_MIDNIGHT.date(), level="ward")[0].code
    figures(city, settings, JUST_AFTER_MIDNIGHT, ward)
    rows = {
        r["indicator"].code: r
        for r in service.latest(
            city,
            settings=settings,
            codes=["dossiers.received", "dossiers.online_share"],
            now=JUST_AFTER_MIDNIGHT,
        )
    }
    received, online = rows["dossiers.received"], rows["dossiers.online_share"]
    assert received["value"] == 30.0 and received["previous"] is None  # not today's 0 of five minutes
    assert received["period"].start.astimezone(LOCAL) == datetime(2026, 11, 30, tzinfo=LOCAL)
    assert not received["period"].running
    assert period_text(received["period"], settings) == "Thứ Hai, 30/11/2026"
    assert online["value"] == 52.1 and online["previous"] == 40.0  # a share so far is still a share
    assert online["period"].running
    assert period_text(online["period"], settings) == "Thứ Ba, 01/12/2026, tính đến hiện tại"

    months = service.breakdown(
        city, settings=settings, code="dossiers.received", frequency="monthly", now=JUST_AFTER_MIDNIGHT
    )
    assert months.city == 147.0 and period_text(months.period, settings) == "tháng 11/2026"
    assert next(w["value"] for w in months.wards if w["ward"] == ward) == 27.0
    assert period_text(months.period, settings, "en") == "November 2026"


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The clock stopped, so that the day cannot change between storing figures and reading the page."""
    moment = clock.now()
    monkeypatch.setattr(clock, "now", lambda: moment)
    return moment


def widget(page: str, code: str) -> str:
    """The words of the centre's widget of an indicator."""
    found = re.search(rf'data-code="{re.escape(code)}">(.*?)</a>', page, re.S)
    assert found, code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_the_widget_and_the_indicator_page_agree_and_say_which_period(app, city, settings, frozen):
    ward = city_service.units_on(city, on=clock.today(settings), level="ward")[0]
    figures(city, settings, frozen, ward.code)
    local = frozen.astimezone(LOCAL)
    before = local - timedelta(days=1)
    yesterday = f"{WEEKDAYS[before.weekday()]}, {before:%d/%m/%Y}"
    today = f"{WEEKDAYS[local.weekday()]}, {local:%d/%m/%Y}"
    last_month = (local.replace(day=1) - timedelta(days=1)).strftime("%m/%Y").lstrip("0")
    staff = browser(app, "vanhanh", [("operator", None)])

    centre = staff.get("/ioc").text
    assert widget(centre, "dossiers.received").startswith(f"Số hồ sơ tiếp nhận 30 {yesterday}")
    online = widget(centre, "dossiers.online_share")
    assert f"52,1% ▲ {today}, tính đến hiện tại" in online
    dashboard = staff.get("/can-bo/dieu-hanh/linh-vuc/dossiers").text
    assert f'30</span><span class="w-period">{yesterday}</span>' in dashboard

    page = staff.get("/can-bo/dieu-hanh/chi-so/dossiers.received").text
    city_value = re.search(r'id="city-value">(.*?)</section>', page, re.S).group(1)
    assert ">30<" in city_value and yesterday in city_value and "kỳ đã kết thúc" in city_value
    wards = re.search(r'id="wards">(.*?)</section>', page, re.S).group(1)
    assert f"Theo phường, tháng {last_month}" in wards
    assert f"<td>{ward.name}</td><td>27</td>" in wards and "Toàn thành phố</th><td>147</td>" in wards
    english = staff.get("/can-bo/dieu-hanh/chi-so/dossiers.received?lang=en").text
    assert "By ward" in english and "Whole city" in english
    assert "Chưa đặt mục tiêu" in page and "Mục tiêu: <strong>" not in page  # a count has no target, not "—"
    assert "No target set" in english
    assert f"{before:%A} {before.day} {before:%B %Y}" in english
    english_centre = staff.get("/ioc?lang=en").text  # names in English, figures written the English way
    assert widget(english_centre, "dossiers.online_share").startswith("Dossiers submitted online 52.1% ▲")
    assert widget(english_centre, "environment.flooded_streets").startswith("Street flooding events")


def test_the_series_says_which_of_its_periods_is_still_running(app, city, settings, frozen):
    """The charts' data: each point carries its period's end and whether that period is still running, so
    that a chart does not draw the month so far of a total (0 at 00:05) as if the month were over."""
    ward = city_service.units_on(city, on=clock.today(settings), level="ward")[0].code
    figures(city, settings, frozen, ward)
    this_month, last_month = periods(frozen, "monthly", settings)
    staff = browser(app, "vanhanh", [("operator", None)])

    for code, accumulates in (("dossiers.received", True), ("dossiers.online_share", False)):
        answer = staff.get(f"/api/v1/ioc/indicators/{code}", params={"frequency": "daily"}).json()
        assert answer["indicator"]["accumulates"] is accumulates
        *done, running = answer["points"]
        assert running["running"] is True and all(p["running"] is False for p in done)
        assert datetime.fromisoformat(running["end"]) > frozen >= datetime.fromisoformat(running["start"])
        assert datetime.fromisoformat(done[-1]["end"]) == datetime.fromisoformat(running["start"])

    months = staff.get("/api/v1/ioc/indicators/dossiers.received", params={"frequency": "monthly"}).json()
    assert [(datetime.fromisoformat(p["start"]), p["value"], p["running"]) for p in months["points"]] == [
        (last_month, 147.0, False),
        (this_month, 0.0, True),
    ]
    ward_months = staff.get(
        "/api/v1/ioc/indicators/dossiers.received", params={"frequency": "monthly", "ward": ward}
    ).json()
    assert [(p["value"], p["running"]) for p in ward_months["points"]] == [(27.0, False)]


def test_the_indicator_page_says_how_it_is_computed_in_the_pages_language(app, city):
    staff = browser(app, "vanhanh", [("operator", None)])
    for code, vietnamese, english in (
        ("dossiers.received", "số hồ sơ nộp trong kỳ", "dossiers submitted in the period"),
        (
            "feedback.share_within_deadline",
            "phản ánh đã xử lý trong hạn / phản ánh đã xử lý × 100",
            "reports resolved within their deadline / reports resolved × 100",
        ),
    ):
        page = staff.get(f"/can-bo/dieu-hanh/chi-so/{code}?lang=vi").text
        assert f"Cách tính: {vietnamese}<br>" in page and english not in page
        page = staff.get(f"/can-bo/dieu-hanh/chi-so/{code}?lang=en").text
        assert f"Formula: {english}<br>" in page and vietnamese not in page
        indicator = staff.get(f"/api/v1/ioc/indicators/{code}").json()["indicator"]
        assert (indicator["formula_vi"], indicator["formula_en"]) == (vietnamese, english)
