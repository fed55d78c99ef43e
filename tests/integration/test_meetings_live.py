"""The meetings page's "Đang diễn ra / Live now" strip: the latest sample of each meeting server,
hidden without samples, a sample older than 3 × its source's interval shown as stale."""

from __future__ import annotations

import json
import sys
from datetime import timedelta

import dash
import pytest

from dashboard.db import bump_data_version, make_sessionmaker
from dashboard.models import MeetingSample
from dashboard.timeutil import utcnow
from dashboard.units import DEMO_UNITS_FILE, import_units_file
from dashboard.webapp import create_app
from tests.access_support import request_as
from tests.dash_support import render_text, reset_dash_globals

SOURCES = """
[[source]]
name = "jitsi"
domain = "meeting_samples"
adapter = "jitsi"
interval = "1m"
[source.options]
jicofo_url = "http://127.0.0.1:9/stats"

[[source]]
name = "jitsi-cu"
domain = "meeting_samples"
adapter = "jitsi"
interval = "1m"
[source.options]
jicofo_url = "http://127.0.0.1:9/stats"
"""


@pytest.fixture
def app(engine, make_settings, tmp_path):
    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCES, encoding="utf-8")
    reset_dash_globals()
    for name in [m for m in sys.modules if m.startswith("layouts.") or m == "layouts"]:
        del sys.modules[name]
    settings = make_settings(
        database_url=engine.url.render_as_string(hide_password=False),
        sources_file=sources,
        cache_backend="simple",
    )
    yield create_app(settings, engine)
    reset_dash_globals()


def meetings_page(app, query: str = "") -> dict:
    from flask import request

    page = next(p for p in dash.page_registry.values() if p["path"] == "/meetings")
    with request_as(app, "/meetings" + query):
        return json.loads(render_text(page["layout"](**request.args)))


def find(node, component_id: str) -> dict | None:
    if isinstance(node, dict):
        if isinstance(node.get("props"), dict) and node["props"].get("id") == component_id:
            return node
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        hit = find(child, component_id)
        if hit is not None:
            return hit
    return None


def add_samples(engine, *samples) -> None:
    with make_sessionmaker(engine).begin() as session:
        session.add_all(
            MeetingSample(source=s, sampled_at=at, meetings_running=m, participants=p)
            for s, at, m, p in samples
        )
        bump_data_version(session)


def test_no_samples_no_strip(app):
    tree = meetings_page(app)
    assert find(tree, "meetings-calendar-card") is not None  # the page rendered
    assert find(tree, "meetings-live") is None


def test_latest_sample_per_source_live_and_stale(app, engine):
    now = utcnow()
    add_samples(
        engine,
        ("jitsi", now - timedelta(minutes=5), 1, 4),  # older sample of the same source
        ("jitsi", now - timedelta(seconds=40), 3, 12),  # the latest: live (< 3 × 1 min)
        ("jitsi-cu", now - timedelta(minutes=20), 7, 90),
    )  # 20 min > 3 × 1 min: stale
    tree = meetings_page(app)
    strip = find(tree, "meetings-live")
    assert strip is not None
    text = render_text(strip)
    assert "Đang diễn ra" in text
    running = render_text(find(strip, "meetings-live-jitsi-running"))
    people = render_text(find(strip, "meetings-live-jitsi-people"))
    assert '"3"' in running and "cập nhật" in running and '"12"' in people
    stale = render_text(find(strip, "meetings-live-jitsi-cu-running"))
    assert "Số liệu cũ" in stale and "20 phút" in stale
    assert '"7"' not in stale and '"90"' not in render_text(find(strip, "meetings-live-jitsi-cu-people"))

    english = render_text(find(meetings_page(app, "?lang=en"), "meetings-live"))
    assert "Live now" in english and "Stale: last sample 20 min ago" in english
