"""Capacity: beds (Erlang loss model), workforce (rotas, operators, training) and their simulation.

Layers inside the package import downward only::

    parameters  <-  beds  <-  workforce  <-  table  (capacity_table)
                          <-  simulation

The public names of :mod:`hubplan.capacity.beds` and :func:`capacity_table` are re-exported
here, so ``from hubplan.capacity import bed_table, capacity_table`` works.
"""

from __future__ import annotations

from hubplan.capacity.beds import (
    BED_TABLE_COLUMNS,
    DAYS_PER_YEAR,
    WEEKS_PER_YEAR,
    BedNeed,
    bed_need,
    bed_table,
    beds_at_occupancy,
    beds_for_refusal,
    erlang_b,
    offered_load,
    procedures_per_year,
    sessions_per_week,
)
from hubplan.capacity.parameters import CLI_FLAGS, require_parameter
from hubplan.capacity.table import NATIONAL_WORKFORCE, SITE_COLUMNS, CapacityResult, NetworkCapacity, capacity_table

__all__ = [
    "BED_TABLE_COLUMNS",
    "NATIONAL_WORKFORCE",
    "SITE_COLUMNS",
    "CLI_FLAGS",
    "DAYS_PER_YEAR",
    "WEEKS_PER_YEAR",
    "BedNeed",
    "CapacityResult",
    "NetworkCapacity",
    "bed_need",
    "bed_table",
    "beds_at_occupancy",
    "beds_for_refusal",
    "capacity_table",
    "erlang_b",
    "offered_load",
    "procedures_per_year",
    "require_parameter",
    "sessions_per_week",
]
