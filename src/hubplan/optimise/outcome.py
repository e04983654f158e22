"""Sites chosen for outcome: the most added good outcomes (or utility) a year, exactly.

Every patient still goes to the nearest hub by road (the pathway rules). Because an
outcome model's benefit falls with minutes (:mod:`hubplan.outcomes`), the nearest hub
is also the one with the best outcome, so the outcome of each client at each candidate
is a cost matrix and the exact p-median machinery applies unchanged::

    loss[a, j] = v_max - v[a, j] + 1e-12 x minutes[a, j]

where ``v[a, j]`` is the added good outcomes (or utility) per admission of client ``a``
when ``j`` is its hub, from the model's tabulated curves (within 1e-10 of the package, as in evaluations),
and ``v_max`` the largest. Minimising the patient-weighted loss maximises the added
outcomes; the tiny minutes term only keeps the order of equal outcomes (past every
treatment window) the order of minutes, so that catchments, and volume limits on them,
are those of nearest-hub routing. It is worth at most ``1e-12 x patients x minutes``
(about 3e-5 good outcomes a year nationally), well inside the solver's tolerance.

``direct``: a client's first hospital is its hub (IVT and MT there). ``treat_and_transfer``
with fixed spokes (bypass 0): each area's first site is its nearest hub-or-spoke, fixed
whatever the choice (as in :meth:`SiteSelectionProblem.from_network`), so IVT time is
fixed and MT time is the problem's minutes to each candidate, with the shorter
arrival-to-puncture after a transfer.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd

from hubplan.errors import InputError
from hubplan.optimise.api import solve
from hubplan.optimise.problem import TIE_TOLERANCE_MINUTES, Objective, SiteSelectionProblem
from hubplan.optimise.solution import Solution
from hubplan.outcomes import OutcomeModel, outcome_model

if TYPE_CHECKING:
    from hubplan.geography.network import Network
    from hubplan.services import Service

#: Weight of minutes in the loss (see the module docstring).
TIE_BREAK_PER_MINUTE = 1e-12
MEASURES = {"good": "added good outcomes (mRS 0-2) a year", "utility": "added utility a year"}
OBJECTIVE_NAME = "outcome"


@dataclass(frozen=True, eq=False)
class OutcomeProblem:
    """A site-selection problem whose objective is an outcome (see the module docstring)."""

    minutes_problem: SiteSelectionProblem
    loss_problem: SiteSelectionProblem
    value: np.ndarray  # (clients, candidates): added outcome per admission
    measure: str
    model: OutcomeModel
    v_max: float

    @property
    def measure_label(self) -> str:
        """What the objective counts, in words (a curve's own measure for a curve)."""
        if self.measure == "utility":
            return MEASURES["utility"]
        return f"added {self.model.measure} a year" if self.model.name == "curve" else MEASURES["good"]

    @property
    def description(self) -> str:
        return f"{self.minutes_problem.description}; objective: {self.measure_label} ({self.model.name} model)"

    def value_of(self, open_positions: "np.ndarray | list[int]") -> float:
        """Added outcomes a year of a set of hubs (patients at their nearest hub by road)."""
        hub, minutes = self.minutes_problem.assignment(open_positions)
        rows = np.arange(self.minutes_problem.n_clients)
        v = np.where(np.isfinite(minutes), self.value[rows, hub], 0.0)
        return float(np.dot(self.minutes_problem.demand, v))


def outcome_problem(problem: SiteSelectionProblem, network: "Network", service: "Service",
                    measure: str = "good") -> OutcomeProblem:
    """The outcome version of a p-median problem built by ``SiteSelectionProblem.from_network``."""
    if measure not in MEASURES:
        raise InputError(f"unknown outcome measure {measure!r}: expected good or utility")
    model = outcome_model(service)
    if model is None:
        raise InputError(f"--objective outcome: service {service.name!r} has no outcome model; give a curve "
                         "with --outcome-curve FILE.csv (docs/outcomes.md)")
    if problem.max_minutes is not None:
        raise InputError("--objective outcome with --max-minutes is not supported: optimise for outcome, then "
                         "check the longest time, or optimise minutes with --max-minutes")
    if problem.client_codes is None:
        raise InputError("an outcome problem needs the areas of its clients (build it from a network)")
    cost = problem.cost_minutes
    rows = network.areas.index.get_indexer(list(problem.client_codes))
    if (rows < 0).any():
        raise InputError("the problem's areas are not all in this network")
    if problem.spoke_codes:
        first_pos = np.sort(network.site_positions(list(problem.spoke_codes)))
        cand_pos = network.site_positions(list(problem.candidate_codes))
        minutes = network.area_site_minutes[rows].astype(np.float64)
        t0 = minutes[:, first_pos].min(axis=1)
        to_cand = minutes[:, cand_pos]
        direct = to_cand <= t0[:, None] + TIE_TOLERANCE_MINUTES
        first = np.where(direct, to_cand, t0[:, None])
        transferred = ~direct
    else:
        first = cost
        transferred = np.zeros(cost.shape, dtype=bool)
    finite = np.isfinite(cost)
    value = np.zeros(cost.shape)
    if finite.any():
        value[finite] = model.value_matrix(first[finite], cost[finite], transferred[finite], measure)
    v_max = float(value[finite].max()) if finite.any() else 0.0
    loss = np.where(finite, v_max - value + TIE_BREAK_PER_MINUTE * np.where(finite, cost, 0.0), np.inf)
    loss = np.maximum(loss, 0.0)
    loss_problem = problem.with_changes(cost_minutes=loss, objective=Objective.P_MEDIAN)
    return OutcomeProblem(problem, loss_problem, value, measure, model, v_max)


def solve_outcome(op: OutcomeProblem, *, method: str = "exact", time_limit: float = 300.0, seed: int | None = 0,
                  restarts: int = 0, threads: int | None = None,
                  progress: Callable[[str], None] | None = None) -> Solution:
    """Maximise the added outcomes: the p-median solve of the loss, reported in outcomes a
    year (``objective``; ``bound`` an upper bound proven by the exact method)."""
    t0 = time.perf_counter()
    sol = solve(op.loss_problem, method=method, time_limit=time_limit, seed=seed, restarts=restarts,
                threads=threads, progress=progress)
    value, bound, gap = _in_outcomes(op, op.minutes_problem, sol.sites, sol.bound, sol.status)
    p = op.minutes_problem
    details: dict[str, Any] = {**sol.details, "measure": op.measure, "measure_label": op.measure_label,
                               "model": op.model.name, "mean_minutes": p.objective_value(p.positions(list(sol.sites)))}
    # the loss solve's own figures, in outcomes a year (the heuristic's set: its value;
    # the Lagrangian bound: an upper bound, as ``bound``)
    total = p.total_demand
    if isinstance(details.get("heuristic_objective"), float):
        details["heuristic_objective"] = total * (op.v_max - details["heuristic_objective"])
    if isinstance(details.get("lagrangian_bound"), float):
        details["lagrangian_bound"] = total * (op.v_max - details["lagrangian_bound"])
    if isinstance(details.get("neighbourhood_objective"), float):
        details["neighbourhood_objective"] = total * (op.v_max - details["neighbourhood_objective"])
    return replace(sol, objective=value, bound=bound, gap=gap, objective_name=OBJECTIVE_NAME,
                   seconds=time.perf_counter() - t0, details=details)


def _in_outcomes(op: OutcomeProblem, problem: SiteSelectionProblem, sites: "tuple[str, ...] | list[str]",
                 loss_bound: float, status: str) -> tuple[float, float, float]:
    """A loss solution in outcomes a year: the value of ``sites``, the proven upper bound
    (from the loss's lower bound, allowing for the minutes tie-break) and the gap."""
    value = op.value_of(problem.positions(list(sites)))
    total = problem.total_demand
    bound = math.nan
    if math.isfinite(loss_bound):
        longest = float(np.max(problem.cost_minutes[np.isfinite(problem.cost_minutes)], initial=0.0))
        bound = total * (op.v_max - loss_bound) + TIE_BREAK_PER_MINUTE * total * longest
        if status == "optimal":
            bound = value
        bound = max(bound, value)
    gap = abs(bound - value) / max(abs(value), 1e-12) if math.isfinite(bound) else math.nan
    return value, bound, gap


def sweep_outcome(op: OutcomeProblem, ks: "list[int]", *, network: "Network", service: "Service",
                  **options: Any) -> pd.DataFrame:
    """:func:`hubplan.optimise.sweep` for the outcome objective: each k's best sites for
    outcome, ``objective`` / ``bound`` / ``gap`` in added outcomes a year (see
    :func:`solve_outcome`), with the usual evaluation columns."""
    from hubplan.optimise.sweep import sweep

    table = sweep(op.loss_problem, ks, network=network, service=service, **options)
    for i, row in table.iterrows():
        if row.get("status") == "infeasible":
            continue
        sites = [s for s in str(row["sites"]).split(";") if s]
        value, bound, gap = _in_outcomes(op, op.minutes_problem.with_k(int(row["k"])), sites,
                                         float(row["bound"]), str(row["status"]))
        table.loc[i, ["objective", "bound", "gap"]] = [value, bound, gap]
    return table
