"""Scenario files: validation messages (file, option, key), running on a small CSV network, CLI exits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hubplan import InputError
from hubplan.planning.scenario import SCHEMA_VERSION, load_scenario, parse_scenario, run_scenario

AREAS = """area_code,area_name,latitude,longitude,country,icb,stroke_admissions
A1,North 1,51.00,-1.00,England,North,10
A2,North 2,51.05,-1.05,England,North,5
A3,South 1,50.80,-1.10,England,South,8
A4,South 2,50.85,-0.95,England,South,2
"""
SITES = """site_code,site_name,latitude,longitude,country,icb,thrombectomy,ivt
H1,Hub One,51.02,-1.02,England,North,1,1
H2,Hub Two,50.82,-1.05,England,South,0,1
S1,Spoke One,50.95,-0.98,England,North,0,1
"""
TRAVEL = """area_code,H1,H2,S1
A1,10,50,20
A2,15,45,12
A3,40,12,30
A4,35,20,10
"""
SITE_TIMES = """site_code,H1,H2,S1
H1,0,40,15
H2,40,0,30
S1,15,30,0
"""


def make_network(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("areas", AREAS), ("sites", SITES), ("travel_times", TRAVEL), ("site_times", SITE_TIMES)):
        (folder / f"{name}.csv").write_text(text)
    return folder


GOOD = """
schema_version = 1
title = "Test"

[network]
data = "net"

[service]
preset = "thrombectomy"
transfer_delay_minutes = 60

[[options]]
name = "one hub"
hubs = ["H1"]
pathway = "direct"

[[options]]
name = "two hubs"
hubs = ["H1", "H2"]
pathway = "direct"

[[options]]
name = "one hub, treat and transfer"
hubs = ["H1"]
spokes = "rest"
bypass_minutes = 5

[[options]]
name = "best 2"
pathway = "direct"
optimise = { k = 2, keep = ["H1"] }

[appraisal]
baseline = "one hub"
draws = 300
seed = 2

