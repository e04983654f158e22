"""Site selection over large candidate sets: the national p-median with 1,000 candidates.

Real-structure instance. England's 32,494 LSOAs with stroke admissions (demand) and
1,000 candidate hubs: the 113 English stroke units of the bundled road-time matrix plus
887 new sites whose road minutes are estimated from their location
(:meth:`hubplan.Network.add_sites`, ``docs/new-sites.md``). The new sites follow a
simple recipe (:func:`candidate_locations`):

1. score each English LSOA centroid by the population (the bundled ``population``
   column) living in LSOAs whose centroids are within :data:`SCORE_RADIUS_KM` of it: a
   centroid at the heart of a large town scores high;
2. walk the centroids from the highest score down and take one as a candidate when it
   is at least :data:`SPACING_KM` from every candidate taken so far and from every real
   stroke unit (all of England and Wales), until there are 1,000 candidates in all.

Estimating 887 columns takes a few minutes (and the first use of the estimator on a
machine fits its model, about 40 s); the resulting minutes are cached as ``.npy`` files
under the hubplan cache folder (``$HUBPLAN_CACHE_DIR`` or ``~/.cache/hubplan``), keyed
by the recipe, the estimator version and the network's matrix, so reruns load them in
a second.

Measured for k = 24, 30 and 40, without and with today's 24 thrombectomy centres kept:
seconds, status, objective, bound and gap, model sizes, the Lagrangian bound and how
many candidates it rules out (``hubplan.optimise.lagrangian``), and the process's peak memory,
each solve with a time limit of ``BENCH_CANDIDATES_TIME_LIMIT`` seconds (default 120;
the requirement is optimal, or a proven gap of at most 0.1%, within 120 s and 4 GB).

Synthetic instances for comparison (``synthetic_problem``): areas and sites at random
in a 400 x 400 km square, minutes = straight-line km at 1 km/min, demand uniform. For
each instance the benchmark counts the distinct sets of each client's s nearest
candidates (:func:`distinct_prefix_sets`), the variables the prefix-set model shares:
how far the structure of the minutes lets clients share them (``docs/optimise.md``,
"Large candidate sets").

Run: ``python benchmarks/bench_candidates.py`` (or ``benchmarks/run.py candidates``).
Environment: ``BENCH_CANDIDATES_TIME_LIMIT``, ``BENCH_CANDIDATES_THREADS`` (HiGHS
threads; default what HiGHS chooses), ``BENCH_CANDIDATES_SYNTHETIC`` (``0`` to skip the
synthetic instances; ``large`` to add the 200,000-area one, about 3 GB).
"""

from __future__ import annotations

import hashlib
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Total candidates (real English stroke units + new sites).
N_CANDIDATES = 1000
#: A centroid's score is the population within this many km of it.
SCORE_RADIUS_KM = 10.0
#: New candidates are at least this far from each other and from every real site.
SPACING_KM = 5.0
#: Bump when the recipe changes (invalidates the cached minutes).
RECIPE_VERSION = 1


