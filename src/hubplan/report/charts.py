"""The report's charts: each defined once, as a matplotlib figure drawn at its printed size,
and rendered twice from that one figure: SVG for the HTML (inline, text kept as text) and
PNG for the PDF (placed at the same width, so 7 pt in the figure is 7 pt on paper).

No browser is needed to draw them (plotly's static export, kaleido, needs Chromium, which a
fresh machine running ``make demo`` may not have); the HTML's charts are pictures without
hover, and the report's interactive parts (the maps) are drawn elsewhere.

>>> chart = access_curves_chart(appraisal)                      # doctest: +SKIP
>>> chart.svg[:4], chart.png[:4]                                # doctest: +SKIP
('<svg', b'\\x89PNG')
"""

from __future__ import annotations

import functools
import io
import re
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ParamSpec, TypeVar

import numpy as np
import pandas as pd


if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from hubplan.access.evaluate import Evaluation
    from hubplan.planning.appraise import Appraisal
    from hubplan.planning.uncertainty import UncertaintyResult

P = ParamSpec("P")
R = TypeVar("R")

#: Qualitative colours for options (colour-blind safe, Okabe-Ito), in the appraisal's order.
OPTION_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
#: Width of a chart on the page (the PDF's text is 180 mm wide).
CHART_WIDTH_MM = 170.0
CHART_WIDTH_IN = CHART_WIDTH_MM / 25.4
#: Smallest text on a chart, in points at its printed size.
MIN_FONT_PT = 7.0
#: Resolution of the PDF's pictures of the charts.
PNG_DPI = 200
CRITERION_COLOURS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                     "#9c755f", "#bab0ac")
_STYLE: Any = {"font.size": 8.0, "axes.titlesize": 9.0, "axes.labelsize": 8.0, "xtick.labelsize": 7.5,
          "ytick.labelsize": 7.5, "legend.fontsize": MIN_FONT_PT, "svg.fonttype": "none",
          "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"]}


@dataclass(frozen=True)
class Chart:
    """One chart, drawn once: ``svg`` (markup to inline in the HTML) and ``png`` (for the
    PDF) are two renderings of the same matplotlib figure, ``width_mm`` wide on paper."""

    key: str
    alt: str
    svg: str
    png: bytes
    width_mm: float = CHART_WIDTH_MM
    #: The SVG as a file of its own (for figure exports).
    svg_document: bytes = field(default=b"", repr=False)


def styled(draw: Callable[P, R]) -> Callable[P, R]:
    """Draw a chart with the charts' text sizes (matplotlib reads them as each artist is made)."""
    @functools.wraps(draw)
    def drawn(*args: P.args, **kwargs: P.kwargs) -> R:
        import matplotlib

        with matplotlib.rc_context(_STYLE):
            return draw(*args, **kwargs)

    return drawn


