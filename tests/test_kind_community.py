"""The community kind (minor injuries units, community beds) on hand-worked tiny networks.

The network used throughout (minutes by car; people of all ages and aged 60+)::

    area   M1   M2   population   population_60_plus
    A1     10   40        1,000                1,000
    A2     35   20        2,000                2,000
    A3     50   25        3,000                3,000

With both units open A1 goes to M1 and A2, A3 to M2; with M1 alone everyone goes to M1.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from hubplan import Option, Service, evaluate
from hubplan.capacity import erlang_b
from hubplan.errors import InputError
from hubplan.kinds import assess, kind
from hubplan.kinds.community import UNIT_COLUMNS
from hubplan.services.options import Pathway
from hubplan.testing import make_network

ROOT = Path(__file__).resolve().parents[1]
AE = ROOT.parent / "shared" / "data" / "nhse_ae_attendances" / "ae_attendances.csv"

WALK_IN = {
    "opening_hours_per_day": 12.0,
    "opening_days_per_week": 5,
    "arrival_window_hours": 16.0,
    "access_threshold_minutes": 20.0,
    "patients_per_practitioner_hour": 0.1,
}
BEDS = {
    "opening_hours_per_day": 24.0,
    "opening_days_per_week": 7,
    "arrival_window_hours": 24.0,
    "access_threshold_minutes": 30.0,
    "refusal_target": 0.01,
}


def network():  # type: ignore[no-untyped-def]
    net = make_network([[10, 40], [35, 20], [50, 25]], demand=[1000.0, 2000.0, 3000.0],
                       site_codes=["M1", "M2"], demand_column="population")
    net.areas["population_60_plus"] = [1000.0, 2000.0, 3000.0]
    net.areas.attrs["demand_columns"] = ["population", "population_60_plus"]
    return net


def walk_in(**parameters: float) -> Service:
    return Service(name="miu", kind="community", demand="population * 0.2", pathway="direct",
                   parameters={**WALK_IN, **parameters})


def run(service: Service, *hubs: str):  # type: ignore[no-untyped-def]
    return assess(evaluate(network(), service, Option(name="+".join(hubs), hubs=hubs)))


# ----------------------------------------------------------------------------- walk-in units
def test_attendances_per_unit_opening_hours_and_staff_by_hand():
    """Demand 0.2 a head: A1 200, A2 400, A3 600; M1 sees A1 (200), M2 sees A2 + A3 (1,000).

    Open 12 h of a 16-h arrival window on 5 days of 7: share = 12/16 * 5/7 = 15/28.
    Opening hours a year = 12 * 5 * 365 / 7 = 21,900 / 7 = 3,128.571 h.
    M2 within = 1,000 * 15/28 = 535.714, displaced = 1,000 * 13/28 = 464.286;
    seen per opening hour = (15,000/28) / (21,900/7) = 15,000 / 87,600 = 0.171233;
    at 0.1 patients a practitioner hour: 1.71233 staff, 2 on duty. M1: 3,000 / 87,600 = 0.034247
    -> 0.34247 staff, 1 on duty (at least one while open).
    """
    result = run(walk_in(), "M1", "M2")
    t = result.table("units").frame
    assert tuple(t.columns) == UNIT_COLUMNS
    assert list(t["site_code"]) == ["M1", "M2"]
    assert list(t["patients_per_year"]) == pytest.approx([200.0, 1000.0])
    assert list(t["within_opening_hours"]) == pytest.approx([200 * 15 / 28, 1000 * 15 / 28])
    assert list(t["displaced"]) == pytest.approx([200 * 13 / 28, 1000 * 13 / 28])
    assert list(t["opening_hours_per_year"]) == pytest.approx([21900 / 7] * 2)
    assert list(t["seen_per_opening_hour"]) == pytest.approx([3000 / 87600, 15000 / 87600])
    assert list(t["staff_per_opening_hour"]) == pytest.approx([0.342466, 1.712329], abs=1e-6)
    assert list(t["practitioners_on_duty"]) == [1.0, 2.0]
    assert t[["mean_occupied_beds", "beds_at_target_occupancy", "beds_for_refusal"]].isna().all().all()

    v = result.values()
    assert v["patients_per_unit_min"] == pytest.approx(200.0)
    assert v["patients_per_unit_max"] == pytest.approx(1000.0)
    assert v["share_within_threshold"] == pytest.approx(600 / 1200)  # A1 (10 min) and A2 (20 min, on the line)
    assert v["within_opening_hours_per_year"] == pytest.approx(1200 * 15 / 28)
    assert v["displaced_per_year"] == pytest.approx(1200 * 13 / 28)
    assert v["practitioner_hours_per_year"] == pytest.approx(3 * 21900 / 7)
    assert v["beds_needed"] is None and v["beds_for_refusal"] is None
    better = {m.key: m.better for m in result.measures}
    assert better["displaced_per_year"] == "lower" and better["share_within_threshold"] == "higher"
    assert "ASSUMED" in result.measure("displaced_per_year").note
    assert "not computed" in result.measure("beds_needed").note


def test_closing_a_unit_moves_its_attendances_to_the_next():
    """M1 alone: 1,200 attendances; within 20 min only A1 (200 of 1,200); 1,200 * 15/28 seen."""
    v = run(walk_in(), "M1").values()
    assert v["patients_per_unit_min"] == v["patients_per_unit_max"] == pytest.approx(1200.0)
    assert v["share_within_threshold"] == pytest.approx(1 / 6)
    assert v["within_opening_hours_per_year"] == pytest.approx(1200 * 15 / 28)
    # 1,200 * 15/28 / (21,900/7) = 0.2055 an hour / 0.1 = 2.055 staff -> 3 on duty
    assert v["practitioner_hours_per_year"] == pytest.approx(3 * 21900 / 7)


@pytest.mark.parametrize(
    ("hours", "days", "window", "share"),
    [
        (12.0, 7, 24.0, 0.5),        # evenly round the clock: half the day
        (24.0, 7, 24.0, 1.0),        # never closed
        (20.0, 7, 16.0, 1.0),        # open longer than the arrival window: every arrival on open days
        (8.0, 7, 16.0, 0.5),
        (16.0, 1, 16.0, 1 / 7),      # one day a week
    ],
)
def test_the_opening_hours_split(hours, days, window, share):
    result = run(walk_in(opening_hours_per_day=hours, opening_days_per_week=days, arrival_window_hours=window),
                 "M1", "M2")
    t = result.table("units").frame
    assert list(t["within_opening_hours"]) == pytest.approx([200 * share, 1000 * share])
    assert result.values()["displaced_per_year"] == pytest.approx(1200 * (1 - share), abs=1e-9)


def test_no_practitioner_rate_leaves_staffing_empty_and_says_so():
    parameters = {k: v for k, v in WALK_IN.items() if k != "patients_per_practitioner_hour"}
    service = Service(name="miu", kind="community", demand="population * 0.2", parameters=parameters)
    result = run(service, "M1", "M2")
    t = result.table("units").frame
    assert t["staff_per_opening_hour"].isna().all() and t["practitioners_on_duty"].isna().all()
    assert result.values()["practitioner_hours_per_year"] is None
    assert "no sourced figure for patients per practitioner hour" in result.measure("practitioner_hours_per_year").note


# ----------------------------------------------------------------------------- community beds
def beds_service(rate: float = 0.073, los: float = 10.0, **parameters: float) -> Service:
    return Service(name="beds", kind="community", demand=f"population_60_plus * {rate}",
                   length_of_stay_days=los, occupancy_target=0.85, parameters={**BEDS, **parameters})


def _hand_erlang_b(c: int, a: float) -> float:
    """Erlang B from the factorial formula (independent of the recurrence in hubplan)."""
    return (a ** c / math.factorial(c)) / sum(a ** k / math.factorial(k) for k in range(c + 1))


def test_beds_by_hand_on_a_small_load():
    """M1: 1,000 * 0.073 = 73 admissions a year x 10 days / 365 = 2 beds occupied on average.

    At 85%: ceil(2 / 0.85 = 2.35) = 3 beds. Erlang B(c, 2) by hand: B(5) = (32/120) / (1 + 2 + 2
    + 4/3 + 2/3 + 4/15) = 0.0367, B(6) = 0.0121, B(7) = 0.0034: 7 beds for 1% refusal, 5 for 5%.
    M2: 5,000 * 0.073 = 365 a year -> 10 beds occupied; ceil(10 / 0.85 = 11.8) = 12 at 85%.
    """
    assert _hand_erlang_b(5, 2.0) == pytest.approx(0.036697, abs=1e-6)
    assert _hand_erlang_b(6, 2.0) == pytest.approx(0.012085, abs=1e-6)
    assert _hand_erlang_b(7, 2.0) == pytest.approx(0.003441, abs=1e-6)
    result = run(beds_service(), "M1", "M2")
    t = result.table("units").frame
    assert list(t["patients_per_year"]) == pytest.approx([73.0, 365.0])
    assert list(t["displaced"]) == pytest.approx([0.0, 0.0])
    assert list(t["mean_occupied_beds"]) == pytest.approx([2.0, 10.0])
    assert list(t["beds_at_target_occupancy"]) == [3.0, 12.0]
    # M2's beds for 1%: the smallest c with B(c, 10) <= 0.01, from the factorial formula and from
    # hubplan.capacity.erlang_b called directly
    c10 = next(c for c in range(1, 60) if _hand_erlang_b(c, 10.0) <= 0.01)
    assert c10 == next(c for c in range(1, 60) if erlang_b(c, 10.0) <= 0.01) == 18
    assert list(t["beds_for_refusal"]) == [7.0, 18.0]
    v = result.values()
    assert v["beds_needed"] == 15.0 and v["beds_for_refusal"] == 25.0
    assert v["share_within_threshold"] == pytest.approx(1.0)  # every area within 30 min of a unit
    assert v["displaced_per_year"] == pytest.approx(0.0)
    assert "Erlang" in result.measure("beds_needed").note

    five = run(beds_service(refusal_target=0.05), "M1").table("units").frame
    # M1 alone: 6,000 * 0.073 = 438 a year -> 12 beds occupied; the factorial formula's smallest c
    c12 = next(c for c in range(1, 60) if _hand_erlang_b(c, 12.0) <= 0.05)
    assert list(five["mean_occupied_beds"]) == pytest.approx([12.0])
    assert list(five["beds_for_refusal"]) == [float(c12)]


def test_beds_are_sized_on_the_patients_seen_within_opening_hours():
    """Open 12 h of 24 every day: half of M2's 365 admissions are seen -> 5 beds occupied, ceil(5/0.85) = 6."""
    t = run(beds_service(opening_hours_per_day=12.0), "M1", "M2").table("units").frame
    assert list(t["within_opening_hours"]) == pytest.approx([36.5, 182.5])
    assert list(t["mean_occupied_beds"]) == pytest.approx([1.0, 5.0])
    assert list(t["beds_at_target_occupancy"]) == [2.0, 6.0]


