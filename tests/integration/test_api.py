"""The read-only JSON API over real HTTP (a werkzeug server in a thread), on SQLite and
PostgreSQL: the same numbers as ``ioc kpis show --json`` and the pages' data door."""

import json
import sys
import threading

import httpx
import pytest
from werkzeug.serving import make_server

from dashboard import api, queries
from dashboard.db import make_sessionmaker
from dashboard.kpi.periods import Period
from dashboard.units import DEMO_UNITS_FILE, import_units_file
from dashboard.webapp import create_app
from tests.access_support import PASSWORD, add_account
from tests.dash_support import reset_dash_globals
from tests.integration.kpis.conftest import dossier, feed
from tests.integration.kpis.test_kpi_cli import ioc


@pytest.fixture
def served(engine, make_settings):
    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
    feed(
        engine,
        "dossiers",
        [
            dossier(
                "o1",
                TrangThaiHoSo=10,
                NgayTiepNhan="2026-10-01 09:00",
                NgayHenTra="2026-10-08 17:00",
                NgayKetThucXuLy="2026-10-05 09:00",
            ),
            dossier(
                "o2",
                TrangThaiHoSo=8,
                NgayTiepNhan="2026-10-02 09:00",
                NgayHenTra="2026-10-09 17:00",
                NgayKetThucXuLy="2026-10-20 09:00",
            ),  # stopped after its due day: late
            dossier("o3", TrangThaiHoSo=4, NgayTiepNhan="2026-10-12 09:00", NgayHenTra="2026-11-16 17:00"),
        ],
    )
    settings = make_settings(database_url=engine.url.render_as_string(hide_password=False))
    reset_dash_globals()
    for name in [m for m in sys.modules if m.startswith("layouts.") or m == "layouts"]:
        del sys.modules[name]
    app = create_app(settings, engine)
    api.init_app(app.server)  # (create_app registers it already: a second call changes nothing)
    with make_sessionmaker(engine).begin() as session:
        add_account(session, "api-leader", PASSWORD, ("lanh_dao", "BMP"))
        add_account(session, "api-head", PASSWORD, ("truong_don_vi", "SO-01"))
        add_account(session, "api-admin", PASSWORD, ("quan_tri", "BMP"))
    http = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}", app
    http.shutdown()
    reset_dash_globals()


_CLIENTS: dict[tuple[str, str], httpx.Client] = {}


def client(base: str, name: str | None) -> httpx.Client:
    """An HTTP client signed in as ``name`` through the real form (None: nobody)."""
    key = (base, name or "")
    if key not in _CLIENTS:
        http = httpx.Client(base_url=base, timeout=60)
        if name:
            form = http.get("/login").text
            marker = 'name="csrf_token" value="'
            token = form[form.index(marker) + len(marker) :].split('"', 1)[0]
            answer = http.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
            assert answer.status_code == 302, answer.text[:300]
        _CLIENTS[key] = http
    return _CLIENTS[key]


def get(base: str, path: str, as_: str | None = "api-leader") -> tuple[int, dict]:
    response = client(base, as_).get(path)
    return response.status_code, response.json()


def test_the_api_is_scoped_by_the_signed_in_principal(served):
    base, _ = served
    status, body = get(base, "/api/v1/kpis?kpi=DVC-06&unit=SO-01", as_=None)
    assert status == 401 and body["error"]["vi"] == "Cần đăng nhập."
    status, body = get(base, "/api/v1/kpis?kpi=DVC-06&unit=SO-01", as_="api-admin")
    assert status == 403  # administration holds no figures
    for other in ("SO-79", "BMP", "*", "", "null"):
        status, body = get(base, f"/api/v1/kpis?kpi=DVC-06&unit={other}", as_="api-head")
        scope = [k["scope"] for k in body.get("kpis", [])]
        assert status == 404 or all(
            "SO-01" in json.dumps(s) and "SO-79" not in json.dumps(s) for s in scope
        ), (other, body)
    status, body = get(base, "/api/v1/units", as_="api-head")
    assert [u["code"] for u in body["units"]] == ["SO-01"]


def test_kpis_endpoint_gives_the_same_numbers_as_the_cli_and_the_pages(served, engine, tmp_path):
    base, app = served
    status, body = get(base, "/api/v1/kpis?kpi=DVC-06&unit=SO-01&month=2026-10")
    assert status == 200
    got = body["kpis"][0]
    # October: ended o1 (on time), o2 (stopped, late); open at 31/10: o3 (due 16/11) → 2/3.
    assert (got["numerator"], got["denominator"]) == (2, 3)
    cli = json.loads(
        ioc(
            engine, tmp_path, "kpis", "show", "DVC-06", "--unit", "SO-01", "--month", "2026-10", "--json"
        ).stdout
    )
    keys = ("value", "numerator", "denominator", "status", "parts", "period", "scope")
    assert {k: got[k] for k in keys} == {k: cli["kpis"][0][k] for k in keys}
    with app.server.app_context(), make_sessionmaker(engine)() as session:
        page = queries.kpi_detail(session, "DVC-06", "SO-01", Period.month(2026, 10))
    assert (page.value, page.numerator, page.denominator) == (
        got["value"],
        got["numerator"],
        got["denominator"],
    )
    # The reporting period and a custom range.
    status, body = get(base, "/api/v1/kpis?kpi=DVC-06,DVC-01&unit=SO-01&reporting_period=2026-10")
    assert status == 200 and [k["kpi"] for k in body["kpis"]] == ["DVC-06", "DVC-01"]
    assert body["kpis"][0]["period"] == {"kind": "reporting", "start": "2026-09-15", "end": "2026-10-14"}
    status, body = get(base, "/api/v1/kpis?kpi=DVC-01&unit=SO-01&from=2026-10-01&to=2026-10-10")
    assert status == 200 and body["kpis"][0]["value"] == 2


def test_bad_requests_are_explained_in_both_languages(served):
    base, _ = served
    status, body = get(base, "/api/v1/kpis?kpi=DVC-99")
    assert status == 400 and body["error"]["vi"] == "Không có chỉ số 'DVC-99'"
    status, body = get(base, "/api/v1/kpis?month=2026-13")
    assert status == 400 and "YYYY-MM" in body["error"]["en"]
    status, body = get(base, "/api/v1/kpis?month=2026-10&from=2026-10-01&to=2026-10-02")
    assert status == 400 and "not month and from/to" in body["error"]["en"]
    status, body = get(base, "/api/v1/kpis?unit=SO-00")
    assert status == 404 and body["error"]["en"] == "no such unit, or not visible to you"
    status, body = get(base, "/api/v1/units")
    assert (
        status == 200
        and {"code": "SO-01"}.items() <= next(u for u in body["units"] if u["code"] == "SO-01").items()
    )
