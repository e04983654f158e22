"""Services: what is being planned, its standards with sources, and the options and pathways.

- :mod:`~hubplan.services.service`: :class:`Service` and its presets (``presets.toml``).
- :mod:`~hubplan.services.options`: :class:`Option` (hubs, spokes, closures, helicopters).
- :mod:`~hubplan.services.pathways`: the pathway rules (mothership, drip-and-ship, ...).
"""

from __future__ import annotations

from hubplan.services.service import NUMERIC_PARAMETERS, SOURCED_PARAMETERS, Service, Source

__all__ = ["NUMERIC_PARAMETERS", "SOURCED_PARAMETERS", "Service", "Source"]
