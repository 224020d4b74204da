"""Events are stored with the change and handed to handlers after commit; failures are retried."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from smartcity.core.events import Event, register_event
from smartcity.core.outbox import OutboxMessage, bus
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork


@register_event("tests.ThingHappened")
@dataclass(frozen=True)
class ThingHappened(Event):
    thing_id: int
    tags: tuple[str, ...] = ()


@pytest.fixture
def received():
    seen: list[ThingHappened] = []
    failures = {"left": 0}

    def handler(event, _db):
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("handler not ready")
        seen.append(event)

    bus.register({ThingHappened.name: [handler]})
    yield seen, failures
    bus.handlers[ThingHappened.name].remove(handler)


def test_event_dispatched_after_commit(db, received):
    seen, _ = received
    with UnitOfWork(db, Actor.system("test")) as uow:
        uow.publish(ThingHappened(thing_id=7, tags=("a",)))
        assert seen == []  # nothing happens before the commit
    assert seen == [ThingHappened(thing_id=7, tags=["a"])] or seen[0].thing_id == 7
    with db.session() as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert message.dispatched_at is not None and message.attempts == 1


def test_rolled_back_work_publishes_nothing(db, received):
    seen, _ = received
    with pytest.raises(ValueError), UnitOfWork(db, Actor.system("test")) as uow:
        uow.publish(ThingHappened(thing_id=1))
        raise ValueError("abort")
    assert seen == []
    with db.session() as session:
        assert session.scalars(select(OutboxMessage)).all() == []


def test_failed_handler_is_retried_by_relay(db, received):
    seen, failures = received
    failures["left"] = 1
    with UnitOfWork(db, Actor.system("test")) as uow:
        uow.publish(ThingHappened(thing_id=2))
    assert seen == []
    with db.session() as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert message.dispatched_at is None and "not ready" in (message.last_error or "")
    assert bus.dispatch_pending(db) == 1
    assert [e.thing_id for e in seen] == [2]
    assert bus.dispatch_pending(db) == 0  # dispatched once only


def test_listener_sees_dispatched_events(db, received):
    heard = []
    stop = bus.listen(heard.append)
    try:
        with UnitOfWork(db, Actor.system("test")) as uow:
            uow.publish(ThingHappened(thing_id=3))
    finally:
        stop()
    assert [e.thing_id for e in heard] == [3]


def test_handlers_see_the_settings_of_the_app_that_owns_the_database(db, tmp_path):
    from smartcity.core.config import Settings
    from smartcity.web.app import create_app

    seen_data_dirs = []

    def handler(_event, database):
        seen_data_dirs.append(database.settings.data_dir)

    bus.register({ThingHappened.name: [handler]})
    try:
        create_app(Settings(data_dir=tmp_path / "app-data", database_url=db.url, secret_key="s"), db)
        with UnitOfWork(db, Actor.system("test")) as uow:
            uow.publish(ThingHappened(thing_id=8))
    finally:
        bus.handlers[ThingHappened.name].pop()
    assert seen_data_dirs == [tmp_path / "app-data"]


@register_event("tests.NobodyListens")
@dataclass(frozen=True)
class NobodyListens(Event):
    thing_id: int


def test_an_event_without_handlers_is_stored_dispatched_and_still_reaches_listeners(db):
    shown = []
    stop = bus.listen(shown.append)
    try:
        with UnitOfWork(db, Actor.system("test")) as uow:
            uow.publish(NobodyListens(thing_id=1))
    finally:
        stop()
    with db.session() as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert message.dispatched_at is not None and message.attempts == 1
    assert [e.thing_id for e in shown] == [1]


def test_without_inline_dispatch_every_event_waits_for_the_relay(db):
    db.dispatch_inline = False
    try:
        with UnitOfWork(db, Actor.system("test")) as uow:
            uow.publish(NobodyListens(thing_id=2))
    finally:
        db.dispatch_inline = True
    with db.session() as session:
        assert session.scalars(select(OutboxMessage)).one().dispatched_at is None
    assert bus.dispatch_pending(db) == 1
