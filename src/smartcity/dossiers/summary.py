"""The dossier summary: counts per local submission day, procedure, field and unit, kept with the dossiers.

Statistics read these rows (a few per day and procedure) instead of every dossier of the period. The
counts change in the same transaction as the dossier or the rating they count: after every flush of a
session, each dossier and rating written in it is compared before and after, and the difference is added
to its rows (`INSERT ... ON CONFLICT DO UPDATE`, keys in sorted order so that two transactions lock
them in the same order). No periodic job, nothing to drift; `refill` rebuilds everything from the
dossiers (the migration, the benchmark's generated register, `smartcity dossiers refill-summary`).

The rules are those of the statistics (`stats.COUNTERS`): a dossier counts once as received on the local
day it was submitted; a finished one (done or returned, with a finish time) early, on time or late by its
local finish day against its due date; refused, withdrawn and stopped ones by state; a rated one as rated
and, rated 2 or 3, satisfied. An open dossier with a due date is counted in `dossier_open_counts` by its
due date, running or paused (supplement): overdue or not is decided on the day of the read. A dossier
awaiting someone (`states.AWAITING`) is counted in `dossier_queue_counts` by what the queues' rules ask of
it (units, state, step, assignee, fee, ...): a queue's total is the sum of the rows its rules select.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, event, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, UOWTransaction

from smartcity.city import service as city
from smartcity.dossiers.models import Dossier as DossierRow
from smartcity.dossiers.models import (
    DossierDailyCount,
    DossierMonthlyCount,
    DossierOpenCount,
    DossierQueueCount,
    DossierRating,
)
from smartcity.dossiers.states import AWAITING, FINISHED, OPEN, REFUSED, STOPPED, SUPPLEMENT, WITHDRAWN

DAILY_COUNTS = (
    "received",
    "online",
    "paid_online",
    "early",
    "on_time",
    "late",
    "refused",
    "withdrawn",
    "stopped",
    "rated",
    "satisfied",
)
OPEN_COUNTS = ("running", "paused")
CLOSED_COUNTS = {REFUSED: "refused", WITHDRAWN: "withdrawn", STOPPED: "stopped"}
ZONE_KEY = "dossiers.summary.zone"

Key = tuple[date, str, str, str]  # local submission day, procedure, field, processing unit
OpenKey = tuple[date, str, str, str, date]  # ... and the due date
QUEUE_KEY = tuple(c.name for c in inspect(DossierQueueCount).primary_key)
QueueKey = tuple[str, str, str, int, str, str, str, bool, bool, bool]  # the columns of QUEUE_KEY


@dataclass(frozen=True)
class Facts:
    """What a dossier's counts depend on."""

    state: int
    submitted_at: datetime
    finished_at: datetime | None
    due_date: date | None
    channel: str
    paid_online: bool
    procedure_code: str
    field_code: str
    processing_unit: str
    intake_unit: str
    deciding_unit: str
    workflow: str
    step: str | None
    assignee: str | None
    fee_vnd: int
    paid_at: datetime | None
    interlinked: bool
    received_at: datetime | None


FACT_NAMES = tuple(f.name for f in fields(Facts))


