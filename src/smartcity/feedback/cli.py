"""`smartcity feedback ...`: categories, timers (escalation, auto-close), demo reports, statistics."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from smartcity.core.config import get_settings
from smartcity.core.db import open_database
from smartcity.core.security import Actor

feedback_app = typer.Typer(help="Phản ánh kiến nghị, tổng đài 1022 — citizen reports.", no_args_is_help=True)
console = Console()


@feedback_app.command("categories")
def categories(
    load: Annotated[bool, typer.Option(help="Add the shipped categories that are missing")] = False,
) -> None:
    """List the report categories (Open311 services) with their handling unit and deadline."""
    from smartcity.feedback import service

    db = open_database()
    if load:
        added = service.ensure_default_categories(db, actor=Actor.system("cli"))
        console.print(f"[green]{added} categories added.[/green]")
    table = Table("code", "name", "handler", "deadline")
    for c in service.list_categories(db):
        deadline = f"{c.deadline_hours} h" if c.deadline_hours else f"{c.deadline_working_days} working days"
        table.add_row(c.code, c.name, c.department_code or "ward committee", deadline)
    console.print(table)


@feedback_app.command("escalate")
def escalate() -> None:
    """Escalate open reports past their deadline (the task "feedback.escalate")."""
    from smartcity.feedback import service

    codes = service.escalate_overdue(open_database())
    console.print(f"Escalated {len(codes)} reports." + (f" {', '.join(codes[:20])}" if codes else ""))


@feedback_app.command("close-resolved")
def close_resolved() -> None:
    """Close resolved reports whose reopening period has passed (the task "feedback.close_resolved")."""
    from smartcity.feedback import service

    codes = service.close_resolved(open_database())
    console.print(f"Closed {len(codes)} reports.")


@feedback_app.command("seed-demo")
def seed_demo(
    days: Annotated[int, typer.Option(min=1, max=3650, help="How many days back")] = 365,
    per_day: Annotated[int, typer.Option(min=1, max=500, help="Reports a day on average")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same reports)")] = 1022,
) -> None:
    """Fill the demo city with a year of realistic reports, handled as a city would."""
    from smartcity.feedback.demo import generate

    db = open_database()
    with Progress(console=console) as progress:
        task = progress.add_task("Phản ánh / reports", total=days * per_day)
        summary = generate(
            db,
            days=days,
            per_day=per_day,
            seed=seed,
            secret=get_settings().personal_keys,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    console.print(
        f"[green]{summary.reports} reports[/green] ({summary.resolved} resolved, {summary.skipped} skipped)."
    )


@feedback_app.command("stats")
def stats(days: Annotated[int, typer.Option(min=1, help="The last N days")] = 365) -> None:
    """Print the statistics of the last N days."""
    from smartcity.core.db import utcnow
    from smartcity.feedback.stats import report_statistics

    end: datetime = utcnow()
    figures = report_statistics(open_database(), start=end - timedelta(days=days), end=end)
    console.print_json(figures.model_dump_json())


GROUPS = {"feedback": feedback_app}
