"""The workbook, GeoPackage and figure files of ``--out`` (docs/exports.md).

The installed ``hubplan`` writes them for one ICB (Hampshire and Isle of Wight, 1,093 areas);
the workbook is read back with openpyxl and the GeoPackage with geopandas, and every row and
column is checked against the CSV the same command wrote. Coordinates are checked against the
British National Grid points that ONS put in the boundaries file itself (not computed by
hubplan) and against pyproj called directly.
"""

from __future__ import annotations

import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

HUBPLAN = Path(sys.executable).parent / "hubplan"
ROOT = Path(__file__).resolve().parents[1]
ICB = "NHS Hampshire and Isle of Wight Integrated Care Board"
#: Southampton General Hospital (the bundled site table's latitude and longitude).
SOUTHAMPTON = "SO166YD"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def hubplan(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HUBPLAN), *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("evaluate")
    done = hubplan("evaluate", "--service", "thrombectomy", "--region", ICB, "--hubs", SOUTHAMPTON,
                   "--out", folder, "--format", "json")
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("compare")
    done = hubplan("compare", "--service", "thrombectomy", "--region", ICB, "--a-hubs", SOUTHAMPTON,
                   "--b-hubs", f"{SOUTHAMPTON},PO63LY", "--out", folder, "--format", "json")
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def appraised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("appraise")
    done = hubplan("appraise", ROOT / "examples" / "hampshire_vascular.toml", "--out", folder, "--no-html",
                   "--no-pdf", "--format", "json")
    assert done.returncode == 0, done.stderr
    return folder


# ----------------------------------------------------------------------------- helpers
def csv_decimals(path: Path) -> int:
    """Decimals of the CSV's numbers (the writer's float_format), read from its text."""
    text = path.read_text(encoding="utf-8")
    decimals = [len(tok.split(".")[1]) for tok in text.replace("\n", ",").split(",")
                if tok.count(".") == 1 and tok.replace(".", "").replace("-", "").isdigit()]
    return max(decimals) if decimals else 0


def is_number(text: str) -> bool:
    mantissa, _, exponent = text.lower().partition("e")
    return mantissa.lstrip("-").replace(".", "", 1).isdigit() and (not exponent or exponent.lstrip("+-").isdigit())


def rounding_of(text: str) -> float:
    """Half a unit in the last place the CSV wrote (``%.3f``: 0.0005; ``%.6g`` '7.4e-05': 5e-11)."""
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    if not decimals and not exponent and len(mantissa.lstrip("-")) < 6:
        return 0.0  # a whole number written in full
    return 0.5 * 10.0 ** (int(exponent or 0) - decimals)


def assert_same_cell(csv_value: str, cell: object, tolerance: float, where: str, numeric: bool = True) -> None:
    if csv_value == "" or csv_value.lower() in ("inf", "-inf", "nan"):
        assert cell is None, f"{where}: expected an empty cell for {csv_value!r}, got {cell!r}"
        return
    if csv_value in ("True", "False"):
        assert cell is (csv_value == "True"), where
        return
    try:
        number = float(csv_value)
    except ValueError:
        assert cell == csv_value, f"{where}: {cell!r} != {csv_value!r}"
        return
    if not is_number(csv_value) or not numeric:  # text that float() reads ('infinity'), or a label column
        assert cell == csv_value, f"{where}: {cell!r} != {csv_value!r}"
        return
    assert isinstance(cell, (int, float)) and not isinstance(cell, bool), f"{where}: {cell!r} is not a number"
    assert abs(float(cell) - number) <= max(tolerance, rounding_of(csv_value)) + 1e-9, f"{where}: {cell} != {number}"


def assert_sheet_is_csv(book, sheet_name: str, csv_path: Path) -> None:
    raw = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    decimals = csv_decimals(csv_path)
    tolerance = 0.5 * 10.0 ** -decimals + 1e-9 if decimals else 1e-9
    rows = list(book[sheet_name].iter_rows(values_only=True))
    assert len(rows) == len(raw) + 1, f"{sheet_name}: {len(rows) - 1} rows, the CSV has {len(raw)}"
    assert len(rows[0]) == len(raw.columns)
    # the Columns sheet says which CSV column each header is
    columns = [r for r in book["Columns"].iter_rows(min_row=2, values_only=True) if r[0] == sheet_name]
    assert [r[1] for r in columns] == list(raw.columns)
    assert [r[2] for r in columns] == list(rows[0])
    # a column whose every value is a number must hold numbers; one of labels ('1', '2', 'urban') holds text
    numeric = {c: all(is_number(v) or v.lower() in ("", "inf", "-inf", "nan") for v in raw[c]) for c in raw.columns}
    for i, (row, (_, csv_row)) in enumerate(zip(rows[1:], raw.iterrows()), start=2):
        for j, column in enumerate(raw.columns):
            assert_same_cell(csv_row[column], row[j], tolerance, f"{sheet_name} row {i} column {column}",
                             numeric[column])


