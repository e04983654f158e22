"""HTML pieces of the planner page built from evaluations: summary, comparison, sites."""

from __future__ import annotations

import math
import warnings
from typing import Any, Mapping

from dash import dash_table, html

from hubplan.access.evaluate import Comparison, Evaluation
from hubplan.formatting import counted, shown_number


def minutes(value: Any) -> str:
    return shown_number(value, ".1f", missing="–")


def share(value: Any) -> str:
    return shown_number(value, ".1f", scale=100, suffix="%", missing="–")


def count(value: Any) -> str:
    return shown_number(value, ",.0f", missing="–")


def _card(label: str, value: str, element_id: str, note: str = "") -> html.Div:
    return html.Div(className="card", children=[
        html.Div(label, className="card-label"),
        html.Div(value, className="card-value", id=element_id),
        html.Div(note, className="card-note") if note else None,
    ])


def summary_cards(ev: Evaluation) -> html.Div:
    """Headline figures of an evaluation (minutes weighted by patients)."""
    s = ev.summary
    hub, first = s["time_to_hub"], s["time_to_first"]
    within = hub["within"]
    thresholds = list(within)
    cards = [
        _card("patients a year", count(s["patients"]), "summary-patients", (ev.service.demand_definition.label or ev.service.demand_definition.expression)[:40]),
        _card("mean minutes to hub", minutes(hub["mean"]), "summary-mean-hub",
              f"first hospital {minutes(first['mean'])}"),
        _card("90% reach the hub within", f"{minutes(hub['p90'])} min", "summary-p90-hub",
              f"median {minutes(hub['median'])}, max {minutes(hub['max'])}"),
    ]
    for t in thresholds:
        cards.append(_card(f"within {t} min of hub", share(within[t]), f"summary-within-{t}"))
    cards.append(_card("transfers a year", count(s["transfers_per_year"]), "summary-transfers",
                       f"{counted(s['hubs'], 'hub')}, {counted(s['spokes'], 'spoke')}"))
    outcomes = s.get("outcomes") or {}
    if outcomes.get("added_good_outcomes_per_year") is not None:
        cards.append(_card("added good outcomes a year (ESTIMATED)",
                           f"{outcomes['added_good_outcomes_per_year']:,.1f}", "summary-added-good",
                           f"against {outcomes['baseline']}; {outcomes['model']} outcome model (docs/outcomes.md)"))
    return html.Div(cards, className="cards")


def comparison_block(comparison: Comparison | None, baseline_label: str,
                     baseline_summary: Mapping[str, Any] | None, ev: Evaluation, note: str = "") -> html.Div:
    """This option beside the baseline, and who gets a longer or shorter journey."""
    children: list[Any] = [html.H3(f"Against {baseline_label}")]
    if note:
        children.append(html.P(note, className="note"))
    if comparison is not None:
        c = comparison.summary
        total = c["patients"] or float("nan")
        children.append(html.Div(className="cards", children=[
            _card("patients with a longer journey", count(c["patients_longer"]), "compare-longer",
                  _change_note(c["patients_longer"], total, c["mean_increase_if_longer"], "+")),
            _card("patients with a shorter journey", count(c["patients_shorter"]), "compare-shorter",
                  _change_note(c["patients_shorter"], total, c["mean_decrease_if_shorter"], "−")),
            _card("longer by more than 15 min", count(c["patients_longer_by_more_than_15"]), "compare-longer15"),
            _card("mean change, minutes to hub", f"{float(c['mean_change_minutes']):+.1f}"
                  if math.isfinite(float(c["mean_change_minutes"])) else "–", "compare-mean-change"),
            *_outcome_change_card(c.get("outcomes") or {}),
        ]))
    if baseline_summary:
        children.append(side_by_side(ev.summary, baseline_summary))
    return html.Div(children, className="panel")


def _outcome_change_card(outcomes: Mapping[str, Any]) -> list[html.Div]:
    change = (outcomes.get("change") or {}).get("added_good_outcomes_per_year")
    if change is None:
        return []
    return [_card("change in good outcomes a year (ESTIMATED)", f"{change:+,.1f}", "compare-added-good",
                  f"expected patients a year with a {outcomes.get('measure')}, this option minus the baseline")]


def _change_note(patients: float, total: float, mean_minutes: float, sign: str) -> str:
    if not patients:
        return "nobody"
    return f"{share(patients / total)}; {sign}{minutes(mean_minutes)} min on average"


