"""`smartcity ioc ...`: compute indicators, run the timers, write an operations report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from smartcity.core.db import open_database

ioc_app = typer.Typer(help="Trung tâm điều hành (IOC) — the operations centre.", no_args_is_help=True)
console = Console()


@ioc_app.command("compute")
def compute(
    code: Annotated[list[str] | None, typer.Option(help="Only these indicator codes")] = None,
) -> None:
    """Compute the indicators' current and previous periods now."""
    from smartcity.ioc import service

    db = open_database()
    done = service.compute_now(db, settings=db.settings, codes=code)
    console.print(f"Computed {done} indicator periods.")


@ioc_app.command("timers")
def timers() -> None:
    """Escalate incidents not acknowledged in time and carry out due playbook steps."""
    from smartcity.ioc import service

    db = open_database()
    escalated = service.escalate_overdue(db, settings=db.settings)
    steps = service.run_due_steps(db, settings=db.settings)
    console.print(f"Escalated {len(escalated)} incidents, ran {steps} playbook steps.")


@ioc_app.command("report")
def report(
    kind: Annotated[str, typer.Argument(help="daily or monthly")],
    period: Annotated[str, typer.Argument(help="2026-12-04 (daily) or 2026-11 (monthly)")],
    out: Annotated[Path, typer.Option(help="Where to write the PDF (.xlsx for a workbook)")],
) -> None:
    """Write the daily or monthly operations report as PDF or XLSX."""
    from smartcity.ioc.service import reports

    db = open_database()
    if out.suffix == ".xlsx":
        out.write_bytes(reports.report_xlsx(db, settings=db.settings, kind=kind, key=period))
    else:
        out.write_bytes(reports.report_pdf(db, settings=db.settings, kind=kind, key=period))
    console.print(f"Wrote {out}")


GROUPS = {"ioc": ioc_app}
