"""The planner's server refuses cross-site writes, foreign Host names, non-JSON bodies and hostile
JSON, with JSON errors: through the Flask app and through a real ``hubplan serve``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hubplan.planning.store import ScenarioStore
from hubplan.web.app import create_app

HAMPSHIRE = "NHS Hampshire and Isle of Wight Integrated Care Board"
PLAN = {"service": "vascular_arterial", "region": HAMPSHIRE, "hubs": ["SO166YD"], "pathway": "direct"}
HUBPLAN = str(Path(sys.executable).parent / "hubplan")


@pytest.fixture()
def client():
    store = ScenarioStore("sqlite://")
    app = create_app(store)
    c = app.server.test_client()
    saved = c.post("/api/scenarios", json={"name": "A", "saved_by": "ana", "parameters": PLAN})
    assert saved.status_code == 201
    return c


def test_a_cross_site_text_plain_write_is_refused(client) -> None:
    """The attack of the issue: a form on another site posting text/plain JSON with replace."""
    body = json.dumps({"name": "A", "saved_by": "mallory", "parameters": {**PLAN, "hubs": ["PO63LY"]},
                       "replace": True})
    r = client.post("/api/scenarios", data=body, content_type="text/plain",
                    headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "another site (http://evil.example)" in r.json["error"]
    # without an Origin (not a browser) the text/plain body is still not read as JSON
    r = client.post("/api/scenarios", data=body, content_type="text/plain")
    assert r.status_code == 415 and "application/json" in r.json["error"]
    r = client.delete("/api/scenarios/A", headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    kept = client.get("/api/scenarios/A").json
    assert kept["saved_by"] == "ana" and kept["parameters"]["hubs"] == ["SO166YD"]
    # the page's own origin may change it
    ok = client.post("/api/scenarios", json={"name": "B", "parameters": PLAN}, headers={"Origin": "http://localhost"})
    assert ok.status_code == 201


def test_the_page_callbacks_need_json_and_the_same_origin(client) -> None:
    r = client.post("/_dash-update-component", data="{}", content_type="text/plain")
    assert r.status_code == 415
    r = client.post("/_dash-update-component", json={}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403


def test_a_foreign_host_name_is_refused(client) -> None:
    r = client.get("/api/", headers={"Host": "evil.example"})
    assert r.status_code == 400 and "is not this server's name" in r.json["error"]
    assert client.get("/api/", headers={"Host": "127.0.0.1:8050"}).status_code == 200


def test_hostile_json_is_400_not_500(client) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    r = client.post("/api/evaluate", data=deep, content_type="application/json")
    assert r.status_code == 400 and "nested more than 20 deep" in r.json["error"]
    shallow_enough = {"service": "vascular_arterial", "region": HAMPSHIRE, "hubs": ["SO166YD"],
                      "x": [[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]}
    r = client.post("/api/evaluate", json=shallow_enough)
    assert r.status_code == 400 and "nested" in r.json["error"]
    for name in ("ana\nadmin", "<script>alert(1)</script>", "a\x00b"):
        r = client.post("/api/scenarios", json={"name": "C", "saved_by": name, "parameters": PLAN})
        assert r.status_code == 400 and r.json["error"].startswith("saved_by: a name without control characters")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_installed_server(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([HUBPLAN, "serve", "--port", str(port), "--db", str(tmp_path / "s.db")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # waiting for start-up, not a performance limit
        while True:
            try:
                urllib.request.urlopen(base + "/api/", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(f"the server did not start: {proc.stderr.read() if proc.stderr else ''}")
                time.sleep(0.5)

        def send(method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, dict]:
            req = urllib.request.Request(base + path, data=body, method=method, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    return r.status, json.loads(r.read())
            except urllib.error.HTTPError as e:
                return e.code, json.loads(e.read())

        body = json.dumps({"name": "A", "parameters": PLAN}).encode()
        status, doc = send("POST", "/api/scenarios", body, {"Content-Type": "text/plain", "Origin": "http://evil.example"})
        assert status == 403 and "another site" in doc["error"]
        status, doc = send("GET", "/api/", None, {"Host": "rebound.example"})
        assert status == 400
        status, doc = send("POST", "/api/scenarios", body, {"Content-Type": "application/json"})
        assert status == 201 and doc["name"] == "A"
        big = b'{"x": "' + b"a" * (9 * 1024 * 1024) + b'"}'
        status, doc = send("POST", "/api/evaluate", big, {"Content-Type": "application/json"})
        assert status == 413 and "error" in doc  # the app's JSON 413, not waitress's plain text
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert "answers to host names" in err


@pytest.mark.parametrize("path", [
    "/_dash-component-suites/../../etc/passwd", "/_dash-component-suites/dash/..%2f..%2fapp.py",
    "/_dash-component-suites/dash/deps/..\\..\\x.js", "/_dash-component-suites/nonexistent/x.js",
])
def test_component_paths_outside_the_registered_files_are_404(client, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404 and r.json["error"].startswith("no such file")


@pytest.mark.parametrize("payload, fragment", [
    ([1, 2], "expected a JSON object"),
    ({"output": "x"}, "'output' is not one of this page's callbacks"),
    ({"output": "demand.placeholder", "inputs": "no"}, "'inputs' must be a list"),
])
def test_malformed_callback_requests_are_400(client, payload: object, fragment: str) -> None:
    r = client.post("/_dash-update-component", json=payload)
    assert r.status_code == 400 and fragment in r.json["error"]