def side_by_side(current: Mapping[str, Any], baseline: Mapping[str, Any]) -> html.Table:
    """Rows of figures: this option | baseline."""
    def row(label: str, a: str, b: str) -> html.Tr:
        return html.Tr([html.Td(label), html.Td(a, className="num"), html.Td(b, className="num")])

    rows = [html.Tr([html.Th(""), html.Th("this option"), html.Th("baseline")])]
    for which, label in (("time_to_first", "first hospital"), ("time_to_hub", "hub")):
        a, b = current.get(which, {}), baseline.get(which, {})
        rows.append(row(f"mean minutes to {label}", minutes(a.get("mean")), minutes(b.get("mean"))))
        rows.append(row(f"p90 minutes to {label}", minutes(a.get("p90")), minutes(b.get("p90"))))
    for t in current.get("time_to_hub", {}).get("within", {}):
        rows.append(row(f"within {t} min of hub", share(current["time_to_hub"]["within"][t]),
                        share(baseline.get("time_to_hub", {}).get("within", {}).get(t))))
    rows.append(row("hubs / spokes", f"{current.get('hubs', '–')} / {current.get('spokes', '–')}",
                    f"{baseline.get('hubs', '–')} / {baseline.get('spokes', '–')}"))
    rows.append(row("transfers a year", count(current.get("transfers_per_year")),
                    count(baseline.get("transfers_per_year"))))
    a_out, b_out = current.get("outcomes") or {}, baseline.get("outcomes") or {}
    if a_out.get("added_good_outcomes_per_year") is not None:
        def figure(value: Any) -> str:
            return "–" if value is None else f"{value:,.1f}"

        rows.append(row("added good outcomes a year (ESTIMATED)", figure(a_out["added_good_outcomes_per_year"]),
                        figure(b_out.get("added_good_outcomes_per_year"))))
    return html.Table(rows, className="side-by-side", id="side-by-side")


#: The sites table's columns: key, header (short, so the table fits its column) and what
#: the header means (shown when the pointer is on it).
SITE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("site", "site", "hospital name and site code"),
    ("role", "role", "hub or spoke"),
    ("first_seen", "first seen", "patients a year first seen at this hospital"),
    ("hub_patients", "at hub", "patients a year treated at this hub (direct and transferred in)"),
    ("transfers", "trans­fers", "transfers a year: into a hub, out of a spoke"),
    ("catchment", "catch­ment", "patients a year of the demand whose hub this is (catchment)"),
    ("beds", "beds", "beds at the target occupancy"),
    ("consultants", "staff", "consultants needed for the rota"),
)
NUMERIC_COLUMNS = frozenset({"first_seen", "hub_patients", "transfers", "catchment", "beds", "consultants"})


def sites_table(ev: Evaluation, capacity: Mapping[str, Any]) -> html.Div:
    """Per-site activity of hubs and spokes, with beds and workforce where available.

    One :class:`dash_table.DataTable` (sortable), not an HTML table: a hundred rows of
    HTML components take the browser seconds to build, a table component milliseconds.
    Short headers that wrap, whole numbers and wrapped site names keep it within its
    column (no sideways scrolling from 1024 pixels wide up); each header says in full what
    it counts when the pointer is on it, and the standards a site does not meet are listed
    under the table.
    """
    from hubplan.report.content import FLAG_WORDS

    sites = ev.sites[ev.sites["role"] != "closed"].sort_values(
        ["role", "catchment_patients", "patients_first_seen"], ascending=[True, False, False])
    beds: dict[str, dict[str, Any]] = {}
    if "sites" in capacity:
        beds = {row["site_code"]: row for row in capacity["sites"]}
    records = []
    flagged: list[str] = []
    for code, row in sites.iterrows():
        extra = beds.get(str(code), {})
        hub = row["role"] == "hub"
        records.append({
            "site": f"{row['site_name']} ({code})", "role": row["role"],
            "first_seen": _rounded(row["patients_first_seen"]),
            "hub_patients": _rounded(row["hub_patients"]) if hub else None,
            "transfers": _rounded(row["hub_patients_transferred_in"] if hub else row["transfers_out"]),
            "catchment": _rounded(row["catchment_patients"]) if hub else None,
            "beds": _rounded(extra.get("beds_at_target_occupancy")),
            "consultants": _rounded(extra.get("consultants_needed")),
        })
        words = [FLAG_WORDS.get(str(f), str(f).replace("_", " ")) for f in extra.get("flags") or []]
        if words:
            flagged.append(f"{row['site_name']} ({', '.join(words)})")
    with warnings.catch_warnings():  # DataTable's "will move to a separate package" notice
        warnings.simplefilter("ignore", DeprecationWarning)
        table = _data_table(records, SITE_COLUMNS)
    parts: list[Any] = [html.H3("Hubs and spokes (patients a year)"), table]
    if flagged:  # under the table rather than a column of long words beside it
        parts.append(html.P(f"Standards not met: {'; '.join(flagged)}.", className="note flags", id="flags-line"))
    if "unavailable" in capacity:
        parts.append(html.P(f"Beds and workforce not shown: {capacity['unavailable']}", className="note"))
    elif "network" in capacity:
        n = capacity["network"]
        parts.append(html.P(
            f"Network: {count(n.get('beds_at_target_occupancy'))} beds at the target occupancy, "
            f"{count(n.get('beds_for_refusal'))} for at most 1% refused; {count(n.get('consultants_needed'))} "
            f"consultants needed for the rota against {count(n.get('consultants_available'))} available "
            f"(shortfall {count(n.get('shortfall'))}).", className="note", id="capacity-line"))
    return html.Div(parts, className="panel")


