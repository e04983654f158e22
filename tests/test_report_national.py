"""The worked scenarios of examples/ on the bundled data, with their reports (slow)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hubplan.report import write_report
from hubplan.planning.scenario import load_scenario, run_scenario

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def report_checks(appraisal, folder):
    from pypdf import PdfReader

    from test_report import Checker

    files = write_report(appraisal, folder)
    html = files.html.read_text(encoding="utf-8")
    checker = Checker()
    checker.feed(html)
    assert checker.errors == [] and checker.stack == []
    assert all(value.startswith(("#", "data:")) for _, _, value in checker.urls)
    n = appraisal.network.n_areas
    assert checker.maps and all(m["data-areas-drawn"] == str(n) for m in checker.maps)
    assert len(PdfReader(io.BytesIO(files.pdf.read_bytes())).pages) > 0
    return html


@pytest.mark.slow
def test_hampshire_vascular(tmp_path):
    a = run_scenario(load_scenario(EXAMPLES / "hampshire_vascular.toml"))
    assert a.network.n_sites == 4 and a.option_names == ["Southampton only", "Southampton and Portsmouth"]
    two = a.values.loc["Southampton and Portsmouth"]
    one = a.values.loc["Southampton only"]
    assert two["time_to_hub_mean_minutes"] < one["time_to_hub_mean_minutes"]
    assert two["transfers_per_year"] < one["transfers_per_year"]
    assert two["consultants_needed"] == 12 and one["consultants_needed"] == 6  # 6 surgeons per arterial hub
    html = report_checks(a, tmp_path)
    assert "Demand is a proxy." in html  # the vascular demand is a labelled proxy
    assert "Beds not available: the scenario does not give a length of stay, so beds are not estimated" in html
    assert "length_of_stay_days" not in html and "--los" not in html  # board words, not the CLI's
    assert "<p>No outcome model for vascular arterial: hubplan ships one for stroke services only" in html


@pytest.mark.slow
def test_essex_vascular(tmp_path):
    a = run_scenario(load_scenario(EXAMPLES / "essex_vascular.toml"))
    hub = a.evaluation("Basildon hub, Chelmsford and Southend spokes")
    assert hub.option.spokes == ("CM17ET", "SS00RY") and hub.summary["transfers_per_year"] > 0
    assert a.evaluation("all three arterial").summary["transfers_per_year"] == 0
    report_checks(a, tmp_path)


@pytest.mark.slow
def test_national_thrombectomy(tmp_path):
    a = run_scenario(load_scenario(EXAMPLES / "national_thrombectomy.toml"))
    assert a.network.n_areas > 32000
    best = a.evaluation("best 30 centres, direct")
    today = a.evaluation("today's 24 centres, direct")
    assert best.summary["hubs"] == 30 and set(today.option.hubs) <= set(best.option.hubs)
    assert a.values.loc["best 30 centres, direct", "patients_longer_per_year"] == 0  # only centres added
    assert a.solutions["best 30 centres, direct"].status == "optimal"
    assert a.sweep is not None and a.benchmark is not None
    html = report_checks(a, tmp_path)
    for section in ('id="tradeoff"', 'id="benchmark"', 'id="outcomes"'):
        assert section in html
    outcomes = html[html.index('<section id="outcomes">'):]
    outcomes = outcomes[:outcomes.index("</section>")]
    assert outcomes.count('<figure class="map"') == 3  # the top option, then the two others against it
    assert "IMD 1 (most deprived)" in outcomes and "ESTIMATED. Source: stroke-outcome" in outcomes
