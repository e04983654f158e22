"""Sign-in and roles: the accounts, HTTP Basic, the sign-in form with its CSRF token, the
proxy header, and the role of every write of the API and of the page (web/auth.py)."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from hubplan.errors import InputError
from hubplan.planning.accounts import (
    AccountExistsError,
    AccountNotFoundError,
    AccountStore,
    Role,
    users_table,
)
from hubplan.planning.store import ScenarioStore
from hubplan.web.app import create_app
from hubplan.web.auth import (
    CSRF_COOKIE,
    CSRF_HEADER,
    SESSION_COOKIE,
    AuthMode,
    AuthSettings,
    install,
    load_secret,
)

HAMPSHIRE = "Hampshire and Isle of Wight"
PLAN = {"service": "vascular_arterial", "region": HAMPSHIRE, "hubs": ["SO166YD"], "pathway": "direct"}
OTHER_PLAN = {**PLAN, "hubs": ["PO63LY"]}
#: Cheap Argon2 parameters so that the tests do not spend half a second per check.
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
SECRET = b"0123456789abcdef0123456789abcdef-test"
PASSWORDS = {"vera": "viewer password 1", "ed": "editor password 1", "eve": "editor password 2",
             "ada": "admin password 1"}
ROLES = {"vera": Role.VIEWER, "ed": Role.EDITOR, "eve": Role.EDITOR, "ada": Role.ADMIN}
HUBPLAN = Path(sys.executable).parent / "hubplan"


def basic(name: str, password: str | None = None) -> dict[str, str]:
    token = base64.b64encode(f"{name}:{password or PASSWORDS[name]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class Server:
    """An app with sign-in on, its store and accounts, and a test client."""

    def __init__(self, db_url: str, mode: AuthMode = AuthMode.ACCOUNTS, **settings: Any) -> None:
        self.store = ScenarioStore(db_url)
        self.app = create_app(self.store)
        self.accounts = AccountStore(self.store.engine, hasher=FAST)
        for name, password in PASSWORDS.items():
            self.accounts.add(name, password, ROLES[name])
        self.settings = AuthSettings(mode=mode, secret=SECRET, **settings)
        self.gatekeeper = install(self.app, self.settings, accounts=self.accounts)
        self.app.server.testing = True
        self.client = self.app.server.test_client()

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def server(db_url: str) -> Iterator[Server]:
    s = Server(db_url)
    yield s
    s.close()


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[Server]:
    s = Server(f"sqlite:///{tmp_path / 'scenarios.db'}")
    yield s
    s.close()


# ----------------------------------------------------------------------------- accounts
def test_the_stored_hash_is_argon2id_not_the_password() -> None:
    accounts = AccountStore("sqlite://", hasher=FAST)
    accounts.add("ana", "correct horse battery", "editor")
    with accounts.engine.connect() as conn:
        row = conn.execute(sa.select(users_table)).mappings().one()
    assert row["password_hash"].startswith("$argon2id$")
    assert "correct horse battery" not in json.dumps(dict(row))
    assert "correct horse battery" not in repr(accounts.get("ana"))


def test_authenticate_right_wrong_and_unknown() -> None:
    accounts = AccountStore("sqlite://", hasher=FAST)
    accounts.add("Ana", "correct horse battery", Role.EDITOR)
    signed = accounts.authenticate("ana", "correct horse battery")  # the name in any case
    assert signed is not None and signed.name == "Ana" and signed.role is Role.EDITOR
    assert accounts.authenticate("Ana", "correct horse batter") is None
    assert accounts.authenticate("Ana", "") is None
    assert accounts.authenticate("bob", "correct horse battery") is None


def test_roles_are_ordered_viewer_editor_admin() -> None:
    allowed = {(have, need): have.allows(need) for have in Role for need in Role}
    assert allowed == {
        (Role.VIEWER, Role.VIEWER): True, (Role.VIEWER, Role.EDITOR): False, (Role.VIEWER, Role.ADMIN): False,
        (Role.EDITOR, Role.VIEWER): True, (Role.EDITOR, Role.EDITOR): True, (Role.EDITOR, Role.ADMIN): False,
        (Role.ADMIN, Role.VIEWER): True, (Role.ADMIN, Role.EDITOR): True, (Role.ADMIN, Role.ADMIN): True,
    }
    with pytest.raises(InputError, match="expected viewer, editor or admin"):
        Role.parse("owner")


def test_names_are_unique_in_any_case_and_checked() -> None:
    accounts = AccountStore("sqlite://", hasher=FAST)
    accounts.add("Ana", "correct horse battery")
    with pytest.raises(AccountExistsError, match="already exists"):
        accounts.add("ANA", "another password 1")
    assert [a.name for a in accounts.list()] == ["Ana"] and accounts.get("ana").role is Role.VIEWER
    for bad in ("", "a b", "ana:x", "<b>", "x" * 65):
        with pytest.raises(InputError):
            accounts.add(bad, "correct horse battery")
    with pytest.raises(InputError, match="at least 10 characters"):
        accounts.add("bob", "short")


def test_remove_and_set_role() -> None:
    accounts = AccountStore("sqlite://", hasher=FAST)
    accounts.add("ana", "correct horse battery")
    assert accounts.set_role("ANA", "admin").role is Role.ADMIN
    accounts.remove("Ana")
    assert accounts.get("ana") is None and len(accounts) == 0
    assert accounts.authenticate("ana", "correct horse battery") is None
    with pytest.raises(AccountNotFoundError):
        accounts.remove("ana")
    with pytest.raises(AccountNotFoundError):
        accounts.set_role("ana", "viewer")


def test_set_password_ends_the_old_one() -> None:
    accounts = AccountStore("sqlite://", hasher=FAST)
    before = accounts.add("ana", "correct horse battery")
    after = accounts.set_password("ana", "a new long password")
    assert accounts.authenticate("ana", "correct horse battery") is None
    assert accounts.authenticate("ana", "a new long password") is not None
    assert after.password_fingerprint != before.password_fingerprint
    assert after.password_changed_at > before.password_changed_at


# ----------------------------------------------------------------------------- secret
def test_secret_file_is_made_next_to_the_database_with_mode_600(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("HUBPLAN_SECRET", raising=False)
    db = tmp_path / "plans.db"
    secret, where = load_secret(None, f"sqlite:///{db}")
    path = tmp_path / "plans.db.secret"
    assert where == str(path) and path.stat().st_mode & 0o777 == 0o600 and len(secret) == 64
    assert load_secret(None, f"sqlite:///{db}")[0] == secret  # every worker and restart reads the same
    monkeypatch.setenv("HUBPLAN_SECRET", "e" * 40)
    assert load_secret(None, f"sqlite:///{db}") == (b"e" * 40, "the environment variable HUBPLAN_SECRET")
    monkeypatch.delenv("HUBPLAN_SECRET")
    with pytest.raises(InputError, match="--secret-file"):
        load_secret(None, "postgresql+psycopg://u@h/db")
    open_file = tmp_path / "open.secret"
    open_file.write_text("x" * 40)
    open_file.chmod(0o644)
    with pytest.raises(InputError, match="chmod 600"):
        load_secret(open_file, "sqlite://")


# ----------------------------------------------------------------------------- API roles
def _prepare(s: Server) -> dict[str, Any]:
    """A saved scenario 'shared' (version 1, then 2) and a deleted one 'gone'."""
    assert s.client.post("/api/scenarios", json={"name": "shared", "parameters": PLAN},
                         headers=basic("ed")).status_code == 201
    assert s.client.post("/api/scenarios", json={"name": "shared", "parameters": OTHER_PLAN, "replace": True,
                                                 "base_version": 1}, headers=basic("ed")).status_code == 200
    assert s.client.post("/api/scenarios", json={"name": "gone", "parameters": PLAN},
                         headers=basic("ed")).status_code == 201
    assert s.client.delete("/api/scenarios/gone", headers=basic("ed")).status_code == 200
    deleted = s.client.get("/api/deleted-scenarios", headers=basic("ada")).json
    return {"deleted_id": deleted[0]["id"]}


#: Every request of the API that changes something (or needs an admin), with its role
#: and the status when allowed. test_every_write_route_is_listed checks it is complete.
WRITES = [
    ("POST", "/api/scenarios", {"name": "new one", "parameters": PLAN}, Role.EDITOR, 201),
    ("PATCH", "/api/scenarios/shared", {"name": "renamed"}, Role.EDITOR, 200),
    ("DELETE", "/api/scenarios/shared", None, Role.EDITOR, 200),
    ("POST", "/api/scenarios/shared/restore", {"version": 1, "base_version": 2}, Role.EDITOR, 200),
    ("POST", "/api/optimise", {"service": "vascular_arterial", "region": HAMPSHIRE, "k": 1}, Role.EDITOR, 202),
    ("GET", "/api/deleted-scenarios", None, Role.ADMIN, 200),
    ("POST", "/api/deleted-scenarios/{deleted_id}/restore", None, Role.ADMIN, 200),
]
ENDPOINTS = {
    ("POST", "/api/scenarios"): "hubplan_api.save_scenario",
    ("PATCH", "/api/scenarios/shared"): "hubplan_api.rename_scenario",
    ("DELETE", "/api/scenarios/shared"): "hubplan_api.delete_scenario",
    ("POST", "/api/scenarios/shared/restore"): "hubplan_api.restore_version",
    ("POST", "/api/optimise"): "hubplan_api.optimise_route",
    ("GET", "/api/deleted-scenarios"): "hubplan_api.deleted_scenarios",
    ("POST", "/api/deleted-scenarios/{deleted_id}/restore"): "hubplan_api.undelete_scenario",
}


def test_every_write_route_is_listed(sqlite_server: Server) -> None:
    """Each unsafe route of the API is in WRITES or only reads (evaluate, compare)."""
    unsafe = {(m, rule.endpoint) for rule in sqlite_server.app.server.url_map.iter_rules()
              if rule.endpoint.startswith("hubplan_api.") and rule.endpoint != "hubplan_api.unknown_route"
              for m in rule.methods or () if m in ("POST", "PUT", "PATCH", "DELETE")}
    listed = {(method, ENDPOINTS[(method, path)]) for method, path, *_ in WRITES}
    reads = {("POST", "hubplan_api.evaluate_route"), ("POST", "hubplan_api.compare_route")}
    assert unsafe == {pair for pair in listed if pair[0] != "GET"} | reads


def _request(s: Server, method: str, path: str, data: Any, headers: dict[str, str]) -> Any:
    return s.client.open(path, method=method, json=data, headers=headers)


@pytest.mark.parametrize("method, path, data, role, ok", WRITES, ids=[f"{w[0]} {w[1]}" for w in WRITES])
def test_write_routes_need_their_role(server: Server, method: str, path: str, data: Any, role: Role,
                                      ok: int) -> None:
    path = path.format(**_prepare(server))
    anonymous = _request(server, method, path, data, {})
    assert anonymous.status_code == 401 and "not signed in" in anonymous.json["error"]
    viewer = _request(server, method, path, data, basic("vera"))
    assert viewer.status_code == 403
    assert viewer.json == {"error": f"vera is a viewer: {method} {path} needs an {role.value}"}
    if role is Role.ADMIN:
        editor = _request(server, method, path, data, basic("ed"))
        assert editor.status_code == 403
        assert editor.json == {"error": f"ed is an editor: {method} {path} needs an admin"}
        allowed = _request(server, method, path, data, basic("ada"))
    else:
        allowed = _request(server, method, path, data, basic("ed"))
    assert allowed.status_code == ok, allowed.json


def test_admins_may_do_what_editors_may(sqlite_server: Server) -> None:
    r = sqlite_server.client.post("/api/scenarios", json={"name": "admin's", "parameters": PLAN},
                                  headers=basic("ada"))
    assert r.status_code == 201 and r.json["saved_by"] == "ada"


def test_viewers_read_evaluate_and_compare(sqlite_server: Server) -> None:
    s = sqlite_server
    _prepare(s)
    headers = basic("vera")
    assert [x["name"] for x in s.client.get("/api/scenarios", headers=headers).json] == ["shared"]
    assert s.client.get("/api/scenarios/shared/history", headers=headers).status_code == 200
    assert s.client.post("/api/evaluate", json=PLAN, headers=headers).status_code == 200
    assert s.client.post("/api/compare", json={"a": PLAN, "b": OTHER_PLAN}, headers=headers).status_code == 200
    assert s.client.get("/api/sites", query_string={"region": HAMPSHIRE}, headers=headers).status_code == 200


def test_saved_by_and_deleted_by_are_the_signed_in_name(server: Server) -> None:
    c = server.client
    saved = c.post("/api/scenarios", json={"name": "mine", "saved_by": "mallory", "parameters": PLAN},
                   headers=basic("eve"))
    assert saved.status_code == 201 and saved.json["saved_by"] == "eve"
    assert c.delete("/api/scenarios/mine?by=mallory", headers=basic("ed")).status_code == 200
    assert [(d["name"], d["deleted_by"]) for d in c.get("/api/deleted-scenarios", headers=basic("ada")).json] \
        == [("mine", "ed")]


def test_two_editors_of_one_scenario_one_wins_the_other_gets_409(server: Server) -> None:
    c = server.client
    assert c.post("/api/scenarios", json={"name": "shared", "parameters": PLAN}, headers=basic("ed")).status_code \
        == 201
    loaded = {name: c.get("/api/scenarios/shared", headers=basic(name)).json["version"] for name in ("ed", "eve")}
    assert loaded == {"ed": 1, "eve": 1}
    plans = {"ed": OTHER_PLAN, "eve": {**PLAN, "hubs": ["SO166YD", "PO63LY"]}}
    answers: dict[str, Any] = {}
    barrier = threading.Barrier(2)

    def save(name: str) -> None:
        client = server.app.server.test_client()
        barrier.wait()
        r = client.post("/api/scenarios", json={"name": "shared", "parameters": plans[name], "replace": True,
                                                "base_version": 1}, headers=basic(name))
        answers[name] = (r.status_code, r.json)

    threads = [threading.Thread(target=save, args=(n,)) for n in ("ed", "eve")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(status for status, _ in answers.values())
    assert statuses == [200, 409]
    winner = next(n for n, (status, _) in answers.items() if status == 200)
    loser = "eve" if winner == "ed" else "ed"
    assert winner in answers[loser][1]["error"]  # the 409 names who saved meanwhile
    now = c.get("/api/scenarios/shared", headers=basic("vera")).json
    assert now["version"] == 2 and now["saved_by"] == winner and now["parameters"]["hubs"] == plans[winner]["hubs"]
    again = c.post("/api/scenarios", json={"name": "shared", "parameters": plans[loser], "replace": True,
                                           "base_version": 2}, headers=basic(loser))
    assert again.status_code == 200 and again.json["version"] == 3
    history = c.get("/api/scenarios/shared/history", headers=basic("vera")).json
    assert [(h["version"], h["saved_by"]) for h in history] == [(1, "ed"), (2, winner), (3, loser)]


# ----------------------------------------------------------------------------- Basic
def test_basic_wrong_unknown_and_malformed_credentials(sqlite_server: Server) -> None:
    c = sqlite_server.client
    wrong = c.get("/api/scenarios", headers=basic("ed", "not the password"))
    unknown = c.get("/api/scenarios", headers=basic("nobody", "not the password"))
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json == {"error": "wrong account name or password"}
    bad = c.get("/api/scenarios", headers={"Authorization": "Basic !!!"})
    assert bad.status_code == 401 and "not valid HTTP Basic" in bad.json["error"]
    assert c.get("/api/scenarios", headers=basic("ed")).status_code == 200


def test_basic_success_is_remembered_but_not_a_failure_nor_an_old_password(sqlite_server: Server,
                                                                           monkeypatch) -> None:
    s = sqlite_server
    calls: list[str] = []
    real = s.accounts.authenticate

    def counting(name: str, password: str) -> Any:
        calls.append(name)
        return real(name, password)

    monkeypatch.setattr(s.accounts, "authenticate", counting)
    for _ in range(3):
        assert s.client.get("/api/scenarios", headers=basic("ed")).status_code == 200
    assert calls == ["ed"]  # verified once, then remembered
    for _ in range(2):
        assert s.client.get("/api/scenarios", headers=basic("ed", "wrong password")).status_code == 401
    assert calls == ["ed", "ed", "ed"]  # failures are checked every time
    s.accounts.set_password("ed", "a new editor password")
    assert s.client.get("/api/scenarios", headers=basic("ed")).status_code == 401
    assert s.client.get("/api/scenarios", headers=basic("ed", "a new editor password")).status_code == 200
    s.accounts.set_role("ed", "viewer")  # a role change counts at the next request, remembered or not
    refused = s.client.post("/api/scenarios", json={"name": "x", "parameters": PLAN},
                            headers=basic("ed", "a new editor password"))
    assert refused.status_code == 403 and refused.json["error"].startswith("ed is a viewer")
    s.accounts.remove("ed")
    assert s.client.get("/api/scenarios", headers=basic("ed", "a new editor password")).status_code == 401


def test_too_many_failures_for_one_name_are_refused_for_a_while(tmp_path: Path) -> None:
    now = [1000.0]
    s = Server(f"sqlite:///{tmp_path / 'db.sqlite'}", max_failures=3, failure_window_seconds=60,
               clock=lambda: now[0])
    try:
        for _ in range(3):
            assert s.client.get("/api/", headers=basic("ed", "guess guess guess")).status_code == 401
        refused = s.client.get("/api/", headers=basic("ed"))  # even the right password, for now
        assert refused.status_code == 429 and "try again in 60 s" in refused.json["error"]
        assert s.client.get("/api/", headers=basic("eve")).status_code == 200  # other names are not held up
        now[0] += 61
        assert s.client.get("/api/", headers=basic("ed")).status_code == 200
    finally:
        s.close()


# ----------------------------------------------------------------------------- the page
def _sign_in_form(c: Any, path: str = "/sign-in") -> str:
    page = c.get(path)
    assert page.status_code == 200 and 'name="password"' in page.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def _cookie(response: Any, name: str) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "="))


def test_anonymous_page_goes_to_sign_in_and_callbacks_are_401(sqlite_server: Server) -> None:
    c = sqlite_server.client
    page = c.get("/")
    assert page.status_code == 303 and page.headers["Location"] == "/sign-in?next=/"
    assert c.get("/_dash-layout").status_code == 401
    r = c.post("/_dash-update-component", json={"output": "demand.placeholder", "inputs": []})
    assert r.status_code == 401 and r.json["error"].startswith("not signed in")


def test_sign_in_with_the_form_and_its_csrf_token(sqlite_server: Server) -> None:
    c = sqlite_server.client
    token = _sign_in_form(c)
    for bad in ({}, {"csrf_token": "forged"}):
        r = c.post("/sign-in", data={"name": "ed", "password": PASSWORDS["ed"], "next": "/", **bad})
        assert r.status_code == 403 and "expired" in r.text
    wrong = c.post("/sign-in", data={"name": "ed", "password": "wrong password", "csrf_token": token})
    assert wrong.status_code == 401 and "Wrong account name or password" in wrong.text
    assert c.get("/").status_code == 303
    signed = c.post("/sign-in", data={"name": "ED", "password": PASSWORDS["ed"], "csrf_token": token,
                                      "next": "/"})
    assert signed.status_code == 303 and signed.headers["Location"] == "/"
    session_cookie = _cookie(signed, SESSION_COOKIE)
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie and "Secure" not in session_cookie
    csrf_cookie = _cookie(signed, CSRF_COOKIE)
    assert "HttpOnly" not in csrf_cookie  # the page's script reads it
    page = c.get("/")
    assert page.status_code == 200
    assert 'id="signed-in-name">ed<' in page.text and 'id="signed-in-role">editor<' in page.text
    assert 'action="/sign-out"' in page.text
    csrf = c.get_cookie(CSRF_COOKIE).value
    # an API call with the session cookie needs the token, as the page's own would
    missing = c.post("/api/scenarios", json={"name": "mine", "parameters": PLAN})
    assert missing.status_code == 403 and "CSRF" in missing.json["error"]
    forged = c.post("/api/scenarios", json={"name": "mine", "parameters": PLAN}, headers={CSRF_HEADER: "x" * 43})
    assert forged.status_code == 403
    saved = c.post("/api/scenarios", json={"name": "mine", "parameters": PLAN, "saved_by": "someone else"},
                   headers={CSRF_HEADER: csrf})
    assert saved.status_code == 201 and saved.json["saved_by"] == "ed"
    # signing out needs the token too (a link on another site cannot sign anyone out)
    assert c.post("/sign-out", data={"csrf_token": "forged"}).status_code == 303
    assert c.get("/").status_code == 200
    out = c.post("/sign-out", data={"csrf_token": csrf})
    assert out.status_code == 303 and out.headers["Location"] == "/sign-in"
    assert c.get("/").status_code == 303
    assert c.get("/api/scenarios").status_code == 401


def test_session_cookie_is_secure_behind_https(sqlite_server: Server) -> None:
    c = sqlite_server.app.server.test_client()
    https = {"X-Forwarded-Proto": "https"}
    page = c.get("/sign-in", headers=https)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    signed = c.post("/sign-in", data={"name": "vera", "password": PASSWORDS["vera"], "csrf_token": token},
                    headers=https)
    assert signed.status_code == 303
    assert "Secure" in _cookie(signed, SESSION_COOKIE) and "Secure" in _cookie(signed, CSRF_COOKIE)


def test_a_password_change_ends_the_session(sqlite_server: Server) -> None:
    c = sqlite_server.client
    token = _sign_in_form(c)
    assert c.post("/sign-in", data={"name": "eve", "password": PASSWORDS["eve"], "csrf_token": token}
                  ).status_code == 303
    assert c.get("/api/scenarios").status_code == 200
    sqlite_server.accounts.set_password("eve", "another password for eve")
    assert c.get("/api/scenarios").status_code == 401


def test_sign_in_goes_back_only_to_this_server(sqlite_server: Server) -> None:
    c = sqlite_server.client
    token = _sign_in_form(c)
    r = c.post("/sign-in", data={"name": "vera", "password": PASSWORDS["vera"], "csrf_token": token,
                                 "next": "//evil.example/x"})
    assert r.status_code == 303 and r.headers["Location"] == "/"


def _callback(app: Any, trigger: str, values: dict[str, Any]) -> dict[str, Any]:
    """The body Dash's renderer posts for the callback that ``trigger`` (``id.prop``) starts."""
    for output, spec in app.callback_map.items():
        inputs = [f"{i['id']}.{i['property']}" for i in spec["inputs"]]
        if trigger in inputs:
            def item(d: dict[str, Any]) -> dict[str, Any]:
                key = f"{d['id']}.{d['property']}"
                return {"id": d["id"], "property": d["property"], "value": values.get(key)}

            outputs = [{"id": o.split(".")[0], "property": o.split(".")[1].split("@")[0]}
                       for o in output.removeprefix("..").removesuffix("..").split("...")]
            return {"output": output, "outputs": outputs, "inputs": [item(i) for i in spec["inputs"]],
                    "state": [item(s) for s in spec.get("state", [])], "changedPropIds": [trigger]}
    raise AssertionError(f"no callback starts from {trigger}")


