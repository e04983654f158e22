"""Sites chosen for outcome: the exact answer is the best set by brute force, every set
evaluated by hubplan.evaluate (the outcome model called on each option's real routes)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hubplan import Option, Service, evaluate
from hubplan.errors import InputError
from hubplan.optimise import SiteSelectionProblem
from hubplan.optimise.outcome import outcome_problem, solve_outcome
from hubplan.testing import make_network

HUBPLAN = str(Path(sys.executable).parent / "hubplan")
SERVICE = Service.preset("thrombectomy")


def network(seed: int):
    rng = np.random.default_rng(seed)
    n_areas, n_sites = 14, 6
    minutes = np.round(rng.uniform(5, 260, (n_areas, n_sites)), 1)
    site = np.round(rng.uniform(10, 120, (n_sites, n_sites)), 1)
    site = (site + site.T) / 2
    np.fill_diagonal(site, 0)
    demand = rng.integers(5, 400, n_areas).astype(float).tolist()
    return make_network(minutes.tolist(), site.tolist(), demand=demand)


def brute_force(net, k: int, pathway: str, measure: str = "added_good_outcomes_per_year") -> tuple[tuple[str, ...], float]:
    best: tuple[tuple[str, ...], float] = ((), -np.inf)
    codes = net.site_codes
    for hubs in itertools.combinations(codes, k):
        spokes = tuple(c for c in codes if c not in hubs) if pathway == "treat_and_transfer" else ()
        ev = evaluate(net, SERVICE, Option(name="x", hubs=hubs, spokes=spokes, pathway=pathway))
        value = ev.summary["outcomes"][measure]
        if value > best[1] + 1e-12:
            best = (hubs, value)
    return best


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("pathway", ["direct", "treat_and_transfer"])
def test_the_outcome_optimum_is_the_brute_force_best(seed: int, pathway: str) -> None:
    net = network(seed)
    k = 2 + seed % 2
    problem = SiteSelectionProblem.from_network(net, SERVICE, k=k, pathway=pathway,
                                                spokes="rest" if pathway == "treat_and_transfer" else None)
    sites, value = brute_force(net, k, pathway)
    sol = solve_outcome(outcome_problem(problem, net, SERVICE))
    assert sol.status == "optimal" and sol.objective_name == "outcome"
    assert set(sol.sites) == set(sites)
    assert sol.objective == pytest.approx(value, rel=1e-8)  # tabulated curves: within 1e-9 per admission
    assert sol.bound == pytest.approx(sol.objective) and sol.gap == pytest.approx(0.0)


def test_utility_is_an_objective_too() -> None:
    net = network(7)
    problem = SiteSelectionProblem.from_network(net, SERVICE, k=2, pathway="direct")
    sites, value = brute_force(net, 2, "direct", "added_utility_per_year")
    sol = solve_outcome(outcome_problem(problem, net, SERVICE, "utility"))
    assert set(sol.sites) == set(sites) and sol.objective == pytest.approx(value, rel=1e-8)


def test_volume_limits_hold_under_the_outcome_objective() -> None:
    net = network(3)
    total = float(np.sum(net.areas["stroke_admissions"]))
    cap = 0.55 * total
    problem = SiteSelectionProblem.from_network(net, SERVICE, k=2, pathway="direct", max_patients_per_hub=cap)
    best: tuple[tuple[str, ...], float] = ((), -np.inf)
    for hubs in itertools.combinations(net.site_codes, 2):
        ev = evaluate(net, SERVICE, Option(name="x", hubs=hubs))
        if ev.sites.loc[list(hubs), "catchment_patients"].max() > cap + 1e-6:
            continue
        value = ev.summary["outcomes"]["added_good_outcomes_per_year"]
        if value > best[1]:
            best = (hubs, value)
    sol = solve_outcome(outcome_problem(problem, net, SERVICE))
    assert set(sol.sites) == set(best[0]) and sol.status == "optimal"


def test_no_outcome_model_is_a_clear_error() -> None:
    net = network(1)
    svc = Service.preset("vascular_arterial", demand="stroke_admissions")
    problem = SiteSelectionProblem.from_network(net, svc, k=2, pathway="direct")
    with pytest.raises(InputError, match="has no outcome model; give a curve with --outcome-curve"):
        outcome_problem(problem, net, svc)


def test_the_command_line(tmp_path: Path) -> None:
    net = network(2)
    folder = tmp_path / "net"
    folder.mkdir()
    areas = net.areas
    (folder / "areas.csv").write_text("area_code,icb,stroke_admissions\n" + "".join(
        f"{a},R,{d:g}\n" for a, d in zip(areas.index, areas["stroke_admissions"])))
    (folder / "sites.csv").write_text("site_code,site_name\n" + "".join(f"{s},{s}\n" for s in net.site_codes))
    m = net.area_site_minutes
    (folder / "travel_times.csv").write_text("area_code,site_code,minutes\n" + "".join(
        f"{a},{s},{m[i, j]:.1f}\n" for i, a in enumerate(areas.index) for j, s in enumerate(net.site_codes)))
    out = subprocess.run([HUBPLAN, "optimise", "--objective", "outcome", "--k", "2", "--pathway", "direct",
                          "--data", str(folder), "--format", "json"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    from hubplan import load_csv_network

    loaded = load_csv_network(folder)
    sites, value = brute_force(loaded, 2, "direct")
    assert doc["solution"]["status"] == "optimal" and set(doc["solution"]["sites"]) == set(sites)
    assert doc["evaluation"]["summary"]["outcomes"]["added_good_outcomes_per_year"] == pytest.approx(value, rel=1e-12)
    v = doc["outcome_vs_minutes"]
    minutes_best = min(itertools.combinations(loaded.site_codes, 2), key=lambda hubs: evaluate(
        loaded, SERVICE, Option(name="x", hubs=hubs)).summary["time_to_hub"]["mean"])
    assert set(v["minutes_optimum"]["sites"]) == set(minutes_best)
    assert v["added_good_outcomes_difference"] == pytest.approx(
        value - v["minutes_optimum"]["added_good_outcomes_per_year"], abs=1e-9)
    assert v["added_good_outcomes_difference"] >= -1e-9
    bad = subprocess.run([HUBPLAN, "optimise", "--objective", "outcome", "--k", "2", "--pathway", "direct",
                          "--max-minutes", "100", "--data", str(folder)], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "--objective outcome with --max-minutes is not supported" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_the_outcome_sweep_is_the_brute_force_best_for_every_k() -> None:
    from hubplan.optimise.outcome import sweep_outcome

    net = network(5)
    problem = SiteSelectionProblem.from_network(net, SERVICE, k=3, pathway="direct")
    op = outcome_problem(problem, net, SERVICE)
    table = sweep_outcome(op, [1, 2, 3], network=net, service=SERVICE)
    for row in table.to_dict(orient="records"):
        sites, value = brute_force(net, int(row["k"]), "direct")
        assert set(row["sites"].split(";")) == set(sites) and row["status"] == "optimal"
        assert row["objective"] == pytest.approx(value, rel=1e-8)
        assert row["added_good_outcomes_per_year"] == pytest.approx(value, rel=1e-12)
    assert list(table["objective"]) == sorted(table["objective"])  # more hubs, more benefit
