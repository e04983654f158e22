"""benchmark(): indicators, regions, the JSON contract and validation of provider tables."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from hubplan.monitoring.benchmark import FunnelSettings, benchmark, exact_limit, validate_providers
from hubplan.monitoring.benchmark.indicators import Indicator
from hubplan.errors import InputError

CONTRACT_KEYS = {"indicator", "target", "overdispersion", "phi", "tau2", "providers"}
PROVIDER_KEYS = {"provider", "numerator", "denominator", "value", "z", "lower_95", "upper_95",
                 "lower_998", "upper_998", "flag"}
FLAGS = {"alarm_low", "alert_low", "in_control", "alert_high", "alarm_high"}


def regional_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "provider": ["A1", "A2", "A3", "B1", "B2", "C1", "C2", "C3"],
        "numerator": [30, 45, 20, 80, 10, 25, 60, 33],
        "denominator": [200, 300, 150, 400, 200, 250, 300, 220],
        "region": ["North", "North", "North", "South", "South", "West", "West", "West"],
    })


def test_pooled_target_and_values():
    result = benchmark(regional_frame(), overdispersion="none")
    assert result.target == pytest.approx(303 / 2020)
    assert result.providers["value"].tolist() == pytest.approx(
        [30 / 200, 45 / 300, 20 / 150, 80 / 400, 10 / 200, 25 / 250, 60 / 300, 33 / 220]
    )


def test_json_contract():
    data = benchmark(regional_frame()).to_dict()
    assert CONTRACT_KEYS <= set(data)
    assert data["indicator"] == "proportion" and data["overdispersion"] == "additive"
    for provider in data["providers"]:
        assert PROVIDER_KEYS <= set(provider)
        assert provider["flag"] in FLAGS
        assert provider["lower_998"] <= provider["lower_95"] <= provider["upper_95"] <= provider["upper_998"]


def test_ratio_contract_has_observed_and_expected():
    frame = pd.DataFrame({"provider": ["X", "Y", "Z"], "observed": [12, 30, 4], "expected": [10.5, 20.0, 9.0]})
    data = benchmark(frame, indicator="ratio", overdispersion="none").to_dict()
    assert data["target"] == 1.0
    first = data["providers"][0]
    assert first["observed"] == first["numerator"] == 12
    assert first["expected"] == first["denominator"] == 10.5
    assert first["value"] == pytest.approx(12 / 10.5)
    assert first["z"] == pytest.approx(2 * (math.sqrt(12) - math.sqrt(10.5)))


def test_rate_per_100000():
    frame = pd.DataFrame({"provider": ["a", "b", "c"], "numerator": [50, 80, 200],
                          "denominator": [100_000, 120_000, 250_000]})
    result = benchmark(frame, indicator="rate", per=100_000, overdispersion="none")
    assert result.target == pytest.approx(330 / 470_000)
    assert result.to_dict()["target"] == pytest.approx(330 / 470_000 * 100_000)
    assert result.providers["value"].tolist() == pytest.approx([50.0, 80 / 1.2, 80.0])
    # limits are reported per 100,000 too: exact Poisson with mean target * exposure
    upper = exact_limit(Indicator.RATE, result.target, [100_000], 0.975)[0] * 100_000
    assert result.providers["upper_95"].iloc[0] == pytest.approx(upper)


def test_given_target_and_flags_follow_the_drawn_limits():
    result = benchmark(regional_frame(), target=0.1, overdispersion="none")
    table = result.providers
    inside = (table["value"] >= table["lower_95"]) & (table["value"] <= table["upper_95"])
    assert ((table["flag"] == "in_control") == inside).all()
    assert set(result.outliers["provider"]) == set(table.loc[~inside, "provider"])


def test_regional_variation():
    result = benchmark(regional_frame(), overdispersion="none")
    regions = result.regions
    assert regions is not None
    table = regions.table.set_index("region")
    assert table.loc["North", "numerator"] == 95 and table.loc["North", "denominator"] == 650
    assert table.loc["South", "value"] == pytest.approx(90 / 600)
    assert table.loc["West", "value"] == pytest.approx(118 / 770)
    # West 0.1532 > South 0.15 > North 0.1462
    assert table["rank"].to_dict() == {"West": 1, "South": 2, "North": 3}
    assert regions.ratio_highest_to_lowest == pytest.approx((118 / 770) / (95 / 650))
    provider_flags = result.providers.groupby("region")["flag"].apply(lambda f: int((f != "in_control").sum()))
    flag_columns = ["providers_alarm_low", "providers_alert_low", "providers_alert_high", "providers_alarm_high"]
    assert table[flag_columns].sum(axis=1).to_dict() == provider_flags.to_dict()
    assert result.to_dict()["regions"]["highest"]["region"] == "West"


def test_no_regions_without_a_region_column():
    assert benchmark(regional_frame().drop(columns="region")).regions is None


def test_settings_object_and_bad_choices():
    settings = FunnelSettings(indicator="ratio", scale="log", overdispersion="multiplicative")
    assert settings.indicator is Indicator.RATIO
    with pytest.raises(InputError, match="overdispersion 'lots': expected one of none, multiplicative, additive"):
        FunnelSettings(overdispersion="lots")
    with pytest.raises(InputError, match="scale 'log' does not suit a proportion"):
        FunnelSettings(indicator="proportion", scale="log")
    with pytest.raises(InputError, match="strictly between 0 and 1"):
        FunnelSettings(target=1.5)
    with pytest.raises(InputError, match="winsorise"):
        FunnelSettings(winsorise=0.6)


@pytest.mark.parametrize("change, message", [
    ({"numerator": [30, 45, 200]}, "row 2: numerator 200 is above denominator 150"),
    ({"numerator": [30, -1, 20]}, "row 1, column 'numerator': expected a count >= 0, got '-1'"),
    ({"denominator": [200, 0, 150]}, "row 1, column 'denominator': expected a denominator > 0, got '0'"),
    ({"provider": ["A", "B", "A"]}, "rows 0 and 2 both have provider 'A'"),
    ({"provider": ["A", None, "C"]}, "row 1, column 'provider': expected a provider name or code"),
    ({"numerator": ["30", "many", "20"]}, "row 1, column 'numerator': expected a number, got 'many'"),
    ({"numerator": [30, float("nan"), 20]}, "expected a number, got an empty cell"),
    ({"denominator": [200, float("inf"), 150]}, "expected a number, got 'inf'"),
])
def test_validation_messages(change, message):
    frame = pd.DataFrame({"provider": ["A", "B", "C"], "numerator": [30, 45, 20], "denominator": [200, 300, 150]})
    for column, values in change.items():
        frame[column] = values
    with pytest.raises(InputError) as info:
        benchmark(frame, source="test.csv")
    assert message in str(info.value)
    assert str(info.value).startswith("test.csv")


def test_missing_column_names_the_expected_form():
    frame = pd.DataFrame({"provider": ["A", "B"], "events": [1, 2], "denominator": [10, 20]})
    with pytest.raises(InputError, match="missing column 'numerator'; expected columns provider, numerator"):
        validate_providers(frame, Indicator.PROPORTION, source="x.csv")


def test_several_problems_are_listed_together():
    frame = pd.DataFrame({"provider": ["A", "B", "C"], "numerator": [-1, 2, 40], "denominator": [10, 0, 20]})
    with pytest.raises(InputError) as info:
        benchmark(frame, source="x.csv")
    text = str(info.value)
    assert "3 problems" in text and "row 0" in text and "row 1" in text and "row 2" in text


def test_whole_numbers_needed_for_exact_binomial_limits_only():
    frame = pd.DataFrame({"provider": ["A", "B", "C"], "numerator": [3.5, 4.0, 6.2], "denominator": [40.5, 50.0, 61.0]})
    with pytest.raises(InputError, match="row 0: denominator 40.5 is not a whole number"):
        benchmark(frame)
    assert len(benchmark(frame, limits="normal").providers) == 3


def test_log_scale_refuses_zero_observed():
    frame = pd.DataFrame({"provider": ["A", "B", "C"], "observed": [0, 4, 6], "expected": [3.0, 5.0, 6.0]})
    with pytest.raises(InputError, match="provider 'A' has 0 observed"):
        benchmark(frame, indicator="ratio", scale="log")
    assert benchmark(frame, indicator="ratio").providers["flag"].iloc[0] in FLAGS


def test_needs_two_providers_and_some_variation():
    with pytest.raises(InputError, match="at least 2"):
        benchmark(pd.DataFrame({"provider": ["A"], "numerator": [1], "denominator": [10]}))
    with pytest.raises(InputError, match="pooled proportion is 0"):
        benchmark(pd.DataFrame({"provider": ["A", "B"], "numerator": [0, 0], "denominator": [10, 20]}))


def test_region_cells_must_not_be_blank():
    frame = regional_frame()
    frame.loc[3, "region"] = ""
    with pytest.raises(InputError, match="row 3, column 'region': expected a region, got an empty cell"):
        benchmark(frame)


def test_input_is_not_changed():
    frame = regional_frame()
    before = frame.copy()
    benchmark(frame)
    pd.testing.assert_frame_equal(frame, before)
