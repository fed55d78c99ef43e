"""The leadership wall and its playlists in headless Chromium against a real `ioc serve`.

What a ministry's operations room relies on: the wall loads in both languages with an empty
console, shows the KPI engine's own figures, fits 1920×1080 and 3840×2160 without a scrollbar,
hides navigation and the pointer in kiosk mode, never overlaps two refreshes, survives a server
restart without a reload, and a playlist rotates by itself.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from flask import Flask
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import cache as cache_ext
from dashboard.config import load_settings
from dashboard.db import make_engine, make_sessionmaker
from dashboard.queries import current_data_version, overview
from tests.e2e.conftest import _served, console_messages, screenshot

pytestmark = pytest.mark.browser
SIZES = ((1920, 1080), (3840, 2160))


# --- helpers ------------------------------------------------------------------------------------------
def set_viewport(driver, width: int, height: int) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def open_wall(driver, url: str, timeout: float = 30) -> None:
    driver.get(url)
    WebDriverWait(driver, timeout).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "#wall-content [data-kpi]"))
    )
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "ioc-clock").text.strip() != "")
    wait_for_fit(driver)


def wait_for_fit(driver) -> None:
    """wall.js sets data-wall-scale once it has fitted the wall to the viewport (after fonts), and fits
    again once the page has been quiet for a second; wait for that settled fit."""
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script(
            "const w = window.iocWall;"
            "return document.fonts.status === 'loaded' && document.documentElement.hasAttribute('data-wall-scale')"
            " && !!w && w.fittedAt >= w.changedAt + 1000"
        )
    )


WALL_STATE = """
const wall = document.getElementById('wall-content');
if (!wall) return null;
const tiles = {};
for (const t of wall.querySelectorAll('.ioc-tile[data-kpi]')) tiles[t.getAttribute('data-kpi')] = t.getAttribute('data-value');
return {version: wall.getAttribute('data-version'), asOf: wall.getAttribute('data-as-of'), period: wall.getAttribute('data-period'),
        unit: wall.getAttribute('data-unit'), tiles: tiles};
"""


def texts(driver, css: str) -> list[str]:
    """The visible text of every element matching ``css``, read in one go (no stale elements)."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.innerText.trim())", css
    )


def wall_state(driver) -> dict | None:
    """What the wall shows, read in one go (it is redrawn every minute, so elements go stale)."""
    return driver.execute_script(WALL_STATE)


def engine_figures(data_dir: str, unit: str | None, period: str, now: datetime):
    """The KPI engine's answer on the server's own database, computed afresh (no cache)."""
    settings = load_settings(env={}, data_dir=data_dir, cache_backend="simple")  # a new, empty cache
    app = Flask("probe")
    app.config["IOC_SETTINGS"] = settings
    cache_ext.init_app(app, settings)
    engine = make_engine(settings.database_url)
    try:
        with app.app_context(), make_sessionmaker(engine)() as session:
            return current_data_version(session), overview(session, unit, period, now=now)
    finally:
        engine.dispose()


LAYOUT_PROBLEMS = """
const out = {scrollHeight: document.documentElement.scrollHeight, innerHeight: innerHeight,
             scrollWidth: document.documentElement.scrollWidth, innerWidth: innerWidth,
             scale: Number(document.documentElement.getAttribute('data-wall-scale')), outside: [], clipped: [], squashed: []};
for (const el of document.querySelectorAll('.ioc-tile, .ioc-wall__panel, .ioc-wall__domain, .ioc-wall__rail, .ioc-wall__footer')) {
  const r = el.getBoundingClientRect();
  if (r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5 || r.top < 0 || r.left < 0) out.outside.push(el.id || el.className);
  if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1) out.clipped.push(el.id || el.className);
}
for (const el of document.querySelectorAll('.ioc-wall *, .ioc-header *')) {
  if (el.childElementCount || !el.textContent.trim() || !el.getClientRects().length) continue;  // not shown
  const r = el.getBoundingClientRect(), size = parseFloat(getComputedStyle(el).fontSize);
  if (r.height < 0.8 * size) out.squashed.push(el.className + ': ' + el.textContent.trim());
}
return out;
"""


