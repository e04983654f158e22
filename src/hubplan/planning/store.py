"""Saved scenarios: named options with their parameters, who saved them, when, and results.

A :class:`ScenarioStore` keeps scenarios in one table of any SQLAlchemy database: a
SQLite file by default (``ScenarioStore("scenarios.db")``), or a URL such as
``postgresql+psycopg://user@host/hubplan`` for a team server.

Every write is one transaction, so several users (threads of one server, or several
server processes sharing one SQLite file) can save at the same time and lose nothing:

* SQLite runs in WAL mode (readers never block the writer) with a busy timeout, and
  write transactions start with ``BEGIN IMMEDIATE`` so two writers queue for the lock
  instead of failing when a read upgrades to a write.
* Names are unique regardless of case and surrounding spaces (a ``name_key`` column
  with a unique constraint): saving a name that exists raises
  :class:`ScenarioExistsError` unless ``replace=True`` is given, in which case the
  scenario is updated in place (its id is kept). Two users saving the same new name at
  the same moment therefore give one scenario and one clear error, never two rows.

>>> store = ScenarioStore("sqlite://")            # in memory, for the example
>>> saved = store.save("Southampton only", service="vascular_arterial",
...                    parameters={"hubs": ["SO166YD"]}, saved_by="ana")
>>> [s.name for s in store.list()]
['Southampton only']
>>> store.rename("Southampton only", "Option A").name
'Option A'
>>> store.delete("Option A")
>>> store.list()
[]
"""

from __future__ import annotations

import builtins
import json
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.pool import StaticPool

from hubplan.errors import HubplanError, InputError

#: Longest scenario name and ``saved_by`` accepted (characters).
MAX_NAME_CHARACTERS = 120
#: Seconds a SQLite connection waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
#: Version of the table layout, stored with every scenario. 2 added versions (``version``,
#: ``created_by``, ``created_at``), soft deletes (``deleted_at``, ``deleted_by``) and the
#: history table. The layouts are Alembic migrations (``hubplan/planning/migrations``):
#: a store upgrades the database it opens (:func:`upgrade_database`).
SCHEMA_VERSION = 2
#: Where the migrations are.
MIGRATIONS = Path(__file__).with_name("migrations")
#: Key of the PostgreSQL advisory lock held while a database is upgraded.
_UPGRADE_LOCK_KEY = 0x6875627061  # "hubpa"

_T = TypeVar("_T")


class ScenarioNotFoundError(HubplanError, LookupError):
    """No scenario has that name (the API answers 404)."""


class ScenarioExistsError(HubplanError):
    """A scenario with that name exists already (the API answers 409)."""


class ScenarioConflictError(ScenarioExistsError):
    """A save based on an older version than the one stored: someone else changed it
    (the API answers 409; nothing is overwritten)."""


