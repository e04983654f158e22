"""``hubplan optimise`` and ``hubplan sweep``: optimal hub sites, k-sweeps and trade-offs."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from hubplan.cli._app import Progress, app, err, fail, limited, prepare_out_dir, print_json, write_json
from hubplan.cli._exports import GEOPACKAGE_OPTION, WORKBOOK_OPTION, write_csv_workbook
from hubplan.cli._layout import print_table
from hubplan.cli.core import (
    ADD_SITES_OPTION,
    ADD_TIMES_OPTION,
    DROP_SITES_OPTION,
    SITE_CAPABILITIES_OPTION,
    BY_OPTION,
    COUNTRY_OPTION,
    OUTCOME_CURVE_OPTION,
    OUTCOME_OPTION,
    DATA_OPTION,
    DELAY_OPTION,
    DEMAND_OPTION,
    FORMAT_OPTION,
    OUT_OPTION,
    PATHWAY_OPTION,
    REGION_OPTION,
    SERVICE_OPTION,
    SPOKES_OPTION,
    build_service,
    check_format,
    load_network,
    parse_sites,
    plot_access_curves,
    print_estimated_sites,
    print_hubs,
    print_outcomes,
    print_summary,
    region_type_of,
    write_evaluation,
    write_evaluation_exports,
)
from hubplan.errors import InputError
from hubplan.geography.network import Network
from hubplan.optimise.solution import gap_percent
from hubplan.outcomes import GOOD, added_words, outcome_model
from hubplan.services.options import Pathway
from hubplan.services import Service
from hubplan.validation import LIMITS, check_number
from hubplan.formatting import counted

OBJECTIVE_OPTION = typer.Option(
    "p-median", "--objective",
    help="p-median (shortest mean time to hub), coverage (most patients within --threshold), "
    "p-centre (shortest longest time) or outcome (most added good outcomes a year, from the "
    "service's outcome model; docs/outcomes.md).",
)
OUTCOME_MEASURE_OPTION = typer.Option(
    "good", "--outcome-measure", help="With --objective outcome: good (added good outcomes, mRS 0-2) or "
    "utility (added utility, stroke only).",
)
THRESHOLD_OPTION = typer.Option(None, "--threshold", help="Coverage threshold in minutes (default 45).",
                                callback=limited("threshold_minutes"))
KEEP_OPTION = typer.Option(
    None, "--keep", help="Sites that must be hubs: codes, a capability (thrombectomy = today's "
    "centres) or a file of codes.",
)
EXCLUDE_OPTION = typer.Option(None, "--exclude", help="Sites that cannot be hubs: codes, a capability or a file.")
CANDIDATES_OPTION = typer.Option(
    None, "--candidates", help="Only these sites may be hubs (codes, capability or file). Default: "
    "every site (direct) or every hub-or-spoke site (treat_and_transfer).",
)
MIN_OPTION = typer.Option(
    None, "--min-patients", help="Each hub's catchment at least this many patients a year, or "
    "'service' for the service's value (thrombectomy: 1,500 admissions).",
    callback=limited("min_patients_per_hub", words=("service",)),
)
MAX_OPTION = typer.Option(
    None, "--max-patients", help="Each hub's catchment at most this many patients a year, or "
    "'service' for the service's value.", callback=limited("max_patients_per_hub", words=("service",)),
)
MAX_MINUTES_OPTION = typer.Option(None, "--max-minutes", help="Nobody further than this many minutes from the hub.",
                                  callback=limited("max_minutes"))
WORKFORCE_OPTION = typer.Option(
    None, "--workforce", help="Consultants available (a number, or 'service'); with the rota "
    "minimum per hub this caps k (thrombectomy: 120 / 5 = 24).",
    callback=limited("workforce_available", words=("service",)),
)
PER_HUB_OPTION = typer.Option(None, "--per-hub", help="Consultants each hub needs (default: the service's rota minimum).",
                              callback=limited("consultants_per_hub"))
METHOD_OPTION = typer.Option("exact", "--method", help="exact (HiGHS, proves optimality) or heuristic.")
TIME_LIMIT_OPTION = typer.Option(
    300.0, "--time-limit", help="Seconds for the whole solve (reducing the problem, the heuristic, building "
    "the models and every HiGHS round; not loading the network or evaluating the result); then the best "
    "set found and its proven gap.", callback=limited("time_limit_seconds"),
)
SEED_OPTION = typer.Option(0, "--seed", help="Seed of the heuristic's random restarts.", callback=limited("seed"))
RESTARTS_OPTION = typer.Option(0, "--restarts", help="Random restarts of the heuristic (0 to 1,000).",
                               callback=limited("restarts"))
BYPASS_OPTION = typer.Option(
    None, "--bypass", help="Not supported when optimising (who goes to a spoke would depend on the "
    "hubs chosen): optimise without bypass, then `hubplan evaluate` the result with --bypass.",
    callback=limited("bypass_minutes"),
)


def _volume(value: Optional[str], service: Service, name: str, flag: str) -> float | None:
    if value is None:
        return None
    if value.strip().lower() == "service":
        v = getattr(service, name)
        if v is None:
            raise InputError(f"{flag} service: service {service.name!r} has no {name.replace('_', ' ')}")
        return float(v)
    try:
        number = float(value.replace(",", "").replace("_", ""))
    except ValueError:
        number = math.nan
    return float(check_number(number if math.isfinite(number) else value, name, flag))


def _workforce(value: Optional[str], service: Service) -> int | None:
    if value is None:
        return None
    if value.strip().lower() == "service":
        if service.workforce_available is None:
            raise InputError(f"--workforce service: service {service.name!r} has no workforce available")
        return int(service.workforce_available)
    try:
        number = float(value.replace(",", "").replace("_", ""))
    except ValueError:
        number = math.nan
    return int(check_number(number if math.isfinite(number) else value, "workforce_available", "--workforce"))


def build_problem(
    network: Network,
    svc: Service,
    *,
    k: int,
    objective: str,
    threshold: Optional[float],
    pathway: Optional[str],
    spokes: Optional[str],
    transfer_delay: Optional[float],
    bypass: Optional[float],
    keep: Optional[str],
    exclude: Optional[str],
    candidates: Optional[str],
    min_patients: Optional[str],
    max_patients: Optional[str],
    max_minutes: Optional[float],
    workforce: Optional[str],
    per_hub: Optional[int],
) -> Any:
    """A :class:`SiteSelectionProblem` from command-line values."""
    from hubplan.optimise import SiteSelectionProblem

    if bypass:
        raise InputError(
            "--bypass: optimising with a bypass is not supported (who goes to a spoke would depend on the "
            "hubs chosen); optimise without it, then evaluate the result with `hubplan evaluate --bypass`"
        )
    path = Pathway.parse(pathway or svc.pathway)
    candidate_codes = parse_sites(network, candidates, "candidates") if candidates else None
    keep_codes = parse_sites(network, keep, "keep") if keep else None
    if candidate_codes is not None and keep_codes:
        outside = [c for c in keep_codes if c not in set(candidate_codes)]
        if outside:
            shown = ", ".join(candidate_codes[:5]) + (", ..." if len(candidate_codes) > 5 else "")
            raise InputError(f"--keep {keep}: site {outside[0]} is not one of the --candidates ({shown}); "
                             "a kept site must be a candidate")
    spoke_codes: Any = None
    if path is Pathway.TREAT_AND_TRANSFER:
        if spokes is None:
            cap = svc.spoke_capability
            spokes = cap if cap and cap in network.capabilities else "rest"
        spoke_codes = parse_sites(network, spokes, "spokes", [])
    elif spokes is not None:
        raise InputError("--spokes is only used with --pathway treat_and_transfer")
    return SiteSelectionProblem.from_network(
        network, svc, k=k, objective=objective, threshold_minutes=threshold, pathway=path,
        spokes=spoke_codes,
        candidates=candidate_codes,
        keep=keep_codes,
        exclude=parse_sites(network, exclude, "exclude") if exclude else None,
        min_patients_per_hub=_volume(min_patients, svc, "min_patients_per_hub", "--min-patients"),
        max_patients_per_hub=_volume(max_patients, svc, "max_patients_per_hub", "--max-patients"),
        max_minutes=max_minutes,
        workforce_available=_workforce(workforce, svc),
        consultants_per_hub=per_hub,
        transfer_delay_minutes=transfer_delay,
    )


def no_feasible_message(solution: Any, time_limit: float) -> str:
    """One line for a solve that ended ``no_feasible_found`` (exit status 1, not 2: the
    constraints are not proven impossible, the search ran out before meeting them)."""
    broken = list(solution.details.get("violations", []))
    first = f" (the best set found breaks {len(broken)}: {broken[0]})" if broken else ""
    n = len(solution.sites)
    if solution.method.startswith("heuristic"):
        return (f"the heuristic found no set of {counted(n, 'hub')} meeting every constraint{first}; this does not prove "
                "that none exists: try --method exact, which proves it or finds one")
    return (f"no set of {counted(n, 'hub')} meeting every constraint was found within the {time_limit:g} s time limit{first}; "
            "this does not prove that none exists: allow a longer --time-limit or relax the constraints")


def _solution_table(solution: Any, problem: Any) -> Table:
    table = Table(title="Solution", title_justify="left", show_header=False)
    table.add_column("what", no_wrap=True)
    table.add_column("value", overflow="fold")
    outcome = solution.objective_name == "outcome"
    unit = "share within" if solution.objective_name == "coverage" else (
        f"{solution.details.get('measure_label', '')}, ESTIMATED" if outcome else "minutes")

    def fmt(x: float) -> str:
        if x != x:
            return "-"
        if outcome:
            return f"{x:,.2f}"
        return f"{100 * x:.2f}%" if solution.objective_name == "coverage" else f"{x:.3f}"

    table.add_row("problem", getattr(problem, "description", ""))
    table.add_row("objective", f"{solution.objective_name} ({unit}): {fmt(solution.objective)}")
    table.add_row("proven bound", fmt(solution.bound))
    table.add_row("gap", "-" if solution.gap != solution.gap else f"{100 * solution.gap:.4f}%")
    table.add_row("status", solution.status)
    table.add_row("method", f"{solution.method}, {solution.seconds:.1f} s")
    table.add_row("hubs", f"{len(solution.sites)}: {', '.join(solution.sites)}")
    return table


@app.command("optimise")
def optimise_command(
    k: int = typer.Option(..., "--k", help="Number of hubs (kept sites included).", callback=limited("k")),
    service: str = SERVICE_OPTION,
    objective: str = OBJECTIVE_OPTION,
    outcome_measure: str = OUTCOME_MEASURE_OPTION,
    threshold: Optional[float] = THRESHOLD_OPTION,
    keep: Optional[str] = KEEP_OPTION,
    exclude: Optional[str] = EXCLUDE_OPTION,
    candidates: Optional[str] = CANDIDATES_OPTION,
    min_patients: Optional[str] = MIN_OPTION,
    max_patients: Optional[str] = MAX_OPTION,
    max_minutes: Optional[float] = MAX_MINUTES_OPTION,
    workforce: Optional[str] = WORKFORCE_OPTION,
    per_hub: Optional[int] = PER_HUB_OPTION,
    pathway: Optional[str] = PATHWAY_OPTION,
    spokes: Optional[str] = SPOKES_OPTION,
    transfer_delay: Optional[float] = DELAY_OPTION,
    bypass: Optional[float] = BYPASS_OPTION,
    method: str = METHOD_OPTION,
    time_limit: float = TIME_LIMIT_OPTION,
    seed: int = SEED_OPTION,
    restarts: int = RESTARTS_OPTION,
    data: Optional[Path] = DATA_OPTION,
    country: Optional[str] = COUNTRY_OPTION,
    region: Optional[str] = REGION_OPTION,
    add_sites: Optional[Path] = ADD_SITES_OPTION,
    add_times: Optional[Path] = ADD_TIMES_OPTION,
    drop_sites: Optional[str] = DROP_SITES_OPTION,
    site_capabilities: Optional[Path] = SITE_CAPABILITIES_OPTION,
    demand: Optional[str] = DEMAND_OPTION,
    outcome: Optional[list[str]] = OUTCOME_OPTION,
    outcome_curve: Optional[Path] = OUTCOME_CURVE_OPTION,
    by: Optional[str] = BY_OPTION,
    fmt: str = FORMAT_OPTION,
    out_dir: Optional[Path] = OUT_OPTION,
    workbook: bool = WORKBOOK_OPTION,
    geopackage: bool = GEOPACKAGE_OPTION,
) -> None:
    """Choose the best k hub sites (exact with a proven gap, or heuristic) and evaluate them."""
    from hubplan.access.evaluate import evaluate
    from hubplan.optimise import solve
    from hubplan.optimise.outcome import outcome_problem, solve_outcome

    fmt = check_format(fmt)
    by_outcome = is_outcome_objective(objective)
    if not by_outcome and outcome_measure != "good":
        raise InputError("--outcome-measure is only used with --objective outcome")
    network = load_network(data, country, region, add_sites=add_sites, add_times=add_times, drop_sites=drop_sites, site_capabilities=site_capabilities)
    by = region_type_of(network, by)
    svc = build_service(service, demand=demand, network=network, outcome=outcome, outcome_curve=outcome_curve)
    problem = build_problem(
        network, svc, k=k, objective="p-median" if by_outcome else objective, threshold=threshold, pathway=pathway,
        spokes=spokes, transfer_delay=transfer_delay, bypass=bypass, keep=keep, exclude=exclude,
        candidates=candidates, min_patients=min_patients, max_patients=max_patients, max_minutes=max_minutes,
        workforce=workforce, per_hub=per_hub,
    )
    op = outcome_problem(problem, network, svc, outcome_measure.strip().lower()) if by_outcome else None
    label = "outcome" if by_outcome else problem.objective.value
    with Progress(f"Optimising {counted(k, 'hub')} ({label}, {method}) ...") as progress:
        if op is not None:
            solution = solve_outcome(op, method=method, time_limit=time_limit, seed=seed, restarts=restarts,
                                     progress=progress)
        else:
            solution = solve(problem, method=method, time_limit=time_limit, seed=seed, restarts=restarts,
                             progress=progress)
    if not solution.found_feasible:  # nothing to evaluate or write; JSON still says what was found
        if fmt == "json":
            print_json({"solution": {**solution.to_json(), "problem": problem.description}, "evaluation": None})
        fail(no_feasible_message(solution, time_limit), 1)
    option = problem.option(solution.sites, name=solution.label())
    ev = evaluate(network, svc, option)
    result = {"solution": solution.to_json(), "evaluation": ev.to_json(by)}
    result["solution"]["problem"] = op.description if op is not None else problem.description
    versus = None
    if op is not None:  # where the outcome optimum differs from the minutes optimum, and what it is worth
        with Progress("Optimising the mean minutes too, for comparison ...") as progress:
            minutes_solution = solve(problem, method=method, time_limit=time_limit, seed=seed, restarts=restarts,
                                     progress=progress)
        versus = outcome_versus_minutes(network, svc, problem, ev, solution, minutes_solution)
        result["outcome_vs_minutes"] = versus
    if out_dir is not None:
        folder = prepare_out_dir(out_dir)
        written = write_evaluation(ev, folder, "evaluation", by)
        sites_csv = folder / "optimise_sites.csv"
        hub_rows = ev.sites.loc[list(solution.sites)]
        hub_rows.to_csv(sites_csv, float_format="%.3f")
        write_json(folder / "optimise.json", result)
        written += [sites_csv, folder / "optimise.json",
                    plot_access_curves([ev], folder / "optimise_access.png", option.name)]
        # the chosen option's evaluation.xlsx and evaluation.gpkg, as hubplan evaluate --out writes them
        written += write_evaluation_exports(ev, None, folder, by, workbook=workbook, geopackage=geopackage)
        err.print(f"wrote {', '.join(str(p) for p in written)}")
    if fmt == "json":
        print_json(result)
        return
    print_table(_solution_table(solution, op if op is not None else problem))
    print_summary([ev], title=f"{svc.title or svc.name} on {network.source}")
    print_outcomes([ev])
    if versus is not None:
        print_versus(versus, ev.summary["outcomes"]["measure"] or GOOD)
    print_hubs(ev)


def is_outcome_objective(objective: str) -> bool:
    """Whether ``--objective`` is ``outcome``; any other must be an objective of the model."""
    from hubplan.optimise import Objective

    if objective.strip().lower() in ("outcome", "outcomes"):
        return True
    try:
        Objective.parse(objective)
    except InputError:
        raise InputError(f"unknown objective {objective!r}: expected p-median, coverage, p-centre or outcome") from None
    return False


def outcome_versus_minutes(network: Network, svc: Service, problem: Any, ev: Any, solution: Any,
                           minutes_solution: Any) -> dict[str, Any]:
    """The outcome optimum against the minutes optimum: sites that differ and what they are worth
    (both evaluated by the outcome model, not the tabulated objective)."""
    from hubplan.access.evaluate import evaluate

    other = evaluate(network, svc, problem.option(minutes_solution.sites, name=minutes_solution.label()))
    a, b = other.summary["outcomes"], ev.summary["outcomes"]

    def diff(key: str) -> float | None:
        return None if a[key] is None or b[key] is None else float(b[key]) - float(a[key])

    return {
        "minutes_optimum": {"sites": list(minutes_solution.sites), "status": minutes_solution.status,
                            "gap": minutes_solution.gap if math.isfinite(minutes_solution.gap) else None,
                            "mean_minutes": other.summary["time_to_hub"]["mean"],
                            "good_outcomes_per_year": a["good_outcomes_per_year"],
                            "added_good_outcomes_per_year": a["added_good_outcomes_per_year"],
                            "added_utility_per_year": a["added_utility_per_year"]},
        "outcome_optimum": {"sites": list(solution.sites), "status": solution.status,
                            "mean_minutes": ev.summary["time_to_hub"]["mean"],
                            "good_outcomes_per_year": b["good_outcomes_per_year"],
                            "added_good_outcomes_per_year": b["added_good_outcomes_per_year"],
                            "added_utility_per_year": b["added_utility_per_year"]},
        "only_in_outcome_optimum": [s for s in solution.sites if s not in set(minutes_solution.sites)],
        "only_in_minutes_optimum": [s for s in minutes_solution.sites if s not in set(solution.sites)],
        "added_good_outcomes_difference": diff("added_good_outcomes_per_year"),
        "added_utility_difference": diff("added_utility_per_year"),
        "mean_minutes_difference": ev.summary["time_to_hub"]["mean"] - other.summary["time_to_hub"]["mean"],
    }


def print_versus(versus: dict[str, Any], measure: str) -> None:
    only_o, only_m = versus["only_in_outcome_optimum"], versus["only_in_minutes_optimum"]
    if not only_o:
        err.print("[green]the outcome optimum is the minutes optimum:[/] the same sites")
        return
    d = versus["added_good_outcomes_difference"]
    err.print(f"outcome optimum against the minutes optimum: {', '.join(only_o)} instead of {', '.join(only_m)}: "
              f"{d:+,.2f} {added_words(measure)} a year, {versus['mean_minutes_difference']:+.2f} min mean time to hub")


def parse_ks(text: str, option: str = "--k") -> list[int]:
    """``"1..60"``, ``"1-60"``, ``"10,20,30"`` or ``"20..40:5"`` (step) as a list of k.

    Every k is checked against ``LIMITS["k"]`` (1 to 10,000) before any list is made.
    """
    ks: list[int] = []
    name = f"{option} {text!r}"
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"(\d+)\s*(?:\.\.|-)\s*(\d+)(?::(\d+))?", part)
        if m:
            a, b, step = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
            if a > b or step < 1:
                raise InputError(f"{name}: a range must go up, e.g. 1..60")
            check_number(a, "k", name)
            check_number(b, "k", name)
            ks.extend(range(a, b + 1, step))
        elif part.isdigit():
            ks.append(check_number(int(part), "k", name))
        else:
            raise InputError(f"{name}: expected e.g. 1..60, 10,20,30 or 20..40:5")
    if not ks:
        raise InputError(f"{name}: give at least one k >= 1")
    return sorted(set(ks))


def parse_grid(text: str, option: str = "--pareto") -> list[float]:
    """``"0,500,1000"`` as minimum patients per hub (each checked like ``--min-patients``)."""
    values = []
    for part in text.split(","):
        part = part.strip().replace("_", "")
        if not part:
            continue
        try:
            number: Any = float(part)
        except ValueError:
            number = part
        values.append(float(check_number(number, "min_patients_per_hub", option)))
    if not values:
        raise InputError(f"{option} {text!r}: give minimum patients per hub, e.g. 0,500,1000,1500")
    return values


@app.command("sweep")
def sweep_command(
    k: str = typer.Option("1..60", "--k", help="Values of k: 1..60, 10,20,30 or 20..40:5."),
    service: str = SERVICE_OPTION,
    objective: str = OBJECTIVE_OPTION,
    outcome_measure: str = OUTCOME_MEASURE_OPTION,
    threshold: Optional[float] = THRESHOLD_OPTION,
    keep: Optional[str] = KEEP_OPTION,
    exclude: Optional[str] = EXCLUDE_OPTION,
    candidates: Optional[str] = CANDIDATES_OPTION,
    min_patients: Optional[str] = MIN_OPTION,
    max_patients: Optional[str] = MAX_OPTION,
    max_minutes: Optional[float] = MAX_MINUTES_OPTION,
    pathway: Optional[str] = PATHWAY_OPTION,
    spokes: Optional[str] = SPOKES_OPTION,
    transfer_delay: Optional[float] = DELAY_OPTION,
    method: str = typer.Option("exact", "--method", help="exact (each k warm-started by the heuristic, "
                               "with its proven bound and gap) or heuristic (fast, no bound)."),
    time_limit: Optional[float] = typer.Option(
        None, "--time-limit", help="Seconds for solving every k together, each k getting an equal share "
        "of the time left (default 600), and for each --pareto point (default 60).",
        callback=limited("time_limit_seconds")),
    seed: int = SEED_OPTION,
    pareto_grid: Optional[str] = typer.Option(
        None, "--pareto", help="Also trace mean time against the smallest hub: minimum patients per hub "
        "to try, e.g. 0,500,1000,1500,2000 (solved exactly for each k of --pareto-k).",
    ),
    pareto_k: Optional[str] = typer.Option(None, "--pareto-k", help="k values for --pareto (default: 24,30)."),
    html: bool = typer.Option(False, "--html", help="With --out, also write an interactive sweep.html."),
    scheduler: str = typer.Option("in-process", "--scheduler", help="Where the exact solves of the k run: "
                                  "in-process, processes, local (a Dask LocalCluster) or a Dask address such as "
                                  "tcp://host:8786 (docs/uncertainty.md)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Worker processes for processes and local "
                                          "(default 2).", callback=limited("workers")),
    data: Optional[Path] = DATA_OPTION,
    country: Optional[str] = COUNTRY_OPTION,
    region: Optional[str] = REGION_OPTION,
    add_sites: Optional[Path] = ADD_SITES_OPTION,
    add_times: Optional[Path] = ADD_TIMES_OPTION,
    drop_sites: Optional[str] = DROP_SITES_OPTION,
    site_capabilities: Optional[Path] = SITE_CAPABILITIES_OPTION,
    demand: Optional[str] = DEMAND_OPTION,
    outcome: Optional[list[str]] = OUTCOME_OPTION,
    outcome_curve: Optional[Path] = OUTCOME_CURVE_OPTION,
    fmt: str = FORMAT_OPTION,
    out_dir: Optional[Path] = OUT_OPTION,
    workbook: bool = WORKBOOK_OPTION,
) -> None:
    """For each k: the best sites and what they do (mean, p90, shares within, smallest and largest hub,
    added good outcomes)."""
    from hubplan.optimise import pareto, plot_pareto, plot_sweep, sweep
    from hubplan.optimise.sweep import sweep_html

    from hubplan.executor import Executor

    fmt = check_format(fmt)
    executor = Executor(scheduler, workers)
    ks = parse_ks(k)
    grid = parse_grid(pareto_grid) if pareto_grid is not None else None
    pareto_ks = parse_ks(pareto_k, "--pareto-k") if pareto_k else None
    by_outcome = is_outcome_objective(objective)
    if by_outcome and pareto_grid is not None:
        raise InputError("--pareto traces mean minutes against hub volume: use it without --objective outcome")
    if not by_outcome and outcome_measure != "good":
        raise InputError("--outcome-measure is only used with --objective outcome")
    network = load_network(data, country, region, add_sites=add_sites, add_times=add_times, drop_sites=drop_sites, site_capabilities=site_capabilities)
    svc = build_service(service, demand=demand, network=network, outcome=outcome, outcome_curve=outcome_curve)
    problem = build_problem(
        network, svc, k=ks[-1], objective="p-median" if by_outcome else objective, threshold=threshold,
        pathway=pathway, spokes=spokes, transfer_delay=transfer_delay, bypass=None, keep=keep, exclude=exclude,
        candidates=candidates, min_patients=min_patients, max_patients=max_patients, max_minutes=max_minutes,
        workforce=None, per_hub=None,
    )
    label = "outcome" if by_outcome else problem.objective.value
    with Progress(f"Sweeping k = {ks[0]}..{ks[-1]} ({label}, {method}) ...") as progress:
        if by_outcome:
            from hubplan.optimise.outcome import outcome_problem, sweep_outcome

            op = outcome_problem(problem, network, svc, outcome_measure.strip().lower())
            table = sweep_outcome(op, ks, network=network, service=svc, method=method,
                                  time_limit=600.0 if time_limit is None else time_limit, seed=seed, progress=progress,
                                  executor=executor)
        else:
            table = sweep(problem, ks, method=method, network=network, service=svc,
                          time_limit=600.0 if time_limit is None else time_limit, seed=seed, progress=progress,
                          executor=executor)
        front = None
        if grid is not None:
            pks = pareto_ks or [x for x in (24, 30) if x <= problem.n_candidates]
            front = pareto(problem, grid, ks=pks, time_limit=60.0 if time_limit is None else time_limit,
                           seed=seed, progress=progress)
    from hubplan.access.evaluate import travel_times_json

    chosen = network.site_positions([c for sites in table["sites"] for c in str(sites).split(";") if c])
    result: dict[str, Any] = {"problem": problem.description, "objective": label,
                              "demand": svc.demand_definition.to_json(network), "sweep": table.to_dict(orient="records"),
                              "travel_times": travel_times_json(network, chosen)}
    if front is not None:
        result["pareto"] = front.to_dict(orient="records")
    if out_dir is not None:
        folder = prepare_out_dir(out_dir)
        written = [folder / "sweep.csv", folder / "sweep.json", folder / "sweep.png"]
        table.to_csv(written[0], index=False, float_format="%.4f")
        write_json(written[1], result)
        plot_sweep(table, written[2], title=f"{svc.title or svc.name}: {label} by number of hubs")
        if html:
            written.append(sweep_html(table, folder / "sweep.html"))
        if front is not None and not front.empty:
            front.to_csv(folder / "pareto.csv", index=False, float_format="%.4f")
            written += [folder / "pareto.csv", plot_pareto(front, folder / "pareto.png")]
        if workbook:
            written += write_csv_workbook(
                folder, "sweep", [("sweep.csv", "for each number of hubs: the best sites found, the bound and gap, "
                                                "and what they do"),
                                  ("pareto.csv", "the options no other beats on both minutes and outcomes")],
                what="the tables of hubplan sweep --out in one workbook",
                notes=[("Problem", str(problem.description)), ("Objective", str(label))])
        err.print(f"wrote {', '.join(str(p) for p in written)}")
    if fmt == "json":
        print_json(result)
        return
    view = Table(title=f"Sweep: {problem.description}", title_justify="left")
    with_outcomes = "added_good_outcomes_per_year" in table.columns
    cols = ["k", "objective", "bound", "gap", "mean", "p90"]
    cols += [c.replace("within_", "≤") for c in table.columns if c.startswith("within_")]
    model = outcome_model(svc) if with_outcomes else None
    added = added_words(model.measure if model is not None else GOOD)
    cols += ["smallest\nhub", "largest\nhub"] + ([added.replace(" ", "\n", 1) + "*"] if with_outcomes else []) + ["status"]
    for c in cols:
        view.add_column(c, justify="right", no_wrap=True)
    for row in table.to_dict(orient="records"):
        if row.get("status") == "infeasible":
            view.add_row(str(row["k"]), *["-"] * (len(cols) - 2), "infeasible")
            continue
        shares = [f"{100 * row[c]:.1f}%" for c in table.columns if c.startswith("within_")]
        bound = f"{row['bound']:.4g}" if math.isfinite(row["bound"]) else "-"
        gap = gap_percent(row["gap"]) if math.isfinite(row["gap"]) else "-"
        extra = [f"{row['added_good_outcomes_per_year']:,.1f}"] if with_outcomes else []
        view.add_row(str(row["k"]), f"{row['objective']:.4g}", bound, gap, f"{row['mean_minutes']:.1f}",
                     f"{row['p90_minutes']:.1f}",
                     *shares, f"{row['smallest_hub_patients']:,.0f}", f"{row['largest_hub_patients']:,.0f}",
                     *extra, str(row["status"]))
    print_table(view)
    if with_outcomes:
        err.print(f"* {added} a year, ESTIMATED by the service's outcome model (docs/outcomes.md)")
    print_estimated_sites(network, result["travel_times"]["estimated_sites"])
    if front is not None and not front.empty:
        pv = Table(title="Pareto set: mean minutes against the smallest hub", title_justify="left")
        for c in ("k", "min\npatients", "mean", "smallest\nhub", "status"):
            pv.add_column(c, justify="right", no_wrap=True)
        for row in front[front["pareto"]].sort_values("smallest_hub_patients").to_dict(orient="records"):
            pv.add_row(str(row["k"]), f"{row['min_patients']:,.0f}", f"{row['mean_minutes']:.2f}",
                       f"{row['smallest_hub_patients']:,.0f}", str(row["status"]))
        print_table(pv)
