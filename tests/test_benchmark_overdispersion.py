"""phi, tau squared and winsorisation by hand; an in-control population has ~5% / ~0.2% outside."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hubplan.monitoring.benchmark import benchmark
from hubplan.monitoring.benchmark.overdispersion import Overdispersion, estimate_dispersion, tau_squared, winsorise

Z95 = 1.959963984540054

# Ten providers, a proportion with a given target of 0.2, so s_i = 0.4 / sqrt(n_i).
TEN = pd.DataFrame({
    "provider": [f"P{i:02d}" for i in range(1, 11)],
    "numerator": [10, 4, 20, 26, 12, 50, 30, 80, 100, 40],
    "denominator": [25, 50, 100, 100, 100, 200, 200, 400, 400, 400],
})
# z = (r/n - 0.2) / (0.4 / sqrt(n)), worked out by hand:
#   10/25 = 0.40 -> 0.2 / 0.08 = 2.5          4/50 = 0.08 -> -0.12 / 0.0565685 = -3 / sqrt(2)
#   20/100 -> 0                              26/100 -> 0.06 / 0.04 = 1.5
#   12/100 -> -0.08 / 0.04 = -2              50/200 = 0.25 -> 0.05 / 0.0282843 = 1.25 sqrt(2)
#   30/200 = 0.15 -> -1.25 sqrt(2)           80/400 -> 0
#   100/400 = 0.25 -> 0.05 / 0.02 = 2.5      40/400 = 0.10 -> -0.1 / 0.02 = -5
HAND_Z = [2.5, -3 / math.sqrt(2), 0.0, 1.5, -2.0, 1.25 * math.sqrt(2), -1.25 * math.sqrt(2), 0.0, 2.5, -5.0]


def test_hand_z_scores_of_the_ten_providers():
    result = benchmark(TEN, indicator="proportion", target=0.2, overdispersion="none")
    assert result.providers["z"].tolist() == pytest.approx(HAND_Z)


def test_winsorising_ten_z_scores_replaces_one_at_each_end():
    # 10% of 10 = 1 at each end: -5 becomes the next lowest (-3/sqrt 2), the top 2.5 stays 2.5.
    expected = list(HAND_Z)
    expected[9] = -3 / math.sqrt(2)
    assert winsorise(HAND_Z, 0.1).tolist() == pytest.approx(expected)
    assert winsorise(HAND_Z, 0.0).tolist() == pytest.approx(HAND_Z)


def test_phi_and_tau2_of_the_ten_providers_by_hand():
    # Winsorised squares: 6.25 + 4.5 + 0 + 2.25 + 4 + 3.125 + 3.125 + 0 + 6.25 + 4.5 = 34
    phi = 34 / 10
    # weights w = 1 / s^2 = n / 0.16
    w = [n / 0.16 for n in (25, 50, 100, 100, 100, 200, 200, 400, 400, 400)]
    sum_w = sum(w)  # 12343.75
    sum_w2 = sum(x * x for x in w)  # 23168945.3125
    tau2 = (10 * phi - 9) / (sum_w - sum_w2 / sum_w)
    assert sum_w == 12343.75 and sum_w2 == 23168945.3125
    assert tau2 == pytest.approx(0.0023885, rel=1e-4)

    result = benchmark(TEN, indicator="proportion", target=0.2, overdispersion="additive")
    assert result.dispersion.phi == pytest.approx(phi)
    assert result.dispersion.tau2 == pytest.approx(tau2)
    assert result.dispersion.applied
    # additive limits at n = 100: 0.2 +/- 1.96 sqrt(0.0016 + tau2)
    row = result.providers.set_index("provider").loc["P03"]
    assert row["upper_95"] == pytest.approx(0.2 + Z95 * math.sqrt(0.0016 + tau2))
    assert row["lower_95"] == pytest.approx(0.2 - Z95 * math.sqrt(0.0016 + tau2))

    multiplicative = benchmark(TEN, indicator="proportion", target=0.2, overdispersion="multiplicative")
    row = multiplicative.providers.set_index("provider").loc["P03"]
    assert row["upper_95"] == pytest.approx(0.2 + Z95 * math.sqrt(phi) * 0.04)


def test_flags_of_the_ten_providers_under_each_adjustment():
    # P10 (40/400, z = -5) is an alarm unadjusted; with sqrt(phi) its z is -5 / sqrt(3.4) = -2.71
    # (alert); with tau2 its z is -0.1 / sqrt(0.0004 + 0.0023885) = -1.89 (in control).
    flags = {}
    for method in ("none", "multiplicative", "additive"):
        result = benchmark(TEN, indicator="proportion", target=0.2, overdispersion=method)
        flags[method] = result.providers.set_index("provider").loc["P10", "flag"]
        assert result.providers.set_index("provider").loc["P10", "flag_unadjusted"] == "alarm_low"
    assert flags == {"none": "alarm_low", "multiplicative": "alert_low", "additive": "in_control"}


def test_chi_squared_test_of_phi():
    # I * phi = 34 on 9 df: p = 8.8e-5, significant, so the adjustment stays.
    from scipy import stats

    result = benchmark(TEN, indicator="proportion", target=0.2, test_overdispersion=True)
    assert result.dispersion.p_value == pytest.approx(stats.chi2.sf(34, 9))
    assert result.dispersion.applied


def test_no_adjustment_when_phi_is_at_most_1():
    z = [0.5, -0.5, 1.0, -1.0, 0.2]
    s = [0.1, 0.2, 0.1, 0.05, 0.3]
    d = estimate_dispersion(z, s, Overdispersion.MULTIPLICATIVE, winsorise_fraction=0.0)
    assert d.phi == pytest.approx((0.25 + 0.25 + 1 + 1 + 0.04) / 5)
    assert not d.applied and "phi" in d.reason
    d = estimate_dispersion(z, s, Overdispersion.ADDITIVE, winsorise_fraction=0.0)
    assert d.tau2 == 0.0 and not d.applied
    assert d.standard_deviation(s) is None


def test_insignificant_overdispersion_is_not_adjusted_when_tested():
    z = [1.2, -1.1, 0.9, -1.3, 1.0, -0.8]
    s = [0.1] * 6
    d = estimate_dispersion(z, s, Overdispersion.MULTIPLICATIVE, winsorise_fraction=0.0, test=True)
    assert d.phi > 1 and d.p_value > 0.05 and not d.applied
    d = estimate_dispersion(z, s, Overdispersion.MULTIPLICATIVE, winsorise_fraction=0.0, test=False)
    assert d.applied


def test_tau2_is_zero_for_equal_precision_and_phi_below_threshold():
    # Equal weights w: denominator (I - 1) w; tau2 = (I phi - (I - 1)) / ((I - 1) w)
    assert tau_squared(2.0, [0.1] * 5) == pytest.approx((10 - 4) / (4 * 100))
    assert tau_squared(0.7, [0.1] * 5) == 0.0


def _in_control_population(rng: np.random.Generator, providers: int) -> pd.DataFrame:
    n = rng.integers(50, 3000, size=providers)
    return pd.DataFrame({
        "provider": [f"P{i}" for i in range(providers)],
        "numerator": rng.binomial(n, 0.15),
        "denominator": n,
    })


@pytest.mark.parametrize("limits", ["exact", "normal"])
def test_in_control_proportions_have_5_and_0_2_percent_outside(limits):
    frame = _in_control_population(np.random.default_rng(20240501), 20_000)
    result = benchmark(frame, indicator="proportion", target=0.15, overdispersion="none", limits=limits)
    counts = result.counts["unadjusted"]
    assert counts["outside_95"] / 20_000 == pytest.approx(0.05, abs=0.005)
    assert counts["outside_998"] / 20_000 == pytest.approx(0.002, abs=0.0009)
    # roughly symmetric
    assert abs(counts["alert_low"] + counts["alarm_low"] - counts["alert_high"] - counts["alarm_high"]) < 120


def test_in_control_ratios_have_5_and_0_2_percent_outside():
    rng = np.random.default_rng(7)
    expected = rng.uniform(5, 300, size=20_000)
    frame = pd.DataFrame({
        "provider": [f"T{i}" for i in range(20_000)],
        "observed": rng.poisson(expected),
        "expected": expected,
    })
    result = benchmark(frame, indicator="ratio", overdispersion="none")
    counts = result.counts["unadjusted"]
    assert counts["outside_95"] / 20_000 == pytest.approx(0.05, abs=0.006)
    assert counts["outside_998"] / 20_000 == pytest.approx(0.002, abs=0.0009)


def test_in_control_phi_matches_theory_and_nothing_is_widened():
    frame = _in_control_population(np.random.default_rng(99), 20_000)
    plain = benchmark(frame, indicator="proportion", target=0.15, overdispersion="none", winsorise=0.0,
                      limits="normal")
    assert plain.dispersion.phi == pytest.approx(1.0, abs=0.03)
    # 10% winsorising of standard normal z-scores: E[z_w^2] = 0.8 - 2 c pdf(c) + 0.2 c^2, c = 1.2816
    c = 1.2815515655446004
    pdf = math.exp(-c * c / 2) / math.sqrt(2 * math.pi)
    additive = benchmark(frame, indicator="proportion", target=0.15, overdispersion="additive",
                         limits="normal")
    assert additive.dispersion.phi == pytest.approx(0.8 - 2 * c * pdf + 0.2 * c * c, abs=0.03)
    assert additive.dispersion.tau2 == 0.0 and not additive.dispersion.applied


def test_overdispersed_population_is_widened_and_tau2_recovered():
    # Provider log-odds vary with sd 0.25 around logit(0.15): true between-provider variance of
    # the proportion is about (0.15 * 0.85 * 0.25)^2 = 0.0010.
    rng = np.random.default_rng(11)
    n = rng.integers(200, 4000, size=3000)
    logit = math.log(0.15 / 0.85) + rng.normal(0, 0.25, size=3000)
    p = 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame({"provider": [f"H{i}" for i in range(3000)], "numerator": rng.binomial(n, p),
                          "denominator": n})
    result = benchmark(frame, indicator="proportion", overdispersion="additive", winsorise=0.0)
    assert result.dispersion.phi > 2
    assert result.dispersion.tau2 == pytest.approx((0.15 * 0.85 * 0.25) ** 2, rel=0.15)
    adjusted, unadjusted = result.counts["adjusted"], result.counts["unadjusted"]
    assert unadjusted["outside_95"] > 3 * adjusted["outside_95"]
    assert adjusted["outside_95"] / 3000 == pytest.approx(0.05, abs=0.015)
