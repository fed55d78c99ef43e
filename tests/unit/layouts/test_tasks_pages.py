"""``/nhiem-vu`` and the units' tasks block in-process on a simulated store (40 days: some tasks are
overdue): the action list is the open overdue tasks of the visitor's scope, most overdue first,
never another unit's; a unit's page lists its own overdue tasks and links to /nhiem-vu."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dashboard.config import load_settings
from dashboard.task_data import overdue_tasks
from dashboard.webapp import create_app, read_session
from tests.access_support import unit_head
from tests.dash_support import reset_dash_globals
from tests.unit.layouts.test_wall_pages import find, page_layout

TASK_KPIS = ["NV-01", "NV-02", "NV-03", "NV-04", "NV-05", "NV-06", "NV-07"]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("tasks-store")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env["IOC_DATA_DIR"] = str(data_dir)
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "demo", "--no-serve", "--days", "40"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "collected mo-phong-nhiem-vu: success" in done.stdout
    return data_dir


@pytest.fixture(scope="module")
def app(demo_dir):
    reset_dash_globals()
    for name in [m for m in sys.modules if m.startswith("layouts.") or m == "layouts"]:
        del sys.modules[name]
    settings = load_settings(
        env={}, data_dir=demo_dir, sources_file=demo_dir / "demo" / "sources.toml", cache_backend="simple"
    )
    yield create_app(settings)
    reset_dash_globals()


def grid(tree) -> list[dict]:
    return find(tree, id="tasks-grid")[0]["props"]["rowData"]


def test_the_tasks_page_lists_the_open_overdue_tasks_most_overdue_first(app):
    tree = page_layout(app, "/nhiem-vu?period=mtd")
    tiles = [
        t["props"]["data-kpi"] for t in find(tree) if str(t["props"].get("id", "")).startswith("tile-NV")
    ]
    assert tiles == TASK_KPIS
    rows = grid(tree)
    with app.server.app_context(), read_session() as session:
        expected = overdue_tasks(session, None)
    assert rows and [r["id"] for r in rows] == [i.source_id for i in expected.items]
    days = [r["days_overdue"] for r in rows]
    assert all(d > 0 for d in days) and days == sorted(days, reverse=True)
    assert all(r["directive"] and r["unit"] and r["due"] for r in rows)
    # The NV-05 tile counts exactly the tasks the list shows (open, due day before today).
    nv05 = find(tree, id="tile-NV-05")[0]["props"]["data-value"]
    assert float(nv05) == len(rows)


def test_a_unit_head_sees_only_the_own_units_tasks_and_the_units_page_block(app):
    with app.server.app_context(), read_session() as session:
        everything = overdue_tasks(session, None)
    unit = everything.items[0].unit_code  # the unit whose task is most overdue
    other = next((i for i in everything.items if i.unit_code != unit), None)
    head = unit_head(unit)
    # Asking for the whole agency as the unit's head: the server keeps the head's scope.
    rows = grid(page_layout(app, "/nhiem-vu?unit=BMP", principal=head))
    own = [i for i in everything.items if i.unit_code == unit]
    assert [r["id"] for r in rows] == [i.source_id for i in own]
    if other is not None:
        assert other.source_id not in {r["id"] for r in rows}
    import dash

    from tests.access_support import request_as

    unit_page = next(p for p in dash.page_registry.values() if p.get("path_template") == "/units/<code>")
    with request_as(app, f"/units/{unit}", head):
        page = unit_page["layout"](code=unit)
    listed = find(page, id="unit-tasks")[0]
    items = find(listed, className="nv-list__item")
    assert len(items) == min(10, len(own))
    link = find(page, id="unit-tasks-link")[0]["props"]["href"]
    assert link == f"/nhiem-vu?unit={unit}"
    assert [
        t["props"]["data-kpi"]
        for t in find(page)
        if t["props"].get("data-kpi", "").startswith("NV-") and "ioc-tile" in t["props"].get("className", "")
    ] == [
        "NV-05",
        "NV-07",
    ]


def test_the_kiosk_variant_has_the_short_list_and_no_grid(app):
    tree = page_layout(app, "/nhiem-vu?kiosk=1")
    assert not find(tree, id="tasks-grid") and not find(tree, id="tasks-ranking-card")
    assert find(tree, id="tasks-overdue-list")
