"""Reading provider CSV files and writing benchmark results (CSV, JSON, PNG, HTML)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hubplan.jsonable import to_jsonable
from hubplan.monitoring.benchmark.analysis import BenchmarkResult, region_columns
from hubplan.monitoring.benchmark.indicators import Indicator
from hubplan.monitoring.benchmark.inputs import DENOMINATOR, NUMERATOR, PROVIDER, REGION, expected_form, validate_providers
from hubplan.files import read_csv_records
from hubplan.errors import InputError


@dataclass(frozen=True)
class ColumnNames:
    """Which CSV columns hold what (matched ignoring case and surrounding spaces).

    ``numerator`` defaults to a column called ``numerator`` (or ``observed``),
    ``denominator`` to ``denominator`` (or ``expected``), and ``region`` to a column
    called ``region`` if there is one.
    """

    provider: str = PROVIDER
    numerator: str | None = None
    denominator: str | None = None
    region: str | None = None


def read_providers_csv(
    path: str | Path,
    indicator: Indicator | str = Indicator.PROPORTION,
    columns: ColumnNames | None = None,
) -> pd.DataFrame:
    """Read and validate a provider CSV.

    Parameters
    ----------
    path
        A CSV with a header row and one row per provider.
    indicator
        Decides the checks (``proportion`` needs numerator <= denominator).
    columns
        The CSV's names for the columns, if not the standard ones.

    Returns
    -------
    pandas.DataFrame
        ``provider``, ``numerator``, ``denominator``[, ``region``], indexed by the
        spreadsheet row number (header = row 1).

    Raises
    ------
    InputError
        Naming the file, row and column of each problem and the expected form.
    """
    indicator = Indicator(indicator)
    columns = columns or ColumnNames()
    path = Path(path)
    source = str(path)
    # missing, a folder, unreadable, too large or not UTF-8: InputError naming the file
    header, numbered = read_csv_records(path, source)
    rows = [row for row, _ in numbered]
    records = [record for _, record in numbered]
    if header is None:
        raise InputError(f"{source}: the file is empty; expected a header row with {expected_form(indicator)}")
    picked = _pick_columns(header, columns, indicator, source)
    frame = pd.DataFrame(
        {canonical: [record[index] for record in records] for canonical, index in picked.items()},
        dtype=object,
    )
    labels = {canonical: header[index] for canonical, index in picked.items()}
    return validate_providers(frame, indicator, source=source, rows=rows, column_labels=labels)


def _pick_columns(
    header: list[str], columns: ColumnNames, indicator: Indicator, source: str
) -> dict[str, int]:
    lookup: dict[str, int] = {}
    for index, name in enumerate(header):
        key = name.lower()
        if key in lookup:
            raise InputError(f"{source}: column '{name}' appears twice in the header")
        lookup[key] = index
    wanted: dict[str, list[str]] = {
        PROVIDER: [columns.provider],
        NUMERATOR: [columns.numerator] if columns.numerator else ["numerator", "observed"],
        DENOMINATOR: [columns.denominator] if columns.denominator else ["denominator", "expected"],
    }
    if indicator is Indicator.RATIO and not columns.numerator:
        wanted[NUMERATOR] = ["observed", "numerator"]
    if indicator is Indicator.RATIO and not columns.denominator:
        wanted[DENOMINATOR] = ["expected", "denominator"]
    picked: dict[str, int] = {}
    missing: list[str] = []
    for canonical, names in wanted.items():
        found = next((lookup[n.lower()] for n in names if n.lower() in lookup), None)
        if found is None:
            missing.append(" or ".join(f"'{n}'" for n in names))
        else:
            picked[canonical] = found
    if columns.region:
        if columns.region.lower() in lookup:
            picked[REGION] = lookup[columns.region.lower()]
        else:
            missing.append(f"'{columns.region}'")
    elif REGION in lookup:
        picked[REGION] = lookup[REGION]
    if missing:
        raise InputError(
            f"{source}: missing column {', '.join(missing)}; expected columns "
            f"{expected_form(indicator)} (found: {', '.join(header)})"
        )
    return picked


#: The one converter of hubplan (kept under this name for callers of this module).
jsonable = to_jsonable


def write_outputs(
    result: BenchmarkResult,
    out_dir: str | Path,
    *,
    title: str | None = None,
    value_label: str | None = None,
) -> dict[str, Path]:
    """Write the tables, the JSON summary and the funnel plots to ``out_dir``.

    Files: ``providers.csv``, ``outliers.csv``, ``funnel_limits.csv``, ``summary.json``,
    ``funnel.png``, ``funnel.html`` and, with regions, ``regions.csv``,
    ``regions_funnel.png`` and ``regions_funnel.html``. The HTML files carry plotly
    inline and work offline.

    Returns
    -------
    dict
        What was written, by name.
    """
    from hubplan.monitoring.benchmark.plots import region_funnel_data, provider_funnel_data, write_html, write_png

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}

    def table(name: str, frame: pd.DataFrame) -> None:
        path = out / name
        frame.to_csv(path, index=False)
        written[name] = path

    table("providers.csv", result.providers)
    table("outliers.csv", result.outliers)
    table("funnel_limits.csv", result.curves())
    summary = out / "summary.json"
    summary.write_text(json.dumps(jsonable(result.to_dict()), indent=2) + "\n", encoding="utf-8")
    written["summary.json"] = summary
    funnels = [("funnel", provider_funnel_data(result, title=title, value_label=value_label))]
    if result.regions is not None:
        table("regions.csv", result.regions.table[region_columns()])
        funnels.append(("regions_funnel", region_funnel_data(result, title=title, value_label=value_label)))
    for stem, data in funnels:
        written[f"{stem}.png"] = write_png(data, out / f"{stem}.png")
        written[f"{stem}.html"] = write_html(data, out / f"{stem}.html")
    return written
