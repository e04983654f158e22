"""The funnel of one set of units (providers or regions): z-scores, limits and flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hubplan.monitoring.benchmark.indicators import (
    Indicator,
    Scale,
    check_scale,
    check_target,
    default_scale,
    null_standard_error,
    transform,
    z_scores,
)
from hubplan.monitoring.benchmark.inputs import DENOMINATOR, NUMERATOR, check_positive_numerators, check_whole_denominators
from hubplan.monitoring.benchmark.limits import LEVELS, LimitMethod, funnel_limits, level_name
from hubplan.monitoring.benchmark.outliers import classify
from hubplan.monitoring.benchmark.overdispersion import WINSORISE, Dispersion, Overdispersion, estimate_dispersion
from hubplan.errors import InputError


@dataclass(frozen=True)
class FunnelSettings:
    """How to benchmark: the indicator, target, limits and overdispersion adjustment.

    Attributes
    ----------
    indicator
        ``proportion``, ``ratio`` (observed / expected) or ``rate`` (count / exposure).
    target
        ``theta0`` in the indicator's units; None = 1 for a ratio, else the pooled
        value ``sum(numerator) / sum(denominator)``.
    overdispersion
        ``none``, ``multiplicative`` or ``additive`` (default, DerSimonian-Laird).
    limits
        ``exact`` (binomial / Poisson, default) or ``normal`` for the unadjusted
        limits; limits widened for overdispersion are always normal on ``scale``.
    scale
        Comparison scale; None = identity for proportions, sqrt for ratios and rates.
    winsorise
        Share of z-scores winsorised at each tail before estimating phi (0.1).
    test_overdispersion
        Widen only if the chi-squared test of phi is significant at ``alpha``.
    alpha
        Level of that test.
    per
        Multiplier for reporting values, targets and limits (e.g. 100 for percent,
        100000 for a rate per 100,000); counts are never scaled.
    """

    indicator: Indicator = Indicator.PROPORTION
    target: float | None = None
    overdispersion: Overdispersion = Overdispersion.ADDITIVE
    limits: LimitMethod = LimitMethod.EXACT
    scale: Scale | None = None
    winsorise: float = WINSORISE
    test_overdispersion: bool = False
    alpha: float = 0.05
    per: float = 1.0
    levels: tuple[float, float] = field(default=LEVELS)

    def __post_init__(self) -> None:
        object.__setattr__(self, "indicator", _choice(Indicator, self.indicator, "indicator"))
        object.__setattr__(
            self, "overdispersion", _choice(Overdispersion, self.overdispersion, "overdispersion")
        )
        object.__setattr__(self, "limits", _choice(LimitMethod, self.limits, "limits"))
        if self.scale is not None:
            object.__setattr__(self, "scale", _choice(Scale, self.scale, "scale"))
        check_scale(self.indicator, self.resolved_scale)
        if self.target is not None:
            check_target(self.indicator, float(self.target))
        if not 0.0 <= self.winsorise < 0.5:
            raise InputError(f"winsorise {self.winsorise!r}: expected a fraction in [0, 0.5), e.g. 0.1")
        if not (np.isfinite(self.per) and self.per > 0):
            raise InputError(f"per {self.per!r}: expected a multiplier > 0, e.g. 100 for percent")
        if tuple(self.levels) != LEVELS:
            raise InputError(f"levels {self.levels!r}: only the audit standard {LEVELS} is supported")

    @property
    def resolved_scale(self) -> Scale:
        """The scale actually used (the default for the indicator if none was given)."""
        return self.scale if self.scale is not None else default_scale(self.indicator)


def _choice(kind: Any, value: Any, name: str) -> Any:
    """``kind(value)`` for an enum, or an :class:`InputError` listing the choices."""
    try:
        return kind(value.lower() if isinstance(value, str) else value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise InputError(f"{name} '{value}': expected one of {choices}") from None


def check_for_funnel(frame: pd.DataFrame, settings: FunnelSettings, source: str) -> None:
    """Checks that depend on the settings: whole denominators for exact binomial, no log of 0."""
    if settings.indicator is Indicator.PROPORTION and settings.limits is LimitMethod.EXACT:
        check_whole_denominators(frame, source)
    if settings.resolved_scale is Scale.LOG:
        check_positive_numerators(frame, source)


def compute_funnel(
    frame: pd.DataFrame, settings: FunnelSettings, target: float
) -> tuple[pd.DataFrame, Dispersion]:
    """Values, z-scores, unadjusted and adjusted limits and flags for each unit.

    Parameters
    ----------
    frame
        Validated units with ``numerator`` and ``denominator`` (other columns kept).
    settings
        See :class:`FunnelSettings`.
    target
        ``theta0`` in the indicator's units (already resolved).

    Returns
    -------
    (table, dispersion)
        ``table`` adds ``value``, ``z``, ``z_adjusted``, ``lower_95`` ... ``upper_998``
        (as drawn), the same with suffix ``_unadjusted``, ``flag`` and
        ``flag_unadjusted``; values and limits in the indicator's own units (not
        multiplied by ``per``).
    """
    indicator, scale = settings.indicator, settings.resolved_scale
    numerator = frame[NUMERATOR].to_numpy(dtype=float)
    denominator = frame[DENOMINATOR].to_numpy(dtype=float)
    value = numerator / denominator
    standard_error = null_standard_error(indicator, scale, target, denominator)
    z = z_scores(indicator, scale, target, value, denominator)
    dispersion = estimate_dispersion(
        z,
        standard_error,
        settings.overdispersion,
        settings.winsorise,
        settings.test_overdispersion,
        settings.alpha,
    )
    widened = dispersion.standard_deviation(standard_error)
    table = frame.copy()
    table["value"] = value
    table["z"] = z
    table["z_adjusted"] = (
        z if widened is None else (transform(scale, value) - transform(scale, np.array(target))) / widened
    )
    for suffix, sd in (("_unadjusted", None), ("", widened)):
        for level in settings.levels:
            lower, upper = funnel_limits(indicator, scale, target, denominator, level, settings.limits, sd)
            table[f"lower_{level_name(level)}{suffix}"] = lower
            table[f"upper_{level_name(level)}{suffix}"] = upper
        table[f"flag{suffix}"] = classify(
            value,
            table[f"lower_95{suffix}"],
            table[f"upper_95{suffix}"],
            table[f"lower_998{suffix}"],
            table[f"upper_998{suffix}"],
        )
    return table, dispersion


def limit_curves(
    settings: FunnelSettings,
    target: float,
    dispersion: Dispersion,
    smallest: float,
    largest: float,
    points: int = 200,
) -> pd.DataFrame:
    """Control limits on a grid of denominators, for drawing the funnel.

    The grid is geometric from ``smallest`` to ``largest`` (whole numbers for exact
    binomial limits). Columns: ``denominator``, ``lower_95`` ... ``upper_998`` (as
    drawn) and the same with ``_unadjusted``, in the indicator's units.
    """
    smallest = max(smallest, 1e-9)
    grid = np.geomspace(smallest, max(largest, smallest * 1.01), points)
    if settings.indicator is Indicator.PROPORTION and settings.limits is LimitMethod.EXACT:
        grid = np.unique(np.maximum(np.rint(grid), 1.0))
    indicator, scale = settings.indicator, settings.resolved_scale
    standard_error = null_standard_error(indicator, scale, target, grid)
    widened = dispersion.standard_deviation(standard_error)
    curves = pd.DataFrame({"denominator": grid})
    for suffix, sd in (("_unadjusted", None), ("", widened)):
        for level in settings.levels:
            lower, upper = funnel_limits(indicator, scale, target, grid, level, settings.limits, sd)
            curves[f"lower_{level_name(level)}{suffix}"] = lower
            curves[f"upper_{level_name(level)}{suffix}"] = upper
    return curves


def describe_limits(settings: FunnelSettings, dispersion: Dispersion) -> str:
    """The limits drawn, in words (for JSON, tables and plot captions)."""
    scale = settings.resolved_scale.value
    if dispersion.applied:
        how = (
            f"sqrt(phi) = {np.sqrt(dispersion.phi):.3g}"
            if dispersion.method is Overdispersion.MULTIPLICATIVE
            else f"additive random effect tau2 = {dispersion.tau2:.3g}"
        )
        return f"normal on the {scale} scale, widened by {how}"
    if settings.limits is LimitMethod.EXACT:
        return f"exact {settings.indicator.distribution} (interpolated), unadjusted"
    return f"normal on the {scale} scale, unadjusted"
