"""Exact site selection with HiGHS: a radius (prefix-set) formulation that stays small.

Formulation
-----------
Sort each client's candidates from cheapest to dearest (ties: lower index first) and let
``P_{i,s}`` be the set of its ``s`` cheapest candidates. With ``y_j`` = 1 if candidate
``j`` is a hub, the variable ``u_B`` of a set of candidates ``B`` means "no site of ``B``
is a hub". Client ``i``'s minutes to its hub then telescope over its prefixes
(Elloumi 2010; García, Labbé and Marín 2011)::

    cost_i = c_i(1) + sum_{s>=1} (c_i(s+1) - c_i(s)) * u_{P_{i,s}}

and client ``i`` goes to its ``s``-th candidate exactly when
``x_{i,s} = u_{P_{i,s-1}} - u_{P_{i,s}}`` is 1 (``u_{P_0}`` = 1): that is the
closest-assignment rule (Wagner and Falkson 1975; Church and Cohon 1976) written on
prefixes, so catchments are linear in ``u``. The model::

    minimise    sum_B cost_B u_B                       (p-median: demand x increments;
                                                        coverage: patients beyond T)
    subject to  sum_j y_j = k,   y_j = 1 for kept sites
                u_B >= u_{B-a} - y_a                    (one predecessor B-a of each B)
                u_B <= u_{B-a},  u_B <= 1 - y_a         (only with volume limits)
                min y_j <= sum_{i,s: s-th of i is j} w_i x_{i,s} <= max y_j
                u_B = 0 for B = a client's reachable set (or its sites within max_minutes)
                y binary, 0 <= u <= 1

``u_B`` depends only on the *set* ``B``, so clients with the same prefix sets share
variables: on England's 32,494 areas with patients and 113 stroke units there are at
most about 1,500 distinct prefix sets of each size (about 100,000 over all sizes), not
32,494 x 113 assignment variables. With ``y`` binary the ``u`` are exact (by induction
over ``B``), and the LP relaxation equals that of the classical assignment model.

Truncation and row generation. A client's chain is cut after the position of its hub
in the heuristic solution (with volume limits, :data:`VOLUME_CHAIN_MARGIN` positions
later) and at its first kept site, beyond which ``u`` = 0 for sure. Cutting makes the cost ``min(true, next candidate's)``, a lower bound, and the
volumes of cut clients are bounded by a relaxation (they count for no hub in the
maximum and for every hub in the minimum), so each model is a relaxation whose bound
is valid. If the optimum of the cut model has every client's hub inside its chain, its
cost and volumes are the true ones and it is optimal; otherwise the chains of the
clients that fell off are extended to their new hub and the model solved again (warm
started). In practice one to three rounds.

Large candidate sets (p-median without volume limits, at least
:data:`~hubplan.optimise.lagrangian.LAGRANGIAN_MIN_CANDIDATES` candidates): the
distinct prefix sets grow with the candidates (about 181,000 for England's areas and
1,000 candidates, a root relaxation HiGHS did not solve in 120 s). A Lagrangian bound
(:mod:`hubplan.optimise.lagrangian`) is computed first; vertex substitution from its
relaxed solution gives the best set, the candidates that cannot be in a better set are
ruled out, and the model above is solved over the candidates left, with the best set
as warm start. Its bound is then valid for the whole problem.

Volume limits (p-median or coverage, two cores or more): the relaxation is weak, so in
a time limit HiGHS mostly proves a bound. While it does, in a second thread, this one
improves the set with :mod:`hubplan.optimise.neighbourhood` (re-optimising 20 sites at a
time with this same round-by-round model, the others fixed); the better of the two sets
is returned, with HiGHS' bound.

p-centre: bisection over the distinct minutes of the cost matrix; "can ``k`` hubs
keep every patient within ``R``" is the model above with ``u_{P_{i,b_i(R)}} = 0``
(no objective). The smallest feasible ``R`` is then re-solved as a p-median with that
``R`` as the maximum, so among sets with the same longest time the best mean is
returned.
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp

from hubplan.errors import InfeasibleError, SolverError
from hubplan.optimise._instance import Instance, reduce_problem
from hubplan.optimise._solver import highs_session
from hubplan.optimise.heuristic import HeuristicResult, local_search, perturbation_search
from hubplan.optimise.lagrangian import LAGRANGIAN_MIN_CANDIDATES, ascend, fix_candidates
from hubplan.optimise.neighbourhood import NEIGHBOURHOOD_SITES
from hubplan.optimise.neighbourhood import search as neighbourhood_search
from hubplan.optimise.problem import TIE_TOLERANCE_MINUTES, Objective, SiteSelectionProblem
from hubplan.optimise.solution import Solution, relative_gap
from hubplan.formatting import counted

Progress = Callable[[str], None]

METHOD_NAME = "exact (HiGHS, prefix-set radius formulation)"

#: Share of the time limit the warm-start heuristic may use; HiGHS gets the rest.
HEURISTIC_SHARE = 0.5
#: With Lagrangian fixing, the share of the time left after the heuristic that the
#: subgradient search may use; the model over the candidates left gets the rest.
LAGRANGIAN_SHARE = 0.5
LAGRANGIAN_METHOD_NAME = "exact (Lagrangian bound and fixing, then HiGHS over the candidates left)"

#: With volume limits, how many candidates beyond a client's hub (in the heuristic's set,
#: then in each round's) its chain also covers. Nationally (k = 24, 60 s) 0, 2, 5, 10
#: and 20 left gaps of 0.60%, 0.46%, 0.21%, 0.115% and 0.110% with at least 1,500
#: patients per hub (8 rounds at 0, one round from 5 on) and 9.1%, -, 5.8%, 5.6% and
#: 44% with at most 4,000 (at 20 the root relaxation was not solved in time).
VOLUME_CHAIN_MARGIN = 10

#: With a maximum volume per hub (and no restarts asked for), the warm-start heuristic
#: makes this many random restarts. Closest assignment with a cap has a weak relaxation
#: (nationally, k = 24 with at most 4,000: root bound 32.54 min, still 32.58 after 177 s
#: of branch and bound, 62 of 113 sites fractional at the root), so the incumbent is what
#: a time-limited solve can improve: 34.51 min from one start, 34.06 from eight restarts
#: (about 20 s). Minimum volumes alone do not get them: there the model proves the
#: optimum and the time is better spent on it.
VOLUME_RESTARTS = 8

#: With a maximum volume on two cores or more, the share of the time left after the
#: heuristic that the perturbation search (:func:`~hubplan.optimise.heuristic.perturbation_search`)
#: may use before the neighbourhood search takes over, both beside the full model.
PERTURBATION_SHARE = 0.5

ENUMERATION_NAME = "exact (every set of hubs evaluated)"
#: Enumerate every set when clients x sets is at most this (see :func:`_enumerate`).
ENUMERATION_LIMIT = 1e9
#: ... and at least this many candidates are free to choose: with fewer the model is
#: tiny and proves optimality in milliseconds anyway.
ENUMERATION_MIN_FREE = 20


@dataclass
class _Model:
    n_y: int
    n_u: int
    has_unresolved: bool
    cost: np.ndarray
    constant: float
    lower: np.ndarray
    upper: np.ndarray
    matrix: sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    node_rep: np.ndarray
    node_size: np.ndarray
    leaf_weights: tuple[np.ndarray, np.ndarray]  # (node ids, patients)

    @property
    def n_cols(self) -> int:
        return self.n_y + self.n_u + (1 if self.has_unresolved else 0)


def _nodes(inst: Instance, depth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct prefix sets: ``node_of[i, s-1]`` and per node its predecessor, added site,
    representative client and size."""
    n, m = inst.n_clients, inst.n_candidates
    order = inst.order
    max_depth = int(depth.max()) if n else 0
    node_of = np.full((n, max(max_depth, 1)), -1, dtype=np.int64)
    member = np.zeros((n, m), dtype=bool)
    preds, sites, reps, sizes = [], [], [], []
    next_id = 0
    for s in range(1, max_depth + 1):
        act = np.flatnonzero(depth >= s)
        member[act, order[act, s - 1]] = True
        packed = np.ascontiguousarray(np.packbits(member[act], axis=1))
        keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        ids = next_id + inverse.reshape(-1)
        node_of[act, s - 1] = ids
        rep = act[first]
        preds.append(node_of[rep, s - 2] if s > 1 else np.full(len(rep), -1, dtype=np.int64))
        sites.append(order[rep, s - 1])
        reps.append(rep)
        sizes.append(np.full(len(rep), s))
        next_id += len(first)
    cat = (lambda parts, dt: np.concatenate(parts).astype(dt) if parts else np.empty(0, dtype=dt))
    return node_of, cat(preds, np.int64), cat(sites, np.int64), cat(reps, np.int64), cat(sizes, np.int64)


