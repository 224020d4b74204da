"""A city's worth of simulated devices along Thủ Dầu Một streets, reporting over MQTT or HTTP.

Street lines are approximate (hand-placed along the real axes); devices obey commands once per command id
and fail now and then (go silent, report an impossible value, overheat) so that rules and alarms show.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx

from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.iot import service
from smartcity.iot.schemas import DeviceCreate

SIM_ACTOR = Actor.system("simulator")
VIETNAM_UTC_OFFSET = 7
# Approximate axes of Thủ Dầu Một (WGS 84 lon, lat), for placing demo devices.
STREETS: dict[str, list[tuple[float, float]]] = {
    "dai-lo-binh-duong": [(106.6688, 10.9560), (106.6630, 10.9790), (106.6590, 11.0010), (106.6560, 11.0200)],
    "duong-30-thang-4": [(106.6480, 10.9700), (106.6560, 10.9740), (106.6650, 10.9790), (106.6720, 10.9830)],
    "cach-mang-thang-tam": [
        (106.6495, 10.9650),
        (106.6540, 10.9800),
        (106.6585, 10.9950),
        (106.6620, 11.0060),
    ],
    "yersin": [(106.6565, 10.9785), (106.6640, 10.9835), (106.6735, 10.9905)],
    "huynh-van-luy": [(106.6660, 10.9930), (106.6790, 11.0020), (106.6900, 11.0110)],
}
PREFIXES = {
    "streetlight": "SL",
    "streetlight_cabinet": "SLC",
    "waste_container": "WC",
    "traffic_flow": "TF",
    "air_quality": "AQ",
}
INVENTORY_TAG = "simulate"  # registered devices of the city's services (lighting, environment) to drive too
# Demo-accelerated lamp failures: about one a couple of hours among a hundred lights reporting every 2 min
# (a real LED luminaire fails about once in ten years; nobody would see that in a demo).
LAMP_FAILURE_PER_READING = 1 / 5000
PER_TYPE_SHARE = {
    "streetlight": 1.0,
    "streetlight_cabinet": 0.05,
    "waste_container": 0.4,
    "traffic_flow": 0.1,
    "air_quality": 0.05,
}


@dataclass(frozen=True)
class SimulationConfig:
    """How many devices, how often they report, over which transport."""

    devices_per_type: int = 50
    rate: float = 0.2
    duration: float = 0
    transport: str = "mqtt"
    url: str = "mqtt://127.0.0.1:1883"
    failure_rate: float = 0.01
    start: date = field(default_factory=date.today)
    api_key: str | None = None
    seed: int = 7


@dataclass
class SimDevice:
    """One simulated device and its evolving state."""

    id: str
    type: str
    street: str
    lon: float
    lat: float
    password: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    applied: set[str] = field(default_factory=set)
    silent_until: float = 0.0
    seq: int = 0
    next_due: float = 0.0


@dataclass
class SimulationReport:
    """What the run did."""

    sent: int = 0
    commands: int = 0
    failures: int = 0


def place_devices(config: SimulationConfig) -> list[SimDevice]:
    """Devices of every simulated type spread along the streets (deterministic for a seed)."""
    rng = random.Random(config.seed)
    devices = []
    for kind, share in PER_TYPE_SHARE.items():
        count = max(1, round(config.devices_per_type * share))
        for n in range(count):
            street = list(STREETS)[n % len(STREETS)]
            lon, lat = _along(STREETS[street], rng.random())
            devices.append(
                SimDevice(f"{PREFIXES[kind]}-{n + 1:04d}", kind, street, round(lon, 6), round(lat, 6))
            )
    return devices


def _along(line: list[tuple[float, float]], fraction: float) -> tuple[float, float]:
    lengths = [math.dist(a, b) for a, b in itertools.pairwise(line)]
    target = fraction * sum(lengths)
    for (a, b), length in zip(itertools.pairwise(line), lengths, strict=False):
        if target <= length:
            t = target / length if length else 0
            return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
        target -= length
    return line[-1]


def register_missing(db: Database, devices: list[SimDevice], *, reset_credentials: bool) -> int:
    """Register devices the registry lacks; keep (or reset) passwords for HTTP transport."""
    existing = {d.id for d in service.find_devices(db, device_ids=[d.id for d in devices])}
    created = 0
    for device in devices:
        if device.id not in existing:
            data = DeviceCreate.model_validate(
                {
                    "id": device.id,
                    "type": device.type,
                    "tags": ["simulated", device.street],
                    "location": {"type": "Point", "coordinates": [device.lon, device.lat]},
                }
            )
            device.password = service.register_device(db, actor=SIM_ACTOR, data=data).password
            created += 1
        elif reset_credentials:
            device.password = service.reset_credentials(db, actor=SIM_ACTOR, device_id=device.id).password
    return created


def inventory_devices(db: Database) -> list[SimDevice]:
    """Registered devices tagged `simulate` (the demo inventory of lighting and environment) to drive too."""
    kinds = [*PREFIXES, "flood_sensor", "camera"]
    found = []
    for d in service.find_devices(db, types=kinds):
        if INVENTORY_TAG in (d.tags or []):
            device = SimDevice(d.id, d.type, "inventory", d.lon or 0.0, d.lat or 0.0)
            rated = re.search(r"(\d+)\s*W\b", d.model or "")
            if rated:
                device.state["rated_w"] = float(rated.group(1))  # e.g. model "LED 150 W"
            found.append(device)
    return found


def reading(device: SimDevice, now: datetime, rng: random.Random) -> dict[str, Any]:
    """The next values of a device, following the time of day in Vietnam."""
    hour = (now.hour + VIETNAM_UTC_OFFSET) % 24 + now.minute / 60
    makers: dict[str, Callable[[SimDevice, float, random.Random], dict[str, Any]]] = {
        "streetlight": _streetlight,
        "streetlight_cabinet": _cabinet,
        "waste_container": _waste,
        "traffic_flow": _traffic,
        "air_quality": _air,
        "flood_sensor": _flood,
        "camera": _camera,
    }
    return makers[device.type](device, hour, rng)


def _streetlight(device: SimDevice, hour: float, rng: random.Random) -> dict[str, Any]:
    night = hour >= 18 or hour < 5.5
    default = 0 if not night else (100 if 18 <= hour < 23 else 50)
    dim = device.state.get("commanded_dim", default)
    on = dim > 0 and device.state.get("switch", "on") == "on"
    if device.street == "inventory" and rng.random() < LAMP_FAILURE_PER_READING:
        device.state["lamp_failed"] = True  # the driver or LED died: the lamp draws nothing from now on
    failed = device.state.get("lamp_failed", False)
    rated = device.state.get("rated_w", 120.0)
    power = round(rated * dim / 100 + rng.uniform(-2, 2), 1) if on and not failed else 0.0
    device.state["energy"] = device.state.get("energy", rng.uniform(10, 500)) + power / 1000 / 60
    return {
        "powerState": "on" if on else "off",
        "dimLevel": dim if on else 0,
        "powerConsumption": max(power, 0),
        "energyConsumed": round(device.state["energy"], 3),
        "voltage": round(rng.gauss(225, 3), 1),
    }


def _cabinet(device: SimDevice, hour: float, rng: random.Random) -> dict[str, Any]:
    on = device.state.get("switch", "on" if hour >= 18 or hour < 5.5 else "off") == "on"
    device.state["energy"] = device.state.get("energy", rng.uniform(1000, 9000)) + (3.5 if on else 0) / 60
    return {
        "contactorState": "on" if on else "off",
        "activePower": round(rng.uniform(3, 4), 2) if on else 0.0,
        "voltage": round(rng.gauss(228, 2), 1),
        "intensity": round(rng.uniform(14, 18), 1) if on else 0.0,
        "doorOpen": rng.random() < 0.002,
        "energyConsumed": round(device.state["energy"], 2),
    }


def _inventory_waste(device: SimDevice, hour: float, rng: random.Random) -> dict[str, Any]:
    """A demo-inventory container: fills at its own daily rate (more by day) and is emptied near 90 %."""
    now, state = time.time(), device.state
    elapsed = now - state.get("t", now)
    state["t"] = now
    rate = state.setdefault("rate", rng.uniform(18, 35))  # points per day
    daytime = 1.6 if 6 <= hour < 21 else 0.25
    level = state.get("level", rng.uniform(5, 50)) + rate * daytime * elapsed / 86400
    state["level"] = rng.uniform(1, 4) if level >= 90 else level  # the truck came
    return {
        "fillingLevel": round(state["level"], 1),
        "temperature": round(rng.gauss(30, 1.5), 1),
        "lidOpen": False,
        "tiltAngle": round(rng.uniform(0, 3), 1),
        "batteryLevel": round(rng.uniform(60, 100)),
    }


def _waste(device: SimDevice, hour: float, rng: random.Random) -> dict[str, Any]:
    if device.street == "inventory":
        return _inventory_waste(device, hour, rng)
    level = device.state.get("level", rng.uniform(0, 60)) + rng.uniform(0, 1.5)
    if level > 98 and rng.random() < 0.2:
        level = rng.uniform(0, 5)  # collected
    device.state["level"] = min(level, 100.0)
    return {
        "fillingLevel": round(device.state["level"], 1),
        "temperature": round(rng.gauss(31, 2), 1),
        "lidOpen": rng.random() < 0.01,
        "batteryLevel": round(rng.uniform(40, 100)),
    }


def _traffic(_device: SimDevice, hour: float, rng: random.Random) -> dict[str, Any]:
    rush = math.exp(-((hour - 7.5) ** 2) / 2) + math.exp(-((hour - 17.5) ** 2) / 2)
    intensity = int(max(0, rng.gauss(80 + 400 * rush, 20)))
    speed = max(5.0, 45 - 30 * rush + rng.gauss(0, 3))
    return {
        "intensity": intensity,
        "averageVehicleSpeed": round(speed, 1),
        "occupancy": round(min(1.0, 0.1 + 0.6 * rush), 2),
        "congested": speed < 15,
    }


def _air(_device: SimDevice, hour: float, rng: random.Random) -> dict[str, Any]:
    rush = math.exp(-((hour - 8) ** 2) / 4) + math.exp(-((hour - 18) ** 2) / 4)
    return {
        "pm25": round(max(1, rng.gauss(22 + 20 * rush, 5)), 1),
        "pm10": round(max(2, rng.gauss(45 + 30 * rush, 8)), 1),
        "no2": round(max(1, rng.gauss(30 + 25 * rush, 6)), 1),
        "o3": round(max(1, rng.gauss(60, 10)), 1),
        "co": round(max(100, rng.gauss(1500 + 1800 * rush, 200)), 0),
        "so2": round(max(1, rng.gauss(12 + 6 * rush, 2)), 1),
        "temperature": round(rng.gauss(30, 2), 1),
        "relativeHumidity": round(rng.uniform(55, 90), 1),
    }


def _camera(_device: SimDevice, _hour: float, _rng: random.Random) -> dict[str, Any]:
    """A camera's heartbeat (its events come from its analytics, not from this simulator)."""
    return {"online": "yes"}


