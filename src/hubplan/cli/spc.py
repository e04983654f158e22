"""``hubplan spc``: XmR statistical process control charts of monthly activity (Making Data Count)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Optional

import typer
from rich.markup import escape
from rich.table import Table

from hubplan.cli._exports import WORKBOOK_OPTION, write_csv_workbook
from hubplan.cli._app import app, check_out_dir, err, limited, prepare_out_dir, print_json
from hubplan.cli._layout import print_table
from hubplan.errors import InputError
from hubplan.validation import Limit, check_number

if TYPE_CHECKING:
    from hubplan.monitoring.spc import SpcChart, SpcResult


#: What the numeric options may be (checked as the command line is read).
_LIMITS = {
    "--target": Limit(),
    "--baseline": Limit("points", minimum=12, maximum=100_000, whole=True),
    "--run-points": Limit("points", minimum=3, maximum=15, whole=True),
    "--trend-points": Limit("points", minimum=3, maximum=15, whole=True),
}


def _checked(ctx: Any, param: Any, value: Any) -> Any:
    """A typer ``callback=``: ``--baseline: 6 is not a whole number of points from 12 to 100,000``."""
    if value is None or getattr(ctx, "resilient_parsing", False):
        return value
    name = max((o for o in param.opts if o.startswith("--")), key=len)
    return check_number(value, _LIMITS[name], name)


@app.command("spc")
def spc_command(
    file: Path = typer.Argument(
        ..., help="CSV with one row per period: period (yyyy-mm-dd or yyyy-mm), value[, group].",
        show_default=False, metavar="FILE",
    ),
    value_col: str = typer.Option("value", "--value", help="Column with the value (the numerator with --denominator)."),
    period_col: str = typer.Option("period", "--period", help="Column with the period."),
    group_col: Optional[str] = typer.Option(
        None, "--group", help="Column(s) with the group, comma-separated: one chart per group."
    ),
    denominator_col: Optional[str] = typer.Option(
        None, "--denominator", help="Chart value / denominator (e.g. --value breaches --denominator attendances)."
    ),
    per: float = typer.Option(1.0, "--per", help="With --denominator, report the ratio per this many (100 = percent).",
                              callback=limited("per")),
    sum_rows: bool = typer.Option(
        False, "--sum", help="Add up the rows of the same group and period (e.g. every trust's rows into "
        "England's); without it a repeated period is an error."
    ),
    skip_short: bool = typer.Option(
        False, "--skip-short", help="Leave out groups with fewer than 12 periods (named in a note) instead of stopping."
    ),
    improvement: str = typer.Option("none", "--improvement", help="Which direction is better: up, down or none."),
    target: Optional[float] = typer.Option(
        None, "--target", help="Target in the value's units: the assurance (needs --improvement up or down).",
        callback=_checked,
    ),
    baseline: Optional[int] = typer.Option(
        None, "--baseline", help="Fix the mean and limits from the first N points of each segment (N >= 12).",
        callback=_checked,
    ),
    rebase: Optional[List[str]] = typer.Option(
        None, "--rebase", help="Recalculate the limits from this period on (repeat it, or separate periods by commas)."
    ),
    run_points: int = typer.Option(7, "--run-points", help="Points on one side of the mean that make a run.",
                                callback=_checked),
    trend_points: int = typer.Option(6, "--trend-points", help="Increasing or decreasing points that make a trend.",
                                  callback=_checked),
    title: Optional[str] = typer.Option(None, "--title", help="Chart title (default: the value column)."),
    output_format: str = typer.Option("table", "--format", "-f", help="table or json (the JSON contract on stdout)."),
    out_dir: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Write spc.json, spc_points.csv, spc.xlsx and a PNG and an HTML chart per group "
        "here.", callback=check_out_dir,
    ),
    workbook: bool = WORKBOOK_OPTION,
) -> None:
    """XmR charts in the NHS 'Making Data Count' style: mean, 3-sigma limits and special causes.

    Rules: a point beyond the limits, a run of 7 on one side of the mean, a trend of 6
    increasing or decreasing points, two of three beyond the same 2-sigma line
    (docs/spc.md).
    """
    # imported here, not at the top, like every command's science: only the command run pays for it
    from hubplan.monitoring.spc import SpcColumns, SpcSettings, read_spc_csv, spc, write_outputs

    if output_format not in ("table", "json"):
        raise InputError(f"--format '{output_format}': expected table or json")
    if denominator_col is None and per != 1.0:
        raise InputError("--per: only with --denominator (the value is charted as it is)")
    periods = tuple(p.strip() for text in (rebase or []) for p in text.split(",") if p.strip())
    settings = SpcSettings(improvement=improvement, target=target, baseline=baseline, rebase=periods,  # type: ignore[arg-type]
                           run_points=run_points, trend_points=trend_points)
    columns = SpcColumns(period=period_col, value=value_col, group=group_col, denominator=denominator_col)
    data = read_spc_csv(file, columns, sum_rows=sum_rows, per=per)
    result = spc(data, settings, skip_short=skip_short)
    for note in result.notes:
        err.print(f"[yellow]note:[/] {escape(note)}", soft_wrap=True)
    if out_dir is not None:
        folder = prepare_out_dir(out_dir)
        written = list(write_outputs(result, folder, title=title))
        if workbook:
            written += [p.name for p in write_csv_workbook(
                folder, "spc", [("spc_points.csv", "every point: its period, value, mean, limits and the special "
                                                   "causes it is part of")],
                what="the points of hubplan spc --out in one workbook",
                notes=[("Data", str(file)), ("Improvement", improvement)])]
        err.print(f"wrote {', '.join(sorted(written))} to {out_dir}", soft_wrap=True)
    if output_format == "json":
        print_json(result.to_dict())
    else:
        for chart in result.charts:
            _print_chart(result, chart)


def _number(value: float) -> str:
    """About four significant figures, trailing zeros kept (whole numbers from 1,000 up)."""
    if value == 0 or abs(value) >= 1000:
        return f"{value:,.0f}"
    decimals = min(6, max(0, 3 - math.floor(math.log10(abs(value)))))
    return f"{value:,.{decimals}f}"


def summary_line(chart: SpcChart) -> str:
    """One line per chart: mean, limits and special-cause points by rule."""
    parts = []
    for segment in chart.segments:
        where = f"{segment.start} to {segment.end}: " if len(chart.segments) > 1 else ""
        parts.append(f"{where}mean {_number(segment.mean)}, limits {_number(segment.lower_limit)} to "
                     f"{_number(segment.upper_limit)}")
    counts = ", ".join(f"{rule.replace('_', ' ')} {n}" for rule, n in chart.counts.items())
    variation = ", ".join(f"{v.replace('_', ' ')} {n}" for v, n in chart.variation_counts.items() if n)
    line = f"{'; '.join(parts)}; special-cause points {chart.special_cause_points} ({counts}); {variation}"
    if chart.assurance is not None:
        line += f"; target {chart.settings.target:g}: {chart.assurance.value.replace('_', ' ')}"
    return line


def _print_chart(result: SpcResult, chart: SpcChart) -> None:
    from hubplan.cli._app import out

    name = result.columns.value if not result.columns.denominator else (
        f"{result.columns.value} / {result.columns.denominator}" + (f" x {result.per:g}" if result.per != 1 else ""))
    group = "" if chart.group is None else f" ({', '.join(result.columns.group_columns)} = {chart.group})"
    table = Table(title=f"SPC: {name}{group}, {len(chart.points)} points", caption=summary_line(chart))
    for header in ("period", "value", "moving range", "rules", "variation"):
        table.add_column(header, justify="right" if header in ("value", "moving range") else "left",
                         no_wrap=header != "rules", overflow="fold")
    for _, row in chart.points.iterrows():
        moving = row["moving_range"]
        table.add_row(str(row["period"]), _number(row["value"]), "" if moving != moving else _number(moving),
                      ", ".join(r.replace("_", " ") for r in row["rules"]), str(row["variation"]).replace("_", " "))
    print_table(table)
    out.print()
