"""`smartcity opendata ...`: regenerate the datasets' files, list the catalogue with its use."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

opendata_app = typer.Typer(help="Dữ liệu mở — the open-data catalogue.", no_args_is_help=True)
console = Console()


@opendata_app.command("regenerate")
def regenerate(
    name: Annotated[list[str] | None, typer.Argument(help="Datasets to rebuild (all when none)")] = None,
) -> None:
    """Rebuild the CSV, XLSX and GeoJSON files of the datasets (what the hourly task does)."""
    from smartcity.core.db import open_database
    from smartcity.opendata import service

    db = open_database()
    written = service.regenerate(db, db.settings, names=name or None)
    console.print(f"[green]{written} files written.[/green]")


@opendata_app.command("list")
def list_datasets() -> None:
    """The datasets with their publisher, frequency, downloads and API calls."""
    from smartcity.core.db import open_database
    from smartcity.opendata import service

    db = open_database()
    usage = service.usage_counts(db)
    table = Table("name", "title", "publisher", "frequency", "downloads", "api calls")
    for d in service.all_datasets():
        counts = usage.get(d.name, {"download": 0, "api": 0})
        table.add_row(
            d.name, d.title_vi, d.publisher, d.frequency, str(counts["download"]), str(counts["api"])
        )
    console.print(table)


GROUPS = {"opendata": opendata_app}
