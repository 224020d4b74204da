"""The playbook's street-light step with the real sun: at full brightness around the scene at night, nothing
in daylight (lights burning by day would help nobody and read as a fault), and the step says which."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from smartcity.core import clock
from smartcity.ioc import service
from smartcity.ioc.models import Incident, IncidentStep
from smartcity.iot import schemas as iot_schemas
from smartcity.iot import service as iot_service
from smartcity.iot.models import Command
from smartcity.lighting import service as lighting_service
from tests.ioc.conftest import REAL_IN_DAYLIGHT, SYSTEM, YERSIN
from tests.ioc.test_ioc_incidents import OPERATOR, accident

ELSEWHERE = (YERSIN[0] + 0.03, YERSIN[1] + 0.03)  # far enough not to merge with an accident at Yersin


def _light_near(db, place: tuple[float, float], device_id: str) -> None:  # type: ignore[no-untyped-def]
    location = iot_schemas.GeoPoint(coordinates=(place[0] + 0.0005, place[1]))
    data = iot_schemas.DeviceCreate(id=device_id, type="streetlight", location=location)
    iot_service.register_device(db, actor=SYSTEM, data=data)


def _lights_step(db, code: str) -> str:  # type: ignore[no-untyped-def]
    with db.session() as s:
        steps = s.scalars(
            select(IncidentStep).join(Incident).where(Incident.code == code, IncidentStep.kind == "automated")
        ).all()
        return " ".join(step.outcome or "" for step in steps)


def _commands(db) -> int:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Command)) or 0)


def test_the_lights_step_brightens_the_scene_at_night_and_does_nothing_by_day(city, settings, monkeypatch):
    zone = clock.city_zone(settings)
    tomorrow = clock.today(settings) + timedelta(days=1)
    noon, late, early = (
        datetime(tomorrow.year, tomorrow.month, tomorrow.day, hour, 30, tzinfo=zone) for hour in (12, 23, 3)
    )
    assert REAL_IN_DAYLIGHT(*YERSIN, noon, settings)  # the sun over Thủ Dầu Một, by astral
    assert not REAL_IN_DAYLIGHT(*YERSIN, late, settings) and not REAL_IN_DAYLIGHT(*YERSIN, early, settings)
    _light_near(city, YERSIN, "SL-DAY")
    _light_near(city, ELSEWHERE, "SL-NIGHT")

    def the_sun_at(moment: datetime) -> None:  # the steps run when the incident opens, at the real time
        monkeypatch.setattr(
            lighting_service, "in_daylight", lambda lon, lat, _now, s: REAL_IN_DAYLIGHT(lon, lat, moment, s)
        )

    the_sun_at(noon)
    by_day, _ = service.receive_event(city, actor=OPERATOR, settings=settings, data=accident(source="manual"))
    service.run_due_steps(city, settings=settings, now=by_day.opened_at + timedelta(minutes=6))
    assert "Trời đang sáng: không cần bật đèn đường" in _lights_step(city, by_day.code)
    assert _commands(city) == 0

    the_sun_at(late)
    elsewhere = accident(source="manual", lon=ELSEWHERE[0], lat=ELSEWHERE[1], source_ref="cam-02/evt-9")
    at_night, _ = service.receive_event(city, actor=OPERATOR, settings=settings, data=elsewhere)
    service.run_due_steps(city, settings=settings, now=at_night.opened_at + timedelta(minutes=6))
    assert "Đã gửi lệnh sáng 100% tới 1 đèn" in _lights_step(city, at_night.code)
    assert _commands(city) == 1
