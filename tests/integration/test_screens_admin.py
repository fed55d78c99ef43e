"""The screen fleet and administration pages through real HTTP requests (Flask's test client, the
real sign-in form and Dash's callback endpoint) on SQLite and PostgreSQL: every action re-checks
the principal and its scope on the server and is audited; an enrolled screen's heartbeat rides
on its Dash requests and survives the loss of its cookie session."""

from __future__ import annotations

import base64
import json
import sys

import dash
import pytest
from sqlalchemy import select

from dashboard import screens
from dashboard.access import Principal
from dashboard.models import Account, AuditEvent, Screen
from dashboard.units import DEMO_UNITS_FILE, import_units_file
from dashboard.webapp import create_app
from tests.access_support import add_account, csrf_header, request_as, sign_in
from tests.dash_support import render_text, reset_dash_globals

PASSWORD = "mat-khau-rat-dai-1"


@pytest.fixture
def site(engine, make_settings):
    """An app on the demo hierarchy with two screens (SO-01, SO-04) and four accounts."""
    reset_dash_globals()
    for name in [m for m in sys.modules if m.startswith("layouts.") or m == "layouts"]:
        del sys.modules[name]
    app = create_app(make_settings(database_url=engine.url.render_as_string(hide_password=False)), engine)
    sessions = app.server.extensions["ioc"].sessions
    with sessions() as session, session.begin():
        import_units_file(session, DEMO_UNITS_FILE)
        add_account(session, "qt-so01", PASSWORD, ("quan_tri", "SO-01"))
        add_account(session, "td-so01", PASSWORD, ("theo_doi", "SO-01"))
        add_account(session, "xem-so01", PASSWORD, ("truong_don_vi", "SO-01"))
        add_account(session, "xem-so04", PASSWORD, ("truong_don_vi", "SO-04"))
        own, code = screens.add(session, "Phòng họp SO-01", "tong-quan", "SO-01", 24)
        other, _ = screens.add(session, "Sảnh SO-04", "tong-quan", "SO-04", 24)
        ids = {"own": own.id, "other": other.id}
    yield app, sessions, ids, code
    reset_dash_globals()


def client_as(app, name):
    client = app.server.test_client()
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client


def post_callback(client, outputs, inputs, state=(), changed=(), headers=None):
    """One call of Dash's callback endpoint, as dash-renderer makes it."""

    def key(o):
        return (
            json.dumps(o["id"], sort_keys=True, separators=(",", ":"))
            if isinstance(o["id"], dict)
            else o["id"]
        )

    body = {
        "output": ".." + "...".join(f"{key(o)}.{o['property']}" for o in outputs) + ".."
        if len(outputs) > 1
        else f"{key(outputs[0])}.{outputs[0]['property']}",
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": list(inputs),
        "state": list(state),
        "changedPropIds": list(changed),
    }
    return client.post(
        "/_dash-update-component", json=body, headers={**csrf_header(client), **(headers or {})}
    )


def said(response) -> str:
    """What an answer says, as text (Dash's JSON escapes Vietnamese letters)."""
    if response.is_json:
        return json.dumps(response.get_json(), ensure_ascii=False)
    return response.get_data(as_text=True)


def act(client, kind, screen_id):
    button = {
        "id": {"index": screen_id, "type": kind},
        "property": "n_clicks" if kind == "screen-reload" else "submit_n_clicks",
        "value": 1,
    }
    reloads = [button] if kind == "screen-reload" else []
    revokes = [button] if kind == "screen-revoke" else []
    changed = [json.dumps(button["id"], sort_keys=True, separators=(",", ":")) + "." + button["property"]]
    return post_callback(
        client,
        [{"id": "screens-message", "property": "children"}, {"id": "screens-acted", "property": "data"}],
        [reloads, revokes],
        [{"id": "screens-lang", "property": "data", "value": "vi"}],
        changed,
    )


def events(sessions, kind):
    with sessions() as session:
        return list(
            session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id))
        )


def screen(sessions, screen_id) -> Screen:
    with sessions() as session:
        return session.get(Screen, screen_id)


