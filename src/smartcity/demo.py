"""The all-in-one demo: migrate the embedded database, load the city pack, make sure an admin exists."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.migrate import upgrade
from smartcity.core.security import Actor
from smartcity.domains import register_handlers

DEMO_ADMIN = "admin"


@dataclass(frozen=True)
class DemoLogin:
    """The administrator login printed by `smartcity demo`."""

    username: str
    password: str


def demo_admin_password(data_dir: Path) -> str:
    """The demo admin's password: generated on first run and kept (mode 600) in the data directory."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "demo-admin-password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


def prepare_demo(settings: Settings, *, console: Console | None = None) -> DemoLogin:
    """Migrate, load the city pack and create the admin; safe to run again."""
    from smartcity.accounts.service import ensure_admin
    from smartcity.city.loader import load_city_pack

    console = console or Console()
    register_handlers()
    db = Database(settings.resolved_database_url, dispatch_inline=True)
    try:
        console.print("Migrating the database…")
        upgrade(db)
        console.print(f"Loading the city pack [bold]{settings.city}[/bold]…")
        load_city_pack(db, pack=settings.city, actor=Actor.system("demo"))
        password = demo_admin_password(settings.data_dir)
        ensure_admin(db, username=DEMO_ADMIN, password=password)
    finally:
        db.dispose()
    return DemoLogin(DEMO_ADMIN, password)
