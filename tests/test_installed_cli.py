"""The installed ``hubplan`` executable, run as users run it (a subprocess, output piped).

Every command with ``--format json`` prints exactly one JSON document on stdout (parsed
whole, nothing stripped) whose figures match values worked out here independently: by
hand on a four-area network, by brute force over every set of hubs, from the bundled
network's minutes with numpy, from textbook formulas (Erlang loss, normal funnel limits).
Bad input (an unknown code, a missing file, a malformed CSV) gives exit status 2, exactly
one line on stderr naming the problem, no traceback and nothing on stdout.
"""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

HUBPLAN = Path(sys.executable).parent / "hubplan"

# ----------------------------------------------------------------------------- tiny network
# Four areas, four sites. S1 and S3 are today's thrombectomy centres; every site gives IVT.
AREAS = ["A1", "A2", "A3", "A4"]
SITES = ["S1", "S2", "S3", "S4"]
DEMAND = np.array([10.0, 20.0, 30.0, 40.0])  # stroke admissions a year
MINUTES = np.array([  # area x site road minutes
    [10, 45, 50, 70],
    [30, 15, 45, 60],
    [55, 35, 20, 50],
    [80, 60, 25, 12],
], dtype=float)
SITE_MINUTES = {("S1", "S2"): 20, ("S1", "S3"): 40, ("S1", "S4"): 60,
                ("S2", "S3"): 25, ("S2", "S4"): 45, ("S3", "S4"): 15}


def write_network(folder: Path, minutes: list[list[str]] | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "areas.csv").write_text(
        "area_code,area_name,icb,stroke_admissions\n"
        + "".join(f"{a},Area {a},{'North' if i < 2 else 'South'},{DEMAND[i]:g}\n" for i, a in enumerate(AREAS))
    )
    (folder / "sites.csv").write_text(
        "site_code,site_name,thrombectomy,ivt\n"
        + "".join(f"{s},Site {s},{int(s in ('S1', 'S3'))},1\n" for s in SITES)
    )
    cells = minutes or [[f"{m:g}" for m in row] for row in MINUTES]
    (folder / "travel_times.csv").write_text(
        "area_code," + ",".join(SITES) + "\n" + "".join(f"{a},{','.join(row)}\n" for a, row in zip(AREAS, cells))
    )
    (folder / "site_times.csv").write_text(
        "from_site,to_site,minutes\n"
        + "".join(f"{a},{b},{m}\n{b},{a},{m}\n" for (a, b), m in SITE_MINUTES.items())
    )
    return folder


def mean_minutes(hubs: tuple[str, ...], minutes: np.ndarray = MINUTES, demand: np.ndarray = DEMAND) -> float:
    """Demand-weighted mean minutes to the nearest of ``hubs`` (direct pathway)."""
    nearest = minutes[:, [SITES.index(h) for h in hubs]].min(axis=1)
    return float((nearest * demand).sum() / demand.sum())


def brute_force_best(
    k: int, sites: list[str], cost: Callable[[tuple[str, ...]], float]
) -> tuple[tuple[str, ...], float]:
    """The k-subset of ``sites`` with the least cost, checked to be unique."""
    ranked = sorted((cost(c), c) for c in itertools.combinations(sites, k))
    if len(ranked) > 1:
        assert ranked[1][0] - ranked[0][0] > 1e-6, f"k={k}: the optimum is tied, the test would be ambiguous"
    return ranked[0][1], ranked[0][0]


def erlang_b(beds: int, load: float) -> float:
    """Erlang loss probability by the standard recurrence B(0) = 1, B(n) = aB/(n + aB)."""
    b = 1.0
    for n in range(1, beds + 1):
        b = load * b / (n + load * b)
    return b


# ----------------------------------------------------------------------------- files
@dataclass(frozen=True)
class Files:
    net: Path  # the tiny network
    bad_net: Path  # the same with minutes 'twenty' in travel_times.csv row 4 (A3), column S3
    nowhere: Path  # a folder that does not exist
    benchmark: Path
    bad_benchmark: Path  # numerator 'thirty' in row 3
    scenario: Path
    scenario_unknown_code: Path
    scenario_bad_csv: Path


