"""The wall (``/``) and playlist (``/wall``) pages in-process on a small simulated store: tiles equal
the KPI engine's, scope and period from the URL, kiosk without controls, refreshes only when the
data moved, playlists resolved or explained — called the way Dash Pages calls them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

import dash
import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from dashboard.access import Principal
from dashboard.config import load_settings
from dashboard.db import bump_data_version
from dashboard.kpi.display import format_value
from dashboard.queries import current_data_version, overview, ranking
from dashboard.webapp import create_app, read_session
from tests.access_support import request_as, roots, unit_head
from tests.dash_support import render_text, reset_dash_globals


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("wall-store")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env["IOC_DATA_DIR"] = str(data_dir)
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "demo", "--no-serve", "--days", "5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
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


@pytest.fixture(autouse=True)
def no_own_playlists(demo_dir):
    yield
    (demo_dir / "playlists.toml").unlink(missing_ok=True)


def page_layout(app, path: str, principal=None):
    """The page's component tree for ``path``, as Dash Pages builds it (query string as kwargs)."""
    from flask import request

    route = path.split("?")[0]
    for p in dash.page_registry.values():
        template = p.get("path_template")
        if template and template.split("<")[0] == route.rsplit("/", 1)[0] + "/" and route.count("/") == 2:
            name = template.split("<")[1].rstrip(">")
            with request_as(app, path, principal):
                return p["layout"](**{name: route.rsplit("/", 1)[1]}, **request.args)
    found = next(p for p in dash.page_registry.values() if p["path"] == route)
    with request_as(app, path, principal):
        return found["layout"](**request.args)


def find(node, **props) -> list[dict]:
    """Every component (as JSON) whose props include ``props``."""
    out = []

    def walk(n):
        if isinstance(n, dict):
            p = n.get("props")
            if isinstance(p, dict) and all(p.get(k) == v for k, v in props.items()):
                out.append(n)
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)

    walk(json.loads(render_text(node)) if not isinstance(node, (dict, list)) else node)
    return out


def tile_values(tree) -> dict[str, str]:
    return {
        t["props"]["data-kpi"]: t["props"]["data-value"]
        for t in find(tree)
        if "data-kpi" in t["props"] and str(t["props"].get("id", "")).startswith("wall-tile-")
    }


def wall_props(tree) -> dict:
    return find(tree, id="wall-content")[0]["props"]


@pytest.mark.parametrize(
    "query, unit", [("", None), ("?unit=SO-25&period=week", "SO-25"), ("?unit=BMP-SO&period=today", "BMP-SO")]
)
def test_tiles_equal_the_kpi_engine_for_the_same_scope_and_period(app, query, unit):
    tree = page_layout(app, "/" + query)
    props = wall_props(tree)
    values = tile_values(tree)
    assert len(values) == 21  # 4 columns of 5 tiles and the 766 index
    with app.server.app_context(), read_session() as session:
        assert int(props["data-version"]) == current_data_version(session)
        engine = overview(
            session, unit, props["data-period"].split(":")[0], now=datetime.fromisoformat(props["data-as-of"])
        )
    assert engine.period.key == props["data-period"]
    assert values == {k: ("" if engine.tile(k).value is None else repr(engine.tile(k).value)) for k in values}
    assert any(v not in ("", "0.0") for v in values.values()), "a simulated store has figures"


def test_scope_period_and_the_units_needing_attention(app):
    text = render_text(page_layout(app, "/?period=today"))
    assert "Toàn cơ quan" in text and "Hôm nay" in text
    assert "Đơn vị cần chú ý" in text and "Các Sở Nông nghiệp và Môi trường (34 tỉnh, thành phố)" in text
    leaf = render_text(page_layout(app, "/?unit=SO-25&kiosk=1"))
    assert (
        "Sở Nông nghiệp và Môi trường tỉnh Phú Thọ" in leaf
        and "Việc cần xử lý" in leaf
        and "Đơn vị cần chú ý" not in leaf
    )
    odd = page_layout(app, "/?period=fortnight")
    assert wall_props(odd)["data-period"].startswith("mtd:")  # an unknown period falls back to month to date


def test_an_unknown_unit_is_said_plainly(app):
    tree = page_layout(app, "/?unit=NOPE")
    text = render_text(tree)
    assert "Không tìm thấy đơn vị" in text and "Không có quyền xem đơn vị này" in text and "NOPE" not in text
    assert not find(tree, id="wall-content")


