"""The hardened web surface through the real Flask app on each database backend (issue 13, item 7):
headers, Host allowlist, body limit, rate limit, open redirect, cookies, and secrets kept out of
``/sources``, ``collector_run.error`` and ``ioc config show``."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from collectors.base import Adapter, FatalSourceError, SourceConfig
from collectors.runner import Runner
from dashboard.cli import cli
from dashboard.db import make_sessionmaker
from dashboard.models import CollectorRun
from dashboard.timeutil import utcnow
from tests.access_support import PASSWORD, csrf_header, request_as, roots, sign_in, signed_in_client
from tests.dash_support import render_text
from tests.unit.dashboard.test_hardening import OFF_SITE

SECRET_URL = "https://u:S3cret@host.example/x?token=abc"


def _directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.split(" ", 1) for part in policy.split("; "))


# --- headers ----------------------------------------------------------------------------------------
def test_every_response_carries_the_security_headers(engine, build_app):
    client = signed_in_client(build_app(engine))
    for path in ("/", "/assets/style.css", "/_dash-layout", "/prefs/lang/en"):
        response = client.get(path)
        assert response.status_code in (200, 302), path
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "SAMEORIGIN"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "camera=()" in headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in headers  # plain HTTP: no HSTS
        csp = _directives(response)
        assert csp["frame-ancestors"] == "'self'" and csp["object-src"] == "'none'"
        assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]


def test_the_page_policy_allows_exactly_dash_inline_scripts_by_hash(engine, build_app):
    import base64
    import hashlib
    import re

    response = signed_in_client(build_app(engine)).get("/")
    page = re.sub(r"<!--.*?-->", "", response.get_data(as_text=True), flags=re.S)  # IE's conditional comment
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)  # type="application/json" is data, not script
    assert scripts, "Dash renders its start-up as an inline script"
    allowed = _directives(response)["script-src"].split()
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed


def test_hsts_only_over_tls_and_frame_ancestors_from_the_setting(engine, build_app):
    app = build_app(engine, frame_ancestors="'none'", trusted_proxies=1)
    client = app.server.test_client()
    response = client.get("/assets/style.css", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert _directives(response)["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in client.get("/assets/style.css").headers


def test_forwarded_headers_are_ignored_without_trusted_proxies(engine, build_app):
    client = build_app(engine).server.test_client()
    response = client.get(
        "/assets/style.css", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    )
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers


# --- host allowlist, body limit, rate limit ----------------------------------------------------------
@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "127.0.0.2", "[::2]:8050", "a b"])
def test_a_foreign_host_gets_a_short_400(engine, build_app, host):
    response = build_app(engine).server.test_client().get("/", headers={"Host": host})
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert "Host" in response.get_data(as_text=True)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:8050", "[::1]:8050"])
def test_local_hosts_are_served(engine, build_app, host):
    response = build_app(engine).server.test_client().get("/login", headers={"Host": host})
    assert response.status_code == 200


def test_configured_hosts_replace_the_defaults(engine, build_app):
    client = build_app(engine, allowed_hosts="ioc.example.gov.vn").server.test_client()
    assert client.get("/login", headers={"Host": "ioc.example.gov.vn"}).status_code == 200
    assert client.get("/login", headers={"Host": "localhost"}).status_code == 400


def test_a_request_body_over_the_limit_gets_413(engine, build_app):
    client = signed_in_client(build_app(engine, max_request_bytes=64 * 1024))
    response = client.post(
        "/_dash-update-component",
        data=b"{" + b" " * (65 * 1024) + b"}",
        content_type="application/json",
        headers=csrf_header(client),
    )
    assert response.status_code == 413
    assert response.mimetype == "text/plain"


def _callback_body() -> dict:
    """A real callback of the app: the Sources page's refresh."""
    return {
        "output": "sources-table.children",
        "outputs": {"id": "sources-table", "property": "children"},
        "inputs": [{"id": "sources-refresh", "property": "n_intervals", "value": 1}],
        "changedPropIds": ["sources-refresh.n_intervals"],
        "state": [{"id": "sources-lang", "property": "data", "value": "vi"}],
    }