@dataclass
class Deltas:
    """Changes to the summary rows accumulated over one flush."""

    daily: defaultdict[Key, Counter[str]]
    open: defaultdict[OpenKey, Counter[str]]
    queue: Counter[QueueKey]

    @classmethod
    def empty(cls) -> Deltas:
        """No change yet."""
        return cls(defaultdict(Counter), defaultdict(Counter), Counter())

    def add(self, facts: Facts, zone: ZoneInfo, sign: int, rating: int | None = None) -> None:
        """Add (sign 1) or take away (sign -1) what one dossier counts for."""
        key = key_of(facts, zone)
        row = self.daily[key]
        row["received"] += sign
        row["online"] += sign * (facts.channel == "online")
        row["paid_online"] += sign * bool(facts.paid_online)
        outcome = finish_outcome(facts, zone)
        if outcome:
            row[outcome] += sign
        if facts.state in CLOSED_COUNTS:
            row[CLOSED_COUNTS[facts.state]] += sign
        if rating is not None:
            self.rate(key, rating, sign)
        if facts.state in OPEN and facts.due_date is not None:
            kind = "paused" if facts.state == SUPPLEMENT else "running"
            self.open[(*key, facts.due_date)][kind] += sign
        if facts.state in AWAITING:
            self.queue[queue_key(facts)] += sign

    def rate(self, key: Key, overall: int, sign: int) -> None:
        """Add or take away one rating."""
        self.daily[key]["rated"] += sign
        self.daily[key]["satisfied"] += sign * (overall >= 2)

    def apply(self, connection: Connection) -> None:
        """Write the non-zero changes: upserts in key order, then drop open rows left at zero."""
        insert = _insert_for(connection.dialect.name)
        monthly: defaultdict[Key, Counter[str]] = defaultdict(Counter)
        for key, counts in sorted(self.daily.items()):
            changed = {name: n for name, n in counts.items() if n}
            if changed:
                _upsert(connection, insert, DossierDailyCount, _daily_key(key), changed)
                monthly[(key[0].replace(day=1), *key[1:])].update(changed)
        for key, counts in sorted(monthly.items()):
            changed = {name: n for name, n in counts.items() if n}
            if changed:
                month_key = {"month": key[0], **_daily_key(key)}
                del month_key["day"]
                _upsert(connection, insert, DossierMonthlyCount, month_key, changed)
        emptied = False
        for open_key, counts in sorted(self.open.items()):
            changed = {name: n for name, n in counts.items() if n}
            if changed:
                _upsert(connection, insert, DossierOpenCount, _open_key(open_key), changed)
                emptied = emptied or any(n < 0 for n in changed.values())
        if emptied:
            connection.execute(
                delete(DossierOpenCount).where(DossierOpenCount.running == 0, DossierOpenCount.paused == 0)
            )
        changed_queue = sorted((key, n) for key, n in self.queue.items() if n)
        for queue_row, n in changed_queue:
            queue_columns = dict(zip(QUEUE_KEY, queue_row, strict=True))
            _upsert(connection, insert, DossierQueueCount, queue_columns, {"waiting": n})
        if any(n < 0 for _key, n in changed_queue):
            connection.execute(delete(DossierQueueCount).where(DossierQueueCount.waiting == 0))


def key_of(facts: Facts, zone: ZoneInfo) -> Key:
    """The daily row a dossier counts in."""
    day = facts.submitted_at.astimezone(zone).date()
    return (day, facts.procedure_code, facts.field_code, facts.processing_unit)


def queue_key(facts: Facts) -> QueueKey:
    """The queue counts row of a dossier awaiting someone (what the queues' rules ask of it)."""
    return (
        facts.intake_unit,
        facts.processing_unit,
        facts.deciding_unit,
        facts.state,
        facts.workflow,
        facts.step or "",
        facts.assignee or "",
        (facts.fee_vnd or 0) > 0 and facts.paid_at is None,
        bool(facts.interlinked),
        facts.received_at is not None,
    )


def finish_outcome(facts: Facts, zone: ZoneInfo) -> str | None:
    """early, on_time or late for a finished dossier (local finish day against the due date), else None."""
    if facts.state not in FINISHED or facts.finished_at is None:
        return None
    finished_on = facts.finished_at.astimezone(zone).date()
    if facts.due_date is None or finished_on == facts.due_date:
        return "on_time"
    return "early" if finished_on < facts.due_date else "late"


def _daily_key(key: Key) -> dict[str, Any]:
    return dict(zip(("day", "procedure_code", "field_code", "unit"), key, strict=True))


def _open_key(key: OpenKey) -> dict[str, Any]:
    return dict(zip(("day", "procedure_code", "field_code", "unit", "due_date"), key, strict=True))


