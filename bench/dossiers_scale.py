"""Dossier benchmark: how the cost of staff statistics and deadline lists grows with the number of dossiers.

On PostgreSQL, dossiers are generated in SQL (generate_series: procedures, units, states, due dates and
finish dates spread over two years, a rating for one finished dossier in ten) up to each size in turn
(10k, 100k, optionally 1M), then the statistics summary is counted again from them (as migration 0023
does; the service keeps it with every change). At each size the service calls are timed (best of
`repeat`) beside the reference, a bare `SELECT count(*) FROM dossiers` on the same table in the same run:
  statistics by procedure, statistics by month, the overdue list (first page and the next one by its
  cursor), the due-soon list, the paused list, the newest-first staff list (first page), the queue of
  dossiers awaiting an administrator and awaiting a unit's clerk, a unit's newest-first list.

    .venv/bin/python bench/dossiers_scale.py [--sizes 10000 100000 1000000] [--postgres URL]

The PostgreSQL database is emptied (schema public dropped).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.iot_batch_writer import fresh_postgres

from smartcity.core.config import Settings
from smartcity.core.crypto import encrypt_personal
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.domains import import_models, register_handlers
from smartcity.dossiers import service, stats, summary

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/smartcity_bench_dossiers_scale"
ACTOR = Actor.system("bench")
UNIT_CLERK = Actor(kind="user", name="bench.clerk", roles=frozenset({("clerk", "U7"), ("specialist", "U7")}))
TARGET_MS = 100.0

# States 2 accepted, 4 processing, 5 supplement, 6 payment, 9 done, 10 returned, 3 refused: the mix of a
# real register (most dossiers finished, a few percent open).
INSERT_DOSSIERS = """
INSERT INTO dossiers (
    code, procedure_code, procedure_name, field_code, level, processing_days, workflow, interlinked,
    channel, state, intake_unit, processing_unit, deciding_unit, applicant_name_encrypted, form_encrypted,
    result_data, paper_documents, fee_vnd, paid_online, submitted_at, received_at, due_date,
    paused_working_days, finished_at, created_by, created_at, updated_at
)
SELECT
    'BENCH-' || g,
    'P' || (g % 40),
    'Thủ tục ' || (g % 40),
    'F' || (g % 8),
    2,
    10,
    'standard',
    false,
    CASE WHEN g % 3 = 0 THEN 'counter' ELSE 'online' END,
    (ARRAY[9, 10, 10, 10, 10, 10, 9, 10, 3, 10, 10, 10, 10, 10, 10, 10, 2, 4, 5, 6])[1 + (g % 20)::int],
    'U' || (g % 30),
    'U' || (g % 30),
    'UBND',
    :name,
    'x',
    '{}',
    '[]',
    0,
    g % 5 = 0,
    now() - make_interval(mins => ((g * 7919) % 1051200)::int),
    now() - make_interval(mins => ((g * 7919) % 1051200)::int),
    (now() - make_interval(mins => ((g * 7919) % 1051200)::int))::date + 14,
    0,
    CASE WHEN (ARRAY[9, 10, 10, 10, 10, 10, 9, 10, 3, 10, 10, 10, 10, 10, 10, 10, 2, 4, 5, 6])
              [1 + (g % 20)::int] IN (9, 10)
         THEN now() - make_interval(mins => ((g * 7919) % 1051200)::int)
              + make_interval(days => 3 + (g % 20)::int)
    END,
    'bench',
    now(),
    now()
FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint)) AS g
"""

INSERT_RATINGS = """
INSERT INTO dossier_ratings (dossier_id, procedure_code, unit, overall, indicators, month, rated_at)
SELECT id, procedure_code, processing_unit, 1 + id % 3, '{}', to_char(finished_at, 'YYYY-MM'), finished_at
FROM dossiers WHERE id BETWEEN :start AND :stop AND finished_at IS NOT NULL AND id % 10 = 0
"""


def best_ms(work: Callable[[], object], repeat: int) -> float:
    """The fastest of `repeat` runs, in milliseconds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def grow(db: Database, have: int, size: int) -> None:
    """Add dossiers `have`+1 .. `size` and their ratings, then refresh the planner's statistics.

    Every generated applicant has the same name, encrypted once (lists decrypt it per row, as live)."""
    name = encrypt_personal(db.settings.personal_keys, "Nguyễn Văn An")
    with db.engine.begin() as conn:
        conn.execute(text(INSERT_DOSSIERS), {"start": have + 1, "stop": size, "name": name})
        conn.execute(text(INSERT_RATINGS), {"start": have + 1, "stop": size})
    started = time.perf_counter()
    with db.engine.begin() as conn:
        summary.refill(conn, ZoneInfo(db.settings.timezone))
    print(f"  summary counted again in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in (
            "dossiers",
            "dossier_ratings",
            "dossier_daily_counts",
            "dossier_open_counts",
            "dossier_queue_counts",
        ):
            conn.execute(text(f"VACUUM ANALYZE {table}"))


def measure(db: Database, settings: Settings, repeat: int) -> dict[str, float]:
    """Each staff read at the current size, and the bare count(*) reference."""

    def count() -> object:
        with db.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM dossiers")).scalar()

    def listing(actor: Actor = ACTOR, **filters: Any) -> Callable[[], object]:
        return lambda: service.list_dossiers(db, actor=actor, settings=settings, limit=50, **filters)

    second = service.list_dossiers(db, actor=ACTOR, settings=settings, limit=50, deadline="overdue")
    return {
        "reference count(*)": best_ms(count, repeat),
        "statistics by procedure": best_ms(lambda: stats.statistics(db, settings=settings), repeat),
        "statistics by month": best_ms(lambda: stats.statistics(db, settings=settings, by="month"), repeat),
        "overdue list": best_ms(listing(deadline="overdue"), repeat),
        "overdue list, next page (cursor)": best_ms(
            listing(deadline="overdue", cursor=second.next_cursor), repeat
        ),
        "due-soon list": best_ms(listing(deadline="due_soon"), repeat),
        "paused list": best_ms(listing(deadline="paused"), repeat),
        "newest-first list": best_ms(listing(), repeat),
        "queue (administrator)": best_ms(listing(queue=True), repeat),
        "queue (a unit's clerk)": best_ms(listing(UNIT_CLERK, queue=True), repeat),
        "a unit's newest-first list": best_ms(listing(UNIT_CLERK), repeat),
    }


def run(
    url: str = DEFAULT_PG, sizes: tuple[int, ...] = (10_000, 100_000), repeat: int = 3
) -> list[dict[str, object]]:
    """Grow the register through `sizes`; a row per read and size (ms beside the count(*) reference)."""
    import_models()
    register_handlers()
    from smartcity.city.loader import load_city_pack

    db = fresh_postgres(url)
    settings = Settings(database_url=url)
    db.bind_settings(settings)
    load_city_pack(db, actor=ACTOR)
    rows: list[dict[str, object]] = []
    have = 0
    for size in sizes:
        started = time.perf_counter()
        grow(db, have, size)
        have = size
        print(f"  {size:,} dossiers generated in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        figures = measure(db, settings, repeat)
        reference = figures.pop("reference count(*)")
        for name, ms in figures.items():
            rows.append(
                {
                    "bench": f"dossiers {name} @ {size:,} ms",
                    "figure": round(ms, 1),
                    "reference": round(reference, 1),
                    "reference_name": "SELECT count(*)",
                    "ratio": round(ms / reference, 2) if reference else None,
                    "target": f"< {TARGET_MS:.0f} ms",
                }
            )
    db.dispose()
    return rows


def main() -> None:
    """Command line entry: one JSON row per figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for row in run(args.postgres, tuple(args.sizes), args.repeat):
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