def test_the_fleet_page_lists_only_the_screens_of_the_scope(site):
    app, _sessions, _ids, _code = site
    fleet = next(p for p in dash.page_registry.values() if p["path"] == "/screens")
    with request_as(app, "/screens", Principal("user", 9, "td", "TD", (("theo_doi", "SO-01"),))):
        text = render_text(fleet["layout"]())
    assert "Phòng họp SO-01" in text and "Sảnh SO-04" not in text
    assert "Chờ đăng ký" in text and "Tải lại" not in text  # a screen not enrolled yet cannot be reloaded
    assert "Thu hồi" not in text and "screen-add" not in text  # theo_doi: no revocation, no enrolment
    with request_as(app, "/screens", Principal("user", 8, "qt", "QT", (("quan_tri", "SO-01"),))):
        text = render_text(fleet["layout"]())
    assert "Thu hồi" in text and "screen-add" in text and "Sảnh SO-04" not in text
    with request_as(app, "/screens", Principal("user", 7, "xem", "Xem", (("truong_don_vi", "SO-01"),))):
        text = render_text(fleet["layout"]())
    assert "Phòng họp SO-01" not in text and "ioc-access-denied" in text


def test_slides_and_audit_events_read_as_words(site):
    app, sessions, _ids, _code = site
    from layouts.screens import slide_label

    names = {"SO-01": "Sở Mô phỏng 01"}
    assert (
        slide_label("/dossiers?unit=SO-01&period=mtd&kiosk=1&lang=vi", "vi", names)
        == "Dịch vụ công · Sở Mô phỏng 01 · Từ đầu tháng"
    )
    assert slide_label("/?kiosk=1", "en", names) == "Overview · whole agency"
    assert slide_label("/la?unit=X", "vi", names) == "/la · X"
    client_as(app, "qt-so01")  # one sign-in in the audit
    audit_page = next(p for p in dash.page_registry.values() if p["path"] == "/admin/audit")
    with request_as(app, "/admin/audit", Principal("user", 8, "qt", "QT", (("quan_tri", "SO-01"),))):
        text = render_text(audit_page["layout"]())
    assert "Nhật ký truy cập" in text and "qt-so01 (tài khoản)" in text and "cách đăng nhập: password" in text


def test_reload_and_revoke_are_checked_against_role_and_scope_and_audited(site):
    app, sessions, ids, _code = site
    monitoring, admin, head = client_as(app, "td-so01"), client_as(app, "qt-so01"), client_as(app, "xem-so01")

    # Another unit's screen, forged into the payload: refused, nothing changes, the denial is recorded.
    answer = act(admin, "screen-reload", ids["other"])
    assert "Không có quyền thao tác trên màn hình này" in said(answer)
    answer = act(admin, "screen-revoke", ids["other"])
    assert (
        screen(sessions, ids["other"]).revoked_at is None
        and screen(sessions, ids["other"]).reload_requested_at is None
    )
    # Monitoring staff may reload but not revoke; a unit head may do neither.
    assert "Không có quyền" in said(act(monitoring, "screen-revoke", ids["own"]))
    assert act(head, "screen-reload", ids["own"]).status_code in (200, 204)
    assert (
        screen(sessions, ids["own"]).revoked_at is None
        and screen(sessions, ids["own"]).reload_requested_at is None
    )
    assert len(events(sessions, "denied")) >= 3

    answer = act(monitoring, "screen-reload", ids["own"])
    assert "Đã gửi yêu cầu tải lại" in said(answer)
    assert screen(sessions, ids["own"]).reload_requested_at is not None
    reload_events = events(sessions, "screen_reload")
    assert [(e.actor, e.detail["target"], e.unit_code) for e in reload_events] == [
        ("user:td-so01", "Phòng họp SO-01", "SO-01")
    ]

    answer = act(admin, "screen-revoke", ids["own"])
    assert "Đã thu hồi màn hình" in said(answer)
    assert screen(sessions, ids["own"]).revoked_at is not None
    assert [e.actor for e in events(sessions, "screen_revoked")] == ["user:qt-so01"]