def _flood(device: SimDevice, _hour: float, rng: random.Random) -> dict[str, Any]:
    """A drain gauge in dry weather: the level follows the tide well below the road."""
    tide = 6 * math.sin(2 * math.pi * time.time() / (12.42 * 3600))
    level = round(-50 + tide + rng.uniform(-1, 1), 1)
    return {"currentLevel": level, "measuredDistance": round(150 - level, 1)}


def maybe_fail(device: SimDevice, values: dict[str, Any], rng: random.Random, chance: float) -> str | None:
    """Now and then break a device: silence, an impossible value, overheating. Returns what happened."""
    if rng.random() >= chance:
        return None
    kind = rng.choice(("silent", "impossible", "overheat"))
    if kind == "silent":
        device.silent_until = time.monotonic() + rng.uniform(60, 600)
    elif kind == "impossible":
        key = next(iter(values))
        values[key] = (
            10**9 if isinstance(values[key], int | float) and not isinstance(values[key], bool) else "?"
        )
    elif "temperature" in values:
        values["temperature"] = 95.0
    return kind


def apply_command(device: SimDevice, command: dict[str, Any]) -> bool:
    """Apply a command once (by its id); False when it was applied before."""
    command_id = str(command.get("command_id"))
    if command_id in device.applied:
        return False
    device.applied.add(command_id)
    params = command.get("params") or {}
    if command.get("name") == "dim":
        device.state["commanded_dim"] = params.get("dimLevel", 100)
    elif command.get("name") == "switch":
        device.state["switch"] = params.get("state", "on")
    return True


