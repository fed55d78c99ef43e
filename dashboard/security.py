"""The hardened web surface: response headers, cookies, the Host allowlist, a body limit, rate
limits on expensive requests and safe redirects. ``init_app(server, app, settings)`` installs it all
on one Flask server (called by :func:`dashboard.webapp.create_app`).

- **Headers** on every response: a Content-Security-Policy under which Dash, dash-ag-grid and
  Plotly run with no inline script but Dash's own (allowed by their hashes, ``app.csp_hashes()``),
  ``frame-ancestors`` from ``IOC_FRAME_ANCESTORS`` (default ``'self'``: ``/wall`` frames slides of
  this site), X-Frame-Options, X-Content-Type-Options, Referrer-Policy, Permissions-Policy,
  Cross-Origin-Opener-Policy, and Strict-Transport-Security when the request came over TLS.
- **Cookies**: the session cookie and the preference cookies are HttpOnly, SameSite=Lax, and
  Secure when ``IOC_COOKIE_SECURE`` is true (:func:`cookie_options`).
- **Host allowlist** (``IOC_ALLOWED_HOSTS``): any other Host gets 400, before any other hook.
  (Not Flask's ``TRUSTED_HOSTS``: Werkzeug 3.1 cuts a trusted entry at its first ":", so an IPv6
  literal such as ``[::1]`` can never match there.)
  ``IOC_TRUSTED_PROXIES`` > 0 honours X-Forwarded-For/Proto/Host from that many proxies (ProxyFix).
- **Body limit** ``IOC_MAX_REQUEST_BYTES`` (``MAX_CONTENT_LENGTH``): a larger request gets 413.
- **Rate limit** ``IOC_RATE_LIMIT`` on Dash callbacks (which serve the exports too) and ``/api/``,
  per principal (``g.principal.key``) or else per address, in memory or in Redis: 429.
- :func:`safe_next` keeps redirects on this site.
"""

from __future__ import annotations

import logging
import math
import re
import time
import unicodedata
from urllib.parse import unquote, urlsplit

from dash import Dash
from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import RequestEntityTooLarge, SecurityError, TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard.config import Settings
from dashboard.redact import install_log_redaction

log = logging.getLogger(__name__)

#: Requests that cost a computation: Dash callbacks (pages, figures, exports) and JSON/CSV endpoints.
RATE_LIMITED_PATHS = ("/_dash-update-component",)
RATE_LIMITED_PREFIXES = ("/api/",)

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), fullscreen=(self)"
)
HSTS = "max-age=31536000"

_MESSAGES = {
    400: "Tên máy chủ (Host) không được phép truy cập ứng dụng này. / This host name is not allowed.",
    413: "Yêu cầu quá lớn. / Request too large.",
    429: "Quá nhiều yêu cầu, vui lòng thử lại sau giây lát. / Too many requests, please retry shortly.",
}


