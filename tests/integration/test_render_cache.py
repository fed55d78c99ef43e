"""The shared wall render: one computation per distinct answer across threads, workers and
scopes; never one scope's render for another; a stopped cache only makes it slower."""

import threading
import time

import pytest

from dashboard import metrics, render_cache
from dashboard.cache import safe_get, safe_set
from tests.access_support import leader, request_as, unit_head
from tests.tiers import require


def _backends():
    return ["filesystem", "simple", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(params=_backends())
def cached_app(request, engine, build_app):
    overrides = {"cache_backend": request.param}
    if request.param == "redis":
        import redis

        url = require("redis").value
        redis.Redis.from_url(url).flushdb()
        overrides["redis_url"] = url
    app = build_app(engine, **overrides)
    with app.server.app_context():
        yield app


def _slow(counter: list, value, delay: float = 0.3):
    def compute():
        counter.append(1)
        time.sleep(delay)
        return value

    return compute


def test_concurrent_misses_compute_once(cached_app):
    calls, results = [], []
    key = render_cache.cache_key("test", "same", time.time())

    def ask():
        results.append(render_cache.shared(key, _slow(calls, {"v": 1}), timeout=60))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(calls) == 1
    assert results == [{"v": 1}] * 8


def test_a_miss_waits_for_another_process_holding_the_key(cached_app):
    """Another worker (here: its lock, taken directly) computes: this one waits for its answer."""
    key = render_cache.cache_key("test", "other-process", time.time())
    theirs = render_cache._cross_process_lock(key)
    if isinstance(theirs, render_cache._NoLock):  # a per-process cache: threads only (tested above)
        assert cached_app.server.config["IOC_SETTINGS"].cache_backend == "simple"
        return
    assert theirs.acquire()
    calls, results = [], []
    waiter = threading.Thread(
        target=lambda: results.append(render_cache.shared(key, _slow(calls, "mine"), timeout=60))
    )
    waiter.start()
    time.sleep(0.3)
    assert waiter.is_alive() and not calls  # waiting, not computing
    safe_set(key, "theirs", 60)
    theirs.release()
    waiter.join(5)
    assert results == ["theirs"] and not calls


def test_cold_renders_are_bounded_per_process(cached_app):
    running, peak, lock = [0], [0], threading.Lock()

    def compute():
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.1)
        with lock:
            running[0] -= 1
        return 1

    stamp = time.time()
    threads = [
        threading.Thread(
            target=render_cache.shared,
            args=(render_cache.cache_key("bound", i, stamp), compute),
            kwargs={"timeout": 60, "concurrency": 2},
        )
        for i in range(6)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert peak[0] == 2


def _wall_refresh(app, principal, unit):
    from layouts import home

    view = {"unit": unit, "period": "mtd", "lang": "vi", "kiosk": True, "signature": "stale"}
    with request_as(app, "/_dash-update-component", principal, method="POST"):
        return home.refresh(1, view)


def test_renders_are_shared_within_a_scope_and_never_across(engine, build_app):
    from dashboard.db import make_sessionmaker
    from dashboard.units import DEMO_UNITS_FILE, import_units_file

    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
    app = build_app(engine)
    boss = leader(app)
    # A province department: the leader and its head both ask for it.
    from sqlalchemy import select

    from dashboard.models import OrgUnit

    with make_sessionmaker(engine)() as session:
        unit = session.scalar(
            select(OrgUnit.code).where(OrgUnit.level == "province").order_by(OrgUnit.code).limit(1)
        )
    head = unit_head(unit)
    renders = lambda: metrics.WALL_RENDERS._value.get()  # noqa: E731
    first = renders()
    as_leader = _wall_refresh(app, boss, unit)
    as_head = _wall_refresh(app, head, unit)
    assert renders() - first == 2  # same unit, period, language and data: two scopes, two renders
    again = (_wall_refresh(app, boss, unit), _wall_refresh(app, head, unit))
    assert renders() - first == 2
    assert [out[3] for out in again] == [as_leader[3], as_head[3]]
    assert repr(again[0][0]) == repr(as_leader[0]) and repr(again[1][0]) == repr(as_head[0])
    # The whole agency for the leader; the head cannot have it, not even from the cache.
    whole = _wall_refresh(app, boss, None)
    assert _wall_refresh(app, head, None)[3]["unit"] == unit
    assert whole[3]["unit"] is None


def test_pages_keep_serving_when_the_cache_is_down(engine, build_app):
    from dashboard.db import make_sessionmaker
    from dashboard.units import DEMO_UNITS_FILE, import_units_file

    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
    app = build_app(engine, cache_backend="redis", redis_url="redis://127.0.0.1:1/0")  # nobody listens
    with app.server.app_context():
        assert safe_get("anything") is None and safe_set("anything", 1) is False
    out = _wall_refresh(app, leader(app), None)
    assert out[3]["unit"] is None and out[3]["signature"].startswith("v")
