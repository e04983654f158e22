"""National outcomes (bundled data, slow): today's 24 thrombectomy centres under each pathway.

The directions are those of the modelling literature for England (Allen et al. 2021: most
of the population gains most from direct conveyance to a thrombectomy centre): the
earlier thrombectomy of direct conveyance outweighs the later thrombolysis, and a bypass
lies between. Each total is also recomputed for a sample of areas with the package
called directly on the areas' own times.
"""

from __future__ import annotations

import numpy as np
import pytest

from hubplan import Option, Service, evaluate

pytestmark = pytest.mark.slow

SERVICE = Service.preset("thrombectomy")


@pytest.fixture(scope="module")
def three(england):
    hubs = tuple(england.sites_with("thrombectomy"))
    spokes = tuple(c for c in england.sites_with("ivt") if c not in set(hubs))
    options = {
        "direct": Option(name="direct", hubs=hubs),
        "transfer": Option(name="transfer", hubs=hubs, spokes=spokes, pathway="treat_and_transfer"),
        "bypass": Option(name="bypass", hubs=hubs, spokes=spokes, pathway="treat_and_transfer", bypass_minutes=15),
    }
    return {k: evaluate(england, SERVICE, o) for k, o in options.items()}


def test_direct_beats_bypass_beats_drip_and_ship(three) -> None:
    added = {k: ev.summary["outcomes"]["added_good_outcomes_per_year"] for k, ev in three.items()}
    utility = {k: ev.summary["outcomes"]["added_utility_per_year"] for k, ev in three.items()}
    first = {k: ev.summary["time_to_first"]["mean"] for k, ev in three.items()}
    assert len(three["direct"].hub_positions) == 24
    # drip-and-ship reaches a hospital soonest, direct conveyance a thrombectomy centre soonest
    assert first["transfer"] < first["bypass"] < first["direct"]
    assert added["direct"] > added["bypass"] > added["transfer"] > 0
    assert utility["direct"] > utility["bypass"] > utility["transfer"] > 0
    # the difference is tens of good outcomes a year, not a rounding artefact
    assert added["direct"] - added["transfer"] > 20


def test_national_totals_are_the_package_on_each_area(three) -> None:
    import contextlib
    import io

    import pandas as pd
    from stroke_outcome.continuous_outcome import Continuous_outcome

    ev = three["transfer"]
    areas = ev.areas
    rng = np.random.default_rng(0)
    sample = rng.choice(len(areas), 300, replace=False)
    otn = areas["onset_to_needle_minutes"].to_numpy()[sample]
    otp = areas["onset_to_puncture_minutes"].to_numpy()[sample]
    n = len(sample)
    frame = pd.DataFrame({"stroke_type_code": np.full(n, 2), "onset_to_needle_mins": otn,
                          "ivt_chosen_bool": np.zeros(n, int), "onset_to_puncture_mins": otp,
                          "mt_chosen_bool": (otp < 480).astype(int)})
    with contextlib.redirect_stdout(io.StringIO()):
        m = Continuous_outcome()
        m.assign_patients_to_trial(frame)
        full = m.calculate_outcomes()[2]
    # the MT-only cohort's share of the areas' added good outcomes, from the package directly
    o = SERVICE.outcome
    lvo = (1 - o["haemorrhagic_share"]) * o["lvo_share"]
    share = lvo * o["lvo_mt_share"] * (1 - o["mt_with_ivt_share"])
    mt_only = share * np.maximum(full["each_patient_mrs_dist_post_stroke"][:, 2] - 0.265, 0)
    model = ev.outcome_model
    assert model is not None
    res = model.cohort_outcomes(otn, otp)
    np.testing.assert_allclose(share * (res["lvo_mt_only"]["good"] - 0.265), mt_only, atol=1e-12)
    total = ev.summary["outcomes"]["added_good_outcomes_per_year"]
    assert total == pytest.approx(float(areas["added_good_outcomes_per_year"].sum()), rel=1e-12)