def test_callbacks_are_rate_limited_per_principal_and_pages_are_not(engine, build_app):
    app = build_app(engine, rate_limit="3/minute")
    client = signed_in_client(app)
    client.get("/")  # the page and its layout: not counted
    csrf = csrf_header(client)
    answers = [
        client.post("/_dash-update-component", json=_callback_body(), headers=csrf).status_code
        for _ in range(4)
    ]
    assert answers == [200, 200, 200, 429]
    refused = client.post("/_dash-update-component", json=_callback_body(), headers=csrf)
    assert refused.mimetype == "text/plain" and 1 <= int(refused.headers["Retry-After"]) <= 61
    assert client.get("/").status_code == 200
    assert client.get("/assets/style.css").status_code == 200
    # Another person, from the same address, has a budget of their own.
    other = signed_in_client(app, *[("theo_doi", c) for c in roots(app)], name="another-leader")
    answer = other.post("/_dash-update-component", json=_callback_body(), headers=csrf_header(other))
    assert answer.status_code == 200


def test_the_rate_limit_key_is_the_principal_and_else_the_address():
    from flask import Flask, g

    from dashboard.security import rate_limit_key

    server = Flask("probe")
    with server.test_request_context("/", environ_base={"REMOTE_ADDR": "10.0.0.9"}):
        assert rate_limit_key() == "addr:10.0.0.9"
        g.principal = type("Principal", (), {"key": "screen:7"})
        assert rate_limit_key() == "screen:7"


# --- open redirect and cookies -------------------------------------------------------------------------
@pytest.mark.parametrize("target", OFF_SITE)
def test_preference_switch_never_redirects_off_site(engine, build_app, target):
    from urllib.parse import quote

    client = build_app(engine).server.test_client()
    response = client.get(f"/prefs/lang/en?next={quote(target, safe='')}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_preference_switch_keeps_a_local_target_and_sets_a_hardened_cookie(engine, build_app):
    client = build_app(engine, cookie_secure=True).server.test_client()
    response = client.get("/prefs/theme/light?next=/units/BNV%3Flang%3Den")
    assert response.headers["Location"] == "/units/BNV?lang=en"
    cookie = response.headers["Set-Cookie"]
    assert (
        "ioc_theme=light" in cookie
        and "HttpOnly" in cookie
        and "SameSite=Lax" in cookie
        and "Secure" in cookie
    )
    plain = build_app(engine).server.test_client().get("/prefs/theme/light")
    assert "Secure" not in plain.headers["Set-Cookie"]


def test_session_cookie_settings(engine, build_app):
    config = build_app(engine, cookie_secure=True).server.config
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert build_app(engine).server.config["SESSION_COOKIE_SECURE"] is False


# --- secrets -----------------------------------------------------------------------------------------
class _Unreachable(Adapter):
    kind = "list"

    def batches(self, watermark):
        raise FatalSourceError(f"cannot connect to {SECRET_URL} (refused)")
        yield  # pragma: no cover


def test_a_stored_run_error_holds_no_secret(engine):
    config = SourceConfig(name="qlvb", domain="documents", adapter="list", interval_s=60)
    result = Runner(engine, config, _Unreachable(config)).run()
    assert result.status == "failed"
    with make_sessionmaker(engine)() as session:
        stored = session.scalar(select(CollectorRun.error).where(CollectorRun.id == result.run_id))
    assert "host.example" in stored
    assert "S3cret" not in stored and "abc" not in stored


def test_sources_page_shows_no_secret_even_from_an_old_run(engine, build_app):
    app = build_app(engine)
    now = utcnow()
    with make_sessionmaker(engine).begin() as session:  # a run stored before redaction existed
        session.add(
            CollectorRun(
                source="qlvb",
                started_at=now - timedelta(minutes=5),
                finished_at=now,
                status="failed",
                error=f"HTTP 404 at {SECRET_URL}",
            )
        )
    import dash

    sources = next(p for p in dash.page_registry.values() if p["path"] == "/sources")
    with request_as(app, "/sources"):
        text = render_text(sources["layout"]())
    assert "host.example" in text
    assert "S3cret" not in text and "token=abc" not in text


def test_config_show_hides_passwords_and_tokens(tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[source]]\nname = "dvc"\ndomain = "dossiers"\nadapter = "rest"\n'
        f'[source.options]\nurl = "{SECRET_URL}"\n[source.secrets]\ntoken = "IOC_DVC_TOKEN"\n',
        encoding="utf-8",
    )
    env = {
        "IOC_DATA_DIR": str(tmp_path / "data"),
        "IOC_SOURCES_FILE": str(sources),
        "IOC_REDIS_URL": "redis://:R3dis@127.0.0.1:6379/0?password=pw2",
        "IOC_DATABASE_URL": "postgresql+psycopg://ioc:Pg5ecret@db:5432/ioc",
    }
    result = CliRunner().invoke(cli, ["config", "show"], env=env)
    assert result.exit_code == 0, result.output
    assert "source.dvc.url = https://u:***@host.example/x?token=***" in result.output
    assert "source.dvc.secrets.token = $IOC_DVC_TOKEN" in result.output
    for secret in ("S3cret", "abc", "R3dis", "pw2", "Pg5ecret"):
        assert secret not in result.output


