"""Benchmark: the telemetry batch writer beside a raw write of the same rows, in the same run.

PostgreSQL: writer (binary COPY into a staging table, INSERT ... ON CONFLICT DO NOTHING RETURNING, in a
transaction) vs a raw binary COPY of the same rows into a table of the same shape and keys.
SQLite: writer (duplicate lookup + executemany INSERT OR IGNORE) vs a raw executemany INSERT of the rows.

    .venv/bin/python bench/iot_batch_writer.py [--rows 200000] [--batch 2000] [--postgres URL]

Prints rows per second of each and the ratio writer/raw (target: at least 0.5).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.migrate import upgrade
from smartcity.domains import import_models
from smartcity.iot.writer import Row, write_rows

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/smartcity_bench_iot"


def make_rows(count: int, tag: str = "m") -> list[Row]:
    """Rows of 1,000 devices, three keys a message."""
    rows = []
    for i in range(count // 3):
        device, ts = f"SL-{i % 1000:04d}", T0 + timedelta(seconds=i)
        for key, value in (("dimLevel", float(i % 101)), ("powerConsumption", 42.5), ("voltage", 226.0)):
            rows.append(Row(device, f"{tag}{i}", key, ts, value, None))
    return rows


def fresh_postgres(url: str) -> Database:
    """The bench database, emptied and migrated."""
    admin = Database(Settings(database_url=url.rsplit("/", 1)[0] + "/postgres").resolved_database_url)
    name = url.rsplit("/", 1)[1]
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    db = Database(Settings(database_url=url).resolved_database_url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(db)
    return db


def time_writer(db: Database, rows: list[Row], batch: int) -> float:
    """Seconds for the writer to store every row into an empty table, one transaction per batch."""
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM iot_telemetry" if db.is_sqlite else "TRUNCATE iot_telemetry"))
    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        with db.write_session() as session:
            write_rows(session, rows[start : start + batch])
    return time.perf_counter() - started


def time_raw_copy(db: Database, rows: list[Row], batch: int) -> float:
    """Seconds for a raw binary COPY of the same rows into a table of the same shape and keys."""
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_raw_telemetry"))
        conn.execute(text("CREATE TABLE bench_raw_telemetry (LIKE iot_telemetry INCLUDING ALL)"))
    raw = db.engine.raw_connection()
    try:
        started = time.perf_counter()
        for start in range(0, len(rows), batch):
            with raw.cursor() as cursor:
                copy_sql = (
                    "COPY bench_raw_telemetry (device_id, msg_id, key, ts, value, text_value) "
                    "FROM STDIN (FORMAT BINARY)"
                )
                with cursor.copy(copy_sql) as copy:
                    copy.set_types(["text", "text", "text", "timestamptz", "float8", "text"])
                    for r in rows[start : start + batch]:
                        copy.write_row((r.device_id, r.msg_id, r.key, r.ts, r.value, r.text_value))
            raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def time_raw_sqlite(path: Path, rows: list[Row], batch: int) -> float:
    """Seconds for a raw executemany of the same rows into a table of the same shape and keys."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE bench_raw (device_id TEXT, msg_id TEXT, key TEXT, ts TEXT, value REAL, "
        "text_value TEXT, PRIMARY KEY (device_id, msg_id, key))"
    )
    conn.execute("CREATE INDEX bench_raw_dkt ON bench_raw (device_id, key, ts)")
    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO bench_raw VALUES (?, ?, ?, ?, ?, ?)",
            [
                (r.device_id, r.msg_id, r.key, r.ts.isoformat(" "), r.value, r.text_value)
                for r in rows[start : start + batch]
            ],
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def report(label: str, rows: int, writer: list[float], raw: list[float], raw_label: str) -> None:
    """Print the median rate of each side and their ratio."""
    w, r = statistics.median(writer), statistics.median(raw)
    print(
        f"{label}: writer {rows / w:>10,.0f} rows/s | {raw_label} {rows / r:>10,.0f} rows/s | "
        f"ratio {r / w:.2f} (median of {len(writer)} interleaved runs)"
    )


def main() -> None:
    """Run the SQLite and PostgreSQL comparisons."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=150_000)
    parser.add_argument("--batch", type=int, default=3000)
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    import_models()
    runs = [make_rows(args.rows, tag=f"r{n}-") for n in range(args.repeat)]
    writer, raw = [], []
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/bench.db")
        upgrade(db)
        for n, rows in enumerate(runs):
            writer.append(time_writer(db, rows, args.batch))
            raw.append(time_raw_sqlite(Path(folder) / f"raw{n}.db", rows, args.batch))
        report("SQLite    ", len(runs[0]), writer, raw, "raw executemany")
        db.dispose()
    if not args.skip_postgres:
        db = fresh_postgres(args.postgres)
        writer, raw = [], []
        for rows in runs:
            writer.append(time_writer(db, rows, args.batch))
            raw.append(time_raw_copy(db, rows, args.batch))
        report("PostgreSQL", len(runs[0]), writer, raw, "raw binary COPY")
        db.dispose()


if __name__ == "__main__":
    main()
