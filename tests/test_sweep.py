"""The sweep gives each k its proven bound: checked by brute force over every k-subset.

A hand-made network (``hubplan.testing.make_network``) of 24 areas and 8 sites with
patients going to their nearest hub; the best mean for each k, and with a minimum
catchment which sets of hubs are feasible at all, are worked out here with numpy over
``itertools.combinations``, never with the optimiser's own functions. Then the
installed ``hubplan sweep --format json`` on a four-area CSV network.
"""

from __future__ import annotations

import doctest
import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import importlib
from hubplan import Service
from hubplan.optimise import SiteSelectionProblem, sweep
from hubplan.testing import make_network

HUBPLAN = Path(sys.executable).parent / "hubplan"

RNG = np.random.default_rng(2026)
N_AREAS, N_SITES = 24, 8
MINUTES = RNG.integers(5, 90, size=(N_AREAS, N_SITES)).astype(float)
DEMAND = RNG.integers(1, 30, size=N_AREAS).astype(float)
SITES = [f"S{j + 1}" for j in range(N_SITES)]


def brute_force(k: int, min_patients: float = 0.0) -> float:
    """Least demand-weighted mean minutes over every feasible k-subset (inf if none).

    Each area goes to its nearest hub, ties to the site first in order (``argmin`` over
    the chosen columns in increasing order picks the first); a set is feasible when every
    hub's catchment has at least ``min_patients`` patients.
    """
    best = math.inf
    for hubs in itertools.combinations(range(N_SITES), k):
        sub = MINUTES[:, hubs]
        nearest = sub.argmin(axis=1)
        catchment = np.bincount(nearest, weights=DEMAND, minlength=k)
        if (catchment < min_patients).any():
            continue
        best = min(best, float((sub.min(axis=1) * DEMAND).sum() / DEMAND.sum()))
    return best


def problem(**options: object) -> SiteSelectionProblem:
    network = make_network(MINUTES.tolist(), demand=DEMAND.tolist())
    return SiteSelectionProblem.from_network(network, Service(name="demo"), k=1, pathway="direct", **options)


def check_rows(table, min_patients: float = 0.0) -> None:
    for row in table.to_dict(orient="records"):
        best = brute_force(row["k"], min_patients)
        if not math.isfinite(best):
            assert row["status"] == "infeasible", row
            continue
        assert row["status"] in ("optimal", "time_limit"), row
        assert row["objective"] >= best - 1e-9, row
        if row["status"] == "optimal":
            assert row["objective"] == pytest.approx(best, rel=1e-9), row
            assert row["bound"] == pytest.approx(best, rel=1e-6), row
            assert row["gap"] == pytest.approx(0.0, abs=1e-6), row
        if math.isfinite(row["bound"]):
            assert row["bound"] <= best + 1e-6, row
            assert row["gap"] == pytest.approx((row["objective"] - row["bound"]) / row["objective"], abs=1e-9)
        else:
            assert row["status"] == "time_limit" and math.isnan(row["gap"]), row


def test_each_k_is_proven_optimal_by_default() -> None:
    table = sweep(problem(), range(1, N_SITES + 1))
    assert list(table["k"]) == list(range(1, N_SITES + 1))
    assert set(table["status"]) == {"optimal"}
    assert table["method"].str.startswith("exact").all()
    check_rows(table)
    means = [brute_force(k) for k in range(1, N_SITES + 1)]
    assert table["mean_minutes"].tolist() == pytest.approx(means, rel=1e-9)


def test_bound_below_the_optimum_whatever_the_time_left() -> None:
    # a budget too short for some k: rows may end at the time limit, but whatever each
    # row says must hold (the bound below the optimum, the set no better than it)
    for seconds in (1e-4, 0.05):
        check_rows(sweep(problem(), range(1, N_SITES + 1), time_limit=seconds))


