"""The wording the benchmarks print for speed ratios and objective checks (benchmarks/_compare.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "_compare.py"
_spec = importlib.util.spec_from_file_location("bench_compare", _PATH)
assert _spec and _spec.loader
compare = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare)


def test_slower_is_worded_slower_not_a_fraction_faster():
    # hubplan 1.7 ms, peer 1.0 ms: the old benchmark printed 1.0 / 1.7 = "0.6x faster"
    assert compare.speed_ratio(1.7e-3, 1.0e-3, "stroke-maps") == "hubplan is 1.7x slower than stroke-maps"


def test_faster_is_the_peer_time_over_ours():
    assert compare.speed_ratio(2.0, 6.4, "spopt") == "hubplan is 3.2x faster than spopt"
    assert compare.speed_factor(0.5, 109.5) == "219x faster"  # 10x and above without decimals
    assert compare.speed_factor(30.0, 3.0) == "10x slower"


def test_near_equal_times_are_about_as_fast_either_way():
    assert compare.speed_ratio(1.0, 1.04, "x") == "hubplan is about as fast as x"
    assert compare.speed_ratio(1.04, 1.0, "x") == "hubplan is about as fast as x"
    assert compare.speed_factor(1.0, 1.06) == "1.1x faster"


@pytest.mark.parametrize("ours, theirs", [(0.0, 1.0), (1.0, -1.0), (float("nan"), 1.0), (1.0, float("inf"))])
def test_timings_must_be_positive_and_finite(ours, theirs):
    with pytest.raises(ValueError, match="positive and finite"):
        compare.speed_factor(ours, theirs)


def test_objectives_agree_relative_to_the_larger_value():
    # 30.002 vs 30.000: difference 0.002, 0.002 / 30.002 = 6.7e-5 <= 1e-4
    same, text = compare.objectives_agree(30.0, 30.002, 1e-4)
    assert same and text.startswith("same objective (difference 0.002,")
    # 30.01 vs 30.00: 0.01 / 30.01 = 3.3e-4 > 1e-4
    same, text = compare.objectives_agree(30.0, 30.01, 1e-4)
    assert not same and text.startswith("DIFFERENT objective")
    assert compare.objectives_agree(0.0, 0.0, 1e-4)[0]


def test_errors_against_a_reference_are_worded_smaller_or_larger():
    # estimator median 1.97 min against a reference's 4.60: 4.60 / 1.97 = 2.34
    assert compare.factor_words(1.97, 4.60, "smaller", "larger") == "2.3x smaller"
    # a worse estimator: 6.0 against 4.0 is 1.5x larger, never "0.7x smaller"
    assert compare.factor_words(6.0, 4.0, "smaller", "larger") == "1.5x larger"
    assert compare.factor_words(4.1, 4.0, "smaller", "larger") == "about the same"