def _page_plan() -> dict[str, Any]:
    from hubplan.web.planner import area_key, today_plan

    page = today_plan("vascular_arterial", area_key(None, HAMPSHIRE))
    return {**page, "hubs": ["SO166YD"], "pathway": "direct"}


def _signed_in_client(s: Server, name: str) -> tuple[Any, str]:
    c = s.app.server.test_client()
    token = _sign_in_form(c)
    assert c.post("/sign-in", data={"name": name, "password": PASSWORDS[name], "csrf_token": token}
                  ).status_code == 303
    c.get("/")
    return c, c.get_cookie(CSRF_COOKIE).value


@pytest.mark.parametrize("button", ["save", "delete", "rename", "opt-run"])
def test_the_page_writes_need_an_editor(sqlite_server: Server, button: str) -> None:
    s = sqlite_server
    assert s.client.post("/api/scenarios", json={"name": "shared", "parameters": PLAN},
                         headers=basic("ed")).status_code == 201
    values = {f"{button}.n_clicks": 1, "plan.data": _page_plan(), "scenario-name.value": "from the page",
              "scenario-list.value": "shared", "rename-to.value": "renamed", "user.value": "mallory",
              "opt-k.value": 1, "opt-method.value": "heuristic", "opt-limit.value": 30, "opt-keep-today.value": [],
              "opt-keep.value": [], "save-replace.value": []}
    payload = _callback(s.app, f"{button}.n_clicks", values)
    viewer, viewer_token = _signed_in_client(s, "vera")
    assert viewer.post("/_dash-update-component", json=payload).status_code == 403  # no CSRF token
    refused = viewer.post("/_dash-update-component", json=payload, headers={CSRF_HEADER: viewer_token})
    assert refused.status_code == 403
    assert refused.json["error"].startswith("vera is a viewer:") and refused.json["error"].endswith("needs an editor")
    assert [x.name for x in s.store.list()] == ["shared"]
    editor, editor_token = _signed_in_client(s, "eve")
    done = editor.post("/_dash-update-component", json=payload, headers={CSRF_HEADER: editor_token})
    assert done.status_code == 200, done.text
    names = sorted(x.name for x in s.store.list())
    expected = {"save": ["from the page", "shared"], "delete": [], "rename": ["renamed"], "opt-run": ["shared"]}
    assert names == expected[button]
    if button == "save":
        assert s.store.load("from the page").saved_by == "eve"


