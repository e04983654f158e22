"""What maps draw for a network's areas: the bundled LSOA boundaries or points.

Boundaries come from :mod:`hubplan.geography.boundaries` (simplified outer rings, cached). Holes
are not kept: maps draw larger areas first, so an area inside another's hole is drawn on
top of it.

Areas of a network that have no boundary (user networks, or codes not in the file) are
drawn as points at their latitude and longitude.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hubplan.geography.boundaries import SIMPLIFY_DEGREES, Boundaries, bundled_boundaries, simplify_geojson
from hubplan.geography.network import Network

__all__ = ["AreaShapes", "Boundaries", "SIMPLIFY_DEGREES", "area_shapes", "bundled_boundaries", "simplify_geojson"]


@dataclass(frozen=True, eq=False)
class AreaShapes:
    """What a map draws for a network's areas, in the network's area order.

    ``rings`` are polygon outer rings (lists of (longitude, latitude)); ``ring_area``
    gives the area position of each ring; ``point_areas`` are the positions of areas
    drawn as points (no boundary), at ``point_xy``.
    """

    rings: list[np.ndarray]
    ring_area: np.ndarray
    point_areas: np.ndarray
    point_xy: np.ndarray
    n_areas: int

    def areas_drawn(self) -> set[int]:
        """Positions of the areas that appear on the map (polygon or point)."""
        return set(self.ring_area.tolist()) | set(self.point_areas.tolist())


def area_shapes(network: Network, boundaries: Boundaries | None = None, *, use_bundled: bool = True) -> AreaShapes:
    """Polygons (or points) for every area of ``network``, in its area order.

    Boundaries are the bundled LSOA ones when ``boundaries`` is not given and
    ``use_bundled`` is true; areas without one are points at their latitude/longitude.
    """
    if boundaries is None and use_bundled:
        boundaries = bundled_boundaries()
    codes = network.areas.index.to_numpy().astype(str)
    rings: list[np.ndarray] = []
    ring_area: list[int] = []
    has_shape = np.zeros(len(codes), dtype=bool)
    if boundaries is not None and len(boundaries.codes):
        lookup = {c: i for i, c in enumerate(boundaries.codes.tolist())}
        boundary_to_area = np.full(len(boundaries.codes), -1, dtype=np.int64)
        for pos, code in enumerate(codes):
            j = lookup.get(code)
            if j is not None:
                boundary_to_area[j] = pos
        area_of_ring = boundary_to_area[boundaries.owner]
        keep = np.flatnonzero(area_of_ring >= 0)
        offsets, coords = boundaries.offsets, boundaries.coords
        for r in keep:
            rings.append(coords[offsets[r]:offsets[r + 1]])
        ring_area = area_of_ring[keep].tolist()
        has_shape[area_of_ring[keep]] = True
    points = np.flatnonzero(~has_shape)
    lat = network.areas["latitude"].to_numpy(dtype=float) if "latitude" in network.areas else np.full(len(codes), np.nan)
    lon = network.areas["longitude"].to_numpy(dtype=float) if "longitude" in network.areas else np.full(len(codes), np.nan)
    point_xy = np.column_stack([lon[points], lat[points]]) if len(points) else np.zeros((0, 2))
    return AreaShapes(rings, np.asarray(ring_area, dtype=np.int64), points, point_xy, len(codes))
