"""The broker configuration `smartcity iot broker-config` writes, enforced by a real Mosquitto 2.

A device certificate from the city's issuing CA lets a device in on the TLS listener (its CN becomes its
MQTT username); no certificate, a certificate of another CA, or a revoked one: refused. Passwords on the
other listener: the right one in, a wrong one out. The ACL keeps each device to its own topics.
"""

from __future__ import annotations

import stat
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select
from typer.testing import CliRunner

from smartcity.core.config import Settings, get_settings
from smartcity.core.db import Database
from smartcity.iot import service
from smartcity.iot.broker import Listeners, PkiSettings, ingest_url, write_broker_config
from smartcity.iot.models import Telemetry
from smartcity.iot.mqtt import Broker
from smartcity.signing import pki
from smartcity.signing import service as signing
from smartcity.signing.config import SigningSettings
from tests.iot.conftest import SYSTEM
from tests.iot.mqtt_support import ConfiguredMosquitto, IngestProcess, free_ports, wait_until

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)


@dataclass
class Material:
    """A device's certificate and key files."""

    cert: Path
    key: Path


@dataclass
class CityBroker:
    """A running broker with the generated configuration, and what the test needs to talk to it."""

    folder: Path
    port: int
    tls_port: int
    password_tls_port: int
    ca: Path
    devices: dict[str, Material]
    passwords: dict[str, str]
    ingest_url: str
    mosquitto: ConfiguredMosquitto


def _write_material(folder: Path, name: str, cert_pem: str, key_pem: str) -> Material:
    material = Material(folder / f"{name}.crt", folder / f"{name}.key")
    material.cert.write_text(cert_pem)
    material.key.write_text(key_pem)
    return material


def _foreign_material(folder: Path, device_id: str) -> Material:
    """A certificate for the same device id from a CA the city does not know."""
    subject = pki.SubjectInfo(common_name=device_id, organisation="Kẻ lạ", locality="Nowhere")
    ca_key, key = pki.new_rsa_key(2048), pki.new_rsa_key(2048)
    ca_subject = pki.SubjectInfo(common_name="Other CA", organisation="Kẻ lạ", locality="Nowhere")
    ca = pki.build_certificate(
        kind="root-ca",
        subject=ca_subject,
        public_key=ca_key.public_key(),
        issuer=None,
        issuer_key=ca_key,
        lifetime=timedelta(days=30),
    )
    cert = pki.build_certificate(
        kind="device",
        subject=subject,
        public_key=key.public_key(),
        issuer=ca,
        issuer_key=ca_key,
        lifetime=timedelta(days=30),
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return _write_material(folder, f"foreign-{device_id}", cert_pem, pki.private_key_pem(key).decode())


@pytest.fixture
def city_broker(db: Database, settings: Settings, tmp_path: Path, add_device):  # type: ignore[no-untyped-def]
    """PKI, devices SL-1..SL-3 (SL-2's certificate revoked), the generated configuration, Mosquitto."""
    conf = SigningSettings(public_base_url="http://verify.test", signing_root_key_bits=2048)
    signing.init_pki(db, actor=SYSTEM, settings=settings, signing_settings=conf)
    passwords = {d: add_device(d).password for d in ("SL-1", "SL-2", "SL-3")}
    material_dir = tmp_path / "material"
    material_dir.mkdir()
    devices = {}
    for device_id in ("SL-1", "SL-2", "smartcity-ingest", "simulator"):
        issued = signing.issue_device_certificate_with_key(
            db, actor=SYSTEM, device_id=device_id, settings=settings, signing_settings=conf
        )
        devices[device_id] = _write_material(
            material_dir, device_id, issued.certificate_pem, issued.private_key_pem
        )
        if device_id == "SL-2":
            serial = issued.certificate.serial
            signing.revoke_certificate(db, actor=SYSTEM, serial=serial, reason="key_compromise")
    port, tls_port, password_tls_port = free_ports(3)
    files = write_broker_config(
        db,
        tmp_path / "broker",
        actor=SYSTEM,
        listeners=Listeners(
            host="127.0.0.1", port=port, tls_port=tls_port, password_tls_port=password_tls_port
        ),
        gateways=("simulator",),
        settings=PkiSettings(settings, conf),
    )
    assert files.devices == 3
    assert stat.S_IMODE(files.server_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.password_file.stat().st_mode) == 0o600
    broker = ConfiguredMosquitto(files.config, (port, tls_port, password_tls_port))
    broker.start()
    url = ingest_url(files, port=port)
    yield CityBroker(
        files.config.parent, port, tls_port, password_tls_port, files.ca_file, devices, passwords, url, broker
    )
    broker.stop()


def _client(name: str) -> mqtt.Client:
    client_id = f"{name}-{uuid.uuid4().hex[:6]}"
    return mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)


