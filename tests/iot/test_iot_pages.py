"""Operator pages: device list, device page with values, chart and command panel, alarms (server-rendered)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from smartcity.core.db import utcnow
from smartcity.iot import service
from smartcity.iot.pipeline import Envelope
from smartcity.iot.schemas import RuleCreate
from tests.iot.conftest import CITIZEN, OPERATOR, SYSTEM, message


def test_pages_need_an_operator(client, act_as):
    unsigned = client.get("/can-bo/thiet-bi", headers={"accept": "text/html"})
    assert unsigned.status_code == 401 and "/login)" not in unsigned.text  # no raw path as text
    act_as(CITIZEN)
    response = client.get("/can-bo/canh-bao-thiet-bi", headers={"accept": "text/html"})
    assert response.status_code == 403 and "Bạn không có quyền truy cập" in response.text
    assert "Trung tâm điều hành (IOC)" in response.text
    assert "operator" not in response.text.split("<main")[1]  # the role by its name, not its code


def test_device_list_and_page_show_state_chart_and_commands(client, act_as, add_device, db):
    add_device(
        "SL-1",
        name="Đèn Yersin 1",
        relationships={"refStreetlightControlCabinet": "urn:ngsi-ld:Cabinet:TU-1"},
    )
    add_device("SL-0")
    now = utcnow()
    service.ingest(
        db,
        envelopes=[
            Envelope(
                message(
                    f"m{h}", {"dimLevel": 10 * (h % 10), "powerState": "on"}, ts=now - timedelta(hours=h)
                ),
                device_id="SL-1",
            )
            for h in range(6)
        ],
    )
    act_as(OPERATOR)
    listing = client.get("/can-bo/thiet-bi")
    assert listing.status_code == 200 and "SL-1" in listing.text and "Thiết bị IoT" in listing.text
    page = client.get("/can-bo/thiet-bi/SL-1")
    assert page.status_code == 200
    assert "Đèn Yersin 1" in page.text and "<polyline" in page.text and "Gửi lệnh" in page.text
    sent = client.post(
        "/can-bo/thiet-bi/SL-1/commands", data={"name": "dim", "value": "30"}, follow_redirects=False
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("message=sent")
    assert service.list_commands(db, device_id="SL-1")[0].params == {"dimLevel": 30.0}
    bad = client.post(
        "/can-bo/thiet-bi/SL-1/commands", data={"name": "dim", "value": "300"}, follow_redirects=False
    )
    assert bad.headers["location"].endswith("message=rejected")
    assert "Liên kết (NGSI-LD)" in page.text and "urn:ngsi-ld:Cabinet:TU-1" in page.text
    assert "Liên kết (NGSI-LD)" not in client.get("/can-bo/thiet-bi/SL-0").text
    english = client.get("/can-bo/thiet-bi/SL-1?lang=en")
    assert "Latest values" in english.text and "Relationships (NGSI-LD)" in english.text


def test_device_types_are_named_in_english_on_english_pages(client, act_as, add_device):
    for device_id, kind in (("CAM-1", "camera"), ("FL-1", "flood_sensor"), ("GR-1", "streetlight_group")):
        add_device(device_id, kind)
    act_as(OPERATOR)
    english = client.get("/can-bo/thiet-bi?lang=en").text
    for name in ("Traffic and security camera", "Flood water level sensor", "Street light group"):
        assert f"<td>{name}</td>" in english
    assert "Camera giao thông, an ninh" not in english and "Nhóm đèn đường" not in english
    assert "Flood water level sensor" in client.get("/can-bo/thiet-bi/FL-1?lang=en").text
    vietnamese = client.get("/can-bo/thiet-bi?lang=vi").text
    for name in ("Camera giao thông, an ninh", "Cảm biến mực nước ngập", "Nhóm đèn đường"):
        assert f"<td>{name}</td>" in vietnamese


def test_every_device_type_and_value_name_has_its_english():
    """A new built-in type (or key) whose Vietnamese name the iot catalogue lacks would show in Vietnamese on
    English pages."""
    from smartcity.core.i18n import get_translations
    from smartcity.iot.device_types import device_types

    english = get_translations("en", "iot").gettext
    names = [kind.label for kind in device_types().values()]
    names += [key.label for kind in device_types().values() for key in kind.keys if key.label]
    assert [name for name in names if english(name) == name] == []


def test_alarm_page_acknowledges_and_clears(client, act_as, add_device, db):
    add_device("WC-1", "waste_container")
    service.create_rule(
        db,
        actor=SYSTEM,
        data=RuleCreate(name="Đầy", kind="threshold", key="fillingLevel", params={"op": ">", "value": 80}),
    )
    service.ingest(db, envelopes=[Envelope(message("a", {"fillingLevel": 95}), device_id="WC-1")])
    act_as(OPERATOR)
    page = client.get("/can-bo/canh-bao-thiet-bi")
    assert "Đầy: Mức đầy = 95 (ngưỡng &gt; 80)" in page.text and "fillingLevel" not in page.text
    alarm_id = service.list_alarms(db)[0][0].id
    client.post(f"/can-bo/canh-bao-thiet-bi/{alarm_id}/acknowledge")
    assert service.list_alarms(db)[0][0].state == "acknowledged"
    client.post(f"/can-bo/canh-bao-thiet-bi/{alarm_id}/clear")
    assert service.list_alarms(db)[0][0].state == "cleared"


def test_pages_show_times_in_vietnam_time(client, act_as, add_device, db):
    """20:00 UTC is 03:00 the next day in Thủ Dầu Một: lists, device page and alarms, with no offset code."""
    add_device("WC-7", "waste_container")
    service.create_rule(
        db,
        actor=SYSTEM,
        data=RuleCreate(name="Đầy", kind="threshold", key="fillingLevel", params={"op": ">", "value": 80}),
    )
    evening = datetime(2026, 3, 1, 20, 0, 5, tzinfo=UTC)
    service.ingest(
        db, envelopes=[Envelope(message("v1", {"fillingLevel": 95}, ts=evening), device_id="WC-7")]
    )
    act_as(OPERATOR)
    page = client.get("/can-bo/thiet-bi/WC-7").text
    assert "02/03/2026 03:00:05" in page and "01/03/2026 20:00" not in page
    assert "UTC+07:00" not in page and 'data-zone="Asia/Ho_Chi_Minh"' in page
    raised = service.list_alarms(db, device_id="WC-7")[0][0].raised_at
    local = raised.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    alarms = client.get("/can-bo/canh-bao-thiet-bi").text
    assert local.strftime("%d/%m/%Y %H:%M") in alarms and "Lúc phát sinh</th>" in alarms
    if raised.hour != local.hour:  # always, for a zone seven hours ahead
        assert raised.strftime("%d/%m/%Y %H:%M") not in alarms
    listing = client.get("/can-bo/thiet-bi").text
    seen = service.device_health(db, device_ids=["WC-7"])["WC-7"][0]
    assert seen.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M:%S") in listing
    assert "Báo cáo gần nhất</th>" in listing and "UTC" not in listing
    english = client.get("/can-bo/canh-bao-thiet-bi?lang=en").text
    assert "Raised at</th>" in english


def test_pages_speak_in_words_not_codes(client, act_as, add_device, db):
    """Statuses, wards, measured quantities, units, enum values, tags, commands and alarms in Vietnamese."""
    from smartcity.city.loader import load_city_pack

    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    ward = add_device("AQ-1", "air_quality", tags=["simulated", "dai-lo-binh-duong"]).device.ward_code
    add_device("TU-1", "streetlight_cabinet", tags=["lighting"])
    now = utcnow()
    aq = {"pm25": 3000.0 / 4, "co": 3000.0, "temperature": 29.8, "relativeHumidity": 71.0, "rssi": -70}
    cabinet = {"doorOpen": False, "contactorState": "off", "energyConsumed": 4484.15}
    service.ingest(
        db,
        envelopes=[
            Envelope(message("q1", aq, ts=now), device_id="AQ-1"),
            Envelope(message("c1", cabinet, ts=now), device_id="TU-1"),
        ],
    )
    service.create_rule(
        db,
        actor=SYSTEM,
        data=RuleCreate(name="Mất kết nối", kind="no_data", params={"minutes": 15}, severity="low"),
    )
    service.check_silent_devices(db, now=now)  # the platform listens from now
    service.check_silent_devices(db, now=now + timedelta(minutes=20))
    act_as(OPERATOR)
    listing = client.get("/can-bo/thiet-bi").text
    assert ">Đang hoạt động</td>" in listing and ">active<" not in listing
    assert ">Đã thu hồi</option>" in listing and ">decommissioned<" not in listing
    assert ward and f">{ward}<" not in listing and "<td>Phường " in listing
    page = client.get("/can-bo/thiet-bi/AQ-1").text
    assert "Cacbon monoxit (CO)" in page and "Độ ẩm tương đối" in page and ">relativeHumidity<" not in page
    assert "3.000 µg/m³" in page and "29,8 °C" in page and "Cel" not in page and "3000.0" not in page
    assert "vĩ độ 10,9" in page and "Đại lộ Bình Dương, mô phỏng" in page and "dai-lo-binh-duong," not in page
    assert ">Cường độ tín hiệu vô tuyến</option>" in page and ">rssi</option>" not in page
    assert f"<dd>{ward}</dd>" not in page and "<dd>active</dd>" not in page
    client.post("/can-bo/thiet-bi/TU-1/commands", data={"name": "switch", "value": "off"})
    cabinet_page = client.get("/can-bo/thiet-bi/TU-1").text
    assert 'Cửa tủ mở</td><td class="v">Không' in cabinet_page and "False" not in cabinet_page
    assert 'Công tắc tơ chính</td><td class="v">Tắt' in cabinet_page and "4.484,15 kWh" in cabinet_page
    assert "Đóng/cắt công tắc tơ</td>" in cabinet_page and "&#34;state&#34;" not in cabinet_page
    assert "<td>Tắt</td>" in cabinet_page and "chờ gửi" in cabinet_page and ">pending<" not in cabinet_page
    assert "<dd>chiếu sáng</dd>" in cabinet_page and "<dd>lighting</dd>" not in cabinet_page
    alarms = client.get("/can-bo/canh-bao-thiet-bi").text
    assert "Mất kết nối: không nhận được dữ liệu trong 15 phút" in alarms and "no data for" not in alarms
    assert "<td>Thấp</td>" in alarms and "<td>Đang mở</td>" in alarms
    assert "<td>low</td>" not in alarms and "<td>active</td>" not in alarms
    english = client.get("/can-bo/thiet-bi/TU-1?lang=en").text
    assert "Cabinet door open" in english and ">No<" in english


def test_the_map_shows_every_device_the_filter_matches_not_only_the_listed_page(
    client, act_as, add_device, db, monkeypatch
):
    from smartcity.iot import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for n in range(5):
        add_device(f"SL-{n}", lon=106.65 + n / 1000)
    add_device("WC-1", "waste_container")
    service.create_rule(
        db,
        actor=SYSTEM,
        data=RuleCreate(name="Đầy", kind="threshold", key="fillingLevel", params={"op": ">", "value": 90}),
    )
    service.ingest(db, envelopes=[Envelope(message("full", {"fillingLevel": 97}), device_id="WC-1")])
    act_as(OPERATOR)
    listing = client.get("/can-bo/thiet-bi", params={"type": "streetlight"})
    assert listing.text.count('href="/can-bo/thiet-bi/SL-') == 2  # a page of the list...
    assert 'data-src="/can-bo/thiet-bi/ban-do.geojson?type=streetlight&amp;status=&amp;q="' in listing.text
    lights = client.get("/can-bo/thiet-bi/ban-do.geojson", params={"type": "streetlight"})
    assert lights.headers["content-type"] == "application/geo+json"
    ids = [f["properties"]["id"] for f in lights.json()["features"]]
    assert ids == [f"SL-{n}" for n in range(5)]  # ...and every light on the map
    everything = client.get("/can-bo/thiet-bi/ban-do.geojson").json()["features"]
    assert {f["properties"]["id"]: f["properties"]["alarm"] for f in everything}["WC-1"] is True
    act_as(CITIZEN)
    assert client.get("/can-bo/thiet-bi/ban-do.geojson").status_code == 403


def test_device_page_names_why_messages_were_refused_in_words(client, act_as, add_device, db):
    add_device("SL-1")
    service.ingest(db, envelopes=[Envelope(message("m1", {"dimLevel": 400}), device_id="SL-1")])
    act_as(OPERATOR)
    page = client.get("/can-bo/thiet-bi/SL-1").text
    assert "Giá trị ngoài phạm vi cho phép (số tin: 1)" in page and "invalid_value" not in page
    english = client.get("/can-bo/thiet-bi/SL-1?lang=en").text
    assert "Value out of the allowed range (messages: 1)" in english
    # the detail too, in words in each language (the reading by its label), not the pipeline's English
    assert "Mức sáng: 400 cao hơn mức lớn nhất có thể có (100)." in page and "physical maximum" not in page
    assert "Dimming level: 400 is above the highest possible value (100)." in english
    assert "dimLevel:" not in page and "dimLevel:" not in english


def test_a_refusals_detail_reads_in_words_with_the_pages_digits():
    from smartcity.core.i18n import get_translations
    from smartcity.iot.device_types import get_device_type
    from smartcity.iot.wording import key_label, rejection_detail

    said = rejection_detail("temperature: 120.5 is above the physical maximum 85.0; unknown key 'foo'")
    assert said == (
        "temperature: 120,5 cao hơn mức lớn nhất có thể có (85). Không có thông số foo trong loại thiết bị."
    )
    assert get_translations("en").gettext(said) == (
        "temperature: 120.5 is above the highest possible value (85). The device type has no reading foo."
    )
    # with the device's type known: the reading by its label, the allowed values by their words
    light = get_device_type("streetlight")
    choices = rejection_detail("powerState: expected one of ('on', 'off', 'low', 'bootingUp')", light)
    label = key_label(light, "powerState")
    assert choices == f"{label}: phải là một trong các giá trị Bật, Tắt, Sáng mức thấp, Đang khởi động."
    assert "'on'" not in get_translations("en").gettext(choices) and "On, Off" in get_translations(
        "en"
    ).gettext(choices)
    assert rejection_detail("something new") == "Chi tiết kỹ thuật: something new"
    assert rejection_detail(None) == "—"


def test_a_message_of_the_wrong_type_names_both_types_by_their_words():
    from smartcity.core.i18n import get_translations
    from smartcity.iot.wording import rejection_detail

    said = rejection_detail("topic says 'streetlight', device is a 'waste_container'")
    assert said == "Chủ đề tin ghi loại Đèn đường thông minh, thiết bị là loại Thùng rác thông minh."
    english = get_translations("en").gettext(said)
    assert "streetlight" not in english and "waste_container" not in english
    # a type the registry does not know stays as it came
    assert "loại gizmo" in rejection_detail("topic says 'gizmo', device is a 'waste_container'")


def test_every_tag_a_city_service_puts_on_its_devices_has_words_in_both_languages():
    """Waste, environment and cameras tag their devices with their domain and their kind; a device's page
    shows the tags, so each needs words (this failed for surface, underground, air and flood)."""
    from typing import get_args

    from smartcity.cameras.schemas import CameraCreate
    from smartcity.core.i18n import get_translations
    from smartcity.environment.schemas import StationCreate
    from smartcity.iot import wording
    from smartcity.waste.schemas import ContainerCreate

    kinds = {
        kind
        for schema in (CameraCreate, StationCreate, ContainerCreate)
        for kind in get_args(schema.model_fields["kind"].annotation)
    }
    english = get_translations("en", "iot").gettext
    for tag in kinds | {"cameras", "lighting", "waste", "environment", "simulate"}:
        vietnamese = wording.tag_name(tag)
        assert vietnamese != tag, tag
        assert english(vietnamese) != vietnamese or vietnamese == "camera", tag  # a word both languages use
