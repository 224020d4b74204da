"""The all-in-one demo: migrate the embedded database, load the city pack, make sure an admin exists."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import httpx
from rich.console import Console

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.demo import demo_admin_password
from smartcity.core.migrate import upgrade
from smartcity.core.security import Actor
from smartcity.domains import collect, register_handlers

DEMO_ADMIN = "admin"


@dataclass(frozen=True)
class DemoLogin:
    """The administrator login printed by `smartcity demo`."""

    username: str
    password: str


def load_domain_demos(db: Database, *, settings: Settings, console: Console) -> None:
    """Run every domain's idempotent `demo.load_demo`, in the order of the domain list."""
    actor = Actor.system("demo")
    for domain, load_demo in collect("demo", "load_demo"):
        started = time.perf_counter()
        with console.status(f"Demo data: {domain}…"):
            summary = load_demo(db, settings=settings, actor=actor)
        console.print(f"  {domain}: {summary} ({time.perf_counter() - started:.1f} s)")


def prepare_demo(settings: Settings, *, console: Console | None = None) -> DemoLogin:
    """Migrate, load the city pack and create the admin; safe to run again."""
    from smartcity.accounts.service import ensure_admin
    from smartcity.city.loader import load_city_pack
    from smartcity.core.audit import anchor_audit_chain

    console = console or Console()
    register_handlers()
    db = Database(settings.resolved_database_url, dispatch_inline=True, settings=settings)
    try:
        console.print("Migrating the database…")
        upgrade(db)
        console.print(f"Loading the city pack [bold]{settings.city}[/bold]…")
        load_city_pack(db, pack=settings.city, actor=Actor.system("demo"))
        password = demo_admin_password(settings.data_dir)
        ensure_admin(db, username=DEMO_ADMIN, password=password)
        load_domain_demos(db, settings=settings, console=console)
        anchor_audit_chain(db)  # `smartcity audit verify` holds the demo's chain against this anchor
    finally:
        db.dispose()
    return DemoLogin(DEMO_ADMIN, password)


DEMO_REPORT_EVERY_SECONDS = 120.0


def start_simulator(settings: Settings, *, base_url: str, devices_per_type: int, console: Console) -> None:
    """Simulate devices over HTTP against the demo server, in a background thread, once it answers."""
    from smartcity.iot.simulator import SimulationConfig, run_simulation

    def run() -> None:
        if not _wait_for(base_url + "/healthz", timeout=60):
            console.print("[red]The server did not start; no devices simulated.[/red]")
            return
        db = Database(settings.resolved_database_url, dispatch_inline=True, settings=settings)
        config = SimulationConfig(
            devices_per_type=devices_per_type,
            rate=1 / DEMO_REPORT_EVERY_SECONDS,
            transport="http",
            url=base_url,
            failure_rate=0.01,
        )
        run_simulation(db, config, register=True, stop=threading.Event(), console=console)

    threading.Thread(target=run, name="device-simulator", daemon=True).start()


def _wait_for(url: str, *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False
