"""The briefings page in Chromium against the running demo: the whole agency's briefing that
``ioc demo`` rendered at start is listed and downloads as a PDF; "render now" adds the leader's
own; a unit head sees only its own scope and the agency's file answers 404 to it."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import console_messages, screenshot

pytestmark = pytest.mark.browser

FETCH = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: "same-origin"}).then(async r => {
  const bytes = new Uint8Array(await r.arrayBuffer());
  done([r.status, String.fromCharCode(...bytes.slice(0, 5)), r.headers.get("content-type")]);
}).catch(e => done([0, String(e), null]));
"""


def _fetch(browser, href: str):
    browser.set_script_timeout(30)
    return browser.execute_async_script(FETCH, href)


def test_reports_page_lists_downloads_and_renders_within_the_scope(demo_server, browser):
    console_messages(browser)
    browser.get(demo_server.url + "/reports")
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, "tr.ioc-report")))
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.ioc-report")
    whole = [r for r in rows if "Toàn cơ quan" in r.text]
    assert whole, [r.text for r in rows]
    pdf = whole[0].find_element(By.CSS_SELECTOR, "a.ioc-report__pdf").get_attribute("href")
    status, head, kind = _fetch(browser, pdf)
    assert (status, head, kind) == (200, "%PDF-", "application/pdf")
    xlsx = whole[0].find_element(By.CSS_SELECTOR, "a.ioc-report__xlsx").get_attribute("href")
    assert _fetch(browser, xlsx)[0] == 200
    assert "Báo cáo giao ban" in [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".ioc-nav__link")]

    before = len(rows)
    browser.find_element(By.ID, "reports-template").click()
    weekly = WebDriverWait(browser, 10).until(
        lambda d: [
            o for o in d.find_elements(By.CSS_SELECTOR, "[role='option']") if o.text.strip() == "Hằng tuần"
        ]
    )
    weekly[0].click()
    browser.find_element(By.ID, "reports-render").click()
    WebDriverWait(browser, 60).until(
        EC.text_to_be_present_in_element((By.ID, "reports-message"), "Đã lập báo cáo")
    )
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr.ioc-report")) == before + 1
    assert "Hằng tuần" in browser.find_element(By.ID, "reports-table").text
    assert console_messages(browser) == []
    screenshot(browser, "reports-vi", 1920, 1080)

    demo_server.add_account("e2e-truong-so01", "truong_don_vi:SO-01")
    demo_server.sign_in(browser, "e2e-truong-so01")
    browser.get(demo_server.url + "/reports")
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.ID, "reports-empty") or d.find_elements(By.ID, "reports-table")
    )
    assert "Toàn cơ quan" not in browser.find_element(By.ID, "reports-list").text
    assert _fetch(browser, pdf)[0] == 404
    assert [
        m for m in console_messages(browser) if m["level"] == "SEVERE" and "404" not in m["message"]
    ] == []
