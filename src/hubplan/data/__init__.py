"""Loading networks: the bundled England & Wales stroke data and users' own CSVs."""

from __future__ import annotations

from hubplan.data.bundled import load_bundled
from hubplan.data.user import load_csv_network

__all__ = ["load_bundled", "load_csv_network"]
