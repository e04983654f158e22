"""Uncertainty: draws, the Monte Carlo appraisal and its back ends, on the scenario tests' network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from hubplan.errors import InputError
from hubplan.executor import Executor
from hubplan.planning.distributions import Uncertain, UncertaintySpec, draw_values
from hubplan.planning.scenario import load_scenario, run_scenario
from hubplan.planning.uncertainty import run_uncertainty

from test_scenario import make_network

HUBPLAN = str(Path(sys.executable).parent / "hubplan")

SCENARIO = """
schema_version = 1
[network]
data = "net"
[service]
preset = "thrombectomy"
[[options]]
name = "one hub"
hubs = ["H1"]
spokes = "rest"
[[options]]
name = "two hubs"
hubs = ["H1", "H2"]
pathway = "direct"
[[options]]
name = "best 1"
pathway = "direct"
optimise = { k = 1 }
[appraisal]
draws = 20
[uncertainty]
draws = 6
seed = 3
[uncertainty.parameters]
"""

PARAMETERS = """
service.transfer_delay_minutes = { distribution = "triangular", low = 45, mode = 60, high = 120 }
service.length_of_stay_days = { distribution = "lognormal", median = 3, sigma = 0.3 }
"demand.multiplier" = { distribution = "uniform", low = 1.0, high = 1.2 }
travel_times.multiplier = { distribution = "normal", mean = 1.0, sd = 0.1, low = 0.7, high = 1.3 }
"""


def scenario_file(tmp_path: Path, parameters: str = PARAMETERS, name: str = "s.toml") -> Path:
    if not (tmp_path / "net").exists():
        make_network(tmp_path / "net")
    path = tmp_path / name
    path.write_text(SCENARIO + parameters)
    return path


def test_the_same_seed_gives_the_same_numbers_on_every_back_end(tmp_path: Path) -> None:
    spec = load_scenario(scenario_file(tmp_path))
    assert spec.uncertainty is not None
    docs = []
    for executor in (Executor("in-process"), Executor("processes", 2), Executor("local", 2)):
        doc = run_uncertainty(spec, spec.uncertainty, executor=executor).to_json()
        doc.pop("executor")
        docs.append(json.dumps(doc, sort_keys=True))
    assert docs[0] == docs[1] == docs[2]
    again = run_uncertainty(spec, spec.uncertainty, seed=4).to_json()
    again.pop("executor")
    assert json.dumps(again, sort_keys=True) != docs[0]  # another seed, other draws


def test_fixed_values_reproduce_the_deterministic_appraisal(tmp_path: Path) -> None:
    fixed = ('service.transfer_delay_minutes = { distribution = "fixed", value = 60 }\n'
             '"demand.multiplier" = { distribution = "fixed", value = 1 }\n')
    spec = load_scenario(scenario_file(tmp_path, fixed))
    assert spec.uncertainty is not None
    result = run_uncertainty(spec, spec.uncertainty, draws=3)
    deterministic = run_scenario(spec)
    expected = deterministic.values.to_dict(orient="index")
    for r in result.results:
        for option, row in expected.items():
            for criterion, value in row.items():
                got = r["values"][option][criterion]
                assert (np.isnan(got) and np.isnan(value)) or got == value, (option, criterion)
        assert tuple(r["ranking"]) == deterministic.scores.ranking
    doc = result.to_json()
    assert [o["p_rank_first"] for o in doc["options"]] == [
        1.0 if name == deterministic.scores.ranking[0] else 0.0 for name in result.options]
    assert all(d["largest"] is None for d in doc["drivers"]) or doc["drivers"] == []


def test_a_known_distribution_gives_the_right_interval(tmp_path: Path) -> None:
    """One hub with the spoke: the transferred areas' minutes to hub rise one for one with the
    transfer delay, so the mean minutes to hub is a + b x delay in every draw (a, b from two
    deterministic runs), and its interval is that of a uniform delay."""
    text = 'service.transfer_delay_minutes = { distribution = "uniform", low = 40, high = 80 }\n'
    spec = load_scenario(scenario_file(tmp_path, text))
    assert spec.uncertainty is not None
    result = run_uncertainty(spec, spec.uncertainty, draws=150, seed=11)
    import dataclasses

    def mean_at(delay: float) -> float:
        svc = dataclasses.replace(spec.service, overrides={**spec.service.overrides, "transfer_delay_minutes": delay})
        a = run_scenario(dataclasses.replace(spec, service=svc))
        return float(a.values.loc["one hub", "time_to_hub_mean_minutes"])

    m40, m80 = mean_at(40.0), mean_at(80.0)
    b = (m80 - m40) / 40.0
    assert b > 0
    delays = np.array([v["service.transfer_delay_minutes"] for v in result.values])
    means = np.array([r["values"]["one hub"]["time_to_hub_mean_minutes"] for r in result.results])
    np.testing.assert_allclose(means, m40 + b * (delays - 40.0), rtol=1e-9)
    row = result.criterion_table().set_index(["option", "criterion"]).loc[("one hub", "time_to_hub_mean_minutes")]
    assert row["p5"] == pytest.approx(np.percentile(means, 5))
    # the delays are uniform on 40..80 (Kolmogorov-Smirnov, seed fixed), so the interval is near
    # a + b x (42, 78)
    assert stats.kstest(delays, stats.uniform(loc=40, scale=40).cdf).pvalue > 0.01
    assert row["p5"] == pytest.approx(m40 + b * 2.0, abs=b * 2.0)
    assert row["p95"] == pytest.approx(m40 + b * 38.0, abs=b * 2.0)


def test_one_driver_moves_its_parameters_together() -> None:
    spec = UncertaintySpec(draws=200, seed=1, parameters=(
        Uncertain("service.transfer_delay_minutes", "uniform", {"low": 45, "high": 120}, driver="staffing"),
        Uncertain("service.length_of_stay_days", "triangular", {"low": 2, "mode": 3, "high": 6}, driver="staffing"),
        Uncertain("service.hub_share", "beta", {"alpha": 20, "beta": 180}),
    ))
    values = draw_values(spec)
    a = [v["service.transfer_delay_minutes"] for v in values]
    b = [v["service.length_of_stay_days"] for v in values]
    c = [v["service.hub_share"] for v in values]
    assert stats.spearmanr(a, b).statistic == pytest.approx(1.0)
    assert abs(stats.spearmanr(a, c).statistic) < 0.3
    assert values == draw_values(spec)  # the seed decides


@pytest.mark.parametrize("line, message", [
    ('service.transfer_delay_minutes = { distribution = "normal", mean = 60, sd = -5, low = 0 }', "sd must be above 0"),
    ('service.transfer_delay_minutes = { distribution = "uniform", low = 90, high = 45 }', "low (90) must be below high (45)"),
    ('service.transfer_delay_minute = { distribution = "uniform", low = 45, high = 90 }',
     "the service has no numeric parameter 'transfer_delay_minute'"),
    ('service.transfer_delay_minutes = { distribution = "gamma", shape = 2 }', "distribution must be one of fixed, uniform"),
    ('service.transfer_delay_minutes = { distribution = "normal", mean = 60, sd = 20 }',
     "the normal distribution reaches -inf, but the parameter must be"),
    ('service.hub_share = { distribution = "uniform", low = 0.5, high = 1.5 }', "reaches 1.5"),
    ('service.outcome.door_to_needle = { distribution = "uniform", low = 20, high = 60 }',
     "the stroke outcome model has no figure 'door_to_needle'"),
    ('service.transfer_delay_minutes = { low = 45, high = 90 }',
     "'service.transfer_delay_minutes': give its distribution = one of fixed, uniform, triangular"),
    ('service.transfer_delay_minutes = { distribution = "uniform", low = 45, high = 90, sorce = "audit" }',
     "a uniform distribution has no setting 'sorce' (did you mean 'source'?): expected low, high, driver, source"),
])
def test_bad_distributions_name_the_file_and_key(tmp_path: Path, line: str, message: str) -> None:
    path = scenario_file(tmp_path, line + "\n", "bad.toml")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    text = str(info.value)
    assert text.startswith("bad.toml, [uncertainty.parameters]: '") and message in text


def test_outcome_figures_are_drawn_only_for_a_service_with_the_stroke_model(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, '"service.outcome.onset_to_call_minutes" = { distribution = "uniform", '
                                   'low = 50, high = 70 }\n', "vascular.toml")
    path.write_text(path.read_text().replace('preset = "thrombectomy"', 'preset = "vascular_arterial"\n'
                                                                        'demand = "stroke_admissions"'))
    res = subprocess.run([HUBPLAN, "uncertainty", str(path)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.strip() == ("error: vascular.toml, [uncertainty.parameters]: 'service.outcome.onset_to_call_"
                                  "minutes': service 'vascular_arterial' has no outcome model whose figures could be "
                                  "drawn (docs/outcomes.md)")


def test_outcome_figures_for_a_service_without_an_outcome_model_are_refused(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, "", "vascular.toml")
    text = path.read_text().split("[uncertainty]")[0].replace(
        'preset = "thrombectomy"', 'preset = "vascular_arterial"\ndemand = "stroke_admissions"\n'
                                   '[service.outcome]\ndoor_to_needle_minutes = 45')
    path.write_text(text)
    res = subprocess.run([HUBPLAN, "appraise", str(path)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.strip() == (
        "error: vascular.toml, [service]: service 'vascular_arterial' has no outcome model to change (given: "
        'door_to_needle_minutes): give a curve instead, outcome_curve = "FILE.csv" under [service] or '
        "--outcome-curve FILE.csv (docs/outcomes.md)")


def test_the_command_line(tmp_path: Path) -> None:
    path = scenario_file(tmp_path)
    out = subprocess.run([HUBPLAN, "uncertainty", str(path), "--draws", "4", "--format", "json", "--out",
                          str(tmp_path / "o")], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["draws"] == 4 and doc["seed"] == 3
    assert {o["name"] for o in doc["options"]} == {"one hub", "two hubs", "best 1"}
    first = [o["p_rank_first"] for o in doc["options"]]
    assert sum(first) == pytest.approx(1.0)
    crit = doc["options"][0]["criteria"]["time_to_hub_mean_minutes"]
    assert crit["p5"] <= crit["p50"] <= crit["p95"]
    assert set(doc["robust_sites"]) == {"best 1"}
    assert (tmp_path / "o" / "uncertainty_tornado.png").stat().st_size > 1000
    from workbook_check import assert_workbook_holds_the_csvs

    assert_workbook_holds_the_csvs(tmp_path / "o" / "uncertainty.xlsx", tmp_path / "o",
                                   ["uncertainty_criteria", "uncertainty_draws"])
    bad = subprocess.run([HUBPLAN, "uncertainty", str(path), "--scheduler", "yarn"], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "--scheduler 'yarn': expected in-process, processes, local" in bad.stderr


@pytest.mark.slow
def test_national_draws_are_the_same_in_process_and_on_a_cluster(tmp_path: Path) -> None:
    """On national data the sums are long enough for numpy to split them over threads; every
    back end runs tasks on one thread, so the numbers still agree to the last digit."""
    root = Path(__file__).resolve().parents[1]
    text = (root / "examples" / "national_thrombectomy.toml").read_text(encoding="utf-8")
    text = text[: text.index("\n[sweep]")] + """
