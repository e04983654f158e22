"""The planner's pieces without a browser: page plans, roles, map, outlines, jobs, offline assets, CLI."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from typer.testing import CliRunner

from hubplan.cli import app as cli_app
from hubplan.errors import InputError
from hubplan.planning.store import ScenarioStore
from hubplan.web import planner
from hubplan.web.figures import AREA_TRACE, SITE_TRACE, map_figure
from hubplan.web.jobs import JobRegistry
from hubplan.web.plans import Plan, evaluate_plan, parse_plan

HAMPSHIRE = "icb:NHS Hampshire and Isle of Wight Integrated Care Board"


def test_role_cycle() -> None:
    assert [planner.next_role(r, "treat_and_transfer") for r in ("closed", "hub", "spoke")] == ["hub", "spoke", "closed"]
    assert [planner.next_role(r, "direct") for r in ("closed", "hub", "spoke")] == ["hub", "closed", "hub"]


def test_with_role_moves_a_site_between_lists() -> None:
    page = {"hubs": ["A"], "spokes": ["B"], "name": "saved"}
    assert planner.with_role(page, "B", "hub") == {"hubs": ["A", "B"], "spokes": [], "name": None}
    assert planner.with_role(page, "A", "closed") == {"hubs": [], "spokes": ["B"], "name": None}
    with pytest.raises(InputError):
        planner.with_role(page, "A", "open")


def test_area_keys_round_trip() -> None:
    assert planner.area_location("all") == (None, None)
    assert planner.area_location("country:England") == ("England", None)
    assert planner.area_location(HAMPSHIRE) == (None, HAMPSHIRE)
    assert planner.area_key(None, "Hampshire and Isle of Wight") == HAMPSHIRE
    assert planner.area_key("england", None) == "country:England"
    values = [o["value"] for o in planner.area_options()]
    assert values[:3] == ["all", "country:England", "country:Wales"] and HAMPSHIRE in values


def test_today_plan_and_saved_parameters() -> None:
    today = planner.today_plan("thrombectomy", "country:England")
    assert len(today["hubs"]) == 24 and len(today["spokes"]) == 77 and today["pathway"] == "treat_and_transfer"
    vascular = planner.today_plan("vascular_arterial", HAMPSHIRE)
    assert vascular["hubs"] == [] and vascular["spokes"] == []
    page = planner.with_role(vascular, "SO166YD", "hub")
    plan = planner.to_plan(page)
    assert plan.region == HAMPSHIRE and plan.hubs == ("SO166YD",) and plan.spokes == ()
    back = planner.from_parameters(parse_plan(plan.to_json()).to_json())
    assert back["hubs"] == ["SO166YD"] and back["area"] == HAMPSHIRE and back["service"] == "vascular_arterial"
    direct = planner.to_plan({**page, "pathway": "direct", "spokes": ["PO63LY"]})
    assert direct.spokes is None  # spokes play no part in a direct pathway


def test_plans_are_cached() -> None:
    plan = Plan(service="vascular_arterial", region="Hampshire and Isle of Wight", hubs=("SO166YD",), pathway="direct")
    assert evaluate_plan(plan) is evaluate_plan(Plan(**plan.__dict__))


def test_map_figure_layers() -> None:
    page = planner.with_role(planner.today_plan("vascular_arterial", HAMPSHIRE), "SO166YD", "hub")
    network = planner.page_network(page)
    roles = planner.roles_of(network, page)
    ev = evaluate_plan(planner.to_plan(page))
    figure = map_figure(network, ev.routes.time_to_hub, roles, title="Hampshire")
    areas, sites = figure.data[AREA_TRACE], figure.data[SITE_TRACE]
    # the areas are the picture under the axes; their trace carries only the colour key
    (picture,) = figure.layout.images
    assert picture.source.startswith("data:image/png;base64,") and picture.layer == "below"
    assert (picture.xref, picture.yref, picture.sizing) == ("x", "y", "stretch")
    assert picture.x == figure.layout.xaxis.range[0] and picture.y == figure.layout.yaxis.range[1]
    assert areas.marker.showscale and list(areas.x) == [None]
    assert list(sites.customdata) == network.site_codes
    assert sites.marker.symbol[network.site_codes.index("SO166YD")] == "diamond"
    assert areas.hoverinfo == "skip"  # clicks go to sites, never to the areas beneath them
    assert all(t.type == "scatter" for t in figure.data)  # no WebGL: a click swaps a picture
    assert figure.layout.yaxis.scaleanchor == "x"


def test_job_registry_runs_reports_and_limits() -> None:
    registry = JobRegistry(max_running=1)
    release = __import__("threading").Event()

    def work(say):  # type: ignore[no-untyped-def]
        say("halfway")
        release.wait()
        return {"answer": 42}

    job = registry.start("test", work)
    with pytest.raises(InputError, match="optimisations are running"):
        registry.start("second", work)
    release.set()
    while registry.get(job.id).status == "running":  # type: ignore[union-attr]
        time.sleep(0.01)
    finished = registry.get(job.id)
    assert finished is not None and finished.status == "done" and finished.result == {"answer": 42}
    assert any("halfway" in line for line in finished.lines)

    def fail(say):  # type: ignore[no-untyped-def]
        raise InputError("k: too many")

    failed = registry.start("bad", fail)
    while registry.get(failed.id).status == "running":  # type: ignore[union-attr]
        time.sleep(0.01)
    assert registry.get(failed.id).error == "k: too many"  # type: ignore[union-attr]


def test_page_and_its_assets_are_served_locally() -> None:
    from hubplan.web.app import create_app

    client = create_app(ScenarioStore("sqlite://")).server.test_client()
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # no CDN, no external font
    sources = re.findall(r"src=\"([^\"]+)\"", html) + re.findall(r"href=\"([^\"]+\.css[^\"]*)\"", html)
    assert any("plotly" in s or "dash_core_components" in s for s in sources)
    for source in sources:
        assert client.get(source).status_code == 200, source
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200 and "map" in layout.get_data(as_text=True)


def test_serve_command_checks_its_options() -> None:
    runner = CliRunner()
    assert "Start the interactive planner" in runner.invoke(cli_app, ["serve", "--help"]).output
    bad = runner.invoke(cli_app, ["serve", "--port", "70000"])
    assert isinstance(bad.exception, InputError) and "--port: 70000" in str(bad.exception)


def test_browser_tests_skip_or_fail_without_chromium(monkeypatch, tmp_path) -> None:
    import test_browser

    monkeypatch.setattr(test_browser, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("HUBPLAN_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="browser tests skipped"):
        test_browser._require_browser()
    monkeypatch.setenv("HUBPLAN_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="HUBPLAN_REQUIRE_BROWSER=1"):
        test_browser._require_browser()


def test_html_report_of_the_option_against_today() -> None:
    from hubplan.web.app import _report_html

    start = planner.today_plan("thrombectomy", HAMPSHIRE)
    page = planner.with_role(start, "PO63LY", "hub")
    html = _report_html(page, "today", start, ScenarioStore("sqlite://"))
    assert html.lstrip().lower().startswith("<!doctype html") and "Today's sites" in html
    assert "This option" in html


def test_the_planner_ships_the_plotly_js_of_its_plotly_package() -> None:
    """The page loads the basic plotly.js bundle from the assets (1.2 MB, scatter and layout
    images are all the planner draws) instead of the full bundle (4.8 MB): the same version
    as the plotly package's own, with its licence beside it, and served as a package file."""
    import re
    from pathlib import Path

    import plotly

    import hubplan.web

    assets = Path(hubplan.web.__file__).parent / "assets"
    (bundle,) = assets.glob("plotly-basic-*.min.js")
    ours = re.search(r"plotly\.js \(basic - minified\) v([0-9.]+)", bundle.read_text(encoding="utf-8")[:300])
    full = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    theirs = re.search(r"plotly\.js v([0-9.]+)", full.read_text(encoding="utf-8")[:300])
    assert ours and theirs and ours.group(1) == theirs.group(1)
    assert bundle.name == f"plotly-basic-{theirs.group(1)}.min.js"
    assert "MIT License" in (assets / "plotly-basic-LICENSE.txt").read_text(encoding="utf-8")
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"hubplan.web" = ["assets/*"]' in pyproject
