"""The Python example in docs/benchmarking.md runs, and what it prints (and what the page
says it prints) agrees with the paper's formulas worked directly from the CSV here.

The reference below is written from Spiegelhalter (2005) and the page's "Overdispersion"
section, with scipy's binomial and normal distributions; it shares no code with
``hubplan.monitoring.benchmark``.
"""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "examples" / "benchmark" / "ssnap_thrombolysis_2016_2021.csv"


def _exact_limit(n: int, theta0: float, p: float) -> float:
    """Appendix A.1: r_p the smallest r with P(R <= r) >= p, interpolated by alpha, over n."""
    cdf = stats.binom.cdf(np.arange(n + 1), n, theta0)
    r_p = int(np.argmax(cdf >= p))
    below = cdf[r_p - 1] if r_p > 0 else 0.0
    alpha = (cdf[r_p] - p) / (cdf[r_p] - below)
    return max(0.0, (r_p - alpha) / n)


def _reference() -> dict[str, float]:
    with CSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    r = np.array([float(row["numerator"]) for row in rows])
    n = np.array([float(row["denominator"]) for row in rows])
    count = len(rows)
    theta0 = r.sum() / n.sum()
    y = r / n
    s = np.sqrt(theta0 * (1 - theta0) / n)
    z = (y - theta0) / s
    k = math.floor(0.1 * count)
    ordered = sorted(z)
    z_w = [min(max(v, ordered[k]), ordered[count - 1 - k]) for v in z]
    phi = sum(v * v for v in z_w) / count
    w = 1 / s**2
    tau2 = max(0.0, (count * phi - (count - 1)) / (w.sum() - (w**2).sum() / w.sum()))

    lower = np.array([_exact_limit(int(m), theta0, 0.025) for m in n])
    upper = np.array([_exact_limit(int(m), theta0, 0.975) for m in n])
    unadjusted = int(((y < lower) | (y > upper)).sum())  # on a limit is in control
    half_width = stats.norm.ppf(0.975) * np.sqrt(s**2 + tau2)
    adjusted = int((np.abs(y - theta0) > half_width).sum())

    pooled: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in rows:
        pooled[row["isdn"]][0] += float(row["numerator"])
        pooled[row["isdn"]][1] += float(row["denominator"])
    values = [num / den for num, den in pooled.values()]
    return {"phi": phi, "tau2": tau2, "adjusted": adjusted, "unadjusted": unadjusted,
            "ratio": max(values) / min(values)}


def test_python_example_in_docs_runs_and_matches_the_formulas(monkeypatch, capsys):
    text = (ROOT / "docs" / "benchmarking.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    monkeypatch.chdir(ROOT)
    for block in blocks:
        exec(compile(block, "docs/benchmarking.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    ref = _reference()
    first, second = f"{round(ref['phi'], 1)} {ref['tau2']:.2e}", f"{ref['adjusted']} {ref['unadjusted']}"
    assert printed[0] == first
    assert printed[1] == second
    assert math.isclose(float(printed[-1]), ref["ratio"], rel_tol=1e-9)
    # the page's comments say the same
    comments = re.findall(r"\)\s*# (.+)$", blocks[0], flags=re.M)
    assert comments[0] == first
    assert comments[1] == second
    assert comments[2].startswith(f"{ref['ratio']:.2f}:")
