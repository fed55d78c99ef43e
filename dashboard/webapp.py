"""The Dash application factory: Pages from ``layouts/``, static files from ``assets/``.

``create_app(settings)`` builds a fresh app bound to one store; building it reads no data and
starts nothing (no scheduler, no network). Pages reach the store through :func:`store` inside a
request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import dash
from dash import Dash, dcc, html
from flask import Flask, Response, current_app, request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dashboard import api, auth, logs, metrics, oidc, probes, reports, security
from dashboard import cache as cache_ext
from dashboard.config import PROJECT_ROOT, Settings, load_settings
from dashboard.db import check_schema, make_engine, make_sessionmaker
from dashboard.errors import DatabaseUnavailableError, SchemaOutdatedError
from dashboard.i18n import t

log = logging.getLogger(__name__)

LAYOUTS_DIR = PROJECT_ROOT / "layouts"
ASSETS_DIR = PROJECT_ROOT / "assets"
EXTENSION_KEY = "ioc"
# Requests that never need the database: static files and Dash's own bundles.
# (/readyz and /metrics report the database's state themselves.)
_STATIC_PREFIXES = (
    "/assets/",
    "/_dash-component-suites/",
    "/_favicon",
    "/favicon",
    "/prefs/",
    "/healthz",
    "/readyz",
    "/metrics",
)


@dataclass
class Store:
    """What one web process knows about the store it serves."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    sources: list = field(default_factory=list)  # collectors.base.SourceConfig, for freshness targets
    schema_ok: bool = field(default=False)


def store() -> Store:
    """The store of the app serving the current request."""
    return current_app.extensions[EXTENSION_KEY]


@contextmanager
def read_session() -> Iterator[Session]:
    with store().sessions() as session:
        yield session


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Dash:
    settings = settings or load_settings()
    engine = engine or make_engine(settings.database_url)
    server = Flask("ioc", root_path=str(PROJECT_ROOT))
    server.config.update(
        SECRET_KEY=settings.secret_key,
        IOC_SETTINGS=settings,
        SESSION_COOKIE_NAME="ioc_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_minutes),
    )
    sources = []
    if settings.sources_file is not None:
        from dashboard.sourcecfg import load_sources

        # A bad file stops start-up with its problems; the adapters' own options are the
        # collectors' to check (``ioc collect`` refuses to start on them).
        sources = load_sources(settings.sources_file)
    server.extensions[EXTENSION_KEY] = Store(settings, engine, make_sessionmaker(engine), sources)
    cache_ext.init_app(server, settings)
    logs.init_app(server, settings)
    probes.init_app(server)
    server.before_request(_require_current_schema)  # first: the principal is read from the store
    auth.init_app(server)
    oidc.init_app(server, settings)
    api.init_app(server)
    reports.init_app(server)  # /reports/file/<id>.pdf|xlsx, scope checked
    server.add_url_rule("/prefs/<kind>/<value>", "ioc_prefs", _set_preference)

    app = Dash(
        "ioc",
        server=server,
        use_pages=True,
        pages_folder=str(LAYOUTS_DIR),
        assets_folder=str(ASSETS_DIR),
        title=t("app_title", settings.language),
        update_title=None,  # no "Updating..." flicker on wall screens
        suppress_callback_exceptions=True,
        serve_locally=True,  # the operations room may be offline: never a CDN
        meta_tags=[
            {"name": "viewport", "content": "width=device-width, initial-scale=1"},
            {"name": "color-scheme", "content": "dark light"},
        ],
    )
    app.layout = _shell
    security.init_app(server, app, settings)
    metrics.init_app(server)  # its timer first, its observation last: the whole request counts
    _guard_pages()
    return app


def _guard_pages() -> None:
    """Every page's layout asks :mod:`dashboard.access` first: Dash Pages renders a page in a
    callback from the pathname the browser sends, so the gate must sit on the layout itself."""
    for page in dash.page_registry.values():
        layout = page.get("layout")
        if not callable(layout) or getattr(layout, "ioc_guarded", False):
            continue
        page["layout"] = _guarded(layout, page.get("path") or "/")


