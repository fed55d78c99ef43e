"""The Content-Security-Policy in a real Chromium: the pages that use Dash's inline scripts,
Plotly, dash-ag-grid and the playlist iframes render under it with no violation in the console
(issue 13, item 7)."""

from __future__ import annotations

import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import _served, console_messages

pytestmark = pytest.mark.browser

# (path, a CSS selector that exists once the page has really been drawn by its scripts)
PAGES = [
    ("/", "#wall-content [data-kpi]"),
    ("/dossiers", ".js-plotly-plot .main-svg"),
    ("/units/SO-01", "#actions-grid .ag-root"),
    ("/wall?playlist=tong-quan", "iframe.ioc-playlist__frame--shown"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A short simulated history: enough for charts and the action grid to have rows."""
    served = _served(tmp_path_factory, ["--days", "14"])
    yield served
    served.stop()


def load_page(browser, url: str, ready_css: str, timeout: float = 40) -> None:
    """Open ``url`` as a visitor would and wait until ``ready_css`` is drawn.

    The one place a page is loaded in this module: a sign-in step goes here once pages need one.
    """
    browser.get(url)
    WebDriverWait(browser, timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, ready_css)))


def csp_problems(messages: list[dict]) -> list[str]:
    return [
        m["message"]
        for m in messages
        if "Content Security Policy" in m["message"] or "Content-Security-Policy" in m["message"]
    ]


@pytest.mark.parametrize(("path", "ready_css"), PAGES, ids=[p for p, _ in PAGES])
def test_page_renders_under_the_csp_with_no_violation(server, browser, path, ready_css):
    with urllib.request.urlopen(server.url + path, timeout=10) as response:
        policy = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self' 'sha256-" in policy
        and "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";")[0]
    )
    console_messages(browser)  # forget earlier pages
    load_page(browser, server.url + path, ready_css)
    if path.startswith("/wall"):
        frame = browser.find_element(By.CSS_SELECTOR, "iframe.ioc-playlist__frame--shown")
        browser.switch_to.frame(frame)
        try:  # the framed slide ran its own scripts under frame-ancestors 'self'
            WebDriverWait(browser, 40).until(
                EC.presence_of_element_located((By.CSS_SELECTOR, ".ioc-page.ioc-kiosk"))
            )
        finally:
            browser.switch_to.default_content()
    else:
        # Give callbacks a moment to finish drawing (clientside callbacks are inline scripts too).
        WebDriverWait(browser, 20).until(
            lambda d: d.execute_script("return !document.querySelector('[data-dash-is-loading=\"true\"]')")
        )
    messages = console_messages(browser)
    assert csp_problems(messages) == []
    assert [m for m in messages if m["level"] == "SEVERE"] == []


def test_a_violation_would_be_seen(server, browser):
    """The check above can fail: an inline script injected into the page is refused and logged."""
    load_page(browser, server.url + "/dossiers", ".js-plotly-plot .main-svg")
    console_messages(browser)
    browser.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
        "document.body.appendChild(s);"
    )
    assert browser.execute_script("return window.__ran === undefined")
    seen: list[dict] = []

    def refused(driver) -> list[str]:
        seen.extend(driver.get_log("browser"))
        return csp_problems(seen)

    assert "inline script" in WebDriverWait(browser, 5).until(refused)[0]
