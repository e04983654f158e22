"""The report's charts as a reader sees them: funnel-plot labels that neither overlap nor leave
the picture, the sweep chart's shares as percentages with its title and legend clear of the
plot, benchmark limits with a fixed number of decimals, each chart drawn from one figure for
both the HTML (SVG) and the PDF (PNG at the drawn width), and the PDF's tables and text
(numbers right-aligned under their headers, no word broken, nothing under 7 pt, no code words)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from hubplan import Option, Service
from hubplan.monitoring.benchmark import benchmark
from hubplan.monitoring.benchmark.plots import funnel_figure, limit_decimals, limits_range, provider_funnel_data
from hubplan.optimise.sweep import plot_sweep, sweep_figure
from hubplan.planning.appraise import SweepResult, appraise
from hubplan.report import build_figures, charts, render_report_html
from hubplan.report.content import Table, build_content
from hubplan.report.geometry import area_shapes
from hubplan.report.pdf import _styles, _table, render_pdf
from test_report import network as tiny_network
from test_report_words import font_sizes, problems

ROOT = Path(__file__).resolve().parents[1]
HUBPLAN = Path(sys.executable).with_name("hubplan")
SSNAP = ROOT / "examples" / "benchmark" / "ssnap_thrombolysis_2016_2021.csv"


def text_boxes(fig):
    """(text, window extent) of every visible, non-empty text drawn on ``fig``."""
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    undrawn = set()  # tick labels of ticks outside an axis's view are made but never drawn
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            span = (high - low) * 1e-9
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                if not low - span <= tick.get_loc() <= high + span:
                    undrawn.update((id(tick.label1), id(tick.label2)))
    return [(t.get_text(), t.get_window_extent(renderer)) for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and id(t) not in undrawn]


def overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def outside(box, fig) -> bool:
    width, height = fig.canvas.get_width_height()
    return box.x0 < -0.5 or box.y0 < -0.5 or box.x1 > width + 0.5 or box.y1 > height + 0.5


def check_funnel_labels(fig, expected: list[str]) -> None:
    labels = fig.funnel_labels
    assert sorted(t.get_text() for t in labels) == sorted(expected)
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in labels]
    frame = fig.axes[0].get_window_extent(renderer)
    for i, box in enumerate(boxes):
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1, \
            labels[i].get_text()
        for j in range(i + 1, len(boxes)):
            assert not overlaps(box, boxes[j]), (labels[i].get_text(), labels[j].get_text())
    for text, box in text_boxes(fig):
        assert not outside(box, fig), f"{text!r} is cut at the edge"


@pytest.fixture(scope="module")
def ssnap():
    frame = pd.read_csv(SSNAP)
    return benchmark(frame, indicator="proportion", overdispersion="additive", per=100)


def test_funnel_names_the_outliers_without_overlap_or_clipping(ssnap) -> None:
    data = provider_funnel_data(ssnap, title="Thrombolysis rate by stroke team, SSNAP 2016-2021",
                                value_label="patients thrombolysed (%)")
    outliers = sorted(ssnap.providers.loc[ssnap.providers["flag"] != "in_control", "provider"])
    for name in ("Queens Hospital Romford HASU", "John Radcliffe Hospital", "Morriston Hospital",
                 "Luton and Dunstable Hospital"):
        assert name in outliers  # the crowded cluster of the issue
    for width in (charts.CHART_WIDTH_IN, 10.0):  # the report's width and the CLI's PNG
        fig = funnel_figure(data, width_in=width)
        check_funnel_labels(fig, outliers)
        assert min(t.get_fontsize() for t in fig.funnel_labels) >= 7
    assert fig.axes[0].get_ylabel() == "patients thrombolysed (%)"  # the unit said once


def test_many_outliers_are_numbered_with_a_key(ssnap) -> None:
    rng = np.random.default_rng(4)
    denominators = rng.integers(200, 3000, 60)
    rates = np.where(np.arange(60) < 30, 0.30, 0.12)  # half the providers far above the rest
    frame = pd.DataFrame({"provider": [f"Hospital number {i} with a long name" for i in range(60)],
                          "numerator": np.round(denominators * rates).astype(int), "denominator": denominators})
    result = benchmark(frame, indicator="proportion", overdispersion="none", per=100)
    data = provider_funnel_data(result)
    n = len(data.labelled)
    assert n > 12
    fig = funnel_figure(data, width_in=charts.CHART_WIDTH_IN)
    check_funnel_labels(fig, [str(i) for i in range(1, n + 1)])
    key = " ".join(text for text, _ in text_boxes(fig) if text.startswith("Outliers: ")).replace("\n", " ")
    for name in data.labelled["label"]:
        assert re.search(rf"\d+ {re.escape(name)}(;|$)", key), name


SWEEP = pd.DataFrame({
    "k": [2, 3, 4, 5], "status": ["optimal"] * 4, "mean_minutes": [40.0, 33.5, 29.0, 26.2],
    "p90_minutes": [80.0, 66.0, 58.0, 51.0], "within_30": [0.037, 0.41, 0.55, 0.62],
    "within_60": [0.60, 0.81, 0.90, 0.95], "sites": ["A,B", "A,B,C", "A,B,C,D", "A,B,C,D,E"],
})
LONG_TITLE = ("Mechanical thrombectomy for acute ischaemic stroke in England and Wales: mean minutes to the "
              "nearest thrombectomy centre by number of centres")


def test_sweep_chart_reads_as_percentages_with_title_and_legend_clear() -> None:
    fig = sweep_figure(SWEEP, LONG_TITLE, marks=[("today's network", 3, 34.0, "#0072B2")])
    fig.canvas.draw()
    left, right = fig.axes[0], fig.axes[1]
    ticks = [t.get_text() for t in right.get_yticklabels() if t.get_text()]
    assert ticks and all(t.endswith("%") for t in ticks)
    assert "100%" in ticks and "0%" in ticks
    # the shares drawn are the table's, as fractions of the axis (0.037 is drawn at 3.7% of it)
    lines = {line.get_label(): line for line in right.get_lines()}
    assert lines["share within 30 min (right axis)"].get_ydata()[0] == pytest.approx(0.037)
    renderer = fig.canvas.get_renderer()
    plot = left.get_window_extent(renderer)
    legend = fig.legends[0].get_window_extent(renderer)
    assert not overlaps(plot, legend)  # the legend never covers the curves
    title = fig._suptitle
    assert title.get_text().replace("\n", " ") == LONG_TITLE
    for text, box in text_boxes(fig):
        assert not outside(box, fig), f"{text!r} is cut at the edge"


def test_sweep_png_is_the_same_chart(tmp_path: Path) -> None:
    from PIL import Image

    path = plot_sweep(SWEEP, tmp_path / "sweep.png", title=LONG_TITLE)
    with Image.open(path) as image:
        size = image.size
    fig = sweep_figure(SWEEP, LONG_TITLE)
    assert size[0] == pytest.approx(fig.get_figwidth() * 150, abs=1)
    assert size[1] == pytest.approx(fig.get_figheight() * 150, abs=1)


@pytest.mark.parametrize("lower, upper, expected", [
    (8.0, 18.85, "8.0-18.9"), (7.857, 19.0, "7.9-19.0"), (0.0371, 0.2, "0.037-0.200"),
    (120.0, 1234.5, "120-1,234"), (-0.5, 1.25, "-0.50 to 1.25"),
])
def test_limits_print_with_one_number_of_decimals(lower, upper, expected) -> None:
    assert limits_range(lower, upper, limit_decimals([lower, upper])) == expected


def test_benchmark_command_prints_limits_with_fixed_decimals(tmp_path: Path) -> None:
    run = subprocess.run([str(HUBPLAN), "benchmark", str(SSNAP), "--per", "100", "--out", str(tmp_path)],
                         capture_output=True, text=True, env={**os.environ, "COLUMNS": "220"})
    assert run.returncode == 0, run.stderr
    limits = re.findall(r"│\s+(\d[\d.,]*-\d[\d.,]*)\s+│", run.stdout)
    assert len(limits) == 12  # one per outlier
    assert all(re.fullmatch(r"\d+\.\d-\d+\.\d", cell) for cell in limits), limits


# ----------------------------------------------------------------------------- one definition, two renderings
@pytest.fixture(scope="module")
def report(ssnap):
    options = [Option(name="one hub", hubs=("H1",)), Option(name="two hubs", hubs=("H1", "H2")),
               Option(name="one hub & transfer", hubs=("H1",), spokes=("H2", "S1"), pathway="treat_and_transfer",
                      bypass_minutes=5)]
    appraisal = appraise(tiny_network(), Service.preset("thrombectomy"), options, draws=200, title="Charts",
                         sweep=SweepResult(SWEEP, "a test sweep"), benchmark=ssnap,
                         benchmark_title="Thrombolysis rate by stroke team, SSNAP 2016-2021")
    figures = build_figures(appraisal, area_shapes(appraisal.network, use_bundled=False))
    content = build_content(appraisal)
    return appraisal, figures, render_report_html(appraisal, figures=figures, content=content), \
        render_pdf(content, figures)


def test_each_chart_is_one_figure_rendered_for_both_html_and_pdf(report) -> None:
    from PIL import Image

    _, figures, html, pdf = report
    drawn = [figures.access_hub, figures.access_first, figures.scores, figures.stability, figures.tradeoff,
             figures.funnel]
    assert all(chart is not None for chart in drawn)
    images = [image for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images]
    sizes = {Image.open(io.BytesIO(image.data)).size for image in images}
    for chart in drawn:
        assert f'<figure class="chart" id="chart-{chart.key}">{chart.svg}' in html  # the SVG, inline
        with Image.open(io.BytesIO(chart.png)) as png:
            width, height = png.size
        # the PNG is the same figure: its proportions are the SVG's viewBox
        box = [float(v) for v in re.search(r'viewBox="([^"]+)"', chart.svg).group(1).split()]
        assert width / height == pytest.approx(box[2] / box[3], rel=0.01)
        assert width == pytest.approx(chart.width_mm / 25.4 * charts.PNG_DPI, abs=1)
        if chart.key != "access-first":  # the PDF shows the time to hub only
            assert (width, height) in sizes, chart.key
    assert "Plotly.newPlot" not in html and "plotly.js v" not in html  # no browser library for the charts


def test_chart_text_is_at_least_7_pt_at_printed_size(report) -> None:
    appraisal, _, _, _ = report
    for draw in (charts.access_curves_figure, charts.scores_figure, charts.stability_figure,
                 charts.tradeoff_figure, charts.funnel_figure):
        fig = draw(appraisal)
        assert fig.get_figwidth() * 25.4 <= 180  # drawn at (at most) the PDF's text width
        fig.canvas.draw()
        from matplotlib.text import Text

        sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
        assert min(sizes) >= 7, draw.__name__
        for text, box in text_boxes(fig):
            assert not outside(box, fig), (draw.__name__, text)


# ----------------------------------------------------------------------------- the PDF's tables and text
def table_pdf(table: Table, width: float = 300.0) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate

    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(_table(table, _styles(), width))
    return buffer.getvalue()


def placed_text(pdf: bytes) -> list[tuple[str, float, float]]:
    """(text, left x, right x) of every line of text drawn (x from the text matrix; the width
    from the font metrics, Helvetica or Helvetica-Bold at the size drawn)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    out: list[tuple[str, float, float]] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        def visit(text, cm, tm, font, size):
            if text.strip():
                name = "Helvetica-Bold" if font and "Bold" in str(font.get("/BaseFont")) else "Helvetica"
                x = tm[4] * cm[0] + cm[4]
                out.append((text.strip(), x, x + stringWidth(text.strip(), name, size)))
        page.extract_text(visitor_text=visit)
    return out


