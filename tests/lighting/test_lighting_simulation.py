"""The simulator drives the demo inventory (devices tagged `simulate`) and obeys the lighting commands."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from smartcity.iot.simulator import SimDevice, apply_command, inventory_devices, reading
from smartcity.lighting import service
from tests.lighting.conftest import SYSTEM


def test_inventory_is_driven_and_a_failed_lamp_draws_nothing(db, settings, street) -> None:  # type: ignore[no-untyped-def]
    assert inventory_devices(db) == []  # nothing tagged for simulation in the fixture's street
    from smartcity.lighting.schemas import LightCreate

    service.create_light(
        db,
        actor=SYSTEM,
        data=LightCreate(
            id="SIM-1",
            group_id="G-BD-1",
            pole="S1",
            rated_power_w=120,
            lon=106.65,
            lat=10.98,
            tags=["simulate"],
        ),
    )
    [device] = inventory_devices(db)
    assert (device.id, device.type) == ("SIM-1", "streetlight")
    assert device.state["rated_w"] == 120  # from its registry model "LED 120 W"
    rng = random.Random(1)
    night = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)  # 22:00 in the city
    assert apply_command(device, {"command_id": "c1", "name": "dim", "params": {"dimLevel": 60}})
    values = reading(device, night, rng)
    assert values["dimLevel"] == 60 and 60 < values["powerConsumption"] < 80
    device.state["lamp_failed"] = True
    values = reading(device, night, rng)
    assert values["powerState"] == "on" and values["powerConsumption"] == 0.0


def test_flood_gauges_in_dry_weather_stay_below_the_road() -> None:
    gauge = SimDevice("FL-1", "flood_sensor", "inventory", 106.65, 10.98)
    rng = random.Random(2)
    levels = [reading(gauge, datetime.now(UTC), rng)["currentLevel"] for _ in range(50)]
    assert all(-60 < level < -40 for level in levels)


def test_an_inventory_of_lights_is_provisioned_without_credentials(db, settings, street) -> None:  # type: ignore[no-untyped-def]
    from smartcity.core.errors import ValidationFailed
    from smartcity.iot import service as iot_service
    from smartcity.lighting.schemas import LightCreate

    items = [
        LightCreate(id=f"INV-{n}", group_id="G-BD-1", pole=f"I{n}", rated_power_w=100, lon=106.65, lat=10.98)
        for n in range(3)
    ]
    assert service.create_lights(db, actor=SYSTEM, items=items) == 3
    device = iot_service.get_device(db, device_id="INV-1")
    assert device.relationships["refStreetlightGroup"] == "urn:ngsi-ld:StreetlightGroup:G-BD-1"
    assert iot_service.authenticate_device(db, username="INV-1", password="!") is None
    password = iot_service.reset_credentials(db, actor=SYSTEM, device_id="INV-1").password
    assert iot_service.authenticate_device(db, username="INV-1", password=password) is not None
    bad = [LightCreate(id="INV-X", group_id="NOPE", pole="X", rated_power_w=100, lon=106.65, lat=10.98)]
    try:
        service.create_lights(db, actor=SYSTEM, items=bad)
    except ValidationFailed as exc:
        assert "NOPE" in str(exc)
    else:
        raise AssertionError("a light of an unknown group was accepted")