def test_no_refusal_target_leaves_those_beds_empty():
    parameters = {k: v for k, v in BEDS.items() if k != "refusal_target"}
    service = Service(name="beds", kind="community", demand="population_60_plus * 0.073",
                      length_of_stay_days=10.0, parameters=parameters)
    result = run(service, "M1", "M2")
    assert result.table("units").frame["beds_for_refusal"].isna().all()
    assert result.values()["beds_for_refusal"] is None and result.values()["beds_needed"] == 15.0


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"opening_hours": 12.0}, "unknown parameter 'opening_hours'; expected one of access_threshold_minutes, "),
        ({"opening_hours_per_day": None}, "parameter 'opening_hours_per_day' has no value; give a number from 1 to 24"),
        ({"opening_hours_per_day": 25.0}, "parameter 'opening_hours_per_day' must be a number from 1 to 24 (hours a day), "
                                          "got 25"),
        ({"opening_days_per_week": 5.5}, "parameter 'opening_days_per_week' must be a whole number from 1 to 7"),
        ({"opening_days_per_week": 0}, "parameter 'opening_days_per_week' must be a whole number from 1 to 7"),
        ({"arrival_window_hours": 0.0}, "parameter 'arrival_window_hours' must be a number from 1 to 24"),
        ({"access_threshold_minutes": -5.0}, "parameter 'access_threshold_minutes' must be a number from 1 to 240"),
        ({"patients_per_practitioner_hour": 0.0}, "parameter 'patients_per_practitioner_hour' must be a number from "
                                                  "0.1 to 30"),
        ({"refusal_target": 1.0}, "parameter 'refusal_target' must be a number from 0.0001 to 0.5"),
    ],
)
def test_bad_parameters_are_refused_in_one_line(change, message):
    parameters = {**WALK_IN, **change}
    parameters = {k: v for k, v in parameters.items() if v is not None}
    service = Service(name="miu", kind="community", demand="population * 0.2", parameters=parameters)
    with pytest.raises(InputError) as info:
        run(service, "M1", "M2")
    text = str(info.value)
    assert text.startswith("service 'miu' (kind 'community'): ") and message in text and "\n" not in text


