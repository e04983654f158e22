"""The report's words as a board reads them: no command-line flags or code identifiers, plurals
right, only the data notes of the chosen region, the 'what decides the ranking' sentence when the
top option is worse on access than another; the PDF's text at least 7 pt, no heading ending a page."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

from hubplan import Option, Service
from hubplan.planning.appraise import Criterion, appraise
from hubplan.report.content import board_text, build_content, ranking_sentence

ROOT = Path(__file__).resolve().parents[1]
HUBPLAN = Path(sys.executable).with_name("hubplan")
FLAG = re.compile(r"(?<![\w-])--[a-z]")
# a snake_case name outside a path, a file name or a web address
IDENTIFIER = re.compile(r"(?<![\w/.\-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/\-]|\.[a-z])")
ONE_PLURAL = re.compile(r"(?<![\d.,])1 (hubs|spokes|sites|options|units|providers|hospitals|centres)\b")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")
        if tag in ("td", "th", "tr"):
            self.parts.append("|")  # a cell or row boundary, so "1" ending one row and "spokes" starting the next is not "1 spokes"

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return " ".join(parser.parts)


def pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def font_sizes(path: Path) -> list[tuple[float, str]]:
    """(size in pt, text) of every piece of text drawn in the PDF: font size x text-matrix scale."""
    sizes: list[tuple[float, str]] = []
    for page in PdfReader(path).pages:
        def visit(text, cm, tm, font, size):
            if text.strip():
                scale_tm = (tm[0] ** 2 + tm[1] ** 2) ** 0.5
                scale_cm = (cm[0] ** 2 + cm[1] ** 2) ** 0.5
                sizes.append((size * scale_tm * scale_cm, text))
        page.extract_text(visitor_text=visit)
    return sizes


def problems(text: str) -> list[str]:
    return ([f"flag {m.group(0)!r}" for m in FLAG.finditer(text)]
            + [f"identifier {m.group(0)!r}" for m in IDENTIFIER.finditer(text)]
            + [f"plural {m.group(0)!r}" for m in ONE_PLURAL.finditer(text)])


def appraise_file(example: str, folder: Path) -> tuple[str, list[str]]:
    run = subprocess.run([str(HUBPLAN), "appraise", str(ROOT / "examples" / example), "--out", str(folder)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    return html_text(folder / "report.html"), pdf_pages(folder / "report.pdf")


def check_report(folder: Path, html: str, pages: list[str]) -> None:
    pdf = "\n".join(pages)
    assert problems(html) == []
    # a long name wrapped inside a narrow table cell is split across lines by the PDF (a citation's
    # "stroke-modelling/muster_workshop_w" + "eb_app_1"): rejoin such splits before looking
    assert problems(re.sub(r"(?<=[\w/])\n(?=\w)", "", pdf)) == []
    assert "2011 boundaries" in html and "2011 boundaries" in pdf
    small = [(round(size, 2), text) for size, text in font_sizes(folder / "report.pdf") if size < 7 - 1e-6]
    assert small == []
    headings = re.findall(r"^\d+\. [A-Z][^\n]*$", pdf, flags=re.M)
    assert headings  # numbered section headings are found
    for number, page in enumerate(pages[:-1], start=1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        assert lines[-1] not in headings, f"page {number} ends with the heading {lines[-1]!r}"


def test_board_text_turns_flags_and_identifiers_into_words():
    said = board_text("Beds not available: service 'vascular_arterial': length_of_stay_days has no sourced value; "
                      "supply it with --los")
    assert said == "Beds not available: the scenario does not give a length of stay, so beds are not estimated"
    assert board_text("no training pipeline: workforce_today (--workforce-today) not known") == (
        "no training pipeline: operators in post today not known")
    assert board_text("1 hubs and 1 spokes; 11 hubs, 2.1 hubs") == "1 hub and 1 spoke; 11 hubs, 2.1 hubs"
    kept = "Scenario file: examples/hampshire_vascular.toml; see bsnr.org.uk/mechanical_thrombectomy.aspx"
    assert board_text(kept) == kept


def _network():
    from hubplan.testing import make_network

    return make_network(
        [[10, 50, 20], [15, 45, 12], [40, 12, 30], [35, 20, 10]],
        [[0, 40, 15], [40, 0, 30], [15, 30, 0]],
        demand=[10, 5, 8, 2], site_codes=["H1", "H2", "S1"], area_codes=["A1", "A2", "A3", "A4"],
        area_regions=["North", "North", "South", "South"],
        capabilities={"thrombectomy": [True, False, False], "ivt": [True, True, True]},
    )


OPTIONS = [Option(name="one hub", hubs=("H1",)), Option(name="two hubs", hubs=("H1", "H2"))]


def test_no_ranking_sentence_when_the_top_option_is_best_on_access():
    a = appraise(_network(), Service.preset("thrombectomy"), OPTIONS, draws=50,
                 criteria=[Criterion("time_to_hub_mean_minutes", 3), Criterion("consultants_needed", 1)])
    assert a.scores.top == "two hubs"  # shorter journeys and it wins
    assert ranking_sentence(a) == ""
    assert not any("What decides the ranking" in line for line in build_content(a).summary)


def test_ranking_sentence_names_the_weights_when_a_better_access_option_loses():
    a = appraise(_network(), Service.preset("thrombectomy"), OPTIONS, draws=50,
                 criteria=[Criterion("time_to_hub_mean_minutes", 1), Criterion("consultants_needed", 5)])
    assert a.scores.top == "one hub"  # fewer consultants outweigh the longer journeys
    said = ranking_sentence(a)
    assert said.startswith("What decides the ranking: 'two hubs' gives better access than 'one hub'")
    assert "consultants needed" in said and "(weight 83%)" in said  # 5 / (1 + 5)
    assert said in build_content(a).summary


@pytest.mark.slow
@pytest.mark.parametrize("example", ["hampshire_vascular.toml", "essex_vascular.toml", "shropshire_maternity.toml"])
def test_example_reports_read_in_board_words(example, tmp_path):
    html, pages = appraise_file(example, tmp_path)
    check_report(tmp_path, html, pages)
    if example == "hampshire_vascular.toml":
        for text in (html, "\n".join(pages)):
            # no Welsh data notes for Hampshire (the bundled data's own name, "England & Wales", is not one)
            assert "Wales" not in text[text.index("Data and software"):].replace("England & Wales", "")
            assert "icb NHS" not in text
            assert "Sub-ICB location" in text and "Sub-icb" not in text


@pytest.mark.slow
def test_national_report_says_what_decides_the_ranking(tmp_path):
    html, pages = appraise_file("national_thrombectomy.toml", tmp_path)
    check_report(tmp_path, html, pages)
    for text in (html, " ".join(" ".join(pages).split())):
        assert "What decides the ranking: 'best 30 centres, direct' gives better access" in text
        assert "Isdn" not in text
