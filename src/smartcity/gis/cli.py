"""`smartcity gis ...`: demo data, imports and exports, lookups, index maintenance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from smartcity.core.db import open_database
from smartcity.core.errors import AppError
from smartcity.core.security import Actor

gis_app = typer.Typer(
    help="GIS: layers, planning, parcels, addresses, OGC API Features.", no_args_is_help=True
)
GROUPS = {"gis": gis_app}
console = Console()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    )


@gis_app.command("demo-data")
def demo_data(
    parcels: Annotated[int, typer.Option(help="How many synthetic parcels")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same city)")] = 20250701,
    force: Annotated[bool, typer.Option(help="Generate again even if already loaded")] = False,
) -> None:
    """Generate the synthetic demo layers (clearly labelled synthetic) inside the city boundary."""
    from smartcity.gis.demo import load_demo_layers

    db = open_database()
    with _progress() as progress:
        task = progress.add_task("Dữ liệu mô phỏng / demo data", total=None)

        def step(description: str, done: int, total: int) -> None:
            progress.update(task, description=description, completed=done, total=total)

        counts = load_demo_layers(
            db, actor=Actor.system("cli"), parcels=parcels, seed=seed, force=force, progress=step
        )
    table = Table("layer", "synthetic features")
    for slug, count in counts.items():
        table.add_row(slug, str(count))
    console.print(table)


@gis_app.command("import")
def import_file(
    layer: Annotated[str, typer.Argument(help="Layer slug, e.g. planning-zones")],
    path: Annotated[Path, typer.Argument(help="GeoJSON, GeoPackage or zipped Shapefile", exists=True)],
    crs: Annotated[str | None, typer.Option(help="Source CRS when the file names none, e.g. VN-2000")] = None,
    partial: Annotated[bool, typer.Option(help="Import the good features even if some are bad")] = False,
    replace: Annotated[bool, typer.Option(help="Replace the layer's features")] = False,
) -> None:
    """Import a file into a layer (progress bar); nothing is stored if a feature is bad, unless --partial."""
    from smartcity.gis.transfer import import_bytes

    db = open_database()
    try:
        with _progress() as progress:
            task = progress.add_task(f"Nhập / importing {path.name}", total=None)
            report = import_bytes(
                db,
                actor=Actor.system("cli"),
                slug=layer,
                content=path.read_bytes(),
                filename=path.name,
                source_crs=crs,
                partial=partial,
                replace=replace,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except AppError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(2) from exc
    for problem in report.problems[:50]:
        console.print(f"  feature {problem.feature}: {problem.severity}: {problem.message}")
    console.print(
        f"read {report.read}, imported {report.imported}, rejected {report.rejected}, "
        f"repaired {report.repaired} ({report.source_crs})"
        + ("" if report.committed else " — nothing stored")
    )
    if not report.committed:
        raise typer.Exit(1)


@gis_app.command("export")
def export_file(
    layer: Annotated[str, typer.Argument(help="Layer slug")],
    path: Annotated[Path, typer.Argument(help="Output file")],
    fmt: Annotated[str, typer.Option("--format", help="geojson, gpkg or shapefile")] = "geojson",
) -> None:
    """Export a published layer to a file."""
    from smartcity.gis.transfer import export_layer

    try:
        content, _media_type, _name = export_layer(open_database(), slug=layer, fmt=fmt)
    except AppError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(2) from exc
    path.write_bytes(content)
    console.print(f"{layer} → {path} ({len(content)} bytes)")


@gis_app.command("layers")
def layers() -> None:
    """List the layer registry."""
    from smartcity.gis.store import count_features, list_layers

    db = open_database()
    table = Table("slug", "title", "geometry", "provider", "published", "features")
    for layer in list_layers(db):
        count = "—" if layer.provider != "store" else str(count_features(db, slug=layer.slug))
        table.add_row(
            layer.slug,
            layer.title,
            layer.geometry_type,
            layer.provider,
            "yes" if layer.published else "no",
            count,
        )
    console.print(table)


@gis_app.command("lookup")
def lookup(
    parcel: Annotated[str | None, typer.Option(help="Map sheet/parcel number, e.g. 12/34")] = None,
    address: Annotated[str | None, typer.Option(help="House number and street, e.g. '12A Đường N5'")] = None,
    lon: Annotated[float | None, typer.Option()] = None,
    lat: Annotated[float | None, typer.Option()] = None,
    pdf: Annotated[Path | None, typer.Option(help="Also write the planning sheet to this PDF file")] = None,
) -> None:
    """Planning lookup for a point, a parcel or an address (JSON), optionally the printable sheet."""
    from smartcity.gis.planning import planning_lookup, planning_sheet_pdf

    db = open_database()
    try:
        if pdf is not None:
            info, content = planning_sheet_pdf(db, lon=lon, lat=lat, parcel=parcel, address=address)
            pdf.write_bytes(content)
            console.print(f"[green]Planning sheet written to {pdf}[/green]")
        else:
            info = planning_lookup(db, lon=lon, lat=lat, parcel=parcel, address=address)
    except AppError as error:
        console.print(f"[red]{error.title}[/red]: {error.detail}")
        raise typer.Exit(1) from error
    console.print_json(json.dumps(info.model_dump(mode="json", exclude={"parcel": {"geometry"}})))


@gis_app.command("reindex")
def reindex() -> None:
    """Rebuild the spatial index (R*Tree on SQLite, GiST on PostGIS)."""
    from smartcity.gis.feature_writes import reindex as rebuild

    console.print(f"[green]Indexed {rebuild(open_database())} features[/green]")
