"""Funnel plots: a static PNG (matplotlib, no display needed) and an offline HTML (plotly).

Providers are points (denominator across, value up) coloured by flag; the target is
a horizontal line, the 95% limits dashed and the 99.8% limits solid. When the limits
were widened for overdispersion, the unadjusted limits are drawn faintly too.
Outliers are labelled with their names (only the alarms when there are more than
:data:`MAX_LABELS` outliers).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hubplan.monitoring.benchmark.analysis import BenchmarkResult
from hubplan.monitoring.benchmark.funnel import describe_limits, limit_curves
from hubplan.monitoring.benchmark.indicators import Indicator
from hubplan.monitoring.benchmark.inputs import DENOMINATOR, PROVIDER, REGION
from hubplan.monitoring.benchmark.outliers import Flag

#: Most outliers labelled by name before only alarms are labelled.
MAX_LABELS = 25

COLOURS = {
    Flag.ALARM_LOW.value: "#b2182b",
    Flag.ALERT_LOW.value: "#ef8a62",
    Flag.IN_CONTROL.value: "#4d4d4d",
    Flag.ALERT_HIGH.value: "#67a9cf",
    Flag.ALARM_HIGH.value: "#2166ac",
}
NAMES = {
    Flag.ALARM_LOW.value: "alarm, low (< 99.8% limit)",
    Flag.ALERT_LOW.value: "alert, low (< 95% limit)",
    Flag.IN_CONTROL.value: "in control",
    Flag.ALERT_HIGH.value: "alert, high (> 95% limit)",
    Flag.ALARM_HIGH.value: "alarm, high (> 99.8% limit)",
}


def limit_decimals(values: "pd.Series | np.ndarray | list[float]") -> int:
    """Decimals to print a table's values and limits with: one number for the whole table,
    enough for three significant figures of its largest value (18.85 -> 1, 0.2 -> 3), at
    most 6. NaN and infinite values are ignored.

    >>> limit_decimals([8.0, 18.85]), limit_decimals([0.037, 0.2]), limit_decimals([1234.0])
    (1, 3, 0)
    """
    finite = np.abs(np.asarray(values, dtype=float))
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if not len(finite):
        return 1
    return int(min(6, max(0, 2 - int(np.floor(np.log10(float(finite.max())))))))


def limits_range(lower: float, upper: float, decimals: int) -> str:
    """The limits as a range with a fixed number of decimals: ``8.0-18.9`` (negative values
    in brackets would read badly, so 'to' joins them: ``-0.5 to 1.2``)."""
    low, high = f"{lower:,.{decimals}f}", f"{upper:,.{decimals}f}"
    return f"{low} to {high}" if lower < 0 or upper < 0 else f"{low}-{high}"


@dataclass(frozen=True)
class FunnelData:
    """Everything a funnel picture needs, already in display units."""

    points: pd.DataFrame  # label, denominator, numerator, value, z, flag
    curves: pd.DataFrame  # denominator, lower_95 ... upper_998[, *_unadjusted]
    target: float
    adjusted: bool
    title: str
    x_label: str
    y_label: str
    caption: str
    label_all: bool = False

    @property
    def labelled(self) -> pd.DataFrame:
        """The points to label by name (every point when ``label_all``, else the outliers)."""
        if self.label_all:
            return self.points
        outliers = self.points[self.points["flag"] != Flag.IN_CONTROL.value]
        if len(outliers) > MAX_LABELS:
            outliers = outliers[outliers["flag"].str.startswith("alarm")]
        return outliers


def _labels(result: BenchmarkResult, value_label: str | None) -> tuple[str, str]:
    indicator, per = result.indicator, result.settings.per
    x_label = {
        Indicator.PROPORTION: "Denominator (cases)",
        Indicator.RATIO: "Expected",
        Indicator.RATE: "Denominator (exposure)",
    }[indicator]
    default = {
        Indicator.PROPORTION: "Proportion",
        Indicator.RATIO: "Observed / expected",
        Indicator.RATE: "Rate",
    }[indicator]
    y_label = value_label or default
    if per == 100 and indicator is Indicator.PROPORTION:
        y_label += "" if y_label.endswith("(%)") else " (%)"
    elif per != 1:
        y_label += f" (per {per:,.6g})"
    return x_label, y_label


def provider_funnel_data(
    result: BenchmarkResult, *, title: str | None = None, value_label: str | None = None
) -> FunnelData:
    """The providers' funnel."""
    x_label, y_label = _labels(result, value_label)
    points = result.providers.rename(columns={PROVIDER: "label"})
    d = result.dispersion
    caption = (
        f"target {result.target * result.settings.per:.4g}; limits: {result.limits_description}; "
        f"phi = {d.phi:.3g}, tau2 = {d.tau2:.3g}"
    )
    return FunnelData(
        points=points,
        curves=result.curves(),
        target=result.target * result.settings.per,
        adjusted=d.applied,
        title=title or f"{y_label} by provider",
        x_label=x_label,
        y_label=y_label,
        caption=caption,
    )


