"""The report's Uncertainty section: its figures are the draws' own (recomputed here with numpy
and scipy from ``UncertaintyResult.results`` and ``.values``, not through the report code),
labelled ASSUMED; a tornado chart in the HTML and the PDF; no section without an uncertainty
result; ``hubplan appraise --uncertainty`` and ``hubplan uncertainty --out`` as users run them.

The scenario is test_uncertainty's (the scenario tests' network: one hub with its spoke, two
hubs, the best single hub) with criteria that put 'best 1' first (mean minutes to hub 1,
consultants needed 2): its score moves with the draws, so its tornado has bars.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from hubplan.planning.appraise import criterion_info
from hubplan.planning.scenario import load_scenario, run_scenario
from hubplan.planning.uncertainty import run_uncertainty
from hubplan.report import build_figures, render_report_html, render_uncertainty_html
from hubplan.report.content import build_content
from hubplan.report.geometry import area_shapes
from hubplan.report.html import section_list
from hubplan.report.pdf import render_pdf

from test_report import Checker
from test_uncertainty import scenario_file

HUBPLAN = str(Path(sys.executable).parent / "hubplan")
DRAWS = 12

CRITERIA = "[appraisal.criteria]\ntime_to_hub_mean_minutes = 1\nconsultants_needed = 2\n"
PARAMETERS = """
service.transfer_delay_minutes = { distribution = "triangular", low = 45, mode = 60, high = 120, source = "ASSUMPTION: a test range" }
"demand.multiplier" = { distribution = "uniform", low = 1.0, high = 1.3, driver = "growth" }
service.length_of_stay_days = { distribution = "uniform", low = 2, high = 5, driver = "growth" }
travel_times.multiplier = { distribution = "normal", mean = 1.0, sd = 0.1, low = 0.7, high = 1.3 }
service.workforce_available = { distribution = "uniform", low = 4, high = 12 }
"""


def write_scenario(folder: Path, name: str = "u.toml") -> Path:
    path = scenario_file(folder, PARAMETERS, name)
    path.write_text(path.read_text().replace("[uncertainty]\n", CRITERIA + "[uncertainty]\n", 1))
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uncertainty_report")
    spec = load_scenario(write_scenario(folder))
    appraisal = run_scenario(spec)
    result = run_uncertainty(spec, spec.uncertainty, draws=DRAWS)
    content = build_content(appraisal, uncertainty=result)
    figures = build_figures(appraisal, area_shapes(appraisal.network, use_bundled=False), uncertainty=result)
    return appraisal, result, content, figures


def close(cell: str, expected: float) -> bool:
    """A report cell (3 significant figures below 100, thousands separators, or a percentage) against a value."""
    text = cell.replace(",", "")
    if text.endswith("%"):
        return abs(float(text[:-1]) / 100 - expected) <= 0.0005 + 1e-12
    return abs(float(text) - expected) <= 0.005 * abs(expected) + 1e-9


def share(cell: str) -> float:
    assert cell.endswith("%"), cell
    return float(cell[:-1]) / 100


def test_the_scenario_moves_the_top_option(run) -> None:
    appraisal, result, _, _ = run
    assert appraisal.scores.top == "best 1" == result.deterministic_ranking[0]
    scores = np.array([r["scores"]["best 1"] for r in result.results])
    assert np.ptp(scores) > 0


def test_overview_figures_are_the_draws_own(run) -> None:
    _, result, content, _ = run
    u = content.uncertainty
    assert u.overview.header[:3] == ["option", "rank in the appraisal", "ranks first (share of draws)"]
    rows = {row[0]: row for row in u.overview.rows}
    assert list(rows) == ["one hub", "two hubs", "best 1"]
    n = len(result.results)
    assert n == DRAWS
    for option, row in rows.items():
        first = sum(r["ranking"][0] == option for r in result.results) / n
        assert share(row[2]) == pytest.approx(first, abs=0.005)
        flagged = np.mean([bool(r["flags"][option]) for r in result.results])
        assert share(row[3]) == pytest.approx(flagged, abs=0.005)
        shortfall = np.array([r["values"][option]["workforce_shortfall"] for r in result.results])
        assert share(row[4]) == pytest.approx(np.mean(shortfall > 0), abs=0.005)
        beds = np.array([r["values"][option]["beds_at_target_occupancy"] for r in result.results])
        assert close(row[5], np.percentile(beds, 95))
    assert share(rows["best 1"][2]) == pytest.approx(1.0)
    # the workforce available (4-12) falls short of the two hubs' rotas in some draws, not in all
    assert 0 < share(rows["two hubs"][4]) < 1
    assert [row[1] for row in rows.values()] == [str(1 + result.deterministic_ranking.index(o)) for o in rows]


def test_each_options_intervals_are_the_draws_percentiles(run) -> None:
    _, result, content, _ = run
    u = content.uncertainty
    scored = result.results[0]["criteria"]
    assert "time_to_hub_mean_minutes" in scored and "consultants_needed" in scored
    wanted = list(dict.fromkeys([*scored, "beds_at_target_occupancy", "workforce_shortfall"]))
    assert [name for name, _ in u.options] == list(result.options)
    for option, table in u.options:
        assert table.header == ["criterion", "unit", "mean", "5th percentile", "95th percentile", "draws with a value"]
        by_label = {row[0]: row for row in table.rows}
        assert len(table.rows) == len(wanted)
        for c in wanted:
            row = by_label[criterion_info(c).label]
            x = np.array([r["values"][option][c] for r in result.results], dtype=float)
            x = x[np.isfinite(x)]
            assert row[5] == str(len(x))
            assert close(row[2], x.mean()), (option, c, row)
            assert close(row[3], np.percentile(x, 5)), (option, c, row)
            assert close(row[4], np.percentile(x, 95)), (option, c, row)
    # the treat-and-transfer option's minutes move with the transfer delay: a real interval
    minutes = dict((row[0], row) for row in u.options[0][1].rows)["mean minutes to hub"]
    assert float(minutes[3]) < float(minutes[2]) < float(minutes[4])


def test_assumptions_are_stated_with_their_distributions_and_sources(run) -> None:
    _, result, content, _ = run
    u = content.uncertainty
    assert u.text[0].startswith("ASSUMED: every figure in this section rests on the distributions stated below")
    assert f"{DRAWS} draws (seed 3; run in-process)" in u.text[0]
    rows = {row[0]: row for row in u.parameters.rows}
    assert rows["service.transfer_delay_minutes"] == [
        "service.transfer_delay_minutes", "triangular(low 45, mode 60, high 120)", "-", "ASSUMPTION: a test range"]
    assert rows["demand.multiplier"][1:] == ["uniform(low 1, high 1.3)", "growth", "not given"]
    assert rows["service.length_of_stay_days"][2] == "growth"
    assert len(rows) == 5
    for table in (u.overview, *[t for _, t in u.options]):
        assert any("ASSUMED" in note for note in table.notes)
    # the summary says how sure the ranking is, pointing at the section's number
    number = dict(section_list(content, run[3]))["uncertainty"].split(".")[0]
    assert (f"Over {DRAWS} draws of 5 uncertain assumptions (ASSUMED distributions, section {number}), 'best 1' "
            "ranks first in 100% of the draws.") in content.summary


def lead_of_the_top_option(appraisal, result) -> np.ndarray:
    """Per draw, by hand: 'best 1' against each other option, the weighted advantage on the two
    scored criteria (both less-is-better), each in its range over the deterministic options;
    the smallest over the others."""
    weights = {"time_to_hub_mean_minutes": 1 / 3, "consultants_needed": 2 / 3}
    spans = {c: float(appraisal.values[c].max() - appraisal.values[c].min()) or 1.0 for c in weights}
    leads = []
    for r in result.results:
        mine = r["values"]["best 1"]
        leads.append(min(sum(w * (r["values"][other][c] - mine[c]) / spans[c] for c, w in weights.items())
                         for other in ("one hub", "two hubs")))
    return np.array(leads)


def test_tornado_bars_are_the_rank_correlations_with_the_top_options_lead(run) -> None:
    appraisal, result, content, figures = run
    assert appraisal.scores.weights.to_dict() == pytest.approx({"time_to_hub_mean_minutes": 1 / 3,
                                                                "consultants_needed": 2 / 3})
    lead = lead_of_the_top_option(appraisal, result)
    assert (lead > 0).all()  # 'best 1' stays first in every draw
    expected = {}
    for name in ("service.transfer_delay_minutes", "demand.multiplier", "service.length_of_stay_days",
                 "travel_times.multiplier", "service.workforce_available"):
        x = np.array([v[name] for v in result.values])
        expected[name] = stats.spearmanr(x, lead).statistic
    # the treat-and-transfer minutes rise with the delay: 'best 1' leads 'one hub' by more
    assert expected["service.transfer_delay_minutes"] > 0.5
    # the bars as drawn: the figure the HTML's SVG and the PDF's picture are both rendered from
    from hubplan.report.charts import tornado_figure

    ax = tornado_figure(result).axes[0]
    names = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    widths = [bar.get_width() for bar in ax.patches]
    got = dict(zip(names, widths))
    assert set(got) == set(expected)
    for name, rho in expected.items():
        assert got[name] == pytest.approx(rho, abs=1e-9)
    # largest on top (matplotlib draws the last bar at the top)
    sizes = [abs(got[name]) for name in names]
    assert sizes == sorted(sizes)
    html = render_report_html(appraisal, figures=figures, content=content)
    section = html[html.index('<section id="uncertainty">'):]
    section = section[:section.index("</section>")]
    assert '<figure class="chart" id="chart-tornado"><svg' in section  # the chart inline as SVG
    checker = Checker()
    checker.feed(html)
    assert checker.errors == [] and checker.stack == []
    assert figures.tornado is not None and figures.tornado.png.startswith(b"\x89PNG")


def test_robust_sites_are_the_share_of_draws_choosing_them(run) -> None:
    appraisal, result, content, _ = run
    u = content.uncertainty
    assert [name for name, _ in u.robust] == ["best 1"]
    table = u.robust[0][1]
    assert table.header == ["site", "chosen in (share of draws)", "chosen in the appraisal"]
    chosen = set(appraisal.solutions["best 1"].sites)
    counted: dict[str, int] = {}
    for r in result.results:
        for site in r["sites"]["best 1"]:
            counted[site] = counted.get(site, 0) + 1
    assert len(table.rows) == len(counted)
    names = appraisal.network.sites["site_name"]
    for row in table.rows:
        code = row[0].rsplit("(", 1)[1].rstrip(")")
        assert row[0] == f"{names[code]} ({code})"
        assert share(row[1]) == pytest.approx(counted[code] / DRAWS, abs=0.005)
        assert row[2] == ("yes" if code in chosen else "no")


def test_pdf_carries_the_section(run) -> None:
    from pypdf import PdfReader

    _, _, content, figures = run
    pages = PdfReader(io.BytesIO(render_pdf(content, figures))).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())  # table cells wrap
    heading = dict(section_list(content, figures))["uncertainty"]
    assert heading in text
    for words in ("ASSUMED: every figure in this section", "The uncertain assumptions (ASSUMED distributions)",
                  "ranks first (share of draws)", "best 1: mean and 90% interval", "What drives the result",
                  "ASSUMPTION: a test range", "Robust sites"):
        assert words in text, words


def test_without_uncertainty_the_report_is_unchanged(run) -> None:
    appraisal, _, with_section, figures_with = run
    content = build_content(appraisal)
    figures = build_figures(appraisal, area_shapes(appraisal.network, use_bundled=False))
    assert content.uncertainty is None and figures.tornado is None
    plain = section_list(content, figures)
    both = section_list(with_section, figures_with)
    assert "uncertainty" not in dict(plain)
    # the section comes before the assumptions; every section before it keeps its number
    ids = [sid for sid, _ in both]
    assert ids == [sid for sid, _ in plain][:-2] + ["uncertainty", "assumptions", "provenance"]
    assert both[:-3] == plain[:-2]
    assert content.summary == [line for line in with_section.summary if "ASSUMED distributions" not in line]
    html = render_report_html(appraisal, figures=figures, content=content)
    assert 'id="uncertainty"' not in html and "chart-tornado" not in html and "ASSUMED" not in html
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(content, figures))).pages)
    assert "how sure are we" not in text and "Assumptions and their sources" in text


def test_the_standalone_page_is_the_section_alone(run) -> None:
    _, result, _, _ = run
    html = render_uncertainty_html(result, title="Test")
    assert html.startswith("<!DOCTYPE html>") and "<h1>Test</h1>" in html
    assert html.count("<section") == 1 and '<section id="uncertainty">' in html
    assert 'id="chart-tornado"' in html
    checker = Checker()
    checker.feed(html)
    assert checker.errors == [] and checker.stack == []
    assert not [u for u in checker.urls if re.match(r"(https?:)?//", u[2])]  # nothing loaded from elsewhere


def test_the_command_line(tmp_path: Path) -> None:
    path = write_scenario(tmp_path)
    done = subprocess.run([HUBPLAN, "appraise", str(path), "--uncertainty", "5", "--no-pdf", "--out",
                           str(tmp_path / "a")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "How sure are we? 5 draws of the ASSUMED distributions (seed 3, in-process)" in done.stdout
    html = (tmp_path / "a" / "report.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="uncertainty">'):]
    section = section[:section.index("</section>")]
    assert "Uncertainty: how sure are we?" in section and "5 draws (seed 3; run in-process)" in section
    assert '<figure class="chart" id="chart-tornado"><svg' in section
    doc = json.loads((tmp_path / "a" / "uncertainty.json").read_text())
    assert doc["draws"] == 5 and doc["seed"] == 3
    with open(tmp_path / "a" / "uncertainty_draws.csv", newline="") as handle:
        firsts = [row["first"] for row in csv.DictReader(handle)]
    assert len(firsts) == 5
    # each option's chance of ranking first in the report, counted from the draws' CSV
    overview = re.search(r'<table class="uncertainty-options">(.*?)</table>', section, re.S).group(1)
    for option in ("one hub", "two hubs", "best 1"):
        cells = re.search(rf'<td class="label">{option}</td>(.*?)</tr>', overview).group(1)
        values = re.findall(r"<td>(.*?)</td>", cells)
        assert share(values[1]) == pytest.approx(firsts.count(option) / 5)

    done = subprocess.run([HUBPLAN, "uncertainty", str(path), "--draws", "4", "--out", str(tmp_path / "u")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "u" / "uncertainty.html").read_text(encoding="utf-8")
    assert page.count("<section") == 1 and "4 draws (seed 3; run in-process)" in page
    assert 'id="chart-tornado"' in page


@pytest.mark.parametrize("args, message", [
    (["--scheduler", "processes"], "--scheduler: only with --uncertainty N"),
    (["--uncertainty", "0"], "--uncertainty: 0 is not"),
    (["--uncertainty", "3", "--scheduler", "yarn"], "--scheduler 'yarn': expected in-process, processes, local"),
    (["--uncertainty", "3", "--format", "json"], "--uncertainty with --format json: give --out DIR"),
])
def test_bad_options_get_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    path = write_scenario(tmp_path)
    done = subprocess.run([HUBPLAN, "appraise", str(path), *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr, done.stderr


def test_a_scenario_without_uncertain_assumptions_is_refused(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, "", "plain.toml")
    path.write_text(path.read_text().split("[uncertainty]")[0])
    out = tmp_path / "o"
    done = subprocess.run([HUBPLAN, "appraise", str(path), "--uncertainty", "3", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: --uncertainty 3: plain.toml has no [uncertainty.parameters] to draw "
                                   "(docs/uncertainty.md)")
    assert not out.exists() or not any(out.iterdir())  # nothing written