def test_ranking_chart_escapes_a_unit_name_from_the_source(engine, build_app):
    """A unit named ``<a href=…>`` stays text in the page's ranking figure (hover and tick labels)."""
    from dashboard.models import OrgUnit
    from dashboard.units import DEMO_UNITS_FILE, import_units_file
    from tests.integration.kpis.conftest import dossier, feed

    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
        unit = session.scalar(select(OrgUnit).where(OrgUnit.code == "SO-01"))
        unit.name_vi = unit.name_en = '<a href="https://evil.example">x</a>'
        unit.short_name_vi = '<a href="https://evil.example">x</a>'
    day = (utcnow() + timedelta(hours=7)).date() - timedelta(days=1)
    feed(
        engine,
        "dossiers",
        [
            dossier(
                f"S{i}",
                MaDonVi=code,
                NgayTiepNhan=f"{day} 09:00",
                NgayHenTra=f"{day + timedelta(days=5)} 09:00",
            )
            for i, code in enumerate(["SO-01", "SO-79", "SO-01", "SO-79"])
        ],
    )
    app = build_app(engine)
    import dash

    page = next(p for p in dash.page_registry.values() if p["path"] == "/dossiers")
    # Ranks SO-01 among its peers, outlined; two dossiers each are small samples, ranked when asked (small=1).
    query = {"period": "rolling30", "rank": "DVC-02", "unit": "SO-01", "small": "1"}
    with request_as(app, "/dossiers"):
        tree = json.loads(render_text(page["layout"](**query)))
    figures = json.dumps(
        list(_figures(tree)), ensure_ascii=False
    )  # Dash components render text as text anyway
    assert "evil.example" in figures, "the unit appears in a figure"
    assert "<a " not in figures


def _figures(node):
    """Every Plotly figure in a rendered Dash tree."""
    if isinstance(node, dict):
        if node.get("type") == "Graph" and isinstance(node.get("props"), dict):
            yield node["props"].get("figure")
        for value in node.values():
            yield from _figures(value)
    elif isinstance(node, list):
        for value in node:
            yield from _figures(value)


def test_the_rate_limit_is_shared_by_workers_through_redis(engine, build_app):
    """Two workers on one Redis (IOC_CACHE_BACKEND=redis) count one budget per client."""
    from tests.tiers import require

    redis_url = require("redis").value
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    apps = [
        build_app(engine, cache_backend="redis", redis_url=redis_url, rate_limit="3/minute") for _ in range(2)
    ]
    first = signed_in_client(apps[0])  # the same person on both workers: one budget
    second = apps[1].server.test_client()
    assert sign_in(second, "test-leader", PASSWORD).status_code == 302
    workers = [first, second]
    answers = [
        workers[i % 2]
        .post("/_dash-update-component", json=_callback_body(), headers=csrf_header(workers[i % 2]))
        .status_code
        for i in range(4)
    ]
    # (Dash's callback registry is global, so only the last app built in a process answers its
    # callbacks; what matters here is that the earlier one counted against the shared budget.)
    assert 429 not in answers[:3] and answers[3] == 429
    assert redis.Redis.from_url(redis_url).keys("*ioc-ratelimit*")


def test_a_switch_comes_back_to_the_page_and_its_query_without_the_switched_setting(engine, build_app):
    """Issue 16: switching language or theme keeps the page, unit, period and playlist; the old
    ``lang=``/``theme=`` is dropped from the target, or it would outvote the new cookie."""
    from urllib.parse import quote

    client = build_app(engine).server.test_client()
    target = "/dossiers?unit=SO-01&period=week&lang=vi&rank=DVC-07"
    response = client.get(f"/prefs/lang/en?next={quote(target, safe='')}")
    assert response.headers["Location"] == "/dossiers?unit=SO-01&period=week&rank=DVC-07"
    response = client.get(
        f"/prefs/theme/light?next={quote('/wall?playlist=tong-quan&theme=dark&lang=en', safe='')}"
    )
    assert response.headers["Location"] == "/wall?playlist=tong-quan&lang=en"
    # Still never off this site.
    response = client.get(f"/prefs/lang/en?next={quote('//evil.example/?lang=vi', safe='')}")
    assert response.headers["Location"] == "/"
