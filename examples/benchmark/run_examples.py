"""Benchmark the three example files with the Python API and write the results.

Run from the repository root:

    python examples/benchmark/run_examples.py            # writes out/benchmark/<example>/

Each folder gets providers.csv, outliers.csv, summary.json, funnel.png and funnel.html
(and regions.csv / regions_funnel.* where the file has a region column).
"""

from __future__ import annotations

from pathlib import Path

from hubplan.monitoring.benchmark import ColumnNames, FunnelSettings, benchmark, read_providers_csv, write_outputs

HERE = Path(__file__).resolve().parent

EXAMPLES = [
    # name, file, settings, column names, plot title, value label
    (
        "ssnap_thrombolysis",
        "ssnap_thrombolysis_2016_2021.csv",
        FunnelSettings(indicator="proportion", overdispersion="additive", per=100),
        ColumnNames(region="isdn"),
        "Thrombolysis, stroke teams in England and Wales, 2016 to 2021 (SSNAP via SAMueL)",
        "Patients thrombolysed",
    ),
    (
        "ssnap_deaths",
        "ssnap_deaths_2016_2021.csv",
        FunnelSettings(indicator="ratio", overdispersion="additive"),
        ColumnNames(),
        "Deaths / expected at the national rate (no case-mix adjustment), 2016 to 2021",
        "Observed / expected deaths",
    ),
    (
        "ae_4_hours",
        "ae_type1_breaches_2018_19.csv",
        FunnelSettings(indicator="proportion", overdispersion="additive", per=100),
        ColumnNames(numerator="within_4h"),
        "Type 1 A&E attendances seen within 4 hours, April 2018 to March 2019 (NHS England)",
        "Seen within 4 hours",
    ),
]


def main(out_root: Path = Path("out") / "benchmark") -> None:
    for name, file, settings, columns, title, label in EXAMPLES:
        providers = read_providers_csv(HERE / file, settings.indicator, columns)
        result = benchmark(providers, settings, source=file)
        write_outputs(result, out_root / name, title=title, value_label=label)
        counts = result.counts
        print(
            f"{name}: {len(result.providers)} providers, target {result.target * settings.per:.4g}, "
            f"phi {result.dispersion.phi:.3g}, tau2 {result.dispersion.tau2:.3g}; outside 95% / 99.8% limits: "
            f"{counts['adjusted']['outside_95']} / {counts['adjusted']['outside_998']} adjusted, "
            f"{counts['unadjusted']['outside_95']} / {counts['unadjusted']['outside_998']} unadjusted"
        )


if __name__ == "__main__":
    main()
