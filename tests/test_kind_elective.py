"""The elective kind (surgical hubs, diagnostic centres) on hand-worked tiny networks."""

from __future__ import annotations

import numpy as np
import pytest

from hubplan import kinds
from hubplan.access.evaluate import evaluate
from hubplan.errors import InputError
from hubplan.kinds.elective import allocate
from hubplan.services import Service
from hubplan.services.options import Option
from hubplan.testing import make_network

#     minutes   U1  U2     people 0-15, 16-59, 60+    demand = 60+ x 0.01
#     A1        10  20            1000  3000  1000    10
#     A2        15  30               0     0  2000    20
#     A3        40  12             500  1000   500     5
MINUTES = [[10, 20], [15, 30], [40, 12]]
BANDS = {"population_0_15": [1000.0, 0.0, 500.0], "population_16_59": [3000.0, 0.0, 1000.0],
         "population_60_plus": [1000.0, 2000.0, 500.0]}


def network(sites_extra: dict[str, list[float]] | None = None):
    net = make_network(MINUTES, site_codes=["U1", "U2"], area_regions=["X", "X", "Y"])
    for column, values in BANDS.items():
        net.areas[column] = values
    net.areas.attrs["demand_columns"] = ["stroke_admissions", *BANDS]
    for column, values in (sites_extra or {}).items():
        net.sites[column] = values
    return net


def service(**parameters):
    # capacity per unit = 1 session x 5 cases x 4 weeks x 0.5 = 10 patients a year
    values = dict(sessions_per_week=1, cases_per_session=5, weeks_per_year=4, utilisation_target=0.5, overflow=1)
    values.update(parameters)
    values = {k: v for k, v in values.items() if v is not None}
    return Service(name="hand", kind="elective", demand="population_60_plus * 0.01", parameters=values)


def run(svc, net=None, hubs=("U1", "U2")):
    ev = evaluate(net or network(), svc, Option(name="o", hubs=hubs))
    return kinds.assess(ev)


def units(result):
    return result.table("units").frame.set_index("site_code")


def test_overflow_goes_to_the_next_nearest_unit_with_spare_capacity():
    # Pairs in order of minutes: A1-U1 10 (U1 takes 10: full), A3-U2 12 (U2 takes 5),
    # A2-U1 15 (full), A1-U2 20 (A1 done), A2-U2 30 (U2 takes its last 5), A3-U1 40 (done).
    r = run(service())
    u = units(r)
    assert u.loc["U1", "capacity_per_year"] == pytest.approx(10)
    assert u.loc["U1", "demand_first_seen_per_year"] == pytest.approx(30)  # A1 + A2: U1 is their nearest
    assert u.loc["U2", "demand_first_seen_per_year"] == pytest.approx(5)
    assert u["activity_per_year"].tolist() == pytest.approx([10, 10])
    assert u.loc["U1", "overflow_out_per_year"] == pytest.approx(5)  # 5 of A2 treated at U2
    assert u.loc["U2", "overflow_in_per_year"] == pytest.approx(5)
    assert u.loc["U1", "waiting_list_change_per_year"] == pytest.approx(15)  # the other 15 of A2
    assert u.loc["U2", "waiting_list_change_per_year"] == pytest.approx(0)
    assert u.loc["U2", "mean_minutes_of_treated"] == pytest.approx((5 * 12 + 5 * 30) / 10)
    m = r.values()
    assert m["demand_per_year"] == pytest.approx(35)
    assert m["capacity_per_year"] == pytest.approx(20)
    assert m["activity_per_year"] == pytest.approx(20)
    assert m["unmet_demand_per_year"] == pytest.approx(15)
    assert m["mean_minutes_to_treatment"] == pytest.approx((10 * 10 + 5 * 12 + 5 * 30) / 20)
    assert m["treated_within_30_min_share"] == pytest.approx(1.0)
    assert r.measure("unmet_demand_per_year").better == "lower"


def test_share_within_a_threshold_counts_the_unit_of_treatment():
    svc = service().with_overrides(thresholds_minutes=[15])
    r = run(svc)
    # within 15 min of the unit of treatment: A1 at U1 (10), A3 at U2 (12); not A2 at U2 (30)
    assert r.values()["treated_within_15_min_share"] == pytest.approx(15 / 20)