SCENARIO = """\
schema_version = 1
title = "Tiny network: two pairs of hubs"

[network]
data = "{data}"

[service]
preset = "thrombectomy"

[[options]]
name = "north pair"
hubs = ["S1", "{north_second}"]
pathway = "direct"

[[options]]
name = "south pair"
hubs = ["S2", "S4"]
pathway = "direct"

[appraisal]
baseline = "north pair"
seed = 1
draws = 200

[appraisal.criteria]
time_to_hub_mean_minutes = 3
time_to_hub_within_30 = 1
"""

BENCHMARK = "provider,numerator,denominator\nP1,10,100\nP2,30,200\nP3,5,100\nP4,60,300\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    root = tmp_path_factory.mktemp("installed")
    bad_cells = [[f"{m:g}" for m in row] for row in MINUTES]
    bad_cells[2][2] = "twenty"
    scenarios = {
        "scenario.toml": SCENARIO.format(data="net", north_second="S3"),
        "scenario_unknown_code.toml": SCENARIO.format(data="net", north_second="NOPE"),
        "scenario_bad_csv.toml": SCENARIO.format(data="bad_net", north_second="S3"),
    }
    for name, text in scenarios.items():
        (root / name).write_text(text)
    (root / "providers.csv").write_text(BENCHMARK)
    (root / "bad_providers.csv").write_text("provider,numerator,denominator\nP1,10,100\nP2,thirty,200\nP3,5,100\n")
    return Files(
        net=write_network(root / "net"),
        bad_net=write_network(root / "bad_net", bad_cells),
        nowhere=root / "nowhere",
        benchmark=root / "providers.csv",
        bad_benchmark=root / "bad_providers.csv",
        scenario=root / "scenario.toml",
        scenario_unknown_code=root / "scenario_unknown_code.toml",
        scenario_bad_csv=root / "scenario_bad_csv.toml",
    )


def hubplan(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HUBPLAN), *map(str, args)], capture_output=True, text=True)


def run_json(*args: str | Path) -> Any:
    """Run a command that must succeed and return its whole stdout parsed as JSON."""
    res = hubplan(*args, "--format", "json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_the_executable_is_installed() -> None:
    assert HUBPLAN.is_file(), f"{HUBPLAN} is missing: install the project into this environment"


# ----------------------------------------------------------------------------- results
def test_evaluate_json_treat_and_transfer_by_hand(files: Files) -> None:
    data = run_json("evaluate", "--data", files.net, "--hubs", "S1,S3", "--spokes", "S2,S4",
                    "--pathway", "treat_and_transfer", "--bypass", "14", "--transfer-delay", "60")
    # A1: nearest is hub S1 (10). A2: hub S1 30 is 15 > 14 min further than spoke S2 (15):
    # first S2, then S2's nearest hub S1: 15 + 60 + 20 = 95. A3: hub S3 (20) is nearest.
    # A4: hub S3 25 is 13 <= 14 min further than spoke S4 (12): bypass to S3, 25.
    first = np.array([10, 15, 20, 25.0])
    to_hub = np.array([10, 95, 20, 25.0])
    s = data["summary"]
    assert s["patients"] == 100
    assert s["time_to_first"]["mean"] == pytest.approx((first * DEMAND).sum() / 100)  # 20.0
    assert s["time_to_hub"]["mean"] == pytest.approx((to_hub * DEMAND).sum() / 100)  # 36.0
    assert s["time_to_hub"]["within"]["60"] == pytest.approx(80 / 100)  # all but A2
    assert s["time_to_hub"]["max"] == 95
    assert s["transfers_per_year"] == pytest.approx(0.10 * 20)  # 10% of A2's 20 need the hub
    sites = {x["site_code"]: x for x in data["sites"]}
    assert sites["S2"]["patients_first_seen"] == 20 and sites["S4"]["patients_first_seen"] == 0
    assert sites["S1"]["hub_patients_transferred_in"] == pytest.approx(2.0)
    assert sites["S3"]["catchment_patients"] == 70  # A3 and A4


def test_optimise_hubs_table_by_hand(files: Files) -> None:
    """The hubs table of treat-and-transfer hubs S3 and S4 (spokes S1, S2), worked by hand:
    A1 first at spoke S1, whose nearest hub is S3 (40 < 60 min); A2 first at spoke S2,
    nearest hub S3 (25 < 45); A3 at hub S3; A4 at hub S4. 10% of patients need the hub."""
    res = subprocess.run([str(HUBPLAN), "optimise", "--data", str(files.net), "--k", "2", "--candidates", "S3,S4",
                          "--pathway", "treat_and_transfer"], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "COLUMNS": "160", "HOME": str(Path.home())})
    assert res.returncode == 0, res.stderr
    rows = {}
    for line in res.stdout.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) == 6 and cells[0] in ("S3", "S4"):
            rows[cells[0]] = cells[2:]
    # catchment, first seen, hub patients, transferred in: one decimal each
    assert rows == {"S3": ["60.0", "30.0", "6.0", "3.0"],  # A1 + A2 + A3; A3; 10% of 60; 10% of A1 + A2
                    "S4": ["40.0", "40.0", "4.0", "0.0"]}


