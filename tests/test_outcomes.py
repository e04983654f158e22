"""Outcomes: the stroke model is the stroke-outcome package called over the timeline, the
curve model is a user's curve; totals on hand-made networks are worked out here."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from stroke_outcome.continuous_outcome import Continuous_outcome

from hubplan import Option, Service, evaluate
from hubplan.errors import InputError
from hubplan.outcomes import CurveModel, StrokeModel, outcome_model, read_curve
from hubplan.testing import make_network, tiny_network

HUBPLAN = str(Path(sys.executable).parent / "hubplan")
PRESET = Service.preset("thrombectomy")


def package(stroke_type: int, ivt: np.ndarray, mt: np.ndarray, otn: np.ndarray, otp: np.ndarray) -> dict:
    """stroke-outcome called directly, one cohort."""
    n = len(otn)
    frame = pd.DataFrame({"stroke_type_code": np.full(n, stroke_type), "onset_to_needle_mins": otn.astype(float),
                          "ivt_chosen_bool": ivt.astype(int), "onset_to_puncture_mins": otp.astype(float),
                          "mt_chosen_bool": mt.astype(int)})
    with contextlib.redirect_stdout(io.StringIO()):
        m = Continuous_outcome()
        m.assign_patients_to_trial(frame)
        full = m.calculate_outcomes()[2]
    return {"good": full["each_patient_mrs_dist_post_stroke"][:, 2], "utility": full["each_patient_utility_shift"]}


def by_hand(otn: np.ndarray, otp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Good outcomes, added good outcomes and added utility per admission from the preset's
    shares worked out here, each treated cohort a separate call to the package."""
    o = PRESET.outcome
    isch = 1 - o["haemorrhagic_share"]
    lvo, nlvo = isch * o["lvo_share"], isch * (1 - o["lvo_share"])
    both = lvo * o["lvo_mt_share"] * o["mt_with_ivt_share"]
    mt_only = lvo * o["lvo_mt_share"] * (1 - o["mt_with_ivt_share"])
    ivt_only = lvo * o["lvo_ivt_share"] - both
    in_ivt, in_mt = otn < 378, otp < 480
    yes, no = np.ones(len(otn), bool), np.zeros(len(otn), bool)
    nt_n = package(1, no, no, otn, otp)["good"]
    nt_l = package(2, no, no, otn, otp)["good"]
    groups = [(nlvo * o["nlvo_ivt_share"], package(1, yes & in_ivt, no, otn, otp), nt_n),
              (ivt_only, package(2, yes & in_ivt, no, otn, otp), nt_l),
              (mt_only, package(2, no, yes & in_mt, otn, otp), nt_l),
              (both, package(2, yes & in_ivt, yes & in_mt, otn, otp), nt_l)]
    untreated = nlvo * (1 - o["nlvo_ivt_share"]) * nt_n + (lvo - ivt_only - mt_only - both) * nt_l
    # a treatment counts only while it helps: never below no treatment
    good = untreated + sum(s * np.maximum(g["good"], nt) for s, g, nt in groups)
    added = sum(s * np.maximum(g["good"] - nt, 0) for s, g, nt in groups)
    utility = sum(s * np.maximum(g["utility"], 0) for s, g, _ in groups)
    return good, added, utility


def test_the_stroke_model_is_the_package_over_the_timeline() -> None:
    model = outcome_model(PRESET)
    assert isinstance(model, StrokeModel)
    rng = np.random.default_rng(5)
    first = rng.uniform(0, 200, 400)
    transferred = rng.random(400) < 0.5
    hub = first + np.where(transferred, 60 + rng.uniform(5, 120, 400), 0.0)
    got = model.per_admission(first, hub, transferred)
    o = PRESET.outcome
    pre = o["onset_to_call_minutes"] + o["call_to_ambulance_minutes"] + o["on_scene_minutes"]
    otn = pre + first + o["door_to_needle_minutes"]
    otp = pre + hub + np.where(transferred, o["transfer_arrival_to_puncture_minutes"], o["arrival_to_puncture_minutes"])
    np.testing.assert_array_equal(got.columns["onset_to_needle_minutes"], otn)
    np.testing.assert_array_equal(got.columns["onset_to_puncture_minutes"], otp)
    good, added, utility = by_hand(otn, otp)
    exact = model.per_admission_exact(first, hub, transferred)
    np.testing.assert_allclose(exact.good, good, rtol=0, atol=1e-14)
    np.testing.assert_allclose(exact.added_good, added, rtol=0, atol=1e-14)
    np.testing.assert_allclose(exact.added_utility, utility, rtol=0, atol=1e-14)
    # evaluations and optimisation use the package's curves tabulated every 0.1 min
    # (linear between grid points of a smooth curve: errors of order 1e-11 per admission)
    np.testing.assert_allclose(got.good, good, rtol=0, atol=1e-10)
    np.testing.assert_allclose(got.added_good, added, rtol=0, atol=1e-10)
    np.testing.assert_allclose(got.added_utility, utility, rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.value_matrix(first, hub, transferred), added, rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.value_matrix(first, hub, transferred, "utility"), utility, rtol=0, atol=1e-10)


