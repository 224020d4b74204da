"""With the real simulator over HTTP: the plan's command reaches the lamps, and their reported state
confirms it (the whole loop lighting → IoT core → device → IoT core → lighting)."""

from __future__ import annotations

from typing import Any

from smartcity.iot.simulator import (
    HttpTransport,
    Simulation,
    SimulationConfig,
    inventory_devices,
    register_missing,
)
from smartcity.lighting import service
from smartcity.lighting.schemas import CabinetCreate, GroupCreate, LightCreate, ScheduleCreate
from tests.lighting.conftest import LAT, LON, STEPS, SYSTEM
from tests.support import simulate_until


def test_simulated_lamps_confirm_the_plans_command(db, settings, client) -> None:  # type: ignore[no-untyped-def]
    schedule = service.create_schedule(db, actor=SYSTEM, data=ScheduleCreate(name="Trục chính", spec=STEPS))
    service.create_cabinet(
        db,
        actor=SYSTEM,
        data=CabinetCreate(id="TU-1", name="Tủ 1", street="Bạch Đằng", lon=LON, lat=LAT, tags=["simulate"]),
    )
    service.create_group(
        db,
        actor=SYSTEM,
        data=GroupCreate(
            id="G-1",
            name="Lộ 1",
            street="Bạch Đằng",
            circuit="Lộ 1",
            cabinet_id="TU-1",
            schedule_id=schedule.id,
            lon=LON,
            lat=LAT,
        ),
    )
    lights = [
        LightCreate(
            id=f"L-{n}", group_id="G-1", pole=f"P{n}", rated_power_w=150, lon=LON, lat=LAT, tags=["simulate"]
        )
        for n in range(3)
    ]
    service.create_lights(db, actor=SYSTEM, items=lights)
    service.apply_schedules(db)  # whatever the time of day: on (dimmed) at night, off by day
    level = service.get_group(db, group_id="G-1").commanded_level
    devices = inventory_devices(db)
    assert sorted(d.id for d in devices) == ["L-0", "L-1", "L-2", "TU-1"]
    register_missing(db, devices, reset_credentials=True)  # commissioning: credentials issued
    config = SimulationConfig(devices_per_type=0, rate=20, transport="http", failure_rate=0)
    simulation = Simulation(devices, config, HttpTransport("http://testserver", None, client=client))
    answered: dict[str, int] = {}  # messages sent by the time the lights had answered

    def reported_after_answering(done: Any) -> bool:
        if done.commands >= 3:
            answered.setdefault("sent", done.sent)
        return bool(answered) and done.sent >= answered["sent"] + 2 * len(devices)

    report = simulate_until(simulation, reported_after_answering)
    assert report.commands >= 3
    assert service.confirm_states(db) == 1
    group = service.get_group(db, group_id="G-1")
    assert group.confirmed_at is not None and f"mức {level} %" in group.confirmation
