"""The weighted quantiles: the bucketed search gives exactly the full sort's answer."""

from __future__ import annotations

import numpy as np
import pytest

from hubplan.stats import SORT_ALL_BELOW, weighted_quantiles


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
