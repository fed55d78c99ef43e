"""The frame every page shares: header (agency, simulated badge, navigation, language and theme
switches, clock), kiosk mode and the connection badge.

``context(query)`` reads what a page needs from its URL and the visitor's cookies:

- ``lang`` — ``?lang=en`` beats the ``ioc_lang`` cookie (set by the switch), which beats the default;
- ``kiosk`` — ``?kiosk=1`` hides navigation, controls and the cursor (wall screens);
- ``theme`` — ``dark`` (wall) or ``light`` (office browsers), ``?theme=`` or the ``ioc_theme`` cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from dash import dcc, html
from flask import has_request_context, request

from dashboard import petitions as _petitions  # noqa: F401 -- registers the petitions' labels
from dashboard.access import current_principal, may_see_page
from dashboard.i18n import normalise_language, t
from dashboard.webapp import store

LANG_COOKIE = "ioc_lang"
THEME_COOKIE = "ioc_theme"

NAV = (
    ("/", "nav_overview"),
    ("/documents", "nav_documents"),
    ("/dossiers", "nav_dossiers"),
    ("/meetings", "nav_meetings"),
    ("/nhiem-vu", "nav_tasks"),
    ("/phan-anh", "nav_petitions"),
    ("/chi-so-766", "nav_index"),
    ("/units", "nav_units"),
    ("/reports", "nav_reports"),
    ("/sources", "nav_sources"),
    ("/screens", "nav_screens"),
    ("/admin/users", "nav_admin"),
)


def _nav_items() -> tuple[tuple[str, str], ...]:
    """The navigation the current principal may follow (pages outside its role are not offered)."""
    principal = current_principal()
    return tuple((path, label) for path, label in NAV if may_see_page(principal, path))


def _who(lang: str):
    """The signed-in person and the sign-out button (a form: sign-out is a POST with CSRF)."""
    principal = current_principal()
    if principal is None or principal.kind != "user":
        return None
    from dashboard.auth import csrf_token

    return html.Form(
        method="POST",
        action="/logout",
        className="ioc-who",
        id="ioc-who",
        children=[
            html.Span(principal.display_name, className="ioc-who__name", id="ioc-who-name"),
            dcc.Input(type="hidden", name="csrf_token", value=csrf_token()),
            html.Button(
                t("sign_out", lang), type="submit", className="ioc-switch ioc-who__out", id="ioc-sign-out"
            ),
        ],
    )


def _bell(lang: str):
    """The principal's firing alerts: a count linking to /alerts, the first few in its tooltip;
    shown only while something fires."""
    principal = current_principal()
    if principal is None or principal.kind != "user" or not principal.can("alerts"):
        return None
    from dashboard.alerts.view import active_alerts
    from dashboard.webapp import read_session

    try:
        with read_session() as session:
            rows = active_alerts(session, principal, ("firing",), limit=200)
    except Exception:  # the header never breaks a page (e.g. a store mid-migration)
        return None
    if not rows:  # nothing firing: no bell (the header keeps its room; the wall fits itself to it)
        return None
    names = [f"{r.unit_name_en if lang == 'en' else r.unit_name_vi} · {r.kpi_id}" for r in rows[:8]]
    more = len(rows) - len(names)
    title = (
        t("bell_title", lang, n=len(rows))
        + "".join(f"\n• {n}" for n in names)
        + (f"\n… +{more}" if more > 0 else "")
    )
    return html.A(
        [html.Span("🔔", **{"aria-hidden": "true"}), html.Span(str(len(rows)), className="ioc-bell__count")],
        href="/alerts",
        id="ioc-bell",
        className="ioc-switch ioc-bell" + (" ioc-bell--firing" if rows else ""),
        title=title,
        **{"aria-label": t("bell_title", lang, n=len(rows)), "data-count": str(len(rows))},
    )


@dataclass(frozen=True)
class PageContext:
    lang: str
    kiosk: bool
    theme: str
    query: dict

    def href(self, path: str, **changes) -> str:
        """``path`` with this page's query (kiosk, lang, …) carried over and ``changes`` applied."""
        query = {k: v for k, v in {**self.query, **changes}.items() if v not in (None, "")}
        return path + ("?" + urlencode(query) if query else "")


