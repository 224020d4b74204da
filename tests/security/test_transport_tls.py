"""V12.3: TLS between the platform and its broker and database, verified, and required in production.

MQTT with real parts: a private Mosquitto whose TLS listener holds a server certificate for `localhost`
issued by a CA made here. The platform's MQTT clients (the ingest process and the commands it publishes,
the simulator) connect with that CA and a password read from a file; a client given another CA, or the
right CA but an address the certificate does not name, is refused during the handshake.

PostgreSQL: the TLS settings reach the driver's connect arguments; the shared test server (TLS off, and it
cannot be reconfigured) is asked for TLS and refuses; a private cluster started by the test with TLS only
(hostssl) and a certificate from a test CA is reached with verify-full, while another CA, a name the
certificate does not hold, or no TLS, are refused. A TLS server of your own can be given too
(SMARTCITY_TEST_POSTGRES_TLS_URL, SMARTCITY_TEST_POSTGRES_TLS_CA).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import ssl
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from smartcity.core.config import Settings, get_settings
from smartcity.core.db import Database
from smartcity.core.secret_files import ConfigurationError
from smartcity.core.security import Actor
from smartcity.core.transport import database_tls_problem, is_local_host
from smartcity.iot import credentials, service
from smartcity.iot.config import IotSettings
from smartcity.iot.models import Command, Telemetry
from smartcity.iot.mqtt import broker_from_settings, connect, new_client
from smartcity.iot.schemas import CommandCreate, DeviceCreate
from tests.conftest import POSTGRES_URL, service_missing
from tests.iot.mqtt_support import (
    REPO,
    ConfiguredMosquitto,
    IngestProcess,
    free_port,
    wait_for_port,
    wait_until,
)

SYSTEM = Actor.system("test-tls")
PLACE = {"type": "Point", "coordinates": [106.65, 10.98]}
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)


@dataclass
class Authority:
    """A CA made for the test: its certificate and key, and where its PEM lies."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    pem: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _authority(folder: Path, common_name: str) -> Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    pem = folder / f"{common_name.replace(' ', '-')}.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Authority(cert, key, pem)


def _server_certificate(folder: Path, ca: Authority, dns_name: str) -> tuple[Path, Path]:
    """A server certificate for `dns_name` only (no IP address) signed by `ca`; key file 0600."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(dns_name))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca.key, hashes.SHA256())
    )
    cert_path, key_path = folder / "server.crt", folder / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    credentials.write_private(key_path, key_bytes.decode())
    return cert_path, key_path


@dataclass
class TlsBroker:
    """A running Mosquitto with one TLS listener (passwords, no client certificate) and what to reach it."""

    port: int
    ca: Authority
    other_ca: Authority
    passwords: dict[str, str]
    folder: Path

    @property
    def url(self) -> str:
        """The mqtts:// URL naming the host the certificate was issued for."""
        return f"mqtts://localhost:{self.port}"

    def password_file(self, account: str) -> Path:
        """An owner-only file holding an account's password (as a secret file of the platform)."""
        path = self.folder / f"{account}.secret"
        credentials.write_private(path, self.passwords[account] + "\n")
        return path


