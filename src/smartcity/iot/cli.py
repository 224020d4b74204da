"""`smartcity iot ...` (devices, rules, broker credentials), `smartcity ingest` and `smartcity simulate`."""

from __future__ import annotations

import json
import signal
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.table import Table

from smartcity.core import clock
from smartcity.core.config import get_settings
from smartcity.core.db import open_database
from smartcity.core.errors import AppError
from smartcity.core.logging import configure_logging
from smartcity.core.security import Actor
from smartcity.iot import credentials, service
from smartcity.iot.schemas import DeviceCreate

console = Console()
CLI_ACTOR = Actor.system("cli")

iot_app = typer.Typer(help="Thiết bị IoT — devices, rules and telemetry.", no_args_is_help=True)
devices_app = typer.Typer(help="The device registry.", no_args_is_help=True)
rules_app = typer.Typer(help="Rules as data (YAML/JSON).", no_args_is_help=True)
iot_app.add_typer(devices_app, name="devices")
iot_app.add_typer(rules_app, name="rules")
telemetry_app = typer.Typer(help="Telemetry retention and roll-ups.", no_args_is_help=True)
iot_app.add_typer(telemetry_app, name="telemetry")
ingest_app = typer.Typer(help="Ingest device messages from the MQTT broker.", invoke_without_command=True)
simulate_app = typer.Typer(help="Simulate a city's worth of devices.", invoke_without_command=True)


def _fail(error: AppError) -> typer.Exit:
    console.print(f"[red]{error.title}[/red]: {error.detail}")
    return typer.Exit(1)


@devices_app.command("add")
def devices_add(
    id: Annotated[str, typer.Option("--id", help="Device id (also its MQTT topic segment)")],
    type: Annotated[str, typer.Option("--type", help="Device type slug, e.g. streetlight")],
    lon: Annotated[float | None, typer.Option(help="Longitude (WGS 84)")] = None,
    lat: Annotated[float | None, typer.Option(help="Latitude (WGS 84)")] = None,
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Tag (repeatable)")] = None,
    installed_on: Annotated[str | None, typer.Option(help="Install date YYYY-MM-DD")] = None,
) -> None:
    """Register a device and print its credentials (shown once)."""
    location = {"type": "Point", "coordinates": [lon, lat]} if lon is not None and lat is not None else None
    try:
        data = DeviceCreate.model_validate(
            {
                "id": id,
                "type": type,
                "location": location,
                "name": name,
                "tags": tag or [],
                "installed_on": installed_on,
            }
        )
        created = service.register_device(open_database(), actor=CLI_ACTOR, data=data)
    except AppError as error:
        raise _fail(error) from None
    except ValueError as error:
        console.print(f"[red]Invalid input[/red]: {error}")
        raise typer.Exit(1) from None
    console.print(
        f"[green]Registered[/green] {created.device.id} ({created.device.type}), "
        f"ward {created.device.ward_code or '—'}"
    )
    console.print(
        f"MQTT username: [bold]{created.device.mqtt_username}[/bold]  "
        f"password: [bold]{created.password}[/bold]  (shown once)"
    )


@devices_app.command("list")
def devices_list(
    type: Annotated[str | None, typer.Option("--type")] = None,
    limit: int = 50,
    offset: int = 0,
) -> None:
    """List registered devices."""
    items, total = service.list_devices(
        open_database(), where=service.DeviceFilter(type=type), limit=limit, offset=offset
    )
    table = Table("id", "type", "status", "ward", "lon", "lat", "tags")
    for d in items:
        table.add_row(d.id, d.type, d.status, d.ward_code or "", f"{d.lon}", f"{d.lat}", ",".join(d.tags))
    console.print(table)
    console.print(f"{len(items)} of {total}")


@devices_app.command("import")
def devices_import(
    path: Path,
    credentials_out: Annotated[Path | None, typer.Option(help="Write credentials CSV")] = None,
) -> None:
    """Register every device of a CSV file (all or none); credentials go to a file, not the screen."""
    created, errors = service.import_devices_csv(
        open_database(), actor=CLI_ACTOR, content=path.read_text("utf-8")
    )
    for error in errors:
        console.print(f"[red]line {error['line']}[/red]: {error['error']}")
    if errors:
        raise typer.Exit(1)
    if credentials_out:
        rows = "".join(f"{c.device.mqtt_username},{c.password}\n" for c in created)
        credentials.write_private(credentials_out, "username,password\n" + rows)
    console.print(f"[green]{len(created)} devices registered[/green]")


