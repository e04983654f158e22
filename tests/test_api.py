"""The HTTP API with Flask's test client: contract, CLI-equal messages, statuses, limits."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

import hubplan
from hubplan.cli import app as cli_app
from hubplan.planning.store import ScenarioStore
from hubplan.web.app import create_app

HAMPSHIRE = "Hampshire and Isle of Wight"
SOUTHAMPTON = {"service": "vascular_arterial", "region": HAMPSHIRE, "hubs": ["SO166YD"], "pathway": "direct"}


@pytest.fixture(scope="module")
def client():
    app = create_app(ScenarioStore("sqlite://"))
    app.server.testing = True
    return app.server.test_client()


def cli_json(*args: str) -> dict:
    result = CliRunner().invoke(cli_app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_same(a: object, b: object) -> None:
    """Nested JSON values equal, floats to 1e-9 relative."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-9)
    else:
        assert a == b


def cli_error(*args: str) -> str:
    result = CliRunner().invoke(cli_app, list(args))  # `hubplan` prints this message and exits 2
    assert isinstance(result.exception, hubplan.InputError), result.output
    return str(result.exception)


# ----------------------------------------------------------------------------- network
def test_index_lists_routes(client) -> None:
    response = client.get("/api/")
    assert response.status_code == 200
    assert "POST /api/evaluate" in response.json["routes"]


def test_sites_of_a_region(client) -> None:
    response = client.get("/api/sites", query_string={"region": HAMPSHIRE})
    assert response.status_code == 200
    codes = [row["site_code"] for row in response.json]
    assert "SO166YD" in codes and len(codes) == 4
    today = client.get("/api/sites", query_string={"country": "England", "capability": "thrombectomy"}).json
    assert len(today) == 24


def test_unknown_region_is_422_with_the_cli_message(client) -> None:
    response = client.get("/api/sites", query_string={"region": "Hampshir"})
    assert response.status_code == 422
    with pytest.raises(hubplan.InputError) as expected:
        hubplan.load_bundled().find_region("Hampshir")
    assert response.json == {"error": str(expected.value)}


def test_services_and_regions(client) -> None:
    services = client.get("/api/services").json
    assert {s["name"] for s in services} == {"thrombectomy", "hyperacute_stroke", "vascular_arterial", "maternity",
                                             "minor_injuries", "community_beds", "elective_surgical_hub",
                                             "community_diagnostic_centre"}
    isdns = client.get("/api/regions", query_string={"type": "isdn"}).json
    assert any(r["region"] == "Wessex" for r in isdns)
    assert client.get("/api/regions", query_string={"type": "planet"}).status_code == 422


# ----------------------------------------------------------------------------- evaluate
def test_evaluate_follows_the_cli_json_contract(client) -> None:
    response = client.post("/api/evaluate", json={**SOUTHAMPTON, "include": "all"})
    assert response.status_code == 200
    result = response.json
    assert set(result) >= {"option", "summary", "sites", "regions", "capacity"}
    summary = result["summary"]
    for key in ("patients", "time_to_first", "time_to_hub", "sites", "hubs"):
        assert key in summary
    assert set(summary["time_to_hub"]) == {"mean", "median", "p90", "max", "within"}
    assert set(summary["time_to_hub"]["within"]) == {"30", "45", "60"}
    assert summary["hubs"] == 1
    cli = cli_json("evaluate", "--service", "vascular_arterial", "--region", HAMPSHIRE, "--hubs", "SO166YD",
                   "--pathway", "direct", "--format", "json")
    assert_same(summary, cli["summary"])
    assert_same(result["regions"], cli["regions"])
    assert_same(result["sites"], cli["sites"])


def test_evaluate_defaults_are_the_services(client) -> None:
    result = client.post("/api/evaluate", json={"country": "England", "include": ["capacity"]}).json  # today's 24, T&T
    cli = cli_json("evaluate", "--country", "England", "--format", "json")
    assert_same(result["summary"], cli["summary"])
    assert_same(result["capacity"]["network"], cli["capacity"]["network"])
    assert result["option"]["pathway"] == "treat_and_transfer" and len(result["option"]["hubs"]) == 24


@pytest.mark.parametrize(
    "body, cli_args",
    [
        ({"region": HAMPSHIRE, "hubs": ["XX1"]}, ["--region", HAMPSHIRE, "--hubs", "XX1"]),
        ({"service": "cardiac", "country": "England"}, ["--service", "cardiac", "--country", "England"]),
        ({"country": "England", "pathway": "by boat"}, ["--country", "England", "--pathway", "by boat"]),
        ({"region": "Nowhere"}, ["--region", "Nowhere"]),
    ],
)
def test_model_errors_are_422_with_the_cli_message(client, body: dict, cli_args: list[str]) -> None:
    response = client.post("/api/evaluate", json=body)
    assert response.status_code == 422
    message = response.json["error"]
    assert message == cli_error("evaluate", *cli_args)


