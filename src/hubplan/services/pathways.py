"""Who goes where and when: the pathway rules of docs/pathways.md, vectorised with numpy.

Everything here works on positions into a network's arrays; codes are resolved by
:mod:`hubplan.access.evaluate`. Ties between sites at equal minutes go to the site that comes
first in the network's site order, so results do not depend on how a user lists hubs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Minutes are floats (20.8 - 5.8 is not exactly 15) stored as float32, whose rounding
#: reaches about 2e-5 min at 300 min; comparisons of minutes allow this much (0.006 s).
TOLERANCE_MINUTES = 1e-4

#: Route codes in :attr:`Routes.route` and their names.
ROUTE_DIRECT, ROUTE_BYPASS, ROUTE_TRANSFER, ROUTE_AIR = 0, 1, 2, 3
ROUTE_NAMES = np.array(["direct", "bypass", "transfer", "air"], dtype=object)

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Routes:
    """Per area: first site, hub, minutes to each and the route taken (positions)."""

    first_site: np.ndarray  # intp, site position of the first hospital
    hub_site: np.ndarray  # intp, site position of the hub that treats the patient
    time_to_first: np.ndarray  # float64 minutes
    time_to_hub: np.ndarray  # float64 minutes
    route: np.ndarray  # int8 route code
    spoke_hub: np.ndarray  # intp, per spoke (in spokes order): the hub it transfers to


def _nearest(minutes_by_site: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest of ``columns`` (sorted site positions) for each area.

    ``minutes_by_site`` is site-major, ``(n_sites, n_areas)``: a running minimum over the
    chosen sites' contiguous rows is several times faster than ``argmin`` across
    columns of the area-major matrix (8x in one run of benchmarks/bench_core.py on a
    2-core machine). A strict ``<`` keeps the first site on ties. Returns (site
    positions, minutes as float64).
    """
    best = minutes_by_site[columns[0]].copy()
    arg = np.full(best.shape, columns[0], dtype=np.intp)
    for j in columns[1:]:
        row = minutes_by_site[j]
        closer = row < best
        np.copyto(best, row, where=closer)
        arg[closer] = j
    return arg, best.astype(np.float64)


def spoke_hubs(
    site_minutes: np.ndarray,
    hubs: np.ndarray,
    spokes: np.ndarray,
    assigned: np.ndarray | None = None,
) -> np.ndarray:
    """The hub each spoke transfers to: ``assigned`` where >= 0, else nearest by road."""
    if len(spokes) == 0:
        return np.empty(0, dtype=np.intp)
    hubs = np.sort(np.asarray(hubs, dtype=np.intp))
    # rows = candidate hubs, columns = spokes: minutes from each spoke to each hub
    nearest, _ = _nearest(np.ascontiguousarray(site_minutes.T[:, spokes]), hubs)
    if assigned is not None:
        nearest = np.where(assigned >= 0, assigned, nearest)
    return nearest.astype(np.intp)


def route_direct(minutes_by_site: np.ndarray, hubs: np.ndarray) -> Routes:
    """``direct``: every patient goes to the nearest hub; time_to_first = time_to_hub.

    ``minutes_by_site`` is the site-major ``(n_sites, n_areas)`` matrix
    (``Network.minutes_by_site``).
    """
    hubs = np.sort(np.asarray(hubs, dtype=np.intp))
    hub, t = _nearest(minutes_by_site, hubs)
    return Routes(
        first_site=hub,
        hub_site=hub,
        time_to_first=t,
        time_to_hub=t.copy(),
        route=np.zeros(len(t), dtype=np.int8),
        spoke_hub=np.empty(0, dtype=np.intp),
    )