def test_compare_json_by_hand(files: Files) -> None:
    data = run_json("compare", "--data", files.net, "--a-hubs", "S1,S3", "--a-pathway", "direct",
                    "--b-hubs", "S2,S4")
    a = MINUTES[:, [0, 2]].min(axis=1)  # 10, 30, 20, 25
    b = MINUTES[:, [1, 3]].min(axis=1)  # 45, 15, 35, 12
    change = b - a  # +35, -15, +15, -13
    longer = change > 0
    s = data["summary"]
    assert s["time_to_hub_a"]["mean"] == pytest.approx(mean_minutes(("S1", "S3")))  # 23.0
    assert s["time_to_hub_b"]["mean"] == pytest.approx(mean_minutes(("S2", "S4")))  # 22.8
    assert s["patients_longer"] == DEMAND[longer].sum() == 40
    assert s["patients_shorter"] == 60 and s["patients_unchanged"] == 0
    assert s["mean_increase_if_longer"] == pytest.approx((change * DEMAND)[longer].sum() / 40)  # 20.0
    assert s["max_increase_minutes"] == 35 and s["max_decrease_minutes"] == 15
    assert s["patients_longer_by_more_than_15"] == 10  # A1 only; A3 is exactly 15 longer
    assert data["options"]["B"]["hubs"] == ["S2", "S4"]


def test_optimise_json_is_the_brute_force_optimum(files: Files) -> None:
    data = run_json("optimise", "--data", files.net, "--k", "2", "--pathway", "direct")
    best, cost = brute_force_best(2, SITES, mean_minutes)  # S2+S4, 22.8 (S1+S3 is 23.0)
    sol = data["solution"]
    assert sol["status"] == "optimal" and sol["gap"] == pytest.approx(0, abs=1e-9)
    assert sorted(sol["sites"]) == list(best)
    assert sol["objective"] == pytest.approx(cost)
    assert data["evaluation"]["summary"]["time_to_hub"]["mean"] == pytest.approx(cost)


def test_sweep_json_exact_is_the_brute_force_optimum_for_every_k(files: Files) -> None:
    data = run_json("sweep", "--data", files.net, "--k", "1..4", "--pathway", "direct", "--method", "exact")
    rows = {row["k"]: row for row in data["sweep"]}
    assert sorted(rows) == [1, 2, 3, 4]
    for k, row in rows.items():
        best, cost = brute_force_best(k, SITES, mean_minutes)
        assert sorted(row["sites"].split(";")) == list(best), k
        assert row["objective"] == pytest.approx(cost), k
        assert row["mean_minutes"] == pytest.approx(cost), k
    assert rows[1]["within_30"] == pytest.approx(DEMAND[MINUTES[:, 2] <= 30].sum() / 100)  # S3 alone: 0.7


