"""Benchmark: MQTT QoS 1 to committed rows on PostgreSQL, beside a bare subscriber on the same broker.

Two modes. `backlog` (the default): the subscribers' persistent sessions exist, they are offline while the
publisher queues every message at the broker, then they connect and drain it; the rate counts from their
connection to the last receipt or commit. The default backlog is 100,000 messages: 20,000 drained in about a
second, when an ingest process's first and last batch (received before any is stored, stored after all
arrived) were a fifth of the time measured. `--live`: the subscribers are connected while the publisher
publishes (then the publisher may be the limit).

One run, one private Mosquitto on a free loopback port with the deployment's queue and in-flight settings
(deploy/mosquitto/smartcity-scale.conf), the same publisher for every side, the demo's alarm rules on
(`--no-rules` to leave them out):
  1. bare: a paho subscriber (QoS 1) that only counts;
  2. ingest x1: `Ingestor` (manual acks after commit) writing to PostgreSQL;
  3. bare x2 (backlog only): two bare subscribers on one shared subscription ($share/bare/...), the fair
     reference for ingest x2 beside the target's (one bare subscriber);
  4. ingest x2: two ingest processes on an MQTT v5 shared subscription ($share/ingest/...).
The processes of a side start, import, then connect together on the orchestrator's go (a side is timed from
its first connection, so a process still importing would count against it).
Live rates are messages / (last receipt or commit - first publish); latency is receipt or commit time minus
the publish time carried in each message. Prints each side and the ratio to the bare subscriber.

    .venv/bin/python bench/iot_mqtt_e2e.py [--messages 100000] [--postgres URL] [--no-rules]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.iot_batch_writer import DEFAULT_PG, fresh_postgres
from bench.proc import cpu_seconds

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.domains import import_models
from smartcity.iot.models import Device, Telemetry
from tests.iot.mqtt_support import Mosquitto, wait_until

DEVICES = 1000
SCALE_CONF = Path(__file__).resolve().parents[1] / "deploy" / "mosquitto" / "smartcity-scale.conf"
IN_FLIGHT_AT_MOST = 50_000  # messages the publisher has sent and the broker not yet confirmed
BROKER_SETTINGS = ("max_inflight_messages", "max_queued_messages", "max_queued_bytes")


def publish(port: int, count: int, tag: str) -> float:
    """Publish `count` QoS 1 messages as fast as the broker confirms them; returns the start time."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{tag}", protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    started = time.time()
    infos = []
    for i in range(count):
        now = time.time()
        body = {
            "msg_id": f"{tag}-{i}",
            "ts": datetime.fromtimestamp(now, UTC).isoformat(),
            "sent": now,
            "values": {"dimLevel": i % 101, "powerConsumption": 40.5},
        }
        if i >= IN_FLIGHT_AT_MOST:  # paho's message ids are 16 bits: wait for the one this will reuse
            infos[i - IN_FLIGHT_AT_MOST].wait_for_publish(timeout=120)
        infos.append(
            client.publish(f"city/streetlight/SL-{i % DEVICES:04d}/telemetry", json.dumps(body), qos=1)
        )
    for info in infos:
        info.wait_for_publish(timeout=120)
    client.disconnect()
    client.loop_stop()
    return started


