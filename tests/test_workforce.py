"""Rota, operator-volume, network and training-pipeline arithmetic (hubplan.capacity.workforce),
each case worked out by hand in the test."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest

import hubplan.capacity.workforce as workforce
from hubplan.errors import InputError
from hubplan.services import Service
from hubplan.capacity.workforce import (
    STANDARD_FLAGS,
    allocate_workforce,
    consultants_needed,
    hub_workforce_table,
    network_workforce,
    procedures_per_operator,
    standards_flags,
    training_pipeline,
)


# ---------------------------------------------------------------- consultants per hub
def test_rota_minimum_sets_the_floor():
    assert consultants_needed(0, 5) == 5
    assert consultants_needed(150, 5) == 5  # rota only (no activity capacity given)
    assert consultants_needed(10_000, 5) == 5


def test_activity_driven_need_by_hand():
    # 450 / 80 = 5.625 -> 6 > 5
    assert consultants_needed(450, 5, procedures_per_consultant=80) == 6
    # 400 / 80 = 5 exactly -> 5, not 6
    assert consultants_needed(400, 5, procedures_per_consultant=80) == 5
    # 801 / 80 = 10.01 -> 11
    assert consultants_needed(801, 5, procedures_per_consultant=80) == 11
    # 0.3 * 3 / 0.3 style float noise does not add a consultant: 3 x 0.1 / 0.1 = 3
    assert consultants_needed(0.30000000000000004, 1, procedures_per_consultant=0.1) == 3


def test_missing_rota_minimum_names_the_flag():
    service = Service.preset("hyperacute_stroke")
    assert service.rota_minimum_consultants is None
    with pytest.raises(InputError, match=r"rota_minimum_consultants.*--rota-minimum"):
        consultants_needed(100, service.rota_minimum_consultants)
    with pytest.raises(InputError):
        consultants_needed(100, 0)
    with pytest.raises(InputError):
        consultants_needed(100, 5, procedures_per_consultant=0)


def test_procedures_per_operator_by_hand():
    assert procedures_per_operator(150, 5) == 30.0
    assert procedures_per_operator(240, 6) == 40.0
    with pytest.raises(InputError):
        procedures_per_operator(100, 0)


def test_hub_table_flags_low_operator_volume():
    # A: 100 / 5 = 20 < 40 (flagged); B: 450 -> 6 consultants, 75 each;
    # C: 200 / 5 = 40 exactly (not flagged)
    table = hub_workforce_table(
        {"A": 100.0, "B": 450.0, "C": 200.0},
        rota_minimum_consultants=5,
        procedures_per_consultant=80,
        operator_min_procedures_per_year=40,
    )
    assert list(table.columns) == list(workforce.HUB_WORKFORCE_COLUMNS)
    assert table["consultants_needed"].tolist() == [5, 6, 5]
    assert table["activity_consultants"].tolist() == pytest.approx([1.25, 5.625, 2.5])
    assert table["procedures_per_operator"].tolist() == pytest.approx([20.0, 75.0, 40.0])
    assert table["operator_volume_below_minimum"].tolist() == [True, False, False]


def test_hub_table_without_operator_minimum_flags_nothing():
    table = hub_workforce_table({"A": 1.0}, rota_minimum_consultants=6)
    assert table["consultants_needed"].tolist() == [6]
    assert table["operator_volume_below_minimum"].tolist() == [False]


# ---------------------------------------------------------------- network totals
def test_allocation_is_proportional_and_capped():
    assert allocate_workforce({"A": 5, "B": 10}, 12).tolist() == [4.0, 8.0]
    assert allocate_workforce({"A": 5, "B": 10}, 30).tolist() == [5.0, 10.0]
    assert allocate_workforce({"A": 0}, 30).tolist() == [0.0]


def test_thirty_centres_against_120_and_150():
    hubs = pd.DataFrame(
        {
            "site_code": [f"S{i:02d}" for i in range(30)],
            "consultants_needed": [5] * 30,
            "isdn": ["North"] * 10 + ["South"] * 20,
            "country": ["England"] * 30,
        }
    )
    short = network_workforce(hubs, 120)
    # 30 x 5 = 150 needed; 120 available -> 30 short; each hub gets 120/150 x 5 = 4
    assert short.consultants_needed == 150
    assert short.consultants_available == 120
    assert short.shortfall == pytest.approx(30.0)
    assert short.sites["consultants_allocated"].tolist() == pytest.approx([4.0] * 30)
    assert short.sites["shortfall"].tolist() == pytest.approx([1.0] * 30)
    regions = short.regions.set_index(["region_type", "region"])
    assert regions.loc[("isdn", "North"), "shortfall"] == pytest.approx(10.0)
    assert regions.loc[("isdn", "South"), "shortfall"] == pytest.approx(20.0)
    assert regions.loc[("country", "England"), "consultants_needed"] == 150
    assert regions.loc[("isdn", "South"), "hubs"] == 20
    # icb is absent from the table: skipped, not an error
    assert set(short.regions["region_type"]) == {"isdn", "country"}

    enough = network_workforce(hubs, 150)
    assert enough.shortfall == 0.0
    assert enough.sites["shortfall"].sum() == 0.0


def test_regions_in_order_with_a_hub_of_no_region_last():
    """Hubs out of order, one with no ISDN: regions sorted by name, the one without last,
    each total worked by hand (need 23, 20 available, every hub gets 20/23 of its need)."""
    hubs = pd.DataFrame({"site_code": ["A", "B", "C", "D"], "consultants_needed": [5, 6, 5, 7],
                         "isdn": ["South", None, "North", "South"]}, index=[7, 3, 9, 1])
    result = network_workforce(hubs, 20, region_columns=("isdn",))
    assert result.sites["site_code"].tolist() == ["A", "B", "C", "D"]
    assert result.sites["consultants_allocated"].tolist() == pytest.approx([100 / 23, 120 / 23, 100 / 23, 140 / 23])
    rows = result.regions
    assert rows["region"].tolist()[:2] == ["North", "South"] and pd.isna(rows["region"].iloc[2])
    assert rows["hubs"].tolist() == [1, 2, 1]
    assert rows["consultants_needed"].tolist() == [5, 12, 6]
    assert rows["consultants_allocated"].tolist() == pytest.approx([100 / 23, 240 / 23, 120 / 23])
    assert rows["shortfall"].tolist() == pytest.approx([15 / 23, 36 / 23, 18 / 23])
    assert result.shortfall == pytest.approx(3.0)


def test_network_without_available_workforce():
    hubs = pd.DataFrame({"site_code": ["A", "B"], "consultants_needed": [5, 6]})
    result = network_workforce(hubs, None)
    assert result.consultants_needed == 11
    assert result.consultants_available is None
    assert result.shortfall == 0.0
    assert result.sites["shortfall"].isna().all()


# ---------------------------------------------------------------- training pipeline
def test_pipeline_steady_no_attrition_by_hand():
    # 80 today, 15 qualify every year: 80, 95, 110, 125, 140, 155 -> 150 met in year 5
    result = training_pipeline(80, 150, 15, 2, horizon_years=6)
    assert result.year_need_met == 5
    assert result.table["workforce"].tolist() == pytest.approx([80, 95, 110, 125, 140, 155, 170])
    assert result.table["qualified"].tolist() == [0, 15, 15, 15, 15, 15, 15]
    assert result.table["need_met"].tolist() == [False] * 5 + [True] * 2
    assert result.table["gap"].tolist() == pytest.approx([70, 55, 40, 25, 10, 0, 0])
    assert result.calendar_year_need_met is None


def test_pipeline_new_programme_waits_for_training():
    # no one in training today: year 1 adds 0; the first intake qualifies in year 2
    # 80, 80, 95, 110, 125, 140, 155 -> year 6
    result = training_pipeline(80, 150, 15, 2, current_output_per_year=0, start_year=2025)
    assert result.table["workforce"].tolist()[:7] == pytest.approx([80, 80, 95, 110, 125, 140, 155])
    assert result.year_need_met == 6
    assert result.calendar_year_need_met == 2031
    assert result.table["calendar_year"].tolist()[:2] == [2025, 2026]


def test_pipeline_part_year_training_rounds_up():
    # 2.5 years -> output from year 3 for a new programme: 10, 10, 10, 14, 18
    result = training_pipeline(10, 18, 4, 2.5, current_output_per_year=0, horizon_years=4)
    assert result.table["workforce"].tolist() == pytest.approx([10, 10, 10, 14, 18])
    assert result.year_need_met == 4


def test_pipeline_with_attrition_by_hand():
    # 80 x 0.95 + 15 = 91; 91 x 0.95 + 15 = 101.45; 101.45 x 0.95 + 15 = 111.3775;
    # 111.3775 x 0.95 + 15 = 120.808625 -> 120 met in year 4
    result = training_pipeline(80, 120, 15, 2, attrition_per_year=0.05, horizon_years=4)
    assert result.table["workforce"].tolist() == pytest.approx(
        [80, 91, 101.45, 111.3775, 120.808625]
    )
    assert result.table["leavers"].tolist() == pytest.approx([0, 4, 4.55, 5.0725, 5.568875])
    assert result.year_need_met == 4


def test_pipeline_never_meets_need_within_horizon():
    # 100 x 0.9 + 10 = 100 every year: a need of 101 is never met
    result = training_pipeline(100, 101, 10, 1, attrition_per_year=0.1, horizon_years=50)
    assert result.year_need_met is None
    assert result.table["workforce"].tolist() == pytest.approx([100.0] * 51)


def test_pipeline_need_already_met_is_year_zero():
    assert training_pipeline(130, 120, 15, 2).year_need_met == 0


def test_pipeline_from_thrombectomy_preset():
    s = Service.preset("thrombectomy")
    result = training_pipeline(s.workforce_today, 150, s.trainees_per_year, s.training_years)
    assert result.year_need_met == 5


def test_pipeline_missing_values_name_their_flags():
    s = Service.preset("hyperacute_stroke")
    with pytest.raises(InputError, match="--workforce-today"):
        training_pipeline(s.workforce_today, 100, 5, 2)
    with pytest.raises(InputError, match="--trainees-per-year"):
        training_pipeline(50, 100, s.trainees_per_year, 2)
    with pytest.raises(InputError, match="--training-years"):
        training_pipeline(50, 100, 5, s.training_years)
    with pytest.raises(InputError, match="--attrition"):
        training_pipeline(50, 100, 5, 2, attrition_per_year=1.0)


# ---------------------------------------------------------------- standards
def test_hub_below_volume_minimum_is_flagged():
    s = Service.preset("thrombectomy")
    # a hub with 900 patients, 90 thrombectomies, 5 interventionists (18 each)
    flags = standards_flags(
        catchment_patients=900,
        procedures_per_year=90,
        consultants_available=5,
        procedures_per_operator=90 / 5,
        min_patients_per_hub=s.min_patients_per_hub,
        max_patients_per_hub=s.max_patients_per_hub,
        min_procedures_per_hub=s.min_procedures_per_hub,
        rota_minimum_consultants=s.rota_minimum_consultants,
        operator_min_procedures_per_year=s.operator_min_procedures_per_year,
    )
    assert flags == ["below_min_patients", "below_min_procedures", "operator_volume_below_minimum"]


def test_large_understaffed_hub_flags():
    flags = standards_flags(
        catchment_patients=2500,
        procedures_per_year=250,
        consultants_available=4,
        procedures_per_operator=50,
        min_patients_per_hub=1500,
        max_patients_per_hub=2000,
        min_procedures_per_hub=150,
        rota_minimum_consultants=5,
        operator_min_procedures_per_year=40,
    )
    assert flags == ["above_max_patients", "below_rota_minimum"]


def test_thresholds_at_the_boundary_and_missing_are_not_flagged():
    assert (
        standards_flags(
            catchment_patients=1500,
            procedures_per_year=150,
            consultants_available=5,
            procedures_per_operator=40,
            min_patients_per_hub=1500,
            max_patients_per_hub=1500,
            min_procedures_per_hub=150,
            rota_minimum_consultants=5,
            operator_min_procedures_per_year=40,
        )
        == []
    )
    # None thresholds (no source) are never flagged
    assert standards_flags(catchment_patients=1, procedures_per_year=0) == []


def test_flag_names_are_stable():
    assert list(STANDARD_FLAGS) == [
        "below_min_patients",
        "above_max_patients",
        "below_min_procedures",
        "below_rota_minimum",
        "operator_volume_below_minimum",
    ]


def test_docstring_examples_run():
    result = doctest.testmod(workforce, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
