"""An official's key on a PKCS#11 token: a real SoftHSM2 token, created for the test session in tmp."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pkcs11
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from smartcity.cli import app as cli_app
from smartcity.core.audit import AuditEntry
from smartcity.core.config import Settings, get_settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.signing import service
from smartcity.signing.config import SigningSettings, get_signing_settings
from smartcity.signing.errors import (
    CertificateNotUsable,
    PkiNotInitialised,
    TokenKeyMissing,
    TokenUnavailable,
)
from smartcity.signing.keys import Pkcs11SignerProvider
from smartcity.signing.models import SignedDocument, StoredKey
from smartcity.signing.token import open_session
from smartcity.web.deps import current_actor
from tests.conftest import service_missing
from tests.dossiers.conftest import city, people  # noqa: F401  (fixtures of the dossier flow)
from tests.dossiers.dossier_fixtures import People, local, submit_house
from tests.signing.conftest import SYSTEM, CityPki, make_pdf, sign
from tests.support import pdfsig_trusting

TOKEN_LABEL = "smartcity-test"
USER_PIN = "246810"
SO_PIN = "13579111"
MODULES = (
    Path("/usr/lib/softhsm/libsofthsm2.so"),
    Path("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"),
)
OFFICIAL = "chutich.binh"


@dataclass(frozen=True)
class SoftToken:
    """A SoftHSM2 token initialised for this test session."""

    module: Path
    label: str


@pytest.fixture(scope="session")
def soft_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftToken]:
    """A fresh SoftHSM2 token in a temporary directory (SOFTHSM2_CONF points at its configuration)."""
    util = shutil.which("softhsm2-util")
    module = next((m for m in MODULES if m.exists()), None)
    if util is None or module is None:
        service_missing("SoftHSM2 (Debian package softhsm2) is needed for the PKCS#11 tests")
    assert util is not None and module is not None
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(conf))
        subprocess.run(
            [util, "--init-token", "--free", "--label", TOKEN_LABEL, "--pin", USER_PIN, "--so-pin", SO_PIN],
            check=True,
            capture_output=True,
            env=os.environ.copy(),
        )
        yield SoftToken(module=module, label=TOKEN_LABEL)


@pytest.fixture
def signing_settings(soft_token: SoftToken) -> SigningSettings:
    """Signing settings of these tests: the session's token, its user PIN."""
    return SigningSettings(
        public_base_url="http://verify.test",
        signing_root_key_bits=2048,
        pkcs11_module=soft_token.module,
        pkcs11_token_label=soft_token.label,
        pkcs11_user_pin=USER_PIN,
    )


@pytest.fixture
def key_label() -> str:
    """A label of its own for each test (the token outlives each test's database)."""
    return f"official-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def token_pki(city_pki: CityPki, key_label: str) -> CityPki:
    """The city PKI plus an official whose certificate is for a key generated on the token."""
    issued = service.issue_official_certificate_on_token(
        city_pki.db,
        actor=SYSTEM,
        username=OFFICIAL,
        full_name="Trần Thị Bình",
        key_label=key_label,
        generate=True,
        settings=city_pki.settings,
        signing_settings=city_pki.signing,
    )
    city_pki.official_serial = issued.serial
    return city_pki


def _stored_documents(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(SignedDocument)) or 0


@pytest.mark.parametrize("level", ["B-T", "B-LT"])
def test_token_key_signs_and_independent_verifiers_accept(
    token_pki: CityPki, pdf: bytes, tmp_path: Path, level: str
) -> None:
    signed = sign(token_pki, pdf, signer_username=OFFICIAL, level=level)
    assert signed.certificate_serial == token_pki.official_serial
    report = service.verify_pdf(token_pki.db, signed.pdf, settings=token_pki.settings)
    assert report.all_hold, report
    signature = report.signatures[0]
    assert signature.level == level and signature.signer.serial == token_pki.official_serial
    output = pdfsig_trusting(service.root_certificate_pem(token_pki.db), signed.pdf, tmp_path)
    assert "Signature is Valid." in output and "Certificate is Trusted." in output, output
    assert "Trần Thị Bình" in output, output


def test_private_key_stays_on_the_token(token_pki: CityPki, key_label: str) -> None:
    with token_pki.db.session() as s:
        stored = s.scalars(select(StoredKey).where(StoredKey.key_label == key_label)).one()
        assert (stored.provider, stored.token_label, stored.sealed) == ("pkcs11", TOKEN_LABEL, None)
    with open_session(token_pki.signing) as session:
        private = session.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=key_label)
        A = pkcs11.Attribute
        assert private[A.SENSITIVE] and private[A.ALWAYS_SENSITIVE]
        assert not private[A.EXTRACTABLE] and private[A.NEVER_EXTRACTABLE]
        with pytest.raises(pkcs11.AttributeSensitive):
            _ = private[A.PRIVATE_EXPONENT]
        certificate = next(session.get_objects({A.CLASS: pkcs11.ObjectClass.CERTIFICATE, A.LABEL: key_label}))
        assert certificate[A.ID] == private.id
        assert certificate[A.SERIAL_NUMBER]  # the issued certificate was written beside the key
    with token_pki.db.session() as s:
        issued = s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_id == token_pki.official_serial,
                AuditEntry.action == "signing.certificate_issued",
            )
        ).one()
        assert issued.after["key_on_token"] == {"token": TOKEN_LABEL, "label": key_label}


