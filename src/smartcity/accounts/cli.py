"""`smartcity users ...` and `smartcity apikeys ...`: manage accounts and API keys from the shell."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from smartcity.accounts import service
from smartcity.core.commands import cli_actor, command_database, fail
from smartcity.core.db import Database
from smartcity.core.errors import ValidationFailed

users_app = typer.Typer(help="Người dùng — user accounts.", no_args_is_help=True)
apikeys_app = typer.Typer(help="Khóa API — API keys for other systems.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Login name")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, help="At least 8 characters")],
    role: Annotated[
        str,
        typer.Option(help="Role slug: citizen, clerk, specialist, head, leader, operator, admin, integrator"),
    ],
    unit: Annotated[str | None, typer.Option(help="Org unit code (default: the whole city)")] = None,
    full_name: Annotated[str, typer.Option(help="Full name")] = "",
) -> None:
    """Create a user with one role (exit 2 on an unknown role or unit)."""
    with command_database() as db:
        user = service.create_user(
            db,
            actor=cli_actor(),
            username=username,
            password=password,
            full_name=full_name,
            roles=[(role, unit)],
        )
    console.print(
        f"Created user [bold]{user.username}[/bold] (id {user.id}) with role {role}"
        f" in {unit or 'the whole city'}.",
        highlight=False,
    )


@users_app.command("list")
def users_list(
    query: Annotated[str | None, typer.Option("--query", "-q", help="Part of a username or name")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 500,
) -> None:
    """List users with their roles."""
    with command_database() as db:
        page = service.list_users(db, limit=limit, query=query)
    table = Table("id", "username", "full name", "active", "roles")
    for user in page.items:
        roles = ", ".join(f"{a.role}@{a.org_unit_code}" if a.org_unit_code else a.role for a in user.roles)
        table.add_row(str(user.id), user.username, user.full_name, "yes" if user.is_active else "no", roles)
    console.print(table)
    console.print(f"{page.total} users.")


def _user_id(db: Database, username: str) -> int:
    user = service.get_user_by_username(db, username)
    if user is None:
        raise fail(ValidationFailed.for_field("username", f"no user {username!r}"))
    return user.id


@users_app.command("set-password")
def users_set_password(
    username: Annotated[str, typer.Option(help="Login name")],
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters"),
    ],
) -> None:
    """Give a user a new password (their tokens and sessions end)."""
    with command_database() as db:
        service.set_password(db, actor=cli_actor(), user_id=_user_id(db, username), password=password)
    console.print(f"Password of {username} changed.", highlight=False)


@users_app.command("deactivate")
def users_deactivate(username: Annotated[str, typer.Argument(help="Login name")]) -> None:
    """Stop a user from logging in (their tokens and sessions end at once)."""
    with command_database() as db:
        service.deactivate_user(db, actor=cli_actor(), user_id=_user_id(db, username))
    console.print(f"User {username} deactivated.", highlight=False)


@apikeys_app.command("create")
def apikeys_create(
    name: Annotated[str, typer.Option(help="Who uses the key, e.g. 'Zalo mini app'")],
    role: Annotated[str, typer.Option(help="Role of the key")] = "integrator",
    unit: Annotated[str | None, typer.Option(help="Org unit code (default: the whole city)")] = None,
) -> None:
    """Create an API key; the key is printed once, alone on the last line."""
    with command_database() as db:
        created = service.create_api_key(db, actor=cli_actor(), name=name, role=role, org_unit_code=unit)
    console.print(
        f"API key {created.prefix} ({created.name}, role {created.role}). "
        "Store it now: it is not shown again.",
        highlight=False,
    )
    typer.echo(created.key)


@apikeys_app.command("list")
def apikeys_list() -> None:
    """List API keys by prefix (never their secrets)."""
    with command_database() as db:
        keys = service.list_api_keys(db)
    table = Table("prefix", "name", "role", "unit", "created", "last used", "revoked")
    for key in keys:
        table.add_row(
            key.prefix,
            key.name,
            key.role,
            key.org_unit_code or "",
            _when(key.created_at),
            _when(key.last_used_at),
            _when(key.revoked_at),
        )
    console.print(table)


@apikeys_app.command("revoke")
def apikeys_revoke(prefix: Annotated[str, typer.Argument(help="The 8-character prefix of the key")]) -> None:
    """Revoke an API key by its prefix."""
    with command_database() as db:
        key = service.revoke_api_key(db, actor=cli_actor(), prefix=prefix)
    console.print(f"API key {key.prefix} ({key.name}) revoked.", highlight=False)


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


GROUPS = {"users": users_app, "apikeys": apikeys_app}
