"""Demo street lighting of Thủ Dầu Một: cabinets, groups and lights on six streets, three schedules, two
days of lamp telemetry, a week of energy, and tickets of the past week (one lamp still waiting for a crew)."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.iot import service as iot_service
from smartcity.lighting import service
from smartcity.lighting.faults import evidence_of
from smartcity.lighting.models import EnergyDay, Ticket
from smartcity.lighting.schemas import CabinetCreate, GroupCreate, LightCreate, ScheduleCreate

SCHEDULES = (
    (
        "Trục chính — giảm 60 % lúc 23:00, 40 % lúc 01:00",
        {
            "steps": [{"at": "23:00", "level": 60}, {"at": "01:00", "level": 40}],
        },
    ),
    (
        "Đường nội thị — giảm 70 % lúc 22:00, 35 % lúc 00:00",
        {
            "steps": [{"at": "22:00", "level": 70}, {"at": "00:00", "level": 35}],
        },
    ),
    (
        "Đại lộ — mặt trời lặn +10 phút, mọc −10 phút",
        {
            "on_event": "sunset",
            "on_offset_minutes": 10,
            "off_event": "sunrise",
            "off_offset_minutes": -10,
            "steps": [{"at": "23:30", "level": 70}],
        },
    ),
)
# id, name, street, circuit, cabinet, schedule index, line (lon, lat) start → end, km, rated W
GROUPS = (
    (
        "G-BD-1",
        "Bạch Đằng — lộ 1",
        "Đường Bạch Đằng",
        "Lộ 1",
        "TU-BD",
        0,
        (106.6512, 10.9762),
        (106.6521, 10.9818),
        0.65,
        120,
    ),
    (
        "G-CMT8-1",
        "Cách Mạng Tháng Tám — lộ 1",
        "Đường Cách Mạng Tháng Tám",
        "Lộ 1",
        "TU-CMT8",
        0,
        (106.6500, 10.9665),
        (106.6537, 10.9790),
        1.45,
        150,
    ),
    (
        "G-CMT8-2",
        "Cách Mạng Tháng Tám — lộ 2",
        "Đường Cách Mạng Tháng Tám",
        "Lộ 2",
        "TU-CMT8",
        0,
        (106.6541, 10.9805),
        (106.6580, 10.9940),
        1.55,
        150,
    ),
    (
        "G-YS-1",
        "Yersin — lộ 1",
        "Đường Yersin",
        "Lộ 1",
        "TU-YS",
        1,
        (106.6567, 10.9787),
        (106.6640, 10.9835),
        0.95,
        100,
    ),
    (
        "G-304-1",
        "Đường 30 Tháng 4 — lộ 1",
        "Đường 30 Tháng 4",
        "Lộ 1",
        "TU-304",
        1,
        (106.6485, 10.9703),
        (106.6560, 10.9740),
        0.9,
        100,
    ),
    (
        "G-DLBD-1",
        "Đại lộ Bình Dương — lộ 1",
        "Đại lộ Bình Dương",
        "Lộ 1",
        "TU-DLBD",
        2,
        (106.6660, 10.9680),
        (106.6632, 10.9785),
        1.2,
        200,
    ),
)
CABINETS = {
    "TU-BD": ("Tủ chiếu sáng Bạch Đằng (chợ Thủ Dầu Một)", "Đường Bạch Đằng", 106.6516, 10.9789),
    "TU-CMT8": (
        "Tủ chiếu sáng Cách Mạng Tháng Tám – Nguyễn Du",
        "Đường Cách Mạng Tháng Tám",
        106.6539,
        10.9798,
    ),
    "TU-YS": ("Tủ chiếu sáng Yersin", "Đường Yersin", 106.6600, 10.9808),
    "TU-304": ("Tủ chiếu sáng 30 Tháng 4", "Đường 30 Tháng 4", 106.6520, 10.9720),
    "TU-DLBD": ("Tủ chiếu sáng Đại lộ Bình Dương – Phú Hòa", "Đại lộ Bình Dương", 106.6648, 10.9730),
}
LIGHTS_PER_GROUP = 12
SIMULATE = "simulate"  # the demo simulator drives devices with this tag
TELEMETRY_HOURS = 48
BROKEN = "G-CMT8-1-07"  # its driver failed last night: reports no current when it should burn


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Install the demo inventory with its recent past (once)."""
    if service.list_groups(db):
        return "lighting inventory already there"
    now = clock.now()
    installed = clock.today(settings) - timedelta(days=400)
    schedules = [
        service.create_schedule(db, actor=actor, data=ScheduleCreate(name=name, spec=spec)).id
        for name, spec in SCHEDULES
    ]
    for cid, (name, street, lon, lat) in CABINETS.items():
        data = CabinetCreate(
            id=cid, name=name, street=street, lon=lon, lat=lat, installed_on=installed, tags=[SIMULATE]
        )
        service.create_cabinet(db, actor=actor, data=data)
    for gid, name, street, circuit, cabinet, sched, start, end, km, _watts in GROUPS:
        mid = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        service.create_group(
            db,
            actor=actor,
            data=GroupCreate(
                id=gid,
                name=name,
                street=street,
                circuit=circuit,
                cabinet_id=cabinet,
                schedule_id=schedules[sched],
                lon=mid[0],
                lat=mid[1],
                length_km=km,
            ),
        )
        _lights(db, actor, gid, start, end, _watts, installed)
    messages = _telemetry(db, now)
    found_at = _last_dark_report(db, now)
    before = [m for m in messages if _at(m) <= found_at]
    after = [m for m in messages if _at(m) > found_at]
    _ingest(db, before, now)
    service.detect_faults(db, now=found_at + timedelta(minutes=1))  # the night's check finds the lamp
    _ingest(db, after, now)
    _energy_history(db, now)
    today = clock.today(settings)
    service.compute_energy(db, day=today - timedelta(days=1))  # today's comes with the hourly task
    _past_tickets(db, now)
    service.apply_schedules(db, now=now)
    lights = len(GROUPS) * LIGHTS_PER_GROUP
    return f"{len(CABINETS)} cabinets, {len(GROUPS)} groups, {lights} lights, {len(messages)} messages"