def test_capacity_json_beds_by_hand(files: Files) -> None:
    data = run_json("capacity", "--data", files.net, "--hubs", "S1,S3", "--pathway", "direct",
                    "--los", "36.5", "--occupancy", "0.85")
    sites = {x["site_code"]: x for x in data["sites"]}
    # catchments: S1 = A1 + A2 = 30 admissions, S3 = A3 + A4 = 70; 36.5-day stays
    for code, admissions in (("S1", 30), ("S3", 70)):
        load = admissions * 36.5 / 365  # 3 and 7 beds occupied on average
        site = sites[code]
        assert site["patients_per_year"] == admissions
        assert site["mean_occupied_beds"] == pytest.approx(load)
        assert site["beds_at_target_occupancy"] == math.ceil(load / 0.85)  # 4 and 9
        beds = next(c for c in range(1, 100) if erlang_b(c, load) <= 0.01)  # 8 and 14
        assert site["beds_for_refusal"] == beds
        assert site["refusal_probability"] == pytest.approx(erlang_b(beds, load))
    assert data["network"]["beds_at_target_occupancy"] == 4 + 9


def test_workforce_json_by_hand(files: Files) -> None:
    data = run_json("workforce", "--data", files.net, "--hubs", "S1,S3", "--pathway", "direct",
                    "--rota-minimum", "6", "--workforce", "10", "--workforce-today", "4",
                    "--trainees-per-year", "3", "--attrition", "0.1")
    assert [x["consultants_needed"] for x in data["sites"]] == [6, 6]
    # procedures: 10% of the catchment (S1: 30, S3: 70) shared by 6 operators
    assert [x["procedures_per_operator"] for x in data["sites"]] == pytest.approx([3 / 6, 7 / 6])
    network = data["network"]
    assert network["consultants_needed"] == 12 and network["shortfall"] == 12 - 10
    # workforce[t] = 0.9 workforce[t-1] + 3 from 4: 6.6, 8.94, 11.046, 12.94 >= 12 in year 4
    workforce = [4.0]
    while workforce[-1] < 12:
        workforce.append(workforce[-1] * 0.9 + 3)
    assert network["year_need_met"] == len(workforce) - 1 == 4
    assert [y["workforce"] for y in data["pipeline"][:5]] == pytest.approx(workforce)


def test_benchmark_json_normal_limits_by_hand(files: Files) -> None:
    from scipy.stats import norm

    data = run_json("benchmark", files.benchmark, "--limits", "normal", "--overdispersion", "none",
                    "--winsorise", "0")
    numerator = np.array([10, 30, 5, 60.0])
    denominator = np.array([100, 200, 100, 300.0])
    p0 = numerator.sum() / denominator.sum()  # 105 / 700 = 0.15
    assert data["target"] == pytest.approx(p0)
    se = np.sqrt(p0 * (1 - p0) / denominator)
    z = (numerator / denominator - p0) / se
    assert data["phi"] == pytest.approx(float(np.mean(z**2)))  # 3.92
    providers = {p["provider"]: p for p in data["providers"]}
    for i, name in enumerate(["P1", "P2", "P3", "P4"]):
        p = providers[name]
        assert p["value"] == pytest.approx(numerator[i] / denominator[i])
        assert p["z"] == pytest.approx(z[i])
        assert p["lower_95"] == pytest.approx(p0 - norm.ppf(0.975) * se[i])
        assert p["upper_998"] == pytest.approx(p0 + norm.ppf(0.999) * se[i])
    # P3 (5%, z = -2.8) is beyond the 95% but not the 99.8% limits; P4 (20%, z = 2.43) too
    assert [providers[n]["flag"] for n in ("P1", "P2", "P3", "P4")] == [
        "in_control", "in_control", "alert_low", "alert_high"]
    assert data["counts"]["unadjusted"]["outside_95"] == 2


