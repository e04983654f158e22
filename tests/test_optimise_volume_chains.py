"""Volume-limited p-median: the optimum does not depend on how far chains reach at first.

With volume limits each client's chain of prefix sets covers
``exact.VOLUME_CHAIN_MARGIN`` candidates beyond its hub in the heuristic's set (and in
each round's); a longer chain is only a less relaxed model, so the proven optimum must
be the same for every margin and equal to the best feasible set found here by brute
force (numpy over ``itertools.combinations``, patients at their nearest hub).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import hubplan.optimise.exact as exact
from hubplan.errors import InfeasibleError
from hubplan.optimise import SiteSelectionProblem, solve


def brute_force(cost: np.ndarray, demand: np.ndarray, k: int, low: float | None, high: float | None) -> float:
    best = math.inf
    for hubs in itertools.combinations(range(cost.shape[1]), k):
        sub = cost[:, hubs]
        catchment = np.bincount(sub.argmin(axis=1), weights=demand, minlength=k)
        if (low is not None and (catchment < low).any()) or (high is not None and (catchment > high).any()):
            continue
        best = min(best, float((sub.min(axis=1) * demand).sum() / demand.sum()))
    return best


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("margin", [0, 1, 10])
def test_the_optimum_for_every_margin(seed: int, margin: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exact, "VOLUME_CHAIN_MARGIN", margin)
    rng = np.random.default_rng(100 + seed)
    n_clients, n_sites = 30, 8
    cost = np.round(rng.random((n_clients, n_sites)) * 60 + 1, 2)
    demand = rng.integers(1, 20, size=n_clients).astype(float)
    k = 2 + seed % 3
    total = demand.sum()
    low = round(0.8 * total / k) if seed % 2 == 0 else None
    high = round(1.15 * total / k) if seed % 2 == 1 or seed % 4 == 0 else None
    best = brute_force(cost, demand, k, low, high)
    problem = SiteSelectionProblem(cost, demand, tuple(f"S{j}" for j in range(n_sites)), k,
                                   min_patients_per_hub=low, max_patients_per_hub=high)
    if not math.isfinite(best):
        with pytest.raises(InfeasibleError):
            solve(problem)
        return
    solution = solve(problem)
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(best, rel=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_a_maximum_volume_warm_starts_from_restarts(seed: int) -> None:
    """With a cap the warm start is the heuristic with ``VOLUME_RESTARTS`` restarts (the
    same seed), and the answer is still the brute-force optimum; without a cap it is not."""
    from hubplan.optimise._instance import reduce_problem
    from hubplan.optimise.heuristic import local_search

    rng = np.random.default_rng(300 + seed)
    cost = np.round(rng.random((40, 10)) * 60 + 1, 2)
    demand = rng.integers(1, 20, size=40).astype(float)
    k = 3
    high = round(1.1 * demand.sum() / k)
    codes = tuple(f"S{j}" for j in range(10))
    capped = SiteSelectionProblem(cost, demand, codes, k, max_patients_per_hub=high)
    best = brute_force(cost, demand, k, None, high)
    solution = solve(capped)
    assert solution.objective == pytest.approx(best, rel=1e-9)
    inst = reduce_problem(capped)
    for restarts, problem in ((exact.VOLUME_RESTARTS, capped),
                              (0, SiteSelectionProblem(cost, demand, codes, k, min_patients_per_hub=1.0))):
        inst = reduce_problem(problem)
        heur = local_search(inst, restarts=restarts, seed=0)
        mask = np.zeros(10, dtype=bool)
        mask[heur.open_positions] = True
        expected = float(demand @ cost[:, heur.open_positions].min(axis=1)) / demand.sum()
        got = solve(problem).details["heuristic_objective"]
        assert got == pytest.approx(expected, rel=1e-12)
