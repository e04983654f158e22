"""What makes the planner quick: the areas as one picture on the map, optional parts of
/api/evaluate, one evaluation however many ask at once, and several worker processes."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from hubplan.planning.store import ScenarioStore
from hubplan.web.figures import AREA_CLASS_COLOURS, AREA_COLOURSCALE, NO_ROUTE_CLASS, area_classes
from hubplan.web.plans import LruCache

HAMPSHIRE = {"service": "vascular_arterial", "region": "Hampshire and Isle of Wight", "hubs": ["SO166YD"],
             "pathway": "direct"}


def test_area_classes_are_the_reports_classes() -> None:
    minutes = np.array([0.0, 14.9, 15.0, 29.9, 44.0, 60.0, 89.0, 119.9, 120.0, 500.0, np.inf, np.nan])
    # report classes: under 15, 15-30, 30-45, 45-60, 60-90, 90-120, 120+ (upper bounds open), then no route
    assert area_classes(minutes, len(minutes)).tolist() == [0, 0, 1, 1, 2, 4, 4, 5, 6, 6, 7, 7]
    assert area_classes(None, 3).tolist() == [NO_ROUTE_CLASS] * 3
    assert AREA_CLASS_COLOURS[0] == "#ffffb2" and AREA_CLASS_COLOURS[6] == "#b10026"  # YlOrRd: dark red is far


def test_stepped_scale_maps_each_class_to_its_colour() -> None:
    n = len(AREA_CLASS_COLOURS)
    for c in range(n):  # class c sits at (c + 0.5) / n of the scale with cmin -0.5, cmax n - 0.5
        position = (c + 0.5) / n
        below = [colour for stop, colour in AREA_COLOURSCALE if stop <= position][-1]
        assert below == AREA_CLASS_COLOURS[c]


def test_map_picture_paints_each_area_in_its_class_at_its_centroid() -> None:
    """The picture a click sends, decoded: every area's dot is painted, pixel by pixel, as a
    brute-force painter does it (areas in network order, a later one over an earlier), in
    the class worked out by hand from its minutes; the rest is transparent; the palette is
    the report's colours."""
    import io

    from PIL import Image

    from hubplan.web import planner
    from hubplan.web.figures import area_image, area_raster
    from hubplan.web.plans import evaluate_plan

    page = planner.with_role(planner.today_plan("vascular_arterial", "icb:NHS Hampshire and Isle of Wight "
                                                "Integrated Care Board"), "SO166YD", "hub")
    ev = evaluate_plan(planner.to_plan(page))
    network = ev.network
    spec = area_image(network, ev.routes.time_to_hub)
    picture = Image.open(io.BytesIO(base64.b64decode(spec["source"].split(",", 1)[1])))
    assert picture.mode == "P"
    pixels = np.asarray(picture)
    raster = area_raster(network)
    assert pixels.shape == (raster.height, raster.width)
    # placed on the map's axes: its corners are the map's ranges
    assert (spec["x"], spec["y"]) == (raster.lon_min, raster.lat_max)
    assert spec["sizex"] == raster.lon_max - raster.lon_min and spec["sizey"] == raster.lat_max - raster.lat_min

    minutes = np.asarray(ev.routes.time_to_hub, dtype=float)
    by_hand = [7 if not np.isfinite(m) else sum(m >= b for b in (15, 30, 45, 60, 90, 120)) for m in minutes]
    lon = network.areas["longitude"].tolist()
    lat = network.areas["latitude"].tolist()
    w, h = raster.width, raster.height
    radius = raster.radius
    assert radius == 4  # 7 px shown for a regional network (area_marker_size), ~1.27 picture px a shown px
    painted: dict[tuple[int, int], int] = {}
    for x, y, cls in zip(lon, lat, by_hand):
        col = min(max(int((x - raster.lon_min) / (raster.lon_max - raster.lon_min) * w), 0), w - 1)
        row = min(max(int((raster.lat_max - y) / (raster.lat_max - raster.lat_min) * h), 0), h - 1)
        for dr in range(-radius, radius + 1):
            for dc in range(-radius, radius + 1):
                if dr * dr + dc * dc <= radius * radius + radius:
                    painted[(min(max(row + dr, 0), h - 1), min(max(col + dc, 0), w - 1))] = cls
    expected = np.full((h, w), 255, dtype=np.uint8)
    for (r, c), cls in painted.items():
        expected[r, c] = cls
    assert np.array_equal(pixels, expected)
    assert picture.info["transparency"] == 255
    palette = picture.getpalette()
    assert [f"#{palette[3 * i]:02x}{palette[3 * i + 1]:02x}{palette[3 * i + 2]:02x}"
            for i in range(len(AREA_CLASS_COLOURS))] == list(AREA_CLASS_COLOURS)


def test_one_computation_however_many_ask_at_once() -> None:
    cache, calls, gate = LruCache(4), [], threading.Event()

    def slow() -> int:
        calls.append(1)
        gate.wait(5)
        return 42

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_compute("k", slow))) for _ in range(6)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    gate.set()
    for t in threads:
        t.join()
    assert results == [42] * 6 and len(calls) == 1