def _build(
    inst: Instance,
    depth: np.ndarray,
    *,
    objective: str,
    zero_size: np.ndarray | None = None,
    exact_u: bool = False,
) -> _Model:
    """Assemble the model (see the module docstring). ``objective`` is ``"median"``,
    ``"coverage"`` or ``"none"``; ``zero_size[i]`` > 0 fixes ``u`` of client ``i``'s
    prefix of that size to 0."""
    m = inst.n_candidates
    w = inst.demand
    node_of, pred, site, rep, size = _nodes(inst, depth)
    n_u = len(pred)
    sc = inst.sorted_cost
    first_keep = inst.first_keep_position
    reach = inst.reachable_count

    # --- objective
    u_cost = np.zeros(n_u)
    constant = 0.0
    if objective == "median":
        constant = inst.offset + float(np.dot(w, sc[:, 0]))
        for s in range(1, int(depth.max(initial=0)) + 1):
            act = np.flatnonzero(depth >= s)
            nxt = sc[act, s] if s < m else np.full(len(act), np.inf)
            inc = nxt - sc[act, s - 1]
            ok = np.isfinite(inc)
            u_cost += np.bincount(node_of[act[ok], s - 1], weights=w[act[ok]] * inc[ok], minlength=n_u)
    elif objective == "coverage":
        assert inst.threshold_minutes is not None
        b = inst.within_count(inst.threshold_minutes)
        never = b == 0
        constant = float(w[never].sum())
        need = (~never) & (first_keep >= b)
        idx = np.flatnonzero(need)
        u_cost += np.bincount(node_of[idx, b[idx] - 1], weights=w[idx], minlength=n_u)

    # --- bounds
    col_lower = np.zeros(m + n_u)
    col_upper = np.ones(m + n_u)
    col_lower[:m][inst.keep] = 1.0
    full = np.flatnonzero((depth > 0) & (depth >= reach) & (first_keep >= reach))
    col_upper[m + node_of[full, depth[full] - 1]] = 0.0
    if zero_size is not None:
        z = np.flatnonzero(zero_size > 0)
        col_upper[m + node_of[z, zero_size[z] - 1]] = 0.0

    rows_r: list[np.ndarray] = []
    rows_c: list[np.ndarray] = []
    rows_v: list[np.ndarray] = []
    lo_list: list[np.ndarray] = []
    hi_list: list[np.ndarray] = []
    n_rows = 0

    def add(r: np.ndarray, c: np.ndarray, v: np.ndarray) -> None:
        rows_r.append(r)
        rows_c.append(c)
        rows_v.append(v)

    # cardinality
    add(np.zeros(m, dtype=np.int64), np.arange(m), np.ones(m))
    lo_list.append(np.array([float(inst.k)]))
    hi_list.append(np.array([float(inst.k)]))
    n_rows = 1
    nodes = np.arange(n_u)
    has_pred = pred >= 0
    # lower chain rows: u_B - u_pred + y_a >= 0  (root: u_B + y_a >= 1)
    r = n_rows + nodes
    add(r, m + nodes, np.ones(n_u))
    add(r, site, np.ones(n_u))
    add(r[has_pred], m + pred[has_pred], -np.ones(int(has_pred.sum())))
    lo_list.append(np.where(has_pred, 0.0, 1.0))
    hi_list.append(np.full(n_u, np.inf))
    n_rows += n_u
    if exact_u:
        # u_B - u_pred <= 0
        hp = np.flatnonzero(has_pred)
        r = n_rows + np.arange(len(hp))
        add(r, m + hp, np.ones(len(hp)))
        add(r, m + pred[hp], -np.ones(len(hp)))
        lo_list.append(np.full(len(hp), -np.inf))
        hi_list.append(np.zeros(len(hp)))
        n_rows += len(hp)
        # u_B + y_a <= 1
        r = n_rows + nodes
        add(r, m + nodes, np.ones(n_u))
        add(r, site, np.ones(n_u))
        lo_list.append(np.full(n_u, -np.inf))
        hi_list.append(np.ones(n_u))
        n_rows += n_u

    resolved_by_keep = (depth == first_keep) & (first_keep < m)
    truncated = (~resolved_by_keep) & (depth < reach)
    leaf_idx = np.flatnonzero(truncated & (depth > 0))
    leaf_nodes = node_of[leaf_idx, depth[leaf_idx] - 1] if len(leaf_idx) else np.empty(0, dtype=np.int64)
    leaf_w = w[leaf_idx]
    # clients cut at depth 0 whose nearest candidate is not certain: they are "unresolved"
    # with u = 1 for sure (a constant), which only matters for minimum volumes.
    cut_at_root = float(w[truncated & (depth == 0)].sum())
    has_unresolved = inst.has_volumes and inst.min_patients is not None and (len(leaf_idx) > 0)
    n_cols = m + n_u + (1 if has_unresolved else 0)

    if inst.has_volumes:
        # catchment terms: (site j, column or -1 for the constant 1, coefficient)
        vs, vc, vv = [], [], []
        for s in range(1, int(depth.max(initial=0)) + 1):
            act = np.flatnonzero(depth >= s)
            j = inst.order[act, s - 1]
            prev = m + node_of[act, s - 2] if s > 1 else np.full(len(act), -1)
            vs += [j, j]
            vc += [prev, m + node_of[act, s - 1]]
            vv += [w[act], -w[act]]
        kk = np.flatnonzero(resolved_by_keep)
        if len(kk):
            j = inst.order[kk, depth[kk]]
            col = np.where(depth[kk] > 0, m + node_of[kk, np.maximum(depth[kk] - 1, 0)], -1)
            vs.append(j)
            vc.append(col)
            vv.append(w[kk])
        vs_a = np.concatenate(vs) if vs else np.empty(0, dtype=np.int64)
        vc_a = np.concatenate(vc) if vc else np.empty(0, dtype=np.int64)
        vv_a = np.concatenate(vv) if vv else np.empty(0)
        const = np.bincount(vs_a[vc_a < 0], weights=vv_a[vc_a < 0], minlength=m)
        var = vc_a >= 0
        vol = sp.coo_matrix((vv_a[var], (vs_a[var], vc_a[var])), shape=(m, n_cols)).tocsr()
        vol.sum_duplicates()
        vol = vol.tocoo()
        if inst.max_patients is not None:
            r = n_rows + vol.row
            add(r, vol.col, vol.data)
            add(n_rows + np.arange(m), np.arange(m), -inst.max_patients * np.ones(m))
            lo_list.append(np.full(m, -np.inf))
            hi_list.append(-const)
            n_rows += m
        if inst.min_patients is not None:
            r = n_rows + vol.row
            add(r, vol.col, vol.data)
            add(n_rows + np.arange(m), np.arange(m), -inst.min_patients * np.ones(m))
            if has_unresolved:
                add(n_rows + np.arange(m), np.full(m, m + n_u), np.ones(m))
            lo_list.append(-const - cut_at_root)
            hi_list.append(np.full(m, np.inf))
            n_rows += m
        if has_unresolved:
            # U - sum W_leaf u_leaf = 0
            agg = np.bincount(leaf_nodes, weights=leaf_w, minlength=n_u)
            nz = np.flatnonzero(agg)
            add(np.full(len(nz) + 1, n_rows), np.r_[m + nz, m + n_u], np.r_[-agg[nz], 1.0])
            lo_list.append(np.zeros(1))
            hi_list.append(np.zeros(1))
            n_rows += 1
    if has_unresolved:
        col_lower = np.r_[col_lower, 0.0]
        col_upper = np.r_[col_upper, np.inf]
    matrix = sp.coo_matrix(
        (np.concatenate(rows_v), (np.concatenate(rows_r), np.concatenate(rows_c))),
        shape=(n_rows, n_cols),
    ).tocsc()
    matrix.sum_duplicates()
    cost = np.r_[np.zeros(m), u_cost, np.zeros(1 if has_unresolved else 0)]
    return _Model(
        n_y=m,
        n_u=n_u,
        has_unresolved=has_unresolved,
        cost=cost,
        constant=constant,
        lower=col_lower,
        upper=col_upper,
        matrix=matrix,
        row_lower=np.concatenate(lo_list),
        row_upper=np.concatenate(hi_list),
        node_rep=rep,
        node_size=size,
        leaf_weights=(leaf_nodes, leaf_w),
    )


