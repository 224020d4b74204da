"""GIS benchmark: point-in-parcel lookups per second and OGC API items per second, on SQLite (R*Tree)
and on PostGIS, beside a plain PostGIS query on the same data in the same run.

    .venv/bin/python bench/gis_bench.py --parcels 100000 \\
        --postgres postgresql://postgres@127.0.0.1:5432/smartcity_bench_gis

The PostgreSQL database is emptied (schema public dropped). Figures are printed side by side with
their ratio to the plain PostGIS query; nothing is asserted (timings are not tests).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from smartcity.city.loader import load_city_pack
from smartcity.core.config import Settings, normalise_database_url
from smartcity.core.db import Database
from smartcity.core.migrate import upgrade
from smartcity.core.security import Actor
from smartcity.domains import import_models, register_handlers
from smartcity.gis import service

ACTOR = Actor.system("bench")


def _rate(count: int, work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


def _prepare(url: str, parcels: int) -> tuple[Database, float]:
    db = Database(url)
    if db.dialect == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("DROP SCHEMA IF EXISTS gis_index CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    upgrade(db)
    load_city_pack(db, actor=ACTOR)
    started = time.perf_counter()
    service.load_demo_layers(db, actor=ACTOR, parcels=parcels)
    return db, time.perf_counter() - started


def _points(db: Database, count: int, seed: int = 1) -> list[tuple[float, float]]:
    extent = service.layer_extents(db, ["land-parcels"]).get("land-parcels")
    assert extent is not None
    rng = random.Random(seed)
    return [(rng.uniform(extent[0], extent[2]), rng.uniform(extent[1], extent[3])) for _ in range(count)]


def _service_lookups(db: Database, points: list[tuple[float, float]]) -> float:
    return _rate(
        len(points), lambda: [service.features_at(db, slug="land-parcels", lon=x, lat=y) for x, y in points]
    )


def _ogc_items(db: Database, pages: int, limit: int) -> float:
    from fastapi.testclient import TestClient

    from smartcity.web.app import create_app

    folder = tempfile.mkdtemp()
    client = TestClient(create_app(Settings(data_dir=Path(folder), database_url=db.url, log_json=False), db))

    def fetch() -> None:
        for page in range(pages):
            body = client.get(
                "/ogc/collections/land-parcels/items", params={"limit": limit, "offset": page * limit}
            ).json()
            assert body["numberReturned"] == limit

    return _rate(pages * limit, fetch)


def _plain_postgis(
    db: Database, points: list[tuple[float, float]], pages: int, limit: int
) -> tuple[float, float]:
    """The same work as plain SQL on a plain PostGIS table (geometry column, GiST index)."""
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_plain_parcels"))
        conn.execute(
            text(
                "CREATE TABLE bench_plain_parcels AS SELECT f.id, f.properties, "
                "ST_SetSRID(ST_GeomFromGeoJSON(f.geometry), 4326) AS geom FROM gis_features f "
                "JOIN gis_layers l ON l.id = f.layer_id WHERE l.slug = 'land-parcels'"
            )
        )
        conn.execute(text("CREATE INDEX ON bench_plain_parcels USING gist (geom)"))
        conn.execute(text("ALTER TABLE bench_plain_parcels ADD PRIMARY KEY (id)"))
        conn.execute(text("ANALYZE bench_plain_parcels"))
    lookup = text(
        "SELECT id, properties, ST_AsGeoJSON(geom) FROM bench_plain_parcels "
        "WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
    )
    page = text(
        "SELECT id, properties, ST_AsGeoJSON(geom, 7) FROM bench_plain_parcels ORDER BY id "
        "LIMIT :limit OFFSET :offset"
    )

    def lookups() -> None:
        for x, y in points:
            with db.engine.connect() as conn:
                conn.execute(lookup, {"x": x, "y": y}).all()

    def items() -> None:
        for number in range(pages):
            with db.engine.connect() as conn:
                rows = conn.execute(page, {"limit": limit, "offset": number * limit}).all()
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {"type": "Feature", "id": r[0], "properties": r[1], "geometry": json.loads(r[2])}
                        for r in rows
                    ],
                }
            )

    return _rate(len(points), lookups), _rate(pages * limit, items)


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--postgres", help="PostgreSQL URL of a database the benchmark may empty")
    args = parser.parse_args()
    import_models()
    register_handlers()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder:
        urls = {"sqlite (R*Tree)": f"sqlite:///{folder}/bench.db"}
        if args.postgres:
            urls["postgresql (PostGIS provider)"] = normalise_database_url(args.postgres)
        plain: tuple[float, float] | None = None
        for name, url in urls.items():
            db, load_seconds = _prepare(url, args.parcels)
            points = _points(db, args.lookups)
            results[name] = {
                "load s": load_seconds,
                "lookups/s": _service_lookups(db, points),
                "OGC items/s": _ogc_items(db, args.pages, args.limit),
            }
            if db.dialect == "postgresql":
                plain = _plain_postgis(db, points, args.pages, args.limit)
            db.dispose()
        if plain:
            results["plain PostGIS SQL (reference)"] = {
                "load s": float("nan"),
                "lookups/s": plain[0],
                "OGC items/s": plain[1],
            }
    print(f"{args.parcels} parcels, {args.lookups} point lookups, {args.pages} pages of {args.limit} items")
    print(f"{'':32} {'load s':>8} {'lookups/s':>10} {'ratio':>6} {'items/s':>10} {'ratio':>6}")
    for name, row in results.items():
        ratio_l = row["lookups/s"] / plain[0] if plain else float("nan")
        ratio_i = row["OGC items/s"] / plain[1] if plain else float("nan")
        print(
            f"{name:32} {row['load s']:8.1f} {row['lookups/s']:10.0f} {ratio_l:6.2f} "
            f"{row['OGC items/s']:10.0f} {ratio_i:6.2f}"
        )


if __name__ == "__main__":
    main()
