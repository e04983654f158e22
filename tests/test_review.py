"""``hubplan review``: units CSV, per-ICS funnel and SPC, on a tiny network and as users run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hubplan.errors import InputError
from hubplan.planning.review import read_units_csv, review
from hubplan.services import Service
from hubplan.testing import make_network

HUBPLAN = Path(sys.executable).parent / "hubplan"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "elective_hubs_review"


def tiny():
    #     minutes   U1  U2   people (0-15, 16-59, 60+)   ICS
    #     A1        10  20   1000 3000 1000               X
    #     A2        15  30      0    0 2000               X
    #     A3        40  12    500 1000  500               Y
    net = make_network([[10, 20], [15, 30], [40, 12]], site_codes=["U1", "U2"], area_regions=["X", "X", "Y"])
    net.areas["population_0_15"] = [1000.0, 0.0, 500.0]
    net.areas["population_16_59"] = [3000.0, 0.0, 1000.0]
    net.areas["population_60_plus"] = [1000.0, 2000.0, 500.0]
    net.areas.attrs["demand_columns"] = ["population_0_15", "population_16_59", "population_60_plus"]
    return net


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "units.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_review_of_a_tiny_network(tmp_path):
    # one session x 5 cases x 4 weeks x 0.5 = 10 a unit; U1 with 2 sessions from the CSV = 20
    svc = Service(name="hand", title="hand", kind="elective", demand="population_60_plus * 0.01",
                  parameters=dict(sessions_per_week=1, cases_per_session=5, weeks_per_year=4,
                                  utilisation_target=0.5, overflow=1))
    units = read_units_csv(write(tmp_path, "site_code,sessions_per_week\nU1,2\nU2,1\n"), tiny())
    rv = review(tiny(), svc, units, units_source="units.csv", illustrative=True)
    # demand 10, 20, 5; pairs by minutes: A1-U1 10 (10), A3-U2 12 (5), A2-U1 15 (U1's last 10),
    # A1-U2 20 (A1 done), A2-U2 30 (U2's last 5): 5 of A2 untreated
    ics = rv.ics.set_index("icb")
    assert ics.loc["X", "residents_treated_per_year"] == pytest.approx(25)
    assert ics.loc["X", "waiting_list_change_per_year"] == pytest.approx(5)
    assert ics.loc["X", "capacity_per_100k"] == pytest.approx(20 / 7000 * 1e5)
    assert ics.loc["Y", "activity_per_year"] == pytest.approx(10)  # U2: A3's 5 and 5 of A2
    providers = rv.funnel.providers.set_index("provider")
    assert providers.loc["X", "numerator"] == pytest.approx(25)
    assert providers.loc["X", "denominator"] == pytest.approx(7000)
    assert rv.funnel.target == pytest.approx(30 / 9000)  # pooled rate: residents treated / people
    doc = rv.to_json()
    assert doc["illustrative"] and "ILLUSTRATIVE" in doc["notes"][0]
    assert doc["variation"]["capacity_per_100k"]["highest"]["icb"] == "Y"  # 10 / 2,000 against 20 / 7,000
    assert doc["variation"]["capacity_per_100k"]["ratio_highest_to_lowest"] == pytest.approx(500 / (20 / 7000 * 1e5))
    assert doc["spc"] is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("site_code,sessions_per_week\nU1,2\nU9,1\n", "units.csv row 3, column 'site_code': 'U9' is not a site"),
        ("site_code,sessions_per_week\nU1,2\nU1,1\n", "units.csv row 3, column 'site_code': site U1 is listed twice"),
        ("site_code,sessions_per_week\nU1,-2\n", "units.csv row 2, column 'sessions_per_week': expected a number "
                                                 "from 0 to 1000 (theatre sessions a week per unit), got '-2'"),
        ("site_code,sessions_per_week\nU1,\n", "row 2, column 'sessions_per_week': expected a number"),
        ("site_code,theatres\nU1,2\n", "units.csv row 1, column 2: unknown column 'theatres'"),
        ("code,sessions_per_week\nU1,2\n", "units.csv row 1, column 1: unknown column 'code'"),
        ("site_code,sessions_per_week\n", "units.csv: no units"),
    ],
)
def test_units_csv_errors_name_row_and_column(tmp_path, text, message):
    with pytest.raises(InputError) as info:
        read_units_csv(write(tmp_path, text), tiny())
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_units_of_the_other_capacity_are_refused(tmp_path):
    units = read_units_csv(write(tmp_path, "site_code,scanner_hours_per_week\nU1,84\n"), tiny())
    with pytest.raises(InputError, match="units.csv: column 'scanner_hours_per_week' does not fit service "
                                         "'elective_surgical_hub', whose capacity is sessions_per_week x "
                                         "cases_per_session"):
        review(tiny(), Service.preset("elective_surgical_hub"), units, units_source="units.csv")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HUBPLAN), *args], capture_output=True, text=True, cwd=cwd)


def test_a_preset_of_another_kind_is_refused(tmp_path):
    done = run("review", str(write(tmp_path, "site_code\nX\n")), "--preset", "thrombectomy")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--preset thrombectomy: a preset of kind 'emergency'" in lines[0]


def test_an_unknown_preset_lists_the_elective_presets_only(tmp_path):
    units = str(write(tmp_path, "site_code\nX\n"))
    done = run("review", units, "--preset", "cdc")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: --preset cdc: not a preset; expected an elective preset (elective_surgical_hub, "
        "community_diagnostic_centre) (did you mean community_diagnostic_centre?)"]


def test_a_bad_units_row_is_one_line(tmp_path):
    path = write(tmp_path, "site_code,sessions_per_week\nB152TH,30\nB152TH,15\n")
    done = run("review", str(path), "--format", "json")
    assert done.returncode == 2 and done.stdout == ""
    lines = [line for line in done.stderr.strip().splitlines() if line.startswith("error")]
    assert lines == [f"error: {path} row 3, column 'site_code': site B152TH is listed twice (also row 2); "
                     "expected one row per unit"]


@pytest.mark.slow
def test_the_illustrative_example_as_users_run_it(tmp_path):
    units = EXAMPLE / "surgical_hubs_illustrative.csv"
    done = run("review", str(units), "--illustrative", "--activity", str(EXAMPLE / "monthly_activity_ae_england.csv"),
               "--activity-group", "type", "--format", "json", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["illustrative"] is True
    table = pd.read_csv(units)
    # capacity = sessions x 8 cases x 48 weeks x 0.85 (the preset), from the CSV itself
    assert doc["measures"]["capacity_per_year"] == pytest.approx((table["sessions_per_week"] * 8 * 48 * 0.85).sum())
    assert doc["measures"]["activity_per_year"] + doc["measures"]["unmet_demand_per_year"] == pytest.approx(
        doc["measures"]["demand_per_year"])
    ics = next(t for t in doc["kind"]["tables"] if t["key"] == "ics")
    assert len(ics["rows"]) == 42 and len(doc["funnel"]["providers"]) == 42
    assert sum(r["population"] for r in ics["rows"]) == pytest.approx(54_725_869)  # England, mid-2015
    assert [c["group"] for c in doc["spc"]["charts"]] == ["1", "2", "other"]
    page = (tmp_path / "out" / "review.html").read_text(encoding="utf-8")
    assert "ILLUSTRATIVE" in page and "data:image/png;base64," in page
    for name in ("review.json", "units.csv", "ics.csv", "funnel.png", "spc/spc.json", "review.xlsx"):
        assert (tmp_path / "out" / name).exists(), name
    from workbook_check import assert_workbook_holds_the_csvs

    assert_workbook_holds_the_csvs(tmp_path / "out" / "review.xlsx", tmp_path / "out", ["units", "ics"])
    assert not list((tmp_path / "out").glob(".review-*"))


def test_the_terminal_shows_the_funnels_figures():
    """The table output gives the funnel's target (England's pooled rate: activity over
    population) and each ICS outside the 95% limits with its rate and limits, as in the JSON."""
    units = str(EXAMPLE / "surgical_hubs_illustrative.csv")
    doc = json.loads(run("review", units, "--illustrative", "--format", "json").stdout)
    shown = subprocess.run([str(HUBPLAN), "review", units, "--illustrative"], capture_output=True, text=True,
                           env={**os.environ, "COLUMNS": "160"})
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    england = doc["measures"]["activity_per_year"] / 54_725_869 * 100_000  # England's population, mid-2015
    head = next(line for line in lines if line.startswith("Funnel of activity per 100,000 by ICS"))
    assert head.startswith(f"Funnel of activity per 100,000 by ICS: England {england:,.1f}; ")
    outside = sorted((p for p in doc["funnel"]["providers"] if p["flag"] != "in_control"),
                     key=lambda p: -p["value"])
    assert len(outside) > 0
    at = lines.index(next(line for line in lines if line.startswith("ICSs outside the funnel's 95% limits")))
    rows = [[c.strip() for c in line.strip("│").split("│")] for line in lines[at:] if line.startswith("│")]
    assert rows[:len(outside)] == [
        [p["provider"].removeprefix("NHS ").removesuffix(" Integrated Care Board"), f"{p['value']:,.1f}",
         f"{p['lower_95']:,.1f}-{p['upper_95']:,.1f}", f"{p['lower_998']:,.1f}-{p['upper_998']:,.1f}",
         p["flag"].replace("_", " ")] for p in outside]
    assert all(p["value"] < p["lower_95"] or p["value"] > p["upper_95"] for p in outside)
