"""``hubplan appraise SCENARIO.toml``: evaluate, score and rank options; write the report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Optional

import typer
from rich.markup import escape
from rich.table import Table

from hubplan.cli._app import Progress, app, check_out_dir, err, limited, out, prepare_out_dir, print_json, write_json
from hubplan.cli._exports import FIGURES_OPTION, GEOPACKAGE_OPTION, WORKBOOK_OPTION, command_line, write_exports
from hubplan.cli._layout import print_table
from hubplan.planning.appraise import Appraisal
from hubplan.errors import InputError
from hubplan.formatting import shown_share


def options_table(appraisal: Appraisal) -> Table:
    """The options side by side (measures as rows), as in the report."""
    from hubplan.report.content import build_content

    content = build_content(appraisal)
    source = content.options_table
    table = Table(title="Options", title_justify="left", caption=source.notes[0] if source.notes else None,
                  caption_justify="left")
    table.add_column("", overflow="fold")
    for name in source.header[1:]:
        table.add_column(escape(name), justify="right", overflow="fold")
    for row in source.rows:
        table.add_row(*(escape(c) for c in row))
    return table


def ranking_table(appraisal: Appraisal) -> Table:
    a = appraisal  # an Appraisal
    table = Table(title="Ranking", title_justify="left",
                  caption=f"first in random weightings: share of {a.draws:,} Dirichlet draws (seed {a.seed})",
                  caption_justify="left")
    for col, justify in (("rank", "right"), ("option", "left"), ("score", "right"),
                         ("first in\nrandom\nweightings", "right"), ("mean\nrank", "right")):
        table.add_column(col, justify=justify, overflow="fold", no_wrap=col != "option")  # type: ignore[arg-type]
    scores, stability = a.scores, a.stability
    for name in scores.ranking:
        table.add_row(str(int(scores.ranks[name])), escape(name), f"{scores.scores[name]:.3f}",
                      f"{stability.loc[name, 'share_first']:.0%}", f"{stability.loc[name, 'mean_rank']:.2f}")
    return table


def sensitivity_table(appraisal: Appraisal) -> Table:
    a = appraisal
    top = a.scores.top
    table = Table(title=f"How far each weight can move before '{escape(top)}' loses first place",
                  title_justify="left")
    for col, justify in (("criterion", "left"), ("weight", "right"), ("stays\nfirst", "right"),
                         ("who takes over", "left")):
        table.add_column(col, justify=justify, overflow="fold",  # type: ignore[arg-type]
                         no_wrap=col in ("weight", "stays\nfirst"))
    for _, r in a.sensitivity.iterrows():
        who = []
        if r["option_below"]:
            who.append(f"below: {r['option_below']}")
        if r["option_above"]:
            who.append(f"above: {r['option_above']}")
        table.add_row(escape(r["label"]), shown_share(r["weight"]), f"{shown_share(r['weight_low'])}-{shown_share(r['weight_high'])}",
                      escape("; ".join(who) or "never changes"))
    return table


@app.command("appraise")
def appraise_command(
    scenario: Path = typer.Argument(..., help="Scenario file (TOML): network, service, options; see docs/appraisal.md.",
                                    metavar="SCENARIO"),
    out_dir: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Write report.html, report.pdf, appraisal.json and CSV tables to this folder.",
        callback=check_out_dir),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json (the appraisal as JSON on stdout)."),
    html: bool = typer.Option(True, "--html/--no-html", help="Write the HTML report (with --out)."),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Write the PDF report (with --out)."),
    workbook: bool = WORKBOOK_OPTION,
    geopackage: bool = GEOPACKAGE_OPTION,
    figures: bool = FIGURES_OPTION,
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the rank-stability draws (default: the scenario's).",
                                       callback=limited("seed")),
    draws: Optional[int] = typer.Option(None, "--draws", help="Number of random weightings, 1 to 1,000,000 "
                                        "(default: the scenario's).", callback=limited("draws")),
    uncertainty: Optional[int] = typer.Option(
        None, "--uncertainty", metavar="N", callback=limited("draws"),
        help="Also appraise N draws of the scenario's [uncertainty] assumptions (seed: the scenario's) and add "
             "the Uncertainty section to the report; with --out, also uncertainty.json and CSV tables "
             "(docs/uncertainty.md)."),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", help="Where the --uncertainty draws run: in-process (default), processes (local "
                                  "processes), local (a Dask LocalCluster) or a Dask scheduler address."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Worker processes for --scheduler processes "
                                          "and local (default 2).", callback=limited("workers")),
) -> None:
    """Appraise the options of a scenario file: scores, ranking, sensitivity, and the report."""
    import dataclasses

    from hubplan.executor import Executor
    from hubplan.planning.scenario import load_scenario, run_scenario

    fmt = fmt.lower()
    if fmt not in ("table", "json"):
        raise InputError(f"--format {fmt}: expected 'table' or 'json'")
    if uncertainty is None and (scheduler is not None or workers is not None):
        raise InputError(f"{'--scheduler' if scheduler is not None else '--workers'}: only with --uncertainty N "
                         "(where the draws of the uncertain assumptions run)")
    if uncertainty is not None and fmt == "json" and out_dir is None:
        raise InputError("--uncertainty with --format json: give --out DIR for uncertainty.json and the report "
                         "(or run hubplan uncertainty --format json)")
    executor = Executor(scheduler or "in-process", workers)
    spec = load_scenario(scenario)
    if uncertainty is not None and (spec.uncertainty is None or not spec.uncertainty.parameters):
        raise InputError(f"--uncertainty {uncertainty}: {scenario.name} has no [uncertainty.parameters] to draw "
                         "(docs/uncertainty.md)")
    if seed is not None or draws is not None:
        how = spec.appraisal
        how = dataclasses.replace(how, seed=how.seed if seed is None else seed,
                                  draws=how.draws if draws is None else draws)
        spec = dataclasses.replace(spec, appraisal=how)
    folder = prepare_out_dir(out_dir) if out_dir is not None else None
    started = time.perf_counter()
    result = None
    with Progress(f"Appraising {scenario.name} ...", timed=True) as progress:
        appraisal = run_scenario(spec, progress=progress)
        if uncertainty is not None and spec.uncertainty is not None:
            from hubplan.planning.uncertainty import run_uncertainty

            progress(f"{uncertainty:,} draws of the uncertain assumptions ({executor.description}) ...")

            def step(done: int, total: int) -> None:
                progress.status.update(f"draw {done:,} of {total:,} ({executor.description})")

            result = run_uncertainty(spec, spec.uncertainty, draws=uncertainty, executor=executor, progress=step,
                                     deterministic=appraisal)
        written: list[Path] = []
        if folder is not None:
            written += write_tables(appraisal, folder)
            if result is not None:
                from hubplan.cli.uncertainty import write_uncertainty_files

                # appraisal.xlsx holds these tables already
                written += write_uncertainty_files(result, folder, result.to_json(), workbook=False)
            drawn = None
            if html or pdf:
                from hubplan.report import build_figures, write_report

                if figures:  # the report's maps drawn once, as PNG and SVG, for the report and figures/
                    progress("drawing maps and charts ...")
                    drawn = build_figures(appraisal, uncertainty=result, svg_maps=True)
                files = write_report(appraisal, folder, html=html, pdf=pdf, progress=progress, uncertainty=result,
                                     figures=drawn)
                written += [p for p in (files.html, files.pdf) if p is not None]
            written += write_appraisal_exports(appraisal, folder, uncertainty=result, workbook=workbook,
                                               geopackage=geopackage, figures=figures, progress=progress,
                                               drawn=drawn)
    if fmt == "json":
        print_json(appraisal.to_json())
    else:
        out.print(f"[bold]{escape(appraisal.title)}[/]")
        for note in appraisal.notes:
            out.print(f"[yellow]note:[/] {escape(note)}")
        print_table(options_table(appraisal))
        print_table(ranking_table(appraisal))
        print_table(sensitivity_table(appraisal))
        if result is not None:
            from hubplan.cli.uncertainty import print_uncertainty

            out.print(f"[bold]How sure are we?[/] {result.draws:,} draws of the ASSUMED distributions (seed "
                      f"{result.seed}, {escape(result.executor)})")
            for note in result.notes:
                out.print(f"[yellow]note:[/] {escape(note)}")
            print_uncertainty(result.to_json())
    if folder is not None:
        err.print(f"wrote {len(written)} files to {folder}/ ({', '.join(p.name for p in written)}) "
                  f"in {time.perf_counter() - started:.1f} s", highlight=False)


def write_tables(appraisal: Appraisal, folder: Path) -> list[Path]:
    """``appraisal.json``, ``appraisal_options.csv``, ``appraisal_sensitivity.csv``, ``appraisal_rank_stability.csv``."""
    a = appraisal
    paths = [folder / "appraisal.json", folder / "appraisal_options.csv", folder / "appraisal_sensitivity.csv",
             folder / "appraisal_rank_stability.csv"]
    write_json(paths[0], a.to_json())
    a.table().to_csv(paths[1], float_format="%.4f")
    a.sensitivity.to_csv(paths[2], index=False, float_format="%.4f")
    a.stability.to_csv(paths[3], float_format="%.4f")
    return paths


def write_appraisal_exports(appraisal: Appraisal, folder: Path, *, uncertainty: object = None, workbook: bool = True,
                            geopackage: bool = True, figures: bool = True,
                            progress: Optional[Callable[[str], None]] = None, drawn: object = None) -> list[Path]:
    """``appraisal.xlsx`` (the CSV tables of :func:`write_tables`, and the uncertainty ones),
    ``appraisal.gpkg`` (areas and sites with each option's figures) and ``figures/`` (every map
    and chart of the report as PNG and SVG, from ``drawn``, the report's figures, when given);
    see docs/exports.md."""
    from hubplan.report.exports import ExportTable, about_rows, appraisal_layers, option_slugs, write_figures

    a = appraisal
    tables = [ExportTable("appraisal_options", a.table(), True, "every option's measures, score and rank"),
              ExportTable("appraisal_sensitivity", a.sensitivity, False,
                          "how far each weight can move before the top option loses first place"),
              ExportTable("appraisal_rank_stability", a.stability, True, "ranks over random weightings")]
    if uncertainty is not None:
        tables += [ExportTable("uncertainty_criteria", uncertainty.criterion_table(), False,  # type: ignore[attr-defined]
                               "each criterion's interval over the draws of the assumptions"),
                   ExportTable("uncertainty_draws", uncertainty.draws_table(), False,  # type: ignore[attr-defined]
                               "every draw of the assumptions and what it gave")]

    def about() -> list[tuple[str, str]]:
        names = [ev.option.name for ev in a.evaluations]
        layer_note = "; ".join(f"'{slug}' = {name}" for slug, name in zip(option_slugs(names), names))
        return about_rows(what=f"{a.title}: the CSV tables of hubplan appraise --out in one workbook",
                          command=command_line(), network=a.network, service=a.service, evaluations=a.evaluations,
                          tables=tables, notes=[*a.notes, f"GeoPackage column suffixes: {layer_note}"])

    written = write_exports(folder, "appraisal", tables=tables, about=about, layers=lambda: appraisal_layers(a),
                            workbook=workbook, geopackage=geopackage)
    if figures:
        started = time.perf_counter()
        pictures = write_figures(a, folder / "figures", uncertainty=uncertainty,  # type: ignore[arg-type]
                                 figures=drawn, progress=progress)
        err.print(f"wrote {len(pictures)} figures to {folder / 'figures'}/ in {time.perf_counter() - started:.1f} s",
                  highlight=False)
        written.append(folder / "figures")
    return written


def demo_report(network: object, service: object, evaluations: list, solutions: dict, folder: Path, *,
                workbook: bool = True, geopackage: bool = True, figures: bool = True) -> str:
    """Appraise the demo's evaluations (no re-evaluation) and write ``report.html`` and ``report.pdf``,
    and, as ``appraise --out`` does, the workbook, the GeoPackage and ``figures/`` (each unless turned off).

    The first evaluation is the baseline; criteria and weights are the defaults
    (:data:`hubplan.planning.appraise.DEFAULT_WEIGHTS`, the same as ``examples/national_thrombectomy.toml``).
    Returns a line for the terminal.
    """
    from hubplan.planning.appraise import appraise
    from hubplan.report import build_figures, write_report
    from hubplan.planning.scenario import scenario_notes

    started = time.perf_counter()
    with err.status("Writing the appraisal report (HTML and PDF) ..."):
        appraisal = appraise(
            network, service, evaluations, region_type="isdn", seed=1, draws=2000,  # type: ignore[arg-type]
            title="England: thrombectomy centres",
            description=("Where should mechanical thrombectomy for stroke be provided in England? Today's 24 centres "
                         "taking every patient directly or with the local stroke units as spokes that treat first and "
                         "transfer (with and without a 15-minute ambulance bypass), and the best 30 centres (today's "
                         "24 kept, 6 added to give the shortest average journey)."),
            solutions=solutions, notes=scenario_notes(service),  # type: ignore[arg-type]
        )
        write_tables(appraisal, folder)
        drawn = build_figures(appraisal, svg_maps=True) if figures else None  # drawn once, for both
        files = write_report(appraisal, folder, figures=drawn)
    write_appraisal_exports(appraisal, folder, workbook=workbook, geopackage=geopackage, figures=figures, drawn=drawn)
    return (f"Appraisal: '{appraisal.scores.top}' ranks first (first in "
            f"{appraisal.stability.loc[appraisal.scores.top, 'share_first']:.0%} of random weightings); report in "
            f"{files.html} and {files.pdf} ({time.perf_counter() - started:.1f} s)")
