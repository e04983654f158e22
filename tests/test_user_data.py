"""Users' CSV networks: a valid folder loads; every kind of bad input gets an exact message."""

from __future__ import annotations

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
