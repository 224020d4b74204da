"""Secret settings read from files as well as from the environment, and refused when others can read them.

A setting marked with `secret_field` (the secret key, the audit key, database and broker passwords, SMTP
password, the PIN of a hardware token, ...) is looked for, after the environment variable itself, in:

1. the file named by `<VARIABLE>_FILE` (the Docker / Kubernetes secrets convention),
   e.g. `SMARTCITY_SECRET_KEY_FILE=/run/secrets/smartcity_secret_key`;
2. the systemd credential `<variable in lower case>` in `$CREDENTIALS_DIRECTORY`
   (`LoadCredential=smartcity_secret_key:/etc/smartcity/credentials/smartcity_secret_key`).

A value given in two places (the variable and a file) is refused: nobody should have to guess which one
won. A secret file must be owner-only (the rule libpq applies to its private key): mode 0600 or stricter
when this process's user owns it, 0640 or stricter when root owns it (a root-managed file shared with
the service's group, as Kubernetes' fsGroup and systemd's credentials give); any other file is refused
with a message that says what to change.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

CREDENTIALS_DIRECTORY = "CREDENTIALS_DIRECTORY"
FILE_SUFFIX = "_FILE"
_SECRET_MARK = "secret"  # noqa: S105  (the name of a schema mark)


class ConfigurationError(RuntimeError):
    """The settings cannot be used as given; the message says what to change (a process refuses to start)."""


def secret_field(default: Any = None, **kwargs: Any) -> Any:
    """A `Field` for a secret: also read from `<VARIABLE>_FILE` or a systemd credential, never logged."""
    return Field(default, json_schema_extra={_SECRET_MARK: True}, **kwargs)


def is_secret(field: FieldInfo) -> bool:
    """True when the field was declared with `secret_field`."""
    extra = field.json_schema_extra
    return isinstance(extra, dict) and bool(extra.get(_SECRET_MARK))


def variable_name(settings_cls: type[BaseSettings], name: str, field: FieldInfo) -> str:
    """The environment variable of a field: its alias, else the class's prefix and its name (upper case)."""
    if isinstance(field.alias, str):
        return field.alias.upper()
    prefix = settings_cls.model_config.get("env_prefix") or ""
    return f"{prefix}{name}".upper()


def secret_variables(settings_cls: type[BaseSettings]) -> dict[str, str]:
    """Field name → environment variable, for every secret field of a settings class."""
    return {
        name: variable_name(settings_cls, name, field)
        for name, field in settings_cls.model_fields.items()
        if is_secret(field)
    }


def permission_problem(mode: int, owner: int, me: int) -> str | None:
    """Why a file with this mode and owner may not hold a secret of a process run by `me`, or None."""
    if owner == me:
        if mode & 0o077:
            mode_text = f"{stat.S_IMODE(mode):04o}"
            return f"can be read or written by other users (mode {mode_text}); it must be 0600 or 0400"
        return None
    if owner == 0:
        if mode & 0o037:
            return (
                f"is owned by root with mode {stat.S_IMODE(mode):04o}; "
                "a root-owned secret may at most be readable by its group (0640)"
            )
        return None
    return f"is owned by user id {owner}, neither this process's user ({me}) nor root"


def read_secret_file(path: Path, origin: str) -> str:
    """The text of a secret file (without its final line break), refusing a file others can read."""
    try:
        info = path.stat()
    except OSError as exc:
        raise ConfigurationError(f"{origin}: cannot read secret file {path}: {exc.strerror}") from None
    problem = permission_problem(info.st_mode, info.st_uid, os.geteuid())
    if problem:
        raise ConfigurationError(
            f"{origin}: the secret file {path} {problem}. Make it owner-only, e.g. "
            f"`chmod 600 {path}` (Kubernetes: defaultMode 0400; Docker: the secret's mode 0400)."
        )
    value = path.read_text(encoding="utf-8").rstrip("\r\n")
    if not value:
        raise ConfigurationError(f"{origin}: the secret file {path} is empty")
    return value


def read_secret(variable: str, environ: dict[str, str] | None = None) -> str | None:
    """A secret's value from `<variable>_FILE` or the systemd credential of that name, or None.

    Refuses a secret given twice (the variable and a file, or a file and a credential)."""
    env = {key.upper(): value for key, value in (environ if environ is not None else os.environ).items()}
    file_variable = variable + FILE_SUFFIX
    credential = _credential_path(variable, env)
    if file_variable in env:
        if variable in env:
            raise ConfigurationError(f"{variable} and {file_variable} are both set: keep one of them")
        if credential is not None:
            raise ConfigurationError(
                f"{file_variable} is set and the systemd credential {credential} exists: keep one of them"
            )
        return read_secret_file(Path(env[file_variable]), file_variable)
    if credential is None:
        return None
    if variable in env:
        raise ConfigurationError(
            f"{variable} is set and the systemd credential {credential} exists: keep one"
        )
    return read_secret_file(credential, f"systemd credential {credential.name}")


def _credential_path(variable: str, env: dict[str, str]) -> Path | None:
    directory = env.get(CREDENTIALS_DIRECTORY)
    if not directory:
        return None
    path = Path(directory) / variable.lower()
    return path if path.exists() else None


class SecretFiles(PydanticBaseSettingsSource):
    """Settings source: a class's secret fields found in `<VARIABLE>_FILE` files or systemd credentials."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """The secret's value (None when no file gives it), its key and whether it is complex (never)."""
        if not is_secret(field):
            return None, field_name, False
        value = read_secret(variable_name(self.settings_cls, field_name, field))
        return value, field.alias or field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field_name, field in self.settings_cls.model_fields.items():
            value, key, _complex = self.get_field_value(field, field_name)
            if value is not None:
                values[key] = value
        return values


class SettingsWithSecretFiles(BaseSettings):
    """Base of every settings class that holds a secret: its secret fields may come from files too.

    Order of precedence: values given in code, the environment variable, its `_FILE` or credential,
    the .env file, the default."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Insert the secret files between the environment and the .env file."""
        return init_settings, env_settings, SecretFiles(settings_cls), dotenv_settings, file_secret_settings