class Simulation:
    """Runs the devices until the duration is over or `stop` is set."""

    SUMMARY_EVERY_SECONDS = 60.0

    def __init__(
        self, devices: list[SimDevice], config: SimulationConfig, transport: Transport, console: Any = None
    ) -> None:
        self.devices, self.config, self.transport, self.console = devices, config, transport, console
        self.rng = random.Random(config.seed)
        self.report = SimulationReport()
        self.run_id = uuid.uuid4().hex[:6]
        interval = 1 / config.rate if config.rate > 0 else math.inf
        now = time.monotonic()
        for device in devices:
            device.next_due = now + self.rng.uniform(0, min(interval, 10))

    def run(self, stop: threading.Event) -> SimulationReport:
        """Report, obey commands and fail until done."""
        end = time.monotonic() + self.config.duration if self.config.duration else math.inf
        self.transport.on_command = self._command
        next_summary, summarised = time.monotonic() + self.SUMMARY_EVERY_SECONDS, SimulationReport()
        while not stop.is_set() and time.monotonic() < end:
            batch = self._due_messages()
            if batch:
                self.transport.send(batch)
                self.report.sent += len(batch)
            self.transport.poll(self.devices)
            if self.console is not None and time.monotonic() >= next_summary:
                self._summarise(summarised)
                summarised = dataclasses.replace(self.report)
                next_summary += self.SUMMARY_EVERY_SECONDS
            stop.wait(0.05)
        self.transport.close()
        return self.report

    def _summarise(self, before: SimulationReport) -> None:
        """One line for the last minute: messages, commands answered and failures of the simulated devices."""
        self.console.print(
            f"Simulator, last minute: {self.report.sent - before.sent} messages"
            f" from {len(self.devices)} devices,"
            f" {self.report.commands - before.commands} commands answered,"
            f" {self.report.failures - before.failures} simulated failures"
        )

    def _due_messages(self) -> list[tuple[SimDevice, dict[str, Any]]]:
        now_mono, now = time.monotonic(), datetime.now(UTC)
        interval = 1 / self.config.rate if self.config.rate > 0 else math.inf
        batch = []
        for device in self.devices:
            if device.next_due > now_mono:
                continue
            # Every device reports within seconds of the start (the demo has data at once); its second report
            # comes somewhere in the interval, so that the devices report spread over it, not in bursts.
            first = device.seq == 0 and math.isfinite(interval)
            device.next_due = now_mono + (self.rng.uniform(0, interval) if first else interval)
            if device.silent_until > now_mono:
                continue
            values = reading(device, now, self.rng)
            if maybe_fail(device, values, self.rng, self.config.failure_rate * interval / 60):
                self.report.failures += 1
            device.seq += 1
            batch.append(
                (device, {"msg_id": f"{self.run_id}-{device.seq}", "ts": now.isoformat(), "values": values})
            )
        return batch

    def _command(self, device: SimDevice, command: dict[str, Any]) -> dict[str, Any]:
        if apply_command(device, command):
            self.report.commands += 1
        return {
            "command_id": command.get("command_id"),
            "status": "ok",
            "detail": dict(command.get("params") or {}),
        }


