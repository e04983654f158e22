"""examples/shropshire_maternity.toml end to end, as a commissioner would run it: the installed
``hubplan appraise`` writes a report with the maternity section, and its figures hold against
the bundled births and the preset's rates worked out here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hubplan import Service, load_bundled

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HUBPLAN = Path(sys.executable).parent / "hubplan"
ICB = "NHS Shropshire, Telford and Wrekin ICB"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("shropshire")
    res = subprocess.run([str(HUBPLAN), "appraise", str(ROOT / "examples" / "shropshire_maternity.toml"),
                          "--format", "json", "--out", str(out)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout), out


def _measures(doc, name):
    option = next(o for o in doc["options"] if o["option"]["name"] == name)
    return {m["key"]: m["value"] for m in option["kind"]["measures"]}, option


def test_every_birth_is_counted_once_and_telford_only_transfers_are_the_alongside_units(run):
    doc, _ = run
    areas = load_bundled().restrict(region=ICB).areas
    births = float(areas["births"].sum())
    p = Service.preset("maternity").parameters
    for name in ("today", "close Ludlow", "close Ludlow, Bridgnorth and Oswestry", "Telford only"):
        _, option = _measures(doc, name)
        units = next(t for t in option["kind"]["tables"] if t["key"] == "units")
        assert sum(r["births"] for r in units["rows"]) == pytest.approx(births, rel=1e-9)
    # Telford only: every birth at the Princess Royal; amu_uptake of them start in the alongside
    # unit and transfer at the AMU rate (nulliparous share x nulliparous rate + the rest x multiparous)
    amu_rate = p["nulliparous_share"] * p["transfer_nulliparous_amu"] + (1 - p["nulliparous_share"]) * p["transfer_multiparous_amu"]
    telford, _ = _measures(doc, "Telford only")
    assert telford["transfers_per_year"] == pytest.approx(births * p["amu_uptake"] * amu_rate, rel=1e-9)
    assert telford["transfer_women_minutes"] == 0.0  # alongside: no road transfer
    today, _ = _measures(doc, "today")
    assert today["women_further_in_labour"] == 0.0  # the baseline against itself
    assert telford["women_further_in_labour"] > _measures(doc, "close Ludlow")[0]["women_further_in_labour"] > 0


def test_the_report_has_the_maternity_section_and_labels_estimated_minutes(run):
    doc, out = run
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<section id="service">' in html and "Intrapartum transfers" in html
    assert "ESTIMATED road minutes" in html and "LUDLOW_MLU" in html
    assert (out / "report.pdf").stat().st_size > 10_000
    assert {c["name"] for c in doc["criteria"]} >= {"maternity.women_further_in_labour", "maternity.transfers_per_year"}
