"""The all-in-one demo: migrate the embedded database, load the city pack, make sure an admin exists."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from rich.console import Console

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.demo import demo_admin_password, demo_data_loading
from smartcity.core.migrate import upgrade
from smartcity.core.security import Actor
from smartcity.domains import collect, register_handlers

DEMO_ADMIN = "admin"


@dataclass(frozen=True)
class DemoLogin:
    """The administrator login printed by `smartcity demo`."""

    username: str
    password: str


FIRST_PAGE_DOMAINS = ("accounts", "procedures", "portal")
"""Demo data the first pages need (sign-in, the catalogue, the news); `smartcity demo` loads the other
domains' demo data (the map's parcels first) in the background once the server answers."""


SUMMARISING_DOMAINS = ("portal", "ioc")
"""Demo data made from the other domains' data, loaded after them: the operations centre's indicator history
(or its tiles for the domains listed later, lighting, schools, investment…, would have no history) and the
portal's monthly reports of the one-stop shop and the 1022 hotline. One also in FIRST_PAGE_DOMAINS (the
portal) loads again with the deferred data: its demo is idempotent, and adds then what it makes of theirs."""


def load_domain_demos(
    db: Database, *, settings: Settings, console: Console, only: Callable[[str], bool] = lambda _d: True
) -> None:
    """Run every domain's idempotent `demo.load_demo` (those `only` accepts), in the domain list's order."""
    actor = Actor.system("demo")
    chosen = [(domain, load_demo) for domain, load_demo in collect("demo", "load_demo") if only(domain)]
    chosen.sort(key=lambda pair: pair[0] in SUMMARISING_DOMAINS)  # stable: the others keep their order
    for number, (domain, load_demo) in enumerate(chosen, start=1):
        started = time.perf_counter()
        with console.status(f"Demo data {number}/{len(chosen)}: {domain}…"):
            summary = load_demo(db, settings=settings, actor=actor)
        seconds = time.perf_counter() - started
        console.print(f"  {domain}: {summary} ({seconds:.1f} s; {number}/{len(chosen)})")


def publish_open_data(db: Database, *, settings: Settings, console: Console) -> None:
    """Rebuild the open-data files from the demo data just loaded.

    The worker builds them when the server starts, before the deferred demo data is there, and then waits
    its hour (`opendata.regenerate`); without this, the catalogue shows 0 rows meanwhile."""
    from smartcity.opendata import service as opendata

    started = time.perf_counter()
    with console.status("Open data: regenerating the datasets' files…"):
        written = opendata.regenerate(db, settings)
    console.print(f"  open data: {written} files regenerated ({time.perf_counter() - started:.1f} s)")


def prepare_demo(settings: Settings, *, console: Console | None = None, defer: bool = False) -> DemoLogin:
    """Migrate, load the city pack and create the admin; safe to run again.

    With `defer`, only the demo data of FIRST_PAGE_DOMAINS is loaded; `load_deferred_demos` loads the rest.
    """
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
        if defer:
            load_domain_demos(db, settings=settings, console=console, only=FIRST_PAGE_DOMAINS.__contains__)
        else:
            load_domain_demos(db, settings=settings, console=console)
            anchor_audit_chain(db)  # `smartcity audit verify` holds the demo's chain against this anchor
            publish_open_data(db, settings=settings, console=console)
    finally:
        db.dispose()
    return DemoLogin(DEMO_ADMIN, password)


def load_deferred_demos(
    settings: Settings, *, base_url: str, console: Console, then: Callable[[], None]
) -> threading.Thread:
    """In a background thread, once the server answers: the other domains' demo data, then `then()`."""
    from smartcity.core.audit import anchor_audit_chain

    def run() -> None:
        with demo_data_loading(settings.data_dir):  # pages say meanwhile why some of them are still empty
            _wait_for(base_url + "/healthz", timeout=120)
            console.print("Loading the rest of the demo data in the background (the pages already answer)…")
            db = Database(settings.resolved_database_url, dispatch_inline=True, settings=settings)
            try:
                load_domain_demos(
                    db,
                    settings=settings,
                    console=console,
                    only=lambda domain: domain not in FIRST_PAGE_DOMAINS or domain in SUMMARISING_DOMAINS,
                )
                anchor_audit_chain(db)
                publish_open_data(db, settings=settings, console=console)
            finally:
                db.dispose()
        then()

    thread = threading.Thread(target=run, name="demo-data", daemon=True)
    thread.start()
    return thread


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
