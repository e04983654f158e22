"""Accounts of the planner's server: who may sign in, with which role, and their password.

An :class:`AccountStore` keeps one table, ``hubplan_users``, in the scenario database
(the same ``--db``: a SQLite file or a SQLAlchemy URL). Passwords are kept only as
Argon2id hashes (``argon2-cffi``, its recommended parameters); a password is never
stored, printed or logged.

Roles are ordered: a **viewer** looks, evaluates and compares; an **editor** also saves,
renames and deletes scenarios and starts optimisations; an **admin** also lists and
restores deleted scenarios.

>>> accounts = AccountStore("sqlite://")          # in memory, for the example
>>> accounts.add("ana", "correct horse battery", Role.EDITOR).role
<Role.EDITOR: 'editor'>
>>> accounts.authenticate("ana", "correct horse battery").name
'ana'
>>> accounts.authenticate("ana", "wrong") is None
True
"""

from __future__ import annotations

import builtins
import enum
import hashlib
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, TypeVar

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from hubplan.errors import HubplanError, InputError
from hubplan.planning.store import database_url, metadata, open_engine, upgrade_database

#: Longest account name (characters).
MAX_ACCOUNT_NAME_CHARACTERS = 64
#: Shortest and longest password accepted (characters).
MIN_PASSWORD_CHARACTERS = 10
MAX_PASSWORD_CHARACTERS = 1024
#: What an account name may hold: letters, digits and ``. _ @ + -`` (an e-mail address
#: fits; no spaces, colons or markup, so it is safe in HTTP Basic credentials and pages).
ACCOUNT_NAME_PATTERN = re.compile(r"(?!_)\w[\w.@+-]*")

_T = TypeVar("_T")