@devices_app.command("decommission")
def devices_decommission(device_id: str) -> None:
    """Take a device out of service."""
    try:
        service.decommission_device(open_database(), actor=CLI_ACTOR, device_id=device_id)
    except AppError as error:
        raise _fail(error) from None
    console.print(f"{device_id} decommissioned")


@iot_app.command("mosquitto-passwd")
def mosquitto_passwd(path: Path) -> None:
    """Write a Mosquitto password file with every active device (and reload the broker yourself)."""
    from smartcity.iot.broker import active_devices

    lines = [
        f"{d.mqtt_username}:{d.mosquitto_hash}\n" for d in active_devices(open_database()) if d.mosquitto_hash
    ]
    credentials.write_private(path, "".join(lines))
    console.print(f"{len(lines)} devices written to {path}")


@iot_app.command("broker-config")
def broker_config(
    outdir: Annotated[Path, typer.Argument(help="Folder for mosquitto.conf and its files")],
    host: Annotated[str, typer.Option(help="Address the listeners bind to")] = "0.0.0.0",  # noqa: S104
    port: Annotated[int, typer.Option(help="Password listener port")] = 1883,
    tls_port: Annotated[int, typer.Option(help="Certificate (TLS) listener port")] = 8883,
    password_tls_port: Annotated[int, typer.Option(help="Password over TLS listener port")] = 8884,
    plain_host: Annotated[
        str, typer.Option(help="Address of the password listener in clear (keep it on this machine)")
    ] = "127.0.0.1",
    dns: Annotated[list[str] | None, typer.Option("--dns", help="Broker DNS name (new server cert)")] = None,
    ip: Annotated[list[str] | None, typer.Option("--ip", help="Broker IP address (new server cert)")] = None,
    gateway: Annotated[
        list[str] | None, typer.Option("--gateway", help="Account speaking for many devices (simulator)")
    ] = None,
) -> None:
    """Generate the broker's configuration: certificate and password listeners over TLS, a local password
    listener in clear, the password file and the ACL."""
    from smartcity.iot.broker import Listeners, write_broker_config

    try:
        files = write_broker_config(
            open_database(),
            outdir,
            actor=CLI_ACTOR,
            listeners=Listeners(
                host=host,
                port=port,
                tls_port=tls_port,
                password_tls_port=password_tls_port,
                plain_host=plain_host,
            ),
            dns_names=tuple(dns or ["localhost"]),
            ip_addresses=tuple(ip or ["127.0.0.1"]),
            gateways=tuple(gateway or []),
        )
    except AppError as error:
        raise _fail(error) from None
    console.print(f"{files.devices} devices; configuration written to {files.config}")
    console.print(
        f"Start: mosquitto -c {files.config}   Ingest account: smartcity-ingest, "
        f"password in {files.ingest_password_file}"
    )


@iot_app.command("refresh-crl")
def refresh_crl_command(
    outdir: Annotated[Path, typer.Argument(help="The folder `broker-config` wrote (holds crl.pem)")],
    reload_command: Annotated[
        str | None,
        typer.Option(help="Run afterwards so Mosquitto re-reads the CRL, e.g. 'systemctl reload mosquitto'"),
    ] = None,
) -> None:
    """Rewrite crl.pem with a fresh CRL of the issuing CA (atomically), then run the reload command."""
    from smartcity.iot.broker import refresh_crl

    if not (outdir / "mosquitto.conf").exists():
        console.print(f"[red]{outdir} has no mosquitto.conf: run `smartcity iot broker-config` first[/red]")
        raise typer.Exit(1)
    crl = refresh_crl(open_database(), outdir, reload_command=reload_command)
    console.print(f"{len(list(crl))} revoked certificates; crl.pem valid until {crl.next_update_utc}")


@telemetry_app.command("rollup")
def telemetry_rollup(
    since_hours: Annotated[float, typer.Option(help="Recompute this many hours back")] = 48,
) -> None:
    """Recompute hourly and daily roll-ups of recent telemetry (idempotent)."""
    db, now = open_database(), datetime.now(UTC)
    start = now - timedelta(hours=since_hours)
    hours = service.roll_up(db, interval="hour", start=start, end=now)
    days = service.roll_up(db, interval="day", start=start, end=now)
    console.print(f"{hours} hourly and {days} daily roll-ups written")


