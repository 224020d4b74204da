"""Demo waste collection in Thủ Dầu Một: a depot, three trucks, 24 containers (the first underground one at
the Đinh Bộ Lĩnh – Bạch Đằng intersection), a week of fill readings and rounds, and today's plan."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.iot import service as iot_service
from smartcity.waste import service
from smartcity.waste.models import Collection
from smartcity.waste.schemas import ContainerCreate, DepotCreate, VehicleCreate

DEPOT = DepotCreate(id="BAI-PH", name="Bãi xe thu gom Phú Hòa", lon=106.6712, lat=10.9902)
VEHICLES = (
    VehicleCreate(id="61C-123.45", name="Xe ép rác 7 m³", capacity_kg=3500, depot_id="BAI-PH"),
    VehicleCreate(id="61C-234.56", name="Xe ép rác 7 m³", capacity_kg=3500, depot_id="BAI-PH"),
    VehicleCreate(id="61H-345.67", name="Xe thu gom nhỏ 2,5 m³", capacity_kg=1200, depot_id="BAI-PH"),
)
FIRST = ContainerCreate(
    id="TR-DBL-BD-01",
    name="Thùng ngầm ngã tư Đinh Bộ Lĩnh – Bạch Đằng",
    kind="underground",
    waste_kind="other",
    capacity_l=3000,
    lon=106.65195,
    lat=10.97955,
    window_start="04:30",
    window_end="06:30",
)
STREETS = {
    "Đường Bạch Đằng": [(106.6512, 10.9762), (106.6521, 10.9818)],
    "Đường Cách Mạng Tháng Tám": [(106.6500, 10.9665), (106.6580, 10.9940)],
    "Đường Yersin": [(106.6567, 10.9787), (106.6640, 10.9835)],
    "Đường 30 Tháng 4": [(106.6485, 10.9703), (106.6650, 10.9790)],
    "Đại lộ Bình Dương": [(106.6688, 10.9560), (106.6590, 11.0010)],
    "Đường Huỳnh Văn Lũy": [(106.6660, 10.9930), (106.6790, 11.0020)],
}
DAYS = 7
ROUND_HOUR = 6  # the trucks pass about 06:00


def _containers() -> list[ContainerCreate]:
    rng = random.Random(75)
    made = [FIRST]
    for street, (a, b) in STREETS.items():
        for n in range(4 if street != "Đường Bạch Đằng" else 3):
            t = (n + 0.5) / 4
            underground = n == 0 and street in ("Đường Yersin", "Đường 30 Tháng 4")
            made.append(
                ContainerCreate(
                    id=f"TR-{len(made) + 1:03d}",
                    name=f"{street}, điểm {n + 1}",
                    kind="underground" if underground else "surface",
                    waste_kind=rng.choice(("other", "other", "food", "recyclable")),
                    capacity_l=2000 if underground else rng.choice((660, 660, 1100)),
                    lon=round(a[0] + (b[0] - a[0]) * t + rng.uniform(-0.0004, 0.0004), 6),
                    lat=round(a[1] + (b[1] - a[1]) * t + rng.uniform(-0.0004, 0.0004), 6),
                    window_start="05:00",
                    window_end="10:00" if not underground else "07:00",
                    tags=["simulate"],
                )
            )
    made[0] = made[0].model_copy(update={"tags": ["simulate"]})
    return made


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Install the depot, trucks and containers with a week of fill history and rounds (once)."""
    if service.list_containers(db):
        return "waste inventory already there"
    installed = clock.today(settings) - timedelta(days=200)
    service.create_depot(db, actor=actor, data=DEPOT)
    for vehicle in VEHICLES:
        service.create_vehicle(db, actor=actor, data=vehicle)
    containers = _containers()
    for data in containers:
        service.create_container(db, actor=actor, data=data.model_copy(update={"installed_on": installed}))
    now = clock.now()
    morning = min(_today_at(settings, now, time(4, 30)), now)
    sim = _Filling(settings, containers, now)
    messages = sim.run(until=morning, empty_at={})
    _ingest(db, messages, now)
    plan = service.plan_day(db, actor=actor, day=clock.local(morning, settings).date(), now=morning)
    routes = service.routes_of(db, plan_id=plan.id)
    zone = clock.city_zone(settings)
    visits = {
        stop["container_id"]: (route, datetime.combine(plan.day, time.fromisoformat(stop["arrival"]), zone))
        for route in routes
        for stop in route.stops
    }
    later = sim.run(until=now, empty_at={cid: at for cid, (_r, at) in visits.items()})
    _ingest(db, later, now)
    for cid, (route, at) in visits.items():
        if at < now:
            sim.rounds.append(
                (cid, route.vehicle_id, at.astimezone(UTC), sim.emptied_fill.get(cid, 0.0), route.id)
            )
    _record_rounds(db, sim.rounds, now)
    count = len(messages) + len(later)
    return (
        f"{len(containers)} containers, {len(VEHICLES)} trucks, {count} readings, {len(routes)} routes today"
    )


