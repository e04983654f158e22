"""``hubplan db``: the scenario database's schema (status, upgrade) and SQLite backups."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from hubplan.cli._app import app, err, out, print_json
from hubplan.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

db_app = typer.Typer(help="The scenario database: schema status and upgrades (migrations), backups.",
                     no_args_is_help=True)
app.add_typer(db_app, name="db")

_DB_HELP = ("Scenario database: a SQLite file (default hubplan-scenarios.db in the current folder) or a "
            "SQLAlchemy URL such as postgresql+psycopg://user@host/hubplan.")
_FORMAT_HELP = "table or json (one JSON document on stdout)."


def _format(value: str) -> str:
    if value not in ("table", "json"):
        raise InputError(f"--format '{value}': expected table or json")
    return value


def _engine(db: Optional[str], *, must_exist: bool) -> tuple[str, "Engine"]:
    from hubplan.planning.store import database_url, open_engine

    url = database_url(db)
    if must_exist and url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        raise InputError(f"--db {db or 'hubplan-scenarios.db'}: no such database file")
    return url, open_engine(url)


@db_app.command("status")
def status(
    db: Optional[str] = typer.Option(None, "--db", help=_DB_HELP),
    output_format: str = typer.Option("table", "--format", "-f", help=_FORMAT_HELP),
) -> None:
    """Which schema revision the database is at and whether it needs an upgrade (changes nothing)."""
    from hubplan.planning.store import database_revision, head_revision

    output_format = _format(output_format)
    url, engine = _engine(db, must_exist=True)
    try:
        current = database_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    result = {"database": _shown(url), "revision": current, "head": head, "up_to_date": current == head}
    if output_format == "json":
        print_json(result)
        return
    state = "up to date" if current == head else (
        "empty (no hubplan tables yet)" if current is None else f"needs an upgrade to {head}")
    out.print(f"{result['database']}: schema revision {current or 'none'}, newest {head}: {state}")


@db_app.command("upgrade")
def upgrade(
    db: Optional[str] = typer.Option(None, "--db", help=_DB_HELP),
    output_format: str = typer.Option("table", "--format", "-f", help=_FORMAT_HELP),
) -> None:
    """Upgrade the database's tables to this hubplan's schema (a store also does this when it opens one).

    One transaction: it either completes or changes nothing. Back the database up first."""
    from hubplan.planning.store import upgrade_database

    output_format = _format(output_format)
    url, engine = _engine(db, must_exist=False)
    try:
        before, after = upgrade_database(engine)
    finally:
        engine.dispose()
    result = {"database": _shown(url), "before": before, "after": after, "changed": before != after}
    if output_format == "json":
        print_json(result)
        return
    out.print(f"{result['database']}: " + (f"upgraded from {before or 'empty'} to {after}" if before != after
                                             else f"already at {after}, nothing to do"))


@db_app.command("backup")
def backup(
    target: Path = typer.Argument(..., help="The backup file to write (SQLite); it must not exist."),
    db: Optional[str] = typer.Option(None, "--db", help="The SQLite scenario database to copy (default "
                                     "hubplan-scenarios.db). For PostgreSQL use pg_dump (docs/deployment.md)."),
    output_format: str = typer.Option("table", "--format", "-f", help=_FORMAT_HELP),
) -> None:
    """Copy a SQLite scenario database while the planner runs (SQLite's online backup)."""
    from hubplan.planning.store import database_url

    output_format = _format(output_format)
    url = database_url(db)
    if not url.startswith("sqlite:///"):
        raise InputError(f"--db {_shown(url)}: online backup is for SQLite files; back a server database up "
                         "with its own tool, e.g. pg_dump (docs/deployment.md)")
    source = Path(url[len("sqlite:///"):])
    if not source.exists():
        raise InputError(f"--db {db or 'hubplan-scenarios.db'}: no such database file")
    if target.exists():
        raise InputError(f"{target}: exists already; give a new file name (a backup never overwrites)")
    if not target.parent.exists():
        raise InputError(f"{target}: folder {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(partial) as dst:
            src.backup(dst)  # consistent even while others write (pages copied under a read lock)
            scenarios = _count(dst)
        src.close()
        dst.close()
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    result = {"database": str(source), "backup": str(target), "scenarios": scenarios,
              "bytes": target.stat().st_size}
    if output_format == "json":
        print_json(result)
        return
    out.print(f"backed up {source} to {target}: {scenarios} scenarios, {result['bytes']:,} bytes")
    err.print("restore by stopping the planner and copying the backup over the database file")


def _count(conn: sqlite3.Connection) -> int:
    try:
        row = conn.execute("SELECT count(*) FROM hubplan_scenarios WHERE deleted_at IS NULL").fetchone()
    except sqlite3.DatabaseError:
        return 0
    return int(row[0])


def _shown(url: str) -> str:
    import sqlalchemy as sa

    return sa.engine.make_url(url).render_as_string(hide_password=True)
