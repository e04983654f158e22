"""Demand-weighted statistics of travel minutes.

Quantiles are the lower weighted quantile: the smallest time ``t`` such that the
patients with time <= ``t`` make up at least the share ``q`` of all patients. Areas
without patients do not count (for ``max`` either). With no patients at all every
statistic is ``nan`` (``null`` in JSON).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

#: Shares within a threshold count times up to this much above it (float32 minutes).
WITHIN_TOLERANCE = 1e-4


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: Sequence[float]) -> list[float]:
    """Lower weighted quantiles of ``values`` (see module docstring)."""
    keep = weights > 0
    v, w = values[keep], weights[keep]
    if len(v) == 0:
        return [float("nan")] * len(qs)
    order = np.argsort(v, kind="stable")
    v, cw = v[order], np.cumsum(w[order])
    total = cw[-1]
    out = []
    for q in qs:
        idx = int(np.searchsorted(cw, q * total - 1e-9 * total, side="left"))
        out.append(float(v[min(idx, len(v) - 1)]))
    return out


def weighted_summary(
    values: np.ndarray, weights: np.ndarray, thresholds: Sequence[float]
) -> dict[str, object]:
    """``{"mean", "median", "p90", "max", "within": {"30": share, ...}}`` (the JSON S)."""
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    total = float(weights.sum())
    within_keys = [_label(t) for t in thresholds]
    if total <= 0:
        nan = float("nan")
        return {"mean": nan, "median": nan, "p90": nan, "max": nan, "within": {k: nan for k in within_keys}}
    keep = weights > 0
    median, p90 = weighted_quantiles(values, weights, (0.5, 0.9))
    return {
        "mean": float(np.dot(values[keep], weights[keep]) / total),
        "median": median,
        "p90": p90,
        "max": float(values[keep].max()),
        "within": {
            key: float(weights[values <= t + WITHIN_TOLERANCE].sum() / total)
            for key, t in zip(within_keys, thresholds)
        },
    }


def grouped_summary(
    values: np.ndarray,
    weights: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    thresholds: Sequence[float],
) -> list[dict[str, object]]:
    """:func:`weighted_summary` for each group code 0..n_groups-1 (one sort for all)."""
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    totals = np.bincount(groups, weights=weights, minlength=n_groups)
    sums = np.bincount(groups, weights=values * weights, minlength=n_groups)
    order = np.lexsort((values, groups))
    g_sorted, v_sorted, w_sorted = groups[order], values[order], weights[order]
    bounds = np.searchsorted(g_sorted, np.arange(n_groups + 1))
    results = []
    for g in range(n_groups):
        lo, hi = bounds[g], bounds[g + 1]
        v, w = v_sorted[lo:hi], w_sorted[lo:hi]
        total = totals[g]
        if total <= 0:
            results.append(weighted_summary(v, w, thresholds))
            continue
        keep = w > 0
        vk, cw = v[keep], np.cumsum(w[keep])
        q = [float(vk[min(int(np.searchsorted(cw, p * total - 1e-9 * total)), len(vk) - 1)]) for p in (0.5, 0.9)]
        results.append(
            {
                "mean": float(sums[g] / total),
                "median": q[0],
                "p90": q[1],
                "max": float(vk.max()),
                "within": {
                    _label(t): float(w[v <= t + WITHIN_TOLERANCE].sum() / total) for t in thresholds
                },
            }
        )
    return results


def _label(threshold: float) -> str:
    return str(int(threshold)) if float(threshold).is_integer() else str(threshold)