def bare_consumer(
    port: int, count: int, out: Path, prefix: str = "", client_id: str = "bench-bare", shared: str = ""
) -> None:
    """Subscribe with QoS 1 (persistent session) and count; write receipt latencies once `count` messages
    arrived (count -1: until SIGTERM, for a member of a shared subscription, with its receipts so far in
    <out>.progress). With count 0 only create the session and leave. The connection time goes to
    <out>.connected; the process connects once <out>.go exists (when the orchestrator waits for it)."""
    received: list[tuple[float, float]] = []
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())

    def on_message(_client: Any, _userdata: Any, message: Any) -> None:
        body = json.loads(message.payload)
        if body["msg_id"].startswith(prefix):
            received.append((time.time(), body["sent"]))
        if len(received) == count:
            done.set()

    def on_connect(client: Any, *_: Any) -> None:
        out.with_suffix(".connected").write_text(str(time.time()))
        cpu_at_connect.append(process_cpu())
        topic = "city/+/+/telemetry"
        client.subscribe(f"$share/{shared}/{topic}" if shared else topic, qos=1)

    cpu_at_connect: list[float] = []
    _wait_for_go(out)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.on_message = on_message
    client.on_connect = on_connect
    client.on_subscribe = lambda *_: (out.with_suffix(".ready").touch(), count == 0 and done.set())
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 3600
    properties.ReceiveMaximum = 10_000
    client.connect("127.0.0.1", port, clean_start=False, properties=properties)
    client.loop_start()
    deadline = time.monotonic() + 600
    while not done.wait(0.2) and time.monotonic() < deadline:
        out.with_suffix(".progress").write_text(str(len(received)))
    out.with_suffix(".cpu").write_text(str(process_cpu() - cpu_at_connect[0]))
    client.disconnect()
    client.loop_stop()
    out.write_text(json.dumps([[at, at - sent] for at, sent in received]))


def _wait_for_go(out: Path) -> None:
    """Say this process is ready (imports done), then wait for the orchestrator's go, if it gives one, so
    that the processes of a side connect together and none is timed while another is still starting."""
    out.with_suffix(".ready").touch()
    go = out.with_suffix(".go")
    if out.with_suffix(".wait").exists():
        while not go.exists():
            time.sleep(0.01)


def _start_together(outs: list[Path], spawn: Any) -> list[subprocess.Popen[bytes]]:
    """Spawn one process per out file, wait until each is ready, then let them connect at once."""
    for out in outs:
        for suffix in (".ready", ".go", ".connected"):
            out.with_suffix(suffix).unlink(missing_ok=True)
        out.with_suffix(".wait").touch()
    procs = [spawn(n, out) for n, out in enumerate(outs)]
    wait_until(lambda: all(out.with_suffix(".ready").exists() for out in outs), timeout=120, interval=0.05)
    for out in outs:
        out.with_suffix(".go").touch()
    for out in outs:  # every process is past its check: later ones (sessions, live mode) do not wait
        out.with_suffix(".wait").unlink()
    return procs


def process_cpu() -> float:
    """CPU seconds (user + system) this process used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def backend_cpu(db: Database) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving the ingest processes (same machine)."""
    with db.session() as s:
        pids = list(
            s.scalars(text("SELECT pid FROM pg_stat_activity WHERE application_name = 'bench-ingest'"))
        )
    return cpu_seconds(pids)


def ingest_consumer(port: int, db_url: str, out: Path, client_id: str, shared: str | None) -> None:
    """Run an Ingestor recording commit latencies until SIGTERM, then write them."""
    from smartcity.iot.mqtt import Broker, Ingestor, Received

    committed: list[list[float]] = []
    cpu_at_connect: list[float] = []

    class TimedIngestor(Ingestor):
        def _on_connect(self, client: Any, *args: Any) -> None:
            out.with_suffix(".connected").write_text(str(time.time()))
            cpu_at_connect.append(process_cpu())
            super()._on_connect(client, *args)

        def store(self, batch: list[Received]) -> None:
            super().store(batch)
            at = time.time()
            committed.extend([at, at - json.loads(item.payload)["sent"]] for item in batch)

    db = Database(Settings(database_url=db_url + "?application_name=bench-ingest").resolved_database_url)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    ingestor = TimedIngestor(
        db,
        Broker("127.0.0.1", port),
        client_id=client_id,
        shared_group=shared,
        batch_size=2000,
        publish_commands=False,
        own_process=True,  # as `smartcity ingest` runs it
    )
    _wait_for_go(out)
    ingestor.run(stop)
    out.with_suffix(".cpu").write_text(str(process_cpu() - cpu_at_connect[0]))
    out.write_text(json.dumps(committed))


