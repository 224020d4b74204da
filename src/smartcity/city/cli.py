"""`smartcity citypack ...`: list the city packs and load one into the database."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from smartcity.city.loader import LoadReport
from smartcity.core.errors import AppError, NotFound

citypack = typer.Typer(
    help="City packs: administrative units, boundary, ward areas, calendar.", no_args_is_help=True
)
GROUPS = {"citypack": citypack}
console = Console()


@citypack.command("load")
def load(name: Annotated[str, typer.Argument(help="Pack name, e.g. thu-dau-mot")]) -> None:
    """Load (or reload) a city pack; running it again changes nothing unless the pack changed."""
    from smartcity.city.loader import load_city_pack
    from smartcity.core.db import open_database
    from smartcity.core.security import Actor

    db = open_database()
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as bar:
            task = bar.add_task(f"citypack {name}", total=1)

            def progress(description: str, done: int, total: int) -> None:
                bar.update(task, description=description, completed=done, total=total)

            report = load_city_pack(db, pack=name, actor=Actor.system("citypack"), progress=progress)
    except NotFound as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(2) from exc
    except AppError as exc:
        console.print(f"[red]The pack cannot be loaded:[/red] {exc.detail}")
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    _print_report(report)


def _print_report(report: LoadReport) -> None:
    outcomes = {
        "created": report.created,
        "updated": report.updated,
        "deleted": report.deleted,
        "unchanged": report.unchanged,
    }
    table = Table(title=f"City pack {report.pack}")
    table.add_column("rows")
    for outcome in outcomes:
        table.add_column(outcome, justify="right")
    for kind in sorted({k for counts in outcomes.values() for k in counts}):
        table.add_row(kind, *(str(counts.get(kind, 0)) for counts in outcomes.values()))
    console.print(table)
    console.print(f"Org units announced (city.CityPackLoaded): {report.org_units}")
    if not report.changed:
        console.print("[green]Already up to date: nothing changed.[/green]")


@citypack.command("list")
def list_packs() -> None:
    """The packs that can be loaded, and whether each is loaded and current."""
    from smartcity.city.service import list_packs as available
    from smartcity.core.db import open_database

    db = open_database()
    try:
        packs = available(db)
    finally:
        db.dispose()
    table = Table(title="City packs")
    for column in ("name", "title", "loaded", "current", "loaded at"):
        table.add_column(column)
    for pack in packs:
        table.add_row(
            pack.name,
            pack.title,
            "yes" if pack.loaded else "no",
            "-" if pack.current is None else ("yes" if pack.current else "no (reload)"),
            pack.loaded_at.isoformat(timespec="seconds") if pack.loaded_at else "-",
        )
    console.print(table)
