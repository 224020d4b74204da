"""Device alarms reach the operations centre as incidents only when they are about the city: typed by what
was measured; a device's lost connection stays device maintenance."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from smartcity.core import clock
from smartcity.core.pages import PageParams
from smartcity.ioc import service as ioc
from smartcity.ioc.catalogue import ALARM_INCIDENTS, TYPES
from smartcity.ioc.schemas import EventIn
from smartcity.iot import service as iot
from smartcity.iot.pipeline import Envelope
from smartcity.iot.schemas import DeviceCreate, RuleCreate
from tests.ioc.conftest import OPERATOR, SYSTEM, YERSIN


def _device(db, device_id: str, kind: str, name: str | None = None) -> None:  # type: ignore[no-untyped-def]
    location = {"type": "Point", "coordinates": list(YERSIN)}
    data = DeviceCreate(id=device_id, type=kind, location=location, name=name)
    iot.register_device(db, actor=SYSTEM, data=data)


def _rule(db, name: str, kind: str, params: dict[str, Any], **fields: Any) -> None:  # type: ignore[no-untyped-def]
    data = RuleCreate(name=name, kind=kind, params=params, **fields)
    iot.create_rule(db, actor=SYSTEM, data=data)


def _send(db, device_id: str, msg_id: str, values: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    body = {"msg_id": msg_id, "ts": clock.now().isoformat(), "values": values}
    iot.ingest(db, envelopes=[Envelope(body, device_id=device_id)])


def _incidents(db) -> list:  # type: ignore[no-untyped-def]
    return list(ioc.list_incidents(db, paging=PageParams()).items)


def test_a_device_that_lost_its_connection_opens_no_incident(city, settings):
    _device(city, "G-BD-1-01", "waste_container")
    _rule(city, "Mất kết nối", "no_data", {"minutes": 15}, severity="low")
    now = clock.now()
    _send(city, "G-BD-1-01", "m1", {"fillingLevel": 40})
    iot.check_silent_devices(city, now=now)  # the platform listens from now
    assert iot.check_silent_devices(city, now=now + timedelta(minutes=20)) == 1
    [alarm] = iot.list_alarms(city, state="open")[0]
    assert alarm.device_id == "G-BD-1-01"  # on the device alarms page
    assert _incidents(city) == []  # not a city incident


def test_a_hot_waste_bin_opens_a_fire_incident_and_a_full_one_waste_overflow(city, settings):
    _device(city, "G-BD-1-01", "waste_container")
    _device(city, "G-BD-1-02", "waste_container")
    for device_id in ("G-BD-1-01", "G-BD-1-02"):
        _send(city, device_id, f"{device_id}-0", {"fillingLevel": 40, "temperature": 31})
    for name, key, value, severity in (
        ("Nhiệt độ trong thùng rác cao (nguy cơ cháy)", "temperature", 60, "critical"),
        ("Thùng rác ngầm sắp đầy", "fillingLevel", 90, "medium"),
    ):
        over = {"op": ">", "value": value}
        _rule(city, name, "threshold", over, device_type="waste_container", key=key, severity=severity)
    _send(city, "G-BD-1-01", "hot", {"temperature": 95})
    _send(city, "G-BD-1-02", "full", {"fillingLevel": 97})
    by_title = {i.title: i for i in _incidents(city)}
    assert by_title.keys() == {
        "Nhiệt độ trong thùng rác cao (nguy cơ cháy) — G-BD-1-01",
        "Thùng rác ngầm sắp đầy — G-BD-1-02",
    }
    fire = by_title["Nhiệt độ trong thùng rác cao (nguy cơ cháy) — G-BD-1-01"]
    assert fire.type == "fire" and fire.severity == 4
    assert by_title["Thùng rác ngầm sắp đầy — G-BD-1-02"].type == "waste_overflow"


def test_an_alarm_on_the_device_itself_opens_no_incident(city, settings):
    _device(city, "SL-7", "streetlight", name="Đèn số 7 đường Yersin")
    _rule(city, "Pin yếu", "threshold", {"op": "<", "value": 20}, key="batteryLevel", severity="medium")
    _rule(city, "Điện áp thấp", "threshold", {"op": "<", "value": 190}, key="voltage", severity="medium")
    _send(city, "SL-7", "m1", {"batteryLevel": 10})
    assert _incidents(city) == []  # a flat battery is the device's maintenance
    _send(city, "SL-7", "m2", {"voltage": 150})
    [incident] = _incidents(city)
    assert (
        incident.type == "power_outage" and incident.title == "Điện áp thấp — Đèn số 7 đường Yersin"
    )  # its name


def test_every_measurement_of_the_table_is_a_key_of_its_device_type():
    keys = {t["slug"]: {k["name"] for k in t["keys"]} for t in iot.known_types()}
    for kind, measured in ALARM_INCIDENTS.items():
        assert kind in TYPES
        for device_type, names in measured.items():
            assert set(names) <= keys[device_type], (kind, device_type)


def _hot_bins(db, *device_ids: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Bins whose temperature alarm opened (or joined) a fire incident: {device id: incident code}."""
    over = {"op": ">", "value": 60}
    _rule(
        db, "Nóng", "threshold", over, device_type="waste_container", key="temperature", severity="critical"
    )
    for device_id in device_ids:
        _device(db, device_id, "waste_container")
        _send(db, device_id, f"{device_id}-hot", {"temperature": 95})
    codes = {}
    for incident in _incidents(db):
        for link in ioc.get_incident(db, code=incident.code).links:
            if link.kind == "alarm":
                codes[link.label.split(" — ")[-1]] = incident.code
    return codes


