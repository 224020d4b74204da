"""Batch writer of telemetry and latest values: executemany on SQLite, binary COPY into a staging table and
one merge on PostgreSQL.

Duplicates (same device and message id) are never stored twice; the writer returns which messages were new.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

import psycopg
from sqlalchemy import Connection, Engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from smartcity.iot.models import Rejection

TELEMETRY_COLUMNS = "device_id, msg_id, key, ts, value, text_value"
LATEST_COLUMNS = "device_id, key, ts, msg_id, value, text_value"
# A newer value of a (device, key) replaces the stored one; an older one, arriving late, does not.
ON_LATEST_CONFLICT = (
    "ON CONFLICT (device_id, key) DO UPDATE SET ts = excluded.ts, msg_id = excluded.msg_id, "
    "value = excluded.value, text_value = excluded.text_value WHERE excluded.ts >= iot_latest.ts"
)
SQLITE_STAGE_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS iot_telemetry_stage "
    "(device_id TEXT, msg_id TEXT, key TEXT, ts TEXT, value REAL, text_value TEXT)"
)
SQLITE_STAGE_INSERT = "INSERT INTO temp.iot_telemetry_stage VALUES (?, ?, ?, ?, ?, ?)"
SQLITE_MERGE_STAGE = (
    f"INSERT OR IGNORE INTO iot_telemetry ({TELEMETRY_COLUMNS}) "
    f"SELECT {TELEMETRY_COLUMNS} FROM temp.iot_telemetry_stage WHERE true "
    "RETURNING device_id, msg_id"
)
UPSERT_LATEST = f"INSERT INTO iot_latest ({LATEST_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) {ON_LATEST_CONFLICT}"


def _binary_stage(table: str, columns: str, types: list[str]) -> tuple[str, str]:
    """The DDL of a PostgreSQL staging table emptied at commit, and the binary COPY into it."""
    typed = ", ".join(f"{name} {kind}" for name, kind in zip(columns.split(", "), types, strict=True))
    return (
        f"CREATE TEMP TABLE IF NOT EXISTS {table} ({typed}) ON COMMIT DELETE ROWS",
        f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)",
    )


STAGE_TYPES = ["text", "text", "text", "timestamptz", "float8", "text"]
STAGE_DDL, COPY_STAGE = _binary_stage("iot_telemetry_stage", TELEMETRY_COLUMNS, STAGE_TYPES)
LATEST_STAGE_TYPES = ["text", "text", "timestamptz", "text", "float8", "text"]
LATEST_STAGE_DDL, COPY_LATEST_STAGE = _binary_stage("iot_latest_stage", LATEST_COLUMNS, LATEST_STAGE_TYPES)
MERGE_LATEST_STAGE = (
    f"INSERT INTO iot_latest ({LATEST_COLUMNS}) "
    f"SELECT {LATEST_COLUMNS} FROM iot_latest_stage ORDER BY device_id, key {ON_LATEST_CONFLICT}"
)
MERGE_STAGE = (
    "WITH inserted AS ("
    f"INSERT INTO iot_telemetry ({TELEMETRY_COLUMNS}) "
    f"SELECT {TELEMETRY_COLUMNS} FROM iot_telemetry_stage "
    "ON CONFLICT DO NOTHING RETURNING device_id, msg_id) "
    "SELECT DISTINCT device_id, msg_id FROM inserted"
)
# The staged batch's newest value of each (device, key) moved into the latest values, in key order (two ingest
# processes lock the rows they share in the same order). Used when every staged message was new.
MERGE_LATEST_FROM_STAGE = (
    f"INSERT INTO iot_latest ({LATEST_COLUMNS}) "
    f"SELECT DISTINCT ON (device_id, key) {LATEST_COLUMNS} "
    f"FROM iot_telemetry_stage ORDER BY device_id, key, ts DESC, msg_id DESC {ON_LATEST_CONFLICT}"
)
# A batch believed new goes straight into the partitioned table; a message stored before makes it fail whole.
COPY_TELEMETRY = f"COPY iot_telemetry ({TELEMETRY_COLUMNS}) FROM STDIN (FORMAT BINARY)"
STAGED = "iot.telemetry_staged"  # session.info: this transaction's rows are in the staging table
# Raw connections whose temporary staging tables exist (created once per connection, not once per batch).
_staged_connections: weakref.WeakSet[Any] = weakref.WeakSet()
_watched_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


class Row(NamedTuple):
    """One value of one message, ready to store (a tuple: written to COPY as it is)."""

    device_id: str
    msg_id: str
    key: str
    ts: datetime
    value: float | None
    text_value: str | None


MessageKey = tuple[str, str]


class StoredBefore(Exception):
    """A batch copied straight into the table held a message already stored (or one twice): the
    transaction is lost; store the batch again through the staging table, which drops such messages."""


def store_telemetry(
    session: Session, rows: Sequence[Row], *, assume_new: bool = False
) -> set[MessageKey] | None:
    """Store rows not stored before; return the (device, message id) pairs that were new, or None when every
    row was (so that no caller builds and looks up a pair a row for nothing). The latest values move forward
    in `advance_latest`, the transaction's last write. Call it once per transaction.

    PostgreSQL: with `assume_new`, one binary COPY straight into the table, which raises StoredBefore (the
    transaction is then lost) if any message was stored before or comes twice; otherwise a COPY into a
    staging table and one merge that skips what is stored.
    """
    if not rows:
        return set()
    if session.get_bind().dialect.name != "postgresql":
        return _write_sqlite(session, rows)
    if assume_new:
        _copy_directly(session, rows)
        return None
    session.info[STAGED] = True
    return _write_postgres(session, rows)


def _copy_directly(session: Session, rows: Sequence[Row]) -> None:
    raw = _prepared_connection(session)
    try:
        with raw.cursor() as cursor, cursor.copy(COPY_TELEMETRY) as copy:
            copy.set_types(STAGE_TYPES)
            for row in rows:
                copy.write_row(row)
    except psycopg.errors.UniqueViolation as exc:
        raise StoredBefore(str(exc)) from exc


def advance_latest(session: Session, rows: Sequence[Row], inserted: set[MessageKey] | None) -> None:
    """Move the latest values forward with the rows `store_telemetry` found new (all of them: None).

    Call it last before the commit: the latest rows of a device are shared by every ingest process of a
    shared subscription, and they stay locked from this statement to the commit. On PostgreSQL, when the
    batch went through the staging table and every message was new, one statement over the staging table;
    otherwise the newest value of each key, copied and merged.
    """
    fresh = rows if inserted is None else [r for r in rows if (r.device_id, r.msg_id) in inserted]
    if not fresh:
        return
    if session.info.get(STAGED) and len(fresh) == len(rows):
        raw = session.connection().connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor:
            cursor.execute(MERGE_LATEST_FROM_STAGE)
        return
    update_latest(session, fresh)


def _write_sqlite(session: Session, rows: Sequence[Row]) -> set[MessageKey]:
    raw = session.connection().connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.execute(SQLITE_STAGE_DDL)
        stamps = {ts: _sqlite_time(ts) for ts in {r.ts for r in rows}}
        cursor.executemany(
            SQLITE_STAGE_INSERT,
            [(r.device_id, r.msg_id, r.key, stamps[r.ts], r.value, r.text_value) for r in rows],
        )
        inserted = {(d, m) for d, m in cursor.execute(SQLITE_MERGE_STAGE).fetchall()}
        cursor.execute("DELETE FROM temp.iot_telemetry_stage")
    finally:
        cursor.close()
    return inserted


def _sqlite_time(ts: datetime) -> str:
    """The text form SQLAlchemy stores UTCDateTime in on SQLite (UTC, microseconds, no offset)."""
    return ts.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _write_postgres(session: Session, rows: Sequence[Row]) -> set[MessageKey]:
    raw = _prepared_connection(session)
    with raw.cursor() as cursor:
        with cursor.copy(COPY_STAGE) as copy:
            copy.set_types(STAGE_TYPES)
            for row in rows:
                copy.write_row(row)
        cursor.execute(MERGE_STAGE)
        inserted = {(d, m) for d, m in cursor.fetchall()}
    return inserted


def _prepared_connection(session: Session) -> Any:
    """The session's raw connection, its staging tables created (once per connection: a rolled-back
    transaction may have taken them away, so a rollback makes the next batch create them again)."""
    connection = session.connection()
    engine = connection.engine
    if engine not in _watched_engines:
        event.listen(engine, "rollback", _forget_staging_tables)
        _watched_engines.add(engine)
    raw = connection.connection.driver_connection
    assert raw is not None
    if raw not in _staged_connections:
        with raw.cursor() as cursor:
            cursor.execute(STAGE_DDL)
            cursor.execute(LATEST_STAGE_DDL)
        _staged_connections.add(raw)
    return raw


def _forget_staging_tables(connection: Connection) -> None:
    raw = connection.connection.driver_connection
    if raw is not None:
        _staged_connections.discard(raw)


def update_latest(session: Session, rows: Iterable[Row]) -> None:
    """Move each (device, key) of the latest-state table forward to the newest of `rows`."""
    newest: dict[tuple[str, str], Row] = {}
    for row in rows:
        key = (row.device_id, row.key)
        current = newest.get(key)
        if current is None or row.ts >= current.ts:
            newest[key] = row
    if not newest:
        return
    raw = session.connection().connection.driver_connection
    assert raw is not None
    ordered = [newest[k] for k in sorted(newest)]
    if session.get_bind().dialect.name == "postgresql":
        _update_latest_postgres(raw, ordered)
        return
    params = [(r.device_id, r.key, _sqlite_time(r.ts), r.msg_id, r.value, r.text_value) for r in ordered]
    cursor = raw.cursor()
    try:
        cursor.executemany(UPSERT_LATEST, params)
    finally:
        cursor.close()


def _update_latest_postgres(raw: Any, rows: list[Row]) -> None:
    """Binary COPY of the newest values into a staging table, then one upsert (in key order, so that two
    ingest processes lock rows in the same order)."""
    with raw.cursor() as cursor:
        if raw not in _staged_connections:
            cursor.execute(LATEST_STAGE_DDL)
        with cursor.copy(COPY_LATEST_STAGE) as copy:
            copy.set_types(LATEST_STAGE_TYPES)
            for r in rows:
                copy.write_row((r.device_id, r.key, r.ts, r.msg_id, r.value, r.text_value))
        cursor.execute(MERGE_LATEST_STAGE)


def count_rejections(session: Session, counts: dict[tuple[str, str], tuple[int, str, datetime]]) -> None:
    """Add rejected messages to the per-device, per-reason counters."""
    if not counts:
        return
    statement = _dialect_insert(session)(Rejection)
    statement = statement.on_conflict_do_update(
        index_elements=["device_id", "reason"],
        set_={
            "count": Rejection.count + statement.excluded["count"],
            "last_at": statement.excluded.last_at,
            "last_detail": statement.excluded.last_detail,
        },
    )
    session.execute(
        statement,
        [
            {"device_id": device, "reason": reason, "count": n, "last_detail": detail[:1000], "last_at": at}
            for (device, reason), (n, detail, at) in sorted(counts.items())
        ],
    )


def _dialect_insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
