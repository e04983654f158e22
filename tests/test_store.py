"""Saved scenarios: create, list, load, rename, delete; unique names; concurrent saves lose nothing."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hubplan.errors import InputError
from hubplan.planning.store import ScenarioExistsError, ScenarioNotFoundError, ScenarioStore, database_url

PARAMETERS = {"service": "vascular_arterial", "region": "Hampshire and Isle of Wight", "hubs": ["SO166YD"]}


@pytest.fixture()
def store(db_url: str) -> ScenarioStore:
    """A store on SQLite and on PostgreSQL (tests/conftest.py ``db_url``)."""
    s = ScenarioStore(db_url)
    yield s
    s.close()


def test_save_load_list_rename_delete(store: ScenarioStore) -> None:
    saved = store.save("Southampton only", service="vascular_arterial", parameters=PARAMETERS,
                       summary={"patients": 245.9}, saved_by="ana")
    assert saved.name == "Southampton only" and saved.saved_by == "ana"
    assert saved.saved_at.tzinfo is not None
    loaded = store.load("southampton ONLY ")  # case and surrounding spaces ignored
    assert loaded.id == saved.id and dict(loaded.parameters) == PARAMETERS
    assert dict(loaded.summary) == {"patients": 245.9}
    store.save("Second", service="thrombectomy", parameters={}, saved_by="ben")
    assert [s.name for s in store.list()] == ["Second", "Southampton only"]  # most recent first
    renamed = store.rename("Southampton only", "Option A")
    assert renamed.id == saved.id and renamed.name == "Option A"
    with pytest.raises(ScenarioNotFoundError, match="no saved scenario named 'Southampton only'"):
        store.load("Southampton only")
    store.delete("option a")
    assert [s.name for s in store.list()] == ["Second"]
    assert len(store) == 1


def test_unique_names_and_replace(store: ScenarioStore) -> None:
    first = store.save("Plan", service="thrombectomy", parameters={"hubs": ["A"]}, saved_by="ana")
    with pytest.raises(ScenarioExistsError, match="a scenario named 'PLAN' already exists"):
        store.save("PLAN", service="thrombectomy", parameters={"hubs": ["B"]})
    replaced = store.save("plan", service="thrombectomy", parameters={"hubs": ["B"]}, saved_by="ben", replace=True)
    assert replaced.id == first.id and replaced.saved_by == "ben" and replaced.parameters["hubs"] == ["B"]
    store.save("Other", service="thrombectomy", parameters={})
    with pytest.raises(ScenarioExistsError):
        store.rename("Other", " plan ")
    assert store.rename("Other", "OTHER").name == "OTHER"  # a change of case only is allowed
    assert len(store) == 2


@pytest.mark.parametrize(
    "name, message",
    [("", "expected a non-empty name"), ("   ", "expected a non-empty name"),
     ("a\tb", "control characters"), ("x" * 121, "at most 120 characters")],
)
def test_bad_names(store: ScenarioStore, name: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        store.save(name, service="thrombectomy", parameters={})


def test_missing_scenarios(store: ScenarioStore) -> None:
    for action in (lambda: store.load("nope"), lambda: store.delete("nope"), lambda: store.rename("nope", "x")):
        with pytest.raises(ScenarioNotFoundError, match="no saved scenario named 'nope'"):
            action()


def test_parameters_must_be_json(store: ScenarioStore) -> None:
    with pytest.raises(InputError, match="parameters: not JSON-serialisable"):
        store.save("x", service="thrombectomy", parameters={"bad": object()})
    with pytest.raises(InputError, match="not JSON-serialisable"):
        store.save("x", service="thrombectomy", parameters={"nan": float("nan")})


def test_in_memory_store_is_shared_by_threads() -> None:
    store = ScenarioStore("sqlite://")
    thread = threading.Thread(target=lambda: store.save("t", service="s", parameters={}))
    thread.start()
    thread.join()
    assert [s.name for s in store.list()] == ["t"]


def test_database_url() -> None:
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("x.db").startswith("sqlite:////")
    with pytest.raises(InputError, match="does not exist"):
        database_url("/no/such/folder/x.db")


def test_threads_saving_at_once_lose_nothing(db_url: str) -> None:
    path = db_url
    n_threads, per_thread = 8, 25
    errors: list[BaseException] = []
    barrier = threading.Barrier(n_threads)

    def work(worker: int) -> None:
        try:
            store = ScenarioStore(path)  # one engine per user, as separate server processes would
        except BaseException as exc:  # noqa: BLE001 - reported below; the others must not wait for it
            errors.append(exc)
            barrier.abort()
            return
        try:
            barrier.wait()
            for i in range(per_thread):
                store.save(f"w{worker}-{i}", service="thrombectomy", parameters={"i": i}, saved_by=f"user{worker}")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    names = {s.name for s in ScenarioStore(path).list()}
    assert names == {f"w{w}-{i}" for w in range(n_threads) for i in range(per_thread)}


def test_same_name_saved_at_once_gives_one_scenario(db_url: str) -> None:
    store = ScenarioStore(db_url)
    n_threads = 8
    barrier = threading.Barrier(n_threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        barrier.wait()
        try:
            store.save("Shared name", service="thrombectomy", parameters={"by": worker})
            result = "saved"
        except ScenarioExistsError:
            result = "exists"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["exists"] * (n_threads - 1) + ["saved"]
    assert len(store) == 1


WORKER = """
import sys
from hubplan.planning.store import ScenarioStore
path, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
store = ScenarioStore(path)
for i in range(count):
    store.save(f"p{worker}-{i}", service="thrombectomy", parameters={"i": i}, saved_by=f"process {worker}")
    store.save("last writer", service="thrombectomy", parameters={"by": worker}, replace=True)
print("ok")
"""


def test_processes_saving_to_one_sqlite_file_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "team.db"
    ScenarioStore(path).close()
    n_processes, per_process = 4, 20
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(path), str(w), str(per_process)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for w in range(n_processes)
    ]
    results = [p.communicate() for p in procs]
    for (out, err), proc in zip(results, procs):
        assert proc.returncode == 0, err
        assert out.strip() == "ok"
    store = ScenarioStore(path)
    names = {s.name for s in store.list()}
    expected = {f"p{w}-{i}" for w in range(n_processes) for i in range(per_process)} | {"last writer"}
    assert names == expected
    assert len(store) == n_processes * per_process + 1
