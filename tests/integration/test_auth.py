"""Sign-in, sessions, back-off, CSRF, roles, enrolled screens and the audit — through the real
Flask app on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from dashboard import accounts, audit, screens
from dashboard.db import make_sessionmaker
from dashboard.models import AuditEvent, SignInThrottle, WebSession
from dashboard.timeutil import utcnow
from dashboard.units import DEMO_UNITS_FILE, import_units_file
from tests.access_support import PASSWORD, _csrf_from, add_account, csrf_header, sign_in


@pytest.fixture
def app(engine, build_app):
    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
        add_account(session, "leader", PASSWORD, ("lanh_dao", "BMP"))
        add_account(session, "head", PASSWORD, ("truong_don_vi", "SO-01"))
        add_account(session, "monitor", PASSWORD, ("theo_doi", "BMP"))
        add_account(session, "admin", PASSWORD, ("quan_tri", "BMP"))
    return build_app(engine)


def kinds(engine) -> list[tuple[str, str, str | None]]:
    with make_sessionmaker(engine)() as session:
        return [
            (e.kind, e.outcome, e.actor) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def test_anonymous_pages_go_to_sign_in_and_dash_requests_get_401(app):
    client = app.server.test_client()
    page = client.get("/dossiers?unit=SO-01")
    assert page.status_code == 302 and page.headers["Location"] == "/login?next=/dossiers%3Funit%3DSO-01"
    dash = client.post("/_dash-update-component", json={})
    assert dash.status_code in (401, 403) and dash.headers["X-IOC-Redirect"].startswith(("/login", "/"))
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/api/v1/units").status_code == 401
    login = client.get("/login")
    assert login.status_code == 200 and "Đăng nhập" in login.get_data(as_text=True)
    assert login.headers["Cache-Control"] == "no-store"


def test_sign_in_success_and_failure_never_reveal_whether_the_account_exists(app, engine):
    client = app.server.test_client()
    wrong = sign_in(client, "leader", "not the password")
    unknown = sign_in(client, "nobody-here", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    message = "Tên đăng nhập hoặc mật khẩu không đúng."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    ok = sign_in(client, "leader", PASSWORD)
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert [k for k in kinds(engine) if k[0].startswith("sign_in")] == [
        ("sign_in_failed", "failed", "user:leader"),
        ("sign_in_failed", "failed", "user:nobody-here"),
        ("sign_in", "ok", "user:leader"),
    ]
    cookie = client.get_cookie("ioc_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_sign_in_needs_the_forms_csrf_token(app):
    client = app.server.test_client()
    client.get("/login")
    answer = client.post("/login", data={"username": "leader", "password": PASSWORD, "csrf_token": "forged"})
    assert answer.status_code == 400 and client.get("/").status_code == 302
    assert sign_in(client, "leader", PASSWORD).status_code == 302
    # Dash requests carry the token in a header; without it, nothing is computed.
    body = {
        "output": "sources-table.children",
        "outputs": {"id": "sources-table", "property": "children"},
        "inputs": [{"id": "sources-refresh", "property": "n_intervals", "value": 1}],
        "changedPropIds": ["sources-refresh.n_intervals"],
        "state": [{"id": "sources-lang", "property": "data", "value": "vi"}],
    }
    assert client.post("/_dash-update-component", json=body).status_code == 403
    assert (
        client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": "forged"}).status_code
        == 403
    )


def test_failed_attempts_back_off_per_account_and_per_address(app, engine):
    client = app.server.test_client()
    for _ in range(accounts.ACCOUNT_FREE_FAILURES):
        assert sign_in(client, "head", "wrong password!").status_code == 401
    blocked = sign_in(client, "head", PASSWORD)  # even the right password waits now
    assert blocked.status_code == 429 and "thử lại sau" in blocked.get_data(as_text=True)
    # Another account from the same address is not blocked (the address allows more).
    assert sign_in(app.server.test_client(), "leader", PASSWORD).status_code == 302
    with make_sessionmaker(engine).begin() as session:  # the wait is over
        session.get(SignInThrottle, "account:head").blocked_until = utcnow() - timedelta(seconds=1)
    assert sign_in(client, "head", PASSWORD).status_code == 302
    with make_sessionmaker(engine)() as session:
        assert session.get(SignInThrottle, "account:head") is None  # a success clears the account's count
    assert ("sign_in_blocked", "denied", "user:head") in kinds(engine)


def test_sign_out_ends_the_session_on_the_server(app, engine):
    client = app.server.test_client()
    sign_in(client, "leader", PASSWORD)
    stolen = client.get_cookie("ioc_session").value
    page = client.get("/").get_data(as_text=True)
    token = client.get_cookie("_csrf_token").value
    assert client.post("/logout", data={"csrf_token": token}).headers["Location"] == "/login?bye=1"
    assert client.get("/").status_code == 302
    replay = app.server.test_client()
    replay.set_cookie("ioc_session", stolen)
    assert replay.get("/").status_code == 302  # the copied cookie names a session that no longer exists
    with make_sessionmaker(engine)() as session:
        assert session.scalar(select(WebSession.id_hash)) is None
    assert ("sign_out", "ok", "user:leader") in kinds(engine)
    assert page  # (the page was served while signed in)


def test_an_expired_session_or_a_disabled_account_signs_out(app, engine):
    client = app.server.test_client()
    sign_in(client, "leader", PASSWORD)
    with make_sessionmaker(engine).begin() as session:
        for row in session.scalars(select(WebSession)):
            row.expires_at = utcnow() - timedelta(seconds=1)
    assert client.get("/").status_code == 302
    sign_in(client, "head", PASSWORD)
    assert client.get("/").status_code == 200
    with make_sessionmaker(engine).begin() as session:
        accounts.set_active(session, "head", False)
    assert client.get("/").status_code == 302
    assert sign_in(client, "head", PASSWORD).status_code == 401


@pytest.mark.parametrize(
    "name, allowed, refused",
    [
        ("leader", ["/", "/dossiers", "/units/SO-79"], ["/sources", "/screens", "/admin/users"]),
        ("head", ["/", "/units/SO-01"], ["/sources", "/screens", "/admin/audit"]),
        ("monitor", ["/", "/sources", "/screens"], ["/admin/users"]),
        ("admin", ["/screens", "/admin/users", "/sources"], ["/", "/dossiers"]),
    ],
)
def test_pages_follow_the_role(app, engine, name, allowed, refused):
    client = app.server.test_client()
    sign_in(client, name, PASSWORD)
    for path in allowed:
        assert client.get(path).status_code == 200, path
    for path in refused:
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert "không có quyền" in answer.get_data(
            as_text=True
        ).lower() or "chưa được cấp quyền" in answer.get_data(as_text=True)
    assert any(k == ("denied", "denied", f"user:{name}") for k in kinds(engine))


def test_a_screen_enrols_once_sees_its_playlist_and_stops_at_revocation(app, engine):
    with make_sessionmaker(engine).begin() as session:
        _, code = screens.add(session, "wall-1", "tong-quan", "SO-01", enrol_hours=1)
    device = app.server.test_client()
    enrolled = device.get(f"/screens/enrol/{code}")
    assert enrolled.status_code == 302 and enrolled.headers["Location"] == "/wall?playlist=tong-quan"
    cookie = device.get_cookie(screens.DEVICE_COOKIE)
    assert cookie.http_only and cookie.expires is not None
    assert app.server.test_client().get(f"/screens/enrol/{code}").status_code == 403  # one use only
    assert device.get("/wall?playlist=tong-quan").status_code == 200
    assert device.get("/wall?playlist=other").headers["Location"] == "/wall?playlist=tong-quan"
    assert device.get("/sources").status_code == 403  # read-only, KPIs only
    # The session store cleared: a screen does not depend on it.
    with make_sessionmaker(engine).begin() as session:
        session.execute(text("DELETE FROM web_session"))
    device.delete_cookie("ioc_session")
    device.get("/")  # a fresh CSRF token for its next refresh
    body = {
        "output": "wall-location.search",
        "outputs": {"id": "wall-location", "property": "search"},
        "inputs": [{"id": "wall-unit", "property": "value", "value": None}],
        "changedPropIds": ["wall-unit.value"],
        "state": [
            {"id": "wall-view", "property": "data", "value": {}},
            {"id": "wall-location", "property": "search", "value": ""},
        ],
    }
    heartbeat = {"X-IOC-Slide": "/dossiers?kiosk=1", "X-IOC-Version": "0.1.0", **csrf_header(device)}
    assert device.post("/_dash-update-component", json=body, headers=heartbeat).status_code == 204
    with make_sessionmaker(engine)() as session:
        info = next(s for s in screens.fleet(session) if s.name == "wall-1")
    assert info.state == "active" and info.last_slide == "/dossiers?kiosk=1" and info.app_version == "0.1.0"
    # Reload on request, once.
    with make_sessionmaker(engine).begin() as session:
        screens.request_reload(session, "wall-1")
    first = device.post("/_dash-update-component", json=body, headers=heartbeat)
    assert first.headers.get("X-IOC-Reload") == "1"
    assert "X-IOC-Reload" not in device.post("/_dash-update-component", json=body, headers=heartbeat).headers
    # Revoked: the next refresh is told to leave, pages show the neutral notice.
    with make_sessionmaker(engine).begin() as session:
        screens.revoke(session, "wall-1")
    refused = device.post("/_dash-update-component", json=body, headers=heartbeat)
    assert refused.status_code == 403 and refused.headers["X-IOC-Redirect"] == "/screen/revoked"
    assert device.get("/wall?playlist=tong-quan").headers["Location"] == "/screen/revoked"
    notice = device.get("/screen/revoked")
    assert notice.status_code == 403 and "Màn hình đã bị thu hồi" in notice.get_data(as_text=True)
    events = [k[0] for k in kinds(engine)]
    assert "screen_enrolled" in events


def test_the_audit_is_append_only_in_the_database(engine):
    with make_sessionmaker(engine).begin() as session:
        audit.record(session, "sign_in", actor="user:x", address="10.0.0.1")
    with pytest.raises(Exception, match="append-only"), make_sessionmaker(engine).begin() as session:
        session.execute(text("UPDATE audit_event SET actor = 'user:y'"))
    with pytest.raises(Exception, match="cannot be deleted"), make_sessionmaker(engine).begin() as session:
        session.execute(text("DELETE FROM audit_event"))
    # Pruning removes only what is past the retention (and records that it did).
    with make_sessionmaker(engine).begin() as session:
        assert audit.prune(session, 365) == 0
    with make_sessionmaker(engine)() as session:
        assert [e.kind for e in audit.list_events(session)] == ["sign_in"]


def test_password_hashes_are_argon2id(engine):
    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
        account = add_account(session, "someone", PASSWORD, ("lanh_dao", "BMP"))
        assert account.password_hash.startswith("$argon2id$") and PASSWORD not in account.password_hash
    with make_sessionmaker(engine)() as session:
        assert accounts.verify(session, "someone", PASSWORD) is not None
        assert accounts.verify(session, "someone", PASSWORD + "x") is None


def test_login_form_carries_a_token_and_a_safe_next(app):
    client = app.server.test_client()
    page = client.get("/login?next=//evil.example/x").get_data(as_text=True)
    assert _csrf_from(page) and 'name="next" value="/"' in page
