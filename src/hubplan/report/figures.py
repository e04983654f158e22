"""Pictures for the report: maps and charts as PNG (matplotlib) and as plotly figures.

The maps are choropleths of areas in classes (minutes to hub, or the change in minutes
between two options) with the option's hubs and spokes marked; :mod:`hubplan.report.maps`
draws them at their printed size (every area, as a polygon or a point) for both the HTML
and the PDF, and :mod:`hubplan.report.interactive` adds the HTML's zoomable map.
The charts exist twice: plotly figures (interactive, in the HTML) and PNG (in the PDF).
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
#: Qualitative colours for options (colour-blind safe, Okabe-Ito).
OPTION_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


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
def access_curve_data(ev: "Evaluation", which: str = "time_to_hub", points: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Minutes and the share of patients within them (a weighted cumulative curve), thinned."""
    t = np.asarray(getattr(ev.routes, which), dtype=float)
    w = np.asarray(ev.patients_per_year, dtype=float)
    keep = (w > 0) & np.isfinite(t)
    t, w = t[keep], w[keep]
    if not len(t):
        return np.zeros(0), np.zeros(0)
    order = np.argsort(t, kind="stable")
    t, share = t[order], np.cumsum(w[order]) / w.sum()
    if len(t) > points:
        idx = np.unique(np.linspace(0, len(t) - 1, points).round().astype(int))
        t, share = t[idx], share[idx]
    return np.concatenate([[0.0], t]), np.concatenate([[0.0], share])


def _x_limit(appraisal: "Appraisal", which: str) -> float:
    top = 0.0
    for ev in appraisal.evaluations:
        t = np.asarray(getattr(ev.routes, which), dtype=float)
        w = np.asarray(ev.patients_per_year, dtype=float)
        finite = np.isfinite(t) & (w > 0)
        if finite.any():
            top = max(top, float(np.percentile(t[finite], 99.5)))
    return min(300.0, top + 10.0) if top else 120.0


def access_curves_plotly(appraisal: "Appraisal", which: str = "time_to_hub") -> dict[str, Any]:
    """Plotly figure (as a dict) of the share of patients within each number of minutes."""
    import plotly.graph_objects as go

    fig = go.Figure()
    what = "hub" if which == "time_to_hub" else "first hospital"
    for i, ev in enumerate(appraisal.evaluations):
        x, y = access_curve_data(ev, which)
        fig.add_trace(go.Scatter(x=np.round(x, 1), y=np.round(y * 100, 2), mode="lines", name=ev.option.name,
                                 line={"color": OPTION_COLOURS[i % len(OPTION_COLOURS)], "width": 2},
                                 hovertemplate=f"{ev.option.name}<br>%{{y:.1f}}% within %{{x:.0f}} min<extra></extra>"))
    for t in appraisal.service.thresholds_minutes:
        fig.add_vline(x=t, line={"color": "#999999", "width": 1, "dash": "dot"})
    fig.update_layout(
        xaxis={"title": f"minutes to {what}", "range": [0, _x_limit(appraisal, which)]},
        yaxis={"title": f"patients reaching the {what} within (%)", "range": [0, 100]},
        legend={"orientation": "h", "y": -0.22}, margin={"l": 60, "r": 20, "t": 30, "b": 40}, height=430,
        template="plotly_white",
    )
    return fig.to_plotly_json()