def region_funnel_data(
    result: BenchmarkResult, *, title: str | None = None, value_label: str | None = None
) -> FunnelData:
    """The regions' funnel (requires regional variation in ``result``)."""
    if result.regions is None:
        raise ValueError("this result has no regional variation")
    regions = result.regions
    x_label, y_label = _labels(result, value_label)
    den = regions.table[DENOMINATOR]
    curves = limit_curves(
        result.settings, result.target, regions.dispersion, float(den.min()) * 0.8, float(den.max()) * 1.1
    )
    limit_cols = [c for c in curves.columns if c != "denominator"]
    curves[limit_cols] = curves[limit_cols] * result.settings.per
    d = regions.dispersion
    ratio = regions.ratio_highest_to_lowest
    caption = (
        f"target {result.target * result.settings.per:.4g}; limits: {describe_limits(result.settings, d)}; "
        f"phi = {d.phi:.3g}, tau2 = {d.tau2:.3g}"
        + (f"; highest / lowest = {ratio:.3g}" if ratio is not None else "")
    )
    return FunnelData(
        points=regions.table.rename(columns={REGION: "label"}),
        curves=curves,
        target=result.target * result.settings.per,
        adjusted=d.applied,
        title=(title + " by region") if title else f"{y_label} by region",
        x_label=x_label,
        y_label=y_label,
        caption=caption,
        label_all=len(regions.table) <= MAX_LABELS,
    )


#: Most outliers labelled by name on the picture; with more (or when names would overlap)
#: the outliers are numbered and a key below the chart names them.
MAX_NAMED = 12
#: Smallest text on a funnel picture (points, at the size it is drawn).
MIN_FONT_PT = 7.0


def _boxes_overlap(a: Any, b: Any) -> bool:
    return bool(a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1)


def _overlapping(texts: list[Any], renderer: Any, inside: Any) -> bool:
    """Whether any two of ``texts`` overlap or one reaches outside the box ``inside``."""
    boxes = [t.get_window_extent(renderer) for t in texts]
    for i, box in enumerate(boxes):
        if box.x0 < inside.x0 or box.x1 > inside.x1 or box.y0 < inside.y0 or box.y1 > inside.y1:
            return True
        if any(_boxes_overlap(box, other) for other in boxes[i + 1:]):
            return True
    return False