def _xy_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Equirectangular km about 53N: good to well under 1% for distances of a few km."""
    lat0 = np.radians(53.0)
    return np.column_stack([np.radians(lon) * 6371.0 * np.cos(lat0), np.radians(lat) * 6371.0])


def candidate_locations(network: Any, n_total: int = N_CANDIDATES) -> pd.DataFrame:
    """New candidate sites by the recipe of the module docstring (``site_code``, lat, lon)."""
    from scipy.spatial import cKDTree

    areas = network.areas[network.areas["country"] == "England"]
    sites = network.sites
    n_real = int((sites["country"] == "England").sum())
    xy = _xy_km(areas["latitude"].to_numpy(float), areas["longitude"].to_numpy(float))
    pop = areas["population"].to_numpy(float)
    pop = np.where(np.isfinite(pop), pop, 0.0)
    tree = cKDTree(xy)
    pairs = tree.sparse_distance_matrix(tree, SCORE_RADIUS_KM, output_type="coo_matrix")
    score = np.bincount(pairs.row, weights=pop[pairs.col], minlength=len(xy)) + pop  # the diagonal is 0 apart
    order = np.lexsort((areas.index.to_numpy(str), -score))  # ties by LSOA code
    taken_xy = list(_xy_km(sites["latitude"].to_numpy(float), sites["longitude"].to_numpy(float)))
    taken_tree_points = np.array(taken_xy)
    chosen: list[int] = []
    wanted = n_total - n_real
    recent: list[np.ndarray] = []
    base_tree = cKDTree(taken_tree_points)
    for a in order:
        p = xy[a]
        if base_tree.query(p, distance_upper_bound=SPACING_KM)[0] < SPACING_KM:
            continue
        if recent and np.min(np.hypot(*(np.array(recent) - p).T)) < SPACING_KM:
            continue
        chosen.append(int(a))
        recent.append(p)
        if len(chosen) == wanted:
            break
    picked = areas.iloc[chosen]
    return pd.DataFrame({
        "site_code": [f"NEW{i + 1:04d}" for i in range(len(chosen))],
        "site_name": [f"candidate at {name}" for name in picked["area_name"]],
        "latitude": picked["latitude"].to_numpy(float),
        "longitude": picked["longitude"].to_numpy(float),
    })


def national_candidates_problem(progress: Any = None) -> tuple[Any, pd.DataFrame, tuple[str, ...]]:
    """The national p-median (k = 24) over the 1,000 candidates, the new sites and the codes
    of today's thrombectomy centres; the new sites' minutes are cached (module docstring)."""
    import hubplan
    from hubplan.geography.bundled import cache_dir
    from hubplan.optimise import SiteSelectionProblem
    from hubplan.geography.traveltimes import MODEL_VERSION

    say = progress or (lambda message: None)
    bundled = hubplan.load_bundled()
    new = candidate_locations(bundled)
    h = hashlib.sha256()
    h.update(f"{RECIPE_VERSION}-{MODEL_VERSION}-{N_CANDIDATES}-{SCORE_RADIUS_KM}-{SPACING_KM}".encode())
    h.update(np.ascontiguousarray(bundled.area_site_minutes).tobytes())
    h.update(np.ascontiguousarray(new[["latitude", "longitude"]].to_numpy()).tobytes())
    target = cache_dir() / f"bench-candidates-{h.hexdigest()[:16]}.npy"
    cols = None
    if target.exists():
        try:
            cols = np.load(target)
            say(f"new sites' minutes read from {target}")
        except (OSError, ValueError):
            cols = None
        if cols is not None and cols.shape != (bundled.n_areas, len(new)):
            cols = None
    if cols is None:
        t0 = time.perf_counter()
        say(f"estimating road minutes for {len(new)} new sites (cached afterwards in {target}) ...")
        added = bundled.add_sites(new, progress=say)
        assert (added.minutes_source.iloc[bundled.n_sites:] == "estimated").all()
        cols = np.ascontiguousarray(added.area_site_minutes[:, bundled.n_sites:], dtype=np.float32)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npy", dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, cols)
        os.replace(tmp, target)
        say(f"estimated in {time.perf_counter() - t0:.0f} s")
    england = bundled.restrict(country="England")
    svc = hubplan.Service.preset("thrombectomy")
    real = SiteSelectionProblem.from_network(england, svc, k=24, pathway="direct")
    row_of = {code: i for i, code in enumerate(bundled.areas.index)}
    rows = np.array([row_of[c] for c in (real.client_codes or ())], dtype=np.intp)
    cost = np.hstack([real.cost_minutes, cols[rows].astype(np.float64)])
    problem = SiteSelectionProblem(
        cost, real.demand, real.candidate_codes + tuple(new["site_code"]), 24, pathway="direct",
        client_codes=real.client_codes,
        description=f"{real.n_clients:,} English areas with stroke admissions, {real.n_candidates} stroke units "
                    f"+ {len(new)} new candidates with estimated minutes, pathway direct",
    )
    return problem, new, tuple(england.sites_with("thrombectomy"))


def synthetic_problem(n_areas: int, n_sites: int, k: int, seed: int) -> Any:
    """Areas and sites uniformly at random in a 400 km square; minutes = km (1 km/min)."""
    from hubplan.optimise import SiteSelectionProblem

    rng = np.random.default_rng(seed)
    areas = rng.random((n_areas, 2)) * 400.0
    sites = rng.random((n_sites, 2)) * 400.0
    cost = np.hypot(areas[:, None, 0] - sites[None, :, 0], areas[:, None, 1] - sites[None, :, 1])
    demand = rng.integers(1, 6, size=n_areas).astype(float)
    return SiteSelectionProblem(cost, demand, tuple(f"S{j}" for j in range(n_sites)), k,
                                description=f"synthetic {n_areas:,} areas x {n_sites} sites (seed {seed})")


#: Sizes s at which :func:`distinct_prefix_sets` counts the sets of s nearest candidates.
PREFIX_SIZES = (1, 2, 5, 10, 20, 50)


def distinct_prefix_sets(problem: Any, sizes: tuple[int, ...] = PREFIX_SIZES) -> tuple[int, dict[int, int]]:
    """Distinct clients (rows after the exact reductions) and, for each size s, how many
    distinct sets of s nearest candidates they have: the variables the prefix-set model
    shares (one per distinct set), against one per client without sharing."""
    from hubplan.optimise._instance import reduce_problem

    inst = reduce_problem(problem)
    counts = {}
    for size in sizes:
        if size <= inst.n_candidates:
            nearest = np.sort(inst.order[:, :size], axis=1)
            counts[size] = int(len(np.unique(nearest, axis=0)))
    return inst.n_clients, counts


def _prefix_line(name: str, problem: Any) -> str:
    clients, counts = distinct_prefix_sets(problem)
    return (f"{name}: {clients:,} distinct clients; distinct sets of the s nearest candidates: "
            + ", ".join(f"s={s} {c:,} ({100 * c / clients:.1f}%)" for s, c in counts.items()))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _line(name: str, solution: Any) -> str:
    d = solution.details
    size = (f"{d.get('continuous_variables', 0):,} prefix-set variables, {d.get('rows', 0):,} rows, "
            f"{d.get('rounds', 0)} rounds" if "rows" in d else "no model")
    extra = []
    if d.get("candidates_fixed_closed") is not None:
        extra.append(f"Lagrangian bound {d['lagrangian_bound']:.4f} ({d['lagrangian_iterations']} iterations, "
                     f"{d['lagrangian_seconds']:.1f} s); {d['candidates_fixed_closed']} candidates ruled out, "
                     f"{d['candidates_fixed_open']} fixed open, {d['candidates_left']} left")
    gap = f"{100 * solution.gap:.3g}%" if np.isfinite(solution.gap) else "none"
    return (f"{name}: {solution.status}, {solution.objective:.4f} min, bound {solution.bound:.4f}, gap {gap}, "
            f"{solution.seconds:.1f} s; {size}" + (f"; {'; '.join(extra)}" if extra else "")
            + f"; peak memory {_peak_mb():,.0f} MB")


def main() -> dict[str, object]:
    from hubplan.optimise import solve

    limit = float(os.environ.get("BENCH_CANDIDATES_TIME_LIMIT", "120"))
    threads_env = os.environ.get("BENCH_CANDIDATES_THREADS")
    threads = int(threads_env) if threads_env else None
    synthetic = os.environ.get("BENCH_CANDIDATES_SYNTHETIC", "1")
    figures: dict[str, object] = {}
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start (figures vary with load); "
          f"time limit {limit:g} s per solve; HiGHS threads {threads or 'HiGHS default'}")
    t0 = time.perf_counter()
    base, new, centres = national_candidates_problem(progress=lambda m: print("  " + m, flush=True))
    print(f"instance ready in {time.perf_counter() - t0:.0f} s: {base.description}; "
          f"{len(new)} new sites by the recipe (score radius {SCORE_RADIUS_KM:g} km, spacing {SPACING_KM:g} km)")
    n_real = base.n_candidates - len(new)
    print(_prefix_line(f"prefix sets, the {n_real} real sites", base.with_changes(
        cost_minutes=base.cost_minutes[:, :n_real], candidate_codes=base.candidate_codes[:n_real])), flush=True)
    print(_prefix_line("prefix sets, 1,000 candidates", base), flush=True)
    for keep in (False, True):
        for k in (24, 30, 40):
            p = base.with_changes(k=k, keep=centres if keep else ())
            s = solve(p, time_limit=limit, threads=threads)
            name = f"national 1,000 candidates, k={k}" + (", today's 24 kept" if keep else "")
            print(_line(name, s), flush=True)
            figures[name] = s
    if synthetic != "0":
        cases = [(10_000, 200, 24), (50_000, 300, 30)]
        if synthetic == "large":
            cases.append((200_000, 500, 40))
        for n, m, k in cases:
            p = synthetic_problem(n, m, k, seed=n + m)
            print(_prefix_line("prefix sets, " + p.description, p), flush=True)
            s = solve(p, time_limit=limit, threads=threads)
            print(_line(p.description + f", k={k}", s), flush=True)
            figures[p.description] = s
            del p
    return figures


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
