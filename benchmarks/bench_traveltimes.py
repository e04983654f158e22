"""Road minutes for new sites: the leave-sites-out error table, and the cost of estimating.

Every real site of the bundled network is estimated from its location alone (5-fold by
site: a model fitted on the other folds' sites, the site's own column left out of every
feature) and compared with its true column, for areas within 90 minutes. The reference is
a straight-line fit (minutes = a + b km + c sqrt(km), least squares on the other folds).

Then the same with one fold per site: leave-one-site-out, 125 fits (about 6 minutes;
``BENCH_TRAVELTIMES_LOSO=0`` skips it). Five folds is the stricter test (each model has a
fifth of the sites missing, so the sites near the one estimated are often missing too);
the figures hubplan shows with estimated minutes are the five-fold ones.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

from hubplan.geography import load_bundled
from hubplan.geography.traveltimes import ACCURACY_WITHIN_MINUTES, RoadTimeEstimator, straight_line_accuracy

sys.path.insert(0, str(Path(__file__).parent))
from _compare import factor_words  # noqa: E402


def main() -> None:
    net = load_bundled()
    print(f"bundled network: {net.n_areas:,} areas x {net.n_sites} sites with road-matrix minutes")
    t0 = time.perf_counter()
    estimator = RoadTimeEstimator(net.areas["latitude"].to_numpy(), net.areas["longitude"].to_numpy(),
                                  net.sites["latitude"].to_numpy(), net.sites["longitude"].to_numpy(),
                                  net.area_site_minutes)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    straight = straight_line_accuracy(estimator)
    straight_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    model = estimator.cross_validate(site_minutes=net.site_site_minutes)
    cv_s, cv_cpu = time.perf_counter() - t0, time.process_time() - c0

    print(f"\nleave-sites-out error, areas within {ACCURACY_WITHIN_MINUTES:g} min of the true site "
          f"({model.pairs:,} area-site pairs, {model.sites} sites, {model.folds} folds by site)")
    print(f"{'method':<34}{'median':>8}{'p90':>8}{'mean':>8}   (absolute error, minutes)")
    for name, acc in (("straight-line fit (reference)", straight), ("hubplan estimator", model)):
        print(f"{name:<34}{acc.median_abs_error_minutes:>8.2f}{acc.p90_abs_error_minutes:>8.2f}"
              f"{acc.mean_abs_error_minutes:>8.2f}")
    print(f"{'targets':<34}{3.0:>8.2f}{8.0:>8.2f}")
    ok = model.median_abs_error_minutes <= 3.0 and model.p90_abs_error_minutes <= 8.0
    median = factor_words(model.median_abs_error_minutes, straight.median_abs_error_minutes, "smaller", "larger")
    p90 = factor_words(model.p90_abs_error_minutes, straight.p90_abs_error_minutes, "smaller", "larger")
    print(f"targets {'met' if ok else 'NOT met'}; against the reference, the estimator's median error is "
          f"{median} and its p90 error {p90}")
    if os.environ.get("BENCH_TRAVELTIMES_LOSO", "1") != "0":
        n = estimator.n_sites
        t0 = time.perf_counter()
        loso = estimator.cross_validate(folds=n)
        loso_s = time.perf_counter() - t0
        loso_straight = straight_line_accuracy(estimator, folds=n)
        print(f"\nleave-one-site-out ({n} fits, each site estimated by a model fitted on the other {n - 1}; "
              f"{loso.pairs:,} pairs; {loso_s:.0f} s)")
        for name, acc in (("straight-line fit (reference)", loso_straight), ("hubplan estimator", loso)):
            print(f"{name:<34}{acc.median_abs_error_minutes:>8.2f}{acc.p90_abs_error_minutes:>8.2f}"
                  f"{acc.mean_abs_error_minutes:>8.2f}")
        ok_loso = loso.median_abs_error_minutes <= 3.0 and loso.p90_abs_error_minutes <= 8.0
        print(f"targets {'met' if ok_loso else 'NOT met'} leaving one site out")
    if model.site_to_site_median_abs_error_minutes is not None:
        print(f"site-to-site minutes (new site to every real site, within 90 min): median "
              f"{model.site_to_site_median_abs_error_minutes:.2f}, p90 {model.site_to_site_p90_abs_error_minutes:.2f}")
    print(f"\ncost: set-up {setup:.1f} s, straight-line reference {straight_s:.1f} s, cross-validation "
          f"{cv_s:.1f} s wall ({cv_cpu:.1f} s CPU; 5 fits and 125 estimates)")
    t0, c0 = time.perf_counter(), time.process_time()
    estimator.fit()
    fit_s, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
    rng = np.random.default_rng(0)
    rows = rng.choice(net.n_areas, size=20, replace=False)
    t0, c0 = time.perf_counter(), time.process_time()
    for r in rows:
        estimator.estimate(float(net.areas["latitude"].iloc[r]), float(net.areas["longitude"].iloc[r]))
    each_s, each_cpu = (time.perf_counter() - t0) / len(rows), (time.process_time() - c0) / len(rows)
    print(f"fit on all 125 sites: {fit_s:.1f} s wall ({fit_cpu:.1f} s CPU, once per network; cached on disk)")
    print(f"one new site, minutes to all {net.n_areas:,} areas and {net.n_sites} sites: "
          f"{each_s * 1000:.0f} ms wall ({each_cpu * 1000:.0f} ms CPU)")


if __name__ == "__main__":
    main()
