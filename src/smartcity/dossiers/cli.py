"""`smartcity dossiers ...`: demo data, deadline warnings, the dossier register, statistics."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

dossiers_app = typer.Typer(help="Hồ sơ một cửa — one-stop dossiers.", no_args_is_help=True)
GROUPS = {"dossiers": dossiers_app}
console = Console()


@dossiers_app.command("demo")
def demo(
    count: Annotated[int, typer.Option(help="How many dossiers")] = 3000,
    years: Annotated[int, typer.Option(help="Spread over this many years")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed")] = 2025,
) -> None:
    """Load the catalogue if needed and create demo dossiers in every state."""
    from smartcity.core.config import get_settings
    from smartcity.core.db import open_database
    from smartcity.core.security import Actor
    from smartcity.dossiers.demo import demo_counts, seed_demo_dossiers
    from smartcity.dossiers.states import state_name
    from smartcity.procedures.service import level_counts, load_city_catalogue

    settings = get_settings()
    db = open_database(settings)
    if not level_counts(db):
        load_city_catalogue(db, actor=Actor.system("dossiers-cli"))
    made = seed_demo_dossiers(db, settings=settings, count=count, years=years, seed=seed)
    table = Table("state", "name", "dossiers", title=f"{made} demo dossiers created")
    for state, number in sorted(demo_counts(db).items()):
        table.add_row(str(state), state_name(state), str(number))
    console.print(table)


@dossiers_app.command("warn-deadlines")
def warn() -> None:
    """Publish warnings for open dossiers due soon or overdue."""
    from smartcity.core.config import get_settings
    from smartcity.core.db import open_database
    from smartcity.dossiers.tasks import warn_deadlines

    settings = get_settings()
    console.print(warn_deadlines(open_database(settings), settings=settings))


@dossiers_app.command("register")
def register(
    unit: Annotated[str, typer.Argument(help="Intake org unit code")],
    month: Annotated[str, typer.Argument(help="YYYY-MM")],
    out: Annotated[Path, typer.Argument(help="PDF file to write")],
) -> None:
    """Write the dossier register (form 06) of a unit for a month."""
    from smartcity.core.db import open_database
    from smartcity.dossiers.service import register_rows

    first = date.fromisoformat(f"{month}-01")
    rows = register_rows(open_database(), unit=unit, month=first)
    from smartcity.dossiers.documents import register_pdf

    out.write_bytes(register_pdf(rows, unit=unit, period=first.strftime("%m/%Y")))
    console.print(f"{len(rows)} dossiers written to {out}")


@dossiers_app.command("stats")
def stats_command(
    by: Annotated[str, typer.Option(help="procedure, field, unit, month or all")] = "field",
) -> None:
    """Print the statistics."""
    from smartcity.core.config import get_settings
    from smartcity.core.db import open_database
    from smartcity.dossiers.stats import statistics

    settings = get_settings()
    rows = statistics(open_database(settings), settings=settings, by=by)
    columns = ("key", "received", "early", "on_time", "late", "open_within", "open_overdue", "online_share")
    table = Table(*columns, title=f"Statistics by {by}")
    for row in rows:
        table.add_row(*[str(row[c]) for c in columns])
    console.print(table)


@dossiers_app.command("sign-results")
def sign_results(limit: Annotated[int, typer.Option(help="At most this many results")] = 100) -> None:
    """Sign the one-stop results still unsigned (leader, then seal), e.g. once certificates are issued."""
    from smartcity.core.db import open_database
    from smartcity.dossiers.result_signing import sign_pending_results

    counts = sign_pending_results(open_database(), limit=limit)
    console.print(
        f"Signed: {counts['signed']}; left unsigned: {counts['unsigned']}; skipped: {counts['skipped']}"
    )
