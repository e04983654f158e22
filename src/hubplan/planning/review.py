"""A national review of elective capacity: units, per-ICS variation, funnel plot and SPC.

``hubplan review UNITS.csv`` (``docs/elective.md``): the units (surgical hubs or community
diagnostic centres) of a ``UNITS.csv`` at sites of the network, each with its own sessions
or scanner hours where given, are assessed by the elective kind
(:mod:`hubplan.kinds.elective`) against the service's demand: capacity, activity,
utilisation and waiting-list change per unit and per integrated care system (ICS).

Variation between ICSs is judged on a funnel plot (:mod:`hubplan.monitoring.benchmark`) of
the ``rate`` indicator: residents treated a year (a count) against the ICS's population
(the exposure), per 100,000, Poisson on the square-root scale with normal limits (modelled
activity is not a whole number) widened for overdispersion (additive, DerSimonian-Laird).
Capacity per 100,000 is a planning figure, not a count subject to chance, so it is shown in
the table (with the ratio of highest to lowest) but not put on a funnel. Monthly activity,
when given (the user's own ``period,value[,group]`` CSV), gets XmR charts
(:mod:`hubplan.monitoring.spc`).
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd

from hubplan.access.evaluate import evaluate
from hubplan.errors import InputError
from hubplan.files import read_csv_records
from hubplan.jsonable import to_jsonable
from hubplan.kinds import KindResult, assess, kind
from hubplan.kinds.elective import DIAGNOSTIC, PER_UNIT, SURGICAL
from hubplan.services.options import Option

if TYPE_CHECKING:
    from hubplan.geography.network import Network
    from hubplan.monitoring.benchmark import BenchmarkResult
    from hubplan.monitoring.spc import SpcResult
    from hubplan.services.service import Service

#: Columns a units CSV may have besides the per-unit capacity columns.
UNIT_TEXT_COLUMNS = ("site_code", "note")

ILLUSTRATIVE = ("ILLUSTRATIVE: the units and their capacities are made up for the example, at real hospital "
                "sites; they are not the real surgical hubs or community diagnostic centres (no open list of "
                "those with locations was found)")


def read_units_csv(path: str | Path, network: "Network") -> pd.DataFrame:
    """The units of a review: ``site_code`` (a site of ``network``), an optional ``note`` (text,
    kept with the unit in the outputs), and any of ``sessions_per_week``, ``cases_per_session``,
    ``scanner_hours_per_week``, ``tests_per_hour`` (that unit's own value; a column present
    must be filled in every row). Indexed by ``site_code``, in file order.

    Raises
    ------
    InputError
        Naming the file, row (header = row 1) and column: an unknown column, an unknown,
        blank or repeated site code, a value that is not a number in the parameter's range.
    """
    source = str(path)
    header, records = read_csv_records(Path(path), source)
    if header is None or not records:
        raise InputError(f"{source}: no units: expected a header row site_code[, note, "
                         f"{', '.join(PER_UNIT)}] and one row per unit")
    allowed = (*UNIT_TEXT_COLUMNS, *PER_UNIT)
    for j, col in enumerate(header):
        if col not in allowed:
            raise InputError(f"{source} row 1, column {j + 1}: unknown column {col!r}; expected "
                             f"{', '.join(allowed)}")
    if "site_code" not in header:
        raise InputError(f"{source}: missing column 'site_code' (found: {', '.join(header)})")
    parameters = {p.name: p for p in kind("elective").parameters}
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, record in records:
        cells = dict(zip(header, (c.strip() for c in record)))
        code = cells["site_code"]
        if not code:
            raise InputError(f"{source} row {line}, column 'site_code': expected a site code, got an empty cell")
        if code in seen:
            raise InputError(f"{source} row {line}, column 'site_code': site {code} is listed twice "
                             f"(also row {seen[code]}); expected one row per unit")
        if code not in network.sites.index:
            raise InputError(f"{source} row {line}, column 'site_code': '{code}' is not a site of the network "
                             f"({network.source}); expected a site code such as {network.site_codes[0]}")
        seen[code] = line
        row: dict[str, Any] = {"site_code": code, "note": cells.get("note", "")}
        for name in PER_UNIT:
            if name not in cells:
                continue
            text = cells[name]
            p = parameters[name]
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not p.accepts(value):
                raise InputError(f"{source} row {line}, column '{name}': expected {p.describe()}, got '{text}'")
            row[name] = value
        rows.append(row)
    return pd.DataFrame(rows).set_index("site_code")


def with_units(network: "Network", units: pd.DataFrame) -> "Network":
    """``network`` with the units' capacity columns on its sites (other sites: empty)."""
    sites = network.sites.copy()
    for name in PER_UNIT:
        if name in units.columns:
            sites[name] = np.nan
            sites.loc[units.index, name] = units[name].to_numpy()
    return replace(network, sites=sites, _site_pos=dict(network._site_pos))


