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


def _took(path: Path, started: float) -> None:
    seconds = time.perf_counter() - started
    if seconds >= 2:
        err.print(f"wrote {path.name} ({path.stat().st_size / 1e6:.1f} MB) in {seconds:.1f} s", highlight=False)
