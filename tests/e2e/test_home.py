"""The home page (the wall) in headless Chromium on an empty store: it loads, speaks Vietnamese,
says the store is empty instead of showing zeros, and leaves the browser console empty."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import console_messages, screenshot

pytestmark = pytest.mark.browser


def text_of(browser, css):
    """An element's text read in one go: the wall redraws itself, elements found earlier go stale."""
    return browser.execute_script("return document.querySelector(arguments[0]).innerText.trim()", css)


def open_page(browser, url):
    console_messages(browser)  # drop what earlier pages logged
    browser.get(url)
    WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.ID, "domain-documents")))
    # The clock is filled by assets/clock.js: proof the local assets load and run.
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "ioc-clock").text.strip() != "")


def test_home_page_loads_with_an_empty_console(empty_server, browser):
    open_page(browser, empty_server.url + "/")
    assert browser.title == "Trung tâm điều hành thông minh"
    header = browser.find_element(By.CSS_SELECTOR, ".ioc-header h1").text
    assert header == "Trung tâm điều hành thông minh"
    assert browser.find_element(By.CSS_SELECTOR, ".ioc-badge--sim").text == "DỮ LIỆU MÔ PHỎNG"
    # Read in one go: the wall redraws itself every minute, elements found earlier would go stale.
    tiles = browser.execute_script(
        "return [...document.querySelectorAll('.ioc-wall .ioc-tile')].map(t => [t.getAttribute('data-value'),"
        " t.querySelector('.ioc-tile__value').innerText, t.querySelector('.ioc-tile__time').innerText])"
    )
    assert len(tiles) == 21  # 4 domain columns of 5 and the 766 index
    # No figure is ever a zero: every tile says there is no data, and that no source is configured.
    assert {tuple(t) for t in tiles} == {("", "Chưa có dữ liệu", "○ chưa có nguồn dữ liệu")}
    assert text_of(browser, "#wall-freshness") == "○ Chưa có nguồn dữ liệu"
    notice = text_of(browser, "#empty-store")
    assert "Kho dữ liệu đang trống" in notice and "Chưa có bộ thu thập nào ghi dữ liệu" in notice
    assert text_of(browser, "#unit-count") == "56 đơn vị"
    # The Vietnamese font is ours, served locally.
    family = browser.execute_script("return getComputedStyle(document.body).fontFamily")
    assert family.startswith('"Noto Sans IOC"')
    assert browser.execute_script(
        "return document.fonts.check('16px \"Noto Sans IOC\"', 'Trung tâm điều hành')"
    )
    assert console_messages(browser) == []
    for width, height in ((1920, 1080), (3840, 2160)):
        assert screenshot(browser, "home-empty-vi", width, height).stat().st_size > 10_000


def test_home_page_in_english(empty_server, browser):
    open_page(browser, empty_server.url + "/?lang=en")
    values = browser.execute_script(
        "return [...document.querySelectorAll('.ioc-wall .ioc-tile__value')].map(e => e.innerText)"
    )
    assert set(values) == {"No data yet"} and len(values) == 21
    assert "The data store is empty" in text_of(browser, "#empty-store")
    assert browser.find_element(By.CSS_SELECTOR, ".ioc-badge--sim").text == "SIMULATED DATA"
    assert console_messages(browser) == []


def test_unknown_path_shows_a_way_home(empty_server, browser):
    console_messages(browser)
    browser.get(empty_server.url + "/no-such-page")
    link = WebDriverWait(browser, 20).until(
        EC.presence_of_element_located((By.LINK_TEXT, "Về trang tổng quan"))
    )
    assert link.get_attribute("href") == empty_server.url + "/"
    assert console_messages(browser) == []


def test_nothing_is_fetched_from_outside_the_server(empty_server, browser):
    open_page(browser, empty_server.url + "/")
    urls = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert urls, "the page loaded no resources at all?"
    outside = [u for u in urls if not u.startswith(empty_server.url)]
    assert outside == []