[appraisal.criteria]
time_to_hub_mean_minutes = 3
transfers_per_year = { weight = 1, direction = "min" }
hubs = 1
"""


def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    make_network(tmp_path / "net")
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_scenario_parses_into_values(tmp_path):
    s = load_scenario(write(tmp_path, GOOD))
    assert s.schema_version == SCHEMA_VERSION and s.title == "Test"
    assert s.network.data == tmp_path / "net"
    assert s.service.preset == "thrombectomy" and dict(s.service.overrides) == {"transfer_delay_minutes": 60}
    assert [o.name for o in s.options] == ["one hub", "two hubs", "one hub, treat and transfer", "best 2"]
    assert s.options[2].pathway == "treat_and_transfer" and s.options[2].spokes == "rest"
    assert s.options[3].optimise is not None and s.options[3].optimise.k == 2
    assert s.appraisal.baseline == "one hub" and s.appraisal.draws == 300
    assert [c.name for c in s.appraisal.criteria] == ["time_to_hub_mean_minutes", "transfers_per_year", "hubs"]


def test_run_scenario_by_hand(tmp_path):
    a = run_scenario(load_scenario(write(tmp_path, GOOD)))
    # one hub (direct): 10, 15, 40, 35 weighted by 10, 5, 8, 2 -> (100 + 75 + 320 + 70) / 25 = 22.6
    assert a.values.loc["one hub", "time_to_hub_mean_minutes"] == pytest.approx(22.6)
    # two hubs: 10, 15, 12, 20 -> (100 + 75 + 96 + 40) / 25 = 12.44
    assert a.values.loc["two hubs", "time_to_hub_mean_minutes"] == pytest.approx(12.44)
    assert a.evaluation("best 2").option.hubs == ("H1", "H2")
    assert "best 2" in a.solutions
    # treat and transfer, spokes = every other site (H2, S1), bypass 5: A1 goes to H1; A2 too (H1 15 is
    # within 5 of S1 12); A3 to spoke H2 (12) then H1 (+60 +40); A4 to spoke S1 (10) then H1 (+60 +15)
    tt = a.evaluation("one hub, treat and transfer")
    assert tt.areas["first_site_code"].tolist() == ["H1", "H1", "H2", "S1"]
    assert tt.areas["time_to_hub_minutes"].tolist() == pytest.approx([10, 15, 12 + 60 + 40, 10 + 60 + 15])
    # T&T mean (100 + 75 + 112 * 8 + 85 * 2) / 25 = 49.64; weights 0.6 time, 0.2 transfers, 0.2 hubs:
    # one hub = 0.6 * (49.64 - 22.6) / (49.64 - 12.44) + 0.2 + 0.2; two hubs = 0.6 + 0.2 + 0
    assert a.scores.scores["one hub"] == pytest.approx(0.6 * 27.04 / 37.2 + 0.4)
    assert a.scores.scores["two hubs"] == pytest.approx(0.8)
    assert a.scores.ranking == ("one hub", "two hubs", "best 2", "one hub, treat and transfer")


def check(tmp_path: Path, text: str, message: str, name: str = "scenario.toml") -> None:
    with pytest.raises(InputError) as info:
        load_scenario(write(tmp_path, text, name))
    assert str(info.value) == message


def test_hubs_as_text_names_file_option_and_key(tmp_path):
    text = GOOD.replace('hubs = ["H1", "H2"]', 'hubs = "SO166YD"')
    check(tmp_path, text, "hampshire_vascular.toml, option 'two hubs': 'hubs' must be a list of site codes, "
                          "got 'SO166YD'", name="hampshire_vascular.toml")


@pytest.mark.parametrize(("old", "new", "message"), [
    ("schema_version = 1", "", "scenario.toml: 'schema_version' is missing: add schema_version = 1 at the top"),
    ("schema_version = 1", "schema_version = 7",
     "scenario.toml: schema_version 7 is not supported: this hubplan reads schema_version 1"),
    ('title = "Test"', 'titel = "Test"',
     "scenario.toml: unknown key 'titel' (did you mean 'title'?): expected one of schema_version, title, "
     "description, network, service, options, appraisal, sweep, benchmark"),
    ('pathway = "direct"\n\n[[options]]\nname = "two hubs"', 'pathway = "mothership2"\n\n[[options]]\nname = "two hubs"',
     "scenario.toml, option 'one hub': 'pathway' must be 'direct' or 'treat_and_transfer', got 'mothership2'"),
    ('name = "two hubs"', 'name = "one hub"',
     "scenario.toml, option 'one hub': the name is used by another option: names must be unique"),
    ('bypass_minutes = 5', 'bypass_minutes = -5',
     "scenario.toml, option 'one hub, treat and transfer': 'bypass_minutes' must be a number of minutes >= 0, "
     "got -5"),
    ('optimise = { k = 2, keep = ["H1"] }', 'optimise = { keep = ["H1"] }',
     "scenario.toml, option 'best 2': 'optimise' needs 'k', the number of hubs"),
    ('optimise = { k = 2, keep = ["H1"] }', 'optimise = { k = 0 }',
     "scenario.toml, option 'best 2': 'optimise.k' must be a whole number of hubs from 1 to 10,000, got 0"),
    ('baseline = "one hub"', 'baseline = "today"',
     "scenario.toml, [appraisal]: 'baseline' must name one of the options (one hub, two hubs, "
     "one hub, treat and transfer, best 2), got 'today'"),
    ('hubs = 1\n', 'hub_count = 1\n',
     "scenario.toml, [appraisal.criteria] 'hub_count': unknown criterion 'hub_count': expected one of "),
    ('preset = "thrombectomy"', 'preset = "cardiac"',
     "scenario.toml, [service]: unknown preset 'cardiac': expected one of thrombectomy, hyperacute_stroke, "
     "vascular_arterial"),
    ('transfer_delay_minutes = 60', 'transfer_delay = 60',
     "scenario.toml, [service]: unknown key 'transfer_delay' (did you mean 'transfer_delay_minutes'?)"),
    ('data = "net"', 'data = "nowhere"',
     "scenario.toml, [network]: 'data' must be a folder of CSV files (areas.csv, sites.csv, travel_times.csv), "
     "got 'nowhere': no such folder"),
])
def test_validation_messages(tmp_path, old, new, message):
    assert old in GOOD
    with pytest.raises(InputError) as info:
        load_scenario(write(tmp_path, GOOD.replace(old, new, 1)))
    assert str(info.value).startswith(message), str(info.value)


def test_more_validation_messages():
    with pytest.raises(InputError, match=r"^scenario: not valid TOML"):
        parse_scenario("schema_version = = 1")
    base = 'schema_version = 1\n[service]\npreset = "thrombectomy"\n'
    with pytest.raises(InputError, match="no options: add at least one"):
        parse_scenario(base)
    with pytest.raises(InputError, match=r"option 'x': give exactly one of 'hubs' \(site codes\), 'hubs_with'"):
        parse_scenario(base + '[[options]]\nname = "x"\n')
    with pytest.raises(InputError, match="option 'x': spokes are only used with pathway"):
        parse_scenario(base + '[[options]]\nname = "x"\nhubs = ["H1"]\npathway = "direct"\nspokes = "rest"\n')
    with pytest.raises(InputError, match="'bypass_minutes' cannot be used with 'optimise'"):
        parse_scenario(base + '[[options]]\nname = "x"\noptimise = {k = 2}\nbypass_minutes = 15\n')
    with pytest.raises(InputError, match=r"option 1: 'name' is missing"):
        parse_scenario(base + '[[options]]\nhubs = ["H1"]\n')


def test_unknown_site_code_named_with_the_option(tmp_path):
    text = GOOD.replace('hubs = ["H1", "H2"]', 'hubs = ["H1", "H9"]')
    with pytest.raises(InputError, match=r"^scenario.toml, option 'two hubs': unknown hub code 'H9'"):
        run_scenario(load_scenario(write(tmp_path, text)))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from hubplan.cli import main; main()", *args],
                          capture_output=True, text=True)


def test_cli_bad_scenario_exits_2_without_traceback(tmp_path):
    path = write(tmp_path, GOOD.replace('hubs = ["H1", "H2"]', 'hubs = "H2"'))
    res = run_cli("appraise", str(path))
    assert res.returncode == 2
    assert "option 'two hubs': 'hubs' must be a list of site codes, got 'H2'" in res.stderr
    assert "Traceback" not in res.stderr
    assert run_cli("appraise", str(tmp_path / "missing.toml")).returncode == 2


def test_cli_json_and_files(tmp_path):
    path = write(tmp_path, GOOD)
    res = run_cli("appraise", str(path), "--format", "json", "--out", str(tmp_path / "out"), "--no-pdf")
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    assert result["baseline"] == "one hub" and len(result["options"]) == 4
    assert set(result["ranking"]) == {"one hub", "two hubs", "one hub, treat and transfer", "best 2"}
    assert {r["criterion"] for r in result["sensitivity"]} == {"time_to_hub_mean_minutes", "transfers_per_year",
                                                               "hubs"}
    files = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"report.html", "appraisal.json", "appraisal_options.csv"} <= files and "report.pdf" not in files


def _maternity(parameters: str) -> str:
    return GOOD.replace('preset = "thrombectomy"\ntransfer_delay_minutes = 60\n',
                        'preset = "maternity"\n\n[service.parameters]\n' + parameters)


def test_kind_parameters_in_service_parameters(tmp_path):
    text = _maternity("fmu_uptake = 0.3\nleave_uplift = 0.2\n")
    assert text != GOOD
    s = load_scenario(write(tmp_path, text))
    assert dict(s.service.overrides["parameters"]) == {"fmu_uptake": 0.3, "leave_uplift": 0.2}


@pytest.mark.parametrize(("parameters", "message"), [
    ("fmu_uptake = 1.5\n", "scenario.toml, [service]: service 'maternity' (kind 'maternity'): parameter 'fmu_uptake' "
                           "must be a number from 0 to 1"),
    ('fmu_uptake = "high"\n', "scenario.toml, [service]: service 'maternity' (kind 'maternity'): parameter "
                              "'fmu_uptake' must be a number from 0 to 1"),
    ("fmu_uptake = true\n", "scenario.toml, [service]: service 'maternity' (kind 'maternity'): parameter "
                            "'fmu_uptake' must be a number"),
    ("fmu_uptak = 0.3\n", "scenario.toml, [service]: service 'maternity' (kind 'maternity'): unknown parameter "
                          "'fmu_uptak'; expected one of "),
])
def test_kind_parameter_errors_name_the_service_kind_and_parameter(tmp_path, parameters, message):
    with pytest.raises(InputError) as info:
        load_scenario(write(tmp_path, _maternity(parameters)))
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)
