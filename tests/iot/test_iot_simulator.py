"""The simulator: devices along the streets, realistic values, commands applied once, HTTP transport."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

from smartcity.iot import service
from smartcity.iot.device_types import device_types
from smartcity.iot.simulator import (
    HttpTransport,
    SimDevice,
    Simulation,
    SimulationConfig,
    apply_command,
    place_devices,
    reading,
    register_missing,
)
from tests.iot.conftest import OPERATOR
from tests.support import simulate_until


def test_devices_are_placed_in_the_city_and_values_fit_their_types():
    devices = place_devices(SimulationConfig(devices_per_type=40))
    assert {d.type for d in devices} == {
        "streetlight",
        "streetlight_cabinet",
        "waste_container",
        "traffic_flow",
        "air_quality",
    }
    assert all(106.64 <= d.lon <= 106.70 and 10.95 <= d.lat <= 11.03 for d in devices)
    rng = random.Random(1)
    for hour in range(0, 24, 3):
        now = datetime(2026, 3, 1, hour, 0, tzinfo=UTC)
        for device in devices:
            values = reading(device, now, rng)
            assert device_types()[device.type].check_values(values) == [], (device.type, values)


def test_a_command_is_applied_once_per_id():
    device = SimDevice("SL-1", "streetlight", "yersin", 106.66, 10.98)
    command = {"command_id": "c1", "name": "dim", "params": {"dimLevel": 30}}
    assert apply_command(device, command) is True
    device.state["commanded_dim"] = 77
    assert apply_command(device, command) is False
    assert device.state["commanded_dim"] == 77


def test_http_simulation_reports_and_obeys_commands(db, client, act_as):
    config = SimulationConfig(devices_per_type=3, rate=20, transport="http", failure_rate=0)
    devices = place_devices(config)
    register_missing(db, devices, reset_credentials=True)
    act_as(OPERATOR)
    client.post(
        "/api/v1/iot/commands", json={"name": "dim", "params": {"dimLevel": 20}, "device_type": "streetlight"}
    )
    client.app.dependency_overrides.clear()
    simulation = Simulation(devices, config, HttpTransport("http://testserver", None, client=client))
    report = simulate_until(simulation, lambda done: done.sent > 2 * len(devices) and done.commands == 3)
    assert report.sent > 2 * len(devices) and report.commands == 3
    assert service.stored_message_count(db) == report.sent
    assert service.rejections(db) == []
    lights = [d for d in devices if d.type == "streetlight"]
    assert all(d.state["commanded_dim"] == 20 for d in lights)


def test_after_their_first_report_the_devices_report_spread_over_the_interval():
    config = SimulationConfig(devices_per_type=40, rate=1 / 120, seed=3)
    devices = place_devices(config)
    simulation = Simulation(devices, config, transport=None)  # type: ignore[arg-type]  (nothing is sent)
    assert all(d.next_due - time.monotonic() <= 10 for d in devices)  # the first within seconds
    for device in devices:
        device.next_due = 0
    first_round = simulation._due_messages()
    assert len(first_round) == len(devices) - sum(d.silent_until > time.monotonic() for d in devices)
    waits = sorted(d.next_due - time.monotonic() for d in devices if d.seq == 1)
    assert waits[0] < 20 and waits[-1] > 100  # the next ones over the two minutes, not all at once
    early = sum(w < 60 for w in waits)
    assert 0.3 < early / len(waits) < 0.7
