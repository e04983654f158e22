"""The maternity kind (hubplan.kinds.maternity) on hand-worked networks, its parameter checks
and its preset.

The network of every hand-worked test (minutes; births a year per area):

========  ======  ====  ====  ====
area      births   OU    F1    F2
========  ======  ====  ====  ====
A1          200    10    30    50
A2          100    40     5    35
A3           50    60    45     8
========  ======  ====  ====  ====

Site to site: OU-F1 20, OU-F2 40, F1-F2 30. OU has an alongside midwife-led unit.

Parameters (``_PARAMETERS``): fmu_uptake 0.2, amu_uptake 0.25, nulliparous share 0.4,
transfer rates FMU 0.36 / 0.09 and AMU 0.40 / 0.13 (nulliparous / multiparous), so the mixed
rates are FMU 0.4 x 0.36 + 0.6 x 0.09 = 0.198 and AMU 0.4 x 0.40 + 0.6 x 0.13 = 0.238;
2 midwives on duty, 40 h a week per WTE, uplift 0.25: 24/7 cover = 2 x 168 / 40 x 1.25 =
10.5 WTE; 20 births per WTE; cost per birth FMU 1,000, AMU 1,200, OU 1,500.

Today (hubs OU, spokes F1 and F2): A1's nearest unit is the OU, so its 200 births start there.
A2's nearest is F1: 0.2 x 100 = 20 start at F1, 80 at the OU; A3's nearest is F2: 10 at F2,
40 at the OU. The OU site has 200 + 80 + 40 = 320 births: 0.25 x 320 = 80 in the AMU and 240
on the labour ward.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from hubplan import Option, Service, evaluate
from hubplan.errors import InputError
from hubplan.kinds import assess, kind
from hubplan.testing import make_network

_PARAMETERS = {
    "fmu_uptake": 0.2, "amu_uptake": 0.25, "nulliparous_share": 0.4,
    "transfer_nulliparous_fmu": 0.36, "transfer_multiparous_fmu": 0.09,
    "transfer_nulliparous_amu": 0.40, "transfer_multiparous_amu": 0.13,
    "min_midwives_on_duty": 2, "hours_per_wte": 40.0, "leave_uplift": 0.25,
    "births_per_wte_midwife": 20.0,
    "cost_per_birth_fmu": 1000.0, "cost_per_birth_amu": 1200.0, "cost_per_birth_ou": 1500.0,
}


def _network(alongside: bool = True, imd: bool = False):
    net = make_network(
        [[10, 30, 50], [40, 5, 35], [60, 45, 8]],
        [[0, 20, 40], [20, 0, 30], [40, 30, 0]],
        demand=[200.0, 100.0, 50.0],
        site_codes=["OU", "F1", "F2"],
        capabilities={"alongside_mlu": [True, False, False]} if alongside else None,
        demand_column="births",
    )
    if imd:
        net = dataclasses.replace(net, areas=net.areas.assign(imd_quintile=[1, 1, 5]))
    return net


def _service(**changes):
    return Service.preset("maternity", parameters={**_PARAMETERS, **changes})


TODAY = Option("today", hubs=("OU",), spokes=("F1", "F2"), pathway="treat_and_transfer")
CLOSE_F2 = Option("close F2", hubs=("OU",), spokes=("F1",), pathway="treat_and_transfer")
OU_ONLY = Option("OU only", hubs=("OU",))


def _result(option, baseline_option=None, net=None, service=None):
    net = net or _network()
    service = service or _service()
    base = evaluate(net, service, baseline_option) if baseline_option else None
    return assess(evaluate(net, service, option), base)


def _units(result):
    frame = result.table("units").frame
    return {(r["site_code"], r["type"]): r for r in frame.to_dict(orient="records")}


def test_births_transfers_midwives_and_cost_per_unit_by_hand():
    units = _units(_result(TODAY))
    assert set(units) == {("OU", "OU"), ("OU", "AMU"), ("F1", "FMU"), ("F2", "FMU")}
    ou, amu, f1, f2 = units["OU", "OU"], units["OU", "AMU"], units["F1", "FMU"], units["F2", "FMU"]
    assert [ou["births"], amu["births"], f1["births"], f2["births"]] == pytest.approx([240, 80, 20, 10])
    # transfers: births x mixed rate; none out of the OU itself
    assert ou["transfers_out"] == 0
    assert amu["transfers_out"] == pytest.approx(80 * 0.238)
    assert f1["transfers_out"] == pytest.approx(20 * 0.198)
    assert f2["transfers_out"] == pytest.approx(10 * 0.198)
    assert (f1["transfer_to"], f1["transfer_minutes"]) == ("OU", pytest.approx(20))
    assert (f2["transfer_to"], f2["transfer_minutes"]) == ("OU", pytest.approx(40))
    assert (amu["transfer_to"], amu["transfer_minutes"]) == ("OU", 0)
    # midwives: max(10.5 cover, births / 20)
    assert [u["midwives_for_cover"] for u in (ou, amu, f1, f2)] == pytest.approx([10.5] * 4)
    assert [u["midwives_for_births"] for u in (ou, amu, f1, f2)] == pytest.approx([12, 4, 1, 0.5])
    assert [u["midwives_needed"] for u in (ou, amu, f1, f2)] == pytest.approx([12, 10.5, 10.5, 10.5])
    assert [u["cost_per_year"] for u in (ou, amu, f1, f2)] == pytest.approx([360_000, 96_000, 20_000, 10_000])


def test_option_measures_by_hand():
    values = _result(TODAY).values()
    assert values["births_at_midwife_led_units"] == pytest.approx(80 + 20 + 10)
    assert values["transfers_per_year"] == pytest.approx(80 * 0.238 + 30 * 0.198)  # 24.98
    # FMU transfers 3.96 at 20 min and 1.98 at 40 min
    assert values["mean_transfer_minutes"] == pytest.approx((3.96 * 20 + 1.98 * 40) / 5.94)  # 26.67
    assert values["transfer_women_minutes"] == pytest.approx(3.96 * 20 + 1.98 * 40)  # 158.4
    assert values["smallest_unit_births"] == pytest.approx(10)
    assert values["fmu_midwives_for_cover"] == pytest.approx(21)
    assert values["midwives_needed"] == pytest.approx(12 + 3 * 10.5)
    assert values["cost_per_year"] == pytest.approx(486_000)
    # no baseline: nothing to compare
    assert values["women_further_in_labour"] is None
    assert values["mean_added_minutes"] is None


def test_closing_one_fmu_against_today_by_hand():
    result = _result(CLOSE_F2, TODAY)
    values = result.values()
    # A3's 10 women who started at F2 (8 min) now start at F1 (45 min): +37; A3's other 40
    # still go to the OU (60 min), A1 and A2 are unchanged
    assert values["women_further_in_labour"] == pytest.approx(10)
    assert values["mean_added_minutes"] == pytest.approx(37)
    assert values["max_added_minutes"] == pytest.approx(37)
    units = _units(result)
    assert units["F1", "FMU"]["births"] == pytest.approx(30)
    assert units["OU", "OU"]["births"] + units["OU", "AMU"]["births"] == pytest.approx(320)
    assert values["transfers_per_year"] == pytest.approx(30 * 0.198 + 80 * 0.238)
    assert values["mean_transfer_minutes"] == pytest.approx(20)
    assert values["fmu_midwives_for_cover"] == pytest.approx(10.5)


def test_obstetric_unit_only_against_today_by_hand():
    values = _result(OU_ONLY, TODAY).values()
    # A2's 20 women: 5 -> 40 min (+35); A3's 10: 8 -> 60 min (+52)
    assert values["women_further_in_labour"] == pytest.approx(30)
    assert values["mean_added_minutes"] == pytest.approx((20 * 35 + 10 * 52) / 30)
    assert values["max_added_minutes"] == pytest.approx(52)
    assert values["births_at_midwife_led_units"] == pytest.approx(0.25 * 350)
    assert values["mean_transfer_minutes"] is None  # no FMU transfers
    assert values["transfer_women_minutes"] == 0
    assert values["smallest_unit_births"] == pytest.approx(87.5)


def test_an_option_is_not_further_than_itself():
    values = _result(TODAY, TODAY).values()
    assert values["women_further_in_labour"] == 0
    assert values["mean_added_minutes"] is None


def test_imd_quintile_table_by_hand():
    result = _result(CLOSE_F2, TODAY, net=_network(imd=True))
    rows = {r["imd_quintile"]: r for r in result.table("imd_quintile").frame.to_dict(orient="records")}
    # quintile 1 = A1 (200 at 10 min) + A2 (20 at 5, 80 at 40); quintile 5 = A3 (10 at 45, 40 at 60)
    assert rows["1"]["births"] == pytest.approx(300)
    assert rows["1"]["mean_minutes_to_start"] == pytest.approx((2000 + 100 + 3200) / 300)
    assert rows["1"]["women_further"] == 0
    assert rows["5"]["births"] == pytest.approx(50)
    assert rows["5"]["mean_minutes_to_start"] == pytest.approx((450 + 2400) / 50)
    assert rows["5"]["women_further"] == pytest.approx(10)
    assert rows["5"]["mean_added_minutes"] == pytest.approx(37)
    assert rows["3"]["births"] == 0
    # no IMD column: no such table
    assert [t.key for t in _result(TODAY).tables] == ["units"]


def test_no_alongside_column_means_no_amu():
    result = _result(TODAY, net=_network(alongside=False))
    units = _units(result)
    assert ("OU", "AMU") not in units
    assert units["OU", "OU"]["births"] == pytest.approx(320)
    assert result.values()["transfers_per_year"] == pytest.approx(30 * 0.198)
    assert any("no alongside_mlu column" in note for note in result.notes)


def test_figures_without_a_sourced_value_are_left_empty_and_say_so():
    # a user's own service with no value for two optional parameters (an override of None keeps
    # the preset's value, so the service is built directly)
    parameters = {**_PARAMETERS, "births_per_wte_midwife": None, "cost_per_birth_ou": None}
    service = Service(name="my_maternity", kind="maternity", demand_column="births", pathway="treat_and_transfer",
                      parameters=parameters)
    result = _result(TODAY, service=service)
    values = result.values()
    assert values["midwives_needed"] is None
    assert "births_per_wte_midwife has no sourced value" in result.measure("midwives_needed").note
    assert values["fmu_midwives_for_cover"] == pytest.approx(21)  # cover alone still known
    assert values["cost_per_year"] is None
    assert _units(result)["F1", "FMU"]["cost_per_year"] == pytest.approx(20_000)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colour": 1}, "unknown parameter 'colour'; expected one of amu_uptake, births_per_wte_midwife"),
        ({"fmu_uptake": 1.5}, "parameter 'fmu_uptake' must be a number from 0 to 1 (fraction of births), got 1.5"),
        ({"transfer_nulliparous_amu": -0.1}, "parameter 'transfer_nulliparous_amu' must be a number from 0 to 1"),
        ({"hours_per_wte": 0}, "parameter 'hours_per_wte' must be a number from 1 to 168 (hours a week)"),
        ({"cost_per_birth_fmu": "cheap"}, "parameter 'cost_per_birth_fmu' must be a number >= 0 (GBP per birth)"),
    ],
)
def test_bad_parameters_are_one_line_errors(changes, message):
    net = _network()
    ev = evaluate(net, _service(**changes), TODAY)
    with pytest.raises(InputError, match="service 'maternity' \\(kind 'maternity'\\): ") as info:
        assess(ev)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_missing_required_parameter_is_a_one_line_error():
    parameters = {k: v for k, v in _PARAMETERS.items() if k != "nulliparous_share"}
    service = Service(name="my_maternity", kind="maternity", demand_column="births", parameters=parameters)
    ev = evaluate(_network(), service, TODAY)
    with pytest.raises(InputError) as info:
        assess(ev)
    assert str(info.value).startswith(
        "service 'my_maternity' (kind 'maternity'): parameter 'nulliparous_share' has no value; give a number from 0 to 1"
    )


def test_a_baseline_on_other_areas_is_refused():
    other = make_network([[10, 30, 50]], [[0, 20, 40], [20, 0, 30], [40, 30, 0]], demand=[5.0],
                         site_codes=["OU", "F1", "F2"], demand_column="births")
    base = evaluate(other, _service(), TODAY)
    with pytest.raises(InputError, match="same network"):
        assess(evaluate(_network(), _service(), TODAY), base)


_CONFIDENCE = {"H", "M", "L", "derived", "assumption", "none"}


def test_the_preset_loads_with_a_source_for_every_parameter():
    service = Service.preset("maternity")
    k = kind("maternity")
    citations = tomllib.loads(resources.files("hubplan.services").joinpath("presets.toml").read_text())["sources"]
    assert service.kind == "maternity" and service.demand_column == "births"
    assert service.pathway == "treat_and_transfer"
    k.check(service)
    assert set(service.parameters) == {p.name for p in k.parameters}
    for name, value in service.parameters.items():
        src = service.sources[name]
        assert src.unit and src.confidence in _CONFIDENCE and src.note, name
        if src.key != "none":
            # every source key resolves to a citation in [sources]
            for key in src.key.split(";"):
                assert key.strip() in citations, (name, key)
            assert src.citation, name
        if value is None:
            assert src.confidence == "none", name
    # the figures the research graded, kept as graded
    assert service.parameters["transfer_nulliparous_fmu"] == 0.36
    assert service.sources["transfer_nulliparous_fmu"].confidence == "M"
    assert service.parameters["cost_per_birth_ou"] == 1631.0
    assert service.sources["cost_per_birth_ou"].key == "SCHROEDER2012"
    assert service.parameters["births_per_wte_midwife"] is None
    assert service.sources["min_midwives_on_duty"].confidence == "assumption"
    assert service.sources["fmu_uptake"].confidence == "derived"
    rows = {r["parameter"]: r for r in service.source_table()}
    assert rows["fmu_uptake"]["value"] == service.parameters["fmu_uptake"]


def test_the_calibrated_fmu_uptake_is_the_arithmetic_its_note_gives():
    # (52 + 77 + 62) births / (1 - FMU transfer rate) / 1,029 catchment births (docs/maternity.md)
    service = Service.preset("maternity")
    p = service.parameters
    rate = p["nulliparous_share"] * p["transfer_nulliparous_fmu"] + (1 - p["nulliparous_share"]) * p["transfer_multiparous_fmu"]
    assert rate == pytest.approx(0.1926)
    assert service.hub_share == pytest.approx(rate)
    assert round((52 + 77 + 62) / (1 - rate) / 1029, 2) == p["fmu_uptake"]


def test_overrides_are_marked_as_such():
    service = Service.preset("maternity", parameters={"fmu_uptake": 0.5})
    assert service.parameters["fmu_uptake"] == 0.5
    assert service.sources["fmu_uptake"].key == "user override"


def test_installed_cli_evaluates_maternity(tmp_path):
    hubplan = Path(sys.executable).parent / "hubplan"
    data = tmp_path / "net"
    data.mkdir()
    (data / "areas.csv").write_text(
        "area_code,area_name,latitude,longitude,icb,births\n"
        "A1,A1,52.0,-1.0,R1,200\nA2,A2,52.0,-1.0,R1,100\nA3,A3,52.0,-1.0,R1,50\n"
    )
    (data / "sites.csv").write_text(
        "site_code,site_name,latitude,longitude,alongside_mlu\nOU,OU,52.0,-1.0,1\nF1,F1,52.0,-1.0,0\nF2,F2,52.0,-1.0,0\n"
    )
    rows = [("A1", "OU", 10), ("A1", "F1", 30), ("A1", "F2", 50), ("A2", "OU", 40), ("A2", "F1", 5),
            ("A2", "F2", 35), ("A3", "OU", 60), ("A3", "F1", 45), ("A3", "F2", 8)]
    (data / "travel_times.csv").write_text("area_code,site_code,minutes\n" + "".join(f"{a},{s},{m}\n" for a, s, m in rows))
    pairs = [("OU", "F1", 20), ("OU", "F2", 40), ("F1", "F2", 30)]
    (data / "site_times.csv").write_text(
        "from_site,to_site,minutes\n" + "".join(f"{a},{b},{m}\n{b},{a},{m}\n" for a, b, m in pairs)
    )
    args = [str(hubplan), "evaluate", "--data", str(data), "--service", "maternity", "--demand", "births",
            "--hubs", "OU", "--spokes", "F1,F2", "--pathway", "treat_and_transfer", "--format", "json"]
    base = list(args)
    for name, value in _PARAMETERS.items():
        args += ["--parameter", f"{name}={value}"]
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["kind"]
    measures = {m["key"]: m["value"] for m in result["measures"]}
    # the figures of test_option_measures_by_hand, through the command as users run it
    assert measures["transfers_per_year"] == pytest.approx(80 * 0.238 + 30 * 0.198)
    assert measures["mean_transfer_minutes"] == pytest.approx(80 / 3)
    assert measures["midwives_needed"] == pytest.approx(43.5)
    assert measures["cost_per_year"] == pytest.approx(486_000)
    units = next(t for t in result["tables"] if t["key"] == "units")
    assert {(r["site_code"], r["type"]): r["births"] for r in units["rows"]} == pytest.approx(
        {("OU", "OU"): 240, ("OU", "AMU"): 80, ("F1", "FMU"): 20, ("F2", "FMU"): 10})
    bad = subprocess.run([*base, "--parameter", "fmu_uptake=2"], capture_output=True, text=True)
    assert bad.returncode == 2
    message = bad.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert "parameter 'fmu_uptake' must be a number from 0 to 1 (fraction of births), got 2" in message


def test_the_general_transfers_are_said_to_be_the_wrong_figure_and_not_scored_by_default():
    # the engine sends hub_share 0.1926 of the 150 births first nearer F1 or F2 (28.9); the kind
    # counts those that start there: 80 x 0.238 + 30 x 0.198 = 24.98
    result = _result(TODAY)
    assert ("the 29 transfers a year of the general summary (and the hubs' 'transferred in') apply the service's "
            "hub_share to every birth nearer a freestanding unit, without the uptake; read the intrapartum "
            "transfers here (25 a year) instead") in result.notes
    from hubplan.planning.appraise import appraise

    a = appraise(_network(), _service(), [TODAY, OU_ONLY], draws=10)
    given = {c.name for c in a.scores.criteria} | {name for name, _ in a.scores.left_out}
    assert "transfers_per_year" not in given and "maternity.transfers_per_year" in given
