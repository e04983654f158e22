"""The bundled LSOA demographics, checked against the published files read here with plain csv.

The raw files are the open data under ``shared/data/`` beside the repository (see its
``SOURCE.txt``); tests that need them skip when they are absent. Expected values are
computed in the tests from those files (or are published counts, cited), never taken from
hubplan's output.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hubplan.geography.bundled import DEMAND_COLUMNS, demographics_path
from hubplan.errors import InputError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
REPO = Path(__file__).resolve().parents[1]
HUBPLAN = str(Path(sys.executable).parent / "hubplan")
BUILD = REPO / "tools" / "build_demographics.py"

needs_shared = pytest.mark.skipif(
    not (SHARED / "lsoa_demographics").is_dir() or not (SHARED / "births_by_lsoa").is_dir(),
    reason=f"the raw open-data files are not at {SHARED} (lsoa_demographics/, births_by_lsoa/)",
)

ATTRIBUTES = ("imd_rank", "imd_decile", "imd_quintile", "core20", "wimd_rank", "wimd_decile",
              "wimd_quintile", "ruc11_code", "ruc11_name", "rural_urban")

#: ONS 2011 Rural-Urban Classification of LSOAs: the eight classes and their names (ONS,
#: "2011 rural-urban classification", ons.gov.uk/methodology/geography/geographicalproducts/
#: ruralurbanclassifications/2011ruralurbanclassification, and the RUC2011 user guide), with
#: the three groups of the brief: urban = in a built-up area of 10,000 people or more.
RUC = {
    "A1": ("Urban major conurbation", "urban"),
    "B1": ("Urban minor conurbation", "urban"),
    "C1": ("Urban city and town", "urban"),
    "C2": ("Urban city and town in a sparse setting", "urban"),
    "D1": ("Rural town and fringe", "rural town and fringe"),
    "D2": ("Rural town and fringe in a sparse setting", "rural town and fringe"),
    "E1": ("Rural village and dispersed", "rural village and dispersed"),
    "E2": ("Rural village and dispersed in a sparse setting", "rural village and dispersed"),
}


def raw_rows(relative: str) -> list[list[str]]:
    """Every row of a raw file, header included (gzip or not, with or without a BOM)."""
    path = SHARED / relative
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def number(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.fixture(scope="module")
def raw() -> dict[str, list[list[str]]]:
    if not (SHARED / "lsoa_demographics").is_dir():
        pytest.skip(f"the raw open-data files are not at {SHARED}")
    return {
        "imd": raw_rows("lsoa_demographics/iod2019_file1_imd_lsoa.csv.gz"),
        "pop": raw_rows("lsoa_demographics/iod2019_file6_population_lsoa.csv.gz"),
        "ruc": raw_rows("lsoa_demographics/rural_urban_classification_2011_lsoa.csv"),
        "wimd": raw_rows("lsoa_demographics/wimd2019_ranks.csv"),
        "births": raw_rows("births_by_lsoa/predicted_demand_by_lsoa.csv"),
    }


@pytest.fixture(scope="module")
def packaged() -> dict[str, dict[str, str]]:
    """The packaged file read with plain csv: LSOA code -> row of text."""
    text = gzip.decompress(demographics_path().read_bytes()).decode("utf-8")
    return {row["lsoa_code"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}


# ----------------------------------------------------------------------- the raw sources
@needs_shared
def test_raw_files_hold_every_lsoa_of_england_and_wales(raw) -> None:
    # The IoD2019 statistical release (MHCLG, 26 September 2019): "relative levels of
    # deprivation in 32,844 small areas or neighbourhoods, called Lower-layer Super Output
    # Areas, in England". Wales has 1,909 LSOAs (2011), so the RUC covers 34,753.
    imd, pop, ruc, wimd, births = (raw[k] for k in ("imd", "pop", "ruc", "wimd", "births"))
    assert len(imd) == 32_845 and len(imd) - 1 == 32_844  # header + one row per LSOA
    assert len(pop) == 32_845
    assert len(wimd) == 1_910
    assert len(ruc) == 34_754 and len(ruc) - 1 == 32_844 + 1_909
    assert len(births) == 32_844  # header + 32,843 LSOAs: one English LSOA is missing
    assert imd[0][0] == "LSOA code (2011)" and ruc[0][0] == "LSOA11CD"  # the BOM is gone
    assert pop[1][4] == "1,296"  # thousands separators, as published
    assert births[0][5:] == [""] * 9  # trailing unnamed columns


# ----------------------------------------------------------------------- the packaged file
@needs_shared
def test_packaged_file_has_the_published_values(raw, packaged) -> None:
    assert len(packaged) == 34_753
    ruc = {r[0]: r for r in raw["ruc"][1:]}
    assert set(packaged) == set(ruc)
    for code, row in ruc.items():
        got = packaged[code]
        assert (got["ruc11_code"], got["ruc11_name"]) == (row[2], row[3])
        assert (got["ruc11_name"], got["rural_urban"]) == RUC[row[2]]
    for r in raw["imd"][1:]:
        got = packaged[r[0]]
        decile = int(r[5])
        assert (int(got["imd_rank"]), int(got["imd_decile"])) == (number(r[4]), decile)
        assert int(got["imd_quintile"]) == (decile + 1) // 2
        assert got["core20"] == ("1" if decile <= 2 else "0")
        assert got["wimd_rank"] == got["wimd_decile"] == got["wimd_quintile"] == ""
    for r in raw["pop"][1:]:
        got = packaged[r[0]]
        assert [int(got[c]) for c in ("population", "population_0_15", "population_16_59",
                                       "population_60_plus")] == [number(v) for v in r[4:8]]
    header = raw["wimd"][0]
    at = {name: header.index(name) for name in ("WIMD2019_Rank", "WIMD2019_Decile", "WIMD2019_Quintile")}
    for r in raw["wimd"][1:]:
        got = packaged[r[0]]
        assert [got["wimd_rank"], got["wimd_decile"], got["wimd_quintile"]] == [r[i] for i in at.values()]
        # unknown in Wales, never 0
        for column in ("population", "population_0_15", "population_16_59", "population_60_plus",
                       "births", "imd_rank", "imd_decile", "imd_quintile", "core20"):
            assert got[column] == ""


@needs_shared
def test_packaged_births_join_by_name(raw, packaged) -> None:
    code_of = {r[1]: r[0] for r in raw["imd"][1:]}
    births = raw["births"][1:]
    assert all(r[0] in code_of for r in births)  # every births name is an IoD2019 LSOA name
    for name, value, *_ in births:
        assert float(packaged[code_of[name]]["births"]) == float(value)
    empty = sorted(c for c, row in packaged.items() if c.startswith("E") and row["births"] == "")
    assert empty == ["E01019077"]  # Isles of Scilly 001A has no row in the births file
    total = sum(float(r[1]) for r in births)
    assert sum(float(r["births"]) for r in packaged.values() if r["births"]) == pytest.approx(total, rel=1e-12)
    assert total == pytest.approx(638_273.1, abs=0.05)


@needs_shared
def test_build_script_reproduces_the_packaged_file(tmp_path) -> None:
    res = subprocess.run([sys.executable, str(BUILD), "--data", str(SHARED), "--out", str(tmp_path)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "lsoa_demographics.csv.gz").read_bytes() == demographics_path().read_bytes()
    assert (tmp_path / "SOURCE.md").read_text() == (demographics_path().parent / "SOURCE.md").read_text()
    assert "row 24, column 14" in res.stdout  # the stray '<' in an unnamed births column is reported


@needs_shared
def test_build_script_stops_on_an_unmatched_births_name(tmp_path) -> None:
    data = tmp_path / "data"
    shutil.copytree(SHARED / "lsoa_demographics", data / "lsoa_demographics")
    (data / "births_by_lsoa").mkdir()
    text = (SHARED / "births_by_lsoa" / "predicted_demand_by_lsoa.csv").read_text(encoding="utf-8")
    (data / "births_by_lsoa" / "predicted_demand_by_lsoa.csv").write_text(
        text.replace("Welwyn Hatfield 010F,", "Welwyn Hatfeild 010F,", 1), encoding="utf-8")
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, str(BUILD), "--data", str(data), "--out", str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert "1 LSOA names are not LSOA names" in res.stderr and "row 2 'Welwyn Hatfeild 010F'" in res.stderr
    assert not out.exists()  # nothing written


@needs_shared
def test_build_script_stops_on_a_malformed_number(tmp_path) -> None:
    data = tmp_path / "data"
    shutil.copytree(SHARED, data, ignore=shutil.ignore_patterns("ssnap_samuel", "nhse_ae_attendances"))
    path = data / "lsoa_demographics" / "iod2019_file6_population_lsoa.csv.gz"
    text = gzip.decompress(path.read_bytes()).decode("utf-8-sig")
    path.chmod(0o644)
    path.write_bytes(gzip.compress(text.replace('"1,296"', '"1,29"', 1).encode()))
    res = subprocess.run([sys.executable, str(BUILD), "--data", str(data), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.strip() == (
        "error: lsoa_demographics/iod2019_file6_population_lsoa.csv.gz row 2, column 'Total population: "
        "mid 2015 (excluding prisoners)': expected a whole number such as 1296 or 1,296, got '1,29'"
    )


# ----------------------------------------------------------------------- the bundled network
def test_columns_are_demand_or_attributes_with_sources(bundled) -> None:
    areas = bundled.areas
    assert bundled.demand_columns == ("stroke_admissions", "births", "population", "population_0_15",
                                      "population_16_59", "population_60_plus")
    assert tuple(DEMAND_COLUMNS) == bundled.demand_columns
    assert set(ATTRIBUTES) <= set(areas.columns) and not set(ATTRIBUTES) & set(bundled.demand_columns)
    sources = areas.attrs["column_sources"]
    assert set(sources) == set(areas.columns) == set(areas.attrs["column_descriptions"])
    assert "File 6" in sources["population"] and "1901_birth_centre_location" in sources["births"]
    assert "Welsh Index of Multiple Deprivation 2019" in sources["wimd_decile"]
    assert "Rural-Urban Classification" in sources["ruc11_code"]
    wessex = bundled.restrict(region="Wessex")
    assert wessex.areas.attrs["column_sources"] == sources and wessex.demand_columns == bundled.demand_columns


def test_every_english_area_has_imd_and_every_welsh_area_wimd(bundled) -> None:
    areas = bundled.areas
    england = (areas["country"] == "England").to_numpy()
    assert england.sum() == 32_843 and (~england).sum() == 1_909
    for index, present, absent in (("imd", england, ~england), ("wimd", ~england, england)):
        decile = areas[f"{index}_decile"]
        assert decile[present].notna().all() and decile[absent].isna().all()
        assert set(decile[present].astype(int)) == set(range(1, 11))
        quintile = areas[f"{index}_quintile"][present].astype(int)
        assert (quintile == np.ceil(decile[present].astype(int) / 2)).all()
    core20 = areas["core20"]
    assert core20[~england].isna().all()
    assert (core20[england].astype(bool) == (areas["imd_decile"][england].astype(int) <= 2)).all()
    assert areas["ruc11_code"].notna().all()
    assert (areas["rural_urban"] == areas["ruc11_code"].map(lambda c: RUC[c][1])).all()
    assert areas.loc[~england, list(DEMAND_COLUMNS[1:])].isna().all().all()  # unknown, not 0
    assert any("unknown (empty, not zero) for every LSOA in Wales" in n for n in bundled.notes)


@needs_shared
def test_network_totals_equal_the_raw_files(bundled, raw) -> None:
    areas = bundled.areas
    pop = {r[0]: [number(v) for v in r[4:8]] for r in raw["pop"][1:]}
    # File 6 sums, by hand from the raw file: 54,728,204 people in England mid-2015
    # excluding prisoners; the network lacks the Isles of Scilly LSOA (no travel times).
    assert sum(v[0] for v in pop.values()) == 54_728_204
    english = [c for c in areas.index if c.startswith("E")]
    for i, column in enumerate(("population", "population_0_15", "population_16_59", "population_60_plus")):
        assert areas[column].sum() == sum(pop[c][i] for c in english)
    assert areas["population"].sum() == 54_728_204 - number(next(r for r in raw["pop"] if r[0] == "E01019077")[4])
    births = sum(float(r[1]) for r in raw["births"][1:])  # Scilly has no births row
    assert areas["births"].sum() == pytest.approx(births, rel=1e-12)
    imd = {r[0]: number(r[4]) for r in raw["imd"][1:]}
    assert (areas.loc[english, "imd_rank"].astype(int) == pd.Series(imd)[english]).all()


def test_demand_must_be_a_known_demand_column(bundled, england) -> None:
    with pytest.raises(InputError, match="'imd_decile' is an area attribute, not a demand column"):
        bundled.demand("imd_decile")
    with pytest.raises(InputError, match=r"'population' is unknown \(empty\) for 1,909 of 34,752 areas, e.g. W01"):
        bundled.demand("population")
    assert england.demand("population").sum() == england.areas["population"].sum()


# ----------------------------------------------------------------------- as users run it
def test_info_lists_area_columns_with_sources(bundled) -> None:
    res = subprocess.run([HUBPLAN, "info"], capture_output=True, text=True, env={"COLUMNS": "1000", "PATH": ""})
    assert res.returncode == 0, res.stderr
    lines = {line.split()[0]: line.split(None, 2)[1:] for line in res.stdout.splitlines()
             if line.startswith("  ") and line.split() and line.split()[0] in bundled.areas.columns}
    assert set(lines) == set(bundled.areas.columns)
    sources = bundled.areas.attrs["column_sources"]
    for column, (kind, text) in lines.items():
        expected = "demand" if column in DEMAND_COLUMNS else "region" if column in (
            "country", "ambulance_service", "isdn", "icb", "sicbl") else "attribute"
        assert kind == expected, column
        assert text.rstrip().endswith(f"source: {sources[column]}"), column


def _scenario(tmp_path: Path, network: str, demand_column: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(f"""schema_version = 1
title = "demand from the bundled demographics"
[network]
{network}
[service]
preset = "vascular_arterial"
demand_column = "{demand_column}"
demand_scale = 1.0
[[options]]
name = "Southampton"
hubs = ["SO166YD"]
pathway = "direct"
[[options]]
name = "Portsmouth"
hubs = ["PO63LY"]
pathway = "direct"
""", encoding="utf-8")
    return path


@needs_shared
def test_appraise_with_births_as_demand(tmp_path, raw, bundled) -> None:
    res = subprocess.run([HUBPLAN, "appraise", str(_scenario(tmp_path, 'region = "Wessex"', "births")),
                          "--format", "json"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    names = set(bundled.areas.loc[bundled.areas["isdn"] == "Wessex", "area_name"])
    expected = sum(float(r[1]) for r in raw["births"][1:] if r[0] in names)
    for option in result["options"]:
        assert option["summary"]["patients"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("network", "column", "message"), [
    ("", "population", "demand column 'population' is unknown (empty) for 1,909 of 34,752 areas"),
    ('country = "England"', "imd_decile", "[service]: demand 'imd_decile': 'imd_decile' is an area attribute, "
                               "not a demand column"),
])
def test_appraise_refuses_unknown_or_attribute_demand(tmp_path, network, column, message) -> None:
    res = subprocess.run([HUBPLAN, "appraise", str(_scenario(tmp_path, network, column)), "--format", "json"],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert message in lines[-1] and "Traceback" not in res.stderr


@pytest.mark.slow
def test_cache_keeps_columns_dtypes_and_sources(tmp_path, monkeypatch) -> None:
    from hubplan.geography.bundled import data_dir, load_bundled, parse_bundled

    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(tmp_path))
    cold = load_bundled()
    warm = load_bundled()
    fresh = parse_bundled(data_dir())
    for net in (warm, fresh):
        pd.testing.assert_frame_equal(net.areas, cold.areas)
        assert net.areas.attrs == cold.areas.attrs
    assert str(warm.areas["imd_decile"].dtype) == "Int64" and str(warm.areas["core20"].dtype) == "boolean"
    assert math.isnan(warm.areas.loc["W01000001", "population"])