def _start_vector(model: _Model, inst: Instance, open_mask: np.ndarray) -> np.ndarray:
    """Column values of a set of hubs (u exact), for a warm start."""
    q = inst.open_position_in_order(open_mask)
    u = (q[model.node_rep] >= model.node_size).astype(np.float64)
    x = np.r_[open_mask.astype(np.float64), u]
    if model.has_unresolved:
        nodes, weights = model.leaf_weights
        x = np.r_[x, float(np.dot(weights, u[nodes]))]
    return x


@dataclass
class _Run:
    status: str  # optimal | time_limit | infeasible | other
    open_mask: np.ndarray | None
    objective: float
    bound: float
    nodes: int


def _run_highs(model: _Model, time_limit: float, start: np.ndarray | None, threads: int | None) -> _Run:
    with highs_session(threads) as h:
        return _run_model(h, model, time_limit, start)


def _run_model(h: Any, model: _Model, time_limit: float, start: np.ndarray | None) -> _Run:
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_ = model.n_cols
    lp.num_row_ = model.matrix.shape[0]
    lp.col_cost_ = model.cost
    lp.col_lower_ = model.lower
    lp.col_upper_ = model.upper
    inf = highspy.kHighsInf
    lp.row_lower_ = np.where(np.isfinite(model.row_lower), model.row_lower, -inf)
    lp.row_upper_ = np.where(np.isfinite(model.row_upper), model.row_upper, inf)
    lp.offset_ = model.constant
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = model.matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = model.matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = model.matrix.data.astype(np.float64)
    integrality = [highspy.HighsVarType.kContinuous] * model.n_cols
    for j in range(model.n_y):
        integrality[j] = highspy.HighsVarType.kInteger
    lp.integrality_ = integrality
    h.passModel(lp)
    h.setOptionValue("time_limit", float(max(time_limit, 1e-3)))
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.setOptionValue("mip_abs_gap", 1e-7)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    S = highspy.HighsModelStatus
    if status == S.kInfeasible:
        return _Run("infeasible", None, math.inf, math.inf, int(info.mip_node_count))
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    mask = None
    if has_solution:
        values = np.asarray(h.getSolution().col_value)[: model.n_y]
        mask = values > 0.5
    name = "optimal" if status == S.kOptimal else ("time_limit" if status == S.kTimeLimit else "other")
    if name == "other" and status not in (S.kInterrupt, S.kSolutionLimit, S.kIterationLimit):
        raise SolverError(f"HiGHS stopped with status {h.modelStatusToString(status)}")
    bound = float(info.mip_dual_bound)
    return _Run(name, mask, float(info.objective_function_value), bound, int(info.mip_node_count))


