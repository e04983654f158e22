"""Site selection: exact = brute force on small random instances, heuristic never better,
monotone in k, keep/exclude respected, infeasibility explained, parity with evaluate."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hubplan import Service, evaluate
from hubplan.errors import InfeasibleError, InputError
from hubplan.optimise import SiteSelectionProblem, solve, solve_heuristic, sweep
from hubplan.testing import make_network, tiny_network

OBJECTIVES = ("p-median", "coverage", "p-centre")


def random_problem(seed: int, objective: str, *, constraints: bool) -> SiteSelectionProblem:
    rng = np.random.default_rng(seed)
    n_clients = int(rng.integers(4, 30))
    n_sites = int(rng.integers(3, 13))
    if seed % 2:
        cost = rng.integers(1, 60, size=(n_clients, n_sites)).astype(float)  # many ties
    else:
        cost = np.round(rng.random((n_clients, n_sites)) * 60, 1)
    if seed % 5 == 0:
        cost[rng.random(cost.shape) < 0.2] = np.inf
    demand = rng.integers(0, 20, size=n_clients).astype(float)
    k = int(rng.integers(1, n_sites + 1))
    codes = tuple(f"S{j}" for j in range(n_sites))
    kwargs: dict = {}
    if constraints:
        kwargs["keep"] = tuple(codes[j] for j in rng.choice(n_sites, size=int(rng.integers(0, min(k, 3) + 1)), replace=False))
        if seed % 2:
            kwargs["min_patients_per_hub"] = float(rng.integers(0, 40))
        if seed % 3 == 1:
            kwargs["max_patients_per_hub"] = float(rng.integers(20, 150))
        if seed % 7 == 3:
            kwargs["max_minutes"] = float(rng.integers(20, 60))
    return SiteSelectionProblem(cost, demand, codes, k, objective=objective, threshold_minutes=20.0, **kwargs)


def brute_force(problem: SiteSelectionProblem) -> float | None:
    """Best objective over all feasible k-subsets (coverage negated: smaller is better)."""
    best = None
    for combo in itertools.combinations(range(problem.n_candidates), problem.k):
        if problem.violations(list(combo)):
            continue
        value = problem.objective_value(list(combo))
        value = -value if problem.objective.value == "coverage" else value
        if best is None or value < best - 1e-9:
            best = value
    return best


def signed(problem: SiteSelectionProblem, value: float) -> float:
    return -value if problem.objective.value == "coverage" else value


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("constraints", [False, True], ids=["plain", "constrained"])
def test_exact_equals_brute_force(objective: str, constraints: bool) -> None:
    checked = 0
    for seed in range(40):
        problem = random_problem(seed, objective, constraints=constraints)
        best = brute_force(problem)
        if best is None:
            with pytest.raises(InfeasibleError):
                solve(problem)
            continue
        solution = solve(problem, time_limit=30)
        assert solution.status == "optimal", (seed, solution)
        assert signed(problem, solution.objective) == pytest.approx(best, rel=1e-7, abs=1e-7), seed
        assert problem.violations(problem.positions(solution.sites)) == []
        assert solution.gap == pytest.approx(0.0, abs=1e-6)
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_heuristic_never_better_than_optimum(objective: str) -> None:
    compared = 0
    for seed in range(30):
        problem = random_problem(seed, objective, constraints=True)
        try:
            exact = solve(problem)
        except InfeasibleError:
            continue
        heuristic = solve_heuristic(problem, seed=seed, restarts=2)
        if heuristic.status == "feasible":
            assert signed(problem, heuristic.objective) >= signed(problem, exact.objective) - 1e-9
            assert problem.violations(problem.positions(heuristic.sites)) == []
            compared += 1
    assert compared >= 10  # (17 of the 30 random problems are feasible, and the heuristic solves each)


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_optimum_monotone_in_k(objective: str) -> None:
    for seed in range(8):
        base = random_problem(seed, objective, constraints=False)
        values = [signed(base, solve(base.with_k(k)).objective) for k in range(1, base.n_candidates + 1)
                  if np.isfinite(base.cost_minutes).any(axis=0).sum() >= 1 and _feasible(base.with_k(k))]
        assert all(b <= a + 1e-9 for a, b in zip(values, values[1:])), (seed, values)


def _feasible(problem: SiteSelectionProblem) -> bool:
    try:
        problem.check_feasible()
        solve(problem)
        return True
    except InfeasibleError:
        return False


def test_adding_a_candidate_never_worsens() -> None:
    rng = np.random.default_rng(3)
    cost = np.round(rng.random((25, 8)) * 60, 1)
    demand = rng.integers(1, 10, size=25).astype(float)
    small = SiteSelectionProblem(cost[:, :6], demand, tuple(f"S{j}" for j in range(6)), 3)
    large = SiteSelectionProblem(cost, demand, tuple(f"S{j}" for j in range(8)), 3)
    assert solve(large).objective <= solve(small).objective + 1e-9


def test_coverage_never_falls_as_threshold_rises() -> None:
    rng = np.random.default_rng(4)
    cost = np.round(rng.random((30, 9)) * 60, 1)
    demand = rng.integers(1, 10, size=30).astype(float)
    shares = [solve(SiteSelectionProblem(cost, demand, tuple(f"S{j}" for j in range(9)), 2,
                                         objective="coverage", threshold_minutes=t)).objective
              for t in (10, 20, 30, 45)]
    assert shares == sorted(shares)


def test_keep_and_exclude_respected() -> None:
    net = make_network(
        [[5, 30, 40, 50], [30, 5, 40, 50], [40, 30, 5, 50], [50, 40, 30, 5]],
        demand=[10, 10, 10, 10],
    )
    svc = Service(name="demo")
    problem = SiteSelectionProblem.from_network(net, svc, k=2, pathway="direct", keep=["S4"], exclude=["S1"])
    assert "S1" not in problem.candidate_codes
    for method in ("exact", "heuristic"):
        solution = solve(problem, method=method)
        assert "S4" in solution.sites and "S1" not in solution.sites


def test_hand_worked_p_median() -> None:
    # tiny_network: H1 serves A1 (20) and A2 (10); with one hub H1 is best (mean 20)
    solution = solve(SiteSelectionProblem.from_network(tiny_network(), Service(name="demo"), k=1, pathway="direct"))
    assert solution.sites == ("H1",)
    assert solution.objective == pytest.approx(20.0)
    assert solution.status == "optimal"


def test_infeasible_messages_name_the_constraint() -> None:
    cost = np.array([[1.0, 9.0, 9.0], [9.0, 1.0, 9.0], [9.0, 9.0, 1.0]])
    demand = np.array([100.0, 100.0, 100.0])
    codes = ("A", "B", "C")
    with pytest.raises(InfeasibleError, match="keep has 3 sites but k is 2"):
        solve(SiteSelectionProblem(cost, demand, codes, 2, keep=codes))
    with pytest.raises(InfeasibleError, match="max patients per hub: 2 hubs of at most 120"):
        solve(SiteSelectionProblem(cost, demand, codes, 2, max_patients_per_hub=120))
    with pytest.raises(InfeasibleError, match="min patients per hub: 300 patients per year cannot give each of 3 hubs"):
        solve(SiteSelectionProblem(cost, demand, codes, 3, min_patients_per_hub=150))
    with pytest.raises(InfeasibleError, match="workforce: 10 consultants / 5 per hub allows at most 2 hubs"):
        solve(SiteSelectionProblem(cost, demand, codes, 3, max_hubs_by_workforce=2,
                                   workforce_note="10 consultants / 5 per hub"))
    with pytest.raises(InfeasibleError, match="keep site A is the nearest candidate for 100"):
        solve(SiteSelectionProblem(cost, np.array([100.0, 10.0, 10.0]), codes, 2, keep=("A",),
                                   max_patients_per_hub=90))
    # only the exact method can prove this one: 2 hubs, each >= 120 and <= 180, nearest-hub rule
    cost2 = np.array([[1.0, 5.0, 9.0], [5.0, 1.0, 9.0], [9.0, 5.0, 1.0]])
    with pytest.raises(InfeasibleError, match="no set of 2 hubs"):
        solve(SiteSelectionProblem(cost2, np.array([100.0, 10.0, 130.0]), codes, 2,
                                   min_patients_per_hub=115, max_patients_per_hub=125))


def test_bad_inputs() -> None:
    with pytest.raises(InputError, match="threshold"):
        SiteSelectionProblem(np.ones((2, 2)), np.ones(2), ("A", "B"), 1, objective="coverage")
    with pytest.raises(InputError, match="unknown objective"):
        SiteSelectionProblem(np.ones((2, 2)), np.ones(2), ("A", "B"), 1, objective="fastest")
    with pytest.raises(InputError, match="not a candidate"):
        SiteSelectionProblem(np.ones((2, 2)), np.ones(2), ("A", "B"), 1, keep=("C",))


def test_treat_and_transfer_costs_match_evaluate() -> None:
    rng = np.random.default_rng(11)
    n_areas, n_sites = 40, 7
    minutes = np.round(rng.random((n_areas, n_sites)) * 50 + 5, 1)
    minutes[:5, 0] = minutes[:5, 1]  # first-site ties
    site = np.round(rng.random((n_sites, n_sites)) * 40 + 10, 1)
    site = (site + site.T) / 2
    np.fill_diagonal(site, 0)
    net = make_network(minutes.tolist(), site.tolist(), demand=rng.integers(0, 9, n_areas).tolist())
    svc = Service(name="demo", pathway="treat_and_transfer", transfer_delay_minutes=45)
    problem = SiteSelectionProblem.from_network(net, svc, k=2, spokes="rest")
    for hubs in itertools.combinations(range(n_sites), 2):
        ev = evaluate(net, svc, problem.option([problem.candidate_codes[j] for j in hubs]))
        assert ev.summary["time_to_hub"]["mean"] == pytest.approx(problem.objective_value(hubs), rel=1e-9)
        volumes = problem.hub_patients(hubs)
        for j in hubs:
            assert ev.sites.loc[problem.candidate_codes[j], "catchment_patients"] == pytest.approx(volumes[j])
    solution = solve(problem)
    best = min(problem.objective_value(h) for h in itertools.combinations(range(n_sites), 2))
    assert solution.objective == pytest.approx(best)


def test_solution_is_immutable_and_json_ready() -> None:
    solution = solve(SiteSelectionProblem.from_network(tiny_network(), Service(name="demo"), k=2, pathway="direct"))
    with pytest.raises(Exception):
        solution.objective = 0.0  # type: ignore[misc]
    data = solution.to_json()
    assert set(data) >= {"sites", "objective", "bound", "gap", "status", "method", "seconds"}
    assert data["status"] == "optimal"


def test_sweep_rows() -> None:
    rng = np.random.default_rng(5)
    problem = SiteSelectionProblem(np.round(rng.random((30, 8)) * 60, 1), np.ones(30),
                                   tuple(f"S{j}" for j in range(8)), 1, keep=("S2",))
    table = sweep(problem, range(1, 5), method="exact")
    assert list(table["k"]) == [1, 2, 3, 4]
    assert (table["objective"].diff().dropna() <= 1e-9).all()
    assert all("S2" in s for s in table["sites"])