def _connected(client: mqtt.Client, port: int) -> bool:
    """Connect and report whether the broker accepted us (CONNACK success) within a few seconds."""
    accepted: list[bool] = []
    client.on_connect = lambda _c, _u, _f, reason, _p: accepted.append(not reason.is_failure)
    try:
        client.connect("127.0.0.1", port, keepalive=10)
    except OSError:  # the TLS handshake itself was refused
        return False
    client.loop_start()
    wait_until(lambda: bool(accepted), timeout=5)
    ok = accepted == [True] and client.is_connected()
    if not ok:
        client.loop_stop()
        client.disconnect()
    return ok


def _tls_client(broker: CityBroker, material: Material | None, name: str = "dev") -> mqtt.Client:
    client = _client(name)
    client.reconnect_delay_set(min_delay=30, max_delay=30)
    client.tls_set(
        ca_certs=str(broker.ca),
        certfile=str(material.cert) if material else None,
        keyfile=str(material.key) if material else None,
    )
    return client


def test_certificates_from_the_city_ca_only_and_not_revoked(city_broker: CityBroker, tmp_path: Path) -> None:
    accepted = _tls_client(city_broker, city_broker.devices["SL-1"])
    assert _connected(accepted, city_broker.tls_port)
    accepted.disconnect()
    accepted.loop_stop()
    assert not _connected(_tls_client(city_broker, None), city_broker.tls_port)
    foreign = _foreign_material(tmp_path, "SL-1")
    assert not _connected(_tls_client(city_broker, foreign), city_broker.tls_port)
    assert not _connected(_tls_client(city_broker, city_broker.devices["SL-2"]), city_broker.tls_port)


def test_passwords_right_one_in_wrong_one_out(city_broker: CityBroker) -> None:
    client = _client("pw")
    client.username_pw_set("SL-3", city_broker.passwords["SL-3"])
    assert _connected(client, city_broker.port)
    client.disconnect()
    client.loop_stop()
    wrong = _client("pw-wrong")
    wrong.username_pw_set("SL-3", city_broker.passwords["SL-1"])
    assert not _connected(wrong, city_broker.port)
    anonymous = _client("anon")
    assert not _connected(anonymous, city_broker.port)
    ingest = Broker.from_url(city_broker.ingest_url)  # the service account from ingest.secret
    account = _client("ingest")
    account.username_pw_set(ingest.username, ingest.password)
    assert ingest.username == "smartcity-ingest" and _connected(account, city_broker.port)
    account.disconnect()
    account.loop_stop()


def test_passwords_over_tls_need_the_city_ca_and_the_right_password(
    city_broker: CityBroker, tmp_path: Path
) -> None:
    """The network's password listener speaks only TLS: a device with the city's CA and its password is in;
    the wrong password, the same password in clear, and a client trusting another CA are out."""
    device = _tls_client(city_broker, None, "pw-tls")
    device.username_pw_set("SL-3", city_broker.passwords["SL-3"])
    assert _connected(device, city_broker.password_tls_port)
    device.disconnect()
    device.loop_stop()
    wrong = _tls_client(city_broker, None, "pw-tls-wrong")
    wrong.username_pw_set("SL-3", city_broker.passwords["SL-1"])
    assert not _connected(wrong, city_broker.password_tls_port)
    in_clear = _client("pw-clear")
    in_clear.username_pw_set("SL-3", city_broker.passwords["SL-3"])
    assert not _connected(in_clear, city_broker.password_tls_port)
    other_ca = _client("pw-other-ca")
    other_ca.tls_set(ca_certs=str(_foreign_material(tmp_path, "SL-3").cert))  # trusts another CA only
    other_ca.username_pw_set("SL-3", city_broker.passwords["SL-3"])
    assert not _connected(other_ca, city_broker.password_tls_port)


def _stored(db: Database, device_id: str) -> set[str]:
    with db.session() as s:
        return set(s.scalars(select(Telemetry.msg_id).where(Telemetry.device_id == device_id)))


@pytest.fixture
def ingest_over_tls(db: Database, city_broker: CityBroker, tmp_path: Path):  # type: ignore[no-untyped-def]
    """`smartcity ingest` in a subprocess, logged in with its own certificate on the TLS listener."""
    ingest = IngestProcess(
        db.url, f"mqtts://localhost:{city_broker.tls_port}", tmp_path, client_id="ingest-tls"
    )
    material = city_broker.devices["smartcity-ingest"]
    ingest.env.update(
        SMARTCITY_MQTT_CA_FILE=str(city_broker.ca),
        SMARTCITY_MQTT_CERT_FILE=str(material.cert),
        SMARTCITY_MQTT_KEY_FILE=str(material.key),
        SMARTCITY_LOG_LEVEL="INFO",
    )
    ingest.start()
    yield ingest
    ingest.stop()


