"""Every pathway rule on tiny hand-made networks; expected minutes worked out by hand.

The tiny network (hubplan.testing.tiny_network), minutes:

           H1   H2   S1
    A1     20   50   10
    A2     10   40   30
    A3     30   25   35

Site to site: H1-H2 45, H1-S1 15, H2-S1 40. One patient per area.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hubplan import Helicopter, InputError, Option, Service, compare, evaluate
from hubplan.testing import make_network, tiny_network

SERVICE = Service(name="test", hub_share=0.5, transfer_delay_minutes=60.0)


def ev(option, network=None, service=SERVICE):
    return evaluate(network or tiny_network(), service, option)


def test_direct_goes_to_nearest_hub():
    e = ev(Option(name="d", hubs=("H1", "H2")))
    # A1 -> H1 20, A2 -> H1 10, A3 -> H2 25
    assert list(e.areas["hub_site_code"]) == ["H1", "H1", "H2"]
    assert list(e.areas["time_to_hub_minutes"]) == [20, 10, 25]
    assert list(e.areas["time_to_first_minutes"]) == [20, 10, 25]
    assert e.summary["time_to_hub"]["mean"] == pytest.approx(55 / 3)
    assert set(e.areas["route"]) == {"direct"}


def test_treat_and_transfer_without_bypass():
    e = ev(Option(name="tt", hubs=("H1",), spokes=("S1",), pathway="treat_and_transfer"))
    # A1: spoke S1 (10) nearer than H1 (20): 10 + 60 delay + 15 (S1->H1) = 85
    # A2: H1 (10) nearer than S1 (30): 10 direct.  A3: H1 30 < S1 35: 30 direct.
    assert list(e.areas["first_site_code"]) == ["S1", "H1", "H1"]
    assert list(e.areas["time_to_first_minutes"]) == [10, 10, 30]
    assert list(e.areas["time_to_hub_minutes"]) == [85, 10, 30]
    assert list(e.areas["route"]) == ["transfer", "direct", "direct"]
    sites = e.sites
    # hub_share 0.5: one patient first seen at S1 -> 0.5 transfers out of S1 into H1
    assert sites.loc["S1", "transfers_out"] == pytest.approx(0.5)
    assert sites.loc["H1", "hub_patients_transferred_in"] == pytest.approx(0.5)
    assert sites.loc["H1", "hub_patients_direct"] == pytest.approx(1.0)  # 0.5 x 2 first seen
    assert sites.loc["H1", "catchment_patients"] == pytest.approx(3.0)
    assert sites.loc["H1", "admissions"] == pytest.approx(2.5)
    assert sites.loc["H2", "role"] == "closed"
    assert e.summary["transfers_per_year"] == pytest.approx(0.5)


def test_bypass_tie_goes_to_hub():
    # A1: hub 20 is exactly 10 minutes further than spoke 10: with bypass 10 the tie goes to the hub
    e = ev(Option(name="b", hubs=("H1",), spokes=("S1",), pathway="treat_and_transfer", bypass_minutes=10))
    assert e.areas.loc["A1", "first_site_code"] == "H1"
    assert e.areas.loc["A1", "time_to_hub_minutes"] == 20
    assert e.areas.loc["A1", "route"] == "bypass"
    # 9.9 minutes of bypass is not enough
    e = ev(Option(name="b", hubs=("H1",), spokes=("S1",), pathway="treat_and_transfer", bypass_minutes=9.9))
    assert e.areas.loc["A1", "route"] == "transfer"
    assert e.areas.loc["A1", "time_to_hub_minutes"] == 85


def test_bypass_tie_with_float_minutes():
    # 20.8 - 5.8 is not exactly 15 in floating point; the rule must still call it a tie
    net = make_network([[20.8, 5.8], [215.3, 200.3]], [[0, 30], [30, 0]], site_codes=["H", "S"])
    e = ev(Option(name="b", hubs=("H",), spokes=("S",), pathway="treat_and_transfer", bypass_minutes=15), net)
    assert list(e.areas["route"]) == ["bypass", "bypass"]
    assert e.areas["time_to_hub_minutes"].tolist() == pytest.approx([20.8, 215.3], abs=1e-4)


def test_spoke_transfers_to_nearest_hub_by_road_or_assigned_hub():
    net = tiny_network()
    # S1 is 15 from H1 and 40 from H2: A1 (first seen at S1, 10 min) -> 10 + 60 + 15 = 85 via H1
    e = ev(Option(name="n", hubs=("H1", "H2"), spokes=("S1",), pathway="treat_and_transfer"), net)
    assert e.areas.loc["A1", "hub_site_code"] == "H1"
    assert e.areas.loc["A1", "time_to_hub_minutes"] == 85
    # assigned to H2: 10 + 60 + 40 = 110
    e = ev(Option(name="a", hubs=("H1", "H2"), spokes=("S1",), pathway="treat_and_transfer",
                  assignment={"S1": "H2"}), net)
    assert e.areas.loc["A1", "hub_site_code"] == "H2"
    assert e.areas.loc["A1", "time_to_hub_minutes"] == 110
    assert e.sites.loc["H2", "hub_patients_transferred_in"] == pytest.approx(0.5)


def test_transfer_delay_from_option_overrides_service():
    e = ev(Option(name="t", hubs=("H1",), spokes=("S1",), pathway="treat_and_transfer", transfer_delay_minutes=30))
    assert e.areas.loc["A1", "time_to_hub_minutes"] == 10 + 30 + 15


def test_hub_ties_go_to_first_site_in_network_order_whatever_the_listing():
    net = make_network([[10, 10]], site_codes=["X", "Y"])
    for hubs in (("X", "Y"), ("Y", "X")):
        assert ev(Option(name="t", hubs=hubs), net).areas.loc["A1", "hub_site_code"] == "X"


def test_helicopter_used_only_beyond_threshold_and_when_faster():
    # area at 52N 1W; hub 0.9 degrees of latitude north: arc = R * 0.9 * pi / 180 km
    km = 6371.0088 * math.radians(0.9)
    air = 20 + km / 200 * 60 + 10  # dispatch + flight + handover = 60.02 min
    net = make_network(
        [[120.0], [50.0]],
        area_latlon=[(52.0, -1.0), (52.0, -1.0)],
        site_latlon=[(52.9, -1.0)],
        site_codes=["H"],
    )
    heli = Helicopter(threshold_minutes=60, dispatch_minutes=20, speed_kmh=200, handover_minutes=10)
    e = ev(Option(name="h", hubs=("H",), helicopter=heli), net)
    assert e.areas.loc["A1", "time_to_hub_minutes"] == pytest.approx(air, abs=1e-6)
    assert e.areas.loc["A1", "route"] == "air"
    assert e.areas.loc["A1", "time_to_first_minutes"] == pytest.approx(air, abs=1e-6)
    # A2 is within the threshold by road: stays on the road even though air would not be faster anyway
    assert e.areas.loc["A2", "route"] == "direct"
    assert e.areas.loc["A2", "time_to_hub_minutes"] == 50
    # a slow helicopter is never used
    slow = Helicopter(threshold_minutes=60, dispatch_minutes=20, speed_kmh=50, handover_minutes=10)
    e = ev(Option(name="h", hubs=("H",), helicopter=slow), net)
    assert e.areas.loc["A1", "route"] == "direct"


def test_helicopter_replaces_a_slow_transfer():
    # spoke patient: 10 + 60 + 15 = 85 by road > 60: helicopter from the area to H1
    net = make_network(
        [[20, 10]], [[0, 15], [15, 0]], site_codes=["H1", "S1"],
        area_latlon=[(52.0, -1.0)], site_latlon=[(52.45, -1.0), (52.0, -1.0)],
    )
    heli = Helicopter(threshold_minutes=60, dispatch_minutes=10, speed_kmh=250, handover_minutes=10)
    e = ev(Option(name="h", hubs=("H1",), spokes=("S1",), pathway="treat_and_transfer", helicopter=heli), net)
    expected = 10 + 6371.0088 * math.radians(0.45) / 250 * 60 + 10
    assert e.areas.loc["A1", "time_to_hub_minutes"] == pytest.approx(expected, abs=1e-6)
    assert e.areas.loc["A1", "first_site_code"] == "H1"
    assert e.sites.loc["S1", "transfers_out"] == 0


def test_weighted_statistics_by_hand():
    # times 10, 20, 30 with patients 1, 1, 8: mean 27; median 30 (cum shares .1 .2 1.0); p90 30
    net = make_network([[10], [20], [30]], demand=[1, 1, 8], site_codes=["H"])
    s = ev(Option(name="w", hubs=("H",)), net).summary["time_to_hub"]
    assert s["mean"] == pytest.approx(27.0)
    assert s["median"] == 30 and s["p90"] == 30 and s["max"] == 30
    assert s["within"] == pytest.approx({"30": 1.0, "45": 1.0, "60": 1.0})
    net = make_network([[10], [20], [30], [70]], demand=[5, 3, 2, 0], site_codes=["H"])
    s = ev(Option(name="w", hubs=("H",)), net).summary["time_to_hub"]
    # cum shares .5 .8 1.0: median 10 (first time reaching 50%), p90 30; the 70-min area has no patients
    assert (s["median"], s["p90"], s["max"]) == (10, 30, 30)


def test_region_statistics():
    net = make_network([[10], [20], [30]], demand=[1, 1, 2], area_regions=["N", "N", "S"], site_codes=["H"])
    regions = ev(Option(name="r", hubs=("H",)), net).regions("icb").set_index("region")
    assert regions.loc["N", "time_to_hub_mean"] == pytest.approx(15)
    assert regions.loc["N", "patients"] == 2
    assert regions.loc["S", "time_to_hub_mean"] == pytest.approx(30)
    assert regions.loc["N", "time_to_hub_within_30"] == 1.0


def test_compare_counts_who_gains_and_loses():
    net = tiny_network()
    a = ev(Option(name="a", hubs=("H1", "H2")), net)        # 20, 10, 25
    b = ev(Option(name="b", hubs=("H1",)), net)              # 20, 10, 30
    c = compare(a, b)
    assert c.summary["patients_longer"] == 1 and c.summary["patients_shorter"] == 0
    assert c.summary["patients_unchanged"] == 2
    assert c.summary["mean_increase_if_longer"] == pytest.approx(5)
    assert c.summary["max_increase_minutes"] == pytest.approx(5)
    assert c.summary["patients_longer_by_more_than_5"] == 0
    assert list(c.areas["change_time_to_hub"]) == [0, 0, 5]
    back = compare(b, a)
    assert back.summary["patients_shorter"] == 1 and back.summary["mean_decrease_if_shorter"] == pytest.approx(5)


def test_unknown_and_misused_codes_are_clear():
    with pytest.raises(InputError, match=r"unknown hub code 'H9'"):
        ev(Option(name="x", hubs=("H9",)))
    with pytest.raises(InputError, match="cannot be both a hub and a spoke"):
        Option(name="x", hubs=("H1",), spokes=("H1",), pathway="treat_and_transfer")
    with pytest.raises(InputError, match="only used with pathway 'treat_and_transfer'"):
        Option(name="x", hubs=("H1",), spokes=("S1",))
    with pytest.raises(InputError, match="unknown pathway 'ship'"):
        Option(name="x", hubs=("H1",), pathway="ship")
    with pytest.raises(InputError, match="at least one hub"):
        Option(name="x", hubs=())


def test_unreachable_hub_is_an_error_not_a_guess():
    net = make_network([[np.inf, 5], [10, 5]], [[0, 10], [10, 0]], site_codes=["H", "S"])
    with pytest.raises(InputError, match="1 area with patients cannot reach any hub"):
        ev(Option(name="x", hubs=("H",)), net)


def test_treat_and_transfer_needs_site_times():
    net = make_network([[10, 5]], None, site_codes=["H", "S"])
    with pytest.raises(InputError, match="site-to-site minutes"):
        ev(Option(name="x", hubs=("H",), spokes=("S",), pathway="treat_and_transfer"), net)
