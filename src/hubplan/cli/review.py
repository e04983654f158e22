"""``hubplan review``: a national review of surgical hubs or diagnostic centres by ICS."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.markup import escape
from rich.table import Table

from hubplan.cli._app import app, check_out_dir, err, prepare_out_dir, print_json
from hubplan.cli._layout import print_table
from hubplan.errors import InputError

if TYPE_CHECKING:
    from hubplan.planning.review import Review


@app.command("review")
def review_command(
    units_file: Path = typer.Argument(
        ..., help="CSV with one row per unit: site_code[, note, sessions_per_week, cases_per_session, "
        "scanner_hours_per_week, tests_per_hour].", show_default=False, metavar="UNITS.csv",
    ),
    preset: str = typer.Option("elective_surgical_hub", "--preset", "-s",
                               help="An elective preset: elective_surgical_hub or community_diagnostic_centre."),
    catchment: bool = typer.Option(False, "--catchment", help="Each area goes to its nearest unit only (no overflow "
                                   "to the next unit with spare capacity)."),
    illustrative: bool = typer.Option(False, "--illustrative", help="Label every output: the units and capacities "
                                      "are illustrative, not the real ones."),
    activity: Optional[Path] = typer.Option(None, "--activity", help="Your monthly activity CSV (period,value"
                                            "[,group]) for SPC charts.", metavar="FILE"),
    activity_group: Optional[str] = typer.Option(None, "--activity-group",
                                                 help="Column of --activity with the group: one chart per group."),
    improvement: str = typer.Option("up", "--improvement", help="For the SPC charts, which direction is better: "
                                    "up, down or none."),
    output_format: str = typer.Option("table", "--format", "-f", help="table or json (one JSON document on stdout)."),
    out_dir: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Write review.html, review.json, units.csv, ics.csv, review.xlsx, funnel.png and "
        "the SPC charts here.", callback=check_out_dir,
    ),
    workbook: bool = typer.Option(True, "--workbook/--no-workbook",
                                  help="With --out, also write the CSV tables as one Excel workbook (.xlsx)."),
) -> None:
    """Capacity, activity, utilisation and waiting-list change per unit and per ICS (England),
    a funnel plot of activity per 100,000 by ICS, and SPC charts of monthly activity (docs/elective.md)."""
    from hubplan.cli.core import load_network
    from hubplan.planning.review import read_units_csv, review
    from hubplan.services import Service

    if output_format not in ("table", "json"):
        raise InputError(f"--format '{output_format}': expected table or json")
    if activity_group is not None and activity is None:
        raise InputError("--activity-group: only with --activity FILE")
    elective = [name for name in Service.preset_names() if Service.preset(name).kind == "elective"]
    if preset.replace("-", "_") not in Service.preset_names():
        initials = [name for name in elective if "".join(w[0] for w in name.split("_")) == preset.lower()]
        raise InputError(f"--preset {preset}: not a preset; expected an elective preset ({', '.join(elective)})"
                         + (f" (did you mean {initials[0]}?)" if initials else ""))
    service = Service.preset(preset)
    if service.kind != "elective":
        raise InputError(f"--preset {preset}: a preset of kind {service.kind!r}; expected an elective preset "
                         f"({', '.join(elective)})")
    if catchment:
        service = service.with_overrides(parameters={"overflow": 0})
    spc_result = None
    if activity is not None:
        from hubplan.monitoring.spc import SpcColumns, SpcSettings, read_spc_csv, spc

        settings = SpcSettings(improvement=improvement)  # type: ignore[arg-type]
        spc_result = spc(read_spc_csv(activity, SpcColumns(group=activity_group)), settings)
    network = load_network(None, "England", None)
    units = read_units_csv(units_file, network)
    with err.status(f"Assessing {len(units)} units ..."):
        result = review(network, service, units, units_source=str(units_file), illustrative=illustrative,
                        spc=spc_result)
    if out_dir is not None:
        written = _write(result, prepare_out_dir(out_dir), workbook=workbook)
        err.print(f"wrote {', '.join(written)} to {out_dir}", soft_wrap=True)
    if output_format == "json":
        print_json(result.to_json())
    else:
        _print(result)


def _write(rv: "Review", out_dir: Path, workbook: bool = True) -> list[str]:
    """Every file to a temporary folder first, then moved into ``out_dir`` (nothing half-written)."""
    from hubplan.cli._app import write_json
    from hubplan.monitoring.benchmark.plots import provider_funnel_data, write_png
    from hubplan.planning.review import review_html

    tmp = Path(tempfile.mkdtemp(prefix=".review-", dir=out_dir))
    try:
        images: dict[str, bytes] = {}
        data = provider_funnel_data(rv.funnel, title="Residents treated a year per 100,000 population, by ICS",
                                    value_label="Activity")
        write_png(data, tmp / "funnel.png")
        images["Funnel plot: activity per 100,000 population by ICS"] = (tmp / "funnel.png").read_bytes()
        files = ["review.html", "review.json", "units.csv", "ics.csv", "funnel.png"]
        if rv.spc is not None:
            from hubplan.monitoring.spc import chart_stem, write_outputs

            for name in write_outputs(rv.spc, tmp / "spc", title="Monthly activity"):
                files.append(f"spc/{name}")
            for chart in rv.spc.charts:
                png = tmp / "spc" / f"{chart_stem(chart)}.png"
                if png.exists():
                    images[f"SPC: monthly activity{'' if chart.group is None else ', ' + str(chart.group)}"] = \
                        png.read_bytes()
        rv.result.table("units").frame.to_csv(tmp / "units.csv", index=False)
        rv.ics.to_csv(tmp / "ics.csv", index=False)
        if workbook:
            from hubplan.cli._exports import write_csv_workbook

            write_csv_workbook(tmp, "review", [
                ("units.csv", "each unit: capacity, activity, utilisation and waiting-list change"),
                ("ics.csv", "each integrated care system: its units, activity per 100,000 and the funnel flag")],
                what="the tables of hubplan review --out in one workbook")
            files.append("review.xlsx")
        write_json(tmp / "review.json", rv.to_json())
        (tmp / "review.html").write_text(review_html(rv, images), encoding="utf-8")
        for name in files:
            target = out_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / name, target)
        return files
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _number(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"
    return str(value)


def _print(rv: "Review") -> None:
    from hubplan.cli._app import out

    if rv.illustrative:
        out.print(f"[bold yellow]{escape(rv.notes[0])}[/]")
    measures = Table(title=f"{rv.service.title}: {len(rv.units)} units")
    for header in ("measure", "value", "unit"):
        measures.add_column(header, justify="right" if header == "value" else "left")
    for m in rv.result.measures:
        measures.add_row(m.label, _number(m.value), m.unit)
    print_table(measures)
    columns = ["icb", "population", "units", "capacity_per_100k", "activity_per_100k", "demand_per_100k",
               "utilisation", "waiting_list_change_per_year"]
    flags = dict(zip(rv.funnel.providers["provider"], rv.funnel.providers["flag"]))
    ics = Table(title="Per ICS (per 100,000 population; flag: funnel of activity per 100,000)")
    for header in (*columns, "flag"):
        ics.add_column(header.replace("_", " "), justify="left" if header in ("icb", "flag") else "right")
    for row in rv.ics[columns].itertuples(index=False):
        name = str(row[0]).removeprefix("NHS ").removesuffix(" Integrated Care Board")
        ics.add_row(name, *(_number(v) for v in row[1:]), flags.get(row[0], "-"))
    print_table(ics)
    _print_funnel(rv)
    for note in rv.notes[1 if rv.illustrative else 0:]:
        err.print(f"[yellow]note:[/] {escape(note)}")


#: Funnel flags in the order they are counted, and how they are named.
_FLAGS = (("alarm_low", "alarm low"), ("alert_low", "alert low"), ("in_control", "in control"),
          ("alert_high", "alert high"), ("alarm_high", "alarm high"))


def _print_funnel(rv: "Review") -> None:
    """The funnel's figures: its target and counts, and each ICS outside its 95% limits with
    its value and limits (the plot is in ``review.html`` and ``funnel.png``)."""
    from hubplan.cli._app import out

    providers = rv.funnel.providers
    counts = providers["flag"].value_counts()
    said = [f"{int(counts.get(flag, 0))} {words}" for flag, words in _FLAGS if counts.get(flag, 0)]
    out.print(f"Funnel of activity per 100,000 by ICS: England {rv.funnel.target * rv.funnel.settings.per:,.1f}; "
              f"{', '.join(said)} (alert: outside the 95% limits, alarm: outside the 99.8% limits; limits "
              f"{rv.funnel.limits_description})", highlight=False)
    outside = providers[providers["flag"] != "in_control"].sort_values("value", ascending=False)
    if not len(outside):
        return
    table = Table(title="ICSs outside the funnel's 95% limits (activity per 100,000)", title_justify="left")
    for header in ("icb", "activity", "95% limits", "99.8% limits", "flag"):
        table.add_column(header, justify="left" if header in ("icb", "flag") else "right",
                         no_wrap=header not in ("icb",))
    for _, r in outside.iterrows():
        table.add_row(str(r["provider"]).removeprefix("NHS ").removesuffix(" Integrated Care Board"),
                      f"{r['value']:,.1f}", f"{r['lower_95']:,.1f}-{r['upper_95']:,.1f}",
                      f"{r['lower_998']:,.1f}-{r['upper_998']:,.1f}", str(r["flag"]).replace("_", " "))
    print_table(table)
