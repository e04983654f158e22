"""The scenario database's schema as Alembic migrations: a new database gets exactly the
tables the store declares, old databases (with or without Alembic's version table) are
upgraded keeping their scenarios, several processes opening one database at once upgrade it
once, and ``hubplan db status / upgrade / backup`` as users run them."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import hubplan.planning.accounts  # noqa: F401  (the accounts table is part of the declared schema)
from hubplan.planning.store import (
    ScenarioStore,
    database_revision,
    head_revision,
    metadata,
    open_engine,
    upgrade_database,
)

HUBPLAN = Path(sys.executable).parent / "hubplan"
OLD_ROW = ("Old plan", "old plan", "thrombectomy", json.dumps({"hubs": ["X"]}), "{}", "ana",
           "2026-01-02T03:04:05.000000+00:00")


def hubplan(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The installed executable, as users run it."""
    return subprocess.run([str(HUBPLAN), *map(str, args)], capture_output=True, text=True)


def schema_differences(url: str) -> list:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), metadata))
    finally:
        engine.dispose()


def test_the_newest_migration_builds_the_declared_tables(db_url: str) -> None:
    """Alembic's own comparison of the migrated database with the tables the store declares
    finds nothing to change (columns, types, nullability, the unique name key, the index)."""
    store = ScenarioStore(db_url)
    assert database_revision(store.engine) == head_revision() == "0003"
    store.close()
    assert schema_differences(db_url) == []


def test_a_database_at_the_first_revision_is_upgraded_with_its_scenarios(db_url: str) -> None:
    engine = open_engine(db_url)
    assert upgrade_database(engine, "0001") == (None, "0001")
    with engine.begin() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        assert "hubplan_scenario_history" not in tables and "hubplan_scenarios" in tables
        conn.execute(sa.text("INSERT INTO hubplan_scenarios (name, name_key, service, parameters, summary, saved_by, "
                             "saved_at, schema_version) VALUES (:a, :b, :c, :d, :e, :f, :g, 1)"),
                     dict(zip("abcdefg", OLD_ROW)))
    assert upgrade_database(engine) == ("0001", "0003")
    assert upgrade_database(engine) == ("0003", "0003")  # nothing left to do
    engine.dispose()
    store = ScenarioStore(db_url)
    old = store.load("Old plan")
    assert (old.version, old.created_by, dict(old.parameters)) == (1, "ana", {"hubs": ["X"]})
    assert [(h["version"], h["action"], h["saved_by"]) for h in store.history("Old plan")] == [(1, "saved", "ana")]
    store.close()
    assert schema_differences(db_url) == []


def test_a_database_of_the_second_layout_without_a_version_table_is_stamped_not_altered(tmp_path: Path) -> None:
    """Written by a hubplan from before the migrations (tables made by create_all): recognised
    as revision 0002 by its columns and upgraded from there (the accounts table added); its rows
    and history are left exactly as they were."""
    path = tmp_path / "v2.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    metadata.create_all(engine, tables=[metadata.tables["hubplan_scenarios"], metadata.tables["hubplan_scenario_history"]])
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO hubplan_scenarios (name, name_key, service, parameters, summary, saved_by, "
                             "saved_at, schema_version, version, created_by, created_at) VALUES "
                             "(:a, :b, :c, :d, :e, :f, :g, 2, 3, 'cy', :g)"), dict(zip("abcdefg", OLD_ROW)))
        conn.execute(sa.text("INSERT INTO hubplan_scenario_history (scenario_id, version, action, name, service, "
                             "parameters, summary, saved_by, saved_at) VALUES (1, 3, 'saved', :a, :c, :d, :e, :f, :g)"),
                     dict(zip("abcdefg", OLD_ROW)))
        assert "alembic_version" not in sa.inspect(conn).get_table_names()
    engine.dispose()
    assert database_revision(engine) == "0002"
    store = ScenarioStore(path)
    assert database_revision(store.engine) == "0003"
    old = store.load("Old plan")
    assert (old.version, old.created_by) == (3, "cy")
    assert [(h["version"], h["action"]) for h in store.history("Old plan")] == [(3, "saved")]  # no second row
    store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0003",)]
        assert conn.execute("SELECT count(*) FROM hubplan_users").fetchone() == (0,)


def test_stores_opening_one_new_database_at_once_upgrade_it_once(db_url: str) -> None:
    """Six threads (each its own engine, as separate server processes would have) open the
    same empty database at the same moment: all succeed, one version row, one set of tables."""
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []
    stores: list[ScenarioStore] = []

    def work() -> None:
        try:
            barrier.wait()
            stores.append(ScenarioStore(db_url))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(stores) == 6
    stores[0].save("one", service="thrombectomy", parameters={}, saved_by="ana")
    assert [s.name for s in stores[5].list()] == ["one"]
    with stores[0].engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).fetchall() == [("0003",)]
    for s in stores:
        s.close()


def test_db_status_upgrade_and_backup_as_users_run_them(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = open_engine(f"sqlite:///{path}")
    upgrade_database(engine, "0001")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO hubplan_scenarios (name, name_key, service, parameters, summary, saved_by, "
                             "saved_at, schema_version) VALUES (:a, :b, :c, :d, :e, :f, :g, 1)"),
                     dict(zip("abcdefg", OLD_ROW)))
    engine.dispose()

    status = hubplan("db", "status", "--db", path, "--format", "json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout) == {"database": f"sqlite:///{path}", "revision": "0001", "head": "0003",
                                         "up_to_date": False}
    up = hubplan("db", "upgrade", "--db", path, "--format", "json")
    assert up.returncode == 0, up.stderr
    assert json.loads(up.stdout) == {"database": f"sqlite:///{path}", "before": "0001", "after": "0003",
                                     "changed": True}
    again = hubplan("db", "upgrade", "--db", path)
    assert again.returncode == 0 and "already at 0003, nothing to do" in again.stdout

    copy = tmp_path / "backup.db"
    backed = hubplan("db", "backup", copy, "--db", path, "--format", "json")
    assert backed.returncode == 0, backed.stderr
    assert json.loads(backed.stdout)["scenarios"] == 1
    restored = ScenarioStore(copy)
    assert [s.name for s in restored.list()] == ["Old plan"] and restored.load("Old plan").version == 1
    restored.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no partial file left

    refused = hubplan("db", "backup", copy, "--db", path)
    assert refused.returncode == 2
    assert refused.stderr.strip() == f"error: {copy}: exists already; give a new file name (a backup never overwrites)"
    missing = hubplan("db", "status", "--db", tmp_path / "nothing.db")
    assert missing.returncode == 2 and missing.stderr.strip().startswith("error: --db ")
    assert "no such database file" in missing.stderr and not (tmp_path / "nothing.db").exists()
    server = hubplan("db", "backup", tmp_path / "x.db", "--db", "postgresql+psycopg://u:secret@localhost/db")
    assert server.returncode == 2 and "pg_dump" in server.stderr and "secret" not in server.stderr


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_db_upgrade_on_postgresql_as_users_run_it(db_url: str) -> None:
    up = hubplan("db", "upgrade", "--db", db_url, "--format", "json")
    assert up.returncode == 0, up.stderr
    result = json.loads(up.stdout)
    assert (result["before"], result["after"], result["changed"]) == (None, "0003", True)
    assert "hubplan_test:hubplan_test" not in result["database"]  # the password is not shown
    assert schema_differences(db_url) == []
