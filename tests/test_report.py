"""The report: valid HTML with every section, no external loads, a PDF that opens, every area on the maps."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from hubplan import Option, Service
from hubplan.planning.appraise import appraise
from hubplan.report import build_figures, render_report_html, write_report
from hubplan.report.content import build_content
from hubplan.report.geometry import Boundaries, area_shapes
from hubplan.report.html import section_list
from hubplan.testing import make_network

VOID = {"meta", "img", "br", "hr", "link", "input", "source", "col", "area", "base", "wbr"}


class Checker(HTMLParser):
    """Checks that tags nest and close, and collects ids, src/href values and scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.urls: list[tuple[str, str, str]] = []
        self.scripts: list[dict[str, str | None]] = []
        self.maps: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(str(a["id"]))
        for key in ("src", "href", "data", "action", "srcset"):
            if a.get(key):
                self.urls.append((tag, key, str(a[key])))
        if tag == "script":
            self.scripts.append(a)
        if tag == "figure" and "map" in str(a.get("class", "")):
            self.maps.append(a)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def network():
    # four areas (no bundled boundaries: drawn as points), three sites
    return make_network(
        [[10, 50, 20], [15, 45, 12], [40, 12, 30], [35, 20, 10]],
        [[0, 40, 15], [40, 0, 30], [15, 30, 0]],
        demand=[10, 5, 8, 2], site_codes=["H1", "H2", "S1"], area_codes=["A1", "A2", "A3", "A4"],
        area_regions=["North", "North", "South", "South"],
        area_latlon=[(51.0, -1.0), (51.05, -1.05), (50.8, -1.1), (50.85, -0.95)],
        site_latlon=[(51.02, -1.02), (50.82, -1.05), (50.95, -0.98)],
        capabilities={"thrombectomy": [True, False, False], "ivt": [True, True, True]},
    )


@pytest.fixture(scope="module")
def appraisal():
    net = network()
    service = Service.preset("thrombectomy")
    options = [
        Option(name="one hub", hubs=("H1",)),
        Option(name="two hubs", hubs=("H1", "H2")),
        Option(name="one hub & transfer", hubs=("H1",), spokes=("H2", "S1"), pathway="treat_and_transfer",
               bypass_minutes=5),
    ]
    return appraise(net, service, options, draws=200, title="Test <appraisal> & co",
                    notes=["Demand is a labelled PROXY: test"])


@pytest.fixture(scope="module")
def report(appraisal):
    figures = build_figures(appraisal, area_shapes(appraisal.network, use_bundled=False))
    return figures, render_report_html(appraisal, figures=figures)


def test_html_is_well_formed_with_every_section(appraisal, report):
    figures, html = report
    checker = Checker()
    checker.feed(html)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    assert html.startswith("<!DOCTYPE html>")
    expected = [sid for sid, _ in section_list(build_content(appraisal), figures)]
    assert expected == ["summary", "options", "scoring", "maps", "changes", "journeys", "equity", "outcomes",
                        "capacity", "assumptions", "provenance"]
    for sid in expected:
        assert sid in checker.ids
    assert "Test &lt;appraisal&gt; &amp; co" in html  # escaped
    assert "Demand is a proxy." in html


def test_html_loads_nothing_from_outside(report):
    _, html = report
    checker = Checker()
    checker.feed(html)
    for tag, key, value in checker.urls:
        assert value.startswith(("#", "data:")), (tag, key, value[:60])
        assert not re.match(r"\s*(https?:)?//", value)
    # the charts are inline SVG: no script is needed for them (any script is inline, plotly.js at most once)
    assert all("src" not in s for s in checker.scripts)
    assert html.count("<svg") >= 4 and 'id="chart-scores"' in html and 'id="chart-access-hub"' in html
    assert html.count("plotly.js v") <= 2  # the library's banner, inlined once if at all
    assert not re.search(r"<link[^>]+href=", html)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", html)


def test_maps_contain_every_area(appraisal, report):
    figures, html = report
    n = appraisal.network.n_areas
    assert len(figures.time_maps) == 3 and len(figures.change_maps) == 2
    assert len(figures.outcome_maps) == 3  # the top option's added good outcomes, then each option against the baseline
    for image in [*figures.time_maps, *figures.change_maps, *figures.outcome_maps]:
        assert image.n_areas == n and image.areas_drawn == n
        assert image.png.startswith(b"\x89PNG")
    checker = Checker()
    checker.feed(html)
    assert len(checker.maps) == 8
    assert all(m["data-areas-drawn"] == m["data-areas"] == str(n) for m in checker.maps)


def test_area_shapes_polygons_and_points():
    net = network()
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], dtype=np.float32)
    boundaries = Boundaries(
        codes=np.array(["A2", "A4", "ZZ"]), owner=np.array([0, 1, 1, 2], dtype=np.int32),
        offsets=np.array([0, 5, 10, 15, 20]), coords=np.concatenate([square, square + 2, square + 4, square + 6]))
    shapes = area_shapes(net, boundaries)
    assert shapes.ring_area.tolist() == [1, 3, 3]  # A2 one ring, A4 two; ZZ is not in the network
    assert shapes.point_areas.tolist() == [0, 2]  # A1 and A3 have no boundary: drawn as points
    assert shapes.areas_drawn() == {0, 1, 2, 3}


def test_pdf_opens_with_pages(appraisal, tmp_path):
    from pypdf import PdfReader

    files = write_report(appraisal, tmp_path / "r")
    reader = PdfReader(io.BytesIO(files.pdf.read_bytes()))
    assert len(reader.pages) > 0
    text = "".join(page.extract_text() for page in reader.pages)
    for heading in ("Summary", "The options", "Scores and ranking", "Outcomes", "Assumptions and their sources"):
        assert heading in text
    assert files.html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_summary_reads_in_plain_words(appraisal):
    content = build_content(appraisal)
    text = " ".join(content.summary)
    assert "one hub" in text and "minutes on average" in text
    assert appraisal.scores.top in text
    assert content.options_table.header == ["", "one hub", "two hubs", "one hub & transfer"]
