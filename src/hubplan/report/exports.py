"""Results for other programs: an Excel workbook, a GeoPackage, and the report's figures.

``--out DIR`` of ``hubplan evaluate``, ``compare`` and ``appraise`` writes, beside the CSV
tables (``docs/exports.md``):

- ``<stem>.xlsx`` (:func:`write_workbook`): an ``About`` sheet (what the file is, the
  network, the service, the data sources and which figures are ESTIMATED), a ``Columns``
  sheet (each sheet's headers with the CSV column they come from), then one sheet per CSV
  table with the same rows and columns, headers in words with their units
  (:func:`column_label`), the header row frozen, numbers stored as numbers;
- ``<stem>.gpkg`` (:func:`write_geopackage`): a layer of per-area results with the 2011
  LSOA outlines and a layer of sites as points, in British National Grid (EPSG:27700);
- ``figures/`` (:func:`write_figures`, appraise): every map and chart of the report as PNG
  and SVG.

Every file is written to a temporary file in the same folder and renamed into place, so a
failed or interrupted export never leaves a half-written file under the final name.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from hubplan.jsonable import plain_scalar

if TYPE_CHECKING:
    import geopandas as gpd

    from hubplan.access.evaluate import Comparison, Evaluation
    from hubplan.geography.network import Network
    from hubplan.planning.appraise import Appraisal
    from hubplan.planning.uncertainty import UncertaintyResult
    from hubplan.services import Service

__all__ = ["ExportTable", "SvgMapPainter", "about_rows", "appraisal_layers", "column_label", "comparison_layers",
           "evaluation_layers", "number_format", "option_slugs", "write_figures", "write_geopackage",
           "write_workbook"]


@dataclass(frozen=True)
class ExportTable:
    """One table as its CSV holds it: ``name`` is the CSV's stem (``evaluation_areas``) and
    the sheet's name; with ``index`` the frame's index is the first column (as ``to_csv``
    writes it)."""

    name: str
    frame: pd.DataFrame
    index: bool = False
    description: str = ""

    def columns(self) -> list[str]:
        """The CSV's header, in order."""
        head = [str(self.frame.index.name or "")] if self.index else []
        return head + [str(c) for c in self.frame.columns]

    def column_values(self) -> Iterator[tuple[str, pd.Series]]:
        if self.index:
            yield str(self.frame.index.name or ""), pd.Series(self.frame.index, index=self.frame.index)
        for column in self.frame.columns:
            yield str(column), self.frame[column]


# ----------------------------------------------------------------------------- words and units
_WORDS: dict[str, str] = {
    "area_code": "Area code (LSOA 2011)", "area_name": "Area name", "site_code": "Site code",
    "site_name": "Site name", "patients_per_year": "Patients a year", "patients": "Patients a year",
    "first_site_code": "First hospital (site code)", "hub_site_code": "Hub (site code)", "route": "Route",
    "role": "Role", "minutes_source": "Source of the road minutes", "region_type": "Region type",
    "region": "Region", "region_code": "Region code (ONS)", "country": "Country",
    "ambulance_service": "Ambulance service", "isdn": "ISDN", "icb": "ICB or health board",
    "icb_code": "ICB code (ONS)", "sicbl": "Sub-ICB location", "sicbl_code": "Sub-ICB location code (ONS)",
    "ods_code": "ODS code", "grouping": "Grouping", "group": "Group", "label": "Group name", "areas": "Areas",
    "option": "Option", "criterion": "Criterion", "weight": "Weight (%)", "weight_low": "Weight, lowest still first (%)",
    "weight_high": "Weight, highest still first (%)", "option_below": "Takes over below",
    "option_above": "Takes over above", "robust": "Robust", "share_first": "First in random weightings (%)",
    "mean_rank": "Mean rank", "rank_min": "Best rank", "rank_max": "Worst rank", "rank": "Rank",
    "score": "Score (0-1)", "hubs": "Hubs", "latitude": "Latitude (degrees)", "longitude": "Longitude (degrees)",
    "ivt": "Thrombolysis (IVT)", "thrombectomy": "Thrombectomy", "msu": "Mobile stroke unit",
    "patients_first_seen": "Patients first seen a year", "hub_patients_direct": "Hub patients direct a year",
    "hub_patients_transferred_in": "Hub patients transferred in a year", "hub_patients": "Hub patients a year",
    "transfers_out": "Transfers out a year",
    "mean_change_minutes": "Mean change in minutes to hub, B - A (min)",
    "mean_increase_if_longer": "Mean increase where longer (min)",
    "mean_decrease_if_shorter": "Mean decrease where shorter (min)",
    "max_increase_minutes": "Largest increase in minutes to hub (min)",
    "max_decrease_minutes": "Largest decrease in minutes to hub (min)", "admissions": "Admissions a year",
    "catchment_patients": "Catchment patients a year",
    "good_outcomes_per_year": "Good outcomes a year (ESTIMATED)",
    "added_good_outcomes_per_year": "Added good outcomes a year (ESTIMATED)",
    "added_utility_per_year": "Added utility a year (ESTIMATED, utility-weighted patients)",
    "onset_to_needle_minutes": "Onset to thrombolysis (min, ESTIMATED timeline)",
    "onset_to_puncture_minutes": "Onset to thrombectomy (min, ESTIMATED timeline)",
}
#: Units of the appraisal's criteria (:data:`hubplan.planning.appraise.CRITERIA`) as headers say them.
_CRITERION_UNITS = {"min": " (min)", "fraction": " (%)", "patients/year": "", "transfers/year": "",
                    "utility/year": ""}
