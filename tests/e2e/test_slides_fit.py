"""Every slide of the shipped playlists fits its wall screen (issue 16, item 1).

The playlist page resolves its slides (a "weakest unit" slide becomes today's unit); each slide is
then opened as the wall opens it, in kiosk mode, at 1920×1080 and 3840×2160, and must show no
scrollbar and cut nothing off: the document is no larger than the screen, and no card, tile,
chart or table inside the page's (clipping) frame reaches past the screen or hides part of its
content. The burn-in drift of a few pixels is allowed for.
"""

from __future__ import annotations

import json
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.playlists import SHIPPED_FILE, load_playlists
from tests.e2e.test_wall import set_viewport

pytestmark = pytest.mark.browser
SIZES = ((1920, 1080), (3840, 2160))
#: assets/wall.js moves kiosk pages a few pixels against burn-in.
DRIFT_PX = 4

MEASURE = """
const W = innerWidth, H = innerHeight, drift = arguments[0];
const doc = document.documentElement;
const out = {doc: [doc.scrollWidth, doc.scrollHeight, W, H], outside: [], clipped: []};
const boxes = document.querySelectorAll(
  '.ioc-main, .ioc-tile, .dom-card, .dom-graph, .dom-stat, .dom-agenda__item, .ioc-table, .ioc-table tr, ' +
  '.ioc-wall__panel, .ioc-wall__domain, .ioc-header');
for (const el of boxes) {
  const r = el.getBoundingClientRect();
  if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
  const name = (el.id || el.className.toString().split(' ')[0]) + ' ' + (el.textContent || '').trim().slice(0, 40);
  if (r.bottom > H + drift || r.right > W + drift || r.top < -drift || r.left < -drift)
    out.outside.push([name, Math.round(r.left), Math.round(r.top), Math.round(r.right), Math.round(r.bottom)]);
  const style = getComputedStyle(el);
  if ((style.overflowY === 'hidden' || style.overflowX === 'hidden') &&
      (el.scrollHeight > el.clientHeight + 2 || el.scrollWidth > el.clientWidth + 2))
    out.clipped.push([name, el.scrollWidth, el.clientWidth, el.scrollHeight, el.clientHeight]);
}
return out;
"""


def shipped_slides(browser, server) -> list[tuple[str, int, str]]:
    """(playlist, slide number, URL) of every slide, as the playlist page resolved them."""
    slides = []
    for name in load_playlists(SHIPPED_FILE):
        browser.get(f"{server.url}/wall?playlist={name}&lang=vi")
        host = WebDriverWait(browser, 30).until(
            lambda d: (
                d.find_elements(By.ID, "wall-playlist") or d.find_elements(By.ID, "wall-playlist-problems")
            )
        )[0]
        assert host.get_attribute("id") == "wall-playlist", host.text  # the shipped file is valid
        for number, slide in enumerate(json.loads(host.get_attribute("data-slides")), start=1):
            slides.append((name, number, slide["url"]))
    return slides


def wait_rendered(browser) -> None:
    """The page, its figures and its fonts are in place (a wall shows a slide only then too)."""
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script(
            "return document.fonts.status === 'loaded' && !!document.querySelector('.ioc-page main') "
            "&& [...document.querySelectorAll('.dom-graph')].every(g => g.querySelector('.main-svg'))"
        )
    )
    if browser.find_elements(By.CSS_SELECTOR, ".ioc-wall-page"):
        WebDriverWait(browser, 30).until(
            lambda d: d.execute_script(
                "const w = window.iocWall; return document.documentElement.hasAttribute('data-wall-scale')"
                " && !!w && w.fittedAt >= w.changedAt + 1000"
            )
        )
    time.sleep(0.8)  # Plotly's resize to its box, the fit of the overview wall


def test_every_slide_of_the_shipped_playlists_fits_both_wall_sizes(demo_server, browser):
    slides = shipped_slides(browser, demo_server)
    assert len(slides) >= 6 and any("/dossiers" in url for _, _, url in slides)
    failures = []
    try:
        for width, height in SIZES:
            set_viewport(browser, width, height)
            for name, number, url in slides:
                browser.get(demo_server.url + url)
                try:
                    wait_rendered(browser)
                except Exception as exc:
                    raise AssertionError(f"{url} at {width}×{height} did not render") from exc
                m = browser.execute_script(MEASURE, DRIFT_PX)
                sw, sh, w, h = m["doc"]
                assert (w, h) == (width, height)
                if sw > w or sh > h or m["outside"] or m["clipped"]:
                    failures.append(
                        f"{name} #{number} {url} at {width}×{height}: document {sw}×{sh}, "
                        f"outside {m['outside'][:4]}, clipped {m['clipped'][:4]}"
                    )
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert not failures, "\n".join(failures)


def test_a_wall_layout_scales_its_charts_with_the_screen(demo_server, browser):
    """At 3840×2160 a kiosk page is its 1080p layout zoomed twice: chart text and lines are twice
    as large on screen, not 12 px lines lost on a 4K wall."""
    sizes = {}
    try:
        for width, height in SIZES:
            set_viewport(browser, width, height)
            browser.get(demo_server.url + "/dossiers?period=mtd&kiosk=1")
            wait_rendered(browser)
            sizes[width] = browser.execute_script("""
                const tick = document.querySelector('#dossiers-outcomes .xtick text');
                const legend = document.querySelector('#dossiers-outcomes .legendtext');
                const value = document.querySelector('#tile-DVC-06 .ioc-tile__value');
                return [tick.getBoundingClientRect().height, legend.getBoundingClientRect().height,
                        value.getBoundingClientRect().height];""")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    for small, large in zip(sizes[1920], sizes[3840], strict=False):
        assert 1.8 * small <= large <= 2.2 * small, sizes
