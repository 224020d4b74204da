"""TLS between the platform and the services it talks to (PostgreSQL, the MQTT broker).

A service on this machine (loopback, a Unix socket) may be reached in clear. A service elsewhere must be
reached over TLS that checks the server's certificate and name: PostgreSQL with `sslmode=verify-full`,
the broker with an mqtts:// URL and a CA file. Where that is required (`Settings.tls_required`: production
unless SMARTCITY_REQUIRE_TLS says otherwise), a process given anything less refuses to start.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from smartcity.core.secret_files import ConfigurationError

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
VERIFIED_MODE = "verify-full"


def is_local_host(host: str | None) -> bool:
    """True for a loopback address, a localhost name or a Unix socket (no host, or a directory path)."""
    if not host or host.startswith("/"):
        return True
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class DatabaseTls:
    """TLS parameters and password for PostgreSQL, put into the URL's query (libpq's names)."""

    sslmode: str | None = None
    sslrootcert: Path | None = None
    sslcert: Path | None = None
    sslkey: Path | None = None
    password: str | None = None

    def apply(self, url: str) -> str:
        """The URL with these parameters (they override the URL's own); unchanged for SQLite or when unset."""
        parsed = make_url(url)
        if not parsed.drivername.startswith("postgresql"):
            return url
        query = {
            name: str(value)
            for name, value in (
                ("sslmode", self.sslmode),
                ("sslrootcert", self.sslrootcert),
                ("sslcert", self.sslcert),
                ("sslkey", self.sslkey),
            )
            if value is not None
        }
        if not query and self.password is None:
            return url
        if query:
            parsed = parsed.update_query_dict(query)
        if self.password is not None:
            parsed = parsed.set(password=self.password)
        return parsed.render_as_string(hide_password=False)


def database_hosts(url: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """The hosts a PostgreSQL URL connects to (the URL's, its `host` query, else PGHOST); none for SQLite."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return []
    env = os.environ if environ is None else environ
    named = parsed.query.get("host")
    query_hosts = [named] if isinstance(named, str) else list(named or ())
    hosts = [parsed.host] if parsed.host else query_hosts or [env.get("PGHOST", "")]
    return [h for entry in hosts for h in entry.split(",")]


def database_tls_problem(url: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Why connecting to this database is not verified TLS to a remote host, or None (local, or verified)."""
    env = os.environ if environ is None else environ
    remote = [host for host in database_hosts(url, env) if not is_local_host(host)]
    if not remote:
        return None
    mode = make_url(url).query.get("sslmode") or env.get("PGSSLMODE") or "prefer"
    if mode == VERIFIED_MODE:
        return None
    return (
        f"the database server {', '.join(remote)} is not on this machine and the connection does not verify "
        f"its certificate and name (sslmode={mode}). Set SMARTCITY_DATABASE_SSLMODE=verify-full and "
        "SMARTCITY_DATABASE_SSLROOTCERT=<the CA file that signed the server's certificate>"
    )


def broker_tls_problem(host: str, *, verified_tls: bool) -> str | None:
    """Why connecting to this broker is not verified TLS to a remote host, or None (local, or verified)."""
    if verified_tls or is_local_host(host):
        return None
    return (
        f"the MQTT broker {host} is not on this machine and is reached without TLS. Use an mqtts:// URL in "
        "SMARTCITY_MQTT_URL and SMARTCITY_MQTT_CA_FILE=<the CA file that signed the broker's certificate>"
    )


def refuse_unless_secure(problem: str | None, *, required: bool, environment: str) -> None:
    """Raise ConfigurationError for `problem` when TLS is `required` (`Settings.tls_required`)."""
    if problem and required:
        raise ConfigurationError(
            f"Refusing to start: {problem}. (SMARTCITY_ENVIRONMENT={environment}; "
            "SMARTCITY_REQUIRE_TLS=false turns this check off, e.g. on a private network you trust.)"
        )