_JOURNEY = {"hub": "hub", "first": "first hospital"}
_STATS = {"mean": "mean", "median": "median", "p90": "90th percentile", "max": "longest"}


def _journey(which: str) -> str:
    return _JOURNEY.get(which, which.replace("_", " "))


#: Columns of ``hubplan benchmark``'s tables.
_BENCHMARK_WORDS = {
    "provider": "Provider", "numerator": "Numerator", "denominator": "Denominator", "value": "Value",
    "z": "z-score", "z_adjusted": "z-score, adjusted for overdispersion", "flag": "Flag",
    "flag_unadjusted": "Flag without the overdispersion adjustment", "providers": "Providers",
    "lowest_provider_value": "Lowest provider value", "highest_provider_value": "Highest provider value",
}


def column_label(column: str) -> str:
    """A column's header in words with its unit: ``time_to_hub_minutes`` -> ``Minutes to hub
    (min)``, ``time_to_hub_within_60`` -> ``Share within 60 min of hub (%)``,
    ``time_to_hub_mean`` -> ``Minutes to hub, mean (min)``, ``lower_998_unadjusted`` ->
    ``Lower 99.8% limit, unadjusted``; other names spelt out."""
    from hubplan.planning.appraise import CRITERIA

    if column in _BENCHMARK_WORDS:
        return _BENCHMARK_WORDS[column]
    m = re.fullmatch(r"(lower|upper)_(95|998)(_unadjusted)?", column)
    if m:
        return f"{m[1].capitalize()} {'95%' if m[2] == '95' else '99.8%'} limit" + (", unadjusted" if m[3] else "")
    m = re.fullmatch(r"providers_(alarm|alert)_(low|high)", column)
    if m:
        return f"Providers with an {m[1]}, {m[2]}"

    m = re.fullmatch(r"time_to_(hub|first)_minutes", column)
    if m:
        return f"Minutes to {_journey(m[1])} (min)"
    m = re.fullmatch(r"time_to_(hub|first)_within_(\d+(?:\.\d+)?)", column)
    if m:
        return f"Share within {m[2]} min of {_journey(m[1])} (%)"
    m = re.fullmatch(r"time_to_(hub|first)_(mean|median|p90|max)(?:_minutes)?", column)
    if m:
        return f"Minutes to {_journey(m[1])}, {_STATS[m[2]]} (min)"
    if column in _WORDS:
        return _WORDS[column]
    if column in CRITERIA:
        info = CRITERIA[column]
        unit = _CRITERION_UNITS.get(info.unit, f" ({info.unit})")
        named = re.search(rf"\b{re.escape(info.unit)}\b", info.label.lower())  # 'beds needed ...' says its unit
        return _sentence(info.label) + ("" if named else unit)
    m = re.fullmatch(r"(mean_)?time_to_(hub|first)_(a|b)", column)
    if m:
        return f"Minutes to {_journey(m[2])}{', mean' if m[1] else ''}, option {m[3].upper()} (min)"
    m = re.fullmatch(r"change_time_to_(hub|first)", column)
    if m:
        return f"Change in minutes to {_journey(m[1])}, B - A (min)"
    m = re.fullmatch(r"patients_longer_by_more_than_(\d+)(_per_year)?", column)
    if m:
        return f"Patients a year with a journey longer by more than {m[1]} min"
    m = re.fullmatch(r"patients_(longer|shorter|unchanged)(_per_year)?", column)
    if m:
        return f"Patients a year with a {m[1]} journey" if m[1] != "unchanged" else "Patients a year with no change"
    if column.endswith("_minutes"):
        return _sentence(column[: -len("_minutes")]) + " (min)"
    if column.endswith("_per_year"):
        return _sentence(column[: -len("_per_year")]) + " a year"
    if column.endswith("_share") or column.startswith("share_"):
        return _sentence(column) + " (%)"
    return _sentence(column)


