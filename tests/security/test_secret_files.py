"""V13.3: every secret setting may come from a file (`<VARIABLE>_FILE`, systemd credentials), never from a
file other users can read, and the deploy units hand the secrets over as systemd credentials."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from smartcity.core.config import Settings
from smartcity.core.crypto import KeyRing, save_key_ring
from smartcity.core.secret_files import (
    ConfigurationError,
    SettingsWithSecretFiles,
    is_secret,
    permission_problem,
    read_secret,
    secret_variables,
)
from smartcity.domains import DOMAINS
from smartcity.iot.config import IotSettings
from smartcity.notifications.config import NotificationSettings
from smartcity.signing.config import SigningSettings

REPO = Path(__file__).resolve().parents[2]
SECRET_CLASSES: list[type[BaseSettings]] = [Settings, IotSettings, NotificationSettings, SigningSettings]
SECRET_FIELDS = [(cls, name, var) for cls in SECRET_CLASSES for name, var in secret_variables(cls).items()]
LOOKS_SECRET = re.compile(r"password|secret|(^|_)pin$|(^|_)key(_text)?$|api_key|credential|_token$")


def _settings_classes() -> list[type[BaseSettings]]:
    """Every settings class of core, web and the domains' config modules."""
    modules = ["smartcity.core.config", "smartcity.web.ratelimit"]
    modules += [f"smartcity.{domain}.config" for domain in DOMAINS]
    found: list[type[BaseSettings]] = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, BaseSettings) and value.__module__ == name
        ]
    return found


