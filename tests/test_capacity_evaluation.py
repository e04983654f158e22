"""capacity_table on evaluated options, and the `capacity` / `workforce` commands.
Every figure is worked out by hand on a tiny network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hubplan import Option, Service, evaluate
from hubplan.capacity import SITE_COLUMNS, capacity_table
from hubplan.errors import InputError
from hubplan.testing import make_network


def network():
    """Areas A1 (1,000 a year), A2 (500), A3 (2,190); sites H1, H2 (hubs), S1.

    minutes   H1  H2  S1        site to site: H1-H2 45, H1-S1 15, H2-S1 40
    A1        20  50  10
    A2        10  40  30
    A3        30  25  35
    """
    return make_network(
        [[20, 50, 10], [10, 40, 30], [30, 25, 35]],
        [[0, 45, 15], [45, 0, 40], [15, 40, 0]],
        demand=[1000.0, 500.0, 2190.0],
        site_codes=["H1", "H2", "S1"],
        capabilities={"thrombectomy": [True, True, False]},
    )


@pytest.fixture(scope="module")
def service():
    return Service.preset("thrombectomy")


@pytest.fixture(scope="module")
def direct(service):
    return evaluate(network(), service, Option(name="direct", hubs=("H1", "H2")))


def test_direct_option_by_hand(direct, service):
    result = capacity_table(direct, service)
    sites = result.sites.set_index("site_code")
    assert list(result.sites.columns[: len(SITE_COLUMNS)]) == list(SITE_COLUMNS)
    assert list(sites.index) == ["H1", "H2"]  # S1 is closed under this option
    # H1: A1 + A2 = 1,500 admissions; 10% = 150 thrombectomies
    # beds: 1,500 x 3 / 365 = 12.33 -> 15 at 85%, 21 at 1% refusal
    h1 = sites.loc["H1"]
    assert h1["patients_per_year"] == pytest.approx(1500)
    assert h1["procedures_per_year"] == pytest.approx(150)
    assert h1["mean_occupied_beds"] == pytest.approx(4500 / 365)
    assert h1["beds_at_target_occupancy"] == 15
    assert h1["beds_for_refusal"] == 21
    assert h1["consultants_needed"] == 5
    assert h1["procedures_per_operator"] == pytest.approx(30)  # 150 / 5 < 40
    assert h1["flags"] == ["operator_volume_below_minimum"]
    # H2: 2,190 admissions -> 18 beds occupied on average -> 18 / 0.85 = 21.2 -> 22 beds;
    # 219 thrombectomies, 43.8 per operator; above the 2,000 maximum
    h2 = sites.loc["H2"]
    assert h2["mean_occupied_beds"] == pytest.approx(18.0)
    assert h2["beds_at_target_occupancy"] == 22
    assert h2["procedures_per_operator"] == pytest.approx(43.8)
    assert h2["flags"] == ["above_max_patients"]
    n = result.network
    assert (n.hubs, n.spokes, n.consultants_needed) == (2, 0, 10)
    assert n.beds_at_target_occupancy == 15 + 22
    assert n.consultants_available == 120 and n.shortfall == 0.0
    assert n.workforce_today == 80 and n.year_need_met == 0  # 80 in post >= 10 needed
    assert result.notes == ()


def test_short_workforce_flags_rota_and_totals_by_region(direct, service):
    result = capacity_table(direct, service, workforce=8)
    sites = result.sites.set_index("site_code")
    # 8 shared in proportion to a need of 5 + 5: 4 each, 1 short each
    assert sites["consultants_allocated"].tolist() == [4.0, 4.0]
    assert sites["shortfall"].tolist() == [1.0, 1.0]
    assert all("below_rota_minimum" in f for f in sites["flags"])
    assert result.network.shortfall == 2.0
    regions = result.regions.set_index(["region_type", "region"])
    assert regions.loc[("country", "England"), "shortfall"] == pytest.approx(2.0)


def test_treat_and_transfer_uses_admissions_for_beds_and_catchment_for_minimum(service):
    option = Option(name="tt", hubs=("H1", "H2"), spokes=("S1",), pathway="treat_and_transfer")
    ev = evaluate(network(), service, option)
    result = capacity_table(ev, service, los_days=2.0, occupancy=0.9)
    sites = result.sites.set_index("site_code")
    # A1 is first seen at S1 (10 min), 10% of its 1,000 transfer to H1 (nearest hub by road)
    assert sites.loc["S1", "role"] == "spoke"
    assert sites.loc["S1", "patients_per_year"] == pytest.approx(1000)
    # 1,000 x 2 / 365 = 5.48 beds -> 5.48 / 0.9 = 6.09 -> 7
    assert sites.loc["S1", "beds_at_target_occupancy"] == 7
    assert sites.loc["S1", "flags"] == []
    assert sites.loc["S1", "procedures_per_year"] == 0
    assert str(sites.loc["S1", "consultants_needed"]) == "<NA>"
    # H1 admits A2 (500) + 100 transfers = 600; its catchment is still 1,500; 150 procedures
    assert sites.loc["H1", "patients_per_year"] == pytest.approx(600)
    assert sites.loc["H1", "catchment_patients"] == pytest.approx(1500)
    assert sites.loc["H1", "procedures_per_year"] == pytest.approx(150)
    assert "below_min_patients" not in sites.loc["H1", "flags"]
    assert result.network.spokes == 1
    params = {p["parameter"]: p for p in result.parameters}
    assert params["length_of_stay_days"]["value"] == 2.0
    assert params["length_of_stay_days"]["source"] == "user override"
    assert params["rota_minimum_consultants"]["source"] == "PQ2017"


def test_activity_driven_consultants_and_sessions(direct, service):
    result = capacity_table(direct, service, procedures_per_consultant=40, procedures_per_session=1.5)
    sites = result.sites.set_index("site_code")
    # H2: 219 / 40 = 5.475 -> 6 consultants (above the rota minimum of 5), 36.5 each
    assert sites.loc["H2", "consultants_needed"] == 6
    assert sites.loc["H2", "procedures_per_operator"] == pytest.approx(36.5)
    # H1: 150 / (1.5 x 52) = 1.923 sessions a week
    assert sites.loc["H1", "sessions_per_week"] == pytest.approx(150 / 78)
    assert result.network.consultants_needed == 11


def test_training_pipeline_towards_the_need(direct, service):
    svc = service.with_overrides(workforce_today=4)
    result = capacity_table(direct, svc)
    # 4 today, 15 a year (steady pipeline): 19 >= 10 in year 1
    assert result.network.year_need_met == 1
    assert result.pipeline.table["workforce"].tolist()[:2] == [4, 19]


def test_missing_values_are_asked_for(service):
    hasu = Service.preset("hyperacute_stroke")
    ev = evaluate(network(), hasu, Option(name="h", hubs=("H1", "H2")))
    result = capacity_table(ev, hasu)  # beds only: no rota minimum is sourced
    assert result.network.consultants_needed is None
    assert any("--rota-minimum" in note for note in result.notes)
    assert result.sites["consultants_needed"].isna().all()
    with pytest.raises(InputError, match="--rota-minimum"):
        capacity_table(ev, hasu, require_workforce=True)
    vascular = Service.preset("vascular_arterial", demand_scale=1.0)
    ev = evaluate(network(), vascular, Option(name="v", hubs=("H1",)))
    with pytest.raises(InputError, match=r"length_of_stay_days.*--los"):
        capacity_table(ev, vascular)
    workforce_only = capacity_table(ev, vascular, beds=False)
    assert workforce_only.network.beds_at_target_occupancy is None
    assert workforce_only.network.consultants_needed == 6


def test_to_json_contract(direct, service):
    data = capacity_table(direct, service).to_json()
    json.dumps(data, allow_nan=False)  # plain JSON, no NaN
    keys = {"site_code", "patients_per_year", "procedures_per_year", "length_of_stay_days",
            "mean_occupied_beds", "beds_at_target_occupancy", "beds_for_refusal",
            "refusal_probability", "consultants_needed", "procedures_per_operator", "flags"}
    for site in data["sites"]:
        assert keys <= set(site)
        assert all(isinstance(f, str) for f in site["flags"])
    assert {"consultants_needed", "consultants_available", "shortfall", "year_need_met"} <= set(
        data["network"]
    )


# ---------------------------------------------------------------------------- CLI
AREAS = "area_code,area_name,icb,stroke_admissions\nA1,North,N,1000\nA2,Mid,N,500\nA3,South,S,2190\n"
SITES = "site_code,site_name,thrombectomy\nH1,Hub One,1\nH2,Hub Two,1\nS1,Spoke One,0\n"
TIMES = (
    "area_code,site_code,minutes\n"
    "A1,H1,20\nA1,H2,50\nA1,S1,10\nA2,H1,10\nA2,H2,40\nA2,S1,30\nA3,H1,30\nA3,H2,25\nA3,S1,35\n"
)
SITE_TIMES = (
    "from_site,to_site,minutes\nH1,H2,45\nH2,H1,45\nH1,S1,15\nS1,H1,15\nH2,S1,40\nS1,H2,40\n"
)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("net")
    for name, text in (("areas", AREAS), ("sites", SITES), ("travel_times", TIMES),
                       ("site_times", SITE_TIMES)):
        (folder / f"{name}.csv").write_text(text)
    return folder


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command in a fresh process: exit status and stderr as a user sees them."""
    return subprocess.run(
        [sys.executable, "-c", "from hubplan.cli import main; main()", *args],
        capture_output=True, text=True,
    )


