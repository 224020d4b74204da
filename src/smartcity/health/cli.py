"""The health domain's commands: `smartcity health ...`."""

from __future__ import annotations

import typer
from rich.console import Console

from smartcity.core.commands import command_database
from smartcity.core.security import Actor
from smartcity.health import service

app = typer.Typer(
    help="Health: FHIR systems, quarantine checks, immunisation reminders.", no_args_is_help=True
)
console = Console()


@app.command("register-system")
def register_system(name: str, organization_id: str) -> None:
    """Register a clinic's or hospital's system for OAuth2 client credentials (prints the secret once)."""
    with command_database() as db:
        client_id, secret = service.register_system(
            db, actor=Actor.system("cli"), name=name, organization_id=organization_id
        )
    console.print(f"client_id: {client_id}\nclient_secret: {secret}  (shown once)")


@app.command("roles")
def roles() -> None:
    """Add the health roles (health_worker, health_manager) to the role table."""
    with command_database() as db:
        service.ensure_health_roles(db)
    console.print("health roles present")


@app.command("check")
def check() -> None:
    """Raise missed check-in alerts and cluster signals, and send due immunisation reminders, now."""
    with command_database() as db:
        missed = service.find_missed_checkins(db, db.settings)
        clusters = service.detect_clusters(db, db.settings)
        reminders = service.send_reminders(db, db.settings)
    console.print(f"{missed} missed check-in alerts, {clusters} cluster signals, {reminders} reminders")


GROUPS = {"health": app}
