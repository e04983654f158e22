"""Core benchmark: loading the bundled network and evaluating national options.

Peer: stroke-maps' own ``catchment.find_nearest_unit`` (pandas ``min``/``idxmin`` on the
travel-time DataFrame), which is what a planner using that package would run to find
each LSOA's nearest unit; compared on the same England matrix and the same 24 centres,
like for like (hubplan's nearest-hub search alone, ``pathways.route_direct`` on the
site-major minutes; and numpy ``argmin`` across the columns of the area-major matrix,
the search it replaced) and against hubplan's whole direct evaluation, which does more
(demand-weighted statistics and per-site tables). Ratios are worded by
``_compare.speed_ratio`` (the larger time over the smaller, "faster" or "slower").
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _compare import speed_ratio  # noqa: E402


def _best(fn, repeat: int = 20) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def main() -> None:
    from hubplan import Option, Service, evaluate
    from hubplan.geography import bundled

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

    from hubplan.services.pathways import route_direct

    frame = pd.DataFrame(england.area_site_minutes, index=england.areas.index, columns=england.site_codes)
    positions = england.site_positions(hubs, "hub")
    columns = np.sort(positions)
    sub = frame.iloc[:, columns]  # the 24 centres, in site order
    by_site = england.minutes_by_site
    area_major = england.area_site_minutes
    peer, peer_med = _best(lambda: find_nearest_unit(sub))
    search, search_med = _best(lambda: route_direct(by_site, positions))
    argmin, argmin_med = _best(lambda: columns[np.argmin(area_major[:, columns], axis=1)])
    full, full_med = _best(lambda: evaluate(england, service, options["direct (24 hubs)"]))

    peer_result = find_nearest_unit(sub)
    ours_routes = route_direct(by_site, positions)
    ours_evaluation = evaluate(england, service, options["direct (24 hubs)"])
    same_times = bool(np.array_equal(peer_result["unit_travel_time"].to_numpy(np.float64), ours_routes.time_to_hub)
                      and np.array_equal(ours_routes.time_to_hub, ours_evaluation.routes.time_to_hub))
    # on equal times all three keep the first centre in site order
    codes = np.asarray(england.site_codes)
    same_units = bool((peer_result["unit_postcode"].to_numpy() == codes[ours_routes.hub_site]).all())
    argmin_same = bool(np.array_equal(columns[np.argmin(area_major[:, columns], axis=1)], ours_routes.hub_site))
    print(f"  nearest of the 24 centres for each of {england.n_areas:,} LSOAs, best (median) of 20; ratios of "
          f"the best; same times: {same_times}, same centres: {same_units and argmin_same}")
    print(f"    stroke-maps find_nearest_unit {peer * 1000:.1f} ms ({peer_med * 1000:.1f} ms)")
    print(f"    numpy argmin across columns   {argmin * 1000:.1f} ms ({argmin_med * 1000:.1f} ms)")
    print(f"    hubplan route_direct          {search * 1000:.1f} ms ({search_med * 1000:.1f} ms): "
          f"{speed_ratio(search, peer, 'stroke-maps')}, {speed_ratio(search, argmin, 'argmin')}")
    print(f"    hubplan evaluate (direct: nearest hub and the demand-weighted summary) {full * 1000:.1f} ms "
          f"({full_med * 1000:.1f} ms): {speed_ratio(full, peer, 'stroke-maps find_nearest_unit')}, which "
          f"finds only the nearest unit")
