"""`smartcity waste plan`: plan and route the next collection round."""

from __future__ import annotations

from datetime import date

import typer

from smartcity.core.db import open_database
from smartcity.core.security import Actor

app = typer.Typer(help="Thu gom rác — collection plans and routes.", no_args_is_help=True)


@app.command("plan")
def plan(day: str = typer.Option("", help="The day (YYYY-MM-DD, default the next round)")) -> None:
    """Plan a day's collection and print its routes."""
    from smartcity.waste import service

    db = open_database()
    when = date.fromisoformat(day) if day else service.next_round_day(db)
    made = service.plan_day(db, actor=Actor.system("cli"), day=when)
    for route in service.routes_of(db, plan_id=made.id):
        typer.echo(
            f"{route.vehicle_id}: {len(route.stops)} stops, {route.distance_km:.1f} km, {route.load_kg} kg"
        )
    for container, why in made.unserved.items():
        typer.echo(f"not served {container}: {why}")


@app.command("_noop", hidden=True)
def _noop() -> None:
    """Keep `plan` a sub-command (Typer collapses single-command apps)."""


GROUPS = {"waste": app}