def test_volume_limits_bound_and_infeasible_rows() -> None:
    # at least 60 patients per hub: 5 hubs could share the 377 patients so, but no 5
    # sites split them so with patients at their nearest hub; k = 4 is worse than k = 3
    assert DEMAND.sum() == 377
    assert math.isinf(brute_force(5, 60)) and brute_force(4, 60) > brute_force(3, 60)
    table = sweep(problem(min_patients_per_hub=60), range(1, N_SITES + 1))
    assert list(table["status"]) == ["optimal"] * 4 + ["infeasible"] * 4
    check_rows(table, min_patients=60)


def test_heuristic_only_has_no_bound() -> None:
    table = sweep(problem(), range(1, N_SITES + 1), method="heuristic")
    assert set(table["status"]) == {"feasible"}
    assert table["bound"].isna().all() and table["gap"].isna().all()
    for row in table.to_dict(orient="records"):
        assert row["objective"] >= brute_force(row["k"]) - 1e-9


def test_unknown_method_is_refused() -> None:
    from hubplan.errors import InputError

    with pytest.raises(InputError, match="unknown method 'fastest'"):
        sweep(problem(), [1], method="fastest")


def test_docstring_example_runs() -> None:
    result = doctest.testmod(importlib.import_module("hubplan.optimise.sweep"))
    assert result.attempted > 0 and result.failed == 0


# ----------------------------------------------------------------------------- installed CLI
# Four areas, four sites (as in tests/test_installed_cli.py): the best mean for each k
# worked out by hand: k=1 S3 30.0; k=2 S2+S4 22.8; k=3 S1+S2+S4 (10,15,35,12) 20.3;
# k=4 every site (10,15,20,12) 14.8.
CLI_MINUTES = [[10, 45, 50, 70], [30, 15, 45, 60], [55, 35, 20, 50], [80, 60, 25, 12]]
CLI_DEMAND = [10, 20, 30, 40]
CLI_BEST = {1: ("S3", 30.0), 2: ("S2;S4", 22.8), 3: ("S1;S3;S4", 17.8), 4: ("S1;S2;S3;S4", 14.8)}


@pytest.fixture(scope="module")
def csv_network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sweep") / "net"
    folder.mkdir()
    (folder / "areas.csv").write_text("area_code,area_name,stroke_admissions\n"
                                      + "".join(f"A{i + 1},Area {i + 1},{d}\n" for i, d in enumerate(CLI_DEMAND)))
    (folder / "sites.csv").write_text("site_code,site_name\n" + "".join(f"S{j},Site {j}\n" for j in range(1, 5)))
    (folder / "travel_times.csv").write_text(
        "area_code,S1,S2,S3,S4\n" + "".join(f"A{i + 1},{','.join(map(str, r))}\n" for i, r in enumerate(CLI_MINUTES)))
    return folder


def run_sweep(*args: str) -> list[dict]:
    res = subprocess.run([str(HUBPLAN), "sweep", *args, "--format", "json"], capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)["sweep"]


def test_installed_sweep_gives_each_k_its_bound(csv_network: Path) -> None:
    for k, (_, mean) in CLI_BEST.items():  # the hand-worked figures, checked by brute force
        assert min(sum(min(CLI_MINUTES[a][j] for j in c) * CLI_DEMAND[a] for a in range(4)) / 100
                   for c in itertools.combinations(range(4), k)) == pytest.approx(mean)
    rows = run_sweep("--data", str(csv_network), "--k", "1..4", "--pathway", "direct")
    assert [row["k"] for row in rows] == [1, 2, 3, 4]
    for row in rows:
        sites, mean = CLI_BEST[row["k"]]
        assert row["status"] == "optimal", row
        assert row["sites"] == sites
        assert row["objective"] == pytest.approx(mean) and row["bound"] == pytest.approx(mean)
        assert row["gap"] == pytest.approx(0.0, abs=1e-9)


def test_installed_sweep_heuristic_prints_null_bounds(csv_network: Path) -> None:
    rows = run_sweep("--data", str(csv_network), "--k", "1..4", "--pathway", "direct", "--method", "heuristic")
    for row in rows:
        assert row["status"] == "feasible"
        assert row["bound"] is None and row["gap"] is None
        assert row["objective"] >= CLI_BEST[row["k"]][1] - 1e-9
