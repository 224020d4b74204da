"""The public alerts page /canh-bao, read from the signed CAP XML: alerts in effect first and in full, then
the recent past; an Update replaces the alert it references, a Cancel ends it; the page's language."""

from __future__ import annotations

from datetime import timedelta

from lxml import html

from smartcity.core.db import utcnow
from smartcity.ioc import service
from smartcity.ioc.schemas import EventIn
from smartcity.ioc.service import public_alerts as alerts
from tests.ioc.conftest import SYSTEM

PLACES = {  # far enough apart that no two incidents merge
    "fire": (106.6525, 10.9805),
    "flooding": (106.6700, 10.9900),
    "traffic_accident": (106.6300, 10.9600),
    "road_damage": (106.6900, 11.0100),
}


def _incident(db, settings, kind: str, title: str, hours_ago: float, severity: int = 4) -> str:  # type: ignore[no-untyped-def]
    lon, lat = PLACES[kind]
    event = EventIn(
        type=kind,
        severity=severity,
        lon=lon,
        lat=lat,
        title=title,
        description=f"{title}: lực lượng chức năng đang xử lý.",
        radius_m=300,
        occurred_at=utcnow() - timedelta(hours=hours_ago),
    )
    return service.receive_event(db, actor=SYSTEM, settings=settings, data=event)[0].code


def _publish(db, settings, code: str, msg_type: str, hours_ago: float) -> None:  # type: ignore[no-untyped-def]
    service.publish_alert(
        db,
        actor=SYSTEM,
        settings=settings,
        code=code,
        msg_type=msg_type,
        now=utcnow() - timedelta(hours=hours_ago),
    )


def _city_alerts(db, settings) -> None:  # type: ignore[no-untyped-def]
    """An extreme fire in effect, a flood two days ago, an accident updated, a road damage cancelled."""
    fire = _incident(db, settings, "fire", "Cháy kho hàng đường Yersin", 1.5, severity=5)
    _publish(db, settings, fire, "Alert", 1)
    flood = _incident(db, settings, "flooding", "Ngập sâu đường Phú Lợi", 50)
    _publish(db, settings, flood, "Alert", 48)
    accident = _incident(db, settings, "traffic_accident", "Tai nạn ngã tư Bình Dương", 3)
    _publish(db, settings, accident, "Alert", 2)
    _publish(db, settings, accident, "Update", 0.5)
    damage = _incident(db, settings, "road_damage", "Sụt lún đường Lê Hồng Phong", 4)
    _publish(db, settings, damage, "Alert", 3)
    _publish(db, settings, damage, "Cancel", 1)


def _sections(text: str) -> tuple[str, str]:
    page = html.fromstring(text)
    return (
        " ".join(page.get_element_by_id("in-effect").text_content().split()),
        " ".join(page.get_element_by_id("past-alerts").text_content().split()),
    )


def test_alerts_in_effect_come_first_in_full_and_the_past_after(client, pki, settings):
    _city_alerts(pki, settings)
    response = client.get("/canh-bao")
    assert response.status_code == 200
    in_effect, past = _sections(response.text)

    assert in_effect.startswith("Đang có hiệu lực (2)")
    assert "Cháy nổ: Cháy kho hàng đường Yersin" in in_effect
    assert "Tránh khu vực, làm theo hướng dẫn của lực lượng chức năng." in in_effect  # the instruction
    assert "Bán kính 300 m quanh hiện trường" in in_effect  # the area, as people say it
    assert "Cháy kho hàng đường Yersin: lực lượng chức năng đang xử lý." in in_effect  # the description
    assert "Đặc biệt nghiêm trọng" in in_effect and "Cần hành động ngay" in in_effect
    # the most severe first, though the accident's update is newer
    assert in_effect.index("Cháy kho hàng") < in_effect.index("Tai nạn ngã tư")
    assert "Trung tâm điều hành đô thị thông minh Thủ Dầu Một" in in_effect  # the sender

    # the flood's alert expired: it is in the past, not in effect
    assert "Ngập lụt: Ngập sâu đường Phú Lợi" in past and "Ngập sâu" not in in_effect
    assert "Hết hiệu lực" in past

    # the update replaced its alert: one entry, saying when it was updated
    assert "Cập nhật: Tai nạn ngã tư Bình Dương" in in_effect and "cập nhật lúc" in in_effect
    assert "Tai nạn giao thông: Tai nạn ngã tư Bình Dương" not in response.text
    assert response.text.count("Tai nạn ngã tư Bình Dương") == 2  # its headline and its description

    # the cancelled alert is no longer in effect, and says it was cancelled
    assert "Sụt lún" not in in_effect
    assert "Đã hủy Hết cảnh báo: Sụt lún đường Lê Hồng Phong" in past and "hủy lúc" in past
    assert "Hư hỏng đường: Sụt lún" not in response.text

    # no internal codes; the signed XML stays linked, in words
    assert "urn:uuid" not in response.text and "Immediate" not in response.text
    assert ">Alert<" not in response.text and ">Update<" not in response.text
    assert response.text.count("Bản CAP (XML) có chữ ký") == 4
    assert "/cap/alerts/4.xml" in response.text and "/cap/alerts/3.xml" not in response.text


def test_the_english_page_reads_the_english_info(client, pki, settings):
    _city_alerts(pki, settings)
    client.cookies.set("lang", "en")
    response = client.get("/canh-bao")
    in_effect, past = _sections(response.text)
    assert in_effect.startswith("In effect now (2)")
    assert "Fire (extreme)" in in_effect and "Update: Traffic accident" in in_effect
    assert "Avoid the area and follow the instructions of the authorities." in in_effect
    assert "300 m around the scene" in in_effect
    assert "Extreme" in in_effect and "Severe" in in_effect and "Act now" in in_effect
    assert "Thủ Dầu Một Intelligent Operations Centre" in in_effect
    assert "Flooding (severe)" in past and "All clear: Road damage" in past and "Cancelled" in past
    assert "Signed CAP message (XML)" in response.text
    for vietnamese in ("Cháy nổ: Cháy kho hàng", "Cập nhật:", "Hết cảnh báo:", "Tránh khu vực", "Bán kính"):
        assert vietnamese not in response.text
    # the operators' description is Vietnamese in every info, and marked so
    description = html.fromstring(response.text).find_class("cap-description")[0]
    assert description.get("lang") == "vi"


def test_the_past_comes_a_page_at_a_time(pki, settings):
    for n in range(12):
        code = service.receive_event(
            pki,
            actor=SYSTEM,
            settings=settings,
            data=EventIn(
                type="fire",
                severity=4,
                lon=106.60 + n * 0.01,
                lat=10.95,
                title=f"Cháy số {n}",
                occurred_at=utcnow() - timedelta(days=2, hours=n),
            ),
        )[0].code
        _publish(pki, settings, code, "Alert", 47 + n)
    first = alerts.public_alerts(pki, settings=settings, language="vi")
    assert first.in_effect == [] and first.past_total == 12 and first.pages == 2
    assert [a.headline for a in first.past][:2] == ["Cháy nổ: Cháy số 0", "Cháy nổ: Cháy số 1"]
    second = alerts.public_alerts(pki, settings=settings, language="vi", page=2)
    assert len(second.past) == 2 and second.page == 2
    last_month = alerts.public_alerts(
        pki, settings=settings, language="vi", now=utcnow() + timedelta(days=40)
    )
    assert last_month.past_total == 0  # older than PAST_DAYS: not on the page
