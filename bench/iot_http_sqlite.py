"""Benchmark: HTTP ingestion into SQLite (the embedded default), beside a bare endpoint in the same server.

One uvicorn process serves the platform on a SQLite file, plus a bare route that parses the same batch
and only counts it. The same client posts the same batches (500 messages, three values each) to both.
A second reference is the smallest durable write of the same rows: plain sqlite3 `executemany` into the
migrated iot_telemetry table of another file, one committed transaction per batch, same pragmas.
Prints messages per second of each and the ratios of ingestion to both references.

    .venv/bin/python bench/iot_http_sqlite.py [--messages 30000] [--batch 500]
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DEVICES = 1000


def serve(db_path: str, port: int) -> None:
    """The platform app on SQLite with an integrator caller and a bare /bench/count route (subprocess)."""
    import uvicorn
    from sqlalchemy import insert

    from smartcity.core.config import Settings
    from smartcity.core.db import Database
    from smartcity.core.migrate import upgrade
    from smartcity.core.security import Actor
    from smartcity.iot.auth import current_actor
    from smartcity.iot.models import Device
    from smartcity.iot.schemas import TelemetryBatch
    from smartcity.web.app import create_app

    db = Database(f"sqlite:///{db_path}")
    upgrade(db)
    with db.write_session() as s:
        s.execute(
            insert(Device),
            [
                {
                    "id": f"SL-{n:04d}",
                    "type": "streetlight",
                    "status": "active",
                    "tags": [],
                    "mqtt_username": f"SL-{n:04d}",
                    "password_hash": "!",
                }
                for n in range(DEVICES)
            ],
        )
    settings = Settings(database_url=db.url, secret_key="bench", log_json=False)  # noqa: S106 (throwaway)
    app = create_app(settings, db)
    integrator = Actor(kind="apikey", name="bench", roles=frozenset({("integrator", None)}))
    app.dependency_overrides[current_actor] = lambda: integrator

    @app.post("/bench/count")
    def count(batch: TelemetryBatch) -> dict[str, int]:
        return {"accepted": len(batch.messages)}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def batches(count: int, size: int, tag: str) -> list[dict[str, Any]]:
    """Request bodies of `size` messages from 1,000 devices."""
    bodies = []
    for start in range(0, count, size):
        bodies.append(
            {
                "messages": [
                    {
                        "device_id": f"SL-{i % DEVICES:04d}",
                        "msg_id": f"{tag}-{i}",
                        "ts": (T0 + timedelta(seconds=i)).isoformat(),
                        "values": {"dimLevel": i % 101, "powerConsumption": 40.5, "voltage": 226.0},
                    }
                    for i in range(start, min(start + size, count))
                ]
            }
        )
    return bodies


def timed(client: httpx.Client, path: str, bodies: list[dict[str, Any]]) -> float:
    """Seconds to post every body; fails on any error or rejected message."""
    started = time.perf_counter()
    for body in bodies:
        response = client.post(path, json=body)
        response.raise_for_status()
        if response.json()["accepted"] != len(body["messages"]):
            raise RuntimeError(response.text)
    return time.perf_counter() - started


def main() -> None:
    """Start the server, post to both routes, print the rates."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=30_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, SMARTCITY_LOG_LEVEL="WARNING", SMARTCITY_DATA_DIR=folder)
        server = subprocess.Popen(  # noqa: S603 (our own script)
            [sys.executable, __file__, "--serve", str(Path(folder) / "bench.db"), str(port)], env=env
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                _wait_ready(client)
                timed(client, "/bench/count", batches(2000, args.batch, "warm"))
                bare = timed(client, "/bench/count", batches(args.messages, args.batch, "bare"))
                ingest = timed(client, "/api/v1/iot/telemetry", batches(args.messages, args.batch, "run"))
        finally:
            server.terminate()
            server.wait(timeout=30)
        raw = raw_insert_seconds(Path(folder) / "raw.db", batches(args.messages, args.batch, "raw"))
    print(f"messages: {args.messages} in batches of {args.batch}, 3 values each, SQLite (WAL)")
    print(f"bare endpoint (parse + count): {args.messages / bare:>9,.0f} msg/s")
    print(f"raw sqlite3 insert, same rows: {args.messages / raw:>9,.0f} msg/s")
    print(
        f"HTTP ingestion into SQLite:    {args.messages / ingest:>9,.0f} msg/s  "
        f"ratio to bare {bare / ingest:.2f}, to raw insert {raw / ingest:.2f}"
    )


def raw_insert_seconds(path: Path, bodies: list[dict[str, Any]]) -> float:
    """Seconds to insert the bodies' rows with plain sqlite3, a committed transaction per body."""
    import sqlite3

    from smartcity.core.db import Database
    from smartcity.core.migrate import upgrade

    upgrade(Database(f"sqlite:///{path}"))
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    insert = "INSERT INTO iot_telemetry (device_id, msg_id, key, ts, value) VALUES (?, ?, ?, ?, ?)"
    started = time.perf_counter()
    for body in bodies:
        rows = [
            (m["device_id"], m["msg_id"], key, m["ts"], value)
            for m in body["messages"]
            for key, value in m["values"].items()
        ]
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(insert, rows)
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def _wait_ready(client: httpx.Client) -> None:
    for _ in range(200):
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not start")


if __name__ == "__main__":
    main()