@pytest.mark.parametrize(
    "raw, fragment",
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "expected a JSON object, got a list"),
        (b"", "got nothing"),
        (json.dumps({"hubs": 3}).encode(), "hubs: expected a list of site codes or text, got a number"),
        (json.dumps({"bypass_minutes": "15"}).encode(), "bypass_minutes: expected a number of minutes, got text"),
        (json.dumps({"data": "/home/me/private"}).encode(), "data: unknown field"),
        (json.dumps({"service_parameters": {"hub_share": "x"}}).encode(), "expected a number"),
    ],
)
def test_malformed_requests_are_400(client, raw: bytes, fragment: str) -> None:
    response = client.post("/api/evaluate", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert fragment in response.json["error"]


def test_values_out_of_range_are_422(client) -> None:
    response = client.post("/api/evaluate", json={**SOUTHAMPTON, "pathway": "treat_and_transfer", "bypass_minutes": -5})
    assert response.status_code == 422
    assert "bypass_minutes: expected a number of minutes >= 0" in response.json["error"]
    unknown = client.post("/api/evaluate", json={**SOUTHAMPTON, "service_parameters": {"colour": 1}})
    assert unknown.status_code == 422 and "unknown parameter" in unknown.json["error"]


def test_service_parameters_override_the_preset(client) -> None:
    body = {"country": "England", "service_parameters": {"transfer_delay_minutes": 90}}
    slower = client.post("/api/evaluate", json=body).json["summary"]["time_to_hub"]["mean"]
    today = client.post("/api/evaluate", json={"country": "England"}).json["summary"]["time_to_hub"]["mean"]
    assert slower == pytest.approx(today + 30 * 55832.67 / 80958.0, rel=1e-3)  # transferred share x 30 min


def test_no_file_is_ever_read(client, tmp_path: Path, monkeypatch) -> None:
    codes = tmp_path / "hubs.txt"
    codes.write_text("SO166YD\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # the CLI would read ./hubs.txt; the API must not
    for spec in (str(codes), "hubs.txt", "/etc/passwd"):
        response = client.post("/api/evaluate", json={"region": HAMPSHIRE, "service": "vascular_arterial", "hubs": spec})
        assert response.status_code == 422
        assert response.json["error"].startswith(f"unknown hub code {spec!r}")


def test_request_size_limit_is_413(client) -> None:
    big = {"region": HAMPSHIRE, "hubs": ["SO166YD"], "name": "x", "padding": "y" * 1_100_000}
    response = client.post("/api/evaluate", data=json.dumps(big), content_type="application/json")
    assert response.status_code == 413
    assert "larger than 1,000,000 bytes" in response.json["error"]


def test_unknown_route_and_method_are_json(client) -> None:
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404 and "no API route" in missing.json["error"]
    wrong = client.get("/api/evaluate")
    assert wrong.status_code == 405 and "not allowed" in wrong.json["error"]


# ----------------------------------------------------------------------------- compare, optimise
def test_compare_two_options(client) -> None:
    a = {"service": "vascular_arterial", "region": HAMPSHIRE, "hubs": ["SO166YD"], "pathway": "direct"}
    b = {**a, "hubs": ["SO166YD", "PO63LY"]}
    response = client.post("/api/compare", json={"a": a, "b": b, "by": "sicbl"})
    assert response.status_code == 200
    s = response.json["summary"]
    assert s["patients_longer"] == 0 and s["patients_shorter"] > 0  # adding a hub never lengthens
    assert response.json["summaries"]["b"]["hubs"] == 2
    assert {r["region_type"] for r in response.json["regions"]} == {"sicbl"}
    other = client.post("/api/compare", json={"a": a, "b": {**b, "region": "Wessex"}})
    assert other.status_code == 422 and "same network" in other.json["error"]
    missing = client.post("/api/compare", json={"a": a})
    assert missing.status_code == 400 and missing.json["error"].startswith("b: this field is required")


def finished(client, response) -> dict:
    """Poll a started optimisation job until it ends (waiting for the work, not timing it)."""
    import time

    assert response.status_code == 202, response.json
    url = response.json["url"]
    for _ in range(1200):
        job = client.get(url).json
        if job["status"] != "running":
            return job
        time.sleep(0.1)
    raise AssertionError("the job did not finish")


def test_optimise_a_region(client) -> None:
    body = {"service": "vascular_arterial", "region": HAMPSHIRE, "pathway": "direct", "k": 1, "method": "exact",
            "time_limit_seconds": 20}
    job = finished(client, client.post("/api/optimise", json=body))
    assert job["status"] == "done", job
    solution = job["result"]["solution"]
    assert solution["status"] == "optimal" and len(solution["sites"]) == 1
    assert job["result"]["evaluation"]["summary"]["time_to_hub"]["mean"] == pytest.approx(solution["objective"])
    heuristic = finished(client, client.post("/api/optimise", json={**body, "method": "heuristic"}))
    assert heuristic["result"]["solution"]["sites"] == solution["sites"]
    assert client.get("/api/jobs/nosuchjob").status_code == 404


def test_optimisations_share_the_page_limit() -> None:
    """Two at once at most, through the API as through the page: a third is 429."""
    import threading

    from hubplan.web.jobs import JobRegistry

    registry = JobRegistry(max_running=2)
    gate = threading.Event()
    for _ in range(2):
        registry.start("held", lambda say: (gate.wait(60), {})[1])
    c = create_app(ScenarioStore("sqlite://"), jobs=registry).server.test_client()
    body = {"service": "vascular_arterial", "region": HAMPSHIRE, "pathway": "direct", "k": 1}
    r = c.post("/api/optimise", json=body)
    gate.set()
    assert r.status_code == 429 and "optimisations are running" in r.json["error"]


@pytest.mark.parametrize(
    "extra, status, fragment",
    [
        ({"k": "2"}, 400, "k: expected a whole number"),
        ({"k": 0}, 422, "k: expected at least 1"),
        ({"k": 1, "time_limit_seconds": 3600}, 422, "time_limit_seconds: expected more than 0 and at most 120"),
        ({"k": 1, "method": "magic"}, 422, "unknown method 'magic'"),
        ({"k": 1, "hubs": ["SO166YD"]}, 400, "hubs: not used when optimising"),
        ({"k": 1, "keep": ["XX1"]}, 422, "unknown keep site code 'XX1'"),
    ],
)
def test_optimise_errors(client, extra: dict, status: int, fragment: str) -> None:
    body = {"service": "vascular_arterial", "region": HAMPSHIRE, "pathway": "direct", **extra}
    response = client.post("/api/optimise", json=body)
    assert response.status_code == status
    assert fragment in response.json["error"]


# ----------------------------------------------------------------------------- scenarios
def test_scenario_life_cycle() -> None:
    client = create_app(ScenarioStore("sqlite://")).server.test_client()
    created = client.post("/api/scenarios", json={"name": "Southampton only", "saved_by": "ana", "parameters": SOUTHAMPTON})
    assert created.status_code == 201
    scenario = created.json
    assert scenario["saved_by"] == "ana" and scenario["parameters"]["hubs"] == ["SO166YD"]
    assert scenario["summary"]["hubs"] == 1 and scenario["summary"]["time_to_hub"]["mean"] > 0
    listed = client.get("/api/scenarios").json
    assert [s["name"] for s in listed] == ["Southampton only"]
    url = "/api/scenarios/" + quote("Southampton only")
    assert client.get(url).json["id"] == scenario["id"]
    again = client.post("/api/scenarios", json={"name": "southampton only", "parameters": SOUTHAMPTON})
    assert again.status_code == 409 and "already exists" in again.json["error"]
    blind = client.post("/api/scenarios", json={"name": "Southampton only", "parameters": SOUTHAMPTON,
                                                "saved_by": "ben", "replace": True})
    assert blind.status_code == 409 and "give base_version" in blind.json["error"]
    replaced = client.post("/api/scenarios", json={"name": "Southampton only", "parameters": SOUTHAMPTON,
                                                   "saved_by": "ben", "replace": True, "base_version": 1})
    assert replaced.status_code == 200 and replaced.json["id"] == scenario["id"]
    assert replaced.json["saved_by"] == "ben" and replaced.json["version"] == 2
    assert replaced.json["created_by"] == "ana"
    client.post("/api/scenarios", json={"name": "Two hubs", "parameters": {**SOUTHAMPTON, "hubs": ["SO166YD", "PO63LY"]}})
    clash = client.patch(url, json={"name": "two hubs"})
    assert clash.status_code == 409
    renamed = client.patch(url, json={"name": "Option A"})
    assert renamed.status_code == 200 and renamed.json["name"] == "Option A"
    assert client.get(url).status_code == 404
    assert client.delete("/api/scenarios/Option%20A").json == {"deleted": "Option A"}
    assert client.delete("/api/scenarios/Option%20A").status_code == 404
    assert [s["name"] for s in client.get("/api/scenarios").json] == ["Two hubs"]


def test_invalid_scenarios_are_not_saved() -> None:
    client = create_app(ScenarioStore("sqlite://")).server.test_client()
    bad = client.post("/api/scenarios", json={"name": "bad", "parameters": {**SOUTHAMPTON, "hubs": ["XX1"]}})
    assert bad.status_code == 422 and bad.json["error"].startswith("unknown hub code 'XX1'")
    nameless = client.post("/api/scenarios", json={"parameters": SOUTHAMPTON})
    assert nameless.status_code == 400 and nameless.json["error"] == "name: this field is required"
    blank = client.post("/api/scenarios", json={"name": "  ", "parameters": SOUTHAMPTON})
    assert blank.status_code == 422
    assert client.get("/api/scenarios").json == []