def test_outcomes_fall_with_time_and_reach_no_treatment_after_the_windows() -> None:
    model = outcome_model(PRESET)
    assert model is not None
    t = np.arange(0.0, 600.0, 0.5)
    direct = model.per_admission(t, t, np.zeros(len(t), bool))
    assert (np.diff(direct.good) <= 1e-15).all() and (np.diff(direct.added_good) <= 1e-15).all()
    assert (np.diff(direct.added_utility) <= 1e-15).all()
    assert direct.added_good[0] > 0.02
    # past both windows (onset to needle >= 378, to puncture >= 480): nobody is treated, and
    # the good outcomes are the package's published no-treatment P(mRS <= 2): nLVO 0.58, LVO 0.265
    o = PRESET.outcome
    late = np.flatnonzero(direct.columns["onset_to_needle_minutes"] >= 480)
    assert len(late) and np.all(direct.added_good[late] == 0) and np.all(direct.added_utility[late] == 0)
    isch = 1 - o["haemorrhagic_share"]
    expected = isch * (1 - o["lvo_share"]) * 0.58 + isch * o["lvo_share"] * 0.265
    np.testing.assert_allclose(direct.good[late], expected, rtol=1e-12)


def test_past_the_ivt_window_thrombectomy_alone_counts() -> None:
    """IVT beyond 378 min is not given: IVT+MT patients get the package's MT-only outcome."""
    model = outcome_model(PRESET)
    assert isinstance(model, StrokeModel)
    otn, otp = np.array([390.0, 200.0]), np.array([420.0, 500.0])
    res = model.cohort_outcomes(otn, otp)
    mt_only = package(2, np.zeros(1, bool), np.ones(1, bool), otn[:1], otp[:1])
    assert res["lvo_ivt_mt"]["good"][0] == pytest.approx(mt_only["good"][0], abs=1e-15)
    ivt_only = package(2, np.ones(1, bool), np.zeros(1, bool), otn[1:], otp[1:])
    assert res["lvo_ivt_mt"]["good"][1] == pytest.approx(ivt_only["good"][0], abs=1e-15)


def test_evaluation_totals_on_the_tiny_network() -> None:
    net = tiny_network()
    svc = PRESET
    ev = evaluate(net, svc, Option(name="H1 hub, S1 spoke", hubs=("H1",), spokes=("S1",), pathway="treat_and_transfer"))
    # A1: first S1 at 10, then 60 + 15 to H1 = 85 (transfer); A2: H1 at 10; A3: H1 at 30
    model = outcome_model(svc)
    assert model is not None
    first, hub = np.array([10.0, 10.0, 30.0]), np.array([85.0, 10.0, 30.0])
    per = model.per_admission(first, hub, np.array([True, False, False]))
    np.testing.assert_allclose(ev.routes.time_to_hub, hub)
    o = ev.summary["outcomes"]
    assert o["good_outcomes_per_year"] == pytest.approx(per.good.sum(), rel=1e-12)
    assert o["added_good_outcomes_per_year"] == pytest.approx(per.added_good.sum(), rel=1e-12)
    assert o["added_utility_per_year"] == pytest.approx(per.added_utility.sum(), rel=1e-12)
    assert o["baseline"].startswith("no thrombolysis")
    assert "stroke-outcome" in o["source"] and o["estimated"] is True
    areas = ev.areas
    np.testing.assert_allclose(areas["added_good_outcomes_per_year"], per.added_good)
    detail = ev.outcomes_json()
    assert [s["site_code"] for s in detail["by_site"]] == ["H1"]
    assert detail["by_site"][0]["added_good_outcomes_per_year"] == pytest.approx(per.added_good.sum())


def test_the_transfer_costs_outcomes() -> None:
    """The same area is better off taken straight to the hub than transferred."""
    model = outcome_model(PRESET)
    assert model is not None
    direct = model.per_admission(np.array([30.0]), np.array([30.0]), np.array([False]))
    transfer = model.per_admission(np.array([10.0]), np.array([85.0]), np.array([True]))
    assert direct.added_good[0] > transfer.added_good[0]


