"""Periodic tasks shared safely by several workers: each run is claimed by an atomic UPDATE on its row."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, Integer, String, Text, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base, Database, UTCDateTime, utcnow

log = logging.getLogger(__name__)

Task = Callable[[Database], int]
DEFAULT_INTERVAL = timedelta(minutes=1)


def every(*entries: tuple[str, Task, timedelta]) -> tuple[dict[str, Task], dict[str, timedelta]]:
    """A domain's TASKS and INTERVALS from (name, task, interval) entries: each name is written once."""
    return {name: task for name, task, _ in entries}, {name: interval for name, _, interval in entries}


class TaskSchedule(Base):
    """When a named periodic task runs next, and how its last run went."""

    __tablename__ = "task_schedule"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_result: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


def _ensure_rows(db: Database, names: list[str]) -> None:
    with db.write_session() as session:
        known = set(session.scalars(select(TaskSchedule.name).where(TaskSchedule.name.in_(names))))
        session.add_all(TaskSchedule(name=n, next_run_at=utcnow()) for n in names if n not in known)


def _claim(db: Database, name: str, interval: timedelta) -> bool:
    now = utcnow()
    with db.write_session() as session:
        result: CursorResult[tuple[()]] = session.execute(  # type: ignore[assignment]
            update(TaskSchedule)
            .where(TaskSchedule.name == name, TaskSchedule.next_run_at <= now)
            .values(next_run_at=now + interval, last_run_at=now)
        )
        return bool(result.rowcount)


def _record(db: Database, name: str, result: int | None, error: str | None) -> None:
    with db.write_session() as session:
        session.execute(
            update(TaskSchedule).where(TaskSchedule.name == name).values(last_result=result, last_error=error)
        )


def run_due_tasks(
    db: Database, tasks: Mapping[str, Task], intervals: Mapping[str, timedelta] | None = None
) -> dict[str, int]:
    """Run every task whose time has come and that no other worker claimed; returns their results."""
    intervals = intervals or {}
    _ensure_rows(db, list(tasks))
    results: dict[str, int] = {}
    for name, task in tasks.items():
        if not _claim(db, name, intervals.get(name, DEFAULT_INTERVAL)):
            continue
        try:
            results[name] = task(db)
        except OperationalError as exc:  # e.g. SQLite busy with another writer: the next period retries
            log.warning("periodic task %s postponed: %s", name, exc.orig)
            _record(db, name, None, f"{type(exc).__name__}: {exc.orig}")
            continue
        except Exception as exc:  # one failing task must not stop the others
            log.exception("periodic task %s failed", name)
            _record(db, name, None, f"{type(exc).__name__}: {exc}")
            continue
        _record(db, name, results[name], None)
    return results
