"""Outcomes: what the stroke outcome model costs, and the tabulated curves against the package.

The outcome objective needs an outcome for every area at every candidate (32,494 x 113 =
3.7 million pairs nationally); there hubplan interpolates curves tabulated from the
package every 0.1 min (``hubplan.outcomes.StrokeModel.value_matrix``, also behind every
evaluation; ``per_admission_exact`` calls the package directly). This bench times
both on the same pairs and prints the largest difference, so the tabulation is kept
only while it is faster by a wide margin and within 1e-10 of the package.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _compare import factor_words  # noqa: E402


def main() -> None:
    from hubplan import Option, Service, evaluate
    from hubplan.geography import load_bundled
    from hubplan.optimise import SiteSelectionProblem
    from hubplan.outcomes import outcome_model

    net = load_bundled().restrict(country="England")
    svc = Service.preset("thrombectomy")
    hubs = tuple(net.sites_with("thrombectomy"))
    t0 = time.perf_counter()
    plain = evaluate(net, svc, Option(name="24", hubs=hubs))
    with_outcomes = time.perf_counter() - t0
    model = outcome_model(svc)
    assert model is not None
    r = plain.routes
    t0 = time.perf_counter()
    model.per_admission(r.time_to_first, r.time_to_hub, r.route == 2)
    outcome_only = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.per_admission_exact(r.time_to_first, r.time_to_hub, r.route == 2)
    exact_only = time.perf_counter() - t0
    print(f"national evaluation, today's 24 centres direct ({net.n_areas:,} areas): {with_outcomes:.2f} s in all, "
          f"of which the outcome model {outcome_only:.3f} s (tabulated curves); stroke-outcome called directly "
          f"on 4 cohorts x {net.n_areas:,} areas would take {exact_only:.3f} s")

    problem = SiteSelectionProblem.from_network(net, svc, k=30, pathway="direct")
    minutes = problem.cost_minutes
    pairs = minutes.size
    flat = minutes.ravel()
    transferred = np.zeros(pairs, dtype=bool)
    model.value_matrix(flat[:10], flat[:10], transferred[:10])  # the tables, built once per process
    t0 = time.perf_counter()
    tab = model.value_matrix(flat, flat, transferred)
    tab_s = time.perf_counter() - t0
    peer_s, peer_error, diff = None, "", float("nan")
    try:
        t0 = time.perf_counter()
        direct = np.empty(pairs)
        step = 500_000
        for a in range(0, pairs, step):  # the package directly, in chunks to bound memory
            part = flat[a:a + step]
            direct[a:a + step] = model.per_admission_exact(part, part, transferred[a:a + step]).added_good
        peer_s = time.perf_counter() - t0
        diff = float(np.max(np.abs(direct - tab)))
    except MemoryError as exc:  # pragma: no cover - a machine too small
        peer_error = f"failed: out of memory ({exc})"
    print(f"\nadded good outcomes for every area x candidate ({minutes.shape[0]:,} x {minutes.shape[1]} = "
          f"{pairs:,} pairs):")
    print(f"{'method':<46}{'seconds':>9}")
    print(f"{'hubplan tabulated curves (0.1 min grid lookup)':<46}{tab_s:>9.2f}")
    if peer_s is not None:
        print(f"{'stroke-outcome called directly (chunks of 500k)':<46}{peer_s:>9.2f}")
        print(f"tabulated is {factor_words(tab_s, peer_s, 'faster', 'slower')} than the package called directly; "
              f"largest difference {diff:.1e} good outcomes per admission")
    else:
        print(f"stroke-outcome called directly: {peer_error}")
