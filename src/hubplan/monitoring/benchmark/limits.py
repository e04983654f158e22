"""Funnel-plot control limits: exact (binomial / Poisson) and normal.

Exact limits follow Spiegelhalter (2005, Stat Med 24:1185, Appendix A.1). For a
tail probability ``p`` (0.025 and 0.975 for the 95% limits, 0.001 and 0.999 for
the 99.8% limits), let ``R`` be the numerator of a provider that is on target
(Binomial(n, theta0) for a proportion, Poisson(theta0 * rho) for a ratio or rate),
``r_p`` the smallest ``r`` with ``P(R <= r) >= p``, and

    alpha = (P(R <= r_p) - p) / (P(R <= r_p) - P(R <= r_p - 1)).

The limit, interpolated between the discrete steps so the funnel is smooth, is

    y_p = (r_p - alpha) / rho

with ``rho`` the denominator (cases, expected count or exposure). Limits are kept
inside the indicator's range (0..1 for proportions, >= 0 otherwise).

Normal limits are ``g^-1(g(theta0) +/- z_p * sd_i)`` on the comparison scale ``g``
(see :mod:`hubplan.monitoring.benchmark.indicators`), where ``sd_i`` is the null standard error
``s_i``, inflated for overdispersion when asked (:mod:`hubplan.monitoring.benchmark.overdispersion`).
"""

from __future__ import annotations

from enum import Enum

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from hubplan.monitoring.benchmark.indicators import (
    FloatArray,
    Indicator,
    Scale,
    inverse,
    null_standard_error,
    transform,
)

#: The two funnels national clinical audits draw: ~2 SD (alert) and ~3 SD (alarm).
LEVELS: tuple[float, float] = (0.95, 0.998)


class LimitMethod(str, Enum):
    """How the unadjusted limits are drawn."""

    EXACT = "exact"
    NORMAL = "normal"


def level_name(level: float) -> str:
    """The suffix used in column names: 0.95 -> ``"95"``, 0.998 -> ``"998"``."""
    return f"{level * 100:g}".replace(".", "")


def tail_probabilities(level: float) -> tuple[float, float]:
    """The lower and upper tail probabilities of a two-sided ``level``: 0.95 -> (0.025, 0.975)."""
    half = (1.0 - level) / 2.0
    return half, 1.0 - half


def z_for_level(level: float) -> float:
    """The standard normal quantile of a two-sided ``level``: 0.95 -> 1.960, 0.998 -> 3.090."""
    return float(stats.norm.ppf(tail_probabilities(level)[1]))


def exact_limit(
    indicator: Indicator, target: float, denominator: ArrayLike, probability: float
) -> FloatArray:
    """The interpolated exact ``probability``-quantile of the indicator of an on-target provider.

    Parameters
    ----------
    indicator
        ``proportion`` (binomial; denominators must be whole numbers) or ``ratio`` /
        ``rate`` (Poisson).
    target
        ``theta0`` in the indicator's units.
    denominator
        Cases, expected count or exposure per provider (> 0).
    probability
        The tail probability ``p`` (e.g. 0.025 for the lower 95% limit).

    Returns
    -------
    numpy.ndarray
        ``(r_p - alpha) / rho`` (Spiegelhalter 2005, Appendix A.1), clipped to the
        indicator's range.
    """
    rho = np.asarray(denominator, dtype=float)
    dist = (
        stats.binom(np.rint(rho), target)
        if indicator is Indicator.PROPORTION
        else stats.poisson(target * rho)
    )
    r_p = dist.ppf(probability)
    cdf_at = dist.cdf(r_p)
    cdf_below = dist.cdf(r_p - 1)
    alpha = np.clip((cdf_at - probability) / (cdf_at - cdf_below), 0.0, 1.0)
    limit = (r_p - alpha) / rho
    upper_bound = 1.0 if indicator is Indicator.PROPORTION else np.inf
    return np.asarray(np.clip(limit, 0.0, upper_bound), dtype=float)


def normal_limit(
    scale: Scale, target: float, standard_deviation: ArrayLike, z: float
) -> FloatArray:
    """``g^-1(g(theta0) + z * sd)``: a normal limit on the comparison scale (``z`` < 0 for lower)."""
    sd = np.asarray(standard_deviation, dtype=float)
    centre = float(transform(scale, np.array(target)))
    return inverse(scale, centre + z * sd)


def funnel_limits(
    indicator: Indicator,
    scale: Scale,
    target: float,
    denominator: ArrayLike,
    level: float,
    method: LimitMethod = LimitMethod.EXACT,
    standard_deviation: ArrayLike | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Lower and upper control limits at ``level`` for each denominator.

    Parameters
    ----------
    indicator, scale, target
        See :mod:`hubplan.monitoring.benchmark.indicators`.
    denominator
        Where to draw the limits (the providers' denominators, or a grid for a plot).
    level
        Two-sided coverage, e.g. 0.95 or 0.998.
    method
        ``exact`` or ``normal``; ignored when ``standard_deviation`` is given.
    standard_deviation
        An inflated standard deviation on the comparison scale (overdispersion);
        the limits are then normal, as in Spiegelhalter (2005, section 4).

    Returns
    -------
    (lower, upper)
        Arrays in the indicator's own units.
    """
    low_p, high_p = tail_probabilities(level)
    if standard_deviation is None and method is LimitMethod.EXACT:
        return (
            exact_limit(indicator, target, denominator, low_p),
            exact_limit(indicator, target, denominator, high_p),
        )
    sd = (
        null_standard_error(indicator, scale, target, denominator)
        if standard_deviation is None
        else np.asarray(standard_deviation, dtype=float)
    )
    z = z_for_level(level)
    lower = normal_limit(scale, target, sd, -z)
    upper = normal_limit(scale, target, sd, z)
    if indicator is Indicator.PROPORTION:
        lower, upper = np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)
    else:
        lower = np.clip(lower, 0.0, None)
    return lower, upper
