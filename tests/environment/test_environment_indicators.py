"""Every indicator and dataset of the four city services computes on the demo data."""

from __future__ import annotations

from datetime import timedelta

from smartcity.cameras import demo as cameras_demo
from smartcity.cameras import kpis as cameras_kpis
from smartcity.core import clock
from smartcity.core.kpis import KpiContext
from smartcity.core.security import Actor
from smartcity.environment import datasets as environment_datasets
from smartcity.environment import demo as environment_demo
from smartcity.environment import kpis as environment_kpis
from smartcity.lighting import datasets as lighting_datasets
from smartcity.lighting import demo as lighting_demo
from smartcity.lighting import kpis as lighting_kpis
from smartcity.waste import demo as waste_demo
from smartcity.waste import kpis as waste_kpis


def test_indicators_and_datasets_on_the_demo(db, settings) -> None:  # type: ignore[no-untyped-def]
    actor = Actor.system("demo")
    for module in (environment_demo, lighting_demo, waste_demo, cameras_demo):
        module.load_demo(db, settings=settings, actor=actor)
    # every demo device reports through the simulator, except the groups (the lighting service writes them)
    from smartcity.iot import service as iot_service
    from smartcity.iot.simulator import inventory_devices

    driven = {d.id for d in inventory_devices(db)}
    devices = iot_service.find_devices(db)
    assert {d.id for d in devices if d.type != "streetlight_group"} == driven
    now = clock.now()
    week = KpiContext(settings=settings, start=now - timedelta(days=7), end=now, on=clock.today(settings))
    values = {}
    for module in (environment_kpis, lighting_kpis, waste_kpis, cameras_kpis):
        for indicator in module.INDICATORS:
            assert indicator.code.startswith(indicator.domain + ".")
            values[indicator.code] = indicator.compute(db, week)[0]
    assert values["lighting.telemanaged_share"].value == 100.0
    assert values["lighting.working_share"].value == round(100 * 71 / 72, 1)  # the broken lamp
    assert values["lighting.energy_per_km"].value > 0
    assert values["waste.containers_with_telemetry"].value == 100.0
    assert values["waste.km_per_tonne"].value is not None
    assert values["cameras.congestion_hours"].value > 0 and values["cameras.accidents"].value == 1
    assert values["environment.days_aqi_above_moderate"].denominator >= 24
    rows = list(environment_datasets.DATASETS[0].rows(db, settings))
    assert rows and set(rows[0]) == {c.name for c in environment_datasets.DATASETS[0].columns}
    assert environment_datasets.DATASETS[0].features(db, settings)["features"]
    energy = list(lighting_datasets.DATASETS[0].rows(db, settings))
    assert energy and all(r["dien_nang_kwh"] <= r["khong_giam_sang_kwh"] * 1.05 for r in energy)