def invoke(*args: str):
    """The command in this process (faster; for runs that succeed)."""
    from typer.testing import CliRunner

    from hubplan.cli import app

    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result


def test_capacity_command_json(data, tmp_path):
    res = invoke("capacity", "--data", str(data), "--hubs", "H1,H2", "--pathway", "direct",
                 "--format", "json", "--workforce", "8", "--out", str(tmp_path / "o"))
    result = json.loads(res.stdout)  # the whole of stdout is the one JSON document
    sites = {s["site_code"]: s for s in result["sites"]}
    assert sites["H1"]["beds_at_target_occupancy"] == 15
    assert sites["H1"]["beds_for_refusal"] == 21
    assert sites["H2"]["beds_at_target_occupancy"] == 22
    assert "below_rota_minimum" in sites["H1"]["flags"]
    assert result["network"]["consultants_needed"] == 10
    assert result["network"]["consultants_available"] == 8
    assert result["network"]["shortfall"] == 2
    assert result["network"]["year_need_met"] == 0
    for name in ("capacity_sites.csv", "capacity_regions.csv", "capacity.json"):
        assert (tmp_path / "o" / name).stat().st_size > 0


def test_capacity_command_table_and_bad_input(data):
    res = invoke("capacity", "--data", str(data), "--hubs", "H1,H2", "--pathway", "direct", "--los", "2")
    assert "operator_volume_below_minimum" in res.stdout
    bad = run("capacity", "--data", str(data), "--hubs", "H1", "--service", "vascular_arterial",
              "--demand", "stroke_admissions")
    assert bad.returncode == 2
    assert "--los" in bad.stderr and "Traceback" not in bad.stderr
    no_population = run("capacity", "--data", str(data), "--hubs", "H1", "--service", "vascular_arterial")
    assert no_population.returncode == 2  # the preset's demand needs population_60_plus, which the file lacks
    assert "unknown name 'population_60_plus'" in no_population.stderr and "Traceback" not in no_population.stderr


