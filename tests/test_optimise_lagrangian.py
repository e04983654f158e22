"""Lagrangian bound and reduced-cost fixing for the p-median, checked against brute force.

Every set of k hubs is enumerated on small instances: the bound must lie below every
set, the bound with a candidate forced open (closed) below every set with it open
(closed), and a candidate ruled out must be in no optimal set. The LP relaxation,
solved by scipy's HiGHS directly, is the best value a Lagrangian bound can reach.
"""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from hubplan.optimise import SiteSelectionProblem
from hubplan.optimise._instance import reduce_problem
from hubplan.optimise.exact import LAGRANGIAN_METHOD_NAME, METHOD_NAME, solve_exact
from hubplan.optimise.lagrangian import (
    LAGRANGIAN_MIN_CANDIDATES,
    ascend,
    fix_candidates,
    fixing_bounds,
    lagrangian_value,
)

HUBPLAN = Path(sys.executable).parent / "hubplan"


def geometric(n_clients: int, n_sites: int, seed: int, *, unreachable_beyond: float | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """Clients and sites at random in a 100 x 100 square; minutes = distance (one decimal)."""
    rng = np.random.default_rng(seed)
    a = rng.random((n_clients, 2)) * 100
    s = rng.random((n_sites, 2)) * 100
    cost = np.round(np.hypot(a[:, None, 0] - s[None, :, 0], a[:, None, 1] - s[None, :, 1]), 1)
    if unreachable_beyond is not None:
        nearest = cost.min(axis=1, keepdims=True)
        cost = np.where((cost > unreachable_beyond) & (cost > nearest), np.inf, cost)
    demand = rng.integers(1, 20, size=n_clients).astype(float)
    return cost, demand


def all_sets(cost: np.ndarray, demand: np.ndarray, k: int, keep: tuple[int, ...] = ()) -> dict[tuple[int, ...], float]:
    """Patient-minutes of every set of k hubs containing ``keep`` (inf if someone is unserved)."""
    free = [j for j in range(cost.shape[1]) if j not in keep]
    out = {}
    for extra in itertools.combinations(free, k - len(keep)):
        hubs = tuple(sorted(keep + extra))
        minutes = cost[:, list(hubs)].min(axis=1)
        out[hubs] = float(demand @ minutes) if np.isfinite(minutes).all() else math.inf
    return out


def lp_bound(cost: np.ndarray, demand: np.ndarray, k: int, keep: tuple[int, ...] = ()) -> float:
    """The p-median's LP relaxation (assignment formulation) with scipy's HiGHS."""
    n, m = cost.shape
    pairs = [(i, j) for i in range(n) for j in range(m) if np.isfinite(cost[i, j])]
    nx = len(pairs)
    c = np.r_[[demand[i] * cost[i, j] for i, j in pairs], np.zeros(m)]
    rows_eq, cols_eq, vals_eq = [], [], []
    for col, (i, _) in enumerate(pairs):
        rows_eq.append(i)
        cols_eq.append(col)
        vals_eq.append(1.0)
    rows_eq += [n] * m
    cols_eq += list(range(nx, nx + m))
    vals_eq += [1.0] * m
    a_eq = sp.coo_matrix((vals_eq, (rows_eq, cols_eq)), shape=(n + 1, nx + m))
    b_eq = np.r_[np.ones(n), k]
    a_ub = sp.coo_matrix(([1.0] * nx + [-1.0] * nx, (list(range(nx)) * 2, list(range(nx)) + [nx + j for _, j in pairs])),
                         shape=(nx, nx + m))
    bounds = [(0, 1)] * nx + [(1 if j in keep else 0, 1) for j in range(m)]
    res = linprog(c, A_ub=a_ub, b_ub=np.zeros(nx), A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    assert res.status == 0
    return float(res.fun)


def instance(cost: np.ndarray, demand: np.ndarray, k: int, keep: tuple[int, ...] = ()):
    codes = tuple(f"S{j}" for j in range(cost.shape[1]))
    problem = SiteSelectionProblem(cost, demand, codes, k, keep=tuple(codes[j] for j in keep))
    return problem, reduce_problem(problem)


CASES = [  # (clients, sites, k, keep, seed, unreachable beyond)
    (9, 7, 3, (), 1, None),
    (12, 8, 2, (), 2, None),
    (10, 8, 3, (4,), 3, None),
    (14, 9, 4, (0, 5), 4, None),
    (12, 8, 3, (), 5, 45.0),
    (30, 12, 3, (), 6, None),
    (40, 14, 4, (2,), 7, None),
]


def test_bound_formula_by_hand() -> None:
    # 2 clients x 3 sites, k = 1; w = (1, 2); multipliers (10, 10)
    cost = np.array([[4.0, 8.0, 20.0], [9.0, 2.0, 1.0]])
    demand = np.array([1.0, 2.0])
    _, inst = instance(cost, demand, 1)
    value, rho, chosen = lagrangian_value(inst, inst_multipliers(inst, cost, demand, [10.0, 10.0]))
    # rho_j = min(0, 1*c_0j - 10) + min(0, 2*c_1j - 10): (-6 + 0, -2 - 6, 0 - 8) = (-6, -8, -8)
    # L = 20 + min rho = 12 (site 1, the first of the two -8s); the optimum is site 1: 8 + 4 = 12
    assert value == pytest.approx(12.0)
    assert np.flatnonzero(chosen).tolist() == [1]


def inst_multipliers(inst, cost: np.ndarray, demand: np.ndarray, per_client: list[float]) -> np.ndarray:
    """Multipliers of the original clients in the reduced instance's terms.

    The instance subtracts each row's smallest minutes (times its patients) into a
    constant, so a multiplier lambda on the original row is lambda - w c_min there.
    """
    assert inst.n_clients == len(per_client)  # the rows here are distinct
    originals = {tuple(np.round(cost[i] - cost[i].min(), 9)): i for i in range(len(cost))}
    out = np.empty(inst.n_clients)
    for r in range(inst.n_clients):
        i = originals[tuple(np.round(inst.cost[r], 9))]
        out[r] = per_client[i] - demand[i] * cost[i].min()
    return out


@pytest.mark.parametrize("case", CASES)
def test_bound_lies_below_every_set_for_any_multipliers(case) -> None:
    n, m, k, keep, seed, far = case
    cost, demand = geometric(n, m, seed, unreachable_beyond=far)
    problem, inst = instance(cost, demand, k, keep)
    best = min(all_sets(cost, demand, k, keep).values())
    rng = np.random.default_rng(seed)
    for _ in range(20):
        lam = rng.random(inst.n_clients) * rng.choice([10.0, 100.0, 1000.0]) - rng.choice([0.0, 50.0])
        value, _, chosen = lagrangian_value(inst, lam)
        assert value <= best + 1e-6 * abs(best)
        assert chosen.sum() == k and chosen[list(keep)].all()


@pytest.mark.parametrize("case", CASES)
def test_ascent_reaches_the_lp_bound_and_no_further(case) -> None:
    n, m, k, keep, seed, far = case
    cost, demand = geometric(n, m, seed, unreachable_beyond=far)
    problem, inst = instance(cost, demand, k, keep)
    sets = all_sets(cost, demand, k, keep)
    best = min(sets.values())
    lp = lp_bound(cost, demand, k, keep)
    finite = sorted((v, s) for s, v in sets.items() if math.isfinite(v))
    middling, hubs = finite[len(finite) // 2]  # a set of middling cost as the first target
    start = np.zeros(m, dtype=bool)
    start[list(hubs)] = True
    result = ascend(inst, middling, start)
    assert result.bound <= lp + 1e-6 * abs(lp)  # no multipliers beat the LP relaxation
    assert result.bound >= lp - 0.01 * abs(lp)  # and the ascent gets within 1% of it
    assert result.bound <= best + 1e-9


@pytest.mark.parametrize("case", CASES)
def test_bounds_with_a_candidate_forced_open_or_closed(case) -> None:
    n, m, k, keep, seed, far = case
    cost, demand = geometric(n, m, seed, unreachable_beyond=far)
    problem, inst = instance(cost, demand, k, keep)
    sets = all_sets(cost, demand, k, keep)
    start = np.zeros(m, dtype=bool)
    start[list(min(sets, key=sets.__getitem__))] = True
    result = ascend(inst, min(sets.values()), start, max_iterations=40)  # multipliers short of the best too
    with_open, with_closed = fixing_bounds(inst, result)
    for j in range(m):
        opened = [v for s, v in sets.items() if j in s]
        closed = [v for s, v in sets.items() if j not in s]
        assert with_open[j] <= min(opened) + 1e-6 * max(1.0, min(opened))
        if closed:
            assert with_closed[j] <= min(closed) + 1e-6 * max(1.0, min(closed))
        else:
            assert with_closed[j] == math.inf


def test_ruled_out_candidates_are_in_no_optimum() -> None:
    fixed_closed = fixed_open = 0
    for seed in range(12):
        n, m, k = 25 + seed, 10 + seed % 4, 2 + seed % 3
        keep = (seed % m,) if seed % 4 == 0 else ()
        cost, demand = geometric(n, m, 100 + seed)
        problem, inst = instance(cost, demand, k, keep)
        sets = all_sets(cost, demand, k, keep)
        best = min(sets.values())
        optima = [s for s, v in sets.items() if v <= best + 1e-9 * best]
        incumbent = np.zeros(m, dtype=bool)
        incumbent[list(optima[0])] = True
        result = ascend(inst, best, incumbent)
        for upper, mask in ((best, incumbent), (sorted(sets.values())[min(3, len(sets) - 1)], None)):
            if mask is None:  # a worse incumbent: the fourth-best set
                mask = np.zeros(m, dtype=bool)
                mask[list(sorted(sets, key=sets.__getitem__)[min(3, len(sets) - 1)])] = True
            closed, opened = fix_candidates(inst, result, upper, mask)
            for s in optima:
                assert not closed[list(s)].any(), (seed, s)
                assert set(np.flatnonzero(opened)) <= set(s), (seed, s)
            assert not closed[mask].any() and not (opened & ~mask).any()
            fixed_closed += int(closed.sum())
            fixed_open += int(opened.sum())
    assert fixed_closed > 50 and fixed_open > 0  # the fixing does rule candidates out


@pytest.mark.parametrize("k, keep, seed, far", [(3, (), 11, None), (4, (), 12, None), (5, (3, 17), 13, None),
                                                 (3, (), 14, 60.0), (5, (8,), 15, None)])
def test_solve_with_fixing_is_the_brute_force_optimum(k, keep, seed, far) -> None:
    cost, demand = geometric(45, 22, seed, unreachable_beyond=far)
    problem, _ = instance(cost, demand, k, keep)
    sets = all_sets(cost, demand, k, keep)
    best = min(sets.values())
    assert math.isfinite(best)
    if far is not None:  # some sets leave patients with no hub they can reach
        assert any(not math.isfinite(v) for v in sets.values())
    solution = solve_exact(problem, lagrangian=True, time_limit=60)
    assert solution.method == LAGRANGIAN_METHOD_NAME
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(best / demand.sum(), rel=1e-9)
    assert solution.bound <= solution.objective + 1e-12
    assert solution.details["lagrangian_bound"] <= best / demand.sum() + 1e-9
    assert solution.details["candidates_left"] + solution.details["candidates_fixed_closed"] == 22
    assert set(problem.keep) <= set(solution.sites)
    plain = solve_exact(problem, lagrangian=False, time_limit=60)
    assert plain.method == METHOD_NAME and plain.objective == pytest.approx(solution.objective, rel=1e-9)


def _brute_force_k3(cost: np.ndarray, demand: np.ndarray) -> float:
    """The best mean minutes over every set of 3 hubs, a pair at a time."""
    m = cost.shape[1]
    best = math.inf
    for a in range(m):
        for b in range(a + 1, m - 1):
            pair = np.minimum(cost[:, a], cost[:, b])
            values = demand @ np.minimum(pair[:, None], cost[:, b + 1:])
            best = min(best, float(values.min()))
    return best / float(demand.sum())


def test_installed_hubplan_rules_candidates_out_at_200_sites(tmp_path: Path) -> None:
    n, m = 60, LAGRANGIAN_MIN_CANDIDATES
    cost, demand = geometric(n, m, 31)
    cost = cost + 1.0  # no zero minutes
    folder = tmp_path / "net"
    folder.mkdir()
    areas = ["area_code,area_name,latitude,longitude,country,icb,stroke_admissions"]
    areas += [f"A{i},Area {i},52.{i:02d},-1.{i:02d},England,ICB1,{demand[i]:g}" for i in range(n)]
    sites = ["site_code,site_name,latitude,longitude,country,thrombectomy,ivt"]
    sites += [f"S{j:03d},Site {j},52.{j:03d},-1.{j:03d},England,0,1" for j in range(m)]
    times = ["area_code,site_code,minutes"]
    times += [f"A{i},S{j:03d},{cost[i, j]:g}" for i in range(n) for j in range(m)]
    (folder / "areas.csv").write_text("\n".join(areas) + "\n")
    (folder / "sites.csv").write_text("\n".join(sites) + "\n")
    (folder / "travel_times.csv").write_text("\n".join(times) + "\n")
    res = subprocess.run([str(HUBPLAN), "optimise", "--data", str(folder), "--k", "3", "--pathway", "direct",
                          "--format", "json"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    solution = json.loads(res.stdout)["solution"]
    assert solution["status"] == "optimal"
    assert solution["method"] == LAGRANGIAN_METHOD_NAME
    assert solution["objective"] == pytest.approx(_brute_force_k3(cost, demand), rel=1e-6)  # minutes stored as float32
    details = solution["details"]
    assert details["candidates_left"] < m and details["candidates_fixed_closed"] == m - details["candidates_left"]
    assert details["lagrangian_bound"] <= solution["objective"] + 1e-9
