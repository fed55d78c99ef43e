"""The 766 page and the wall's 766 tile in headless Chromium against a real `ioc serve` with 60
days of the simulated agency and last month's scores imported through the real CLI (the shipped
portal-shaped samples). Screenshots go to tests/artifacts/."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.index_history import month_of
from tests.e2e.conftest import console_messages, run_cli, screenshot
from tests.e2e.test_wall import LAYOUT_PROBLEMS, SIZES, open_wall, set_viewport, texts

pytestmark = pytest.mark.browser
SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


@pytest.fixture(scope="module")
def last_month(demo_server) -> str:
    """Last month's published scores (per group and per indicator), imported as an IT office would."""
    month = month_of(datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date(), 1)
    key = f"{month.start:%Y-%m}"
    for name in ("diem-766-cong-dvc.csv", "diem-766-chi-tieu.csv"):
        done = run_cli(["scores", "import", str(SAMPLES / name), "--period", key], demo_server.env)
        assert done.returncode == 0, done.stderr
    return key


def open_index(driver, url: str) -> None:
    driver.get(url)
    WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.ID, "si-total")))
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script(
            "return document.fonts.status === 'loaded' && document.querySelectorAll('#si-trend .main-svg').length > 0"
        )
    )


def test_the_766_page_shows_published_beside_estimated(demo_server, browser, last_month):
    console_messages(browser)
    set_viewport(browser, 1920, 1080)
    open_index(browser, f"{demo_server.url}/chi-so-766?unit=SO-01&month={last_month}")
    assert (
        browser.find_element(By.CSS_SELECTOR, ".ioc-page-title").text
        == "Chỉ số phục vụ người dân, doanh nghiệp (766)"
    )
    # The per-group file, line 2 (SO-01): progress 18,79, total 74,50 — beside the estimate.
    progress = texts(browser, "#si-group-progress td")
    assert progress[2] == "18,79" and progress[3] not in ("", "–")
    total = texts(browser, "#si-total td")
    assert total[2] == "74,50" and "điểm chưa có số liệu" in total[3]
    assert "Hạng " in browser.find_element(By.ID, "si-rank").text
    assert browser.find_element(By.ID, "si-content").get_attribute("data-basis") == "published"
    assert "Chỉ số 766" in texts(browser, ".ioc-nav__link")
    assert len(texts(browser, "#si-ranking-table tbody tr")) == 34
    screenshot(browser, "chi-so-766-vi", 1920, 1080)
    # The whole page, for reading it through.
    height = browser.execute_script("return document.documentElement.scrollHeight")
    screenshot(browser, "chi-so-766-full-vi", 1920, height)
    open_index(browser, f"{demo_server.url}/chi-so-766?month={last_month}&lang=en")
    assert "Published score" in browser.find_element(By.ID, "si-summary").text
    screenshot(browser, "chi-so-766-agency-en", 1920, 1080)
    assert console_messages(browser) == []


def test_the_wall_tile_says_estimate_or_published(demo_server, browser, last_month):
    console_messages(browser)
    for width, height in SIZES:
        set_viewport(browser, width, height)
        open_wall(browser, demo_server.url + "/?kiosk=1")
        basis = browser.find_element(By.ID, "wall-tile-DVC-14-basis")
        # This month has no published score yet: the estimate, with its unknown points.
        assert basis.get_attribute("data-basis") == "estimate" and basis.text.startswith("Ước tính · "), (
            basis.text
        )
        found = browser.execute_script(LAYOUT_PROBLEMS)
        assert (
            found["scrollHeight"] <= found["innerHeight"]
            and found["clipped"] == []
            and found["squashed"] == []
        ), found
        screenshot(browser, "wall-766-estimate-vi", width, height)
    # The portal's running figures for this month, imported: the calendar month of a provincial
    # department then has a published score, and the tile says "Điểm công bố".
    this_month = month_of(datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date())
    done = run_cli(
        ["scores", "import", str(SAMPLES / "diem-766-cong-dvc.csv"), "--period", f"{this_month.start:%Y-%m}"],
        demo_server.env,
    )
    assert done.returncode == 0, done.stderr
    for width, height in SIZES:
        set_viewport(browser, width, height)
        open_wall(browser, demo_server.url + "/?kiosk=1&unit=SO-01&period=month")
        basis = browser.find_element(By.ID, "wall-tile-DVC-14-basis")
        assert basis.get_attribute("data-basis") == "published" and basis.text == "Điểm công bố", basis.text
        assert (
            browser.find_element(By.CSS_SELECTOR, "#wall-tile-DVC-14").get_attribute("data-value") == "74.5"
        )
        found = browser.execute_script(LAYOUT_PROBLEMS)
        assert (
            found["scrollHeight"] <= found["innerHeight"]
            and found["clipped"] == []
            and found["squashed"] == []
        ), found
        screenshot(browser, "wall-766-published-vi", width, height)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert console_messages(browser) == []