def _describe_infeasible(problem: SiteSelectionProblem) -> str:
    parts = []
    if problem.min_patients_per_hub is not None:
        parts.append(f"at least {problem.min_patients_per_hub:,.0f} patients per hub")
    if problem.max_patients_per_hub is not None:
        parts.append(f"at most {problem.max_patients_per_hub:,.0f} patients per hub")
    if problem.max_minutes is not None:
        parts.append(f"nobody more than {problem.max_minutes:g} minutes away")
    if problem.keep:
        parts.append(f"keeping {len(problem.keep)} site{'' if len(problem.keep) == 1 else 's'}")
    what = " with ".join([f"no set of {counted(problem.k, 'hub')}"] + ([" and ".join(parts)] if parts else []))
    return f"{what} exists, with patients going to their nearest hub (proven by the exact method)"


def solve_exact(
    problem: SiteSelectionProblem,
    *,
    time_limit: float = 300.0,
    seed: int | None = 0,
    restarts: int = 0,
    warm_start: HeuristicResult | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
    deadline: float | None = None,
    lagrangian: bool | None = None,
    neighbourhoods: bool | None = None,
) -> Solution:
    """Solve to proven optimality, or report the proven gap at ``time_limit`` seconds.

    ``time_limit`` bounds the whole solve: reducing the problem, the warm-start
    heuristic (at most :data:`HEURISTIC_SHARE` of the time left), building each model and
    every HiGHS round. ``deadline`` (a :func:`time.perf_counter` value) replaces it
    when given (a p-centre's tie-break solve shares its caller's deadline).

    ``lagrangian``: for the p-median without volume limits, first bound the problem by
    Lagrangian relaxation and rule out the candidates that cannot be in a better set
    than the best found (:mod:`hubplan.optimise.lagrangian`), then solve the model over
    the candidates left. ``None`` (the default) does so with at least
    :data:`~hubplan.optimise.lagrangian.LAGRANGIAN_MIN_CANDIDATES` candidates.

    ``neighbourhoods``: with volume limits, improve the best set by re-optimising one
    part of the map at a time (:mod:`hubplan.optimise.neighbourhood`) while HiGHS
    bounds the whole model in another thread. ``None`` (the default) does so with volume
    limits on a machine with at least two cores.
    """
    t0 = time.perf_counter()
    if deadline is None:
        deadline = t0 + float(time_limit)
    problem.check_feasible()
    say = progress or (lambda message: None)
    if problem.objective is Objective.P_CENTRE:
        return _solve_centre(problem, deadline=deadline, seed=seed, restarts=restarts, threads=threads,
                             say=say, t0=t0)
    inst = reduce_problem(problem)
    say(f"{inst.n_clients:,} distinct clients (of {problem.n_clients:,}), {inst.n_candidates} candidates")
    enumerated = _enumerate(problem, inst, deadline)
    if enumerated is not None:
        mask, n_sets = enumerated
        value = _to_units(problem, _model_value(problem, inst, mask), inst.total_demand)
        say(f"every one of the {n_sets:,} sets of hubs evaluated: {value:.4f}")
        return _solution(problem, np.flatnonzero(mask), value, value, 0.0, "optimal", time.perf_counter() - t0,
                         seed, {"sets_enumerated": n_sets, "distinct_clients": inst.n_clients},
                         method=ENUMERATION_NAME)
    # with Lagrangian fixing, greedy alone gives the first target: vertex substitution
    # starts later from the relaxed problem's hubs, which are much closer to the optimum
    greedy_only = restarts == 0 and _use_lagrangian(problem, inst, lagrangian)
    if restarts == 0 and inst.max_patients is not None:
        restarts = VOLUME_RESTARTS
    heur = warm_start if warm_start is not None else local_search(inst, restarts=restarts, seed=seed,
                                                                  max_swaps=0 if greedy_only else 10_000,
                                                                  deadline=_heuristic_deadline(deadline))
    if warm_start is None and greedy_only and heur.violation > 1e-6:
        # greedy broke a constraint (e.g. someone out of reach): let vertex substitution repair it
        start_mask = np.zeros(inst.n_candidates, dtype=bool)
        start_mask[heur.open_positions] = True
        heur = local_search(inst, start=start_mask, seed=seed, deadline=_heuristic_deadline(deadline))
    say(f"heuristic: {_format_heuristic(problem, inst, heur)} in {heur.seconds:.1f} s"
        + (" (stopped at its share of the time limit)" if heur.stopped_at_deadline else ""))
    total = inst.total_demand
    m = inst.n_candidates
    best_mask: np.ndarray | None = None
    best_value = math.inf  # in model units (minimised)
    if heur.violation <= 1e-6:
        best_mask = np.zeros(m, dtype=bool)
        best_mask[heur.open_positions] = True
        best_value = _model_value(problem, inst, best_mask)
    heur_mask = np.zeros(m, dtype=bool)
    heur_mask[heur.open_positions] = True
    if best_mask is not None and _use_lagrangian(problem, inst, lagrangian) and time.perf_counter() < deadline:
        return _solve_with_fixing(problem, inst, heur, best_mask, best_value, deadline=deadline, seed=seed,
                                  threads=threads, say=say, t0=t0, progress=progress)
    if best_mask is not None and _use_neighbourhoods(problem, inst, neighbourhoods) and time.perf_counter() < deadline:
        found, searched = _rounds_and_neighbourhoods(problem, inst, heur_mask, best_mask, best_value,
                                                     deadline=deadline, threads=threads, say=say, seed=seed)
    else:
        found = _rounds(problem, inst, heur_mask, best_mask, best_value, deadline=deadline, threads=threads, say=say)
        searched = None
    status, best_mask, best_value = found.status, found.best_mask, found.best_value
    assert best_mask is not None or searched is None
    lower_bound, rounds, sizes = found.lower_bound, found.rounds, found.sizes
    seconds = time.perf_counter() - t0
    if best_mask is None:
        return Solution(
            sites=tuple(problem.candidate_codes[j] for j in heur.open_positions),
            objective=_to_units(problem, _model_value(problem, inst, heur_mask), total),
            bound=_to_units(problem, lower_bound, total),
            gap=float("nan"),
            status="no_feasible_found",
            method=METHOD_NAME,
            seconds=seconds,
            seed=seed,
            objective_name=problem.objective.value,
            details={"rounds": rounds, **sizes, "violations": problem.violations(heur.open_positions),
                     "time_limit_reached": status == "time_limit" or heur.stopped_at_deadline},
        )
    if status == "optimal":
        lower_bound = max(lower_bound, best_value) if best_value - lower_bound < 1e-6 * max(1.0, abs(best_value)) else lower_bound
    objective = _to_units(problem, best_value, total)
    bound = _to_units(problem, lower_bound, total)
    sites_idx = np.flatnonzero(best_mask)
    gap = relative_gap(objective, bound)
    if status == "optimal" and not gap <= 1e-6:
        status = "time_limit"
    details: dict[str, Any] = {
        "rounds": rounds, **sizes, "distinct_clients": inst.n_clients,
        "heuristic_objective": _to_units(problem, _model_value(problem, inst, heur_mask), total)
        if heur.violation <= 1e-6 else None}
    if searched is not None:
        details.update(searched)
    return _solution(problem, sites_idx, objective, bound, gap, status, seconds, seed, details)