def route_treat_and_transfer(
    minutes_by_site: np.ndarray,
    site_minutes: np.ndarray | None,
    hubs: np.ndarray,
    spokes: np.ndarray,
    *,
    bypass_minutes: float,
    transfer_delay_minutes: float,
    assigned: np.ndarray | None = None,
) -> Routes:
    """``treat_and_transfer`` with ambulance bypass.

    A patient goes to the nearest hub when it is at most ``bypass_minutes`` further than
    the nearest spoke (a tie goes to the hub), otherwise to the nearest spoke. From a
    spoke, ``time_to_hub = time_to_first + transfer_delay_minutes + spoke-to-hub minutes``
    where the hub is the spoke's assigned hub or its nearest hub by road.

    ``assigned`` is aligned with ``spokes`` (after sorting by position) and holds a hub
    position or -1.
    """
    hubs = np.asarray(hubs, dtype=np.intp)
    spokes = np.asarray(spokes, dtype=np.intp)
    hub_order = np.argsort(hubs, kind="stable")
    hubs = hubs[hub_order]
    spoke_order = np.argsort(spokes, kind="stable")
    spokes = spokes[spoke_order]
    if assigned is not None:
        assigned = np.asarray(assigned, dtype=np.intp)[spoke_order]
    if len(spokes) == 0:
        return route_direct(minutes_by_site, hubs)
    if site_minutes is None:
        raise ValueError("treat_and_transfer needs site-to-site minutes")
    hub, t_hub = _nearest(minutes_by_site, hubs)
    spoke, t_spoke = _nearest(minutes_by_site, spokes)
    go_hub = t_hub <= t_spoke + float(bypass_minutes) + TOLERANCE_MINUTES
    transfer_to = spoke_hubs(site_minutes, hubs, spokes, assigned)
    # position of each site in `spokes` -> its hub and spoke-to-hub minutes
    lookup_hub = np.full(site_minutes.shape[0], -1, dtype=np.intp)
    lookup_hub[spokes] = transfer_to
    lookup_leg = np.full(site_minutes.shape[0], np.inf)
    lookup_leg[spokes] = site_minutes[spokes, transfer_to]
    first = np.where(go_hub, hub, spoke)
    time_first = np.where(go_hub, t_hub, t_spoke)
    hub_site = np.where(go_hub, hub, lookup_hub[spoke])
    time_hub = np.where(
        go_hub, t_hub, t_spoke + float(transfer_delay_minutes) + lookup_leg[spoke]
    )
    route = np.where(
        go_hub,
        np.where(t_hub <= t_spoke + TOLERANCE_MINUTES, ROUTE_DIRECT, ROUTE_BYPASS),
        ROUTE_TRANSFER,
    ).astype(np.int8)
    # report spoke hubs in the caller's order
    spoke_hub = np.empty_like(transfer_to)
    spoke_hub[spoke_order] = transfer_to
    return Routes(first, hub_site, time_first, time_hub, route, spoke_hub)


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle km between points (degrees); broadcasts like numpy."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def add_helicopter(
    routes: Routes,
    area_lat: np.ndarray,
    area_lon: np.ndarray,
    site_lat: np.ndarray,
    site_lon: np.ndarray,
    hubs: np.ndarray,
    *,
    threshold_minutes: float,
    dispatch_minutes: float,
    speed_kmh: float,
    handover_minutes: float,
) -> Routes:
    """Use air where road time to the hub exceeds the threshold and air is faster.

    Air minutes = dispatch + straight-line km to the hub nearest by air / speed * 60 +
    handover. An area flown goes straight to that hub: first site = hub, route ``air``.
    """
    hubs = np.sort(np.asarray(hubs, dtype=np.intp))
    far = np.flatnonzero(routes.time_to_hub > float(threshold_minutes) + TOLERANCE_MINUTES)
    if len(far) == 0:
        return routes
    km = haversine_km(area_lat[far, None], area_lon[far, None], site_lat[None, hubs], site_lon[None, hubs])
    best = np.argmin(km, axis=1)
    air = dispatch_minutes + km[np.arange(len(far)), best] / speed_kmh * 60.0 + handover_minutes
    use = air < routes.time_to_hub[far] - TOLERANCE_MINUTES
    rows = far[use]
    air_hub = hubs[best[use]]
    first, hub_site = routes.first_site.copy(), routes.hub_site.copy()
    t_first, t_hub, route = routes.time_to_first.copy(), routes.time_to_hub.copy(), routes.route.copy()
    first[rows] = air_hub
    hub_site[rows] = air_hub
    t_first[rows] = air[use]
    t_hub[rows] = air[use]
    route[rows] = ROUTE_AIR
    return Routes(first, hub_site, t_first, t_hub, route, routes.spoke_hub)