def test_catchments_do_not_overflow():
    # U1's catchment (A1, A2) has 30 patients for 10 places; U2's (A3) 5 for 10.
    r = run(service(overflow=0))
    u = units(r)
    assert u["activity_per_year"].tolist() == pytest.approx([10, 5])
    assert u["overflow_in_per_year"].tolist() == pytest.approx([0, 0])
    assert u["overflow_out_per_year"].tolist() == pytest.approx([0, 0])
    assert u["utilisation"].tolist() == pytest.approx([1.0, 0.5])
    assert u["waiting_list_change_per_year"].tolist() == pytest.approx([20, 0])
    assert u["spare_capacity_per_year"].tolist() == pytest.approx([0, 5])
    m = r.values()
    assert m["unmet_demand_per_year"] == pytest.approx(20)
    assert m["utilisation_max"] == pytest.approx(1.0) and m["utilisation_min"] == pytest.approx(0.5)
    # every area of U1's catchment gets the same share, 10/30: minutes (10 x 10/3 + 15 x 20/3 + 12 x 5) / 15
    assert m["mean_minutes_to_treatment"] == pytest.approx((10 * 10 / 3 + 15 * 20 / 3 + 12 * 5) / 15)


def test_no_waiting_list_growth_when_capacity_is_ample():
    r = run(service(sessions_per_week=4))  # 40 a unit, 80 in all for 35 patients
    u = units(r)
    assert u["waiting_list_change_per_year"].tolist() == pytest.approx([0, 0])
    assert u["activity_per_year"].tolist() == pytest.approx([30, 5])  # everyone at the nearest unit
    assert r.values()["spare_capacity_per_year"] == pytest.approx(80 - 35)


def test_per_ics_table_per_100000():
    ics = run(service()).table("ics").frame.set_index("icb")
    # X = A1 + A2: 7,000 people, demand 30, U1 (its nearest area A1 is in X) capacity 10,
    # residents treated 10 (A1) + 5 (A2 at U2) = 15, waiting list +15
    assert ics.loc["X", "population"] == pytest.approx(7000)
    assert ics.loc["X", "units"] == 1
    assert ics.loc["X", "capacity_per_100k"] == pytest.approx(10 / 7000 * 1e5)
    assert ics.loc["X", "activity_per_100k"] == pytest.approx(15 / 7000 * 1e5)
    assert ics.loc["X", "demand_per_100k"] == pytest.approx(30 / 7000 * 1e5)
    assert ics.loc["X", "waiting_list_change_per_year"] == pytest.approx(15)
    # Y = A3: 2,000 people; U2 treats 10 (5 from X), its residents 5
    assert ics.loc["Y", "capacity_per_100k"] == pytest.approx(500)
    assert ics.loc["Y", "activity_per_year"] == pytest.approx(10)
    assert ics.loc["Y", "utilisation"] == pytest.approx(1.0)
    assert ics.loc["Y", "activity_per_100k"] == pytest.approx(250)


def test_capacity_of_the_presets():
    surgical = Service.preset("elective_surgical_hub")
    diagnostic = Service.preset("community_diagnostic_centre")
    k = kinds.kind("elective")
    net = network()
    assert k.capacity(surgical, net, ["U1"])["capacity_per_year"].iloc[0] == pytest.approx(15 * 8 * 48 * 0.85)
    assert k.capacity(surgical, net, ["U1"])["capacity_per_year"].iloc[0] == pytest.approx(4896)
    assert k.capacity(diagnostic, net, ["U1"])["capacity_per_year"].iloc[0] == pytest.approx(8687.952)
    for s in (surgical, diagnostic):
        assert s.kind == "elective"
        k.check(s)
        assert s.demand_definition.is_proxy
        for name in s.parameters:
            assert s.sources[name].confidence and s.sources[name].unit, name