def _cookie(name: str) -> str | None:
    return request.cookies.get(name) if has_request_context() else None


def context(query: dict) -> PageContext:
    settings = store().settings
    lang = normalise_language(query.get("lang") or _cookie(LANG_COOKIE), settings.language)
    kiosk = str(query.get("kiosk", "")).lower() in {"1", "true", "yes"}
    theme = query.get("theme") or _cookie(THEME_COOKIE) or "dark"
    theme = theme if theme in {"dark", "light"} else "dark"
    kept = {k: v for k, v in query.items() if k in {"kiosk", "lang", "theme"} and v}
    return PageContext(lang=lang, kiosk=kiosk, theme=theme, query=kept)


def header(
    title: str,
    lang: str,
    simulated: bool,
    *,
    active: str | None = None,
    ctx: PageContext | None = None,
    kiosk: bool = False,
) -> html.Header:
    nav = None
    switches = None
    if not kiosk:
        nav = html.Nav(
            className="ioc-nav",
            children=[
                dcc.Link(
                    t(label, lang),
                    href=ctx.href(path) if ctx else path,
                    className="ioc-nav__link" + (" ioc-nav__link--active" if path == active else ""),
                )
                for path, label in _nav_items()
            ],
        )
        other = "en" if lang == "vi" else "vi"
        here = active or "/"
        switches = html.Div(
            className="ioc-switches",
            children=[
                html.A(
                    t("switch_language", lang),
                    href=f"/prefs/lang/{other}?next={here}",
                    id="ioc-lang-switch",
                    className="ioc-switch",
                    hrefLang=other,
                ),
                html.A(
                    t(
                        "switch_theme_light"
                        if (ctx and ctx.theme == "dark") or not ctx
                        else "switch_theme_dark",
                        lang,
                    ),
                    href=f"/prefs/theme/{'light' if (ctx is None or ctx.theme == 'dark') else 'dark'}?next={here}",
                    id="ioc-theme-switch",
                    className="ioc-switch",
                ),
                _bell(lang),
                _who(lang),
            ],
        )
    return html.Header(
        className="ioc-header",
        children=[
            html.Div(
                className="ioc-header__row",
                children=[
                    html.Div(
                        className="ioc-header__title",
                        children=[
                            html.H1(title),
                            html.Span(t("simulated_badge", lang), className="ioc-badge ioc-badge--sim")
                            if simulated
                            else None,
                        ],
                    ),
                    # Filled and kept current by assets/clock.js, in the page's language.
                    html.Div(id="ioc-clock", className="ioc-clock", **{"data-lang": lang}),
                ],
            ),
            html.Div(className="ioc-header__row ioc-header__row--nav", children=[nav, switches])
            if nav
            else None,
        ],
    )


def page(children, *, ctx: PageContext, active: str, simulated: bool, page_class: str = "") -> html.Div:
    """A whole page: header (or none in kiosk mode) and content, in the chosen theme."""
    settings = store().settings
    title = settings.agency_name_vi if ctx.lang == "vi" else settings.agency_name_en
    classes = ["ioc-page", f"ioc-theme-{ctx.theme}", page_class]
    if ctx.kiosk:
        classes.append("ioc-kiosk")
        if "ioc-wall-page" not in page_class:  # the overview wall fits itself (assets/wall.js)
            classes.append("ioc-canvas")
    return html.Div(
        className=" ".join(c for c in classes if c),
        lang=ctx.lang,
        children=[
            header(title, ctx.lang, simulated, active=active, ctx=ctx, kiosk=ctx.kiosk),
            html.Main(className="ioc-main", children=children),
        ],
    )
