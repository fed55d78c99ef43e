"""Rejected data in Chromium: a source whose drop folder received a web page saved as CSV is
not shown as healthy on /sources, its latest rejects are listed with reasons, and the link leads
to the rejects view (Vietnamese, then English) with its export."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import LiveServer, console_messages, run_cli, screenshot
from tests.integration.collectors.test_runner_file import COLUMNS, EXPORT
from tests.tiers import require

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def rejects_server(tmp_path_factory):
    require("browser")
    data_dir = tmp_path_factory.mktemp("ioc-e2e-rejects")
    server = LiveServer(data_dir)
    prepared = run_cli(["demo", "--no-serve", "--no-simulation"], server.env)
    assert prepared.returncode == 0, prepared.stderr
    drop = data_dir / "drop"
    drop.mkdir()
    (drop / "a-hop.csv").write_text(EXPORT, encoding="utf-8")
    (drop / "b-trang-web.csv").write_text(
        "<!DOCTYPE html><html><body><h1>Lỗi 500</h1></body></html>\n", encoding="utf-8"
    )
    columns = "\n".join(f'"{header}" = "{field}"' for header, field in COLUMNS.items())
    sources = data_dir / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "hop"\ndomain = "meetings"\nadapter = "file"\ninterval = "1h"\n'
        f'[source.options]\nfolder = "{drop}"\nsettle_seconds = 0\n[source.options.columns]\n{columns}\n',
        encoding="utf-8",
    )
    collected = run_cli(["collect", "--once", "hop", "--sources", str(sources)], server.env)
    assert collected.returncode == 0, collected.stderr
    server.env["IOC_SOURCES_FILE"] = str(sources)
    server.start()
    yield server
    server.stop()


def test_a_refused_file_shows_on_sources_and_in_the_rejects_view(rejects_server, browser):
    browser.delete_cookie("ioc_lang")  # (signed in by the autouse fixture)
    console_messages(browser)
    browser.get(rejects_server.url + "/sources")
    row = WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.ID, "source-hop")))
    assert row.find_element(By.CSS_SELECTOR, ".ioc-state").text == "◆ Có tệp bị từ chối"
    items = [li.text for li in row.find_elements(By.CSS_SELECTOR, ".ioc-rejects__item")]
    assert items[0].startswith("b-trang-web.csv — Không tìm thấy dòng tiêu đề với các cột đã cấu hình")
    assert items[1].startswith("a-hop.csv:9 — ")
    assert "1 tệp bị từ chối trong 24 giờ" in row.text
    screenshot(browser, "sources-rejects-vi", 1920, 1080)

    browser.find_element(By.ID, "rejects-link-hop").click()
    table = WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.ID, "rejects-table")))
    assert browser.find_element(By.CSS_SELECTOR, ".ioc-page-title").text == "Dữ liệu bị loại – hop"
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) == 4
    assert "Cả tệp bị từ chối" in rows[0].text and "b-trang-web.csv" in rows[0].text
    # the source's text is shown as text: the saved web page's markup is not rendered
    assert "<!DOCTYPE html>" in rows[0].text
    assert browser.find_elements(By.TAG_NAME, "h1") == [] or all(
        "Lỗi 500" not in h.text for h in browser.find_elements(By.TAG_NAME, "h1")
    )
    assert browser.find_element(By.ID, "rejects-export").is_enabled()

    browser.get(rejects_server.url + "/sources/rejects?source=hop&lang=en")
    table = WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.ID, "rejects-table")))
    assert browser.find_element(By.CSS_SELECTOR, ".ioc-page-title").text == "Rejected data – hop"
    first = table.find_elements(By.CSS_SELECTOR, "tbody tr")[0].text
    assert "Whole file refused" in first and "No header row with the configured columns" in first
    assert browser.find_element(By.ID, "rejects-export").text == "Export CSV"
    assert console_messages(browser) == []
