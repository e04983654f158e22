"""Pictures for the report: the maps, and the PNG of each chart of :mod:`hubplan.report.charts`.

The maps are choropleths of areas in classes (minutes to hub, or the change in minutes
between two options) with the option's hubs and spokes marked; :mod:`hubplan.report.maps`
draws them at their printed size (every area, as a polygon or a point) for both the HTML
and the PDF, and :mod:`hubplan.report.interactive` adds the HTML's zoomable map.
The charts are drawn once each by :mod:`hubplan.report.charts` (SVG in the HTML, PNG in the PDF).
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np
import pandas as pd

from hubplan.report.geometry import AreaShapes
from hubplan.report.maps import NO_ROUTE_COLOUR, MapGeometry, MapImage, MapPainter

if TYPE_CHECKING:
    from hubplan.report.charts import Chart
    from hubplan.planning.appraise import Appraisal
    from hubplan.access.evaluate import Evaluation
    from hubplan.planning.uncertainty import UncertaintyResult

#: Classes of minutes to hub: upper bounds (the last class is open).
TIME_BREAKS = (15.0, 30.0, 45.0, 60.0, 90.0, 120.0)
#: One sequential scale (ColorBrewer YlOrRd): the longer the journey, the darker the area.
TIME_COLOURS = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026")
#: Classes of change in minutes (b - a): shorter (blue), no change (grey), longer (red).
CHANGE_BREAKS = (-30.0, -15.0, -5.0, -1e-4, 1e-4, 5.0, 15.0, 30.0)
CHANGE_COLOURS = ("#08519c", "#3182bd", "#6baed6", "#c6dbef", "#e9e9e9", "#fcbba1", "#fb6a4a", "#de2d26",
                  "#a50f15")
CHANGE_LABELS = ("30+ min shorter", "15-30 min shorter", "5-15 min shorter", "up to 5 min shorter", "no change",
                 "up to 5 min longer", "5-15 min longer", "15-30 min longer", "30+ min longer")
#: Added good outcomes per 1,000 patients: one sequential scale (ColorBrewer YlGn), the more
#: good outcomes, the darker; classes of equal width set from the values (:func:`outcome_breaks`).
OUTCOME_COLOURS = ("#ffffcc", "#d9f0a3", "#addd8e", "#78c679", "#41ab5d", "#238443", "#005a32")
#: Change in added good outcomes per 1,000 patients: fewer (red), no change (grey), more (blue).
OUTCOME_CHANGE_COLOURS = CHANGE_COLOURS[::-1]


def time_labels() -> tuple[str, ...]:
    b = TIME_BREAKS
    return (f"under {b[0]:g} min", *(f"{lo:g}-{hi:g} min" for lo, hi in zip(b[:-1], b[1:])), f"{b[-1]:g}+ min")


def classify(values: np.ndarray, breaks: Sequence[float]) -> np.ndarray:
    """Class of each value (0 .. len(breaks)); -1 for values that are not finite."""
    classes = np.searchsorted(np.asarray(breaks), values, side="right")
    classes = np.where(np.isfinite(values), classes, -1)
    return classes


#: While :func:`svg_copies` is open, every chart rendered also keeps an SVG copy here.
_SVG_COPIES: ContextVar[list[bytes] | None] = ContextVar("svg_copies", default=None)


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    copies = _SVG_COPIES.get()
    if copies is not None:
        svg = io.BytesIO()
        fig.savefig(svg, format="svg", metadata={"Date": None})
        copies.append(svg.getvalue())
    return buffer.getvalue()


@contextmanager
def svg_copies() -> Iterator[list[bytes]]:
    """Collect an SVG copy of each chart drawn inside the block (in drawing order), for
    :mod:`hubplan.report.exports`; outside it, charts are drawn as PNG only."""
    copies: list[bytes] = []
    token = _SVG_COPIES.set(copies)
    try:
        yield copies
    finally:
        _SVG_COPIES.reset(token)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _short(name: str, width: int = 28) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def map_painter(appraisal: "Appraisal", shapes: AreaShapes) -> MapPainter:
    """The painter of every map of ``appraisal`` (:mod:`hubplan.report.maps`): areas, the
    boundaries of its region type, its sites."""

    sites = appraisal.network.sites
    xy = np.column_stack([sites["longitude"].to_numpy(dtype=float), sites["latitude"].to_numpy(dtype=float)])
    areas = appraisal.network.areas
    rtype = appraisal.region_type
    regions = areas[rtype].tolist() if rtype in areas and len(shapes.rings) else None
    geometry = MapGeometry.build(shapes, xy, sites["site_name"].astype(str).tolist(), regions, rtype)
    return MapPainter(geometry)


def option_maps(appraisal: "Appraisal", shapes: AreaShapes,
                painter: MapPainter | None = None) -> tuple[list[MapImage], list[MapImage]]:
    """Maps of minutes to hub for every option, and of the change from the baseline."""
    painter = painter if painter is not None else map_painter(appraisal, shapes)
    time_maps = []
    for ev in appraisal.evaluations:
        classes = classify(np.asarray(ev.routes.time_to_hub, dtype=float), TIME_BREAKS)
        time_maps.append(painter.draw(
            classes, TIME_COLOURS, time_labels(), title=f"Minutes to hub: {ev.option.name}",
            legend_title="minutes to hub", hubs=ev.hub_positions.tolist(), spokes=ev.spoke_positions.tolist(),
            caption=_map_caption(shapes),
        ))
    change_maps = []
    for name, comparison in appraisal.comparisons.items():
        change = np.asarray(comparison.b.routes.time_to_hub, dtype=float) - np.asarray(
            comparison.a.routes.time_to_hub, dtype=float)
        classes = classify(change, CHANGE_BREAKS)
        change_maps.append(painter.draw(
            classes, CHANGE_COLOURS, CHANGE_LABELS, title=f"Change in minutes to hub: {name}\nagainst {appraisal.baseline}",
            legend_title="journey to hub", hubs=comparison.b.hub_positions.tolist(),
            spokes=comparison.b.spoke_positions.tolist(), caption=_map_caption(shapes),
        ))
    return time_maps, change_maps


def nice_step(x: float) -> float:
    """The smallest of 1, 2, 2.5 and 5 times a power of ten that is at least ``x`` (> 0)."""
    power = 10.0 ** np.floor(np.log10(x))
    return float(next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= x * (1 - 1e-12)))


def outcome_breaks(values: np.ndarray, classes: int = len(OUTCOME_COLOURS)) -> tuple[float, ...]:
    """Upper bounds of ``classes`` classes of equal, round width over the finite ``values``
    (the last class is open)."""
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    step = nice_step(max(high - low, 1e-9) / classes)
    start = np.floor(low / step) * step
    return tuple(round(float(start + step * i), 9) for i in range(1, classes))


def _class_labels(breaks: Sequence[float]) -> tuple[str, ...]:
    return (f"under {breaks[0]:g}", *(f"{lo:g}-{hi:g}" for lo, hi in zip(breaks[:-1], breaks[1:])),
            f"{breaks[-1]:g}+")


def _per_thousand(values: np.ndarray, patients: np.ndarray) -> np.ndarray:
    """``1000 * values / patients``, NaN where an area has no patients."""
    return np.divide(1000.0 * values, patients, out=np.full(len(values), np.nan), where=patients > 0)


def outcome_maps(appraisal: "Appraisal", shapes: AreaShapes, painter: MapPainter | None = None) -> list[MapImage]:
    """Maps of added good outcomes per 1,000 patients per area (ESTIMATED) under the top
    option, then of the change against the baseline for every other option (one scale);
    none when the service has no outcome model."""
    top = appraisal.evaluation(appraisal.scores.top)
    if top.outcome_values is None:
        return []
    painter = painter if painter is not None else map_painter(appraisal, shapes)
    per = "admissions" if top.summary["outcomes"]["model"] == "stroke" else "patients"
    patients = np.asarray(top.patients_per_year, dtype=float)
    added = _per_thousand(top.areas["added_good_outcomes_per_year"].to_numpy(dtype=float), patients)
    breaks = outcome_breaks(added)
    maps = [painter.draw(
        classify(added, breaks), OUTCOME_COLOURS, _class_labels(breaks),
        title=_wrap(f"Added good outcomes per 1,000 {per} (ESTIMATED): {top.option.name}", 80),
        legend_title=f"per 1,000 {per}", hubs=top.hub_positions.tolist(),
        spokes=top.spoke_positions.tolist(), caption=_map_caption(shapes), missing_label="no patients")]
    changes: dict[str, np.ndarray] = {}
    for name, comparison in appraisal.comparisons.items():
        b_added = comparison.b.areas["added_good_outcomes_per_year"].to_numpy(dtype=float)
        a_added = comparison.a.areas["added_good_outcomes_per_year"].to_numpy(dtype=float)
        change = _per_thousand(b_added - a_added, patients)
        changes[name] = np.where(np.abs(change) <= 1e-9, 0.0, change)
    moved = np.abs(np.concatenate([c[np.isfinite(c) & (c != 0)] for c in changes.values()])) if changes \
        else np.zeros(0)
    step = nice_step(float(np.percentile(moved, 95)) / 3) if len(moved) else 1.0  # one scale for every option
    change_breaks = (-3 * step, -2 * step, -step, -1e-9, 1e-9, step, 2 * step, 3 * step)
    labels = (f"{3 * step:g}+ fewer", f"{2 * step:g}-{3 * step:g} fewer", f"{step:g}-{2 * step:g} fewer",
              f"up to {step:g} fewer", "no change", f"up to {step:g} more", f"{step:g}-{2 * step:g} more",
              f"{2 * step:g}-{3 * step:g} more", f"{3 * step:g}+ more")
    for name, change in changes.items():
        ev = appraisal.comparisons[name].b
        maps.append(painter.draw(
            classify(change, change_breaks), OUTCOME_CHANGE_COLOURS, labels,
            title=f"Change in added good outcomes per 1,000 {per} (ESTIMATED)\n"
                  + _wrap(f"{name} against {appraisal.baseline}", 80),
            legend_title=f"change per 1,000 {per}", hubs=ev.hub_positions.tolist(),
            spokes=ev.spoke_positions.tolist(), caption=_map_caption(shapes), missing_label="no patients"))
    return maps


def _map_caption(shapes: AreaShapes) -> str:
    n_points = len(shapes.point_areas)
    if n_points == shapes.n_areas:
        return "Areas drawn as points at their centres (no boundaries for this network)."
    text = "Areas: 2011 LSOA boundaries (ONS, Open Government Licence), simplified."
    if n_points:
        text += f" {n_points} areas without a boundary are drawn as points."
    return text


# ----------------------------------------------------------------------------- charts
# The charts are defined once in :mod:`hubplan.report.charts` (SVG for the HTML, PNG for the
# PDF); these return the PNG of each, for callers that want the picture alone (and, inside
# :func:`svg_copies`, keep its SVG too).
def _chart_png(chart: "Chart | None") -> bytes | None:
    if chart is None:
        return None
    copies = _SVG_COPIES.get()
    if copies is not None:
        copies.append(chart.svg_document)
    return chart.png


def access_curves_png(appraisal: "Appraisal", which: str = "time_to_hub") -> bytes:
    from hubplan.report.charts import access_curves_chart

    return _chart_png(access_curves_chart(appraisal, which)) or b""


def scores_png(appraisal: "Appraisal") -> bytes:
    from hubplan.report.charts import scores_chart

    return _chart_png(scores_chart(appraisal)) or b""


def tradeoff_png(appraisal: "Appraisal") -> bytes | None:
    from hubplan.report.charts import tradeoff_chart

    return _chart_png(tradeoff_chart(appraisal))


def funnel_png(appraisal: "Appraisal") -> bytes | None:
    from hubplan.report.charts import funnel_chart

    return _chart_png(funnel_chart(appraisal))


def tornado_png(result: "UncertaintyResult") -> bytes | None:
    from hubplan.report.charts import tornado_chart

    return _chart_png(tornado_chart(result))
