"""The PDF report (reportlab): the same sections as the HTML, charts as PNG pictures."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from hubplan.report.content import ReportContent, Table, warning_heading

if TYPE_CHECKING:
    from hubplan.report import ReportFigures
    from hubplan.report.charts import Chart

NHS_BLUE = "#005eb8"


def _styles() -> dict[str, Any]:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet

    base = getSampleStyleSheet()
    blue = colors.HexColor(NHS_BLUE)
    return {
        "title": ParagraphStyle("title", parent=base["Title"], textColor=blue, alignment=0, fontSize=20, leading=24),
        "subtitle": ParagraphStyle("subtitle", parent=base["Normal"], textColor=colors.HexColor("#5b6673"),
                                   fontSize=9.5, leading=12, spaceAfter=10),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], textColor=blue, fontSize=14, leading=17, spaceBefore=12,
                             spaceAfter=6, keepWithNext=1),
        "h3": ParagraphStyle("h3", parent=base["Heading3"], fontSize=11, leading=14, spaceBefore=8, spaceAfter=3,
                             keepWithNext=1),
        "body": ParagraphStyle("body", parent=base["Normal"], fontSize=9.5, leading=12.5, spaceAfter=5),
        "summary": ParagraphStyle("summary", parent=base["Normal"], fontSize=10.5, leading=14, spaceAfter=6),
        "caption": ParagraphStyle("caption", parent=base["Normal"], fontSize=7.5, leading=9.2, spaceAfter=2),
        "small": ParagraphStyle("small", parent=base["Normal"], fontSize=7.5, leading=9.5,
                                textColor=colors.HexColor("#5b6673"), spaceAfter=4),
        "cell": ParagraphStyle("cell", parent=base["Normal"], fontSize=7.2, leading=8.8),
        "cell_right": ParagraphStyle("cell_right", parent=base["Normal"], fontSize=7.2, leading=8.8, alignment=2),
        "head": ParagraphStyle("head", parent=base["Normal"], fontSize=7.2, leading=8.8, fontName="Helvetica-Bold"),
        "head_right": ParagraphStyle("head_right", parent=base["Normal"], fontSize=7.2, leading=8.8,
                                     fontName="Helvetica-Bold", alignment=2),
        "warning": ParagraphStyle("warning", parent=base["Normal"], fontSize=9.5, leading=12.5,
                                  backColor=colors.HexColor("#fff4ce"), borderPadding=6, spaceBefore=6,
                                  spaceAfter=10),
    }


def _p(text: str, style: Any) -> Any:
    from reportlab.platypus import Paragraph

    return Paragraph(escape(text), style)


#: A cell that reads as a number: a count, a figure with a unit or a percentage, a signed
#: change, a range of two figures ("8.0-18.9%"), or a dash for a missing value.
_NUMBER = re.compile(
    r"^[-+−]?[£$]?\d[\d,]*(\.\d+)?(\s?(%|pp|min|km|mm|x))?"
    r"(\s?(-|to|of|–)\s?[-+−]?\d[\d,]*(\.\d+)?(\s?(%|pp|min|km|mm|x))?)?$|^[-–]$")
_PADDING = 3.0


def _numeric(text: str) -> bool:
    return bool(_NUMBER.match(text.strip()))


def _numeric_columns(table: Table) -> list[bool]:
    """Which columns hold numbers (at least half their cells; right-aligned, the header too, so
    a word such as 'not available' among them lines up with the figures); the first column of
    a table whose first column is a label never does."""
    n = len(table.header)
    numeric = []
    for j in range(n):
        cells = [row[j].strip() for row in table.rows if j < len(row) and row[j].strip()]
        figures = [c for c in cells if c not in ("-", "–")]
        is_label = j == 0 and table.first_column_is_label
        numeric.append(bool(figures) and not is_label and 2 * sum(_numeric(c) for c in figures) >= len(figures))
    return numeric


def column_widths(table: Table, width: float, font_size: float = 7.2) -> list[float]:
    """Column widths (points) that fit ``width``: each column at least as wide as its longest
    word (the header's in bold), so no word is broken across lines where that fits; the room
    left shared in proportion to how much more each column's text needs on one line."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    n = len(table.header)
    pad = 2 * _PADDING + 1

    def words(text: str, font: str) -> float:
        return max((stringWidth(w, font, font_size) for w in text.split()), default=0.0)

    least, want = [], []
    for j in range(n):
        cells = [row[j] for row in table.rows if j < len(row)]
        low = max([words(table.header[j], "Helvetica-Bold")] + [words(c, "Helvetica") for c in cells]) + pad
        full = max([stringWidth(c, "Helvetica", font_size) for c in cells] or [0.0]) + pad
        least.append(min(low, width * 0.45))
        want.append(min(max(full, low), width * 0.6))
    if sum(want) <= width:
        spare = width - sum(want)
        return [w + spare * w / sum(want) for w in want]
    if sum(least) >= width:
        return [w * width / sum(least) for w in least]
    share = (width - sum(least)) / (sum(want) - sum(least))
    return [lo + (hi - lo) * share for lo, hi in zip(least, want)]


def _table(table: Table, styles: dict[str, Any], width: float) -> list[Any]:
    """A table that fits the page: numbers right-aligned under right-aligned headers, text
    (names, sources) wrapped in its cell, never cut; the header row repeated on each page."""
    from reportlab.lib import colors
    from reportlab.platypus import LongTable, TableStyle

    n = len(table.header)
    if n == 0:
        return []
    numeric = _numeric_columns(table)
    data = [[_p(h, styles["head_right"] if numeric[j] else styles["head"]) for j, h in enumerate(table.header)]]
    for row in table.rows:
        data.append([_p(c, styles["cell_right"] if j < n and numeric[j] else styles["cell"])
                     for j, c in enumerate(row)])
    t = LongTable(data, colWidths=column_widths(table, width), repeatRows=1)
    t.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#d9dee4")),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("VALIGN", (0, 1), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), _PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    out: list[Any] = [t]
    out += [_p(note, styles["small"]) for note in table.notes]
    return out


def _image(png: bytes, width: float) -> Any:
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image

    reader = ImageReader(io.BytesIO(png))
    w, h = reader.getSize()
    return Image(io.BytesIO(png), width=width, height=width * h / w)


def _chart(chart: "Chart") -> Any:
    """A chart's picture at its drawn width (so its 7 pt text is 7 pt on paper)."""
    from reportlab.lib.units import mm

    return _image(chart.png, chart.width_mm * mm)


def _height(flowables: list[Any], width: float) -> float:
    """Height (points) of ``flowables`` one after the other in a frame ``width`` wide, with
    the space before and after each."""
    total = 0.0
    for f in flowables:
        _, h = f.wrap(width, 10_000)
        total += h + f.getSpaceBefore() + f.getSpaceAfter()
    return total


def render_pdf(content: ReportContent, figures: "ReportFigures") -> bytes:
    """The report as PDF bytes (A4 portrait)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import CondPageBreak, KeepTogether, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as RLTable

    from hubplan.report.html import section_list

    styles = _styles()
    buffer = io.BytesIO()
    margin = 15 * mm
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin,
                            bottomMargin=margin + 4 * mm, title=content.title, author="hubplan",
                            subject="options appraisal")
    width = A4[0] - 2 * margin
    frame_height = doc.height - 12  # the frame's own padding, 6 pt above and below
    heading = dict(section_list(content, figures))
    story: list[Any] = []
    add = story.append

    def h2(section: str) -> None:
        add(CondPageBreak(45 * mm))  # a heading never ends a page: it starts one when less room is left
        add(_p(heading[section], styles["h2"]))

    def maps_grid(images: list[Any], lead: list[Any] | None = None) -> None:
        cell = (width - 6 * mm) / 2
        rows = []
        for i in range(0, len(images), 2):
            pair = [_image(m.png, cell) for m in images[i:i + 2]]
            if len(pair) == 1:
                pair.append("")
            rows.append(pair)
        for k, row in enumerate(rows):
            grid = RLTable([row], colWidths=[cell + 3 * mm, cell + 3 * mm])
            grid.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                           ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)])
            if k == 0 and lead:
                # the heading and its words start the page of the first maps; when maps are so tall
                # (a long key of hubs) that the words would not fit too, they follow the maps instead
                # of standing alone on a page of their own
                heading_part, words = lead[:1], lead[1:]
                from reportlab.platypus import Paragraph

                small_words = [Paragraph(w.text, styles["caption"]) for w in words]  # w.text is escaped already
                if _height([*lead, grid], width) <= frame_height:
                    add(KeepTogether([*lead, grid]))
                elif _height([*heading_part, *small_words, grid], width) <= frame_height:
                    add(KeepTogether([*heading_part, *small_words, grid]))  # the words as a caption
                elif _height([*heading_part, grid], width) <= frame_height:
                    add(KeepTogether([*heading_part, grid]))
                    story.extend(words)
                else:
                    story.extend([*lead, grid])
            else:
                add(grid)
        total = images[0].n_areas if images else 0
        drawn = min((m.areas_drawn for m in images), default=0)
        add(_p(f"Every map shows {drawn:,} of {total:,} areas. {images[0].caption if images else ''}", styles["small"]))

    add(_p(content.title, styles["title"]))
    add(_p(content.subtitle, styles["subtitle"]))
    for warning in content.warnings:
        add(_p(f"{warning_heading(warning)} {warning}", styles["warning"]))
    h2("summary")
    for line in content.summary:
        add(_p(line, styles["summary"]))

    h2("options")
    for line in content.introduction:
        add(_p(line, styles["body"]))
    story += _table(content.options_table, styles, width)
    for detail in content.option_details:
        block = [_p(detail.name, styles["h3"])]
        if detail.description:
            block.append(_p(detail.description, styles["body"]))
        block += [_p(line, styles["body"]) for line in detail.lines]
        add(KeepTogether(block))

    add(CondPageBreak(90 * mm))
    h2("scoring")
    add(_p("Each option is scored on the criteria below. A criterion's values are rescaled so that the best option "
           "scores 1 and the worst 0, then the weighted average is taken. The bars show what each criterion adds to "
           "each option's score.", styles["body"]))
    story += _table(content.criteria_table, styles, width)
    add(_chart(figures.scores))
    story += _table(content.ranking_table, styles, width)
    add(_p("How much do the weights matter?", styles["h3"]))
    for line in content.sensitivity_text:
        add(_p(line, styles["body"]))
    story += _table(content.sensitivity_table, styles, width)
    add(_p(content.stability_text, styles["body"]))
    add(_chart(figures.stability))

    maps_grid(figures.time_maps, lead=[
        _p(heading["maps"], styles["h2"]),
        _p("Each neighbourhood is coloured by the time its patients take to reach a hub under each option "
           "(triangles: hubs; circles: spokes).", styles["body"])])

    add(CondPageBreak(90 * mm))
    h2("changes")
    add(_p("Red neighbourhoods would take longer to reach a hub than under the baseline option, blue ones less time.",
           styles["body"]))
    story += _table(content.change_table, styles, width)
    add(Spacer(1, 4 * mm))
    if figures.change_maps:
        maps_grid(figures.change_maps)

    h2("journeys")
    add(_p("The share of patients who reach the hub within each number of minutes (higher and further left is "
           "better; dotted lines: the time thresholds).", styles["body"]))
    add(_chart(figures.access_hub))

    h2("equity")
    add(_p(content.regions_text, styles["body"]))
    story += _table(content.regions_table, styles, width)

    if "deprivation" in heading:
        add(CondPageBreak(90 * mm))
        h2("deprivation")
        for line in content.deprivation_text:
            add(_p(line, styles["body"]))
        for part in content.deprivation:
            add(KeepTogether([_p(part.option, styles["h3"]), *[_p(line, styles["body"]) for line in part.sentences]]))
            story += _table(part.table, styles, width)

    if content.outcomes is not None:
        o = content.outcomes
        add(CondPageBreak(90 * mm))
        h2("outcomes")
        for line in o.text:
            add(_p(line, styles["body"]))
        if o.table is not None:
            story += _table(o.table, styles, width)
        if o.groups_table is not None or o.groups_text:
            add(_p("By deprivation and rurality", styles["h3"]))
            for line in o.groups_text:
                add(_p(line, styles["body"]))
            if o.groups_table is not None:
                story += _table(o.groups_table, styles, width)
        if figures.outcome_maps:
            maps_grid(figures.outcome_maps, lead=[_p("Map: added good outcomes", styles["h3"]),
                                                  _p(o.map_text, styles["body"])])
        if o.parameters is not None:
            add(_p("The outcome model's figures", styles["h3"]))
            story += _table(o.parameters, styles, width)

    if "capacity" in heading:
        add(CondPageBreak(90 * mm))
        h2("capacity")
        story += _table(content.capacity_totals, styles, width)
        for cap in content.capacity:
            add(_p(cap.option, styles["h3"]))
            add(_p(cap.summary, styles["body"]))
            if cap.table is not None:
                story += _table(cap.table, styles, width)
            for note in cap.notes:
                add(_p(note, styles["small"]))

    if "service" in heading and content.kind_measures is not None:
        add(CondPageBreak(90 * mm))
        h2("service")
        story += _table(content.kind_measures, styles, width)
        for section in content.kind_sections:
            add(_p(section.option, styles["h3"]))
            for title, table in section.tables:
                add(_p(title, styles["body"]))
                story += _table(table, styles, width)
            for note in section.notes:
                add(_p(note, styles["small"]))

    if "tradeoff" in heading and figures.tradeoff is not None:
        h2("tradeoff")
        add(_p(content.sweep_text, styles["body"]))
        add(_chart(figures.tradeoff))

    if "benchmark" in heading:
        add(CondPageBreak(90 * mm))
        h2("benchmark")
        for line in content.benchmark_text:
            add(_p(line, styles["body"]))
        if figures.funnel is not None:
            add(_chart(figures.funnel))
        if content.benchmark_table is not None:
            story += _table(content.benchmark_table, styles, width)

    if content.uncertainty is not None:
        u = content.uncertainty
        add(CondPageBreak(90 * mm))
        h2("uncertainty")
        add(_p(u.text[0], styles["warning"]))
        for line in u.text[1:]:
            add(_p(line, styles["body"]))
        add(_p("The uncertain assumptions (ASSUMED distributions)", styles["h3"]))
        story += _table(u.parameters, styles, width)
        add(_p("The options over the draws", styles["h3"]))
        story += _table(u.overview, styles, width)
        for name, table in u.options:
            add(KeepTogether([_p(f"{name}: mean and 90% interval", styles["h3"]),
                              *_table(table, styles, width)]))
        drives = [_p("What drives the result", styles["h3"]), _p(u.tornado_text, styles["body"])]
        if figures.tornado is not None:
            drives.append(_chart(figures.tornado))
        add(KeepTogether(drives))
        if u.drivers is not None:
            story += _table(u.drivers, styles, width)
        if u.robust:
            add(_p("Robust sites", styles["h3"]))
            add(_p(u.robust_text[0], styles["body"]))
            for (name, table), line in zip(u.robust, u.robust_text[1:]):
                add(_p(line, styles["body"]))
                story += _table(table, styles, width)
        for note in u.notes:
            add(_p(f"Note: {note}", styles["small"]))

    add(CondPageBreak(90 * mm))
    h2("assumptions")
    story += _table(content.assumptions_table, styles, width)
    h2("provenance")
    add(_p("Method", styles["h3"]))
    for line in content.method:
        add(_p(line, styles["body"]))
    if content.notes:
        add(_p("Notes", styles["h3"]))
        for line in content.notes:
            add(_p(line, styles["body"]))
    add(_p("Data and software", styles["h3"]))
    for line in content.provenance:
        add(_p(line, styles["small"]))

    footer_title = content.title

    def on_page(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#5b6673"))
        canvas.drawString(margin, 9 * mm, footer_title[:110])
        canvas.drawRightString(A4[0] - margin, 9 * mm, f"page {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