# ----------------------------------------------------------------------------- workbook
def test_evaluate_workbook_holds_every_csv_row_and_column(evaluated: Path) -> None:
    book = load_workbook(evaluated / "evaluation.xlsx")
    assert book.sheetnames[:2] == ["About", "Columns"]
    assert set(book.sheetnames[2:]) == {"evaluation_areas", "evaluation_sites", "evaluation_regions", "equity"}
    for sheet in book.sheetnames[2:]:
        assert_sheet_is_csv(book, sheet, evaluated / f"{sheet}.csv")


def test_workbook_headers_say_the_unit_and_the_header_row_is_frozen(evaluated: Path) -> None:
    book = load_workbook(evaluated / "evaluation.xlsx")
    areas = book["evaluation_areas"]
    headers = [c.value for c in areas[1]]
    assert headers[0] == "Area code (LSOA 2011)"
    assert "Minutes to hub (min)" in headers and "Patients a year" in headers
    regions = [c.value for c in book["evaluation_regions"][1]]
    assert "Share within 60 min of hub (%)" in regions and "Minutes to hub, 90th percentile (min)" in regions
    assert areas.freeze_panes == "B2" and book["evaluation_regions"].freeze_panes == "A2"
    # shares are the CSV's fractions shown as percentages; minutes one decimal
    share = regions.index("Share within 60 min of hub (%)") + 1
    assert book["evaluation_regions"].cell(row=2, column=share).number_format == "0.0%"
    minutes = headers.index("Minutes to hub (min)") + 1
    assert areas.cell(row=2, column=minutes).number_format == "0.0"
    # columns are wide enough for their header (up to a limit)
    letter = areas.cell(row=1, column=minutes).column_letter
    assert areas.column_dimensions[letter].width >= len("Minutes to hub (min)")


def test_about_sheet_names_the_network_service_sources_and_estimates(evaluated: Path) -> None:
    book = load_workbook(evaluated / "evaluation.xlsx")
    about = {}
    for item, text in book["About"].iter_rows(values_only=True):
        about.setdefault(item, []).append(text)
    assert "Hampshire and Isle of Wight" in about["Network"][0] and "1,093 areas" in about["Network"][0]
    assert "thrombectomy" in about["Service"][0].lower()
    assert "admissions_2017-2019.csv" in about["Demand source"][0]
    assert "hubplan evaluate" in about["Command"][0]
    # the thrombectomy preset has an outcome model: its figures are marked ESTIMATED
    assert any(t.startswith("ESTIMATED outcomes") for t in about["Estimated figures"])
    options = [text for item, texts in about.items() if item.startswith("Option:") for text in texts]
    assert len(options) == 1 and f"hubs Southampton General Hospital ({SOUTHAMPTON})" in options[0]


def test_compare_and_appraise_workbooks_hold_their_csvs(compared: Path, appraised: Path) -> None:
    book = load_workbook(compared / "comparison.xlsx")
    for sheet in ("comparison_areas", "comparison_regions", "equity"):
        assert_sheet_is_csv(book, sheet, compared / f"{sheet}.csv")
    book = load_workbook(appraised / "appraisal.xlsx")
    for sheet in ("appraisal_options", "appraisal_sensitivity", "appraisal_rank_stability"):
        assert_sheet_is_csv(book, sheet, appraised / f"{sheet}.csv")


# ----------------------------------------------------------------------------- GeoPackage
def bundled_lsoa_points() -> pd.DataFrame:
    """ONS's own British National Grid point of each LSOA, from the boundaries file."""
    import pyogrio

    from hubplan.geography.bundled import data_dir

    frame = pyogrio.read_dataframe(data_dir() / "LSOA.geojson", columns=["LSOA11CD", "BNG_E", "BNG_N"],
                                   read_geometry=False)
    return frame.set_index("LSOA11CD")