def test_pdf_table_numbers_right_aligned_under_their_headers_and_words_whole() -> None:
    table = Table(["hospital", "consultants", "beds at 85% occupancy", "patients within 60 min"],
                  [["Queen Alexandra Hospital, Portsmouth, with a name long enough to wrap", "12", "1,234", "68.3%"],
                   ["Royal Hampshire County Hospital, Winchester", "6", "not available", "4.1%"]])
    placed = placed_text(table_pdf(table, width=260.0))
    texts = [t for t, _, _ in placed]
    assert "consultants" in texts  # the header word is not broken ('consultant' / 's')
    right = {t: r for t, _, r in placed}
    left = {t: x for t, x, _ in placed}
    assert right["12"] == pytest.approx(right["6"], abs=0.05) == pytest.approx(right["consultants"], abs=0.05)
    assert right["68.3%"] == pytest.approx(right["4.1%"], abs=0.05)
    assert right["1,234"] == pytest.approx(right["not available"], abs=0.05)
    name = next(x for t, x, _ in placed if t.startswith("Royal Hampshire"))
    assert left["hospital"] == pytest.approx(name, abs=0.05)  # text left-aligned under its header
    joined = " ".join(texts)
    assert "Queen Alexandra Hospital, Portsmouth, with a name long enough to wrap" in joined  # wrapped, not cut


