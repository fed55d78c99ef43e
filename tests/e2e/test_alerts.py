"""/alerts in Chromium against the demo: the demo's default rules evaluated through the real CLI
fire on the simulated data; the bell counts them; the leader acknowledges one with a comment through
the form; a unit head sees only its own unit's alerts."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import console_messages, run_cli, screenshot

pytestmark = pytest.mark.browser


def test_alerts_fire_on_the_demo_and_are_acknowledged_in_the_page(demo_server, browser):
    done = run_cli(["alerts", "evaluate"], demo_server.env)
    assert done.returncode == 0, done.stderr
    assert "→ firing" in done.stdout, done.stdout
    console_messages(browser)
    browser.get(demo_server.url + "/alerts")
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, "tr.ioc-alert")))
    firing = browser.find_elements(By.CSS_SELECTOR, "tr.ioc-alert[data-state='firing']")
    assert firing
    bell = browser.find_element(By.ID, "ioc-bell")
    assert int(bell.get_attribute("data-count")) == len(firing)

    browser.find_element(By.ID, "alerts-ack-select").click()
    option = WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[role='option']"))[
        0
    ]
    option.click()
    comment = browser.find_element(By.ID, "alerts-ack-comment")
    comment.send_keys("Đã giao phòng chuyên môn kiểm tra", Keys.TAB)
    browser.find_element(By.ID, "alerts-ack-button").click()
    WebDriverWait(browser, 30).until(
        EC.text_to_be_present_in_element((By.ID, "alerts-ack-message"), "Đã xác nhận cảnh báo")
    )
    acked = browser.find_elements(By.CSS_SELECTOR, "tr.ioc-alert[data-state='acknowledged']")
    assert len(acked) == 1 and "Đã giao phòng chuyên môn kiểm tra" in acked[0].text
    assert console_messages(browser) == []
    screenshot(browser, "alerts-vi", 1920, 1080)

    demo_server.add_account("e2e-truong-so79", "truong_don_vi:SO-79")
    demo_server.sign_in(browser, "e2e-truong-so79")
    browser.get(demo_server.url + "/alerts")
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.ID, "alerts-empty") or d.find_elements(By.CSS_SELECTOR, "tr.ioc-alert")
    )
    units = {r.get_attribute("data-unit") for r in browser.find_elements(By.CSS_SELECTOR, "tr.ioc-alert")}
    assert units <= {"SO-79"}, units
