"""Sign-in end to end in headless Chromium: a viewer signs in on the form, sees their name
and role, cannot save (the page's callback is refused), signs out; an editor signs in and
saves under their own name. Dash's page script must send the CSRF token by itself.

Skipped when /usr/bin/chromium is absent, unless HUBPLAN_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from test_browser import HANG_MILLISECONDS, Server, browser  # noqa: F401  (fixture)

PASSWORDS = {"vera": "viewer password 1", "ed": "editor password 1"}

pytestmark = pytest.mark.browser


def with_accounts(app: Any, store: Any) -> None:
    """Sign-in as ``--auth accounts`` turns it on, with a viewer (vera) and an editor (ed)."""
    from hubplan.planning.accounts import AccountStore
    from hubplan.web.auth import AuthMode, AuthSettings, install

    accounts = AccountStore(store.engine, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    accounts.add("vera", PASSWORDS["vera"], "viewer")
    accounts.add("ed", PASSWORDS["ed"], "editor")
    install(app, AuthSettings(mode=AuthMode.ACCOUNTS, secret=b"browser-test-secret-0123456789abcdef"),
            accounts=accounts)


def sign_in(page: Any, name: str) -> None:
    page.wait_for_selector("form[action='/sign-in']")
    page.fill("#name", name)
    page.fill("#password", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_selector("#map .js-plotly-plot")
    page.wait_for_selector("#summary-mean-hub")


def test_viewer_cannot_save_editor_saves_as_themselves(tmp_path: Path, browser: Any) -> None:
    server = Server(tmp_path / "team.db", configure=with_accounts)
    context = browser.new_context(viewport={"width": 1500, "height": 950})
    try:
        page = context.new_page()
        page.set_default_timeout(HANG_MILLISECONDS)
        page.goto(server.url)
        assert "/sign-in" in page.url
        page.fill("#name", "vera")
        page.fill("#password", "not the password")
        page.click("button[type=submit]")
        assert "Wrong account name or password" in page.inner_text(".message")
        sign_in(page, "vera")
        assert page.inner_text("#signed-in-name") == "vera" and page.inner_text("#signed-in-role") == "viewer"

        page.fill("#user", "mallory")
        page.fill("#scenario-name", "viewer's try")
        # the page greys a viewer's Save out (it takes no clicks); a click sent to it anyway is refused
        assert page.eval_on_selector("#save", "b => getComputedStyle(b).pointerEvents") == "none"
        with page.expect_response(lambda r: "_dash-update-component" in r.url and r.status == 403) as refused:
            page.dispatch_event("#save", "click")
        assert refused.value.json()["error"].startswith("vera is a viewer:")
        assert server.store.list() == []

        page.click("#sign-out")
        page.wait_for_selector("form[action='/sign-in']")
        page.goto(server.url)
        sign_in(page, "ed")
        assert page.inner_text("#signed-in-role") == "editor"
        page.fill("#user", "mallory")
        page.fill("#scenario-name", "editor's plan")
        page.click("#save")
        page.wait_for_function("() => document.querySelector('#save-message').textContent.includes('Saved')")
        assert [(s.name, s.saved_by) for s in server.store.list()] == [("editor's plan", "ed")]
    finally:
        context.close()  # its open connections would keep the server's loop running
        server.stop()
