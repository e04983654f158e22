"""The planner's optimise-with-kept-hubs request, its sites' map labels and its sites table,
without a browser (tests/test_browser_planner.py drives the same in Chromium)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

import hubplan
from hubplan.errors import InputError
from hubplan.web import planner
from hubplan.web.figures import site_hover
from hubplan.web.plans import evaluate_plan, run_optimisation

EAST_SOUTH = "isdn:East of England (South)"
HAMPSHIRE = "icb:NHS Hampshire and Isle of Wight Integrated Care Board"


def hubplan_executable() -> str:
    found = Path(sys.executable).with_name("hubplan")
    return str(found) if found.exists() else str(shutil.which("hubplan"))


def cli_optimise(*args: str) -> dict:
    done = subprocess.run([hubplan_executable(), "optimise", *args, "--format", "json"], capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": "200"}, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def east_south() -> dict:
    return planner.today_plan("thrombectomy", EAST_SOUTH)


def test_keep_todays_hubs_matches_the_cli_and_brute_force(east_south: dict) -> None:
    page = east_south
    assert page["hubs"] == ["CB20QQ"] and len(page["spokes"]) == 8  # Cambridge is today's only centre here
    keep = planner.keep_codes(page, today=True)
    assert keep == ["CB20QQ"]
    request = planner.optimise_request(page, 2, "exact", 60, keep)
    solution, evaluation, option = run_optimisation(request)
    assert "CB20QQ" in option.hubs

    # The same question on the command line: treat and transfer among the page's open sites.
    open_sites = ",".join(page["hubs"] + page["spokes"])
    kept = cli_optimise("--service", "thrombectomy", "--region", EAST_SOUTH, "--k", "2", "--keep", "CB20QQ",
                        "--pathway", "treat_and_transfer", "--spokes", open_sites, "--candidates", open_sites,
                        "--transfer-delay", "60", "--method", "exact")
    assert sorted(option.hubs) == sorted(kept["solution"]["sites"])
    assert evaluation.summary["time_to_hub"]["mean"] == pytest.approx(
        kept["evaluation"]["summary"]["time_to_hub"]["mean"], rel=1e-9)

    # Brute force: Cambridge and each other open site as the second hub, the rest spokes.
    network = hubplan.load_bundled().restrict(region=EAST_SOUTH)
    service = hubplan.Service.preset("thrombectomy")
    sites = page["hubs"] + page["spokes"]
    means = {}
    for other in sites[1:]:
        hubs = ("CB20QQ", other)
        ev = hubplan.evaluate(network, service, hubplan.Option(
            name=other, hubs=hubs, spokes=tuple(c for c in sites if c not in hubs), pathway="treat_and_transfer"))
        means[other] = ev.summary["time_to_hub"]["mean"]
    best = min(means, key=lambda c: means[c])
    assert sorted(option.hubs) == sorted(("CB20QQ", best))

    # Keeping matters here: without it the best two leave Cambridge out.
    free = cli_optimise("--service", "thrombectomy", "--region", EAST_SOUTH, "--k", "2",
                        "--pathway", "treat_and_transfer", "--spokes", open_sites, "--candidates", open_sites,
                        "--transfer-delay", "60", "--method", "exact")
    assert "CB20QQ" not in free["solution"]["sites"]
    free_means = {}
    for pair in combinations(sites, 2):
        ev = hubplan.evaluate(network, service, hubplan.Option(
            name="x", hubs=pair, spokes=tuple(c for c in sites if c not in pair), pathway="treat_and_transfer"))
        free_means[pair] = ev.summary["time_to_hub"]["mean"]
    assert sorted(min(free_means, key=lambda p: free_means[p])) == sorted(free["solution"]["sites"])


def test_kept_sites_closed_on_the_page_may_still_be_hubs(east_south: dict) -> None:
    page = planner.with_role(east_south, "CB20QQ", "closed")
    request = planner.optimise_request(page, 2, "heuristic", 30, ["CB20QQ"])
    assert "CB20QQ" in request.candidates and request.keep == ("CB20QQ",)
    assert "CB20QQ" in run_optimisation(request)[2].hubs


def test_keep_messages(east_south: dict) -> None:
    with pytest.raises(InputError, match="2 sites are kept as hubs, so k must be at least 2"):
        planner.optimise_request(east_south, 1, keep=["CB20QQ", "SS165NL"])
    with pytest.raises(InputError, match=r"Hubs \(k\): give the number of hubs"):
        planner.optimise_request(east_south, None)
    vascular = planner.today_plan("vascular_arterial", HAMPSHIRE)
    with pytest.raises(InputError, match="this service has no hubs today in this region"):
        planner.keep_codes(vascular, today=True)
    # picked sites outside the page's region (picked before the region changed) are dropped
    assert planner.keep_codes(vascular, today=False, picked=["SO166YD", "CB20QQ"]) == ["SO166YD"]


def test_direct_optimisation_keeps_the_picked_site() -> None:
    page = planner.with_role(planner.today_plan("vascular_arterial", HAMPSHIRE), "SO166YD", "hub")
    request = planner.optimise_request(page, 2, "exact", 30, ["PO63LY"])
    assert request.plan.pathway == "direct" and request.candidates is None
    hubs = run_optimisation(request)[2].hubs
    cli = cli_optimise("--service", "vascular_arterial", "--region", "Hampshire and Isle of Wight", "--k", "2",
                       "--keep", "PO63LY", "--pathway", "direct", "--method", "exact")
    assert sorted(hubs) == sorted(cli["solution"]["sites"]) and "PO63LY" in hubs


def test_site_labels_name_the_role_and_the_minutes() -> None:
    page = planner.with_role(planner.today_plan("vascular_arterial", HAMPSHIRE), "SO166YD", "hub")
    network = planner.page_network(page)
    roles = planner.roles_of(network, page)
    labels = site_hover(network, roles, evaluate_plan(planner.to_plan(page)))
    j = network.site_codes.index("SO166YD")
    # By hand: one hub, direct, so everyone goes to Southampton; demand = population 60+ x 0.0006235.
    weights = network.areas["population_60_plus"].to_numpy(dtype=float) * 0.0006235
    minutes = network.area_site_minutes[:, j].astype(float)
    mean = float(np.sum(weights * minutes) / np.sum(weights))
    name = network.sites.loc["SO166YD", "site_name"]
    assert labels[j].startswith(f"<b>{name}</b> (SO166YD)<br>hub: {weights.sum():,.0f} patients a year")
    assert f"on average {mean:.1f} min" in labels[j]
    closed = next(i for i, r in enumerate(roles) if r == "closed")
    road = network.site_site_minutes[closed, j]  # the only hub is the nearest
    assert f"<br>closed: nearest hub {name}, {road:.0f} min by road<br>" in labels[closed]


def test_spoke_labels_give_the_transfer() -> None:
    page = planner.today_plan("thrombectomy", EAST_SOUTH)
    network = planner.page_network(page)
    ev = evaluate_plan(planner.to_plan(page))
    labels = site_hover(network, planner.roles_of(network, page), ev)
    i = network.site_codes.index("SS165NL")
    road = network.site_site_minutes[i, network.site_codes.index("CB20QQ")]
    assert "spoke:" in labels[i]
    assert f"transfers to {network.sites.loc['CB20QQ', 'site_name']}, {road:.0f} min by road (+60 min" in labels[i]


def test_sites_table_columns_are_few_and_short() -> None:
    from hubplan.web.panels import SITE_COLUMNS, sites_table
    from hubplan.web.plans import capacity_json

    page = planner.today_plan("thrombectomy", "country:England")
    ev = evaluate_plan(planner.to_plan(page))
    div = sites_table(ev, capacity_json(ev))
    table = div.children[1]
    assert [c["id"] for c in table.columns] == [key for key, _n, _m in SITE_COLUMNS]
    assert len(table.columns) <= 8 and max(len(c["name"]) for c in table.columns) <= 10
    rows = {r["site"].rsplit("(", 1)[1].rstrip(")"): r for r in table.data}
    hub, spoke = rows["CB20QQ"], next(r for r in table.data if r["role"] == "spoke")
    sites = ev.sites
    assert hub["transfers"] == pytest.approx(round(sites.loc["CB20QQ", "hub_patients_transferred_in"], 1))
    code = spoke["site"].rsplit("(", 1)[1].rstrip(")")
    assert spoke["transfers"] == pytest.approx(round(sites.loc[code, "transfers_out"], 1))
    assert spoke["hub_patients"] is None and spoke["catchment"] is None
    # the standards not met are listed under the table, in words
    flagged = [r for r in capacity_json(ev)["sites"] if r["flags"]]
    assert flagged
    line = next(c for c in div.children if getattr(c, "id", None) == "flags-line").children
    assert "_" not in line
    for r in flagged:
        assert r["site_name"] in line
    if any("below_min_patients" in r["flags"] for r in flagged):
        assert "patients below minimum" in line
