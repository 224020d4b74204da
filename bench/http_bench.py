"""HTTP benchmark: the platform's plain reads beside a minimal FastAPI app, its OGC API Features beside
pygeoapi on the same PostGIS rows; same server (uvicorn, httptools, uvloop) and the same workers.

The load comes from a separate process (bench/load.py: asyncio httpx clients); each platform run is
interleaved with its reference's, repeated `rounds` times, and the median of each side is kept. Resident
memory (all processes of the server) is read at rest and at the end of the load. pygeoapi runs from its own
environment (bench/pygeoapi_ref.py creates `var/bench-pygeoapi-venv` from the package registry on first
use); without it (`--no-pygeoapi`, or when it cannot be installed) the OGC rows are left out.

    .venv/bin/python bench/http_bench.py [--postgres URL] [--workers 1] [--seconds 4] [--clients 8]
        [--rounds 3] [--cases all|plain|ogc]

The PostgreSQL database is emptied (schema public dropped).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import pygeoapi_ref
from bench.iot_batch_writer import fresh_postgres
from bench.proc import cpu_seconds

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/smartcity_bench_http"
SECRET = "bench-secret-key-0123456789abcdef0123456789"  # noqa: S105  (a throw-away bench key)
PASSWORD = "Bench-Password-2026!"  # noqa: S105
# Each server's database connections carry its name (PGAPPNAME), so that its backends' CPU can be read.
APPLICATION = {"platform": "bench-platform", "minimal FastAPI": "bench-minimal", "pygeoapi": "bench-pygeoapi"}


@dataclass
class Case:
    """One loaded URL on the platform and its counterpart on the reference server."""

    name: str
    path: str
    reference_path: str
    target: float
    authenticated: bool = True
    reference: str = "minimal FastAPI"


@dataclass
class Prepared:
    """What the bench set up: a bearer token, one parcel's id, a box holding a few dozen parcels."""

    token: str
    feature_id: int
    bbox: list[float]
    extent: list[float]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(url: str, parcels: int, *, with_view: bool) -> Prepared:
    """Migrate, load the city and a parcel layer, make an admin (and pygeoapi's view of the parcels)."""
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
    extent = gis.layer_extents(db, ["land-parcels"]).get("land-parcels")
    assert extent is not None
    page = gis.query_features(db, slug="land-parcels", limit=1, offset=parcels // 2, count=False)
    if with_view:
        pygeoapi_ref.create_view(db)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # Planner statistics, as autovacuum keeps them on a live database (it may be off on a test server);
        # both servers read these tables.
        for table in ("gis_layers", "gis_features", "gis_index.feature_geometry"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))
    db.dispose()
    a, b, c, d = extent
    mid_x, mid_y, half_x, half_y = (a + c) / 2, (b + d) / 2, (c - a) / 40, (d - b) / 40
    return Prepared(
        token=token,
        feature_id=int(page.features[0].id),
        bbox=[round(v, 6) for v in (mid_x - half_x, mid_y - half_y, mid_x + half_x, mid_y + half_y)],
        extent=[a, b, c, d],
    )


