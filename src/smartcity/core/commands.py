"""What every domain's command-line group shares: who runs it, its database, and how an error ends it."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from smartcity.core.db import Database, open_database
from smartcity.core.errors import AppError
from smartcity.core.security import Actor

BAD_INPUT = (400, 413, 415, 422)  # the caller's mistake: exit code 2
err_console = Console(stderr=True)


def cli_actor() -> Actor:
    """The system actor of a command, named after the login that runs it."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        who = "unknown"
    return Actor.system(f"cli:{who}")


def fail(error: AppError) -> typer.Exit:
    """Print the error plainly; the exit is 2 for bad input, 1 otherwise."""
    err_console.print(f"[red]Error:[/red] {error.detail}", markup=True, highlight=False)
    return typer.Exit(2 if error.status in BAD_INPUT else 1)


@contextmanager
def command_database() -> Iterator[Database]:
    """The process's database for one command: an AppError ends the command (`fail`); the pool is closed."""
    db = open_database()
    try:
        yield db
    except AppError as error:
        raise fail(error) from None
    finally:
        db.dispose()