@dataclass(frozen=True)
class Scenario:
    """One saved scenario.

    Attributes
    ----------
    id:
        Database key (stable across renames).
    name:
        Unique name, as the user typed it (surrounding spaces removed).
    service:
        Service preset name, e.g. ``"thrombectomy"``.
    parameters:
        The option and the network restriction, as accepted by the API's ``evaluate``
        (``hubs``, ``spokes``, ``pathway``, ``bypass_minutes``, ``region``...).
    summary:
        The evaluation summary when it was saved (the JSON-contract ``summary``).
    saved_by:
        Who saved (or last replaced) it.
    saved_at:
        When, timezone-aware UTC.
    """

    id: int
    name: str
    service: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    summary: Mapping[str, Any] = field(default_factory=dict)
    saved_by: str = ""
    saved_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    version: int = 1
    created_by: str = ""
    created_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The scenario as plain JSON values (times in ISO 8601, UTC)."""
        return {
            "id": self.id,
            "name": self.name,
            "service": self.service,
            "parameters": dict(self.parameters),
            "summary": dict(self.summary),
            "saved_by": self.saved_by,
            "saved_at": self.saved_at.isoformat(timespec="seconds"),
            "version": self.version,
            "created_by": self.created_by,
            "created_at": (self.created_at or self.saved_at).isoformat(timespec="seconds"),
        }


metadata = sa.MetaData()

scenarios_table = sa.Table(
    "hubplan_scenarios",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(MAX_NAME_CHARACTERS), nullable=False),
    sa.Column("name_key", sa.String(MAX_NAME_CHARACTERS), nullable=False, unique=True),
    sa.Column("service", sa.String(100), nullable=False),
    sa.Column("parameters", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("saved_by", sa.String(MAX_NAME_CHARACTERS), nullable=False),
    sa.Column("saved_at", sa.String(40), nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_by", sa.String(MAX_NAME_CHARACTERS), nullable=True),
    sa.Column("created_at", sa.String(40), nullable=True),
    sa.Column("deleted_at", sa.String(40), nullable=True),
    sa.Column("deleted_by", sa.String(MAX_NAME_CHARACTERS), nullable=True),
)

#: Every version of every scenario, and deletes: what was saved, by whom, when.
history_table = sa.Table(
    "hubplan_scenario_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("scenario_id", sa.Integer, nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("name", sa.String(MAX_NAME_CHARACTERS), nullable=False),
    sa.Column("service", sa.String(100), nullable=False),
    sa.Column("parameters", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("saved_by", sa.String(MAX_NAME_CHARACTERS), nullable=False),
    sa.Column("saved_at", sa.String(40), nullable=False),
)

_LIVE = scenarios_table.c.deleted_at.is_(None)


def clean_name(name: object, what: str = "name") -> str:
    """A scenario name with surrounding spaces removed, or :class:`InputError`.

    Names must be text of 1 to :data:`MAX_NAME_CHARACTERS` characters with no control
    characters (tabs, newlines).
    """
    if not isinstance(name, str):
        raise InputError(f"{what}: expected text, got {type(name).__name__}")
    text = name.strip()
    if not text:
        raise InputError(f"{what}: expected a non-empty name")
    if len(text) > MAX_NAME_CHARACTERS:
        raise InputError(f"{what}: at most {MAX_NAME_CHARACTERS} characters, got {len(text)}")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise InputError(f"{what}: control characters (tabs, newlines) are not allowed")
    return text


def name_key(name: str) -> str:
    """The key that makes names unique: case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def database_url(target: str | Path | None) -> str:
    """A SQLAlchemy URL for a path (a SQLite file) or a URL given as it is.

    ``None`` gives ``sqlite:///hubplan-scenarios.db`` in the current folder.
    """
    if target is None:
        target = Path("hubplan-scenarios.db")
    text = str(target)
    if "://" in text:
        return text
    path = Path(text).expanduser()
    if path.parent and not path.parent.exists():
        raise InputError(f"--db {text}: folder {path.parent} does not exist")
    return f"sqlite:///{path.resolve()}"


