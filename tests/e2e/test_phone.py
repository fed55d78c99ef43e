"""Every page on a phone (issue 16, item 6): 360, 390 and 430 px wide, as a phone browser lays it
out (mobile emulation, so a page too wide would widen the layout viewport), nothing is wider than
the screen, the header leaves most of the first screen to the figures, and tiles sit one or two
to a row.
"""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.browser
WIDTHS = (360, 390, 430)
HEIGHT = 800
MONITOR = "e2e-theo-doi"
#: Every page a person opens (the monitoring role for /sources and /rejects, which leadership
#: may not open; the overview and the playlist chooser; a unit's own page).
PAGES = (
    "/",
    "/documents",
    "/dossiers",
    "/meetings",
    "/units",
    "/units/SO-01",
    "/units/BMP",
    "/wall",
    "/sources",
    "/rejects",
    "/no-such-page",
)

MEASURE = """
const W = arguments[0];
const doc = document.documentElement;
const header = document.querySelector('.ioc-header');
const wide = [];
for (const el of document.querySelectorAll('body *')) {
  const r = el.getBoundingClientRect();
  if (r.width && r.right > W + 1) {
    // Fine when an ancestor that fits the screen scrolls or clips it (a grid's own scrollbar).
    let p = el.parentElement, scrolls = false;
    while (p && !scrolls) { scrolls = getComputedStyle(p).overflowX !== 'visible' && p.getBoundingClientRect().right <= W + 1;
      p = p.parentElement; }
    if (!scrolls) wide.push([el.tagName, el.id, el.className.toString().slice(0, 40), Math.round(r.right)]);
  }
}
const rows = {};
for (const t of document.querySelectorAll('.ioc-tile')) {
  const r = t.getBoundingClientRect(); if (r.width) rows[Math.round(r.top)] = (rows[Math.round(r.top)] || 0) + 1;
}
return {inner: innerWidth, scroll: doc.scrollWidth, header: header ? header.getBoundingClientRect().height : 0,
        wide: wide.slice(0, 6), perRow: Math.max(0, ...Object.values(rows))};
"""


@pytest.fixture(scope="module")
def monitor(demo_server):
    demo_server.add_account(MONITOR, "theo_doi:BMP")
    return MONITOR


def test_every_page_fits_a_phone_from_360_to_430_px(demo_server, browser, monitor):
    failures = []
    try:
        for account in (None, monitor):
            if account:
                demo_server.sign_in(browser, account)
            for width in WIDTHS:
                browser.execute_cdp_cmd(
                    "Emulation.setDeviceMetricsOverride",
                    {"width": width, "height": HEIGHT, "deviceScaleFactor": 2, "mobile": True},
                )
                for path in PAGES:
                    browser.get(demo_server.url + path)
                    try:
                        WebDriverWait(browser, 30).until(
                            lambda d: d.execute_script(
                                "return document.fonts.status === 'loaded' && !!document.querySelector('main, .ioc-plain')"
                            )
                        )
                    except Exception as exc:
                        raise AssertionError(
                            f"{path} at {width} px did not render: {browser.page_source[:300]}"
                        ) from exc
                    time.sleep(1.2)  # charts and grids size themselves to the screen
                    m = browser.execute_script(MEASURE, width)
                    problems = []
                    if m["inner"] != width or m["scroll"] > width or m["wide"]:
                        problems.append(
                            f"layout {m['inner']} px, document {m['scroll']} px, too wide: {m['wide']}"
                        )
                    if m["header"] > 0.3 * HEIGHT:
                        problems.append(f"header {m['header']:.0f} px of {HEIGHT}")
                    if m["perRow"] > 2:
                        problems.append(f"{m['perRow']} tiles in a row")
                    if problems:
                        failures.append(
                            f"{path} at {width} px ({account or 'leadership'}): " + "; ".join(problems)
                        )
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert not failures, "\n".join(failures)
