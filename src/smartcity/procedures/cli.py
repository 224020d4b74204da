"""`smartcity procedures ...`: load, import and export the catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from smartcity.core.db import open_database
from smartcity.core.security import Actor

procedures_app = typer.Typer(
    help="Danh mục thủ tục hành chính — the procedure catalogue.", no_args_is_help=True
)
GROUPS = {"procedures": procedures_app}
console = Console()


@procedures_app.command("load-city")
def load_city(pack: Annotated[str, typer.Option(help="City pack")] = "thu-dau-mot") -> None:
    """Load the catalogue the city pack ships (safe to run again)."""
    from smartcity.procedures.service import level_counts, load_city_catalogue

    db = open_database()
    report = load_city_catalogue(db, actor=Actor.system("procedures-cli"), pack=pack)
    console.print(f"Created {report.created}, updated {report.updated}, unchanged {report.unchanged}.")
    console.print(f"Levels: {dict(sorted(level_counts(db).items()))}")


@procedures_app.command("import")
def import_file(path: Annotated[Path, typer.Argument(help="An .xlsx or .csv file", exists=True)]) -> None:
    """Import a catalogue file: every row valid, or nothing stored and each problem listed."""
    from smartcity.core.errors import AppError
    from smartcity.procedures.service import import_catalogue

    db = open_database()
    try:
        report = import_catalogue(
            db, actor=Actor.system("procedures-cli"), filename=path.name, content=path.read_bytes()
        )
    except AppError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        for error in exc.errors[:50]:
            console.print(f"  {error['field']}: {error['message']}")
        raise typer.Exit(1) from exc
    console.print(
        f"[green]Imported[/green]: created {report.created}, updated {report.updated}, "
        f"unchanged {report.unchanged}."
    )


@procedures_app.command("export")
def export(path: Annotated[Path, typer.Argument(help="Where to write (.xlsx or .csv)")]) -> None:
    """Export the catalogue to an .xlsx or .csv file."""
    from smartcity.procedures.service import export_catalogue

    fmt = "csv" if path.suffix.lower() == ".csv" else "xlsx"
    path.write_bytes(export_catalogue(open_database(), fmt=fmt))
    console.print(f"Written {path}")


@procedures_app.command("list")
def list_command(
    q: Annotated[str, typer.Argument(help="Search words")] = "",
    limit: Annotated[int, typer.Option(help="Rows")] = 20,
) -> None:
    """Search the catalogue (with or without diacritics)."""
    from smartcity.procedures.service import list_procedures

    page = list_procedures(open_database(), q=q or None, limit=limit)
    table = Table("code", "level", "days", "name", title=f"{page.total} procedures")
    for item in page.items:
        table.add_row(item.code, str(item.level), str(item.processing_days), item.name)
    console.print(table)
