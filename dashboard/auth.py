"""Sign-in for the web process: who is calling, and the gate in front of every page.

Before each request (static files aside) :func:`_load_principal` finds the caller:

1. an enrolled wall screen — the ``ioc_screen`` device cookie (:mod:`dashboard.screens`); a
   revoked or unknown device never sees a sign-in page but the neutral "màn hình đã bị thu hồi";
2. a signed-in person — Flask's signed cookie holds a random session id whose SHA-256 names a
   ``web_session`` row (so sign-out, disabling an account and the session lifetime are enforced
   on the server).

The gate then lets public paths through (sign-in, enrolment, health), sends anonymous page loads
to ``/login`` (Dash requests get 401 with an ``X-IOC-Redirect`` header that ``assets/wall.js``
follows), and refuses pages outside the principal's role (:func:`dashboard.access.may_see_page`).
Units and rows are checked later, where they are read (:mod:`dashboard.access`).

CSRF: every form carries the session's token; Dash's own requests carry it in the
``X-CSRFToken`` header (dash-renderer copies the ``_csrf_token`` cookie set here).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from urllib.parse import quote, urlsplit

from flask import Flask, Response, abort, g, redirect, request
from flask import session as cookie
from markupsafe import escape
from sqlalchemy import delete

from dashboard import __version__, accounts, audit, screens
from dashboard.access import Principal, may_see_page, page_capability
from dashboard.i18n import normalise_language, register, t
from dashboard.models import Account, WebSession
from dashboard.security import cookie_options, safe_next
from dashboard.timeutil import utcnow

log = logging.getLogger(__name__)

CSRF_COOKIE = "_csrf_token"  # the name dash-renderer reads
CSRF_HEADER = "X-CSRFToken"
#: Paths served to anyone: static files, Dash's bundles, sign-in, enrolment, health.
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon", "/favicon")
PUBLIC_PATHS = (
    "/login",
    "/logout",
    "/auth/",
    "/screens/enrol/",
    "/screen/revoked",
    "/prefs/",
    "/healthz",
    "/readyz",
    "/metrics",
)  # /metrics checks its own caller (dashboard.metrics)
DASH_PREFIX = "/_dash-"
API_PREFIX = "/api/"

register(
    {
        "nav_screens": {"vi": "Màn hình", "en": "Screens"},
        "nav_admin": {"vi": "Quản trị", "en": "Administration"},
        "unit_not_allowed": {"vi": "Không có quyền xem đơn vị này.", "en": "You may not see this unit."},
        "login_title": {"vi": "Đăng nhập", "en": "Sign in"},
        "login_username": {"vi": "Tên đăng nhập", "en": "Account name"},
        "login_password": {"vi": "Mật khẩu", "en": "Password"},
        "login_submit": {"vi": "Đăng nhập", "en": "Sign in"},
        "login_sso": {"vi": "Đăng nhập bằng tài khoản dùng chung (SSO)", "en": "Sign in with single sign-on"},
        "login_failed": {
            "vi": "Tên đăng nhập hoặc mật khẩu không đúng.",
            "en": "Wrong account name or password.",
        },
        "login_blocked": {
            "vi": "Đăng nhập sai nhiều lần. Vui lòng thử lại sau {seconds} giây.",
            "en": "Too many failed attempts. Please try again in {seconds} seconds.",
        },
        "login_csrf": {
            "vi": "Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.",
            "en": "The form expired. Please sign in again.",
        },
        "login_signed_out": {"vi": "Bạn đã đăng xuất.", "en": "You have signed out."},
        "login_expired": {
            "vi": "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.",
            "en": "Your session has ended; please sign in again.",
        },
        "sign_out": {"vi": "Đăng xuất", "en": "Sign out"},
        "denied_title": {"vi": "Không có quyền truy cập", "en": "No access"},
        "denied_body": {
            "vi": "Tài khoản {name} không có quyền xem trang này.",
            "en": "The account {name} may not open this page.",
        },
        "no_access_title": {"vi": "Tài khoản chưa được cấp quyền", "en": "No access yet"},
        "no_access_body": {
            "vi": "Tài khoản {name} đã đăng nhập nhưng chưa được cấp quyền xem số liệu. "
            "Đề nghị liên hệ bộ phận quản trị hệ thống để được cấp quyền.",
            "en": "The account {name} is signed in but holds no access to any figures yet. "
            "Please ask the system administrators for access.",
        },
        "revoked_title": {"vi": "Màn hình đã bị thu hồi", "en": "This screen has been revoked"},
        "revoked_body": {
            "vi": "Màn hình này không còn được phép hiển thị số liệu. Liên hệ bộ phận quản trị để đăng ký lại.",
            "en": "This screen may no longer show figures. Ask the administrators to enrol it again.",
        },
        "enrol_failed_title": {
            "vi": "Mã đăng ký màn hình không hợp lệ",
            "en": "Invalid screen enrolment code",
        },
        "enrol_failed_body": {
            "vi": "Mã đã được dùng, đã hết hạn hoặc không tồn tại. Tạo mã mới bằng lệnh "
            "ioc screens code TÊN hoặc trên trang Màn hình.",
            "en": "The code was used, has expired or does not exist. Make a new one with "
            "ioc screens code NAME or on the Screens page.",
        },
        "allowed_pages": {"vi": "Các trang bạn có thể mở:", "en": "Pages you may open:"},
    }
)


# --- helpers --------------------------------------------------------------------------------------------
def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def client_address() -> str | None:
    return request.remote_addr


def csrf_token() -> str:
    """The session's CSRF token (created on first use)."""
    token = cookie.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        cookie["csrf"] = token
    return token


