"""Fast site selection: greedy construction then vertex substitution (fast interchange).

Greedy adds, one at a time, the candidate that most improves the objective (Kuehn and
Hamburger 1963). Vertex substitution then repeatedly makes the best single swap of an
open hub for a closed candidate until no swap improves (Teitz and Bart 1968), each pass
evaluating *every* swap at once with the fast-interchange bookkeeping of Whitaker (1983)
and Resende and Werneck (2007): with ``d1[i]``/``d2[i]`` the cost of client ``i`` to its
nearest/second-nearest open hub ``f1[i]``/``f2[i]``, swapping ``a`` in for ``r`` changes
the demand-weighted total by::

    delta(a, r) = sum_i w_i (min(d1_i, c_ia) - d1_i)                              (gain of a)
                + sum_{i: f1_i = r} w_i (min(d2_i, c_ia) - min(d1_i, c_ia))        (loss of r)

both terms for all ``(a, r)`` from a few ``(n_clients, n_candidates)`` numpy operations.
For p-centre the same bookkeeping gives the new maximum from per-hub maxima.

Constraints are handled lexicographically: a swap is judged first by its violation
(patients beyond maximum or short of minimum volumes, plus patients who cannot reach a
hub), then by the objective; kept sites are never swapped out. Volumes after every swap
are computed exactly with one ``bincount`` per incoming candidate.

Random restarts (``restarts`` > 0) start from random sets drawn with a
``numpy.random.Generator`` seeded by ``seed``. :func:`perturbation_search` is an
iterated local search (Lourenco, Martin and Stuetzle 2003): random kicks of a few hubs
from the current set, each followed by vertex substitution.

A ``deadline`` (a :func:`time.perf_counter` value) stops the search where it is: greedy
then opens the remaining hubs by the scores of its last step, swaps and restarts stop,
and the result says ``stopped_at_deadline``. Checks are made between candidates, so
the search ends within one candidate's evaluation of the deadline.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from hubplan.optimise._instance import Instance
from hubplan.optimise.neighbourhood import site_proximity
from hubplan.optimise.problem import TIE_TOLERANCE_MINUTES, Objective

#: Cost used for "cannot reach" inside sums (violations count such patients exactly).
_UNREACHABLE_LOSS = 1e7
#: Weight of minutes inside the coverage loss, so that among equal coverage the
#: shorter mean time wins (a tie-breaker, far below one patient uncovered).
_COVERAGE_TIE_WEIGHT = 1e-9
_IMPROVE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class HeuristicResult:
    open_positions: np.ndarray  # sorted candidate indices
    violation: float  # patients (0 = feasible)
    primary: float  # instance units: sum of loss, or max minutes for p-centre
    secondary: float
    swaps: int
    seconds: float
    stopped_at_deadline: bool = False


class _OutOfTime(Exception):
    """The deadline passed in the middle of evaluating swaps."""


def _late(deadline: float | None) -> bool:
    return deadline is not None and time.perf_counter() >= deadline


def loss_matrix(inst: Instance) -> np.ndarray:
    """Per client and candidate: the loss summed by the objective (see module doc)."""
    cost = inst.cost
    finite = np.isfinite(cost)
    if inst.objective is Objective.COVERAGE:
        assert inst.threshold_minutes is not None
        uncovered = (cost > inst.threshold_minutes + TIE_TOLERANCE_MINUTES).astype(np.float64)
        loss = uncovered + _COVERAGE_TIE_WEIGHT * np.where(finite, cost, 0.0)
        return np.where(finite, loss, _UNREACHABLE_LOSS)
    return np.where(finite, cost, _UNREACHABLE_LOSS)


class _State:
    """Nearest and second-nearest open hubs of every client."""

    def __init__(self, loss: np.ndarray, open_mask: np.ndarray) -> None:
        idx = np.flatnonzero(open_mask)
        sub = loss[:, idx]
        n = loss.shape[0]
        if len(idx) >= 2:
            rows = np.arange(n)
            first = np.argmin(sub, axis=1)  # first of equal minima = lower index
            self.d1 = sub[rows, first]
            sub[rows, first] = np.inf
            second = np.argmin(sub, axis=1)
            self.d2 = sub[rows, second]
            self.f1 = idx[first]
            self.f2 = idx[second]
        else:
            self.f1 = np.full(n, idx[0] if len(idx) else -1, dtype=np.intp)
            self.d1 = sub[:, 0] if len(idx) else np.full(n, np.inf)
            self.f2 = np.full(n, -1, dtype=np.intp)
            self.d2 = np.full(n, np.inf)


def _group_sum(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum of the rows of ``values`` per group, as a sparse one-hot product."""
    ok = groups >= 0
    onehot = sp.csr_matrix(
        (np.ones(int(ok.sum())), (groups[ok], np.flatnonzero(ok))), shape=(n_groups, len(groups))
    )
    return np.asarray(onehot @ values)