def _sentence(name: str) -> str:
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def number_format(column: str) -> str | None:
    """The Excel number format of a numeric column: percentages for shares (stored as
    fractions 0..1, as in the CSV), one decimal for minutes, whole numbers for ranks and counts
    of things; ``None`` for Excel's General."""
    label = column_label(column)
    if label.endswith("(%)"):
        return "0.0%"
    if "(min" in label:
        return "0.0"
    if column in ("rank", "rank_min", "rank_max", "hubs", "areas", "standards_flags"):
        return "0"
    if " a year" in label or label.startswith("Patients"):
        return "#,##0.0"
    return None


# ----------------------------------------------------------------------------- about
def _note_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()] or [text]


def about_rows(
    *, what: str, command: str, network: "Network", service: "Service", evaluations: Sequence["Evaluation"],
    tables: Sequence[ExportTable] = (), notes: Sequence[str] = (),
) -> list[tuple[str, str]]:
    """The ``About`` sheet: (item, text) rows on the file, the network, the service, each
    option, the data sources and what is ESTIMATED or a PROXY."""
    from datetime import datetime, timezone

    from hubplan import __version__

    demand = service.demand_definition.to_json(network)
    rows: list[tuple[str, str]] = [
        ("What this file is", what),
        ("Written by", f"hubplan {__version__}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"),
        ("Command", command),
        ("Network", f"{network.source}: {network.n_areas:,} areas, {network.n_sites:,} sites"),
        ("Service", f"{service.title or service.name} (preset or name '{service.name}')"),
        ("Demand", f"{demand.get('label') or demand.get('expression')} = {demand.get('expression')}"),
        ("Demand source", str(demand.get("citation") or demand.get("source") or "the network's areas")),
    ]
    if demand.get("note"):
        rows.append(("Demand note", ("PROXY: " if demand.get("is_proxy") and "PROXY" not in str(demand["note"])
                                     else "") + str(demand["note"])))
    for column, source in (demand.get("column_sources") or {}).items():
        rows.append((f"Source of {column}", str(source)))
    for ev in evaluations:
        o: dict[str, Any] = dict(ev.option.describe())
        hubs = ", ".join(f"{network.sites.loc[c, 'site_name']} ({c})" if c in network.sites.index else str(c)
                         for c in o["hubs"])
        spokes = f"; {len(o['spokes'])} spokes" if o.get("spokes") else ""
        rows.append((f"Option: {ev.option.name}", f"{o['pathway']} pathway; hubs {hubs}{spokes}"
                     + (f"; bypass {o['bypass_minutes']:g} min" if o.get("bypass_minutes") else "")))
    from hubplan.planning.scenario import estimated_minutes_notes
    from hubplan.report.content import notes_for_network

    estimated: list[str] = list(estimated_minutes_notes(evaluations))
    for ev in evaluations:
        head = ev.summary.get("outcomes") or {}
        if head.get("estimated"):
            estimated.append(
                f"ESTIMATED outcomes ({head.get('measure')}, model '{head.get('model')}', against "
                f"{head.get('baseline')}): the columns marked ESTIMATED (good and added good outcomes, added utility, "
                f"onset-to-treatment minutes). Source: {head.get('source')}")
            break
    if "minutes_source" in network.sites and (network.sites["minutes_source"] == "user").any():
        estimated.append("Road minutes given by the user for sites with minutes_source = 'user'")
    if demand.get("is_proxy"):
        estimated.append("Demand is a PROXY (see Demand note)")
    for text in estimated or ["Nothing: every figure comes from the network's data and the service's parameters"]:
        rows.append(("Estimated figures", text))
    for note in notes:
        rows.append(("Note", str(note)))
    for note in notes_for_network(network):
        rows.append(("Data note", str(note)))
    rows.append(("Missing values", "An empty cell is a missing value: no patients, no value for the area, or no known "
                                   "road route (the CSV has 'inf' or nothing there)"))
    rows.append(("Shares", "Shares are stored as fractions 0..1 (as in the CSV) and shown as percentages"))
    for table in tables:
        rows.append((f"Sheet {_sheet_name(table.name)}", table.description or f"the rows of {table.name}.csv"))
    return rows


