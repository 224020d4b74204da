"""The centre's live feed shows the lighting, waste, camera and environment events the server sends, each
with its label and words in the page's language, never a device's id, a code or a raw value."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from smartcity.accounts import service as accounts_service
from smartcity.cameras import events as cameras_events
from smartcity.core import events as events_module
from smartcity.core.events import Event
from smartcity.core.i18n import written_in_vietnamese
from smartcity.core.outbox import bus
from smartcity.environment import events as environment_events
from smartcity.ioc.events import CapAlertPublished, OperationsReportReady, PlaybookNotificationDue
from smartcity.ioc.live import SHOWN_PREFIXES, hub
from smartcity.iot.events import AlarmAcknowledged, AlarmRaised
from smartcity.lighting import events as lighting_events
from smartcity.waste import events as waste_events
from tests.ioc.conftest import PASSWORD, SYSTEM, YERSIN
from tests.ioc.test_ioc_pages import browser
from tests.support import chromium_page, run_once_on_sqlite, served

NOW = "2026-12-05T12:30:00+00:00"
DOMAIN_EVENTS = (lighting_events, waste_events, cameras_events, environment_events)


def _feed_words(page: str) -> dict[str, Any]:
    found = re.search(r'<script id="ioc-i18n" type="application/json">(.*?)</script>', page, re.S)
    assert found
    words: dict[str, Any] = json.loads(found.group(1))
    return words


def _domain_event_names() -> set[str]:
    """Every event lighting, waste, cameras and environment publish (the live hub sends them all)."""
    return {
        kind.name
        for module in DOMAIN_EVENTS
        for kind in vars(module).values()
        if isinstance(kind, type) and issubclass(kind, Event) and kind is not Event
    }


def test_the_centre_names_every_domain_event_in_both_languages(app, city):
    staff = browser(app, "vanhanh", [("operator", None)])
    vi = _feed_words(staff.get("/ioc?lang=vi").text)
    en = _feed_words(staff.get("/ioc?lang=en").text)
    names = _domain_event_names()
    assert len(names) == 12 and names <= set(vi["events"]) and names <= set(en["events"])
    for name in names:
        assert written_in_vietnamese(vi["events"][name]), name
        assert not written_in_vietnamese(en["events"][name]), name
    assert (
        vi["cameraKinds"]["accident"] == "Tai nạn giao thông"
        and en["cameraKinds"]["accident"] == "Traffic accident"
    )
    assert (vi["wasteAlarms"]["fire"], en["wasteAlarms"]["fire"]) == ("Cháy trong thùng", "Fire in container")
    sent = {name for name in events_module._REGISTRY if name.startswith(SHOWN_PREFIXES)}
    assert names < sent and "ioc.OperationsReportReady" in sent
    assert sent - set(vi["events"]) == set()  # the page listens to every event the hub sends it


@pytest.fixture
def live_server(app, city) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app served with the city loaded (SQLite only), and an operator of the centre."""
    run_once_on_sqlite(city)
    accounts_service.create_user(
        city, actor=SYSTEM, username="vanhanh", password=PASSWORD, roles=[("operator", None)]
    )
    with served(app) as url:
        yield url


def _open_centre(page: Any, url: str) -> None:
    """Open the centre and wait until its live feed listens (the hub has the page as a subscriber)."""
    before = hub.subscribers
    page.goto(url)
    page.wait_for_selector("#feed[data-connected=true]", state="attached", timeout=15000)
    deadline = time.monotonic() + 10
    while hub.subscribers <= before and time.monotonic() < deadline:
        time.sleep(0.05)


def _shown(page: Any, event: Event) -> str:
    """Dispatch `event` as the outbox does and return what the feed's new line says (its time left out)."""
    count = page.locator("#feed li").count()
    bus.dispatched(event)
    page.wait_for_function("n => document.querySelectorAll('#feed li').length > n", arg=count, timeout=10000)
    return str(page.evaluate("document.querySelector('#feed li').lastChild.textContent")).strip()


