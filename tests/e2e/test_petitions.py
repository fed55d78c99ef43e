"""``/phan-anh`` in a real browser on the demo (60 days of simulated petitions through the portal
fake): tiles, charts, the overdue list and its export buttons; the kiosk variant fits one screen at
1920×1080 and 3840×2160 — no scrollbar, nothing outside the screen, nothing clipped — measured as
tests/e2e/test_slides_fit.py measures the wall's slides. Screenshots under tests/artifacts/."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import screenshot
from tests.e2e.test_slides_fit import DRIFT_PX, MEASURE, SIZES, wait_rendered
from tests.e2e.test_wall import set_viewport

pytestmark = pytest.mark.browser


def _tiles(browser) -> dict[str, str]:
    return {
        el.get_attribute("data-kpi"): el.get_attribute("data-value")
        for el in browser.find_elements(By.CSS_SELECTOR, "[data-kpi][data-value]")
    }


def test_the_petitions_page_shows_tiles_charts_and_the_overdue_list(demo_server, browser):
    set_viewport(browser, 1920, 1080)
    try:
        browser.get(f"{demo_server.url}/phan-anh?period=rolling30&lang=vi")
        wait_rendered(browser)
        tiles = _tiles(browser)
        assert {"PAKN-01", "PAKN-02", "PAKN-03", "PAKN-04", "PAKN-05"} <= set(tiles)
        assert float(tiles["PAKN-01"]) > 100  # a month of 34 provincial departments
        assert 0 < float(tiles["PAKN-02"]) < 1
        for card in ("petitions-channels-card", "petitions-handled-card", "petitions-mix-card"):
            assert browser.find_element(By.ID, card).find_elements(By.CSS_SELECTOR, ".main-svg")
        overdue = browser.find_element(By.ID, "petitions-overdue-card")
        if float(tiles["PAKN-04"]) > 0:
            rows = overdue.find_elements(By.CSS_SELECTOR, "#petitions-overdue-table tbody tr")
            assert rows and len(rows) <= 50
        assert browser.find_element(By.ID, "petitions-export-csv").is_displayed()
        assert "Phản ánh, kiến nghị" in browser.find_element(By.CSS_SELECTOR, ".ioc-nav, nav, header").text
        screenshot(browser, "phan-anh-vi", 1920, 1080)
        # The whole page (mix, overdue list, ranking), for reading it through.
        height = browser.execute_script("return document.documentElement.scrollHeight")
        screenshot(browser, "phan-anh-full-vi", 1920, height)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_kiosk_variant_fits_both_wall_sizes(demo_server, browser):
    failures = []
    try:
        for width, height in SIZES:
            set_viewport(browser, width, height)
            for lang in ("vi", "en"):
                browser.get(f"{demo_server.url}/phan-anh?period=mtd&kiosk=1&lang={lang}")
                wait_rendered(browser)
                WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-kpi]"))
                assert not browser.find_elements(By.ID, "petitions-export-csv")
                assert len(browser.find_elements(By.CSS_SELECTOR, ".dom-sections--kiosk > .dom-card")) == 3
                m = browser.execute_script(MEASURE, DRIFT_PX)
                sw, sh, w, h = m["doc"]
                assert (w, h) == (width, height)
                if sw > w or sh > h or m["outside"] or m["clipped"]:
                    failures.append(
                        f"{lang} at {width}×{height}: document {sw}×{sh}, outside {m['outside'][:4]}, "
                        f"clipped {m['clipped'][:4]}"
                    )
                if lang == "vi":
                    screenshot(browser, "phan-anh-kiosk", width, height)
                    set_viewport(browser, width, height)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert not failures, "\n".join(failures)