def new_figure(height_in: float, width_in: float = CHART_WIDTH_IN) -> "Figure":
    """A figure at its printed size (constrained layout, Agg canvas)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def hover(fig: "Figure", artist: Any, text: str) -> None:
    """What the HTML report shows when the pointer rests on ``artist`` (a bar, a line): the
    SVG gets a ``<title>`` for it (browsers show it as a tooltip, screen readers read it);
    the PNG is unchanged."""
    titles: dict[str, str] = fig.__dict__.setdefault("_hubplan_hover", {})
    gid = f"hover-{len(titles)}"
    artist.set_gid(gid)
    titles[gid] = text


def _with_titles(document: str, key: str, titles: dict[str, str]) -> str:
    """The :func:`hover` titles put in, and every group's id prefixed with the chart's key
    (matplotlib numbers them figure_1, patch_1, ... in every chart; one page holds several)."""
    from html import escape

    for gid, text in titles.items():
        document = document.replace(f'<g id="{gid}">', f'<g id="{gid}"><title>{escape(text)}</title>', 1)
    return re.sub(r'<g id="([^"]+)"', lambda m: f'<g id="{key}-{m[1]}"', document)


def render(key: str, alt: str, fig: "Figure") -> Chart:
    """The SVG and the PNG of ``fig`` (ids in the SVG made unique by ``key``, so several
    charts can sit inline in one page; :func:`hover` texts as ``<title>`` elements)."""
    import matplotlib

    with matplotlib.rc_context({**_STYLE, "svg.hashsalt": key}):
        svg = io.BytesIO()
        fig.savefig(svg, format="svg", metadata={"Date": None})
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=PNG_DPI)
    png = _palette_png(png.getvalue())
    width_mm = float(fig.get_figwidth()) * 25.4
    document = _with_titles(svg.getvalue().decode("utf-8"), key, fig.__dict__.get("_hubplan_hover", {}))
    return Chart(key, alt, inline_svg(document, alt), png.getvalue(), width_mm, document.encode("utf-8"))


def _palette_png(data: bytes) -> io.BytesIO:
    """The PNG with at most 256 colours: a chart has a few colours and their antialiased
    edges, so it looks the same in about a third of the bytes."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        out, format="PNG", dpi=(PNG_DPI, PNG_DPI))
    return out


