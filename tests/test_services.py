"""Service presets carry their sources; overrides are recorded; bad values are refused."""

from __future__ import annotations

import pytest

from hubplan import InputError, Service


def test_presets_with_sources():
    mt = Service.preset("thrombectomy")
    assert mt.rota_minimum_consultants == 5
    assert mt.sources["rota_minimum_consultants"].key == "PQ2017"
    assert "20 December 2017" in mt.sources["rota_minimum_consultants"].citation
    assert mt.hub_share == 0.10 and mt.transfer_delay_minutes == 60
    assert mt.min_patients_per_hub == 1500 and mt.max_patients_per_hub == 2000
    assert Service.preset("hyperacute_stroke").min_patients_per_hub == 600
    vasc = Service.preset("vascular-arterial")
    assert vasc.rota_minimum_consultants == 6
    assert vasc.length_of_stay_days is None  # no UK source found: the user must supply it
    assert vasc.sources["demand"].confidence == "derived" and vasc.demand_definition.is_proxy
    assert set(Service.preset_names()) >= {"thrombectomy", "hyperacute_stroke", "vascular_arterial"}


def test_every_sourced_value_has_a_source_or_is_none():
    for name in Service.preset_names():
        for row in Service.preset(name).source_table():
            if row["value"] is not None:
                assert row["source"], (name, row["parameter"])


def test_overrides_are_marked():
    s = Service.preset("thrombectomy", transfer_delay_minutes=90, thresholds_minutes=[60, 30])
    assert s.transfer_delay_minutes == 90
    assert s.sources["transfer_delay_minutes"].key == "user override"
    assert s.thresholds_minutes == (30.0, 60.0)
    assert s.with_overrides(hub_share=0.14).sources["hub_share"].key == "user override"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hub_share": 1.5}, "hub_share must be a fraction in [0, 1], got 1.5"),
        ({"transfer_delay_minutes": -5}, "transfer_delay_minutes must be a number of minutes >= 0"),
        ({"occupancy_target": 0}, "occupancy_target must be a fraction in (0, 1]"),
        ({"pathway": "ship"}, "pathway must be 'direct' or 'treat_and_transfer'"),
        ({"colour": "red"}, "has no parameter 'colour'"),
    ],
)
def test_bad_values(kwargs, message):
    with pytest.raises(InputError) as info:
        Service.preset("thrombectomy", **kwargs)
    assert message in str(info.value)


def test_unknown_preset():
    with pytest.raises(InputError, match="unknown service 'cardiology'"):
        Service.preset("cardiology")
