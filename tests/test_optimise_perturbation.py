"""Perturbation search (iterated local search) for volume-limited problems.

Checked by brute force on small instances: every set it returns is feasible, has the
value it reports, is no worse than its start and keeps kept sites open; with enough
kicks it reaches the optimum found by evaluating every set (patients at their nearest
hub) from a start that vertex substitution alone cannot leave.
"""

from __future__ import annotations

import itertools
import math
import threading

import numpy as np
import pytest

from hubplan.optimise import SiteSelectionProblem
from hubplan.optimise._instance import reduce_problem
from hubplan.optimise.heuristic import local_search, perturbation_search


def _instance(seed: int, n_clients: int = 50, n_sites: int = 14) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(700 + seed)
    points = rng.random((n_clients, 2)) * 100
    sites = rng.random((n_sites, 2)) * 100
    cost = np.round(np.hypot(*(points[:, None, :] - sites[None, :, :]).transpose(2, 0, 1)) + 1, 3)
    return cost, rng.integers(1, 30, size=n_clients).astype(float)


def _value(cost: np.ndarray, demand: np.ndarray, hubs: tuple[int, ...], high: float) -> float:
    """Demand-weighted minutes of a set, ``inf`` if a hub gets more than ``high``."""
    sub = cost[:, list(hubs)]
    catchment = np.bincount(sub.argmin(axis=1), weights=demand, minlength=len(hubs))
    if (catchment > high + 1e-6).any():
        return math.inf
    return float((sub.min(axis=1) * demand).sum())


def _problem(seed: int, k: int, keep: tuple[str, ...] = ()) -> tuple[SiteSelectionProblem, np.ndarray, np.ndarray, float]:
    cost, demand = _instance(seed)
    high = round(1.2 * demand.sum() / k)
    codes = tuple(f"S{j}" for j in range(cost.shape[1]))
    problem = SiteSelectionProblem(cost, demand, codes, k, max_patients_per_hub=high, keep=keep)
    return problem, cost, demand, high


@pytest.mark.parametrize("seed", range(6))
def test_reaches_the_brute_force_optimum_and_reports_its_value(seed: int) -> None:
    k = 4
    problem, cost, demand, high = _problem(seed, k)
    best = min(_value(cost, demand, hubs, high) for hubs in itertools.combinations(range(cost.shape[1]), k))
    assert math.isfinite(best)
    inst = reduce_problem(problem)
    start = local_search(inst, seed=seed)  # may break a volume limit: the search must repair it
    start_mask = np.zeros(inst.n_candidates, dtype=bool)
    start_mask[start.open_positions] = True
    found = perturbation_search(inst, start_mask, deadline=math.inf, seed=seed, max_kicks=300)
    hubs = tuple(np.flatnonzero(found.open_mask))
    assert len(hubs) == k and found.kicks == 300 and found.violation == 0
    value = _value(cost, demand, hubs, high)
    assert value == pytest.approx(best, rel=1e-9)
    # the reported value is the set's own (reduced costs plus the offset taken out)
    assert found.primary + inst.offset == pytest.approx(value, rel=1e-9)
    assert value <= _value(cost, demand, tuple(start.open_positions), high) + 1e-9


def test_leaves_a_local_optimum_that_swaps_alone_cannot() -> None:
    # find seeds where vertex substitution from greedy stops short of the optimum
    k, stuck = 4, 0
    for seed in range(40):
        problem, cost, demand, high = _problem(seed, k)
        best = min(_value(cost, demand, hubs, high) for hubs in itertools.combinations(range(cost.shape[1]), k))
        inst = reduce_problem(problem)
        start = local_search(inst, seed=0)
        start_value = _value(cost, demand, tuple(start.open_positions), high)
        if not math.isfinite(start_value) or start_value <= best + 1e-9:
            continue
        stuck += 1
        start_mask = np.zeros(inst.n_candidates, dtype=bool)
        start_mask[start.open_positions] = True
        found = perturbation_search(inst, start_mask, deadline=math.inf, seed=0, max_kicks=300)
        assert found.improvements >= 1
        assert _value(cost, demand, tuple(np.flatnonzero(found.open_mask)), high) == pytest.approx(best, rel=1e-9)
    assert stuck >= 1  # the check above ran on at least one such instance


def test_kept_sites_stay_open() -> None:
    problem, cost, demand, high = _problem(2, 4, keep=("S0", "S1"))
    inst = reduce_problem(problem)
    start = local_search(inst, seed=0)
    start_mask = np.zeros(inst.n_candidates, dtype=bool)
    start_mask[start.open_positions] = True
    found = perturbation_search(inst, start_mask, deadline=math.inf, seed=1, max_kicks=100)
    assert found.open_mask[0] and found.open_mask[1] and found.open_mask.sum() == 4
    best = min(_value(cost, demand, (0, 1) + rest, high) for rest in itertools.combinations(range(2, 14), 2))
    assert _value(cost, demand, tuple(np.flatnonzero(found.open_mask)), high) == pytest.approx(best, rel=1e-9)


def test_a_set_stop_or_a_past_deadline_returns_the_start() -> None:
    problem, *_ = _problem(3, 4)
    inst = reduce_problem(problem)
    start = local_search(inst, seed=0)
    start_mask = np.zeros(inst.n_candidates, dtype=bool)
    start_mask[start.open_positions] = True
    stop = threading.Event()
    stop.set()
    for kwargs in ({"deadline": math.inf, "stop": stop}, {"deadline": 0.0}):
        found = perturbation_search(inst, start_mask, **kwargs)  # type: ignore[arg-type]
        assert found.kicks == 0 and found.improvements == 0
        assert (found.open_mask == start_mask).all() and found.primary == pytest.approx(start.primary)