def _private_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text + "\n")
    path.chmod(mode)
    return path


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No secret of the outer environment (nor a .env file) leaks into the test."""
    for variable in list(os.environ):
        if variable.upper().startswith("SMARTCITY_") or variable.upper() == "CREDENTIALS_DIRECTORY":
            monkeypatch.delenv(variable)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_every_setting_that_looks_secret_is_declared_secret() -> None:
    classes = _settings_classes()
    assert Settings in classes and NotificationSettings in classes and len(classes) >= 15
    undeclared = [
        f"{cls.__name__}.{name}"
        for cls in classes
        for name, field in cls.model_fields.items()
        if LOOKS_SECRET.search(name) and not is_secret(field)
    ]
    assert undeclared == []
    holders = {cls for cls in classes if any(is_secret(f) for f in cls.model_fields.values())}
    assert holders == set(SECRET_CLASSES)
    assert all(issubclass(cls, SettingsWithSecretFiles) for cls in holders)
    names = {var for _cls, _name, var in SECRET_FIELDS}
    every_variable = {
        (cls.model_config.get("env_prefix") or "").upper() + name.upper()
        for cls in classes
        for name in cls.model_fields
    }
    assert not {name + "_FILE" for name in names} & every_variable  # no <secret>_FILE is a setting of its own
    assert {
        "SMARTCITY_SECRET_KEY",
        "SMARTCITY_AUDIT_KEY",
        "SMARTCITY_DATABASE_URL",
        "SMARTCITY_DATABASE_PASSWORD",
        "SMARTCITY_MQTT_URL",
        "SMARTCITY_MQTT_PASSWORD",
        "SMARTCITY_NOTIFICATIONS_SMTP_PASSWORD",
        "SMARTCITY_PKCS11_USER_PIN",
    } <= names


@pytest.mark.parametrize(("cls", "name", "variable"), SECRET_FIELDS, ids=[v for _c, _n, v in SECRET_FIELDS])
def test_each_secret_is_read_from_its_file_variable(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, cls: type[BaseSettings], name: str, variable: str
) -> None:
    value = "postgresql://u:from-file@127.0.0.1/db" if name == "database_url" else f"s3cret-{name}"
    if name == "mqtt_url":
        value = "mqtt://u:from-file@127.0.0.1:1883"
    clean_env.setenv(variable + "_FILE", str(_private_file(tmp_path / "secret", value)))
    assert getattr(cls(), name) == value


@pytest.mark.parametrize(("cls", "name", "variable"), SECRET_FIELDS, ids=[v for _c, _n, v in SECRET_FIELDS])
def test_each_secret_is_read_from_a_systemd_credential(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, cls: type[BaseSettings], name: str, variable: str
) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir(mode=0o700)
    value = "mqtt://u:cred@127.0.0.1:1883" if name == "mqtt_url" else f"cred-{name}"
    _private_file(credentials / variable.lower(), value, mode=0o400)
    clean_env.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    assert getattr(cls(), name) == value


def test_the_environment_variable_alone_still_works_and_files_do_not_override_code(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("SMARTCITY_SECRET_KEY", "from-the-environment")
    assert Settings().secret_key == "from-the-environment"
    clean_env.delenv("SMARTCITY_SECRET_KEY")
    clean_env.setenv("SMARTCITY_SECRET_KEY_FILE", str(_private_file(tmp_path / "k", "from-file")))
    assert Settings(secret_key="given-in-code").secret_key == "given-in-code"


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o640, 0o660, 0o666])
def test_a_secret_file_other_users_can_read_is_refused(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, mode: int
) -> None:
    path = _private_file(tmp_path / "secret_key", "x" * 40, mode=mode)
    clean_env.setenv("SMARTCITY_SECRET_KEY_FILE", str(path))
    with pytest.raises(ConfigurationError) as refused:
        Settings()
    message = str(refused.value)
    assert "SMARTCITY_SECRET_KEY_FILE" in message and str(path) in message
    assert f"{mode:04o}" in message and "chmod 600" in message


def test_the_owner_rule_is_libpqs_private_key_rule() -> None:
    me, someone = 1000, 1001
    assert permission_problem(0o100600, me, me) is None
    assert permission_problem(0o100400, me, me) is None
    assert "0640" in str(permission_problem(0o100640, me, me))
    assert permission_problem(0o100640, 0, me) is None  # root's file shared with the service's group
    assert permission_problem(0o100440, 0, me) is None
    assert "0644" in str(permission_problem(0o100644, 0, me))
    assert "0660" in str(permission_problem(0o100660, 0, me))
    assert "user id 1001" in str(permission_problem(0o100600, someone, me))


def test_a_secret_given_twice_is_refused(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = _private_file(tmp_path / "secret", "from-file")
    env = {"SMARTCITY_SECRET_KEY": "from-env", "SMARTCITY_SECRET_KEY_FILE": str(path)}
    with pytest.raises(ConfigurationError, match="both set"):
        read_secret("SMARTCITY_SECRET_KEY", env)
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    _private_file(credentials / "smartcity_secret_key", "from-credential")
    with pytest.raises(ConfigurationError, match="keep one"):
        read_secret(
            "SMARTCITY_SECRET_KEY", {"SMARTCITY_SECRET_KEY": "x", "CREDENTIALS_DIRECTORY": str(credentials)}
        )
    both = {"SMARTCITY_SECRET_KEY_FILE": str(path), "CREDENTIALS_DIRECTORY": str(credentials)}
    with pytest.raises(ConfigurationError, match="keep one"):
        read_secret("SMARTCITY_SECRET_KEY", both)
    assert (
        read_secret("SMARTCITY_SECRET_KEY", {"CREDENTIALS_DIRECTORY": str(credentials)}) == "from-credential"
    )


def test_a_missing_or_empty_secret_file_is_refused(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("SMARTCITY_MQTT_PASSWORD_FILE", str(tmp_path / "absent"))
    with pytest.raises(ConfigurationError, match="SMARTCITY_MQTT_PASSWORD_FILE: cannot read secret file"):
        IotSettings()
    clean_env.setenv("SMARTCITY_MQTT_PASSWORD_FILE", str(_private_file(tmp_path / "empty", "")))
    with pytest.raises(ConfigurationError, match="is empty"):
        IotSettings()


def test_a_database_password_from_a_file_reaches_the_url(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("SMARTCITY_DATABASE_URL", "postgresql://smartcity@127.0.0.1:5432/smartcity")
    clean_env.setenv("SMARTCITY_DATABASE_PASSWORD_FILE", str(_private_file(tmp_path / "pw", "p@ss:w/rd")))
    assert (
        Settings().resolved_database_url
        == "postgresql+psycopg://smartcity:p%40ss%3Aw%2Frd@127.0.0.1:5432/smartcity"
    )


def test_the_key_ring_and_the_generated_secret_key_must_be_owner_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    generated = settings.resolved_secret_key
    (tmp_path / "var" / "secret_key").chmod(0o644)
    with pytest.raises(ConfigurationError, match="the generated secret key"):
        _ = Settings(data_dir=tmp_path / "var").resolved_secret_key
    (tmp_path / "var" / "secret_key").chmod(0o600)
    assert Settings(data_dir=tmp_path / "var").resolved_secret_key == generated
    ring_file = tmp_path / "ring.json"
    save_key_ring(KeyRing(generated).with_new_primary(), ring_file)
    keyed = Settings(data_dir=tmp_path / "var", personal_keys_file=ring_file)
    assert len(keyed.personal_keys.keys) >= 1
    ring_file.chmod(0o644)
    with pytest.raises(ConfigurationError, match="key ring"):
        _ = Settings(data_dir=tmp_path / "var", personal_keys_file=ring_file).personal_keys


def test_the_command_line_refuses_a_readable_secret_with_its_message(tmp_path: Path) -> None:
    path = _private_file(tmp_path / "secret_key", "x" * 40, mode=0o644)
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SMARTCITY_")}
    env.update(SMARTCITY_SECRET_KEY_FILE=str(path), SMARTCITY_DATA_DIR=str(tmp_path / "var"))
    env["PYTHONPATH"] = str(REPO / "src")
    done = subprocess.run(
        [sys.executable, "-m", "smartcity", "audit", "verify"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "SMARTCITY_SECRET_KEY_FILE" in done.stderr and "chmod 600" in done.stderr
    assert "Traceback" not in done.stderr


def _unit(name: str) -> str:
    return (REPO / "deploy" / "systemd" / name).read_text()


@pytest.mark.parametrize(
    "unit", ["smartcity-web@.service", "smartcity-worker@.service", "smartcity-ingest@.service"]
)
def test_the_systemd_units_load_the_secrets_as_credentials(unit: str) -> None:
    text = _unit(unit)
    loaded = dict(re.findall(r"^LoadCredential=([a-z0-9_]+):(\S+)$", text, flags=re.MULTILINE))
    secret_names = {var.lower() for _c, _n, var in SECRET_FIELDS}
    assert {"smartcity_secret_key", "smartcity_database_password"} <= set(loaded)
    assert set(loaded) <= secret_names  # each is a name the platform looks for
    if "ingest" in unit:
        assert "smartcity_mqtt_password" in loaded
    example = (REPO / "deploy" / "smartcity.env.example").read_text()
    assert not re.search(r"^SMARTCITY_SECRET_KEY=", example, flags=re.MULTILINE)
    assert not re.search(r"^SMARTCITY_DATABASE_URL=\S*:[^@/]*@", example, flags=re.MULTILINE)  # no password


def test_the_container_definition_documents_the_file_variables() -> None:
    text = (REPO / "deploy" / "Containerfile").read_text()
    for variable in (
        "SMARTCITY_SECRET_KEY_FILE",
        "SMARTCITY_DATABASE_PASSWORD_FILE",
        "SMARTCITY_MQTT_PASSWORD_FILE",
    ):
        assert variable in text
