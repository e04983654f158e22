"""Overdispersion: winsorised z-scores, the dispersion factor phi and tau squared.

Real providers differ more than chance alone allows (unmeasured case mix, coding,
small-area deprivation), so with many providers most fall outside plain funnel
limits. Following Spiegelhalter (2005, Stat Med 24:1185, section 4) and
Spiegelhalter et al. (2012, JRSS A 175:1, section 3):

1. z-scores ``z_i = (g(y_i) - g(theta0)) / s_i`` on the comparison scale;
2. winsorise: the ``k = floor(q * I)`` lowest z-scores are set to the (k+1)-th lowest
   and the ``k`` highest to the (k+1)-th highest (``q`` = 10% by default), so the
   outliers being looked for do not inflate the estimate;
3. the dispersion factor ``phi = (1/I) * sum(z_w_i ** 2)``; under no overdispersion
   ``I * phi`` is roughly chi-squared on ``I - 1`` degrees of freedom;
4. *multiplicative* model: limits ``g^-1(g(theta0) +/- z_p * sqrt(phi) * s_i)``,
   used only when ``phi > 1``;
5. *additive* random-effects model, DerSimonian-Laird estimate of the between-provider
   variance on the comparison scale:

       tau2 = max(0, (I * phi - (I - 1)) / (sum(w_i) - sum(w_i ** 2) / sum(w_i)))

   with ``w_i = 1 / s_i ** 2``; limits ``g^-1(g(theta0) +/- z_p * sqrt(s_i ** 2 + tau2))``.

Optionally, the adjustment is applied only if the chi-squared test of ``I * phi`` on
``I - 1`` degrees of freedom rejects "no overdispersion" at level ``alpha``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from hubplan.monitoring.benchmark.indicators import FloatArray
from hubplan.errors import InputError

#: Default share of z-scores winsorised at each tail.
WINSORISE = 0.10


class Overdispersion(str, Enum):
    """How limits are widened for overdispersion."""

    NONE = "none"
    MULTIPLICATIVE = "multiplicative"
    ADDITIVE = "additive"


def winsorise(z: ArrayLike, fraction: float = WINSORISE) -> FloatArray:
    """Winsorise z-scores: pull the ``floor(fraction * I)`` most extreme at each end in.

    >>> winsorise([-5.0, -1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 9.0], 0.1).tolist()
    [-1.0, -1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.0]
    """
    values = np.asarray(z, dtype=float)
    if not 0.0 <= fraction < 0.5:
        raise InputError(f"winsorise {fraction!r}: expected a fraction in [0, 0.5), e.g. 0.1")
    count = values.size
    k = math.floor(fraction * count + 1e-9)
    if k == 0:
        return values.copy()
    ordered = np.sort(values)
    return np.clip(values, ordered[k], ordered[count - 1 - k])


def dispersion_factor(z_winsorised: ArrayLike) -> float:
    """``phi = (1/I) * sum(z ** 2)`` of (winsorised) z-scores."""
    z = np.asarray(z_winsorised, dtype=float)
    return float(np.mean(np.square(z)))


def tau_squared(phi: float, standard_error: ArrayLike) -> float:
    """DerSimonian-Laird between-provider variance from ``phi`` and the null standard errors."""
    s = np.asarray(standard_error, dtype=float)
    count = s.size
    weights = 1.0 / np.square(s)
    total = float(np.sum(weights))
    denominator = total - float(np.sum(np.square(weights))) / total
    if denominator <= 0.0:
        return 0.0
    return max(0.0, (count * phi - (count - 1)) / denominator)


@dataclass(frozen=True)
class Dispersion:
    """What was estimated about overdispersion and whether the limits were widened.

    Attributes
    ----------
    method
        The adjustment asked for.
    phi
        Dispersion factor from the winsorised z-scores (1 = as expected by chance).
    tau2
        DerSimonian-Laird between-provider variance on the comparison scale.
    p_value
        Upper tail of chi-squared on ``providers - 1`` df at ``providers * phi``.
    providers
        Number of z-scores used (``I``).
    winsorise
        Share winsorised at each tail.
    applied
        Whether the limits drawn are the widened ones.
    reason
        Why the adjustment was or was not applied, in words.
    """

    method: Overdispersion
    phi: float
    tau2: float
    p_value: float
    providers: int
    winsorise: float
    applied: bool
    reason: str

    def standard_deviation(self, standard_error: ArrayLike) -> FloatArray | None:
        """The widened standard deviation for each ``s_i``, or None if not applied."""
        s = np.asarray(standard_error, dtype=float)
        if not self.applied:
            return None
        if self.method is Overdispersion.MULTIPLICATIVE:
            return s * math.sqrt(self.phi)
        return np.sqrt(np.square(s) + self.tau2)


def estimate_dispersion(
    z: ArrayLike,
    standard_error: ArrayLike,
    method: Overdispersion = Overdispersion.ADDITIVE,
    winsorise_fraction: float = WINSORISE,
    test: bool = False,
    alpha: float = 0.05,
) -> Dispersion:
    """Estimate phi and tau squared from z-scores, and decide whether to widen the limits.

    Parameters
    ----------
    z
        Unadjusted z-scores on the comparison scale.
    standard_error
        The matching null standard errors ``s_i``.
    method
        ``none``, ``multiplicative`` (applied when phi > 1) or ``additive`` (applied when
        tau2 > 0).
    winsorise_fraction
        Share of z-scores winsorised at each tail (default 0.1).
    test
        If true, widen only when the chi-squared test rejects at ``alpha``.
    alpha
        Test level.
    """
    z_all = np.asarray(z, dtype=float)
    count = z_all.size
    if count < 2:
        raise InputError(f"overdispersion needs at least 2 providers, got {count}")
    if not np.all(np.isfinite(z_all)):
        raise InputError("overdispersion: every z-score must be finite")
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha {alpha!r}: expected a probability between 0 and 1")
    phi = dispersion_factor(winsorise(z_all, winsorise_fraction))
    tau2 = tau_squared(phi, standard_error)
    p_value = float(stats.chi2.sf(count * phi, count - 1))
    applied, reason = _decide(method, phi, tau2, p_value, test, alpha)
    return Dispersion(method, phi, tau2, p_value, count, winsorise_fraction, applied, reason)


def _decide(
    method: Overdispersion, phi: float, tau2: float, p_value: float, test: bool, alpha: float
) -> tuple[bool, str]:
    if method is Overdispersion.NONE:
        return False, "no adjustment asked for"
    if method is Overdispersion.MULTIPLICATIVE and phi <= 1.0:
        return False, f"phi = {phi:.3g} <= 1: no overdispersion to adjust for"
    if method is Overdispersion.ADDITIVE and tau2 <= 0.0:
        return False, f"tau2 = 0 (phi = {phi:.3g}): no between-provider variance to add"
    if test and p_value >= alpha:
        return False, (
            f"chi-squared test of phi = {phi:.3g} not significant "
            f"(p = {p_value:.3g} >= {alpha:g})"
        )
    if method is Overdispersion.MULTIPLICATIVE:
        return True, f"limits widened by sqrt(phi) = {math.sqrt(phi):.3g}"
    return True, f"limits widened by an additive random effect, tau2 = {tau2:.3g}"
