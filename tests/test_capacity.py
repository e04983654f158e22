"""Beds, procedures and sessions (hubplan.capacity), checked against values worked
out independently: published Erlang B table values, the exact Erlang formula in
rational arithmetic, a different recurrence, scipy's Poisson distribution, and
occupancy arithmetic by hand."""

from __future__ import annotations

import doctest
import importlib
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import hubplan.capacity as capacity
from hubplan.capacity import (
    bed_need,
    bed_table,
    beds_at_occupancy,
    beds_for_refusal,
    erlang_b,
    offered_load,
    procedures_per_year,
    require_parameter,
    sessions_per_week,
)
from hubplan.errors import InputError
from hubplan.services import Service


# ---------------------------------------------------------------- independent oracles
def erlang_b_exact(c: int, a: Fraction) -> Fraction:
    """Erlang's formula (a^c / c!) / sum_{k<=c} a^k / k!, in exact rational arithmetic."""
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


def erlang_b_inverse_recurrence(c: int, a: float) -> float:
    """The other classical recurrence: 1/B(k) = 1 + (k / a) / B(k-1)."""
    inv = 1.0
    for k in range(1, c + 1):
        inv = 1.0 + inv * k / a
    return 1.0 / inv


def erlang_b_poisson(c: int, a: float) -> float:
    """B(c, a) = P(N = c) / P(N <= c) for N ~ Poisson(a) (a truncated Poisson)."""
    return float(stats.poisson.pmf(c, a) / stats.poisson.cdf(c, a))


# ---------------------------------------------------------------- Erlang B
@pytest.mark.parametrize(
    ("offered", "beds", "published"),
    [
        (10.0, 15, 0.0365),  # classic Erlang B tables
        (2.0, 5, 0.0367),
        (1.0, 1, 0.5000),  # a / (1 + a)
        (5.0, 10, 0.0184),
    ],
)
def test_erlang_b_matches_published_table_values(offered, beds, published):
    assert erlang_b(beds, offered) == pytest.approx(published, abs=5e-5)
    exact = erlang_b_exact(beds, Fraction(offered))
    assert erlang_b(beds, offered) == pytest.approx(float(exact), rel=1e-12)


@pytest.mark.parametrize("c", [0, 1, 2, 7, 20, 60])
@pytest.mark.parametrize("a", ["0.5", "3", "12.25", "40"])
def test_erlang_b_equals_exact_rational_formula(c, a):
    assert erlang_b(c, float(a)) == pytest.approx(float(erlang_b_exact(c, Fraction(a))), rel=1e-12)


@pytest.mark.parametrize(("c", "a"), [(200, 180.0), (1000, 950.0), (3000, 2900.0), (2500, 3000.0)])
def test_erlang_b_stable_for_thousands_of_beds(c, a):
    b = erlang_b(c, a)
    assert 0.0 < b < 1.0
    assert b == pytest.approx(erlang_b_inverse_recurrence(c, a), rel=1e-10)
    assert b == pytest.approx(erlang_b_poisson(c, a), rel=1e-8)


def test_erlang_b_vectorised_matches_scalar():
    beds = np.array([0, 1, 5, 15, 30])
    loads = np.array([3.0, 3.0, 2.0, 10.0, 25.0])
    got = erlang_b(beds, loads)
    assert isinstance(got, np.ndarray)
    assert got.tolist() == pytest.approx([erlang_b(int(c), float(a)) for c, a in zip(beds, loads)])
    # broadcasting one load over many bed counts
    assert erlang_b(np.arange(4), 1.0).tolist() == pytest.approx([1.0, 1 / 2, 1 / 5, 1 / 16])


def test_erlang_b_edge_cases_and_bad_input():
    assert erlang_b(0, 4.0) == 1.0  # no beds: everyone refused
    assert erlang_b(3, 0.0) == 0.0  # no arrivals: no one refused
    with pytest.raises(InputError):
        erlang_b(2.5, 1.0)
    with pytest.raises(InputError):
        erlang_b(3, -1.0)