def test_spokes_are_refused():
    net = make_network([[10, 40], [35, 20], [50, 25]], [[0, 30], [30, 0]], demand=[1000.0, 2000.0, 3000.0],
                       site_codes=["M1", "M2"], demand_column="population")
    option = Option(name="hub and spoke", hubs=("M1",), spokes=("M2",), pathway=Pathway.TREAT_AND_TRANSFER)
    ev = evaluate(net, walk_in(), option)
    with pytest.raises(InputError, match=r"^option 'hub and spoke' \(kind 'community'\): .*list M2 as hubs") as info:
        assess(ev)
    assert "\n" not in str(info.value)


# ----------------------------------------------------------------------------- presets
@pytest.mark.parametrize("name", ["minor_injuries", "community_beds"])
def test_presets_load_with_a_source_for_every_parameter(name):
    service = Service.preset(name)
    assert service.kind == "community" and service.pathway == "direct"
    kind("community").check(service)
    assert set(service.parameters) == {p.name for p in kind("community").parameters}
    for param in service.parameters:
        src = service.sources[param]
        assert src.unit and src.confidence and src.key, param
        if src.key != "none":
            assert src.citation, param  # every key resolves in [sources]
        if service.parameters[param] is None:
            assert src.confidence == "none", param
    demand = service.demand_definition
    assert demand.is_proxy and "PROXY" in service.demand_label
    rows = {row["parameter"]: row for row in service.source_table()}
    assert set(service.parameters) <= set(rows)