@dataclass(frozen=True)
class Review:
    """The review of one set of units: the kind's result, the ICS funnel and any SPC."""

    service: "Service"
    units_source: str
    units: pd.DataFrame
    result: KindResult
    funnel: "BenchmarkResult"
    spc: "SpcResult | None" = None
    illustrative: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def ics(self) -> pd.DataFrame:
        return self.result.table("ics").frame

    def variation(self) -> dict[str, Any]:
        """Highest / lowest ICS on capacity, activity and demand per 100,000 and utilisation."""
        out: dict[str, Any] = {}
        ics = self.ics
        for column in ("capacity_per_100k", "activity_per_100k", "demand_per_100k", "utilisation"):
            values = ics[["icb", column]].dropna()
            values = values[values[column] > 0] if column == "capacity_per_100k" else values
            if values.empty:
                out[column] = None
                continue
            hi, lo = values.loc[values[column].idxmax()], values.loc[values[column].idxmin()]
            out[column] = {"highest": {"icb": hi["icb"], "value": float(hi[column])},
                           "lowest": {"icb": lo["icb"], "value": float(lo[column])},
                           "ratio_highest_to_lowest": float(hi[column] / lo[column]) if lo[column] > 0 else None}
        out["ics_without_a_unit"] = sorted(ics.loc[ics["units"] == 0, "icb"].astype(str))
        return out

    def to_json(self) -> dict[str, Any]:
        funnel = self.funnel.to_dict()
        return to_jsonable({
            "service": self.service.name,
            "title": self.service.title,
            "units_file": self.units_source,
            "illustrative": self.illustrative,
            "illustrative_note": ILLUSTRATIVE if self.illustrative else None,
            "measures": {m.key: m.value for m in self.result.measures},
            "units": self.units.reset_index().to_dict(orient="records"),
            "kind": self.result.to_json(),
            "variation": self.variation(),
            "funnel": {k: funnel[k] for k in ("indicator", "target", "per", "scale", "limits", "overdispersion",
                                              "phi", "tau2", "limits_drawn", "counts", "providers")},
            "spc": self.spc.to_dict() if self.spc is not None else None,
            "notes": list(self.notes),
        })


def review(
    network: "Network",
    service: "Service",
    units: pd.DataFrame,
    *,
    units_source: str = "units",
    illustrative: bool = False,
    spc: "SpcResult | None" = None,
) -> Review:
    """Assess ``units`` (from :func:`read_units_csv`) as the hubs of one option of ``service``
    (kind ``elective``) on ``network`` and benchmark the ICSs' activity per 100,000."""
    from hubplan.monitoring.benchmark import FunnelSettings, benchmark

    if service.kind != "elective":
        raise InputError(f"service {service.name!r} is of kind {service.kind!r}; hubplan review needs an "
                         "elective preset (elective_surgical_hub, community_diagnostic_centre)")
    preset_pair = SURGICAL if any(service.parameters.get(n) is not None for n in SURGICAL) else DIAGNOSTIC
    for column in units.columns:
        if column in PER_UNIT and column not in preset_pair:
            raise InputError(f"{units_source}: column '{column}' does not fit service {service.name!r}, whose "
                             f"capacity is {preset_pair[0]} x {preset_pair[1]}; give those columns or another preset")
    net = with_units(network, units)
    option = Option(name=f"{len(units)} units of {units_source}", hubs=tuple(units.index))
    result = assess(evaluate(net, service, option))
    ics = result.table("ics").frame
    usable = ics[ics["population"].notna() & (ics["population"] > 0)]
    if len(usable) < 2:
        raise InputError(f"{units_source}: the network has population in {len(usable)} ICS; a funnel of "
                         "activity per 100,000 needs at least two")
    providers = pd.DataFrame({"provider": usable["icb"].astype(str),
                              "numerator": usable["residents_treated_per_year"].astype(float),
                              "denominator": usable["population"].astype(float)})
    settings = FunnelSettings(indicator="rate", overdispersion="additive", limits="normal", per=100_000)  # type: ignore[arg-type]
    funnel = benchmark(providers, settings, source=f"{units_source} (per-ICS activity)")
    notes = [*result.notes]
    if illustrative:
        notes.insert(0, ILLUSTRATIVE)
    notes.append("funnel: residents treated a year per 100,000 population by ICS (rate, Poisson, square-root "
                 "scale, normal limits widened for overdispersion); activity is modelled from the units' "
                 "capacity and the demand, not observed")
    if spc is None:
        notes.append("no monthly activity given (--activity FILE.csv, columns period,value[,group]): no SPC charts")
    return Review(service=service, units_source=units_source, units=units, result=result, funnel=funnel,
                  spc=spc, illustrative=illustrative, notes=tuple(notes))