def test_geopackage_areas_are_the_csv_rows_with_valid_outlines_in_bng(evaluated: Path) -> None:
    import pyogrio

    # what QGIS reads from the file itself: the layers, one geometry type each, the CRS, a spatial index
    assert [tuple(layer) for layer in pyogrio.list_layers(evaluated / "evaluation.gpkg")] == [
        ("areas", "MultiPolygon"), ("sites", "Point")]
    info = pyogrio.read_info(evaluated / "evaluation.gpkg", layer="areas")
    assert info["crs"] == "EPSG:27700" and info["features"] == 1093
    assert info["capabilities"]["fast_spatial_filter"]
    areas = gpd.read_file(evaluated / "evaluation.gpkg", layer="areas")
    raw = pd.read_csv(evaluated / "evaluation_areas.csv", dtype=str, keep_default_na=False)
    assert areas.crs.to_epsg() == 27700
    assert len(areas) == len(raw) == 1093
    assert areas.geometry.notna().all() and areas.geometry.is_valid.all()
    assert set(areas.geom_type) == {"MultiPolygon"}
    for column in raw.columns:
        for i, (mine, theirs) in enumerate(zip(areas[column].tolist(), raw[column].tolist())):
            where = f"areas row {i} column {column}"
            if theirs == "":
                assert mine is None or (isinstance(mine, float) and math.isnan(mine)), where
            elif isinstance(mine, float):
                assert abs(mine - float(theirs)) <= 0.0005 + 1e-9, where
            else:
                assert str(mine) == theirs, where
    # ONS's own grid point of each LSOA lies inside the outline hubplan projected
    points = bundled_lsoa_points().reindex(areas["area_code"])
    inside = gpd.GeoSeries(gpd.points_from_xy(points["BNG_E"], points["BNG_N"]), crs=27700).within(
        areas.geometry.reset_index(drop=True))
    assert inside.mean() >= 0.99


def test_geopackage_sites_are_points_where_pyproj_puts_them(evaluated: Path) -> None:
    from pyproj import Transformer

    import hubplan

    sites = gpd.read_file(evaluated / "evaluation.gpkg", layer="sites")
    raw = pd.read_csv(evaluated / "evaluation_sites.csv", dtype=str, keep_default_na=False)
    assert sites.crs.to_epsg() == 27700 and len(sites) == len(raw) == 4
    assert set(sites.geom_type) == {"Point"} and sites.geometry.is_valid.all()
    assert sites["site_code"].tolist() == raw["site_code"].tolist()
    assert np.allclose(sites["hub_patients"].to_numpy(float), raw["hub_patients"].astype(float), atol=0.0005)
    table = hubplan.load_bundled().sites
    lat, lon = table.loc[SOUTHAMPTON, ["latitude", "longitude"]]
    east, north = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(lon, lat)
    point = sites.set_index("site_code").geometry[SOUTHAMPTON]
    assert abs(point.x - east) < 0.01 and abs(point.y - north) < 0.01
    assert 430_000 < point.x < 450_000 and 100_000 < point.y < 125_000  # Southampton on the OS grid


def test_compare_and_appraise_geopackages(compared: Path, appraised: Path) -> None:
    areas = gpd.read_file(compared / "comparison.gpkg", layer="areas")
    raw = pd.read_csv(compared / "comparison_areas.csv")
    assert len(areas) == len(raw) and areas.crs.to_epsg() == 27700
    assert np.allclose(areas["change_time_to_hub"], raw["change_time_to_hub"], atol=0.0005)
    sites = gpd.read_file(compared / "comparison.gpkg", layer="sites")
    assert dict(zip(sites["site_code"], sites["role_b"]))["PO63LY"] == "hub"
    assert dict(zip(sites["site_code"], sites["role_a"]))["PO63LY"] != "hub"
    areas = gpd.read_file(appraised / "appraisal.gpkg", layer="areas")
    assert len(areas) == 1093 and areas.geometry.is_valid.all()
    one, two = areas["time_to_hub_minutes_southampton_only"], areas["time_to_hub_minutes_southampton_and_portsmouth"]
    assert (two <= one + 1e-3).all() and (two < one - 1).any()  # a second centre never lengthens a journey


# ----------------------------------------------------------------------------- figures
def test_appraise_writes_every_figure_as_png_and_svg(appraised: Path) -> None:
    figures = appraised / "figures"
    pngs = sorted(figures.glob("*.png"))
    svgs = sorted(figures.glob("*.svg"))
    maps = [p for p in pngs if p.name.startswith("map-")]
    assert len(maps) == 3  # minutes to hub for each of the 2 options, and the change between them
    assert {p.stem for p in pngs} == {p.stem for p in svgs}
    assert {p.stem for p in pngs if p.name.startswith("chart-")} == {
        "chart-access-to-hub", "chart-access-to-first-hospital", "chart-scores", "chart-rank-stability"}
    for png in pngs:
        assert png.read_bytes()[:8] == PNG_SIGNATURE, png.name
    for svg in svgs:
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg"), svg.name


