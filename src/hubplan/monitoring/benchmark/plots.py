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
        y_label += " (%)"
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


def write_png(data: FunnelData, path: str | Path) -> Path:
    """Draw the funnel with matplotlib (Agg canvas, no display) and save it as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 6.5), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    curves = data.curves
    x = curves["denominator"]
    if data.adjusted:
        for column in ("lower_95", "upper_95", "lower_998", "upper_998"):
            axes.plot(x, curves[f"{column}_unadjusted"], color="#bbbbbb", linewidth=0.8, linestyle=":")
        axes.plot([], [], color="#bbbbbb", linewidth=0.8, linestyle=":", label="unadjusted limits")
    axes.plot(x, curves["lower_95"], color="#1b7837", linestyle="--", linewidth=1.2, label="95% limits")
    axes.plot(x, curves["upper_95"], color="#1b7837", linestyle="--", linewidth=1.2)
    axes.plot(x, curves["lower_998"], color="#762a83", linewidth=1.4, label="99.8% limits")
    axes.plot(x, curves["upper_998"], color="#762a83", linewidth=1.4)
    axes.axhline(data.target, color="black", linewidth=1.0, label=f"target {data.target:.4g}")
    for flag, colour in COLOURS.items():
        subset = data.points[data.points["flag"] == flag]
        if len(subset):
            axes.scatter(
                subset[DENOMINATOR], subset["value"], s=28, color=colour, edgecolor="white",
                linewidth=0.5, zorder=3, label=f"{NAMES[flag]}: {len(subset)}",
            )
    # Neighbouring labels alternate sides so clusters of outliers stay readable.
    for i, (_, point) in enumerate(data.labelled.sort_values("value").iterrows()):
        left = i % 2 == 1
        axes.annotate(
            str(point["label"]), (point[DENOMINATOR], point["value"]),
            xytext=(-6 if left else 6, 4), textcoords="offset points", fontsize=7,
            ha="right" if left else "left", color=COLOURS[point["flag"]],
        )
    axes.set_xlabel(data.x_label)
    axes.set_ylabel(data.y_label)
    axes.set_title(data.title)
    axes.grid(alpha=0.25)
    axes.legend(fontsize=8, loc="best")
    figure.text(0.01, 0.01, data.caption, fontsize=7, color="#555555")
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    path = Path(path)
    figure.savefig(path)
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
