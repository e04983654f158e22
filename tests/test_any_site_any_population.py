"""Two new sites anywhere, demand from births, equity by deprivation and rurality, through
the installed ``hubplan`` on the bundled network (slow: the bundled data and the estimator).

Two community hospitals in rural Shropshire that the bundled road-time matrix does not have
(Ludlow and Bridgnorth) are the hubs; demand is the bundled expected births. Every figure
checked is recomputed here from the raw bundled demographics file
(``src/hubplan/geography/demographics/lsoa_demographics.csv.gz``) and the per-area minutes the
command writes: patients per area are that file's births, IMD quintiles come from its
deciles (quintile = ceil(decile / 2), Core20 = deciles 1-2) and the rural-urban groups
from the ONS RUC11 codes (A1-C2 urban, D1-D2 town and fringe, E1-F2 village and dispersed).
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HUBPLAN = str(Path(sys.executable).parent / "hubplan")
REGION = "NHS Shropshire, Telford and Wrekin ICB"
SITES = """site_code,site_name,latitude,longitude,mlu
NEW1,Ludlow Community Hospital,52.3703,-2.7166,1
NEW2,Bridgnorth Community Hospital,52.5336,-2.4196,1
"""
RUC = {"A1": "urban", "B1": "urban", "C1": "urban", "C2": "urban",
       "D1": "rural town and fringe", "D2": "rural town and fringe",
       "E1": "rural village and dispersed", "E2": "rural village and dispersed",
       "F1": "rural village and dispersed", "F2": "rural village and dispersed"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shropshire")
    (folder / "my_sites.csv").write_text(SITES, encoding="utf-8")
    args = [HUBPLAN, "evaluate", "--add-sites", "my_sites.csv", "--hubs", "NEW1,NEW2", "--demand", "births",
            "--region", REGION, "--pathway", "direct"]
    as_json = subprocess.run([*args, "--format", "json", "--out", "out"], capture_output=True, text=True,
                             cwd=folder)
    table = subprocess.run(args, capture_output=True, text=True, cwd=folder, env={**os.environ, "COLUMNS": "80"})
    return folder, as_json, table


@pytest.fixture(scope="module")
def raw():
    with gzip.open(ROOT / "src/hubplan/geography/demographics/lsoa_demographics.csv.gz", "rt", encoding="utf-8") as f:
        return {row["lsoa_code"]: row for row in csv.DictReader(f)}


def test_exit_0_and_one_json_document(run):
    _, res, table = run
    assert res.returncode == 0, res.stderr
    assert table.returncode == 0, table.stderr
    json.loads(res.stdout)


def test_patients_are_the_bundled_births(run, raw):
    folder, res, _ = run
    doc = json.loads(res.stdout)
    with open(folder / "out" / "evaluation_areas.csv", encoding="utf-8") as f:
        areas = list(csv.DictReader(f))
    assert len(areas) == 301  # the ICB's LSOAs (hubplan regions --type icb)
    for row in areas:
        assert float(row["patients_per_year"]) == pytest.approx(float(raw[row["area_code"]]["births"]), abs=5e-4)
    births = sum(float(raw[row["area_code"]]["births"]) for row in areas)
    assert doc["summary"]["patients"] == pytest.approx(births, rel=1e-9)
    demand = doc["summary"]["demand"]
    assert demand["expression"] == "births" and demand["source"] == "user override"
    assert "Allen et al. 2019" in demand["column_sources"]["births"]


def test_new_sites_are_estimated_and_say_how_accurately(run):
    _, res, table = run
    doc = json.loads(res.stdout)
    sources = {s["site_code"]: s["minutes_source"] for s in doc["sites"]}
    assert sources["NEW1"] == sources["NEW2"] == "estimated"
    tt = doc["travel_times"]
    assert tt["estimated_sites"] == ["NEW1", "NEW2"]
    acc = tt["accuracy"]
    assert acc["median_abs_error_minutes"] <= 3 and acc["p90_abs_error_minutes"] <= 8  # the targets
    assert tt["cautions"] == []  # two mainland towns
    text = " ".join(table.stdout.split())
    assert "road minutes to NEW1, NEW2 are estimated from their locations, not measured" in text
    assert f"median {acc['median_abs_error_minutes']:.1f} min" in text
    assert f"90% within {acc['p90_abs_error_minutes']:.1f} min" in text


def _weighted_mean(pairs):
    w = sum(p for p, _ in pairs)
    return sum(p * m for p, m in pairs) / w


def test_equity_by_imd_quintile_core20_and_rurality(run, raw):
    folder, res, table = run
    doc = json.loads(res.stdout)
    with open(folder / "out" / "evaluation_areas.csv", encoding="utf-8") as f:
        areas = list(csv.DictReader(f))
    groups = defaultdict(list)
    for row in areas:
        lsoa = raw[row["area_code"]]
        pair = (float(row["patients_per_year"]), float(row["time_to_hub_minutes"]))
        decile = int(lsoa["imd_decile"])
        groups[("imd_quintile", str(math.ceil(decile / 2)))].append(pair)
        groups[("core20", "core20" if decile <= 2 else "rest")].append(pair)
        groups[("rural_urban", RUC[lsoa["ruc11_code"]])].append(pair)
    got = {}
    for g in doc["equity"]["groups"]:
        key = g["group"] if g["grouping"] != "rural_urban" else g["label"]
        got[(g["grouping"], key if g["grouping"] != "core20" else ("core20" if "Core20" in g["label"] else "rest"))] = g
    assert set(got) == set(groups)
    for key, pairs in groups.items():
        assert got[key]["patients"] == pytest.approx(sum(p for p, _ in pairs), abs=0.01), key
        # areas.csv rounds minutes to 3 decimals
        assert got[key]["time_to_hub"]["mean"] == pytest.approx(_weighted_mean(pairs), abs=1e-3), key
    gap = _weighted_mean(groups[("imd_quintile", "1")]) - _weighted_mean(groups[("imd_quintile", "5")])
    assert doc["equity"]["gaps"]["imd_q1_minus_q5_time_to_hub_mean_minutes"] == pytest.approx(gap, abs=1e-3)
    text = " ".join(table.stdout.split())
    assert "Equity: minutes to hub by deprivation and rurality" in text
    assert "IMD 1 (most deprived)" in text and "Core20 (IMD deciles 1-2)" in text
    assert "rural village and" in text  # wrapped to fit 80 columns
    assert f"most minus least deprived fifth (IMD): {gap:+.1f}" in text or f"(IMD): {gap:.1f}" in text


def test_the_readme_figures_are_this_run(run, raw):
    """README, "Sites anywhere": every figure of its Shropshire paragraph, recomputed here."""
    folder, _, _ = run
    with open(folder / "out" / "evaluation_areas.csv", encoding="utf-8") as f:
        areas = list(csv.DictReader(f))
    pairs = [(float(r["patients_per_year"]), float(r["time_to_hub_minutes"])) for r in areas]
    within45 = sum(p for p, m in pairs if m <= 45) / sum(p for p, _ in pairs)
    core20 = [pair for r, pair in zip(areas, pairs) if int(raw[r["area_code"]]["imd_decile"]) <= 2]
    rest = [pair for r, pair in zip(areas, pairs) if int(raw[r["area_code"]]["imd_decile"]) > 2]
    urban = [pair for r, pair in zip(areas, pairs) if RUC[raw[r["area_code"]]["ruc11_code"]] == "urban"]
    village = [pair for r, pair in zip(areas, pairs)
               if RUC[raw[r["area_code"]]["ruc11_code"]] == "rural village and dispersed"]
    expected = (f"the ICB's {len(areas)} neighbourhoods expect {sum(p for p, _ in pairs):,.0f} births a year, at a "
                f"mean of {_weighted_mean(pairs):.1f} minutes from the nearer of the two ({100 * within45:.1f}% within "
                f"45 minutes), and the equity table shows the Core20 group "
                f"{_weighted_mean(rest) - _weighted_mean(core20):.1f} minutes nearer than the rest while rural "
                f"villages are {_weighted_mean(village) - _weighted_mean(urban):.1f} minutes further than urban areas")
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert expected in readme


def test_an_island_site_gets_a_caution(tmp_path):
    """Lundy lies inside a Torridge LSOA's boundary but 18 km off the coast: its minutes are
    estimated (it is in the network's area) with a caution naming its distance from the nearest
    area centroid, worked out here by brute force over every bundled centroid."""
    import numpy as np

    from hubplan.geography.bundled import load_bundled

    (tmp_path / "lundy.csv").write_text("site_code,site_name,latitude,longitude,thrombectomy\n"
                                        "LUNDY,Lundy,51.18,-4.67,1\n", encoding="utf-8")
    args = [HUBPLAN, "evaluate", "--add-sites", "lundy.csv", "--hubs", "LUNDY", "--pathway", "direct",
            "--region", "NHS Devon ICB"]
    res = subprocess.run([*args, "--format", "json"], capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    areas = load_bundled().restrict(region="NHS Devon ICB").areas
    lat, lon = np.radians(areas["latitude"].to_numpy(float)), np.radians(areas["longitude"].to_numpy(float))
    p, q = math.radians(51.18), math.radians(-4.67)
    h = np.sin((lat - p) / 2) ** 2 + math.cos(p) * np.cos(lat) * np.sin((lon - q) / 2) ** 2
    km = 2 * 6371.0088 * np.arcsin(np.sqrt(h))
    nearest = int(np.argmin(km))
    (caution,) = json.loads(res.stdout)["travel_times"]["cautions"]
    assert caution.startswith(f"LUNDY is {km[nearest]:,.1f} km from the nearest area centroid "
                              f"({areas.index[nearest]}), further than any area centroid is from its nearest neighbour")
    table = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "COLUMNS": "300"})
    assert table.returncode == 0 and f"caution: {caution}" in table.stdout


def test_the_appraisal_notes_carry_the_island_caution():
    import pandas as pd

    from hubplan import Option, Service, evaluate
    from hubplan.geography.bundled import load_bundled
    from hubplan.planning.scenario import estimated_minutes_notes

    network = load_bundled().add_sites(pd.DataFrame(
        {"site_code": ["LUNDY"], "site_name": ["Lundy"], "latitude": [51.18], "longitude": [-4.67],
         "thrombectomy": [True]})).restrict(region="NHS Devon ICB")
    ev = evaluate(network, Service.preset("thrombectomy"), Option(name="island", hubs=("LUNDY",)))
    notes = estimated_minutes_notes([ev])
    assert notes[0].startswith("ESTIMATED road minutes in option 'island': LUNDY has no measured road times")
    assert len(notes) == 2 and notes[1].startswith("CAUTION, option 'island': LUNDY is ")
    assert "it may be on an island or away from roads" in notes[1]