def test_kiosk_has_no_controls_and_the_browser_has_them(app):
    kiosk = page_layout(app, "/?kiosk=1")
    assert not find(kiosk, id="wall-unit") and not find(kiosk, className="ioc-nav")
    assert "ioc-kiosk" in find(kiosk, lang="vi")[0]["props"]["className"]
    browser = page_layout(app, "/?lang=en")
    picker = find(browser, id="wall-unit")[0]["props"]
    assert len(picker["options"]) == 56 and picker["placeholder"] == "Whole agency"
    chips = find(browser, id="wall-period-mtd")[0]["props"]
    assert "ioc-chip--active" in chips["className"] and chips["href"] == "/?lang=en&period=mtd"


def test_a_refresh_redraws_only_when_the_data_moved(app, demo_dir):
    from dashboard.cache import cache
    from dashboard.queries import VERSION_KEY
    from layouts import home

    tree = page_layout(app, "/?kiosk=1")
    view = find(tree, id="wall-view")[0]["props"]["data"]
    with request_as(app, "/_dash-update-component"):
        assert home.refresh({"n": 1}, view) == (no_update,) * 4
        with pytest.raises(PreventUpdate):
            home.refresh(None, view)
    with app.server.app_context(), read_session() as session:
        bump_data_version(session)
        session.commit()
    with request_as(app, "/_dash-update-component"):
        # While the shared cache holds the version read a moment ago (one database round trip a
        # second serves every screen and worker) it stands; once it expires, the new commit is drawn.
        assert home.refresh({"n": 2}, view) == (no_update,) * 4
        cache.delete(VERSION_KEY)
        body, dates, freshness, new_view = home.refresh({"n": 2}, view)
    assert new_view["signature"] != view["signature"] and new_view["unit"] is None
    assert wall_props(body)["data-version"] == str(int(wall_props(tree)["data-version"]) + 1)
    assert dates.startswith("Từ đầu tháng (")
    assert "ioc-wall__fresh" in render_text(freshness)
    with request_as(app, "/_dash-update-component"):
        assert home.refresh({"n": 3}, new_view) == (no_update,) * 4


def test_the_unit_picker_puts_the_unit_in_the_url(app):
    from layouts import home

    with request_as(app, "/_dash-update-component"):
        assert home.choose_unit("SO-01", {"unit": None}, "?period=today") == "?period=today&unit=SO-01"
        assert home.choose_unit(None, {"unit": "SO-01"}, "?unit=SO-01&lang=en") == "?lang=en"
        with pytest.raises(PreventUpdate):
            home.choose_unit("SO-01", {"unit": "SO-01"}, "?unit=SO-01")
    with request_as(app, "/_dash-update-component", unit_head("SO-79")), pytest.raises(PreventUpdate):
        home.choose_unit("SO-01", {"unit": None}, "")  # never a unit outside the scope, not even in a URL


def test_a_playlist_rotates_kiosk_slides_with_the_weakest_unit_resolved(app):
    leadership = Principal("user", 4, "lanh-dao", "Lãnh đạo", tuple(("lanh_dao", c) for c in roots(app)))
    tree = page_layout(app, "/wall?playlist=tong-quan", leadership)
    host = find(tree, id="wall-playlist")[0]["props"]
    slides = json.loads(host["data-slides"])
    assert [s["url"].split("?")[0] for s in slides] == ["/", "/dossiers", "/", "/documents", "/meetings"]
    assert all("kiosk=1" in s["url"] and "lang=vi" in s["url"] for s in slides)
    assert [s["dwell"] for s in slides] == [60, 45, 45, 45, 45]
    with app.server.app_context(), read_session() as session:
        rows = [r for r in ranking(session, "DVC-06", "mtd", level="province") if r.rank is not None]
    worst = max(rows, key=lambda r: r.rank).code
    assert slides[2]["unit"] == worst and f"unit={worst}" in slides[2]["url"]
    assert "ioc-kiosk" in host["className"]