def test_appraise_json_scores_by_hand(files: Files) -> None:
    data = run_json("appraise", files.scenario)
    options = {o["option"]["name"]: o for o in data["options"]}
    north, south = mean_minutes(("S1", "S3")), mean_minutes(("S2", "S4"))  # 23.0, 22.8
    assert options["north pair"]["criteria"]["time_to_hub_mean_minutes"] == pytest.approx(north)
    assert options["south pair"]["criteria"]["time_to_hub_mean_minutes"] == pytest.approx(south)
    within_north = DEMAND[MINUTES[:, [0, 2]].min(axis=1) <= 30].sum() / 100  # 1.0
    within_south = DEMAND[MINUTES[:, [1, 3]].min(axis=1) <= 30].sum() / 100  # 0.6
    assert options["north pair"]["criteria"]["time_to_hub_within_30"] == pytest.approx(within_north)
    assert options["south pair"]["criteria"]["time_to_hub_within_30"] == pytest.approx(within_south)
    # min-max scores with weights 3/4 (time, less is better) and 1/4 (share within 30):
    # south is best on time, north on the share, so scores are 3/4 and 1/4
    assert south < north and within_north > within_south
    assert options["south pair"]["score"] == pytest.approx(0.75)
    assert options["north pair"]["score"] == pytest.approx(0.25)
    assert data["ranking"] == ["south pair", "north pair"]
    # S(t) = t for south and 1 - t for north: south stays first while the time weight is >= 1/2
    time = next(r for r in data["sensitivity"] if r["criterion"] == "time_to_hub_mean_minutes")
    assert time["weight_low"] == pytest.approx(0.5) and time["option_below"] == "north pair"
    assert options["south pair"]["compared_with_baseline"]["patients_longer"] == 40


# ----------------------------------------------------------------------------- bundled data
@pytest.fixture(scope="module")
def wessex():
    from hubplan.geography import load_bundled

    return load_bundled().restrict(region="Wessex")


def test_evaluate_json_bundled_wessex(wessex) -> None:
    data = run_json("evaluate", "--service", "vascular_arterial", "--region", "Wessex", "--hubs", "SO166YD",
                    "--pathway", "direct")
    minutes = wessex.area_site_minutes[:, wessex.site_codes.index("SO166YD")].astype(float)
    weight = wessex.areas["population_60_plus"].to_numpy(dtype=float)  # the proxy scales it: same means
    assert np.isfinite(minutes).all()
    assert data["summary"]["patients"] == pytest.approx(0.0006235 * weight.sum(), rel=1e-12)
    s = data["summary"]["time_to_hub"]
    assert s["mean"] == pytest.approx(float((minutes * weight).sum() / weight.sum()), rel=1e-9)
    assert s["within"]["60"] == pytest.approx(float(weight[minutes <= 60 + 1e-4].sum() / weight.sum()), rel=1e-9)
    assert s["max"] == pytest.approx(float(minutes[weight > 0].max()))
    assert data["option"]["hubs"] == ["SO166YD"]


def test_optimise_json_bundled_wessex_is_the_brute_force_optimum(wessex) -> None:
    data = run_json("optimise", "--region", "Wessex", "--k", "2", "--pathway", "direct")
    weight = wessex.areas["stroke_admissions"].to_numpy(dtype=float)
    minutes = wessex.area_site_minutes.astype(float)
    codes = wessex.site_codes

    def cost(pair: tuple[str, ...]) -> float:
        nearest = minutes[:, [codes.index(c) for c in pair]].min(axis=1)
        return float((nearest * weight).sum() / weight.sum())

    best, value = brute_force_best(2, codes, cost)
    assert data["solution"]["status"] == "optimal"
    assert sorted(data["solution"]["sites"]) == sorted(best)
    assert data["solution"]["objective"] == pytest.approx(value, rel=1e-9)