# msg/s, median latency ms, p99 latency ms, CPU µs a message (all), of which in PostgreSQL
Side = tuple[float, float, float, float, float]


def summary(
    points: list[list[float]], started: float, count: int, cpu: float, database_cpu: float = 0.0
) -> Side:
    """(messages per second, median and p99 latency ms, CPU µs a message, of which PostgreSQL's)."""
    last = max(at for at, _ in points)
    latencies = sorted(lat for _, lat in points)
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    rate, each = count / (last - started), 1e6 / count
    return rate, statistics.median(latencies) * 1000, p99 * 1000, cpu * each, database_cpu * each


def stored(db: Database, prefix: str = "") -> int:
    """Distinct messages committed (whose id starts with `prefix`)."""
    query = select(func.count(func.distinct(Telemetry.msg_id))).where(Telemetry.msg_id.startswith(prefix))
    with db.session() as s:
        return s.scalar(query) or 0


def run_bare_side(port: int, folder: Path, count: int, backlog: bool, processes: int = 1) -> Side:
    """The bare subscriber: live (connected while publishing) or draining a queued backlog; with two
    processes, two bare subscribers on one shared subscription draining a backlog (the fair reference for
    two ingest processes)."""
    if processes > 1:
        return _run_shared_bare_side(port, folder, count, processes)
    out = folder / "bare.json"
    if backlog:
        _spawn("bare", str(port), "0", str(out), "").wait(timeout=60)  # the session, then offline
        started = publish(port, count, "bare")
        bare = _start_together([out], lambda _n, o: _spawn("bare", str(port), str(count), str(o), "bare-"))[0]
        bare.wait(timeout=600)
        started = float(out.with_suffix(".connected").read_text())
    else:
        bare = _spawn("bare", str(port), str(count), str(out), "bare-")
        wait_until(out.with_suffix(".ready").exists, timeout=30)
        started = publish(port, count, "bare")
        bare.wait(timeout=600)
    cpu = float(out.with_suffix(".cpu").read_text())
    return summary(json.loads(out.read_text()), started, count, cpu)


def _run_shared_bare_side(port: int, folder: Path, count: int, processes: int) -> Side:
    outs = [folder / f"bare-{processes}-{n}.json" for n in range(processes)]

    def spawn(n: int, out: Path, wanted: int) -> subprocess.Popen[bytes]:
        role = ("bare", str(port), str(wanted), str(out), "shared-", f"bench-bare-{n}", "bare")
        return _spawn(*role)

    for n, out in enumerate(outs):  # the sessions and their shared subscription, then offline
        spawn(n, out, 0).wait(timeout=60)
    publish(port, count, "shared")
    for out in outs:
        out.with_suffix(".progress").unlink(missing_ok=True)
    procs = _start_together(outs, lambda n, out: spawn(n, out, -1))

    def received() -> int:
        files = [out.with_suffix(".progress") for out in outs]
        return sum(int(f.read_text() or 0) for f in files if f.exists())

    if not wait_until(lambda: received() >= count, timeout=600, interval=0.2):
        raise RuntimeError(f"the shared bare subscribers received {received()} of {count}")
    _stop(procs)
    started = min(float(out.with_suffix(".connected").read_text()) for out in outs)
    points = [p for out in outs for p in json.loads(out.read_text())]
    cpu = sum(float(out.with_suffix(".cpu").read_text()) for out in outs)
    return summary(points, started, count, cpu)


