"""The workbook, GeoPackage and figure files that ``--out`` writes beside the CSV tables
(``hubplan.report.exports``; ``docs/exports.md``), and the options that leave them out."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import typer

from hubplan.cli._app import err

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from hubplan.report.exports import ExportTable

WORKBOOK_OPTION = typer.Option(True, "--workbook/--no-workbook",
                               help="With --out, also write the CSV tables as one Excel workbook (.xlsx).")
GEOPACKAGE_OPTION = typer.Option(True, "--geopackage/--no-geopackage",
                                 help="With --out, also write a GeoPackage (.gpkg) of the per-area results with "
                                      "their outlines and the sites as points, for QGIS or ArcGIS.")
FIGURES_OPTION = typer.Option(True, "--figures/--no-figures",
                              help="With --out, also write every map and chart of the report to figures/ as PNG "
                                   "and SVG.")


def command_line() -> str:
    """The command as typed (for the workbook's About sheet)."""
    return shlex.join(["hubplan", *sys.argv[1:]])


def write_exports(folder: Path, stem: str, *, tables: Sequence["ExportTable"], about: Callable[[], list[tuple[str, str]]],
                  layers: Callable[[], dict[str, "gpd.GeoDataFrame"]], workbook: bool = True,
                  geopackage: bool = True) -> list[Path]:
    """``<stem>.xlsx`` and ``<stem>.gpkg`` in ``folder`` (each unless switched off), with a
    progress line while they are written."""
    from hubplan.report.exports import write_geopackage, write_workbook

    written: list[Path] = []
    if workbook:
        started = time.perf_counter()
        with err.status(f"Writing {stem}.xlsx ..."):
            written.append(write_workbook(folder / f"{stem}.xlsx", tables, about()))
        _took(written[-1], started)
    if geopackage:
        started = time.perf_counter()
        with err.status(f"Writing {stem}.gpkg ..."):
            written.append(write_geopackage(folder / f"{stem}.gpkg", layers()))
        _took(written[-1], started)
    return written


def read_csv_back(path: Path) -> "pd.DataFrame":
    """A CSV this command wrote, for its workbook: each column as numbers where every value
    is one (a code such as ``0123`` stays text, so its leading zero is kept), else text;
    empty cells empty."""
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in frame.columns:
        values = frame[column]
        filled = values[values != ""]
        if filled.str.fullmatch(r"0\d+").any():
            continue
        numbers = pd.to_numeric(filled, errors="coerce")
        if len(filled) and numbers.notna().all():
            frame[column] = pd.to_numeric(values.replace("", None), errors="coerce")
        else:
            frame[column] = values.replace("", None)
    return frame


def write_csv_workbook(folder: Path, stem: str, csvs: Sequence[tuple[str, str]], *, what: str,
                       notes: Sequence[tuple[str, str]] = ()) -> list[Path]:
    """``<stem>.xlsx`` of CSV files this command has written to ``folder``: one sheet per
    ``(file name, description)``, headers in words with units, and an About sheet (what it
    is, the version, the command, ``notes``, each sheet's description)."""
    from hubplan import __version__
    from hubplan.report.exports import ExportTable

    tables = [ExportTable(Path(name).stem, read_csv_back(folder / name), description=text) for name, text in csvs
              if (folder / name).exists()]

    def about() -> list[tuple[str, str]]:
        from datetime import datetime, timezone

        return [("What this file is", what),
                ("Written by", f"hubplan {__version__}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"),
                ("Command", command_line()), *notes, *[(f"Sheet {t.name}", t.description) for t in tables]]

    return write_exports(folder, stem, tables=tables, about=about, layers=dict, workbook=True, geopackage=False)


def _took(path: Path, started: float) -> None:
    seconds = time.perf_counter() - started
    if seconds >= 2:
        err.print(f"wrote {path.name} ({path.stat().st_size / 1e6:.1f} MB) in {seconds:.1f} s", highlight=False)