def test_the_weakest_unit_slide_says_why_and_a_forged_reason_says_nothing(app):
    leadership = Principal("user", 4, "lanh-dao", "Lãnh đạo", tuple(("lanh_dao", c) for c in roots(app)))
    slides = json.loads(
        find(page_layout(app, "/wall?playlist=tong-quan", leadership), id="wall-playlist")[0]["props"][
            "data-slides"
        ]
    )
    url = slides[2]["url"]
    assert "why=weakest%3ADVC-06" in url
    with app.server.app_context(), read_session() as session:
        rows = [r for r in ranking(session, "DVC-06", "mtd", level="province") if r.rank is not None]
    worst = max(rows, key=lambda r: r.rank)
    why = find(page_layout(app, url, leadership), id="wall-why")
    assert len(why) == 1
    text = why[0]["props"]["children"]
    assert text.startswith("Được chiếu vì thấp nhất về Giải quyết đúng hạn (chỉ số 766) trong 34 Sở"), text
    assert format_value(worst.value, "percent", "vi") in text
    # The URL asks the question; the server answers it: another unit, or a made-up KPI, gets no reason.
    best = min(rows, key=lambda r: r.rank).code
    forged = url.replace(f"unit={worst.code}", f"unit={best}")
    assert find(page_layout(app, forged, leadership), id="wall-why") == []
    assert find(page_layout(app, url.replace("DVC-06", "XX-1"), leadership), id="wall-why") == []


def test_an_unknown_playlist_lists_the_ones_there_are(app):
    text = render_text(page_layout(app, "/wall?playlist=khong-co"))
    assert "Không có danh sách trình chiếu 'khong-co'" in text
    assert "Tổng quan điều hành" in text and "Dịch vụ công – theo dõi hằng ngày" in text
    assert "5 trang chiếu, 4 phút một vòng" in text
    chooser = render_text(page_layout(app, "/wall?lang=en"))
    assert "Choose a playlist" in chooser and "Operations overview" in chooser


def test_the_playlists_file_of_the_data_dir_is_used_and_explained(app, demo_dir):
    own = demo_dir / "playlists.toml"
    own.write_text(
        '[playlists.so]\ntitle_vi = "Sở"\nslides = [{ page = "/", unit = "SO-01", dwell = 5 },'
        ' { page = "/", unit = "SO-XX", dwell = 5 }]\n',
        encoding="utf-8",
    )
    text = render_text(page_layout(app, "/wall?playlist=so"))
    assert "Tệp danh sách trình chiếu có lỗi" in text and str(own) in text
    assert "danh sách 'so', trang chiếu 2, trường 'unit': không có đơn vị mã 'SO-XX'" in text
    own.write_text('[playlists.so]\nslides = [{ page = "/", unit = "SO-01", dwell = 5 }]\n', encoding="utf-8")
    slides = json.loads(
        find(page_layout(app, "/wall?playlist=so&theme=light"), id="wall-playlist")[0]["props"]["data-slides"]
    )
    assert slides == [{"url": "/?unit=SO-01&kiosk=1&lang=vi&theme=light", "dwell": 5.0, "unit": "SO-01"}]
    own.write_text('[playlists.so]\nslides = [{ page = "/", dwell = "lâu" }]\n', encoding="utf-8")
    text = render_text(page_layout(app, "/wall?playlist=so&lang=en"))
    assert "The playlist file has errors" in text
    assert (
        "playlist 'so', slide 1, field 'dwell': must be a number of seconds from 5 to 3600 (got 'lâu')"
        in text
    )


def test_the_unit_page_ranks_the_unit_among_peers_without_naming_them(app):
    """A unit head sees the period chips, the standing against the agency and peers (a rank and a
    median), and the action list as cards too — no other unit's name."""
    tree = page_layout(app, "/units/SO-01?period=qtd", unit_head("SO-01"))
    chips = find(tree, id="unit-periods")[0]["props"]["children"]
    assert [c["props"]["href"] for c in chips][:2] == [
        "/units/SO-01?period=today",
        "/units/SO-01?period=week",
    ]
    assert [c["props"]["id"] for c in chips if "ioc-chip--active" in c["props"]["className"]] == [
        "unit-period-qtd"
    ]
    standing = find(tree, id="unit-standing")[0]
    kpis = [n["props"]["data-kpi"] for n in find(standing) if "data-kpi" in n.get("props", {})]
    assert "DVC-06" in kpis and "VB-01" in kpis
    text = render_text(find(tree, id="unit-standing")[0])
    assert "/34" in text and "Trung vị cùng cấp" in text
    with app.server.app_context(), read_session() as session:
        others = [r for r in ranking(session, "DVC-06", "qtd", level="province") if r.code != "SO-01"]
    assert not any(r.name_vi in text for r in others)
    assert find(tree, id="actions-cards")