def test_workforce_command_json(data):
    res = invoke("workforce", "--data", str(data), "--hubs", "H1,H2", "--pathway", "direct",
                 "--workforce", "10", "--workforce", "6", "--workforce-today", "4", "--format", "json")
    result = json.loads(res.stdout)  # the whole of stdout is the one JSON document
    assert [s["shortfall"] for s in result["scenarios"]] == [0, 4]
    assert result["network"]["consultants_needed"] == 10
    assert result["network"]["year_need_met"] == 1  # 4 + 15 >= 10
    assert result["pipeline"][1]["workforce"] == 19


def test_national_workforce_figures_are_not_applied_to_one_region(service):
    """Today's 80 interventionists and the 120 available are national: a regional network
    gets no shortfall or training year from them unless the user gives regional figures."""
    import dataclasses

    regional = dataclasses.replace(network(), region_restriction="icb R1")
    ev = evaluate(regional, service, Option(name="direct", hubs=("H1", "H2")))
    result = capacity_table(ev, service)
    assert result.network.consultants_needed == 10
    assert result.network.consultants_available is None and result.network.workforce_today is None
    assert result.network.year_need_met is None
    assert any("national figures" in note and "icb R1" in note for note in result.notes)
    # that note says why no workforce is available; "none is known" would contradict it
    assert not any(note.startswith("no workforce available is known") for note in result.notes)
    given = Service.preset("thrombectomy", workforce_today=12, workforce_available=8)
    result = capacity_table(evaluate(regional, given, Option(name="d", hubs=("H1", "H2"))), given)
    assert result.network.workforce_today == 12 and result.network.consultants_available == 8
    assert result.network.shortfall == 2
    # the whole country keeps the preset's national figures
    national = capacity_table(evaluate(network(), service, Option(name="d", hubs=("H1", "H2"))), service)
    assert national.network.workforce_today == 80 and national.network.consultants_available == 120


def test_restrict_to_a_region_records_it():
    from hubplan.testing import tiny_network

    net = tiny_network()
    net.sites["icb"] = ["R1", "R1", "R1"]
    assert net.restrict(region="R1").region_restriction == "icb R1"
    assert net.restrict(country="England").region_restriction is None


def test_evaluate_says_which_commands_take_the_options_its_notes_name():
    # in one region the national workforce is not applied; evaluate has no --workforce, so its
    # note says where the options are, and capacity takes them
    hubplan = str(Path(sys.executable).parent / "hubplan")
    args = ["--region", "Wessex", "--hubs", "thrombectomy", "--pathway", "direct"]
    res = subprocess.run([hubplan, "evaluate", *args], capture_output=True, text=True, env={**os.environ, "COLUMNS": "400"})
    assert res.returncode == 0, res.stderr
    note = next(line for line in res.stderr.splitlines() if "not applied to one region" in line)
    assert note.endswith("give --workforce, --workforce-today, --trainees-per-year for this region (options of "
                         "hubplan capacity and hubplan workforce)")
    done = subprocess.run([hubplan, "capacity", *args, "--workforce", "10", "--workforce-today", "8",
                           "--trainees-per-year", "1", "--format", "json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["network"]["consultants_available"] == 10