[uncertainty]
draws = 2
seed = 5
[uncertainty.parameters]
service.transfer_delay_minutes = { distribution = "triangular", low = 45, mode = 60, high = 120 }
travel_times.multiplier = { distribution = "normal", mean = 1.0, sd = 0.05, low = 0.85, high = 1.15 }
"""
    path = tmp_path / "national.toml"
    path.write_text(text, encoding="utf-8")
    spec = load_scenario(path)
    assert spec.uncertainty is not None
    a = run_uncertainty(spec, spec.uncertainty, executor=Executor("in-process")).to_json()
    b = run_uncertainty(spec, spec.uncertainty, executor=Executor("local", 2)).to_json()
    for doc in (a, b):
        doc.pop("executor")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_the_lead_and_its_drivers_by_hand(tmp_path: Path) -> None:
    """One criterion, two options: the lead of the deterministic first is the other's mean
    minutes minus its own, over their deterministic range; a longer transfer delay only
    lengthens the option with transfers, so it is the lead's driver."""
    text = SCENARIO.replace("[appraisal]\ndraws = 20", "[appraisal]\ndraws = 20\n[appraisal.criteria]\n"
                            "time_to_hub_mean_minutes = 1")
    text = text.replace('[[options]]\nname = "best 1"\npathway = "direct"\noptimise = { k = 1 }\n', "")
    make_network(tmp_path / "net")
    path = tmp_path / "lead.toml"
    path.write_text(text + 'service.transfer_delay_minutes = { distribution = "uniform", low = 40, high = 80 }\n'
                    '"demand.multiplier" = { distribution = "uniform", low = 1.0, high = 1.2 }\n')
    spec = load_scenario(path)
    assert spec.uncertainty is not None
    result = run_uncertainty(spec, spec.uncertainty, draws=30)
    det = run_scenario(spec)
    top, other = det.scores.ranking
    span = abs(det.values.loc[top, "time_to_hub_mean_minutes"] - det.values.loc[other, "time_to_hub_mean_minutes"])
    for lead, r in zip(result.leads, result.results):
        v = {o: r["values"][o]["time_to_hub_mean_minutes"] for o in (top, other)}
        assert lead == pytest.approx((v[other] - v[top]) / span, rel=1e-12)
    drivers = {d["parameter"]: d for d in result.drivers()}
    delay = np.array([v["service.transfer_delay_minutes"] for v in result.values])
    expected = stats.spearmanr(delay, np.array(result.leads)).statistic
    assert drivers["service.transfer_delay_minutes"]["spearman_with_lead"] == pytest.approx(expected)
    assert abs(expected) > 0.9 and result.drivers()[0]["parameter"] == "service.transfer_delay_minutes"


