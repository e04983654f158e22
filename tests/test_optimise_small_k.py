"""Small k solved exactly by evaluating every set of hubs, checked by brute force.

When at most two hubs are free to choose (k minus the kept sites) among at least
``ENUMERATION_MIN_FREE`` candidates, p-median and coverage without volume limits are
solved by evaluating every set (nationally k = 1 and 2, where the prefix-set model is
largest). The optimum is worked out here with
numpy over ``itertools.combinations``, with kept sites, unreachable pairs and a
maximum time.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from hubplan.errors import InfeasibleError
from hubplan.optimise import SiteSelectionProblem, solve
from hubplan.optimise.exact import ENUMERATION_MIN_FREE, ENUMERATION_NAME, METHOD_NAME

N_CLIENTS, N_SITES = 40, 24
CODES = tuple(f"S{j}" for j in range(N_SITES))


def instance(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cost = np.round(rng.random((N_CLIENTS, N_SITES)) * 80 + 5, 1)
    if seed % 2:
        cost[rng.random(cost.shape) < 0.15] = np.inf  # some sites cannot serve some clients
    return cost, rng.integers(1, 25, size=N_CLIENTS).astype(float)


def brute_force(cost: np.ndarray, demand: np.ndarray, k: int, keep: tuple[int, ...], objective: str,
                threshold: float = 45.0, max_minutes: float | None = None) -> float:
    """Best objective over every k-subset containing ``keep`` (+-inf if none is feasible)."""
    values = []
    for hubs in itertools.combinations(range(N_SITES), k):
        if not set(keep) <= set(hubs):
            continue
        nearest = cost[:, hubs].min(axis=1)
        if not np.isfinite(nearest).all() or (max_minutes is not None and (nearest > max_minutes).any()):
            continue  # every client must have a hub it can reach (within the maximum)
        if objective == "coverage":
            values.append(-float(demand[nearest <= threshold].sum() / demand.sum()))
        else:
            values.append(float((nearest * demand).sum() / demand.sum()))
    best = min(values, default=math.inf)
    return -best if objective == "coverage" else best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("objective", ["p-median", "coverage"])
def test_small_k_is_the_brute_force_optimum(seed: int, objective: str) -> None:
    cost, demand = instance(seed)
    keep = (seed % N_SITES,) if seed % 3 == 2 else ()
    max_minutes = 70.0 if seed == 4 else None
    for k in (1, 2, 3):
        if k < len(keep):
            continue
        options: dict = {"threshold_minutes": 45.0} if objective == "coverage" else {}
        problem = SiteSelectionProblem(cost, demand, CODES, k, objective=objective,
                                       keep=tuple(CODES[j] for j in keep), max_minutes=max_minutes, **options)
        best = brute_force(cost, demand, k, keep, objective, max_minutes=max_minutes)
        if not math.isfinite(best):
            with pytest.raises(InfeasibleError):
                solve(problem)
            continue
        solution = solve(problem)
        assert solution.status == "optimal"
        assert solution.objective == pytest.approx(best, rel=1e-9), (seed, objective, k)
        assert solution.bound == pytest.approx(best, rel=1e-9) and solution.gap == 0.0
        assert set(solution.sites) >= {CODES[j] for j in keep}
        assert len(solution.sites) == k
        assert solution.method == (ENUMERATION_NAME if k - len(keep) <= 2 else METHOD_NAME)


def test_few_candidates_go_to_the_model() -> None:
    cost, demand = instance(0)
    few = cost[:, :ENUMERATION_MIN_FREE - 1]
    codes = CODES[:ENUMERATION_MIN_FREE - 1]
    solution = solve(SiteSelectionProblem(few, demand, codes, 2))
    assert solution.method == METHOD_NAME and solution.status == "optimal"
    best = min(float((few[:, list(c)].min(axis=1) * demand).sum() / demand.sum())
               for c in itertools.combinations(range(len(codes)), 2))
    assert solution.objective == pytest.approx(best, rel=1e-9)