# ----------------------------------------------------------------------------- bad input
#: (command, case) -> (arguments, fragments the one-line message must contain)
BAD: dict[tuple[str, str], Callable[[Files], tuple[list[Any], list[str]]]] = {
    ("evaluate", "unknown_code"): lambda f: (
        ["evaluate", "--data", f.net, "--hubs", "NOPE", "--pathway", "direct"], ["unknown hub code 'NOPE'"]),
    ("evaluate", "missing_file"): lambda f: (
        ["evaluate", "--data", f.nowhere, "--hubs", "S1", "--pathway", "direct"], [str(f.nowhere)]),
    ("evaluate", "malformed_csv"): lambda f: (
        ["evaluate", "--data", f.bad_net, "--hubs", "S1", "--pathway", "direct"],
        ["travel_times.csv row 4, column 'S3'", "'twenty'"]),
    ("compare", "unknown_code"): lambda f: (
        ["compare", "--data", f.net, "--a-hubs", "S1", "--a-pathway", "direct", "--b-hubs", "NOPE"],
        ["unknown hub code 'NOPE'"]),
    ("compare", "missing_file"): lambda f: (
        ["compare", "--data", f.nowhere, "--a-hubs", "S1", "--a-pathway", "direct"], [str(f.nowhere)]),
    ("compare", "malformed_csv"): lambda f: (
        ["compare", "--data", f.bad_net, "--a-hubs", "S1", "--a-pathway", "direct"],
        ["travel_times.csv row 4, column 'S3'", "'twenty'"]),
    ("optimise", "unknown_code"): lambda f: (
        ["optimise", "--data", f.net, "--k", "2", "--keep", "NOPE", "--pathway", "direct"],
        ["unknown keep code 'NOPE'"]),
    ("optimise", "missing_file"): lambda f: (
        ["optimise", "--data", f.nowhere, "--k", "2", "--pathway", "direct"], [str(f.nowhere)]),
    ("optimise", "malformed_csv"): lambda f: (
        ["optimise", "--data", f.bad_net, "--k", "2", "--pathway", "direct"],
        ["travel_times.csv row 4, column 'S3'", "'twenty'"]),
    ("sweep", "unknown_code"): lambda f: (
        ["sweep", "--data", f.net, "--k", "1..2", "--exclude", "NOPE", "--pathway", "direct"],
        ["unknown exclude code 'NOPE'"]),
    ("sweep", "missing_file"): lambda f: (
        ["sweep", "--data", f.nowhere, "--k", "1..2", "--pathway", "direct"], [str(f.nowhere)]),
    ("sweep", "malformed_csv"): lambda f: (
        ["sweep", "--data", f.bad_net, "--k", "1..2", "--pathway", "direct"],
        ["travel_times.csv row 4, column 'S3'", "'twenty'"]),
    ("capacity", "unknown_code"): lambda f: (
        ["capacity", "--data", f.net, "--hubs", "S1,NOPE", "--pathway", "direct"], ["unknown hub code 'NOPE'"]),
    ("capacity", "missing_file"): lambda f: (
        ["capacity", "--data", f.nowhere, "--hubs", "S1", "--pathway", "direct"], [str(f.nowhere)]),
    ("capacity", "malformed_csv"): lambda f: (
        ["capacity", "--data", f.bad_net, "--hubs", "S1", "--pathway", "direct"],
        ["travel_times.csv row 4, column 'S3'", "'twenty'"]),
    ("workforce", "unknown_code"): lambda f: (
        ["workforce", "--data", f.net, "--hubs", "NOPE", "--pathway", "direct"], ["unknown hub code 'NOPE'"]),
    ("workforce", "missing_file"): lambda f: (
        ["workforce", "--data", f.nowhere, "--hubs", "S1", "--pathway", "direct"], [str(f.nowhere)]),
    ("workforce", "malformed_csv"): lambda f: (
        ["workforce", "--data", f.bad_net, "--hubs", "S1", "--pathway", "direct"],
        ["travel_times.csv row 4, column 'S3'", "'twenty'"]),
    # benchmark has no site codes: its codes are column names
    ("benchmark", "unknown_code"): lambda f: (
        ["benchmark", f.benchmark, "--provider-col", "NOPE"], [str(f.benchmark), "missing column 'NOPE'"]),
    ("benchmark", "missing_file"): lambda f: (
        ["benchmark", f.nowhere / "providers.csv"], [str(f.nowhere / "providers.csv"), "not found"]),
    ("benchmark", "malformed_csv"): lambda f: (
        ["benchmark", f.bad_benchmark], [str(f.bad_benchmark), "row 3, column 'numerator'", "'thirty'"]),
    ("appraise", "unknown_code"): lambda f: (
        ["appraise", f.scenario_unknown_code],
        ["scenario_unknown_code.toml", "option 'north pair'", "unknown hub code 'NOPE'"]),
    ("appraise", "missing_file"): lambda f: (
        ["appraise", f.nowhere / "scenario.toml"], [str(f.nowhere / "scenario.toml"), "not found"]),
    ("appraise", "malformed_csv"): lambda f: (
        ["appraise", f.scenario_bad_csv],
        ["scenario_bad_csv.toml", "travel_times.csv row 4, column 'S3'", "'twenty'"]),
}