@pytest.fixture
def tls_broker(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Mosquitto on a free port whose TLS listener's certificate comes from a CA made by the test."""
    folder = tmp_path / "broker"
    folder.mkdir()
    ca, other_ca = _authority(folder, "Test MQTT CA"), _authority(folder, "Some other CA")
    cert, key = _server_certificate(folder, ca, "localhost")
    passwords = {name: credentials.new_password() for name in ("smartcity-ingest", "TLS-1", "simulator")}
    password_file = folder / "passwd"
    lines = [f"{name}:{credentials.mosquitto_hash(pw)}\n" for name, pw in passwords.items()]
    credentials.write_private(password_file, "".join(lines))
    port = free_port()
    config = folder / "mosquitto.conf"
    config.write_text(
        f"per_listener_settings false\nallow_anonymous false\npassword_file {password_file}\n"
        f"persistence false\nlog_dest file {folder}/mosquitto.log\n"
        f"listener {port} 127.0.0.1\ncafile {ca.pem}\ncertfile {cert}\nkeyfile {key}\n"
        "require_certificate false\ntls_version tlsv1.2\n"
    )
    broker = ConfiguredMosquitto(config, (port,))
    broker.start()
    yield TlsBroker(port, ca, other_ca, passwords, folder)
    broker.stop()


def _register(db: Database, device_id: str) -> None:
    service.register_device(
        db, actor=SYSTEM, data=DeviceCreate(id=device_id, type="streetlight", location=PLACE)
    )


def _device_client(broker: TlsBroker, device_id: str) -> tuple[mqtt.Client, list[dict[str, Any]]]:
    """A device on the TLS listener (checking the broker with the test CA), collecting its commands."""
    received: list[dict[str, Any]] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{device_id}-{uuid.uuid4().hex[:6]}")
    client.tls_set(ca_certs=str(broker.ca.pem))
    client.username_pw_set(device_id, broker.passwords[device_id])
    client.on_connect = lambda c, *_: c.subscribe(f"city/streetlight/{device_id}/command", qos=1)
    client.on_message = lambda _c, _u, message: received.append(json.loads(message.payload))
    client.connect("localhost", broker.port, keepalive=10)
    client.loop_start()
    assert wait_until(client.is_connected, timeout=10)
    return client, received


def _stored(db: Database, device_id: str) -> set[str]:
    with db.session() as s:
        return set(s.scalars(select(Telemetry.msg_id).where(Telemetry.device_id == device_id)))


def _platform_settings(tmp_path: Path, **iot: Any) -> Settings:
    settings = Settings(data_dir=tmp_path / "var", environment="production")
    return settings.set_section(IotSettings(**iot))


def test_every_mqtt_client_of_the_platform_goes_through_tls_checked_with_the_ca(
    db: Database, tls_broker: TlsBroker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(db, "TLS-1")
    _register(db, "TLS-2")
    ingest = IngestProcess(db.url, tls_broker.url, tmp_path, client_id="ingest-tls-ca")
    ingest.env.update(
        SMARTCITY_ENVIRONMENT="production",
        SMARTCITY_MQTT_CA_FILE=str(tls_broker.ca.pem),
        SMARTCITY_MQTT_USERNAME="smartcity-ingest",
        SMARTCITY_MQTT_PASSWORD_FILE=str(tls_broker.password_file("smartcity-ingest")),
        SMARTCITY_LOG_LEVEL="INFO",
    )
    ingest.start()
    device, commands = _device_client(tls_broker, "TLS-1")
    try:
        body = '{"msg_id": "%s", "ts": "%s", "values": {"dimLevel": 40}}'
        sent = 0

        def telemetry_stored() -> bool:  # the ingest subscribes a moment after it starts
            nonlocal sent
            sent += 1
            device.publish("city/streetlight/TLS-1/telemetry", body % (f"m{sent}", T0.isoformat()), qos=1)
            return bool(_stored(db, "TLS-1"))

        assert wait_until(telemetry_stored, timeout=40, interval=1.0), ingest.log_path.read_text()
        # The command publisher of the ingest process sends over the same verified connection.
        order = CommandCreate(name="dim", params={"dimLevel": 10}, device_ids=["TLS-1"])
        service.send_commands(db, actor=SYSTEM, data=order)
        assert wait_until(lambda: bool(commands), timeout=20), ingest.log_path.read_text()
        with db.session() as s:
            assert s.scalar(select(Command.id)) == commands[0]["command_id"]
        # The simulator, in this process, with the same settings.
        from smartcity.iot.simulator import MqttTransport, SimDevice

        monkeypatch.setenv("SMARTCITY_ENVIRONMENT", "production")
        monkeypatch.setenv("SMARTCITY_MQTT_CA_FILE", str(tls_broker.ca.pem))
        monkeypatch.setenv("SMARTCITY_MQTT_USERNAME", "simulator")
        monkeypatch.setenv("SMARTCITY_MQTT_PASSWORD_FILE", str(tls_broker.password_file("simulator")))
        get_settings.cache_clear()
        simulated = SimDevice(id="TLS-2", type="streetlight", street="Yersin", lon=106.65, lat=10.98)
        transport = MqttTransport(tls_broker.url, [simulated])
        reports = 0

        def simulated_stored() -> bool:
            nonlocal reports
            reports += 1
            message = {"msg_id": f"sim-{reports}", "ts": T0.isoformat(), "values": {"dimLevel": 20}}
            transport.send([(simulated, message)])
            return bool(_stored(db, "TLS-2"))

        try:
            assert wait_until(simulated_stored, timeout=30, interval=1.0), ingest.log_path.read_text()
        finally:
            transport.close()
    finally:
        get_settings.cache_clear()
        device.disconnect()
        device.loop_stop()
        ingest.stop()
    assert "certificate verify failed" not in ingest.log_path.read_text()


def test_a_client_with_another_ca_or_an_address_the_certificate_does_not_name_is_refused(
    tls_broker: TlsBroker, tmp_path: Path
) -> None:
    password = tls_broker.password_file("smartcity-ingest")
    login = {"mqtt_username": "smartcity-ingest", "mqtt_password": password.read_text().strip()}

    def handshake(url: str, ca: Path) -> mqtt.Client:
        settings = _platform_settings(tmp_path, mqtt_ca_file=ca, **login)
        broker = broker_from_settings(settings, url)
        client = new_client(f"probe-{uuid.uuid4().hex[:6]}", broker, persistent=False)
        connect(client, broker, persistent=False)  # the TLS handshake happens here
        return client

    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        handshake(tls_broker.url, tls_broker.other_ca.pem)
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        handshake(f"mqtts://127.0.0.1:{tls_broker.port}", tls_broker.ca.pem)
    client = handshake(tls_broker.url, tls_broker.ca.pem)
    accepted: list[bool] = []
    client.on_connect = lambda _c, _u, _f, reason, _p: accepted.append(not reason.is_failure)
    client.loop_start()
    try:
        assert wait_until(lambda: bool(accepted), timeout=10)
        assert accepted == [True]
    finally:
        client.disconnect()
        client.loop_stop()


def test_production_refuses_a_broker_elsewhere_reached_in_clear(tmp_path: Path) -> None:
    ca = _authority(tmp_path, "Broker CA").pem
    production = _platform_settings(tmp_path)
    with pytest.raises(ConfigurationError, match=r"MQTT broker 10\.1\.2\.3 is not on this machine"):
        broker_from_settings(production, "mqtt://10.1.2.3:1883")
    with pytest.raises(ConfigurationError, match="mqtts://"):
        broker_from_settings(production, "mqtt://mqtt.internal:1883")
    assert broker_from_settings(production, "mqtt://127.0.0.1:1883").tls is None
    assert broker_from_settings(production, "mqtt://localhost:1883").host == "localhost"
    remote = broker_from_settings(_platform_settings(tmp_path, mqtt_ca_file=ca), "mqtts://mqtt.internal")
    assert remote.tls is not None and remote.tls.ca_file == ca and remote.port == 8883
    development = Settings(data_dir=tmp_path / "var").set_section(IotSettings())
    assert broker_from_settings(development, "mqtt://10.1.2.3:1883").tls is None
    strict = Settings(data_dir=tmp_path / "var", require_tls=True).set_section(IotSettings())
    with pytest.raises(ConfigurationError):
        broker_from_settings(strict, "mqtt://10.1.2.3:1883")
    relaxed = Settings(data_dir=tmp_path / "var", environment="production", require_tls=False)
    assert broker_from_settings(relaxed.set_section(IotSettings()), "mqtt://10.1.2.3").tls is None


def _run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.upper().startswith("SMARTCITY_")}
    base.update(PYTHONPATH=str(REPO / "src"), SMARTCITY_DATA_DIR=str(tmp_path / "var"), **env)
    return subprocess.run(
        [sys.executable, "-m", "smartcity", *args],
        env=base,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_processes_refuse_to_start_in_production_with_a_clear_message(tmp_path: Path) -> None:
    ingest = _run_cli(
        tmp_path, "ingest", "--mqtt-url", "mqtt://mqtt.internal:1883", SMARTCITY_ENVIRONMENT="production"
    )
    assert ingest.returncode == 2, ingest.stderr
    assert "Refusing to start: the MQTT broker mqtt.internal is not on this machine" in ingest.stderr
    database = _run_cli(
        tmp_path,
        "db",
        "upgrade",
        SMARTCITY_ENVIRONMENT="production",
        SMARTCITY_DATABASE_URL="postgresql://smartcity@db.internal:5432/smartcity",
        SMARTCITY_DATABASE_SSLMODE="require",
    )
    assert database.returncode == 2, database.stderr
    assert "the database server db.internal is not on this machine" in database.stderr
    assert (
        "sslmode=require" in database.stderr and "SMARTCITY_DATABASE_SSLMODE=verify-full" in database.stderr
    )
    assert "Traceback" not in ingest.stderr + database.stderr


def test_database_tls_settings_reach_the_drivers_connect_arguments(tmp_path: Path) -> None:
    ca, cert, key = tmp_path / "ca.pem", tmp_path / "client.crt", tmp_path / "client.key"
    settings = Settings(
        data_dir=tmp_path / "var",
        environment="production",
        database_url="postgresql://smartcity@db.internal:5432/smartcity?application_name=web",
        database_password="pa:ss@word",
        database_sslmode="verify-full",
        database_sslrootcert=ca,
        database_sslcert=cert,
        database_sslkey=key,
    )
    db = Database(settings.resolved_database_url)
    _args, kwargs = db.engine.dialect.create_connect_args(db.engine.url)
    assert kwargs["host"] == "db.internal" and kwargs["password"] == "pa:ss@word"
    assert kwargs["sslmode"] == "verify-full" and kwargs["application_name"] == "web"
    assert (kwargs["sslrootcert"], kwargs["sslcert"], kwargs["sslkey"]) == (str(ca), str(cert), str(key))
    db.dispose()
    # The settings override what the URL says; a URL alone keeps its own parameters.
    given = "postgresql://u@db.internal/x?sslmode=verify-full&sslrootcert=/etc/ca.pem"
    overridden = Settings(data_dir=tmp_path / "var", database_url=given, database_sslmode="disable")
    assert "sslmode=disable" in overridden.resolved_database_url
    alone = Settings(data_dir=tmp_path / "var", database_url=given, environment="production")
    assert (
        alone.resolved_database_url
        == "postgresql+psycopg://u@db.internal/x?sslmode=verify-full&sslrootcert=/etc/ca.pem"
    )


@pytest.mark.parametrize(
    ("url", "environ", "refused"),
    [
        ("postgresql://u@db.internal/x", {}, True),
        ("postgresql://u@db.internal/x?sslmode=require", {}, True),
        ("postgresql://u@db.internal/x?sslmode=verify-ca", {}, True),
        ("postgresql://u@10.0.0.7/x?sslmode=prefer", {}, True),
        ("postgresql://u@db.internal/x", {"PGSSLMODE": "verify-ca"}, True),
        ("postgresql://u@db.internal/x?sslmode=verify-full", {}, False),
        ("postgresql://u@db.internal/x", {"PGSSLMODE": "verify-full"}, False),
        ("postgresql://u@127.0.0.1/x", {}, False),
        ("postgresql://u@[::1]/x", {}, False),
        ("postgresql://u@localhost/x", {}, False),
        ("postgresql://u@/x?host=/var/run/postgresql", {}, False),
        ("postgresql://u@/x", {"PGHOST": "db.internal"}, True),
        ("postgresql://u@/x?host=127.0.0.1,db.internal", {}, True),
        ("sqlite:////var/lib/smartcity/smartcity.db", {}, False),
    ],
)
def test_which_database_connections_production_refuses(
    url: str, environ: dict[str, str], refused: bool
) -> None:
    assert (database_tls_problem(url, environ) is not None) is refused


def test_loopback_and_sockets_are_local_and_nothing_else_is() -> None:
    assert all(
        is_local_host(h)
        for h in ("127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost", "", "/run/postgresql")
    )
    assert not any(is_local_host(h) for h in ("10.0.0.1", "192.168.1.2", "db.internal", "0.0.0.0", "::"))  # noqa: S104


def test_the_test_postgres_is_asked_for_tls_when_the_settings_say_so(tmp_path: Path) -> None:
    """The shared test server runs without TLS, so libpq refusing it proves the setting reached libpq."""
    if not POSTGRES_URL:
        service_missing("needs SMARTCITY_TEST_POSTGRES_URL")
    settings = Settings(data_dir=tmp_path / "var", database_url=POSTGRES_URL, database_sslmode="require")
    db = Database(settings.resolved_database_url)
    try:
        with (
            pytest.raises(OperationalError, match="server does not support SSL"),
            db.engine.connect() as connection,
        ):
            connection.execute(text("SELECT 1"))
    finally:
        db.dispose()
    plain = Database(Settings(data_dir=tmp_path / "var", database_url=POSTGRES_URL).resolved_database_url)
    with plain.engine.connect() as connection:
        ssl_on = connection.execute(text("SHOW ssl")).scalar()
    plain.dispose()
    assert ssl_on == "off"  # if this fails, the server gained TLS: run the verified test below against it


def test_a_verified_connection_to_a_tls_postgres(tmp_path: Path) -> None:
    """Runs where a PostgreSQL with TLS is given: SMARTCITY_TEST_POSTGRES_TLS_URL (remote name) and
    SMARTCITY_TEST_POSTGRES_TLS_CA (its CA): a real deployment's server, beside the private cluster below."""
    url, ca = (
        os.environ.get("SMARTCITY_TEST_POSTGRES_TLS_URL"),
        os.environ.get("SMARTCITY_TEST_POSTGRES_TLS_CA"),
    )
    if not (url and ca):
        pytest.skip(
            "no external PostgreSQL with TLS given (the shared test server runs with ssl=off and cannot be "
            "reconfigured; the private cluster test covers TLS): set SMARTCITY_TEST_POSTGRES_TLS_URL and "
            "SMARTCITY_TEST_POSTGRES_TLS_CA to run it against a real server"
        )
    settings = Settings(
        data_dir=tmp_path / "var",
        environment="production",
        database_url=url,
        database_sslmode="verify-full",
        database_sslrootcert=Path(ca),
    )
    db = Database(settings.resolved_database_url)
    try:
        with db.engine.connect() as connection:
            query = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
            assert connection.execute(text(query)).scalar() is True
    finally:
        db.dispose()


def _postgres_binaries() -> tuple[Path, Path] | None:
    """initdb and postgres of the installed server, if any."""
    for folder in [*sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True), Path("/usr/local/bin")]:
        if (folder / "initdb").exists() and (folder / "postgres").exists():
            return folder / "initdb", folder / "postgres"
    return None


@pytest.fixture
def tls_postgres():  # type: ignore[no-untyped-def]
    """A private PostgreSQL cluster on a free port that accepts only TLS (hostssl), with a server
    certificate for `localhost` from a CA made here. Root cannot run PostgreSQL: as root the cluster runs as
    the `postgres` account."""
    binaries = _postgres_binaries()
    if binaries is None:
        service_missing("no PostgreSQL server binaries (initdb, postgres) to start a private TLS cluster")
    initdb, postgres = binaries
    run_as: str | None = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            service_missing("running as root and there is no `postgres` account to run a private cluster")
        run_as = "postgres"
    folder = Path(tempfile.mkdtemp(prefix="smartcity-tls-pg-"))  # not under root's private pytest folder
    try:
        ca, other = _authority(folder, "Test PG CA"), _authority(folder, "Other PG CA")
        cert, key = _server_certificate(folder, ca, "localhost")
        data = folder / "data"
        if run_as:
            for path in (folder, cert, key):
                shutil.chown(path, run_as)
        subprocess.run(
            [str(initdb), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"],
            user=run_as,
            capture_output=True,
            check=True,
            timeout=120,
        )
        (data / "pg_hba.conf").write_text("local all all trust\nhostssl all all 127.0.0.1/32 trust\n")
        port = free_port()
        settings = [
            "listen_addresses=127.0.0.1",
            f"port={port}",
            f"unix_socket_directories={folder}",
            "ssl=on",
            f"ssl_cert_file={cert}",
            f"ssl_key_file={key}",
            "fsync=off",
            "max_connections=10",
        ]
        log = (folder / "postgres.log").open("ab")
        server = subprocess.Popen(
            [str(postgres), "-D", str(data), *[arg for s in settings for arg in ("-c", s)]],
            user=run_as,
            stdout=log,
            stderr=log,
        )
        try:
            wait_for_port(port, timeout=30)
            yield port, ca.pem, other.pem
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_verified_connection_to_a_private_tls_postgres(
    tls_postgres: tuple[int, Path, Path], tmp_path: Path
) -> None:
    port, ca, other_ca = tls_postgres

    def open_with(host: str, **tls: Any) -> str:
        settings = Settings(
            data_dir=tmp_path / "var",
            environment="production",
            database_url=f"postgresql://postgres@{host}:{port}/postgres",
            **tls,
        )
        db = Database(settings.resolved_database_url)
        try:
            with db.engine.connect() as connection:
                query = "SELECT ssl::text || ' ' || version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
                return str(connection.execute(text(query)).scalar())
        finally:
            db.dispose()

    assert open_with("localhost", database_sslmode="verify-full", database_sslrootcert=ca).startswith(
        "true TLS"
    )
    with pytest.raises(OperationalError, match="certificate verify failed"):
        open_with("localhost", database_sslmode="verify-full", database_sslrootcert=other_ca)
    with pytest.raises(OperationalError, match="does not match host name"):
        open_with("127.0.0.1", database_sslmode="verify-full", database_sslrootcert=ca)
    with pytest.raises(OperationalError, match="no encryption"):
        open_with("localhost", database_sslmode="disable")
