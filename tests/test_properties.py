"""Property tests of the pathway rules on random small networks (hypothesis).

A plain-Python reference implementation, written from the rules of docs/pathways.md area by area,
checks the vectorised engine.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubplan import Option, Service, evaluate
from hubplan.testing import make_network

SERVICE = Service(name="p", hub_share=0.3, transfer_delay_minutes=45.0)


@st.composite
def networks(draw):
    n_areas = draw(st.integers(1, 8))
    n_sites = draw(st.integers(2, 6))
    tenths = st.integers(10, 1200)  # minutes with one decimal, as in the bundled data
    minutes = [[draw(tenths) / 10 for _ in range(n_sites)] for _ in range(n_areas)]
    site = [[0.0] * n_sites for _ in range(n_sites)]
    for i in range(n_sites):
        for j in range(n_sites):
            if i != j:  # not symmetric, as in the bundled inter-hospital matrix
                site[i][j] = draw(tenths) / 10
    demand = [draw(st.integers(0, 50)) for _ in range(n_areas)]
    if not any(demand):  # demand that is 0 everywhere is refused (test_demand)
        demand[draw(st.integers(0, n_areas - 1))] = draw(st.integers(1, 50))
    roles = draw(st.lists(st.sampled_from(["hub", "spoke", "closed"]), min_size=n_sites, max_size=n_sites))
    if "hub" not in roles:
        roles[draw(st.integers(0, n_sites - 1))] = "hub"
    net = make_network(minutes, site, demand=demand)
    hubs = tuple(c for c, r in zip(net.site_codes, roles) if r == "hub")
    spokes = tuple(c for c, r in zip(net.site_codes, roles) if r == "spoke")
    return net, hubs, spokes


def reference(net, hubs, spokes, bypass, delay):
    """Area by area, straight from the rules: (first site, hub, time to first, time to hub)."""
    codes = net.site_codes
    m, s = net.area_site_minutes.astype(float), net.site_site_minutes.astype(float)
    hub_idx = [codes.index(h) for h in hubs]
    spoke_idx = [codes.index(x) for x in spokes]
    rows = []
    for a in range(net.n_areas):
        h = min(hub_idx, key=lambda j: (m[a, j], j))
        if not spoke_idx:
            rows.append((h, h, m[a, h], m[a, h]))
            continue
        sp = min(spoke_idx, key=lambda j: (m[a, j], j))
        if m[a, h] <= m[a, sp] + bypass + 1e-4:
            rows.append((h, h, m[a, h], m[a, h]))
        else:
            to = min(hub_idx, key=lambda j: (s[sp, j], j))
            rows.append((sp, to, m[a, sp], m[a, sp] + delay + s[sp, to]))
    return rows


@settings(max_examples=150, deadline=None)
@given(networks(), st.sampled_from([0.0, 5.0, 15.0, 30.0]))
def test_engine_matches_the_rules_area_by_area(case, bypass):
    net, hubs, spokes = case
    pathway = "treat_and_transfer" if spokes else "direct"
    e = evaluate(net, SERVICE, Option(name="x", hubs=hubs, spokes=spokes, pathway=pathway, bypass_minutes=bypass))
    expected = reference(net, hubs, spokes, bypass, 45.0)
    codes = net.site_codes
    assert list(e.areas["first_site_code"]) == [codes[r[0]] for r in expected]
    assert list(e.areas["hub_site_code"]) == [codes[r[1]] for r in expected]
    np.testing.assert_allclose(e.areas["time_to_hub_minutes"], [r[3] for r in expected], atol=1e-4)
    np.testing.assert_allclose(e.areas["time_to_first_minutes"], [r[2] for r in expected], atol=1e-4)


@settings(max_examples=100, deadline=None)
@given(networks(), st.data())
def test_adding_a_hub_never_lengthens_a_direct_journey(case, data):
    net, hubs, _ = case
    closed = [c for c in net.site_codes if c not in hubs]
    if not closed:
        return
    extra = data.draw(st.sampled_from(closed))
    before = evaluate(net, SERVICE, Option(name="a", hubs=hubs)).routes.time_to_hub
    after = evaluate(net, SERVICE, Option(name="b", hubs=hubs + (extra,))).routes.time_to_hub
    assert np.all(after <= before + 1e-9)


@settings(max_examples=100, deadline=None)
@given(networks(), st.sampled_from([0.0, 10.0]))
def test_patients_are_conserved(case, bypass):
    net, hubs, spokes = case
    pathway = "treat_and_transfer" if spokes else "direct"
    e = evaluate(net, SERVICE, Option(name="x", hubs=hubs, spokes=spokes, pathway=pathway, bypass_minutes=bypass))
    total = net.demand().sum()
    sites = e.sites
    assert sites["patients_first_seen"].sum() == pytest.approx(total)
    assert sites["catchment_patients"].sum() == pytest.approx(total)
    assert sites["hub_patients"].sum() == pytest.approx(0.3 * total)
    assert sites["transfers_out"].sum() == pytest.approx(sites["hub_patients_transferred_in"].sum())
    assert sites.loc[sites["role"] != "hub", "catchment_patients"].sum() == 0
    assert e.summary["patients"] == pytest.approx(total)


@settings(max_examples=100, deadline=None)
@given(networks())
def test_bypass_zero_is_plain_treat_and_transfer_and_infinite_bypass_is_direct(case):
    net, hubs, spokes = case
    if not spokes:
        return
    plain = evaluate(net, SERVICE, Option(name="p", hubs=hubs, spokes=spokes, pathway="treat_and_transfer"))
    zero = evaluate(net, SERVICE, Option(name="z", hubs=hubs, spokes=spokes, pathway="treat_and_transfer", bypass_minutes=0.0))
    np.testing.assert_array_equal(plain.routes.time_to_hub, zero.routes.time_to_hub)
    # plain: nearest of hubs and spokes first (a tie goes to the hub)
    m = net.area_site_minutes
    pos = net.site_positions(hubs + spokes)
    np.testing.assert_allclose(plain.routes.time_to_first, m[:, pos].min(axis=1), atol=1e-6)
    inf = evaluate(net, SERVICE, Option(name="i", hubs=hubs, spokes=spokes, pathway="treat_and_transfer", bypass_minutes=math.inf))
    direct = evaluate(net, SERVICE, Option(name="d", hubs=hubs))
    np.testing.assert_array_equal(inf.routes.time_to_hub, direct.routes.time_to_hub)
    np.testing.assert_array_equal(inf.routes.hub_site, direct.routes.hub_site)