# ----------------------------------------------------------------------------- workbook
def _sheet_name(name: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", "_", name)
    return cleaned[:31]


def _cell_value(value: Any) -> Any:
    """A table value as a workbook cell: numbers as numbers, missing and infinite empty, the rest text."""
    if value is pd.NaT:
        return None
    plain = plain_scalar(value)
    return plain if plain is None or isinstance(plain, (bool, int, float)) else str(plain)


def _width(header: str, values: pd.Series) -> float:
    sample = values.head(2000)
    if pd.api.types.is_float_dtype(sample):
        longest = 10
    else:
        longest = max((len(str(v)) for v in sample.tolist() if _cell_value(v) is not None), default=0)
    return float(min(60, max(8, min(len(header), 36) + 2, longest + 2)))


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file in ``path``'s folder, then rename it to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # as an ordinary new file (mkstemp's is private)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_workbook(path: str | Path, tables: Sequence[ExportTable], about: Sequence[tuple[str, str]]) -> Path:
    """Write the tables to an Excel workbook at ``path``: ``About``, ``Columns``, then one
    sheet per table (header row frozen, with a filter; numbers as numbers; no value for
    NaN or infinite)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    def write(tmp: Path) -> None:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("About")
        sheet.column_dimensions["A"].width = 28
        sheet.column_dimensions["B"].width = 110
        for item, text in about:
            a = WriteOnlyCell(sheet, item)
            a.font = bold
            a.alignment = wrap
            b = WriteOnlyCell(sheet, text)
            b.alignment = wrap
            sheet.append([a, b])
        names = [_sheet_name(t.name) for t in tables]
        columns = book.create_sheet("Columns")
        columns.freeze_panes = "A2"
        for letter, width in zip("ABCD", (26, 34, 52, 12)):
            columns.column_dimensions[letter].width = width
        columns.append([_header(columns, h, bold) for h in ("Sheet", "CSV column", "Header", "Format")])
        for table, name in zip(tables, names):
            for column in table.columns():
                columns.append([name, column, column_label(column), number_format(column) or "General"])
        for table, name in zip(tables, names):
            _table_sheet(book.create_sheet(name), table, bold)
        book.save(tmp)

    return _atomic(Path(path), write)


def _header(sheet: Any, text: str, font: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, text)
    cell.font = font
    return cell


def _table_sheet(sheet: Any, table: ExportTable, bold: Any) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    series = list(table.column_values())
    headers = [column_label(c) for c, _ in series]
    formats = []
    for (column, values), header in zip(series, headers):
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        formats.append(number_format(column) if numeric else None)
    for i, ((_, values), header) in enumerate(zip(series, headers), start=1):
        sheet.column_dimensions[get_column_letter(i)].width = _width(header, values)
    sheet.freeze_panes = "B2" if table.index else "A2"
    n_rows = len(table.frame)
    if series and n_rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(series))}{n_rows + 1}"
    sheet.append([_header(sheet, h, bold) for h in headers])
    columns = [values.tolist() for _, values in series]
    styled = [(j, f) for j, f in enumerate(formats) if f is not None]
    for r in range(n_rows):
        row: list[Any] = [_cell_value(col[r]) for col in columns]
        for j, fmt in styled:
            if row[j] is not None:
                cell = WriteOnlyCell(sheet, row[j])
                cell.number_format = fmt
                row[j] = cell
        sheet.append(row)


# ----------------------------------------------------------------------------- GeoPackage
#: The GeoPackage version written: 1.2, which every GDAL since 2.2 (and so every QGIS in
#: use) reads without a warning; GDAL 3.6 and older warn that a 1.4 file "may only be
#: partially supported", and these files use nothing that 1.3 or 1.4 added.
GEOPACKAGE_VERSION = "1.2"


def write_geopackage(path: str | Path, layers: dict[str, "gpd.GeoDataFrame"]) -> Path:
    """Write each GeoDataFrame as a layer of one GeoPackage at ``path`` (replaced whole)."""

    def write(tmp: Path) -> None:
        tmp.unlink()  # GDAL creates the file itself
        for i, (name, frame) in enumerate(layers.items()):
            if i == 0:
                frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio", mode="w",
                              dataset_options={"VERSION": GEOPACKAGE_VERSION})
            else:
                frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio", mode="a")

    return _atomic(Path(path), write)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns a GeoPackage can hold: booleans as booleans, everything else number or text;
    infinite numbers as missing."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_float_dtype(values):
            out[column] = values.where(np.isfinite(values.to_numpy(dtype=float)), np.nan)
        elif pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            continue
        else:
            out[column] = values.astype(object).where(values.notna(), None).map(
                lambda v: v if v is None else str(v))
    return out


def _geo(frame: pd.DataFrame, like: "gpd.GeoDataFrame") -> "gpd.GeoDataFrame":
    import geopandas as gpd

    plain = _plain(frame.set_axis(like.index))
    return gpd.GeoDataFrame(plain.reset_index(), geometry=like.geometry.to_numpy(), crs=like.crs)


def evaluation_layers(evaluation: "Evaluation") -> dict[str, "gpd.GeoDataFrame"]:
    """``areas`` (the per-area table, as ``evaluation_areas.csv``) and ``sites`` (as
    ``evaluation_sites.csv``) of one evaluation."""
    areas = evaluation.to_geodataframe()
    sites = evaluation.sites_geodataframe()
    return {"areas": _geo(evaluation.areas, areas), "sites": _geo(evaluation.sites, sites)}


def comparison_layers(comparison: "Comparison") -> dict[str, "gpd.GeoDataFrame"]:
    """``areas`` (as ``comparison_areas.csv``) and ``sites`` (each site's role in A and B)."""
    from hubplan.geography.outlines import areas_geodataframe, sites_geodataframe

    network = comparison.a.network
    areas = areas_geodataframe(network, comparison.areas)
    table = comparison.a.sites[["site_name"]].copy()
    for label, ev in (("a", comparison.a), ("b", comparison.b)):
        table[f"role_{label}"] = ev.sites["role"]
        table[f"hub_patients_{label}"] = ev.sites["hub_patients"]
    sites = sites_geodataframe(network, table)
    return {"areas": _geo(comparison.areas, areas), "sites": _geo(table, sites)}


def option_slugs(names: Sequence[str]) -> list[str]:
    """Short field-name suffixes for options (lower case, underscores, unique)."""
    slugs: list[str] = []
    for name in names:
        slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40] or "option"
        base, n = slug, 2
        while slug in slugs:
            slug, n = f"{base}_{n}", n + 1
        slugs.append(slug)
    return slugs


