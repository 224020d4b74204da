"""Concurrent units of work keep one unbroken audit chain (SQLite BEGIN IMMEDIATE, PostgreSQL lock)."""

from __future__ import annotations

import threading

from smartcity.core.audit import verify_chain
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork


def test_parallel_writers_keep_the_chain(db):
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with UnitOfWork(db, Actor.system(f"writer{n}")) as uow:
                    uow.audit("update", "counter", n, before={"i": i}, after={"i": i + 1})
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.session() as session:
        report = verify_chain(session, key=db.settings.audit_key)
    assert report.ok and report.checked == 60


def test_a_failed_writer_gives_the_next_its_turn(db):
    """A unit of work that fails mid-way gives the embedded database's writer turn back: the writers queued
    behind it, in other threads, all get in; and a write opened inside another in the same thread does not
    wait for itself (on SQLite the turn is reentrant, on PostgreSQL there is no turn to take)."""
    errors: list[BaseException] = []

    def failing() -> None:
        try:
            with UnitOfWork(db, Actor.system("failing")) as uow:
                uow.audit("update", "counter", "failing", after={"i": 0})
                raise RuntimeError("stopped mid-way")
        except RuntimeError:
            pass

    def writer(n: int) -> None:
        try:
            with UnitOfWork(db, Actor.system(f"writer{n}")) as uow:
                uow.audit("update", "counter", n, after={"i": n})
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=failing)] + [
        threading.Thread(target=writer, args=(n,)) for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and not any(thread.is_alive() for thread in threads)
    with db.write_session(), db.write_session() as inner:  # nothing written: neither takes SQLite's lock
        assert inner is not None
    with db.session() as session:
        report = verify_chain(session, key=db.settings.audit_key)
    assert report.ok and report.checked == 8
