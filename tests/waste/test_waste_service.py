"""Waste: today's plan routes the containers forecast full on the map with length and load; rounds; alarms."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smartcity.core import clock
from smartcity.core.errors import ValidationFailed
from smartcity.core.outbox import OutboxMessage
from smartcity.core.security import Actor
from smartcity.iot import service as iot_service
from smartcity.waste import demo, service
from smartcity.waste.schemas import CollectionCreate, ContainerCreate, VehicleCreate
from smartcity.web.deps import current_actor

OPERATOR = Actor(kind="user", name="op", user_id=1, roles=frozenset({("operator", None)}))


def _send(db, device_id, at, values):  # type: ignore[no-untyped-def]
    envelope = iot_service.Envelope(
        payload={"ts": at.isoformat(), "msg_id": f"t-{at.timestamp():.0f}", "values": values},
        device_id=device_id,
    )
    assert not iot_service.ingest(db, envelopes=[envelope], now=at + timedelta(seconds=1)).refused


def test_demo_plan_shows_routes_with_length_and_load(db, settings, app) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    summary = demo.load_demo(db, settings=settings, actor=Actor.system("demo"))  # timed in bench/, not here
    assert (
        demo.load_demo(db, settings=settings, actor=Actor.system("demo")) == "waste inventory already there"
    )
    first = service.get_container(db, container_id="TR-DBL-BD-01")
    assert first.kind == "underground" and "Đinh Bộ Lĩnh – Bạch Đằng" in first.name
    plan = service.current_plan(db) or service.latest_plan(db, day=clock.today(settings))
    assert plan is not None, summary
    routes = service.routes_of(db, plan_id=plan.id)
    assert routes and all(r.distance_km > 0 and r.load_kg > 0 for r in routes)
    vehicles = {v.id: v for v in service.list_vehicles(db)}
    assert all(r.load_kg <= vehicles[r.vehicle_id].capacity_kg for r in routes)
    # each planned container was forecast at or above the threshold (or already there)
    planned = {s["container_id"] for r in routes for s in r.stops}
    assert planned and all(plan.forecasts[c] >= plan.threshold - 25 for c in planned)
    app.dependency_overrides[current_actor] = lambda: OPERATOR
    with TestClient(app) as client:
        page = client.get("/can-bo/thu-gom")
        assert page.status_code == 200 and '"LineString"' in page.text
        assert f"{routes[0].vehicle_id}" in page.text and " km" in page.text and " kg" in page.text
        pdf = client.get(f"/can-bo/thu-gom/tuyen/{routes[0].id}.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        phone = client.get(f"/can-bo/thu-gom/tuyen/{routes[0].id}")
        assert phone.status_code == 200 and routes[0].stops[0]["name"] in phone.text
    app.dependency_overrides.pop(current_actor, None)
    # nothing in the future
    assert all(
        c.emptied_at <= clock.now() for c in service.collections(db, since=clock.now() - timedelta(days=8))
    )


def test_plan_picks_containers_forecast_full_and_explains_the_rest(db, settings) -> None:  # type: ignore[no-untyped-def]
    from smartcity.waste.schemas import DepotCreate

    actor = Actor.system("test")
    service.create_depot(db, actor=actor, data=DepotCreate(id="D", name="Bãi", lon=106.67, lat=10.99))
    service.create_vehicle(
        db, actor=actor, data=VehicleCreate(id="XE", name="Xe", capacity_kg=300, depot_id="D")
    )
    for cid, lon in (("FAST", 106.655), ("SLOW", 106.660), ("HUGE", 106.662)):
        cap = 3000 if cid == "HUGE" else 660
        service.create_container(
            db,
            actor=actor,
            data=ContainerCreate(id=cid, name=cid, kind="surface", capacity_l=cap, lon=lon, lat=10.98),
        )
    day0 = clock.now().replace(hour=21, minute=0, second=0, microsecond=0) - timedelta(days=8)
    # FAST rises 40 points a day, SLOW 5; HUGE is already full
    for d in range(8):
        for h in range(0, 24, 3):
            at = day0 + timedelta(days=d, hours=h)
            _send(db, "FAST", at, {"fillingLevel": min(10 + 40 * (h / 24), 99)})
            _send(db, "SLOW", at, {"fillingLevel": 10 + 5 * d + 5 * (h / 24)})
            _send(db, "HUGE", at, {"fillingLevel": 95.0})
    now = day0 + timedelta(days=8)
    plan = service.plan_day(db, actor=actor, day=clock.local_date(now, settings) + timedelta(days=1), now=now)
    assert plan.forecasts["FAST"] > plan.forecasts["SLOW"]
    chosen = set(plan.forecasts) - {"SLOW"}
    routes = service.routes_of(db, plan_id=plan.id)
    served = {s["container_id"] for r in routes for s in r.stops}
    assert served | set(plan.unserved) == chosen
    # 3000 l at 95 % and 0.2 kg/l is 570 kg: more than the only truck carries
    assert "tải trọng" in plan.unserved["HUGE"]


def test_plan_needs_vehicles(db, settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed, match="xe"):
        service.plan_day(db, actor=OPERATOR, day=clock.today(settings))


def test_rounds_and_alarms(db, settings) -> None:  # type: ignore[no-untyped-def]
    from smartcity.waste.schemas import DepotCreate

    actor = Actor.system("test")
    service.create_depot(db, actor=actor, data=DepotCreate(id="D", name="Bãi", lon=106.67, lat=10.99))
    service.create_vehicle(
        db, actor=actor, data=VehicleCreate(id="XE", name="Xe", capacity_kg=3000, depot_id="D")
    )
    service.create_container(
        db,
        actor=actor,
        data=ContainerCreate(id="C1", name="C1", kind="underground", capacity_l=2000, lon=106.65, lat=10.98),
    )
    now = clock.now()
    _send(
        db, "C1", now - timedelta(minutes=10), {"fillingLevel": 100.0, "temperature": 70.0, "tiltAngle": 2.0}
    )
    assert service.check_alarms(db, now=now) == 1  # overflow; one hot reading is not yet a fire
    _send(db, "C1", now - timedelta(minutes=5), {"temperature": 74.0})
    assert service.check_alarms(db, now=now) == 1  # now the fire
    assert {a.kind for a in service.list_alarms(db)} == {"overflow", "fire"}
    with db.session() as s:
        assert (
            s.query(OutboxMessage).filter(OutboxMessage.event_type == "waste.ContainerAlarmRaised").count()
            == 2
        )
    service.record_collection(db, actor=OPERATOR, data=CollectionCreate(container_id="C1", vehicle_id="XE"))
    [row] = service.collections(db, since=now - timedelta(minutes=1))
    assert row.fill_before == 100.0
    with pytest.raises(ValidationFailed):
        service.record_collection(
            db,
            actor=OPERATOR,
            data=CollectionCreate(container_id="C1", vehicle_id="XE", emptied_at=now + timedelta(hours=2)),
        )
