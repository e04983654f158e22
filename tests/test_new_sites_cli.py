"""``--add-sites`` / ``--add-times`` / ``--drop-sites`` and scenario ``add_sites``, run as users run them.

The network is a grid world written as CSV files: 400 areas and 12 sites whose minutes
follow roads north-south and east-west at 60 km/h (plus 4 minutes of access), so that a
new site's exact minutes are known.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HUBPLAN = str(Path(sys.executable).parent / "hubplan")
KM_LAT = 111.2
LAT0, LON0 = 52.0, -1.0
KM_LON = KM_LAT * np.cos(np.radians(LAT0))


def grid_minutes(lat_a, lon_a, lat_b, lon_b):
    return 4.0 + np.abs(lat_a - lat_b) * KM_LAT + np.abs(lon_a - lon_b) * KM_LON


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    rng = np.random.default_rng(4)
    root = tmp_path_factory.mktemp("grid")
    net = root / "net"
    net.mkdir()
    a_lat, a_lon = LAT0 + rng.uniform(0, 80, 400) / KM_LAT, LON0 + rng.uniform(0, 80, 400) / KM_LON
    s_lat, s_lon = LAT0 + rng.uniform(0, 80, 12) / KM_LAT, LON0 + rng.uniform(0, 80, 12) / KM_LON
    demand = rng.integers(1, 20, 400)
    areas = ["area_code,area_name,latitude,longitude,icb,stroke_admissions"]
    areas += [f"A{i},Area {i},{a_lat[i]:.6f},{a_lon[i]:.6f},ICB,{demand[i]}" for i in range(400)]
    (net / "areas.csv").write_text("\n".join(areas) + "\n")
    sites = ["site_code,site_name,latitude,longitude,hub"]
    sites += [f"S{j},Site {j},{s_lat[j]:.6f},{s_lon[j]:.6f},{int(j < 3)}" for j in range(12)]
    (net / "sites.csv").write_text("\n".join(sites) + "\n")
    times = ["area_code,site_code,minutes"]
    for i in range(400):
        for j in range(12):
            times.append(f"A{i},S{j},{grid_minutes(a_lat[i], a_lon[i], s_lat[j], s_lon[j]):.3f}")
    (net / "travel_times.csv").write_text("\n".join(times) + "\n")
    site_times = ["from_site,to_site,minutes"]
    for j in range(12):
        for k in range(12):
            site_times.append(f"S{j},S{k},{0.0 if j == k else grid_minutes(s_lat[j], s_lon[j], s_lat[k], s_lon[k]):.3f}")
    (net / "site_times.csv").write_text("\n".join(site_times) + "\n")
    new_lat, new_lon = LAT0 + 40 / KM_LAT, LON0 + 40 / KM_LON
    (root / "new.csv").write_text(f"site_code,site_name,latitude,longitude,hub\nNEW1,New hospital,{new_lat},{new_lon},1\n")
    exact = grid_minutes(a_lat, a_lon, new_lat, new_lon)
    (root / "new_times.csv").write_text(
        "area_code,site_code,minutes\n" + "".join(f"A{i},NEW1,{exact[i]:.3f}\n" for i in range(400)))
    cache = root / "cache"
    return {"root": root, "net": net, "demand": demand, "exact": np.round(exact, 3), "cache": cache,
            "a_lat": a_lat, "a_lon": a_lon}


def run(world, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUBPLAN_CACHE_DIR": str(world["cache"]), "COLUMNS": "100"}
    return subprocess.run([HUBPLAN, *args], capture_output=True, text=True, env=env, cwd=world["root"])


def test_evaluate_with_an_estimated_site_says_so(world):
    res = run(world, "evaluate", "--data", "net", "--add-sites", "new.csv", "--hubs", "NEW1,S0",
              "--pathway", "direct", "--format", "json")
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    tt = result["travel_times"]
    assert tt["estimated_sites"] == ["NEW1"] and tt["sources"] == {"road_matrix": 0, "estimated": 1, "user": 1}
    assert tt["accuracy"]["sites"] == 12 and tt["accuracy"]["median_abs_error_minutes"] > 0
    assert "cross-validation" in tt["note"]
    sources = {s["site_code"]: s["minutes_source"] for s in result["sites"]}
    assert sources == {"NEW1": "estimated", "S0": "user"}
    table = run(world, "evaluate", "--data", "net", "--add-sites", "new.csv", "--hubs", "NEW1,S0",
                "--pathway", "direct")
    assert table.returncode == 0, table.stderr
    assert "estimated: road minutes to NEW1 are estimated from their locations" in " ".join(table.stdout.split())


@pytest.mark.parametrize("command", [
    ["sweep", "--k", "1..2", "--keep", "NEW1"],
    ["capacity", "--hubs", "NEW1,S0"],
    ["workforce", "--hubs", "NEW1,S0"],
    ["compare", "--a-hubs", "S0,S1", "--b-hubs", "NEW1,S0", "--a-pathway", "direct", "--b-pathway", "direct"],
])
def test_every_command_on_an_estimated_site_says_so(world, command):
    # the site NEW1 has no minutes but those estimated from its location; S0-S11 have the
    # user's: each result names NEW1 as estimated (JSON and table), and only where it is used
    base = [*command, "--data", "net", "--add-sites", "new.csv"]
    if command[0] != "compare":
        base += ["--pathway", "direct"]
    res = run(world, *base, "--format", "json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    if command[0] == "compare":
        a, b = doc["travel_times"]["A"], doc["travel_times"]["B"]
        assert a["estimated_sites"] == [] and a["accuracy"] is None and a["sources"]["user"] == 2
        tt = b
    else:
        tt = doc["travel_times"]
    assert tt["estimated_sites"] == ["NEW1"] and tt["sources"]["estimated"] == 1
    assert tt["accuracy"]["sites"] == 12 and "cross-validation" in tt["note"]
    if command[0] == "sweep":
        chosen = {c for row in doc["sweep"] for c in row["sites"].split(";")}
        assert "NEW1" in chosen and tt["sources"]["user"] == len(chosen) - 1
    table = run(world, *base)
    assert table.returncode == 0, table.stderr
    assert "estimated: road minutes to NEW1 are estimated from their locations" in " ".join(table.stdout.split())


def test_a_sweep_that_chooses_no_estimated_site_says_none(world):
    base = ["sweep", "--k", "1..2", "--candidates", "S0,S1,S2", "--data", "net", "--add-sites", "new.csv",
            "--pathway", "direct"]
    res = run(world, *base, "--format", "json")
    assert res.returncode == 0, res.stderr
    tt = json.loads(res.stdout)["travel_times"]
    assert tt["estimated_sites"] == [] and tt["accuracy"] is None and tt["note"] is None
    assert "estimated: road minutes" not in run(world, *base).stdout


def test_measured_times_for_the_new_site_are_used_exactly(world):
    res = run(world, "evaluate", "--data", "net", "--add-sites", "new.csv", "--add-times", "new_times.csv",
              "--hubs", "NEW1", "--pathway", "direct", "--format", "json")
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    assert result["travel_times"]["estimated_sites"] == [] and result["travel_times"]["accuracy"] is None
    demand = world["demand"].astype(float)
    expected_mean = float(np.dot(world["exact"].astype(np.float32), demand) / demand.sum())
    assert result["summary"]["time_to_hub"]["mean"] == pytest.approx(expected_mean, rel=1e-6)


def test_drop_sites_closes_a_site(world):
    res = run(world, "evaluate", "--data", "net", "--drop-sites", "S1", "--hubs", "S1", "--pathway", "direct")
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "unknown hub code 'S1'" in res.stderr
    ok = run(world, "optimise", "--data", "net", "--drop-sites", "S0,S1", "--k", "1", "--pathway", "direct",
             "--format", "json")
    assert ok.returncode == 0, ok.stderr
    assert not {"S0", "S1"} & set(json.loads(ok.stdout)["solution"]["sites"])


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("site_code,latitude,longitude\nNEW1,91,-1\n", (), "bad.csv row 2, column 'latitude': expected degrees between -90 and 90, got '91'"),
        ("site_code,latitude,longitude\nS3,52.2,-0.8\n", (), "bad.csv row 2, column 'site_code': 'S3' is already a site of this network"),
        ("site_code,easting\nNEW1,400000\n", (), "bad.csv: missing column 'northing'"),
        ("site_code,latitude,longitude,hub\nNEW1,52.2,-0.8,\n", (),
         "bad.csv row 2, column 'hub': expected a capability flag (1/0, true/false, yes/no), got an empty cell "
         "(write 0 for a site without it)"),
        ("site_code,latitude,longitude\nNEW1,55.95,-3.19\n", (), "bad.csv row 2: location 55.95000, -3.19000 is outside the network's area"),
        (None, ("--add-times", "new_times.csv"), "--add-times gives minutes for new sites: it needs --add-sites"),
    ],
)
def test_bad_new_sites_give_one_line(world, content, args, message):
    extra = list(args)
    if content is not None:
        (world["root"] / "bad.csv").write_text(content)
        extra = ["--add-sites", "bad.csv", *extra]
    res = run(world, "evaluate", "--data", "net", "--hubs", "S0", "--pathway", "direct", *extra)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr and res.stdout == ""
    assert message in lines[0]


def test_scenario_add_sites_labels_the_estimate_in_the_appraisal(world):
    (world["root"] / "s.toml").write_text(
        'schema_version = 1\ntitle = "new site"\n'
        '[network]\ndata = "net"\nadd_sites = "new.csv"\n'
        '[service]\npreset = "thrombectomy"\n'
        '[[options]]\nname = "today"\nhubs = ["S0", "S1"]\npathway = "direct"\n'
        '[[options]]\nname = "new"\nhubs = ["NEW1", "S1"]\npathway = "direct"\n'
        '[appraisal]\nbaseline = "today"\ndraws = 50\n'
    )
    res = run(world, "appraise", "s.toml", "--format", "json")
    assert res.returncode == 0, res.stderr
    notes = json.loads(res.stdout)["notes"]
    assert any(n.startswith("ESTIMATED road minutes in option 'new': NEW1") for n in notes)
    assert not any("option 'today'" in n for n in notes)
    # the report heads the warning with what it is about (stroke admissions are not a proxy)
    out = run(world, "appraise", "s.toml", "--out", "report_out")
    assert out.returncode == 0, out.stderr
    html = (world["root"] / "report_out" / "report.html").read_text(encoding="utf-8")
    assert ('<div class="warning"><strong>Road minutes are estimated.</strong> ESTIMATED road minutes in option '
            "&#x27;new&#x27;: NEW1") in html
    assert "Demand is a proxy." not in html
    (world["root"] / "s2.toml").write_text(
        (world["root"] / "s.toml").read_text().replace('add_sites = "new.csv"', 'add_times = "new_times.csv"'))
    bad = run(world, "appraise", "s2.toml")
    assert bad.returncode == 2 and "s2.toml, [network]: 'add_times' gives minutes for new sites: it needs 'add_sites'" in bad.stderr


def test_two_processes_learn_the_road_times_once(world, tmp_path):
    """Two hubplan commands that need the same new model at the same time (an empty cache):
    one fits it, the other waits for it and reads it, and both give the same minutes."""
    env = {**os.environ, "HUBPLAN_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "100", "HUBPLAN_PROGRESS": "1"}
    args = [HUBPLAN, "evaluate", "--data", "net", "--add-sites", "new.csv", "--hubs", "NEW1,S0",
            "--pathway", "direct", "--format", "json"]
    both = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                             cwd=world["root"]) for _ in range(2)]
    outs = [p.communicate() for p in both]
    assert [p.returncode for p in both] == [0, 0], outs[0][1] + outs[1][1]
    learned = [err.count("learning road times") for _, err in outs]
    assert sorted(learned) == [0, 1], learned
    docs = [json.loads(out) for out, _ in outs]
    assert docs[0]["summary"] == docs[1]["summary"] and docs[0]["sites"] == docs[1]["sites"]
    assert docs[0]["travel_times"]["estimated_sites"] == ["NEW1"]
    assert sorted(p.name for p in (tmp_path / "cache").iterdir() if p.suffix == ".pkl")[0].startswith("road-time-model")


def test_a_partial_times_file_is_named_for_a_missing_transfer(world, tmp_path):
    """A new site with the user's minutes is timed to another site by its minutes from the
    area where that site is; when the user's file lacks that row, the error names the file,
    the area and the two sites (not the network's site-to-site minutes)."""
    sites = (world["net"] / "sites.csv").read_text().splitlines()[1:]
    s5 = next(line.split(",") for line in sites if line.startswith("S5,"))
    lat, lon = np.radians(float(s5[2])), np.radians(float(s5[3]))
    a_lat, a_lon = np.radians(world["a_lat"]), np.radians(world["a_lon"])
    haversine = np.sin((a_lat - lat) / 2) ** 2 + np.cos(lat) * np.cos(a_lat) * np.sin((a_lon - lon) / 2) ** 2
    where = int(np.argmin(haversine))
    lines = [f"A{i},NEW1,{world['exact'][i]:.3f}\n" for i in range(400) if i != where]
    partial = tmp_path / "partial_times.csv"
    partial.write_text("area_code,site_code,minutes\n" + "".join(lines))
    res = run(world, "evaluate", "--data", "net", "--add-sites", "new.csv", "--add-times", str(partial),
              "--hubs", "NEW1", "--spokes", "S5", "--pathway", "treat_and_transfer")
    assert res.returncode == 2
    message = res.stderr.strip().splitlines()[-1]
    assert message.startswith(
        f"error: partial_times.csv: no minutes from area A{where} (where site S5 is) to new site 'NEW1', "
        "which hubplan takes as the minutes between the two sites, so patients first seen at spoke S5")
    assert message.endswith("add that row (1 pair of sites missing)")
    full = run(world, "evaluate", "--data", "net", "--add-sites", "new.csv", "--add-times", "new_times.csv",
               "--hubs", "NEW1", "--spokes", "S5", "--pathway", "treat_and_transfer", "--format", "json")
    assert full.returncode == 0, full.stderr


def test_a_partial_times_file_is_named_for_an_area_that_cannot_reach_the_new_hub(world, tmp_path):
    lines = [f"A{i},NEW1,{world['exact'][i]:.3f}\n" for i in range(400) if i != 7]
    partial = tmp_path / "partial_times.csv"
    partial.write_text("area_code,site_code,minutes\n" + "".join(lines))
    res = run(world, "evaluate", "--data", "net", "--add-sites", "new.csv", "--add-times", str(partial),
              "--hubs", "NEW1", "--pathway", "direct")
    assert res.returncode == 2
    assert res.stderr.strip().splitlines()[-1] == (
        "error: 1 area with patients cannot reach any hub of option '1 hub, direct' by road, e.g. A7 "
        "(partial_times.csv has no row from A7 to NEW1)")
