"""A check shared by the commands' tests: a workbook written by ``--out`` holds, sheet by
sheet, the rows and values of the CSV files the same command wrote (read back with openpyxl)."""

from __future__ import annotations

import csv
import math
from pathlib import Path


def assert_workbook_holds_the_csvs(workbook: Path, folder: Path, names: list[str],
                                   csv_decimals: int | None = None) -> None:
    """``csv_decimals``: the CSVs were written rounded to this many decimals (the workbook
    keeps every digit), so a cell may differ from its CSV by half a unit of the last one."""
    from openpyxl import load_workbook

    atol = 1e-12 if csv_decimals is None else 0.5 * 10.0 ** -csv_decimals * (1 + 1e-6)

    book = load_workbook(workbook, read_only=True)
    assert book.sheetnames[:2] == ["About", "Columns"]
    assert book.sheetnames[2:] == names
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True)}
    assert str(about["Command"]).startswith("hubplan ")
    for name in names:
        with open(folder / f"{name}.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        sheet = list(book[name].iter_rows(values_only=True))
        assert len(sheet) == len(rows), name
        for got, want in zip(sheet[1:], rows[1:]):
            assert len(got) <= len(want), name
            got = tuple(got) + (None,) * (len(want) - len(got))  # a read-only sheet leaves trailing empty cells out
            for g, w in zip(got, want):
                if w == "":
                    assert g is None, (name, g, w)
                elif isinstance(g, (int, float)) and not isinstance(g, bool):
                    assert math.isclose(g, float(w), rel_tol=1e-12, abs_tol=atol), (name, g, w)
                else:
                    assert str(g) == w, (name, g, w)
