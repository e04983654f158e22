"""Sweeps over the number of hubs and the Pareto set of time against hub volume.

:func:`sweep` answers "what do we lose going from 30 hubs to 24?": one row per ``k``
with the chosen sites, the objective, the proven bound and gap (how far from the
best possible that row can be) and (given the network and service) the evaluation
summary of that option. :func:`pareto` answers "how much longer do patients
travel if every hub must see at least V patients?", the question Allen et al. (2019)
explored with a genetic algorithm, by solving exactly over a grid of minimum volumes
and keeping the non-dominated points.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from hubplan.errors import InfeasibleError, InputError
from hubplan.optimise._instance import reduce_problem
from hubplan.optimise.api import solve, solve_heuristic
from hubplan.optimise.exact import HEURISTIC_SHARE, _heuristic_deadline, solve_exact
from hubplan.optimise.heuristic import local_search
from hubplan.optimise.problem import Objective, SiteSelectionProblem
from hubplan.optimise.solution import Solution, gap_percent
from hubplan.validation import check_number

if TYPE_CHECKING:
    from hubplan.executor import Executor
    from hubplan.geography.network import Network
    from hubplan.services import Service

Progress = Callable[[str], None]


def _summary_columns(
    problem: SiteSelectionProblem,
    solution: Solution,
    network: "Network | None",
    service: "Service | None",
) -> dict[str, object]:
    row: dict[str, object] = {}
    if network is not None and service is not None:
        from hubplan.access.evaluate import OUTCOME_FIGURES, evaluate

        ev = evaluate(network, service, problem.option(solution.sites))
        s = ev.summary["time_to_hub"]
        row.update({"mean_minutes": s["mean"], "median_minutes": s["median"], "p90_minutes": s["p90"],
                    "max_minutes": s["max"]})
        for t, share in s["within"].items():
            row[f"within_{t}"] = share
        sites = ev.sites
        hubs = sites[sites["role"] == "hub"]["catchment_patients"]
        row["smallest_hub_patients"] = float(hubs.min())
        row["largest_hub_patients"] = float(hubs.max())
        outcomes = ev.summary["outcomes"]
        if outcomes["model"] is not None:  # the service's outcome model (ESTIMATED; docs/outcomes.md)
            for key in OUTCOME_FIGURES:
                row[key] = math.nan if outcomes[key] is None else float(outcomes[key])
        return row
    positions = problem.positions(list(solution.sites))
    _, minutes = problem.assignment(positions)
    w = problem.demand
    total = w.sum()
    row["mean_minutes"] = float(np.dot(minutes, w) / total) if total > 0 else math.nan
    row["max_minutes"] = float(minutes[w > 0].max()) if (w > 0).any() else math.nan
    if problem.threshold_minutes is not None:
        row[f"within_{problem.threshold_minutes:g}"] = float(w[minutes <= problem.threshold_minutes + 1e-6].sum() / total)
    vol = np.asarray(solution.hub_patients)
    row["smallest_hub_patients"] = float(vol.min()) if len(vol) else math.nan
    row["largest_hub_patients"] = float(vol.max()) if len(vol) else math.nan
    return row


def sweep(
    problem: SiteSelectionProblem,
    ks: Iterable[int],
    *,
    method: str = "exact",
    network: "Network | None" = None,
    service: "Service | None" = None,
    time_limit: float = 600.0,
    seed: int | None = 0,
    threads: int | None = None,
    progress: Progress | None = None,
    executor: "Executor | None" = None,
) -> pd.DataFrame:
    """Solve ``problem`` for each ``k`` and tabulate the results, each with its proven bound.

    First the heuristic, ``k`` upwards: each ``k`` starts from the answer for the
    previous ``k`` plus one greedy addition, then vertex substitution. With
    ``method="exact"`` (the default) each of those sets then warm-starts the exact
    method, ``k`` downwards, which proves it optimal or improves it and reports the
    proven ``bound`` and ``gap``; with ``method="heuristic"`` the heuristic's sets are
    the answers (status ``feasible``, no bound).

    ``time_limit`` is the seconds for solving every ``k`` together (heuristic and exact
    method; not the evaluations). In each pass each ``k`` may use an equal share of the
    time left (the heuristic at most :data:`~hubplan.optimise.exact.HEURISTIC_SHARE` of
    it), so time a fast ``k`` leaves goes to the next ones: large ``k`` are usually
    proven quickly, small ``k`` (long chains of prefix sets) take longest. A ``k`` whose
    share runs out keeps its best set found with status ``time_limit`` and the gap
    proven by then (``nan`` if none). Infeasible ``k`` (e.g. fewer than the kept sites)
    give a row with status ``infeasible`` and the reason.

    ``executor`` (:class:`hubplan.executor.Executor`, other than in-process): the exact
    method's solves, one task per ``k``, run on its workers (one solver thread each); each
    ``k`` may then use ``time_limit x workers / len(ks)`` seconds. Where every ``k`` is
    proven optimal the answers are those of the in-process sweep; under time limits the
    sets found may differ.

    Returns
    -------
    DataFrame
        One row per ``k``: ``k, sites`` (codes joined by ``;``), ``objective, bound, gap,
        status, method, seconds`` (solving this ``k``: heuristic and exact method), then
        ``mean_minutes, median_minutes, p90_minutes, max_minutes, within_<T>`` shares,
        ``smallest_hub_patients`` and ``largest_hub_patients`` (from ``evaluate`` when
        ``network`` and ``service`` are given, else from the cost matrix), and with a
        service that has an outcome model ``good_outcomes_per_year``,
        ``added_good_outcomes_per_year`` and ``added_utility_per_year`` (ESTIMATED).

    Examples
    --------
    >>> from hubplan.testing import tiny_network
    >>> from hubplan import Service
    >>> problem = SiteSelectionProblem.from_network(tiny_network(), Service(name="demo"), k=1, pathway="direct")
    >>> sweep(problem, [1, 2])[["k", "status", "gap"]].to_dict(orient="records")
    [{'k': 1, 'status': 'optimal', 'gap': 0.0}, {'k': 2, 'status': 'optimal', 'gap': 0.0}]
    """
    key = method.strip().lower()
    if key not in ("exact", "heuristic"):
        raise InputError(f"unknown method {method!r}: expected 'exact' or 'heuristic'")
    end = time.perf_counter() + check_number(time_limit, "time_limit_seconds", "time_limit")
    seed = check_number(seed, "seed", "seed")
    say = progress or (lambda message: None)
    todo = sorted(set(int(k) for k in ks))
    found: dict[int, Solution] = {}
    seconds: dict[int, float] = {}
    infeasible: dict[int, str] = {}
    # the heuristic chain, k upwards: each k starts from the previous k's hubs; with the
    # exact method to follow it may use HEURISTIC_SHARE of its share of the time
    share = 1.0 if key == "heuristic" else HEURISTIC_SHARE
    previous: tuple[str, ...] | None = None
    for i, k in enumerate(todo):
        t0 = time.perf_counter()
        deadline = t0 + share * max(end - t0, 0.0) / (len(todo) - i)
        p = problem.with_k(k)
        start = previous if previous is not None and len(previous) <= k else None
        try:
            solution = solve_heuristic(p, seed=seed, start=start, deadline=deadline)
        except InfeasibleError as exc:
            infeasible[k] = str(exc)
            say(f"k = {k}: infeasible ({exc})")
            continue
        found[k], seconds[k] = solution, time.perf_counter() - t0
        if solution.found_feasible:
            previous = solution.sites
        if key == "heuristic":
            say(f"k = {k}: {problem.objective.value} {solution.objective:.4g} ({solution.status}, "
                f"{seconds[k]:.2f} s)")
    if key == "exact" and executor is not None and executor.scheduler != "in-process" and found:
        solvable = sorted(found, reverse=True)
        share = max(end - time.perf_counter(), 0.0) * executor.n_workers / len(solvable)
        items = [(k, found[k].sites, seed, share) for k in solvable]
        say(f"exact method for {len(items)} values of k on {executor.description} ...")
        for (k, *_), (solution, error, spent) in zip(items, executor.map(_exact_task, items, shared=problem)):
            if error is not None:
                del found[k]
                infeasible[k] = error
                say(f"k = {k}: infeasible ({error})")
                continue
            found[k] = solution
            seconds[k] += spent
    elif key == "exact":
        # the exact method, k downwards: a large k is usually quick to prove, so the time
        # it leaves goes to the small k, whose models are larger
        solvable = sorted(found, reverse=True)
        for i, k in enumerate(solvable):
            t0 = time.perf_counter()
            deadline = t0 + max(end - t0, 0.0) / (len(solvable) - i)
            try:
                solution = _solve_warm(problem.with_k(k), found[k], seed=seed, threads=threads, deadline=deadline)
            except InfeasibleError as exc:  # proven by the exact method (volume limits)
                del found[k]
                infeasible[k] = str(exc)
                say(f"k = {k}: infeasible ({exc})")
                continue
            found[k] = solution
            seconds[k] += time.perf_counter() - t0
            gap = f", gap {gap_percent(solution.gap)}" if math.isfinite(solution.gap) else ", no bound"
            say(f"k = {k}: {problem.objective.value} {solution.objective:.4g} ({solution.status}{gap}, "
                f"{seconds[k]:.2f} s)")
    rows = []
    for k in todo:
        if k in infeasible:
            rows.append({"k": k, "sites": "", "status": "infeasible", "reason": infeasible[k]})
            continue
        solution = found[k]
        row: dict[str, object] = {
            "k": k,
            "sites": ";".join(solution.sites),
            "objective": solution.objective,
            "bound": solution.bound,
            "gap": solution.gap,
            "status": solution.status,
            "method": solution.method,
            "seconds": seconds[k],
        }
        row.update(_summary_columns(problem.with_k(k), solution, network, service))
        rows.append(row)
    return pd.DataFrame(rows)


def _exact_task(problem: SiteSelectionProblem, item: tuple[int, tuple[str, ...], int | None, float]
                ) -> tuple[Solution | None, str | None, float]:
    """One k of a distributed sweep: the exact method warm-started from the heuristic's sites."""
    k, sites, seed, share = item
    t0 = time.perf_counter()
    p = problem.with_k(k)
    start = Solution(sites=sites, objective=math.nan, bound=math.nan, gap=math.nan, status="feasible",
                     method="heuristic", seconds=0.0)
    try:
        solution = _solve_warm(p, start, seed=seed, threads=1, deadline=time.perf_counter() + share)
    except InfeasibleError as exc:
        return None, str(exc), time.perf_counter() - t0
    return solution, None, time.perf_counter() - t0


