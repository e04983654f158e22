"""Indicators, the scales they are compared on, and their null standard errors.

An *indicator* is a value per provider ``y = numerator / denominator``:

* ``proportion``: events out of cases (e.g. in-hospital deaths / operations,
  thrombolysed / admitted). Under the target ``theta0`` the numerator is
  Binomial(``denominator``, ``theta0``).
* ``ratio``: an indirectly standardised ratio, observed / expected (e.g. a
  risk-adjusted mortality ratio). The observed count is Poisson(``theta0 * expected``);
  the target is 1 unless given.
* ``rate``: a count per unit of exposure (per population, per bed-day, per
  admission: rates and ratios of counts). The count is Poisson(``theta0 * exposure``).

Spiegelhalter (2005, Stat Med 24:1185, Table I) puts each indicator on a scale
``g`` on which it is roughly normal with a known standard error ``s_i`` under the
target. The z-score is ``z_i = (g(y_i) - g(theta0)) / s_i`` and the normal control
limits are ``g^-1(g(theta0) +/- z_p * s_i)``:

============  ==========  =========================  ==============================
indicator     scale       g(y)                       s_i
============  ==========  =========================  ==============================
proportion    identity    y                          sqrt(theta0 (1 - theta0) / n_i)
proportion    arcsine     arcsin(sqrt(y))            1 / (2 sqrt(n_i))
ratio, rate   identity    y                          sqrt(theta0 / rho_i)
ratio, rate   sqrt        sqrt(y)                    1 / (2 sqrt(rho_i))
ratio, rate   log         log(y)                     1 / sqrt(theta0 rho_i)
============  ==========  =========================  ==============================

``rho_i`` is the denominator (expected count or exposure). The square-root scale
is the variance-stabilising transformation of the Poisson used by Spiegelhalter
et al. (2012, JRSS A 175:1); the log scale is the one of the NHS Summary
Hospital-level Mortality Indicator (SHMI).
"""

from __future__ import annotations

from enum import Enum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hubplan.errors import InputError

FloatArray = NDArray[np.float64]


class Indicator(str, Enum):
    """What kind of value each provider has (see the module docstring)."""

    PROPORTION = "proportion"
    RATIO = "ratio"
    RATE = "rate"

    @property
    def distribution(self) -> str:
        """``"binomial"`` for proportions, ``"poisson"`` for ratios and rates."""
        return "binomial" if self is Indicator.PROPORTION else "poisson"

    @property
    def numerator_label(self) -> str:
        """What the numerator is called in messages and plots."""
        return "observed" if self is Indicator.RATIO else "numerator"

    @property
    def denominator_label(self) -> str:
        """What the denominator is called in messages and plots."""
        return "expected" if self is Indicator.RATIO else "denominator"


class Scale(str, Enum):
    """The scale on which z-scores, overdispersion and normal limits are computed."""

    IDENTITY = "identity"
    SQRT = "sqrt"
    LOG = "log"
    ARCSINE = "arcsine"


#: Scales that make sense for each indicator; the first is the default.
SCALES: dict[Indicator, tuple[Scale, ...]] = {
    Indicator.PROPORTION: (Scale.IDENTITY, Scale.ARCSINE),
    Indicator.RATIO: (Scale.SQRT, Scale.LOG, Scale.IDENTITY),
    Indicator.RATE: (Scale.SQRT, Scale.LOG, Scale.IDENTITY),
}


def default_scale(indicator: Indicator) -> Scale:
    """The scale used unless the user chooses another (first entry of :data:`SCALES`)."""
    return SCALES[indicator][0]


def check_scale(indicator: Indicator, scale: Scale) -> None:
    """Raise :class:`InputError` if ``scale`` does not suit ``indicator``."""
    allowed = SCALES[indicator]
    if scale not in allowed:
        names = ", ".join(s.value for s in allowed)
        raise InputError(
            f"scale '{scale.value}' does not suit a {indicator.value}; expected one of: {names}"
        )


def pooled_target(numerator: ArrayLike, denominator: ArrayLike) -> float:
    """The target estimated from the data: ``sum(numerator) / sum(denominator)``."""
    total = float(np.sum(np.asarray(denominator, dtype=float)))
    return float(np.sum(np.asarray(numerator, dtype=float))) / total


def default_target(indicator: Indicator, numerator: ArrayLike, denominator: ArrayLike) -> float:
    """1 for a standardised ratio; the pooled value for proportions and rates."""
    if indicator is Indicator.RATIO:
        return 1.0
    return pooled_target(numerator, denominator)


def check_target(indicator: Indicator, target: float) -> None:
    """Raise :class:`InputError` unless ``target`` is inside the indicator's range."""
    if not np.isfinite(target):
        raise InputError(f"target: expected a finite number, got {target!r}")
    if indicator is Indicator.PROPORTION and not 0.0 < target < 1.0:
        raise InputError(
            f"target {target!r}: a proportion's target must be strictly between 0 and 1"
        )
    if indicator is not Indicator.PROPORTION and target <= 0.0:
        raise InputError(f"target {target!r}: a {indicator.value}'s target must be > 0")


def transform(scale: Scale, value: ArrayLike) -> FloatArray:
    """``g(value)``: the indicator on the comparison scale."""
    y = np.asarray(value, dtype=float)
    with np.errstate(divide="ignore"):
        if scale is Scale.IDENTITY:
            return y.copy()
        if scale is Scale.SQRT:
            return np.sqrt(y)
        if scale is Scale.LOG:
            return np.log(y)
        return np.arcsin(np.sqrt(np.clip(y, 0.0, 1.0)))


def inverse(scale: Scale, transformed: ArrayLike) -> FloatArray:
    """``g^-1``: back from the comparison scale to the indicator's own units.

    Values below the bottom of the scale's range (a negative square root or arcsine)
    map to 0, and an arcsine above pi/2 maps to 1, so limits never leave the
    indicator's range.
    """
    t = np.asarray(transformed, dtype=float)
    if scale is Scale.IDENTITY:
        return t.copy()
    if scale is Scale.SQRT:
        return np.square(np.clip(t, 0.0, None))
    if scale is Scale.LOG:
        return np.exp(t)
    return np.square(np.sin(np.clip(t, 0.0, np.pi / 2)))


def null_standard_error(
    indicator: Indicator, scale: Scale, target: float, denominator: ArrayLike
) -> FloatArray:
    """``s_i``: the standard error of ``g(y_i)`` when the provider is on target.

    Parameters
    ----------
    indicator, scale
        What the values are and the scale they are compared on.
    target
        ``theta0``, in the indicator's own units (a fraction, a ratio or a rate).
    denominator
        Cases (proportion), expected count (ratio) or exposure (rate), all > 0.
    """
    rho = np.asarray(denominator, dtype=float)
    if indicator is Indicator.PROPORTION:
        if scale is Scale.ARCSINE:
            return 1.0 / (2.0 * np.sqrt(rho))
        return np.sqrt(target * (1.0 - target) / rho)
    if scale is Scale.SQRT:
        return 1.0 / (2.0 * np.sqrt(rho))
    if scale is Scale.LOG:
        return 1.0 / np.sqrt(target * rho)
    return np.sqrt(target / rho)


def z_scores(
    indicator: Indicator,
    scale: Scale,
    target: float,
    value: ArrayLike,
    denominator: ArrayLike,
) -> FloatArray:
    """Unadjusted z-scores ``(g(y_i) - g(theta0)) / s_i`` (Spiegelhalter 2005, section 4)."""
    s = null_standard_error(indicator, scale, target, denominator)
    return (transform(scale, value) - transform(scale, np.array(target))) / s
