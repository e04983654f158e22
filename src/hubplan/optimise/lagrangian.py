"""A Lagrangian lower bound for the p-median and the candidates it rules out.

Relax "every client is assigned once" with a multiplier ``lambda_i`` (patient-minutes)
per client. For fixed multipliers the relaxed problem splits by candidate (Cornuéjols,
Fisher and Nemhauser 1977; Beasley 1993)::

    rho_j     = sum_i min(0, w_i c_ij - lambda_i)          (what opening j saves, <= 0)
    L(lambda) = sum_i lambda_i + sum of rho_j over the kept sites and the
                k - |kept| most negative rho_j of the others

and ``L(lambda)`` is at most the cost of every set of ``k`` hubs containing the kept
sites, whatever the multipliers (any client's cost ``w_i c_i(hub)`` is at least
``lambda_i + min(0, w_i c_ij - lambda_i)`` for every open ``j``, in particular its hub).
Its best value over the multipliers equals the LP bound of the p-median. The
multipliers are improved by subgradient steps (Polyak's step towards the incumbent's
cost, halved when the bound stalls; Held, Wolfe and Crowder 1974), over each client's
candidates up to a cap: ``lambda_i`` is kept at most ``w_i`` times the minutes to the
first candidate left out of its list, so that the candidates beyond the list add
nothing and the sparse sums are exact; a client whose multiplier reaches the cap gets a
longer list.

Reduced-cost fixing: forcing a candidate ``j`` outside the relaxed solution open swaps
it for the chosen free candidate with the least negative ``rho``, so every set of hubs
containing ``j`` costs at least ``L + rho_j - rho_last``; if that is more than the cost
of a set already found, no better set contains ``j`` and ``j`` is ruled out. Likewise
forcing a chosen candidate closed costs ``L - rho_j + rho_next``. Nationally, with
1,000 candidates, this leaves about a hundred to the exact method.

The final bound is always recomputed over every candidate of every client
(:func:`lagrangian_value`), so it does not depend on the lists.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from hubplan.optimise._instance import Instance

#: The exact method uses the Lagrangian bound when there are at least this many
#: candidates (p-median without volume limits); below it the prefix-set model alone is
#: fast (the national instance with 113 stroke units is proven in 2-6 s).
LAGRANGIAN_MIN_CANDIDATES = 200
#: Subgradient iterations without a better bound before the step factor is halved.
STALL_ITERATIONS = 30
#: Stop when the bound gained less than this share of itself over 100 iterations.
MIN_PROGRESS = 2e-5
#: At most this many iterations.
MAX_ITERATIONS = 3000
#: How often (iterations) the relaxed solution's set is evaluated as a set of hubs.
EVALUATE_EVERY = 25
#: Rows of the cost matrix per block when the bound is recomputed over every candidate.
_BLOCK_ROWS = 2048


@dataclass(frozen=True)
class LagrangianBound:
    """Multipliers and what they prove (instance units: patient-minutes, offset included)."""

    multipliers: np.ndarray  # (n_clients,) patient-minutes
    bound: float  # L(multipliers) + the instance's offset: a valid lower bound
    savings: np.ndarray  # (n_candidates,) rho_j, patient-minutes, <= 0
    chosen: np.ndarray  # (n_candidates,) bool: the relaxed problem's set of k hubs
    best_set: np.ndarray | None  # positions of the best set of hubs seen (None: none better)
    best_set_value: float  # its cost, instance units (inf if none)
    iterations: int
    seconds: float
    stopped_at_deadline: bool
    list_entries: int = 0  # client-candidate pairs in the lists at the end


def lagrangian_value(inst: Instance, multipliers: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """``L(multipliers)`` + offset, ``rho`` and the relaxed set, over every candidate of every client."""
    w = inst.demand
    lam = np.asarray(multipliers, dtype=np.float64)
    rho = np.zeros(inst.n_candidates)
    for start in range(0, inst.n_clients, _BLOCK_ROWS):
        rows = slice(start, start + _BLOCK_ROWS)
        with np.errstate(invalid="ignore"):
            reduced = inst.cost[rows] * w[rows, None] - lam[rows, None]
        rho += np.minimum(reduced, 0.0, where=np.isfinite(reduced), out=np.zeros_like(reduced)).sum(axis=0)
    chosen = relaxed_set(inst, rho)
    return inst.offset + float(lam.sum()) + float(rho[chosen].sum()), rho, chosen


def relaxed_set(inst: Instance, savings: np.ndarray) -> np.ndarray:
    """The kept sites and the ``k - |kept|`` other candidates with the most negative ``savings``."""
    chosen = inst.keep.copy()
    free = np.flatnonzero(~inst.keep)
    need = inst.k - int(inst.keep.sum())
    if need > 0:
        pick = free[np.argsort(savings[free], kind="stable")[:need]]
        chosen[pick] = True
    return chosen


def fixing_bounds(inst: Instance, result: LagrangianBound) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate: a lower bound on every set of hubs with it open, and with it closed.

    Kept sites are open in every set (their closed bound is inf). Instance units.
    """
    rho = result.savings
    chosen = result.chosen
    bound = result.bound
    free = ~inst.keep
    with_open = np.full(inst.n_candidates, bound)
    with_closed = np.full(inst.n_candidates, bound)
    with_closed[inst.keep] = math.inf
    chosen_free = np.flatnonzero(chosen & free)
    other_free = np.flatnonzero(~chosen & free)
    if len(other_free):
        # opening j in place of the chosen free candidate that saves least
        last = float(rho[chosen_free].max()) if len(chosen_free) else math.inf
        with_open[other_free] = bound + rho[other_free] - last
    if len(chosen_free):
        if len(other_free):
            nxt = float(rho[other_free].min())
            with_closed[chosen_free] = bound - rho[chosen_free] + nxt
        else:
            with_closed[chosen_free] = math.inf  # every candidate must be open
    return with_open, with_closed


