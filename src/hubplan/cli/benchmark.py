"""``hubplan benchmark``: funnel plots, overdispersion and outliers from a provider CSV."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.table import Table

from hubplan.cli._app import app, check_out_dir, err, limited, prepare_out_dir, print_json
from hubplan.cli._exports import WORKBOOK_OPTION, write_csv_workbook
from hubplan.cli._layout import print_table
from hubplan.errors import InputError

if TYPE_CHECKING:
    from hubplan.monitoring.benchmark import BenchmarkResult


@app.command("benchmark")
def benchmark_command(
    file: Path = typer.Argument(
        ..., help="CSV with one row per provider: provider, numerator, denominator[, region] "
        "(for --indicator ratio: provider, observed, expected[, region]).",
        show_default=False, metavar="FILE",
    ),
    indicator: str = typer.Option(
        "proportion", "--indicator", "-i",
        help="proportion (events / cases), ratio (observed / expected) or rate (count / exposure).",
    ),
    overdispersion: str = typer.Option(
        "additive", "--overdispersion",
        help="none, multiplicative (limits x sqrt(phi) when phi > 1) or additive "
        "(DerSimonian-Laird tau2).",
    ),
    limits: str = typer.Option(
        "exact", "--limits", help="Unadjusted limits: exact (binomial/Poisson) or normal."
    ),
    scale: Optional[str] = typer.Option(
        None, "--scale", help="Comparison scale: identity or arcsine (proportion); sqrt, log or "
        "identity (ratio, rate). Default: identity for proportions, sqrt otherwise.",
    ),
    target: Optional[float] = typer.Option(
        None, "--target", help="Target in the indicator's units (e.g. 0.12). Default: 1 for a "
        "ratio, the pooled value otherwise.", callback=limited("target"),
    ),
    winsorise: float = typer.Option(0.1, "--winsorise", help="Share of z-scores winsorised at each tail.",
                                    callback=limited("winsorise")),
    test_overdispersion: bool = typer.Option(
        False, "--test-overdispersion", help="Widen the limits only if the chi-squared test of phi "
        "is significant at --alpha.",
    ),
    alpha: float = typer.Option(0.05, "--alpha", help="Level of the overdispersion test.", callback=limited("alpha")),
    per: float = typer.Option(1.0, "--per", help="Report values per this many (100 = percent, 100000 for rates).",
                              callback=limited("per")),
    provider_col: str = typer.Option("provider", "--provider-col", help="Column with the provider name or code."),
    numerator_col: Optional[str] = typer.Option(None, "--numerator-col", help="Column with the numerator / observed."),
    denominator_col: Optional[str] = typer.Option(
        None, "--denominator-col", help="Column with the denominator / expected."
    ),
    region_col: Optional[str] = typer.Option(
        None, "--region-col", help="Column with the region (ICB, ISDN ...); default 'region' if present."
    ),
    title: Optional[str] = typer.Option(None, "--title", help="Plot title."),
    label: Optional[str] = typer.Option(None, "--label", help="What the value is, for axes (e.g. 'Thrombolysis rate')."),
    output_format: str = typer.Option("table", "--format", "-f", help="table or json (the JSON contract on stdout)."),
    out_dir: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Write providers.csv, outliers.csv, regions.csv, summary.json, "
        "funnel.png, funnel.html and benchmark.xlsx here.", callback=check_out_dir,
    ),
    workbook: bool = WORKBOOK_OPTION,
) -> None:
    """Benchmark providers with a funnel plot: outliers, overdispersion and regional variation.

    Follows Spiegelhalter (2005) and Spiegelhalter et al. (2012): alert = beyond the
    95% limits, alarm = beyond the 99.8% limits.
    """
    # imported here, not at the top: scipy.stats would double every other command's start-up
    from hubplan.monitoring.benchmark import ColumnNames, FunnelSettings, benchmark, read_providers_csv, write_outputs
    from hubplan.monitoring.benchmark.funnel import _choice
    from hubplan.monitoring.benchmark.indicators import Indicator, Scale
    from hubplan.monitoring.benchmark.limits import LimitMethod
    from hubplan.monitoring.benchmark.overdispersion import Overdispersion

    if output_format not in ("table", "json"):
        raise InputError(f"--format '{output_format}': expected table or json")
    settings = FunnelSettings(
        indicator=_choice(Indicator, indicator, "indicator"),
        target=target,
        overdispersion=_choice(Overdispersion, overdispersion, "overdispersion"),
        limits=_choice(LimitMethod, limits, "limits"),
        scale=None if scale is None else _choice(Scale, scale, "scale"),
        winsorise=winsorise,
        test_overdispersion=test_overdispersion,
        alpha=alpha,
        per=per,
    )
    columns = ColumnNames(provider_col, numerator_col, denominator_col, region_col)
    providers = read_providers_csv(file, settings.indicator, columns)
    result = benchmark(providers, settings, source=str(file))
    if out_dir is not None:
        folder = prepare_out_dir(out_dir)
        written = write_outputs(result, folder, title=title, value_label=label)
        if workbook:
            written.update({p.name: p for p in _write_workbook(result, folder, written)})
        err.print(f"wrote {', '.join(sorted(written))} to {out_dir}")
    if output_format == "json":
        print_json(result.to_dict())
    else:
        _print_tables(result)


def _number(value: float) -> str:
    return f"{value:,.4g}"


def _count(value: float) -> str:
    """Counts as whole numbers with thousands separators (expected counts keep 1 decimal)."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _print_tables(result: BenchmarkResult) -> None:
    d = result.dispersion
    per = result.settings.per
    summary = Table(title=f"Benchmark: {result.indicator.value}, {len(result.providers)} providers", show_header=False)
    summary.add_column("what", no_wrap=True)
    summary.add_column("value", overflow="fold")
    summary.add_row("target", _number(result.target * per))
    summary.add_row("limits drawn", result.limits_description)
    summary.add_row("phi (winsorised)", f"{d.phi:.4g} (chi-squared p = {d.p_value:.3g})")
    summary.add_row("tau2", f"{d.tau2:.4g} ({result.settings.resolved_scale.value} scale)")
    summary.add_row("overdispersion", f"{d.method.value}: {d.reason}")
    for name, counts in (("adjusted", result.counts["adjusted"]), ("unadjusted", result.counts["unadjusted"])):
        summary.add_row(
            f"outside limits ({name})",
            f"alarm low {counts['alarm_low']}, alert low {counts['alert_low']}, "
            f"alert high {counts['alert_high']}, alarm high {counts['alarm_high']}",
        )
    print_table(summary)

    outliers = result.outliers
    adjusted = result.dispersion.applied
    table = Table(title=f"Outliers ({len(outliers)}; limits {result.limits_description})")
    has_region = "region" in outliers.columns
    headers = ["provider", *(["region"] if has_region else []), "numerator", "denominator", "value",
               "z adjusted" if adjusted else "z", "95% limits", "flag"]
    for header in headers:
        text = header in ("provider", "region")
        table.add_column(header, justify="left" if text or header == "flag" else "right", overflow="fold",
                         no_wrap=not text)
    from hubplan.monitoring.benchmark.plots import limit_decimals, limits_range

    decimals = limit_decimals(outliers[["value", "lower_95", "upper_95"]].to_numpy().ravel()) if len(outliers) else 1
    for _, row in outliers.iterrows():
        table.add_row(
            str(row["provider"]),
            *([str(row["region"])] if has_region else []),
            _count(row["numerator"]),
            _count(row["denominator"]),
            f"{row['value']:,.{decimals}f}",
            f"{row['z_adjusted']:.2f}",
            limits_range(row["lower_95"], row["upper_95"], decimals),
            str(row["flag"]),
        )
    print_table(table)

    if result.regions is not None:
        regions = result.regions
        ratio = regions.ratio_highest_to_lowest
        region_table = Table(
            title=(
                f"By region ({len(regions.table)}): highest / lowest = "
                f"{'n/a' if ratio is None else f'{ratio:.3g}'}; phi = {regions.dispersion.phi:.3g}, "
                f"tau2 = {regions.dispersion.tau2:.3g}"
            )
        )
        for header in ("rank", "region", "providers", "value", "z", "flag", "provider\nalerts/alarms\n(low | high)"):
            region_table.add_column(header, justify="left" if header in ("region", "flag") else "right",
                                    overflow="fold", no_wrap=header != "region")
        region_decimals = limit_decimals(regions.table["value"].to_numpy())
        for _, row in regions.table.iterrows():
            region_table.add_row(
                str(row["rank"]), str(row["region"]), str(row["providers"]), f"{row['value']:,.{region_decimals}f}",
                f"{row['z']:.2f}", str(row["flag"]),
                f"{row['providers_alert_low'] + row['providers_alarm_low']} | "
                f"{row['providers_alert_high'] + row['providers_alarm_high']}",
            )
        print_table(region_table)


def _write_workbook(result: "BenchmarkResult", folder: Path, written: dict[str, Path]) -> list[Path]:
    """``benchmark.xlsx``: the CSV tables written (one sheet each, headers with units) and
    an About sheet (the command, the data file, the method and its settings)."""
    sheets = [
        ("providers.csv", "every provider: its value, the funnel limits at its denominator and its flag"),
        ("outliers.csv", "the providers beyond the 95% (alert) or 99.8% (alarm) limits"),
        ("funnel_limits.csv", "the funnel's limits along the denominator, as drawn"),
        ("regions.csv", "each region's pooled value and its flag against the others"),
    ]
    settings = [(str(key).replace("_", " "), str(value)) for key, value in result.to_dict().items()
                if isinstance(value, (str, int, float, bool))]
    return write_csv_workbook(folder, "benchmark", [(n, d) for n, d in sheets if n in written],
                              what="the tables of hubplan benchmark --out in one workbook", notes=settings)
