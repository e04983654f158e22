"""The report's Outcomes section: its figures are the evaluations' own (recomputed here from
each area's figures), labelled ESTIMATED with the model's source and notes, by deprivation
group, with a map; a service without an outcome model gets one sentence.

The network: six English areas (IMD fifths 1, 1, 3, 5, 5, 2), three sites (H1 and H2
thrombectomy centres, S1 a stroke unit).

=======  ========  ====  ====  ====  ===
area     patients   H1    H2    S1   IMD
=======  ========  ====  ====  ====  ===
A1          20      10    40     5    1
A2          10      20    30    10    1
A3          30      30    15    20    3
A4          10      40    50    10    5
A5          20      60    20    25    5
A6          40      45    35    40    2
=======  ========  ====  ====  ====  ===
"""

from __future__ import annotations

import dataclasses
import io
import math
import re

import numpy as np
import pandas as pd
import pytest

from hubplan import Option, Service
from hubplan.geography.network import Network
from hubplan.planning.appraise import appraise
from hubplan.report import build_figures, render_report_html
from hubplan.report.content import build_content
from hubplan.report.figures import nice_step, outcome_breaks
from hubplan.report.geometry import area_shapes
from hubplan.report.html import section_list
from hubplan.report.pdf import render_pdf
from hubplan.testing import make_network

PATIENTS = [20, 10, 30, 10, 20, 40]
MINUTES = [[10, 40, 5], [20, 30, 10], [30, 15, 20], [40, 50, 10], [60, 20, 25], [45, 35, 40]]
IMD = [1, 1, 3, 5, 5, 2]
OPTIONS = [Option(name="one centre", hubs=("H1",)), Option(name="two centres", hubs=("H1", "H2"))]


def network(demand_column: str = "stroke_admissions") -> Network:
    net = make_network(MINUTES, [[0, 45, 15], [45, 0, 40], [15, 40, 0]], demand=PATIENTS,
                       area_codes=[f"A{i}" for i in range(1, 7)], site_codes=["H1", "H2", "S1"],
                       area_latlon=[(51.0, -1.0), (51.05, -1.05), (50.8, -1.1), (50.85, -0.95), (50.9, -1.2),
                                    (51.1, -0.9)],
                       site_latlon=[(51.02, -1.02), (50.82, -1.05), (50.95, -0.98)],
                       capabilities={"thrombectomy": [True, True, False], "ivt": [True, True, True]},
                       demand_column=demand_column)
    areas = net.areas.copy()
    areas["imd_quintile"] = pd.array(IMD, dtype="Int64")
    return Network(areas, net.sites, net.area_site_minutes, net.site_site_minutes, capabilities=net.capabilities)


def close(cell: str, expected: float) -> bool:
    """A report cell (3 significant figures, thousands separators, a sign) against a value."""
    return abs(float(cell.replace(",", "")) - expected) <= 0.005 * abs(expected) + 1e-12


@pytest.fixture(scope="module")
def stroke():
    a = appraise(network(), Service.preset("thrombectomy"), OPTIONS, draws=50)
    figures = build_figures(a, area_shapes(a.network, use_bundled=False))
    content = build_content(a)
    return a, content, figures


def outcomes_section(html: str) -> str:
    start = html.index('<section id="outcomes">')
    return html[start:html.index("</section>", start)]


def test_table_figures_are_the_evaluations_own(stroke) -> None:
    a, content, _ = stroke
    table = content.outcomes.table
    assert table.header == ["option", "good outcomes a year (ESTIMATED)", "added good outcomes a year (ESTIMATED)",
                            "added utility a year (ESTIMATED)", "change in good outcomes a year against 'one centre'",
                            "change in added utility a year against 'one centre'"]
    base = a.evaluation("one centre").areas
    for row, name in zip(table.rows, ["one centre", "two centres"]):
        areas = a.evaluation(name).areas
        assert row[0] == name
        assert close(row[1], areas["good_outcomes_per_year"].sum())
        assert close(row[2], areas["added_good_outcomes_per_year"].sum())
        assert close(row[3], areas["added_utility_per_year"].sum())
        if name == "one centre":
            assert row[4:] == ["(baseline)", "(baseline)"]
        else:
            gained = areas["good_outcomes_per_year"].sum() - base["good_outcomes_per_year"].sum()
            assert gained > 0 and row[4].startswith("+") and close(row[4], gained)
            assert close(row[5], areas["added_utility_per_year"].sum() - base["added_utility_per_year"].sum())
    # the per-area figures are patients x per-admission values: good outcomes are never more than patients
    assert (base["good_outcomes_per_year"] <= base["patients_per_year"]).all()


