"""Periodic tasks run when due, once per interval across workers, and a failing task does not stop others."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from smartcity.core.scheduler import TaskSchedule, run_due_tasks


def test_due_tasks_run_once_per_interval(db):
    calls: list[str] = []
    tasks = {"tests.count": lambda _db: calls.append("count") or 3}
    assert run_due_tasks(db, tasks) == {"tests.count": 3}
    assert run_due_tasks(db, tasks) == {}  # a second worker (or poll) finds it claimed
    assert calls == ["count"]
    with db.write_session() as session:
        session.execute(update(TaskSchedule).values(next_run_at=TaskSchedule.last_run_at))
    assert run_due_tasks(db, tasks, {"tests.count": timedelta(hours=1)}) == {"tests.count": 3}


def test_failing_task_is_recorded_and_others_run(db):
    def broken(_db):
        raise RuntimeError("no luck")

    results = run_due_tasks(db, {"tests.broken": broken, "tests.ok": lambda _db: 1})
    assert results == {"tests.ok": 1}
    with db.session() as session:
        row = session.scalars(select(TaskSchedule).where(TaskSchedule.name == "tests.broken")).one()
    assert "no luck" in (row.last_error or "")
