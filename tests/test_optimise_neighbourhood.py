"""Neighbourhood search for volume-limited problems, checked by brute force.

The search re-optimises a few sites at a time with the rest fixed. What must hold:
every set it returns is feasible and no worse than the one it started from; when it
says every neighbourhood holds nothing better, no neighbourhood does (checked by
evaluating every set that differs from the result only inside one neighbourhood); and
``solve`` with the search running beside the full model still returns the proven
optimum (found here by evaluating every set, patients at their nearest hub).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hubplan.optimise.exact as exact
from hubplan.optimise import SiteSelectionProblem, solve
from hubplan.optimise import neighbourhood
from hubplan.optimise._instance import reduce_problem
from hubplan.optimise.heuristic import local_search

HUBPLAN = Path(sys.executable).parent / "hubplan"


def _value(cost: np.ndarray, demand: np.ndarray, hubs: tuple[int, ...], high: float) -> float:
    """Mean minutes of a set, ``inf`` if a hub gets more than ``high`` patients."""
    sub = cost[:, list(hubs)]
    catchment = np.bincount(sub.argmin(axis=1), weights=demand, minlength=len(hubs))
    if (catchment > high + 1e-6).any():
        return math.inf
    return float((sub.min(axis=1) * demand).sum() / demand.sum())


def _instance(seed: int, n_clients: int = 60, n_sites: int = 24) -> tuple[np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng(300 + seed)
    points = rng.random((n_clients, 2)) * 100
    sites = rng.random((n_sites, 2)) * 100
    cost = np.round(np.hypot(*(points[:, None, :] - sites[None, :, :]).transpose(2, 0, 1)) + 1, 3)
    demand = rng.integers(1, 30, size=n_clients).astype(float)
    return cost, demand, float(demand.sum())


@pytest.mark.parametrize("seed", range(4))
def test_search_improves_and_ends_with_every_neighbourhood_optimal(seed: int) -> None:
    cost, demand, total = _instance(seed)
    k = 4
    high = round(1.2 * total / k)
    problem = SiteSelectionProblem(cost, demand, tuple(f"S{j}" for j in range(cost.shape[1])), k,
                                   max_patients_per_hub=high)
    inst = reduce_problem(problem)
    start = local_search(inst, seed=seed)
    assert start.violation == 0
    start_mask = np.zeros(inst.n_candidates, dtype=bool)
    start_mask[start.open_positions] = True
    start_value = _value(cost, demand, tuple(start.open_positions), high)

    def solve_sub(sub, mask, limit):  # the exact rounds, as solve_exact runs them
        value = exact._model_value(problem, sub, mask)
        found = exact._rounds(problem, sub, mask, mask, value, deadline=limit, threads=1, say=lambda _: None)
        return found.best_mask, found.best_value, found.status == "optimal"

    size = 8
    result = neighbourhood.search(inst, start_mask, exact._model_value(problem, inst, start_mask), solve_sub,
                                  deadline=float("inf"), seed=seed, size=size)
    hubs = tuple(np.flatnonzero(result.best_mask))
    assert len(hubs) == k
    value = _value(cost, demand, hubs, high)
    assert math.isfinite(value) and value <= start_value + 1e-9
    assert result.best_value / inst.total_demand == pytest.approx(value, rel=1e-9)
    assert result.complete_pass
    # no set differing from the result only inside one neighbourhood is better
    for seed_site in range(inst.n_candidates):
        near = np.argsort(neighbourhood.site_proximity(inst, seed_site), kind="stable")[:size]
        inside = [h for h in hubs if h in set(near)]
        outside = [h for h in hubs if h not in set(near)]
        for chosen in itertools.combinations(sorted(near), len(inside)):
            assert _value(cost, demand, tuple(sorted(outside + list(chosen))), high) >= value - 1e-9


def test_proximity_is_the_shortest_trip_through_an_area() -> None:
    cost, demand, _ = _instance(0, n_clients=15, n_sites=6)
    problem = SiteSelectionProblem(cost, demand, tuple(f"S{j}" for j in range(6)), 2, max_patients_per_hub=1e9)
    inst = reduce_problem(problem)
    # by hand from the reduced costs: min over areas of the two legs
    for a in range(6):
        got = neighbourhood.site_proximity(inst, a)
        expected = [min(inst.cost[i, a] + inst.cost[i, b] for i in range(inst.n_clients)) for b in range(6)]
        assert got[a] == -math.inf
        assert np.allclose(np.delete(got, a), np.delete(expected, a))


@pytest.mark.parametrize("seed", range(3))
def test_solve_with_the_search_beside_the_full_model_is_optimal(seed: int) -> None:
    cost, demand, total = _instance(10 + seed, n_clients=40, n_sites=22)
    k = 3
    high = round(1.15 * total / k)
    best = min(_value(cost, demand, hubs, high) for hubs in itertools.combinations(range(22), k))
    assert math.isfinite(best)
    problem = SiteSelectionProblem(cost, demand, tuple(f"S{j}" for j in range(22)), k, max_patients_per_hub=high)
    solution = exact.solve_exact(problem, time_limit=120, neighbourhoods=True)
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(best, rel=1e-9)
    assert solution.details["neighbourhood_sites"] == neighbourhood.NEIGHBOURHOOD_SITES
    assert solution.details["neighbourhood_objective"] >= best - 1e-9
    # without it: the same optimum, and no neighbourhood details
    alone = exact.solve_exact(problem, time_limit=120, neighbourhoods=False)
    assert alone.objective == pytest.approx(best, rel=1e-9) and "neighbourhoods_searched" not in alone.details


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the search runs beside the full model with two cores or more")
def test_installed_cli_reports_the_search(tmp_path: Path) -> None:
    cost, demand, total = _instance(20, n_clients=40, n_sites=22)
    cost = np.round(cost, 1)  # as written to the CSV
    folder = tmp_path / "net"
    folder.mkdir()
    areas = ["area_code,area_name,latitude,longitude,country,icb,stroke_admissions"]
    areas += [f"A{i},Area {i},52.{i:02d},-1.{i:02d},England,ICB1,{d:g}" for i, d in enumerate(demand)]
    sites = ["site_code,site_name,latitude,longitude,country,thrombectomy,ivt"]
    sites += [f"S{j},Site {j},53.{j:02d},-2.{j:02d},England,1,1" for j in range(22)]
    times = ["area_code,site_code,minutes"]
    times += [f"A{i},S{j},{cost[i, j]:g}" for i in range(40) for j in range(22)]
    for name, lines in (("areas", areas), ("sites", sites), ("travel_times", times)):
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")
    high = round(1.15 * total / 3)
    best = min(_value(cost, demand, hubs, high) for hubs in itertools.combinations(range(22), 3))
    run = subprocess.run([str(HUBPLAN), "optimise", "--data", str(folder), "--k", "3", "--pathway", "direct",
                          "--max-patients", str(high), "--format", "json"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    solution = json.loads(run.stdout)["solution"]
    assert solution["status"] == "optimal"
    assert solution["objective"] == pytest.approx(best, rel=1e-6)
    assert solution["details"]["neighbourhood_sites"] == neighbourhood.NEIGHBOURHOOD_SITES
    assert solution["details"]["neighbourhoods_searched"] >= 0
    assert solution["details"]["perturbation_kicks"] >= 0 and solution["details"]["perturbation_improvements"] >= 0