def _process_tree(pid: int) -> list[int]:
    """A process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB (from /proc)."""
    total = 0
    for current in _process_tree(pid):
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def server_cpu_seconds(pid: int, database_url: str, application_name: str) -> float:
    """CPU seconds used so far by a server's processes and by the PostgreSQL backends serving it (its
    connections carry `application_name`, from PGAPPNAME; same machine)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        query = "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
        backends = [row[0] for row in conn.execute(query, (application_name,))]
    return cpu_seconds(_process_tree(pid)) + cpu_seconds(backends)


def start_server(
    app: str,
    port: int,
    workers: int,
    env: dict[str, str],
    *,
    python: str = sys.executable,
    ready_path: str = "/healthz",
) -> subprocess.Popen[bytes]:
    """uvicorn serving `app` on loopback (with `python`'s environment); returns once `ready_path` answers."""
    command = [python, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=2).status_code == 200:
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


def start_pygeoapi(
    url: str, prepared: Prepared, workers: int, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    """pygeoapi on the parcel view, under the same uvicorn and workers."""
    port = _free_port()
    directory = Path(env["SMARTCITY_DATA_DIR"])
    names = pygeoapi_ref.write_config(directory, url, port, prepared.extent)
    proc = start_server(
        "pygeoapi.starlette_app:APP",
        port,
        workers,
        {**env, **names},
        python=str(pygeoapi_ref.python()),
        ready_path="/collections/land-parcels?f=json",
    )
    proc.port = port  # type: ignore[attr-defined]
    return proc


def cases(prepared: Prepared, pygeoapi: bool, only: str = "all") -> list[Case]:
    """The loaded URLs: plain reads beside the minimal app, OGC operations beside pygeoapi (or `only` one)."""
    plain = [
        Case("GET /healthz", "/healthz", "/healthz", 0.9, authenticated=False),
        Case("GET /api/v1/city/units (bearer)", "/api/v1/city/units", "/api/v1/city/units", 0.7),
        Case("GET /api/v1/auth/me (bearer)", "/api/v1/auth/me", "/api/v1/auth/me", 0.7),
    ]
    if only == "plain" or not pygeoapi:
        return plain
    items = "/collections/land-parcels/items"
    box = ",".join(str(v) for v in prepared.bbox)
    ogc = [
        ("OGC single item", f"{items}/{prepared.feature_id}?f=json", 1.5),
        ("OGC page of 100 (offset 500)", f"{items}?f=json&limit=100&offset=500", 2.0),
        ("OGC bbox, first 100", f"{items}?f=json&limit=100&bbox={box}", 2.0),
    ]
    ogc_cases = [
        Case(name, "/ogc" + path, path, target, authenticated=False, reference="pygeoapi")
        for name, path, target in ogc
    ]
    return ogc_cases if only == "ogc" else plain + ogc_cases


def run(
    url: str = DEFAULT_PG,
    *,
    workers: int = 1,
    seconds: float = 4.0,
    clients: int = 8,
    rounds: int = 3,
    pygeoapi: bool = True,
    only: str = "all",
) -> list[dict[str, object]]:
    """Every case (or `only` the plain or the OGC ones), interleaved with its reference; rows of median
    figure, reference, ratio and target."""
    if pygeoapi:
        try:
            version = pygeoapi_ref.ensure_environment()
            print(f"reference: pygeoapi {version} ({pygeoapi_ref.VENV})", file=sys.stderr)
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"pygeoapi cannot be installed, OGC rows left out: {exc}", file=sys.stderr)
            pygeoapi = False
    prepared = prepare(url, parcels=2000, with_view=pygeoapi)
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'src'}:{ROOT}")
    env.update(
        SMARTCITY_DATABASE_URL=url,
        SMARTCITY_SECRET_KEY=SECRET,
        SMARTCITY_LOG_LEVEL="WARNING",
        SMARTCITY_LOG_JSON="false",
        SMARTCITY_DATA_DIR=tempfile.mkdtemp(prefix="bench-http-"),
    )
    platform_port, reference_port = _free_port(), _free_port()
    platform = start_server(
        "smartcity.web.asgi:app", platform_port, workers, {**env, "PGAPPNAME": APPLICATION["platform"]}
    )
    reference = start_server(
        "bench.minimal_app:app", reference_port, workers, {**env, "PGAPPNAME": APPLICATION["minimal FastAPI"]}
    )
    servers = [platform, reference]
    ports = {"platform": platform_port, "minimal FastAPI": reference_port}
    pids = {"minimal FastAPI": reference.pid}
    if pygeoapi:
        geo_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
        geo = start_pygeoapi(url, prepared, workers, {**geo_env, "PGAPPNAME": APPLICATION["pygeoapi"]})
        servers.append(geo)
        ports["pygeoapi"] = geo.port  # type: ignore[attr-defined]
        pids["pygeoapi"] = geo.pid
    rows: list[dict[str, object]] = []
    try:
        time.sleep(1)
        rest = {name: rss_kib(pid) for name, pid in {"platform": platform.pid, **pids}.items()}
        for case in cases(prepared, pygeoapi, only):
            headers = {"Authorization": f"Bearer {prepared.token}"} if case.authenticated else {}
            sides: list[list[float]] = [[], []]
            cpu: list[list[float]] = [[], []]  # server and PostgreSQL CPU ms a request
            for _ in range(rounds):
                for side, (name, path) in enumerate(
                    (("platform", case.path), (case.reference, case.reference_path))
                ):
                    pid = platform.pid if name == "platform" else pids[name]
                    before = server_cpu_seconds(pid, url, APPLICATION[name])
                    figures = load(f"http://127.0.0.1:{ports[name]}{path}", seconds, clients, headers)
                    used = server_cpu_seconds(pid, url, APPLICATION[name]) - before
                    if figures["errors"]:
                        raise RuntimeError(f"{case.name}: {figures['errors']} errors")
                    sides[side].append(figures["rate"])
                    cpu[side].append(used * 1000 / max(figures["requests"], 1))
            median = [statistics.median(rates) for rates in sides]
            cpu_median = [statistics.median(values) for values in cpu]
            print(f"{case.name}: platform {sides[0]} {case.reference} {sides[1]}", file=sys.stderr)
            print(
                f"{case.name}: CPU ms/request platform {[round(v, 2) for v in cpu[0]]} "
                f"{case.reference} {[round(v, 2) for v in cpu[1]]}",
                file=sys.stderr,
            )
            rows.append(_row(f"{case.name} req/s", median[0], median[1], case.target, case.reference))
            rows.append(_cpu_row(case.name, cpu_median[0], cpu_median[1], case.reference))
        loaded = {name: rss_kib(pid) for name, pid in {"platform": platform.pid, **pids}.items()}
        for name in pids:
            rows.append(
                _row(
                    f"server RSS at rest MiB (vs {name})",
                    rest["platform"] / 1024,
                    rest[name] / 1024,
                    0.0,
                    name,
                )
            )
            rows.append(
                _row(
                    f"server RSS after load MiB (vs {name})",
                    loaded["platform"] / 1024,
                    loaded[name] / 1024,
                    0.0,
                    name,
                )
            )
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(timeout=30)
    return rows


