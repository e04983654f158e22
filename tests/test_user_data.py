"""Users' CSV networks: a valid folder loads; every kind of bad input gets an exact message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hubplan import InputError, Option, Service, evaluate, load_csv_network

AREAS = "area_code,area_name,icb,patients\nA1,North,N,10\nA2,South,S,5\n"
SITES = "site_code,site_name,arterial\nH1,Hub One,1\nS1,Spoke One,0\n"
LONG = "area_code,site_code,minutes\nA1,H1,20\nA1,S1,10\nA2,H1,15\nA2,S1,30\n"
WIDE = "area_code,H1,S1\nA1,20,10\nA2,15,30\n"
SITE_TIMES = "from_site,to_site,minutes\nH1,S1,12\nS1,H1,12\n"


def folder(tmp_path: Path, **files: str) -> Path:
    content = {"areas": AREAS, "sites": SITES, "travel_times": LONG, "site_times": SITE_TIMES}
    content.update(files)
    for name, text in content.items():
        if text is not None:
            (tmp_path / f"{name}.csv").write_text(text)
    return tmp_path


def load(tmp_path: Path, **files: str):
    return load_csv_network(folder(tmp_path, **files))


def test_valid_folder_loads_and_evaluates(tmp_path):
    net = load(tmp_path)
    assert net.site_codes == ["H1", "S1"] and net.area_codes == ["A1", "A2"]
    assert net.capabilities == ("arterial",)
    assert net.sites_with("arterial") == ["H1"]
    assert net.demand("patients").tolist() == [10, 5]
    e = evaluate(net, Service(name="u", demand_column="patients", transfer_delay_minutes=60),
                 Option(name="tt", hubs=("H1",), spokes=("S1",), pathway="treat_and_transfer"))
    # A1 first seen at S1 (10) -> 10 + 60 + 12 = 82; A2 direct to H1 in 15
    assert e.areas["time_to_hub_minutes"].tolist() == [82, 15]
    assert e.summary["time_to_hub"]["mean"] == pytest.approx((82 * 10 + 15 * 5) / 15)


def test_wide_and_long_travel_times_agree(tmp_path):
    (tmp_path / "long").mkdir()
    (tmp_path / "wide").mkdir()
    long_net = load(tmp_path / "long")
    wide_net = load(tmp_path / "wide", travel_times=WIDE)
    np.testing.assert_array_equal(long_net.area_site_minutes, wide_net.area_site_minutes)


def test_missing_pair_in_long_form_means_no_route(tmp_path):
    net = load(tmp_path, travel_times="area_code,site_code,minutes\nA1,H1,20\nA2,H1,15\nA2,S1,30\n")
    assert np.isinf(net.area_site_minutes[0, 1])


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"areas": "code,patients\nA1,1\n"}, "areas.csv: missing column 'area_code' (found: code, patients)"),
        ({"areas": "area_code,patients\nA1,1\nA1,2\n"},
         "areas.csv row 3, column 'area_code': duplicate code 'A1' (first at row 2)"),
        ({"areas": "area_code,patients\nA1,1\n,2\n"}, "areas.csv row 3, column 'area_code': expected a code, got an empty cell"),
        ({"areas": "area_code,patients\nA1,1\nA2,-4\n"},
         "areas.csv row 3, column 'patients': expected patients per year (a number >= 0), got '-4'"),
        ({"areas": "area_code,patients\nA1,\nA2,3\n"},
         "areas.csv row 2, column 'patients': expected patients per year (a number >= 0), got an empty cell"),
        ({"areas": "area_code,patients\nA1,many\nA2,3\n"},
         "areas.csv row 2, column 'patients': expected patients per year (a number >= 0), got 'many'"),
        ({"areas": "area_code,area_name\nA1,x\nA2,y\n"}, "areas.csv: no demand column"),
        ({"areas": "area_code,patients,latitude\nA1,1,52\nA2,1,52\n"}, "areas.csv: give both 'latitude' and 'longitude'"),
        ({"areas": "area_code,patients,latitude,longitude\nA1,1,95,0\nA2,1,52,0\n"},
         "areas.csv row 2, column 'latitude': expected degrees between -90 and 90, got '95'"),
        ({"sites": "site_code,arterial\nH1,1\nH1,0\n"},
         "sites.csv row 3, column 'site_code': duplicate code 'H1' (first at row 2)"),
        ({"sites": "site_code,arterial\nH1,maybe\nS1,0\n"},
         "sites.csv row 2, column 'arterial': expected a capability flag (1/0, true/false, yes/no), got 'maybe'"),
        ({"sites": "site_code,arterial\nH1,1\nS1,\n"},
         "sites.csv row 3, column 'arterial': expected a capability flag (1/0, true/false, yes/no), got an empty "
         "cell (write 0 for a site without it)"),
        ({"travel_times": "area_code,site_code,minutes\nA1,H1,20\nA1,S1,-10\nA2,H1,15\n"},
         "travel_times.csv row 3, column 'minutes': expected minutes (a number >= 0), got '-10'"),
        ({"travel_times": "area_code,site_code,minutes\nA1,H1,20\nA1,S1,NaN\nA2,H1,15\n"},
         "travel_times.csv row 3, column 'minutes': expected minutes (a number >= 0), got 'NaN'"),
        ({"travel_times": "area_code,site_code,minutes\nA1,H1,20\nA1,S1,ten\nA2,H1,15\n"},
         "travel_times.csv row 3, column 'minutes': expected minutes (a number >= 0), got 'ten'"),
        ({"travel_times": "area_code,site_code,minutes\nA1,H1,20\nA9,S1,10\nA2,H1,15\n"},
         "travel_times.csv row 3, column 'area_code': unknown code 'A9' (not in areas.csv)"),
        ({"travel_times": "area_code,site_code,minutes\nA1,H1,20\nA1,X1,10\nA2,H1,15\n"},
         "travel_times.csv row 3, column 'site_code': unknown code 'X1' (not in sites.csv)"),
        ({"travel_times": "area_code,site_code,minutes\nA1,H1,20\nA1,H1,25\nA2,S1,15\n"},
         "travel_times.csv row 3: duplicate pair 'A1' -> 'H1' (first at row 2)"),
        ({"travel_times": "area_code,site_code,minutes\nA1,H1,20\nA1,S1,10\n"},
         "areas.csv row 3: area 'A2' has no travel time to any site in travel_times.csv (1 such areas)"),
        ({"travel_times": "area_code,site_code,minutes\nA1,H1,20\nA2,H1,10\n"},
         "sites.csv row 3: site 'S1' has no travel time from any area in travel_times.csv"),
        ({"travel_times": "area_code,H1,S1\nA1,20,\nA2,15,30\n"},
         "travel_times.csv row 2, column 'S1': expected minutes (a number >= 0), got an empty cell"),
        ({"travel_times": "area_code,H1,Z9\nA1,20,1\nA2,15,30\n"}, "travel_times.csv: column 'Z9' is not a site code in sites.csv"),
        ({"travel_times": "from,to,time\nA1,H1,1\n"}, "travel_times.csv: expected long columns area_code, site_code, minutes or a wide table"),
        ({"site_times": "from_site,to_site,minutes\nH1,S1,-1\n"},
         "site_times.csv row 2, column 'minutes': expected minutes (a number >= 0), got '-1'"),
        ({"areas": ""}, "areas.csv: the file is empty"),
        ({"areas": "area_code,patients\n"}, "areas.csv: no data rows"),
    ],
)
def test_bad_input_messages(tmp_path, files, message):
    with pytest.raises(InputError) as info:
        load(tmp_path, **files)
    assert message in str(info.value)


def test_missing_file(tmp_path):
    folder(tmp_path)
    (tmp_path / "sites.csv").unlink()
    with pytest.raises(InputError, match=r"sites.csv: file not found"):
        load_csv_network(tmp_path)


# ----------------------------------------------------------------------------- region columns are optional
HUBPLAN = str(Path(sys.executable).parent / "hubplan")


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUBPLAN_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "120"}
    return subprocess.run([HUBPLAN, *args], capture_output=True, text=True, env=env, cwd=tmp_path)


NO_REGIONS = "area_code,area_name,patients\nA1,North,10\nA2,South,5\n"
ISDN_ONLY = "area_code,area_name,isdn,patients\nA1,North,N,10\nA2,South,S,5\n"


@pytest.mark.parametrize("command", [
    ["evaluate", "--hubs", "H1", "--pathway", "direct"],
    ["compare", "--a-hubs", "H1", "--a-pathway", "direct", "--b-hubs", "S1"],
    ["optimise", "--k", "1", "--pathway", "direct"],
])
def test_a_network_without_region_columns_is_one_region(tmp_path, command):
    # no region column: every area is in the region "(none)"; by hand, H1 alone serves A1 in
    # 20 and A2 in 15 minutes (mean (20 x 10 + 15 x 5) / 15), S1 in 10 and 30
    (tmp_path / "net").mkdir()
    folder(tmp_path / "net", areas=NO_REGIONS)
    res = run_cli(tmp_path, *command, "--data", "net", "--demand", "patients", "--format", "json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    regions = doc["regions"] if command[0] != "optimise" else doc["evaluation"]["regions"]
    assert [(r["region_type"], r["region"], r["patients"]) for r in regions] == [("icb", "(none)", 15.0)]
    if command[0] == "evaluate":
        assert regions[0]["time_to_hub"]["mean"] == pytest.approx((20 * 10 + 15 * 5) / 15)
    if command[0] == "compare":  # B (S1) is 10 shorter for A1 (10 patients), 15 longer for A2 (5)
        assert regions[0]["patients_shorter"] == 10 and regions[0]["patients_longer"] == 5
    table = run_cli(tmp_path, *command, "--data", "net", "--demand", "patients")
    assert table.returncode == 0, table.stderr
    bad = run_cli(tmp_path, *command, "--data", "net", "--demand", "patients", "--by", "county")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip() == ("error: unknown --by region type 'county': expected one of country, "
                                  "ambulance_service, isdn, icb, sicbl")


def test_the_default_region_type_is_the_one_the_areas_have(tmp_path):
    (tmp_path / "net").mkdir()
    folder(tmp_path / "net", areas=ISDN_ONLY)
    res = run_cli(tmp_path, "evaluate", "--data", "net", "--demand", "patients", "--hubs", "H1", "--pathway",
                  "direct", "--format", "json")
    assert res.returncode == 0, res.stderr
    assert [(r["region_type"], r["region"], r["patients"]) for r in json.loads(res.stdout)["regions"]] == [
        ("isdn", "N", 10.0), ("isdn", "S", 5.0)]
    bad = run_cli(tmp_path, "evaluate", "--data", "net", "--demand", "patients", "--hubs", "H1", "--pathway",
                  "direct", "--by", "icb")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: unknown --by region type 'icb': expected one of isdn"


def test_an_appraisal_of_a_network_without_region_columns(tmp_path):
    (tmp_path / "net").mkdir()
    folder(tmp_path / "net", areas=NO_REGIONS)
    (tmp_path / "s.toml").write_text(
        'schema_version = 1\ntitle = "t"\n[network]\ndata = "net"\n[service]\npreset = "thrombectomy"\n'
        'demand = "patients"\n[[options]]\nname = "H"\nhubs = ["H1"]\npathway = "direct"\n'
        '[[options]]\nname = "S"\nhubs = ["S1"]\npathway = "direct"\n')
    res = run_cli(tmp_path, "appraise", "s.toml", "--format", "json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    # by hand: H1 serves A1 in 20, A2 in 15 (mean 275/15); S1 in 10 and 30 (mean 250/15)
    means = {o["option"]["name"]: o["summary"]["time_to_hub"]["mean"] for o in doc["options"]}
    assert means == pytest.approx({"H": 275 / 15, "S": 250 / 15})
    assert doc["region_type"] == "icb"


def test_compare_prints_who_gains_and_who_loses_by_region(tmp_path):
    # by hand: A = H1 (A1 20 min, A2 15), B = S1 (A1 10, A2 30); ICB N is A1's 10 patients
    # (10 shorter, -10.0), ICB S A2's 5 (5 longer, +15.0): the largest rise first
    (tmp_path / "net").mkdir()
    folder(tmp_path / "net")
    res = run_cli(tmp_path, "compare", "--data", "net", "--demand", "patients", "--a-hubs", "H1",
                  "--a-pathway", "direct", "--b-hubs", "S1")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Who gains and who loses by ICB"))
    rows = [line.strip("│ ").split("│") for line in lines[start:start + 8] if line.startswith("│")]
    assert [[c.strip() for c in r] for r in rows] == [["S", "5", "5", "0", "+15.0", "15.0", "30.0"],
                                                      ["N", "10", "0", "10", "-10.0", "20.0", "10.0"]]
