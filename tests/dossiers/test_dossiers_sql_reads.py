"""Statistics and deadline lists computed in SQL agree with the Python rules, row by row, on demo data."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import pytest
from sqlalchemy import select

from smartcity.dossiers import demo, service, stats
from smartcity.dossiers.models import Dossier, DossierRating
from smartcity.dossiers.service import calendar_for
from smartcity.procedures import service as procedures
from tests.dossiers.dossier_fixtures import SYSTEM

TODAY = date(2026, 11, 20)


@pytest.fixture
def seeded(city, db, settings):
    """300 demo dossiers in every state, spread over two years."""
    procedures.load_city_catalogue(db, actor=SYSTEM)
    demo.seed_demo_dossiers(db, settings=settings, count=300, seed=11)
    return db


def _python_statistics(db, settings, by: str) -> dict[str, Counter[str]]:
    """The counters by the per-dossier rules (`stats._classify`), one dossier at a time."""
    calendar = calendar_for(db, settings)
    keys = {
        "procedure": lambda d: d.procedure_code,
        "unit": lambda d: d.processing_unit,
        "month": lambda d: d.submitted_at.astimezone(calendar.zone).strftime("%Y-%m"),
        "all": lambda d: "all",
    }
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    with db.session() as s:
        ratings = dict(s.execute(select(DossierRating.dossier_id, DossierRating.overall)).all())
        for dossier in s.scalars(select(Dossier)):
            row = rows[keys[by](dossier)]
            row["received"] += 1
            row["online"] += dossier.channel == "online"
            row["paid_online"] += bool(dossier.paid_online)
            status = stats._classify(dossier, calendar, TODAY)
            if status:
                row[status] += 1
            if dossier.id in ratings:
                row["rated"] += 1
                row["satisfied"] += ratings[dossier.id] >= 2
    return rows


@pytest.mark.parametrize("by", ["procedure", "unit", "month", "all"])
def test_sql_statistics_match_the_per_dossier_rules(seeded, settings, by):
    expected = _python_statistics(seeded, settings, by)
    got = stats.statistics(seeded, settings=settings, by=by, today=TODAY)
    assert [row["key"] for row in got] == sorted(expected)
    for row in got:
        assert {name: row[name] for name in stats.COUNTERS} == {
            name: expected[row["key"]][name] for name in stats.COUNTERS
        }
    total = sum(row["received"] for row in got)
    assert total == 300 and sum(row["late"] + row["open_overdue"] for row in got) > 0


def test_sql_deadline_filters_match_each_dossier_status(seeded, settings):
    everything = service.list_dossiers(seeded, actor=SYSTEM, settings=settings, limit=1000).items
    by_status: dict[str, set[str]] = defaultdict(set)
    for item in everything:
        by_status[item.deadline_status].add(item.code)
    for deadline in ("within", "due_soon", "overdue", "paused"):
        page = service.list_dossiers(seeded, actor=SYSTEM, settings=settings, deadline=deadline, limit=1000)
        assert {item.code for item in page.items} == by_status[deadline], deadline
        assert page.total == len(by_status[deadline])
    assert by_status["overdue"] and by_status["paused"] and by_status["within"]
    first = service.list_dossiers(seeded, actor=SYSTEM, settings=settings, deadline="overdue", limit=2)
    dues = [item.due_date for item in first.items]
    assert len(first.items) == 2 and dues == sorted(dues) and first.total == len(by_status["overdue"])
