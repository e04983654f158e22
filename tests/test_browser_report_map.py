"""The report's interactive map in headless Chromium: it draws, zooms, and hovering over an
area shows that area's code and name, its minutes to hub and its hospital, for the option
chosen; nothing is fetched from anywhere (the file works offline).

Skipped when /usr/bin/chromium is absent, unless HUBPLAN_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from test_browser import CHROMIUM, CHROMIUM_FLAGS, HANG_MILLISECONDS, _require_browser

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

pytestmark = pytest.mark.browser


def _tip(page) -> str:
    tip = page.locator("#interactive-map-tip")
    return tip.text_content() if tip.is_visible() else ""


def test_hover_shows_area_minutes_and_hospital(tmp_path):
    _require_browser()
    from playwright.sync_api import sync_playwright

    from hubplan.planning.scenario import load_scenario, run_scenario
    from hubplan.report import write_report

    appraisal = run_scenario(load_scenario(EXAMPLES / "essex_vascular.toml"))
    files = write_report(appraisal, tmp_path, pdf=False)
    areas = appraisal.network.areas
    sites = appraisal.network.sites["site_name"].astype(str).tolist()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.set_default_timeout(HANG_MILLISECONDS)
        errors: list[str] = []
        fetched: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: fetched.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.goto(files.html.as_uri())
        canvas = page.locator("#interactive-map")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        seen = 0
        for k, ev in enumerate(appraisal.evaluations):
            page.locator("#interactive-map-option").select_option(index=k)
            for fx, fy in [(0.5, 0.5), (0.4, 0.6), (0.6, 0.4), (0.55, 0.7)]:
                page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
                text = _tip(page)
                if not text or "(hub)" in text.split("\n")[0] or "(spoke)" in text.split("\n")[0]:
                    continue
                lines = text.split("\n")
                code, name = lines[0].split(" ", 1)
                i = areas.index.get_loc(code)
                assert name == areas["area_name"].iloc[i]
                minutes = float(ev.routes.time_to_hub[i])
                assert lines[1] == f"minutes to hub: {minutes:.1f} min"
                assert lines[2] == f"hospital (hub): {sites[int(ev.routes.hub_site[i])]}"
                first = int(ev.routes.first_site[i])
                if first != int(ev.routes.hub_site[i]):
                    assert lines[3] == (f"first hospital: {sites[first]} "
                                        f"({float(ev.routes.time_to_first[i]):.1f} min)")
                else:
                    assert len(lines) == 3
                seen += 1
        # zoom in at the centre: the area under the pointer is still named
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        for _ in range(3):
            page.mouse.wheel(0, -300)
        page.mouse.move(box["x"] + box["width"] / 2 + 1, box["y"] + box["height"] / 2 + 1)
        assert _tip(page) != ""
        pixels = np.frombuffer(canvas.screenshot(), dtype=np.uint8)
        browser.close()
    assert seen >= len(appraisal.evaluations)
    assert len(pixels) > 1000  # something was drawn
    assert errors == [] and fetched == []