def test_minor_injuries_preset_values():
    service = Service.preset("minor_injuries")
    assert service.demand_definition.expression == "population * 0.1566"
    assert service.length_of_stay_days is None
    assert service.parameters["patients_per_practitioner_hour"] is None
    # 12 h (8am-8pm, Ludlow) in a 17.14 h window: 12 / 17.14 = 70% of arrivals, the AIHW share 8am-8pm
    assert 12.0 / service.parameters["arrival_window_hours"] == pytest.approx(0.70, abs=1e-3)
    beds = Service.preset("community_beds")
    assert beds.demand_definition.expression == "population_60_plus * 0.01"
    assert beds.length_of_stay_days == 25.0 and beds.sources["length_of_stay_days"].confidence == "assumption"
    assert Service.preset("minor_injuries", parameters={"opening_hours_per_day": 13.5}).sources[
        "opening_hours_per_day"].key == "user override"


def test_england_population_for_the_minor_injuries_rate():
    """54,725,869 people in England's LSOAs of the network (the bundled file less the Isles of Scilly)."""
    with gzip.open(ROOT / "src/hubplan/geography/demographics/lsoa_demographics.csv.gz", "rt", encoding="utf-8") as f:
        rows = [row for row in csv.DictReader(f) if row["lsoa_code"].startswith("E")]
    people = sum(float(row["population"]) for row in rows if row["lsoa_code"] != "E01019077")
    assert people == 54_725_869
    assert round(8_569_180 / people, 4) == 0.1566


@pytest.mark.skipif(not AE.is_file(), reason=f"the A&E attendances are not at {AE}")
def test_minor_injuries_rate_is_the_derivation_from_the_ae_data():
    """England's type 3 and 4 ('other') attendances, April 2018 to March 2019, from the raw file."""
    with AE.open(encoding="utf-8") as f:
        rows = [row for row in csv.DictReader(f) if "2018-04-01" <= row["period"] <= "2019-03-01"]
    assert len({row["period"] for row in rows}) == 12
    other = sum(float(row["attendances"]) for row in rows if row["type"] == "other")
    assert other == 8_569_180
    rate = float(Service.preset("minor_injuries").demand_definition.expression.split("*")[1])
    assert rate == round(other / 54_725_869, 4)


@pytest.mark.slow
def test_minor_injuries_on_england_reproduces_the_national_total(england):
    """Over England's areas the demand is 0.1566 x 54,725,869 = 8,570,071 attendances a year (the
    2018-19 total, 8,569,180, within the rounding of the rate to 4 decimals); 12 / 17.14 of them are seen."""
    service = Service.preset("minor_injuries")
    hubs = tuple(england.site_codes[:6])
    result = assess(evaluate(england, service, Option(name="six units", hubs=hubs)))
    t = result.table("units").frame
    total = float(t["patients_per_year"].sum())
    assert total == pytest.approx(0.1566 * 54_725_869, rel=1e-9)
    assert abs(total - 8_569_180) <= 0.00005 * 54_725_869  # half a unit in the rate's last place
    assert float(t["within_opening_hours"].sum()) == pytest.approx(total * 12 / 17.14, rel=1e-9)
    assert result.values()["displaced_per_year"] == pytest.approx(total * (1 - 12 / 17.14), rel=1e-9)
    assert list(t["site_code"]) == list(hubs)