def test_report_pdf_text_is_readable(report) -> None:
    _, _, _, pdf = report
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    text = re.sub(r"(?<=[\w/])\n(?=\w)", "", "\n".join(pages))
    assert problems(text) == []
    import tempfile  # font_sizes reads a file

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "report.pdf"
        target.write_bytes(pdf)
        small = [(round(size, 2), t) for size, t in font_sizes(target) if size < 7 - 1e-6]
    assert small == []
    assert "95% limits" in text and re.search(r"\d+\.\d-\d+\.\d%", text)  # the benchmark table's limits


def test_appraise_command_writes_the_charts_into_both_files(tmp_path: Path) -> None:
    run = subprocess.run([str(HUBPLAN), "appraise", str(ROOT / "examples" / "hampshire_vascular.toml"),
                          "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    for key in ("scores", "stability", "access-hub", "access-first"):
        assert re.search(rf'<figure class="chart" id="chart-{key}"><svg ', html), key
    assert "Plotly.newPlot" not in html
    pdf = tmp_path / "report.pdf"
    assert [(round(s, 2), t) for s, t in font_sizes(pdf) if s < 7 - 1e-6] == []
    text = re.sub(r"(?<=[\w/])\n(?=\w)", "", "\n".join(page.extract_text() for page in PdfReader(pdf).pages))
    assert problems(text) == []


def _titles(svg: str) -> list[str]:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title")]


def test_html_charts_say_their_figures_on_hover(report) -> None:
    """The inline SVG of each bar and line carries a <title> (a browser's tooltip) with its
    figure, worked out here from the appraisal's own scores, stability and summaries."""
    appraisal, figures, html, _ = report
    s = appraisal.scores
    expected_scores = []
    for name in s.ranking:
        total = sum(float(s.normalised.loc[name, c.name]) * float(s.weights[c.name]) for c in s.criteria)
        for c in s.criteria:
            part = float(s.normalised.loc[name, c.name]) * float(s.weights[c.name])
            expected_scores.append(f"{name}: {c.label} (weight {float(s.weights[c.name]):.0%}) adds {part:.3f} "
                                   f"to its score of {total:.3f}")
    assert sorted(_titles(figures.scores.svg)) == sorted(expected_scores)
    stability = [f"{n}: ranked first in {100 * float(v):.1f}% of random weightings"
                 for n, v in appraisal.stability["share_first"].items()]
    assert sorted(_titles(figures.stability.svg)) == sorted(stability)
    lines = _titles(figures.access_hub.svg)
    assert len(lines) == len(appraisal.evaluations)
    for ev in appraisal.evaluations:
        within = ev.summary["time_to_hub"]["within"]
        assert f"{ev.option.name}: " + ", ".join(f"{100 * v:.1f}% within {k} min" for k, v in within.items()) in lines
    # ids stay unique across the page's charts
    ids = re.findall(r'<g id="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert figures.scores.svg_document.decode("utf-8").count("<title>") == len(expected_scores)