def test_hyperacute_stroke_gives_thrombolysis_only() -> None:
    model = outcome_model(Service.preset("hyperacute_stroke"))
    assert isinstance(model, StrokeModel)
    shares = {name: share for name, *_, share in model.cohorts}
    assert shares["lvo_mt_only"] == 0 and shares["lvo_ivt_mt"] == 0
    assert any("no thrombectomy" in n for n in model.notes)


def test_services_without_a_model_say_so() -> None:
    net = tiny_network()
    ev = evaluate(net, Service.preset("vascular_arterial", demand="stroke_admissions"), Option(name="H1", hubs=("H1",)))
    o = ev.summary["outcomes"]
    assert o["good_outcomes_per_year"] is None and o["model"] is None
    assert "--outcome-curve" in o["notes"][0]


def test_bad_stroke_settings_are_one_line_errors() -> None:
    with pytest.raises(InputError, match="outcome door_to_needle_minutes must be a number from 0 to 1440"):
        outcome_model(PRESET.with_overrides(outcome={"door_to_needle_minutes": -5}))
    with pytest.raises(InputError, match="lvo_ivt_share .* must be at least"):
        outcome_model(PRESET.with_overrides(outcome={"lvo_ivt_share": 0.1}))
    with pytest.raises(InputError, match="no setting 'door_to_neeedle_minutes'"):
        outcome_model(PRESET.with_overrides(outcome={"door_to_neeedle_minutes": 30}))
    assert PRESET.with_overrides(outcome={"door_to_needle_minutes": 45}).sources[
        "outcome.door_to_needle_minutes"].key == "user override"


# --------------------------------------------------------------------------- curves
def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_curve_on_a_hand_made_network(tmp_path: Path) -> None:
    curve = write(tmp_path / "survival.csv", "minutes,good_outcome,measure,source,confidence\n"
                  "0,0.9,survival,local audit 2024,L\n60,0.6,survival,local audit 2024,L\n"
                  "120,0.5,survival,local audit 2024,L\n")
    net = make_network([[10, 90], [30, 200]], demand=[100.0, 50.0], site_codes=["H1", "H2"])
    svc = Service(name="rupture", demand_column="stroke_admissions", outcome={"model": "curve", "curve": str(curve)})
    ev = evaluate(net, svc, Option(name="H1", hubs=("H1",)))
    # A1 at 10 min: 0.9 - 0.3 * 10/60 = 0.85; A2 at 30 min: 0.75; baseline the last point, 0.5
    o = ev.summary["outcomes"]
    assert o["good_outcomes_per_year"] == pytest.approx(100 * 0.85 + 50 * 0.75)
    assert o["added_good_outcomes_per_year"] == pytest.approx(100 * 0.35 + 50 * 0.25)
    assert o["added_utility_per_year"] is None and o["measure"] == "survival"
    assert "local audit 2024" in o["source"] and "confidence L" in o["source"]
    ev2 = evaluate(net, svc, Option(name="H2", hubs=("H2",)))  # 90 and 200 (flat beyond 120)
    assert ev2.summary["outcomes"]["good_outcomes_per_year"] == pytest.approx(100 * 0.55 + 50 * 0.5)


@pytest.mark.parametrize("text, message", [
    ("minutes,good_outcome,source\n0,0.9,x\n0,0.8,x\n", "row 3, column minutes: 0 does not come after 0"),
    ("minutes,good_outcome,source\n0,0.9,x\n10,1.2,x\n", "row 3, column good_outcome: expected a number from 0 to 1"),
    ("minutes,good_outcome,source\n0,0.5,x\n10,0.7,x\n", "row 3, column good_outcome: the outcome improves"),
    ("minutes,risk,source\n0,0.5,x\n10,0.3,x\n", "row 3, column risk: the outcome risk falls"),
    ("minutes,good_outcome\n0,0.9\n10,0.8\n", "column source: an outcome curve must say where it comes from"),
    ("minutes,chance,source\n0,0.9,x\n", "needs columns minutes and good_outcome (or risk)"),
    ("minutes,good_outcome,source\n0,0.9,a\n10,0.8,b\n", "column source: expected one value for every row"),
    ("minutes,good_outcome,source,confidence\n0,0.6,a,Z\n60,0.5,a,Z\n",
     "column confidence: expected H, M or L (high, medium, low), derived or assumption, as in presets.toml, got 'Z'"),
])
def test_curve_errors_name_file_row_and_column(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "c.csv", text)
    with pytest.raises(InputError) as info:
        read_curve(path)
    assert str(info.value).startswith(str(path)) and message in str(info.value)


