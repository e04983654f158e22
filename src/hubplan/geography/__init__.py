"""Geography: areas, sites and the minutes between them, demand per area, and loading them.

- :mod:`~hubplan.geography.network`: :class:`Network` (areas, sites, minutes, attributes).
- :mod:`~hubplan.geography.traveltimes`: road minutes to new sites, estimated from the real matrix.
- :mod:`~hubplan.geography.demand`: demand per area as an expression of area columns.
- :mod:`~hubplan.geography.bundled`, :mod:`~hubplan.geography.user`,
  :mod:`~hubplan.geography.new_sites`, :mod:`~hubplan.geography.boundaries`: the bundled
  England & Wales data, users' own CSVs, new sites by location, LSOA boundaries.
"""

from __future__ import annotations

from hubplan.geography.bundled import load_bundled
from hubplan.geography.network import Network
from hubplan.geography.user import load_csv_network

__all__ = ["Network", "load_bundled", "load_csv_network"]