# --- redirects ---------------------------------------------------------------------------------
def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site, else ``default``.

    Browsers are generous with what they take for another site: ``//evil``, ``/\\evil`` and
    ``\\\\evil`` (a backslash is a slash to them), ``/\\t/evil`` (tabs and newlines are dropped),
    and proxies may decode ``/%2F%2Fevil`` before a second redirect. So a target is refused when,
    as sent or percent-decoded (repeatedly), it has a scheme or a host, does not start with a single
    ``/``, or holds a backslash, a control character or any whitespace.

    >>> safe_next("/units/BNV?lang=en")
    '/units/BNV?lang=en'
    >>> [safe_next(t) for t in ("//evil.example", "/\\\\evil", "/\\t/evil", "/%2F%2Fevil", "https://x")]
    ['/', '/', '/', '/', '/']
    """
    if not target or len(target) > 2048:
        return default
    form, seen = target, set()
    while form not in seen:  # every decoding of the target must pass
        seen.add(form)
        if not _is_local_path(form):
            return default
        form = unquote(form)
    return target


def _is_local_path(text: str) -> bool:
    if not text.startswith("/") or text.startswith("//"):
        return False
    if "\\" in text or any(
        ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text
    ):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return not parts.scheme and not parts.netloc and not parts.path.startswith("//")


# --- cookies -------------------------------------------------------------------------------------
def cookie_options(settings: Settings | None = None) -> dict:
    """Keyword arguments for ``Response.set_cookie`` of our own cookies (language, theme…)."""
    settings = settings or current_app.config["IOC_SETTINGS"]
    return {"secure": settings.cookie_secure, "httponly": True, "samesite": "Lax"}


# --- content security policy ------------------------------------------------------------------
def content_security_policy(
    script_hashes: list[str], frame_ancestors: str, form_targets: tuple[str, ...] = ()
) -> str:
    """The policy every response carries; ``script_hashes`` are Dash's inline scripts;
    ``form_targets``: other origins a form may end up at (the sign-out form redirects to the
    OpenID provider's end-session endpoint, and browsers apply form-action to redirects)."""
    directives = {
        "default-src": "'self'",
        # Dash's renderer start-up and inline clientside callbacks, by hash; everything else is
        # served from this site. dash-ag-grid evaluates its {"function": …} strings with its own
        # parser, Plotly's SVG charts need no eval: no 'unsafe-eval', no 'unsafe-inline'.
        "script-src": " ".join(["'self'", *script_hashes]),
        # Dash and Plotly set style attributes and inject <style> elements at run time.
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",  # sparklines and Plotly's marker patterns are data: URIs
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "frame-src": "'self'",  # /wall shows this site's slides in iframes
        "worker-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": " ".join(["'self'", *form_targets]),
        "frame-ancestors": frame_ancestors,
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def _sign_out_origins(settings: Settings) -> tuple[str, ...]:
    """The OpenID provider's origin when single sign-on is on (its end-session endpoint lives there
    for Keycloak and WSO2 Identity Server)."""
    if not settings.oidc_enabled:
        return ()
    parts = urlsplit(settings.oidc_issuer)
    return (f"{parts.scheme}://{parts.netloc}",)


class _SecurityHeaders:
    def __init__(self, app: Dash, settings: Settings):
        self.app = app
        self.settings = settings
        self.frame_options = "DENY" if settings.frame_ancestors == "'none'" else "SAMEORIGIN"
        self._policy: str | None = None

    def policy(self, html_page: bool) -> str:
        # Dash adds inline scripts (clientside callbacks) while pages register; a page response
        # is where they run, so the hashes are taken afresh there and reused for other responses.
        if html_page or self._policy is None:
            hashes = list(dict.fromkeys(self.app.csp_hashes()))  # Dash may list a script twice
            self._policy = content_security_policy(
                hashes, self.settings.frame_ancestors, _sign_out_origins(self.settings)
            )
        return self._policy

    def __call__(self, response: Response) -> Response:
        headers = response.headers
        headers["Content-Security-Policy"] = self.policy(response.mimetype == "text/html")
        headers["X-Frame-Options"] = self.frame_options
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["Permissions-Policy"] = PERMISSIONS_POLICY
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.is_secure:
            headers["Strict-Transport-Security"] = HSTS
        return response


# --- rate limiting -----------------------------------------------------------------------------
def rate_limit_key() -> str:
    """Who pays for a request: the signed-in principal (``user:42``, ``screen:7``), else the address."""
    principal = getattr(g, "principal", None)
    key = getattr(principal, "key", None) if principal is not None else None
    return str(key) if key else f"addr:{get_remote_address()}"


def is_rate_limited(path: str) -> bool:
    return path in RATE_LIMITED_PATHS or path.startswith(RATE_LIMITED_PREFIXES)


def rate_limit_storage(settings: Settings) -> str:
    if settings.ratelimit_storage_url:
        return settings.ratelimit_storage_url
    if settings.cache_backend == "redis" and settings.redis_url:
        return settings.redis_url
    return "memory://"


def _make_limiter(server: Flask, settings: Settings) -> Limiter:
    limiter = Limiter(
        rate_limit_key,
        application_limits=[settings.rate_limit],
        application_limits_exempt_when=lambda: not is_rate_limited(request.path),
        storage_uri=rate_limit_storage(settings),
        key_prefix="ioc-ratelimit",
        strategy="moving-window",
        swallow_errors=True,  # a Redis outage must not take the wall down with it
        in_memory_fallback_enabled=True,
    )
    limiter.init_app(server)
    # The in-memory storage starts a 10 ms expiry timer; wait for it, so that building the app
    # (importing app.py before gunicorn forks its workers) leaves no thread running.
    for storage in (getattr(limiter, "_storage", None), getattr(limiter, "_fallback_storage", None)):
        timer = getattr(storage, "timer", None)
        if timer is not None:
            timer.join(timeout=1.0)
    return limiter


# --- errors ---------------------------------------------------------------------------------------
def _plain(status: int) -> Response:
    return Response(_MESSAGES[status] + "\n", status=status, mimetype="text/plain")


_HOST_RE = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9.\-]+)(?::(\d{1,5}))?")


