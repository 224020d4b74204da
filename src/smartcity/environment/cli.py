"""`smartcity environment ...`: compute VN_AQI, check water levels."""

from __future__ import annotations

from datetime import date

import typer

from smartcity.core.db import open_database

app = typer.Typer(help="Môi trường — air quality (VN_AQI) and flooding.", no_args_is_help=True)


@app.command("aqi")
def compute_aqi(
    day: str = typer.Option("", help="Also (re)compute the daily VN_AQI of this day (YYYY-MM-DD)"),
) -> None:
    """Compute the hourly VN_AQI not computed yet, and a day's daily VN_AQI."""
    from smartcity.environment import service

    db = open_database()
    typer.echo(f"hourly VN_AQI computed: {service.compute_hourly(db)}")
    if day:
        typer.echo(f"daily VN_AQI computed: {service.compute_daily(db, day=date.fromisoformat(day))}")


@app.command("water")
def water() -> None:
    """Follow the flood gauges once."""
    from smartcity.environment import service

    typer.echo(f"flood changes: {service.check_water_levels(open_database())}")


GROUPS = {"environment": app}