class Transport:
    """How messages leave the simulator."""

    on_command: Callable[[SimDevice, dict[str, Any]], dict[str, Any]]

    def send(self, batch: list[tuple[SimDevice, dict[str, Any]]]) -> None:
        """Deliver messages."""
        raise NotImplementedError

    def poll(self, devices: list[SimDevice]) -> None:
        """Fetch commands where the transport needs polling."""

    def close(self) -> None:
        """Release connections."""


class MqttTransport(Transport):
    """QoS 1 on city/<type>/<id>/telemetry; commands arrive on city/+/+/command."""

    def __init__(self, url: str, devices: list[SimDevice]) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        from smartcity.iot.mqtt import broker_from_settings, configure_login

        broker = broker_from_settings(url=url)
        self.by_id = {d.id: d for d in devices}
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"simulator-{uuid.uuid4().hex[:6]}", protocol=mqtt.MQTTv5
        )
        configure_login(self.client, broker)
        self.client.max_inflight_messages_set(1000)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *_: c.subscribe("city/+/+/command", qos=1)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def _on_message(self, client: Any, _userdata: Any, message: Any) -> None:
        parts = message.topic.split("/")
        device = self.by_id.get(parts[2]) if len(parts) == 4 else None
        if device is None:
            return
        try:
            answer = self.on_command(device, json.loads(message.payload))
        except ValueError:
            return
        client.publish(f"city/{device.type}/{device.id}/command/ack", json.dumps(answer), qos=1)

    def send(self, batch: list[tuple[SimDevice, dict[str, Any]]]) -> None:
        """Publish each message with QoS 1."""
        for device, body in batch:
            self.client.publish(f"city/{device.type}/{device.id}/telemetry", json.dumps(body), qos=1)

    def close(self) -> None:
        """Disconnect once everything went out."""
        time.sleep(0.5)
        self.client.disconnect()
        self.client.loop_stop()


