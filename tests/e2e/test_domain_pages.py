"""The domain pages (Văn bản, Dịch vụ công, Họp trực tuyến) in headless Chromium against the demo
(60 simulated days, served by the real CLI; the data does not move while the tests run):

- each page loads in Vietnamese and in English with an empty console, its tiles and its charts;
- the tiles show the KPI engine's values for the scope and period in the URL;
- the period, unit and ranking pickers change the URL and the page, and a URL reopens its view;
- a click on a ranking bar drills down; kiosk mode shows the view without controls.
"""

from datetime import date, datetime

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.config import load_settings
from dashboard.db import make_engine, make_sessionmaker
from dashboard.kpi.engine import compute, resolve_scope
from dashboard.kpi.periods import Period
from tests.e2e.conftest import console_messages, screenshot

pytestmark = pytest.mark.browser

PAGES = {
    "documents": {
        "title": ("Văn bản", "Documents"),
        "graphs": ("documents-volumes", "documents-shares", "documents-axis"),
        "kpis": ("VB-01", "VB-02", "VB-03", "VB-04", "VB-05", "VB-06", "VB-07", "VB-08", "VB-09"),
        "card": ("Trục liên thông văn bản quốc gia", "National document axis"),
    },
    "dossiers": {
        "title": ("Dịch vụ công", "Public services"),
        "graphs": (
            "dossiers-channels",
            "dossiers-outcomes",
            "dossiers-channel-share",
            "dossiers-outcome-share",
        ),
        "kpis": (
            "DVC-01",
            "DVC-02",
            "DVC-06",
            "DVC-07",
            "DVC-08",
            "DVC-09",
            "DVC-14",
            "DVC-03",
            "DVC-04",
            "DVC-05",
            "DVC-10",
            "DVC-11",
            "DVC-12",
            "DVC-13",
        ),
        "card": ("Hồ sơ đang giải quyết", "Dossiers in progress"),
    },
    "meetings": {
        "title": ("Họp trực tuyến", "Online meetings"),
        "graphs": ("meetings-calendar", "meetings-activity", "meetings-endpoints"),
        "kpis": ("HOP-01", "HOP-02", "HOP-03", "HOP-04", "HOP-05", "HOP-06", "HOP-07"),
        "card": ("Lịch họp theo ngày và giờ", "Meetings by day and hour"),
    },
}


def plotted(browser, container_id: str) -> int:
    """How many traces Plotly drew in the graph inside ``container_id`` (0 while not drawn)."""
    return browser.execute_script(
        "const id = '#' + CSS.escape(arguments[0]);"
        "const g = document.querySelector(id + ' .js-plotly-plot, ' + id + '.js-plotly-plot');"
        "return g && g.data && g.querySelector('.main-svg') ? g.data.length : 0;",
        container_id,
    )


def wait_drawn(browser, page: str, timeout: float = 30) -> None:
    wait = WebDriverWait(browser, timeout)
    for graph in (*PAGES[page]["graphs"], f"{page}-ranking"):
        wait.until(lambda d, g=graph: plotted(d, g) > 0, message=f"{graph} not drawn")
    wait.until(lambda d: d.find_element(By.ID, "ioc-clock").text.strip() != "")


def open_page(browser, url: str, page: str) -> None:
    console_messages(browser)  # forget what earlier pages logged
    browser.get(url)
    wait_drawn(browser, page)


def tile_value(browser, kpi_id: str) -> float | None:
    raw = browser.find_element(By.ID, f"tile-{kpi_id}").get_attribute("data-value")
    return float(raw) if raw else None


def engine_value(server, kpi_id: str, unit: str | None, kind: str) -> float | None:
    """The KPI engine's value for the same scope and period, read from the demo's own store."""
    settings = load_settings(env={"IOC_DATA_DIR": server.env["IOC_DATA_DIR"]})
    db = make_engine(settings.database_url)
    try:
        with make_sessionmaker(db)() as session:
            today = datetime.now(settings.tz).date()
            result = compute(
                session,
                resolve_scope(session, unit),
                Period.parse(kind, today),
                [kpi_id],
                tz=settings.tz,
                compare_periods=False,
                with_series=False,
            )[kpi_id]
    finally:
        db.dispose()
    return result.value


def choose_period(browser, label: str) -> None:
    for option in browser.find_elements(By.CSS_SELECTOR, ".dom-segmented label"):
        if option.text == label:
            option.click()
            return
    raise AssertionError(f"no period option {label!r}")