@pytest.mark.slow
def test_done_when_essex_on_a_local_cluster() -> None:
    """The issue's command through the installed hubplan: rank probabilities and bed and
    workforce intervals, and docs/uncertainty.md's Essex table true to the rounding shown."""
    import re

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([HUBPLAN, "uncertainty", str(root / "examples" / "essex_vascular.toml"), "--draws", "1000",
                          "--scheduler", "local", "--format", "json"], capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["draws"] == 1000 and doc["executor"].startswith("Dask LocalCluster of 2 workers")
    spoke, three = doc["options"]
    assert spoke["p_rank_first"] + three["p_rank_first"] == pytest.approx(1.0)
    text = " ".join((root / "docs" / "uncertainty.md").read_text(encoding="utf-8").split())

    def cell(c: dict) -> str:
        return f"{c['mean']:.1f} ({c['p5']:.1f}-{c['p95']:.1f})"

    for o in (spoke, three):
        c = o["criteria"]
        assert cell(c["time_to_hub_mean_minutes"]) in text
        beds = c["beds_at_target_occupancy"]
        assert f"{beds['mean']:.1f} ({beds['p5']:.0f}-{beds['p95']:.0f}), 95th percentile {o['beds_p95']:.0f}" in text
    assert f"| ranks first | {spoke['p_rank_first']:.0%} | {three['p_rank_first']:.0%} |" in text
    short = three["criteria"]["workforce_shortfall"]
    assert f"{three['p_workforce_shortfall']:.0%} ({short['p5']:.1f}-{short['p95']:.1f} short)" in text
    lead = doc["drivers"][0]
    assert lead["parameter"] == "service.transfer_delay_minutes"
    assert re.search(rf"Spearman correlation {abs(lead['spearman_with_lead']):.2f} with it", text)


def test_a_sweep_on_worker_processes_is_the_in_process_sweep() -> None:
    """The exact method's solves of each k sent to workers: proven optima, the same sites."""
    from hubplan.optimise import SiteSelectionProblem, sweep

    rng = np.random.default_rng(8)
    cost = np.round(rng.uniform(5, 90, (60, 12)), 1)
    demand = rng.integers(1, 50, 60).astype(float)
    problem = SiteSelectionProblem(cost, demand, tuple(f"S{j}" for j in range(12)), k=6)
    here = sweep(problem, [2, 3, 4, 5, 6])
    there = sweep(problem, [2, 3, 4, 5, 6], executor=Executor("processes", 2))
    assert (here["status"] == "optimal").all() and (there["status"] == "optimal").all()
    assert list(here["sites"]) == list(there["sites"])
    np.testing.assert_allclose(here["objective"], there["objective"], rtol=1e-12)


def test_preset_ranges_come_with_their_sources(tmp_path: Path) -> None:
    """thrombectomy's door-in-door-out: 60 min (Allen 2019) to the 75-120 min of international
    medians, as presets.toml's note says; a distribution in the file wins over the preset's."""
    from hubplan.planning.distributions import preset_ranges

    (u,) = preset_ranges("thrombectomy")
    assert u.parameter == "service.transfer_delay_minutes" and u.distribution == "uniform"
    assert (u.settings["low"], u.settings["high"]) == (60.0, 120.0) and "STRATIS" in u.source
    make_network(tmp_path / "net")
    path = tmp_path / "r.toml"
    path.write_text(SCENARIO.replace("[uncertainty.parameters]", "preset_ranges = true\n[uncertainty.parameters]"))
    spec = load_scenario(path)
    assert spec.uncertainty is not None and [p.parameter for p in spec.uncertainty.parameters] == [u.parameter]
    path.write_text(SCENARIO.replace("[uncertainty.parameters]", "preset_ranges = true\n[uncertainty.parameters]")
                    + 'service.transfer_delay_minutes = { distribution = "fixed", value = 90 }\n')
    spec = load_scenario(path)
    assert spec.uncertainty is not None and spec.uncertainty.parameters[0].distribution == "fixed"
    assert len(preset_ranges("community_diagnostic_centre")) == 1 and len(preset_ranges("maternity")) == 1


def test_kind_parameters_are_checked_when_the_file_is_read(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, 'service.parameters.fmu_uptake = { distribution = "uniform", low = 0.1, high = 0.3 }\n',
                         "kind.toml")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert str(info.value).startswith("kind.toml, [uncertainty.parameters]: 'service.parameters.fmu_uptake': "
                                      "service 'thrombectomy' (kind 'emergency') has no parameter 'fmu_uptake'")


def test_a_cluster_address_runs_the_same_draws(tmp_path: Path) -> None:
    """--scheduler tcp://...: a cluster started here (as a user's would be), reached by its address."""
    from distributed import LocalCluster

    from hubplan.executor import WORKER_ENV

    spec = load_scenario(scenario_file(tmp_path))
    assert spec.uncertainty is not None
    here = run_uncertainty(spec, spec.uncertainty, draws=4).to_json()
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, env=dict(WORKER_ENV)) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        there = run_uncertainty(spec, spec.uncertainty, draws=4, executor=Executor(address)).to_json()
    assert there["executor"] == f"Dask cluster at {address}"
    for doc in (here, there):
        doc.pop("executor")
    assert json.dumps(here, sort_keys=True) == json.dumps(there, sort_keys=True)
    with pytest.raises(InputError, match="cannot reach a Dask scheduler there"):
        run_uncertainty(spec, spec.uncertainty, draws=1, executor=Executor("tcp://127.0.0.1:9"))


