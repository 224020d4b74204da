"""Staff lists read by key: the queue's SQL agrees with the workflow's rules, cursors walk the same rows as
one long page, and totals past the exact-count limit are estimates (PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from smartcity.core.errors import ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.dossiers import service, workflow
from smartcity.dossiers.config import DossierSettings
from smartcity.dossiers.models import Dossier
from smartcity.dossiers.states import DONE, OPEN, SUBMITTED
from smartcity.procedures import service as procedures
from tests.dossiers.dossier_fixtures import SYSTEM, seed_history_and_a_busy_month


@pytest.fixture
def seeded(city, db, settings):
    """300 demo dossiers in every state; one assigned to a named specialist, two with an applicant account."""
    procedures.load_city_catalogue(db, actor=SYSTEM)
    seed_history_and_a_busy_month(db, settings)
    with UnitOfWork(db, SYSTEM) as uow:
        processing = list(
            uow.session.scalars(
                select(Dossier).where(Dossier.step == "process").order_by(Dossier.id).limit(3)
            )
        )
        assert len(processing) == 3
        processing[0].assignee = "chuyenvien.a"
        for row in processing[1:]:
            row.applicant_user_id = 4242
    return db


def _actors(db) -> list[Actor]:
    with db.session() as s:
        unit, deciding = s.execute(
            select(Dossier.processing_unit, Dossier.deciding_unit).where(Dossier.step == "process").limit(1)
        ).one()
        intake = s.scalar(select(Dossier.intake_unit).where(Dossier.state == SUBMITTED).limit(1))
        own_unit = s.scalar(select(Dossier.processing_unit).where(Dossier.applicant_user_id == 4242).limit(1))

    def staff(name: str, *roles: tuple[str, str | None]) -> Actor:
        return Actor(kind="user", name=name, user_id=None, roles=frozenset(roles))

    return [
        SYSTEM,
        staff("tiepnhan", ("clerk", intake)),
        staff("chuyenvien.a", ("specialist", unit)),
        staff("chuyenvien.b", ("specialist", unit)),
        staff("truongphong", ("head", unit)),
        staff("lanhdao", ("leader", deciding)),
        staff("canbo.moinoi", ("clerk", None), ("head", None)),
        Actor(kind="user", name="congdan", user_id=4242, roles=frozenset({("citizen", None)})),
        # staff who is also the applicant of dossiers in their own unit: each counted once
        Actor(kind="user", name="chuyenvien.c", user_id=4242, roles=frozenset({("specialist", own_unit)})),
        staff("hai.donvi", ("clerk", intake), ("head", unit), ("leader", deciding)),
    ]


def test_the_queue_in_sql_is_the_workflows_available_actions(seeded, settings):
    """Each actor's queue holds the dossiers `available_actions` offers them, in full, with an exact total
    (from the queue counts) even past the exact-count limit."""
    settings.set_section(DossierSettings(exact_count_up_to=2))
    with seeded.session() as s:
        candidates = list(s.scalars(select(Dossier).where(Dossier.state.in_([SUBMITTED, *OPEN, DONE]))))
    checked = 0
    for actor in _actors(seeded):
        page = service.list_dossiers(seeded, actor=actor, settings=settings, queue=True, limit=500)
        visible = {
            item.code
            for item in service.list_dossiers(seeded, actor=actor, settings=settings, limit=500).items
        }
        expected = {d.code for d in candidates if d.code in visible and workflow.available_actions(d, actor)}
        assert {item.code for item in page.items} == expected, actor.name
        assert page.total == len(expected) and not page.estimated, actor.name
        checked += len(expected)
    assert checked > 20


def test_a_queues_total_by_state_and_unit_is_exact(seeded, settings):
    """The queue counts answer a queue filtered by state or unit as a count of its rows would."""
    settings.set_section(DossierSettings(exact_count_up_to=2))
    for actor in _actors(seeded):
        whole = service.list_dossiers(seeded, actor=actor, settings=settings, queue=True, limit=500).items
        for state in sorted({item.state for item in whole}):
            page = service.list_dossiers(seeded, actor=actor, settings=settings, queue=True, state=state)
            assert page.total == sum(item.state == state for item in whole), (actor.name, state)
        for unit in sorted({item.processing_unit for item in whole}):
            page = service.list_dossiers(seeded, actor=actor, settings=settings, queue=True, unit=unit)
            expected = sum(unit in (item.intake_unit, item.processing_unit) for item in whole)
            assert page.total == expected, (actor.name, unit)


def test_every_queue_walked_by_cursor_is_its_one_long_page(seeded, settings):
    """A unit's queue is read unit by unit from its indexes: pages by cursor give the long page's rows."""
    for actor in _actors(seeded):
        whole = service.list_dossiers(seeded, actor=actor, settings=settings, queue=True, limit=500)
        walked, cursor = [], None
        while True:
            page = service.list_dossiers(
                seeded, actor=actor, settings=settings, queue=True, limit=4, cursor=cursor
            )
            walked += [item.code for item in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert walked == [item.code for item in whole.items], actor.name


@pytest.mark.parametrize("filters", [{}, {"deadline": "overdue"}, {"deadline": "within"}, {"queue": True}])
def test_cursor_pages_walk_the_rows_of_one_long_page(seeded, settings, filters):
    whole = service.list_dossiers(seeded, actor=SYSTEM, settings=settings, limit=500, **filters)
    assert len(whole.items) >= 5 and whole.next_cursor is None
    # at least two full pages and a last one, however many rows the day's deadlines leave in the list
    size = min(7, (len(whole.items) - 1) // 2)
    walked, cursor, pages = [], None, 0
    while True:
        page = service.list_dossiers(
            seeded, actor=SYSTEM, settings=settings, limit=size, cursor=cursor, **filters
        )
        walked += [item.code for item in page.items]
        pages += 1
        if page.next_cursor is None:
            break
        assert page.has_next and len(page.items) == size
        cursor = page.next_cursor
    assert walked == [item.code for item in whole.items] and pages == -(-len(walked) // size) >= 3
    by_offset = service.list_dossiers(
        seeded, actor=SYSTEM, settings=settings, limit=size, offset=size, **filters
    )
    assert [item.code for item in by_offset.items] == walked[size : 2 * size]  # old page links still work


def test_a_cursor_of_another_list_or_a_broken_one_is_refused(seeded, settings):
    first = service.list_dossiers(seeded, actor=SYSTEM, settings=settings, limit=3)
    assert first.next_cursor
    for cursor in (first.next_cursor, "not-a-cursor"):
        with pytest.raises(ValidationFailed):
            service.list_dossiers(
                seeded, actor=SYSTEM, settings=settings, deadline="overdue", limit=3, cursor=cursor
            )


def test_totals_past_the_exact_limit_are_estimates_on_postgresql(seeded, settings):
    exact = service.list_dossiers(seeded, actor=SYSTEM, settings=settings, limit=5).total
    settings.set_section(DossierSettings(exact_count_up_to=20))
    if seeded.dialect == "postgresql":  # the planner's statistics, as autovacuum keeps them
        with seeded.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE dossiers")
    page = service.list_dossiers(seeded, actor=SYSTEM, settings=settings, limit=5)
    if seeded.dialect == "postgresql":
        assert page.estimated and page.total > 20 and abs(page.total - exact) <= exact // 5
        assert page.has_next and page.next_cursor
    else:  # SQLite serves one machine's register: it always counts
        assert not page.estimated and page.total == exact
    settings.set_section(DossierSettings(exact_count_up_to=exact))
    assert not service.list_dossiers(seeded, actor=SYSTEM, settings=settings, limit=5).estimated