def run_ingest_side(port: int, db: Database, folder: Path, count: int, processes: int, backlog: bool) -> Side:
    """Start ingest process(es), publish (before they connect when `backlog`), wait for every row, stop
    them and summarise."""
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE iot_telemetry, iot_latest"))
    shared = "ingest" if processes > 1 else None
    outs = [folder / f"ingest-{processes}-{n}.json" for n in range(processes)]

    def start() -> list[subprocess.Popen[bytes]]:
        return _start_together(
            outs,
            lambda n, out: _spawn(
                "ingest", str(port), db.url, str(out), f"bench-ingest-{processes}-{n}", shared or ""
            ),
        )

    procs = start()
    _warm_up(port, db, f"warm{processes}")
    connected = [out.with_suffix(".connected") for out in outs]  # every session exists before they stop
    if not wait_until(lambda: all(path.exists() for path in connected), timeout=120, interval=0.1):
        raise RuntimeError("an ingest process never connected")
    time.sleep(0.5)  # and subscribed
    if backlog:
        _stop(procs)
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE iot_telemetry, iot_latest"))
    tag = f"run{processes}"
    started = publish(port, count, tag)
    if backlog:
        procs = start()
    if not wait_until(lambda: stored(db, f"{tag}-") >= count, timeout=600, interval=0.5):
        raise RuntimeError(f"only {stored(db, f'{tag}-')} of {count} stored")
    database_cpu = backend_cpu(db)
    _stop(procs)
    if backlog:
        started = min(float(out.with_suffix(".connected").read_text()) for out in outs)
    points = [p for out in outs for p in json.loads(out.read_text()) if p[0] >= started]
    cpu = database_cpu + sum(float(out.with_suffix(".cpu").read_text()) for out in outs)
    return summary(points, started, count, cpu, database_cpu)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=60)


def _warm_up(port: int, db: Database, tag: str) -> None:
    """Publish probes until the subscribers store them (their sessions exist from then on)."""
    for n in range(60):
        publish(port, 20, f"{tag}-{n}")
        if wait_until(lambda: stored(db) > 0, timeout=1):
            time.sleep(1)
            return
    raise RuntimeError("the ingest processes never subscribed")


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, SMARTCITY_LOG_LEVEL="WARNING", SMARTCITY_LOG_JSON="false")
    return subprocess.Popen([sys.executable, __file__, "--role", *args], env=env)  # noqa: S603


def register_devices(db: Database) -> None:
    """1,000 streetlights, inserted directly (credentials do not matter here)."""
    rows = [
        {
            "id": f"SL-{n:04d}",
            "type": "streetlight",
            "status": "active",
            "tags": [],
            "mqtt_username": f"SL-{n:04d}",
            "password_hash": "!",
            "lon": 106.65,
            "lat": 10.98,
        }
        for n in range(DEVICES)
    ]
    with db.write_session() as s:
        s.execute(insert(Device), rows)


def load_demo_rules(db: Database) -> int:
    """The demo's alarm rules (two thresholds on waste containers, a no-data rule on every device)."""
    from smartcity.iot import service
    from smartcity.iot.demo import DEMO_RULES
    from smartcity.iot.service.common import INGEST_ACTOR

    for rule in DEMO_RULES:
        service.create_rule(db, actor=INGEST_ACTOR, data=rule)
    return len(DEMO_RULES)


def deployed_broker_settings() -> str:
    """The queue and in-flight lines of the shipped broker configuration."""
    lines = SCALE_CONF.read_text(encoding="utf-8").splitlines()
    return "".join(f"{line}\n" for line in lines if line.split(" ")[0] in BROKER_SETTINGS)


def forget_sessions(port: int, client_ids: list[str]) -> None:
    """End a side's persistent sessions once it is measured: an offline session stays subscribed to the
    telemetry topic, and the broker would queue every later side's backlog to it for the next round."""
    for client_id in client_ids:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 0
        client.connect("127.0.0.1", port, clean_start=True, properties=properties)
        client.loop_start()
        client.disconnect()
        client.loop_stop()


