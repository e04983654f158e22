"""``benchmark()``: compare providers on one indicator and find the outliers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from hubplan.monitoring.benchmark.funnel import (
    FunnelSettings,
    check_for_funnel,
    compute_funnel,
    describe_limits,
    limit_curves,
)
from hubplan.monitoring.benchmark.indicators import Indicator, default_target
from hubplan.monitoring.benchmark.inputs import DENOMINATOR, NUMERATOR, PROVIDER, REGION, validate_providers
from hubplan.monitoring.benchmark.outliers import FLAGS, Flag, count_flags
from hubplan.monitoring.benchmark.overdispersion import Dispersion
from hubplan.monitoring.benchmark.regions import RegionalVariation, regional_variation
from hubplan.errors import InputError

#: Columns of the provider table, in order (``region`` only when given).
LIMIT_COLUMNS = ("lower_95", "upper_95", "lower_998", "upper_998")
VALUE_COLUMNS = ("value", *LIMIT_COLUMNS, *(f"{c}_unadjusted" for c in LIMIT_COLUMNS))


@dataclass(frozen=True)
class BenchmarkResult:
    """Providers benchmarked on one indicator.

    Attributes
    ----------
    settings
        What was asked for.
    target
        ``theta0`` in the indicator's own units (not multiplied by ``settings.per``).
    dispersion
        phi, tau squared and whether the limits were widened.
    providers
        One row per provider, in input order: ``provider``[, ``region``],
        ``numerator``, ``denominator``, ``value``, ``z``, ``z_adjusted``, the limits
        drawn (``lower_95``, ``upper_95``, ``lower_998``, ``upper_998``), ``flag``, the
        unadjusted limits and ``flag_unadjusted``. Values and limits are multiplied by
        ``settings.per``.
    regions
        Regional variation, when the input has a ``region`` column with 2+ regions.
    """

    settings: FunnelSettings
    target: float
    dispersion: Dispersion
    providers: pd.DataFrame
    regions: RegionalVariation | None

    @property
    def indicator(self) -> Indicator:
        """The indicator benchmarked."""
        return self.settings.indicator

    @property
    def limits_description(self) -> str:
        """The limits drawn, in words."""
        return describe_limits(self.settings, self.dispersion)

    @property
    def outliers(self) -> pd.DataFrame:
        """Providers outside the 95% limits drawn, alarms first, then by z-score."""
        table = self.providers[self.providers["flag"] != Flag.IN_CONTROL.value].copy()
        severity = {"alarm_low": 0, "alarm_high": 0, "alert_low": 1, "alert_high": 1}
        table["_severity"] = table["flag"].map(severity)
        table["_abs_z"] = -table["z_adjusted"].abs()
        return table.sort_values(["_severity", "_abs_z"]).drop(columns=["_severity", "_abs_z"])

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """How many providers have each flag, with the limits drawn and unadjusted."""
        return {
            "adjusted": count_flags(self.providers["flag"]),
            "unadjusted": count_flags(self.providers["flag_unadjusted"]),
        }

    def curves(self, points: int = 200) -> pd.DataFrame:
        """Limits on a grid of denominators spanning the providers' (for plots), times ``per``."""
        den = self.providers[DENOMINATOR]
        curves = limit_curves(
            self.settings, self.target, self.dispersion, float(den.min()) * 0.8, float(den.max()) * 1.1, points
        )
        limit_cols = [c for c in curves.columns if c != "denominator"]
        curves[limit_cols] = curves[limit_cols] * self.settings.per
        return curves

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``hubplan benchmark --format json``, plus details.

        ``{"indicator", "target", "overdispersion", "phi", "tau2", "providers": [...]}``
        where each provider has ``provider``, ``numerator``, ``denominator``, ``value``,
        ``z``, ``lower_95``, ``upper_95``, ``lower_998``, ``upper_998`` and ``flag``
        (``alarm_low`` | ``alert_low`` | ``in_control`` | ``alert_high`` | ``alarm_high``);
        ratios also carry ``observed`` and ``expected``.
        """
        providers = []
        for record in self.providers.to_dict(orient="records"):
            item: dict[str, Any] = {
                "provider": record[PROVIDER],
                "numerator": _whole(record[NUMERATOR]),
                "denominator": _whole(record[DENOMINATOR]),
            }
            if self.indicator is Indicator.RATIO:
                item["observed"] = item["numerator"]
                item["expected"] = item["denominator"]
            if REGION in record:
                item["region"] = record[REGION]
            for key in ("value", "z", *LIMIT_COLUMNS, "flag", "z_adjusted", "flag_unadjusted"):
                item[key] = record[key]
            for key in LIMIT_COLUMNS:
                item[f"{key}_unadjusted"] = record[f"{key}_unadjusted"]
            providers.append(item)
        settings = self.settings
        result: dict[str, Any] = {
            "indicator": settings.indicator.value,
            "target": self.target * settings.per,
            "overdispersion": settings.overdispersion.value,
            "phi": self.dispersion.phi,
            "tau2": self.dispersion.tau2,
            "overdispersion_applied": self.dispersion.applied,
            "overdispersion_reason": self.dispersion.reason,
            "phi_p_value": self.dispersion.p_value,
            "winsorise": self.dispersion.winsorise,
            "scale": settings.resolved_scale.value,
            "limits": settings.limits.value,
            "limits_drawn": self.limits_description,
            "levels": list(settings.levels),
            "per": settings.per,
            "counts": self.counts,
            "providers": providers,
        }
        if self.regions is not None:
            result["regions"] = {
                **self.regions.summary(),
                "table": region_records(self.regions.table),
            }
        return result


def _whole(count: float) -> int | float:
    """A count as an int when it is a whole number (21.0 -> 21), else unchanged."""
    return int(count) if float(count).is_integer() else float(count)


def region_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The regional table as JSON records (the columns users need, in order)."""
    records = table[region_columns()].to_dict(orient="records")
    for record in records:
        record[NUMERATOR] = _whole(record[NUMERATOR])
        record[DENOMINATOR] = _whole(record[DENOMINATOR])
    return records