def _insert_for(dialect: str) -> Any:
    """The dialect's INSERT with ON CONFLICT (PostgreSQL and SQLite spell it the same way)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _upsert(
    connection: Connection, insert: Any, table: Any, key: dict[str, Any], counts: dict[str, int]
) -> None:
    columns = table.__table__.c
    statement = insert(table).values({**key, **{c: 0 for c in _counts_of(table)}, **counts})
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={name: columns[name] + n for name, n in counts.items()}
    )
    connection.execute(statement)


def _counts_of(table: Any) -> tuple[str, ...]:
    if table is DossierQueueCount:
        return ("waiting",)
    return OPEN_COUNTS if table is DossierOpenCount else DAILY_COUNTS


# --- keeping the summary with every flush -------------------------------------------------------------


def _current(row: DossierRow) -> Facts:
    return Facts(**{name: getattr(row, name) for name in FACT_NAMES})


def _previous(row: DossierRow) -> Facts | None:
    """The facts as stored before this flush (None when an attribute was never loaded: read them)."""
    state = inspect(row)
    values = {}
    for name in FACT_NAMES:
        history = state.attrs[name].history
        if history.deleted:
            values[name] = history.deleted[0]
        elif history.unchanged:
            values[name] = history.unchanged[0]
        elif history.added:
            return None
        else:
            values[name] = getattr(row, name)
    return Facts(**values)


def _stored_facts(session: Session, dossier_id: int) -> Facts | None:
    row = session.connection().execute(
        select(*(getattr(DossierRow, name) for name in FACT_NAMES)).where(DossierRow.id == dossier_id)
    )
    found = row.first()
    return Facts(**dict(zip(FACT_NAMES, found, strict=True))) if found else None


def _changes(session: Session) -> bool:
    watched = (DossierRow, DossierRating)
    return any(isinstance(o, watched) for o in (*session.new, *session.dirty, *session.deleted))


def _zone(session: Session) -> ZoneInfo:
    zone: ZoneInfo | None = session.info.get(ZONE_KEY)
    if zone is None:
        zone = session.info[ZONE_KEY] = city.timezone_in(session)
    return zone


@event.listens_for(Session, "before_flush")
def _remember_previous(session: Session, _context: UOWTransaction, _instances: object) -> None:
    """Before the UPDATEs: the stored facts of each changed dossier whose old values are not in memory."""
    stored = {}
    for row in session.dirty:
        if isinstance(row, DossierRow) and row.id is not None and _previous(row) is None:
            stored[row.id] = _stored_facts(session, row.id)
    session.info["dossiers.summary.stored"] = stored


@event.listens_for(Session, "after_flush")
def _keep_summary(session: Session, _context: UOWTransaction) -> None:
    """Add this flush's changes of dossiers and ratings to the summary, in the same transaction."""
    stored = session.info.pop("dossiers.summary.stored", {})
    if not _changes(session):
        return
    zone, deltas = _zone(session), Deltas.empty()
    rated_here = {
        o.dossier_id for o in (*session.new, *session.dirty, *session.deleted) if isinstance(o, DossierRating)
    }
    for row in session.new:
        if isinstance(row, DossierRow):
            deltas.add(_current(row), zone, 1)
    for row in session.deleted:
        if isinstance(row, DossierRow):
            before = _previous(row) or stored.get(row.id)
            if before is not None:
                deltas.add(before, zone, -1)
    for row in session.dirty:
        if isinstance(row, DossierRow) and session.is_modified(row):
            _dossier_changed(session, row, stored, rated_here, zone, deltas)
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, DossierRating):
            _rating_changed(session, row, zone, deltas)
    deltas.apply(session.connection())


def _dossier_changed(
    session: Session,
    row: DossierRow,
    stored: dict[int, Facts | None],
    rated_here: set[int],
    zone: ZoneInfo,
    deltas: Deltas,
) -> None:
    before, after = _previous(row) or stored.get(row.id), _current(row)
    if before is None or before == after:
        return
    deltas.add(before, zone, -1)
    deltas.add(after, zone, 1)
    if key_of(before, zone) != key_of(after, zone) and row.id not in rated_here:
        overall = session.connection().scalar(
            select(DossierRating.overall).where(DossierRating.dossier_id == row.id)
        )
        if overall is not None:  # the rating moves with the dossier to its new row
            deltas.rate(key_of(before, zone), overall, -1)
            deltas.rate(key_of(after, zone), overall, 1)


def _rating_changed(session: Session, rating: DossierRating, zone: ZoneInfo, deltas: Deltas) -> None:
    """A rating added, changed or removed counts in its dossier's row (as the dossier is after the flush)."""
    dossier = session.identity_map.get(
        inspect(DossierRow).identity_key_from_primary_key((rating.dossier_id,))
    )
    facts = (
        _current(dossier) if isinstance(dossier, DossierRow) else _stored_facts(session, rating.dossier_id)
    )
    if facts is None:
        return
    key = key_of(facts, zone)
    state = inspect(rating)
    if rating in session.new:
        deltas.rate(key, rating.overall, 1)
    elif rating in session.deleted:
        history = state.attrs.overall.history
        deltas.rate(key, (history.deleted or history.unchanged or [rating.overall])[0], -1)
    else:
        history = state.attrs.overall.history
        if history.deleted:
            deltas.rate(key, history.deleted[0], -1)
            deltas.rate(key, rating.overall, 1)