def host_allowed(host: str, allowed: list[str]) -> bool:
    """Whether a ``Host`` value (``name[:port]``) names one of ``allowed``; an entry starting with
    a dot admits that domain and its subdomains.

    >>> [host_allowed(h, ["localhost", "[::1]", ".ioc.gov.vn"]) for h in
    ...  ("localhost:8050", "[::1]:8050", "wall.ioc.gov.vn", "evil.example", "localhost.evil")]
    [True, True, True, False, False]
    """
    match = _HOST_RE.fullmatch((host or "").lower())
    if match is None:
        return False
    name = match.group(1)
    for ref in (a.lower() for a in allowed):
        if name == ref or (ref.startswith(".") and (name == ref[1:] or name.endswith(ref))):
            return True
    return False


class _HostCheck:
    """First ``before_request`` hook: answer a foreign Host before anything touches the request
    (schema check, principal, rate limit)."""

    def __init__(self, allowed: list[str]):
        self.allowed = allowed

    def __call__(self) -> Response | None:
        try:
            host = request.host
        except SecurityError:
            host = ""
        if host_allowed(host, self.allowed):
            return None
        log.warning("refused a request for Host %r (not in IOC_ALLOWED_HOSTS)", host[:100])
        return _plain(400)


def _too_large(_exc: RequestEntityTooLarge) -> Response:
    return _plain(413)


class _TooMany:
    """A plain 429 that says when to come back (Retry-After, seconds)."""

    def __init__(self, limiter: Limiter):
        self.limiter = limiter

    def __call__(self, _exc: TooManyRequests) -> Response:
        response = _plain(429)
        current = self.limiter.current_limit
        if current is not None:
            response.headers["Retry-After"] = str(max(1, math.ceil(current.reset_at - time.time())))
        return response


# --- installation ------------------------------------------------------------------------------
def init_app(server: Flask, app: Dash, settings: Settings) -> Limiter:
    """Install every protection of this module on ``server`` (the Flask server of ``app``).

    A hook that sets ``g.principal`` must be registered before this call, so the rate limit
    (a ``before_request`` added here) knows who is asking.
    """
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
    )
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=n, x_proto=n, x_host=n)
    server.before_request_funcs.setdefault(None, []).insert(0, _HostCheck(settings.allowed_host_list))
    server.register_error_handler(RequestEntityTooLarge, _too_large)
    server.after_request(_SecurityHeaders(app, settings))
    install_log_redaction()
    limiter = _make_limiter(server, settings)
    server.register_error_handler(TooManyRequests, _TooMany(limiter))
    return limiter
