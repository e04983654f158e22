"""``hubplan uncertainty SCENARIO.toml``: the appraisal over uncertain assumptions (Monte Carlo)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as Bar
from rich.table import Table

from hubplan.cli._app import app, check_out_dir, err, limited, out, prepare_out_dir, print_json, write_json
from hubplan.cli._layout import print_table
from hubplan.errors import InputError

if TYPE_CHECKING:
    from hubplan.planning.scenario import NetworkSpec
    from hubplan.planning.uncertainty import UncertaintyResult


def write_uncertainty_files(result: "UncertaintyResult", folder: Path, doc: dict[str, Any], *,
                            page_title: str | None = None, site_names: dict[str, str] | None = None,
                            workbook: bool = True) -> list[Path]:
    """``uncertainty.json``, ``uncertainty_criteria.csv``, ``uncertainty_draws.csv`` (and, with
    ``workbook``, both tables in ``uncertainty.xlsx``), the tornado
    chart ``uncertainty_tornado.png`` (when an assumption moved a score) and, with
    ``page_title``, ``uncertainty.html`` (the report's Uncertainty section as one page)."""
    from hubplan.report.charts import tornado_chart

    written = [folder / "uncertainty.json", folder / "uncertainty_criteria.csv", folder / "uncertainty_draws.csv"]
    write_json(written[0], doc)
    result.criterion_table().to_csv(written[1], index=False, float_format="%.6g")
    result.draws_table().to_csv(written[2], index=False, float_format="%.6g")
    if workbook:
        from hubplan.cli._exports import write_csv_workbook

        written += write_csv_workbook(
            folder, "uncertainty",
            [("uncertainty_criteria.csv", "each criterion of each option over the draws: mean and interval (ESTIMATED)"),
             ("uncertainty_draws.csv", "every draw: the assumptions drawn and each option's figures (ESTIMATED)")],
            what="the tables of the uncertainty analysis in one workbook (every figure ESTIMATED from draws of "
                 "the assumptions)")
    tornado = tornado_chart(result)  # the report's tornado chart, the same figure
    if tornado is not None:
        png = folder / "uncertainty_tornado.png"
        tmp = png.with_name(f".{png.name}.tmp")
        tmp.write_bytes(tornado.png)
        os.replace(tmp, png)
        written.append(png)
    if page_title is not None:
        from hubplan.report import render_uncertainty_html

        page = folder / "uncertainty.html"
        tmp = page.with_name(f".{page.name}.tmp")
        tmp.write_text(render_uncertainty_html(result, title=page_title, site_names=site_names), encoding="utf-8")
        os.replace(tmp, page)
        written.append(page)
    return written


def site_names(network: "NetworkSpec", result: "UncertaintyResult") -> dict[str, str]:
    """The names of the robust sites' codes, from the scenario's network as loaded (sites added
    by the scenario keep their codes); nothing to load when no option is optimised."""
    if not result.robust_sites():
        return {}
    from hubplan.geography import load_bundled, load_csv_network

    base = load_csv_network(network.data) if network.data is not None else load_bundled()
    return {str(code): str(name) for code, name in base.sites["site_name"].items()}


def print_uncertainty(doc: dict[str, Any]) -> None:
    """The options over the draws, the drivers and the robust sites, as terminal tables."""
    view = Table(title="Options over the draws (mean and 90% interval; ASSUMED distributions)", title_justify="left")
    for col in ("option", "ranks\nfirst", "mean minutes\nto hub", "beds", "beds\np95", "standards\nflag",
                "workforce\nshortfall"):
        view.add_column(col, justify="left" if col == "option" else "right", overflow="fold", no_wrap=col != "option")
    for o in doc["options"]:
        c = o["criteria"]

        def share(v: Any) -> str:
            return "-" if v is None else f"{v:.0%}"

        view.add_row(escape(o["name"]), f"{o['p_rank_first']:.0%}", _interval(c["time_to_hub_mean_minutes"]),
                     _interval(c["beds_at_target_occupancy"]),
                     "-" if o["beds_p95"] is None else f"{o['beds_p95']:,.0f}",
                     share(o["p_standards_flag"]), share(o["p_workforce_shortfall"]))
    print_table(view)
    drivers = [d for d in doc["drivers"] if d["largest"] is not None or d.get("spearman_with_lead") is not None]
    if drivers:
        top = doc["deterministic_ranking"][0]
        dv = Table(title=f"What drives the result (Spearman rank correlation with the lead of '{escape(top)}' over "
                   "the next best option, and with each option's score)", title_justify="left")
        dv.add_column("assumption", overflow="fold")
        dv.add_column("distribution", overflow="fold")
        dv.add_column(f"lead of\n{escape(top)}", justify="right", overflow="fold")
        for o in doc["options"]:
            dv.add_column(escape(o["name"]), justify="right", overflow="fold")
        for d in drivers:
            dv.add_row(escape(d["parameter"]), escape(d["distribution"]),
                       *["-" if v is None else f"{v:+.2f}"
                         for v in (d.get("spearman_with_lead"), *d["spearman_with_score"].values())])
        print_table(dv)
        if any(v is None for d in drivers for v in (d.get("spearman_with_lead"), *d["spearman_with_score"].values())):
            out.print("(-: it did not vary over the draws, so it has no rank correlation; a draw's scores are "
                      "rescaled between that draw's options, with two options always 0 and 1)", highlight=False)
    for option, sites in doc["robust_sites"].items():
        shown = ", ".join(f"{s} {v:.0%}" for s, v in list(sites.items())[:12])
        out.print(f"robust sites of {escape(option)}: {escape(shown)}")


def _interval(c: dict[str, Any]) -> str:
    if c["mean"] is None:
        return "-"
    return f"{c['mean']:,.1f} ({c['p5']:,.1f}-{c['p95']:,.1f})"


@app.command("uncertainty")
def uncertainty_command(
    scenario: Path = typer.Argument(..., help="Scenario file (TOML) with an [uncertainty] section (docs/uncertainty.md).",
                                    metavar="SCENARIO"),
    draws: Optional[int] = typer.Option(None, "--draws", help="Draws of the uncertain assumptions (default: the "
                                        "scenario's, else 200).", callback=limited("draws")),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the draws (default: the scenario's, else 0).",
                                       callback=limited("seed")),
    scheduler: str = typer.Option("in-process", "--scheduler", help="in-process, processes (local processes), local "
                                  "(a Dask LocalCluster) or a Dask scheduler address such as tcp://host:8786."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Worker processes for processes and local "
                                          "(default 2).", callback=limited("workers")),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", help="Write uncertainty.json, CSV tables, a "
                                           "tornado chart and uncertainty.html (the report's Uncertainty section) "
                                           "to this folder.", callback=check_out_dir),
    workbook: bool = typer.Option(True, "--workbook/--no-workbook",
                                  help="With --out, also write the CSV tables as one Excel workbook (.xlsx)."),
) -> None:
    """How sure are we? Every option and criterion over draws of the uncertain assumptions:
    intervals, the chance each option ranks first, standards flags, workforce shortfall,
    beds, the assumptions that drive the ranking, and robust sites."""
    from hubplan.executor import Executor
    from hubplan.planning.distributions import UncertaintySpec
    from hubplan.planning.scenario import load_scenario
    from hubplan.planning.uncertainty import run_uncertainty

    fmt = fmt.lower()
    if fmt not in ("table", "json"):
        raise InputError(f"--format {fmt}: expected 'table' or 'json'")
    executor = Executor(scheduler, workers)
    spec = load_scenario(scenario)
    uspec = spec.uncertainty or UncertaintySpec()
    if not uspec.parameters:
        err.print("[yellow]note:[/] " + escape("the scenario has no [uncertainty.parameters]: every draw is the "
                                               "deterministic appraisal (docs/uncertainty.md)"))
    folder = prepare_out_dir(out_dir) if out_dir is not None else None
    n = uspec.draws if draws is None else draws
    started = time.perf_counter()
    with Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
             TimeRemainingColumn(), console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(f"{n:,} draws, {executor.description}", total=n)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done)

        def say(message: str) -> None:
            bar.update(task, description=escape(message))

        result = run_uncertainty(spec, uspec, draws=draws, seed=seed, executor=executor, progress=step, say=say)
    seconds = time.perf_counter() - started
    doc = result.to_json()
    doc["seconds"] = seconds
    if folder is not None:
        written = write_uncertainty_files(result, folder, doc, page_title=spec.title or scenario.name,
                                          site_names=site_names(spec.network, result), workbook=workbook)
        err.print(f"wrote {', '.join(str(p) for p in written)}")
    if fmt == "json":
        print_json(doc)
        return
    out.print(f"[bold]{escape(spec.title or scenario.name)}[/]: {result.draws:,} draws (seed {result.seed}, "
              f"{result.executor}, {seconds:.1f} s)")
    for note in result.notes:
        out.print(f"[yellow]note:[/] {escape(note)}")
    print_uncertainty(doc)