def test_no_workbook_no_geopackage_no_figures(tmp_path: Path) -> None:
    done = hubplan("appraise", ROOT / "examples" / "hampshire_vascular.toml", "--out", tmp_path, "--no-html",
                   "--no-pdf", "--no-workbook", "--no-geopackage", "--no-figures")
    assert done.returncode == 0, done.stderr
    names = {p.name for p in tmp_path.iterdir()}
    assert "appraisal_options.csv" in names
    assert not names & {"appraisal.xlsx", "appraisal.gpkg", "figures"}


def test_nothing_half_written(evaluated: Path, tmp_path: Path) -> None:
    from hubplan.report.exports import ExportTable, write_workbook

    assert not [p.name for p in evaluated.iterdir() if p.name.startswith(".")]
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"before")
    with pytest.raises(Exception):
        write_workbook(target, [ExportTable("t", pd.DataFrame({"a": [1.0]}))], [("bad", {"not": "a cell"})])
    assert target.read_bytes() == b"before"
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


# ----------------------------------------------------------------------------- Python API
def test_to_geodataframe_of_an_evaluation() -> None:
    import hubplan

    network = hubplan.load_bundled().restrict(country="England", region=ICB)
    ev = hubplan.evaluate(network, hubplan.Service.preset("thrombectomy"), hubplan.Option(name="one", hubs=(SOUTHAMPTON,)))
    frame = ev.to_geodataframe()
    assert isinstance(frame, gpd.GeoDataFrame) and frame.crs.to_epsg() == 27700
    assert frame.index.tolist() == ev.areas.index.tolist()
    pd.testing.assert_frame_equal(pd.DataFrame(frame.drop(columns="geometry")), ev.areas, check_names=False)
    assert frame.geometry.is_valid.all() and frame.geometry.notna().all()
    # the ICB's outlines cover about its land area (Hampshire and the Isle of Wight, ~4,100 km2)
    assert 3_500 < frame.geometry.area.sum() / 1e6 < 4_500
    sites = ev.sites_geodataframe()
    assert sites.crs.to_epsg() == 27700 and sites.index.tolist() == ev.sites.index.tolist()


def test_to_geodataframe_of_a_network_without_outlines_uses_points() -> None:
    import hubplan
    from hubplan.testing import make_network

    network = make_network([[10.0, 30.0], [25.0, 5.0]], area_latlon=[(51.5, -0.1), (52.2, 0.12)],
                           site_latlon=[(51.5, -0.12), (52.2, 0.1)])
    ev = hubplan.evaluate(network, hubplan.Service.preset("thrombectomy"),
                          hubplan.Option(name="both", hubs=tuple(network.sites.index)))
    frame = ev.to_geodataframe()
    assert set(frame.geom_type) == {"Point"} and frame.crs.to_epsg() == 27700
    from pyproj import Transformer

    east, north = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(-0.1, 51.5)
    assert abs(frame.geometry.iloc[0].x - east) < 0.01 and abs(frame.geometry.iloc[0].y - north) < 0.01


# ----------------------------------------------------------------------------- national
@pytest.mark.slow
def test_national_evaluate_exports(tmp_path: Path) -> None:
    done = hubplan("evaluate", "--service", "thrombectomy", "--country", "England", "--out", tmp_path,
                   "--format", "json")
    assert done.returncode == 0, done.stderr
    raw = pd.read_csv(tmp_path / "evaluation_areas.csv", dtype=str, keep_default_na=False)
    areas = gpd.read_file(tmp_path / "evaluation.gpkg", layer="areas")
    assert len(areas) == len(raw) > 32_000 and areas.crs.to_epsg() == 27700
    assert areas.geometry.is_valid.all()
    assert np.allclose(areas["time_to_hub_minutes"], raw["time_to_hub_minutes"].astype(float), atol=0.0005)
    book = load_workbook(tmp_path / "evaluation.xlsx", read_only=True)
    rows = list(book["evaluation_areas"].iter_rows(values_only=True))
    assert len(rows) == len(raw) + 1
    column = rows[0].index("Minutes to hub (min)")
    minutes = np.array([r[column] for r in rows[1:]], dtype=float)
    assert np.allclose(minutes, raw["time_to_hub_minutes"].astype(float), atol=0.0005)
    assert [r[0] for r in rows[1:]] == raw["area_code"].tolist()


