"""The education domain's commands: `smartcity education ...`."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from smartcity.core import numbers
from smartcity.core.commands import command_database
from smartcity.core.security import Actor
from smartcity.education import service

app = typer.Typer(help="Education: the public schools, their fees and figures.", no_args_is_help=True)
console = Console()


@app.command("schools")
def schools() -> None:
    """Every school with its pupils, classes above the norm and fee collection this year."""
    with command_database() as db:
        data = service.overview(db, actor=Actor.system("cli"), settings=db.settings)
    table = Table("Trường", "Phường", "Học sinh", "Lớp vượt sĩ số", "Tỷ lệ thu")
    for row in data["schools"]:
        table.add_row(
            row["name"],
            row["ward_name"],
            numbers.number(row["students"]),
            str(row["over_norm"]),
            numbers.percent(row["fee_rate"], 1),
        )
    console.print(table)
    city = data["city"]
    console.print(
        f"{city['schools']} trường, {numbers.number(city['students'])} học sinh,"
        f" tỷ lệ thu {numbers.percent(city['fee_rate'], 1)}"
    )


@app.command("bill")
def bill(
    month: str = typer.Argument(..., help="The month to bill, YYYY-MM"),
    school: list[str] = typer.Option(None, "--school", help="Only these schools (codes); default all"),
) -> None:
    """Bill every pupil of the schools for a month (once per pupil and month)."""
    actor = Actor.system("cli")
    with command_database() as db:
        codes = school or [s["code"] for s in service.list_schools(db)]
        with console.status(f"Lập hóa đơn tháng {month}…"):
            results = {
                code: service.issue_invoices(
                    db, actor=actor, settings=db.settings, school_code=code, period=month
                )
                for code in codes
            }
    invoices = sum(r["invoices"] for r in results.values())
    total = sum(r["total_vnd"] for r in results.values())
    console.print(f"{invoices} hóa đơn, {numbers.money_vnd(total)}, {len(codes)} trường")


GROUPS = {"education": app}
