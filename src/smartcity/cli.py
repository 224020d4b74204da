"""The `smartcity` command: every process and administrative task, reading the same settings."""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from smartcity.city import service as city_service
from smartcity.core.config import Settings, get_settings
from smartcity.core.db import Database
from smartcity.core.db import open_database as core_open_database
from smartcity.core.logging import configure_logging
from smartcity.core.secret_files import ConfigurationError
from smartcity.domains import collect, register_handlers

app = typer.Typer(help="Nền tảng đô thị thông minh — smart-city platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
keys_app = typer.Typer(help="The key ring that encrypts personal data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
console = Console()


def open_database(settings: Settings | None = None) -> Database:
    """The database named by the settings, with event handlers registered (commands of the root app)."""
    register_handlers()
    return core_open_database(settings)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database schema to the latest revision."""
    from smartcity.core.migrate import upgrade

    db = open_database()
    upgrade(db, revision)
    console.print(f"[green]Database at {revision}[/green] ({db.dialect})")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit chain (keyed, and against the last anchor outside the database); exit 1 naming the
    first bad row if any row was altered, inserted or removed."""
    from smartcity.core.audit import AnchorForged, verify_database

    db = open_database()
    try:
        report = verify_database(db)
    except AnchorForged as exc:
        console.print(f"[red]Audit anchors tampered with[/red]: {exc}")
        raise typer.Exit(1) from None
    if report.ok:
        console.print(f"[green]Audit chain intact[/green]: {report.checked} rows checked.")
        return
    console.print(
        f"[red]Audit chain broken at row {report.first_bad_seq}[/red]: {report.reason} "
        f"({report.checked} rows before it are intact)."
    )
    raise typer.Exit(1)


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Make a new key the primary one and re-encrypt every personal value with it, while the platform runs
    (old keys stay readable until `smartcity keys retire`)."""
    from smartcity.core.keys import rotate
    from smartcity.domains import import_models

    import_models()
    settings = get_settings()
    report = rotate(open_database(settings), settings)
    console.print(
        f"[green]Primary key {report.primary}[/green]: {report.reencrypted} values re-encrypted, "
        f"{report.remaining} left under old keys ({settings.resolved_personal_keys_file})."
    )


@keys_app.command("retire")
def keys_retire() -> None:
    """Drop the old keys from the ring once no personal value is sealed under them any more."""
    from smartcity.core.errors import Conflict
    from smartcity.core.keys import retire
    from smartcity.domains import import_models

    import_models()
    settings = get_settings()
    try:
        retired = retire(open_database(settings), settings)
    except Conflict as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from None
    console.print(f"[green]Retired keys[/green]: {', '.join(retired)}")


@keys_app.command("status")
def keys_status() -> None:
    """How many personal values each key of the ring seals."""
    from smartcity.core.keys import key_usage
    from smartcity.domains import import_models

    import_models()
    settings = get_settings()
    ring = settings.personal_keys
    for key_id, count in key_usage(open_database(settings), ring).items():
        marker = " (primary)" if key_id == ring.primary else " (retired)" if key_id in ring.retired else ""
        console.print(f"{key_id}{marker}: {count}")


@app.command("backup")
def backup_command(target: Annotated[Path, typer.Argument(help="A new, empty folder")]) -> None:
    """Back up the database and the data directory's files, with a checksum of each (not the secret key)."""
    from smartcity.core.backup import backup

    settings = get_settings()
    report = backup(open_database(settings), settings, target)
    console.print(
        f"Backed up the {report.dialect} database and {report.files} files ({report.bytes:,} bytes)."
    )


@app.command("restore")
def restore_command(
    source: Annotated[Path, typer.Argument(help="A folder written by `smartcity backup`", exists=True)],
    force: Annotated[bool, typer.Option(help="Restore over a database that already holds data")] = False,
) -> None:
    """Check every checksum of a backup, then restore the database and files from it."""
    from smartcity.core.backup import restore

    settings = get_settings()
    report = restore(open_database(settings), settings, source, force=force)
    console.print(f"Restored the {report.dialect} database and {report.files} files.")


@audit_app.command("anchor")
def audit_anchor() -> None:
    """Write the chain's head to the anchors file outside the database (the worker does it hourly)."""
    from smartcity.core.audit import anchor_audit_chain

    seq = anchor_audit_chain(open_database())
    console.print(f"Anchored the audit chain at row {seq}." if seq else "The audit chain is empty.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Web processes")] = 1,
) -> None:
    """Serve the web pages and APIs."""
    import uvicorn

    settings = get_settings()
    configure_logging(json_output=settings.log_json, level=settings.log_level)
    settings.resolved_database_url  # noqa: B018  (refuse to start here, not in every web process)
    # proxy_headers=False: the client address is taken from X-Forwarded-For only by accounts, and only from
    # SMARTCITY_ACCOUNTS_TRUSTED_PROXIES (uvicorn would otherwise believe any local peer).
    uvicorn.run(
        "smartcity.web.asgi:app", host=host, port=port, workers=workers, log_config=None, proxy_headers=False
    )