def test_existing_token_key_is_used_by_label_and_reissued(
    token_pki: CityPki, key_label: str, pdf: bytes
) -> None:
    again = service.issue_official_certificate_on_token(
        token_pki.db,
        actor=SYSTEM,
        username=OFFICIAL,
        full_name="Trần Thị Bình",
        key_label=key_label,
        write_certificate=False,
        settings=token_pki.settings,
        signing_settings=token_pki.signing,
    )
    assert again.serial != token_pki.official_serial
    old = service.get_certificate(token_pki.db, token_pki.official_serial)
    assert (old.status, old.revocation_reason) == ("revoked", "superseded")
    with token_pki.db.session() as s:
        assert (
            s.scalar(select(func.count()).select_from(StoredKey).where(StoredKey.key_label == key_label)) == 1
        )
    signed = sign(token_pki, pdf, signer_username=OFFICIAL, level="B-T")
    assert signed.certificate_serial == again.serial
    assert service.verify_pdf(token_pki.db, signed.pdf, settings=token_pki.settings).all_hold


def test_revoked_token_certificate_cannot_sign(token_pki: CityPki, pdf: bytes) -> None:
    service.revoke_certificate(
        token_pki.db, actor=SYSTEM, serial=token_pki.official_serial, reason="key_compromise"
    )
    with pytest.raises(CertificateNotUsable):
        sign(token_pki, pdf, signer_username=OFFICIAL, level="B-T")
    assert _stored_documents(token_pki.db) == 0


def test_wrong_pin_is_a_clear_problem_and_nothing_is_stored(token_pki: CityPki, pdf: bytes) -> None:
    token_pki.signing = token_pki.signing.model_copy(update={"pkcs11_user_pin": "000000"})
    with pytest.raises(TokenUnavailable) as caught:
        sign(token_pki, pdf, signer_username=OFFICIAL, level="B-T")
    problem = caught.value.to_problem()
    assert problem["status"] == 503 and "refused the configured PIN" in problem["detail"]
    assert "000000" not in str(problem) and USER_PIN not in str(problem)
    assert _stored_documents(token_pki.db) == 0


def test_no_key_is_generated_before_the_city_pki_exists(
    db: Database, settings: Settings, signing_settings: SigningSettings, key_label: str
) -> None:
    with pytest.raises(PkiNotInitialised):
        service.issue_official_certificate_on_token(
            db,
            actor=SYSTEM,
            username=OFFICIAL,
            full_name="Trần Thị Bình",
            key_label=key_label,
            generate=True,
            settings=settings,
            signing_settings=signing_settings,
        )
    with open_session(signing_settings) as session, pytest.raises(pkcs11.NoSuchKey):
        session.get_key(label=key_label)


def test_missing_token_and_missing_key_are_clear_problems(
    token_pki: CityPki, pdf: bytes, settings: Settings
) -> None:
    elsewhere = token_pki.signing.model_copy(update={"pkcs11_token_label": "no-such-token"})
    with pytest.raises(TokenUnavailable, match="No token labelled 'no-such-token'"):
        service.issue_official_certificate_on_token(
            token_pki.db, actor=SYSTEM, username="x", full_name="X", generate=True, signing_settings=elsewhere
        )
    with pytest.raises(TokenKeyMissing, match="No RSA key pair labelled 'absent'") as caught:
        service.issue_official_certificate_on_token(
            token_pki.db,
            actor=SYSTEM,
            username="x",
            full_name="X",
            key_label="absent",
            signing_settings=token_pki.signing,
        )
    assert caught.value.status == 409
    unconfigured = token_pki.signing.model_copy(update={"pkcs11_module": None})
    token_pki.signing = unconfigured
    with pytest.raises(TokenUnavailable, match="SMARTCITY_PKCS11_MODULE"):
        sign(token_pki, pdf, signer_username=OFFICIAL, level="B-B")
    assert _stored_documents(token_pki.db) == 0


