"""Server certificates (TLS, e.g. the MQTT broker) and device certificates with a handed-out key."""

from __future__ import annotations

import ipaddress
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError
from sqlalchemy import func, select
from typer.testing import CliRunner

from smartcity.cli import app
from smartcity.core.audit import AuditEntry
from smartcity.core.config import Settings, get_settings
from smartcity.core.db import Database
from smartcity.core.errors import Forbidden, ValidationFailed
from smartcity.core.security import Actor
from smartcity.signing import service
from smartcity.signing.config import SigningSettings
from smartcity.signing.models import StoredKey
from tests.signing.conftest import SYSTEM

OPERATOR = Actor(kind="user", name="op", user_id=3, roles=frozenset({("operator", None)}))


@pytest.fixture
def pki_ready(db: Database, settings: Settings, signing_settings: SigningSettings) -> Database:
    """An initialised city PKI."""
    service.init_pki(db, actor=SYSTEM, settings=settings, signing_settings=signing_settings)
    return db


def _chain(db: Database) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(service.ca_chain_pem(db).encode())


def _key_count(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(StoredKey)) or 0


def test_server_certificate_verifies_for_its_names_only(
    pki_ready: Database, settings: Settings, signing_settings: SigningSettings
) -> None:
    keys_before = _key_count(pki_ready)
    issued = service.issue_server_certificate(
        pki_ready,
        actor=SYSTEM,
        dns_names=["mqtt.thudaumot.test", "localhost"],
        ip_addresses=["127.0.0.1"],
        settings=settings,
        signing_settings=signing_settings,
    )
    cert = x509.load_pem_x509_certificate(issued.certificate_pem.encode())
    key = serialization.load_pem_private_key(issued.private_key_pem.encode(), password=None)
    assert cert.public_key() == key.public_key()
    assert issued.certificate.kind == "server"
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["mqtt.thudaumot.test", "localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]

    issuing, root = _chain(pki_ready)
    store = Store([root])
    for name in (x509.DNSName("mqtt.thudaumot.test"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))):
        verifier = PolicyBuilder().store(store).build_server_verifier(name)
        assert verifier.verify(cert, [issuing])[-1] == root
    with pytest.raises(VerificationError):
        PolicyBuilder().store(store).build_server_verifier(x509.DNSName("other.test")).verify(cert, [issuing])

    assert _key_count(pki_ready) == keys_before  # the key is handed out, not kept
    with pki_ready.session() as s:
        audit_text = " ".join(str(row.__dict__) for row in s.scalars(select(AuditEntry)))
    assert "PRIVATE KEY" not in audit_text and issued.certificate.serial in audit_text
    assert "PRIVATE" not in repr(issued)


def test_server_certificate_refuses_bad_names_and_non_admins(
    pki_ready: Database, settings: Settings, signing_settings: SigningSettings
) -> None:
    kwargs = {"settings": settings, "signing_settings": signing_settings}
    with pytest.raises(ValidationFailed):
        service.issue_server_certificate(pki_ready, actor=SYSTEM, dns_names=[], ip_addresses=[], **kwargs)
    with pytest.raises(ValidationFailed):
        service.issue_server_certificate(
            pki_ready, actor=SYSTEM, dns_names=["bad_name!"], ip_addresses=[], **kwargs
        )
    with pytest.raises(ValidationFailed):
        service.issue_server_certificate(
            pki_ready, actor=SYSTEM, dns_names=[], ip_addresses=["300.1.1.1"], **kwargs
        )
    with pytest.raises(Forbidden):
        service.issue_server_certificate(
            pki_ready, actor=OPERATOR, dns_names=["localhost"], ip_addresses=[], **kwargs
        )


def test_device_certificate_with_handed_out_key_is_a_client_certificate(
    pki_ready: Database, settings: Settings, signing_settings: SigningSettings, tmp_path: Path
) -> None:
    keys_before = _key_count(pki_ready)
    issued = service.issue_device_certificate_with_key(
        pki_ready, actor=SYSTEM, device_id="SL-0001", settings=settings, signing_settings=signing_settings
    )
    cert = x509.load_pem_x509_certificate(issued.certificate_pem.encode())
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert cn == "SL-0001"
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert _openssl_verifies(pki_ready, issued.certificate_pem, tmp_path, purpose="sslclient")
    assert not _openssl_verifies(pki_ready, issued.certificate_pem, tmp_path, purpose="sslserver")
    assert _key_count(pki_ready) == keys_before


def _openssl_verifies(db: Database, cert_pem: str, folder: Path, *, purpose: str) -> bool:
    """`openssl verify -purpose` (what TLS peers such as Mosquitto apply) over the city chain."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    issuing, root = _chain(db)
    (folder / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (folder / "issuing.pem").write_bytes(issuing.public_bytes(serialization.Encoding.PEM))
    (folder / "leaf.pem").write_text(cert_pem)
    result = subprocess.run(
        [
            "openssl",
            "verify",
            "-purpose",
            purpose,
            "-CAfile",
            folder / "root.pem",
            "-untrusted",
            folder / "issuing.pem",
            folder / "leaf.pem",
        ],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


@pytest.fixture
def cli_env(db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI's settings point at the test database."""
    monkeypatch.setenv("SMARTCITY_DATABASE_URL", db.url)
    monkeypatch.setenv("SMARTCITY_SECRET_KEY", settings.resolved_secret_key)
    monkeypatch.setenv("SMARTCITY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SMARTCITY_SIGNING_ROOT_KEY_BITS", "2048")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_writes_server_and_device_material_with_private_keys_0600(cli_env: None, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["pki", "init"]).exit_code == 0
    cert, key = tmp_path / "server.crt", tmp_path / "server.key"
    result = runner.invoke(
        app,
        [
            "pki",
            "issue-server",
            "--dns",
            "localhost",
            "--ip",
            "127.0.0.1",
            "--out-cert",
            str(cert),
            "--out-key",
            str(key),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "PRIVATE KEY" not in result.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    loaded = serialization.load_pem_private_key(key.read_bytes(), password=None)
    assert x509.load_pem_x509_certificate(cert.read_bytes()).public_key() == loaded.public_key()

    device_cert, device_key = tmp_path / "d.crt", tmp_path / "d.key"
    device_key.write_text("old")
    device_key.chmod(0o644)
    result = runner.invoke(
        app,
        ["pki", "issue", "--device", "AQ-7", "--out-cert", str(device_cert), "--out-key", str(device_key)],
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(device_key.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in device_key.read_bytes()
    result = runner.invoke(app, ["pki", "issue", "--device", "AQ-8", "--out-key", str(device_key)])
    assert result.exit_code == 2
    result = runner.invoke(app, ["pki", "issue-server", "--out-cert", str(cert), "--out-key", str(key)])
    assert result.exit_code == 2  # no name: a validation error