def _texts(db, code: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.text for e in ioc.get_incident(db, code=code).timeline]


def test_an_alarm_that_ends_by_itself_resolves_the_incident_nobody_took_up(city, settings):
    code = _hot_bins(city, "G-BD-1-01")["G-BD-1-01"]
    assert ioc.get_incident(city, code=code).state == "new"
    _send(city, "G-BD-1-01", "cool", {"temperature": 35})  # the alarm clears itself
    assert iot.list_alarms(city, state="open")[1] == 0
    incident = ioc.get_incident(city, code=code)
    assert incident.state == "resolved" and incident.resolved_at is not None
    texts = _texts(city, code)
    assert "Cảnh báo thiết bị đã tự hết: Nóng — G-BD-1-01" in texts
    assert texts[-1] == "Mới → Đã khắc phục: Cảnh báo thiết bị đã tự hết"
    assert ioc.get_incident(city, code=code).timeline[-1].actor == "system:ioc.alarms"


def test_an_incident_taken_up_stays_open_and_records_that_its_alarm_ended(city, settings):
    code = _hot_bins(city, "G-BD-1-01")["G-BD-1-01"]
    ioc.transition(city, actor=OPERATOR, settings=settings, code=code, to="acknowledged")
    _send(city, "G-BD-1-01", "cool", {"temperature": 35})
    incident = ioc.get_incident(city, code=code)
    assert incident.state == "acknowledged"  # the people on it decide when it is over
    assert _texts(city, code)[-1] == "Cảnh báo thiết bị đã tự hết: Nóng — G-BD-1-01"


def test_an_incident_is_resolved_only_when_every_alarm_behind_it_has_ended(city, settings):
    codes = _hot_bins(city, "G-BD-1-01", "G-BD-1-02")
    assert codes["G-BD-1-01"] == codes["G-BD-1-02"]  # the second bin's alarm joined the first's incident
    code = codes["G-BD-1-01"]
    _send(city, "G-BD-1-01", "cool", {"temperature": 35})
    assert ioc.get_incident(city, code=code).state == "new"
    [alarm] = iot.list_alarms(city, state="open")[0]
    iot.clear_alarm(city, actor=OPERATOR, alarm_id=alarm.id)  # by hand, on the device alarms page
    assert ioc.get_incident(city, code=code).state == "resolved"
    assert _texts(city, code)[-1] == "Mới → Đã khắc phục: Cảnh báo thiết bị đã được đóng thủ công"


def test_an_incident_a_person_added_to_is_not_resolved_by_its_alarm(city, settings):
    code = _hot_bins(city, "G-BD-1-01")["G-BD-1-01"]
    report = EventIn(type="fire", severity=4, lon=YERSIN[0], lat=YERSIN[1], source="manual", title="Khói")
    merged, joined = ioc.receive_event(city, actor=OPERATOR, settings=settings, data=report)
    assert joined and merged.code == code
    _send(city, "G-BD-1-01", "cool", {"temperature": 35})
    assert ioc.get_incident(city, code=code).state == "new"
    assert _texts(city, code)[-1] == "Cảnh báo thiết bị đã tự hết: Nóng — G-BD-1-01"