def _rounded(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return round(number, 1) if math.isfinite(number) else None


def _data_table(records: list[dict[str, Any]], columns: tuple[tuple[str, str, str], ...]) -> Any:
    return dash_table.DataTable(  # type: ignore[attr-defined]
        id="sites-table", data=records, sort_action="native", page_size=15,
        columns=[{"id": key, "name": name, "type": "numeric" if key in NUMERIC_COLUMNS else "text",
                  "format": {"specifier": ",.0f"}} for key, name, _meaning in columns],
        tooltip_header={key: meaning for key, _name, meaning in columns},
        tooltip_delay=300, tooltip_duration=None,
        style_table={"overflowX": "auto", "width": "100%"},
        style_cell={"fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
                    "fontSize": "12px", "padding": "2px 4px", "whiteSpace": "normal", "height": "auto",
                    "minWidth": "0px", "maxWidth": "180px", "overflowWrap": "anywhere"},
        style_header={"fontWeight": "600", "backgroundColor": "#f4f8fb", "whiteSpace": "normal",
                      "textDecoration": "underline dotted", "cursor": "help"},
        style_cell_conditional=[
            {"if": {"column_id": "site"}, "textAlign": "left", "minWidth": "110px", "maxWidth": "170px"},
            {"if": {"column_id": "role"}, "textAlign": "left"},
            *({"if": {"column_id": key}, "maxWidth": "56px", "fontVariantNumeric": "tabular-nums"}
              for key in sorted(NUMERIC_COLUMNS)),
        ],
        style_data_conditional=[
            {"if": {"filter_query": '{role} = "hub"', "column_id": "role"}, "color": "#d7191c", "fontWeight": "600"},
            {"if": {"filter_query": '{role} = "spoke"', "column_id": "role"}, "color": "#b35c00"},
        ],
    )


def equity_table(ev: Evaluation) -> html.Div | None:
    """Mean minutes to hub and the share within the last threshold by deprivation and
    rurality (docs/equity.md); ``None`` when the network has no such columns. Built from
    :meth:`Evaluation.equity_json` (one grouped pass per grouping, no loop over areas)."""
    equity = ev.equity_json()
    groups = [g for g in equity["groups"] if g["patients"] > 0]
    if not groups:
        return None
    last = list(groups[0]["time_to_hub"]["within"])[-1]
    rows = [html.Tr([html.Th("group"), html.Th("patients"), html.Th("mean min to hub"),
                     html.Th(f"within {last} min")])]
    for g in groups:
        hub = g["time_to_hub"]
        rows.append(html.Tr([html.Td(g["label"]), html.Td(count(g["patients"]), className="num"),
                             html.Td(minutes(hub["mean"]), className="num"),
                             html.Td(share(hub["within"][last]), className="num")]))
    gap = equity["gaps"]["imd_q1_minus_q5_time_to_hub_mean_minutes"]
    note = (f"Most minus least deprived fifth (IMD): {gap:+.1f} min to hub on average." if gap is not None
            else "Groups with no patients are left out.")
    return html.Div([html.H3("Equity: deprivation and rurality"),
                     html.Table(rows, className="equity", id="equity-table"), html.P(note, className="note")])