def test_the_docs_and_readme_figures_are_true(three) -> None:
    """docs/outcomes.md's national table and the README's sentence, to the rounding shown."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    doc = (root / "docs" / "outcomes.md").read_text(encoding="utf-8")
    rows = {"`direct`": "direct", "`treat_and_transfer`": "transfer", "`treat_and_transfer --bypass 15`": "bypass"}
    for cell, key in rows.items():
        line = next(l for l in doc.splitlines() if l.startswith(f"| {cell} "))
        figures = [float(x.replace(",", "")) for x in re.findall(r"\| ([\d,]+\.\d) ", line + " ")]
        s, o = three[key].summary, three[key].summary["outcomes"]
        expected = [s["time_to_first"]["mean"], s["time_to_hub"]["mean"], o["good_outcomes_per_year"],
                    o["added_good_outcomes_per_year"], o["added_utility_per_year"]]
        assert figures == [round(v, 1) for v in expected], cell
    readme = " ".join((root / "README.md").read_text(encoding="utf-8").split())
    found = re.search(r"gives ([\d,]+) added good outcomes a year, drip-and-ship ([\d,]+) and drip-and-ship with a "
                      r"15-minute bypass ([\d,]+)", readme)
    assert found, "the README's outcomes sentence"
    got = [int(x.replace(",", "")) for x in found.groups()]
    assert got == [round(three[k].summary["outcomes"]["added_good_outcomes_per_year"]) for k in
                   ("direct", "transfer", "bypass")]


def test_done_when_commands(england) -> None:
    """The issue's commands through the installed hubplan: evaluate has outcomes, optimise for
    outcome returns proven-optimal sites with their added good outcomes (recomputed here by
    evaluating those sites), and docs/outcomes.md's figures for it are true."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    hubplan = str(Path(sys.executable).parent / "hubplan")
    out = subprocess.run([hubplan, "evaluate", "--service", "thrombectomy", "--hubs", "thrombectomy", "--country",
                          "England", "--format", "json"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    o = json.loads(out.stdout)["summary"]["outcomes"]
    assert o["added_good_outcomes_per_year"] > 0 and o["baseline"] and "stroke-outcome" in o["source"]
    out = subprocess.run([hubplan, "optimise", "--objective", "outcome", "--k", "30", "--keep", "thrombectomy",
                          "--country", "England", "--pathway", "direct", "--format", "json"],
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    sol = doc["solution"]
    assert sol["status"] == "optimal" and sol["gap"] == 0 and len(sol["sites"]) == 30
    assert set(england.sites_with("thrombectomy")) <= set(sol["sites"])
    ev = evaluate(england, SERVICE, Option(name="x", hubs=tuple(sol["sites"])))
    added = ev.summary["outcomes"]["added_good_outcomes_per_year"]
    assert sol["objective"] == pytest.approx(added, rel=1e-9)
    assert doc["evaluation"]["summary"]["outcomes"]["added_good_outcomes_per_year"] == pytest.approx(added, rel=1e-12)
    text = (Path(__file__).resolve().parents[1] / "docs" / "outcomes.md").read_text(encoding="utf-8")
    assert f"({added:,.1f} added good outcomes a" in " ".join(text.split())
    assert doc["outcome_vs_minutes"]["only_in_outcome_optimum"] == []  # docs: the same sites under direct


@pytest.mark.parametrize("which", ["direct", "transfer", "bypass", "helicopter"])
def test_outcomes_from_the_area_by_site_table_are_the_worked_out_ones(england, three, which) -> None:
    """An evaluation reads the areas that go straight to their hub from a table of every
    area x site; its outcomes are, to the bit, per_admission on the areas' own times
    (transfers and helicopter legs are worked out, the rest looked up)."""
    from hubplan.outcomes import direct_outcome_table, outcome_model
    from hubplan.services.options import Helicopter

    if which == "helicopter":
        hubs = tuple(england.sites_with("thrombectomy"))
        ev = evaluate(england, SERVICE, Option(name="h", hubs=hubs, helicopter=Helicopter(threshold_minutes=60)))
        assert (ev.routes.time_to_hub < england.minutes_by_site[ev.routes.hub_site, np.arange(england.n_areas)]).any()
    else:
        ev = three[which]
    model = outcome_model(SERVICE)
    r = ev.routes
    worked = model.per_admission(r.time_to_first, r.time_to_hub, r.route == 2)
    np.testing.assert_array_equal(ev.outcome_values.good, worked.good)
    np.testing.assert_array_equal(ev.outcome_values.added_good, worked.added_good)
    np.testing.assert_array_equal(ev.outcome_values.added_utility, worked.added_utility)
    # the table itself: an area's value straight to a site is per_admission at that site's minutes
    table = direct_outcome_table(model, england.minutes_by_site)
    rng = np.random.default_rng(1)
    sites = rng.integers(0, england.n_sites, 50)
    areas = rng.integers(0, england.n_areas, 50)
    t = england.minutes_by_site[sites, areas].astype(np.float64)
    alone = model.per_admission(t, t, np.zeros(50, dtype=bool))
    np.testing.assert_array_equal(table["good"][sites, areas], alone.added_good)
    np.testing.assert_array_equal(table["utility"][sites, areas], alone.added_utility)
    assert not table["good"].flags.writeable