@app.command()
def worker(
    interval: Annotated[float, typer.Option(help="Seconds between outbox polls")] = 1.0,
    once: Annotated[bool, typer.Option(help="Relay what is pending, then exit")] = False,
) -> None:
    """Relay outbox events to their handlers and run periodic tasks, until stopped."""
    from smartcity.core.outbox import bus
    from smartcity.core.scheduler import run_due_tasks
    from smartcity.domains import periodic_tasks

    settings = get_settings()
    configure_logging(json_output=settings.log_json, level=settings.log_level)
    db = open_database(settings)
    tasks, intervals = periodic_tasks()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.is_set():
        handled = bus.dispatch_pending(db)
        ran = run_due_tasks(db, tasks, intervals)
        if once:
            console.print(f"Relayed {handled} events; ran {len(ran)} periodic tasks.")
            return
        if not handled:
            stop.wait(interval)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    serve_forever: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the server")] = True,
    simulate: Annotated[bool, typer.Option("--simulate/--no-simulate", help="Simulate devices")] = True,
    devices_per_type: Annotated[
        int, typer.Option(help="Street lights simulated (other device types in proportion)")
    ] = 1250,
) -> None:
    """All in one on the embedded default: migrate, load the city and demo data, serve, simulate devices."""
    from smartcity.demo import load_deferred_demos, prepare_demo, start_simulator

    # Links, QR codes and deliveries between the demo's agencies use the address the demo is served on.
    reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 (a listening address)
    os.environ.setdefault("SMARTCITY_PUBLIC_BASE_URL", f"http://{reachable}:{port}")
    os.environ.setdefault("SMARTCITY_LOG_JSON", "false")  # a person reads the demo's console
    os.environ["SMARTCITY_ENVIRONMENT"] = "demo"  # never production: the demo admin signs in with a password
    get_settings.cache_clear()
    settings = get_settings()
    login = prepare_demo(settings, console=console, defer=serve_forever)
    url = f"http://{host}:{port}/"

    def print_sign_in() -> None:
        console.rule(f"[bold green]{city_service.city_name(locale='en')} smart-city platform is ready")
        console.print(f"Open:      [bold]{url}[/bold]")
        console.print(f"API docs:  {url}api/v1/docs")
        console.print(f"Admin:     [bold]{login.username}[/bold] / [bold]{login.password}[/bold]")
        console.rule()

    if not serve_forever:
        print_sign_in()
        return
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the simulator prints one summary a minute instead
    console.print(f"The first pages answer at {url} while the rest of the demo data loads.")
    base_url = url.rstrip("/")

    def when_loaded() -> None:
        if simulate:  # after the demo data, so that the demo's own devices report too
            start_simulator(settings, base_url=base_url, devices_per_type=devices_per_type, console=console)
        print_sign_in()

    load_deferred_demos(settings, base_url=base_url, console=console, then=when_loaded)
    os.environ["SMARTCITY_WORKER_IN_PROCESS"] = "1"
    get_settings.cache_clear()
    serve(host=host, port=port, workers=1)


def _add_domain_groups() -> None:
    for _domain, groups in collect("cli", "GROUPS"):
        for name, group in groups.items():
            app.add_typer(group, name=name)


_add_domain_groups()
register_handlers()  # every command's database dispatches to every domain's handlers


def main() -> None:
    """Console-script entry point; settings that cannot be used end the command with their message."""
    try:
        app()
    except ConfigurationError as exc:
        Console(stderr=True).print(str(exc), style="red", soft_wrap=True, markup=False)
        raise SystemExit(2) from None