def choose_unit(browser, typed: str, option_text: str) -> None:
    browser.find_element(By.CSS_SELECTOR, ".dom-picker--unit .dash-dropdown").click()
    search = WebDriverWait(browser, 10).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, ".dash-dropdown-search"))
    )
    search.send_keys(typed)
    for option in browser.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option"):
        if option.text.strip() == option_text:
            option.click()
            return
    raise AssertionError(f"no unit option {option_text!r}")


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("page", list(PAGES))
def test_domain_page_loads_with_tiles_and_charts(demo_server, browser, page, lang):
    spec = PAGES[page]
    index = 0 if lang == "vi" else 1
    open_page(browser, f"{demo_server.url}/{page}" + ("?lang=en" if lang == "en" else ""), page)
    assert browser.find_element(By.CSS_SELECTOR, ".ioc-page-title").text == spec["title"][index]
    assert browser.find_element(By.CSS_SELECTOR, ".dom-page").get_attribute("lang") == lang
    tiles = [
        e.get_attribute("data-kpi") for e in browser.find_elements(By.CSS_SELECTOR, ".dom-tiles .ioc-tile")
    ]
    assert tiles == list(spec["kpis"])
    for graph in spec["graphs"]:
        assert plotted(browser, graph) >= 1, graph
    assert int(browser.find_element(By.ID, f"{page}-ranking").get_attribute("data-count")) > 5
    text = browser.find_element(By.CSS_SELECTOR, ".dom-content").text
    assert spec["card"][index] in text
    period_text = browser.find_element(By.ID, f"{page}-period").text
    assert period_text.startswith("Từ đầu tháng (" if lang == "vi" else "Month to date (")
    selected = browser.find_element(By.CSS_SELECTOR, ".dom-segmented label.selected").text
    assert selected == ("Từ đầu tháng" if lang == "vi" else "Month to date")
    # Plotly's own buttons: no logo, no cloud.
    assert not browser.find_elements(
        By.CSS_SELECTOR, ".modebar-btn--logo, [data-title='Edit in Chart Studio']"
    )
    assert console_messages(browser) == []
    screenshot(browser, f"{page}-{lang}", 1920, 1080)


def test_tiles_equal_the_kpi_engine_for_the_url(demo_server, browser):
    open_page(browser, f"{demo_server.url}/dossiers?period=rolling30&unit=BMP-SO", "dossiers")
    for kpi in ("DVC-01", "DVC-02", "DVC-06"):
        assert tile_value(browser, kpi) == pytest.approx(
            engine_value(demo_server, kpi, "BMP-SO", "rolling30")
        )
    open_page(browser, f"{demo_server.url}/documents?period=qtd", "documents")
    assert tile_value(browser, "VB-01") == pytest.approx(engine_value(demo_server, "VB-01", None, "qtd"))


def test_period_picker_changes_the_url_and_the_figures(demo_server, browser):
    open_page(browser, f"{demo_server.url}/dossiers", "dossiers")
    assert tile_value(browser, "DVC-01") == pytest.approx(engine_value(demo_server, "DVC-01", None, "mtd"))
    choose_period(browser, "7 ngày qua")
    WebDriverWait(browser, 20).until(lambda d: "period=rolling7" in d.current_url)
    WebDriverWait(browser, 20).until(
        EC.text_to_be_present_in_element((By.ID, "dossiers-period"), "7 ngày qua (")
    )
    wait_drawn(browser, "dossiers")
    assert browser.find_element(By.CSS_SELECTOR, ".dom-segmented label.selected").text == "7 ngày qua"
    assert tile_value(browser, "DVC-01") == pytest.approx(
        engine_value(demo_server, "DVC-01", None, "rolling7")
    )
    assert console_messages(browser) == []


def test_unit_picker_changes_the_url_scope_and_ranking(demo_server, browser):
    open_page(browser, f"{demo_server.url}/dossiers?period=mtd", "dossiers")
    agency_ranking = int(browser.find_element(By.ID, "dossiers-ranking").get_attribute("data-count"))
    choose_unit(browser, "Hà Nội", "Sở Nông nghiệp và Môi trường thành phố Hà Nội")
    WebDriverWait(browser, 20).until(lambda d: "unit=SO-01" in d.current_url)
    WebDriverWait(browser, 20).until(
        EC.text_to_be_present_in_element(
            (By.ID, "dossiers-scope"), "Sở Nông nghiệp và Môi trường thành phố Hà Nội"
        )
    )
    wait_drawn(browser, "dossiers")
    assert "period=mtd" in browser.current_url  # the other choices stay
    assert tile_value(browser, "DVC-01") == pytest.approx(engine_value(demo_server, "DVC-01", "SO-01", "mtd"))
    # Hà Nội has no sub-units: it is ranked among its 34 peers, outlined.
    peers = browser.find_element(By.ID, "dossiers-ranking")
    assert int(peers.get_attribute("data-count")) == 34 != agency_ranking
    bold = browser.execute_script(
        "const g = document.querySelector('#dossiers-ranking .js-plotly-plot');"
        "return g.layout.yaxis.ticktext.filter(t => t.startsWith('<b>'));"
    )
    assert len(bold) == 1 and "TP. Hà Nội" in bold[0]
    assert console_messages(browser) == []


