"""Single sign-on in headless Chromium: `ioc serve` configured for a real OpenID provider
(``tests.fakes.oidc_provider``) on another port; the browser clicks the SSO button, passes through
the provider and lands on the overview of its mapped scope, then signs out through the provider."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import DEMO_ROOT, LiveServer, console_messages, run_cli
from tests.fakes.oidc_provider import FakeOidcProvider
from tests.tiers import require

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sso_site(tmp_path_factory):
    """(provider, server): the demo units, no facts, single sign-on against the local provider.
    (Not named ``*_server``: the conftest would sign the browser in with a password first.)"""
    require("browser")
    provider = FakeOidcProvider(client_id="ioc-e2e").start()
    server = LiveServer(
        tmp_path_factory.mktemp("ioc-oidc"),
        {
            "IOC_OIDC_ISSUER": provider.issuer,
            "IOC_OIDC_CLIENT_ID": "ioc-e2e",
            "IOC_OIDC_CLIENT_SECRET": provider.client.client_secret,
            "IOC_OIDC_ROLE_MAP": f"ioc-lanh-dao=lanh_dao:{DEMO_ROOT}",
        },
    )
    prepared = run_cli(["demo", "--no-serve", "--no-simulation"], server.env)
    assert prepared.returncode == 0, prepared.stderr
    provider.redirect_uris.append(server.url + "/auth/oidc/callback")
    provider.post_logout_redirect_uris.append(server.url + "/login?bye=1")
    server.start()
    yield provider, server
    server.stop()
    provider.stop()


def test_sign_in_through_the_provider_shows_the_overview(sso_site, browser):
    provider, server = sso_site
    provider.add_user("lan.tran", groups=["/ioc-lanh-dao"], name="Trần Thị Lan")
    browser.delete_all_cookies()
    console_messages(browser)

    browser.get(server.url + "/")
    WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.ID, "login-sso")))
    assert "/login" in browser.current_url
    browser.find_element(By.ID, "login-sso").click()

    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "domain-documents")))
    assert browser.current_url == server.url + "/"
    assert any(path == "/authorize" for _, path, _ in provider.requests)
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "ioc-who-name").text.strip() != "")
    assert browser.find_element(By.ID, "ioc-who-name").text == "Trần Thị Lan"
    # The whole ministry (the mapped group's scope): every demo unit is counted.
    count = browser.execute_script("return document.querySelector('#unit-count').innerText.trim()")
    assert count == "56 đơn vị"
    assert console_messages(browser) == []

    browser.find_element(By.ID, "ioc-sign-out").click()
    WebDriverWait(browser, 20).until(lambda d: "bye=1" in d.current_url)
    assert [e["hint_valid"] for e in provider.end_sessions] == ["yes"]
    assert "Bạn đã đăng xuất" in browser.find_element(By.TAG_NAME, "body").text