def inline_svg(document: str, alt: str) -> str:
    """An SVG file as markup for inside an HTML page: no XML prolog or doctype, scaled to
    its container (the viewBox keeps the proportions), labelled for screen readers."""
    start = document.index("<svg")
    body = document[start:]
    head_end = body.index(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", body[:head_end])
    from html import escape

    head += f' role="img" aria-label="{escape(alt)}"'
    return head + body[head_end:]


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def legend_labels(labels: list[str], ncol: int = 2, width_in: float = CHART_WIDTH_IN) -> tuple[list[str], int]:
    """``labels`` wrapped to fit a legend of ``ncol`` columns across the chart, and how many
    lines the legend takes (for the figure's height)."""
    chars = max(16, int((width_in * 72 / ncol - 36) / (MIN_FONT_PT * 0.75)))
    wrapped = [textwrap.fill(label, chars) for label in labels]
    rows = -(-len(wrapped) // ncol)
    # matplotlib fills a column before the next (column-major): row r holds labels r, r + rows, ...
    lines = sum(max(wrapped[r + c * rows].count("\n") + 1 for c in range(ncol) if r + c * rows < len(wrapped))
                for r in range(rows))
    return wrapped, lines


def _legend_below(fig: "Figure", ax: Any, ncol: int = 2) -> None:
    """The legend under the plot (never over the lines), in ``ncol`` columns, its labels
    wrapped to the chart's width."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        wrapped, _ = legend_labels(labels, ncol, float(fig.get_figwidth()))
        fig.legend(handles, wrapped, loc="outside lower center", ncol=ncol, fontsize=MIN_FONT_PT, frameon=False)


# ----------------------------------------------------------------------------- access curves
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


@styled
def access_curves_figure(appraisal: "Appraisal", which: str = "time_to_hub") -> "Figure":
    """The share of patients within each number of minutes of the hub (or first hospital),
    one line per option; dotted lines at the service's time thresholds."""
    from matplotlib.ticker import PercentFormatter

    _, lines = legend_labels([ev.option.name for ev in appraisal.evaluations])
    fig = new_figure(3.3 + 0.16 * lines)
    ax = fig.add_subplot(1, 1, 1)
    what = "hub" if which == "time_to_hub" else "first hospital"
    for i, ev in enumerate(appraisal.evaluations):
        x, y = access_curve_data(ev, which)
        (line,) = ax.plot(x, y * 100, color=OPTION_COLOURS[i % len(OPTION_COLOURS)], lw=1.6, label=ev.option.name)
        within = ev.summary[which]["within"]
        hover(fig, line, f"{ev.option.name}: " + ", ".join(
            f"{100 * share:.1f}% within {minutes} min" for minutes, share in within.items()))
    for t in appraisal.service.thresholds_minutes:
        ax.axvline(t, color="#999999", lw=0.7, ls=":")
    ax.set_xlim(0, _x_limit(appraisal, which))
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.set_xlabel(f"minutes to the {what}")
    ax.set_ylabel(f"patients reaching the {what} within")
    ax.grid(alpha=0.3)
    _legend_below(fig, ax, ncol=2)
    return fig


def access_curves_chart(appraisal: "Appraisal", which: str = "time_to_hub") -> Chart:
    what = "hub" if which == "time_to_hub" else "first hospital"
    return render(f"access-{'hub' if which == 'time_to_hub' else 'first'}",
                  f"Share of patients within each number of minutes of the {what}, by option",
                  access_curves_figure(appraisal, which))


# ----------------------------------------------------------------------------- scores
def contributions(appraisal: "Appraisal") -> pd.DataFrame:
    """Each criterion's contribution ``w_j v_oj`` to each option's score (options x criteria)."""
    s = appraisal.scores
    return s.normalised.mul(s.weights, axis=1)


@styled
def scores_figure(appraisal: "Appraisal") -> "Figure":
    """Stacked bars: what each criterion adds to each option's score (the top option on top)."""
    parts = contributions(appraisal)
    names = list(appraisal.scores.ranking)[::-1]
    criteria = appraisal.scores.criteria
    _, lines = legend_labels([f"{c.label} ({appraisal.scores.weights[c.name]:.0%})" for c in criteria])
    fig = new_figure(1.3 + 0.36 * len(names) + 0.16 * lines)
    ax = fig.add_subplot(1, 1, 1)
    left = np.zeros(len(names))
    totals = parts.sum(axis=1)
    for j, c in enumerate(criteria):
        widths = np.array([float(parts.loc[n, c.name]) for n in names])
        bars = ax.barh([_wrap(n, 30) for n in names], widths, left=left,
                       color=CRITERION_COLOURS[j % len(CRITERION_COLOURS)],
                       label=f"{c.label} ({appraisal.scores.weights[c.name]:.0%})")
        for name, bar, width in zip(names, bars, widths):
            hover(fig, bar, f"{name}: {c.label} (weight {appraisal.scores.weights[c.name]:.0%}) adds {width:.3f} "
                            f"to its score of {float(totals[name]):.3f}")
        left += widths
    ax.set_xlim(0, 1)
    ax.set_xlabel("score (0 = worst on every criterion, 1 = best)")
    ax.tick_params(axis="y", labelsize=MIN_FONT_PT)
    _legend_below(fig, ax, ncol=2)
    return fig


def scores_chart(appraisal: "Appraisal") -> Chart:
    return render("scores", "What each criterion adds to each option's score", scores_figure(appraisal))


# ----------------------------------------------------------------------------- stability
@styled
def stability_figure(appraisal: "Appraisal") -> "Figure":
    """Horizontal bars: the share of random weightings in which each option ranks first."""
    from matplotlib.ticker import PercentFormatter

    st = appraisal.stability
    names = [_wrap(str(n), 30) for n in st.index][::-1]
    shares = (st["share_first"].to_numpy(dtype=float) * 100)[::-1]
    fig = new_figure(0.9 + 0.32 * len(names))
    ax = fig.add_subplot(1, 1, 1)
    order = {ev.option.name: i for i, ev in enumerate(appraisal.evaluations)}  # each option's colour everywhere
    colours = [OPTION_COLOURS[order.get(str(n), i) % len(OPTION_COLOURS)] for i, n in enumerate(st.index)][::-1]
    bars = ax.barh(names, shares, color=colours)
    for name, bar, share in zip([str(n) for n in st.index][::-1], bars, shares):
        hover(fig, bar, f"{name}: ranked first in {share:.1f}% of random weightings")
    ax.bar_label(bars, labels=[f"{v:.0f}%" for v in shares], padding=2, fontsize=MIN_FONT_PT)
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.set_xlabel("ranked first in this share of random weightings")
    ax.tick_params(axis="y", labelsize=MIN_FONT_PT)
    ax.grid(axis="x", alpha=0.3)
    return fig


def stability_chart(appraisal: "Appraisal") -> Chart:
    return render("stability", "Share of random weightings in which each option ranks first",
                  stability_figure(appraisal))


# ----------------------------------------------------------------------------- trade-off
def tradeoff_figure(appraisal: "Appraisal") -> "Figure | None":
    """The sweep's trade-off curve (:func:`hubplan.optimise.sweep.sweep_figure`) with each
    option of the appraisal marked at its number of hubs and mean minutes; ``None`` without a sweep."""
    from hubplan.optimise.sweep import sweep_figure

    if appraisal.sweep is None:
        return None
    marks = [(ev.option.name, float(ev.summary["hubs"]), float(ev.summary["time_to_hub"]["mean"]),
              OPTION_COLOURS[i % len(OPTION_COLOURS)]) for i, ev in enumerate(appraisal.evaluations)]
    return sweep_figure(appraisal.sweep.table, title="", marks=marks, width_in=CHART_WIDTH_IN)


def tradeoff_chart(appraisal: "Appraisal") -> Chart | None:
    fig = tradeoff_figure(appraisal)
    return None if fig is None else render(
        "tradeoff", "Minutes to hub by number of hubs, with the options marked", fig)


# ----------------------------------------------------------------------------- funnel
def funnel_figure(appraisal: "Appraisal") -> "Figure | None":
    """The benchmark's funnel plot (:func:`hubplan.monitoring.benchmark.plots.funnel_figure`)
    at the chart width; ``None`` without benchmarking."""
    if appraisal.benchmark is None:
        return None
    from hubplan.monitoring.benchmark import plots

    data = plots.provider_funnel_data(appraisal.benchmark, title=appraisal.benchmark_title or None)
    return plots.funnel_figure(data, width_in=CHART_WIDTH_IN)


def funnel_chart(appraisal: "Appraisal") -> Chart | None:
    fig = funnel_figure(appraisal)
    return None if fig is None else render(
        "funnel", "Funnel plot: each dot is a provider; outside the lines means more different from the "
                  "overall value than chance explains", fig)


# ----------------------------------------------------------------------------- tornado
def _tornado_title(result: "UncertaintyResult", top: str) -> tuple[str, str]:
    return (f"Spearman rank correlation with the lead of '{top}' over the next best option",
            f"What drives the lead of '{top}' ({result.draws:,} draws of the ASSUMED distributions, "
            f"seed {result.seed})")


@styled
def tornado_figure(result: "UncertaintyResult") -> "Figure | None":
    """The tornado chart of :func:`hubplan.report.content.tornado_bars` (largest on top);
    ``None`` when no assumption moved the lead."""
    from hubplan.report.content import tornado_bars

    top, bars = tornado_bars(result)
    if not bars:
        return None
    names = [_wrap(name, 40) for name, _ in bars][::-1]
    rho = [value for _, value in bars][::-1]
    axis, title = _tornado_title(result, top)
    fig = new_figure(1.2 + 0.32 * len(names))
    ax = fig.add_subplot(1, 1, 1)
    ax.barh(names, rho, color=["#D55E00" if v < 0 else "#0072B2" for v in rho])
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_xlim(-1, 1)
    ax.set_xlabel(_wrap(axis, 100))
    ax.set_title(_wrap(title, 95), loc="left")
    ax.tick_params(axis="y", labelsize=MIN_FONT_PT)
    ax.grid(axis="x", alpha=0.3)
    return fig


def tornado_chart(result: "UncertaintyResult") -> Chart | None:
    fig = tornado_figure(result)
    return None if fig is None else render(
        "tornado", "What drives the lead of the top option: rank correlation of each assumption", fig)
