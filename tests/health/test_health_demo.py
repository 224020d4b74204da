"""The demo loads fast, once, with nothing dated in the future, and feeds coverage and the pages."""

from __future__ import annotations

import time
from datetime import date
from itertools import pairwise

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


def test_the_demo_citizen_and_her_children_are_the_declared_family(city, db, settings) -> None:  # type: ignore[no-untyped-def]
    """Her record carries her ID card and birth date (core.demo, as her dossiers do); her three children are
    Nguyễn, born apart, linked to her as their mother, their vaccinations from their own birth dates."""
    from smartcity.accounts import service as accounts_service
    from smartcity.core.demo import DEMO_CITIZEN, demo_children
    from smartcity.health.fhir import store
    from smartcity.health.service.immunisation import child_schedule, children

    actor = Actor.system("demo")
    load_accounts(db, settings=settings, actor=actor)
    demo.load_demo(db, settings=settings, actor=actor)
    today = clock.today(settings)
    user = accounts_service.get_user_by_username(db, DEMO_CITIZEN.username)
    assert user is not None
    own = service.patient_for_user(db, user.id)
    assert own is not None
    keys = settings.personal_keys
    with db.session() as s:
        her = store.read(s, keys, "Patient", own).resource
        kids = [store.read(s, keys, "Patient", pid).resource for pid in service.children_of_user(db, user.id)]
    assert her["identifier"][0]["value"] == DEMO_CITIZEN.id_number == "074190012482"
    assert her["birthDate"] == DEMO_CITIZEN.birth.isoformat() and her["birthDate"].startswith("1990-")
    assert her["name"][0] == {"family": "Đỗ", "given": ["Thị", "Lan"]}
    declared = demo_children(today)
    assert sorted(
        (k["name"][0]["family"], *k["name"][0]["given"], k["birthDate"], k["gender"]) for k in kids
    ) == sorted((c.family, *c.given, c.birth.isoformat(), "female" if c.female else "male") for c in declared)
    births = sorted(date.fromisoformat(k["birthDate"]) for k in kids)
    assert all((later - earlier).days >= 270 for earlier, later in pairwise(births)), births
    assert all(birth <= today for birth in births)
    for kid in kids:
        contact = kid["contact"][0]
        assert contact["relationship"][0]["coding"][0]["code"] == "MTH" and contact["name"]["family"] == "Đỗ"
        assert contact["extension"][0]["valueIdentifier"]["value"] == DEMO_CITIZEN.id_number
    by_name = {" ".join([k["name"][0]["family"], *k["name"][0]["given"]]): k["id"] for k in kids}
    states = {}
    for child in (declared.daughter, declared.baby):
        record = children(db, today, patient_ids=[by_name[child.full_name]])[0]
        assert min(d for dates in record.given.values() for d in dates) >= child.birth
        doses = child_schedule(record.birthdate, record.given, today)
        states[child] = [(s.dose.vaccine, s.dose.dose, s.state) for s in doses]
    done = {state for _vaccine, _dose, state in states[declared.daughter]}
    assert done == {"given"}, states[declared.daughter]  # her childhood schedule is done
    baby = {state for _vaccine, _dose, state in states[declared.baby]}
    to_come = [dose for dose in states[declared.baby] if dose[2] != "given"]
    assert "given" in baby and {"due", "upcoming"} & baby and "overdue" not in baby, to_come
    with db.session() as s:
        shots = s.scalar(
            select(func.max(FhirResource.clinical_date)).where(FhirResource.resource_type == "Immunization")
        )
    assert shots is not None and shots <= today
