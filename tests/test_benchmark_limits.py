"""Funnel limits and z-scores: worked by hand and checked against scipy's distributions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hubplan.monitoring.benchmark.indicators import Indicator, Scale, null_standard_error, z_scores
from hubplan.monitoring.benchmark.limits import LimitMethod, exact_limit, funnel_limits, z_for_level

Z95 = 1.959963984540054  # standard normal 0.975 quantile
Z998 = 3.090232306167813  # standard normal 0.999 quantile


def test_z_for_the_two_audit_levels():
    assert z_for_level(0.95) == pytest.approx(Z95, abs=1e-12)
    assert z_for_level(0.998) == pytest.approx(Z998, abs=1e-12)


def test_normal_limits_for_a_proportion_by_hand():
    # target 0.2, n = 100: s = sqrt(0.2 * 0.8 / 100) = 0.04
    lower, upper = funnel_limits(Indicator.PROPORTION, Scale.IDENTITY, 0.2, [100], 0.95, LimitMethod.NORMAL)
    assert lower[0] == pytest.approx(0.2 - Z95 * 0.04)
    assert upper[0] == pytest.approx(0.2 + Z95 * 0.04)
    lower, upper = funnel_limits(Indicator.PROPORTION, Scale.IDENTITY, 0.2, [400], 0.998, LimitMethod.NORMAL)
    assert lower[0] == pytest.approx(0.2 - Z998 * 0.02)
    assert upper[0] == pytest.approx(0.2 + Z998 * 0.02)


def test_normal_limits_stay_inside_0_and_1():
    lower, upper = funnel_limits(Indicator.PROPORTION, Scale.IDENTITY, 0.05, [10], 0.998, LimitMethod.NORMAL)
    assert lower[0] == 0.0
    assert upper[0] == pytest.approx(0.05 + Z998 * math.sqrt(0.05 * 0.95 / 10))


def test_z_scores_by_hand():
    # proportion: (0.25 - 0.2) / 0.04 = 1.25; ratio on the sqrt scale: 2 (sqrt(O) - sqrt(E)) for target 1
    z = z_scores(Indicator.PROPORTION, Scale.IDENTITY, 0.2, [0.25], [100])
    assert z[0] == pytest.approx(1.25)
    observed, expected = 49.0, 36.0
    z = z_scores(Indicator.RATIO, Scale.SQRT, 1.0, [observed / expected], [expected])
    assert z[0] == pytest.approx(2 * (math.sqrt(observed) - math.sqrt(expected)))  # = 2
    z = z_scores(Indicator.RATIO, Scale.LOG, 1.0, [observed / expected], [expected])
    assert z[0] == pytest.approx(math.log(observed / expected) * math.sqrt(expected))
    z = z_scores(Indicator.RATE, Scale.IDENTITY, 0.01, [0.012], [10_000])
    assert z[0] == pytest.approx((0.012 - 0.01) / math.sqrt(0.01 / 10_000))


def test_arcsine_scale_standard_error():
    s = null_standard_error(Indicator.PROPORTION, Scale.ARCSINE, 0.3, [100])
    assert s[0] == pytest.approx(0.05)  # 1 / (2 sqrt(100))
    lower, upper = funnel_limits(Indicator.PROPORTION, Scale.ARCSINE, 0.3, [100], 0.95, LimitMethod.NORMAL)
    centre = math.asin(math.sqrt(0.3))
    assert upper[0] == pytest.approx(math.sin(centre + Z95 * 0.05) ** 2)
    assert lower[0] == pytest.approx(math.sin(centre - Z95 * 0.05) ** 2)


def test_exact_binomial_limit_by_hand():
    # Binomial(10, 0.5): P(R <= 1) = 11/1024 < 0.025 <= P(R <= 2) = 56/1024, so r_p = 2 and
    # alpha = (56/1024 - 0.025) / (45/1024); limit = (2 - alpha) / 10.
    alpha = (56 / 1024 - 0.025) / (45 / 1024)
    assert exact_limit(Indicator.PROPORTION, 0.5, [10], 0.025)[0] == pytest.approx((2 - alpha) / 10)


def test_exact_poisson_limit_by_hand():
    # Poisson(2): P(R <= 4) = 7 e^-2 < 0.975 <= P(R <= 5) = (109/15) e^-2, so r_p = 5.
    cdf4 = math.exp(-2) * (1 + 2 + 2 + 4 / 3 + 2 / 3)
    cdf5 = cdf4 + math.exp(-2) * 32 / 120
    alpha = (cdf5 - 0.975) / (cdf5 - cdf4)
    assert exact_limit(Indicator.RATIO, 1.0, [2.0], 0.975)[0] == pytest.approx((5 - alpha) / 2)
    # the lower limit (0 - alpha) / 2 is below 0 and is kept at 0
    assert exact_limit(Indicator.RATIO, 1.0, [2.0], 0.025)[0] == 0.0


def _quantile_by_search(cdf, p):
    r = 0
    while cdf(r) < p:
        r += 1
    return r


@pytest.mark.parametrize("n, target", [(20, 0.1), (57, 0.13), (300, 0.134), (1000, 0.5)])
@pytest.mark.parametrize("p", [0.001, 0.025, 0.975, 0.999])
def test_exact_binomial_limits_against_scipy(n, target, p):
    dist = stats.binom(n, target)
    r_p = _quantile_by_search(dist.cdf, p)
    alpha = (dist.cdf(r_p) - p) / dist.pmf(r_p)
    expected = min(max((r_p - alpha) / n, 0.0), 1.0)
    got = exact_limit(Indicator.PROPORTION, target, [n], p)[0]
    assert got == pytest.approx(expected, abs=1e-12)
    # the interpolated limit lies within the step at r_p
    assert (r_p - 1) / n - 1e-12 <= got <= r_p / n + 1e-12 or got == 0.0


@pytest.mark.parametrize("expected_count, target", [(2.5, 1.0), (30.5, 1.0), (412.0, 0.8), (40_000.0, 0.002)])
@pytest.mark.parametrize("p", [0.001, 0.025, 0.975, 0.999])
def test_exact_poisson_limits_against_scipy(expected_count, target, p):
    dist = stats.poisson(target * expected_count)
    r_p = _quantile_by_search(dist.cdf, p) if target * expected_count < 1000 else int(dist.ppf(p))
    assert dist.cdf(r_p) >= p > dist.cdf(r_p - 1)
    alpha = (dist.cdf(r_p) - p) / dist.pmf(r_p)
    expected = max((r_p - alpha) / expected_count, 0.0)
    indicator = Indicator.RATIO if target == 1.0 else Indicator.RATE
    assert exact_limit(indicator, target, [expected_count], p)[0] == pytest.approx(expected, rel=1e-10)


def test_exact_limits_approach_normal_for_large_denominators():
    n = np.array([1_000_000])
    lower, upper = funnel_limits(Indicator.PROPORTION, Scale.IDENTITY, 0.2, n, 0.95, LimitMethod.EXACT)
    half_width = Z95 * math.sqrt(0.2 * 0.8 / 1_000_000)
    assert lower[0] == pytest.approx(0.2 - half_width, abs=2e-6)
    assert upper[0] == pytest.approx(0.2 + half_width, abs=2e-6)


@pytest.mark.parametrize("indicator, scale, target", [
    (Indicator.PROPORTION, Scale.IDENTITY, 0.13),
    (Indicator.PROPORTION, Scale.ARCSINE, 0.13),
    (Indicator.RATIO, Scale.SQRT, 1.0),
    (Indicator.RATIO, Scale.LOG, 1.0),
    (Indicator.RATE, Scale.IDENTITY, 0.05),
])
def test_normal_limits_narrow_as_denominators_grow(indicator, scale, target):
    n = np.geomspace(20, 1e6, 60)
    for level in (0.95, 0.998):
        lower, upper = funnel_limits(indicator, scale, target, n, level, LimitMethod.NORMAL)
        assert np.all(np.diff(upper) <= 1e-12)
        assert np.all(np.diff(lower) >= -1e-12)
        assert np.all(lower <= target) and np.all(upper >= target)


def test_exact_limits_narrow_over_a_wide_range_of_denominators():
    # Exact limits wiggle with the discreteness, but the funnel narrows across decades.
    n = np.array([20, 200, 2_000, 20_000])
    lower, upper = funnel_limits(Indicator.PROPORTION, Scale.IDENTITY, 0.13, n, 0.998, LimitMethod.EXACT)
    assert np.all(np.diff(upper) < 0) and np.all(np.diff(lower) > 0)


def test_inflated_limits_use_the_given_standard_deviation():
    lower, upper = funnel_limits(
        Indicator.RATIO, Scale.SQRT, 1.0, [25.0], 0.95, LimitMethod.EXACT, standard_deviation=[0.2]
    )
    assert upper[0] == pytest.approx((1 + Z95 * 0.2) ** 2)
    assert lower[0] == pytest.approx((1 - Z95 * 0.2) ** 2)