def add_screen(client, name, playlist, unit):
    return post_callback(
        client,
        [{"id": "screen-add-result", "property": "children"}, {"id": "screens-added", "property": "data"}],
        [{"id": "screen-add", "property": "n_clicks", "value": 1}],
        [
            {"id": "screen-add-name", "property": "value", "value": name},
            {"id": "screen-add-playlist", "property": "value", "value": playlist},
            {"id": "screen-add-unit", "property": "value", "value": unit},
            {"id": "screens-lang", "property": "data", "value": "vi"},
        ],
        ["screen-add.n_clicks"],
    )


def test_adding_a_screen_checks_the_scope_shows_the_code_once_and_the_screen_then_reports(site):
    app, sessions, _ids, _code = site
    admin = client_as(app, "qt-so01")
    assert "Chọn đơn vị thuộc phạm vi" in said(add_screen(admin, "Ngoài phạm vi", "tong-quan", "SO-04"))
    assert "Chọn một danh sách trình chiếu" in said(add_screen(admin, "X", "khong-co", "SO-01"))
    assert "Nhập tên màn hình" in said(add_screen(admin, "  ", "tong-quan", "SO-01"))
    assert "Đã có màn hình tên" in said(add_screen(admin, "Sảnh SO-04", "tong-quan", "SO-01"))
    # A monitoring account cannot enrol screens, whatever it posts.
    assert add_screen(client_as(app, "td-so01"), "Của theo dõi", "tong-quan", "SO-01").status_code == 204
    with sessions() as session:
        assert (
            session.scalar(select(Screen).where(Screen.name.in_(["Ngoài phạm vi", "X", "Của theo dõi"])))
            is None
        )

    answer = said(add_screen(admin, "Phòng giao ban", "tong-quan", "SO-01"))
    assert "Đã thêm màn hình 'Phòng giao ban'" in answer
    url = json.loads(answer)["response"]["screen-add-result"]["children"]["props"]["children"][1]["props"][
        "children"
    ]
    assert url.startswith("http://localhost/screens/enrol/")
    assert [(e.actor, e.unit_code) for e in events(sessions, "screen_added")] == [("user:qt-so01", "SO-01")]

    # The screen's own browser: enrol, lose its cookie session, keep reporting.
    device = app.server.test_client()
    enrolled = device.get(url.removeprefix("http://localhost"))
    assert enrolled.status_code == 302 and enrolled.headers["Location"] == "/wall?playlist=tong-quan"
    assert device.get(url.removeprefix("http://localhost")).status_code == 403  # one use only
    assert device.get("/wall?playlist=tong-quan").status_code == 200
    device.delete_cookie("ioc_session")
    answer = post_callback(
        device,
        [{"id": "screens-message", "property": "children"}],
        [{"id": "nothing", "property": "n_clicks", "value": 1}],
        changed=["nothing.n_clicks"],
        headers={
            "X-IOC-Slide": "/dossiers?period=mtd&kiosk=1",
            "X-IOC-Version": "0.0.1",
            "X-IOC-Client-Error": "TypeError%3A%20x%20is%20undefined",
        },
    )
    assert answer.status_code != 403 and "X-IOC-Redirect" not in answer.headers
    assert answer.headers.get("X-IOC-Version")
    with sessions() as session:
        row = session.scalar(select(Screen).where(Screen.name == "Phòng giao ban"))
        assert (row.last_slide, row.app_version) == ("/dossiers?period=mtd&kiosk=1", "0.0.1")
        assert row.last_client_error == "TypeError%3A%20x%20is%20undefined"
    fleet = admin.get("/screens")  # the page shell; the table itself comes from the layout
    assert fleet.status_code == 200

    # A forged token is still refused.
    bad = device.post(
        "/_dash-update-component", json={}, headers={"X-CSRFToken": "forged", "X-IOC-Slide": "/"}
    )
    assert bad.status_code == 403