def test_the_page_deletes_as_the_signed_in_user(sqlite_server: Server) -> None:
    s = sqlite_server
    assert s.client.post("/api/scenarios", json={"name": "shared", "parameters": PLAN},
                         headers=basic("ed")).status_code == 201
    payload = _callback(s.app, "delete.n_clicks", {"delete.n_clicks": 1, "scenario-list.value": "shared",
                                                    "user.value": "mallory"})
    editor, token = _signed_in_client(s, "eve")
    assert editor.post("/_dash-update-component", json=payload, headers={CSRF_HEADER: token}).status_code == 200
    admin = s.client.get("/api/deleted-scenarios", headers=basic("ada")).json
    assert [(d["name"], d["deleted_by"]) for d in admin] == [("shared", "eve")]


# ----------------------------------------------------------------------------- proxy
@pytest.fixture
def proxy_server(tmp_path: Path) -> Iterator[Server]:
    s = Server(f"sqlite:///{tmp_path / 'scenarios.db'}", mode=AuthMode.PROXY, proxy_default_role=Role.VIEWER)
    yield s
    s.close()


def test_proxy_header_names_the_user(proxy_server: Server) -> None:
    c = proxy_server.client
    assert c.get("/api/scenarios").status_code == 401
    assert c.get("/").status_code == 401
    as_ed = {"X-Forwarded-User": "ed"}
    saved = c.post("/api/scenarios", json={"name": "p", "parameters": PLAN, "saved_by": "x"}, headers=as_ed)
    assert saved.status_code == 201 and saved.json["saved_by"] == "ed"
    stranger = {"X-Forwarded-User": "sam@example.org"}  # no account: the default role, viewer
    assert c.get("/api/scenarios", headers=stranger).status_code == 200
    refused = c.delete("/api/scenarios/p", headers=stranger)
    assert refused.status_code == 403 and refused.json["error"].startswith("sam@example.org is a viewer")
    assert c.get("/api/deleted-scenarios", headers={"X-Forwarded-User": "ada"}).status_code == 200
    assert c.get("/api/scenarios", headers={"X-Forwarded-User": "<script>"}).status_code == 403
    page = c.get("/", headers=as_ed)
    assert page.status_code == 200 and 'id="signed-in-name">ed<' in page.text
    assert c.get("/sign-in", headers=as_ed).status_code == 200  # not a route here: the page's catch-all
    # Basic credentials mean nothing in proxy mode
    assert c.get("/api/scenarios", headers=basic("ada")).status_code == 401