def appraisal_layers(appraisal: "Appraisal") -> dict[str, "gpd.GeoDataFrame"]:
    """``areas``: each area with, per option (suffix :func:`option_slugs`), minutes to first
    hospital and hub, its hub, and (with an outcome model) added good outcomes; ``sites``:
    each site's role and hub patients per option (the suffixes are listed in the workbook's
    About sheet)."""
    from hubplan.geography.outlines import areas_geodataframe, sites_geodataframe

    network = appraisal.network
    first = appraisal.evaluations[0]
    keep = [c for c in ("area_name", "patients_per_year", "country", "ambulance_service", "isdn", "icb", "icb_code",
                        "sicbl", "sicbl_code") if c in first.areas]
    areas = first.areas[keep].copy()
    sites = first.sites[[c for c in ("site_name", "icb", "icb_code", "minutes_source") if c in first.sites]].copy()
    for slug, ev in zip(option_slugs([e.option.name for e in appraisal.evaluations]), appraisal.evaluations):
        for column in ("time_to_first_minutes", "time_to_hub_minutes", "hub_site_code", "added_good_outcomes_per_year"):
            if column in ev.areas:
                areas[f"{column}_{slug}"] = ev.areas[column]
        for column in ("role", "hub_patients"):
            sites[f"{column}_{slug}"] = ev.sites[column]
    return {"areas": _geo(areas, areas_geodataframe(network, areas)),
            "sites": _geo(sites, sites_geodataframe(network, sites))}