@dataclass
class _Rounds:
    status: str  # optimal | time_limit
    best_mask: np.ndarray | None
    best_value: float
    lower_bound: float
    rounds: int
    sizes: dict[str, int]


def _rounds(problem: SiteSelectionProblem, inst: Instance, heur_mask: np.ndarray, best_mask: np.ndarray | None,
            best_value: float, *, deadline: float, threads: int | None, say: Progress) -> _Rounds:
    """The prefix-set model solved round after round, chains extended until every
    client's hub lies inside its chain (see the module docstring), from the heuristic's
    set ``heur_mask`` and the best feasible set so far (``best_mask``, ``best_value``)."""
    m = inst.n_candidates
    lower_bound = -math.inf
    status = "optimal"
    rounds = 0
    sizes: dict[str, int] = {}
    obj_kind = "median" if problem.objective is Objective.P_MEDIAN else "coverage"
    late = time.perf_counter() >= deadline
    if late:  # not even time to sort the clients' candidates for a model
        status = "time_limit"
        say("time limit reached after the heuristic")
    else:
        first_keep = inst.first_keep_position
        reach = inst.reachable_count
        q = inst.open_position_in_order(heur_mask)
        strict = inst.has_volumes
        depth = np.minimum(q + (1 + VOLUME_CHAIN_MARGIN if strict else 0), np.minimum(first_keep, reach))
        if problem.objective is Objective.COVERAGE:
            assert inst.threshold_minutes is not None
            b = inst.within_count(inst.threshold_minutes)
            depth = np.maximum(depth, np.minimum(b, np.minimum(first_keep, reach)))
        if not inst.has_volumes and problem.objective is Objective.COVERAGE:
            # coverage alone needs no chain beyond the threshold
            depth = np.minimum(np.minimum(b, first_keep), reach)
        # a client that some candidates cannot serve must get a hub it can reach
        must_reach = (reach < m) & (first_keep >= reach)
        depth = np.where(must_reach, np.maximum(depth, reach), depth)
    while not late:
        if time.perf_counter() >= deadline:
            status = "time_limit"
            say("time limit reached before the next model")
            break
        rounds += 1
        model = _build(inst, depth, objective=obj_kind, exact_u=inst.has_volumes)
        sizes = {"binary_variables": model.n_y, "continuous_variables": model.n_cols - model.n_y,
                 "rows": int(model.matrix.shape[0]), "nonzeros": int(model.matrix.nnz)}
        say(f"round {rounds}: {sizes['continuous_variables']:,} prefix-set variables, "
            f"{sizes['rows']:,} rows, {sizes['nonzeros']:,} nonzeros")
        start = _start_vector(model, inst, best_mask) if best_mask is not None else None
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            status = "time_limit"
            break
        run = _run_highs(model, remaining, start, threads)
        if run.status == "infeasible":
            raise InfeasibleError(_describe_infeasible(problem))
        lower_bound = max(lower_bound, run.bound)
        if run.open_mask is not None:
            value = _model_value(problem, inst, run.open_mask)
            feasible = not _violates(problem, inst, run.open_mask)
            if feasible and value < best_value - 1e-9 * max(1.0, abs(value)):
                best_mask, best_value = run.open_mask, value
            q = inst.open_position_in_order(run.open_mask)
            cap = np.minimum(first_keep, reach)
            if problem.objective is Objective.COVERAGE and not strict:
                unresolved = np.zeros(inst.n_clients, dtype=bool)  # exact at the threshold
                new_depth = depth
            elif strict:
                unresolved = (q >= depth) & (depth < cap)
                new_depth = np.minimum(q + 1 + VOLUME_CHAIN_MARGIN, cap)
            else:
                unresolved = (q > depth) & (depth < cap)
                new_depth = np.minimum(q, cap)
        else:
            unresolved = np.zeros(inst.n_clients, dtype=bool)
        if run.status != "optimal":
            status = "time_limit"
            break
        if not unresolved.any():
            break
        say(f"round {rounds}: {int(unresolved.sum()):,} clients' hubs lie beyond their chains; extending")
        depth = np.where(unresolved, np.maximum(depth, new_depth), depth)
    return _Rounds(status, best_mask, best_value, lower_bound, rounds, sizes)


def _use_neighbourhoods(problem: SiteSelectionProblem, inst: Instance, wanted: bool | None) -> bool:
    if wanted is False or not inst.has_volumes or problem.objective is Objective.P_CENTRE:
        return False
    if inst.n_candidates <= NEIGHBOURHOOD_SITES or inst.k - int(inst.keep.sum()) <= 0:
        return False
    return bool(wanted) or (os.cpu_count() or 1) >= 2