def test_key_gone_or_replaced_on_the_token_cannot_sign(
    token_pki: CityPki, key_label: str, pdf: bytes
) -> None:
    with open_session(token_pki.signing, read_write=True) as session:
        for object_class in (pkcs11.ObjectClass.PRIVATE_KEY, pkcs11.ObjectClass.PUBLIC_KEY):
            session.get_key(object_class=object_class, label=key_label).destroy()
    with pytest.raises(TokenKeyMissing, match=f"No RSA key pair labelled '{key_label}'"):
        sign(token_pki, pdf, signer_username=OFFICIAL, level="B-T")
    with open_session(token_pki.signing, read_write=True) as session:
        session.generate_keypair(pkcs11.KeyType.RSA, 2048, label=key_label, store=True)
    with pytest.raises(TokenKeyMissing, match="not the certificate's key"):
        sign(token_pki, pdf, signer_username=OFFICIAL, level="B-T")
    assert _stored_documents(token_pki.db) == 0


def test_the_token_session_is_closed_after_each_signature(token_pki: CityPki, key_label: str) -> None:
    with token_pki.db.session() as s:
        stored = s.scalars(select(StoredKey).where(StoredKey.key_label == key_label)).one()
        s.expunge(stored)
    cert = x509.load_pem_x509_certificate(
        service.certificate_pem(token_pki.db, token_pki.official_serial).encode()
    )
    with Pkcs11SignerProvider(token_pki.signing).signing(stored, cert, []) as signer:
        signature = asyncio.run(signer.async_sign_raw(b"du lieu", "sha256"))
    public_key = cert.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(signature, b"du lieu", padding.PKCS1v15(), hashes.SHA256())  # made by the token key
    with pytest.raises(pkcs11.SessionHandleInvalid):  # the session the signer used is closed
        asyncio.run(signer.async_sign_raw(b"du lieu", "sha256"))


