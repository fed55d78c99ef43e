"""The Sources page in Chromium against the running demo: every source listed healthy, in both
languages, and the language choice persists across pages."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import console_messages, screenshot

pytestmark = pytest.mark.browser
DEMO_SOURCES = [
    "mo-phong-qlvb",
    "mo-phong-motcua",
    "mo-phong-tthc",
    "mo-phong-hop",
    "mo-phong-bbb",
    "mo-phong-pakn",
    "mo-phong-nhiem-vu",
]


def test_sources_page_lists_every_demo_source_as_healthy(demo_server, browser):
    console_messages(browser)
    browser.get(demo_server.url + "/sources")
    WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.ID, "source-mo-phong-hop")))
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.ioc-source")
    assert [r.get_attribute("id") for r in rows] == [f"source-{name}" for name in DEMO_SOURCES]
    states = [r.find_element(By.CSS_SELECTOR, ".ioc-state").text for r in rows]
    assert states == ["● Bình thường"] * len(DEMO_SOURCES)
    qlvb = browser.find_element(By.ID, "source-mo-phong-qlvb").text
    assert "sql · mỗi 10 giây" in qlvb
    assert console_messages(browser) == []
    screenshot(browser, "sources-vi", 1920, 1080)


def test_language_switch_persists_across_pages(demo_server, browser):
    browser.delete_cookie("ioc_lang")  # (signed in: only the language is forgotten)
    browser.get(demo_server.url + "/sources")
    switch = WebDriverWait(browser, 20).until(EC.element_to_be_clickable((By.ID, "ioc-lang-switch")))
    assert switch.text == "English"
    switch.click()
    WebDriverWait(browser, 20).until(
        EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".ioc-page-title"), "Data source health")
    )
    assert browser.current_url == demo_server.url + "/sources"
    browser.get(demo_server.url + "/")  # another page, no ?lang: the cookie decides
    WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.ID, "ioc-lang-switch")))
    assert browser.find_element(By.ID, "ioc-lang-switch").text == "Tiếng Việt"
    browser.find_element(By.ID, "ioc-lang-switch").click()
    WebDriverWait(browser, 20).until(EC.text_to_be_present_in_element((By.ID, "ioc-lang-switch"), "English"))
    assert console_messages(browser) == []
