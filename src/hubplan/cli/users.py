"""``hubplan users``: the accounts that may sign in to ``hubplan serve --auth accounts``.

Passwords are read from standard input (one line; at a terminal, asked twice without
echo), never from the command line, where other users of the machine could see them.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.markup import escape
from rich.table import Table

from hubplan.cli._app import app, err, out, print_json
from hubplan.errors import InputError

if TYPE_CHECKING:
    from hubplan.planning.accounts import AccountStore

users_app = typer.Typer(
    name="users", no_args_is_help=True, rich_markup_mode="rich",
    help="Accounts of the planner's server: add, list, remove, set-role, set-password (docs/api.md, Sign-in).",
)
app.add_typer(users_app, name="users")

DB_HELP = ("Scenario database the accounts live in: a SQLite file (default hubplan-scenarios.db in the current "
           "folder) or a SQLAlchemy URL; the same --db as hubplan serve.")
ROLE_HELP = "viewer (looks and compares), editor (also saves, deletes, optimises) or admin (also restores deleted)."


def _open(db: Optional[str], *, must_exist: bool) -> "AccountStore":
    from hubplan.planning.accounts import AccountStore
    from hubplan.planning.store import database_url

    url = database_url(db)
    if must_exist and url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise InputError(f"--db {db or 'hubplan-scenarios.db'}: no such database file (add an account first "
                         "with hubplan users add NAME --role admin)")
    return AccountStore(url)


def _read_password(name: str) -> str:
    """The new password: one line of standard input, or asked twice at a terminal."""
    from hubplan.planning.accounts import check_password

    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(f"Password for {name}: ", stream=sys.stderr)
        check_password(first)
        if getpass.getpass("Again: ", stream=sys.stderr) != first:
            raise InputError("password: the two passwords differ")
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    password = line.removesuffix("\n").removesuffix("\r")
    if not password:
        raise InputError("password: expected one line on standard input, got nothing "
                         "(e.g. printf '%s\\n' \"$PASSWORD\" | hubplan users add NAME ...)")
    return check_password(password)


def _check_format(fmt: str) -> str:
    if fmt not in ("table", "json"):
        raise InputError(f"--format {fmt}: expected 'table' or 'json'")
    return fmt


@users_app.command("add")
def add(
    name: str = typer.Argument(..., help="Account name: letters, digits and . _ @ + - (an e-mail address fits).",
                               show_default=False),
    role: str = typer.Option("viewer", "--role", "-r", help=ROLE_HELP),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json (the account as one JSON object)."),
) -> None:
    """Add an account; its password is read from standard input."""
    from hubplan.planning.accounts import Role, clean_account_name

    fmt = _check_format(fmt)
    clean = clean_account_name(name, "NAME")
    chosen = Role.parse(role, "--role")
    accounts = _open(db, must_exist=False)
    try:
        if accounts.get(clean) is not None:
            raise InputError(f"an account named {clean!r} already exists (hubplan users set-password or set-role "
                             "change it)")
        account = accounts.add(clean, _read_password(clean), chosen)
    finally:
        accounts.close()
    if fmt == "json":
        print_json(account.to_json())
    else:
        err.print(f"added {escape(account.name)} ({account.role.value}) to {escape(str(accounts.engine.url))}")


@users_app.command("list")
def list_users(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json (a JSON list of accounts on stdout)."),
) -> None:
    """The accounts and their roles (never their passwords)."""
    fmt = _check_format(fmt)
    accounts = _open(db, must_exist=True)
    try:
        listed = accounts.list()
    finally:
        accounts.close()
    if fmt == "json":
        print_json([a.to_json() for a in listed])
        return
    if not listed:
        err.print("no accounts yet: add one with hubplan users add NAME --role admin")
        return
    table = Table("name", "role", "added (UTC)", "password set (UTC)")
    for a in listed:
        table.add_row(escape(a.name), a.role.value, f"{a.created_at:%Y-%m-%d %H:%M}",
                      f"{a.password_changed_at:%Y-%m-%d %H:%M}")
    out.print(table)


@users_app.command("remove")
def remove(
    name: str = typer.Argument(..., help="Account name.", show_default=False),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Remove an account (it is signed out at its next request; its scenarios keep its name)."""
    accounts = _open(db, must_exist=True)
    try:
        accounts.remove(name)
    finally:
        accounts.close()
    err.print(f"removed {escape(name.strip())}")


@users_app.command("set-role")
def set_role(
    name: str = typer.Argument(..., help="Account name.", show_default=False),
    role: str = typer.Option(..., "--role", "-r", help=ROLE_HELP, show_default=False),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Give an account another role (in effect at its next request)."""
    from hubplan.planning.accounts import Role

    chosen = Role.parse(role, "--role")
    accounts = _open(db, must_exist=True)
    try:
        account = accounts.set_role(name, chosen)
    finally:
        accounts.close()
    err.print(f"{escape(account.name)} is now {account.role.value}")


@users_app.command("set-password")
def set_password(
    name: str = typer.Argument(..., help="Account name.", show_default=False),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Give an account a new password, read from standard input (its sessions end)."""
    accounts = _open(db, must_exist=True)
    try:
        if accounts.get(name) is None:
            raise InputError(f"no account named {name.strip()!r}")
        account = accounts.set_password(name, _read_password(name.strip()))
    finally:
        accounts.close()
    err.print(f"new password set for {escape(account.name)}")
