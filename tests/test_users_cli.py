"""The installed ``hubplan users`` command (and ``hubplan serve``'s sign-in options) in a
subprocess: passwords on standard input, JSON on stdout, one-line errors, exit statuses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from hubplan.planning.accounts import AccountStore, Role, users_table

HUBPLAN = Path(sys.executable).parent / "hubplan"


def hubplan(*args: str | Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HUBPLAN), *map(str, args)], input=stdin, capture_output=True, text=True,
                          env={"COLUMNS": "200", "PATH": str(HUBPLAN.parent), "HOME": str(Path.home())})


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr
    return lines[0].removeprefix("error: ")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "scenarios.db"


def test_add_list_set_role_set_password_remove(db: Path) -> None:
    added = hubplan("users", "add", "Ana", "--role", "editor", "--db", db, "--format", "json",
                    stdin="correct horse battery\n")
    assert added.returncode == 0, added.stderr
    account = json.loads(added.stdout)
    assert (account["name"], account["role"]) == ("Ana", "editor")
    assert account["created_at"] == account["password_changed_at"] and "password" not in account
    assert hubplan("users", "add", "bob", "--db", db, stdin="bob's long password\n").returncode == 0
    listed = hubplan("users", "list", "--db", db, "--format", "json")
    assert listed.returncode == 0
    assert [(a["name"], a["role"]) for a in json.loads(listed.stdout)] == [("Ana", "editor"), ("bob", "viewer")]
    table = hubplan("users", "list", "--db", db)
    assert table.returncode == 0 and "Ana" in table.stdout and "correct horse" not in table.stdout

    changed = hubplan("users", "set-role", "ana", "--role", "admin", "--db", db)
    assert changed.returncode == 0 and "Ana is now admin" in changed.stderr
    renewed = hubplan("users", "set-password", "ANA", "--db", db, stdin="a brand new password\n")
    assert renewed.returncode == 0, renewed.stderr
    accounts = AccountStore(f"sqlite:///{db}")
    try:
        assert accounts.authenticate("ana", "correct horse battery") is None
        signed = accounts.authenticate("ana", "a brand new password")
        assert signed is not None and signed.role is Role.ADMIN
        with accounts.engine.connect() as conn:
            hashes = [r[0] for r in conn.execute(sa.select(users_table.c.password_hash))]
        assert all(h.startswith("$argon2id$") and "password" not in h for h in hashes)
    finally:
        accounts.close()
    assert hubplan("users", "remove", "bob", "--db", db).returncode == 0
    assert [a["name"] for a in json.loads(hubplan("users", "list", "--db", db, "-f", "json").stdout)] == ["Ana"]


def test_errors_are_one_line_with_exit_status_2(db: Path) -> None:
    assert hubplan("users", "add", "ana", "--db", db, stdin="correct horse battery\n").returncode == 0
    assert "already exists" in one_line_error(hubplan("users", "add", "ANA", "--db", db,
                                                      stdin="another password 1\n"))
    assert one_line_error(hubplan("users", "add", "bob", "--db", db, stdin="short\n")) \
        == "password: at least 10 characters, got 5"
    assert "expected one line on standard input" in one_line_error(hubplan("users", "add", "bob", "--db", db))
    assert one_line_error(hubplan("users", "add", "bob", "--role", "owner", "--db", db)) \
        == "--role: 'owner' is not a role: expected viewer, editor or admin"
    assert "is not an account name" in one_line_error(hubplan("users", "add", "bob smith", "--db", db,
                                                               stdin="correct horse battery\n"))
    assert one_line_error(hubplan("users", "remove", "nobody", "--db", db)) == "no account named 'nobody'"
    assert one_line_error(hubplan("users", "set-role", "nobody", "--role", "viewer", "--db", db)) \
        == "no account named 'nobody'"
    assert one_line_error(hubplan("users", "set-password", "nobody", "--db", db, stdin="correct horse battery\n")) \
        == "no account named 'nobody'"
    missing = db.parent / "missing.db"
    assert "no such database file" in one_line_error(hubplan("users", "list", "--db", missing))
    assert not missing.exists()
    assert one_line_error(hubplan("users", "list", "--db", db, "--format", "xml")) \
        == "--format xml: expected 'table' or 'json'"
    # nothing changed by the refused commands
    listed = json.loads(hubplan("users", "list", "--db", db, "--format", "json").stdout)
    assert [(a["name"], a["role"]) for a in listed] == [("ana", "viewer")]


def test_serve_refuses_contradictory_sign_in_options(db: Path, tmp_path: Path) -> None:
    assert one_line_error(hubplan("serve", "--auth", "nope")) == "--auth nope: expected none, accounts or proxy"
    assert one_line_error(hubplan("serve", "--secret-file", tmp_path / "s")) \
        == "--secret-file applies only with --auth accounts or --auth proxy"
    assert one_line_error(hubplan("serve", "--auth", "accounts", "--proxy-default-role", "viewer")) \
        == "--proxy-user-header and --proxy-default-role apply only with --auth proxy"
    open_secret = tmp_path / "open.secret"
    open_secret.write_text("s" * 40)
    open_secret.chmod(0o644)
    assert "chmod 600" in one_line_error(hubplan("serve", "--auth", "accounts", "--db", db,
                                                 "--secret-file", open_secret))
    assert "--secret-file" in one_line_error(hubplan("serve", "--auth", "accounts",
                                                     "--db", "postgresql+psycopg://u@127.0.0.1:1/x"))
    assert one_line_error(hubplan("serve", "--auth", "proxy", "--proxy-default-role", "owner", "--db", db)) \
        == "--proxy-default-role: 'owner' is not a role: expected viewer, editor or admin"


def test_serve_says_which_sign_in_is_on_and_warns_by_mode() -> None:
    from hubplan.cli.serve import sign_in_notes
    from hubplan.web.auth import AuthMode

    def notes(mode: AuthMode, host: str, accounts: int = 2, role: str | None = None) -> list[str]:
        return sign_in_notes(mode, host, accounts=accounts, secret_from="/srv/team.db.secret",
                             proxy_user_header="X-Forwarded-User", proxy_default_role=role)

    assert notes(AuthMode.NONE, "127.0.0.1") == [
        "sign-in: off (--auth none): everyone who reaches it may change everything"]
    assert "no sign-in (--auth none)" in notes(AuthMode.NONE, "0.0.0.0")[1]
    assert notes(AuthMode.ACCOUNTS, "::1") == [
        "sign-in: accounts (2 in the database; hubplan users adds them); session cookies signed with the secret "
        "from /srv/team.db.secret"]
    beyond = notes(AuthMode.ACCOUNTS, "10.0.0.5", accounts=0)
    assert "no accounts yet" in beyond[1] and "passwords cross the network in clear" in beyond[2]
    assert notes(AuthMode.PROXY, "127.0.0.1", role="viewer") == [
        "sign-in: proxy (the user named in the X-Forwarded-User header; roles from the accounts, others are viewers)"]
    assert "can claim to be anyone" in notes(AuthMode.PROXY, "0.0.0.0")[1]