@telemetry_app.command("purge")
def telemetry_purge(
    older_than_days: Annotated[int, typer.Option(help="Delete raw values older than this")] = 90,
) -> None:
    """Roll up, then delete raw telemetry older than the retention period (roll-ups are kept)."""
    db, now = open_database(), datetime.now(UTC)
    before = now - timedelta(days=older_than_days)
    service.roll_up(db, interval="hour", start=before - timedelta(days=2), end=before)
    service.roll_up(db, interval="day", start=before - timedelta(days=2), end=before)
    console.print(f"{service.purge_telemetry(db, before=before)} raw values deleted")


@rules_app.command("export")
def rules_export(format: Annotated[str, typer.Option(help="yaml or json")] = "yaml") -> None:
    """Print every rule as YAML or JSON."""
    rules = {"rules": [service.rule_snapshot(r) for r in service.list_rules(open_database())]}
    if format == "json":
        console.print_json(json.dumps(rules, ensure_ascii=False))
    else:
        typer.echo(yaml.safe_dump(rules, allow_unicode=True, sort_keys=False))


@rules_app.command("import")
def rules_import(path: Path) -> None:
    """Create or update rules by name from a YAML or JSON export."""
    document = yaml.safe_load(path.read_text("utf-8"))
    try:
        created, updated = service.import_rules(
            open_database(), actor=CLI_ACTOR, rules=document.get("rules", [])
        )
    except AppError as error:
        raise _fail(error) from None
    console.print(f"{created} rules created, {updated} updated")


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return stop


@ingest_app.callback()
def ingest(
    mqtt_url: Annotated[str | None, typer.Option(help="Broker URL (default: settings.mqtt_url)")] = None,
    client_id: Annotated[
        str | None, typer.Option(help="Fixed client id: the persistent session's name")
    ] = None,
    shared: Annotated[str | None, typer.Option(help="Shared-subscription group, e.g. 'ingest'")] = None,
    batch_size: Annotated[int, typer.Option(help="Messages per transaction at most")] = 1000,
    commands: Annotated[bool, typer.Option("--commands/--no-commands", help="Also publish commands")] = True,
) -> None:
    """Subscribe to city/+/+/telemetry, /events and /command/ack; store each message exactly once."""
    from smartcity.iot.mqtt import broker_from_settings, run_ingest

    settings = get_settings()
    configure_logging(json_output=settings.log_json, level=settings.log_level)
    broker = broker_from_settings(settings, mqtt_url)
    stop = _stop_on_signals()
    client_id = client_id or f"smartcity-ingest-{socket.gethostname()}"
    run_ingest(
        open_database(),
        broker,
        client_id=client_id,
        shared_group=shared,
        batch_size=batch_size,
        stop=stop,
        publish_commands=commands,
        own_process=True,
    )


@simulate_app.callback()
def simulate(
    devices: Annotated[int, typer.Option(help="Devices of each type")] = 50,
    rate: Annotated[float, typer.Option(help="Messages per second per device")] = 0.2,
    duration: Annotated[float, typer.Option(help="Seconds to run (0: until stopped)")] = 0,
    transport: Annotated[str, typer.Option(help="mqtt or http")] = "mqtt",
    url: Annotated[str | None, typer.Option(help="Broker URL (mqtt) or platform URL (http)")] = None,
    failure_rate: Annotated[float, typer.Option(help="Chance a device fails per minute")] = 0.01,
    register: Annotated[
        bool, typer.Option("--register/--no-register", help="Register missing devices")
    ] = True,
) -> None:
    """Place devices along the demo streets and have them report, obey commands and fail now and then."""
    from smartcity.iot.simulator import SimulationConfig, run_simulation

    settings = get_settings()
    configure_logging(json_output=settings.log_json, level=settings.log_level)
    config = SimulationConfig(
        devices_per_type=devices,
        rate=rate,
        duration=duration,
        transport=transport,
        url=url or (settings.mqtt_url if transport == "mqtt" else "http://127.0.0.1:8000"),
        failure_rate=failure_rate,
        start=clock.today(settings),
    )
    report = run_simulation(
        open_database(), config, register=register, stop=_stop_on_signals(), console=console
    )
    console.print(
        f"sent {report.sent} messages, {report.commands} commands applied, {report.failures} failures"
    )


GROUPS = {"iot": iot_app, "ingest": ingest_app, "simulate": simulate_app}