# --- the wall -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "lang, title, domains, index_name",
    [
        (
            "vi",
            "Trung tâm điều hành thông minh",
            ["Văn bản", "Dịch vụ công", "Họp trực tuyến", "Nhiệm vụ", "Phản ánh, kiến nghị"],
            "Điểm chỉ số phục vụ (766)",
        ),
        (
            "en",
            "Intelligent Operations Center",
            ["Documents", "Public services", "Online meetings", "Tasks", "Petitions"],
            "Service index score",
        ),
    ],
)
def test_the_wall_loads_with_an_empty_console(demo_server, browser, lang, title, domains, index_name):
    console_messages(browser)
    set_viewport(browser, 1920, 1080)
    open_wall(browser, f"{demo_server.url}/?lang={lang}")
    assert browser.find_element(By.CSS_SELECTOR, ".ioc-header h1").text == title
    assert texts(browser, ".ioc-wall__domain-name") == domains
    times = texts(browser, ".ioc-wall__domain-time")
    assert len(times) == 5 and all(
        t.startswith("cập nhật " if lang == "vi" else "updated ") for t in times
    ), times
    assert texts(browser, "#wall-tile-DVC-14 .ioc-tile__name") == [index_name]
    assert len(texts(browser, "#wall-attention .ioc-wall__unit")) >= 5
    # The live refresh has run at least once (a tick after 10 s) without a word in the console.
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script("return window.iocWall.polls >= 1 && window.iocWall.pending === 0")
    )
    first_render = browser.execute_script("return window.iocWall.firstRenderMs")
    assert first_render is not None and first_render < 5000, first_render
    print(f"wall first render ({lang}): {first_render} ms after navigation start")
    assert console_messages(browser) == []


def test_tile_values_equal_the_kpi_engine(demo_server, browser):
    data_dir = demo_server.env["IOC_DATA_DIR"]
    for query, unit in (
        ("?period=mtd", None),
        ("?unit=SO-25&period=week&kiosk=1", "SO-25"),
        ("?unit=BMP-SO&period=today", "BMP-SO"),
    ):
        for _attempt in range(5):  # data may arrive between reading the page and asking the engine
            open_wall(browser, demo_server.url + "/" + query)
            wall = wall_state(browser)
            shown = wall["tiles"]
            version, engine = engine_figures(
                data_dir, unit, query.split("period=")[1].split("&")[0], datetime.fromisoformat(wall["asOf"])
            )
            if str(version) == wall["version"]:
                break
        else:
            pytest.fail("the data version kept moving")
        assert engine.period.key == wall["period"] and wall["unit"] == (unit or "")
        assert len(shown) == 21  # 4 columns of 5 tiles and the 766 index
        expected = {k: "" if engine.tile(k).value is None else repr(engine.tile(k).value) for k in shown}
        assert shown == expected, query
        if unit is None:  # the whole simulated agency has figures on nearly every tile
            assert sum(1 for v in shown.values() if v not in ("", "0.0")) >= 12


def test_kiosk_mode_hides_navigation_controls_and_the_cursor(demo_server, browser):
    open_wall(browser, demo_server.url + "/?kiosk=1")
    for selector in (".ioc-nav", "#ioc-lang-switch", "#ioc-theme-switch", "#wall-unit", ".ioc-wall__periods"):
        assert browser.find_elements(By.CSS_SELECTOR, selector) == [], selector
    cursors = browser.execute_script(
        "return [document.body, document.querySelector('.ioc-tile'), document.querySelector('#wall-scope')]"
        ".map(e => getComputedStyle(e).cursor)"
    )
    assert cursors == ["none", "none", "none"]
    assert browser.find_element(By.ID, "wall-scope").text == "Toàn cơ quan"
    open_wall(browser, demo_server.url + "/")
    assert browser.find_elements(By.CSS_SELECTOR, ".ioc-nav") and browser.find_elements(By.ID, "wall-unit")
    assert (
        browser.execute_script("return getComputedStyle(document.querySelector('.ioc-tile')).cursor")
        != "none"
    )