def _screen_csrf() -> str | None:
    """An enrolled screen's CSRF token, derived from its device credential rather than kept in the
    cookie session: a screen whose session cookie is lost (cleared, expired, a new browser
    profile) keeps working without a reload, and the token still proves same-origin knowledge."""
    principal = g.get("principal")
    device = request.cookies.get(screens.DEVICE_COOKIE)
    if principal is None or principal.kind != "screen" or not device:
        return None
    from dashboard.webapp import store

    key = str(store().settings.secret_key).encode("utf-8")
    return hmac.new(key, b"screen-csrf:" + device.encode("utf-8"), hashlib.sha256).hexdigest()


def _csrf_ok(sent: str | None) -> bool:
    expected = _screen_csrf() or cookie.get("csrf")
    return bool(expected and sent and hmac.compare_digest(str(expected), str(sent)))


def lang() -> str:
    from dashboard.webapp import store

    return normalise_language(
        request.args.get("lang") or request.cookies.get("ioc_lang"), store().settings.language
    )


def _page(title: str, body_html: str, status: int = 200, *, refresh_s: int | None = None) -> Response:
    refresh = f'<meta http-equiv="refresh" content="{refresh_s}">' if refresh_s else ""
    html_page = (
        f'<!doctype html><html lang="{lang()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'{refresh}<title>{escape(title)} – IOC</title><link rel="stylesheet" href="/assets/style.css"></head>'
        f'<body class="ioc-plain"><main class="ioc-notice ioc-auth">{body_html}</main></body></html>'
    )
    return Response(html_page, status=status, mimetype="text/html", headers={"Cache-Control": "no-store"})