def test_workbook_of_missing_values_and_types(tmp_path: Path) -> None:
    from hubplan.report.exports import ExportTable, write_workbook

    frame = pd.DataFrame({
        "site_code": ["A", "B"],
        "icb_code": pd.array([pd.NA, pd.NA], dtype="string"),  # a user's network without ONS codes
        "note": [None, None],
        "time_to_hub_minutes": [12.5, math.inf],
        "thrombectomy": [True, False],
        "rank": np.array([1, 2], dtype=np.int64),
    }).set_index("site_code")
    write_workbook(tmp_path / "t.xlsx", [ExportTable("t", frame, True)], [("What", "a test")])
    rows = list(load_workbook(tmp_path / "t.xlsx")["t"].iter_rows(values_only=True))
    assert rows[1:] == [("A", None, None, 12.5, True, 1), ("B", None, None, None, False, 2)]


def test_estimated_minutes_of_a_new_site_are_named_in_about_and_the_site_is_mapped(tmp_path: Path) -> None:
    from pyproj import Transformer

    new_sites = tmp_path / "new_sites.csv"
    new_sites.write_text("site_code,site_name,latitude,longitude\nWINNEW,New Winchester hub,51.0632,-1.3080\n",
                         encoding="utf-8")
    out = tmp_path / "out"
    done = hubplan("evaluate", "--service", "thrombectomy", "--region", ICB, "--add-sites", new_sites,
                   "--hubs", f"{SOUTHAMPTON},WINNEW", "--out", out, "--format", "json")
    assert done.returncode == 0, done.stderr
    about = [(item, text) for item, text in load_workbook(out / "evaluation.xlsx")["About"].iter_rows(values_only=True)]
    estimated = [text for item, text in about if item == "Estimated figures"]
    assert any(text.startswith("ESTIMATED road minutes") and "WINNEW" in text for text in estimated)
    sites = gpd.read_file(out / "evaluation.gpkg", layer="sites").set_index("site_code")
    assert sites.loc["WINNEW", "minutes_source"] == "estimated"
    east, north = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(-1.3080, 51.0632)
    assert abs(sites.geometry["WINNEW"].x - east) < 0.01 and abs(sites.geometry["WINNEW"].y - north) < 0.01


@pytest.mark.parametrize(("column", "header", "shown"), [
    ("time_to_hub_minutes", "Minutes to hub (min)", "0.0"),
    ("time_to_first_p90", "Minutes to first hospital, 90th percentile (min)", "0.0"),
    ("time_to_hub_mean_minutes", "Minutes to hub, mean (min)", "0.0"),
    ("time_to_hub_within_45", "Share within 45 min of hub (%)", "0.0%"),
    ("patients_per_year", "Patients a year", "#,##0.0"),
    ("change_time_to_hub", "Change in minutes to hub, B - A (min)", "0.0"),
    ("worst_region_time_to_hub_mean_minutes", "Worst region's mean minutes to hub (min)", "0.0"),
    ("hubs_meeting_standards_share", "Share of hubs with no standards flag (%)", "0.0%"),
    ("share_first", "First in random weightings (%)", "0.0%"),
    ("area_code", "Area code (LSOA 2011)", None),
])
def test_headers_in_words_with_units(column: str, header: str, shown: str | None) -> None:
    from hubplan.report.exports import column_label, number_format

    assert column_label(column) == header
    assert number_format(column) == shown


def test_appraise_with_uncertainty_adds_its_tables_and_the_tornado_chart(tmp_path: Path) -> None:
    done = hubplan("appraise", ROOT / "examples" / "essex_vascular.toml", "--uncertainty", "20", "--out", tmp_path,
                   "--no-html", "--no-pdf", "--no-geopackage")
    assert done.returncode == 0, done.stderr
    book = load_workbook(tmp_path / "appraisal.xlsx")
    for sheet in ("uncertainty_criteria", "uncertainty_draws"):
        assert_sheet_is_csv(book, sheet, tmp_path / f"{sheet}.csv")
    draws = list(book["uncertainty_draws"].iter_rows(values_only=True))
    assert len(draws) - 1 == len(pd.read_csv(tmp_path / "uncertainty_draws.csv"))
    tornado = {p.suffix for p in (tmp_path / "figures").glob("chart-tornado.*")}
    assert tornado in (set(), {".png", ".svg"})  # none when no assumption moved the top option's score
    assert tornado == ({".png", ".svg"} if (tmp_path / "uncertainty_tornado.png").exists() else set())


