"""The Dash app against real databases: schema guard, empty-store page, version-keyed cache."""

from sqlalchemy import select

from dashboard.db import bump_data_version, make_sessionmaker, upgrade
from dashboard.models import Document, OrgUnit
from dashboard.queries import cached_by_version
from dashboard.units import DEMO_UNITS_FILE, import_units_file
from tests.access_support import request_as
from tests.dash_support import render_text
from tests.tiers import require


def home_text(app, path="/"):
    """What the home page shows, called the way Dash Pages calls it (query string as kwargs)."""
    from flask import request

    home = next(p for p in app_pages() if p["path"] == "/")
    with request_as(app, path):
        return render_text(home["layout"](**request.args))


def app_pages():
    import dash

    return list(dash.page_registry.values())


def test_unmigrated_database_gets_a_self_reloading_503_page(databases, build_app):
    app = build_app(databases.engine(migrated=False))
    client = app.server.test_client()
    response = client.get("/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    body = response.get_data(as_text=True)
    assert "Cơ sở dữ liệu cần được nâng cấp" in body
    assert "ioc db upgrade" in body
    assert '<meta http-equiv="refresh" content="30">' in body
    # Static files are still served so the notice is styled.
    assert client.get("/assets/style.css").status_code == 200
    # Once migrated, the same running app serves pages without a restart (first the sign-in).
    upgrade(app.server.extensions["ioc"].engine)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/login").status_code == 200


def tile_values(text: str) -> dict[str, str]:
    """KPI id → the raw value a tile carries ("" when it has no value), from the rendered tree."""
    import json

    found: dict[str, str] = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props") if isinstance(node.get("props"), dict) else {}
            if "data-kpi" in props:
                found[props["data-kpi"]] = props.get("data-value", "")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(text))
    return found


def test_empty_store_says_so_instead_of_showing_zeros(engine, build_app):
    app = build_app(engine)
    text = home_text(app)
    values = tile_values(text)
    assert len(values) >= 12 and set(values.values()) == {""}, values  # no tile pretends a zero
    assert "Chưa có dữ liệu" in text
    assert "Kho dữ liệu đang trống" in text
    assert "ioc units import" in text
    english = home_text(app, "/?lang=en")
    assert "No data yet" in english and "Chưa có dữ liệu" not in english


def test_home_shows_new_data_once_the_data_version_moves(engine, build_app, monkeypatch):
    from dashboard import rollups
    from dashboard.timeutil import VN_TZ, utcnow

    # Cache keys carry the minute (month to date moves with the clock): the wall and its queries
    # read a clock held still, so the "not yet visible" read below cannot fall into the next
    # minute (which would make a fresh key and show the data early) whatever the time.
    frozen = utcnow()
    app = build_app(engine)  # imports the pages
    monkeypatch.setattr("dashboard.queries.utcnow", lambda: frozen)
    import sys

    (home,) = [
        m
        for m in list(sys.modules.values())
        if (getattr(m, "__file__", None) or "").endswith("layouts/home.py")
    ]
    monkeypatch.setattr(home, "utcnow", lambda: frozen)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)  # bumps the data version itself
    text = home_text(app)
    assert "DỮ LIỆU MÔ PHỎNG" in text and tile_values(text)["VB-01"] == ""
    now = frozen.astimezone(VN_TZ)
    with sessions.begin() as session:
        unit_id = session.scalar(select(OrgUnit.id).where(OrgUnit.code == "SO-01"))
        for i in range(1234):
            session.add(
                Document(
                    source="t",
                    source_id=str(i),
                    unit_id=unit_id,
                    direction="in",
                    channel="axis",
                    registered_at=now,
                    registered_day=now.date(),
                )
            )
        rollups.rebuild(session)
    # Not yet visible: the writer has not bumped the version, so the cached answer stands.
    assert tile_values(home_text(app))["VB-01"] == ""
    with sessions.begin() as session:
        bump_data_version(session)
    assert float(tile_values(home_text(app))["VB-01"]) == 1234


def _count_computations(apps, engine):
    calls = []

    def compute(_session):
        calls.append(1)
        return {"answer": 42}

    sessions = make_sessionmaker(engine)
    for app in apps:
        for _ in range(5):
            with app.server.app_context(), sessions() as session:
                assert cached_by_version("probe", session, compute, "scope") == {"answer": 42}
    return calls


def test_many_screens_on_many_workers_cost_one_computation_filesystem(engine, build_app):
    apps = [build_app(engine) for _ in range(3)]  # three "workers" sharing one cache directory
    assert len(_count_computations(apps, engine)) == 1


def test_many_screens_on_many_workers_cost_one_computation_redis(engine, build_app):
    redis_url = require("redis").value
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    apps = [build_app(engine, cache_backend="redis", redis_url=redis_url) for _ in range(3)]
    assert len(_count_computations(apps, engine)) == 1
    assert any(key.startswith(b"ioc:probe:") for key in redis.Redis.from_url(redis_url).keys("ioc:*"))