def test_concurrent_signatures_share_the_token(token_pki: CityPki, pdf: bytes) -> None:
    # PKCS#11 login state is per process and a closing session logs every session out: token use is
    # serialised, so simultaneous signatures (API threads, the worker's handlers) all succeed.
    documents = [make_pdf(f"Văn bản số {n}") for n in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        signed = list(
            pool.map(lambda doc: sign(token_pki, doc, signer_username=OFFICIAL, level="B-B"), documents)
        )
    for result in signed:
        assert service.verify_pdf(token_pki.db, result.pdf, settings=token_pki.settings).all_hold
    assert _stored_documents(token_pki.db) == len(documents)


@pytest.fixture
def token_env(
    city_pki: CityPki, settings: Settings, soft_token: SoftToken, monkeypatch: pytest.MonkeyPatch
) -> Iterator[pytest.MonkeyPatch]:
    """The environment of a server or CLI whose configured token is the session's SoftHSM2 token."""
    for name, value in {
        "SMARTCITY_DATABASE_URL": city_pki.db.url,
        "SMARTCITY_SECRET_KEY": settings.resolved_secret_key,
        "SMARTCITY_DATA_DIR": str(settings.data_dir),
        "SMARTCITY_PKCS11_MODULE": str(soft_token.module),
        "SMARTCITY_PKCS11_TOKEN_LABEL": soft_token.label,
        "SMARTCITY_PKCS11_USER_PIN": USER_PIN,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _wrong_pin(env: pytest.MonkeyPatch) -> None:
    env.setenv("SMARTCITY_PKCS11_USER_PIN", "999999")
    get_settings.cache_clear()


def _audit_text(db: Database) -> str:
    with db.session() as s:
        return " ".join(f"{row.before} {row.after}" for row in s.scalars(select(AuditEntry)))


def test_cli_issues_on_the_token_and_signs_with_it(
    token_env: pytest.MonkeyPatch, city_pki: CityPki, key_label: str, tmp_path: Path, pdf: bytes
) -> None:
    runner = CliRunner()
    issued = runner.invoke(
        cli_app,
        [
            "pki",
            "issue",
            "--user",
            OFFICIAL,
            "--name",
            "Trần Thị Bình",
            "--pkcs11",
            "--generate",
            "--key-label",
            key_label,
        ],
    )
    assert issued.exit_code == 0, issued.output
    assert "stays on the token" in issued.output and USER_PIN not in issued.output
    source, target = tmp_path / "in.pdf", tmp_path / "out.pdf"
    source.write_bytes(pdf)
    signed = runner.invoke(
        cli_app, ["pki", "sign", str(source), str(target), "--as", OFFICIAL, "--level", "B-LT"]
    )
    assert signed.exit_code == 0, signed.output
    verified = runner.invoke(cli_app, ["pki", "verify", str(target)])
    assert verified.exit_code == 0 and "HOLDS" in verified.output, verified.output
    _wrong_pin(token_env)
    refused = runner.invoke(cli_app, ["pki", "sign", str(source), str(tmp_path / "no.pdf"), "--as", OFFICIAL])
    assert refused.exit_code == 1 and "refused the configured PIN" in refused.output, refused.output
    assert "999999" not in refused.output and not (tmp_path / "no.pdf").exists()
    assert USER_PIN not in _audit_text(city_pki.db)
    misuse = runner.invoke(cli_app, ["pki", "issue", "--org", "W-X", "--pkcs11"])
    assert misuse.exit_code == 2


def test_api_issues_on_the_servers_token_and_signs(
    token_env: pytest.MonkeyPatch,
    city_pki: CityPki,
    key_label: str,
    app,
    client: TestClient,
    pdf: bytes,  # type: ignore[no-untyped-def]
) -> None:
    app.dependency_overrides[current_actor] = lambda: SYSTEM
    body = {
        "username": OFFICIAL,
        "full_name": "Trần Thị Bình",
        "key_on_token": True,
        "generate_key": True,
        "key_label": key_label,
    }
    created = client.post("/api/v1/signing/certificates/officials", json=body)
    assert created.status_code == 201, created.text
    assert USER_PIN not in created.text
    stray = client.post("/api/v1/signing/certificates/officials", json={**body, "key_on_token": False})
    assert stray.status_code == 422
    again = client.post("/api/v1/signing/certificates/officials", json=body)
    assert again.status_code == 409 and "already on the token" in again.json()["detail"]
    official = Actor(kind="user", name=OFFICIAL, user_id=7, roles=frozenset())
    app.dependency_overrides[current_actor] = lambda: official
    files = {"file": ("in.pdf", pdf, "application/pdf")}
    signed = client.post("/api/v1/signing/sign", files=files, data={"level": "B-T"})
    assert signed.status_code == 200, signed.text
    assert service.verify_pdf(city_pki.db, signed.content, settings=city_pki.settings).all_hold
    _wrong_pin(token_env)
    refused = client.post("/api/v1/signing/sign", files=files, data={"level": "B-T"})
    assert refused.status_code == 503 and refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/signing-token-unavailable") and "999999" not in refused.text
    assert _stored_documents(city_pki.db) == 1
    assert USER_PIN not in _audit_text(city_pki.db)


def _decide_house_number(db: Database, settings: Settings, staff: People) -> str:
    """A house-number dossier taken to the leader's decision; the result is then signed by a handler."""
    from smartcity.dossiers import service as dossiers

    when = local(2025, 3, 3, 9, 0)
    code = submit_house(db, settings, staff, now=when).code
    steps = [
        (staff.clerk, "receive", None),
        (staff.head, "assign", {"assignee": "spec1"}),
        (staff.specialist, "process", {"result": {"house_number": "15A", "side": "odd_left"}}),
        (staff.head, "review", None),
        (staff.leader, "decide", None),
    ]
    for actor, action, payload in steps:
        dossiers.act(db, actor=actor, settings=settings, code=code, action=action, payload=payload, now=when)
    return code


@pytest.mark.parametrize("pin", [USER_PIN, "111111"], ids=["right-pin", "wrong-pin"])
def test_dossier_result_is_signed_on_the_leaders_token(
    token_env: pytest.MonkeyPatch,
    city_pki: CityPki,
    people: People,  # noqa: F811
    key_label: str,
    pin: str,
) -> None:
    from smartcity.dossiers import signed_results

    service.issue_official_certificate_on_token(
        city_pki.db,
        actor=SYSTEM,
        username="leader1",
        full_name="Nguyễn Văn Lãnh Đạo",
        key_label=key_label,
        generate=True,
        signing_settings=get_signing_settings(),
    )
    service.issue_organisation_certificate(
        city_pki.db,
        actor=SYSTEM,
        org_unit_code="UBND-TDM",
        name="UBND thành phố Thủ Dầu Một",
        settings=city_pki.settings,
        signing_settings=city_pki.signing,
    )
    token_env.setenv("SMARTCITY_PKCS11_USER_PIN", pin)
    token_env.setenv("SMARTCITY_PUBLIC_BASE_URL", "http://verify.test")
    get_settings.cache_clear()
    code = _decide_house_number(city_pki.db, city_pki.settings, people)
    status = signed_results.signature_status(city_pki.db, code)
    if pin != USER_PIN:
        assert status["status"] == "unsigned" and "refused the configured PIN" in status["reason"], status
        assert _stored_documents(city_pki.db) == 0  # neither the leader's signature nor the seal
        return
    assert status["status"] == "signed", status
    signed = service.signed_document_pdf(city_pki.db, status["document_id"])
    report = service.verify_pdf(city_pki.db, signed, settings=city_pki.settings)
    assert report.all_hold and [sig.signer.common_name for sig in report.signatures] == [
        "Nguyễn Văn Lãnh Đạo",
        "UBND thành phố Thủ Dầu Một",
    ]
