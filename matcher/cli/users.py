"""`matcher users ...`: who may log in to the browser app, with which role.

Registered on the main typer app in `matcher.cli`. Messages name users, never a password.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from matcher.cli.records import cli_actor, open_records, refused
from matcher.store.roles import ROLES

__all__ = ["Role", "users_app"]

users_app = typer.Typer(help="Users of the browser app: add, list, disable, enable, change a password, remove.",
                        no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

#: The choices of ``--role``.
Role = StrEnum("Role", [(role, role) for role in ROLES])  # type: ignore[misc]


def _read_password(from_stdin: bool) -> str:
    from matcher.auth import password_problem

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password)
    if problem:
        typer.echo(problem, err=True)
        raise typer.Exit(1)
    return password


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name (for single sign-on: the e-mail the provider gives).")],
    role: Annotated[Role, typer.Option("--role", help="What the user may see and do.")],
    locality: Annotated[list[str] | None, typer.Option("--locality", "-l",
                                                       help="An NGO's commune (INSEE code); repeat for several.")]
    = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    sso_only: Annotated[bool, typer.Option("--sso-only", help="No password: signs in through the identity "
                                           "provider only.")] = False,
) -> None:
    """Add a user who may log in to the app with ROLE."""
    from matcher.auth import hash_password

    name = name.strip()
    if not name or len(name) > 200:
        typer.echo("the name must have 1 to 200 characters", err=True)
        raise typer.Exit(2)
    codes = [c.strip() for c in (locality or []) if c.strip()]
    role_name = role.value
    if role_name == "ngo" and not codes:
        typer.echo("an NGO user needs its communes: --locality CODE (repeat for several)", err=True)
        raise typer.Exit(2)
    if role_name != "ngo" and codes:
        typer.echo("--locality is for NGO users only", err=True)
        raise typer.Exit(2)
    password_hash = None if sso_only else hash_password(_read_password(password_stdin))
    with refused():
        open_records().add_user(cli_actor(), name, role_name, password_hash, codes)
    typer.echo(f"added {name} ({role_name}{': ' + ', '.join(codes) if codes else ''})")


@users_app.command("list")
def users_list() -> None:
    """List the users: name, role, communes, active or not."""
    for u in open_records().users():
        codes = f" [{', '.join(u.localities)}]" if u.localities else ""
        login = "password" if u.password_hash else "sso"
        typer.echo(f"{u.name}\t{u.role}{codes}\t{login}\t{'active' if u.active else 'disabled'}")


def _update(name: str, **changes: Any) -> None:
    with refused():
        open_records().update_user(cli_actor(), name, **changes)


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Stop a user from logging in (the records keep their name)."""
    _update(name, active=False)
    typer.echo(f"disabled {name}")


@users_app.command("enable")
def users_enable(name: str) -> None:
    """Let a disabled user log in again."""
    _update(name, active=True)
    typer.echo(f"enabled {name}")


@users_app.command("passwd")
def users_passwd(
    name: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Set a new password for a user."""
    from matcher.auth import hash_password

    _update(name, password_hash=hash_password(_read_password(password_stdin)))
    typer.echo(f"password changed for {name}")


@users_app.command("remove")
def users_remove(name: str) -> None:
    """Remove a user: they can no longer log in; the audit log keeps what they did, and their name stays taken."""
    with refused():
        open_records().remove_user(cli_actor(), name)
    typer.echo(f"removed {name}")
