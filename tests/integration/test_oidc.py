"""Single sign-on end to end: the dashboard under werkzeug, a real OpenID provider (Authlib's
server side, ``tests.fakes.oidc_provider``) on another port, and a real HTTP client following the
redirects between them — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import socket
import sys
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from dashboard import accounts
from dashboard.db import make_sessionmaker
from dashboard.models import AccessGrant, Account, AuditEvent, OrgUnit, WebSession
from dashboard.units import DEMO_UNITS_FILE, import_units_file
from dashboard.webapp import create_app
from tests.dash_support import reset_dash_globals
from tests.fakes.oidc_provider import FakeOidcProvider

ROLE_MAP = "ioc-lanh-dao=lanh_dao:BMP; /ioc-vp=truong_don_vi:BMP-VP; ioc-ghost=theo_doi:NO-SUCH-UNIT"
NO_ACCESS = "Tài khoản chưa được cấp quyền"


@dataclass
class Site:
    app: object
    url: str
    sessions: object

    def count(self, model, *where) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(model).where(*where))

    def audit(self, kind: str) -> list[AuditEvent]:
        with self.sessions() as session:
            return list(
                session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id))
            )

    def grants(self, username: str) -> set[tuple[str, str]]:
        with self.sessions() as session:
            rows = session.execute(
                select(AccessGrant.role, OrgUnit.code)
                .join(OrgUnit, OrgUnit.id == AccessGrant.unit_id)
                .join(Account, Account.id == AccessGrant.account_id)
                .where(Account.username == username)
            ).all()
        return {(r, c) for r, c in rows}


@pytest.fixture
def provider():
    with FakeOidcProvider(client_id="ioc-dashboard") as op:
        yield op


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def serve(databases, make_settings, provider):
    """``serve(**settings)`` → a :class:`Site`: the app on a migrated database with the demo units,
    served by werkzeug on 127.0.0.1 and registered at the provider (redirect URIs)."""
    running = []

    def factory(**overrides) -> Site:
        engine = databases.engine()
        sessions = make_sessionmaker(engine)
        with sessions() as session:
            import_units_file(session, DEMO_UNITS_FILE)
            session.commit()
        reset_dash_globals()
        for name in [m for m in sys.modules if m.startswith("layouts.") or m == "layouts"]:
            del sys.modules[name]
        overrides.setdefault("oidc_issuer", provider.issuer)
        settings = make_settings(
            database_url=engine.url.render_as_string(hide_password=False),
            oidc_client_id=provider.client.client_id,
            oidc_client_secret=provider.client.client_secret,
            oidc_role_map=ROLE_MAP,
            **overrides,
        )
        app = create_app(settings, engine)
        http = make_server("127.0.0.1", 0, app.server, threaded=True)
        threading.Thread(target=http.serve_forever, daemon=True).start()
        running.append(http)
        url = f"http://127.0.0.1:{http.server_port}"
        provider.redirect_uris.append(url + "/auth/oidc/callback")
        provider.post_logout_redirect_uris.append(url + "/login?bye=1")
        return Site(app, url, sessions)

    yield factory
    for http in running:
        http.shutdown()
        http.server_close()
    reset_dash_globals()


def sso(site: Site, browser: requests.Session | None = None, next_path: str = "/") -> requests.Response:
    """Click "sign in with SSO": follow every redirect across the dashboard and the provider."""
    browser = browser or requests.Session()
    response = browser.get(site.url + "/auth/oidc/login", params={"next": next_path}, timeout=20)
    response.browser = browser
    return response


def page_text(site: Site, browser: requests.Session, path: str) -> str:
    """The page Dash Pages renders for ``path``, asked the way dash-renderer asks it."""
    deps = browser.get(site.url + "/_dash-dependencies", timeout=20)
    assert deps.status_code == 200, deps.status_code
    router = next(d for d in deps.json() if "_pages_content.children" in d["output"])
    location = {"pathname": path.split("?")[0], "search": ("?" + path.split("?")[1]) if "?" in path else ""}
    body = {
        "output": router["output"],
        "outputs": [
            {"id": o.split(".")[0], "property": o.split(".")[1]}
            for o in router["output"].strip(".").split("...")
        ],
        "inputs": [
            {"id": i["id"], "property": i["property"], "value": location.get(i["property"])}
            for i in router["inputs"]
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [{"id": s["id"], "property": s["property"], "value": None} for s in router.get("state", [])],
    }
    token = browser.cookies.get("_csrf_token")
    response = browser.post(
        site.url + "/_dash-update-component",
        json=body,
        timeout=60,
        headers={"X-CSRFToken": token or "", "Referer": site.url + path},
    )
    assert response.status_code == 200, response.text[:300]
    return json.dumps(response.json(), ensure_ascii=False)


# --- the happy paths ------------------------------------------------------------------------------------
def test_group_mapping_creates_the_account_and_lands_on_the_page_in_its_scope(serve, provider):
    site = serve()
    provider.add_user("an.nguyen", groups=["/ioc-vp", "unrelated"], name="Nguyễn Văn An")

    response = sso(site, next_path="/documents")

    assert response.status_code == 200
    assert response.url == site.url + "/documents"
    # The flow really was code + PKCE (S256) + state + nonce, and the code was exchanged.
    authorize = next(args for method, path, args in provider.requests if path == "/authorize")
    assert authorize["response_type"] == "code" and authorize["code_challenge_method"] == "S256"
    assert authorize["code_challenge"] and authorize["state"] and authorize["nonce"]
    assert authorize["redirect_uri"] == site.url + "/auth/oidc/callback"
    assert ("POST", "/token") in [(m, p) for m, p, _ in provider.requests]
    assert site.grants("an.nguyen") == {("truong_don_vi", "BMP-VP")}
    with site.sessions() as session:
        account = session.scalar(select(Account).where(Account.username == "an.nguyen"))
        assert account.password_hash is None and account.oidc_subject == provider.users["an.nguyen"].sub
        assert account.display_name == "Nguyễn Văn An"
        row = session.scalar(select(WebSession).where(WebSession.account_id == account.id))
        assert row.via == "oidc" and row.id_token_hint == provider.issued_id_tokens[-1]
    signed_in = site.audit("sign_in")
    assert [e.detail["via"] for e in signed_in] == ["oidc"] and signed_in[0].actor == "user:an.nguyen"
    assert signed_in[0].detail["created"] is True
    assert [e.detail["account"] for e in site.audit("account_added")] == ["an.nguyen"]
    # The page shows the unit head's unit, never another unit of the ministry.
    text = page_text(site, response.browser, "/documents")
    assert "Văn phòng Bộ" in text
    assert "Vụ Tổ chức cán bộ" not in text and "BMP-TCCB" not in text


def test_leadership_group_gives_the_whole_agency_and_grants_follow_the_groups(serve, provider):
    site = serve()
    provider.add_user("lan", groups=["ioc-lanh-dao", "ioc-ghost"])
    first = sso(site)
    assert first.status_code == 200 and first.url == site.url + "/"
    assert site.grants("lan") == {("lanh_dao", "BMP")}  # the unknown unit of ioc-ghost is skipped
    assert site.audit("sign_in")[0].detail["unknown_units"] == ["NO-SUCH-UNIT"]
    assert "Vụ Tổ chức cán bộ" in page_text(site, first.browser, "/documents")

    # Moved to another group at the provider: the next sign-in replaces the grants.
    provider.users["lan"].groups = ["ioc-vp"]
    again = sso(site)
    assert again.status_code == 200
    assert site.grants("lan") == {("truong_don_vi", "BMP-VP")}
    changes = site.audit("grant_changed")
    assert [(e.detail["grants"], e.detail["added"], e.detail["removed"]) for e in changes] == [
        (["lanh_dao:BMP"], 1, 0),
        (["truong_don_vi:BMP-VP"], 1, 1),
    ]
    assert site.count(Account) == 1


def test_pre_created_local_account_is_bound_by_username_and_keeps_its_local_grants(serve, provider):
    site = serve()
    with site.sessions() as session:
        accounts.add_account(session, "binh", password=None, grants=[("theo_doi", "BMP-TCCB")])
        session.commit()
    user = provider.add_user("binh", groups=["not-mapped"])

    response = sso(site)

    assert response.status_code == 200 and response.url == site.url + "/"
    with site.sessions() as session:
        assert session.scalar(select(Account.oidc_subject).where(Account.username == "binh")) == user.sub
    assert site.grants("binh") == {("theo_doi", "BMP-TCCB")}  # the map gave nothing: local grants
    assert site.audit("sign_in")[0].detail == {"via": "oidc", "bound": True, "grants": "local"}
    # Somebody else at the provider with the same username cannot take the bound account.
    provider.add_user("binh", groups=["ioc-lanh-dao"], sub="another-person")
    refused = sso(site)
    assert refused.status_code == 403
    assert "đã gắn với một người dùng SSO khác" in refused.text
    assert site.grants("binh") == {("theo_doi", "BMP-TCCB")}


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "/\t/evil.example", "https://evil.example", "/%2F/evil.example"]
)
def test_the_page_to_return_to_stays_on_this_site(serve, provider, target):
    site = serve()
    provider.add_user("an", groups=["ioc-lanh-dao"])
    response = sso(site, next_path=target)
    assert response.status_code == 200 and response.url == site.url + "/"
    assert all(
        urlsplit(r.headers.get("Location", "/")).hostname in (None, "127.0.0.1") for r in response.history
    )


# --- refusals ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("tamper", ["signature", "audience", "nonce", "issuer", "expired"])
def test_a_tampered_id_token_is_refused(serve, provider, tamper):
    site = serve()
    provider.add_user("an", groups=["ioc-lanh-dao"])
    provider.tamper = tamper

    response = sso(site)

    assert response.status_code == 401
    assert "không hợp lệ và đã bị từ chối" in response.text and "Traceback" not in response.text
    assert site.count(WebSession) == 0 and site.count(Account) == 0
    failures = site.audit("sign_in_failed")
    assert [(e.outcome, e.detail["reason"], e.detail["via"]) for e in failures] == [
        ("failed", "invalid_id_token", "oidc")
    ]
    # Nothing was opened: the dashboard still sends this browser to the sign-in page.
    home = response.browser.get(site.url + "/", allow_redirects=False, timeout=20)
    assert home.status_code == 302 and home.headers["Location"].startswith("/login")


def test_an_unknown_person_without_a_mapped_group_gets_the_no_access_page(serve, provider):
    site = serve()
    provider.add_user("khach", groups=["staff"])

    response = sso(site)

    assert response.status_code == 403
    assert NO_ACCESS in response.text and "No access yet" not in response.text
    assert "BMP" not in response.text and "Văn phòng Bộ" not in response.text
    assert site.count(Account) == 0 and site.count(WebSession) == 0
    [failed] = site.audit("sign_in_failed")
    assert failed.actor == "user:khach" and failed.detail["reason"] == "no_account"
    assert failed.detail["groups"] == ["staff"]
    home = response.browser.get(site.url + "/", allow_redirects=False, timeout=20)
    assert home.status_code == 302 and home.headers["Location"].startswith("/login")
    english = requests.get(site.url + "/auth/oidc/login", cookies={"ioc_lang": "en"}, timeout=20)
    assert english.status_code == 403 and "No access yet" in english.text


def test_a_disabled_account_is_refused(serve, provider):
    site = serve()
    provider.add_user("cuong", groups=["ioc-lanh-dao"])
    assert sso(site).status_code == 200
    with site.sessions() as session:
        accounts.set_active(session, "cuong", False)
        session.commit()
    response = sso(site)
    assert response.status_code == 403 and "đã bị khóa" in response.text
    assert site.audit("sign_in_failed")[-1].detail["reason"] == "disabled"


# --- provider errors --------------------------------------------------------------------------------
def test_provider_errors_give_a_plain_page_with_what_to_do(serve, provider):
    site = serve()
    provider.add_user("an", groups=["ioc-lanh-dao"])
    secret = provider.client.client_secret

    provider.deny = "access_denied"
    denied = sso(site, next_path="/documents")
    assert denied.status_code == 403
    assert "access_denied" in denied.text and "Đăng nhập lại" in denied.text
    assert 'href="/auth/oidc/login?next=/documents"' in denied.text
    provider.deny = None

    provider.expire_codes = True
    expired = sso(site)
    assert expired.status_code == 400 and "Mã đăng nhập đã hết hạn" in expired.text
    provider.expire_codes = False

    forged = requests.get(
        site.url + "/auth/oidc/callback", params={"code": "x", "state": "forged"}, timeout=20
    )
    assert forged.status_code == 400 and "Phiên đăng nhập đã hết hạn hoặc không hợp lệ" in forged.text

    reasons = [e.detail["reason"] for e in site.audit("sign_in_failed")]
    assert reasons == ["provider:access_denied", "invalid_grant", "bad_state"]
    assert site.count(WebSession) == 0
    for page in (denied, expired, forged):
        assert secret not in page.text and "Traceback" not in page.text


def test_an_unreachable_provider_gives_a_plain_page(serve, provider):
    site = serve(oidc_issuer=f"http://127.0.0.1:{_closed_port()}")
    response = requests.get(site.url + "/auth/oidc/login", timeout=30)
    assert response.status_code == 503
    assert "Không kết nối được tới hệ thống đăng nhập dùng chung" in response.text
    assert "Traceback" not in response.text and provider.client.client_secret not in response.text
    assert site.audit("sign_in_failed")[0].detail["reason"] == "unreachable"
    # The sign-in page still offers local accounts.
    assert requests.get(site.url + "/login", timeout=20).status_code == 200


# --- sign-out ---------------------------------------------------------------------------------------
def sign_out(site: Site, browser: requests.Session) -> requests.Response:
    token = browser.cookies.get("_csrf_token")
    return browser.post(site.url + "/logout", data={"csrf_token": token}, timeout=20)


def test_sign_out_reaches_the_providers_end_session(serve, provider):
    site = serve()
    provider.add_user("an", groups=["ioc-lanh-dao"])
    signed_in = sso(site)
    assert signed_in.status_code == 200

    # Browsers apply form-action to the redirect after the sign-out form: the provider is allowed.
    policy = dict(d.split(" ", 1) for d in signed_in.headers["Content-Security-Policy"].split("; "))
    assert policy["form-action"] == f"'self' {provider.url}"

    response = sign_out(site, signed_in.browser)

    assert response.status_code == 200
    assert urlsplit(response.url).path == "/login" and parse_qs(urlsplit(response.url).query)["bye"] == ["1"]
    assert "Bạn đã đăng xuất" in response.text
    [ended] = provider.end_sessions
    assert ended["hint_valid"] == "yes" and ended["id_token_hint"] == provider.issued_id_tokens[-1]
    assert ended["post_logout_redirect_uri"] == site.url + "/login?bye=1"
    assert ended["client_id"] == "ioc-dashboard"
    assert site.count(WebSession) == 0
    assert [e.actor for e in site.audit("sign_out")] == ["user:an"]


def test_sign_out_stays_local_when_the_provider_has_no_end_session(serve, provider):
    provider.end_session = False
    site = serve()
    provider.add_user("an", groups=["ioc-lanh-dao"])
    signed_in = sso(site)
    response = sign_out(site, signed_in.browser)
    assert response.status_code == 200 and response.url == site.url + "/login?bye=1"
    assert provider.end_sessions == [] and site.count(WebSession) == 0