def _guarded(layout, path: str):
    from dashboard.access import current_principal, may_see_page

    def guarded_layout(**kwargs):
        principal = current_principal()
        if not may_see_page(principal, path):
            return access_denied(principal, path)
        return layout(**kwargs)

    guarded_layout.ioc_guarded = True
    guarded_layout.__wrapped__ = layout
    return guarded_layout


_PREFERENCES = {"lang": ("ioc_lang", {"vi", "en"}), "theme": ("ioc_theme", {"dark", "light"})}


def _without_param(target: str, name: str) -> str:
    """``target`` (a checked local path) without ``name`` in its query: the page, unit, period and
    playlist are kept, but a ``?lang=vi`` left in the address would outvote the new cookie.

    >>> _without_param("/dossiers?unit=SO-01&lang=vi&period=week", "lang")
    '/dossiers?unit=SO-01&period=week'
    """
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(target)
    if not parts.query:
        return target
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    return urlunsplit(("", "", parts.path, urlencode(kept), parts.fragment))


def _set_preference(kind: str, value: str) -> Response:
    """Remember the visitor's language or theme in a cookie for a year, then go back."""
    from flask import abort, redirect

    if kind not in _PREFERENCES or value not in _PREFERENCES[kind][1]:
        abort(404)
    response = redirect(
        _without_param(security.safe_next(request.args.get("next")), kind)
    )  # never off this site
    response.set_cookie(_PREFERENCES[kind][0], value, max_age=365 * 86400, **security.cookie_options())
    return response


def access_denied(principal, path: str) -> html.Div:
    """What a page shows instead of itself when its role does not allow it (no data read).

    Built here, not in ``layouts/``, because the guard that shows it wraps every page: the core
    never imports the pages (tests/unit/test_import_boundaries.py)."""
    from dashboard.i18n import normalise_language

    settings = store().settings
    lang = normalise_language(request.cookies.get(_PREFERENCES["lang"][0]), settings.language)
    key = "denied_body" if principal is not None else "login_expired"
    name = principal.display_name if principal is not None else ""
    return html.Div(
        className="ioc-page ioc-theme-dark",
        lang=lang,
        id="ioc-access-denied",
        children=[
            html.Main(
                className="ioc-main",
                children=[
                    html.H2(t("denied_title", lang), className="ioc-page-title"),
                    html.P(t(key, lang, name=name), className="ioc-notice"),
                ],
            ),
        ],
    )


def _shell() -> html.Div:
    """The frame around every page; the page itself comes from ``layouts/``."""
    settings = store().settings
    return html.Div(
        className="ioc-shell",
        lang=settings.language,
        children=[
            dcc.Location(id="ioc-url"),
            dash.page_container,
        ],
    )


def _require_current_schema() -> Response | None:
    if request.path.startswith(_STATIC_PREFIXES):
        return None
    ctx = store()
    if ctx.schema_ok:
        return None
    lang = ctx.settings.language
    try:
        check_schema(ctx.engine)
    except SchemaOutdatedError as exc:
        log.error("refusing to serve: %s", exc)
        return _service_unavailable(t("schema_outdated_title", lang), t("schema_outdated_body", lang), lang)
    except DatabaseUnavailableError as exc:
        log.error("database unavailable: %s", exc)
        return _service_unavailable(
            t("database_unavailable_title", lang), t("database_unavailable_body", lang), lang
        )
    ctx.schema_ok = True
    return None


def _service_unavailable(title: str, body: str, lang: str) -> Response:
    """A plain page that reloads itself, so a wall screen recovers without a human."""
    html_page = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="30"><title>{title}</title>'
        '<link rel="stylesheet" href="/assets/style.css"></head>'
        f'<body class="ioc-plain"><main class="ioc-notice"><h1>{title}</h1><p>{body}</p></main></body></html>'
    )
    return Response(html_page, status=503, mimetype="text/html", headers={"Retry-After": "30"})