def access_curves_png(appraisal: "Appraisal", which: str = "time_to_hub") -> bytes:
    """The same curves as a PNG (for the PDF)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 4.0), dpi=130)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    what = "hub" if which == "time_to_hub" else "first hospital"
    for i, ev in enumerate(appraisal.evaluations):
        x, y = access_curve_data(ev, which)
        ax.plot(x, y * 100, color=OPTION_COLOURS[i % len(OPTION_COLOURS)], lw=1.8, label=ev.option.name)
    for t in appraisal.service.thresholds_minutes:
        ax.axvline(t, color="#999999", lw=0.7, ls=":")
    ax.set_xlim(0, _x_limit(appraisal, which))
    ax.set_ylim(0, 100)
    ax.set_xlabel(f"minutes to {what}")
    ax.set_ylabel("patients within (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return _png(fig)


def contributions(appraisal: "Appraisal") -> pd.DataFrame:
    """Each criterion's contribution ``w_j v_oj`` to each option's score (options x criteria)."""
    s = appraisal.scores
    return s.normalised.mul(s.weights, axis=1)


def scores_plotly(appraisal: "Appraisal") -> dict[str, Any]:
    """Stacked bars: what each criterion adds to each option's score."""
    import plotly.graph_objects as go

    parts = contributions(appraisal)
    names = [appraisal.scores.ranking[i] for i in range(len(parts))][::-1]
    fig = go.Figure()
    palette = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
               "#bab0ac")
    for j, c in enumerate(appraisal.scores.criteria):
        fig.add_trace(go.Bar(y=names, x=[round(float(parts.loc[n, c.name]), 4) for n in names], orientation="h",
                             name=f"{c.label} ({appraisal.scores.weights[c.name]:.0%})",
                             marker={"color": palette[j % len(palette)]},
                             hovertemplate="%{y}<br>" + c.label + ": %{x:.3f}<extra></extra>"))
    fig.update_layout(barmode="stack", xaxis={"title": "score (0 = worst on every criterion, 1 = best)",
                                              "range": [0, 1]},
                      legend={"orientation": "h", "y": -0.3}, height=200 + 45 * len(names),
                      margin={"l": 260, "r": 20, "t": 20, "b": 40}, template="plotly_white")
    return fig.to_plotly_json()


def scores_png(appraisal: "Appraisal") -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    parts = contributions(appraisal)
    names = list(appraisal.scores.ranking)[::-1]
    fig = Figure(figsize=(7.0, 1.6 + 0.45 * len(names) + 0.25 * len(parts.columns)), dpi=130)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    left = np.zeros(len(names))
    cmap = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
            "#bab0ac")
    for j, c in enumerate(appraisal.scores.criteria):
        widths = np.array([float(parts.loc[n, c.name]) for n in names])
        ax.barh([_wrap(n, 26) for n in names], widths, left=left, color=cmap[j % len(cmap)],
                label=_wrap(f"{c.label} ({appraisal.scores.weights[c.name]:.0%})", 48))
        left += widths
    ax.set_xlim(0, 1)
    ax.set_xlabel("score (0 = worst on every criterion, 1 = best)")
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.4, -0.25), ncol=2, frameon=False)
    fig.tight_layout()
    return _png(fig)


def tradeoff_plotly(appraisal: "Appraisal") -> dict[str, Any] | None:
    """Mean and 90th percentile minutes to hub by number of hubs (the sweep), options marked."""
    import plotly.graph_objects as go

    if appraisal.sweep is None:
        return None
    table = appraisal.sweep.table
    ok = table[table["status"] != "infeasible"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ok["k"], y=ok["mean_minutes"].round(2), mode="lines+markers", name="best mean minutes",
                             line={"color": "#0072B2"}))
    if "p90_minutes" in ok:
        fig.add_trace(go.Scatter(x=ok["k"], y=ok["p90_minutes"].round(2), mode="lines+markers",
                                 name="90th percentile (of the best-mean sets)", line={"color": "#D55E00", "dash": "dash"}))
    for i, ev in enumerate(appraisal.evaluations):
        fig.add_trace(go.Scatter(x=[ev.summary["hubs"]], y=[round(ev.summary["time_to_hub"]["mean"], 2)], mode="markers",
                                 name=ev.option.name, marker={"size": 12, "symbol": "diamond",
                                                              "color": OPTION_COLOURS[i % len(OPTION_COLOURS)]}))
    fig.update_layout(xaxis={"title": "number of hubs"}, yaxis={"title": "minutes to hub"}, height=420,
                      legend={"orientation": "h", "y": -0.25}, margin={"l": 60, "r": 20, "t": 20, "b": 40},
                      template="plotly_white")
    return fig.to_plotly_json()


def tradeoff_png(appraisal: "Appraisal") -> bytes | None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if appraisal.sweep is None:
        return None
    table = appraisal.sweep.table
    ok = table[table["status"] != "infeasible"]
    fig = Figure(figsize=(7.0, 3.8), dpi=130)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(ok["k"], ok["mean_minutes"], marker="o", ms=3, color="#0072B2", label="best mean minutes")
    if "p90_minutes" in ok:
        ax.plot(ok["k"], ok["p90_minutes"], marker="s", ms=3, ls="--", color="#D55E00",
                label="90th percentile (of the best-mean sets)")
    for i, ev in enumerate(appraisal.evaluations):
        ax.scatter([ev.summary["hubs"]], [ev.summary["time_to_hub"]["mean"]], marker="D", s=45, zorder=3,
                   color=OPTION_COLOURS[i % len(OPTION_COLOURS)], label=_short(ev.option.name, 45))
    ax.set_xlabel("number of hubs")
    ax.set_ylabel("minutes to hub")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6.5, loc="upper right")
    fig.tight_layout()
    return _png(fig)