# --------------------------------------------------------------------------- the page
_CSS = ("body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;"
        "font-size:.85em}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}"
        "td:first-child,th:first-child{text-align:left}.banner{background:#fff3cd;border:1px solid #e0c36b;"
        "padding:.6em;font-weight:bold}.note{color:#555;font-size:.9em}img{max-width:100%}")


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"
    return html.escape(str(value))


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c).replace('_', ' '))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def review_html(rv: Review, images: Mapping[str, bytes]) -> str:
    """The review as one self-contained HTML page (``images``: PNG bytes by caption)."""
    parts = [f"<h1>{html.escape(rv.service.title or rv.service.name)}: national review</h1>"]
    if rv.illustrative:
        parts.append(f'<p class="banner">{html.escape(ILLUSTRATIVE)}</p>')
    parts.append(f"<p>Units: {html.escape(rv.units_source)} ({len(rv.units)} units).</p>")
    parts.append("<h2>Measures</h2><table><tr><th>measure</th><th>value</th><th>unit</th><th>what it rests on</th></tr>"
                 + "".join(f"<tr><td>{html.escape(m.label)}</td><td>{_cell(m.value)}</td><td>{html.escape(m.unit)}"
                           f"</td><td class='note' style='text-align:left'>{html.escape(m.note)}</td></tr>"
                           for m in rv.result.measures) + "</table>")
    for table in rv.result.tables:
        parts.append(f"<h2>{html.escape(table.title)}</h2>{_table(table.frame)}")
        parts.extend(f'<p class="note">{html.escape(n)}</p>' for n in table.notes)
    v = rv.variation()
    lines = []
    for column, item in v.items():
        if isinstance(item, dict):
            ratio = item["ratio_highest_to_lowest"]
            lines.append(f"<li>{column.replace('_', ' ')}: highest {html.escape(item['highest']['icb'])} "
                         f"({_cell(item['highest']['value'])}), lowest {html.escape(item['lowest']['icb'])} "
                         f"({_cell(item['lowest']['value'])})" + (f", ratio {ratio:.2f}" if ratio else "") + "</li>")
    if v["ics_without_a_unit"]:
        lines.append(f"<li>ICSs without a unit: {html.escape(', '.join(v['ics_without_a_unit']))}</li>")
    parts.append("<h2>Variation between ICSs</h2><ul>" + "".join(lines) + "</ul>")
    counts = rv.funnel.counts["adjusted"]
    parts.append(f"<p>Funnel of activity per 100,000: target {rv.funnel.target * 1e5:,.1f}; limits: "
                 f"{html.escape(rv.funnel.limits_description)}; phi = {rv.funnel.dispersion.phi:.3g}; "
                 f"{counts['outside_95']} ICSs outside the 95% limits, {counts['outside_998']} outside 99.8%.</p>")
    flagged = rv.funnel.outliers[["provider", "value", "flag"]]
    if len(flagged):
        parts.append(_table(flagged.rename(columns={"provider": "icb", "value": "activity_per_100k"})))
    for caption, png in images.items():
        data = base64.b64encode(png).decode("ascii")
        parts.append(f"<figure><img src='data:image/png;base64,{data}' alt='{html.escape(caption)}'>"
                     f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in rv.notes) + "</ul>")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
            f"{html.escape(rv.service.name)} review</title><style>{_CSS}</style></head><body>"
            + "".join(parts) + "</body></html>\n")
