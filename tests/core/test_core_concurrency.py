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