def _events() -> list[tuple[str, Event, str]]:
    """(Vietnamese label, event, the words its line must read), with ids and codes that must not show."""
    lon, lat = YERSIN
    return [
        (
            "Phát hiện sự cố đèn chiếu sáng",
            lighting_events.FaultDetected(
                41,
                "SL-Y0",
                "light",
                "GRP-YERSIN",
                "on_in_daylight",
                "Ban ngày đèn vẫn tiêu thụ 96 W.",
                NOW,
                lon,
                lat,
            ),
            "Đèn sáng ban ngày: Ban ngày đèn vẫn tiêu thụ 96 W.",  # the fault in words, then its evidence
        ),
        (
            "Nhóm đèn chuyển mức sáng",
            lighting_events.GroupSwitched("GRP-YERSIN", 70, NOW, "Ngày lễ: Quốc khánh", 1250),
            "1.250 đèn sáng 70% (Ngày lễ: Quốc khánh)",
        ),
        (
            "Đã sửa xong sự cố chiếu sáng",
            lighting_events.TicketClosed(41, "SL-Y0", "lamp_failure", "Tổ sửa chữa 2", "Đã thay bộ nguồn."),
            "Đã thay bộ nguồn.",
        ),
        (
            "Cảnh báo thùng rác",
            waste_events.ContainerAlarmRaised(
                7, "WB-0012", "fire", "Nhiệt độ trong thùng 71 °C: nghi cháy.", NOW, lon, lat
            ),
            "Cháy trong thùng: Nhiệt độ trong thùng 71 °C: nghi cháy.",
        ),
        (
            "Đã lập kế hoạch thu gom rác",
            waste_events.CollectionPlanned(3, "2026-12-05", 42, 3, 37.46, 1),
            "Ngày 05/12/2026: 42 thùng, 3 tuyến, 37,5 km, 1 thùng không thu gom được",
        ),
        (
            "Đã thu gom thùng rác",
            waste_events.ContainerEmptied("WB-0012", "61C-123.45", NOW, 35.5),
            "35,5 kg",
        ),
        (
            "Camera phát hiện sự kiện",
            cameras_events.CameraEventReported(
                77,
                "CAM-NGA6",
                "Vòng xoay Ngã Sáu",
                "traffic",
                "accident",
                "Tai nạn giao thông — Vòng xoay Ngã Sáu",
                "Severe",
                NOW,
                lon,
                lat,
                ward_code="25747",
            ),
            "Tai nạn giao thông tại Vòng xoay Ngã Sáu",
        ),
        (
            "Đã xác nhận sự kiện camera",
            cameras_events.CameraEventAcknowledged(77, "CAM-NGA6", "user:vanhanh"),
            "",
        ),
        (
            "Chất lượng không khí xấu đi",
            environment_events.AirQualityDegraded(
                "AQ-PC", "Trạm Phú Cường", NOW, 165, "bad", "pm25", lon, lat
            ),
            "Trạm Phú Cường: VN_AQI 165 (Xấu)",  # the band's name, never its code
        ),
        (
            "Nước đang lên",
            environment_events.WaterRising(9, "FL-YERSIN", "Đường Yersin", 6.2, NOW, lon, lat),
            "Đường Yersin: mực nước 6 cm so với mặt đường",
        ),
        (
            "Đường ngập",
            environment_events.StreetFlooded(9, "FL-YERSIN", "Đường Yersin", 18.4, NOW, lon, lat),
            "Đường Yersin: mực nước 18 cm so với mặt đường",
        ),
        (
            "Nước ngập đã rút",
            environment_events.FloodReceded(9, "FL-YERSIN", None, 23.0, NOW),
            "mực nước cao nhất 23 cm so với mặt đường",
        ),
        (
            "Cảnh báo thiết bị",
            AlarmRaised(
                5, 2, "Nhiệt độ cao", "SL-Y0", "streetlight", "high", "Nhiệt độ cao: Nhiệt độ = 81", NOW
            ),
            "Nhiệt độ cao: Nhiệt độ = 81",
        ),
        ("Đã xác nhận cảnh báo thiết bị", AlarmAcknowledged(5, "SL-Y0", "user:vanhanh"), ""),
        (
            "Cần báo tin theo kịch bản",
            PlaybookNotificationDue(
                3, "SC-2026-0042", 1, ("role:operator",), "Ngập đường Yersin", "Điều xe hút nước.", True, NOW
            ),
            "SC-2026-0042: Ngập đường Yersin",
        ),
        (
            "Đã có báo cáo vận hành",
            OperationsReportReady("monthly", "2026-11", "/ioc/reports/monthly/2026-11.pdf", (), NOW),
            "báo cáo tháng 11/2026",
        ),
    ]


# What must never reach the page: the events' ids, codes and raw values above.
HIDDEN = (
    "role:",
    "/ioc/reports",
    "SL-Y0",
    "GRP-YERSIN",
    "WB-0012",
    "61C-123.45",
    "CAM-NGA6",
    "AQ-PC",
    "FL-YERSIN",
    "25747",
    "user:",
)
RAW = (
    "monthly",
    "on_in_daylight",
    "lamp_failure",
    "accident",
    "fire",
    "bad",
    "pm25",
    "Severe",
    "light",
    "traffic",
)