def test_every_figure_is_labelled_estimated_with_its_source_and_notes(stroke) -> None:
    a, content, _ = stroke
    o = content.outcomes
    head = a.evaluation("one centre").summary["outcomes"]
    assert o.text[0].startswith("ESTIMATED: ")
    assert "counted against no thrombolysis or thrombectomy for the same patients" in o.text[0]
    assert o.table.notes[0] == f"ESTIMATED. Source: {head['source']}."
    assert head["source"].startswith("stroke-outcome ")
    for note in head["notes"]:
        assert f"Note: {note}" in o.table.notes
    # the model's figures: every parameter row, with unit, source and confidence (presets.toml)
    assert len(o.parameters.rows) == len(head["parameters"]) == 12
    assert ["outcome.door to needle minutes", "30", "min", "SAMUEL-BOOK", "M"] in [r[:5] for r in o.parameters.rows]
    assert ["outcome.haemorrhagic share", "0.136", "fraction of admissions", "SAMUEL-1", "H"] in [
        r[:5] for r in o.parameters.rows]
    assert any(n.startswith("SAMUEL-BOOK: SAMueL stroke outcome book") for n in o.parameters.notes)


def test_by_imd_fifth_per_thousand_admissions(stroke) -> None:
    a, content, _ = stroke
    o = content.outcomes
    assert o.groups_table.header == ["group", "patients a year", "one centre", "two centres"]
    imd = np.array(IMD)
    rows = {r[0]: r for r in o.groups_table.rows}
    # fifths with patients only (IMD 4 has none), then Core20 (from IMD: not given here) is absent
    assert list(rows) == ["IMD 1 (most deprived)", "IMD 2", "IMD 3", "IMD 5 (least deprived)"]
    for label, q in [("IMD 1 (most deprived)", 1), ("IMD 2", 2), ("IMD 3", 3), ("IMD 5 (least deprived)", 5)]:
        assert rows[label][1] == f"{sum(p for p, i in zip(PATIENTS, IMD) if i == q):,}"
        for column, name in [(2, "one centre"), (3, "two centres")]:
            areas = a.evaluation(name).areas
            expected = 1000 * areas["added_good_outcomes_per_year"].to_numpy()[imd == q].sum() / (
                areas["patients_per_year"].to_numpy()[imd == q].sum())
            assert abs(float(rows[label][column]) - expected) <= 0.05 + 1e-9, (label, name)
    assert a.scores.top == "two centres"
    assert o.groups_text[0].startswith("Under 'two centres', the most deprived fifth of patients (IMD 1) would have ")


def test_summary_sentence_and_section_numbers(stroke) -> None:
    a, content, figures = stroke
    sections = dict(section_list(content, figures))
    assert sections["deprivation"] == "8. Equity: deprivation and rurality"
    assert sections["outcomes"] == "9. Outcomes"
    assert sections["capacity"] == "10. Beds, workforce and standards"
    text = " ".join(content.summary)
    assert "as set out in section 3, 'two centres' comes out best" in text
    assert sections["scoring"].startswith("3. ")
    assert "(section 10)." in text  # beds and standards of the top option
    added = a.evaluation("two centres").areas["added_good_outcomes_per_year"].sum()
    gained = added - a.evaluation("one centre").areas["added_good_outcomes_per_year"].sum()
    said = [s for s in content.summary if s.startswith("ESTIMATED (section 9): ")]
    assert len(said) == 1
    found = re.fullmatch(r"ESTIMATED \(section 9\): 'two centres' would add ([0-9.,]+) good outcomes \(mRS 0-2\) a "
                         r"year against no thrombolysis or thrombectomy for the same patients, ([0-9.,]+) more than "
                         r"'one centre'\.", said[0])
    assert found, said[0]
    assert close(found.group(1), added) and close(found.group(2), gained)