class HttpTransport(Transport):
    """POST /api/v1/iot/telemetry: one batch per tick with an integrator key, else per device."""

    def __init__(self, url: str, api_key: str | None, *, client: httpx.Client | None = None) -> None:
        self.http = client or httpx.Client(base_url=url, timeout=30)
        self.api_key = api_key
        self._next_poll = 0.0

    def send(self, batch: list[tuple[SimDevice, dict[str, Any]]]) -> None:
        """Post the batch; with device credentials, one request per device."""
        if self.api_key:
            messages = [dict(body, device_id=device.id) for device, body in batch]
            self.http.post(
                "/api/v1/iot/telemetry", json={"messages": messages}, headers={"X-API-Key": self.api_key}
            )
            return
        for device, body in batch:
            self.http.post("/api/v1/iot/telemetry", json={"messages": [body]}, headers=self._token(device))

    def _token(self, device: SimDevice) -> dict[str, str]:
        return {"X-Device-Token": f"{device.id}:{device.password}"} if device.password else {}

    def poll(self, devices: list[SimDevice]) -> None:
        """Every 5 s, lights and cabinets fetch their commands and answer them."""
        if time.monotonic() < self._next_poll:
            return
        self._next_poll = time.monotonic() + 5
        for device in (d for d in devices if d.type in ("streetlight", "streetlight_cabinet") and d.password):
            response = self.http.get(
                f"/api/v1/iot/devices/{device.id}/commands/pending", headers=self._token(device)
            )
            if response.status_code != 200:
                continue
            for command in response.json():
                answer = self.on_command(device, command)
                self.http.post(
                    f"/api/v1/iot/devices/{device.id}/commands/{command['command_id']}/ack",
                    json={"status": answer["status"], "detail": answer["detail"]},
                    headers=self._token(device),
                )

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()


def run_simulation(
    db: Database, config: SimulationConfig, *, register: bool, stop: threading.Event, console: Any = None
) -> SimulationReport:
    """Place, register and run the simulated devices."""
    devices = place_devices(config) + (inventory_devices(db) if register else [])
    if register:
        created = register_missing(
            db, devices, reset_credentials=config.transport == "http" and not config.api_key
        )
        if console is not None:
            console.print(f"{len(devices)} simulated devices ({created} newly registered)")
    transport: Transport = (
        MqttTransport(config.url, devices)
        if config.transport == "mqtt"
        else HttpTransport(config.url, config.api_key)
    )
    return Simulation(devices, config, transport, console).run(stop)
