"""Benchmarking providers: funnel plots, overdispersion, outliers and regional variation.

Follows Spiegelhalter (2005) "Funnel plots for comparing institutional performance"
(Stat Med 24:1185) and Spiegelhalter et al. (2012) "Statistical methods for
healthcare regulation: rating, screening and surveillance" (JRSS A 175:1).

>>> import pandas as pd
>>> from hubplan.monitoring.benchmark import benchmark
>>> frame = pd.DataFrame({"provider": ["A", "B", "C"], "numerator": [5, 9, 30],
...                       "denominator": [50, 60, 120]})
>>> result = benchmark(frame, indicator="proportion", overdispersion="additive")
>>> sorted(result.to_dict())[:4]
['counts', 'indicator', 'levels', 'limits']
"""

from __future__ import annotations

from hubplan.monitoring.benchmark.analysis import BenchmarkResult, benchmark
from hubplan.monitoring.benchmark.funnel import FunnelSettings
from hubplan.monitoring.benchmark.indicators import Indicator, Scale
from hubplan.monitoring.benchmark.inputs import validate_providers
from hubplan.monitoring.benchmark.io import ColumnNames, read_providers_csv, write_outputs
from hubplan.monitoring.benchmark.limits import LimitMethod, exact_limit, funnel_limits
from hubplan.monitoring.benchmark.outliers import Flag
from hubplan.monitoring.benchmark.overdispersion import (
    Dispersion,
    Overdispersion,
    estimate_dispersion,
    tau_squared,
    winsorise,
)
from hubplan.monitoring.benchmark.regions import RegionalVariation

__all__ = [
    "BenchmarkResult",
    "ColumnNames",
    "Dispersion",
    "Flag",
    "FunnelSettings",
    "Indicator",
    "LimitMethod",
    "Overdispersion",
    "RegionalVariation",
    "Scale",
    "benchmark",
    "estimate_dispersion",
    "exact_limit",
    "funnel_limits",
    "read_providers_csv",
    "tau_squared",
    "validate_providers",
    "winsorise",
    "write_outputs",
]