def stability_plotly(appraisal: "Appraisal") -> dict[str, Any]:
    import plotly.graph_objects as go

    st = appraisal.stability
    fig = go.Figure(go.Bar(x=(st["share_first"] * 100).round(1), y=list(st.index), orientation="h",
                           marker={"color": [OPTION_COLOURS[i % len(OPTION_COLOURS)] for i in range(len(st))]},
                           hovertemplate="%{y}: first in %{x:.1f}% of weightings<extra></extra>"))
    fig.update_layout(xaxis={"title": "ranked first in this share of random weightings (%)", "range": [0, 100]},
                      yaxis={"autorange": "reversed"}, height=140 + 40 * len(st),
                      margin={"l": 260, "r": 20, "t": 10, "b": 40}, template="plotly_white")
    return fig.to_plotly_json()


def funnel_png(appraisal: "Appraisal") -> bytes | None:
    """The benchmark funnel plot as PNG (from :mod:`hubplan.monitoring.benchmark.plots`)."""
    import tempfile
    from pathlib import Path

    if appraisal.benchmark is None:
        return None
    from hubplan.monitoring.benchmark.plots import provider_funnel_data, write_png

    data = provider_funnel_data(appraisal.benchmark, title=appraisal.benchmark_title or None)
    with tempfile.TemporaryDirectory() as folder:
        path = write_png(data, Path(folder) / "funnel.png")
        return path.read_bytes()


def _tornado_title(result: "UncertaintyResult", top: str) -> tuple[str, str]:
    return (f"Spearman rank correlation with the lead of '{top}' over the next best option",
            f"What drives the lead of '{top}' ({result.draws:,} draws of the ASSUMED distributions, "
            f"seed {result.seed})")


def tornado_plotly(result: "UncertaintyResult") -> dict[str, Any] | None:
    """The tornado chart (horizontal bars, largest on top) of :func:`hubplan.report.content.tornado_bars`;
    ``None`` when no assumption moved the lead."""
    import plotly.graph_objects as go

    from hubplan.report.content import tornado_bars

    top, bars = tornado_bars(result)
    if not bars:
        return None
    names = [name for name, _ in bars][::-1]
    rho = [round(value, 4) for _, value in bars][::-1]
    axis, title = _tornado_title(result, top)
    fig = go.Figure(go.Bar(y=names, x=rho, orientation="h",
                           marker={"color": ["#D55E00" if v < 0 else "#0072B2" for v in rho]},
                           hovertemplate="%{y}: %{x:+.2f}<extra></extra>"))
    fig.add_vline(x=0, line={"color": "#333333", "width": 1})
    fig.update_layout(title={"text": title, "font": {"size": 13}}, xaxis={"title": axis, "range": [-1, 1]},
                      height=140 + 38 * len(names), margin={"l": 280, "r": 20, "t": 40, "b": 40},
                      template="plotly_white")
    return fig.to_plotly_json()


def tornado_png(result: "UncertaintyResult") -> bytes | None:
    """The same tornado chart as a PNG (for the PDF); ``None`` when no assumption moved the lead."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from hubplan.report.content import tornado_bars

    top, bars = tornado_bars(result)
    if not bars:
        return None
    names = [_wrap(name, 34) for name, _ in bars][::-1]
    rho = [value for _, value in bars][::-1]
    axis, title = _tornado_title(result, top)
    fig = Figure(figsize=(7.0, 1.3 + 0.42 * len(names)), dpi=130)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.barh(names, rho, color=["#D55E00" if v < 0 else "#0072B2" for v in rho])
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_xlim(-1, 1)
    ax.set_xlabel(_wrap(axis, 90), fontsize=8)
    ax.set_title(_wrap(title, 90), fontsize=8.5, loc="left")
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _png(fig)