def test_installed_cli_evaluates_minor_injuries(tmp_path):
    """The hand-worked figures of the first test, through ``hubplan evaluate`` as users run it."""
    hubplan = Path(sys.executable).parent / "hubplan"
    data = tmp_path / "net"
    data.mkdir()
    (data / "areas.csv").write_text(
        "area_code,area_name,latitude,longitude,icb,population\n"
        "A1,A1,52.0,-1.0,R1,1000\nA2,A2,52.0,-1.0,R1,2000\nA3,A3,52.0,-1.0,R1,3000\n"
    )
    (data / "sites.csv").write_text("site_code,site_name,latitude,longitude\nM1,M1,52.0,-1.0\nM2,M2,52.0,-1.0\n")
    rows = [("A1", "M1", 10), ("A1", "M2", 40), ("A2", "M1", 35), ("A2", "M2", 20), ("A3", "M1", 50), ("A3", "M2", 25)]
    (data / "travel_times.csv").write_text("area_code,site_code,minutes\n" + "".join(f"{a},{s},{m}\n" for a, s, m in rows))
    base = [str(hubplan), "evaluate", "--data", str(data), "--service", "minor_injuries",
            "--demand", "population * 0.2", "--hubs", "M1,M2", "--format", "json"]
    args = list(base)
    for name, value in WALK_IN.items():
        args += ["--parameter", f"{name}={value}"]
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["kind"]
    assert result["kind"] == "community" and result["option"]
    measures = {m["key"]: m["value"] for m in result["measures"]}
    assert measures["patients_per_unit_min"] == pytest.approx(200.0)
    assert measures["share_within_threshold"] == pytest.approx(0.5)
    assert measures["displaced_per_year"] == pytest.approx(1200 * 13 / 28)
    assert measures["practitioner_hours_per_year"] == pytest.approx(3 * 21900 / 7)
    assert measures["beds_needed"] is None
    units = next(t for t in result["tables"] if t["key"] == "units")
    assert units["columns"] == list(UNIT_COLUMNS)
    assert {r["site_code"]: r["within_opening_hours"] for r in units["rows"]} == pytest.approx(
        {"M1": 200 * 15 / 28, "M2": 1000 * 15 / 28})
    assert {r["site_code"]: r["practitioners_on_duty"] for r in units["rows"]} == {"M1": 1.0, "M2": 2.0}
    assert all(r["beds_at_target_occupancy"] is None for r in units["rows"])  # no beds: null, not NaN
    no_beds = ("service 'minor_injuries' has no beds (a walk-in unit has no beds), so beds and consultants are not "
               "sized for it; its staff are among its own measures in `hubplan evaluate` (give --los if its "
               "patients do stay)")
    assert json.loads(done.stdout)["capacity"] == {"unavailable": no_beds}  # not "supply it with --los"
    capacity = [str(hubplan), "capacity", *base[2:-2]]
    refused = subprocess.run(capacity, capture_output=True, text=True)
    assert refused.returncode == 2 and refused.stderr.strip() == f"error: {no_beds}"
    stay = subprocess.run([*capacity, "--los", "0.5", "--format", "json"], capture_output=True, text=True)
    assert stay.returncode == 0, stay.stderr
    bad = subprocess.run([*base, "--parameter", "opening_hours_per_day=25"], capture_output=True, text=True)
    assert bad.returncode == 2
    message = bad.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert "parameter 'opening_hours_per_day' must be a number from 1 to 24 (hours a day), got 25" in message


def test_each_source_is_named_with_its_parameter_when_they_differ():
    from hubplan.kinds.community import _source_text

    preset = Service.preset("minor_injuries")
    days = preset.sources["opening_days_per_week"]
    same = f"{days.key}, confidence {days.confidence}"
    assert _source_text(preset, "opening_hours_per_day", "opening_days_per_week") == same  # one source for both
    changed = Service.preset("minor_injuries", parameters={"opening_hours_per_day": 13.5})
    assert _source_text(changed, "opening_hours_per_day", "opening_days_per_week") == (
        f"opening_hours_per_day: user override; opening_days_per_week: {same}")


def test_the_units_note_counts_one_hub_in_the_singular():
    one, two = run(walk_in(), "M1"), run(walk_in(), "M1", "M2")
    assert "Units are the option's 1 hub; every patient goes by car to the nearest one." in one.notes
    assert "Units are the option's 2 hubs; every patient goes by car to the nearest one." in two.notes
