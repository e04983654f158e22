"""Commands ``capacity`` (beds, procedures, workforce and standards flags per site) and
``workforce`` (consultants, shortfall by site and region, training pipeline).

Both take the same option arguments as ``evaluate``; the science is in
:mod:`hubplan.capacity`, :mod:`hubplan.capacity.workforce` and :mod:`hubplan.capacity.simulation`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from rich.table import Table

from hubplan.capacity import capacity_table
from hubplan.cli._app import app, err, limited, out, prepare_out_dir, print_json, write_json
from hubplan.cli._capacity_tables import _flags_text, _network_line, _num, _print_flags, _print_notes, _write_tables, print_capacity
from hubplan.cli._layout import NAMES_HIDDEN, Layout, print_table
from hubplan.cli.core import (
    ADD_SITES_OPTION,
    ADD_TIMES_OPTION,
    DROP_SITES_OPTION,
    SITE_CAPABILITIES_OPTION,
    BYPASS_OPTION,
    COUNTRY_OPTION,
    DATA_OPTION,
    DELAY_OPTION,
    DEMAND_OPTION,
    FORMAT_OPTION,
    HELI_OPTION,
    HUBS_OPTION,
    OUT_OPTION,
    PATHWAY_OPTION,
    REGION_OPTION,
    SERVICE_OPTION,
    SPOKES_OPTION,
    build_option,
    build_service,
    check_format,
    load_network,
    print_estimated_note,
)
from hubplan.errors import InputError
from hubplan.access.evaluate import evaluate
from hubplan.formatting import counted

# ----------------------------------------------------------------------------- options
LOS_OPTION = typer.Option(None, "--los", help="Mean length of stay in days (default: the service's).",
                          callback=limited("length_of_stay_days"))
OCCUPANCY_OPTION = typer.Option(
    None, "--occupancy", help="Target bed occupancy, a fraction (default: the service's, 0.85).",
    callback=limited("occupancy_target"),
)
REFUSAL_OPTION = typer.Option(
    0.01, "--refusal", help="Largest acceptable probability that an arriving patient finds no bed.",
    callback=limited("refusal_target"),
)
PEAKING_OPTION = typer.Option(
    1.0, "--peaking", help="Peak / mean arrival rate for bed sizing (weekly or seasonal), >= 1.",
    callback=limited("peaking_factor"),
)
WORKFORCE_OPTION = typer.Option(
    None, "--workforce", help="Consultants (operators) available across the network "
    "(default: the service's, e.g. 120). `workforce` accepts it several times.",
    callback=limited("workforce_available"),
)
ROTA_OPTION = typer.Option(
    None, "--rota-minimum", help="Consultants needed for a 24/7 rota at each hub (default: the service's).",
    callback=limited("rota_minimum_consultants"),
)
OPERATOR_MIN_OPTION = typer.Option(
    None, "--operator-minimum", help="Minimum procedures per operator per year (default: the service's).",
    callback=limited("operator_min_procedures_per_year"),
)
PER_CONSULTANT_OPTION = typer.Option(
    None, "--procedures-per-consultant", help="Procedures one consultant can carry per year "
    "(default: none, the rota minimum alone sets the number).", callback=limited("procedures_per_consultant"),
)
PER_SESSION_OPTION = typer.Option(
    None, "--procedures-per-session", help="Procedures per session, for sessions per week (optional).",
    callback=limited("procedures_per_session"),
)
SHARE_OPTION = typer.Option(
    1.0, "--procedure-share", help="Share of hub patients who have the procedure (default 1).",
    callback=limited("procedure_share"),
)
TODAY_OPTION = typer.Option(None, "--workforce-today", help="Operators in post today (default: the service's).",
                            callback=limited("workforce_today"))
TRAINEES_OPTION = typer.Option(None, "--trainees-per-year", help="New trainees a year (default: the service's).",
                               callback=limited("trainees_per_year"))
TRAINING_OPTION = typer.Option(None, "--training-years", help="Length of training in years (default: the service's).",
                               callback=limited("training_years"))
ATTRITION_OPTION = typer.Option(
    0.0, "--attrition", help="Fraction of the workforce leaving each year (default 0; an assumption).",
    callback=limited("attrition_per_year"),
)


def _evaluated(
    service: str,
    overrides: dict[str, Any],
    *,
    hubs: Optional[str],
    spokes: Optional[str],
    pathway: Optional[str],
    bypass: Optional[float],
    transfer_delay: Optional[float],
    helicopter: Optional[float],
    data: Optional[Path],
    country: Optional[str],
    region: Optional[str],
    add_sites: Optional[Path] = None,
    add_times: Optional[Path] = None,
    drop_sites: Optional[str] = None,
    site_capabilities: Optional[Path] = None,
) -> tuple[Any, Any]:
    network = load_network(data, country, region, add_sites=add_sites, add_times=add_times, drop_sites=drop_sites,
                           site_capabilities=site_capabilities)
    svc = build_service(service, network=network, **overrides)
    option = build_option(network, svc, hubs=hubs, spokes=spokes, pathway=pathway, bypass=bypass,
                          transfer_delay=transfer_delay, helicopter=helicopter)
    return svc, evaluate(network, svc, option)


@app.command("capacity")
def capacity_command(
    service: str = SERVICE_OPTION,
    hubs: Optional[str] = HUBS_OPTION,
    spokes: Optional[str] = SPOKES_OPTION,
    pathway: Optional[str] = PATHWAY_OPTION,
    bypass: Optional[float] = BYPASS_OPTION,
    transfer_delay: Optional[float] = DELAY_OPTION,
    helicopter: Optional[float] = HELI_OPTION,
    data: Optional[Path] = DATA_OPTION,
    country: Optional[str] = COUNTRY_OPTION,
    region: Optional[str] = REGION_OPTION,
    add_sites: Optional[Path] = ADD_SITES_OPTION,
    add_times: Optional[Path] = ADD_TIMES_OPTION,
    drop_sites: Optional[str] = DROP_SITES_OPTION,
    site_capabilities: Optional[Path] = SITE_CAPABILITIES_OPTION,
    demand: Optional[str] = DEMAND_OPTION,
    los: Optional[float] = LOS_OPTION,
    occupancy: Optional[float] = OCCUPANCY_OPTION,
    refusal: float = REFUSAL_OPTION,
    peaking: float = PEAKING_OPTION,
    workforce: Optional[float] = WORKFORCE_OPTION,
    rota_minimum: Optional[int] = ROTA_OPTION,
    operator_minimum: Optional[float] = OPERATOR_MIN_OPTION,
    procedures_per_consultant: Optional[float] = PER_CONSULTANT_OPTION,
    procedures_per_session: Optional[float] = PER_SESSION_OPTION,
    procedure_share: float = SHARE_OPTION,
    workforce_today: Optional[float] = TODAY_OPTION,
    trainees_per_year: Optional[float] = TRAINEES_OPTION,
    training_years: Optional[float] = TRAINING_OPTION,
    attrition: float = ATTRITION_OPTION,
    simulate: bool = typer.Option(
        False, "--simulate", help="Check each hub's beds by discrete-event simulation (a few seconds)."
    ),
    replications: int = typer.Option(10, "--replications", help="Simulation replications per hub.",
                                     callback=limited("replications")),
    seed: int = typer.Option(1, "--seed", help="Random seed for --simulate.", callback=limited("seed")),
    all_sites: bool = typer.Option(False, "--all-sites", help="List spokes too in the table."),
    fmt: str = FORMAT_OPTION,
    out_dir: Optional[Path] = OUT_OPTION,
) -> None:
    """Beds, procedures, consultants and standards flags for every hub (and spoke) of an option."""
    fmt = check_format(fmt)
    svc, ev = _evaluated(
        service,
        dict(length_of_stay_days=los, occupancy_target=occupancy, workforce_available=workforce,
             rota_minimum_consultants=rota_minimum, operator_min_procedures_per_year=operator_minimum,
             workforce_today=workforce_today, trainees_per_year=trainees_per_year,
             training_years=training_years, demand=demand),
        hubs=hubs, spokes=spokes, pathway=pathway, bypass=bypass, transfer_delay=transfer_delay,
        helicopter=helicopter, data=data, country=country, region=region,
        add_sites=add_sites, add_times=add_times, drop_sites=drop_sites, site_capabilities=site_capabilities,
    )
    result = capacity_table(
        ev, svc, refusal=refusal, peaking_factor=peaking, procedure_share=procedure_share,
        procedures_per_session=procedures_per_session,
        procedures_per_consultant=procedures_per_consultant, attrition_per_year=attrition,
    )
    payload = result.to_json()
    payload["demand"] = svc.demand_definition.to_json(ev.network)
    payload["travel_times"] = ev.travel_times_json()
    simulation = None
    if simulate:
        from hubplan.capacity.simulation import simulate_sites

        hub_rows = result.sites[result.sites["role"] == "hub"]
        with err.status(f"Simulating {counted(len(hub_rows), 'hub')} x {replications} replications ..."):
            simulation = simulate_sites(
                hub_rows, float(hub_rows["length_of_stay_days"].iloc[0]) if len(hub_rows) else 1.0,
                seed=seed, replications=replications,
            )
        payload["simulation"] = simulation.to_dict(orient="records")
    if out_dir is not None:
        folder = prepare_out_dir(out_dir)
        written = _write_tables(result, folder, "capacity")
        if simulation is not None:
            simulation.to_csv(folder / "capacity_simulation.csv", index=False, float_format="%.4f")
            written.append(folder / "capacity_simulation.csv")
            write_json(folder / "capacity.json", payload)
        err.print(f"wrote {', '.join(str(p) for p in written)}")
    _print_notes(result)
    if fmt == "json":
        print_json(payload)
        return
    print_capacity(result, refusal=refusal, all_sites=all_sites)
    out.print(f"demand = {svc.demand_definition.describe(ev.network)}")
    print_estimated_note([ev])
    if simulation is not None and len(simulation):
        agree = int(simulation["agrees"].sum())
        out.print(f"simulation: the analytic occupancy and refusal lie inside the 95% intervals at "
                  f"{agree} of {counted(len(simulation), 'hub')} ({replications} replications, seed {seed})")


# ----------------------------------------------------------------------------- workforce
@app.command("workforce")
def workforce_command(
    service: str = SERVICE_OPTION,
    hubs: Optional[str] = HUBS_OPTION,
    spokes: Optional[str] = SPOKES_OPTION,
    pathway: Optional[str] = PATHWAY_OPTION,
    bypass: Optional[float] = BYPASS_OPTION,
    transfer_delay: Optional[float] = DELAY_OPTION,
    helicopter: Optional[float] = HELI_OPTION,
    data: Optional[Path] = DATA_OPTION,
    country: Optional[str] = COUNTRY_OPTION,
    region: Optional[str] = REGION_OPTION,
    add_sites: Optional[Path] = ADD_SITES_OPTION,
    add_times: Optional[Path] = ADD_TIMES_OPTION,
    drop_sites: Optional[str] = DROP_SITES_OPTION,
    site_capabilities: Optional[Path] = SITE_CAPABILITIES_OPTION,
    demand: Optional[str] = DEMAND_OPTION,
    workforce: Optional[list[float]] = WORKFORCE_OPTION,
    rota_minimum: Optional[int] = ROTA_OPTION,
    operator_minimum: Optional[float] = OPERATOR_MIN_OPTION,
    procedures_per_consultant: Optional[float] = PER_CONSULTANT_OPTION,
    procedure_share: float = SHARE_OPTION,
    workforce_today: Optional[float] = TODAY_OPTION,
    trainees_per_year: Optional[float] = TRAINEES_OPTION,
    training_years: Optional[float] = TRAINING_OPTION,
    attrition: float = ATTRITION_OPTION,
    horizon: int = typer.Option(30, "--horizon", help="Years the training pipeline looks ahead.",
                                callback=limited("horizon_years")),
    by: str = typer.Option("isdn", "--by", help="Region type for the shortfall table: country, ambulance_service, isdn, icb, sicbl."),
    fmt: str = FORMAT_OPTION,
    out_dir: Optional[Path] = OUT_OPTION,
) -> None:
    """Consultants per hub, operator volumes, shortfall by region, and when training meets the need."""
    fmt = check_format(fmt)
    svc, ev = _evaluated(
        service,
        dict(rota_minimum_consultants=rota_minimum, operator_min_procedures_per_year=operator_minimum,
             workforce_today=workforce_today, trainees_per_year=trainees_per_year,
             training_years=training_years, demand=demand),
        hubs=hubs, spokes=spokes, pathway=pathway, bypass=bypass, transfer_delay=transfer_delay,
        helicopter=helicopter, data=data, country=country, region=region,
        add_sites=add_sites, add_times=add_times, drop_sites=drop_sites, site_capabilities=site_capabilities,
    )
    levels: list[float | None] = list(workforce) if workforce else [svc.workforce_available]
    results = [
        capacity_table(
            ev, svc, workforce=level, procedure_share=procedure_share,
            procedures_per_consultant=procedures_per_consultant, attrition_per_year=attrition,
            horizon_years=horizon, require_workforce=True, beds=False,
        )
        for level in levels
    ]
    first = results[0]
    columns = ["site_code", "site_name", "catchment_patients", "procedures_per_year", "consultants_needed",
               "procedures_per_operator", "flags"]
    hubs_frame = first.sites[first.sites["role"] == "hub"]
    payload: dict[str, Any] = {
        "option": first.option,
        "service": first.service,
        "sites": [
            {**{c: row[c] for c in columns}, "flags": list(row["flags"])}
            for row in hubs_frame.to_dict(orient="records")
        ],
        "network": dict(vars(first.network)),
        "scenarios": [
            {
                "consultants_available": r.network.consultants_available,
                "shortfall": r.network.shortfall,
                "sites": r.sites.loc[r.sites["role"] == "hub",
                                     ["site_code", "consultants_allocated", "shortfall", "flags"]]
                .assign(flags=lambda f: f["flags"].map(list)).to_dict(orient="records"),
                "regions": r.regions.to_dict(orient="records"),
            }
            for r in results
        ],
        "pipeline": None if first.pipeline is None else first.pipeline.table.to_dict(orient="records"),
        "parameters": list(first.parameters),
        "notes": list(first.notes),
        "demand": svc.demand_definition.to_json(ev.network),
        "travel_times": ev.travel_times_json(),
    }
    if out_dir is not None:
        folder = prepare_out_dir(out_dir)
        written: list[Path] = []
        for r in results:
            label = "unknown" if r.network.consultants_available is None else f"{r.network.consultants_available:g}"
            written += _write_tables(r, folder, f"workforce_{label}")
        write_json(folder / "workforce.json", payload)
        written.append(folder / "workforce.json")
        err.print(f"wrote {', '.join(str(p) for p in written)}")
    _print_notes(first)
    if fmt == "json":
        print_json(payload)
        return
    ordered = hubs_frame.sort_values("catchment_patients", ascending=False)

    def per_hub(wide: bool) -> Table:  # wide: with site names and flags
        view = Table(title=f"{first.option}: consultants per hub", title_justify="left")
        view.add_column("site", no_wrap=True)
        if wide:
            view.add_column("name", max_width=28, overflow="fold")
        for col in ("catchment", "procedures", "consultants", "per\noperator"):
            view.add_column(col, justify="right", no_wrap=True)
        if wide:
            view.add_column("flags", overflow="fold")
        for row in ordered.itertuples(index=False):
            view.add_row(row.site_code, *([row.site_name] if wide else []), _num(row.catchment_patients),
                         _num(row.procedures_per_year), _num(row.consultants_needed),
                         _num(row.procedures_per_operator, 1), *([_flags_text(row.flags)] if wide else []))
        return view

    wide = per_hub(wide=True)
    if print_table(wide, Layout(per_hub(wide=False), NAMES_HIDDEN)) is not wide:
        _print_flags(ordered)  # the flags column did not fit: a list instead
    totals = Table(title="Network: consultants needed against the workforce available", title_justify="left")
    for col in ("available", "needed", "shortfall", "hubs below\nrota minimum"):
        totals.add_column(col, justify="right", no_wrap=True)
    for r in results:
        below = sum("below_rota_minimum" in f for f in r.sites["flags"])
        totals.add_row(_num(r.network.consultants_available), _num(r.network.consultants_needed),
                       _num(r.network.shortfall, 1), str(below))
    print_table(totals)
    out.print(f"demand = {svc.demand_definition.describe(ev.network)}")
    print_estimated_note([ev])
    for r in results:
        if r.network.consultants_available is None or not r.network.shortfall:
            continue
        regions = r.regions[r.regions["region_type"] == by]
        if regions.empty:
            if by not in set(r.regions["region_type"]):
                raise InputError(f"--by {by}: expected one of {', '.join(sorted(set(r.regions['region_type'])))}")
            continue
        view = Table(title=f"Shortfall by {by} with {r.network.consultants_available:g} available "
                     "(shared in proportion to need)", title_justify="left")
        for col in ("region", "hubs", "needed", "allocated", "shortfall"):
            view.add_column(col, justify="left" if col == "region" else "right", overflow="fold",
                            no_wrap=col != "region")
        for row in regions.sort_values("shortfall", ascending=False).itertuples(index=False):
            view.add_row(str(row.region), str(row.hubs), _num(row.consultants_needed),
                         _num(row.consultants_allocated, 1), _num(row.shortfall, 1))
        print_table(view)
    if first.pipeline is not None:
        p = first.pipeline
        last = p.year_need_met if p.year_need_met is not None else min(horizon, 10)
        view = Table(title=f"Training pipeline: {p.workforce_today:g} today, {p.trainees_per_year:g} trainees a year, "
                     f"{p.training_years:g}-year training, attrition {p.attrition_per_year:.0%}", title_justify="left")
        for col in ("year", "qualified", "leavers", "workforce", "needed", "met"):
            view.add_column(col, justify="right", no_wrap=True)
        for row in p.table[p.table["year"] <= last].itertuples(index=False):
            view.add_row(str(row.year), _num(row.qualified, 1), _num(row.leavers, 1), _num(row.workforce, 1),
                         _num(row.workforce_needed), "yes" if row.need_met else "no")
        print_table(view)
    out.print(_network_line(first))