def _rounds_and_neighbourhoods(problem: SiteSelectionProblem, inst: Instance, heur_mask: np.ndarray,
                               best_mask: np.ndarray, best_value: float, *, deadline: float,
                               threads: int | None, say: Progress, seed: int | None,
                               ) -> tuple[_Rounds, dict[str, Any]]:
    """The full model (for the bound, and a set if it finds a better one) in a second
    thread while the neighbourhood search improves the set in this one.

    HiGHS releases Python's lock while it solves, so the two use two cores. The search
    stops when the full model ends (proven optimal, or its time is up). Messages from
    the full model's thread are passed on from this one.
    """
    stop = threading.Event()
    messages: list[str] = []
    lock = threading.Lock()
    outcome: dict[str, Any] = {}

    def queue(message: str) -> None:
        with lock:
            messages.append(message)

    def flush() -> None:
        with lock:
            waiting = messages[:]
            messages.clear()
        for message in waiting:
            say(message)

    def full_model() -> None:
        try:
            outcome["rounds"] = _rounds(problem, inst, heur_mask, best_mask, best_value, deadline=deadline,
                                        threads=threads, say=queue)
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc
        finally:
            stop.set()

    total = inst.total_demand

    def solve_sub(sub: Instance, start: np.ndarray, limit: float) -> tuple[np.ndarray, float, bool]:
        flush()
        value = _model_value(problem, sub, start)
        found = _rounds(problem, sub, start, start, value, deadline=limit, threads=threads, say=lambda _: None)
        assert found.best_mask is not None  # the start is feasible
        return found.best_mask, found.best_value, found.status == "optimal"

    def improved(seed_site: int, value: float) -> None:
        say(f"neighbourhood search around {problem.candidate_codes[seed_site]}: "
            f"{_to_units(problem, value, total):.4f}")

    worker = threading.Thread(target=full_model, name="hubplan-full-model", daemon=True)
    worker.start()
    start_mask, start_value = best_mask, best_value
    kicked = None
    if inst.max_patients is not None:  # minimum volumes alone: the model proves the optimum, leave it the CPU
        now = time.perf_counter()
        say("perturbation search (random kicks of two hubs, then swaps) while HiGHS bounds the whole model")
        kicked = perturbation_search(inst, best_mask, deadline=now + PERTURBATION_SHARE * max(0.0, deadline - now),
                                     stop=stop, seed=seed)
        if kicked.violation <= 1e-6:
            value = _model_value(problem, inst, kicked.open_mask)
            if value < best_value - 1e-9 * max(1.0, abs(best_value)):
                start_mask, start_value = kicked.open_mask, value
        flush()
        say(f"perturbation search: {kicked.kicks} kicks, {kicked.improvements} improved the set: "
            f"{_to_units(problem, start_value, total):.4f}")
    say(f"neighbourhood search ({NEIGHBOURHOOD_SITES} sites at a time) while HiGHS bounds the whole model")
    found = neighbourhood_search(inst, start_mask, start_value, solve_sub, deadline=deadline, stop=stop, seed=seed,
                                 on_improvement=improved)
    if found.complete_pass:
        say(f"neighbourhood search: every neighbourhood of {NEIGHBOURHOOD_SITES} sites proven to hold nothing "
            "better; waiting for the bound")
    worker.join()
    flush()
    if "error" in outcome:
        raise outcome["error"]
    rounds: _Rounds = outcome["rounds"]
    if found.best_value < rounds.best_value - 1e-9 * max(1.0, abs(rounds.best_value)):
        rounds.best_mask, rounds.best_value = found.best_mask, found.best_value
    details: dict[str, Any] = {} if kicked is None else {
        "perturbation_kicks": kicked.kicks, "perturbation_improvements": kicked.improvements}
    details |= {
        "neighbourhoods_searched": found.searched,
        "neighbourhood_improvements": found.improvements,
        "neighbourhood_sites": NEIGHBOURHOOD_SITES,
        "neighbourhoods_all_proven": found.complete_pass,
        "neighbourhood_objective": _to_units(problem, found.best_value, total),
    }
    return rounds, details


def _use_lagrangian(problem: SiteSelectionProblem, inst: Instance, wanted: bool | None) -> bool:
    if wanted is False or problem.objective is not Objective.P_MEDIAN or inst.has_volumes:
        return False
    if inst.k - int(inst.keep.sum()) <= 0 or inst.n_clients == 0:
        return False
    return bool(wanted) or inst.n_candidates >= LAGRANGIAN_MIN_CANDIDATES