@pytest.mark.browser
def test_domain_events_reach_the_live_feed_in_words(live_server):
    errors: list[str] = []
    with chromium_page(width=1400, height=1000) as page:
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server}/login?next=/ioc")
        page.fill("input[name=username]", "vanhanh")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        _open_centre(page, f"{live_server}/ioc?lang=vi")
        for label, event, words in _events():
            line = _shown(page, event)
            assert line == (f"{label} — {words}" if words else label)
            assert not [hidden for hidden in HIDDEN if hidden in line], line
            assert not [raw for raw in RAW if re.search(rf"\b{raw}\b", line)], line
        assert page.locator("#feed li").count() == len(_events())

        english = page.context.new_page()  # beside the Vietnamese one, which keeps listening
        english.on("pageerror", lambda exc: errors.append(str(exc)))
        _open_centre(english, f"{live_server}/ioc?lang=en")
        flooded = environment_events.StreetFlooded(9, "FL-YERSIN", "Đường Yersin", 18.4, NOW, *YERSIN)
        line = _shown(english, flooded)
        assert line == "Street flooded — Đường Yersin: water level 18 cm against the road surface"
        worse = environment_events.AirQualityDegraded(
            "AQ-PC", "Trạm Phú Cường", NOW, 165, "bad", "pm25", *YERSIN
        )
        assert _shown(english, worse) == "Air quality worsened — Trạm Phú Cường: VN_AQI 165 (Bad)"
        fault = lighting_events.FaultDetected(
            41, "SL-Y0", "light", "GRP-YERSIN", "on_in_daylight", "Ban ngày đèn vẫn tiêu thụ 96 W.", NOW
        )
        assert _shown(english, fault).startswith("Street light fault found — Burning in daylight: ")
        switched = lighting_events.GroupSwitched("GRP-YERSIN", 0, NOW, "Lịch thường", 1250)
        assert _shown(english, switched) == "Light group switched — 1,250 lights off (Lịch thường)"
        alert = CapAlertPublished(
            3,
            "urn:oid:2.49.0.1.704.0.2026.3",
            12,
            "Alert",
            "Hư hỏng đường: Ổ gà lớn trên đường Yersin",
            NOW,
            headline_en="Road damage: Large pothole on Yersin street",
        )
        assert (
            _shown(english, alert) == "Public alert published — Road damage: Large pothole on Yersin street"
        )
        assert _shown(page, alert) == "Đã phát cảnh báo công cộng — Hư hỏng đường: Ổ gà lớn trên đường Yersin"
        before = {
            k: v for k, v in alert.to_payload().items() if k != "headline_en"
        }  # stored before the field
        stored = CapAlertPublished.from_payload(before)
        assert _shown(english, stored).endswith(" — Hư hỏng đường: Ổ gà lớn trên đường Yersin")
    assert errors == []


def test_the_feed_says_a_playbook_subject_in_the_language_of_the_page_that_listens():
    from smartcity.core.i18n import Phrase
    from smartcity.ioc.live import Hub, said_in

    subject = Phrase(
        "[Chuyển cấp {level}] {title}: chưa được tiếp nhận sau {waited}",
        level=2,
        title=Phrase("{words}", words="Va chạm giao thông"),
        waited=Phrase("{count} phút", count=20),
    )
    payload = {"code": "SC-1", "subject": str(subject), "subject_phrase": subject.to_json()}
    english = said_in(payload, "en")
    assert english["subject"] == "[Escalated, level 2] Va chạm giao thông: not acknowledged after 20 minutes"
    assert said_in(payload, "vi") == payload and english["subject_phrase"] == payload["subject_phrase"]
    assert said_in({"subject": "Chưa có cụm từ"}, "en") == {"subject": "Chưa có cụm từ"}  # stored before

    async def first_frames() -> list[str]:
        hub = Hub()
        english_feed, vietnamese_feed = hub.stream("en"), hub.stream("vi")
        frames = [await anext(english_feed), await anext(vietnamese_feed)]  # both listening
        hub.publish("ioc.PlaybookNotificationDue", payload)
        frames += [await anext(english_feed), await anext(vietnamese_feed)]
        await english_feed.aclose()
        await vietnamese_feed.aclose()
        hub.close()
        return frames

    import asyncio

    greeting, _, in_english, in_vietnamese = asyncio.run(first_frames())
    assert greeting.startswith("retry:")
    assert json.loads(in_english.split("data: ", 1)[1])["subject"].startswith("[Escalated, level 2]")
    assert json.loads(in_vietnamese.split("data: ", 1)[1])["subject"].startswith("[Chuyển cấp 2]")