class ScenarioStore:
    """Saved scenarios in a SQL database (SQLite by default).

    Parameters
    ----------
    target:
        A SQLite file path, a SQLAlchemy URL (``sqlite://`` = in memory, shared by the
        threads of this process; ``postgresql+psycopg://...``), or ``None`` for
        ``hubplan-scenarios.db`` in the current folder.
    busy_timeout_seconds:
        How long a SQLite writer waits for another one before failing.
    """

    def __init__(
        self,
        target: str | Path | None = None,
        *,
        busy_timeout_seconds: float = SQLITE_BUSY_TIMEOUT_SECONDS,
    ) -> None:
        self.url = database_url(target)
        self.engine: Engine = _make_engine(self.url, busy_timeout_seconds)
        self._create_table()

    def __repr__(self) -> str:
        return f"ScenarioStore({self.engine.url.render_as_string(hide_password=True)!r})"

    # ------------------------------------------------------------------ reading
    def list(self) -> list[Scenario]:
        """Every scenario, most recently saved first."""
        query = sa.select(scenarios_table).where(_LIVE).order_by(
            scenarios_table.c.saved_at.desc(), scenarios_table.c.id.desc()
        )
        with self.engine.connect() as conn:
            return [_row_to_scenario(row) for row in conn.execute(query).mappings()]

    def load(self, name: str) -> Scenario:
        """The scenario with this name (case and surrounding spaces ignored).

        Raises
        ------
        ScenarioNotFoundError
            If there is none.
        """
        key = name_key(clean_name(name))
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(scenarios_table).where(scenarios_table.c.name_key == key, _LIVE)
            ).mappings().first()
        if row is None:
            raise ScenarioNotFoundError(f"no saved scenario named {name.strip()!r}")
        return _row_to_scenario(row)

    def exists(self, name: str) -> bool:
        """Whether a (not deleted) scenario has this name (case and surrounding spaces ignored)."""
        key = name_key(clean_name(name))
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(scenarios_table.c.id).where(scenarios_table.c.name_key == key, _LIVE)
            ).first()
        return found is not None

    def __len__(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(scenarios_table).where(_LIVE)).scalar_one())

    def __iter__(self) -> Iterator[Scenario]:
        return iter(self.list())

    # ------------------------------------------------------------------ writing
    def save(
        self,
        name: str,
        *,
        service: str,
        parameters: Mapping[str, Any],
        summary: Mapping[str, Any] | None = None,
        saved_by: str = "",
        replace: bool = False,
        base_version: int | None = None,
    ) -> Scenario:
        """Save a scenario in one transaction.

        Parameters
        ----------
        name:
            Unique name (see :func:`clean_name`).
        service:
            Service preset name.
        parameters, summary:
            JSON-serialisable mappings (the option and its results).
        saved_by:
            Who saves it (free text, e.g. a name or an email address).
        replace:
            If a scenario of this name exists: ``False`` raises
            :class:`ScenarioExistsError`, ``True`` replaces its contents (keeping its id)
            as its next version; the version replaced stays in its :meth:`history`.
        base_version:
            With ``replace``: the version the change was made from. If the scenario has
            been saved since (its version is another), :class:`ScenarioConflictError` names
            who saved it and when, and nothing is written. ``None`` replaces whatever is
            there (for scripts that own their scenarios).

        Returns
        -------
        Scenario
            What was stored.
        """
        clean = clean_name(name)
        who = saved_by.strip() if isinstance(saved_by, str) else ""
        if len(who) > MAX_NAME_CHARACTERS:
            raise InputError(f"saved_by: at most {MAX_NAME_CHARACTERS} characters, got {len(who)}")
        if base_version is not None and (isinstance(base_version, bool) or not isinstance(base_version, int)
                                         or base_version < 1):
            raise InputError(f"base_version: expected a whole number >= 1, got {base_version!r}")
        now = _now()
        values = {
            "name": clean,
            "name_key": name_key(clean),
            "service": str(service),
            "parameters": _dumps(parameters, "parameters"),
            "summary": _dumps(summary or {}, "summary"),
            "saved_by": who,
            "saved_at": now,
            "schema_version": SCHEMA_VERSION,
        }

        def work(conn: Connection) -> int:
            existing = conn.execute(
                sa.select(scenarios_table.c.id, scenarios_table.c.version, scenarios_table.c.saved_by,
                          scenarios_table.c.saved_at)
                .where(scenarios_table.c.name_key == values["name_key"])
                .with_for_update()  # PostgreSQL: the row is locked until this save commits
            ).mappings().first()
            if existing is not None:
                if not replace:
                    raise ScenarioExistsError(_exists_message(clean))
                current = int(existing["version"])

                def conflict(version: int, who: Any, when: Any) -> ScenarioConflictError:
                    return ScenarioConflictError(
                        f"{clean!r} was saved again by {who or 'someone'} at "
                        f"{str(when)[:16].replace('T', ' ')} UTC (version {version}) after the "
                        f"version {base_version} your change was made from: nothing was overwritten; load it "
                        "again and make your change there, or save under another name")

                if base_version is not None and base_version != current:
                    raise conflict(current, existing["saved_by"], existing["saved_at"])
                new = {**values, "version": current + 1}
                # only if nobody saved it in between (a database without row locks, or READ COMMITTED)
                done = conn.execute(sa.update(scenarios_table).where(
                    scenarios_table.c.id == existing["id"], scenarios_table.c.version == current).values(**new))
                if done.rowcount != 1:
                    now_row = conn.execute(sa.select(scenarios_table).where(
                        scenarios_table.c.id == existing["id"])).mappings().one()
                    raise conflict(int(now_row["version"]), now_row["saved_by"], now_row["saved_at"])
                _record(conn, int(existing["id"]), current + 1, "replaced", new)
                return int(existing["id"])
            try:
                result = conn.execute(sa.insert(scenarios_table).values(
                    **values, version=1, created_by=who, created_at=now))
            except IntegrityError:
                # Another writer inserted the same name between our check and insert
                # (possible on databases without SQLite's whole-database write lock).
                raise _RetryWithReplace() from None
            key = result.inserted_primary_key
            scenario_id = int(key[0]) if key else -1
            _record(conn, scenario_id, 1, "saved", values)
            return scenario_id

        for attempt in range(3):
            try:
                scenario_id = self._write(work)
                break
            except _RetryWithReplace:
                if not replace or attempt == 2:
                    raise ScenarioExistsError(_exists_message(clean)) from None
        return self._by_id(scenario_id)

    def rename(self, old_name: str, new_name: str) -> Scenario:
        """Give a scenario a new unique name.

        Raises
        ------
        ScenarioNotFoundError
            If ``old_name`` does not exist.
        ScenarioExistsError
            If another scenario already has ``new_name``.
        """
        old_key = name_key(clean_name(old_name, "name"))
        new = clean_name(new_name, "new name")
        new_key = name_key(new)

        def work(conn: Connection) -> int:
            found = conn.execute(
                sa.select(scenarios_table.c.id).where(scenarios_table.c.name_key == old_key, _LIVE)
            ).scalar_one_or_none()
            if found is None:
                raise ScenarioNotFoundError(f"no saved scenario named {old_name.strip()!r}")
            clash = conn.execute(
                sa.select(scenarios_table.c.id).where(scenarios_table.c.name_key == new_key)
            ).scalar_one_or_none()
            if clash is not None and clash != found:
                raise ScenarioExistsError(_exists_message(new))
            try:
                conn.execute(
                    sa.update(scenarios_table)
                    .where(scenarios_table.c.id == found)
                    .values(name=new, name_key=new_key)
                )
            except IntegrityError:
                raise ScenarioExistsError(_exists_message(new)) from None
            row = conn.execute(sa.select(scenarios_table).where(scenarios_table.c.id == found)).mappings().one()
            _record(conn, int(found), int(row["version"]), "renamed", dict(row))
            return int(found)

        return self._by_id(self._write(work))

    def delete(self, name: str, deleted_by: str = "") -> None:
        """Delete a scenario: softly, so that :meth:`undelete` can bring it back. Its name is
        free for a new scenario at once.

        Raises
        ------
        ScenarioNotFoundError
            If there is none of that name.
        """
        key = name_key(clean_name(name))
        who = deleted_by.strip() if isinstance(deleted_by, str) else ""

        def work(conn: Connection) -> int:
            row = conn.execute(
                sa.select(scenarios_table).where(scenarios_table.c.name_key == key, _LIVE)
            ).mappings().first()
            if row is None:
                raise ScenarioNotFoundError(f"no saved scenario named {name.strip()!r}")
            conn.execute(sa.update(scenarios_table).where(scenarios_table.c.id == row["id"]).values(
                deleted_at=_now(), deleted_by=who, name_key=_deleted_key(key, int(row["id"]))))
            _record(conn, int(row["id"]), int(row["version"]), "deleted", {**dict(row), "saved_by": who,
                                                                           "saved_at": _now()})
            return 0

        self._write(work)

    def deleted(self) -> "builtins.list[dict[str, Any]]":
        """Deleted scenarios, most recently deleted first: ``id, name, deleted_by, deleted_at``."""
        query = sa.select(scenarios_table).where(scenarios_table.c.deleted_at.is_not(None)).order_by(
            scenarios_table.c.deleted_at.desc())
        with self.engine.connect() as conn:
            return [{"id": int(r["id"]), "name": str(r["name"]), "deleted_by": str(r["deleted_by"] or ""),
                     "deleted_at": str(r["deleted_at"])[:19]} for r in conn.execute(query).mappings()]

    def undelete(self, scenario_id: int, by: str = "") -> Scenario:
        """Bring a deleted scenario back under its name (:class:`ScenarioExistsError` if a
        live scenario has taken the name meanwhile: rename that one first)."""

        def work(conn: Connection) -> int:
            row = conn.execute(sa.select(scenarios_table).where(
                scenarios_table.c.id == scenario_id, scenarios_table.c.deleted_at.is_not(None))).mappings().first()
            if row is None:
                raise ScenarioNotFoundError(f"no deleted scenario with id {scenario_id}")
            key = name_key(str(row["name"]))
            try:
                conn.execute(sa.update(scenarios_table).where(scenarios_table.c.id == scenario_id).values(
                    deleted_at=None, deleted_by=None, name_key=key))
            except IntegrityError:
                raise ScenarioExistsError(
                    f"a scenario named {row['name']!r} exists again: rename it, then restore this one") from None
            _record(conn, scenario_id, int(row["version"]), "undeleted", {**dict(row), "saved_by": by.strip(),
                                                                          "saved_at": _now()})
            return scenario_id

        return self._by_id(self._write(work))

    def history(self, name: str) -> "builtins.list[dict[str, Any]]":
        """Every version of a scenario and what happened to it, oldest first: ``version,
        action, name, saved_by, saved_at``."""
        scenario = self.load(name)
        query = sa.select(history_table).where(history_table.c.scenario_id == scenario.id).order_by(
            history_table.c.id)
        with self.engine.connect() as conn:
            return [{"version": int(r["version"]), "action": str(r["action"]), "name": str(r["name"]),
                     "saved_by": str(r["saved_by"]), "saved_at": str(r["saved_at"])[:19]}
                    for r in conn.execute(query).mappings()]

    def restore(self, name: str, version: int, saved_by: str = "", base_version: int | None = None) -> Scenario:
        """Save an old version's contents again, as the next version (nothing is lost: the
        version replaced stays in the history)."""
        scenario = self.load(name)
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(history_table).where(
                history_table.c.scenario_id == scenario.id, history_table.c.version == version,
                history_table.c.action.in_(("saved", "replaced"))).order_by(history_table.c.id.desc())).mappings().first()
        if row is None:
            raise ScenarioNotFoundError(f"{scenario.name!r} has no version {version}")
        return self.save(scenario.name, service=str(row["service"]), parameters=json.loads(row["parameters"]),
                         summary=json.loads(row["summary"]), saved_by=saved_by, replace=True,
                         base_version=base_version if base_version is not None else scenario.version)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    # ------------------------------------------------------------------ internals
    def _by_id(self, scenario_id: int) -> Scenario:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(scenarios_table).where(scenarios_table.c.id == scenario_id)
            ).mappings().first()
        if row is None:  # deleted by someone else in the meantime
            raise ScenarioNotFoundError(f"scenario {scenario_id} was deleted meanwhile")
        return _row_to_scenario(row)

    def _write(self, work: Callable[[Connection], _T]) -> _T:
        """Run ``work`` in one write transaction; retry a few times if SQLite stays busy."""
        delay_seconds = 0.05
        for attempt in range(6):
            try:
                with self.engine.connect().execution_options(hubplan_write=True) as conn:
                    with conn.begin():
                        return work(conn)
            except OperationalError as exc:
                if "locked" not in str(exc).lower() and "busy" not in str(exc).lower():
                    raise
                if attempt == 5:
                    raise HubplanError(f"the scenario database stayed busy: {exc.orig}") from None
                time.sleep(delay_seconds)
                delay_seconds *= 2
        raise AssertionError("unreachable")

    def _create_table(self) -> None:
        upgrade_database(self.engine)


