"""Neighbourhood search for site selection with volume limits (private).

With a maximum (or minimum) number of patients per hub and patients going to their
nearest hub, the exact model's relaxation is weak (see docs/optimise.md), so within a
time limit HiGHS mostly proves a bound and rarely improves the set it was given. This
search improves that set while HiGHS works on the bound, on the other core: it frees
the hubs of one part of the map at a time and re-optimises them exactly with every
other site fixed as it is (open or closed), a large-neighbourhood search in the sense
of Shaw (1998) with exact sub-problems (Fischetti and Lodi's "fix and optimise").

A neighbourhood is a site and its :data:`NEIGHBOURHOOD_SITES` - 1 nearest sites, "near"
meaning the shortest trip from one to the other through an area, ``min_i (c_ia + c_ib)``
(the road minutes between them when an area lies on the way). In a sub-problem the
sites outside the neighbourhood keep their state, so the number of hubs inside it is
that of the best set; hubs move between neighbouring parts of the map because
neighbourhoods overlap. Every sub-problem is the full problem restricted (the same
patients, costs and volume limits, including those of the fixed hubs, whose catchments
change when their neighbours do), so an improvement found is an improvement of the
whole. Seeds are taken in a random order drawn from ``numpy.random.default_rng(seed)``;
after a whole pass over every site with no improvement, the best set is optimal in
every neighbourhood and the search stops.

The search finds sets, never bounds: the bound comes from the full model.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from hubplan.optimise._instance import Instance

#: Sites in one neighbourhood. Nationally (England, 113 stroke units, k = 24, at most
#: 4,000 patients per hub) 15, 20 and 25 sites improved the eight-restart heuristic's
#: 34.06 min to 33.83, 33.80 and 33.84 in 60 s on one core: 20 is large enough to move
#: a hub across a region and small enough to solve in 1-5 s.
NEIGHBOURHOOD_SITES = 20
#: Seconds one sub-problem may take at most (it keeps the best set found if it stops).
NEIGHBOURHOOD_SECONDS = 10.0
_PROXIMITY_ROWS = 4096

#: ``solve(sub_instance, start_mask, deadline) -> (mask, value, proven)``: the best set
#: of a sub-problem (feasible, at least as good as the start), its model value, and
#: whether it was proven optimal for the sub-problem.
SubSolver = Callable[[Instance, np.ndarray, float], tuple[np.ndarray, float, bool]]


@dataclass
class SearchResult:
    best_mask: np.ndarray
    best_value: float
    searched: int = 0  # neighbourhoods re-optimised
    improvements: int = 0
    complete_pass: bool = False  # every neighbourhood proven to hold nothing better
    seconds: float = 0.0
    history: list[tuple[float, float]] = field(default_factory=list)  # (seconds, value) of each improvement


def site_proximity(inst: Instance, seed_site: int) -> np.ndarray:
    """``min_i (c_i,seed + c_i,b)`` for every candidate ``b``: the shortest trip from the
    seed to ``b`` through an area (the reduced costs' row offsets add the same to both
    legs of a row, so the ranking is by road minutes plus twice the area's offset)."""
    cost = inst.cost
    out = np.full(inst.n_candidates, np.inf)
    for first in range(0, inst.n_clients, _PROXIMITY_ROWS):  # in slices: 1,000 candidates stay small
        rows = cost[first:first + _PROXIMITY_ROWS]
        leg = rows[:, seed_site]
        ok = np.isfinite(leg)
        if ok.any():
            np.minimum(out, (leg[ok, None] + rows[ok]).min(axis=0), out=out)
    out[seed_site] = -np.inf  # the seed itself comes first
    return out


def sub_instance(inst: Instance, best_mask: np.ndarray, free: np.ndarray) -> tuple[Instance, np.ndarray, np.ndarray]:
    """The problem with only the ``free`` candidates' state open to change.

    Returns the sub-instance (the free candidates and the best set's hubs, those outside
    ``free`` kept), the positions of its candidates in ``inst``, and the best set as a
    mask of them."""
    columns = np.flatnonzero(free | best_mask)
    keep = (best_mask & ~free) | inst.keep
    sub = Instance(
        cost=inst.cost[:, columns],
        demand=inst.demand,
        offset=inst.offset,
        keep=keep[columns],
        k=inst.k,
        objective=inst.objective,
        threshold_minutes=inst.threshold_minutes,
        min_patients=inst.min_patients,
        max_patients=inst.max_patients,
        total_demand=inst.total_demand,
        n_original_clients=inst.n_original_clients,
    )
    return sub, columns, best_mask[columns]


def search(
    inst: Instance,
    best_mask: np.ndarray,
    best_value: float,
    solve_sub: SubSolver,
    *,
    deadline: float,
    stop: threading.Event | None = None,
    seed: int | None = 0,
    size: int = NEIGHBOURHOOD_SITES,
    on_improvement: Callable[[int, float], None] | None = None,
) -> SearchResult:
    """Improve a feasible set ``best_mask`` (model value ``best_value``) neighbourhood by
    neighbourhood until the deadline, ``stop`` is set, or every neighbourhood has been
    proven to hold nothing better since the last improvement.

    ``on_improvement(seed_site, value)`` is called with each better set's seed and value.
    """
    t0 = time.perf_counter()
    m = inst.n_candidates
    result = SearchResult(best_mask.copy(), float(best_value))
    if m <= size or inst.k - int(inst.keep.sum()) <= 0:
        return result  # one neighbourhood would be the whole problem: the full model's job
    rng = np.random.default_rng(seed)
    order = rng.permutation(m)
    proximity: dict[int, np.ndarray] = {}
    since_improvement = 0
    position = 0

    def stopped() -> bool:
        return time.perf_counter() >= deadline or (stop is not None and stop.is_set())

    while not stopped():
        seed_site = int(order[position % m])
        position += 1
        if seed_site not in proximity:
            proximity[seed_site] = np.argsort(site_proximity(inst, seed_site), kind="stable")[:size]
        free = np.zeros(m, dtype=bool)
        free[proximity[seed_site]] = True
        free &= ~inst.keep
        if not (free & result.best_mask).any() or not (free & ~result.best_mask).any():
            mask, value, proven = None, math.inf, True  # nothing here can move
        else:
            sub, columns, start = sub_instance(inst, result.best_mask, free)
            limit = min(deadline, time.perf_counter() + NEIGHBOURHOOD_SECONDS)
            mask, value, proven = solve_sub(sub, start, limit)
            result.searched += 1
        if mask is not None and value < result.best_value - 1e-9 * max(1.0, abs(result.best_value)):
            full = np.zeros(m, dtype=bool)
            full[columns[mask]] = True
            result.best_mask, result.best_value = full, float(value)
            result.improvements += 1
            result.history.append((time.perf_counter() - t0, float(value)))
            since_improvement = 0
            if on_improvement is not None:
                on_improvement(seed_site, float(value))
        elif proven:
            since_improvement += 1
            if since_improvement >= m:  # every site has been the seed since the last improvement
                result.complete_pass = True
                break
        else:
            since_improvement = 0  # not proven: this neighbourhood may still hold a better set
    result.seconds = time.perf_counter() - t0
    return result