def test_local_cluster_workers_keep_the_adaptive_memory_allocator(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dask's workers get MALLOC_TRIM_THRESHOLD_ by default, which made national draws 1.7x
    slower; hubplan's LocalCluster unsets it and keeps one BLAS/OpenMP thread per worker."""
    import os

    from distributed import LocalCluster

    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)  # and put back as it was afterwards
    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None):
        pass  # Dask's own cluster leaves the variable in this process's environment
    assert os.environ.get("MALLOC_TRIM_THRESHOLD_") == "65536"
    local = Executor("local", 1)
    assert local.map(os.getenv, ["unset"], shared="MALLOC_TRIM_THRESHOLD_") == ["unset"]
    assert local.map(os.getenv, ["unset"], shared="OMP_NUM_THREADS") == ["1"]


def test_local_cluster_leaves_port_8787_alone() -> None:
    """With another Dask cluster (or anything) on port 8787, a local cluster starts without
    Dask's "Port 8787 is already in use" warning: it has no dashboard and its scheduler's
    HTTP server takes a free port."""
    import os
    import socket
    import warnings

    busy = socket.socket()
    try:
        try:
            busy.bind(("127.0.0.1", 8787))
            busy.listen()
        except OSError:
            pass  # something has the port already: just as good
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert Executor("local", 1).map(os.getenv, ["unset"], shared="OMP_NUM_THREADS") == ["1"]
    finally:
        busy.close()
    assert not [w for w in caught if "8787" in str(w.message)], [str(w.message) for w in caught]


def test_a_dash_in_the_drivers_table_is_explained() -> None:
    """With two options a draw's scores are always 0 and 1, so their correlations are
    undefined (None in the JSON) and shown as '-', with a line saying why."""
    root = Path(__file__).resolve().parents[1]
    args = [HUBPLAN, "uncertainty", str(root / "examples" / "essex_vascular.toml"), "--draws", "30"]
    doc = json.loads(subprocess.run(args + ["--format", "json"], capture_output=True, text=True, timeout=600).stdout)
    assert len(doc["options"]) == 2
    assert all(v is None for d in doc["drivers"] for v in d["spearman_with_score"].values())
    shown = subprocess.run(args, capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "250"})
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    rows = [line for line in lines[lines.index(next(x for x in lines if x.startswith("What drives"))):]
            if line.startswith("│")]
    assert len(rows) == len(doc["drivers"])
    assert all([c.strip() for c in row.strip("│").split("│")][-2:] == ["-", "-"] for row in rows)
    assert ("(-: it did not vary over the draws, so it has no rank correlation; a draw's scores are rescaled "
            "between that draw's options, with two options always 0 and 1)") in lines