# ----------------------------------------------------------------------------- figures
class SvgMapPainter:
    """A map painter that draws every map as PNG and SVG (given to the map functions of
    :mod:`hubplan.report.figures` in place of the report's painter)."""

    def __init__(self, painter: Any) -> None:
        self._painter = painter

    def draw(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["svg"] = True
        return self._painter.draw(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._painter, name)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50].strip("-") or "figure"


def write_figures(appraisal: "Appraisal", folder: str | Path, *, formats: Sequence[str] = ("png", "svg"),
                  uncertainty: "UncertaintyResult | None" = None, figures: Any = None,
                  progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write every map and chart of the appraisal's report into ``folder`` (created), as PNG
    and/or SVG: ``map-NN-<title>.png|svg`` and ``chart-<name>.png|svg``.

    ``figures`` are the report's figures when they were drawn already
    (:func:`hubplan.report.build_figures` with ``svg_maps=True``), so nothing is drawn twice.
    """
    from hubplan.report import charts as ch
    from hubplan.report import figures as fig
    from hubplan.report.geometry import area_shapes

    say = progress or (lambda message: None)
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    want = {f.lower() for f in formats}
    written: list[Path] = []

    def put(name: str, data: bytes | None) -> None:
        if data is not None:
            written.append(_atomic(target / name, lambda tmp: tmp.write_bytes(data)))

    if figures is not None:
        maps = [*figures.time_maps, *figures.change_maps, *figures.outcome_maps]
        drawn: list[tuple[str, Any]] = [
            ("access-to-hub", figures.access_hub), ("access-to-first-hospital", figures.access_first),
            ("scores", figures.scores), ("rank-stability", figures.stability), ("tradeoff", figures.tradeoff),
            ("funnel", figures.funnel), ("tornado", figures.tornado)]
    else:
        say("drawing the figures as PNG and SVG ..." if {"png", "svg"} <= want else "drawing the figures ...")
        shapes = area_shapes(appraisal.network)
        painter = fig.map_painter(appraisal, shapes)
        drawer = SvgMapPainter(painter) if "svg" in want else painter
        time_maps, change_maps = fig.option_maps(appraisal, shapes, drawer)  # type: ignore[arg-type]
        maps = [*time_maps, *change_maps, *fig.outcome_maps(appraisal, shapes, drawer)]  # type: ignore[arg-type]
        drawn = [
            ("access-to-hub", ch.access_curves_chart(appraisal, "time_to_hub")),
            ("access-to-first-hospital", ch.access_curves_chart(appraisal, "time_to_first")),
            ("scores", ch.scores_chart(appraisal)), ("rank-stability", ch.stability_chart(appraisal)),
            ("tradeoff", ch.tradeoff_chart(appraisal)), ("funnel", ch.funnel_chart(appraisal)),
            ("tornado", ch.tornado_chart(uncertainty) if uncertainty is not None else None)]
    say("writing the figures ...")
    for i, image in enumerate(maps, start=1):
        stem = f"map-{i:02d}-{_slug(image.title)}"
        if "png" in want:
            put(f"{stem}.png", image.png)
        if "svg" in want:
            put(f"{stem}.svg", getattr(image, "svg", None))
    for name, chart in drawn:
        if chart is None:
            continue
        if "png" in want:
            put(f"chart-{name}.png", chart.png)
        if "svg" in want:
            put(f"chart-{name}.svg", chart.svg_document or None)
    return written