def test_per_unit_sessions_from_a_site_column():
    net = network({"sessions_per_week": [10.0, 20.0]})
    cap = kinds.kind("elective").capacity(Service.preset("elective_surgical_hub"), net, ["U1", "U2"])
    assert cap["capacity_per_year"].tolist() == pytest.approx([10 * 8 * 48 * 0.85, 20 * 8 * 48 * 0.85])
    assert cap["capacity_per_year"].tolist() == pytest.approx([3264, 6528])


def test_a_bad_site_column_value_is_one_line():
    net = network({"sessions_per_week": [10.0, float("nan")]})
    with pytest.raises(InputError, match=r"site U2, column 'sessions_per_week': expected a number from 0 to 1000"):
        run(service(), net)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"utilisation_target": 1.5}, "parameter 'utilisation_target' must be a number from 0 to 1 (fraction), got 1.5"),
        ({"overflow": 0.5}, "parameter 'overflow' must be a whole number from 0 to 1"),
        ({"weeks_per_year": None}, "parameter 'weeks_per_year' has no value"),
        ({"colour": 3}, "unknown parameter 'colour'"),
        ({"cases_per_session": None}, "sessions_per_week and cases_per_session go together; "
                                      "parameter 'cases_per_session' has no value"),
        ({"sessions_per_week": None, "cases_per_session": None}, "got neither"),
        ({"tests_per_hour": 2.0}, "not both"),
    ],
)
def test_parameter_errors_are_one_line(parameters, message):
    with pytest.raises(InputError) as info:
        run(service(**parameters))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_spokes_are_refused():
    net = make_network(MINUTES, [[0, 10], [10, 0]], site_codes=["U1", "U2"])
    for column, values in BANDS.items():
        net.areas[column] = values
    net.areas.attrs["demand_columns"] = list(BANDS)
    ev = evaluate(net, service(), Option(name="o", hubs=("U1",), spokes=("U2",), pathway="treat_and_transfer"))
    with pytest.raises(InputError, match="list U2 as hubs"):
        kinds.assess(ev)


def _walk_pairs(minutes: np.ndarray, demand: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """The definition itself: every (area, unit) pair in order of minutes, pair by pair."""
    n_units, n_areas = minutes.shape
    remaining, spare = demand.astype(float).copy(), capacity.astype(float).copy()
    treated = np.zeros((n_units, n_areas))
    pairs = sorted((minutes[j, i], i, j) for j in range(n_units) for i in range(n_areas) if np.isfinite(minutes[j, i]))
    for _, i, j in pairs:
        take = min(remaining[i], spare[j])
        treated[j, i] += take
        remaining[i] -= take
        spare[j] -= take
    return treated


@pytest.mark.parametrize("seed", range(8))
def test_allocation_equals_walking_the_pairs(seed):
    rng = np.random.default_rng(seed)
    n_units, n_areas = int(rng.integers(2, 6)), int(rng.integers(5, 40))
    minutes = rng.uniform(5, 90, size=(n_units, n_areas))
    minutes[rng.random(minutes.shape) < 0.1] = np.inf
    minutes[0, :] = np.minimum(minutes[0, :], 89.0)  # every area reaches some unit
    demand = rng.uniform(0, 20, size=n_areas)
    capacity = rng.uniform(0, 2, size=n_units) * demand.sum() / n_units
    got = allocate(minutes, demand, capacity, overflow=True)
    assert got.treated == pytest.approx(_walk_pairs(minutes, demand, capacity), abs=1e-9)
    assert got.untreated == pytest.approx(demand - got.treated.sum(axis=0), abs=1e-9)
    assert (got.treated.sum(axis=1) <= capacity + 1e-9).all()


def test_per_unit_sessions_in_an_assessment_and_its_notes():
    # U1 2 sessions (20 a year), U2 1 session (10): A1's 10 and 10 of A2 at U1; A3's 5 and 5 of A2 at U2
    r = run(service(), network({"sessions_per_week": [2.0, 1.0]}))
    u = units(r)
    assert u["capacity_per_year"].tolist() == pytest.approx([20, 10])
    assert u["activity_per_year"].tolist() == pytest.approx([20, 10])
    assert r.values()["unmet_demand_per_year"] == pytest.approx(5)
    assert "sessions_per_week = per unit (site column)" in r.measure("capacity_per_year").note
