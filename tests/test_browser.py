"""End to end in headless Chromium (Debian's package, driven by Playwright for Python).

A new user opens the planner, clicks Southampton to make it the single vascular hub for
Hampshire, sees the result, saves it; the server restarts and a colleague loads it.

Skipped when /usr/bin/chromium is absent, unless HUBPLAN_REQUIRE_BROWSER=1 (CI), where
its absence fails.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
#: How long a wait may last before the test reports a hang (not a performance limit).
HANG_MILLISECONDS = int(__import__("os").environ.get("HUBPLAN_HANG_MS", "120000"))

pytestmark = pytest.mark.browser


def _require_browser() -> None:
    required = os.environ.get("HUBPLAN_REQUIRE_BROWSER") == "1"
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is absent (install Debian's chromium package)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (pip install -e '.[test]')"
    if problem:
        if required:
            pytest.fail(f"browser tests required (HUBPLAN_REQUIRE_BROWSER=1) but {problem}")
        pytest.skip(f"browser tests skipped: {problem}")


class Server:
    """The planner under waitress on a free loopback port, in a thread."""

    def __init__(self, db: Path, configure: Callable[[Any, Any], None] | None = None) -> None:
        """``configure(app, store)``, if given, runs before the server starts (e.g. sign-in)."""
        from waitress import create_server

        from hubplan.planning.store import ScenarioStore
        from hubplan.web.app import create_app

        self.store = ScenarioStore(db)
        self.app = create_app(self.store)
        if configure is not None:
            configure(self.app, self.store)
        self.server = create_server(self.app.server, host="127.0.0.1", port=0, threads=4)
        self.url = f"http://127.0.0.1:{self.server.effective_port}/"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and wait for the server's thread.

        waitress' loop runs while any connection is open, and a browser keeps idle ones
        open well after its page is closed (closing only the listener left the thread
        running, and ``join`` waiting for it, for minutes). So the requests being served
        are let finish, then the listener, every connection and the loop's wake-up
        trigger are closed in the loop's own thread (by a function handed to the trigger),
        which leaves the loop nothing to wait on."""
        from waitress import wasyncore

        self.server.task_dispatcher.shutdown()

        def close_everything() -> None:
            wasyncore.dispatcher.close(self.server)  # the listener: no new connections
            for channel in list(self.server._map.values()):
                if channel is not self.server.trigger:
                    channel.close()
            self.server.trigger.close()

        self.server.trigger.pull_trigger(close_everything)
        self.thread.join(HANG_MILLISECONDS / 1000)
        if self.thread.is_alive():
            raise AssertionError("the planner's server thread did not stop")
        self.store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


SITE_POSITION = """(code) => {
  const gd = document.querySelector('#map .js-plotly-plot');
  const sites = gd._fullData.find(t => t.name === 'sites');
  const i = sites.customdata.indexOf(code);
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
  return [box.left + xa._offset + xa.l2p(sites.x[i]), box.top + ya._offset + ya.l2p(sites.y[i])];
}"""


def open_page(browser: object, url: str) -> object:
    page = browser.new_page(viewport={"width": 1500, "height": 950})  # type: ignore[attr-defined]
    page.set_default_timeout(HANG_MILLISECONDS)
    page.goto(url)
    page.wait_for_selector("#map .js-plotly-plot")
    return page


#: Resolves after two animation frames, which gives a callback that was just asked for
#: (the map's redraw after a load, say) time to mark its outputs as loading.
TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
MAP_IDLE = "() => !document.querySelector('#map[data-dash-is-loading]')"


def click_site(page: object, code: str) -> None:
    """Point at a site, wait for its label (plotly picks the hovered point), click.

    The map must be still when it is clicked: plotly takes a click for the point it last
    hovered, and a redraw in between (after a scenario is loaded, say) forgets it, so the
    click is lost. So the mouse first leaves (a label left from an earlier hover at the
    same place says nothing about the figure drawn now), the map's pending update is
    waited for, and the site is hovered afresh."""
    x, y = page.evaluate(SITE_POSITION, code)  # type: ignore[attr-defined]
    page.mouse.move(0, 0)  # type: ignore[attr-defined]
    page.wait_for_function("() => !document.querySelector('#map .hovertext')")  # type: ignore[attr-defined]
    page.evaluate(TWO_FRAMES)  # type: ignore[attr-defined]
    page.wait_for_function(MAP_IDLE)  # type: ignore[attr-defined]
    page.mouse.move(x, y)  # type: ignore[attr-defined]
    page.wait_for_function("(code) => { const t = document.querySelector('#map .hovertext');"  # type: ignore[attr-defined]
                           " return t && t.textContent.includes(code); }", arg=code)
    page.mouse.click(x, y)  # type: ignore[attr-defined]


def choose(page: object, dropdown: str, text: str) -> None:
    page.click(f"#{dropdown}")  # type: ignore[attr-defined]
    page.fill(".dash-dropdown-search", text)  # type: ignore[attr-defined]
    page.click(f"[role=option]:has-text('{text}')")  # type: ignore[attr-defined]


def text_changes(page: object, selector: str, before: str) -> str:
    page.wait_for_function(  # type: ignore[attr-defined]
        "([s, b]) => { const e = document.querySelector(s); return e && e.textContent !== b; }", arg=[selector, before])
    return page.inner_text(selector)  # type: ignore[attr-defined]


