"""Nhiệm vụ được giao (``/nhiem-vu``) in headless Chromium against the demo (60 simulated days,
the tasks collected from the simulated office's XLSX by the real file adapter):

- the page loads in Vietnamese and English with an empty console, its NV tiles, charts, ranking
  and the overdue action list, whose rows are the open overdue tasks, most overdue first;
- the tiles equal the KPI engine for the URL's scope and period;
- the kiosk variant fits one wall screen at 1920×1080 and 3840×2160 (no scrollbar, nothing cut).
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import console_messages, screenshot
from tests.e2e.test_domain_pages import engine_value, plotted, tile_value
from tests.e2e.test_slides_fit import DRIFT_PX, MEASURE, wait_rendered
from tests.e2e.test_wall import set_viewport

pytestmark = pytest.mark.browser

KPIS = ["NV-01", "NV-02", "NV-03", "NV-04", "NV-05", "NV-06", "NV-07"]
GRAPHS = ("tasks-trend", "tasks-units", "tasks-ranking")


def open_tasks(browser, url: str) -> None:
    console_messages(browser)
    browser.get(url)
    wait = WebDriverWait(browser, 30)
    for graph in GRAPHS:
        wait.until(lambda d, g=graph: plotted(d, g) > 0, message=f"{graph} not drawn")


def grid_rows(browser) -> list[list[str]]:
    WebDriverWait(browser, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#tasks-grid .ag-center-cols-container .ag-row")
    )
    rows = []
    for row in browser.find_elements(By.CSS_SELECTOR, "#tasks-grid .ag-center-cols-container .ag-row"):
        cells = row.find_elements(By.CSS_SELECTOR, ".ag-cell")
        rows.append([c.text for c in cells])
    return rows


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_tasks_page_loads_with_tiles_charts_and_the_overdue_list(demo_server, browser, lang):
    open_tasks(browser, f"{demo_server.url}/nhiem-vu?lang={lang}")
    title = browser.find_element(By.CSS_SELECTOR, ".ioc-page-title").text
    assert title == ("Nhiệm vụ được giao" if lang == "vi" else "Assigned tasks")
    tiles = [
        e.get_attribute("data-kpi") for e in browser.find_elements(By.CSS_SELECTOR, ".dom-tiles .ioc-tile")
    ]
    assert tiles == KPIS
    overdue = tile_value(browser, "NV-05")
    assert overdue and overdue > 0  # the demo's weak units run late
    rows = grid_rows(browser)
    days = [int(r[0].replace(".", "")) for r in rows if r and r[0]]
    assert days and days == sorted(days, reverse=True)  # most overdue first
    # The columns an office acts on: days overdue, directive, task, lead unit, due, latest extension.
    headers = browser.find_element(By.CSS_SELECTOR, "#tasks-grid .ag-header-row").text
    for word in (("Số ngày quá hạn", "Văn bản giao", "Đơn vị chủ trì", "Gia hạn gần nhất")
                 if lang == "vi" else ("Days overdue", "Directive", "Lead unit", "Latest extension")):  # fmt: skip
        assert word in headers
    assert browser.find_elements(By.ID, "tasks-export-csv") and browser.find_elements(
        By.ID, "tasks-export-xlsx"
    )
    assert console_messages(browser) == []
    if lang == "vi":
        screenshot(browser, "nhiem-vu", 1920, 1080)
        screenshot(browser, "nhiem-vu", 3840, 2160)


def test_tasks_tiles_equal_the_kpi_engine(demo_server, browser):
    open_tasks(browser, f"{demo_server.url}/nhiem-vu?period=rolling30")
    for kpi in ("NV-01", "NV-05", "NV-07"):
        assert tile_value(browser, kpi) == pytest.approx(engine_value(demo_server, kpi, None, "rolling30"))


def test_tasks_kiosk_fits_one_screen(demo_server, browser):
    failures = []
    try:
        for width, height in ((1920, 1080), (3840, 2160)):
            set_viewport(browser, width, height)
            browser.get(f"{demo_server.url}/nhiem-vu?kiosk=1")
            wait_rendered(browser)
            assert len(browser.find_elements(By.CSS_SELECTOR, ".dom-sections--kiosk > .dom-card")) == 3
            assert not browser.find_elements(By.ID, "tasks-ranking-card")
            assert browser.find_elements(By.CSS_SELECTOR, "#tasks-overdue-list .nv-list__item")
            m = browser.execute_script(MEASURE, DRIFT_PX)
            sw, sh, w, h = m["doc"]
            if sw > w or sh > h or m["outside"] or m["clipped"]:
                failures.append(
                    f"{width}×{height}: document {sw}×{sh}, outside {m['outside'][:4]}, clipped {m['clipped'][:4]}"
                )
            screenshot(browser, "nhiem-vu-kiosk", width, height)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert not failures, "\n".join(failures)
    assert console_messages(browser) == []