def _ingest(db: Database, messages: list[Any], now: datetime) -> None:
    for i in range(0, len(messages), 1000):
        iot_service.ingest(db, envelopes=messages[i : i + 1000], now=now)


def _at(message: Any) -> datetime:
    return datetime.fromisoformat(message.payload["ts"])


def _last_dark_report(db: Database, now: datetime) -> datetime:
    """The latest hourly report time since the lamp broke at which its group should have been burning."""
    group = service.get_group(db, group_id=BROKEN.rsplit("-", 1)[0])
    at = (now - timedelta(hours=1)).replace(minute=20, second=0, microsecond=0)
    if at >= now:
        at -= timedelta(hours=1)
    plans: dict[tuple[str, date], Any] = {}
    while _level(db, group, at, plans) == 0:
        at -= timedelta(hours=1)
    return at


def _lights(
    db: Database,
    actor: Actor,
    gid: str,
    start: tuple[float, float],
    end: tuple[float, float],
    watts: int,
    installed: date,
) -> None:
    items = []
    for n in range(LIGHTS_PER_GROUP):
        t = n / (LIGHTS_PER_GROUP - 1)
        lon, lat = start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t
        items.append(
            LightCreate(
                id=f"{gid}-{n + 1:02d}",
                group_id=gid,
                pole=f"{gid[2:]}-{n + 1:02d}",
                rated_power_w=watts,
                lon=round(lon, 6),
                lat=round(lat, 6),
                installed_on=installed,
                tags=[SIMULATE],
            )
        )
    service.create_lights(db, actor=actor, items=items)


def _level(db: Database, group: Any, at: datetime, plans: dict[tuple[str, date], Any]) -> int:
    night = service.night_of(at, db)
    levels = []
    for n in (night - timedelta(days=1), night):
        key = (group.id, n)
        if key not in plans:
            plans[key] = service.plan_for(db, group=group, night=n)
        levels.append(plans[key].level_at(at))
    return max(levels)


def _telemetry(db: Database, now: datetime) -> list[Any]:
    """Hourly reports of every light and cabinet over the last two days, following the plans."""
    rng = random.Random(37122)
    plans: dict[tuple[str, date], Any] = {}
    messages = []
    first = (now - timedelta(hours=TELEMETRY_HOURS)).replace(minute=20, second=0, microsecond=0)
    broken_since = now - timedelta(hours=30)
    for group in service.list_groups(db):
        lights = service.list_lights(db, group_id=group.id)
        at = first
        while at < now:
            level = _level(db, group, at, plans)
            for light in lights:
                failed = light.id == BROKEN and at >= broken_since
                power = (
                    0.0
                    if failed or level == 0
                    else light.rated_power_w * level / 100 * rng.uniform(0.97, 1.03)
                )
                values = {
                    "powerState": "on" if level else "off",
                    "dimLevel": level,
                    "powerConsumption": round(power, 1),
                    "voltage": round(rng.gauss(226, 2), 1),
                }
                messages.append(_envelope(light.id, at, values))
            cabinet_values = {
                "contactorState": "on" if level else "off",
                "voltage": round(rng.gauss(228, 1.5), 1),
                "doorOpen": False,
            }
            messages.append(
                _envelope(group.cabinet_id, at + timedelta(minutes=group.id.__len__()), cabinet_values)
            )
            at += timedelta(hours=1)
    return messages


