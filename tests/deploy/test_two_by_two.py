"""Two web and two ingest processes on one PostgreSQL and one Mosquitto, as deploy/ runs them.

The web side is one listener with two worker processes (`smartcity serve --workers 2`, the unit
smartcity-web@.service); the ingest side is two `smartcity ingest --shared ingest` processes with their own
persistent sessions (smartcity-ingest@.service). The test shows that both processes of each kind carry a
share of the load (their CPU time, read from /proc), that every telemetry message is stored exactly once,
and that exactly one ingest process holds the housekeeping lock.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.iot import service
from smartcity.iot.models import Telemetry
from smartcity.iot.schemas import DeviceCreate
from tests.conftest import TEST_SECRET, service_missing
from tests.iot.mqtt_support import REPO, IngestProcess, Mosquitto, Publisher, free_port, wait_until

MESSAGES = 3000
DEVICES = 30
REQUESTS = 600
SYSTEM = Actor.system("test-deploy")
PLACE = {"type": "Point", "coordinates": [106.65, 10.98]}


def _children(pid: int) -> list[int]:
    """Direct child processes of `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _web_workers(pid: int) -> list[int]:
    """The worker processes of a uvicorn supervisor (not multiprocessing's resource tracker)."""
    return [
        child
        for child in _children(pid)
        if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


def _cpu_ticks(pid: int) -> int:
    """User + system CPU time of a process, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _shares(before: dict[int, int], after: dict[int, int]) -> list[float]:
    spent = {pid: after[pid] - before[pid] for pid in before}
    total = sum(spent.values()) or 1
    return [spent[pid] / total for pid in sorted(spent)]


@pytest.fixture
def pg(postgres_database: Database | None) -> Database:
    """The PostgreSQL test database, emptied of telemetry and devices."""
    if postgres_database is None:
        service_missing("the two-by-two deployment test needs SMARTCITY_TEST_POSTGRES_URL")
    assert postgres_database is not None
    with postgres_database.engine.begin() as conn:
        conn.execute(text("TRUNCATE iot_telemetry, iot_latest, iot_devices RESTART IDENTITY CASCADE"))
    return postgres_database


@pytest.fixture
def web(pg: Database, tmp_path: Path):  # type: ignore[no-untyped-def]
    """`smartcity serve --workers 2` on a free port; yields (port, worker pids)."""
    port = free_port()
    env = dict(
        os.environ,
        SMARTCITY_DATABASE_URL=pg.url,
        SMARTCITY_SECRET_KEY=TEST_SECRET,
        SMARTCITY_DATA_DIR=str(tmp_path / "web"),
        SMARTCITY_LOG_JSON="false",
        SMARTCITY_LOG_LEVEL="WARNING",
    )
    command = [sys.executable, "-m", "smartcity", "serve", "--port", str(port), "--workers", "2"]
    log = (tmp_path / "web.log").open("ab")
    process = subprocess.Popen(command, env=env, cwd=REPO, stdout=log, stderr=log)
    try:
        ready = wait_until(lambda: _answers(port) and len(_web_workers(process.pid)) >= 2, timeout=150)
        assert ready, (tmp_path / "web.log").read_text()[-2000:]
        workers = _web_workers(process.pid)
        yield port, workers
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _get_fresh_connection(url: str) -> int:
    """One request on a new connection (so the kernel may hand it to either worker)."""
    return httpx.get(url, headers={"Connection": "close"}, timeout=10).status_code


def test_two_web_and_two_ingest_processes_split_the_load_and_store_each_message_once(
    pg: Database, web, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    port, web_workers = web
    folder = tmp_path / "broker"
    folder.mkdir()
    broker = Mosquitto(folder)
    broker.start()
    ingests = [
        IngestProcess(pg.url, broker.url, tmp_path, client_id=f"deploy-ingest-{n}", shared="ingest")
        for n in (1, 2)
    ]
    try:
        for n in range(DEVICES):
            service.register_device(
                pg,
                actor=SYSTEM,
                data=DeviceCreate(id=f"SL-{n:03d}", type="streetlight", location=PLACE),
            )
        for ingest in ingests:
            ingest.start()
        publisher = Publisher(broker.port, "deploy-publisher")
        assert wait_until(lambda: _both_subscribed(pg, publisher), timeout=120), "ingest never subscribed"
        with pg.engine.begin() as conn:
            conn.execute(text("TRUNCATE iot_telemetry, iot_latest"))

        ingest_pids = [i.process.pid for i in ingests if i.process]
        ingest_before = {pid: _cpu_ticks(pid) for pid in ingest_pids}
        web_before = {pid: _cpu_ticks(pid) for pid in web_workers}
        stamp = datetime(2026, 12, 1, 8, 0, tzinfo=UTC).isoformat()
        with ThreadPoolExecutor(8) as pool:
            statuses = pool.map(_get_fresh_connection, [f"http://127.0.0.1:{port}/readyz"] * REQUESTS)
            publisher.publish(
                (
                    f"city/streetlight/SL-{i % DEVICES:03d}/telemetry",
                    {"msg_id": f"m{i}", "ts": stamp, "values": {"dimLevel": i % 101}},
                )
                for i in range(MESSAGES)
            )
            assert set(statuses) == {200}
        assert wait_until(lambda: _rows(pg) >= MESSAGES, timeout=120), f"stored {_rows(pg)} of {MESSAGES}"
        time.sleep(1.5)  # anything stored twice would arrive now
        web_shares = _shares(web_before, {pid: _cpu_ticks(pid) for pid in web_workers})
        ingest_shares = _shares(ingest_before, {pid: _cpu_ticks(pid) for pid in ingest_pids})

        assert _rows(pg) == MESSAGES and service.stored_message_count(pg) == MESSAGES
        assert len(web_workers) == 2 and min(web_shares) > 0.1, web_shares
        assert min(ingest_shares) > 0.2, ingest_shares
        assert _housekeeping_locks(pg) == 1
        publisher.close()
    finally:
        for ingest in ingests:
            ingest.stop()
        broker.stop()


def _both_subscribed(pg: Database, publisher: Publisher) -> bool:
    """Probes (one per device) are stored: the shared subscription has its members."""
    probes = [{"msg_id": f"probe-{time.time_ns()}-{n}", "values": {"dimLevel": 1}} for n in range(4)]
    publisher.publish((f"city/streetlight/SL-{n:03d}/telemetry", probe) for n, probe in enumerate(probes))
    time.sleep(0.5)
    return service.stored_message_count(pg) > 0


def _rows(pg: Database) -> int:
    with pg.session() as s:
        return s.scalar(select(func.count()).select_from(Telemetry)) or 0


def _housekeeping_locks(pg: Database) -> int:
    """Advisory locks granted in this database: the one held by the housekeeping ingest process."""
    query = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    with pg.engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def test_one_process_holds_a_lock_until_it_lets_go(pg: Database) -> None:
    first, second = Database(pg.url), Database(pg.url)
    try:
        assert first.hold_lock("test.job") and first.hold_lock("test.job")
        assert not second.hold_lock("test.job")
        assert second.hold_lock("test.other")
        first.release_lock("test.job")
        assert second.hold_lock("test.job") and not first.hold_lock("test.job")
    finally:
        first.dispose()
        second.dispose()
