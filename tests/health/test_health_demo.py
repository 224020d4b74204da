"""The demo loads fast, once, with nothing dated in the future, and feeds coverage and the pages."""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy import func, select

from smartcity.accounts.demo import load_demo as load_accounts
from smartcity.core import clock
from smartcity.core.security import Actor
from smartcity.health import demo, service
from smartcity.health.models import FhirResource, QuarantineCase


def test_demo_is_fast_idempotent_and_in_the_past(city, db, settings) -> None:  # type: ignore[no-untyped-def]
    actor = Actor.system("demo")
    load_accounts(db, settings=settings, actor=actor)
    started = time.perf_counter()
    summary = demo.load_demo(db, settings=settings, actor=actor)
    elapsed = time.perf_counter() - started
    assert "Patient" in summary and elapsed < 30
    assert demo.load_demo(db, settings=settings, actor=actor) == "already loaded"
    today = clock.today(settings)
    with db.session() as s:
        patients = s.scalar(select(func.count()).where(FhirResource.resource_type == "Patient")) or 0
        latest = s.scalar(select(func.max(FhirResource.clinical_date)))
        newest_birth = s.scalar(select(func.max(FhirResource.birthdate)))
        cases = s.scalar(select(func.count()).select_from(QuarantineCase)) or 0
    assert 2500 <= patients <= 6000 and cases >= 10
    assert latest is not None and latest <= today and newest_birth is not None and newest_birth <= today
    assert latest <= date(2026, 12, 5) or today > date(2026, 12, 5)
    rows = service.coverage_by_ward(db, today)
    city_row = next(r for r in rows if r.ward_code is None)
    full = sum(demo.demo_population()["wards"].values())
    assert abs(city_row.population * demo.SCALE - full) < 100, "denominators scaled like the population"
    assert city_row.share is not None and 40 < city_row.share < 60, "about half of residents have a record"
    assert all(r.share is not None and 35 < r.share < 65 for r in rows if r.age_group is None)
    assert any(str(demo.SCALE) in source for source in service.population_sources(db, today))
    overdue = service.overdue_children(db, settings, on=today, wards={"25747"})
    assert overdue, "some children are behind their schedule"
    assert any(r.open_alerts for r in service.quarantine_board(db, wards=None))