def test_device_telemetry_over_tls_is_stored_and_its_acl_holds(
    db: Database, city_broker: CityBroker, ingest_over_tls: IngestProcess
) -> None:
    device = _tls_client(city_broker, city_broker.devices["SL-1"])
    assert _connected(device, city_broker.tls_port)
    body = '{"msg_id": "%s", "ts": "%s", "values": {"dimLevel": 40}}'
    n = 0

    def probe() -> bool:  # the ingest subscribes a moment after it starts: publish until it stores one
        nonlocal n
        n += 1
        device.publish("city/streetlight/SL-1/telemetry", body % (f"own-{n}", T0.isoformat()), qos=1)
        return bool(_stored(db, "SL-1"))

    assert wait_until(probe, timeout=30, interval=1.0), ingest_over_tls.log_path.read_text()
    # Another device's topic, then our own: once ours is stored the other one had its chance.
    device.publish("city/streetlight/SL-3/telemetry", body % ("spoofed", T0.isoformat()), qos=1)
    device.publish("city/streetlight/SL-1/telemetry", body % ("after", T0.isoformat()), qos=1)
    assert wait_until(lambda: "after" in _stored(db, "SL-1"), timeout=15)
    device.disconnect()
    device.loop_stop()
    assert _stored(db, "SL-3") == set()
    assert service.stored_message_count(db) == len(_stored(db, "SL-1"))