# ---------------------------------------------------------------- occupancy arithmetic
def test_offered_load_by_hand():
    # 1,500 admissions x 3 days / 365 = 4,500 / 365 = 12.3288 beds on average
    assert offered_load(1500, 3.0) == pytest.approx(4500 / 365)
    assert offered_load(3000, 3.0) == pytest.approx(9000 / 365)
    # a peaking factor multiplies the arrival rate: 365 x 1.2 x 2 / 365 = 2.4
    assert offered_load(365, 2.0, peaking_factor=1.2) == pytest.approx(2.4)
    assert offered_load(np.array([365.0, 730.0]), 1.0).tolist() == pytest.approx([1.0, 2.0])
    with pytest.raises(InputError):
        offered_load(100, 3.0, peaking_factor=0.9)
    with pytest.raises(InputError):
        offered_load(100, 0.0)


def test_beds_at_target_occupancy_by_hand():
    # 12.3288 / 0.85 = 14.504 -> 15 beds (14 beds would run at 88.1%)
    assert beds_at_occupancy(4500 / 365, 0.85) == 15
    assert (4500 / 365) / 14 > 0.85 >= (4500 / 365) / 15
    # 24.6575 / 0.85 = 29.009 -> 30 beds
    assert beds_at_occupancy(9000 / 365, 0.85) == 30
    # exact boundary: 2.55 / 0.85 is 3 (floating point gives 3.0000000000000004)
    assert beds_at_occupancy(2.55, 0.85) == 3
    assert beds_at_occupancy(0.0, 0.85) == 0
    assert beds_at_occupancy(0.01, 0.85) == 1
    assert beds_at_occupancy(np.array([2.55, 4.0]), 0.5).tolist() == [6, 8]
    with pytest.raises(InputError, match="occupancy_target"):
        beds_at_occupancy(3.0, 1.5)


def test_beds_for_refusal_is_the_smallest_meeting_the_target():
    # B(14, 10) = 0.0568 > 0.05 >= B(15, 10) = 0.0365
    assert beds_for_refusal(10.0, 0.05) == 15
    for load, p in [(4500 / 365, 0.01), (9000 / 365, 0.01), (2.0, 0.001), (150.0, 0.02)]:
        c = beds_for_refusal(load, p)
        assert erlang_b_poisson(c, load) <= p < erlang_b_poisson(c - 1, load)
    assert beds_for_refusal(0.0, 0.01) == 0
    loads = np.array([0.0, 10.0, 4500 / 365])
    assert beds_for_refusal(loads, 0.05).tolist() == [0, 15, beds_for_refusal(4500 / 365, 0.05)]


def test_beds_for_refusal_large_pool():
    c = beds_for_refusal(2000.0, 0.01)
    assert erlang_b_inverse_recurrence(c, 2000.0) <= 0.01 < erlang_b_inverse_recurrence(c - 1, 2000.0)
    # economies of scale: a large pool runs far hotter than a small one at the same refusal
    small = beds_for_refusal(2.0, 0.01)
    assert 2000.0 / c > 0.95 > 0.5 > 2.0 / small


def test_bed_need_worked_example():
    need = bed_need(1500, 3.0, occupancy_target=0.85, refusal_target=0.01)
    assert need.mean_occupied_beds == pytest.approx(4500 / 365)
    assert need.peak_offered_load == pytest.approx(4500 / 365)
    assert need.beds_at_target_occupancy == 15
    assert need.beds_for_refusal == 21
    load = Fraction(4500, 365)
    assert need.refusal_probability == pytest.approx(float(erlang_b_exact(21, load)), rel=1e-12)
    assert need.refusal_probability <= 0.01 < float(erlang_b_exact(20, load))
    assert need.refusal_probability_at_target_occupancy == pytest.approx(
        float(erlang_b_exact(15, load)), rel=1e-12
    )
    carried = float(load) * (1 - need.refusal_probability)
    assert need.occupancy_at_refusal_beds == pytest.approx(carried / 21)


def test_peaking_factor_sizes_for_the_peak_but_keeps_the_mean():
    base = bed_need(1500, 3.0)
    peak = bed_need(1500, 3.0, peaking_factor=1.2)
    assert peak.mean_occupied_beds == pytest.approx(base.mean_occupied_beds)
    assert peak.peak_offered_load == pytest.approx(1.2 * 4500 / 365)
    # 14.795 / 0.85 = 17.4 -> 18
    assert peak.beds_at_target_occupancy == 18
    assert peak.beds_for_refusal >= base.beds_for_refusal


