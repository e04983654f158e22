"""Core benchmark: loading the bundled network and evaluating national options.

Peer: stroke-maps' own ``catchment.find_nearest_unit`` (pandas ``min``/``idxmin`` on the
travel-time DataFrame), which is what a planner using that package would run to find
each LSOA's nearest unit; compared on the same England matrix and the same 24 centres.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

import numpy as np
import pandas as pd


def _best(fn, repeat: int = 20) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def main() -> None:
    from hubplan import Option, Service, evaluate
    from hubplan.data import bundled

    with tempfile.TemporaryDirectory() as cache:
        os.environ["HUBPLAN_CACHE_DIR"] = cache
        t = time.perf_counter()
        network = bundled.load_bundled()
        cold = time.perf_counter() - t
        warm, warm_med = _best(bundled.load_bundled, repeat=5)
    del os.environ["HUBPLAN_CACHE_DIR"]
    print(f"load bundled network: cold (parse + write cache) {cold:.2f} s; warm best {warm * 1000:.0f} ms "
          f"(median {warm_med * 1000:.0f} ms)")

    england = network.restrict(country="England")
    service = Service.preset("thrombectomy")
    hubs = england.sites_with("thrombectomy")
    spokes = [c for c in england.sites_with("ivt") if c not in hubs]
    options = {
        "direct (24 hubs)": Option(name="d", hubs=tuple(hubs)),
        "treat_and_transfer (24 hubs, 77 spokes)": Option(name="t", hubs=tuple(hubs), spokes=tuple(spokes),
                                                          pathway="treat_and_transfer"),
        "treat_and_transfer + 15 min bypass": Option(name="b", hubs=tuple(hubs), spokes=tuple(spokes),
                                                     pathway="treat_and_transfer", bypass_minutes=15),
    }
    print(f"England: {england.n_areas:,} areas x {england.n_sites} sites")
    for label, option in options.items():
        best, med = _best(lambda: evaluate(england, service, option))
        full, _ = _best(lambda: evaluate(england, service, option).to_json("icb"), repeat=5)
        print(f"  evaluate {label}: best {best * 1000:.1f} ms, median {med * 1000:.1f} ms "
              f"(with per-site and per-ICB tables and JSON: {full * 1000:.0f} ms)")

    # peer: stroke-maps find_nearest_unit on the same matrix and centres
    from stroke_maps.catchment import find_nearest_unit

    frame = pd.DataFrame(england.area_site_minutes, index=england.areas.index, columns=england.site_codes)
    sub = frame[hubs]
    peer, peer_med = _best(lambda: find_nearest_unit(sub), repeat=10)
    ours, ours_med = _best(lambda: evaluate(england, service, options["direct (24 hubs)"]), repeat=10)
    check = find_nearest_unit(sub)["unit_travel_time"].to_numpy()
    same = np.allclose(check, evaluate(england, service, options["direct (24 hubs)"]).routes.time_to_hub)
    print(f"  nearest centre for every LSOA: stroke-maps find_nearest_unit {peer * 1000:.1f} ms vs hubplan "
          f"full direct evaluation {ours * 1000:.1f} ms: {peer / ours:.1f}x faster (same times: {same})")
