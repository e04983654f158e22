"""The self-contained HTML report: one file, plotly.js inlined once, pictures as data URIs.

Nothing is loaded from the network when the file is opened: no CDN, no web fonts, no
map tiles (the static maps are pictures drawn from the area boundaries; the interactive
map, :mod:`hubplan.report.interactive`, is drawn by the page's own script from data in the
page), so it works offline and can be attached to an email or a business case.
"""

from __future__ import annotations

import base64
import json
from html import escape
from typing import TYPE_CHECKING, Any, Callable

from hubplan.formatting import counted
from hubplan.report.content import ReportContent, Table, UncertaintySection, report_sections, warning_heading
from hubplan.report.interactive import CSS as MAP_CSS
from hubplan.report.interactive import map_html
from hubplan.report.maps import MapImage

if TYPE_CHECKING:
    from hubplan.report import ReportFigures
    from hubplan.report.charts import Chart

CSS = """
:root { --ink: #1d2733; --muted: #5b6673; --line: #d9dee4; --accent: #005eb8; --warn: #fff4ce; }
* { box-sizing: border-box; }
body { font-family: Arial, Helvetica, sans-serif; color: var(--ink); margin: 0; line-height: 1.45; background: #f4f6f8; }
main { max-width: 1180px; margin: 0 auto; background: white; padding: 28px 40px 60px; }
header h1 { color: var(--accent); margin: 0 0 4px; font-size: 28px; }
.subtitle { color: var(--muted); margin: 0 0 18px; }
nav { border: 1px solid var(--line); padding: 10px 16px; margin: 12px 0 20px; background: #fafbfc; }
nav ol { margin: 4px 0; columns: 2; }
nav a { color: var(--accent); text-decoration: none; }
h2 { border-bottom: 2px solid var(--accent); padding-bottom: 4px; margin-top: 38px; }
h3 { margin: 22px 0 6px; }
.warning { background: var(--warn); border-left: 6px solid #ffb81c; padding: 10px 14px; margin: 12px 0; }
.summary p { font-size: 16px; }
table { border-collapse: collapse; margin: 8px 0 4px; font-size: 13.5px; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: right; vertical-align: top; }
th { background: #eef2f6; }
td.label, th.label { text-align: left; }
table.uncertainty-parameters td, table.uncertainty-parameters th { text-align: left; }
tr:hover td { background: #f7fafc; }
.table-notes { color: var(--muted); font-size: 12.5px; margin: 2px 0 12px; }
.scroll { overflow-x: auto; }
.maps { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 16px; }
figure { margin: 0; }
figure img { width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 12.5px; }
.chart { margin: 8px 0 14px; }
.chart svg { display: block; width: 100%; max-width: 860px; height: auto; }
.option { border-left: 4px solid var(--line); padding: 2px 12px; margin: 10px 0; }
.option p { margin: 4px 0; }
details summary { cursor: pointer; color: var(--accent); margin: 6px 0; }
footer { color: var(--muted); font-size: 12px; margin-top: 40px; }
@media print { body { background: white; } main { padding: 0; } nav { display: none; } .chart { break-inside: avoid; } }
"""


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def table_html(table: Table, css_class: str = "") -> str:
    head = "".join(
        f'<th class="label">{escape(h)}</th>' if i == 0 and table.first_column_is_label else f"<th>{escape(h)}</th>"
        for i, h in enumerate(table.header)
    )
    body = []
    for row in table.rows:
        cells = "".join(
            f'<td class="label">{escape(c)}</td>' if i == 0 and table.first_column_is_label else f"<td>{escape(c)}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    notes = "".join(f'<p class="table-notes">{escape(n)}</p>' for n in table.notes)
    cls = f' class="{css_class}"' if css_class else ""
    return (f'<div class="scroll"><table{cls}><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
            f"</table></div>{notes}")


def _map_figure(image: MapImage) -> str:
    caption = f"{image.title} — {image.areas_drawn:,} of {image.n_areas:,} areas shown."
    return (f'<figure class="map" data-areas-drawn="{image.areas_drawn}" data-areas="{image.n_areas}">'
            f'<img src="{_data_uri(image.png)}" alt="{escape(image.title)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def chart_figure(chart: "Chart | None", caption: str = "") -> str:
    """A chart of :mod:`hubplan.report.charts` inline as SVG (its text selectable), or nothing."""
    if chart is None:
        return ""
    cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="chart" id="chart-{chart.key}">{chart.svg}{cap}</figure>'


def _paragraphs(lines: list[str]) -> str:
    return "".join(f"<p>{escape(line)}</p>" for line in lines)


def section_list(content: ReportContent, figures: "ReportFigures") -> list[tuple[str, str]]:
    """``(id, heading)`` of every section the report has, in order (numbered)."""
    return report_sections(
        deprivation=bool(content.deprivation), capacity=bool(content.capacity),
        kind_heading=content.kind_heading if content.kind_measures is not None else "",
        tradeoff=figures.tradeoff is not None, benchmark=bool(content.benchmark_text),
        outcomes=content.outcomes is not None, uncertainty=content.uncertainty is not None)


def uncertainty_html(section: UncertaintySection, heading: str, tornado: "Chart | None") -> str:
    """The Uncertainty section (the report's, and the whole of ``uncertainty.html``)."""
    u = section
    parts = [f'<section id="uncertainty"><h2>{escape(heading)}</h2>',
             f'<div class="warning assumed">{escape(u.text[0])}</div>', _paragraphs(u.text[1:]),
             "<h3>The uncertain assumptions (ASSUMED distributions)</h3>",
             table_html(u.parameters, "uncertainty-parameters"),
             "<h3>The options over the draws</h3>", table_html(u.overview, "uncertainty-options")]
    for name, table in u.options:
        parts.append(f'<h3>{escape(name)}: mean and 90% interval</h3>{table_html(table, "uncertainty-criteria")}')
    parts.append(f"<h3>What drives the result</h3><p>{escape(u.tornado_text)}</p>")
    parts.append(chart_figure(tornado))
    if u.drivers is not None:
        parts.append(f"<details><summary>Every option's correlations ({len(u.drivers.rows)} assumptions)</summary>"
                     f"{table_html(u.drivers, 'uncertainty-drivers')}</details>")
    if u.robust:
        parts.append("<h3>Robust sites</h3>" + _paragraphs(u.robust_text[:1]))
        for (name, table), line in zip(u.robust, u.robust_text[1:]):
            parts.append(f"<p>{escape(line)}</p><details><summary>{escape(name)}: every site chosen in a draw "
                         f"({len(table.rows)})</summary>{table_html(table, 'uncertainty-sites')}</details>")
    parts.append("".join(f'<p class="table-notes">Note: {escape(n)}</p>' for n in u.notes))
    parts.append("</section>")
    return "".join(parts)


def _chart_collector() -> tuple[dict[str, Any], Any]:
    """A dict of the page's charts and ``chart(id, figure)``, which records a figure and
    returns its placeholder (nothing for a missing figure)."""
    charts: dict[str, Any] = {}

    def chart(chart_id: str, figure: dict[str, Any] | None) -> str:
        if figure is None:
            return ""
        charts[chart_id] = figure
        return f'<div class="chart" id="{chart_id}"></div>'

    return charts, chart


def render_uncertainty_page(section: UncertaintySection, tornado: "Chart | None", plotly_js: str, *,
                            title: str, subtitle: str, generated: str) -> str:
    """A standalone page holding only the Uncertainty section (``hubplan uncertainty --out``)."""
    charts: dict[str, Any] = {}

    parts = [f"<header><h1>{escape(title)}</h1><p class=\"subtitle\">{escape(subtitle)}</p></header>",
             uncertainty_html(section, "Uncertainty: how sure are we?", tornado),
             f"<footer>Generated by hubplan on {escape(generated)}.</footer>"]
    return _document(title, parts, charts, plotly_js)


def render_html(content: ReportContent, figures: "ReportFigures", plotly_js: str) -> str:
    """Assemble the report (see :func:`hubplan.report.render_report_html`)."""
    sections = section_list(content, figures)
    heading = dict(sections)
    charts, chart = _chart_collector()

    parts: list[str] = []
    add = parts.append
    add(f"<header><h1>{escape(content.title)}</h1><p class=\"subtitle\">{escape(content.subtitle)}</p></header>")
    add("<nav><strong>Contents</strong><ol>" + "".join(
        f'<li><a href="#{sid}">{escape(title.split(". ", 1)[1])}</a></li>' for sid, title in sections) + "</ol></nav>")
    for warning in content.warnings:
        add(f'<div class="warning"><strong>{escape(warning_heading(warning))}</strong> {escape(warning)}</div>')

    add(f'<section id="summary" class="summary"><h2>{escape(heading["summary"])}</h2>')
    add(_paragraphs(content.summary))
    add("</section>")

    add(f'<section id="options"><h2>{escape(heading["options"])}</h2>')
    add(_paragraphs(content.introduction))
    add(table_html(content.options_table, "options-table"))
    for detail in content.option_details:
        add(f'<div class="option"><h3>{escape(detail.name)}</h3>')
        if detail.description:
            add(f"<p><em>{escape(detail.description)}</em></p>")
        add(_paragraphs(detail.lines) + "</div>")
    add("</section>")

    add(f'<section id="scoring"><h2>{escape(heading["scoring"])}</h2>')
    add("<p>Each option is scored on the criteria below. A criterion's values are rescaled so that the best option "
        "scores 1 and the worst 0, then the weighted average is taken. The bars show what each criterion adds to "
        "each option's score.</p>")
    add(table_html(content.criteria_table))
    add(chart_figure(figures.scores))
    add(table_html(content.ranking_table))
    add("<h3>How much do the weights matter?</h3>" + _paragraphs(content.sensitivity_text))
    add(table_html(content.sensitivity_table))
    add(f"<p>{escape(content.stability_text)}</p>")
    add(chart_figure(figures.stability))
    add("</section>")

    add(f'<section id="maps"><h2>{escape(heading["maps"])}</h2>')
    add("<p>Each neighbourhood is coloured by the time its patients take to reach a hub under each option "
        "(triangles: hubs; circles: spokes).</p>")
    if figures.interactive_map is not None:
        add("<h3>Interactive map</h3><p>Choose an option; zoom in and hover over a neighbourhood for its minutes "
            "and its hospital. The maps below are the same for print.</p>")
        add(map_html(figures.interactive_map))
        add("<h3>Maps for print</h3>")
    add('<div class="maps">' + "".join(_map_figure(m) for m in figures.time_maps) + "</div></section>")

    add(f'<section id="changes"><h2>{escape(heading["changes"])}</h2>')
    add("<p>Red neighbourhoods would take longer to reach a hub than under the baseline option, blue ones less "
        "time.</p>")
    add(table_html(content.change_table))
    add('<div class="maps">' + "".join(_map_figure(m) for m in figures.change_maps) + "</div></section>")

    add(f'<section id="journeys"><h2>{escape(heading["journeys"])}</h2>')
    add("<p>The share of patients who reach the hub within each number of minutes (higher and further left is "
        "better; dotted lines: the time thresholds).</p>")
    add(chart_figure(figures.access_hub))
    add("<h3>Time to the first hospital</h3>")
    add(chart_figure(figures.access_first))
    add("</section>")

    add(f'<section id="equity"><h2>{escape(heading["equity"])}</h2><p>{escape(content.regions_text)}</p>')
    add(table_html(content.regions_table) + "</section>")

    if "deprivation" in heading:
        add(f'<section id="deprivation"><h2>{escape(heading["deprivation"])}</h2>')
        add(_paragraphs(content.deprivation_text))
        for part in content.deprivation:
            add(f"<h3>{escape(part.option)}</h3>" + _paragraphs(part.sentences) + table_html(part.table))
        add("</section>")

    if content.outcomes is not None:
        o = content.outcomes
        add(f'<section id="outcomes"><h2>{escape(heading["outcomes"])}</h2>')
        add(_paragraphs(o.text))
        if o.table is not None:
            add(table_html(o.table, "outcomes-table"))
        if o.groups_table is not None or o.groups_text:
            add("<h3>By deprivation and rurality</h3>" + _paragraphs(o.groups_text))
            if o.groups_table is not None:
                add(table_html(o.groups_table, "outcomes-groups"))
        if figures.outcome_maps:
            add(f"<h3>Map: added good outcomes</h3><p>{escape(o.map_text)}</p>")
            add('<div class="maps">' + "".join(_map_figure(m) for m in figures.outcome_maps) + "</div>")
        if o.parameters is not None:
            add(f"<details><summary>The outcome model's figures ({len(o.parameters.rows)})</summary>"
                f"{table_html(o.parameters, 'outcomes-parameters')}</details>")
        add("</section>")

    if "capacity" in heading:
        add(f'<section id="capacity"><h2>{escape(heading["capacity"])}</h2>')
        add(table_html(content.capacity_totals))
        for cap in content.capacity:
            add(f"<h3>{escape(cap.option)}</h3><p>{escape(cap.summary)}</p>")
            if cap.table is not None:
                add(f"<details><summary>Hub by hub ({counted(len(cap.table.rows), 'hub')})</summary>{table_html(cap.table)}</details>")
            add("".join(f'<p class="table-notes">{escape(n)}</p>' for n in cap.notes))
        add("</section>")

    if "service" in heading and content.kind_measures is not None:
        add(f'<section id="service"><h2>{escape(heading["service"])}</h2>')
        add("<p>What the options mean for this kind of service, side by side; under the table, what each "
            "figure rests on.</p>")
        add(table_html(content.kind_measures))
        for section in content.kind_sections:
            add(f"<h3>{escape(section.option)}</h3>")
            for title, table in section.tables:
                add(f"<details><summary>{escape(title)} ({len(table.rows)} rows)</summary>{table_html(table)}</details>")
            add("".join(f'<p class="table-notes">{escape(n)}</p>' for n in section.notes))
        add("</section>")

    if "tradeoff" in heading:
        add(f'<section id="tradeoff"><h2>{escape(heading["tradeoff"])}</h2><p>{escape(content.sweep_text)}</p>')
        add(chart_figure(figures.tradeoff) + "</section>")

    if "benchmark" in heading:
        add(f'<section id="benchmark"><h2>{escape(heading["benchmark"])}</h2>')
        add(_paragraphs(content.benchmark_text))
        add(chart_figure(figures.funnel, "Funnel plot: each dot is a provider; outside the lines = more "
                         "different from the overall value than chance explains."))
        if content.benchmark_table is not None:
            add(table_html(content.benchmark_table))
        add("</section>")

    if content.uncertainty is not None:
        add(uncertainty_html(content.uncertainty, heading["uncertainty"], figures.tornado))

    add(f'<section id="assumptions"><h2>{escape(heading["assumptions"])}</h2>')
    add(table_html(content.assumptions_table) + "</section>")

    add(f'<section id="provenance"><h2>{escape(heading["provenance"])}</h2>')
    add("<h3>Method</h3>" + _paragraphs(content.method))
    if content.notes:
        add("<h3>Notes</h3>" + _paragraphs(content.notes))
    add("<h3>Data and software</h3>" + _paragraphs(content.provenance) + "</section>")
    add(f"<footer>Generated by hubplan on {escape(content.generated)}.</footer>")
    return _document(content.title, parts, charts, plotly_js)


def _document(title: str, parts: list[str], charts: dict[str, Any], plotly_js: str) -> str:
    """One self-contained HTML document: the CSS, the parts and, when there are ``charts``
    (plotly figures by element id), plotly.js inlined once and the script that draws them (the
    report's own charts are inline SVG and need neither)."""
    if not charts:
        return (
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{escape(title)}</title>\n<style>{CSS}{MAP_CSS}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(parts) + "\n</main>\n</body>\n</html>\n"
        )
    figures_json = json.dumps(charts, separators=(",", ":"), default=_json_default).replace("</", "<\\/")
    script = (
        "(function(){var figs=" + figures_json + ";"
        "for(var id in figs){var f=figs[id];Plotly.newPlot(id,f.data,f.layout||{},"
        "{displaylogo:false,responsive:true,showLink:false,showSendToCloud:false});}})();"
    )
    safe_js = plotly_js.replace("</script", "<\\/script")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{escape(title)}</title>\n<style>{CSS}{MAP_CSS}</style>\n"
        f"<script>{safe_js}</script>\n</head>\n<body>\n<main>\n"
        + "\n".join(parts)
        + f"\n</main>\n<script>{script}</script>\n</body>\n</html>\n"
    )


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__}")
