"""Units ranking and a unit's page in Chromium: ranking with links, action lists in a grid, and
an export that downloads exactly the rows shown."""

import csv
import io
import sqlite3
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.rollups import DOC_OPEN_CODES, DOSSIER_IN_PROGRESS
from tests.e2e.conftest import console_messages, screenshot

pytestmark = pytest.mark.browser


def grid_ids(browser):
    return browser.execute_script(
        "const api = dash_ag_grid.getApi('actions-grid'); const ids = [];"
        "api.forEachNodeAfterFilterAndSort(n => ids.push(n.data.id)); return ids;"
    )


def wait_download(folder, suffix, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(f"*{suffix}") if p.stat().st_size > 0]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} download in {folder}: {list(folder.iterdir())}")


def test_ranking_lists_the_34_provincial_departments_and_links_to_them(demo_server, browser):
    console_messages(browser)
    browser.get(demo_server.url + "/units?kpi=DVC-06&group=province&period=mtd")
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "ranking-table")))
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.ioc-rank")
    assert len(rows) == 34
    places = [r.find_element(By.CSS_SELECTOR, ".ioc-rank__place").text for r in rows]
    ranked = [int(p) for p in places if p != "–"]
    assert ranked == sorted(ranked) and ranked[0] == 1
    assert console_messages(browser) == []
    screenshot(browser, "units-ranking-vi", 1920, 1080)
    rows[0].find_element(By.TAG_NAME, "a").click()
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "actions-grid")))
    assert "/units/SO-" in browser.current_url


def unit_with_both_kinds_overdue(server) -> tuple[str, str]:
    """(code, name) of a provincial department with overdue open documents *and* dossiers in the
    demo store: which ones have both depends on the day the simulated history ends."""
    db = Path(server.env["IOC_DATA_DIR"]) / "ioc.sqlite3"
    in_progress = ", ".join(str(int(s)) for s in DOSSIER_IN_PROGRESS)
    open_codes = ", ".join(f"'{c}'" for c in DOC_OPEN_CODES)
    with sqlite3.connect(db) as conn:  # as dashboard.kpi.lists selects them; due before yesterday
        row = conn.execute(
            "SELECT u.code, u.name_vi FROM org_unit u WHERE u.code LIKE 'SO-%' "
            "AND EXISTS (SELECT 1 FROM document d WHERE d.unit_id = u.id AND d.completed_at IS NULL "
            f"  AND (d.status_code IN ({open_codes}) OR d.status_code IS NULL) "
            "  AND d.registered_at IS NOT NULL AND d.due_at < date('now', '-1 day')) "
            "AND EXISTS (SELECT 1 FROM dossier h WHERE h.unit_id = u.id "
            f"  AND h.status IN ({in_progress}) AND h.due_at < date('now', '-1 day')) "
            "ORDER BY u.code LIMIT 1"
        ).fetchone()
    assert row is not None, "the demo has no department with both kinds of overdue items"
    return row


def test_unit_page_exports_exactly_the_rows_shown(demo_server, browser, tmp_path):
    code, name = unit_with_both_kinds_overdue(demo_server)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    console_messages(browser)
    browser.get(demo_server.url + f"/units/{code}")
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script(
            "try { return dash_ag_grid.getApi('actions-grid').getDisplayedRowCount() > 0 } catch (e) { return false }"
        )
    )
    everything = grid_ids(browser)
    assert len(everything) >= 3
    assert browser.find_element(By.ID, "tile-DVC-06").get_attribute("data-kpi") == "DVC-06"
    screenshot(browser, "unit-page-vi", 1920, 1080)
    # Filter the grid to dossiers only (the "Loại" column), then export: the file holds those rows.
    browser.execute_script(
        "const api = dash_ag_grid.getApi('actions-grid');"
        "api.setColumnFilterModel('kind', {filterType: 'text', type: 'equals', filter: 'Hồ sơ'}).then(() => api.onFilterChanged());"
    )
    WebDriverWait(browser, 10).until(lambda d: len(grid_ids(d)) < len(everything))
    shown = grid_ids(browser)
    browser.find_element(By.ID, "export-csv").click()
    data = wait_download(downloads, ".csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert [row["Mã"] for row in table] == shown
    assert {row["Loại"] for row in table} == {"Hồ sơ"}
    browser.find_element(By.ID, "export-xlsx").click()
    book = load_workbook(wait_download(downloads, ".xlsx"))
    sheet = book.active
    assert sheet["A1"].value.startswith(f"Việc cần xử lý – {name}")
    assert [row[2] for row in sheet.iter_rows(min_row=3, values_only=True)] == shown
    assert console_messages(browser) == []


def test_unknown_unit_says_so(demo_server, browser):
    browser.get(demo_server.url + "/units/NOPE")
    notice = WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "unit-not-found")))
    assert "Không có quyền xem đơn vị này" in notice.text and "NOPE" not in notice.text
