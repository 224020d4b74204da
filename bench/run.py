"""`make bench`: every benchmark, one table of figure, reference (measured in the same run), ratio, target.

    PYTHONPATH=src .venv/bin/python bench/run.py [--postgres-base postgresql://postgres@127.0.0.1:5432/]
        [--only http|ogc dossiers iot maps] [--sizes 10000 100000 1000000] [--messages 100000] [--rounds 3]
        [--map-runs 5] [--json out.json]

Benches (each on its own PostgreSQL database, emptied: smartcity_bench_*):
  http      plain authenticated JSON reads and /healthz beside a minimal FastAPI app, OGC API Features (item,
            page, bbox) beside pygeoapi on the same PostGIS rows (its own venv, var/bench-pygeoapi-venv), same
            uvicorn and workers, load from another process; server resident memory (bench/http_bench.py)
  ogc       the OGC API Features cases of `http` alone, beside pygeoapi
  dossiers  statistics and deadline lists at growing sizes beside count(*) (bench/dossiers_scale.py)
  iot       MQTT backlog drain, one and two ingest processes, beside a bare paho subscriber
            (bench/iot_mqtt_e2e.py)
  maps      first draw of each map page on the demo data in headless Chromium, beside a bare MapLibre
            page with the same base map and as many points (bench/map_draw.py; SQLite, target < 2000 ms)
Nothing is asserted: the table says which targets are met. Kept out of the test run (bench/ is not tests/).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

Row = dict[str, Any]


def http_rows(base: str, workers: int, only: str = "all") -> list[Row]:
    """The HTTP bench (`only`: "ogc" for the OGC API Features cases beside pygeoapi alone)."""
    from bench import http_bench

    return http_bench.run(base + "smartcity_bench_http", workers=workers, only=only)


def dossier_rows(base: str, sizes: tuple[int, ...]) -> list[Row]:
    """The dossier growth bench."""
    from bench import dossiers_scale

    return dossiers_scale.run(base + "smartcity_bench_dossiers_scale", sizes)


def iot_rows(base: str, messages: int, rounds: int) -> list[Row]:
    """The MQTT backlog bench: ingest x1 and x2 beside the bare subscriber (medians of interleaved rounds;
    the ratio is the median of the per-round ratios), and the CPU each spends on a message."""
    from bench import iot_mqtt_e2e

    sides = iot_mqtt_e2e.orchestrate(messages, base + "smartcity_bench_iot", rounds=rounds)
    bare, bare_cpu = sides["bare"][0], sides["bare"][3]
    rates = [
        {
            "bench": f"MQTT backlog {name} msg/s ({messages:,} msgs, median of {rounds})",
            "figure": round(rate),
            "reference": round(bare),
            "reference_name": "bare paho subscriber",
            "ratio": round(sides[f"ratio {name} / bare"][0], 2),
            "target": target,
        }
        for name, target in (("ingest x1", 0.8), ("ingest x2", 1.5))
        for rate, _median, _p99, _cpu, _database in [sides[name]]
    ]
    if "bare x2" in sides:
        rates.append(
            {
                "bench": f"MQTT backlog ingest x2 msg/s against two bare subscribers ({messages:,} msgs)",
                "figure": round(sides["ingest x2"][0]),
                "reference": round(sides["bare x2"][0]),
                "reference_name": "2 bare paho subscribers, one shared subscription",
                "ratio": round(sides["ratio ingest x2 / bare x2"][0], 2),
                "target": None,
            }
        )
    cpu = [
        {
            "bench": f"MQTT {name}: CPU µs/msg, process + PostgreSQL ({sides[name][4]:.0f} of it)",
            "figure": round(sides[name][3]),
            "reference": round(bare_cpu),
            "reference_name": "bare paho subscriber (ratio: reference / figure)",
            "ratio": round(bare_cpu / sides[name][3], 2),
            "target": None,
        }
        for name in ("ingest x1", "ingest x2")
    ]
    return rates + cpu


def map_rows(runs: int) -> list[Row]:
    """The map first-draw bench (its own demo data directory, on SQLite like `smartcity demo`)."""
    from bench import map_draw

    return map_draw.run(runs=runs)


def met(row: Row) -> str:
    """yes / NO / blank: whether the row's target is met."""
    target, ratio = row.get("target"), row.get("ratio")
    if isinstance(target, (int, float)) and ratio is not None:
        return "yes" if ratio >= target else "NO"
    if isinstance(target, str) and target.startswith("< "):
        return "yes" if 0 <= float(row["figure"]) < float(target.split()[1]) else "NO"  # -1: not measured
    return ""


def table(rows: list[Row]) -> str:
    """The rows as a fixed-width table."""
    header = f"{'benchmark':<62} {'figure':>10} {'reference':>10} {'ratio':>7} {'target':>9}"
    header += "  met  reference is"
    lines = [header, "-" * len(header)]
    for row in rows:
        target = row.get("target")
        shown = f"≥ {target}" if isinstance(target, (int, float)) else (target or "")
        ratio = "" if row.get("ratio") is None else f"{row['ratio']:.2f}"
        lines.append(
            f"{row['bench']:<62} {row['figure']:>10,} {row['reference']:>10,} {ratio:>7} {shown:>9}  "
            f"{met(row):<4} {row.get('reference_name', '')}"
        )
    return "\n".join(lines)


def main() -> None:
    """Run the chosen benches and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres-base", default="postgresql://postgres@127.0.0.1:5432/")
    parser.add_argument("--only", nargs="+", default=["http", "dossiers", "iot", "maps"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--map-runs", type=int, default=5, help="Loads of each map page (after a warm-up)")
    parser.add_argument("--rounds", type=int, default=3, help="Interleaved rounds of the iot bench")
    parser.add_argument("--json", type=Path, help="Also write the rows here")
    args = parser.parse_args()
    rows: list[Row] = []
    started = time.perf_counter()
    if "http" in args.only:
        rows += http_rows(args.postgres_base, args.workers)
    elif "ogc" in args.only:
        rows += http_rows(args.postgres_base, args.workers, only="ogc")
    if "dossiers" in args.only:
        rows += dossier_rows(args.postgres_base, tuple(args.sizes))
    if "iot" in args.only:
        rows += iot_rows(args.postgres_base, args.messages, args.rounds)
    if "maps" in args.only:
        rows += map_rows(args.map_runs)
    print()
    print(table(rows))
    print(f"\n{len(rows)} figures in {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