def _envelope(device_id: str, at: datetime, values: dict[str, Any]) -> Any:
    return iot_service.Envelope(
        payload={"ts": at.astimezone(UTC).isoformat(), "msg_id": f"demo-{at:%Y%m%d%H%M}", "values": values},
        device_id=device_id,
    )


def _energy_history(db: Database, now: datetime) -> None:
    """Energy of the five days before the telemetry window, from the plans (what the meters recorded)."""
    rng = random.Random(2024)
    today = clock.today(db.settings)
    rows = []
    for group in service.list_groups(db):
        lights = service.list_lights(db, group_id=group.id)
        for back in range(7, 1, -1):
            day = today - timedelta(days=back)
            start, end = service.day_bounds(db, day)
            plans = [
                service.plan_for(db, group=group, night=day - timedelta(days=1)),
                service.plan_for(db, group=group, night=day),
            ]
            hours_on = service.hours_on_within(plans, start, end)
            dimmed = _dimmed_hours(plans, start, end)
            for light in lights:
                base = light.rated_power_w * hours_on / 1000
                used = light.rated_power_w * dimmed / 1000 * rng.uniform(0.97, 1.03)
                rows.append(
                    EnergyDay(
                        light_id=light.id,
                        day=day,
                        group_id=group.id,
                        kwh=round(used, 4),
                        baseline_kwh=round(base, 4),
                        hours_reported=24,
                    )
                )
    with UnitOfWork(db, Actor.system("demo")) as uow:
        uow.session.add_all(rows)


def _dimmed_hours(plans: list[Any], start: datetime, end: datetime) -> float:
    """Full-power-equivalent hours of the plans inside [start, end)."""
    total = 0.0
    for plan in plans:
        marks = [*plan.steps, (plan.off_at, 0)]
        for (begin, level), (finish, _next) in itertools.pairwise(marks):
            overlap = (min(finish, end) - max(begin, start)).total_seconds() / 3600
            total += max(overlap, 0) * level / 100
    return total


def _past_tickets(db: Database, now: datetime) -> None:
    """Tickets of the past week, all closed by their crews."""
    today = clock.today(db.settings)
    past = [
        (
            "G-YS-1-04",
            "light",
            "G-YS-1",
            "lamp_failure",
            evidence_of("lamp_failure", level=100, expected=100, power=0),
            5,
            "Tổ sửa chữa chiếu sáng số 1",
            "Thay bộ nguồn LED 100 W",
        ),
        (
            "TU-304",
            "cabinet",
            None,
            "cabinet_door_open",
            evidence_of("cabinet_door_open"),
            4,
            "Tổ trực sự cố điện",
            "Khoá cửa tủ bị cạy, đã thay khoá mới",
        ),
        (
            "G-DLBD-1-09",
            "light",
            "G-DLBD-1",
            "power_out_of_range",
            evidence_of("over_power", power=290, expected=200, level=100, rated=200),
            3,
            "Tổ sửa chữa chiếu sáng số 2",
            "Bộ điều khiển độ sáng lỗi, đã thay",
        ),
    ]
    with UnitOfWork(db, Actor.system("demo")) as uow:
        for asset, kind, group, fault, text, days_ago, crew, resolution in past:
            detected = now - timedelta(days=days_ago, hours=3)
            closed = detected + timedelta(hours=20)
            uow.session.add(
                Ticket(
                    asset_id=asset,
                    asset_kind=kind,
                    group_id=group,
                    fault=fault,
                    description=text,
                    description_phrase=text.to_json(),
                    detected_at=detected,
                    state="closed",
                    crew=crew,
                    due_on=today - timedelta(days=days_ago - 3),
                    closed_at=closed,
                    closed_by="Đội quản lý chiếu sáng",
                    resolution=resolution,
                    notes=[
                        {
                            "at": (detected + timedelta(hours=1)).isoformat(),
                            "by": "vanhanh",
                            "text": f"Giao cho {crew}.",
                        },
                        {"at": closed.isoformat(), "by": "vanhanh", "text": f"Đóng phiếu: {resolution}"},
                    ],
                )
            )