def test_ranking_picker_and_drill_down(demo_server, browser):
    open_page(browser, f"{demo_server.url}/documents?period=mtd", "documents")
    assert browser.find_element(By.ID, "documents-ranking").get_attribute("data-kpi") == "VB-09"
    browser.find_element(By.CSS_SELECTOR, ".dom-picker--rank .dash-dropdown").click()
    options = WebDriverWait(browser, 10).until(
        EC.visibility_of_all_elements_located((By.CSS_SELECTOR, ".dash-dropdown-option"))
    )
    next(o for o in options if o.text.strip() == "Tỷ lệ văn bản trao đổi dưới dạng điện tử").click()
    WebDriverWait(browser, 20).until(lambda d: "rank=VB-02" in d.current_url)
    WebDriverWait(browser, 20).until(
        lambda d: d.find_element(By.ID, "documents-ranking").get_attribute("data-kpi") == "VB-02"
    )
    wait_drawn(browser, "documents")
    # The bar at the top is rank 1; a click on it opens that unit.
    code = browser.execute_script(
        "const g = document.querySelector('#documents-ranking .js-plotly-plot');"
        "const c = g.data[0].customdata; return c[c.length - 1][0];"
    )
    bars = browser.find_elements(By.CSS_SELECTOR, "#documents-ranking .bars .point path")
    top = min(bars, key=lambda b: b.location["y"])
    ActionChains(browser).move_to_element(top).click().perform()
    WebDriverWait(browser, 20).until(lambda d: f"unit={code}" in d.current_url)
    WebDriverWait(browser, 20).until(
        lambda d: d.find_element(By.ID, "documents-scope").text != "Toàn cơ quan"
    )
    assert "rank=VB-02" in browser.current_url
    assert console_messages(browser) == []


def test_a_bookmarked_view_reopens_as_saved_and_kiosk_hides_the_controls(demo_server, browser):
    open_page(browser, f"{demo_server.url}/meetings?period=ytd&unit=BMP-SO&lang=en", "meetings")
    assert browser.find_element(By.CSS_SELECTOR, ".dom-segmented label.selected").text == "Year to date"
    assert (
        browser.find_element(By.CSS_SELECTOR, ".dom-picker--unit .dash-dropdown-value").text.strip()
        == "Provincial departments (34 provinces and cities)"
    )
    assert browser.find_element(By.ID, "meetings-period").text.startswith(
        f"Year to date (01 Jan {date.today().year}"
    )
    # More than a month: the calendar folds onto weekdays.
    assert "Meetings by weekday and hour" in browser.find_element(By.ID, "meetings-calendar-card").text
    # The wall variant: tiles and at most three charts on one screen, no ranking (tests/e2e/test_slides_fit.py).
    browser.get(f"{demo_server.url}/meetings?period=rolling7&kiosk=1")
    WebDriverWait(browser, 30).until(
        lambda d: plotted(d, "meetings-activity") > 0, message="meetings-activity not drawn"
    )
    assert len(browser.find_elements(By.CSS_SELECTOR, ".dom-sections--kiosk > .dom-card")) <= 3
    assert not browser.find_elements(By.ID, "meetings-ranking-card")
    assert not browser.find_elements(By.CSS_SELECTOR, ".dom-pickers, .ioc-nav")
    assert browser.find_element(By.ID, "meetings-period").text.startswith("7 ngày qua (")
    assert console_messages(browser) == []


def test_a_unit_the_visitor_may_not_see_falls_back_to_the_agency_and_says_so(demo_server, browser):
    open_page(browser, f"{demo_server.url}/documents?unit=SO-99&period=whenever", "documents")
    notices = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".dom-notice")]
    assert notices == [
        "Kỳ “whenever” không hợp lệ: đang hiển thị số liệu từ đầu tháng.",
        "Không có quyền xem đơn vị này (hoặc đơn vị không tồn tại): đang hiển thị phạm vi của bạn.",
    ]
    assert browser.find_element(By.ID, "documents-scope").text == "Toàn cơ quan"
    assert console_messages(browser) == []


@pytest.mark.parametrize("page", list(PAGES))
def test_an_empty_store_says_why_instead_of_drawing_zeros(empty_server, browser, page):
    console_messages(browser)
    browser.get(f"{empty_server.url}/{page}")
    WebDriverWait(browser, 30).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".dom-graph--empty .main-svg")) >= 3
    )
    tiles = browser.find_elements(By.CSS_SELECTOR, ".dom-tiles .ioc-tile")
    assert len(tiles) == len(PAGES[page]["kpis"])
    assert all("ioc-tile--nodata" in t.get_attribute("class") for t in tiles)
    assert not browser.find_elements(
        By.CSS_SELECTOR, ".dom-graph:not(.dom-graph--empty)"
    )  # not one axis of zeros
    assert not browser.find_elements(By.CSS_SELECTOR, ".dom-stat")  # nor a "0" figure
    assert (
        "Chưa có dữ liệu: chưa có nguồn nào cung cấp"
        in browser.find_element(By.CSS_SELECTOR, ".dom-sections").text
    )
    assert console_messages(browser) == []
