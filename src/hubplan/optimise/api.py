"""Entry points: :func:`solve`, :func:`solve_heuristic` and :func:`optimise`."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from hubplan.errors import InputError
from hubplan.optimise._instance import reduce_problem
from hubplan.optimise.exact import solve_exact
from hubplan.optimise.heuristic import local_search
from hubplan.optimise.problem import Objective, SiteSelectionProblem
from hubplan.optimise.solution import Solution
from hubplan.validation import check_number

if TYPE_CHECKING:
    from hubplan.access.evaluate import Evaluation
    from hubplan.geography.network import Network
    from hubplan.services import Service

HEURISTIC_NAME = "heuristic (greedy + vertex substitution)"


def solve(
    problem: SiteSelectionProblem,
    *,
    method: str = "exact",
    time_limit: float = 300.0,
    seed: int | None = 0,
    restarts: int = 0,
    threads: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Solution:
    """Solve a site-selection problem.

    Parameters
    ----------
    method:
        ``"exact"`` (HiGHS; proves optimality or reports the proven gap) or
        ``"heuristic"`` (greedy + vertex substitution; no bound).
    time_limit:
        Seconds for the whole solve, whichever the method: reducing the problem, the
        heuristic, building the models and every HiGHS round (not building the
        problem, which the caller did). When it runs out the exact method returns the
        best set found with status ``time_limit`` and its proven gap (``nan`` if HiGHS
        had no time to prove a bound); the heuristic returns its best set so far.
        Checked against ``LIMITS["time_limit_seconds"]`` (0 < seconds <= a week).
    seed, restarts:
        Random restarts of the heuristic (0 to 1,000), drawn from
        ``numpy.random.default_rng(seed)`` (seed 0 to 2**32 - 1, or ``None``).
    progress:
        Called with one line of text at each step (the CLI shows it on stderr).

    Raises
    ------
    InfeasibleError
        When the constraints cannot all be met; the message names the constraint.
    """
    deadline = time.perf_counter() + check_number(time_limit, "time_limit_seconds", "time_limit")
    restarts = check_number(restarts, "restarts", "restarts")
    seed = check_number(seed, "seed", "seed")
    key = method.strip().lower()
    if key == "exact":
        return solve_exact(problem, time_limit=time_limit, seed=seed, restarts=restarts,
                           threads=threads, progress=progress, deadline=deadline)
    if key == "heuristic":
        return solve_heuristic(problem, seed=seed, restarts=restarts, deadline=deadline)
    raise InputError(f"unknown method {method!r}: expected 'exact' or 'heuristic'")


def solve_heuristic(
    problem: SiteSelectionProblem, *, seed: int | None = 0, restarts: int = 0,
    start: tuple[str, ...] | None = None,
    deadline: float | None = None,
) -> Solution:
    """Greedy + vertex substitution (see :mod:`hubplan.optimise.heuristic`).

    ``start`` optionally names hubs to start from (e.g. the answer for ``k - 1``).
    The status is ``feasible`` when every constraint is met, else ``no_feasible_found``.
    ``deadline`` (a :func:`time.perf_counter` value) stops the search early.
    """
    t0 = time.perf_counter()
    problem.check_feasible()
    inst = reduce_problem(problem)
    mask = None
    if start is not None:
        mask = np.zeros(problem.n_candidates, dtype=bool)
        mask[problem.positions(list(start))] = True
    result = local_search(inst, start=mask, restarts=restarts, seed=seed, deadline=deadline)
    sites = result.open_positions
    feasible = result.violation <= 1e-6
    volumes = problem.hub_patients(sites)
    return Solution(
        sites=tuple(problem.candidate_codes[j] for j in sites),
        objective=problem.objective_value(sites),
        bound=float("nan"),
        gap=float("nan"),
        status="feasible" if feasible else "no_feasible_found",
        method=HEURISTIC_NAME,
        seconds=time.perf_counter() - t0,
        seed=seed,
        objective_name=problem.objective.value,
        hub_patients=tuple(volumes[sites]),
        details={"swaps": result.swaps, "restarts": restarts,
                 **({"time_limit_reached": True} if result.stopped_at_deadline else {}),
                 **({} if feasible else {"violations": problem.violations(sites)})},
    )


def optimise(
    network: "Network",
    service: "Service",
    *,
    k: int,
    objective: "Objective | str" = Objective.P_MEDIAN,
    method: str = "exact",
    time_limit: float = 300.0,
    seed: int | None = 0,
    progress: Callable[[str], None] | None = None,
    **problem_options: Any,
) -> tuple[Solution, "Evaluation"]:
    """Build the problem, solve it and evaluate the chosen hubs.

    ``problem_options`` are passed to :meth:`SiteSelectionProblem.from_network`
    (``keep``, ``exclude``, ``candidates``, ``pathway``, ``spokes``, ``threshold_minutes``,
    ``min_patients_per_hub``, ``max_patients_per_hub``, ``workforce_available``...).

    >>> from hubplan.testing import tiny_network
    >>> from hubplan import Service
    >>> solution, evaluation = optimise(tiny_network(), Service(name="demo"), k=1)
    >>> solution.sites, round(evaluation.summary["time_to_hub"]["mean"], 2)
    (('H1',), 20.0)
    """
    from hubplan.access.evaluate import evaluate

    problem = SiteSelectionProblem.from_network(network, service, k=k, objective=objective, **problem_options)
    solution = solve(problem, method=method, time_limit=time_limit, seed=seed, progress=progress)
    evaluation = evaluate(network, service, problem.option(solution.sites))
    return solution, evaluation
