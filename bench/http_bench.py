"""HTTP benchmark: the platform's plain reads beside a minimal FastAPI app, same server and workers.

Both apps run under uvicorn (httptools, uvloop) with the same number of workers; the load comes from a
separate process (bench/load.py: asyncio httpx clients); platform and reference runs are interleaved and
repeated, and the best of each is kept. Resident memory (all processes of the server) is read at rest and
at the end of the load. OGC API Features (single item, a page of 100) is loaded against the same
reference: pygeoapi is on the package registry but not installed in the shared environment.

    .venv/bin/python bench/http_bench.py [--postgres URL] [--workers 1] [--seconds 4] [--clients 8]

The PostgreSQL database is emptied (schema public dropped).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.iot_batch_writer import fresh_postgres

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/smartcity_bench_http"
SECRET = "bench-secret-key-0123456789abcdef0123456789"  # noqa: S105  (a throw-away bench key)
PASSWORD = "Bench-Password-2026!"  # noqa: S105


@dataclass
class Case:
    """One loaded URL on the platform and its counterpart on the reference app."""

    name: str
    path: str
    reference_path: str
    target: float
    authenticated: bool = True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(url: str, parcels: int) -> str:
    """Migrate, load the city and a parcel layer, make an admin; return a bearer token."""
    from smartcity.accounts import service as accounts
    from smartcity.city.loader import load_city_pack
    from smartcity.core.config import Settings
    from smartcity.core.security import Actor
    from smartcity.domains import import_models, register_handlers
    from smartcity.gis import service as gis

    import_models()
    register_handlers()
    db = fresh_postgres(url)
    actor = Actor.system("bench")
    settings = Settings(database_url=url, secret_key=SECRET)
    db.bind_settings(settings)
    load_city_pack(db, actor=actor)
    gis.load_demo_layers(db, actor=actor, parcels=parcels)
    accounts.create_user(db, actor=actor, username="benchadmin", password=PASSWORD, roles=[("admin", None)])
    token = accounts.login_for_token(
        db, settings=settings, username="benchadmin", password=PASSWORD, client_ip="127.0.0.1"
    ).access_token
    db.dispose()
    return token


def rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        stack.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def start_server(app: str, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """uvicorn serving `app` on loopback; returns once /healthz answers."""
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"{app} did not start")


def load(url: str, seconds: float, clients: int, headers: dict[str, str]) -> dict[str, float]:
    """Run bench/load.py in its own process and return its figures."""
    command = [sys.executable, str(ROOT / "bench" / "load.py"), url, "--seconds", str(seconds)]
    command += ["--clients", str(clients)]
    for key, value in headers.items():
        command += ["--header", f"{key}: {value}"]
    out = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def first_feature(port: int) -> str:
    """The id of the first parcel served by the OGC API."""
    body = httpx.get(f"http://127.0.0.1:{port}/ogc/collections/land-parcels/items?limit=1", timeout=10).json()
    return str(body["features"][0]["id"])


def run(
    url: str = DEFAULT_PG, *, workers: int = 1, seconds: float = 4.0, clients: int = 8, rounds: int = 2
) -> list[dict[str, object]]:
    """Every case, interleaved with its reference; rows of figure, reference, ratio and target."""
    token = prepare(url, parcels=2000)
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'src'}:{ROOT}")
    env.update(
        SMARTCITY_DATABASE_URL=url,
        SMARTCITY_SECRET_KEY=SECRET,
        SMARTCITY_LOG_LEVEL="WARNING",
        SMARTCITY_LOG_JSON="false",
        SMARTCITY_DATA_DIR=tempfile.mkdtemp(prefix="bench-http-"),
    )
    platform_port, reference_port = _free_port(), _free_port()
    platform = start_server("smartcity.web.asgi:app", platform_port, workers, env)
    reference = start_server("bench.minimal_app:app", reference_port, workers, env)
    rows: list[dict[str, object]] = []
    try:
        feature = first_feature(platform_port)
        cases = [
            Case("GET /healthz", "/healthz", "/healthz", 0.9, authenticated=False),
            Case("GET /api/v1/city/units (bearer)", "/api/v1/city/units", "/api/v1/city/units", 0.7),
            Case("GET /api/v1/auth/me (bearer)", "/api/v1/auth/me", "/api/v1/auth/me", 0.7),
            Case(
                "OGC single item",
                f"/ogc/collections/land-parcels/items/{feature}",
                "/api/v1/city/units",
                0.0,
                authenticated=False,
            ),
            Case(
                "OGC page of 100",
                "/ogc/collections/land-parcels/items?limit=100&offset=500",
                "/api/v1/city/units",
                0.0,
                authenticated=False,
            ),
        ]
        time.sleep(1)
        rest = (rss_kib(platform.pid), rss_kib(reference.pid))
        for case in cases:
            headers = {"Authorization": f"Bearer {token}"} if case.authenticated else {}
            best = [0.0, 0.0]
            for _ in range(rounds):
                for side, (port, path) in enumerate(
                    ((platform_port, case.path), (reference_port, case.reference_path))
                ):
                    figures = load(f"http://127.0.0.1:{port}{path}", seconds, clients, headers)
                    if figures["errors"]:
                        raise RuntimeError(f"{case.name}: {figures['errors']} errors")
                    best[side] = max(best[side], figures["rate"])
            rows.append(_row(f"{case.name} req/s", best[0], best[1], case.target))
        loaded = (rss_kib(platform.pid), rss_kib(reference.pid))
        rows.append(_row("server RSS at rest MiB", rest[0] / 1024, rest[1] / 1024, 0.0))
        rows.append(_row("server RSS after load MiB", loaded[0] / 1024, loaded[1] / 1024, 0.0))
    finally:
        for proc in (platform, reference):
            proc.terminate()
            proc.wait(timeout=30)
    return rows


def _row(name: str, figure: float, reference: float, target: float) -> dict[str, object]:
    return {
        "bench": name,
        "figure": round(figure, 1),
        "reference": round(reference, 1),
        "reference_name": "minimal FastAPI",
        "ratio": round(figure / reference, 2) if reference else None,
        "target": target or None,
    }


def main() -> None:
    """Command line entry: print one JSON row per figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    for row in run(args.postgres, workers=args.workers, seconds=args.seconds, clients=args.clients):
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
