"""Equity tables of ``hubplan evaluate`` and ``hubplan compare`` (docs/equity.md).

Minutes by deprivation (IMD quintile, Core20, WIMD quintile) and rurality, and who
gains and who loses in each group; printed with :func:`hubplan.cli._layout.print_table`
so that they fit the terminal, and written as ``equity.csv`` with ``--out``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from hubplan.cli._app import err, out
from hubplan.cli._layout import Layout, print_table, stacked
from hubplan.access.evaluate import Comparison, Evaluation
from hubplan.formatting import shown_number

#: Words for each headline gap (the first group minus the second).
GAP_WORDS = {
    "imd_q1_minus_q5_time_to_hub_mean_minutes": "most minus least deprived fifth (IMD)",
    "core20_minus_rest_time_to_hub_mean_minutes": "Core20 minus the rest",
    "wimd_q1_minus_q5_time_to_hub_mean_minutes": "most minus least deprived fifth (WIMD)",
}


def _m(x: Any) -> str:
    return shown_number(x, ".1f")


def _signed(x: Any) -> str:
    return shown_number(x, "+.1f")


def _pct(x: Any) -> str:
    return shown_number(x, ".1f", scale=100, suffix="%")


def _count(x: Any) -> str:
    return shown_number(x, ",.0f")


def equity_table(ev: Evaluation, first: bool = True) -> Table:
    """Patients, mean minutes to first hospital and hub, shares within each threshold of
    the hub, one row per group (sections by grouping)."""
    groups = ev.equity_json()["groups"]
    thresholds = list(groups[0]["time_to_hub"]["within"]) if groups else []
    table = Table(title=f"Equity: minutes to hub by deprivation and rurality ({ev.option.name})",
                  title_justify="left", caption="patients a year; minutes weighted by patients (docs/equity.md)",
                  caption_justify="left")
    table.add_column("group", overflow="fold")
    table.add_column("patients", justify="right", no_wrap=True)
    if first:
        table.add_column("first\nmean", justify="right", no_wrap=True)
    table.add_column("hub\nmean", justify="right", no_wrap=True)
    for t in thresholds:
        table.add_column(f"≤{t}\nmin", justify="right", no_wrap=True)
    for i, g in enumerate(groups):
        last = i + 1 == len(groups) or groups[i + 1]["grouping"] != g["grouping"]
        hub = g["time_to_hub"]
        table.add_row(g["label"], _count(g["patients"]), *([_m(g["time_to_first"]["mean"])] if first else []),
                      _m(hub["mean"]), *[_pct(hub["within"][t]) for t in thresholds], end_section=last)
    return table


def gap_lines(gaps: dict[str, Any]) -> list[str]:
    """One line per headline gap that could be worked out."""
    return [f"Mean minutes to hub, {GAP_WORDS[key]}: {_signed(value)}"
            for key, value in gaps.items() if value is not None]


def print_equity(ev: Evaluation) -> None:
    """The equity table and gaps of an evaluation on stdout, its notes on stderr; only the
    notes when the network has no deprivation or rurality columns."""
    equity = ev.equity_json()
    if equity["groups"]:
        print_table(equity_table(ev), Layout(equity_table(ev, first=False),
                                             "mean minutes to first hospital hidden at this width"))
        for line in gap_lines(equity["gaps"]):
            out.print(line, highlight=False, markup=False)
    for note in equity["notes"]:
        err.print(f"[yellow]note:[/] {note}", highlight=False)


def equity_changes_table(comparison: Comparison) -> Table:
    """Per equity group: patients with a longer and a shorter journey to hub, the mean
    change, and the group's mean minutes to hub under A and B."""
    table = Table(title="Who gains and who loses by deprivation and rurality (time to hub)", title_justify="left",
                  caption="patients a year; change = B minus A, minutes", caption_justify="left")
    table.add_column("group", overflow="fold")
    for col in ("patients", "longer", "shorter", "mean\nchange", "A\nmean", "B\nmean"):
        table.add_column(col, justify="right", no_wrap=True)
    groups = comparison.equity_json()["groups"]
    for i, g in enumerate(groups):
        last = i + 1 == len(groups) or groups[i + 1]["grouping"] != g["grouping"]
        table.add_row(g["label"], _count(g["patients"]), _count(g["patients_longer"]), _count(g["patients_shorter"]),
                      _signed(g["mean_change_minutes"]), _m(g["mean_time_to_hub_a"]), _m(g["mean_time_to_hub_b"]),
                      end_section=last)
    return table


def print_equity_changes(comparison: Comparison) -> None:
    """:func:`equity_changes_table` and the gaps under A and B; notes on stderr."""
    equity = comparison.equity_json()
    if equity["groups"]:
        table = equity_changes_table(comparison)
        print_table(table, stacked(table))
        for key, gap in equity["gaps"].items():
            if gap["a"] is not None and gap["b"] is not None:
                out.print(f"Mean minutes to hub, {GAP_WORDS[key]}: A {_signed(gap['a'])}, B {_signed(gap['b'])}",
                          highlight=False, markup=False)
    for note in equity["notes"]:
        err.print(f"[yellow]note:[/] {note}", highlight=False)


def write_equity(table: Any, folder: Path) -> list[Path]:
    """``equity.csv`` in ``folder`` when there is an equity table (none without the columns)."""
    if len(table) == 0:
        return []
    path = folder / "equity.csv"
    tmp = path.with_name(f".{path.name}.tmp")
    table.to_csv(tmp, index=False, float_format="%.4f")
    tmp.replace(path)
    return [path]