def _cpu_row(case: str, figure: float, reference: float, reference_name: str) -> dict[str, object]:
    """CPU a request (server processes and their PostgreSQL backends): steadier than req/s on a shared
    machine; the ratio is reference / figure, so above 1 is cheaper than the reference."""
    return {
        "bench": f"{case}: CPU ms/req, server + PostgreSQL",
        "figure": round(figure, 2),
        "reference": round(reference, 2),
        "reference_name": f"{reference_name} (ratio: reference / figure)",
        "ratio": round(reference / figure, 2) if figure else None,
        "target": None,
    }


def _row(name: str, figure: float, reference: float, target: float, reference_name: str) -> dict[str, object]:
    return {
        "bench": name,
        "figure": round(figure, 1 if abs(figure) >= 10 else 3),
        "reference": round(reference, 1 if abs(reference) >= 10 else 3),
        "reference_name": reference_name,
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
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-pygeoapi", action="store_true", help="Leave out the OGC rows and pygeoapi")
    parser.add_argument("--cases", choices=("all", "plain", "ogc"), default="all", help="Only these cases")
    args = parser.parse_args()
    rows = run(
        args.postgres,
        workers=args.workers,
        seconds=args.seconds,
        clients=args.clients,
        rounds=args.rounds,
        pygeoapi=not args.no_pygeoapi,
        only=args.cases,
    )
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
