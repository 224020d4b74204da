"""Fixtures of the lighting tests: a street with a cabinet, a group of three lights and a schedule."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from smartcity.core.security import Actor
from smartcity.iot import service as iot_service
from smartcity.lighting import service
from smartcity.lighting.schemas import CabinetCreate, GroupCreate, LightCreate, ScheduleCreate
from smartcity.web.deps import current_actor

SYSTEM = Actor.system("test")
OPERATOR = Actor(kind="user", name="op", user_id=1, roles=frozenset({("operator", None)}))
CITIZEN = Actor(kind="user", name="dan", user_id=2, roles=frozenset({("citizen", None)}))
LAT, LON = 10.9790, 106.6515  # Bạch Đằng, Thủ Dầu Một
STEPS = {"initial_level": 100, "steps": [{"at": "23:00", "level": 60}, {"at": "01:00", "level": 40}]}


@pytest.fixture
def act_as(app) -> Iterator[Callable[[Actor], None]]:  # type: ignore[no-untyped-def]
    """Make every request of the test client come from this actor."""

    def use(actor: Actor) -> None:
        app.dependency_overrides[current_actor] = lambda: actor

    yield use
    app.dependency_overrides.pop(current_actor, None)


@pytest.fixture
def street(db, settings) -> Any:  # type: ignore[no-untyped-def]
    """One cabinet, one group (G-BD-1) of three 120 W lights on Bạch Đằng, with a dimming schedule."""
    schedule = service.create_schedule(db, actor=SYSTEM, data=ScheduleCreate(name="Trục chính", spec=STEPS))
    service.create_cabinet(
        db,
        actor=SYSTEM,
        data=CabinetCreate(id="TU-BD", name="Tủ Bạch Đằng", street="Bạch Đằng", lon=LON, lat=LAT),
    )
    group = service.create_group(
        db,
        actor=SYSTEM,
        data=GroupCreate(
            id="G-BD-1",
            name="Bạch Đằng — lộ 1",
            street="Bạch Đằng",
            circuit="Lộ 1",
            cabinet_id="TU-BD",
            schedule_id=schedule.id,
            lon=LON,
            lat=LAT,
            length_km=0.6,
        ),
    )
    for n in range(3):
        service.create_light(
            db,
            actor=SYSTEM,
            data=LightCreate(
                id=f"DEN-BD-{n + 1}",
                group_id="G-BD-1",
                pole=f"BD-{n + 1:02d}",
                rated_power_w=120,
                lon=LON + n * 0.0003,
                lat=LAT,
            ),
        )
    return group


def report(db: Any, device_id: str, at: datetime, values: dict[str, Any]) -> None:
    """A device reports values at a moment."""
    envelope = iot_service.Envelope(
        payload={"ts": at.isoformat(), "msg_id": f"{device_id}-{at.timestamp():.0f}", "values": values},
        device_id=device_id,
    )
    outcome = iot_service.ingest(db, envelopes=[envelope], now=at + timedelta(seconds=1))
    assert not outcome.refused, outcome.refused


def lamps_follow(db: Any, at: datetime, level: int, *, broken: tuple[str, ...] = ()) -> None:
    """The group's lamps obey the last command and report (a broken one draws no current)."""
    for n in range(3):
        light = f"DEN-BD-{n + 1}"
        power = 0.0 if light in broken or level == 0 else 120 * level / 100
        report(
            db,
            light,
            at,
            {
                "powerState": "on" if level else "off",
                "dimLevel": level,
                "powerConsumption": power,
                "voltage": 226.0,
            },
        )
