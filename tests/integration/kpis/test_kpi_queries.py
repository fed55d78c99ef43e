"""The one door to data: page-facing reads cached by data version (FileSystemCache, Redis), and
the action list of overdue items."""

from datetime import date

import pytest
from flask import Flask

from dashboard import cache as cache_ext
from dashboard import queries
from dashboard.db import make_sessionmaker
from dashboard.kpi import engine
from dashboard.kpi.periods import Period
from tests.integration.kpis.conftest import MTD, NOW, doc, dossier, feed
from tests.tiers import require


@pytest.fixture
def server(make_settings):
    """A Flask server with the shared cache bound, as ``create_app`` binds it (no Dash needed)."""

    def factory(engine, **overrides):
        settings = make_settings(database_url=engine.url.render_as_string(hide_password=False), **overrides)
        app = Flask("ioc-test")
        app.config["IOC_SETTINGS"] = settings
        cache_ext.init_app(app, settings)
        with app.app_context():
            cache_ext.cache.clear()
        return app

    return factory


@pytest.fixture
def computations(monkeypatch):
    calls = []
    real = engine.compute

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "compute", counting)
    return calls


def _ask(app, store, **kwargs):
    with app.app_context(), make_sessionmaker(store)() as session:
        return queries.overview(session, "SO-01", MTD, now=NOW, **kwargs)


def test_overview_is_computed_once_per_data_version(store, server, computations):
    feed(store, "dossiers", [dossier("1", KenhThucHien=2), dossier("2")])
    apps = [server(store) for _ in range(3)]  # three workers sharing one cache directory
    first = [_ask(app, store) for app in apps for _ in range(4)]
    assert len(computations) == 1
    assert all(o == first[0] for o in first)
    ov = first[0]
    assert [t.kpi_id for t in ov.tiles][:3] == ["VB-01", "VB-02", "VB-03"] and len(ov.tiles) == 42
    assert ov.tile("DVC-02").value == 0.5
    # A collector commits: the version moves, the next read recomputes and shows the new data.
    feed(store, "dossiers", [dossier("3", KenhThucHien=2)])
    again = _ask(apps[1], store)
    assert len(computations) == 2
    assert again.tile("DVC-02").value == pytest.approx(2 / 3)
    with apps[0].app_context(), make_sessionmaker(store)() as session:
        detail = queries.kpi_detail(session, "DVC-02", "SO-01", "mtd", now=NOW)
    assert detail.value == pytest.approx(2 / 3) and detail.series


def test_redis_cache_serves_every_worker(store, server, computations):
    url = require("redis").value
    import redis

    redis.Redis.from_url(url).flushdb()
    feed(store, "dossiers", [dossier("1", KenhThucHien=2)])
    apps = [server(store, cache_backend="redis", redis_url=url) for _ in range(2)]
    assert _ask(apps[0], store) == _ask(apps[1], store)
    assert len(computations) == 1
    assert any(k.startswith(b"ioc:kpi_overview:") for k in redis.Redis.from_url(url).keys("ioc:*"))


def test_the_deployment_targets_file_sets_the_status(store, server, tmp_path):
    feed(store, "dossiers", [dossier("1", KenhThucHien=2), dossier("2")])  # 50 % online
    targets = tmp_path / "targets.toml"
    targets.write_text('[kpi."DVC-02"]\ntarget = 0.8\ngreen = 0.8\namber = 0.6\n', encoding="utf-8")
    app = server(store, targets_file=targets)
    tile = _ask(app, store).tile("DVC-02")
    assert (tile.status, tile.target) == ("red", 0.8)


def test_ranking_service_index_and_action_list_through_the_cache(store, server):
    feed(store, "dossiers", [dossier("1", MaDonVi="SO-01", KenhThucHien=2), dossier("2", MaDonVi="SO-79")])
    app = server(store)
    with app.app_context(), make_sessionmaker(store)() as session:
        # One dossier each: small samples (IOC_MIN_SAMPLE 10), listed but not ranked…
        rows = queries.ranking(session, "DVC-02", "mtd", parent="BMP-SO", now=NOW)
        assert [(r.code, r.rank, r.small_sample) for r in rows[:2]] == [
            ("SO-01", None, True),
            ("SO-79", None, True),
        ]
        # …unless asked for.
        rows = queries.ranking(session, "DVC-02", "mtd", parent="BMP-SO", now=NOW, include_small=True)
        assert (rows[0].code, rows[0].rank, rows[1].code, rows[1].rank) == ("SO-01", 1, "SO-79", 2)
        report = queries.service_index(session, "SO-01", Period.month(2026, 3), now=NOW)
        assert report.is_estimate and report.published is None
        # The estimate's known points on the 100-point scale; with points not yet known it has no band.
        assert report.score == report.estimate.points and report.estimate.unknown_points > 0
        assert report.estimate_band is None
        lost = report.estimate.lost
        assert lost and lost[0][2] >= lost[-1][2]  # where points are lost, most first
        actions = queries.action_list(session, "SO-01", now=NOW)
        assert [i.source_id for i in actions.overdue] == ["1"]


def test_action_list_overdue_and_due_soon_items(store):
    feed(
        store,
        "dossiers",
        [
            dossier("late", NgayHenTra="2026-03-06 17:00"),  # Friday 6/3: 14 days, 10 working days ago
            dossier("later", NgayHenTra="2026-03-18 17:00"),  # 2 days, 2 working days
            dossier("soon", TrangThaiHoSo=2, NgayHenTra="2026-03-20 16:00"),  # due in 6 hours
            dossier("tomorrow", NgayHenTra="2026-03-21 09:00"),  # due in 23 hours
            dossier("fine", NgayHenTra="2026-03-25 17:00"),
            dossier("paused", TrangThaiHoSo=5, NgayHenTra="2026-03-01 17:00"),
            dossier(
                "done", TrangThaiHoSo=10, NgayHenTra="2026-03-01 17:00", NgayKetThucXuLy="2026-03-02 09:00"
            ),
            dossier("elsewhere", MaDonVi="SO-79", NgayHenTra="2026-03-01 17:00"),
        ],
    )
    feed(store, "documents", [doc("D1", due_at="2026-03-19 17:00", status_code="04")])
    from dashboard.kpi.lists import action_list

    with make_sessionmaker(store)() as session:
        result = action_list(session, engine.resolve_scope(session, "SO-01"), now=NOW)
    assert [(i.kind, i.source_id, i.days_overdue, i.working_days_overdue) for i in result.overdue] == [
        ("dossier", "late", 14, 10),
        ("dossier", "later", 2, 2),
        ("document", "D1", 1, 1),
    ]
    assert [(i.source_id, i.hours_left) for i in result.due_soon] == [("soon", 6.0), ("tomorrow", 23.0)]
    assert [i.source_id for i in result.paused] == ["paused"]
    assert result.overdue[0].due_day == date(2026, 3, 6) and result.overdue[0].unit_code == "SO-01"
    assert not result.truncated
    with make_sessionmaker(store)() as session:
        short = action_list(session, engine.resolve_scope(session, "SO-01"), now=NOW, limit=1)
    assert short.truncated and len(short.overdue) == 2  # at most one per list (dossiers, documents)
