"""Scoring, weight sensitivity and rank stability, worked by hand on 2-3 options."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hubplan import InputError, Option, Service
from hubplan.planning.appraise import (
    Criterion,
    appraise,
    criterion_info,
    normalise,
    rank_stability,
    score_options,
    weight_sensitivity,
)
from hubplan.testing import tiny_network


def two_options() -> pd.DataFrame:
    # A is best on c1 (fewer minutes), B on c2 (fewer transfers)
    return pd.DataFrame({"time_to_hub_mean_minutes": [10.0, 20.0], "transfers_per_year": [100.0, 0.0]},
                        index=["A", "B"])


def three_options() -> pd.DataFrame:
    return pd.DataFrame({"time_to_hub_mean_minutes": [10.0, 20.0, 30.0], "transfers_per_year": [100.0, 0.0, 50.0]},
                        index=["A", "B", "C"])


CRITERIA = [Criterion("time_to_hub_mean_minutes", 3), Criterion("transfers_per_year", 1)]


def test_min_max_normalisation_by_hand():
    v = normalise(three_options(), CRITERIA)
    assert v["time_to_hub_mean_minutes"].tolist() == [1.0, 0.5, 0.0]
    assert v["transfers_per_year"].tolist() == [0.0, 1.0, 0.5]


def test_direction_max_and_constant_column():
    values = pd.DataFrame({"time_to_hub_within_60": [0.5, 0.9], "hubs": [3.0, 3.0]}, index=["A", "B"])
    v = normalise(values, [Criterion("time_to_hub_within_60"), Criterion("hubs")])
    assert v["time_to_hub_within_60"].tolist() == [0.0, 1.0]  # more is better by default
    assert v["hubs"].tolist() == [1.0, 1.0]  # no difference: every option gets 1


def test_scores_and_ranking_by_hand():
    s = score_options(three_options(), CRITERIA)
    # weights 3:1 -> 0.75, 0.25; A = .75, B = .75*.5 + .25 = .625, C = .25*.5 = .125
    assert s.weights.tolist() == [0.75, 0.25]
    assert s.scores.tolist() == pytest.approx([0.75, 0.625, 0.125])
    assert s.ranking == ("A", "B", "C")
    assert s.ranks.tolist() == [1, 2, 3]


def test_ties_go_to_the_option_listed_first():
    s = score_options(two_options(), [Criterion("time_to_hub_mean_minutes", 1), Criterion("transfers_per_year", 1)])
    assert s.scores.tolist() == [0.5, 0.5]
    assert s.ranking == ("A", "B")


def test_sensitivity_two_options_by_hand():
    s = score_options(two_options(), CRITERIA)
    table = weight_sensitivity(s).set_index("criterion")
    # S_A(t) = t, S_B(t) = 1 - t when the time weight is t: they cross at 0.5
    time_row = table.loc["time_to_hub_mean_minutes"]
    assert time_row["weight"] == pytest.approx(0.75)
    assert time_row["weight_low"] == pytest.approx(0.5) and time_row["option_below"] == "B"
    assert time_row["weight_high"] == pytest.approx(1.0) and time_row["option_above"] == ""
    transfers = table.loc["transfers_per_year"]
    assert transfers["weight_low"] == pytest.approx(0.0) and transfers["option_below"] == ""
    assert transfers["weight_high"] == pytest.approx(0.5) and transfers["option_above"] == "B"
    assert not table["robust"].any()


def test_sensitivity_three_options_by_hand():
    s = score_options(three_options(), CRITERIA)
    table = weight_sensitivity(s).set_index("criterion")
    # time weight t: S_A = t, S_B = 1 - t/2, S_C = (1 - t)/2; B overtakes below 2/3 (C only below 1/3)
    row = table.loc["time_to_hub_mean_minutes"]
    assert row["weight_low"] == pytest.approx(2 / 3) and row["option_below"] == "B"
    assert row["weight_high"] == pytest.approx(1.0)
    # transfers weight t: S_A = 1 - t, S_B = (1 + t)/2; B overtakes above 1/3
    row = table.loc["transfers_per_year"]
    assert row["weight_high"] == pytest.approx(1 / 3) and row["option_above"] == "B"


def test_dominant_option_is_robust_and_always_first():
    values = pd.DataFrame({"time_to_hub_mean_minutes": [10.0, 20.0], "transfers_per_year": [0.0, 50.0]},
                          index=["A", "B"])
    s = score_options(values, CRITERIA)
    assert weight_sensitivity(s)["robust"].all()
    st = rank_stability(s, draws=500, rng=np.random.default_rng(3))
    assert st.loc["A", "share_first"] == 1.0 and st.loc["B", "share_first"] == 0.0
    assert st["mean_rank"].tolist() == [1.0, 2.0]


def test_rank_stability_uniform_weights_split_evenly():
    s = score_options(two_options(), CRITERIA)
    st = rank_stability(s, draws=20000, rng=np.random.default_rng(7))
    # with w ~ Dirichlet(1, 1), A is first when w_time > 1/2: probability 1/2
    assert st.loc["A", "share_first"] == pytest.approx(0.5, abs=0.02)
    assert st["share_first"].sum() == pytest.approx(1.0)
    again = rank_stability(s, draws=20000, rng=np.random.default_rng(7))
    pd.testing.assert_frame_equal(st, again)  # seeded: reproducible


def test_rank_stability_concentrated_around_the_weights():
    s = score_options(two_options(), CRITERIA)
    st = rank_stability(s, draws=5000, rng=np.random.default_rng(1), concentration=200)
    assert st.loc["A", "share_first"] > 0.99  # weights near 0.75 always keep A first


def test_left_out_criteria_are_reported():
    values = three_options().assign(beds_at_target_occupancy=[10.0, np.nan, 12.0])
    s = score_options(values, [*CRITERIA, Criterion("beds_at_target_occupancy", 1), Criterion("hubs", 0)])
    assert [c.name for c in s.criteria] == ["time_to_hub_mean_minutes", "transfers_per_year"]
    assert dict(s.left_out) == {"beds_at_target_occupancy": "not available for B", "hubs": "not computed for these options"}


def test_criterion_validation():
    with pytest.raises(InputError, match="unknown criterion 'mean_time'"):
        Criterion("mean_time")
    with pytest.raises(InputError, match="direction must be 'min'"):
        Criterion("hubs", 1, "lower")
    with pytest.raises(InputError, match="weight must be a number >= 0"):
        Criterion("hubs", -1)
    assert criterion_info("time_to_hub_within_45").direction == "max"


def test_appraise_tiny_network_by_hand():
    net = tiny_network()
    service = Service(name="demo", thresholds_minutes=(30.0,))
    one = Option(name="H1 only", hubs=("H1",))
    two = Option(name="H1 and H2", hubs=("H1", "H2"))
    a = appraise(net, service, [one, two], criteria=[Criterion("time_to_hub_mean_minutes", 1),
                                                     Criterion("hubs", 1)], draws=200)
    # H1 only: 20, 10, 30 -> mean 20; both: 20, 10, 25 -> mean 55/3
    assert a.values.loc["H1 only", "time_to_hub_mean_minutes"] == pytest.approx(20.0)
    assert a.values.loc["H1 and H2", "time_to_hub_mean_minutes"] == pytest.approx(55 / 3)
    assert a.values.loc["H1 and H2", "patients_shorter_per_year"] == 1.0  # A3: 30 -> 25
    assert a.values.loc["H1 and H2", "patients_longer_per_year"] == 0.0
    assert a.scores.scores.tolist() == [0.5, 0.5] and a.scores.top == "H1 only"  # tie: listed first
    assert set(a.comparisons) == {"H1 and H2"}
    # no length of stay in a bare Service: beds are not available, with the reason
    assert a.capacity["H1 only"].beds_note and "length_of_stay_days" in a.capacity["H1 only"].beds_note
    result = a.to_json()
    assert result["ranking"] == ["H1 only", "H1 and H2"]
    assert result["options"][0]["criteria"]["beds_at_target_occupancy"] is None


def test_appraise_rejects_bad_input():
    net = tiny_network()
    service = Service(name="demo")
    one = Option(name="x", hubs=("H1",))
    with pytest.raises(InputError, match="used twice"):
        appraise(net, service, [one, one])
    with pytest.raises(InputError, match="baseline 'y' is not one of the options"):
        appraise(net, service, [one], baseline="y")
    with pytest.raises(InputError, match="criterion 'time_to_hub_within_90' is not available"):
        appraise(net, service, [one], criteria=[Criterion("time_to_hub_within_90")])
