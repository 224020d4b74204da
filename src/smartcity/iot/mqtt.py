"""MQTT ingestion (`smartcity ingest`): at-least-once from the broker, stored once, acknowledged after commit.

QoS 1, a persistent session under a fixed client id, manual acknowledgements sent only after the batch
is committed; a process killed mid-batch gets the unacknowledged messages again when it comes back, and
the unique (device, message id) key drops those already stored. Several processes share the load with an
MQTT v5 shared subscription ($share/<group>/...).
"""

from __future__ import annotations

import gc
import json
import logging
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from smartcity.core.config import Settings, get_settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import AppError
from smartcity.core.transport import broker_tls_problem, refuse_unless_secure
from smartcity.iot import service
from smartcity.iot.config import IotSettings, get_iot_settings
from smartcity.iot.pipeline import Envelope

log = logging.getLogger(__name__)

TELEMETRY, EVENTS, COMMAND_ACK = "telemetry", "events", "command/ack"
SUBSCRIPTIONS = ("city/+/+/telemetry", "city/+/+/events", "city/+/+/command/ack")
SESSION_EXPIRY_SECONDS = 7 * 86400
# Unacknowledged messages the broker may send us (MQTT v5 Receive Maximum): several batches, so that the next
# batch arrives while one is being stored (acknowledgements go out only after its commit). The broker's own
# max_inflight_messages must not be lower (deploy/mosquitto/smartcity-scale.conf).
RECEIVE_MAXIMUM = 10_000
ROLLUP_EVERY_SECONDS = 300.0
HOUSEKEEPING_LOCK = "iot.ingest.housekeeping"  # one ingest process of a deployment publishes and rolls up


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of a TLS client: the CA chain to check the broker, and our certificate and key."""

    ca_file: Path
    cert_file: Path | None = None
    key_file: Path | None = None

    @classmethod
    def from_settings(cls, settings: IotSettings | None = None) -> TlsFiles | None:
        """The files named by SMARTCITY_MQTT_CA_FILE / _CERT_FILE / _KEY_FILE (None without a CA file)."""
        conf = settings or get_iot_settings()
        if conf.mqtt_ca_file is None:
            return None
        return cls(conf.mqtt_ca_file, conf.mqtt_cert_file, conf.mqtt_key_file)


@dataclass(frozen=True)
class Broker:
    """Where the broker is and how to log in (from an mqtt:// or mqtts:// URL)."""

    host: str
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: TlsFiles | None = None

    @classmethod
    def from_url(cls, url: str, *, tls: TlsFiles | None = None) -> Broker:
        """Parse mqtt[s]://[user:password@]host[:port]; mqtts:// needs `tls` (at least a CA file)."""
        parsed = urlparse(url)
        if parsed.scheme not in ("mqtt", "tcp", "mqtts", "ssl") or not parsed.hostname:
            raise ValueError(f"not an mqtt:// or mqtts:// URL: {url!r}")
        secure = parsed.scheme in ("mqtts", "ssl")
        if secure and tls is None:
            raise ValueError("an mqtts:// URL needs SMARTCITY_MQTT_CA_FILE (and a client certificate)")
        return cls(
            parsed.hostname,
            parsed.port or (8883 if secure else 1883),
            unquote(parsed.username) if parsed.username else None,
            unquote(parsed.password) if parsed.password else None,
            tls if secure else None,
        )


def broker_from_settings(settings: Settings | None = None, url: str | None = None) -> Broker:
    """The broker every MQTT client of the platform uses: `url` or SMARTCITY_MQTT_URL, with the TLS files
    and login of the settings. Where TLS is required (production) a remote broker without mqtts:// is
    refused with ConfigurationError."""
    core = settings or get_settings()
    conf = get_iot_settings(core)
    broker = Broker.from_url(url or core.mqtt_url, tls=TlsFiles.from_settings(conf))
    if conf.mqtt_username is not None:
        broker = replace(broker, username=conf.mqtt_username)
    if conf.mqtt_password is not None:
        broker = replace(broker, password=conf.mqtt_password)
    problem = broker_tls_problem(broker.host, verified_tls=broker.tls is not None)
    refuse_unless_secure(problem, required=core.tls_required, environment=core.environment)
    return broker


def parse_topic(topic: str) -> tuple[str, str, str] | None:
    """(device type, device id, channel) of city/<type>/<id>/<channel>, or None for other topics."""
    parts = topic.split("/")
    if len(parts) == 4 and parts[0] == "city" and parts[3] in (TELEMETRY, EVENTS):
        return parts[1], parts[2], parts[3]
    if len(parts) == 5 and parts[0] == "city" and parts[3:] == ["command", "ack"]:
        return parts[1], parts[2], COMMAND_ACK
    return None


READ_SIZE = 65536  # bytes taken from the socket at once: some hundreds of telemetry messages
PACKETS_PER_READ = 1000  # packets handled from the read buffer before the network loop looks at writes again


class BufferedSocket:
    """A broker connection read READ_SIZE bytes at a time.

    paho reads every packet with at least three system calls (the type byte, each length byte, then the
    rest) and goes round its select loop once per packet; this serves those small reads from one buffer, and
    says how much it holds through `pending()`, the method paho already asks of TLS sockets. Everything
    else is the wrapped socket's.
    """

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._data = b""
        self._at = 0
        self._held_by_tls = getattr(sock, "pending", None)  # a TLS socket's decrypted bytes not yet read

    def recv(self, size: int) -> bytes:
        """Up to `size` bytes: from the buffer, or from one read of the socket (which may raise
        BlockingIOError, as a non-blocking socket does)."""
        if self._at < len(self._data):
            chunk = self._data[self._at : self._at + size]
            self._at += len(chunk)
            return chunk
        data = self._sock.recv(READ_SIZE)
        if len(data) <= size:
            return data
        self._data, self._at = data, size
        return data[:size]

    def pending(self) -> int:
        """Bytes already read and not yet handed out (and those a TLS socket holds decrypted)."""
        held = len(self._data) - self._at
        return held + self._held_by_tls() if self._held_by_tls else held

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class BufferedClient(mqtt.Client):
    """paho's client reading the broker through a BufferedSocket, handling every packet the buffer holds
    in one turn of its network loop (paho's loop takes one incoming packet a turn)."""

    def _create_socket(self) -> Any:
        # paho-mqtt 2's one place a connection's socket is made (plain or TLS), on connect and reconnect
        return BufferedSocket(super()._create_socket())

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        """Read a packet, then every further packet already in the buffer (at most PACKETS_PER_READ)."""
        rc = super().loop_read(max_packets)
        for _ in range(PACKETS_PER_READ):
            sock = self._sock
            if rc != mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS or not isinstance(sock, BufferedSocket):
                break
            if not sock.pending():
                break
            rc = super().loop_read(max_packets)
        return rc


def new_client(client_id: str, broker: Broker, *, persistent: bool = True, v5: bool = True) -> mqtt.Client:
    """A paho-mqtt 2 client (reading through a buffer) with manual acknowledgements and (by default) a
    persistent session."""
    protocol = mqtt.MQTTv5 if v5 else mqtt.MQTTv311
    client = BufferedClient(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=protocol,
        clean_session=None if v5 else not persistent,
        manual_ack=True,
    )
    configure_login(client, broker)
    client.reconnect_delay_set(min_delay=1, max_delay=5)
    return client


def configure_login(client: mqtt.Client, broker: Broker) -> None:
    """Username/password and, for mqtts://, TLS checking the broker's certificate and presenting ours."""
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls is not None:
        client.tls_set(
            ca_certs=str(broker.tls.ca_file),
            certfile=str(broker.tls.cert_file) if broker.tls.cert_file else None,
            keyfile=str(broker.tls.key_file) if broker.tls.key_file else None,
        )


def connect(client: mqtt.Client, broker: Broker, *, persistent: bool = True) -> None:
    """Connect, resuming the session when persistent (MQTT v5: clean_start False with an expiry)."""
    if client.protocol == mqtt.MQTTv5:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS if persistent else 0
        properties.ReceiveMaximum = RECEIVE_MAXIMUM
        client.connect(
            broker.host, broker.port, keepalive=30, clean_start=not persistent, properties=properties
        )
    else:
        client.connect(broker.host, broker.port, keepalive=30)


class Received(NamedTuple):
    """A message taken from the broker, not yet acknowledged."""

    topic: str
    payload: bytes
    mid: int
    qos: int


class Ingestor:
    """Takes messages from the broker, stores them in batches, acknowledges them after each commit."""

    def __init__(
        self,
        db: Database,
        broker: Broker,
        *,
        client_id: str,
        shared_group: str | None = None,
        batch_size: int = 1000,
        flush_seconds: float = 0.05,
        publish_commands: bool = True,
        own_process: bool = False,
    ) -> None:
        self.db, self.broker = db, broker
        self.own_process = own_process  # nothing else runs in the process (`smartcity ingest`): see run
        self.shared_group = shared_group
        self.batch_size, self.flush_seconds = batch_size, flush_seconds
        self.publish_commands = publish_commands
        self.inbox: deque[Received] = deque()  # appended by the network thread, taken by the batch loop
        self._arrived = threading.Event()
        self.stored = 0
        self.client = new_client(client_id, broker)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self._next_housekeeping = 0.0
        self._next_silence_check = 0.0
        self._next_rollup = 0.0

    def topics(self) -> list[str]:
        """What to subscribe to (shared when several processes split the load)."""
        if not self.shared_group:
            return list(SUBSCRIPTIONS)
        return [f"$share/{self.shared_group}/{t}" for t in SUBSCRIPTIONS]

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.error("MQTT connection refused: %s", reason)
            return
        client.subscribe([(topic, 1) for topic in self.topics()])
        log.info("connected to MQTT %s:%s as %s", self.broker.host, self.broker.port, client._client_id)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.inbox.append(Received(message.topic, bytes(message.payload), message.mid, message.qos))
        if not self._arrived.is_set():
            self._arrived.set()

    def run(self, stop: threading.Event) -> None:
        """Ingest until `stop` is set (the database path prepared before the broker connection; in a process
        of its own, the start-up heap frozen)."""
        try:
            service.prepare_ingest(self.db)
        except Exception:  # the database is away: the batches will retry until it is back
            log.exception("preparing the ingest failed; going on")
        if self.own_process:
            freeze_start_up_heap()
        connect(self.client, self.broker)
        self.client.loop_start()
        try:
            while not stop.is_set():
                batch = self._collect(stop)
                if batch:
                    self._store_until_done(batch, stop)
                self._housekeeping()
        finally:
            self.client.disconnect()
            self.client.loop_stop()
            self.db.release_lock(HOUSEKEEPING_LOCK)

    def _collect(self, stop: threading.Event) -> list[Received]:
        """Up to batch_size messages: what has arrived, waiting at most flush_seconds for a fuller batch."""
        if not self.inbox:
            self._arrived.clear()
            if not self.inbox and not self._arrived.wait(0.2):
                return []
        deadline = time.monotonic() + self.flush_seconds
        while len(self.inbox) < self.batch_size and time.monotonic() < deadline and not stop.is_set():
            time.sleep(0.002)
        inbox = self.inbox
        return [inbox.popleft() for _ in range(min(len(inbox), self.batch_size))]

    def _store_until_done(self, batch: list[Received], stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.store(batch)
            except Exception:  # the database is away: keep the batch (unacknowledged) and retry
                log.exception("storing a batch of %d messages failed; retrying", len(batch))
                stop.wait(1.0)
                continue
            acknowledge(self.client, batch)
            return

    def store(self, batch: list[Received]) -> None:
        """Commit a batch: telemetry and events in one transaction, then command answers."""
        envelopes, acks = [], []
        for item in batch:
            parsed = parse_topic(item.topic)
            kind, device_id, channel = parsed if parsed else (None, None, TELEMETRY)
            if channel == COMMAND_ACK:
                acks.append((device_id, item.payload))
            else:
                envelopes.append(Envelope(item.payload, device_id or "?", kind, channel))
        outcome = service.ingest(self.db, envelopes=envelopes)
        self.stored += outcome.accepted
        for device_id, payload in acks:
            record_command_answer(self.db, device_id or "?", payload)

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now < self._next_housekeeping:
            return
        self._next_housekeeping = now + 1.0
        if not self.db.hold_lock(HOUSEKEEPING_LOCK):
            return  # another ingest process of the deployment publishes commands and rolls up
        try:
            if self.publish_commands:
                publish_pending_commands(self.db, self.client)
                service.expire_commands(self.db)
            if now >= self._next_silence_check:
                self._next_silence_check = now + 30.0
                service.check_silent_devices(self.db)
            if self.publish_commands and now >= self._next_rollup:
                self._next_rollup = now + ROLLUP_EVERY_SECONDS
                roll_up_recent(self.db)
        except Exception:  # housekeeping must never stop ingestion
            log.exception("IoT housekeeping failed")


def freeze_start_up_heap() -> None:
    """Leave what the process made while starting (modules, mappers, compiled statements: ~300,000
    objects) out of every later garbage collection.

    A batch's messages live across a few young collections and reach the oldest generation; without this,
    every ~10,000 messages a full collection walked the whole start-up heap (~15 µs of CPU a message). Call it
    once, in a process that does nothing but ingest: what is frozen is never collected.
    """
    gc.collect()
    gc.freeze()


PUBACK = 0x40  # MQTT control packet type of a QoS 1 acknowledgement


def acknowledge(client: mqtt.Client, batch: list[Received]) -> None:
    """Acknowledge a committed batch: its QoS 1 PUBACKs go to paho's send queue as one write (one socket
    send and one wake-up of the network thread, not one of each per message); QoS 2 one by one."""
    once = [item.mid for item in batch if item.qos == 1]
    queue = getattr(client, "_packet_queue", None)  # paho-mqtt 2's send queue, the path client.ack takes
    if once and queue is not None:
        queue(PUBACK, b"".join(struct.pack("!BBH", PUBACK, 2, mid) for mid in once), 0, 1)
    else:
        for mid in once:
            client.ack(mid, 1)
    for item in batch:
        if item.qos == 2:
            client.ack(item.mid, 2)


def roll_up_recent(db: Database) -> None:
    """Refresh the last two hours' hourly and the last two days' daily roll-ups."""
    now = utcnow()
    service.roll_up(db, interval="hour", start=now - timedelta(hours=2), end=now)
    service.roll_up(db, interval="day", start=now - timedelta(days=1), end=now)


def record_command_answer(db: Database, device_id: str, payload: bytes) -> None:
    """Apply a device's {"command_id", "status": "ok"|"failed", "detail"} answer; ignore nonsense."""
    try:
        body = json.loads(payload)
        command_id, status = body["command_id"], body.get("status", "ok")
        service.acknowledge_command(
            db,
            device_id=device_id,
            command_id=str(command_id),
            ok=status == "ok",
            detail=body.get("detail") if isinstance(body.get("detail"), dict) else None,
        )
    except (ValueError, KeyError, TypeError, AppError) as exc:
        log.warning("ignored command answer from %s: %s", device_id, exc)


def publish_pending_commands(db: Database, client: mqtt.Client, *, wait_seconds: float = 5.0) -> int:
    """Publish stored, pending commands (QoS 1) and mark those the broker took as sent."""
    pending = service.commands_to_publish(db)
    infos = []
    for command, device_type in pending:
        topic = f"city/{device_type}/{command.device_id}/command"
        payload = json.dumps(service.command_payload(command))
        infos.append((command.id, client.publish(topic, payload, qos=1)))
    taken = []
    for command_id, info in infos:
        try:
            info.wait_for_publish(timeout=wait_seconds)
        except (RuntimeError, ValueError):
            continue
        if info.is_published():
            taken.append(command_id)
    service.mark_commands_sent(db, command_ids=taken)
    return len(taken)


def run_ingest(
    db: Database,
    broker: Broker,
    *,
    client_id: str,
    shared_group: str | None,
    batch_size: int,
    on_ready: Callable[[Ingestor], None] | None = None,
    stop: threading.Event | None = None,
    publish_commands: bool = True,
    own_process: bool = False,
) -> Ingestor:
    """Build an ingestor for `broker` (see `broker_from_settings`) and run it until stopped."""
    ingestor = Ingestor(
        db,
        broker,
        client_id=client_id,
        shared_group=shared_group,
        batch_size=batch_size,
        publish_commands=publish_commands,
        own_process=own_process,
    )
    if on_ready:
        on_ready(ingestor)
    ingestor.run(stop or threading.Event())
    return ingestor