def test_the_screen_drifts_a_few_pixels_against_burn_in(demo_server, browser):
    set_viewport(browser, 1920, 1080)
    open_wall(browser, demo_server.url + "/?kiosk=1")
    assert "ioc-shift" in browser.find_element(By.TAG_NAME, "html").get_attribute("class")
    header = browser.find_element(By.CSS_SELECTOR, ".ioc-header")
    assert browser.execute_script("return getComputedStyle(arguments[0]).transitionDuration", header) == "45s"
    before = header.rect
    for _ in range(4):  # a quarter turn of the 3 px circle
        browser.execute_script("window.iocWall.shiftOneStep()")
    browser.execute_script(
        "document.querySelectorAll('.ioc-page > *').forEach(e => e.style.transition = 'none')"
    )
    time.sleep(0.2)
    after = header.rect
    assert (round(after["x"] - before["x"]), round(after["y"] - before["y"])) == (0, 3), (before, after)
    found = browser.execute_script(LAYOUT_PROBLEMS)
    assert found["scrollHeight"] <= found["innerHeight"] and found["scrollWidth"] <= found["innerWidth"], (
        found
    )
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_unit_picker_and_period_chips_put_the_view_in_the_url(demo_server, browser):
    open_wall(browser, demo_server.url + "/")
    console_messages(browser)
    browser.find_element(By.ID, "wall-period-today").click()
    WebDriverWait(browser, 20).until(lambda d: (wall_state(d) or {}).get("period", "").startswith("today:"))
    assert browser.current_url == demo_server.url + "/?period=today"
    browser.find_element(By.ID, "wall-unit").click()
    search = WebDriverWait(browser, 10).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, ".dash-dropdown-search"))
    )
    assert search.get_attribute("placeholder") == "Tìm đơn vị…"
    search.send_keys("Phú Thọ")
    WebDriverWait(browser, 10).until(
        EC.element_to_be_clickable(
            (By.XPATH, "//*[@role='option'][contains(., 'Sở Nông nghiệp và Môi trường tỉnh Phú Thọ')]")
        )
    ).click()
    WebDriverWait(browser, 20).until(lambda d: (wall_state(d) or {}).get("unit") == "SO-25")
    assert browser.current_url == demo_server.url + "/?period=today&unit=SO-25"
    assert texts(browser, "#wall-attention .ioc-wall__title") == ["Việc cần xử lý"]
    assert console_messages(browser) == []


@pytest.mark.parametrize("kiosk", [True, False], ids=["kiosk", "browser"])
def test_no_scrollbars_nothing_clipped_at_wall_sizes(demo_server, browser, kiosk):
    console_messages(browser)
    for width, height in SIZES:
        set_viewport(browser, width, height)
        open_wall(browser, demo_server.url + ("/?kiosk=1" if kiosk else "/"))
        found = browser.execute_script(LAYOUT_PROBLEMS)
        assert (
            found["scrollHeight"] <= found["innerHeight"] and found["scrollWidth"] <= found["innerWidth"]
        ), found
        assert found["outside"] == [] and found["clipped"] == [] and found["squashed"] == [], found
        # It fits by design, not by shrinking the text to illegibility.
        assert found["scale"] >= (0.95 if kiosk else 0.85), found
        name = "wall-kiosk-vi" if kiosk else "wall-vi"
        path = screenshot(browser, name, width, height)
        assert path.stat().st_size > 50_000
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert console_messages(browser) == []


def test_a_leaf_unit_in_english_and_light_theme_fits_too(demo_server, browser):
    set_viewport(browser, 1920, 1080)
    open_wall(browser, demo_server.url + "/?unit=SO-25&kiosk=1&lang=en&theme=light")
    found = browser.execute_script(LAYOUT_PROBLEMS)
    assert found["scrollHeight"] <= found["innerHeight"] and not found["clipped"] and not found["squashed"], (
        found
    )
    assert texts(browser, "#wall-attention .ioc-wall__title") == ["Items to act on"]
    assert "ioc-theme-light" in browser.find_element(By.CSS_SELECTOR, ".ioc-page").get_attribute("class")
    screenshot(browser, "wall-unit-light-en", 1920, 1080)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_refreshes_never_overlap_on_a_slow_network(demo_server, browser):
    """With every request taking 15 s and a tick every 10 s, the gate must skip ticks: never two
    refreshes in flight at once."""
    open_wall(browser, demo_server.url + "/?kiosk=1")
    browser.execute_script(
        "window.iocWall.maxRefreshPending = 0;"
        "setInterval(() => { window.iocWall.maxRefreshPending = Math.max(window.iocWall.maxRefreshPending,"
        " window.iocWall.refreshPending); }, 50);"
    )
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 15000, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    try:
        WebDriverWait(browser, 60, poll_frequency=1).until(
            lambda d: d.execute_script("return window.iocWall.skipped >= 2")
        )
        stats = browser.execute_script("return window.iocWall")
    finally:
        browser.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        browser.execute_cdp_cmd("Network.disable", {})
    assert stats["maxRefreshPending"] == 1, stats
    assert stats["polls"] >= 1 and stats["skipped"] >= 2
    assert browser.find_elements(By.CSS_SELECTOR, "#wall-content [data-kpi]")  # still showing the wall
    console_messages(browser)


