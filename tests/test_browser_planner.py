"""The planner in headless Chromium: optimising with today's hubs kept, messages in their own
panel and cleared once stale, the layout at 1024 pixels wide, the sites' labels on the map
and the report's colours. Launched and skipped as tests/test_browser.py."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from test_browser import HANG_MILLISECONDS, SITE_POSITION, Server, browser, choose, click_site  # noqa: F401  (fixture)
from test_web_planner_ux import EAST_SOUTH, cli_optimise

pytestmark = pytest.mark.browser

HUBS_ON_MAP = """() => {
  const sites = document.querySelector('#map .js-plotly-plot')._fullData.find(t => t.name === 'sites');
  return sites.customdata.filter((c, i) => sites.marker.symbol[i] === 'diamond');
}"""
SITES_SHOWN = ("(n) => document.querySelector('#map .js-plotly-plot')"
               "?._fullData?.find(t => t.name === 'sites')?.x?.length === n")


@contextmanager
def planner_page(tmp_path: Path, browser: Any, width: int = 1500, height: int = 950) -> Iterator[Any]:
    """A planner server and a page on it; the page is closed before the server stops
    (an open page keeps a connection that waitress would wait for)."""
    server = Server(tmp_path / "planner.db")
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.set_default_timeout(HANG_MILLISECONDS)
        page.goto(server.url)
        page.wait_for_selector("#map .js-plotly-plot")
        page.wait_for_selector("#summary-mean-hub")
        yield page
    finally:
        page.close()
        server.stop()


def hover_site(page: Any, code: str) -> str:
    """Point at a site and return its label once plotly shows it."""
    x, y = page.evaluate(SITE_POSITION, code)
    page.mouse.move(x, y)
    page.wait_for_function("(code) => { const t = document.querySelector('#map .hovertext');"
                           " return t && t.textContent.includes(code); }", arg=code)
    return str(page.evaluate("() => document.querySelector('#map .hovertext').textContent"))  # SVG: lines run on


def wait_text(page: Any, selector: str, text: str) -> None:
    page.wait_for_function("([s, t]) => { const e = document.querySelector(s); return e && e.textContent.includes(t); }",
                           arg=[selector, text])


def wait_empty(page: Any, selector: str) -> None:
    page.wait_for_function("(s) => { const e = document.querySelector(s); return e && e.textContent === ''; }",
                           arg=selector)


def test_optimise_keeping_todays_hubs(tmp_path: Path, browser: Any) -> None:
    with planner_page(tmp_path, browser) as page:
        choose(page, "area", "East of England (South)")
        page.wait_for_function(SITES_SHOWN, arg=10)  # 9 open today, 1 closed
        wait_text(page, "#opt-keep-today", "keep today's 1 hub")
        page.check("#opt-keep-today input")
        page.fill("#opt-k", "2")
        choose(page, "opt-method", "exact")
        page.click("#opt-run")
        wait_text(page, "#opt-progress", "done: hubs applied")
        page.wait_for_function("() => document.querySelector('#summary h2').textContent.startsWith('best 2')")
        hubs = page.evaluate(HUBS_ON_MAP)
        assert "CB20QQ" in hubs
        open_sites = "CB20QQ,CM17ET,SS165NL,SG14AB,LU40DZ,MK65LD,PE39GZ,SS00RY,WD180HB"  # today's hub and spokes
        cli = cli_optimise("--service", "thrombectomy", "--region", EAST_SOUTH, "--k", "2", "--keep", "CB20QQ",
                           "--pathway", "treat_and_transfer", "--spokes", open_sites, "--candidates", open_sites,
                           "--transfer-delay", "60", "--method", "exact")
        assert sorted(hubs) == sorted(cli["solution"]["sites"])
        expected = cli["evaluation"]["summary"]["time_to_hub"]["mean"]
        assert page.inner_text("#summary-mean-hub") == f"{expected:.1f}"

        # Too few hubs for the kept ones: said under Optimise, gone once k changes.
        page.fill("#opt-k", "")
        page.click("#opt-run")
        wait_text(page, "#opt-progress", "error: Hubs (k): give the number of hubs")
        page.fill("#opt-k", "3")
        page.press("#opt-k", "Tab")
        wait_empty(page, "#opt-progress")


def test_messages_stay_in_their_panel_and_clear_when_stale(tmp_path: Path, browser: Any) -> None:
    with planner_page(tmp_path, browser) as page:
        page.click("#save")  # no name yet
        wait_text(page, "#save-message", "Give the scenario a name first.")
        assert page.inner_text("#plan-message").startswith("Today's sites")  # the option's panel is untouched
        assert page.inner_text("#scenario-message") == ""
        click_site(page, "SO166YD")  # the option changes: the save error is stale
        wait_text(page, "#plan-message", "is now a spoke")
        wait_empty(page, "#save-message")

        page.fill("#scenario-name", "Southampton a spoke")
        page.click("#save")
        wait_text(page, "#save-message", "Saved 'Southampton a spoke' (version 1).")
        page.fill("#scenario-name", "Southampton a spoke")
        page.click("#save")  # the same name again, without 'replace'
        wait_text(page, "#save-message", "already")
        page.fill("#scenario-name", "another name")  # typing a new name makes it stale
        wait_empty(page, "#save-message")

        page.click("#load")  # nothing picked: said under the load button, not under the option
        wait_text(page, "#scenario-message", "Pick a saved scenario to load.")
        assert "is now a spoke" in page.inner_text("#plan-message")
        choose(page, "scenario-list", "Southampton a spoke")
        page.click("#load")
        wait_text(page, "#scenario-message", "Loaded 'Southampton a spoke'")
        click_site(page, "SO166YD")
        wait_empty(page, "#scenario-message")


LAYOUT = """() => {
  const table = document.querySelector('#sites-table');
  const scroller = table.querySelector('.dash-spreadsheet-container') || table;
  const box = (s) => { const r = document.querySelector(s).getBoundingClientRect();
                       return [r.left, r.right, r.width, r.height]; };
  return {page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
          table: [scroller.scrollWidth, scroller.clientWidth],
          cells: [...table.querySelectorAll('.dash-cell, .dash-header')].map(c => c.getBoundingClientRect().right),
          tableBox: box('#sites-table'), map: box('#map'), controls: box('.controls'), results: box('.results')};
}"""


@pytest.mark.parametrize("width", [1024, 1280, 1500])
def test_layout_and_sites_table_fit_the_window(tmp_path: Path, browser: Any, width: int) -> None:
    with planner_page(tmp_path, browser, width=width, height=768) as page:
        page.check("#show-sites input")
        page.wait_for_selector("#sites-table .dash-cell")
        page.wait_for_function("() => document.querySelector('#capacity-line')")
        got = page.evaluate(LAYOUT)
        page.screenshot(path=str(tmp_path / f"planner-{width}.png"), full_page=True)
        assert got["page"][0] <= got["page"][1], f"the page scrolls sideways at {width} px: {got}"
        assert got["table"][0] <= got["table"][1], f"the sites table scrolls sideways at {width} px: {got}"
        assert max(got["cells"]) <= got["tableBox"][1] + 0.5
        # every part usable: controls, map and results side by side or stacked, none squeezed
        assert got["controls"][2] >= 280 and got["map"][2] >= 380 and got["map"][3] >= 400
        assert got["results"][2] >= 380 and got["results"][1] <= width


def test_site_labels_on_hover_and_the_reports_colours(tmp_path: Path, browser: Any) -> None:
    from hubplan.report.figures import NO_ROUTE_COLOUR, TIME_COLOURS

    import hubplan

    with planner_page(tmp_path, browser) as page:
        name = hubplan.load_bundled().sites.loc["SO166YD", "site_name"]
        label = hover_site(page, "SO166YD")  # a thrombectomy centre today
        assert label.startswith(f"{name} (SO166YD)") and "hub:" in label and "min to get to this hub" in label
        click_site(page, "SO166YD")
        wait_text(page, "#plan-message", "is now a spoke")
        page.wait_for_function("(code) => { const s = document.querySelector('#map .js-plotly-plot')._fullData"
                               ".find(t => t.name === 'sites'); return s.hovertext[s.customdata.indexOf(code)]"
                               ".includes('spoke:'); }", arg="SO166YD")  # the map repainted
        page.mouse.move(5, 5)
        label = hover_site(page, "SO166YD")
        assert label.startswith(f"{name} (SO166YD)") and "spoke:" in label and "min by road" in label
        scale = page.evaluate("() => document.querySelector('#map .js-plotly-plot')"
                              "._fullData.find(t => t.name === 'areas (LSOA)').marker.colorscale")
        colours = [c for _, c in scale][::2]
        assert colours == [*TIME_COLOURS, NO_ROUTE_COLOUR]