def _group_reduce(values: np.ndarray, groups: np.ndarray, n_groups: int, how: str) -> np.ndarray:
    """Sum or max of the rows of ``values`` per group (``n_groups`` x columns)."""
    out = np.zeros((n_groups, values.shape[1])) if how == "sum" else np.full((n_groups, values.shape[1]), -np.inf)
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    if len(order) == 0:
        return out
    red = (np.add if how == "sum" else np.maximum).reduceat(values[order], starts, axis=0)
    out[g[starts]] = red
    return out


class _Search:
    def __init__(self, inst: Instance, loss: np.ndarray, deadline: float | None = None) -> None:
        self.deadline = deadline
        self.stopped = False
        self.inst = inst
        self.loss = loss
        self.w = inst.demand
        self.m = inst.n_candidates
        self.finite = np.isfinite(inst.cost)
        self.need_violation = inst.has_volumes or inst.has_unreachable
        self.centre = inst.objective is Objective.P_CENTRE
        self.cost_for_max = np.where(self.finite, inst.cost, np.inf)

    # ----------------------------------------------------------------- evaluation
    def evaluate(self, open_mask: np.ndarray) -> tuple[float, float, float]:
        idx = np.flatnonzero(open_mask)
        sub = self.loss[:, idx]
        best = np.argmin(sub, axis=1)
        d = sub[np.arange(len(sub)), best]
        total = float(np.dot(self.w, d))
        viol = 0.0
        if self.need_violation:
            hub = idx[best]
            reach = self.finite[np.arange(len(sub)), hub]
            viol += float(self.w[~reach].sum())
            vol = np.bincount(hub[reach], weights=self.w[reach], minlength=self.m)[idx]
            viol += self._volume_violation(vol)
        if self.centre:
            c = self.cost_for_max[:, idx][np.arange(len(sub)), best]
            return viol, float(c.max()) if len(c) else 0.0, total
        return viol, total, 0.0

    def _volume_violation(self, vol: np.ndarray) -> float:
        v = 0.0
        if self.inst.max_patients is not None:
            v += float(np.maximum(vol - self.inst.max_patients, 0.0).sum())
        if self.inst.min_patients is not None:
            v += float(np.maximum(self.inst.min_patients - vol, 0.0).sum())
        return v

    # ----------------------------------------------------------------- greedy
    def greedy(self, open_mask: np.ndarray, k: int) -> np.ndarray:
        open_mask = open_mask.copy()
        w = self.w
        if open_mask.any():
            d = self.loss[:, open_mask].min(axis=1)
            dmax = self.cost_for_max[:, open_mask].min(axis=1)
        else:
            d = np.full(len(w), np.inf)
            dmax = np.full(len(w), np.inf)
        while open_mask.sum() < k:
            new = np.minimum(d[:, None], self.loss)
            totals = w @ new
            totals[open_mask] = np.inf
            if _late(self.deadline):  # out of time: open the rest by this step's scores
                self.stopped = True
                rest = k - int(open_mask.sum())
                open_mask[np.argsort(totals, kind="stable")[:rest]] = True
                break
            if self.centre:
                maxes = np.minimum(dmax[:, None], self.cost_for_max).max(axis=0) if len(w) else np.zeros(self.m)
                maxes = np.where(open_mask, np.inf, maxes)
                a = int(np.lexsort((totals, maxes))[0])
            else:
                a = int(np.argmin(totals))
            open_mask[a] = True
            d = np.minimum(d, self.loss[:, a])
            dmax = np.minimum(dmax, self.cost_for_max[:, a])
        return open_mask

    # ----------------------------------------------------------------- swaps
    def swap_scores(self, open_mask: np.ndarray, key: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(violation, primary, secondary) after each swap ``[a, r]`` (inf = not allowed)."""
        m, w, L = self.m, self.w, self.loss
        st = _State(L, open_mask)
        d1, d2 = st.d1, st.d2
        gain = w @ np.minimum(d1[:, None], L) - float(np.dot(w, d1))  # per a
        # losing r: its clients move to min(d2, c_ia) instead of min(d1, c_ia); that
        # differs from zero only where c_ia > d1
        extra = np.minimum(d2[:, None], L)
        extra -= d1[:, None]
        np.maximum(extra, 0.0, out=extra)
        extra *= w[:, None]
        loss_r = _group_sum(extra, st.f1, m)  # [r, a]
        total = key[2] if self.centre else key[1]
        new_sum = total + gain[:, None] + loss_r.T  # [a, r]
        allowed = (~open_mask)[:, None] & (open_mask & ~self.inst.keep)[None, :]
        viol = np.zeros((m, m))
        if self.need_violation:
            viol = self._swap_violations(open_mask, st)
        if self.centre:
            C = self.cost_for_max
            c1 = np.where(st.f1 >= 0, C[np.arange(len(w)), np.maximum(st.f1, 0)], np.inf)
            c2 = np.where(st.f2 >= 0, C[np.arange(len(w)), np.maximum(st.f2, 0)], np.inf)
            g1 = _group_reduce(np.minimum(c1[:, None], C), st.f1, m, "max")  # [g, a]
            g2 = _group_reduce(np.minimum(c2[:, None], C), st.f1, m, "max")  # [g, a]
            top = np.sort(g1, axis=0)
            best, second = top[-1], top[-2] if m > 1 else np.full(m, -np.inf)
            # max over groups other than r: best unless r holds the best
            excl = np.where(g1 == best[None, :], second[None, :], best[None, :])  # [r, a]
            new_max = np.maximum(excl, g2).T  # [a, r]
            primary, secondary = new_max, new_sum
        else:
            primary, secondary = new_sum, np.zeros((m, m))
        primary = np.where(allowed, primary, np.inf)
        return np.where(allowed, viol, np.inf), primary, secondary

    def _swap_violations(self, open_mask: np.ndarray, st: _State) -> np.ndarray:
        """Patients violating volume/reach constraints after each swap ``[a, r]``."""
        m, w, L = self.m, self.w, self.loss
        lo, hi = self.inst.min_patients, self.inst.max_patients
        none = m  # bucket for "cannot reach any hub"
        fin = self.finite
        n = len(w)
        rows = np.arange(n)
        f1 = np.where((st.f1 >= 0) & fin[rows, np.maximum(st.f1, 0)], st.f1, none)
        f2 = np.where((st.f2 >= 0) & fin[rows, np.maximum(st.f2, 0)], st.f2, none)
        out = np.full((m, m), np.inf)
        open_idx = np.flatnonzero(open_mask & ~self.inst.keep)
        for a in np.flatnonzero(~open_mask):
            if _late(self.deadline):
                raise _OutOfTime
            la = L[:, a]
            ok = fin[:, a]
            beat1 = ok & ((la < st.d1) | ((la == st.d1) & (a < f1)))
            beat2 = ok & ((la < st.d2) | ((la == st.d2) & (a < f2)))
            base = np.where(beat1, a, f1)
            vbase = np.bincount(base, weights=w, minlength=m + 1)
            alt = np.where(beat2, a, f2)
            movers = ~beat1 & (f1 < none)
            move = np.bincount(
                f1[movers] * (m + 1) + alt[movers], weights=w[movers], minlength=m * (m + 1)
            ).reshape(m, m + 1)
            vol = vbase[None, :] + move  # [r, g] for g in 0..m
            rr = np.arange(m)
            vol[rr, rr] = 0.0
            after = np.zeros((m, m), dtype=bool)
            after[:, :] = open_mask[None, :]
            after[:, a] = True
            after[rr, rr] = False
            v = vol[:, :m]
            viol = vol[:, m].copy()
            if hi is not None:
                viol += np.where(after, np.maximum(v - hi, 0.0), 0.0).sum(axis=1)
            if lo is not None:
                viol += np.where(after, np.maximum(lo - v, 0.0), 0.0).sum(axis=1)
            out[a, open_idx] = viol[open_idx]
        return out

    def improve(self, open_mask: np.ndarray, max_swaps: int) -> tuple[np.ndarray, tuple[float, float, float], int]:
        key = self.evaluate(open_mask)
        swaps = 0
        while swaps < max_swaps:
            if not (open_mask & ~self.inst.keep).any() or open_mask.all():
                break
            if _late(self.deadline):
                self.stopped = True
                break
            try:
                viol, prim, sec = self.swap_scores(open_mask, key)
            except _OutOfTime:
                self.stopped = True
                break
            flat = np.lexsort((sec.ravel(), prim.ravel(), viol.ravel()))
            best = flat[0]
            a, r = divmod(int(best), self.m)
            if not np.isfinite(prim.ravel()[best]):
                break
            trial = open_mask.copy()
            trial[a], trial[r] = True, False
            new_key = self.evaluate(trial)  # exact re-evaluation guards rounding
            if not _better(new_key, key):
                break
            open_mask, key = trial, new_key
            swaps += 1
        return open_mask, key, swaps


def _better(new: tuple[float, float, float], old: tuple[float, float, float]) -> bool:
    for x, y in zip(new, old):
        tol = _IMPROVE_TOLERANCE * max(1.0, abs(y))
        if x < y - tol:
            return True
        if x > y + tol:
            return False
    return False


def local_search(
    inst: Instance,
    *,
    start: np.ndarray | None = None,
    restarts: int = 0,
    seed: int | None = 0,
    max_swaps: int = 10_000,
    deadline: float | None = None,
) -> HeuristicResult:
    """Greedy (or ``start``) then vertex substitution, plus random restarts.

    ``start`` is a boolean mask of open candidates to start from (e.g. the answer for
    ``k - 1`` with one more added by greedy); kept candidates are always added.
    ``deadline`` (a :func:`time.perf_counter` value) stops the search early (see the
    module docstring); the best set found so far is returned.
    """
    t0 = time.perf_counter()
    search = _Search(inst, loss_matrix(inst), deadline)
    k = inst.k
    base = inst.keep.copy()
    if start is not None:
        base |= start
    if base.sum() > k:
        raise ValueError("start has more hubs than k")
    best_mask = search.greedy(base, k)
    best_mask, best_key, swaps = search.improve(best_mask, max_swaps)
    rng = np.random.default_rng(seed)
    free = np.flatnonzero(~inst.keep)
    for _ in range(int(restarts)):
        if _late(deadline):
            search.stopped = True
            break
        mask = inst.keep.copy()
        extra = k - int(mask.sum())
        if extra > 0:
            mask[rng.choice(free, size=extra, replace=False)] = True
        mask, key, s = search.improve(mask, max_swaps)
        swaps += s
        if _better(key, best_key):
            best_mask, best_key = mask, key
    return HeuristicResult(
        open_positions=np.flatnonzero(best_mask),
        violation=best_key[0],
        primary=best_key[1],
        secondary=best_key[2],
        swaps=swaps,
        seconds=time.perf_counter() - t0,
        stopped_at_deadline=search.stopped,
    )


@dataclass(frozen=True)
class PerturbationResult:
    open_mask: np.ndarray  # boolean, the best set found (the start if nothing better)
    violation: float
    primary: float
    kicks: int
    improvements: int
    seconds: float


#: Hubs swapped at random in each kick of :func:`perturbation_search`.
PERTURBATION_MOVES = 2
#: A kick closes a random open hub and others among its this many nearest open hubs,
#: and opens candidates among its ``PERTURBATION_NEAR_CLOSED`` nearest closed ones.
#: Nationally (k = 24, at most 4,000 a hub, 30 s from the same start, seeds 0-5) such
#: local kicks reached 33.77 min on average (33.59-34.06), kicks drawn from the whole
#: map 33.88 (33.72-34.06).
PERTURBATION_NEAR_OPEN = 4
PERTURBATION_NEAR_CLOSED = 10
#: A kicked set that is feasible and at most this much (relative) worse than the
#: current one becomes the current one, so the search walks along near-equal sets
#: instead of returning to the same local optimum.
PERTURBATION_ACCEPT = 0.002


def perturbation_search(
    inst: Instance,
    start: np.ndarray,
    *,
    deadline: float,
    stop: threading.Event | None = None,
    seed: int | None = 0,
    moves: int = PERTURBATION_MOVES,
    accept: float = PERTURBATION_ACCEPT,
    max_kicks: int | None = None,
) -> PerturbationResult:
    """Iterated local search from the set ``start`` (a boolean mask of ``k`` sites).

    Each kick closes a random open hub and ``moves - 1`` of its nearest open hubs, and
    opens ``moves`` of its nearest closed candidates, drawn at random (nearest: the
    shortest trip through an area, :func:`~hubplan.optimise.neighbourhood.site_proximity`;
    kept sites stay open), then vertex substitution takes the kicked
    set to a local optimum, judged as in :func:`local_search` (violation first, then
    the objective). The local optimum replaces the current set if it is better, or if
    it is feasible and within ``accept`` of it; the best set seen is returned. Runs
    until ``deadline`` (a :func:`time.perf_counter` value), until ``stop`` is set or
    after ``max_kicks`` kicks; a kick under way when the deadline passes ends where it is.
    """
    t0 = time.perf_counter()
    search = _Search(inst, loss_matrix(inst), deadline)
    rng = np.random.default_rng(seed)
    current = start.copy()
    current_key = search.evaluate(current)
    best, best_key = current, current_key
    kicks = improvements = 0
    k = int(start.sum())

    def stopped() -> bool:
        return time.perf_counter() >= deadline or (stop is not None and stop.is_set())

    nearest: dict[int, np.ndarray] = {}
    while not stopped() and (max_kicks is None or kicks < max_kicks):
        movable = current & ~inst.keep
        n = min(moves, int(movable.sum()), int((~current).sum()))
        if n == 0:
            break
        centre = int(rng.choice(np.flatnonzero(movable)))
        if centre not in nearest:
            nearest[centre] = np.argsort(site_proximity(inst, centre), kind="stable")  # the centre first
        order = nearest[centre]
        near_open = order[movable[order]][1:PERTURBATION_NEAR_OPEN + 1]
        near_closed = order[~current[order]][:max(n, PERTURBATION_NEAR_CLOSED)]
        trial = current.copy()
        trial[centre] = False
        trial[rng.choice(near_open, size=min(n - 1, len(near_open)), replace=False)] = False
        trial[rng.choice(near_closed, size=k - int(trial.sum()), replace=False)] = True
        trial, key, _ = search.improve(trial, 10_000)
        kicks += 1
        near = key[0] <= 0.0 and current_key[0] <= 0.0 and key[1] <= current_key[1] + accept * abs(current_key[1])
        if _better(key, current_key) or near:
            current, current_key = trial, key
        if _better(key, best_key):
            best, best_key = trial, key
            improvements += 1
    return PerturbationResult(open_mask=best.copy(), violation=best_key[0], primary=best_key[1], kicks=kicks,
                              improvements=improvements, seconds=time.perf_counter() - t0)
