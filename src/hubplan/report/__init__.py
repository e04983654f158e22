"""The business-case report of an appraisal: one self-contained HTML file and a PDF.

>>> from hubplan.report import write_report                     # doctest: +SKIP
>>> files = write_report(appraisal, "out/report")               # doctest: +SKIP
>>> files.html, files.pdf                                       # doctest: +SKIP

Sections: summary in plain words, the options side by side, scores and ranking with
their sensitivity to the weights, maps of the time to hub per option and of the change
against the baseline, journey-time curves, equity between regions (and by deprivation
and rurality), the estimated outcomes (with a map of added good outcomes), beds, workforce and
standards, the trade-off curve (when a sweep was run), benchmarking (when given), how sure
the ranking is over draws of uncertain assumptions (when given an
:class:`~hubplan.planning.uncertainty.UncertaintyResult`: intervals, chances, a tornado chart
and robust sites), the assumptions with their sources, and the data, method and versions used.

:func:`render_report_html` returns the HTML as a string (for a web app to offer for
download); :func:`write_report` writes ``<stem>.html`` and ``<stem>.pdf``;
:func:`render_uncertainty_html` is a standalone page of the Uncertainty section alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from hubplan.report.content import ReportContent, build_content, uncertainty_section
from hubplan.report.charts import (
    Chart,
    access_curves_chart,
    funnel_chart,
    scores_chart,
    stability_chart,
    tornado_chart,
    tradeoff_chart,
)
from hubplan.report.figures import MapImage, map_painter, option_maps, outcome_maps
from hubplan.report.geometry import AreaShapes, area_shapes
from hubplan.report.interactive import map_data

if TYPE_CHECKING:
    from hubplan.planning.appraise import Appraisal
    from hubplan.planning.uncertainty import UncertaintyResult

__all__ = ["ReportFigures", "ReportFiles", "build_figures", "render_report_html", "render_uncertainty_html",
           "write_report"]

Progress = Callable[[str], None]


@dataclass(frozen=True, eq=False)
class ReportFigures:
    """Every picture of a report, drawn once and used by the HTML and the PDF."""

    time_maps: list[MapImage]
    change_maps: list[MapImage]
    #: The charts, each drawn once (:mod:`hubplan.report.charts`): its SVG in the HTML, its PNG in the PDF.
    access_hub: Chart
    access_first: Chart
    scores: Chart
    stability: Chart
    tradeoff: Chart | None
    funnel: Chart | None
    #: Added good outcomes per 1,000 patients under the top option, and the change against
    #: the baseline (none without an outcome model).
    outcome_maps: list[MapImage] = field(default_factory=list)
    #: The Uncertainty section's tornado chart (none without an uncertainty result, or when no
    #: assumption moved the top option's score).
    tornado: Chart | None = None
    #: The HTML's interactive map (:func:`hubplan.report.interactive.map_data`).
    interactive_map: dict[str, Any] | None = None


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote."""

    html: Path | None
    pdf: Path | None


def build_figures(appraisal: "Appraisal", shapes: AreaShapes | None = None,
                  uncertainty: "UncertaintyResult | None" = None, *, svg_maps: bool = False) -> ReportFigures:
    """Draw the maps and charts of a report.

    ``shapes`` are the areas to draw (default: the bundled LSOA boundaries where the
    codes match, points elsewhere); ``uncertainty`` adds the tornado chart; ``svg_maps``
    renders every map as SVG too (for :func:`hubplan.report.exports.write_figures`).
    """
    shapes = shapes if shapes is not None else area_shapes(appraisal.network)
    painter = map_painter(appraisal, shapes)
    if svg_maps:
        from hubplan.report.exports import SvgMapPainter

        painter = SvgMapPainter(painter)  # type: ignore[assignment]
    time_maps, change_maps = option_maps(appraisal, shapes, painter)
    return ReportFigures(
        time_maps=time_maps,
        change_maps=change_maps,
        access_hub=access_curves_chart(appraisal, "time_to_hub"),
        access_first=access_curves_chart(appraisal, "time_to_first"),
        scores=scores_chart(appraisal),
        stability=stability_chart(appraisal),
        tradeoff=tradeoff_chart(appraisal),
        funnel=funnel_chart(appraisal),
        outcome_maps=outcome_maps(appraisal, shapes, painter),
        tornado=tornado_chart(uncertainty) if uncertainty is not None else None,
        interactive_map=map_data(appraisal, painter.g),
    )


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def render_report_html(
    appraisal: "Appraisal",
    *,
    figures: ReportFigures | None = None,
    content: ReportContent | None = None,
    uncertainty: "UncertaintyResult | None" = None,
) -> str:
    """The whole report as one self-contained HTML document (works offline); ``uncertainty``
    adds the Uncertainty section (when ``figures`` and ``content`` are not given)."""
    from hubplan.report.html import render_html

    figures = figures if figures is not None else build_figures(appraisal, uncertainty=uncertainty)
    content = content if content is not None else build_content(appraisal, uncertainty=uncertainty)
    return render_html(content, figures, _plotly_js())


def render_uncertainty_html(result: "UncertaintyResult", *, title: str = "",
                            site_names: dict[str, str] | None = None) -> str:
    """The Uncertainty section alone as one self-contained HTML page (works offline), as
    ``hubplan uncertainty --out`` writes it to ``uncertainty.html``; ``site_names`` (code to
    name) names the robust sites."""
    from hubplan.report.content import _now
    from hubplan.report.html import render_uncertainty_page

    section = uncertainty_section(result, site_names=site_names)
    heading = title or "Options appraisal"
    subtitle = (f"How sure are we? {result.draws:,} draws of the ASSUMED distributions of "
                f"{len(result.spec.parameters)} assumptions · {len(result.options)} options")
    return render_uncertainty_page(section, tornado_chart(result), _plotly_js(), title=heading, subtitle=subtitle,
                                   generated=_now())


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_report(
    appraisal: "Appraisal",
    out_dir: str | Path,
    *,
    stem: str = "report",
    html: bool = True,
    pdf: bool = True,
    progress: Progress | None = None,
    uncertainty: "UncertaintyResult | None" = None,
    figures: ReportFigures | None = None,
) -> ReportFiles:
    """Write ``<stem>.html`` and/or ``<stem>.pdf`` into ``out_dir`` (created if needed);
    ``uncertainty`` (the Monte Carlo appraisal of the same scenario) adds the Uncertainty section;
    ``figures`` are used instead of drawing them (:func:`build_figures`)."""
    from hubplan.report.pdf import render_pdf

    say = progress or (lambda message: None)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if figures is None:
        say("drawing maps and charts ...")
        figures = build_figures(appraisal, uncertainty=uncertainty)
    content = build_content(appraisal, uncertainty=uncertainty)
    html_path = pdf_path = None
    if html:
        say("writing the HTML report ...")
        html_path = folder / f"{stem}.html"
        _atomic_write(html_path, render_report_html(appraisal, figures=figures, content=content).encode("utf-8"))
    if pdf:
        say("writing the PDF report ...")
        pdf_path = folder / f"{stem}.pdf"
        _atomic_write(pdf_path, render_pdf(content, figures))
    return ReportFiles(html_path, pdf_path)