def test_map_of_added_good_outcomes_in_the_html_and_pdf(stroke) -> None:
    a, content, figures = stroke
    assert [m.title for m in figures.outcome_maps] == [
        "Added good outcomes per 1,000 admissions (ESTIMATED): two centres",
        "Change in added good outcomes per 1,000 admissions (ESTIMATED)\ntwo centres against one centre"]
    for image in figures.outcome_maps:
        assert image.png.startswith(b"\x89PNG") and image.areas_drawn == image.n_areas == 6
    html = render_report_html(a, figures=figures, content=content)
    section = outcomes_section(html)
    assert section.count('<figure class="map"') == 2
    assert section.count('src="data:image/png;base64,') == 2
    assert "ESTIMATED" in section
    source = a.evaluation("two centres").summary["outcomes"]["source"]
    assert source.replace("'", "&#x27;") in section
    assert '<nav><strong>Contents</strong><ol>' in html and '<a href="#outcomes">Outcomes</a>' in html

    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(content, figures))).pages)
    text = " ".join(text.split())
    for words in ("9. Outcomes", "good outcomes a year (ESTIMATED)", "Map: added good outcomes",
                  "The outcome model's figures", "ESTIMATED. Source: stroke-outcome"):
        assert words in text, words


def test_map_classes_of_equal_round_width() -> None:
    assert [nice_step(x) for x in (0.13, 1.0, 2.1, 3.0, 7.0, 42.0)] == [0.2, 1.0, 2.5, 5.0, 10.0, 50.0]
    # 12 to 27 per 1,000: width 15 / 7 classes = 2.14 -> 2.5, from 10
    assert outcome_breaks(np.array([12.0, 20.0, 27.0, np.nan])) == (12.5, 15.0, 17.5, 20.0, 22.5, 25.0)


def test_a_service_without_an_outcome_model_gets_one_sentence(tmp_path) -> None:
    net = network("population_60_plus")
    a = appraise(net, Service.preset("vascular_arterial"), [dataclasses.replace(o, pathway="direct") for o in OPTIONS],
                 draws=20)
    content = build_content(a)
    o = content.outcomes
    # in board words: no code name, no command-line flag
    assert o.text == ["No outcome model for vascular arterial: hubplan ships one for stroke services only, and none "
                      "where the evidence conflicts; a scenario can give its own outcome curve "
                      "(docs/outcomes.md)."]
    assert o.table is None and o.parameters is None and o.groups_table is None
    figures = build_figures(a, area_shapes(net, use_bundled=False))
    assert figures.outcome_maps == []
    section = outcomes_section(render_report_html(a, figures=figures, content=content))
    assert "<table" not in section and "<figure" not in section and section.count("<p>") == 1
    assert not any("ESTIMATED (section" in s for s in content.summary)


def test_a_users_curve_worked_by_hand(tmp_path) -> None:
    # good outcome 0.9 at 0 min falling linearly to 0.5 at 100 min: at t minutes 0.9 - 0.004 t,
    # added against the curve's last point 0.4 - 0.004 t
    curve = tmp_path / "curve.csv"
    curve.write_text("minutes,good_outcome,source\n0,0.9,local audit 2024\n100,0.5,local audit 2024\n")
    service = dataclasses.replace(Service.preset("vascular_arterial"), outcome={"model": "curve", "curve": str(curve)})
    net = network("population_60_plus")
    a = appraise(net, service, [dataclasses.replace(o, pathway="direct") for o in OPTIONS], draws=20)
    demand = a.evaluation("one centre").patients_per_year  # the preset's rate x population
    hub_one = np.array([10, 20, 30, 40, 60, 45])  # H1
    hub_two = np.array([10, 20, 15, 40, 20, 35])  # nearer of H1 and H2
    good_one, good_two = (float(np.dot(demand, 0.9 - 0.004 * t)) for t in (hub_one, hub_two))
    added_one, added_two = (float(np.dot(demand, 0.4 - 0.004 * t)) for t in (hub_one, hub_two))
    table = build_content(a).outcomes.table
    assert table.header == ["option", "good outcomes a year (ESTIMATED)", "added good outcomes a year (ESTIMATED)",
                            "change in good outcomes a year against 'one centre'"]  # a curve has no utility
    one, two = table.rows
    assert close(one[1], good_one) and close(one[2], added_one) and one[3] == "(baseline)"
    assert close(two[1], good_two) and close(two[2], added_two) and close(two[3], good_two - good_one)
    assert not math.isclose(good_one, good_two)
    assert table.notes[0] == "ESTIMATED. Source: user curve curve.csv: local audit 2024 (confidence not given)."
