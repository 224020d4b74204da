"""MQTT test helpers: a private Mosquitto on a free loopback port, ingest subprocesses, a publisher."""

from __future__ import annotations

import getpass
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.conftest import TEST_SECRET, service_missing

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 10.0) -> None:
    """Block until something accepts connections on the port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


class Mosquitto:
    """A private broker with persistence, so that a restart keeps sessions and queued messages."""

    def __init__(self, folder: Path, *, extra: str = "") -> None:
        if not os.path.exists(MOSQUITTO):
            service_missing("mosquitto is not installed")
        self.port = free_port()
        self.folder = folder
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"user {getpass.getuser()}\n"
            f"persistence_location {folder}/\nautosave_interval 1\nmax_queued_messages 1000000\n"
            "max_inflight_messages 1000\n" + extra
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The broker's mqtt:// URL."""
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the broker and wait until it listens."""
        log = (self.folder / "mosquitto.log").open("ab")
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stdout=log, stderr=log)
        wait_for_port(self.port)

    def stop(self) -> None:
        """Stop the broker cleanly (it saves its persistence file)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        """Stop and start again on the same port."""
        self.stop()
        self.start()


class IngestProcess:
    """`smartcity ingest` in a subprocess on a test database, killed and restarted at will."""

    def __init__(
        self, db_url: str, broker_url: str, folder: Path, *, client_id: str, shared: str | None = None
    ) -> None:
        self.args = [
            sys.executable,
            "-m",
            "smartcity",
            "ingest",
            "--mqtt-url",
            broker_url,
            "--client-id",
            client_id,
            "--batch-size",
            "200",
        ]
        if shared:
            self.args += ["--shared", shared]
        self.env = dict(
            os.environ,
            SMARTCITY_DATABASE_URL=db_url,
            SMARTCITY_SECRET_KEY=TEST_SECRET,
            SMARTCITY_DATA_DIR=str(folder),
            SMARTCITY_LOG_JSON="false",
            SMARTCITY_LOG_LEVEL="WARNING",
        )
        self.log_path = folder / f"ingest-{client_id}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the ingest process."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(self.args, env=self.env, cwd=REPO, stdout=log, stderr=log)

    def kill(self) -> None:
        """SIGKILL: no chance to finish a batch, acknowledge or disconnect."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM and wait."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


class Publisher:
    """A QoS 1 publisher with a persistent session that republishes what the broker did not confirm."""

    def __init__(self, port: int, client_id: str) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self.client.max_inflight_messages_set(500)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 3600
        self.client.connect("127.0.0.1", port, keepalive=10, clean_start=False, properties=properties)
        self.client.loop_start()

    def publish(self, items: Iterable[tuple[str, dict]], *, timeout: float = 60.0) -> None:
        """Publish every (topic, payload) and wait until the broker confirmed each one."""
        waiting = {
            i: (topic, payload, self._send(topic, payload)) for i, (topic, payload) in enumerate(items)
        }
        deadline = time.monotonic() + timeout
        while waiting and time.monotonic() < deadline:
            time.sleep(0.5)
            for key, (topic, payload, info) in list(waiting.items()):
                if info.rc == mqtt.MQTT_ERR_SUCCESS and info.is_published():
                    del waiting[key]
                elif info.rc != mqtt.MQTT_ERR_SUCCESS and self.client.is_connected():
                    waiting[key] = (topic, payload, self._send(topic, payload))
        if waiting:
            raise TimeoutError(f"{len(waiting)} messages were never confirmed by the broker")

    def _send(self, topic: str, payload: dict) -> mqtt.MQTTMessageInfo:
        return self.client.publish(topic, json.dumps(payload), qos=1)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def wait_for_subscriber(publisher: Publisher, topic: str, is_stored, *, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Publish probes on `topic` until one is stored: the subscriber's session exists from then on."""
    deadline = time.monotonic() + timeout
    n = 0
    while time.monotonic() < deadline:
        publisher.publish([(topic, {"msg_id": f"probe-{n}", "values": {"batteryLevel": 99}})])
        if wait_until(is_stored, timeout=1.0):
            return
        n += 1
    raise TimeoutError("the subscriber never stored a probe")


def wait_until(predicate, *, timeout: float, interval: float = 0.25) -> bool:  # type: ignore[no-untyped-def]
    """Poll until the predicate holds or the time is up; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


class ConfiguredMosquitto(Mosquitto):
    """A private broker started with a configuration written elsewhere (`smartcity iot broker-config`)."""

    def __init__(self, config: Path, ports: tuple[int, ...]) -> None:
        if not os.path.exists(MOSQUITTO):
            service_missing("mosquitto is not installed")
        self.config, self.folder, self.port, self.ports = config, config.parent, ports[0], ports
        self.process = None
        with config.open("a") as handle:  # run as ourselves: the key files are ours and 0600
            handle.write(f"\nuser {getpass.getuser()}\n")

    def start(self) -> None:
        """Start the broker and wait until every listener accepts connections."""
        super().start()
        for port in self.ports:
            wait_for_port(port)


def free_ports(count: int) -> tuple[int, ...]:
    """`count` distinct free TCP ports."""
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return tuple(sorted(ports))