def test_a_revoked_screen_is_told_where_to_go_before_anything_else(site):
    app, sessions, ids, code = site
    device = app.server.test_client()
    assert device.get(f"/screens/enrol/{code}").status_code == 302
    with sessions() as session, session.begin():
        screens.revoke(session, "Phòng họp SO-01")
    answer = device.post(
        "/_dash-update-component", json={}, headers={"X-CSRFToken": "whatever", "X-IOC-Slide": "/"}
    )
    assert answer.status_code == 403 and answer.headers["X-IOC-Redirect"] == "/screen/revoked"
    page = device.get("/screen/revoked")
    assert page.status_code == 403 and "Màn hình đã bị thu hồi" in said(page)


def toggle(client, username):
    button = {"id": {"index": username, "type": "account-active"}, "property": "submit_n_clicks", "value": 1}
    return post_callback(
        client,
        [
            {"id": "admin-users-message", "property": "children"},
            {"id": "admin-users-table", "property": "children"},
        ],
        [[button]],
        [{"id": "admin-lang", "property": "data", "value": "vi"}],
        [json.dumps(button["id"], sort_keys=True, separators=(",", ":")) + ".submit_n_clicks"],
    )


def test_an_administrator_signing_in_lands_on_a_page_it_may_open(site):
    app, sessions, _ids, _code = site
    assert sign_in(app.server.test_client(), "qt-so01", PASSWORD).headers["Location"] == "/sources"
    assert sign_in(app.server.test_client(), "xem-so01", PASSWORD).headers["Location"] == "/"
    assert events(sessions, "denied") == []


def test_accounts_are_disabled_only_inside_the_scope_and_the_audit_exports_as_csv(site):
    app, sessions, _ids, _code = site
    admin = client_as(app, "qt-so01")
    assert "Không có quyền thay đổi" in said(toggle(admin, "xem-so04"))
    assert "Không thể tự khóa" in said(toggle(admin, "qt-so01"))
    assert toggle(client_as(app, "td-so01"), "xem-so01").status_code == 204  # not an administrator
    victim = client_as(app, "xem-so01")
    assert "Đã khóa tài khoản 'xem-so01'" in said(toggle(admin, "xem-so01"))
    with sessions() as session:
        assert session.scalar(select(Account.active).where(Account.username == "xem-so01")) is False
        assert session.scalar(select(Account.active).where(Account.username == "xem-so04")) is True
    assert victim.get("/").status_code == 302  # signed out everywhere
    assert [(e.actor, e.detail) for e in events(sessions, "account_changed")] == [
        ("user:qt-so01", {"target": "xem-so01", "active": False})
    ]

    answer = post_callback(
        admin,
        [{"id": "audit-download", "property": "data"}],
        [{"id": "audit-export", "property": "n_clicks", "value": 1}],
        [
            {"id": "audit-since", "property": "date", "value": None},
            {"id": "audit-actor", "property": "value", "value": "qt-so01"},
            {"id": "audit-kind", "property": "value", "value": ""},
            {"id": "audit-lang", "property": "data", "value": "vi"},
        ],
        ["audit-export.n_clicks"],
    )
    download = answer.get_json()["response"]["audit-download"]["data"]
    text = base64.b64decode(download["content"]).decode("utf-8-sig")
    assert text.splitlines()[0].split(";")[:3] == ["Thời điểm", "Sự kiện", "Kết quả"]
    assert "Sửa tài khoản" in text and "Đăng nhập" in text and "td-so01" not in text
    exported = events(sessions, "export")
    assert exported[-1].actor == "user:qt-so01" and exported[-1].detail["what"] == "audit"
    # Not an administrator: no export, whatever is posted.
    again = post_callback(
        client_as(app, "td-so01"),
        [{"id": "audit-download", "property": "data"}],
        [{"id": "audit-export", "property": "n_clicks", "value": 1}],
        [
            {"id": "audit-since", "property": "date", "value": None},
            {"id": "audit-actor", "property": "value", "value": None},
            {"id": "audit-kind", "property": "value", "value": ""},
            {"id": "audit-lang", "property": "data", "value": "vi"},
        ],
        ["audit-export.n_clicks"],
    )
    assert again.status_code == 204
