"""What leaves the health domain for the operations centre and open data: aggregates, small counts hidden."""

from __future__ import annotations

from datetime import datetime

from smartcity.core import clock
from smartcity.core.kpis import KpiContext
from smartcity.health import datasets, kpis, service
from smartcity.health.fhir.validate import CCCD
from tests.health.conftest import NATIONAL, bearer, patient


def test_indicators_and_datasets_hold_aggregates_only(client, db, settings, user_token) -> None:  # type: ignore[no-untyped-def]
    service.ensure_population(db)
    _, token = user_token("health_manager")
    for n in range(3):
        pid = client.post(
            "/fhir/R4/Patient",
            json=patient(f"07419001{n:04d}", "Đinh", "Công", "1970-01-01", ward="25747"),
            headers=bearer(token),
        ).json()["id"]
        client.post(
            "/fhir/R4/Encounter",
            json={
                "resourceType": "Encounter",
                "status": "finished",
                "class": {"code": "AMB"},
                "subject": {"reference": f"Patient/{pid}"},
            },
            headers=bearer(token),
        )
    today = clock.today(settings)
    context = KpiContext(settings=settings, start=datetime(2026, 1, 1), end=datetime(2026, 12, 1), on=today)
    values = {v.ward: v for v in kpis.record_coverage(db, context)}
    assert (
        values["25747"].numerator == 3
        and values["25747"].denominator
        and values["25747"].denominator > 100_000
    )
    assert values[None].numerator == 3
    assert {i.code for i in kpis.INDICATORS} == {"health.record_coverage", "health.immunisation_coverage"}
    rows = list(datasets.coverage_rows(db, settings))
    tdm = next(r for r in rows if r["ward"] == "Phường Thủ Dầu Một" and r["age_group"] == "Mọi lứa tuổi")
    assert tdm["records"] is None and tdm["share_percent"] is None  # 3 < 5: suppressed
    for dataset in datasets.DATASETS:
        for row in dataset.rows(db, settings):
            assert set(row) == {c.name for c in dataset.columns}
            assert not any(isinstance(v, str) and CCCD.match(v) for v in row.values())


def test_records_keep_the_ward_of_their_date_and_count_in_todays_ward(db, settings, city) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from smartcity.core.security import Actor
    from smartcity.core.uow import UnitOfWork
    from smartcity.health.fhir import store
    from smartcity.health.fhir.access import Caller
    from smartcity.health.fhir.extract import fold

    service.ensure_population(db)
    before = date(2025, 3, 1)
    old_wards = {fold(n): c for c, n in service.ward_names(db, before).items()}
    with UnitOfWork(db, Actor.system("t")) as uow:
        ctx = store.StoreContext(
            session=uow.session,
            secret=settings.resolved_secret_key,
            national_system=NATIONAL,
            caller=Caller(actor=Actor.system("t")),
            wards=old_wards,
            today=before,
        )
        person = patient("074080099999", "Lâm", "Phúc", "1980-02-02", ward="")
        person["address"] = [
            {"line": ["12 đường Huỳnh Văn Lũy"], "district": "Phường Phú Mỹ", "city": "Thủ Dầu Một"}
        ]
        pid = store.create(ctx, person, resource_type="Patient").resource["id"]
        store.create(
            ctx,
            {
                "resourceType": "Encounter",
                "status": "finished",
                "class": {"code": "AMB"},
                "subject": {"reference": f"Patient/{pid}"},
                "period": {"start": "2025-02-20"},
            },
            resource_type="Encounter",
        )
    rows = service.coverage_by_ward(db, date(2026, 1, 1))
    counted = {r.ward_code for r in rows if r.ward_code and r.age_group is None and r.records}
    assert counted and counted <= {"25747", "25750", "25771", "25760", "25768"}  # Phú Mỹ (25762) is gone
    then = [r for r in service.coverage_by_ward(db, before) if r.ward_code == "25762" and r.age_group is None]
    assert then and then[0].records == 1