def _notice(title: str, text: str, status: int, *, refresh_s: int | None = None, extra: str = "") -> Response:
    return _page(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>{extra}", status, refresh_s=refresh_s)


def _wants_dash() -> bool:
    return request.path.startswith(DASH_PREFIX)


def _stop(status: int, where: str) -> Response:
    """A Dash request that cannot be served: the header tells ``wall.js`` where the page must go."""
    return Response("", status=status, headers={"X-IOC-Redirect": where, "Cache-Control": "no-store"})


# --- loading the principal ------------------------------------------------------------------------------
def _load_principal() -> Response | None:
    g.principal = None
    path = request.path
    if path.startswith(STATIC_PREFIXES):
        return None
    from dashboard.webapp import store

    ctx = store()
    now = utcnow()
    device = request.cookies.get(screens.DEVICE_COOKIE)
    if device:
        with ctx.engine.connect() as conn:
            row = screens.lookup(conn, device)
            if row is not None and row.revoked_at is None:
                g.principal = screens.principal_for(row)
                if path.startswith(DASH_PREFIX) and request.method == "POST":
                    changes = screens.heartbeat(
                        row,
                        now=now,
                        address=client_address(),
                        slide=request.headers.get("X-IOC-Slide"),
                        version=request.headers.get("X-IOC-Version"),
                        client_error=request.headers.get("X-IOC-Client-Error"),
                    )
                    g.ioc_reload = row.reload_requested_at is not None
                    if changes:
                        screens.record_heartbeat(conn, row.id, changes)
                        conn.commit()
            else:
                g.screen_revoked = True
    if g.principal is None and cookie.get("sid"):
        with ctx.engine.connect() as conn:
            g.principal = accounts.principal_of_session(conn, _hash(cookie["sid"]), now)
        if g.principal is None:
            cookie.pop("sid", None)
            g.session_ended = True
    return _gate()


def _gate() -> Response | None:
    path = request.path
    if path.startswith(STATIC_PREFIXES) or path.startswith(PUBLIC_PATHS):
        return None
    principal: Principal | None = g.principal
    if _wants_dash():
        if principal is None and g.get("screen_revoked"):
            return _stop(403, "/screen/revoked")  # before CSRF: a revoked screen has no token any more
        if request.method == "POST" and not _csrf_ok(request.headers.get(CSRF_HEADER)):
            # A screen whose cookie session was lost reloads and gets a fresh token.
            return _stop(403, request.headers.get("X-IOC-Slide") or "/")
        if principal is None:
            if g.get("screen_revoked"):
                return _stop(403, "/screen/revoked")
            return _stop(401, "/login?next=" + quote(safe_next(_referer_path()), safe="/"))
        return None
    if path.startswith(API_PREFIX):
        return _api_gate(principal)
    if principal is None:
        if g.get("screen_revoked"):
            return redirect("/screen/revoked")
        return redirect("/login?next=" + quote(safe_next(request.full_path.rstrip("?")), safe="/"))
    if (
        principal.kind == "screen"
        and path.rstrip("/") == "/wall"
        and request.args.get("playlist") != principal.playlist
    ):
        return redirect(f"/wall?playlist={quote(principal.playlist or '')}")
    if not may_see_page(principal, path):
        return denied_page(principal)
    return None


def _api_gate(principal: Principal | None) -> Response | None:
    """The JSON API answers in JSON: 401 without a principal, 403 outside its role."""
    from flask import jsonify

    if principal is None:
        response = jsonify({"error": {"vi": "Cần đăng nhập.", "en": "Sign-in required."}})
        response.status_code = 401
        return response
    if not may_see_page(principal, request.path):
        from dashboard.webapp import store

        audit.record_now(
            store().sessions,
            "denied",
            actor=principal.actor,
            address=client_address(),
            outcome="denied",
            path=request.path[:300],
            needs=page_capability(request.path),
        )
        response = jsonify({"error": {"vi": "Không có quyền truy cập.", "en": "Access denied."}})
        response.status_code = 403
        return response
    return None


def _referer_path() -> str:
    ref = request.headers.get("Referer") or "/"
    parts = urlsplit(ref)
    if parts.netloc and parts.netloc != request.host:
        return "/"
    return parts.path + ("?" + parts.query if parts.query else "")


def denied_page(principal: Principal) -> Response:
    """403 for a page outside the principal's role, recorded in the audit."""
    from dashboard.webapp import store

    audit.record_now(
        store().sessions,
        "denied",
        actor=principal.actor,
        address=client_address(),
        outcome="denied",
        path=request.path[:300],
        needs=page_capability(request.path),
    )
    language = lang()
    if not principal.can("view") and not principal.can("admin") and not principal.can("sources"):
        return _notice(
            t("no_access_title", language),
            t("no_access_body", language, name=principal.display_name),
            403,
            extra=_sign_out_form(language),
        )
    links = "".join(
        f'<li><a href="{p}">{escape(t(k, language))}</a></li>' for p, k in _allowed_links(principal)
    )
    return _notice(
        t("denied_title", language),
        t("denied_body", language, name=principal.display_name),
        403,
        extra=f"<p>{escape(t('allowed_pages', language))}</p><ul>{links}</ul>{_sign_out_form(language)}",
    )


def _allowed_links(principal: Principal) -> list[tuple[str, str]]:
    candidates = [
        ("/", "nav_overview"),
        ("/sources", "nav_sources"),
        ("/screens", "nav_screens"),
        ("/admin/users", "nav_admin"),
    ]
    return [(p, k) for p, k in candidates if may_see_page(principal, p)]


def _sign_out_form(language: str) -> str:
    return (
        f'<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="{escape(csrf_token())}">'
        f'<button class="ioc-button" type="submit">{escape(t("sign_out", language))}</button></form>'
    )


def _after(response: Response) -> Response:
    """Keep the CSRF cookie for dash-renderer, and pass a pending reload to an enrolled screen."""
    if request.path.startswith(STATIC_PREFIXES):
        return response
    screen_token = _screen_csrf()
    if screen_token is not None:
        if request.cookies.get(CSRF_COOKIE) != screen_token:
            _set_csrf_cookie(response, screen_token)
    elif "csrf" in cookie or request.method == "GET":
        token = csrf_token()
        if request.cookies.get(CSRF_COOKIE) != token:
            _set_csrf_cookie(response, token)
    if g.get("ioc_reload"):
        response.headers["X-IOC-Reload"] = "1"
    principal = g.get("principal")
    if principal is not None and principal.kind == "screen":
        response.headers["X-IOC-Version"] = __version__
    return response


def _set_csrf_cookie(response: Response, token: str) -> None:
    from dashboard.webapp import store

    options = {**cookie_options(store().settings), "httponly": False, "samesite": "Strict"}
    response.set_cookie(CSRF_COOKIE, token, **options)  # dash-renderer must read it


# --- sign-in and sign-out -------------------------------------------------------------------------------
def _login_form(message: str | None = None, username: str = "", status: int = 200) -> Response:
    from dashboard.webapp import store

    settings = store().settings
    language = lang()
    nxt = safe_next(request.values.get("next"))
    msg = (
        f'<p class="ioc-auth__message" role="alert" id="login-message">{escape(message)}</p>'
        if message
        else ""
    )
    sso = ""
    if settings.oidc_enabled:
        sso = (
            f'<p><a class="ioc-button" id="login-sso" href="/auth/oidc/login?next={quote(nxt, safe="/")}">'
            f"{escape(t('login_sso', language))}</a></p>"
        )
    other = "en" if language == "vi" else "vi"
    body = (
        f"<h1>{escape(t('app_title', language))}</h1><h2>{escape(t('login_title', language))}</h2>{msg}"
        f'<form method="post" action="/login" id="login-form" class="ioc-auth__form">'
        f'<input type="hidden" name="csrf_token" value="{escape(csrf_token())}">'
        f'<input type="hidden" name="next" value="{escape(nxt)}">'
        f'<label>{escape(t("login_username", language))}<input name="username" id="login-username" '
        f'autocomplete="username" required value="{escape(username)}"></label>'
        f'<label>{escape(t("login_password", language))}<input name="password" id="login-password" '
        f'type="password" autocomplete="current-password" required></label>'
        f'<button class="ioc-button" type="submit" id="login-submit">{escape(t("login_submit", language))}</button>'
        f'</form>{sso}<p><a href="/prefs/lang/{other}?next={quote("/login?next=" + nxt, safe="/")}">'
        f"{escape(t('switch_language', language))}</a></p>"
    )
    return _page(t("login_title", language), body, status)


def login() -> Response:
    from dashboard.webapp import store

    ctx = store()
    language = lang()
    if request.method == "GET":
        message = None
        if request.args.get("bye"):
            message = t("login_signed_out", language)
        elif g.get("session_ended"):
            message = t("login_expired", language)
        return _login_form(message)
    if not _csrf_ok(request.form.get("csrf_token")):
        return _login_form(t("login_csrf", language), status=400)
    name = accounts.normalise_username(request.form.get("username", ""))[:120]
    password = request.form.get("password", "")[:1024]
    address = client_address()
    with ctx.sessions() as session, session.begin():
        wait = accounts.blocked_for(session, name, address)
        if wait > 0:
            audit.record(
                session,
                "sign_in_blocked",
                actor=f"user:{name}",
                address=address,
                outcome="denied",
                wait_s=round(wait),
            )
            return _login_form(t("login_blocked", language, seconds=int(wait) + 1), name, 429)
        account = accounts.verify(session, name, password)
        if account is None:
            accounts.record_failure(session, name, address)
            audit.record(session, "sign_in_failed", actor=f"user:{name}", address=address, outcome="failed")
            return _login_form(t("login_failed", language), name, 401)
        accounts.record_success(session, name)
        start_session(session, account, via="password", minutes=ctx.settings.session_minutes)
        audit.record(session, "sign_in", actor=f"user:{account.username}", address=address, via="password")
        target = landing(accounts.principal_for(session, account), safe_next(request.form.get("next")))
    return redirect(target)


def landing(principal: Principal, target: str) -> str:
    """Where a fresh sign-in goes: ``target``, or — when its role cannot open that page (an
    administrator has no figures on "/") — the first page it can, not a refusal."""
    if may_see_page(principal, urlsplit(target).path):
        return target
    allowed = _allowed_links(principal)
    return allowed[0][0] if allowed else target


def start_session(session, account: Account, *, via: str, minutes: int, id_token: str | None = None) -> None:
    """Open a server-side session for ``account`` and put its id in the (signed) cookie; a new id
    at every sign-in (no session fixation)."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSession(
            id_hash=_hash(sid),
            account_id=account.id,
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
            address=client_address(),
            via=via,
            id_token_hint=id_token,
        )
    )
    account.last_sign_in_at = now
    cookie.clear()
    cookie["sid"] = sid
    cookie["csrf"] = secrets.token_urlsafe(24)
    cookie.permanent = True
    # Expired sessions of anyone are swept as people sign in.
    session.execute(delete(WebSession).where(WebSession.expires_at < now))


def logout() -> Response:
    from dashboard.webapp import store

    if request.method != "POST":
        abort(405)
    if not _csrf_ok(request.form.get("csrf_token")):
        return redirect("/login")
    principal = g.get("principal")
    end_session_url = None
    sid = cookie.get("sid")
    with store().sessions() as session, session.begin():
        if sid:
            row = session.get(WebSession, _hash(sid))
            if row is not None:
                if row.via == "oidc":
                    from dashboard import oidc

                    end_session_url = oidc.end_session_url(row.id_token_hint)
                session.delete(row)
        if principal is not None and principal.kind == "user":
            audit.record(session, "sign_out", actor=principal.actor, address=client_address())
    cookie.clear()
    return redirect(end_session_url or "/login?bye=1")


# --- screens -------------------------------------------------------------------------------------------
def enrol(code: str) -> Response:
    from dashboard.webapp import store

    ctx = store()
    language = lang()
    with ctx.sessions() as session, session.begin():
        result = screens.enrol(session, code)
        if result is None:
            audit.record(session, "screen_enrolled", address=client_address(), outcome="failed")
            return _notice(t("enrol_failed_title", language), t("enrol_failed_body", language), 403)
        screen, token = result
        audit.record(
            session,
            "screen_enrolled",
            actor=f"screen:{screen.name}",
            address=client_address(),
            unit_code=screen.unit.code,
            playlist=screen.playlist,
        )
        playlist = screen.playlist
    response = redirect(f"/wall?playlist={quote(playlist)}")
    # Ten years: a wall screen never expires into a sign-in page; revocation is on the server.
    response.set_cookie(
        screens.DEVICE_COOKIE, token, max_age=10 * 365 * 86400, **cookie_options(ctx.settings)
    )
    return response


def revoked() -> Response:
    language = lang()
    # The neutral page checks every minute whether the screen was enrolled again.
    return _notice(t("revoked_title", language), t("revoked_body", language), 403, refresh_s=60)


def init_app(server: Flask) -> None:
    server.before_request(_load_principal)
    server.after_request(_after)
    server.add_url_rule("/login", "ioc_login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "ioc_logout", logout, methods=["GET", "POST"])
    server.add_url_rule("/screens/enrol/<code>", "ioc_screen_enrol", enrol)
    server.add_url_rule("/screen/revoked", "ioc_screen_revoked", revoked)
