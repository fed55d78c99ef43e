"""Operations endpoints against real databases: /healthz, /readyz, /metrics after a small demo
run, the collector's readiness file and `ioc collect health`."""

import json
import re
import time

import pytest

from dashboard import probes
from dashboard.units import DEMO_UNITS_FILE, import_units_file
from tests.access_support import csrf_header, signed_in_client

TOKEN = "metrics-token-0123456789"


def test_healthz_answers_without_a_database(databases, build_app):
    app = build_app(databases.engine(migrated=False))
    response = app.server.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "alive"


def test_readyz_tells_which_check_fails_then_passes_once_migrated(databases, build_app):
    from dashboard.db import upgrade

    app = build_app(databases.engine(migrated=False))
    client = app.server.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unready"
    assert body["checks"]["database"] == "ok" and body["checks"]["cache"] == "ok"
    assert "ioc db upgrade" in body["checks"]["schema"]
    upgrade(app.server.extensions["ioc"].engine)
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "schema": "ok", "cache": "ok"},
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_reports_an_unreachable_cache(engine, build_app):
    # A Redis nobody listens on: the cache check fails with the reason, the others pass.
    app = build_app(engine, cache_backend="redis", redis_url="redis://127.0.0.1:1/0")
    response = app.server.test_client().get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"] == "ok" and checks["schema"] == "ok"
    assert checks["cache"] != "ok"


def _series(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


@pytest.fixture
def demo_app(databases, build_app, make_settings):
    """The app on a store filled by a small demo run (3 simulated days, every source collected once)."""
    from collectors import demo

    engine = databases.engine()
    settings = make_settings(database_url=engine.url.render_as_string(hide_password=False))
    from dashboard.db import make_sessionmaker

    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
    _simulation, _sources, platforms = demo.prepare(settings, engine, days=3, echo=lambda _m: None)
    platforms.stop()
    return build_app(engine, metrics_token=TOKEN)


def test_metrics_after_a_demo_run_show_every_listed_series(demo_app):
    app = demo_app
    client = signed_in_client(app)
    wall = next(
        d
        for d in client.get("/_dash-dependencies").get_json()
        if any(i["id"] == "wall-poll" for i in d["inputs"])
    )
    payload = {
        "output": wall["output"],
        "outputs": [
            {"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]}
            for o in wall["output"].strip(".").split("...")
        ],
        "inputs": [{"id": "wall-poll", "property": "data", "value": 1}],
        "state": [
            {
                "id": "wall-view",
                "property": "data",
                "value": {"unit": None, "period": "mtd", "lang": "vi", "kiosk": True, "signature": "stale"},
            }
        ],
        "changedPropIds": ["wall-poll.data"],
    }
    # Counters live for the process (several tests share it): compare with a scrape before.
    before = _series(app.server.test_client().get("/metrics").get_data(as_text=True))
    for _ in range(3):
        assert (
            client.post("/_dash-update-component", json=payload, headers=csrf_header(client)).status_code
            == 200
        )
    assert client.get("/").status_code == 200

    response = app.server.test_client().get("/metrics")  # from this machine: no token needed
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    series = _series(text)

    def grew(name: str) -> float:
        return series[name] - before.get(name, 0.0)

    assert grew('ioc_http_request_duration_seconds_count{endpoint="callback:wall-body",status="200"}') == 3
    assert grew('ioc_http_request_duration_seconds_count{endpoint="page",status="200"}') >= 1
    # One render for three identical refreshes; the others were served from the render cache.
    assert grew("ioc_wall_renders_total") == 1
    assert grew('ioc_cache_requests_total{cache="wall",result="miss"}') == 1
    assert grew('ioc_cache_requests_total{cache="wall",result="hit"}') == 2
    assert grew('ioc_cache_requests_total{cache="kpi",result="miss"}') >= 1
    assert grew("ioc_wall_render_seconds_count") == 1
    assert series["ioc_data_version"] >= 1
    assert "ioc_screens_active" in series and "ioc_screens_enrolled" in series
    now = time.time()
    for source in ("mo-phong-qlvb", "mo-phong-motcua", "mo-phong-hop"):
        assert (
            now - 600 < series[f'ioc_source_last_success_timestamp_seconds{{source="{source}"}}'] <= now + 1
        )
        assert 0 <= series[f'ioc_source_lag_seconds{{source="{source}"}}'] < 600
        assert series[f'ioc_source_last_run_duration_seconds{{source="{source}"}}'] > 0
        assert series[f'ioc_source_runs_24h{{source="{source}"}}'] >= 1
        assert f'ioc_source_rejects_24h{{source="{source}"}}' in series
    assert series['ioc_source_rows_24h{kind="inserted",source="mo-phong-qlvb"}'] > 100


def test_metrics_need_the_token_from_elsewhere(engine, build_app):
    app = build_app(engine, metrics_token=TOKEN)
    client = app.server.test_client()
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    assert client.get("/metrics", environ_base=remote).status_code == 404
    assert (
        client.get(
            "/metrics", environ_base=remote, headers={"Authorization": "Bearer wrong-token-000000"}
        ).status_code
        == 404
    )
    # Through a proxy on this machine: the peer is local, the client is not.
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
    ok = client.get("/metrics", environ_base=remote, headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and "ioc_data_version" in ok.get_data(as_text=True)


def test_request_id_is_echoed_and_kept_from_the_proxy(engine, build_app):
    client = build_app(engine).server.test_client()
    fresh = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", fresh)
    assert (
        client.get("/healthz", headers={"X-Request-ID": "nginx-abcdef123456"}).headers["X-Request-ID"]
        == "nginx-abcdef123456"
    )
    assert (
        client.get("/healthz", headers={"X-Request-ID": "<script>x</script>"}).headers["X-Request-ID"]
        != "<script>x</script>"
    )


def test_collector_readiness_file(tmp_path):
    path = tmp_path / probes.READY_FILE
    ok, message = probes.collector_ready(path, 60)
    assert not ok and "not running" in message
    probes.write_ready(path, lock_held=True)
    assert probes.collector_ready(path, 60)[0]
    probes.write_ready(path, lock_held=False)
    ok, message = probes.collector_ready(path, 60)
    assert not ok and "lost its lock" in message
    state = json.loads(path.read_text())
    state["at"] -= 120
    path.write_text(json.dumps(state))
    ok, message = probes.collector_ready(path, 60)
    assert not ok and "has not reported" in message