# --- playlists ------------------------------------------------------------------------------------------
E2E_PLAYLIST = """
[playlists.e2e]
title_vi = "Kiểm thử"
title_en = "Test"
slides = [
  { page = "/", period = "mtd", dwell = 5 },
  { page = "/documents", period = "mtd", dwell = 5 },
  { page = "/", unit = "SO-01", period = "today", dwell = 5 },
]
"""


def test_a_playlist_advances_by_itself(demo_server, browser):
    from pathlib import Path

    own = Path(demo_server.env["IOC_DATA_DIR"]) / "playlists.toml"
    own.write_text(E2E_PLAYLIST, encoding="utf-8")
    try:
        console_messages(browser)
        set_viewport(browser, 1920, 1080)
        browser.get(demo_server.url + "/wall?playlist=e2e")
        browser.execute_script("window.__sameShell = true")
        seen = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(seen) < 4:
            slide = browser.execute_script(
                "return document.documentElement.getAttribute('data-playlist-slide')"
            )
            if slide is not None and (not seen or seen[-1][0] != slide):
                shown = browser.find_element(By.CSS_SELECTOR, "iframe.ioc-playlist__frame--shown")
                seen.append((slide, shown.get_attribute("src").replace(demo_server.url, "")))
                browser.switch_to.frame(shown)
                try:
                    assert browser.find_elements(By.CSS_SELECTOR, ".ioc-page.ioc-kiosk")
                    assert browser.find_elements(By.CSS_SELECTOR, ".ioc-nav") == []
                finally:
                    browser.switch_to.default_content()
            time.sleep(0.25)
        assert [s for s, _ in seen] == ["0", "1", "2", "0"], seen
        assert [u for _, u in seen] == [
            "/?period=mtd&kiosk=1&lang=vi",
            "/documents?period=mtd&kiosk=1&lang=vi",
            "/?unit=SO-01&period=today&kiosk=1&lang=vi",
            "/?period=mtd&kiosk=1&lang=vi",
        ]
        assert browser.execute_script(
            "return window.__sameShell === true"
        )  # rotated without reloading the shell
        assert browser.execute_script("return getComputedStyle(document.body).cursor") == "none"
        assert console_messages(browser) == []
    finally:
        own.unlink()
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_an_unknown_playlist_gets_a_clear_page(demo_server, browser):
    console_messages(browser)
    browser.get(demo_server.url + "/wall?playlist=khong-co")
    notice = WebDriverWait(browser, 20).until(
        EC.presence_of_element_located((By.ID, "wall-playlist-unknown"))
    )
    assert "Không có danh sách trình chiếu 'khong-co'" in notice.text
    assert "Tổng quan điều hành" in notice.text
    assert console_messages(browser) == []


# --- connection ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def restartable_server(tmp_path_factory):
    server = _served(tmp_path_factory, ["--days", "5"])
    yield server
    server.stop()


def test_a_stopped_server_shows_the_badge_and_a_restarted_one_clears_it_without_a_reload(
    restartable_server, browser
):
    server = restartable_server
    set_viewport(browser, 1920, 1080)
    open_wall(browser, server.url + "/?kiosk=1")
    badge = browser.find_element(By.ID, "wall-connection")
    assert not badge.is_displayed()
    browser.execute_script("window.__sameDocument = true")
    console_messages(browser)

    server.stop()
    WebDriverWait(browser, 40, poll_frequency=0.5).until(
        lambda d: d.find_element(By.ID, "wall-connection").is_displayed()
    )
    assert badge.text == "Mất kết nối – đang thử lại…"
    assert browser.find_elements(
        By.CSS_SELECTOR, "#wall-content [data-kpi]"
    )  # the last figures stay on screen
    screenshot(browser, "wall-connection-lost", 1920, 1080)

    server.start()  # the same port
    WebDriverWait(browser, 60, poll_frequency=0.5).until(
        lambda d: not d.find_element(By.ID, "wall-connection").is_displayed()
    )
    assert browser.execute_script("return window.__sameDocument === true")  # no reload happened
    assert browser.execute_script("return performance.getEntriesByType('navigation').length") == 1
    # …and the page keeps refreshing: the next poll gets an answer.
    polls = browser.execute_script("return window.iocWall.polls")
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script(
            f"return window.iocWall.polls > {polls} && window.iocWall.pending === 0 && !window.iocWall.offline"
        )
    )
    # Only the failed requests themselves were logged, nothing broke in the page.
    for message in console_messages(browser):
        text = message["message"]
        assert (
            "_dash-update-component" in text
            or "server did not respond" in text
            or "ERR_CONNECTION_REFUSED" in text
        ), text
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
