"""`smartcity documents ...`: agencies documents are exchanged with, deliveries, registers."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from smartcity.core.db import open_database
from smartcity.core.security import Actor

documents_app = typer.Typer(help="Văn bản điều hành — official documents.", no_args_is_help=True)
console = Console()
CLI = Actor.system("cli")


@documents_app.command("agency")
def agency(
    code: Annotated[str, typer.Argument(help="The agency's code (its org unit code on its platform)")],
    name: Annotated[str, typer.Option(help="Its name")],
    endpoint: Annotated[
        str, typer.Option(help="Base URL of its platform, e.g. https://vanban.example.gov.vn")
    ],
    inactive: Annotated[bool, typer.Option(help="Stop delivering to it")] = False,
) -> None:
    """Register (or change) an agency documents are delivered to and accepted from.

    Its CA root must also be trusted (`smartcity pki trust ROOT.pem`) unless it shares this platform's PKI.
    """
    from smartcity.documents import exchange
    from smartcity.documents.schemas import AgencyIn

    try:
        data = AgencyIn(code=code, name=name, endpoint=endpoint, active=not inactive)
    except ValidationError as exc:
        console.print(f"[red]{exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}[/red]")
        raise typer.Exit(2) from exc
    saved = exchange.upsert_agency(open_database(), actor=CLI, data=data)
    console.print(f"[green]{saved.code}[/green] {saved.name} → {saved.endpoint}")


@documents_app.command("agencies")
def agencies() -> None:
    """List the registered agencies."""
    from smartcity.documents import exchange

    table = Table("code", "name", "endpoint", "active")
    for a in exchange.list_agencies(open_database()):
        table.add_row(a.code, a.name, a.endpoint, "yes" if a.active else "no")
    console.print(table)


@documents_app.command("deliver")
def deliver() -> None:
    """Send the envelopes whose time has come now (the worker's task "documents.deliver")."""
    from smartcity.documents import exchange

    results = exchange.deliver_due(open_database())
    delivered = sum(1 for d in results if d.status == "delivered")
    console.print(f"{delivered} delivered, {len(results) - delivered} to retry.")
    for d in results:
        if d.status != "delivered":
            console.print(f"  {d.agency_code} ({d.envelope_id}): {d.last_error[:200]}")


GROUPS = {"documents": documents_app}
