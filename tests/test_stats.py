"""The weighted quantiles: the bucketed search gives exactly the full sort's answer."""

from __future__ import annotations

import numpy as np
import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from hubplan.stats import SORT_ALL_BELOW, WITHIN_TOLERANCE, grouped_summary, weighted_quantiles


def by_brute_force(v: np.ndarray, w: np.ndarray, q: float) -> float:
    """The smallest value t with the weight of values <= t at least q of the total."""
    keep = w > 0
    v, w = v[keep], w[keep]
    total = w.sum()
    for t in np.unique(v):
        if w[v <= t].sum() >= q * total - 1e-9 * total:
            return float(t)
    return float(v.max())


@pytest.mark.parametrize("seed", range(40))
def test_bucketed_quantiles_are_the_full_sorts(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = SORT_ALL_BELOW + int(rng.integers(0, 3000))
    kind = seed % 4
    if kind == 0:
        v = rng.uniform(0, 300, n)
    elif kind == 1:
        v = np.round(rng.uniform(0, 300, n), 1)  # ties, as real minutes have
    elif kind == 2:
        v = rng.integers(0, 5, n).astype(float)  # a few values only
    else:
        v = np.concatenate([rng.uniform(0, 1, n - 3), [1e6, 2e6, 3e6]])  # outliers stretch the buckets
    w = rng.integers(0, 5, n).astype(float) if seed % 2 else rng.uniform(0, 3, n)
    w[rng.random(n) < 0.1] = 0
    qs = (0.0, 0.5, 0.9, 0.999, 1.0)
    assert weighted_quantiles(v, w, qs) == [by_brute_force(v, w, q) for q in qs]


def test_small_inputs_and_edge_cases() -> None:
    assert weighted_quantiles(np.array([3.0, 1.0, 2.0]), np.array([1.0, 1.0, 1.0]), (0.5,)) == [2.0]
    assert np.isnan(weighted_quantiles(np.array([1.0]), np.array([0.0]), (0.5,))[0])
    same = np.full(5000, 7.5)
    assert weighted_quantiles(same, np.ones(5000), (0.5, 0.9)) == [7.5, 7.5]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_grouped_summary_is_the_summary_of_each_group(data) -> None:
    """Every group's figures worked out by brute force on that group's areas alone: ties, areas
    without patients, groups with no areas and groups whose areas have no patients included."""
    n = data.draw(st.integers(1, 60))
    n_groups = data.draw(st.integers(1, 8))
    values = np.array(data.draw(st.lists(st.sampled_from([0.0, 5.0, 12.5, 30.0, 30.00005, 61.0, 90.0, 200.0]),
                                         min_size=n, max_size=n)))
    weights = np.array(data.draw(st.lists(st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.0, 7.25]), min_size=n, max_size=n)))
    groups = np.array(data.draw(st.lists(st.integers(0, n_groups - 1), min_size=n, max_size=n)), dtype=np.int64)
    thresholds = (30, 60, 90.5)
    got = grouped_summary(values, weights, groups, n_groups, thresholds)
    assert len(got) == n_groups
    for g in range(n_groups):
        v, w = values[groups == g], weights[groups == g]
        total = w.sum()
        if total == 0:
            assert all(np.isnan(got[g][k]) for k in ("mean", "median", "p90", "max"))
            assert all(np.isnan(x) for x in got[g]["within"].values())
            continue
        assert got[g]["mean"] == pytest.approx(float((v * w).sum() / total), rel=1e-12)
        assert got[g]["median"] == by_brute_force(v, w, 0.5)
        assert got[g]["p90"] == by_brute_force(v, w, 0.9)
        assert got[g]["max"] == float(v[w > 0].max())
        assert got[g]["within"] == pytest.approx(
            {"30": w[v <= 30 + WITHIN_TOLERANCE].sum() / total, "60": w[v <= 60 + WITHIN_TOLERANCE].sum() / total,
             "90.5": w[v <= 90.5 + WITHIN_TOLERANCE].sum() / total}, rel=1e-12)