def test_the_simulator_reports_over_tls_as_a_gateway(
    db: Database, city_broker: CityBroker, ingest_over_tls: IngestProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smartcity.iot.simulator import MqttTransport, SimDevice

    material = city_broker.devices["simulator"]
    monkeypatch.setenv("SMARTCITY_MQTT_CA_FILE", str(city_broker.ca))
    monkeypatch.setenv("SMARTCITY_MQTT_CERT_FILE", str(material.cert))
    monkeypatch.setenv("SMARTCITY_MQTT_KEY_FILE", str(material.key))
    get_settings.cache_clear()
    device = SimDevice(id="SL-3", type="streetlight", street="Yersin", lon=106.65, lat=10.98)
    transport = MqttTransport(f"mqtts://localhost:{city_broker.tls_port}", [device])
    sent = 0

    def report() -> bool:
        nonlocal sent
        sent += 1
        body = {"msg_id": f"sim-{sent}", "ts": T0.isoformat(), "values": {"dimLevel": 20}}
        transport.send([(device, body)])
        return bool(_stored(db, "SL-3"))

    try:
        assert wait_until(report, timeout=30, interval=1.0), ingest_over_tls.log_path.read_text()
    finally:
        transport.close()
        get_settings.cache_clear()


def test_broker_config_cli_writes_every_file(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, add_device
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SMARTCITY_DATABASE_URL", db.url)
    monkeypatch.setenv("SMARTCITY_SECRET_KEY", settings.resolved_secret_key)
    monkeypatch.setenv("SMARTCITY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SMARTCITY_SIGNING_ROOT_KEY_BITS", "2048")
    get_settings.cache_clear()  # the domains' sections live in the process-wide settings
    from smartcity.cli import app

    add_device("WC-9", "waste_container")
    runner = CliRunner()
    out = tmp_path / "conf"
    assert runner.invoke(app, ["iot", "broker-config", str(out)]).exit_code == 1  # no PKI yet
    assert runner.invoke(app, ["pki", "init"]).exit_code == 0
    result = runner.invoke(app, ["iot", "broker-config", str(out), "--dns", "mqtt.test", "--gateway", "sim"])
    assert result.exit_code == 0, result.output
    acl = (out / "acl").read_text()
    assert "user WC-9\ntopic write city/waste_container/WC-9/telemetry" in acl
    assert "topic read city/waste_container/WC-9/command\n" in acl and "user sim\n" in acl
    conf = (out / "mosquitto.conf").read_text()
    assert "require_certificate true" in conf and f"crlfile {out.resolve()}/crl.pem" in conf
    assert "listener 1883 127.0.0.1\n" in conf  # passwords in clear stay on the broker's machine
    assert "listener 8884 0.0.0.0\nprotocol mqtt\ncertfile" in conf  # passwords on the network: TLS
    assert (out / "passwd").read_text().startswith("smartcity-ingest:$7$")
    secret = (out / "ingest.secret").read_text()
    server_cert = (out / "server.crt").read_text()
    assert runner.invoke(app, ["iot", "broker-config", str(out)]).exit_code == 0
    assert (out / "ingest.secret").read_text() == secret  # kept: a running ingest stays logged in
    assert (out / "server.crt").read_text() == server_cert
    injected = runner.invoke(app, ["iot", "broker-config", str(out), "--gateway", "x\ntopic readwrite #"])
    assert injected.exit_code == 1 and "topic readwrite #" not in (out / "acl").read_text()
    add_device("sim", "streetlight")
    clash = runner.invoke(app, ["iot", "broker-config", str(out), "--gateway", "sim"])
    assert clash.exit_code == 1 and "service account" in clash.output
    marker = tmp_path / "reloaded"
    (out / "crl.pem").write_text("stale")
    refreshed = runner.invoke(app, ["iot", "refresh-crl", str(out), "--reload-command", f"touch {marker}"])
    assert refreshed.exit_code == 0, refreshed.output
    assert x509.load_pem_x509_crl((out / "crl.pem").read_bytes()).next_update_utc is not None
    assert marker.exists()
    assert runner.invoke(app, ["iot", "refresh-crl", str(tmp_path / "nowhere")]).exit_code == 1
    get_settings.cache_clear()  # the domains' sections live in the process-wide settings


@pytest.fixture
def broker_dir_configured(city_broker: CityBroker, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """SMARTCITY_MQTT_BROKER_DIR names the running broker's folder; its reload command sends SIGHUP."""
    process = city_broker.mosquitto.process
    assert process is not None
    monkeypatch.setenv("SMARTCITY_MQTT_BROKER_DIR", str(city_broker.folder))
    monkeypatch.setenv("SMARTCITY_MQTT_BROKER_RELOAD_COMMAND", f"kill -HUP {process.pid}")
    get_settings.cache_clear()
    yield city_broker.folder / "crl.pem"
    monkeypatch.delenv("SMARTCITY_MQTT_BROKER_DIR")
    monkeypatch.delenv("SMARTCITY_MQTT_BROKER_RELOAD_COMMAND")
    get_settings.cache_clear()


def _serial(material: Material) -> int:
    return x509.load_pem_x509_certificate(material.cert.read_bytes()).serial_number


def _revoked_serials(crl_file: Path) -> set[int]:
    return {entry.serial_number for entry in x509.load_pem_x509_crl(crl_file.read_bytes())}


def test_a_device_revoked_after_the_broker_started_is_refused_after_the_refresh(
    app, db: Database, city_broker: CityBroker, broker_dir_configured: Path
) -> None:
    crl_file = broker_dir_configured
    sl1 = city_broker.devices["SL-1"]
    before = _tls_client(city_broker, sl1, "before")
    assert _connected(before, city_broker.tls_port)
    before.disconnect()
    before.loop_stop()
    assert _serial(sl1) not in _revoked_serials(crl_file)

    signing.revoke_certificate(db, actor=SYSTEM, serial=f"{_serial(sl1):x}", reason="key_compromise")

    # The revocation event's handler rewrote crl.pem and sent SIGHUP (the app registered the handlers).
    assert _serial(sl1) in _revoked_serials(crl_file)
    assert stat.S_IMODE(crl_file.stat().st_mode) == 0o644
    assert list(crl_file.parent.glob(".crl-*")) == []  # no temporary file left behind
    assert wait_until(
        lambda: not _connected(_tls_client(city_broker, sl1, "after"), city_broker.tls_port), timeout=10
    )
    still = _tls_client(city_broker, city_broker.devices["simulator"], "still")
    assert _connected(still, city_broker.tls_port)  # the reload kept the listener and other devices
    still.disconnect()
    still.loop_stop()


def test_the_worker_task_renews_the_crl_well_before_it_expires(
    db: Database, settings: Settings, city_broker: CityBroker, broker_dir_configured: Path
) -> None:
    from smartcity.iot.broker import CRL_REFRESH_MARGIN, crl_due
    from smartcity.iot.tasks import refresh_broker_crl

    crl_file = broker_dir_configured
    db.bind_settings(settings)
    first = x509.load_pem_x509_crl(crl_file.read_bytes())
    assert first.next_update_utc is not None
    assert not crl_due(crl_file, now=datetime.now(UTC))
    assert refresh_broker_crl(db) == 0  # fresh: left alone
    assert crl_file.read_bytes() == first.public_bytes(serialization.Encoding.PEM)
    late = first.next_update_utc - CRL_REFRESH_MARGIN + timedelta(minutes=1)
    assert crl_due(crl_file, now=late)
    crl_file.write_text("half a CRL")  # unreadable counts as due, and is replaced whole
    assert refresh_broker_crl(db) == 1
    renewed = x509.load_pem_x509_crl(crl_file.read_bytes())
    assert renewed.next_update_utc is not None and renewed.next_update_utc >= first.next_update_utc
    assert _serial(city_broker.devices["SL-2"]) in _revoked_serials(crl_file)
    assert _connected(_tls_client(city_broker, city_broker.devices["SL-1"], "renewed"), city_broker.tls_port)
