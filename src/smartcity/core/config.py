"""Settings read from the environment (prefix SMARTCITY_), the same for every process and command."""

from __future__ import annotations

import secrets
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, PrivateAttr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartcity.core.crypto import KeyRing, load_key_ring
from smartcity.core.secret_files import SettingsWithSecretFiles, read_secret_file, secret_field
from smartcity.core.transport import DatabaseTls, database_tls_problem, refuse_unless_secure

_DEV_SECRET_FILE = "secret_key"  # noqa: S105  (a file name, not a secret)
PERSONAL_KEYS_FILE = "personal_keys.json"

SectionT = TypeVar("SectionT", bound=BaseSettings)


class Settings(SettingsWithSecretFiles):
    """Every setting of the platform; read once per process from SMARTCITY_* variables.

    Secrets (`secret_field`) may also come from `<VARIABLE>_FILE` or a systemd credential (core.secret_files).
    """

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Where the embedded database and files live")
    database_url: str | None = secret_field(
        description="SQLAlchemy URL (may carry the password); default SQLite in data_dir"
    )
    database_password: str | None = secret_field(description="PostgreSQL password (overrides the URL's)")
    database_sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] | None = (
        Field(
            default=None,
            description="libpq sslmode for PostgreSQL (overrides the URL's); verify-full off-host",
        )
    )
    database_sslrootcert: Path | None = Field(
        default=None, description="CA file that signed the PostgreSQL server's certificate"
    )
    database_sslcert: Path | None = Field(default=None, description="Client certificate for PostgreSQL")
    database_sslkey: Path | None = Field(default=None, description="Private key of that client certificate")
    require_tls: bool | None = Field(
        default=None,
        description="Refuse to start when PostgreSQL or the broker is off this machine without verified TLS; "
        "unset: on in production (SMARTCITY_ENVIRONMENT), off elsewhere",
    )
    secret_key: str | None = secret_field(description="Signs sessions and tokens, keys encryption")
    mqtt_url: str = secret_field(
        "mqtt://127.0.0.1:1883", description="Broker URL, mqtt:// or mqtts:// (may carry a password)"
    )
    public_base_url: str = Field(default="http://127.0.0.1:8000", description="Public address for QR links")
    base_map_style_url: str | None = Field(default=None, description="MapLibre style URL of a base map")
    environment: Literal["production", "development", "demo", "test"] = Field(
        default="development",
        description="Where the platform runs; production turns on what a public service needs by default "
        "(TOTP for administrators). The container image and deploy/smartcity.env.example say production.",
    )
    city: str = "thu-dau-mot"
    default_locale: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    dispatch_inline: bool = Field(default=True, description="Dispatch outbox events right after commit")
    worker_in_process: bool = Field(default=False, description="Run the outbox relay inside the web process")
    access_token_minutes: int = 60
    login_max_failures: int = 5
    login_failure_window_minutes: int = 15
    login_lockout_seconds: int = 30
    afternoon_cutoff: time = time(15, 0)
    log_json: bool = True
    log_level: str = "INFO"
    require_services: bool = False
    audit_key_text: str | None = secret_field(
        alias="SMARTCITY_AUDIT_KEY", description="Key of the audit chain (else derived)"
    )
    personal_keys_file: Path | None = Field(
        default=None,
        description="Key ring of personal-data encryption (default: in data_dir; never backed up)",
    )
    secure_cookies: bool = Field(
        default=False,
        description="Secure cookie and HSTS: on wherever the site is served over TLS",
    )
    map_origins: list[str] = Field(
        default_factory=list,
        description="Other origins the base map loads tiles, glyphs or sprites from (allowed by the CSP)",
    )
    max_body_bytes: int = Field(default=1 << 20, ge=1024, description="Largest JSON or form body")
    max_upload_bytes: int = Field(default=25 << 20, ge=1024, description="Largest multipart (upload) body")
    max_json_depth: int = Field(
        default=32, ge=2, le=500, description="Deepest nesting of arrays/objects a JSON body may have"
    )
    body_limits: dict[str, int] = Field(
        default_factory=lambda: {"/ngsi-ld/": 2 << 20, "/fhir/": 8 << 20},
        description="Body limits by path prefix, overriding the two above",
    )

    _sections: dict[type[Any], Any] = PrivateAttr(default_factory=dict)
    _key_ring: tuple[Any, KeyRing] | None = PrivateAttr(default=None)

    def section(self, cls: type[SectionT]) -> SectionT:
        """A domain's section of the settings (its own `SMARTCITY_<DOMAIN>_*` variables), read once.

        Each domain keeps its section class in its config.py; tests put their own with `set_section`.
        """
        if cls not in self._sections:
            self._sections[cls] = cls()
        section: SectionT = self._sections[cls]
        return section

    def set_section(self, section: BaseSettings) -> Settings:
        """Use `section` as this object's section of its class (tests, the demo); returns self."""
        self._sections[type(section)] = section
        return self

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory; PostgreSQL's with the TLS
        settings and password. Where TLS is required, a remote server without verify-full is refused."""
        if self.database_url:
            url = self.database_tls.apply(normalise_database_url(self.database_url))
            problem = database_tls_problem(url)
            refuse_unless_secure(problem, required=self.tls_required, environment=self.environment)
            return url
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = (self.data_dir / "smartcity.db").resolve()
        # Owner-only: SQLite gives its -wal and -shm files the database file's permissions.
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
        return f"sqlite:///{path}"

    @property
    def tls_required(self) -> bool:
        """True when remote services need verified TLS: SMARTCITY_REQUIRE_TLS, else production or not."""
        return self.environment == "production" if self.require_tls is None else self.require_tls

    @property
    def database_tls(self) -> DatabaseTls:
        """The PostgreSQL TLS parameters and password given apart from the URL."""
        return DatabaseTls(
            sslmode=self.database_sslmode,
            sslrootcert=self.database_sslrootcert,
            sslcert=self.database_sslcert,
            sslkey=self.database_sslkey,
            password=self.database_password,
        )

    def public_url(self, request_base_url: str | None = None) -> str:
        """The platform's public address ending in '/': SMARTCITY_PUBLIC_BASE_URL when set (behind a proxy),
        else the address the request came to, else the default."""
        if "public_base_url" in self.model_fields_set or not request_base_url:
            return self.public_base_url.rstrip("/") + "/"
        return request_base_url.rstrip("/") + "/"

    @property
    def audit_key(self) -> bytes:
        """The key of the audit chain's HMAC: SMARTCITY_AUDIT_KEY, else derived from the secret key.
        Either way it lives outside the database."""
        if self.audit_key_text:
            return self.audit_key_text.encode()
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"smartcity audit chain v1")
        return kdf.derive(self.resolved_secret_key.encode())

    @property
    def resolved_personal_keys_file(self) -> Path:
        """Where the personal-data key ring is kept: SMARTCITY_PERSONAL_KEYS_FILE, else in data_dir."""
        return (self.personal_keys_file or self.data_dir / PERSONAL_KEYS_FILE).expanduser()

    @property
    def personal_keys(self) -> KeyRing:
        """The key ring that seals personal data; re-read when its file changes (a rotation under way)."""
        path, secret = self.resolved_personal_keys_file, self.resolved_secret_key
        try:
            stat = path.stat()
            version: Any = (path, secret, stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            version = (path, secret)
        if self._key_ring is None or self._key_ring[0] != version:
            self._key_ring = (version, load_key_ring(secret, path))
        return self._key_ring[1]

    @property
    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once and kept in the data directory."""
        if self.secret_key:
            return self.secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / _DEV_SECRET_FILE
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return read_secret_file(path, "the generated secret key").strip()


def normalise_database_url(url: str) -> str:
    """Map plain postgres URLs onto the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached); tests build their own Settings instead."""
    return Settings()


def section_of(cls: type[SectionT], settings: Settings | None = None) -> SectionT:
    """A domain's section: of `settings` when given (a request's, a test's), else of the process-wide ones."""
    return (settings or get_settings()).section(cls)