def test_risk_curves_count_the_complement(tmp_path: Path) -> None:
    model = CurveModel(read_curve(write(tmp_path / "r.csv", "minutes,risk,source\n0,0.1,x\n100,0.3,x\n")))
    v = model.per_admission(np.array([50.0]), np.array([50.0]), np.array([False]))
    assert v.good[0] == pytest.approx(0.8) and v.added_good[0] == pytest.approx(0.1)


# --------------------------------------------------------------------------- the CLI
def test_evaluate_json_has_outcomes(tmp_path: Path) -> None:
    from test_user_data import folder

    data = folder(tmp_path, areas="area_code,icb,stroke_admissions\nA1,N,10\nA2,S,5\n")
    out = subprocess.run([HUBPLAN, "evaluate", "--service", "thrombectomy", "--hubs", "H1", "--spokes", "S1",
                          "--pathway", "treat_and_transfer", "--data", str(data), "--format", "json"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    o = doc["summary"]["outcomes"]
    assert set(o) >= {"measure", "good_outcomes_per_year", "added_good_outcomes_per_year", "added_utility_per_year",
                      "baseline", "source"}
    model = outcome_model(PRESET)
    assert model is not None
    # A1 first seen at S1 (10 min) then 60 + 12 to H1; A2 straight to H1 in 15 (test_user_data)
    per = model.per_admission(np.array([10.0, 15.0]), np.array([82.0, 15.0]), np.array([True, False]))
    assert o["added_good_outcomes_per_year"] == pytest.approx(10 * per.added_good[0] + 5 * per.added_good[1], rel=1e-12)
    assert o["good_outcomes_per_year"] == pytest.approx(10 * per.good[0] + 5 * per.good[1], rel=1e-12)
    assert doc["outcomes"]["by_site"][0]["site_code"] == "H1"
    assert [r["region"] for r in doc["outcomes"]["by_region"]] == ["N", "S"]


def test_planner_cards_show_outcomes() -> None:
    """The planner's cards (rebuilt on every change) carry the added good outcomes and their change."""
    from hubplan import compare
    from hubplan.web.panels import comparison_block, summary_cards

    def cards(div) -> dict[str, str]:
        found = {}
        for card in div.children:
            value = card.children[1]
            found[value.id] = value.children
        return found

    net = tiny_network()
    a = evaluate(net, PRESET, Option(name="H1", hubs=("H1",)))
    b = evaluate(net, PRESET, Option(name="H2", hubs=("H2",)))
    model = outcome_model(PRESET)
    assert model is not None
    t_a, t_b = np.array([20.0, 10.0, 30.0]), np.array([50.0, 40.0, 25.0])  # the tiny network's minutes
    added_a = model.per_admission(t_a, t_a, np.zeros(3, bool)).added_good.sum()
    added_b = model.per_admission(t_b, t_b, np.zeros(3, bool)).added_good.sum()
    assert cards(summary_cards(a))["summary-added-good"] == f"{added_a:,.1f}"
    block = comparison_block(compare(a, b), "H1", a.summary, b)
    assert cards(block.children[1])["compare-added-good"] == f"{added_b - added_a:+,.1f}"
    vascular = evaluate(net, Service.preset("vascular_arterial", demand="stroke_admissions"), Option(name="H1", hubs=("H1",)))
    assert "summary-added-good" not in cards(summary_cards(vascular))


# --------------------------------------------------------------------------- scenario files
SCENARIO = """
schema_version = 1
[network]
data = "net"
[service]
preset = "thrombectomy"
{service}
[[options]]
name = "one hub"
hubs = ["H1"]
pathway = "direct"
[[options]]
name = "two hubs"
hubs = ["H1", "H2"]
pathway = "direct"
[appraisal]
draws = 50
"""


def test_scenarios_set_the_outcome_model(tmp_path: Path) -> None:
    from test_scenario import write as write_scenario

    from hubplan.planning.scenario import load_scenario, run_scenario

    path = write_scenario(tmp_path, SCENARIO.format(service="[service.outcome]\ndoor_to_needle_minutes = 45"))
    appraisal = run_scenario(load_scenario(path))
    svc = PRESET.with_overrides(outcome={"door_to_needle_minutes": 45})
    for ev in appraisal.evaluations:
        direct = evaluate(ev.network, svc, ev.option).summary["outcomes"]
        assert ev.summary["outcomes"]["added_good_outcomes_per_year"] == pytest.approx(
            direct["added_good_outcomes_per_year"], rel=1e-12)
        assert appraisal.values.loc[ev.option.name, "added_good_outcomes_per_year"] == pytest.approx(
            direct["added_good_outcomes_per_year"], rel=1e-12)
    # on by default for a stroke service, and higher is better
    assert "added_good_outcomes_per_year" in {c.name for c in appraisal.scores.criteria}
    # a curve beside the scenario file; and a bad figure is named with the file and section
    (tmp_path / "curve.csv").write_text("minutes,good_outcome,source\n0,0.9,audit\n100,0.5,audit\n")
    path = write_scenario(tmp_path, SCENARIO.format(service='outcome_curve = "curve.csv"'), "curve.toml")
    appraisal = run_scenario(load_scenario(path))
    assert appraisal.evaluations[0].summary["outcomes"]["model"] == "curve"
    path = write_scenario(tmp_path, SCENARIO.format(service="[service.outcome]\nlvo_share = 2"), "bad.toml")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert str(info.value).startswith("bad.toml") and "[service]" in str(info.value)
    assert "outcome lvo_share must be a number from 0 to 1" in str(info.value)


def test_outcome_tables_built_by_many_threads_at_once():
    """A server's threads may all ask for the outcome tables on their first request: built
    one at a time, each thread gets the same tables as one caller alone, and the process's
    stdout is left as it was (the package's notice is swallowed by swapping sys.stdout)."""
    import threading

    from hubplan import outcomes

    outcomes._build_stroke_tables.cache_clear()
    alone = outcomes._stroke_tables()
    stdout = sys.stdout
    for _ in range(3):
        outcomes._build_stroke_tables.cache_clear()
        barrier = threading.Barrier(6)
        results: list[np.ndarray] = []
        errors: list[BaseException] = []

        def build() -> None:
            barrier.wait()
            try:
                results.append(outcomes._stroke_tables()["curves"]["lvo_mt"]["good"])
            except BaseException as exc:  # noqa: BLE001 - the failure under test
                errors.append(exc)

        threads = [threading.Thread(target=build) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(results) == 6
        for r in results:
            np.testing.assert_array_equal(r, alone["curves"]["lvo_mt"]["good"])
        assert sys.stdout is stdout


def test_a_curve_outcome_is_named_by_its_own_measure_in_the_tables(tmp_path: Path) -> None:
    # by hand (test_user_data): H1 serves A1 in 20 and A2 in 15 min; the curve falls from 0.9 at 0
    # to 0.5 at 40: A1 0.7, A2 0.75, baseline 0.5, so added survival 10 x 0.2 + 5 x 0.25 = 3.25
    from test_user_data import folder

    data = folder(tmp_path, areas="area_code,icb,stroke_admissions\nA1,N,10\nA2,S,5\n")
    curve = write(tmp_path / "survival.csv", "minutes,good_outcome,measure,source\n0,0.9,survival,audit\n"
                  "40,0.5,survival,audit\n")
    args = [HUBPLAN, "evaluate", "--hubs", "H1", "--pathway", "direct", "--data", str(data),
            "--outcome-curve", str(curve)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Outcomes a year"))
    top = next(i for i in range(at, len(lines)) if lines[i].startswith("┏"))
    bottom = next(i for i in range(top, len(lines)) if lines[i].startswith("┡"))
    header = " ".join(lines[top + 1:bottom]).replace("┃", " ").split()
    assert sorted(header) == ["added", "added", "option", "survival", "survival", "utility"]
    row = next(line for line in lines[at:] if line.startswith("│"))
    assert [c.strip() for c in row.strip("│").split("│")][1:3] == [f"{10 * 0.7 + 5 * 0.75:,.1f}", "3.2"]


def test_outcome_overrides_are_echoed_under_the_table(tmp_path: Path) -> None:
    from test_user_data import folder

    data = folder(tmp_path, areas="area_code,icb,stroke_admissions\nA1,N,10\nA2,S,5\n")
    args = [HUBPLAN, "evaluate", "--hubs", "H1", "--pathway", "direct", "--data", str(data)]
    env = {**os.environ, "COLUMNS": "200"}
    given = subprocess.run(args + ["--outcome", "lvo_share=0.3", "--outcome", "door_to_needle_minutes=30"],
                           capture_output=True, text=True, timeout=300, env=env)
    assert given.returncode == 0, given.stderr
    echoed = [line for line in given.stdout.splitlines() if line.startswith("your figures")]
    # in the model's order of parameters, each with its unit
    assert echoed == ["your figures (--outcome): door_to_needle_minutes = 30 min; "
                      "lvo_share = 0.3 fraction of ischaemic strokes"]
    plain = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env)
    assert plain.returncode == 0 and "your figures" not in plain.stdout