def test_page_is_served_from_this_machine_only(tmp_path: Path, browser: object) -> None:
    server = Server(tmp_path / "offline.db")
    try:
        page = open_page(browser, server.url)
        outside: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(server.url) or r.url.startswith("data:")  # type: ignore[attr-defined]
                else outside.append(r.url))
        page.reload()  # type: ignore[attr-defined]
        page.wait_for_selector("#summary-mean-hub")  # type: ignore[attr-defined]
        assert outside == []
        page.close()  # type: ignore[attr-defined]
    finally:
        server.stop()


def test_click_a_hub_see_the_summary_save_restart_and_reload(tmp_path: Path, browser: object) -> None:
    import hubplan

    db = tmp_path / "team.db"
    server = Server(db)
    try:
        page = open_page(browser, server.url)
        # national thrombectomy network: Southampton is a centre today; a click makes it a spoke
        before = page.inner_text("#summary-mean-hub")  # type: ignore[attr-defined]
        click_site(page, "SO166YD")
        after = text_changes(page, "#summary-mean-hub", before)
        assert float(after) > float(before)
        assert "is now a spoke" in page.inner_text("#plan-message")  # type: ignore[attr-defined]

        # the user: vascular, Hampshire, Southampton the single hub
        choose(page, "service", "Vascular")
        page.wait_for_selector("#summary-problem")  # type: ignore[attr-defined]
        choose(page, "area", "Hampshire and Isle of Wight Integrated")
        page.wait_for_function("() => document.querySelector('#map .js-plotly-plot')"  # type: ignore[attr-defined]
                               "?._fullData?.find(t => t.name === 'sites')?.x?.length === 4")
        click_site(page, "SO166YD")
        page.wait_for_selector("#summary-mean-hub")  # type: ignore[attr-defined]
        network = hubplan.load_bundled().restrict(region="Hampshire and Isle of Wight")
        expected = hubplan.evaluate(network, hubplan.Service.preset("vascular_arterial"),
                                    hubplan.Option(name="x", hubs=("SO166YD",)))
        assert page.inner_text("#summary-mean-hub") == f"{expected.summary['time_to_hub']['mean']:.1f}"  # type: ignore[attr-defined]

        page.fill("#user", "A. Planner")  # type: ignore[attr-defined]
        page.fill("#scenario-name", "Southampton only")  # type: ignore[attr-defined]
        page.click("#save")  # type: ignore[attr-defined]
        page.wait_for_function("() => document.querySelector('#save-message').textContent"  # type: ignore[attr-defined]
                               ".includes('Saved')")
        page.close()  # type: ignore[attr-defined]
    finally:
        server.stop()

    colleague = Server(db)  # a restart: a new process would see the same file
    try:
        assert [s.name for s in colleague.store.list()] == ["Southampton only"]
        page = open_page(browser, colleague.url)
        page.wait_for_selector("#summary-mean-hub")  # type: ignore[attr-defined]
        choose(page, "scenario-list", "Southampton only")
        before = page.inner_text("#summary-mean-hub")  # type: ignore[attr-defined]
        page.click("#load")  # type: ignore[attr-defined]
        assert text_changes(page, "#summary-mean-hub", before) == f"{expected.summary['time_to_hub']['mean']:.1f}"
        assert "Southampton only" in page.inner_text("#summary")  # type: ignore[attr-defined]
        assert "saved by A. Planner" in page.inner_text("#scenario-message")  # type: ignore[attr-defined]
        page.close()  # type: ignore[attr-defined]
    finally:
        colleague.stop()


def test_demand_typed_in_the_planner(tmp_path: Path, browser: object) -> None:
    import hubplan

    server = Server(tmp_path / "demand.db")
    try:
        page = open_page(browser, server.url)
        assert page.get_attribute("#demand", "placeholder") == "stroke_admissions"  # type: ignore[attr-defined]
        choose(page, "service", "Vascular")
        page.wait_for_function("() => document.querySelector('#demand').placeholder"  # type: ignore[attr-defined]
                               " === 'population_60_plus * 0.0006235'")
        choose(page, "area", "Hampshire and Isle of Wight Integrated")
        page.wait_for_function("() => document.querySelector('#map .js-plotly-plot')"  # type: ignore[attr-defined]
                               "?._fullData?.find(t => t.name === 'sites')?.x?.length === 4")
        click_site(page, "SO166YD")
        page.wait_for_selector("#summary-patients")  # type: ignore[attr-defined]
        assert "population_60_plus * 0.0006235 (PROXY" in page.inner_text("#summary")  # type: ignore[attr-defined]
        births = float(hubplan.load_bundled().restrict(region="Hampshire and Isle of Wight").areas["births"].sum())
        before = page.inner_text("#summary-patients")  # type: ignore[attr-defined]
        page.fill("#demand", "births / 2")  # type: ignore[attr-defined]
        page.press("#demand", "Enter")  # type: ignore[attr-defined]
        assert text_changes(page, "#summary-patients", before) == f"{births / 2:,.0f}"
        assert "births / 2 (source user override)" in page.inner_text("#summary")  # type: ignore[attr-defined]
        page.fill("#demand", "births +")  # type: ignore[attr-defined]
        page.press("#demand", "Enter")  # type: ignore[attr-defined]
        page.wait_for_selector("#summary-problem")  # type: ignore[attr-defined]
        assert "demand 'births +': syntax error at the end" in page.inner_text("#summary-problem")  # type: ignore[attr-defined]
        page.close()  # type: ignore[attr-defined]
    finally:
        server.stop()