class Role(enum.Enum):
    """What an account may do; each role may do everything the ones before it may."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: "Role") -> bool:
        """Whether this role may do what ``needed`` may."""
        return self.rank >= needed.rank

    @classmethod
    def parse(cls, value: object, what: str = "role") -> "Role":
        """A role from its name, or :class:`InputError` naming the three."""
        if isinstance(value, Role):
            return value
        text = str(value).strip().lower() if isinstance(value, str) else ""
        for role in cls:
            if role.value == text:
                return role
        raise InputError(f"{what}: {value!r} is not a role: expected viewer, editor or admin")


class AccountExistsError(InputError):
    """An account of that name (in any case) exists already."""


class AccountNotFoundError(InputError, LookupError):
    """No account has that name."""


@dataclass(frozen=True)
class Account:
    """One account (never its password).

    Attributes
    ----------
    name:
        As given when it was added; unique regardless of case.
    role:
        What it may do.
    created_at, password_changed_at:
        When it was added and when its password was last set (UTC).
    password_fingerprint:
        A short digest of the stored hash: it changes when the password does, so that a
        server can end the sessions signed in with an old password.
    """

    name: str
    role: Role
    created_at: datetime
    password_changed_at: datetime
    password_fingerprint: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role.value,
                "created_at": self.created_at.isoformat(timespec="seconds"),
                "password_changed_at": self.password_changed_at.isoformat(timespec="seconds")}


users_table = sa.Table(
    "hubplan_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(MAX_ACCOUNT_NAME_CHARACTERS), nullable=False),
    sa.Column("name_key", sa.String(MAX_ACCOUNT_NAME_CHARACTERS), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("password_changed_at", sa.String(40), nullable=False),
)


def ensure_accounts_table(engine: Engine) -> None:
    """Bring the database to the newest schema, which has ``hubplan_users`` (migration 0003).

    The upgrade runs under the store's write lock, so several processes may call it at once.
    """
    upgrade_database(engine)


def clean_account_name(name: object, what: str = "name") -> str:
    """An account name with surrounding spaces removed, or :class:`InputError`."""
    if not isinstance(name, str):
        raise InputError(f"{what}: expected text, got {type(name).__name__}")
    text = name.strip()
    if not text:
        raise InputError(f"{what}: expected a non-empty account name")
    if len(text) > MAX_ACCOUNT_NAME_CHARACTERS:
        raise InputError(f"{what}: at most {MAX_ACCOUNT_NAME_CHARACTERS} characters, got {len(text)}")
    if not ACCOUNT_NAME_PATTERN.fullmatch(text):
        raise InputError(f"{what}: {text!r} is not an account name: letters, digits and . _ @ + - only, "
                         "starting with a letter or digit")
    return text


def account_key(name: str) -> str:
    """The key that makes account names unique: case-folded."""
    return name.strip().casefold()


def check_password(password: object) -> str:
    """The password if it is acceptable, else :class:`InputError` (it is never shown)."""
    if not isinstance(password, str) or not password:
        raise InputError("password: expected a password, got nothing")
    if len(password) < MIN_PASSWORD_CHARACTERS:
        raise InputError(f"password: at least {MIN_PASSWORD_CHARACTERS} characters, got {len(password)}")
    if len(password) > MAX_PASSWORD_CHARACTERS:
        raise InputError(f"password: at most {MAX_PASSWORD_CHARACTERS} characters, got {len(password)}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
        raise InputError("password: control characters (tabs, line breaks) are not allowed")
    return password


class AccountStore:
    """Accounts in a SQL database (the scenario database).

    Parameters
    ----------
    target:
        An :class:`~sqlalchemy.engine.Engine` (a :class:`~hubplan.planning.store.ScenarioStore`'s,
        to share its connections), a SQLite file path, a SQLAlchemy URL, or ``None`` for
        ``hubplan-scenarios.db`` in the current folder.
    """

    def __init__(self, target: Engine | str | Path | None = None, *, hasher: PasswordHasher | None = None) -> None:
        if isinstance(target, Engine):
            self.engine = target
            self._owns_engine = False
        else:
            self.engine = open_engine(database_url(target))
            self._owns_engine = True
        self._hasher = hasher or PasswordHasher()  # Argon2id with the library's recommended costs
        self._decoy: str | None = None
        ensure_accounts_table(self.engine)

    def __repr__(self) -> str:
        return f"AccountStore({self.engine.url.render_as_string(hide_password=True)!r})"

    # ------------------------------------------------------------------ reading
    def list(self) -> builtins.list[Account]:
        """Every account, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(users_table).order_by(users_table.c.name_key)).mappings().all()
        return [_row_to_account(r) for r in rows]

    def get(self, name: str) -> Account | None:
        """The account of that name (any case), or ``None``."""
        if not isinstance(name, str) or not name.strip():
            return None
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users_table).where(
                users_table.c.name_key == account_key(name))).mappings().first()
        return _row_to_account(row) if row is not None else None

    def __len__(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(users_table)).scalar_one())

    def authenticate(self, name: str, password: str) -> Account | None:
        """The account if ``password`` is its password, else ``None`` (an unknown name and a
        wrong password take the same time and give the same answer)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users_table).where(
                users_table.c.name_key == account_key(name or ""))).mappings().first() if isinstance(name, str) else None
        stored = str(row["password_hash"]) if row is not None else self._decoy_hash()
        try:
            self._hasher.verify(stored, password if isinstance(password, str) else "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if self._hasher.check_needs_rehash(stored):  # the library's parameters have grown
            self._set_hash(str(row["name_key"]), self._hasher.hash(password), touch=False)
            return self.get(str(row["name"]))
        return _row_to_account(row)

    # ------------------------------------------------------------------ writing
    def add(self, name: str, password: str, role: Role | str = Role.VIEWER) -> Account:
        """Add an account; :class:`AccountExistsError` if the name is taken (in any case)."""
        clean = clean_account_name(name)
        chosen = Role.parse(role)
        hashed = self._hasher.hash(check_password(password))
        now = _now()

        def work(conn: Connection) -> None:
            conn.execute(sa.insert(users_table).values(
                name=clean, name_key=account_key(clean), role=chosen.value, password_hash=hashed,
                created_at=now, password_changed_at=now))

        try:
            self._write(work)
        except IntegrityError:
            raise AccountExistsError(f"an account named {clean!r} already exists") from None
        account = self.get(clean)
        assert account is not None
        return account

    def remove(self, name: str) -> None:
        """Remove an account (scenarios keep its name as who saved them)."""
        key = account_key(clean_account_name(name))

        def work(conn: Connection) -> int:
            return int(conn.execute(sa.delete(users_table).where(users_table.c.name_key == key)).rowcount or 0)

        if not self._write(work):
            raise AccountNotFoundError(f"no account named {name.strip()!r}")

    def set_role(self, name: str, role: Role | str) -> Account:
        """Give an account another role (a signed-in user has it at their next request)."""
        chosen = Role.parse(role)
        key = account_key(clean_account_name(name))

        def work(conn: Connection) -> int:
            return int(conn.execute(sa.update(users_table).where(users_table.c.name_key == key).values(
                role=chosen.value)).rowcount or 0)

        if not self._write(work):
            raise AccountNotFoundError(f"no account named {name.strip()!r}")
        account = self.get(name)
        assert account is not None
        return account

    def set_password(self, name: str, password: str) -> Account:
        """Give an account a new password (sessions signed in with the old one end)."""
        key = account_key(clean_account_name(name))
        if not self._set_hash(key, self._hasher.hash(check_password(password)), touch=True):
            raise AccountNotFoundError(f"no account named {name.strip()!r}")
        account = self.get(name)
        assert account is not None
        return account

    def close(self) -> None:
        """Release the database connections (only those this store opened)."""
        if self._owns_engine:
            self.engine.dispose()

    # ------------------------------------------------------------------ internals
    def _decoy_hash(self) -> str:
        """A hash verified against when a name is unknown, so that a wrong name costs as long
        as a wrong password (the time taken does not tell which names exist)."""
        if self._decoy is None:
            self._decoy = self._hasher.hash("not anyone's password")
        return self._decoy

    def _set_hash(self, key: str, hashed: str, *, touch: bool) -> int:
        values: dict[str, Any] = {"password_hash": hashed}
        if touch:
            values["password_changed_at"] = _now()

        def work(conn: Connection) -> int:
            return int(conn.execute(sa.update(users_table).where(users_table.c.name_key == key).values(
                **values)).rowcount or 0)

        return self._write(work)

    def _write(self, work: Callable[[Connection], _T]) -> _T:
        """Run ``work`` in one write transaction; retry a few times if SQLite stays busy."""
        delay_seconds = 0.05
        for attempt in range(6):
            try:
                with self.engine.connect().execution_options(hubplan_write=True) as conn:
                    with conn.begin():
                        return work(conn)
            except OperationalError as exc:
                text = str(exc).lower()
                if ("locked" not in text and "busy" not in text) or attempt == 5:
                    if attempt == 5:
                        raise HubplanError(f"the account database stayed busy: {exc.orig}") from None
                    raise
                time.sleep(delay_seconds)
                delay_seconds *= 2
        raise AssertionError("unreachable")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _parsed_time(text: Any) -> datetime:
    value = datetime.fromisoformat(str(text))
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _row_to_account(row: Any) -> Account:
    return Account(
        name=str(row["name"]), role=Role.parse(str(row["role"])),
        created_at=_parsed_time(row["created_at"]), password_changed_at=_parsed_time(row["password_changed_at"]),
        password_fingerprint=hashlib.sha256(str(row["password_hash"]).encode()).hexdigest()[:24],
    )