def _place_labels(axes: Any, texts: list[Any], x: np.ndarray, y: np.ndarray) -> None:
    """Move the labels apart (adjustText) inside the axes, then step any label still
    overlapping another upward (or downward) by its own height until it is clear."""
    from adjustText import adjust_text

    renderer = axes.figure.canvas.get_renderer()
    adjust_text(texts, x=x, y=y, target_x=x, target_y=y, ax=axes, ensure_inside_axes=True,
                expand=(1.1, 1.3), force_text=(0.3, 0.5), iter_lim=300,
                arrowprops={"arrowstyle": "-", "color": "#777777", "lw": 0.4})
    frame = axes.get_window_extent(renderer)
    inverse = axes.transData.inverted()
    placed: list[Any] = []
    for text in texts:
        for attempt in range(80):
            box = text.get_window_extent(renderer)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and not any(_boxes_overlap(box, other) for other in placed):
                break
            # alternate up and down, further each time; clamp into the frame
            step = (attempt // 2 + 1) * box.height * 1.05 * (1 if attempt % 2 == 0 else -1)
            x0 = min(max(box.x0, frame.x0 + 1), frame.x1 - box.width - 1)
            y0 = min(max(box.y0 + step, frame.y0 + 1), frame.y1 - box.height - 1)
            dx, dy = inverse.transform((x0, y0)) - inverse.transform((box.x0, box.y0))
            px, py = text.get_position()
            text.set_position((px + dx, py + dy))
        placed.append(text.get_window_extent(renderer))


def funnel_figure(data: FunnelData, *, width_in: float = 6.7, axes_height_in: float = 3.6) -> Any:
    """The funnel plot as a matplotlib figure (Agg canvas, no display), drawn at its printed
    size: ``width_in`` inches wide, the plot ``axes_height_in`` high, text at least 7 pt.

    Outliers are labelled by name, moved apart so no two labels overlap and none leaves the
    plot; when there are more than :data:`MAX_NAMED` of them, or their names cannot be placed
    apart, they are numbered (largest denominator first) and a key below the plot names
    them. ``figure.funnel_labels`` are the label texts drawn (for checks)."""
    import textwrap

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labelled = data.labelled.sort_values([DENOMINATOR, "label"], ascending=[False, True]).reset_index(drop=True)
    names = [str(v) for v in labelled["label"]]
    chars_per_line = int((width_in - 0.6) * 72 / (MIN_FONT_PT * 0.6))
    key_lines = textwrap.wrap("; ".join(f"{i} {name}" for i, name in enumerate(names, start=1)),
                              chars_per_line) if names else []
    caption_lines = textwrap.wrap(data.caption, chars_per_line)
    n_entries = len([f for f in COLOURS if (data.points["flag"] == f).any()]) + 3 + int(data.adjusted)
    legend_rows = -(-n_entries // 3)
    line_in = MIN_FONT_PT * 1.35 / 72

    def build(numbered: bool) -> Any:
        key = key_lines if numbered else []
        block_in = 0.45 + legend_rows * line_in * 1.25 + (len(key) + 0.4) * line_in * bool(key) \
            + len(caption_lines) * line_in + 0.1
        title_lines = textwrap.wrap(data.title, int(width_in * 72 / (9 * 0.55)))
        height_in = axes_height_in + block_in + 0.25 + len(title_lines) * 9 * 1.3 / 72
        figure = Figure(figsize=(width_in, height_in))
        FigureCanvasAgg(figure)
        axes = figure.add_subplot(1, 1, 1)
        curves = data.curves
        x = curves["denominator"]
        if data.adjusted:
            for column in ("lower_95", "upper_95", "lower_998", "upper_998"):
                axes.plot(x, curves[f"{column}_unadjusted"], color="#bbbbbb", linewidth=0.8, linestyle=":")
            axes.plot([], [], color="#bbbbbb", linewidth=0.8, linestyle=":", label="unadjusted limits")
        axes.plot(x, curves["lower_95"], color="#1b7837", linestyle="--", linewidth=1.0, label="95% limits")
        axes.plot(x, curves["upper_95"], color="#1b7837", linestyle="--", linewidth=1.0)
        axes.plot(x, curves["lower_998"], color="#762a83", linewidth=1.2, label="99.8% limits")
        axes.plot(x, curves["upper_998"], color="#762a83", linewidth=1.2)
        axes.axhline(data.target, color="black", linewidth=0.9, label=f"target {data.target:.3g}")
        for flag, colour in COLOURS.items():
            subset = data.points[data.points["flag"] == flag]
            if len(subset):
                axes.scatter(subset[DENOMINATOR], subset["value"], s=16, color=colour, edgecolor="white",
                             linewidth=0.4, zorder=3, label=f"{NAMES[flag]}: {len(subset)}")
        axes.set_xlabel(data.x_label, fontsize=8)
        axes.set_ylabel(data.y_label, fontsize=8)
        axes.tick_params(labelsize=7.5)
        axes.set_title("\n".join(title_lines), fontsize=9, loc="left")
        axes.grid(alpha=0.25)
        bottom = block_in / height_in
        figure.subplots_adjust(left=0.6 / width_in, right=1 - 0.15 / width_in, bottom=bottom,
                               top=1 - (0.2 + len(title_lines) * 9 * 1.3 / 72) / height_in)
        handles, labels = axes.get_legend_handles_labels()
        figure.legend(handles, labels, loc="upper left", ncol=3, fontsize=MIN_FONT_PT, frameon=False,
                      bbox_to_anchor=(0.45 / width_in, (block_in - 0.4) / height_in), borderaxespad=0,
                      handletextpad=0.4, columnspacing=1.2)
        y = (block_in - 0.45 - legend_rows * line_in * 1.25) / height_in
        if key:
            figure.text(0.45 / width_in, y, "Outliers: " + "\n".join(key), fontsize=MIN_FONT_PT, va="top",
                        linespacing=1.35)
        figure.text(0.45 / width_in, 0.08 / height_in, "\n".join(caption_lines), fontsize=MIN_FONT_PT,
                    color="#555555", va="bottom", linespacing=1.35)
        texts = []
        for i, point in labelled.iterrows():
            texts.append(axes.text(point[DENOMINATOR], point["value"], str(i + 1) if numbered else names[i],
                                   fontsize=MIN_FONT_PT, color=COLOURS[point["flag"]], ha="center", va="center",
                                   bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.75}))
        if texts:
            _place_labels(axes, texts, labelled[DENOMINATOR].to_numpy(dtype=float),
                          labelled["value"].to_numpy(dtype=float))
        figure.funnel_labels = texts  # type: ignore[attr-defined]
        return figure

    if len(names) > MAX_NAMED:
        return build(numbered=True)
    figure = build(numbered=False)
    axes = figure.axes[0]
    renderer = figure.canvas.get_renderer()
    if names and _overlapping(figure.funnel_labels, renderer, axes.get_window_extent(renderer)):
        return build(numbered=True)
    return figure


def write_png(data: FunnelData, path: str | Path) -> Path:
    """Draw the funnel (:func:`funnel_figure`) and save it as PNG."""
    figure = funnel_figure(data)
    path = Path(path)
    figure.savefig(path, dpi=150)
    return path


def write_html(data: FunnelData, path: str | Path) -> Path:
    """Draw the funnel with plotly and save a self-contained HTML file (plotly.js inline)."""
    import plotly.graph_objects as go

    figure = go.Figure()
    curves = data.curves
    x = curves["denominator"]
    if data.adjusted:
        for column in ("lower_95", "upper_95", "lower_998", "upper_998"):
            figure.add_trace(go.Scatter(
                x=x, y=curves[f"{column}_unadjusted"], mode="lines", hoverinfo="skip",
                line={"color": "#bbbbbb", "width": 1, "dash": "dot"},
                name="unadjusted limits", legendgroup="unadjusted", showlegend=column == "lower_95",
            ))
    for column, colour, dash, name in (
        ("lower_95", "#1b7837", "dash", "95% limits"),
        ("upper_95", "#1b7837", "dash", "95% limits"),
        ("lower_998", "#762a83", "solid", "99.8% limits"),
        ("upper_998", "#762a83", "solid", "99.8% limits"),
    ):
        figure.add_trace(go.Scatter(
            x=x, y=curves[column], mode="lines", line={"color": colour, "dash": dash, "width": 1.5},
            name=name, legendgroup=name, showlegend=column.startswith("lower"),
            hovertemplate=f"{name}<br>denominator %{{x:,.0f}}<br>limit %{{y:.4g}}<extra></extra>",
        ))
    figure.add_hline(y=data.target, line={"color": "black", "width": 1})
    labelled = set(data.labelled["label"].astype(str))
    for flag, colour in COLOURS.items():
        subset = data.points[data.points["flag"] == flag]
        if not len(subset):
            continue
        text = [str(v) if str(v) in labelled else "" for v in subset["label"]]
        figure.add_trace(go.Scatter(
            x=subset[DENOMINATOR], y=subset["value"], mode="markers+text", text=text,
            textposition="top right", textfont={"size": 10, "color": colour},
            marker={"color": colour, "size": 8, "line": {"color": "white", "width": 0.5}},
            name=f"{NAMES[flag]}: {len(subset)}",
            customdata=subset[["label", "numerator", "z"]].to_numpy(),
            hovertemplate=(
                "<b>%{customdata[0]}</b><br>value %{y:.4g}<br>numerator %{customdata[1]:,.6g}"
                "<br>denominator %{x:,.6g}<br>z %{customdata[2]:.2f}<br>" + NAMES[flag] + "<extra></extra>"
            ),
        ))
    figure.update_layout(
        title={"text": f"{data.title}<br><sup>{data.caption}</sup>"},
        xaxis_title=data.x_label, yaxis_title=data.y_label, template="plotly_white",
        hovermode="closest", height=650,
    )
    path = Path(path)
    figure.write_html(path, include_plotlyjs=True, full_html=True)
    return path