def fix_candidates(inst: Instance, result: LagrangianBound, upper: float,
                   incumbent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidates that no set cheaper than ``upper`` opens (closed) or leaves closed (open).

    ``incumbent`` (a mask of a set costing ``upper``) is never ruled out, whatever
    rounding does. A small tolerance keeps ties in: only bounds above ``upper`` by more
    than 1e-9 of it count.
    """
    with_open, with_closed = fixing_bounds(inst, result)
    margin = upper + 1e-9 * max(1.0, abs(upper))
    closed = (with_open > margin) & ~incumbent & ~inst.keep
    opened = (with_closed > margin) & incumbent & ~inst.keep
    return closed, opened


def ascend(
    inst: Instance,
    upper: float,
    start_open: np.ndarray,
    *,
    deadline: float | None = None,
    max_iterations: int = MAX_ITERATIONS,
) -> LagrangianBound:
    """Improve the multipliers by subgradient steps (module docstring).

    ``upper`` is the cost of a known set of hubs (instance units, offset included) and
    ``start_open`` its mask; the search stops when the bound reaches it, stalls, or the
    ``deadline`` (a :func:`time.perf_counter` value) passes.
    """
    t0 = time.perf_counter()
    n, m = inst.n_clients, inst.n_candidates
    w = inst.demand
    k = inst.k
    offset = inst.offset
    order = inst.order
    sorted_cost = inst.sorted_cost
    reach = inst.reachable_count
    target = upper - offset
    position = inst.open_position_in_order(start_open)
    length = np.minimum(np.maximum(2 * (position + 1) + 8, 2), np.maximum(reach, 1)).astype(np.intp)
    free = ~inst.keep
    need = k - int(inst.keep.sum())

    def lists(length: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each client's first ``length`` candidates, row by row (sites, w x minutes), the
        first entry of each row and the cap of each multiplier."""
        inside = np.arange(m)[None, :] < length[:, None]
        sites = order[inside].astype(np.int32)
        weighted = (sorted_cost * w[:, None])[inside]
        starts = np.r_[0, np.cumsum(length)[:-1]].astype(np.intp)
        nxt = sorted_cost[np.arange(n), np.minimum(length, m - 1)]
        cap = np.where(length < m, nxt * w, np.inf)
        return sites, weighted, starts, cap

    sites, weighted, starts, cap = lists(length)
    second = sorted_cost[:, 1] if m > 1 else sorted_cost[:, 0]
    lam = np.minimum(np.where(np.isfinite(second), second, sorted_cost[:, 0]) * w, cap)
    best = -math.inf
    best_lam = lam.copy()
    history: list[float] = []
    step_factor = 1.0
    stall = 0
    best_set: np.ndarray | None = None
    best_set_value = math.inf
    late = False
    iterations = 0
    for it in range(max_iterations):
        if deadline is not None and time.perf_counter() >= deadline:
            late = True
            break
        iterations = it + 1
        reduced = weighted - np.repeat(lam, length)
        np.minimum(reduced, 0.0, out=reduced)
        rho = np.bincount(sites, weights=reduced, minlength=m)
        chosen = inst.keep.copy()
        if need > 0:
            free_idx = np.flatnonzero(free)
            chosen[free_idx[np.argpartition(rho[free_idx], need - 1)[:need]]] = True
        value = float(lam.sum() + rho[chosen].sum())
        if value > best:
            if value > best + 1e-12 * max(1.0, abs(best)):
                stall = 0
            best, best_lam = value, lam.copy()
        else:
            stall += 1
            if stall >= STALL_ITERATIONS:
                step_factor /= 2.0
                stall = 0
        if it % EVALUATE_EVERY == 0:
            _, minutes = inst.assign(np.flatnonzero(chosen))
            if np.isfinite(minutes).all():
                cost = float(w @ minutes)
                if cost < min(best_set_value, target) - 1e-9 * max(1.0, abs(cost)):
                    best_set_value, best_set = cost, np.flatnonzero(chosen)
                    target = cost
        if target - best <= 1e-9 * max(1.0, abs(target)):
            break
        history.append(best)
        if len(history) > 100 and best - history[-101] < MIN_PROGRESS * max(1.0, abs(best + offset)):
            break
        if step_factor < 1e-6:
            break
        hit = (reduced < 0) & np.take(chosen, sites)
        direction = 1.0 - np.add.reduceat(hit.view(np.int8), starts, dtype=np.int32)
        norm = float(direction @ direction)
        if norm == 0:
            break  # the relaxed solution assigns every client once: it is optimal
        lam = np.minimum(np.maximum(lam + step_factor * (target - value) / norm * direction, 0.0), cap)
        if it % 50 == 49:
            at_cap = (lam >= cap * (1 - 1e-12)) & (length < m)
            if at_cap.any():
                length = np.where(at_cap, np.minimum(2 * length + 10, m), length)
                sites, weighted, starts, cap = lists(length)
    bound, rho_exact, chosen_exact = lagrangian_value(inst, best_lam)
    return LagrangianBound(
        multipliers=best_lam,
        bound=bound,
        savings=rho_exact,
        chosen=chosen_exact,
        best_set=best_set,
        best_set_value=best_set_value + offset if best_set is not None else math.inf,
        iterations=iterations,
        seconds=time.perf_counter() - t0,
        stopped_at_deadline=late,
        list_entries=len(sites),
    )