def test_appraise_with_the_report_writes_the_same_figures(appraised: Path, tmp_path: Path) -> None:
    # with the report, its maps are drawn once (PNG and SVG) and used by both
    done = hubplan("appraise", ROOT / "examples" / "hampshire_vascular.toml", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "report.html").stat().st_size > 0 and (tmp_path / "report.pdf").read_bytes()[:5] == b"%PDF-"
    with_report = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert with_report == sorted(p.name for p in (appraised / "figures").iterdir())
    for name in with_report:
        if name.endswith(".svg"):
            assert ET.parse(tmp_path / "figures" / name).getroot().tag.endswith("svg")


# ----------------------------------------------------------------------------- other programs
def _desktop_tool(name: str) -> str:
    """The path of a program that opens the files as a user's desktop would (Debian's GDAL,
    which QGIS reads GeoPackages with, and LibreOffice Calc for the workbook): skipped where
    it is absent, unless HUBPLAN_REQUIRE_DESKTOP_TOOLS=1 (CI installs them)."""
    import os
    import shutil

    found = shutil.which(name)
    if found is None:
        if os.environ.get("HUBPLAN_REQUIRE_DESKTOP_TOOLS") == "1":
            pytest.fail(f"{name} is required (HUBPLAN_REQUIRE_DESKTOP_TOOLS=1) but not installed")
        pytest.skip(f"{name} is not installed")
    return found


def test_geopackage_header_is_a_version_1_2_geopackage(evaluated: Path) -> None:
    import sqlite3

    with sqlite3.connect(evaluated / "evaluation.gpkg") as conn:
        # the GeoPackage standard: application_id "GPKG", user_version 10200 for version 1.2
        assert conn.execute("PRAGMA application_id").fetchone()[0] == int.from_bytes(b"GPKG", "big")
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 10200
        srs = conn.execute("SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys "
                           "WHERE srs_id IN (SELECT srs_id FROM gpkg_geometry_columns)").fetchall()
    assert set(srs) == {("EPSG", 27700)}


def test_the_systems_gdal_opens_the_geopackage_as_qgis_would(evaluated: Path) -> None:
    ogrinfo = _desktop_tool("ogrinfo")
    done = subprocess.run([ogrinfo, "-so", "-al", str(evaluated / "evaluation.gpkg")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "ERROR" not in done.stderr, done.stderr
    counts = dict(zip(
        [line.split(": ", 1)[1] for line in done.stdout.splitlines() if line.startswith("Layer name: ")],
        [int(line.split(": ", 1)[1]) for line in done.stdout.splitlines() if line.startswith("Feature Count: ")]))
    sites = pd.read_csv(evaluated / "evaluation_sites.csv")
    assert counts == {"areas": 1093, "sites": len(sites)}
    assert done.stdout.count('ID["EPSG",27700]') == 2


def test_libreoffice_calc_reads_the_workbook_with_the_csvs_values(evaluated: Path, tmp_path: Path) -> None:
    soffice = _desktop_tool("soffice")
    # every sheet as CSV (filter options: comma, quote, UTF-8, ..., -1 = all sheets)
    done = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path / 'profile'}",
                           "--convert-to", 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1',
                           "--outdir", str(tmp_path), str(evaluated / "evaluation.xlsx")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for name in ("evaluation_areas", "evaluation_sites", "evaluation_regions"):
        calc = pd.read_csv(tmp_path / f"evaluation-{name}.csv")
        ours = pd.read_csv(evaluated / f"{name}.csv")
        assert calc.shape == ours.shape
        for a, b in zip(calc.columns, ours.columns):
            x, y = calc[a], ours[b]
            if not pd.api.types.is_numeric_dtype(x) and x.astype(str).str.endswith("%").all():
                x = x.astype(str).str.rstrip("%").astype(float) / 100  # a share shown as a percentage
            if pd.api.types.is_numeric_dtype(y):
                # the CSVs are rounded to 3 decimals (shares to 4); the workbook keeps every digit
                assert np.allclose(x.to_numpy(float), y.to_numpy(float), atol=5.01e-4, rtol=0, equal_nan=True), a
            else:
                assert (x.fillna("").astype(str) == y.fillna("").astype(str)).all(), a
