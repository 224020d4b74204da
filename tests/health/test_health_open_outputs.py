"""What leaves the health domain for the operations centre and open data: aggregates, small counts hidden."""

from __future__ import annotations

from datetime import datetime

from smartcity.core import clock
from smartcity.core.kpis import KpiContext
from smartcity.health import datasets, kpis, service
from smartcity.health.fhir.validate import CCCD
from tests.health.conftest import bearer, patient


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