@pytest.mark.parametrize(("command", "case"), list(BAD), ids=[f"{c}-{k}" for c, k in BAD])
def test_bad_input_exits_2_with_one_line(files: Files, command: str, case: str) -> None:
    args, fragments = BAD[(command, case)](files)
    res = hubplan(*args, "--format", "json")
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert "Traceback" not in res.stderr
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize(("args", "message"), [
    (["evaluate", "--hubs", "S1", "--pathway", "direct", "--bypass", "15"],
     "--bypass: only used with --pathway treat_and_transfer (with direct, every patient goes straight to a hub)"),
    (["evaluate", "--hubs", "S1", "--pathway", "direct", "--transfer-delay", "30"],
     "--transfer-delay: only used with --pathway treat_and_transfer (with direct, every patient goes straight "
     "to a hub)"),
    (["evaluate", "--hubs", "S1", "--spokes", "S1,S2", "--pathway", "treat_and_transfer"],
     "--spokes S1,S2: S1 is also given as a hub (--hubs); a site is a hub or a spoke, not both"),
    (["compare", "--a-hubs", "S1", "--b-hubs", "S3", "--b-pathway", "direct", "--b-spokes", "rest"],
     "option B: --b-spokes is only used with --b-pathway treat_and_transfer"),
    (["compare", "--a-hubs", "S9", "--b-hubs", "S3"], "option A: unknown hub code 'S9'"),
    (["compare", "--a-hubs", "S1", "--b-hubs", "S3", "--a-pathway", "direct", "--transfer-delay", "30"],
     "--transfer-delay: only used with treat_and_transfer, and both options are direct"),
])
def test_options_that_would_do_nothing_or_contradict_are_refused(files: Files, args: list[str], message: str) -> None:
    res = hubplan(*args, "--data", files.net)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.strip().splitlines()[-1].startswith(f"error: {message}")


def test_inherited_spokes_that_are_b_hubs_are_dropped_not_refused(files: Files) -> None:
    # B inherits A's spokes S2,S3; S3 is B's hub, so it is B's hub and not its spoke
    data = run_json("compare", "--data", files.net, "--a-hubs", "S1", "--a-spokes", "S2,S3", "--b-hubs", "S3")
    assert data["options"]["B"]["hubs"] == ["S3"] and data["options"]["B"]["spokes"] == ["S2"]


def test_volume_limits_no_set_can_meet_are_counted_by_hand(files: Files) -> None:
    # 100 patients a year: 1 hub of at most 60 holds 60, so at least 2 are needed;
    # 2 hubs of at least 60 each need 120, so at most 1 can reach that volume
    too_small = hubplan("optimise", "--data", files.net, "--k", "1", "--pathway", "direct", "--max-patients", "60")
    assert too_small.returncode == 2
    assert too_small.stderr.strip().splitlines()[-1] == (
        "error: max patients per hub: 1 hub of at most 60 patients holds 60, fewer than the 100 patients per year; "
        "at least 2 hubs are needed")
    too_big = hubplan("optimise", "--data", files.net, "--k", "2", "--pathway", "direct", "--min-patients", "60")
    assert too_big.returncode == 2
    assert too_big.stderr.strip().splitlines()[-1] == (
        "error: min patients per hub: 100 patients per year cannot give each of 2 hubs 60; at most 1 hub can "
        "reach that volume")
