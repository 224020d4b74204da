"""`smartcity pki ...` end to end: init, issue, export-root, sign, verify (exit codes), revoke."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from typer.testing import CliRunner

from smartcity.cli import app
from smartcity.core.config import Settings, get_settings
from smartcity.core.db import Database

runner = CliRunner()


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


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["pki", *args])
    return result.exit_code, result.output


def test_pki_cli_end_to_end(cli_env: None, tmp_path: Path, pdf: bytes) -> None:
    assert _run("init")[0] == 0
    assert _run("init")[0] == 1  # already initialised
    code, output = _run("issue", "--user", "leader.an", "--name", "Nguyễn Văn An")
    assert code == 0, output
    serial = output.split("certificate ")[1].split()[0]
    root = tmp_path / "root.pem"
    assert _run("export-root", str(root))[0] == 0
    assert (
        x509.load_pem_x509_certificate(root.read_bytes()).subject
        == x509.load_pem_x509_certificate(root.read_bytes()).issuer
    )
    source, target = tmp_path / "in.pdf", tmp_path / "out.pdf"
    source.write_bytes(pdf)
    code, output = _run("sign", str(source), str(target), "--as", "leader.an", "--level", "B-LT")
    assert code == 0, output
    code, output = _run("verify", str(target))
    assert code == 0 and "HOLDS" in output, output
    assert _run("verify", str(source))[0] == 1  # no signature
    altered = bytearray(target.read_bytes())
    altered[12] ^= 1  # inside the binary comment of line 2: covered by every signature
    (tmp_path / "altered.pdf").write_bytes(bytes(altered))
    code, output = _run("verify", str(tmp_path / "altered.pdf"))
    assert code == 1 and "DOES NOT HOLD" in output
    (tmp_path / "bad.pdf").write_bytes(b"nope")
    assert _run("verify", str(tmp_path / "bad.pdf"))[0] == 2
    assert _run("revoke", serial, "--reason", "key_compromise")[0] == 0
    code, output = _run("sign", str(source), str(tmp_path / "late.pdf"), "--as", "leader.an")
    assert code == 1 and "revoked" in output
