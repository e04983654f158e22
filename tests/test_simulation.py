"""The discrete-event simulation (hubplan.capacity.simulation) agrees with Erlang's loss formula,
for exponential and lognormal stays (insensitivity). Fixed seeds; a few seconds."""

from __future__ import annotations

import numpy as np
import pytest

from hubplan.capacity import bed_table, erlang_b
from hubplan.errors import InputError
from hubplan.capacity.simulation import simulate_beds, simulate_sites

# a = 3,650 admissions x 1 day / 365 = 10 Erlangs on 15 beds: B = 0.0365 (tables)
TEN_ERLANGS = dict(patients_per_year=3650.0, length_of_stay_days=1.0, beds=15)


def assert_within_ci(result):
    lo, hi = result.mean_occupied_beds_ci
    assert lo <= result.analytic_mean_occupied_beds <= hi
    rlo, rhi = result.refusal_probability_ci
    assert rlo <= result.analytic_refusal_probability <= rhi
    assert result.agrees()


@pytest.mark.parametrize(
    ("distribution", "cv"), [("exponential", 1.0), ("lognormal", 0.9), ("lognormal", 2.0)]
)
def test_simulation_matches_erlang_b(distribution, cv):
    result = simulate_beds(
        **TEN_ERLANGS,
        stay_distribution=distribution,
        stay_cv=cv,
        replications=8,
        run_days=500.0,
        seed=20240,
    )
    assert result.analytic_refusal_probability == pytest.approx(0.0365, abs=5e-5)
    # carried load a (1 - B) = 10 x (1 - 0.0365) = 9.635 beds
    assert result.analytic_mean_occupied_beds == pytest.approx(9.635, abs=1e-3)
    assert_within_ci(result)
    # the intervals are informative, not vacuous
    assert result.refusal_probability_ci[1] - result.refusal_probability_ci[0] < 0.015
    assert result.mean_occupied_beds_ci[1] - result.mean_occupied_beds_ci[0] < 0.6


def test_small_unit_two_erlangs_five_beds():
    # a = 730 x 1 / 365 = 2 Erlangs, 5 beds: B = 0.0367 (tables)
    result = simulate_beds(730.0, 1.0, 5, replications=10, run_days=1000.0, seed=7)
    assert result.analytic_refusal_probability == pytest.approx(0.0367, abs=5e-5)
    assert_within_ci(result)
    assert result.occupancy == pytest.approx(result.mean_occupied_beds / 5)


def test_same_seed_same_result_and_generator_accepted():
    a = simulate_beds(730.0, 2.0, 6, replications=3, run_days=200.0, seed=11)
    b = simulate_beds(730.0, 2.0, 6, replications=3, run_days=200.0, seed=11)
    c = simulate_beds(
        730.0, 2.0, 6, replications=3, run_days=200.0, rng=np.random.default_rng(11)
    )
    assert a.mean_occupied_beds == b.mean_occupied_beds == c.mean_occupied_beds
    assert a.refusal_probability == b.refusal_probability
    d = simulate_beds(730.0, 2.0, 6, replications=3, run_days=200.0, seed=12)
    assert d.mean_occupied_beds != a.mean_occupied_beds


def test_simulate_sites_from_a_bed_table():
    table = bed_table({"A": 730.0, "B": 0.0}, 1.0, refusal_target=0.05)
    result = simulate_sites(table, 1.0, seed=3, replications=6, run_days=400.0)
    assert result["site_code"].tolist() == ["A"]  # no patients, nothing to simulate
    row = result.iloc[0]
    assert row["beds"] == table.loc[0, "beds_for_refusal"]
    assert row["analytic_refusal_probability"] == pytest.approx(
        erlang_b(int(row["beds"]), 2.0)
    )
    assert bool(row["agrees"])


def test_bad_simulation_input():
    with pytest.raises(InputError, match="stay_distribution"):
        simulate_beds(100.0, 1.0, 2, stay_distribution="gamma")
    with pytest.raises(InputError):
        simulate_beds(100.0, 1.0, 0)
    with pytest.raises(InputError):
        simulate_beds(100.0, 1.0, 2, seed=1, rng=np.random.default_rng(1))