def _solve_with_fixing(problem: SiteSelectionProblem, inst: Instance, heur: HeuristicResult,
                       best_mask: np.ndarray, best_value: float, *, deadline: float, seed: int | None,
                       threads: int | None, say: Progress, t0: float, progress: Progress | None) -> Solution:
    """The p-median bounded by Lagrangian relaxation, then solved over the candidates left.

    Every candidate ruled out is in no set cheaper than the best found (which is kept),
    so the optimum over the candidates left is the optimum, and a bound proven for them
    is a bound for the whole problem; the Lagrangian bound is valid as well.
    """
    total = inst.total_demand
    now = time.perf_counter()
    lag = ascend(inst, best_value, best_mask, deadline=now + LAGRANGIAN_SHARE * max(deadline - now, 0.0))
    say(f"Lagrangian bound {_to_units(problem, lag.bound, total):.4f} after {lag.iterations} iterations "
        f"in {lag.seconds:.1f} s")
    # vertex substitution from the relaxed problem's hubs (and the best of them seen on the way)
    starts = [lag.chosen]
    if lag.best_set is not None:
        starts.append(np.isin(np.arange(inst.n_candidates), lag.best_set))
    for start in starts:
        if time.perf_counter() >= deadline:
            break
        searched = local_search(inst, start=start, deadline=_heuristic_deadline(deadline))
        mask = np.zeros(inst.n_candidates, dtype=bool)
        mask[searched.open_positions] = True
        value = _model_value(problem, inst, mask)
        if not _violates(problem, inst, mask) and value < best_value - 1e-9 * max(1.0, abs(best_value)):
            best_mask, best_value = mask, value
            say(f"vertex substitution from the relaxed problem's hubs: {_to_units(problem, value, total):.4f}")
    lower = lag.bound
    status = "time_limit"
    details: dict[str, Any] = {
        "distinct_clients": inst.n_clients,
        "heuristic_objective": _to_units(problem, _model_value(problem, inst, np.isin(
            np.arange(inst.n_candidates), heur.open_positions)), total),
        "lagrangian_bound": _to_units(problem, lag.bound, total),
        "lagrangian_iterations": lag.iterations,
        "lagrangian_seconds": round(lag.seconds, 3),
    }
    closed, opened = fix_candidates(inst, lag, best_value, best_mask)
    left = ~closed
    say(f"{int(closed.sum()):,} candidates ruled out by the Lagrangian bound, {int(opened.sum()):,} fixed "
        f"open; {int(left.sum()):,} left")
    details.update({"candidates_fixed_closed": int(closed.sum()), "candidates_fixed_open": int(opened.sum()),
                    "candidates_left": int(left.sum())})
    if best_value - lower <= 1e-9 * max(1.0, abs(best_value)):
        status, lower = "optimal", best_value
    elif time.perf_counter() < deadline:
        codes = problem.candidate_codes
        left_idx = np.flatnonzero(left)
        restricted = problem.with_changes(
            cost_minutes=problem.cost_minutes[:, left_idx],
            candidate_codes=tuple(codes[j] for j in left_idx),
            keep=tuple(dict.fromkeys(problem.keep + tuple(codes[j] for j in np.flatnonzero(opened)))),
        )
        sub_inst = reduce_problem(restricted)
        warm = local_search(sub_inst, start=best_mask[left_idx], deadline=_heuristic_deadline(deadline))
        sub = solve_exact(restricted, warm_start=warm, threads=threads, progress=progress, deadline=deadline,
                          seed=seed, lagrangian=False)
        sub_mask = np.zeros(inst.n_candidates, dtype=bool)
        sub_mask[problem.positions(list(sub.sites))] = True
        value = _model_value(problem, inst, sub_mask)
        if (sub.status in ("optimal", "time_limit") and not _violates(problem, inst, sub_mask)
                and value < best_value - 1e-9 * max(1.0, abs(best_value))):
            best_mask, best_value = sub_mask, value
        details.update({key: sub.details[key] for key in ("rounds", "binary_variables", "continuous_variables",
                                                           "rows", "nonzeros") if key in sub.details})
        if sub.status == "optimal":
            status, lower = "optimal", best_value
        elif math.isfinite(sub.bound):
            # valid for the whole problem: every set left out costs more than the best found
            lower = max(lower, sub.bound * total)
    objective = _to_units(problem, best_value, total)
    bound = min(_to_units(problem, lower, total), objective)
    gap = relative_gap(objective, bound)
    if status == "optimal" and not gap <= 1e-6:
        status = "time_limit"
    return _solution(problem, np.flatnonzero(best_mask), objective, bound, gap, status,
                     time.perf_counter() - t0, seed, details, method=LAGRANGIAN_METHOD_NAME)


def _heuristic_deadline(deadline: float) -> float:
    """When the warm-start heuristic must stop: :data:`HEURISTIC_SHARE` of the time left."""
    now = time.perf_counter()
    return now + HEURISTIC_SHARE * max(deadline - now, 0.0)


def _enumerate(problem: SiteSelectionProblem, inst: Instance, deadline: float) -> tuple[np.ndarray, int] | None:
    """The best set by evaluating every one, when at most two hubs are free to choose.

    For p-median and coverage without volume limits, when clients x sets is at most
    :data:`ENUMERATION_LIMIT` and at least :data:`ENUMERATION_MIN_FREE` candidates are
    free: nationally k = 1 and 2 (113 and 6,328 sets), where the
    prefix-set chains are longest and the model largest. Each free candidate ``j`` adds
    its column to the kept sites' nearest minutes, and for two free hubs each later
    column is added to that, one candidate at a time. Returns the open mask and the
    number of sets, or ``None`` (not applicable, or the deadline passed first).
    """
    if problem.objective is Objective.P_CENTRE or inst.has_volumes or inst.n_clients == 0:
        return None
    free = np.flatnonzero(~inst.keep)
    n_free = inst.k - int(inst.keep.sum())
    if n_free < 0 or n_free > 2 or len(free) < ENUMERATION_MIN_FREE:
        return None
    n_sets = math.comb(len(free), n_free)
    if n_sets * inst.n_clients > ENUMERATION_LIMIT:
        return None
    w = inst.demand
    cost = inst.cost
    kept = np.flatnonzero(inst.keep)
    base = cost[:, kept].min(axis=1) if len(kept) else np.full(inst.n_clients, np.inf)

    unreachable = inst.has_unreachable

    def loss(minutes: np.ndarray) -> np.ndarray:
        """Per column of ``minutes``: the minimised value; inf if some client has no hub."""
        if problem.objective is Objective.COVERAGE:
            assert inst.threshold_minutes is not None
            value = w @ (minutes > inst.threshold_minutes + TIE_TOLERANCE_MINUTES)
        elif unreachable:
            value = w @ np.where(np.isfinite(minutes), minutes, 0.0)
        else:
            return w @ minutes
        return np.where(np.isfinite(minutes).all(axis=0), value, np.inf)

    best_value = math.inf
    best: tuple[int, ...] | None = None
    if n_free == 0:
        best_value, best = float(loss(base[:, None])[0]), ()
    for a, j in enumerate(free if n_free > 0 else ()):
        if time.perf_counter() >= deadline:
            return None
        with_j = np.minimum(base, cost[:, j])
        if n_free == 1:
            values = loss(with_j[:, None])
            partners: np.ndarray = np.empty(0, dtype=np.intp)
        else:
            partners = free[a + 1:]
            if not len(partners):
                continue
            values = loss(np.minimum(with_j[:, None], cost[:, partners]))
        i = int(np.argmin(values))
        if values[i] < best_value:
            best_value = float(values[i])
            best = (int(j),) if n_free == 1 else (int(j), int(partners[i]))
    if best is None or not math.isfinite(best_value):
        return None  # no set serves every client: leave the proof of that to the model
    mask = inst.keep.copy()
    mask[list(best)] = True
    return mask, n_sets


def _solution(problem: SiteSelectionProblem, sites_idx: np.ndarray, objective: float, bound: float,
              gap: float, status: str, seconds: float, seed: int | None, details: dict,
              method: str = METHOD_NAME) -> Solution:
    volumes = problem.hub_patients(sites_idx)
    return Solution(
        sites=tuple(problem.candidate_codes[j] for j in sites_idx),
        objective=objective,
        bound=bound,
        gap=gap,
        status=status,
        method=method,
        seconds=seconds,
        seed=seed,
        objective_name=problem.objective.value,
        hub_patients=tuple(volumes[sites_idx]),
        details=details,
    )