def orchestrate(
    count: int, pg_url: str, *, rules: bool = True, backlog: bool = True, rounds: int = 3
) -> dict[str, Side]:
    """Run the three sides `rounds` times, interleaved, print each round and the medians; return the median
    (rate, median latency, p99, CPU a message) of each side and, under "ratio x1"/"ratio x2", the median of
    the per-round ratios to the bare subscriber."""
    import_models()
    db = fresh_postgres(pg_url)
    register_devices(db)
    rule_count = load_demo_rules(db) if rules else 0
    runs: dict[str, list[Side]] = {"bare": [], "ingest x1": [], "bare x2": [], "ingest x2": []}
    print(
        f"{'backlog' if backlog else 'live'}: {count} messages, devices: {DEVICES}, "
        f"alarm rules: {rule_count}, broker: private Mosquitto (deploy settings), database: PostgreSQL"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        broker = Mosquitto(folder, extra=deployed_broker_settings())
        broker.start()
        try:
            for n in range(rounds):
                runs["bare"].append(run_bare_side(broker.port, folder, count, backlog))
                forget_sessions(broker.port, ["bench-bare"])
                runs["ingest x1"].append(run_ingest_side(broker.port, db, folder, count, 1, backlog))
                forget_sessions(broker.port, ["bench-ingest-1-0"])
                if backlog:
                    runs["bare x2"].append(run_bare_side(broker.port, folder, count, backlog, 2))
                    forget_sessions(broker.port, ["bench-bare-0", "bench-bare-1"])
                runs["ingest x2"].append(run_ingest_side(broker.port, db, folder, count, 2, backlog))
                forget_sessions(broker.port, ["bench-ingest-2-0", "bench-ingest-2-1"])
                _print_round(f"round {n + 1}", {name: sides[-1] for name, sides in runs.items()})
        finally:
            broker.stop()
    medians: dict[str, Side] = {
        name: tuple(statistics.median(side[i] for side in sides) for i in range(5))  # type: ignore[misc]
        for name, sides in runs.items()
        if sides
    }
    for name, reference in (("ingest x1", "bare"), ("ingest x2", "bare"), ("ingest x2", "bare x2")):
        pairs = zip(runs[name], runs[reference], strict=True)
        if runs[reference]:
            ratio = statistics.median(i[0] / b[0] for i, b in pairs)
            medians[f"ratio {name} / {reference}"] = (ratio, 0.0, 0.0, 0.0, 0.0)
    _print_round(f"median of {rounds}", medians)
    return medians


def _print_round(label: str, sides: dict[str, Side]) -> None:
    """Each side's rate, its ratio to one bare subscriber (and, for ingest x2, to two bare subscribers on
    one shared subscription), its CPU a message and its latency."""
    bare = sides["bare"]
    print(label)
    for name in ("bare", "ingest x1", "bare x2", "ingest x2"):
        if name not in sides:
            continue
        rate, median, p99, cpu, database = sides[name]
        ratios = f"ratio to bare {sides.get(f'ratio {name} / bare', (rate / bare[0],))[0]:.2f}"
        if name == "ingest x2" and "bare x2" in sides:
            fair = sides.get("ratio ingest x2 / bare x2", (rate / sides["bare x2"][0],))[0]
            ratios += f", to bare x2 {fair:.2f}"
        print(
            f"  {name:<10} {rate:>8,.0f} msg/s  {ratios:<36} "
            f"CPU {cpu:>5.0f} µs/msg (PostgreSQL {database:>4.0f}; bare/this {bare[3] / cpu:.2f})  "
            f"median {median:>7.0f} ms  p99 {p99:>7.0f} ms"
        )


def main() -> None:
    """Orchestrate, or play one role in a subprocess."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--rounds", type=int, default=3, help="Interleaved rounds (medians are printed)")
    parser.add_argument("--live", action="store_true", help="Subscribers connected while publishing")
    parser.add_argument("--no-rules", action="store_true", help="Leave the demo's alarm rules out")
    parser.add_argument("--role", nargs="+")
    args = parser.parse_args()
    if not args.role:
        orchestrate(
            args.messages, args.postgres, rules=not args.no_rules, backlog=not args.live, rounds=args.rounds
        )
    elif args.role[0] == "bare":
        bare_consumer(int(args.role[1]), int(args.role[2]), Path(args.role[3]), *args.role[4:])
    else:
        _, port, db_url, out, client_id, shared = args.role
        ingest_consumer(int(port), db_url, Path(out), client_id, shared or None)


if __name__ == "__main__":
    main()