def region_columns() -> list[str]:
    """Columns of the regional table shown to users, in order."""
    return [
        REGION, "rank", "providers", NUMERATOR, DENOMINATOR, "value", "z", *LIMIT_COLUMNS, "flag",
        "lowest_provider_value", "highest_provider_value",
        *(f"providers_{f}" for f in FLAGS if f != Flag.IN_CONTROL.value),
    ]


def benchmark(
    providers: pd.DataFrame,
    settings: FunnelSettings | None = None,
    *,
    source: str = "providers",
    **options: Any,
) -> BenchmarkResult:
    """Benchmark providers on one indicator with a funnel plot (Spiegelhalter 2005).

    Parameters
    ----------
    providers
        A DataFrame with ``provider``, ``numerator``, ``denominator`` (for a ratio,
        ``observed`` and ``expected`` also work) and optionally ``region``. It is
        validated: blank or duplicate providers, non-numbers, negative counts, zero
        denominators and (for proportions) numerators above denominators are errors.
    settings
        A :class:`FunnelSettings`; or give its fields as keyword ``options``.
    source
        How to name the data in error messages.

    Returns
    -------
    BenchmarkResult

    Examples
    --------
    >>> import pandas as pd
    >>> from hubplan.monitoring.benchmark import benchmark
    >>> frame = pd.DataFrame({
    ...     "provider": ["A", "B", "C", "D"],
    ...     "numerator": [10, 40, 12, 50],
    ...     "denominator": [100, 150, 100, 400],
    ... })
    >>> result = benchmark(frame, indicator="proportion", overdispersion="none")
    >>> round(result.target, 4)
    0.1493
    >>> result.providers[["provider", "flag"]].values.tolist()
    [['A', 'in_control'], ['B', 'alarm_high'], ['C', 'in_control'], ['D', 'in_control']]
    """
    if settings is None:
        settings = FunnelSettings(**options)
    elif options:
        raise TypeError("give either settings or keyword options, not both")
    clean = validate_providers(providers, settings.indicator, source=source)
    check_for_funnel(clean, settings, source)
    numerator, denominator = clean[NUMERATOR], clean[DENOMINATOR]
    target = (
        float(settings.target)
        if settings.target is not None
        else default_target(settings.indicator, numerator, denominator)
    )
    if settings.target is None:
        _check_pooled_target(settings.indicator, target, source)
    table, dispersion = compute_funnel(clean, settings, target)
    regions = regional_variation(table, settings, target)
    if regions is not None:
        region_table = regions.table.copy()
        region_columns = [*VALUE_COLUMNS, "lowest_provider_value", "highest_provider_value"]
        region_table[region_columns] = region_table[region_columns] * settings.per
        regions = RegionalVariation(region_table, regions.dispersion, target)
    scaled = table.reset_index(drop=True)
    scaled[list(VALUE_COLUMNS)] = scaled[list(VALUE_COLUMNS)] * settings.per
    order = [PROVIDER, *([REGION] if REGION in scaled.columns else []), NUMERATOR, DENOMINATOR,
             "value", "z", "z_adjusted", *LIMIT_COLUMNS, "flag",
             *(f"{c}_unadjusted" for c in LIMIT_COLUMNS), "flag_unadjusted"]
    return BenchmarkResult(settings, target, dispersion, scaled[order], regions)


def _check_pooled_target(indicator: Indicator, target: float, source: str) -> None:
    if indicator is Indicator.PROPORTION and not 0.0 < target < 1.0:
        raise InputError(
            f"{source}: the pooled proportion is {target:g}; with every provider at 0% or "
            "every provider at 100% there is no variation to benchmark"
        )
    if indicator is not Indicator.PROPORTION and target <= 0.0:
        raise InputError(f"{source}: every numerator is 0, so the pooled {indicator.value} is 0")