def test_a_failed_computation_is_tried_again() -> None:
    cache = LruCache(4)
    with pytest.raises(ZeroDivisionError):
        cache.get_or_compute("k", lambda: 1 // 0)
    assert cache.get_or_compute("k", lambda: 5) == 5


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    from hubplan.web.app import create_app

    return create_app(ScenarioStore("sqlite://")).server.test_client()


def test_evaluate_with_and_without_the_optional_parts_agree(client) -> None:  # type: ignore[no-untyped-def]
    full = client.post("/api/evaluate", json={**HAMPSHIRE, "include": "all"}).get_json()
    assert set(full) == {"option", "summary", "travel_times", "sites", "regions", "equity", "outcomes", "capacity"}
    default = client.post("/api/evaluate", json=HAMPSHIRE).get_json()  # the what-if answer: the summary
    bare = client.post("/api/evaluate", json={**HAMPSHIRE, "include": []}).get_json()
    assert set(default) == set(bare) == {"option", "summary", "travel_times"}
    for key in bare:
        assert bare[key] == full[key] == default[key]
    listed = client.post("/api/evaluate", json={**HAMPSHIRE, "include": ["sites", "regions", "equity", "outcomes",
                                                                         "capacity"]}).get_json()
    assert listed == full
    some = client.post("/api/evaluate", json={**HAMPSHIRE, "include": ["capacity", "regions"], "by": "sicbl"})
    some_json = some.get_json()
    assert set(some_json) == {"option", "summary", "travel_times", "capacity", "regions"}
    assert some_json["capacity"] == full["capacity"]
    assert some_json["regions"] == client.post(
        "/api/evaluate", json={**HAMPSHIRE, "by": "sicbl", "include": "all"}).get_json()["regions"]
    assert some_json["regions"] != full["regions"]  # by sub-ICB location, not by ICB


def test_evaluate_include_is_checked(client) -> None:  # type: ignore[no-untyped-def]
    bad_type = client.post("/api/evaluate", json={**HAMPSHIRE, "include": "summary"})
    assert bad_type.status_code == 400 and bad_type.get_json()["error"].startswith('include: expected "all" or a list')
    unknown = client.post("/api/evaluate", json={**HAMPSHIRE, "include": ["sites", "beds"]})
    assert unknown.status_code == 422 and "include: unknown part 'beds'" in unknown.get_json()["error"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(url: str, body: dict | None = None) -> tuple[int, dict, str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=60) as response:
        return response.status, json.loads(response.read()), response.headers.get("X-Hubplan-Worker", "")


@pytest.mark.skipif(sys.platform == "win32", reason="--workers above 1 needs fork")
def test_two_workers_share_scenarios_and_jobs(tmp_path: Path) -> None:
    port = _free_port()
    exe = Path(sys.executable).with_name("hubplan")
    server = subprocess.Popen([str(exe), "serve", "--port", str(port), "--workers", "2", "--db",
                               str(tmp_path / "team.db")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/api"
    try:
        for _ in range(600):
            try:
                _request(f"{base}/")
                break
            except OSError:
                time.sleep(0.1)
        status, saved, _ = _request(f"{base}/scenarios", {"name": "Southampton only", "parameters": HAMPSHIRE})
        assert status == 201 and saved["version"] == 1
        workers_seen: set[str] = set()
        for _ in range(40):
            _, scenario, worker = _request(f"{base}/scenarios/Southampton%20only")
            assert scenario["parameters"]["hubs"] == ["SO166YD"]
            workers_seen.add(worker)
            if workers_seen == {"1", "2"}:
                break
        assert workers_seen == {"1", "2"}
        # an optimisation started on one worker is answered by both
        _, job, started_on = _request(f"{base}/optimise", {"service": "vascular_arterial",
                                                           "region": "Hampshire and Isle of Wight", "k": 1})
        answered: dict[str, str] = {}
        for _ in range(300):
            _, state, worker = _request(f"{base}/jobs/{job['id']}")
            answered[worker] = state["status"]
            if state["status"] != "running" and len(answered) == 2 and all(s == "done" for s in answered.values()):
                break
            time.sleep(0.05)
        assert set(answered) == {"1", "2"} and set(answered.values()) == {"done"}
        assert state["result"]["solution"]["sites"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_server_computes_with_one_native_thread(tmp_path: Path) -> None:
    """A server's request threads and workers fill the cores: BLAS waking its own threads for
    a national dot product cost 42 ms against 10 ms a request (docs/planner.md), so the app
    the server runs limits every BLAS/OpenMP pool to one thread."""
    script = ("import json, sys\nimport numpy\n"
              "from threadpoolctl import threadpool_info\n"
              "before = [p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas']\n"
              "from hubplan.web.app import make_server_app\n"
              "make_server_app(sys.argv[1])\n"
              "after = [p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas']\n"
              "print(json.dumps({'before': before, 'after': after}))\n")
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path / "s.db")], capture_output=True, text=True,
                         env={**__import__("os").environ, "OPENBLAS_NUM_THREADS": "2"})
    assert run.returncode == 0, run.stderr[-2000:]
    threads = json.loads(run.stdout.strip().splitlines()[-1])
    assert threads["before"] and all(n == 2 for n in threads["before"])  # the test can tell the difference
    assert threads["after"] and all(n == 1 for n in threads["after"])


def test_the_whole_network_is_one_object_per_process() -> None:
    """Options on the whole network share one network object, so what is read once per
    network (region labels, demand, the outcome table per area and site) is read once,
    not re-read from the cache files for every click."""
    from hubplan.web import planner
    from hubplan.web.plans import bundled_network, evaluate_plan

    page = planner.today_plan("thrombectomy", planner.ALL_AREAS)
    one = evaluate_plan(planner.to_plan(page))
    other = evaluate_plan(planner.to_plan(planner.with_role(page, page["hubs"][0], "closed")))
    assert one is not other
    assert bundled_network() is bundled_network() is one.network is other.network