def _alembic_config(conn: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if conn is not None:
        config.attributes["connection"] = conn
    return config


def head_revision() -> str:
    """The newest migration's revision, which a store's database is upgraded to."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def database_revision(engine: Engine) -> str | None:
    """The migration a database is at (``None``: no hubplan tables yet); a database written
    by hubplan before its migrations existed is recognised by its columns."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        return current if current is not None else _legacy_revision(conn)


def _legacy_revision(conn: Connection) -> str | None:
    """The revision a database without Alembic's version table matches, by its layout."""
    inspector = sa.inspect(conn)
    if not inspector.has_table(scenarios_table.name):
        return None
    columns = {c["name"] for c in inspector.get_columns(scenarios_table.name)}
    if {"version", "created_by", "created_at", "deleted_at", "deleted_by"} <= columns and inspector.has_table(
            history_table.name):
        return "0002"
    return "0001"  # migration 0002 adds whichever of its columns are missing


def upgrade_database(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Bring a database's tables to ``revision`` (default the newest), in one transaction.

    Safe when several processes open the same database at once: SQLite's write lock
    (``BEGIN IMMEDIATE``) or a PostgreSQL advisory lock lets one upgrade while the others
    wait and then find nothing to do. Returns the revisions before and after.
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    for attempt in range(8):
        try:
            with engine.connect().execution_options(hubplan_write=True) as conn:
                with conn.begin():
                    if conn.dialect.name == "postgresql":
                        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK_KEY})
                    before = MigrationContext.configure(conn).get_current_revision()
                    config = _alembic_config(conn)
                    if before is None:
                        before = _legacy_revision(conn)
                        if before is not None:  # written before the migrations existed
                            command.stamp(config, before)
                    if before != head_revision() or revision != "head":
                        command.upgrade(config, revision)
                    after = MigrationContext.configure(conn).get_current_revision()
            assert after is not None
            return before, after
        except (OperationalError, IntegrityError, ProgrammingError) as exc:
            # PostgreSQL: two first connections can both create the version table; SQLite: busy
            text = str(exc).lower()
            if attempt < 7 and ("already exists" in text or "locked" in text or "duplicate key" in text
                                or "busy" in text):
                time.sleep(0.05 * (attempt + 1))
                continue
            raise
    raise AssertionError("unreachable")


