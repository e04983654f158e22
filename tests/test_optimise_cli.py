"""``hubplan optimise`` / ``hubplan sweep``: JSON contract, exit codes, files; national slow tests."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from hubplan.cli import app
from hubplan.cli.optimise import parse_ks
from hubplan.errors import InputError

runner = CliRunner()
HUBPLAN = Path(sys.executable).parent / "hubplan"

#: the small network's minutes (12 areas x 6 sites, one decimal) and patients per area
MINUTES = np.round(np.random.default_rng(2).random((12, 6)) * 60 + 5, 1)
PATIENTS = 10.0 + np.arange(12)


def hubplan(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed executable, as users run it."""
    return subprocess.run([str(HUBPLAN), *args], capture_output=True, text=True)


@pytest.fixture()
def csv_network(tmp_path: Path) -> Path:
    """A small user network as CSV files (areas, sites, travel_times)."""
    folder = tmp_path / "net"
    folder.mkdir()
    areas = ["area_code,area_name,latitude,longitude,country,icb,stroke_admissions"]
    for i in range(12):
        areas.append(f"A{i},Area {i},52.{i},-1.{i},England,ICB1,{PATIENTS[i]:g}")
    sites = ["site_code,site_name,latitude,longitude,country,thrombectomy,ivt"]
    for j in range(6):
        sites.append(f"S{j},Site {j},52.{j},-1.{j},England,{int(j < 2)},1")
    times = ["area_code,site_code,minutes"]
    for i in range(12):
        for j in range(6):
            times.append(f"A{i},S{j},{MINUTES[i, j]:g}")
    (folder / "areas.csv").write_text("\n".join(areas) + "\n")
    (folder / "sites.csv").write_text("\n".join(sites) + "\n")
    (folder / "travel_times.csv").write_text("\n".join(times) + "\n")
    return folder


def _run(args: list[str]):
    return runner.invoke(app, args, catch_exceptions=False, standalone_mode=False)


def test_parse_ks() -> None:
    assert parse_ks("1..3") == [1, 2, 3]
    assert parse_ks("20..30:5,2") == [2, 20, 25, 30]
    with pytest.raises(InputError):
        parse_ks("ten")


def test_optimise_json_contract(csv_network: Path, tmp_path: Path) -> None:
    res = hubplan("optimise", "--data", str(csv_network), "--k", "2", "--pathway", "direct",
                  "--keep", "S0", "--format", "json", "--out", str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)  # the whole of stdout is the one JSON document
    sol = data["solution"]
    assert set(sol) >= {"sites", "objective", "bound", "gap", "status", "method", "seconds"}
    assert sol["status"] == "optimal" and "S0" in sol["sites"] and len(sol["sites"]) == 2
    # brute force over every second hub next to the kept S0
    means = {j: float((MINUTES[:, [0, j]].min(axis=1) * PATIENTS).sum() / PATIENTS.sum()) for j in range(1, 6)}
    best = min(means, key=means.__getitem__)
    assert sorted(means.values())[1] - means[best] > 1e-3  # a unique optimum
    assert sorted(sol["sites"]) == ["S0", f"S{best}"]
    assert sol["objective"] == pytest.approx(means[best], rel=1e-6)
    assert set(data["evaluation"]) >= {"option", "summary", "sites", "regions"}
    assert data["evaluation"]["summary"]["time_to_hub"]["mean"] == pytest.approx(sol["objective"])
    assert (tmp_path / "out" / "optimise.json").exists()
    assert (tmp_path / "out" / "optimise_sites.csv").exists()
    # the chosen option's workbook and GeoPackage, as evaluate --out writes them
    from workbook_check import assert_workbook_holds_the_csvs

    import geopandas as gpd

    out = tmp_path / "out"
    assert_workbook_holds_the_csvs(out / "evaluation.xlsx", out,
                                   ["evaluation_areas", "evaluation_sites", "evaluation_regions"], csv_decimals=3)
    sites = gpd.read_file(out / "evaluation.gpkg", layer="sites")
    assert sorted(sites.loc[sites["role"] == "hub", "site_code"]) == sorted(sol["sites"])


def test_sweep_out_writes_its_workbook(csv_network: Path, tmp_path: Path) -> None:
    from workbook_check import assert_workbook_holds_the_csvs

    res = hubplan("sweep", "--data", str(csv_network), "--k", "1..3", "--pathway", "direct", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert_workbook_holds_the_csvs(tmp_path / "sweep.xlsx", tmp_path, ["sweep"])
    res = hubplan("sweep", "--data", str(csv_network), "--k", "1..3", "--pathway", "direct", "--out",
                  str(tmp_path / "b"), "--no-workbook")
    assert res.returncode == 0, res.stderr
    assert not (tmp_path / "b" / "sweep.xlsx").exists() and (tmp_path / "b" / "sweep.csv").exists()


def test_p_median_for_every_k_is_the_brute_force_optimum(csv_network: Path) -> None:
    res = hubplan("sweep", "--data", str(csv_network), "--k", "1..3", "--pathway", "direct",
                  "--method", "exact", "--format", "json")
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)["sweep"]
    for row in rows:
        means = {c: float((MINUTES[:, list(c)].min(axis=1) * PATIENTS).sum() / PATIENTS.sum())
                 for c in itertools.combinations(range(6), row["k"])}
        assert row["objective"] == pytest.approx(min(means.values()), rel=1e-6), row["k"]
    assert [row["k"] for row in rows] == [1, 2, 3]


def test_infeasible_exits_2(csv_network: Path) -> None:
    res = hubplan("optimise", "--k", "1", "--keep", "S0,S1", "--pathway", "direct", "--data", str(csv_network),
                  "--format", "json")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and res.stdout == ""
    assert res.stderr.splitlines() == ["error: keep has 2 sites but k is 1: raise k or keep fewer"]


@pytest.mark.slow
def test_national_p_median_24_proven_optimal() -> None:
    import hubplan
    from hubplan.optimise import SiteSelectionProblem, solve

    net = hubplan.load_bundled().restrict(country="England")
    problem = SiteSelectionProblem.from_network(net, hubplan.Service.preset("thrombectomy"), k=24, pathway="direct")
    solution = solve(problem, time_limit=300)
    assert solution.status == "optimal"
    assert solution.gap <= 1e-6
    ev = hubplan.evaluate(net, hubplan.Service.preset("thrombectomy"), problem.option(solution.sites))
    assert ev.summary["time_to_hub"]["mean"] == pytest.approx(solution.objective)


@pytest.mark.slow
def test_national_cli_keep_thrombectomy_30(england) -> None:
    res = hubplan("optimise", "--service", "thrombectomy", "--k", "30", "--keep", "thrombectomy",
                  "--country", "England", "--format", "json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["solution"]["status"] == "optimal"
    assert len(data["solution"]["sites"]) == 30
    assert set(england.sites_with("thrombectomy")) <= set(data["solution"]["sites"])


@pytest.mark.slow
def test_national_sweep_writes_plot(tmp_path: Path) -> None:
    _run(["sweep", "--k", "20..26", "--country", "England", "--pathway", "direct", "--out", str(tmp_path), "--html"])
    assert (tmp_path / "sweep.png").stat().st_size > 0
    assert (tmp_path / "sweep.html").exists()
    assert (tmp_path / "sweep.csv").read_text().count("\n") == 8