def _solve_warm(problem: SiteSelectionProblem, heuristic: Solution, *, seed: int | None,
                threads: int | None, deadline: float) -> Solution:
    """The exact method warm-started from the heuristic's hubs for this k."""
    if problem.objective is Objective.P_CENTRE:  # its bisection runs its own heuristic
        return solve_exact(problem, seed=seed, threads=threads, deadline=deadline)
    inst = reduce_problem(problem)
    mask = np.zeros(problem.n_candidates, dtype=bool)
    mask[problem.positions(list(heuristic.sites))] = True
    # k hubs already: no greedy step; the swaps confirm the set is a local optimum
    warm = local_search(inst, start=mask, seed=seed, deadline=_heuristic_deadline(deadline))
    return solve_exact(problem, seed=seed, warm_start=warm, threads=threads, deadline=deadline)


def pareto(
    problem: SiteSelectionProblem,
    min_patients: Sequence[float],
    *,
    ks: Sequence[int] | None = None,
    method: str = "exact",
    time_limit: float = 60.0,
    seed: int | None = 0,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Mean time against the smallest hub's patients, over a grid of minimum volumes.

    For each ``k`` (default: the problem's) and each value ``V`` of ``min_patients`` the
    p-median is solved with "every hub has at least ``V`` patients". A point is kept on
    the Pareto set when no other point has both a shorter (or equal) mean and a larger
    (or equal) smallest hub, one of them strictly. Once ``V`` is infeasible for a ``k``,
    larger ``V`` are too, so the grid stops there.

    Returns
    -------
    DataFrame
        ``k, min_patients, sites, mean_minutes, smallest_hub_patients,
        largest_hub_patients, status, gap, seconds, pareto`` (bool).
    """
    say = progress or (lambda message: None)
    rows = []
    for k in ks if ks is not None else [problem.k]:
        for v in sorted(float(x) for x in min_patients):
            p = problem.with_changes(k=int(k), objective="p-median", min_patients_per_hub=v if v > 0 else None)
            t0 = time.perf_counter()
            try:
                sol = solve(p, method=method, time_limit=time_limit, seed=seed)
            except InfeasibleError:
                say(f"k = {k}, at least {v:,.0f} patients per hub: infeasible")
                break
            if sol.status == "no_feasible_found":
                say(f"k = {k}, at least {v:,.0f} patients per hub: none found")
                continue
            vol = np.asarray(sol.hub_patients)
            rows.append({
                "k": int(k), "min_patients": v, "sites": ";".join(sol.sites),
                "mean_minutes": sol.objective, "smallest_hub_patients": float(vol.min()),
                "largest_hub_patients": float(vol.max()), "status": sol.status, "gap": sol.gap,
                "seconds": time.perf_counter() - t0,
            })
            say(f"k = {k}, at least {v:,.0f} patients per hub: mean {sol.objective:.2f} min "
                f"({sol.status})")
    table = pd.DataFrame(rows)
    if table.empty:
        return table.assign(pareto=pd.Series(dtype=bool))
    t = table["mean_minutes"].to_numpy()
    s = table["smallest_hub_patients"].to_numpy()
    dominated = np.zeros(len(table), dtype=bool)
    for i in range(len(table)):
        better = (t <= t[i] + 1e-9) & (s >= s[i] - 1e-9) & ((t < t[i] - 1e-9) | (s > s[i] + 1e-9))
        dominated[i] = better.any()
    table["pareto"] = ~dominated
    return table


#: Smallest text on the sweep chart, in points at its drawn size.
SWEEP_MIN_FONT_PT = 7.0


def sweep_figure(table: pd.DataFrame, title: str = "", *,
                 marks: Sequence[tuple[str, float, float, str]] = (), width_in: float = 7.5) -> Any:
    """The trade-off curve of a sweep as a matplotlib figure (Agg canvas): mean and 90th
    percentile minutes to hub by number of hubs on the left axis, the shares of patients within
    each threshold on the right axis (as percentages), the legend below the plot; added good
    outcomes a year (ESTIMATED), when the sweep has them, in a panel underneath. ``marks`` are
    ``(name, hubs, mean minutes, colour)`` of options to mark on the curve (the report's options).
    The title is wrapped to the figure's width. Used for ``sweep.png`` and the report."""
    import textwrap

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    small = SWEEP_MIN_FONT_PT
    ok = table[table["status"] != "infeasible"] if "status" in table else table
    outcomes = "added_good_outcomes_per_year" in ok and bool(ok["added_good_outcomes_per_year"].notna().any())
    shares = [c for c in ok.columns if c.startswith("within_")]
    chars = max(16, int((width_in * 72 / 2 - 36) / (small * 0.75)))
    entries = 1 + int("p90_minutes" in ok) + len(shares) + len(marks)
    lines = entries + sum(len(textwrap.wrap(name, chars)) - 1 for name, *_ in marks)
    height_in = 3.2 + 0.16 * -(-lines // 2) + (1.5 if outcomes else 0.0) + (0.25 if title else 0.0)
    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    if outcomes:
        ax, ax_outcomes = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1.2))
    else:
        ax, ax_outcomes = fig.add_subplot(1, 1, 1), None
    ax.plot(ok["k"], ok["mean_minutes"], marker="o", ms=3, color="#0072B2", label="mean minutes to hub (best sets)")
    if "p90_minutes" in ok:
        ax.plot(ok["k"], ok["p90_minutes"], marker="s", ms=3, ls="--", color="#D55E00",
                label="90th percentile minutes (of the best-mean sets)")
    for name, hubs, minutes, colour in marks:
        ax.scatter([hubs], [minutes], marker="D", s=36, zorder=3, color=colour, edgecolor="white", linewidth=0.5,
                   label=name)
    ax.set_ylabel("minutes to hub", fontsize=8)
    ax.tick_params(labelsize=7.5)
    ax.grid(alpha=0.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = ax.get_legend_handles_labels()
    if shares:
        right = ax.twinx()
        greys = ("#555555", "#888888", "#aaaaaa", "#cccccc")
        for i, c in enumerate(shares):
            right.plot(ok["k"], ok[c], linestyle=":", lw=1.4, color=greys[i % len(greys)],
                       label=f"share within {c.split('_', 1)[1]} min (right axis)")
        right.set_ylim(0, 1)
        right.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        right.set_ylabel("patients within the time", fontsize=8)
        right.tick_params(labelsize=7.5)
        more_handles, more_labels = right.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    bottom = ax
    if ax_outcomes is not None:
        ax_outcomes.plot(ok["k"], ok["added_good_outcomes_per_year"], color="#009E73", marker="^", ms=3)
        ax_outcomes.set_ylabel(textwrap.fill("added good outcomes a year (ESTIMATED)", 22), fontsize=small)
        ax_outcomes.tick_params(labelsize=7.5)
        ax_outcomes.grid(alpha=0.3)
        bottom = ax_outcomes
    bottom.set_xlabel("number of hubs (k)", fontsize=8)
    chars = max(16, int((width_in * 72 / 2 - 36) / (small * 0.75)))
    fig.legend(handles, [textwrap.fill(label, chars) for label in labels], loc="outside lower center", ncol=2,
               fontsize=small, frameon=False)
    if title:
        chars = int(width_in * 72 / (9.5 * 0.58))
        fig.suptitle(textwrap.fill(title, chars), fontsize=9.5, x=0.01, ha="left")
    return fig


def plot_sweep(table: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Trade-off curve of a sweep (:func:`sweep_figure`) as a PNG."""
    fig = sweep_figure(table, title or "Trade-off: travel time by number of hubs")
    path = Path(path)
    fig.savefig(path, dpi=150)
    return path


def plot_pareto(table: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Mean minutes against the smallest hub's patients; the Pareto set joined (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.8), dpi=120)
    for k, group in table.groupby("k"):
        ax.scatter(group["smallest_hub_patients"], group["mean_minutes"], s=14, alpha=0.5, label=f"k = {k}")
    front = table[table["pareto"]].sort_values("smallest_hub_patients")
    ax.plot(front["smallest_hub_patients"], front["mean_minutes"], color="black", lw=1.2, label="Pareto set")
    ax.set_xlabel("patients per year at the smallest hub")
    ax.set_ylabel("mean minutes to hub")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or "Travel time against minimum hub volume")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path


def sweep_html(table: pd.DataFrame, path: Path, title: str = "") -> Path:
    """The sweep trade-off curve as a self-contained interactive HTML page (plotly inline)."""
    import plotly.graph_objects as go

    ok = table[table["status"] != "infeasible"] if "status" in table else table
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ok["k"], y=ok["mean_minutes"], name="mean minutes", mode="lines+markers",
                             text=ok["sites"], hovertemplate="k=%{x}<br>mean %{y:.1f} min<br>%{text}"))
    if "p90_minutes" in ok:
        fig.add_trace(go.Scatter(x=ok["k"], y=ok["p90_minutes"], name="90th percentile", mode="lines+markers"))
    for c in [c for c in ok.columns if c.startswith("within_")]:
        fig.add_trace(go.Scatter(x=ok["k"], y=ok[c], name=f"share within {c.split('_', 1)[1]} min",
                                 yaxis="y2", line={"dash": "dash"}))
    fig.update_layout(title=title or "Travel time by number of hubs", xaxis_title="number of hubs (k)",
                      yaxis_title="minutes", yaxis2={"overlaying": "y", "side": "right", "range": [0, 1],
                                                     "title": "share of patients"})
    path = Path(path)
    fig.write_html(path, include_plotlyjs="inline", full_html=True)
    return path
