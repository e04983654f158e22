"""--site-capabilities: set capabilities (e.g. an obstetric unit, an alongside midwife-led unit)
of sites already in the network, keeping their real road minutes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hubplan.errors import InputError
from hubplan.geography.user import read_site_capabilities, with_site_capabilities
from hubplan.testing import tiny_network

HUBPLAN = Path(sys.executable).parent / "hubplan"


def _caps(tmp_path: Path, text: str, name: str = "caps.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_listed_sites_take_the_flags_others_false_and_minutes_unchanged(tmp_path):
    net = tiny_network()
    flags = read_site_capabilities(_caps(tmp_path, "site_code,obstetric_unit,alongside_mlu\nH2,1,yes\nS1,true,0\n"))
    out = with_site_capabilities(net, flags)
    assert out.sites["obstetric_unit"].tolist() == [False, True, True]
    assert out.sites["alongside_mlu"].tolist() == [False, True, False]
    assert set(out.capabilities) == set(net.capabilities) | {"obstetric_unit", "alongside_mlu"}
    assert out.sites_with("obstetric_unit") == ["H2", "S1"]
    assert np.array_equal(out.area_site_minutes, net.area_site_minutes)
    assert "obstetric_unit" not in net.sites.columns  # the original is untouched
    assert any("caps.csv" in n for n in out.notes)


def test_an_existing_capability_is_overwritten_only_for_listed_sites(tmp_path):
    net = tiny_network()
    cap = net.capabilities[0]
    before = net.sites[cap].tolist()
    out = with_site_capabilities(net, read_site_capabilities(_caps(tmp_path, f"site_code,{cap}\nS1,1\n")))
    assert out.sites[cap].tolist() == [*before[:2], True]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("site_code,obstetric_unit\nH1,1\nNOPE,1\n",
         "caps.csv row 3, column 'site_code': no site 'NOPE' in the network (new sites go in --add-sites)"),
        ("site_code,obstetric_unit\nH1,maybe\n",
         "caps.csv row 2, column 'obstetric_unit': expected a capability flag (1/0, true/false, yes/no), got 'maybe'"),
        ("site_code,obstetric_unit,alongside_mlu\nH1,1,\n",
         "caps.csv row 2, column 'alongside_mlu': expected a capability flag (1/0, true/false, yes/no), got an "
         "empty cell (write 0 for a site without it)"),
        ("site_code\nH1\n", "caps.csv: no capability columns"),
        ("obstetric_unit\n1\n", "caps.csv: missing column 'site_code'"),
        ("site_code,latitude\nH1,52\n", "caps.csv, column 'latitude': not a capability"),
        ("site_code,obstetric_unit\nH1,1\nH1,0\n", "caps.csv row 3, column 'site_code'"),
    ],
)
def test_bad_files_are_named_by_row_and_column(tmp_path, text, message):
    with pytest.raises(InputError) as info:
        with_site_capabilities(tiny_network(), read_site_capabilities(_caps(tmp_path, text)))
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.slow
def test_the_installed_command_sets_capabilities_of_bundled_sites(tmp_path):
    caps = _caps(tmp_path, "site_code,obstetric_unit\nSO166YD,1\nPO63LY,1\n")
    res = subprocess.run([str(HUBPLAN), "sites", "--region", "Wessex", "--site-capabilities", str(caps),
                          "--capability", "obstetric_unit", "--format", "json"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert sorted(s["site_code"] for s in json.loads(res.stdout)) == ["PO63LY", "SO166YD"]
    bad = _caps(tmp_path, "site_code,obstetric_unit\nXX1,1\n", "bad.csv")
    res = subprocess.run([str(HUBPLAN), "sites", "--region", "Wessex", "--site-capabilities", str(bad)],
                         capture_output=True, text=True)
    assert res.returncode == 2 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.csv row 2, column 'site_code': no site 'XX1' in the network" in lines[0]