def test_proxy_without_a_default_role_refuses_strangers(tmp_path: Path) -> None:
    s = Server(f"sqlite:///{tmp_path / 'db.sqlite'}", mode=AuthMode.PROXY, proxy_user_header="X-Remote-User")
    try:
        r = s.client.get("/api/scenarios", headers={"X-Remote-User": "sam"})
        assert r.status_code == 403 and "no account" in r.json["error"]
        assert s.client.get("/api/scenarios", headers={"X-Forwarded-User": "ada"}).status_code == 401
        assert s.client.get("/api/scenarios", headers={"X-Remote-User": "Ada"}).status_code == 200
    finally:
        s.close()


def test_proxy_page_callbacks_need_the_csrf_token(proxy_server: Server) -> None:
    c = proxy_server.client
    as_ed = {"X-Forwarded-User": "ed"}
    assert c.get("/", headers=as_ed).status_code == 200
    token = c.get_cookie(CSRF_COOKIE).value
    payload = _callback(proxy_server.app, "delete.n_clicks", {"delete.n_clicks": 1, "scenario-list.value": "x"})
    assert c.post("/_dash-update-component", json=payload, headers=as_ed).status_code == 403
    assert c.post("/_dash-update-component", json=payload, headers={**as_ed, CSRF_HEADER: token}).status_code == 200


