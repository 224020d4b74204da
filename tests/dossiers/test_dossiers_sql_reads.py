"""Statistics and deadline lists computed in SQL agree with the Python rules, row by row, on demo data."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import pytest
from sqlalchemy import select

from smartcity.core.uow import UnitOfWork
from smartcity.dossiers import service, stats, summary
from smartcity.dossiers.models import (
    Dossier,
    DossierDailyCount,
    DossierMonthlyCount,
    DossierOpenCount,
    DossierQueueCount,
    DossierRating,
)
from smartcity.dossiers.service import calendar_for
from smartcity.dossiers.states import DONE, PAYMENT, PROCESSING, RETURNED, SUBMITTED
from smartcity.procedures import service as procedures
from tests.dossiers.dossier_fixtures import SYSTEM, seed_history_and_a_busy_month

TODAY = date(2026, 11, 20)


@pytest.fixture
def seeded(city, db, settings):
    """300 demo dossiers in every state, spread over two years."""
    procedures.load_city_catalogue(db, actor=SYSTEM)
    seed_history_and_a_busy_month(db, settings)
    return db


def _python_statistics(
    db, settings, by: str, today: date = TODAY, period: tuple[date | None, date | None] = (None, None)
) -> dict[str, Counter[str]]:
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
            submitted_on = calendar.local_date(dossier.submitted_at)
            if (period[0] and submitted_on < period[0]) or (period[1] and submitted_on > period[1]):
                continue
            row = rows[keys[by](dossier)]
            row["received"] += 1
            row["online"] += dossier.channel == "online"
            row["paid_online"] += bool(dossier.paid_online)
            status = stats._classify(dossier, calendar, today)
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


@pytest.mark.parametrize(
    "period",
    [
        (date(2025, 3, 1), date(2025, 12, 31)),  # whole months only
        (date(2025, 3, 17), date(2026, 2, 9)),  # days at both edges
        (date(2025, 11, 5), date(2025, 11, 20)),  # inside one month
        (date(2025, 11, 20), None),
        (None, date(2025, 6, 30)),
        (None, date(2025, 6, 14)),
    ],
)
def test_statistics_of_a_period_match_the_rules(seeded, settings, period):
    """Whole months come from the monthly rows, the edge days from the daily ones: the same figures."""
    for by in ("month", "unit"):
        expected = _python_statistics(seeded, settings, by, period=period)
        got = stats.statistics(
            seeded, settings=settings, by=by, date_from=period[0], date_to=period[1], today=TODAY
        )
        assert {row["key"]: {name: row[name] for name in stats.COUNTERS} for row in got} == {
            key: {name: counts[name] for name in stats.COUNTERS} for key, counts in expected.items()
        }
        assert got


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


def _table_rows(db, table) -> list[tuple]:
    columns = list(table.__table__.c)
    with db.session() as s:
        rows = s.execute(select(*columns).order_by(*table.__table__.primary_key.columns)).all()
    counts = [c.name for c in columns if c.name not in table.__table__.primary_key.columns]
    return [tuple(row) for row in rows if any(getattr(row, name) for name in counts)]


def _kept_and_recounted(db) -> tuple[list[list[tuple]], list[list[tuple]]]:
    """The summary as the service kept it, then as a recount from every dossier gives it."""
    tables = (DossierDailyCount, DossierMonthlyCount, DossierOpenCount, DossierQueueCount)
    kept = [_table_rows(db, table) for table in tables]
    with db.engine.begin() as conn:
        summary.refill(conn, calendar_for(db).zone)
    return kept, [_table_rows(db, table) for table in tables]


def _codes(db, state: int, count: int) -> list[str]:
    with db.session() as s:
        return list(
            s.scalars(select(Dossier.code).where(Dossier.state == state).order_by(Dossier.id).limit(count))
        )


def test_summary_kept_with_each_change_equals_a_recount(seeded, settings):
    """After refusals, withdrawals, pauses, payments, results, returns, an assignment and rating changes,
    the summary the service kept equals a recount from the dossiers, and statistics still follow the
    per-dossier rules today and on a later day (when deadlines of open dossiers have passed)."""
    db = seeded
    refused, received = _codes(db, SUBMITTED, 2)
    paused, resumed = _codes(db, PROCESSING, 2)
    done = _codes(db, DONE, 1)[0]
    paying = _codes(db, PAYMENT, 1)
    actions = [
        (refused, "refuse", {"reason": "Thiếu giấy tờ"}),
        (received, "receive", {}),
        (received, "withdraw", {"reason": "Công dân rút"}),
        (paused, "request_supplement", {"reason": "Bổ sung bản vẽ"}),
        (resumed, "request_supplement", {"reason": "Bổ sung bản vẽ"}),
        (resumed, "supplement", {}),
        (done, "return", {}),
        *((code, "pay", {}) for code in paying),
    ]
    for code, action, payload in actions:
        service.act(db, actor=SYSTEM, settings=settings, code=code, action=action, payload=payload)
    with UnitOfWork(db, SYSTEM) as uow:
        ratings = list(uow.session.scalars(select(DossierRating).order_by(DossierRating.id).limit(2)))
        ratings[0].overall = 1 if ratings[0].overall >= 2 else 3
        uow.session.delete(ratings[1])
        unrated = uow.session.scalar(
            select(Dossier)
            .where(Dossier.state == RETURNED, Dossier.id.not_in(select(DossierRating.dossier_id)))
            .limit(1)
        )
        assert unrated is not None
        unrated.paid_online = not unrated.paid_online
        assigned = uow.session.scalar(
            select(Dossier).where(Dossier.step == "process", Dossier.state == PROCESSING).limit(1)
        )
        assert assigned is not None
        assigned.assignee = "chuyenvien.b"  # the queue counts move to the row of this assignee
        uow.session.add(
            DossierRating(
                dossier_id=unrated.id,
                procedure_code=unrated.procedure_code,
                unit=unrated.processing_unit,
                overall=2,
                month="2026-11",
            )
        )
    kept, recounted = _kept_and_recounted(db)
    assert kept == recounted and all(kept)
    later = date(2027, 12, 31)
    for today in (TODAY, later):
        expected = _python_statistics(db, settings, "all", today)
        got = stats.statistics(db, settings=settings, by="all", today=today)[0]
        assert {name: got[name] for name in stats.COUNTERS} == dict(
            {name: 0 for name in stats.COUNTERS}, **expected["all"]
        )
    assert stats.statistics(db, settings=settings, by="all", today=later)[0]["open_overdue"] > 0


def test_migration_0024_fills_the_summary_as_the_service_keeps_it(seeded, settings):
    """Down to 0023 and up again: the migration counts the stored dossiers into the same rows."""
    from alembic import command

    from smartcity.core.migrate import alembic_config

    tables = (DossierDailyCount, DossierMonthlyCount, DossierOpenCount)
    kept = [_table_rows(seeded, table) for table in tables]
    config = alembic_config(seeded.url)
    config.attributes["settings"] = settings
    seeded.engine.dispose()
    command.downgrade(config, "0023")
    command.upgrade(config, "head")
    assert [_table_rows(seeded, table) for table in tables] == kept and all(kept)


def test_migration_0027_fills_the_queue_counts_as_the_service_keeps_them(seeded, settings):
    """Down to 0026 and up again: the migration counts the stored dossiers awaiting someone the same way."""
    from alembic import command

    from smartcity.core.migrate import alembic_config

    kept = _table_rows(seeded, DossierQueueCount)
    config = alembic_config(seeded.url)
    config.attributes["settings"] = settings
    seeded.engine.dispose()
    command.downgrade(config, "0026")
    command.upgrade(config, "head")
    assert _table_rows(seeded, DossierQueueCount) == kept and sum(row[-1] for row in kept) > 20
