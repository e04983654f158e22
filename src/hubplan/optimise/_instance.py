"""The reduced form of a problem that both solvers work on (private).

Reductions, each exact:

* clients without patients are dropped (they cannot change any objective or volume);
* with ``max_minutes``, a candidate further than that from a client is made
  unreachable for it (then "every client is served" = "nobody is further than that");
* for p-median each row's smallest minutes are moved into a constant (the order of
  candidates in a row, hence who goes where, does not change), so rows that differ only
  by a constant, such as areas with the same first site under treat-and-transfer,
  become identical;
* identical rows are merged and their patients added.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from hubplan.optimise.problem import TIE_TOLERANCE_MINUTES, Objective, SiteSelectionProblem


@dataclass(frozen=True, eq=False)
class Instance:
    cost: np.ndarray  # (n_clients, n_candidates) float64, inf = cannot serve
    demand: np.ndarray  # (n_clients,) patients per year, all > 0
    offset: float  # sum of demand x row offset (p-median), patient-minutes
    keep: np.ndarray  # (n_candidates,) bool
    k: int
    objective: Objective
    threshold_minutes: float | None
    min_patients: float | None
    max_patients: float | None
    total_demand: float
    n_original_clients: int

    @property
    def n_clients(self) -> int:
        return int(self.cost.shape[0])

    @property
    def n_candidates(self) -> int:
        return int(self.cost.shape[1])

    @property
    def has_volumes(self) -> bool:
        return self.min_patients is not None or self.max_patients is not None

    @cached_property
    def has_unreachable(self) -> bool:
        return bool(np.isinf(self.cost).any())

    @cached_property
    def order(self) -> np.ndarray:
        """Candidates of each client from cheapest to dearest (ties: lower index first)."""
        return np.argsort(self.cost, axis=1, kind="stable").astype(np.intp)

    @cached_property
    def sorted_cost(self) -> np.ndarray:
        return np.take_along_axis(self.cost, self.order, axis=1)

    @cached_property
    def reachable_count(self) -> np.ndarray:
        return np.isfinite(self.cost).sum(axis=1)

    @cached_property
    def first_keep_position(self) -> np.ndarray:
        """Per client: position in its order of the first kept candidate (n if none)."""
        if not self.keep.any():
            return np.full(self.n_clients, self.n_candidates, dtype=np.intp)
        kept = self.keep[self.order] & np.isfinite(self.sorted_cost)
        has = kept.any(axis=1)
        return np.where(has, np.argmax(kept, axis=1), self.n_candidates).astype(np.intp)

    def within_count(self, minutes: float) -> np.ndarray:
        """Per client: how many candidates are within ``minutes`` (after the offset)."""
        return (self.sorted_cost <= minutes + TIE_TOLERANCE_MINUTES).sum(axis=1)

    def assign(self, open_positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Hub (candidate index; -1 if none reachable) and cost for each client."""
        chosen = np.sort(np.asarray(open_positions, dtype=np.intp))
        sub = self.cost[:, chosen]
        best = np.argmin(sub, axis=1)
        minutes = sub[np.arange(self.n_clients), best]
        hub = np.where(np.isfinite(minutes), chosen[best], -1)
        return hub, minutes

    def open_position_in_order(self, open_mask: np.ndarray) -> np.ndarray:
        """Per client: position in its order of its first open candidate (n if none)."""
        hit = open_mask[self.order] & np.isfinite(self.sorted_cost)
        has = hit.any(axis=1)
        return np.where(has, np.argmax(hit, axis=1), self.n_candidates).astype(np.intp)


def reduce_problem(problem: SiteSelectionProblem, objective: Objective | None = None) -> Instance:
    """The reduced instance of a problem (see the module docstring)."""
    objective = objective or problem.objective
    key = (objective is Objective.P_MEDIAN, problem.max_minutes)
    if key not in problem._reduced:
        problem._reduced.clear()
        problem._reduced[key] = _reduce_costs(problem, objective)
    unique, merged, offset, total = problem._reduced[key]
    keep = np.zeros(problem.n_candidates, dtype=bool)
    keep[problem.keep_positions] = True
    return Instance(
        cost=unique,
        demand=merged,
        offset=offset,
        keep=keep,
        k=problem.k,
        objective=objective,
        threshold_minutes=problem.threshold_minutes,
        min_patients=problem.min_patients_per_hub,
        max_patients=problem.max_patients_per_hub,
        total_demand=total,
        n_original_clients=problem.n_clients,
    )


def _reduce_costs(problem: SiteSelectionProblem, objective: Objective) -> tuple[np.ndarray, np.ndarray, float, float]:
    served = problem.demand > 0
    cost = problem.cost_minutes[served].copy()
    demand = problem.demand[served]
    if problem.max_minutes is not None:
        cost[cost > problem.max_minutes + TIE_TOLERANCE_MINUTES] = np.inf
    offset = 0.0
    if objective is Objective.P_MEDIAN and len(cost):
        row_min = cost.min(axis=1)
        row_min[~np.isfinite(row_min)] = 0.0
        cost -= row_min[:, None]
        offset = float(np.dot(row_min, demand))
    if len(cost):
        unique, inverse = _unique_rows(cost)
        merged = np.bincount(inverse, weights=demand, minlength=len(unique))
    else:
        unique, merged = cost, demand
    unique = np.ascontiguousarray(unique)
    unique.setflags(write=False)
    return unique, merged, offset, float(demand.sum())


def _unique_rows(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(cost, axis=0, return_inverse=True)``, faster.

    Rows are grouped by their bytes in a dictionary (exact: equal bytes are equal
    minutes), then only the distinct rows are put in the same lexicographic order as
    ``np.unique`` gives. Nationally (32,494 areas x 113 sites) this takes 0.02-0.3 s
    instead of 0.5-0.9 s, time that counts against a solve's time limit.
    """
    ids: dict[bytes, int] = {}
    rows = np.ascontiguousarray(cost)
    inverse = np.fromiter((ids.setdefault(r.tobytes(), len(ids)) for r in rows), dtype=np.intp, count=len(rows))
    first = np.zeros(len(ids), dtype=np.intp)
    first[inverse[::-1]] = np.arange(len(rows))[::-1]  # each distinct row's first client
    distinct = rows[first]
    order = np.lexsort(distinct.T[::-1]) if distinct.shape[1] else np.arange(len(distinct))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return distinct[order], rank[inverse]