def test_no_auth_changes_nothing(tmp_path: Path) -> None:
    app = create_app(ScenarioStore(f"sqlite:///{tmp_path / 'db.sqlite'}"))
    assert install(app, AuthSettings()) is None
    c = app.server.test_client()
    r = c.post("/api/scenarios", json={"name": "open", "parameters": PLAN, "saved_by": "anyone"})
    assert r.status_code == 201 and r.json["saved_by"] == "anyone"


# ----------------------------------------------------------------------------- the real server
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(url: str, *, method: str = "GET", data: Any = None, headers: dict[str, str] | None = None
          ) -> tuple[int, Any]:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method, headers={
        **({"Content-Type": "application/json"} if body else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_installed_server_with_accounts(tmp_path: Path) -> None:
    db = tmp_path / "plans.db"
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("HUBPLAN_SECRET", None)
    for name in ("vera", "ed"):
        added = subprocess.run([str(HUBPLAN), "users", "add", name, "--role", ROLES[name].value, "--db", str(db)],
                               input=PASSWORDS[name] + "\n", capture_output=True, text=True, env=env)
        assert added.returncode == 0, added.stderr
    port = _free_port()
    process = subprocess.Popen([str(HUBPLAN), "serve", "--auth", "accounts", "--port", str(port), "--db", str(db),
                                "--workers", "2"], stderr=subprocess.PIPE, text=True, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        lines = []
        while True:  # until it says it listens (its stderr) or stops
            line = process.stderr.readline()  # type: ignore[union-attr]
            assert line, "hubplan serve stopped:\n" + "".join(lines)
            lines.append(line)
            if "2 worker processes" in line:
                break
        text = "".join(lines)
        assert "sign-in: accounts (2 in the database" in text and f"{db}.secret" in text
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        assert (tmp_path / "plans.db.secret").stat().st_mode & 0o777 == 0o600
        assert _call(base + "/api/scenarios") == (401, {"error": "not signed in: sign in on the page, or send "
                                                                 "HTTP Basic credentials (curl -u NAME ...)"})
        status, saved = _call(base + "/api/scenarios", method="POST", data={"name": "real", "parameters": PLAN},
                              headers=basic("ed"))
        assert status == 201 and saved["saved_by"] == "ed"
        status, refused = _call(base + "/api/scenarios/real", method="DELETE", headers=basic("vera"))
        assert status == 403 and refused["error"] == "vera is a viewer: DELETE /api/scenarios/real needs an editor"
        for _ in range(4):  # every worker: the first call of each verifies, the next are remembered
            status, listed = _call(base + "/api/scenarios", headers=basic("vera"))
            assert status == 200 and [x["name"] for x in listed] == ["real"]
        # the page: a sign-in form, then the planner
        with urllib.request.urlopen(base + "/sign-in", timeout=60) as response:
            assert 'name="csrf_token"' in response.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_viewer_sees_the_buttons_that_change_something_greyed_out(sqlite_server: Server) -> None:
    """The server refuses a viewer's save (403) whatever the page shows; the page says so first:
    Save, Delete, Rename and Optimise are greyed out and not clickable for a viewer only."""
    c = sqlite_server.client
    pages, layouts = {}, {}
    for name in ("vera", "ed"):
        token = _sign_in_form(c)
        signed = c.post("/sign-in", data={"name": name, "password": PASSWORDS[name], "csrf_token": token, "next": "/"})
        assert signed.status_code == 303
        pages[name] = c.get("/").text
        layouts[name] = c.get("/_dash-layout").text.replace(" ", "")
        out = re.search(r'name="csrf_token" value="([^"]+)"', pages[name])
        assert out
        assert c.post("/sign-out", data={"csrf_token": out.group(1)}).status_code in (302, 303)
    style = re.search(r'<style id="viewer-style">([^<]*)</style>', pages["vera"])
    assert style and "pointer-events: none" in style.group(1)
    greyed = sorted(re.findall(r"#([\w-]+)", style.group(1)))
    assert greyed == ["delete", "opt-run", "rename", "save"]
    for button in greyed:  # they are the page's buttons
        assert f'"id":"{button}"' in layouts["ed"]
    assert 'id="viewer-style"' not in pages["ed"]


# ----------------------------------------------------------------------------- health probe
@pytest.mark.parametrize("mode", [AuthMode.ACCOUNTS, AuthMode.PROXY])
def test_the_health_probe_answers_without_sign_in_and_nothing_else_does(tmp_path: Path, mode: AuthMode) -> None:
    s = Server(f"sqlite:///{tmp_path / 'scenarios.db'}", mode=mode)
    try:
        health = s.client.get("/api/health")
        assert health.status_code == 200 and health.get_json() == {"status": "ok", "database": "ok"}
        assert s.client.head("/api/health").status_code == 200
        assert s.client.get("/api/").status_code == 401  # the rest still needs sign-in
        assert s.client.get("/api/scenarios").status_code == 401
        assert s.client.post("/api/health", json={}).status_code in (401, 405)  # no writes through it
        # a database that cannot be reached: 503 with the reason, not a 500
        s.app.server.config["HUBPLAN_STORE"] = type("Unreachable", (), {
            "engine": sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none",
                                       connect_args={"connect_timeout": 2})})()
        down = s.client.get("/api/health")
        assert down.status_code == 503
        assert down.get_json()["status"] == "unavailable" and "not reachable" in down.get_json()["database"]
    finally:
        s.close()
