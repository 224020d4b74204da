"""`smartcity lighting ...`: tonight's plans, apply them now."""

from __future__ import annotations

from datetime import date

import typer

from smartcity.core import clock
from smartcity.core.db import open_database

app = typer.Typer(help="Chiếu sáng — street lighting plans and control.", no_args_is_help=True)


@app.command("plans")
def plans(night: str = typer.Option("", help="The night (YYYY-MM-DD, default tonight)")) -> None:
    """Each group's switch-on and switch-off for a night, at its coordinates."""
    from smartcity.lighting import service

    db = open_database()
    day = date.fromisoformat(night) if night else clock.today(db.settings)
    for group in service.list_groups(db):
        plan = service.plan_for(db, group=group, night=day)
        on, off = clock.local(plan.on_at, db.settings), clock.local(plan.off_at, db.settings)
        typer.echo(f"{group.name}: {on:%H:%M %d/%m} → {off:%H:%M %d/%m} ({plan.reason})")


@app.command("apply")
def apply() -> None:
    """Send every group the level its plan asks for now."""
    from smartcity.lighting import service

    typer.echo(f"groups switched: {service.apply_schedules(open_database())}")


GROUPS = {"lighting": app}