def test_bed_table_rows_match_bed_need():
    table = bed_table(pd.Series({"AB1 2CD": 1500.0, "EF3 4GH": 3000.0, "ZERO": 0.0}), 3.0)
    assert list(table.columns) == list(capacity.BED_TABLE_COLUMNS)
    assert table["site_code"].tolist() == ["AB1 2CD", "EF3 4GH", "ZERO"]
    assert table["beds_at_target_occupancy"].tolist() == [15, 30, 0]
    for row in table.itertuples():
        if row.patients_per_year == 0:
            assert row.beds_for_refusal == 0
            continue
        need = bed_need(row.patients_per_year, 3.0)
        assert row.beds_for_refusal == need.beds_for_refusal
        assert row.refusal_probability == pytest.approx(need.refusal_probability)
        assert row.mean_occupied_beds == pytest.approx(need.mean_occupied_beds)


def test_missing_length_of_stay_names_the_parameter_and_flag():
    service = Service.preset("vascular_arterial")
    assert service.length_of_stay_days is None
    with pytest.raises(InputError, match=r"length_of_stay_days.*--los"):
        bed_need(100.0, service.length_of_stay_days)
    with pytest.raises(InputError, match="--los"):
        bed_table({"A": 100.0}, None)
    with pytest.raises(InputError, match=r"service 'vascular_arterial'.*--los"):
        require_parameter(None, "length_of_stay_days", "vascular_arterial")


def test_thrombectomy_preset_feeds_the_bed_model():
    service = Service.preset("thrombectomy")
    need = bed_need(1500, service.length_of_stay_days, occupancy_target=service.occupancy_target)
    assert need.length_of_stay_days == 3.0
    assert need.beds_at_target_occupancy == 15


# ---------------------------------------------------------------- property tests
loads = st.floats(min_value=0.0, max_value=400.0, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(lower=loads, extra=loads, p=st.sampled_from([0.001, 0.01, 0.05, 0.2]))
def test_beds_never_fall_as_demand_rises(lower, extra, p):
    higher = lower + extra
    assert beds_for_refusal(higher, p) >= beds_for_refusal(lower, p)
    assert beds_at_occupancy(higher, 0.85) >= beds_at_occupancy(lower, 0.85)


@settings(max_examples=60, deadline=None)
@given(patients=st.floats(min_value=0.0, max_value=20000.0), extra=st.floats(0.0, 5000.0))
def test_bed_need_never_falls_as_admissions_rise(patients, extra):
    low, high = bed_need(patients, 3.0), bed_need(patients + extra, 3.0)
    assert high.beds_at_target_occupancy >= low.beds_at_target_occupancy
    assert high.beds_for_refusal >= low.beds_for_refusal


@settings(max_examples=60, deadline=None)
@given(c=st.integers(min_value=0, max_value=300), a=st.floats(min_value=0.01, max_value=300.0))
def test_erlang_b_agrees_with_inverse_recurrence(c, a):
    assert erlang_b(c, a) == pytest.approx(erlang_b_inverse_recurrence(c, a), rel=1e-9, abs=1e-300)


# ---------------------------------------------------------------- procedures, sessions
def test_procedures_and_sessions_by_hand():
    assert procedures_per_year(150.0) == 150.0
    assert procedures_per_year(200.0, 0.5) == 100.0
    assert procedures_per_year(np.array([10.0, 20.0]), 0.1).tolist() == pytest.approx([1.0, 2.0])
    # 520 procedures / (2 per session x 52 weeks) = 5 sessions a week
    assert sessions_per_week(520.0, 2.0) == pytest.approx(5.0)
    # 150 / (1 x 50) = 3
    assert sessions_per_week(150.0, 1.0, weeks_per_year=50.0) == pytest.approx(3.0)
    with pytest.raises(InputError, match="--procedures-per-session"):
        sessions_per_week(150.0, None)
    with pytest.raises(InputError):
        procedures_per_year(100.0, 1.5)


@pytest.mark.parametrize("module", ["beds", "parameters", "table"])
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(f"hubplan.capacity.{module}"), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_docs_examples_run():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[1] / "docs" / "capacity.md"
    result = doctest.testfile(str(doc), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 8
    assert result.failed == 0
