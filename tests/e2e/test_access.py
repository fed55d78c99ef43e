"""Each role signed in through the real form in Chromium sees exactly its scope."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import DEMO_ROOT, console_messages, screenshot

pytestmark = pytest.mark.browser

HEAD, OTHER = "SO-01", "SO-79"
HEAD_NAME = "Sở Nông nghiệp và Môi trường thành phố Hà Nội"


@pytest.fixture(scope="module")
def people(demo_server):
    demo_server.add_account("e2e-truong", f"truong_don_vi:{HEAD}")
    demo_server.add_account("e2e-theo-doi", f"theo_doi:{DEMO_ROOT}")
    demo_server.add_account("e2e-quan-tri", f"quan_tri:{DEMO_ROOT}")
    return demo_server


def wait_text(browser, css: str, timeout: float = 30) -> str:
    WebDriverWait(browser, timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))
    return browser.find_element(By.CSS_SELECTOR, css).text


@pytest.mark.anonymous
def test_signed_out_visitors_only_see_the_sign_in_page(people, browser):
    browser.get(people.url + "/dossiers?unit=SO-79")
    WebDriverWait(browser, 20).until(lambda d: "/login" in d.current_url)
    assert browser.find_element(By.ID, "login-form").is_displayed()
    assert "Dịch vụ công" not in browser.find_element(By.TAG_NAME, "body").text
    browser.find_element(By.ID, "login-username").send_keys("e2e-truong")
    browser.find_element(By.ID, "login-password").send_keys("wrong password here")
    browser.find_element(By.ID, "login-submit").click()
    assert "không đúng" in wait_text(browser, "#login-message")
    screenshot(browser, "access-sign-in-vi", 1920, 1080)


@pytest.mark.anonymous
def test_a_unit_head_sees_only_their_unit(people, browser):
    people.sign_in(browser, "e2e-truong")
    console_messages(browser)
    browser.get(people.url + "/dossiers?period=mtd")
    scope = wait_text(browser, "#dossiers-scope")
    assert scope == HEAD_NAME  # no whole-agency view for a unit head
    ranking = browser.find_element(By.ID, "dossiers-ranking")
    assert int(ranking.get_attribute("data-count")) <= 1
    browser.get(people.url + f"/dossiers?unit={OTHER}")
    assert wait_text(browser, "#dossiers-scope") == HEAD_NAME
    assert "Không có quyền xem đơn vị này" in browser.find_element(By.TAG_NAME, "body").text
    browser.get(people.url + "/units?group=province")
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "ranking-table")))
    assert [r.get_attribute("id") for r in browser.find_elements(By.CSS_SELECTOR, "tr.ioc-rank")] == [
        f"rank-{HEAD}"
    ]
    browser.get(people.url + f"/units/{OTHER}")
    assert "Không có quyền xem đơn vị này" in wait_text(browser, "#unit-not-found")
    nav = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".ioc-nav__link")]
    assert "Nguồn dữ liệu" not in nav and "Quản trị" not in nav
    browser.get(people.url + "/sources")
    assert "Không có quyền truy cập" in browser.find_element(By.TAG_NAME, "body").text
    screenshot(browser, "access-unit-head-refused", 1920, 1080)
    assert [
        m for m in console_messages(browser) if m["level"] == "SEVERE" and "403" not in m["message"]
    ] == []


@pytest.mark.anonymous
def test_monitoring_staff_see_sources_and_administrators_no_figures(people, browser):
    people.sign_in(browser, "e2e-theo-doi")
    browser.get(people.url + "/sources")
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, "tr.ioc-source")))
    people.sign_in(browser, "e2e-quan-tri")
    browser.get(people.url + "/")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Không có quyền truy cập" in body and "%" not in body
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "main a")]
    assert any(h.endswith("/admin/users") for h in links) and any(h.endswith("/screens") for h in links)


def test_the_leadership_sees_the_whole_ministry_and_signs_out(people, browser):
    browser.get(people.url + "/dossiers?period=mtd")
    assert wait_text(browser, "#dossiers-scope") == "Toàn cơ quan"
    assert browser.find_element(By.ID, "ioc-who-name").text
    browser.find_element(By.ID, "ioc-sign-out").click()
    WebDriverWait(browser, 20).until(lambda d: "/login" in d.current_url)
    assert "Bạn đã đăng xuất" in browser.find_element(By.TAG_NAME, "body").text
    browser.get(people.url + "/dossiers")
    WebDriverWait(browser, 20).until(lambda d: "/login" in d.current_url)