def _today_at(settings: Settings, now: datetime, at: time) -> datetime:
    local = clock.local(now, settings)
    return datetime.combine(local.date(), at, local.tzinfo).astimezone(UTC)


def _ingest(db: Database, messages: list[Any], now: datetime) -> None:
    for i in range(0, len(messages), 1000):
        iot_service.ingest(db, envelopes=messages[i : i + 1000], now=now)


class _Filling:
    """Hourly fill of each container: busier by day and at weekends; before today, emptied at 06:00 when
    above 70 %; today, emptied when today's plan brings a truck."""

    def __init__(self, settings: Settings, containers: list[ContainerCreate], now: datetime) -> None:
        self.settings, self.containers = settings, containers
        self.rng = random.Random(37120)
        self.rates = {
            c.id: 35.0 if c.kind == "underground" else self.rng.uniform(18, 32) for c in containers
        }  # % per day
        self.fill = {c.id: self.rng.uniform(10, 40) for c in containers}
        self.at = (now - timedelta(days=DAYS)).replace(minute=10, second=0, microsecond=0)
        self.today = clock.local(now, settings).date()
        self.rounds: list[Any] = []
        self.emptied_fill: dict[str, float] = {}

    def run(self, *, until: datetime, empty_at: dict[str, datetime]) -> list[Any]:
        """Readings from where the last run stopped until `until`."""
        messages = []
        while self.at < until:
            local = clock.local(self.at, self.settings)
            for index, container in enumerate(self.containers):
                messages.append(self._reading(container, index, local, empty_at))
            self.at += timedelta(hours=1)
        return messages

    def _reading(
        self, container: ContainerCreate, index: int, local: datetime, empty_at: dict[str, datetime]
    ) -> Any:
        rng, cid = self.rng, container.id
        weekend = 1.35 if local.weekday() >= 5 else 1.0
        daytime = 1.6 if 6 <= local.hour < 21 else 0.25  # people throw waste away by day
        self.fill[cid] = min(
            self.fill[cid] + self.rates[cid] * weekend * daytime / 24 * rng.uniform(0.8, 1.2), 99.0
        )
        visit = empty_at.get(cid)
        if local.date() < self.today and local.hour == ROUND_HOUR and self.fill[cid] > 70:
            self.rounds.append(
                (cid, VEHICLES[index % 2].id, self.at - timedelta(minutes=5), self.fill[cid], None)
            )
            self.fill[cid] = rng.uniform(1, 4)
        elif visit is not None and visit <= self.at and cid not in self.emptied_fill:
            self.emptied_fill[cid] = self.fill[cid]
            self.fill[cid] = rng.uniform(1, 4)
        temperature = 27 + 5 * math.sin(math.pi * (local.hour - 8) / 12) + rng.uniform(-1, 1)
        values = {
            "fillingLevel": round(self.fill[cid], 1),
            "temperature": round(temperature, 1),
            "tiltAngle": round(rng.uniform(0, 3), 1),
        }
        return iot_service.Envelope(
            payload={"ts": self.at.isoformat(), "msg_id": f"demo-{self.at:%Y%m%d%H}", "values": values},
            device_id=cid,
        )


def _record_rounds(db: Database, rounds: list[Any], now: datetime) -> None:
    with UnitOfWork(db, Actor.system("demo")) as uow:
        uow.session.add_all(
            [
                Collection(
                    container_id=cid,
                    vehicle_id=vid,
                    route_id=route_id,
                    emptied_at=at,
                    fill_before=round(fill, 1),
                    recorded_by="demo",
                )
                for cid, vid, at, fill, route_id in rounds
                if at < now
            ]
        )
