"""Device alarms reach the operations centre as incidents only when they are about the city: typed by what
was measured; a device's lost connection stays device maintenance."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from smartcity.core import clock
from smartcity.core.pages import PageParams
from smartcity.ioc import service as ioc
from smartcity.iot import service as iot
from smartcity.iot.pipeline import Envelope
from smartcity.iot.schemas import DeviceCreate, RuleCreate
from tests.ioc.conftest import SYSTEM, YERSIN


def _device(db, device_id: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    location = {"type": "Point", "coordinates": list(YERSIN)}
    iot.register_device(db, actor=SYSTEM, data=DeviceCreate(id=device_id, type=kind, location=location))


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