def _model_value(problem: SiteSelectionProblem, inst: Instance, open_mask: np.ndarray) -> float:
    """The minimised model objective of a set: patient-minutes or patients not covered."""
    hub, cost = inst.assign(np.flatnonzero(open_mask))
    if problem.objective is Objective.COVERAGE:
        assert inst.threshold_minutes is not None
        return float(inst.demand[~(cost <= inst.threshold_minutes + TIE_TOLERANCE_MINUTES)].sum())
    if not np.isfinite(cost).all():
        return math.inf
    return inst.offset + float(np.dot(inst.demand, cost))


def _violates(problem: SiteSelectionProblem, inst: Instance, open_mask: np.ndarray) -> bool:
    if int(open_mask.sum()) != inst.k or (inst.keep & ~open_mask).any():
        return True
    hub, cost = inst.assign(np.flatnonzero(open_mask))
    if (hub < 0).any():
        return True
    vol = np.bincount(hub, weights=inst.demand, minlength=inst.n_candidates)[open_mask]
    if inst.max_patients is not None and (vol > inst.max_patients + 1e-6).any():
        return True
    if inst.min_patients is not None and (vol < inst.min_patients - 1e-6).any():
        return True
    return False


def _to_units(problem: SiteSelectionProblem, value: float, total: float) -> float:
    if not math.isfinite(value) or total <= 0:
        return float(value) if problem.objective is not Objective.COVERAGE else float("nan")
    if problem.objective is Objective.COVERAGE:
        return 1.0 - value / total
    return value / total


def _format_heuristic(problem: SiteSelectionProblem, inst: Instance, heur: HeuristicResult) -> str:
    if heur.violation > 1e-6:
        return f"no feasible set found (violation {heur.violation:,.0f} patients)"
    mask = np.zeros(inst.n_candidates, dtype=bool)
    mask[heur.open_positions] = True
    if problem.objective is Objective.P_CENTRE:
        return f"longest {heur.primary:.1f} min"
    value = _to_units(problem, _model_value(problem, inst, mask), inst.total_demand)
    unit = "share covered" if problem.objective is Objective.COVERAGE else "mean min"
    return f"{value:.4f} {unit}"


# --------------------------------------------------------------------------- p-centre
def _solve_centre(problem: SiteSelectionProblem, *, deadline: float, seed: int | None, restarts: int,
                  threads: int | None, say: Progress, t0: float) -> Solution:
    inst = reduce_problem(problem)
    heur = local_search(inst, restarts=restarts, seed=seed, deadline=_heuristic_deadline(deadline))
    m = inst.n_candidates
    finite = inst.sorted_cost[np.isfinite(inst.sorted_cost)]
    radii = np.unique(finite)
    # lower bound: every client needs some candidate; with keep, no better than the kept
    lower = float(inst.sorted_cost[:, 0].max()) if inst.n_clients else 0.0
    upper = float(radii.max()) if len(radii) else 0.0
    feasible_mask: np.ndarray | None = None
    if heur.violation <= 1e-6:
        upper = heur.primary
        feasible_mask = np.zeros(m, dtype=bool)
        feasible_mask[heur.open_positions] = True
    say(f"p-centre: longest time between {lower:.1f} and {upper:.1f} min; bisection")
    cand = radii[(radii >= lower - 1e-9) & (radii <= upper + 1e-9)]
    lo_i, hi_i = 0, len(cand) - 1  # cand[hi_i] is feasible if feasible_mask is set
    proven_infeasible_below = lower  # every R < lower is infeasible
    status = "optimal"
    if feasible_mask is None:
        hi_i = len(cand) - 1
    while lo_i < hi_i or (feasible_mask is None and lo_i <= hi_i):
        mid = (lo_i + hi_i) // 2 if feasible_mask is not None or lo_i < hi_i else lo_i
        R = float(cand[mid])
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            status = "time_limit"
            break
        ok, mask, timed_out = _centre_feasible(inst, R, remaining, threads)
        say(f"  within {R:.1f} min: {'feasible' if ok else ('unknown (time)' if timed_out else 'infeasible')}")
        if timed_out:
            status = "time_limit"
            break
        if ok:
            feasible_mask = mask
            hi_i = mid
            if lo_i == hi_i:
                break
        else:
            proven_infeasible_below = float(cand[mid + 1]) if mid + 1 < len(cand) else math.inf
            lo_i = mid + 1
            if feasible_mask is None and lo_i > hi_i:
                raise InfeasibleError(_describe_infeasible(problem))
    if feasible_mask is None:
        raise SolverError("p-centre: no feasible set found within the time limit")
    best_R = float(inst.assign(np.flatnonzero(feasible_mask))[1].max())
    sites_idx = np.flatnonzero(feasible_mask)
    secondary = None
    if status == "optimal":
        # among sets with this longest time, the best mean
        remaining = deadline - time.perf_counter()
        if remaining > 1:
            tie = problem.with_changes(objective=Objective.P_MEDIAN,
                                       max_minutes=best_R if problem.max_minutes is None else min(best_R, problem.max_minutes))
            try:
                sol = solve_exact(tie, time_limit=remaining, seed=seed, threads=threads, deadline=deadline)
                if sol.status in ("optimal", "time_limit"):
                    sites_idx = problem.positions(sol.sites)
                    secondary = sol.objective
            except InfeasibleError:
                pass
    bound = max(proven_infeasible_below, lower) if status != "optimal" else best_R
    bound = min(bound, best_R)
    seconds = time.perf_counter() - t0
    objective = float(problem.objective_value(sites_idx))
    return _solution(problem, sites_idx, objective, bound, relative_gap(objective, bound), status, seconds, seed,
                     {"distinct_clients": inst.n_clients, "mean_minutes_among_ties": secondary})


def _centre_feasible(inst: Instance, radius: float, time_limit: float, threads: int | None) -> tuple[bool, np.ndarray | None, bool]:
    b = inst.within_count(radius)
    if (b == 0).any():
        return False, None, False
    first_keep = inst.first_keep_position
    covered_by_keep = first_keep < b
    depth = np.where(covered_by_keep, first_keep if inst.has_volumes else 0, b)
    depth = np.minimum(depth, inst.reachable_count)
    if inst.has_volumes:
        depth = np.where(covered_by_keep, first_keep, b)
    zero = np.where(covered_by_keep, 0, b)
    model = _build(inst, depth, objective="none", zero_size=zero, exact_u=inst.has_volumes)
    run = _run_highs(model, time_limit, None, threads)
    if run.status == "infeasible":
        return False, None, False
    if run.open_mask is None:
        return False, None, True
    return True, run.open_mask, False
