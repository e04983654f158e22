"""British National Grid to longitude/latitude (``hubplan.web.geo.osgb_to_lonlat``), checked
against values published independently of pyproj."""

from __future__ import annotations

import json

import numpy as np
from pyproj import Geod, Transformer

from hubplan.geography.bundled import data_dir
from hubplan.web.geo import osgb_to_lonlat

GEOD = Geod(ellps="WGS84")


def metres_apart(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def test_os_worked_example_within_a_metre() -> None:
    # Ordnance Survey, A guide to coordinate systems in Great Britain, annex C: grid
    # 651409.903 E, 313177.270 N is OSGB36 52 deg 39' 27.2531" N, 1 deg 43' 4.5177" E.
    lon, lat = osgb_to_lonlat(np.array([651409.903]), np.array([313177.270]))
    to_osgb36 = Transformer.from_crs("EPSG:4326", "EPSG:4277", always_xy=True)  # the datum shift back
    lon36, lat36 = to_osgb36.transform(lon, lat)
    expected_lat = 52 + 39 / 60 + 27.2531 / 3600
    expected_lon = 1 + 43 / 60 + 4.5177 / 3600
    assert metres_apart(lon36, lat36, np.array([expected_lon]), np.array([expected_lat]))[0] < 1.0
    # and the datum shift is there: OSGB36 and WGS84 positions differ by about 100 m
    assert 50 < metres_apart(lon, lat, lon36, lat36)[0] < 200


def test_lsoa_centroids_match_the_ons_latitude_and_longitude() -> None:
    # ONS publishes each LSOA centroid both as grid metres (to 1 m) and as WGS84 degrees (to 4-5 dp)
    collection = json.loads((data_dir() / "LSOA.geojson").read_text(encoding="utf-8"))
    props = [f["properties"] for f in collection["features"][::500]]
    east = np.array([p["BNG_E"] for p in props], dtype=float)
    north = np.array([p["BNG_N"] for p in props], dtype=float)
    lon, lat = osgb_to_lonlat(east, north)
    gap = metres_apart(lon, lat, np.array([p["LONG"] for p in props]), np.array([p["LAT"] for p in props]))
    assert len(props) > 60
    # both published values are rounded (grid to 1 m, degrees to 4-5 decimal places, up to ~6 m);
    # the hand-written projection without the datum shift was 100-140 m off here
    assert gap.max() < 10.0