# --- rebuilding from the dossiers -------------------------------------------------------------------


def _local_day(column: str, dialect: str, zone: ZoneInfo) -> str:
    """SQL for the local date of a UTC timestamp column (SQLite keeps UTC text: shift by the offset)."""
    if dialect == "postgresql":
        return f"CAST(timezone(:zone, {column}) AS date)"
    offset = datetime.now(zone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return f"date(datetime({column}, '{minutes:+d} minutes'))"


def refill_statements(dialect: str, zone: ZoneInfo) -> list[str]:
    """The SQL that empties the summary and counts every dossier again (bind `zone` on PostgreSQL)."""
    day = _local_day("d.submitted_at", dialect, zone)
    finished_on = _local_day("d.finished_at", dialect, zone)
    finished = f"d.state IN ({', '.join(str(s) for s in sorted(FINISHED))}) AND d.finished_at IS NOT NULL"
    due = "d.due_date IS NOT NULL"
    sums = {
        "received": "1 = 1",
        "online": "d.channel = 'online'",
        "paid_online": "d.paid_online",
        "early": f"{finished} AND {due} AND {finished_on} < d.due_date",
        "on_time": f"{finished} AND (d.due_date IS NULL OR {finished_on} = d.due_date)",
        "late": f"{finished} AND {due} AND {finished_on} > d.due_date",
        **{name: f"d.state = {state}" for state, name in CLOSED_COUNTS.items()},
        "rated": "r.overall IS NOT NULL",
        "satisfied": "r.overall >= 2",
    }
    columns = ", ".join(DAILY_COUNTS)
    counted = ",\n  ".join(f"SUM(CASE WHEN {sums[name]} THEN 1 ELSE 0 END)" for name in DAILY_COUNTS)
    open_states = ", ".join(str(s) for s in sorted(OPEN))
    month = (
        "CAST(date_trunc('month', day) AS date)" if dialect == "postgresql" else "date(day, 'start of month')"
    )
    summed = ", ".join(f"SUM({name})" for name in DAILY_COUNTS)
    return [
        "DELETE FROM dossier_daily_counts",
        "DELETE FROM dossier_monthly_counts",
        "DELETE FROM dossier_open_counts",
        "DELETE FROM dossier_queue_counts",
        f"""INSERT INTO dossier_daily_counts (day, procedure_code, field_code, unit, {columns})
SELECT {day}, d.procedure_code, d.field_code, d.processing_unit,
  {counted}
FROM dossiers d LEFT JOIN dossier_ratings r ON r.dossier_id = d.id
GROUP BY 1, 2, 3, 4""",
        f"""INSERT INTO dossier_monthly_counts (month, procedure_code, field_code, unit, {columns})
SELECT {month}, procedure_code, field_code, unit, {summed}
FROM dossier_daily_counts GROUP BY 1, 2, 3, 4""",
        f"""INSERT INTO dossier_open_counts (day, procedure_code, field_code, unit, due_date, running, paused)
SELECT {day}, d.procedure_code, d.field_code, d.processing_unit, d.due_date,
  SUM(CASE WHEN d.state <> {SUPPLEMENT} THEN 1 ELSE 0 END),
  SUM(CASE WHEN d.state = {SUPPLEMENT} THEN 1 ELSE 0 END)
FROM dossiers d WHERE d.state IN ({open_states}) AND d.due_date IS NOT NULL
GROUP BY 1, 2, 3, 4, 5""",
        QUEUE_REFILL,
    ]


QUEUE_REFILL = f"""INSERT INTO dossier_queue_counts ({", ".join(QUEUE_KEY)}, waiting)
SELECT intake_unit, processing_unit, deciding_unit, state, workflow,
  COALESCE(step, ''), COALESCE(assignee, ''),
  CASE WHEN fee_vnd > 0 AND paid_at IS NULL THEN true ELSE false END,
  CASE WHEN interlinked THEN true ELSE false END,
  CASE WHEN received_at IS NOT NULL THEN true ELSE false END,
  COUNT(*)
FROM dossiers WHERE state IN ({", ".join(str(s) for s in sorted(AWAITING))})
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"""


def refill(connection: Connection, zone: ZoneInfo) -> None:
    """Count every dossier again into an emptied summary, on `connection` (the caller's transaction)."""
    for statement in refill_statements(connection.dialect.name, zone):
        params = {"zone": zone.key} if ":zone" in statement else {}
        connection.execute(text(statement), params)
