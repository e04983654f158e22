"""No lost edits: versions, a refused stale save, history and restore, soft deletes, and the
upgrade of a database written by the first layout."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from urllib.parse import quote

import pytest

from hubplan.planning.store import ScenarioConflictError, ScenarioExistsError, ScenarioNotFoundError, ScenarioStore
from hubplan.web.app import create_app

HAMPSHIRE = "NHS Hampshire and Isle of Wight Integrated Care Board"
PLAN = {"service": "vascular_arterial", "region": HAMPSHIRE, "hubs": ["SO166YD"], "pathway": "direct"}


def test_versions_conflicts_history_and_restore(db_url: str) -> None:
    store = ScenarioStore(db_url)
    a = store.save("plan", service="thrombectomy", parameters={"hubs": ["A"]}, saved_by="ana")
    assert a.version == 1 and a.created_by == "ana"
    b = store.save("plan", service="thrombectomy", parameters={"hubs": ["B"]}, saved_by="ben", replace=True,
                   base_version=1)
    assert b.version == 2 and b.created_by == "ana" and b.saved_by == "ben"
    with pytest.raises(ScenarioConflictError) as info:  # cy's change was made from version 1 too
        store.save("plan", service="thrombectomy", parameters={"hubs": ["C"]}, saved_by="cy", replace=True,
                   base_version=1)
    assert "was saved again by ben" in str(info.value) and "version 2" in str(info.value)
    assert store.load("plan").parameters == {"hubs": ["B"]}  # nothing overwritten
    history = store.history("plan")
    assert [(h["version"], h["action"], h["saved_by"]) for h in history] == [(1, "saved", "ana"), (2, "replaced", "ben")]
    restored = store.restore("plan", 1, saved_by="dee")
    assert restored.version == 3 and restored.parameters == {"hubs": ["A"]} and restored.saved_by == "dee"
    with pytest.raises(ScenarioNotFoundError):
        store.restore("plan", 9)


def test_soft_delete_frees_the_name_and_can_be_undone(db_url: str) -> None:
    store = ScenarioStore(db_url)
    first = store.save("plan", service="thrombectomy", parameters={"hubs": ["A"]}, saved_by="ana")
    store.delete("plan", deleted_by="ben")
    assert store.list() == [] and len(store) == 0
    with pytest.raises(ScenarioNotFoundError):
        store.load("plan")
    gone = store.deleted()
    assert [(d["id"], d["name"], d["deleted_by"]) for d in gone] == [(first.id, "plan", "ben")]
    other = store.save("plan", service="thrombectomy", parameters={"hubs": ["Z"]})  # the name is free again
    with pytest.raises(ScenarioExistsError, match="exists again"):
        store.undelete(first.id)
    store.rename("plan", "plan Z")
    back = store.undelete(first.id, by="admin")
    assert back.name == "plan" and back.parameters == {"hubs": ["A"]} and back.id == first.id
    assert {s.name for s in store.list()} == {"plan", "plan Z"} and other.id != first.id
    assert [h["action"] for h in store.history("plan")] == ["saved", "deleted", "undeleted"]


def test_a_first_layout_database_is_upgraded(tmp_path: Path) -> None:
    """A file written by the first table layout (no versions) opens, keeps its scenarios as
    version 1 with their history, and saves on."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("""CREATE TABLE hubplan_scenarios (id INTEGER PRIMARY KEY AUTOINCREMENT,
            name VARCHAR(120) NOT NULL, name_key VARCHAR(120) NOT NULL UNIQUE, service VARCHAR(100) NOT NULL,
            parameters TEXT NOT NULL, summary TEXT NOT NULL, saved_by VARCHAR(120) NOT NULL,
            saved_at VARCHAR(40) NOT NULL, schema_version INTEGER NOT NULL)""")
        conn.execute("INSERT INTO hubplan_scenarios (name, name_key, service, parameters, summary, saved_by, saved_at,"
                     " schema_version) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                     ("Old plan", "old plan", "thrombectomy", json.dumps({"hubs": ["X"]}), "{}", "ana",
                      "2026-01-02T03:04:05.000000+00:00"))
    store = ScenarioStore(path)
    old = store.load("Old plan")
    assert old.version == 1 and old.created_by == "ana" and old.parameters == {"hubs": ["X"]}
    assert [(h["version"], h["action"]) for h in store.history("Old plan")] == [(1, "saved")]
    new = store.save("Old plan", service="thrombectomy", parameters={"hubs": ["Y"]}, saved_by="ben",
                     replace=True, base_version=1)
    assert new.version == 2
    store.close()
    again = ScenarioStore(path)  # opening an upgraded file changes nothing
    assert again.load("Old plan").version == 2 and len(again.history("Old plan")) == 2


def test_two_editors_of_one_scenario_through_the_api(db_url: str) -> None:
    """Both loaded version 1 and save at once: one wins, the other gets 409 naming the
    winner, and the winner's plan is what is stored."""
    app = create_app(ScenarioStore(db_url))
    client = app.server.test_client()
    assert client.post("/api/scenarios", json={"name": "shared", "saved_by": "ana", "parameters": PLAN}).status_code == 201
    plans = {"ben": {**PLAN, "hubs": ["SO166YD", "PO63LY"]}, "cy": {**PLAN, "pathway": "direct", "hubs": ["PO63LY"]}}
    answers: dict[str, tuple[int, dict]] = {}

    def save(who: str) -> None:
        c = app.server.test_client()
        r = c.post("/api/scenarios", json={"name": "shared", "saved_by": who, "parameters": plans[who],
                                           "replace": True, "base_version": 1})
        answers[who] = (r.status_code, r.json)

    threads = [threading.Thread(target=save, args=(who,)) for who in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(code for code, _ in answers.values())
    assert codes == [200, 409]
    winner = next(who for who, (code, _) in answers.items() if code == 200)
    loser = next(who for who in plans if who != winner)
    assert f"was saved again by {winner}" in answers[loser][1]["error"]
    stored = client.get("/api/scenarios/shared").json
    assert stored["parameters"]["hubs"] == plans[winner]["hubs"] and stored["version"] == 2
    history = client.get("/api/scenarios/shared/history").json
    assert [(h["version"], h["saved_by"]) for h in history] == [(1, "ana"), (2, winner)]
    restored = client.post("/api/scenarios/shared/restore", json={"version": 1, "saved_by": "ana"})
    assert restored.status_code == 200 and restored.json["version"] == 3
    assert restored.json["parameters"]["hubs"] == PLAN["hubs"]
    assert client.delete("/api/scenarios/" + quote("shared") + "?by=ana").status_code == 200
    gone = client.get("/api/deleted-scenarios").json
    assert [g["name"] for g in gone] == ["shared"]
    back = client.post(f"/api/deleted-scenarios/{gone[0]['id']}/restore")
    assert back.status_code == 200 and back.json["name"] == "shared"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_first_layout_postgresql_database_is_upgraded(db_url: str) -> None:
    """The same upgrade on a server database: the first layout's table written with plain DDL
    (the SQLite file case is test_a_first_layout_database_is_upgraded)."""
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("""CREATE TABLE hubplan_scenarios (id SERIAL PRIMARY KEY,
            name VARCHAR(120) NOT NULL, name_key VARCHAR(120) NOT NULL UNIQUE, service VARCHAR(100) NOT NULL,
            parameters TEXT NOT NULL, summary TEXT NOT NULL, saved_by VARCHAR(120) NOT NULL,
            saved_at VARCHAR(40) NOT NULL, schema_version INTEGER NOT NULL)""")
        conn.exec_driver_sql(
            "INSERT INTO hubplan_scenarios (name, name_key, service, parameters, summary, saved_by, saved_at, "
            "schema_version) VALUES ('Old plan', 'old plan', 'thrombectomy', '{\"hubs\": [\"X\"]}', '{}', 'ana', "
            "'2026-01-02T03:04:05.000000+00:00', 1)")
    engine.dispose()
    store = ScenarioStore(db_url)
    old = store.load("Old plan")
    assert old.version == 1 and old.created_by == "ana" and old.parameters == {"hubs": ["X"]}
    assert [(h["version"], h["action"]) for h in store.history("Old plan")] == [(1, "saved")]
    assert store.save("Old plan", service="thrombectomy", parameters={}, replace=True, base_version=1).version == 2
    store.close()