def _record(conn: Connection, scenario_id: int, version: int, action: str, values: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(history_table).values(
        scenario_id=scenario_id, version=version, action=action, name=values["name"], service=values["service"],
        parameters=values["parameters"], summary=values["summary"], saved_by=values.get("saved_by") or "",
        saved_at=values.get("saved_at") or _now()))


def _deleted_key(key: str, scenario_id: int) -> str:
    """The name key of a deleted scenario: unique, never a live name's (keys are case-folded
    text without control characters), so that the name is free again."""
    return f"\x01deleted {scenario_id}"  # (PostgreSQL text cannot hold NUL)


class _RetryWithReplace(Exception):
    """Internal: an insert met a concurrent insert of the same name."""


def _exists_message(name: str) -> str:
    return f"a scenario named {name!r} already exists: choose another name or replace it"


def _now() -> str:
    # Microseconds keep "most recent first" ordering exact; ISO 8601 sorts as text.
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _dumps(value: Mapping[str, Any], what: str) -> str:
    try:
        return json.dumps(value, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what}: not JSON-serialisable ({exc})") from None


def _row_to_scenario(row: Any) -> Scenario:
    """A :class:`Scenario` from a table row (a mapping of column names)."""
    saved_at = datetime.fromisoformat(str(row["saved_at"]))
    if saved_at.tzinfo is None:
        saved_at = saved_at.replace(tzinfo=timezone.utc)
    return Scenario(
        id=int(row["id"]),
        name=str(row["name"]),
        service=str(row["service"]),
        parameters=json.loads(row["parameters"]),
        summary=json.loads(row["summary"]),
        saved_by=str(row["saved_by"]),
        saved_at=saved_at,
        version=int(row["version"] or 1),
        created_by=str(row["created_by"] or row["saved_by"]),
        created_at=_parsed_time(row["created_at"]) if row["created_at"] else saved_at,
    )


def _parsed_time(text: Any) -> datetime:
    value = datetime.fromisoformat(str(text))
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def open_engine(url: str, busy_timeout_seconds: float = SQLITE_BUSY_TIMEOUT_SECONDS) -> Engine:
    """An engine for a scenario database URL, set up as a store sets it up (SQLite: WAL,
    busy timeout, ``BEGIN IMMEDIATE`` for writes)."""
    return _make_engine(url, busy_timeout_seconds)


def _make_engine(url: str, busy_timeout_seconds: float) -> Engine:
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True, future=True)
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    kwargs: dict[str, Any] = {
        "connect_args": {"timeout": busy_timeout_seconds, "check_same_thread": False},
    }
    if in_memory:
        kwargs["poolclass"] = StaticPool
    engine = sa.create_engine(url, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite otherwise
        # starts transactions lazily and never as IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_seconds * 1000)}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("hubplan_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
