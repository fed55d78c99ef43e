"""The leadership wall (``/``): documents, public services and online meetings side by side as
KPI tiles, the 766 service index and the units needing attention — for 1920×1080 and 3840×2160
screens read from 5 m, and for office browsers.

``?unit=CODE`` and ``?period=mtd|today|week|qtd|ytd|rolling30|…`` make any view bookmarkable;
``?kiosk=1`` hides every control. The page keeps itself current without ever overlapping two
refreshes (``assets/wall.js``):

1. ``wall-tick`` (an Interval) fires; a clientside gate passes it on as ``wall-poll`` only when no
   refresh is in flight;
2. :func:`refresh` reads the data version (one tiny query) and answers ``no_update`` when the
   version and the minute are those already shown; otherwise it redraws the wall in one piece;
3. when the server cannot be reached, ``wall.js`` shows the "mất kết nối" badge and the next
   tick tries again; the badge goes when an answer comes — no reload, no error page.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import dash
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.access import (
    UnitNotAllowed,
    UnitOption,
    may_see_secret,
    resolve_unit,
    scope_codes,
    visible_units,
)
from dashboard.db import ReadSession
from dashboard.health import domain_freshness, source_health
from dashboard.i18n import normalise_language, register, t
from dashboard.kpi.catalogue import CATALOGUE
from dashboard.kpi.display import format_value
from dashboard.playlists import PERIOD_KINDS
from dashboard.queries import (
    action_list,
    current_data_version,
    overview,
    ranking,
    recent_data_version,
    service_index,
    store_summary,
)
from dashboard.render_cache import cache_key, shared
from dashboard.timeutil import utcnow
from dashboard.webapp import read_session, store
from layouts.components.frame import PageContext, context, page
from layouts.components.wall_parts import (
    ATTENTION_KPIS,
    DEFAULT_PERIOD,
    INDEX_KPI,
    PERIOD_CHOICES,
    WALL_KPIS,
    Attention,
    WallData,
    common_words,
    freshness_summary,
    peer_group,
    period_text,
    scope_title,
    wall_body,
    wall_signature,
    weakest,
)

dash.register_page(__name__, path="/", name="Tổng quan", order=0)

#: How often a screen asks whether there is anything new (a cheap data-version check).
REFRESH_MS = 10_000
_TILE_KPIS = tuple(k for ids in WALL_KPIS.values() for k in ids) + (INDEX_KPI,)

register(
    {
        "wall_unit_unknown_title": {"vi": "Không tìm thấy đơn vị", "en": "Unit not found"},
        "wall_unit_unknown_body": {
            "vi": "Không có quyền xem đơn vị này (hoặc đơn vị không tồn tại).",
            "en": "You may not see this unit (or it does not exist).",
        },
        "wall_show_whole_agency": {"vi": "Xem toàn cơ quan", "en": "Show the whole agency"},
        "wall_weakest_why": {
            "vi": "Được chiếu vì thấp nhất về {kpi} trong {n} {level}: {value}",
            "en": "Shown as the weakest on {kpi} of {n} {level}: {value}",
        },
        "wall_weakest_why_down": {
            "vi": "Được chiếu vì cao nhất về {kpi} trong {n} {level}: {value}",
            "en": "Shown as the highest on {kpi} of {n} {level}: {value}",
        },
        "wall_level_department": {"vi": "đơn vị thuộc Bộ", "en": "central units"},
        "wall_level_province": {"vi": "Sở các tỉnh, thành phố", "en": "provincial departments"},
        "wall_level_group": {"vi": "khối đơn vị", "en": "groups"},
        "wall_level_commune": {"vi": "đơn vị cấp xã", "en": "communes"},
        "wall_level_ministry": {"vi": "bộ, ngành", "en": "ministries"},
        "wall_unit_search": {"vi": "Tìm đơn vị…", "en": "Find a unit…"},
        "wall_unit_clear_search": {"vi": "Xóa nội dung tìm", "en": "Clear the search"},
        "wall_unit_clear": {"vi": "Về toàn cơ quan", "en": "Back to the whole agency"},
        "wall_unit_none_found": {"vi": "Không có đơn vị nào khớp", "en": "No unit matches"},
    }
)


# --- reading ---------------------------------------------------------------------------------------
def period_kind(requested: str | None) -> str:
    return requested if requested in PERIOD_KINDS else DEFAULT_PERIOD


def _attention(session: ReadSession, unit: str | None, period: str, units: list[UnitOption]) -> Attention:
    """The weakest provincial units (or the sub-units of ``unit``); a unit without sub-units
    gets its own overdue items instead."""
    visible = {u.code: u for u in units}
    members, where = peer_group(units, unit)
    if unit is not None and not members and unit in visible:
        actions = action_list(session, unit, include_secret=may_see_secret())
        return Attention(actions=actions, due_soon=len(actions.due_soon))
    if not members:
        return Attention()
    parents = {u.parent_code for u in members}
    group_vi = group_en = ""
    if len(parents) == 1 and next(iter(parents)) in visible:
        parent = visible[next(iter(parents))]
        group_vi, group_en = parent.name_vi, parent.name_en
    else:
        group_vi, group_en = (
            common_words([u.name_vi for u in members]),
            common_words([u.name_en for u in members]),
        )
    rankings = tuple(
        (kpi_id, tuple(r for r in ranking(session, kpi_id, period, **where) if r.code in visible))
        for kpi_id in ATTENTION_KPIS
    )
    return Attention(rankings=rankings, candidates=len(members), group_vi=group_vi, group_en=group_en)


def gather(session: ReadSession, unit: str | None, period: str, lang: str) -> WallData:
    """Everything the wall shows, through the cached queries (no SQL here)."""
    ctx = store()
    now = utcnow()
    version = current_data_version(session)  # read first: what is drawn is at least this recent
    ov = overview(session, unit, period, kpi_ids=_TILE_KPIS)
    summary = store_summary(session)
    units = visible_units(session)
    freshness = domain_freshness(source_health(session, ctx.sources, now))
    notices: tuple[str, ...] = ()
    if summary.is_empty:
        notices = (t("empty_store_title", lang), t("empty_store_body", lang))
    if summary.units == 0:
        notices = (notices or (t("empty_store_title", lang),)) + (t("no_units_body", lang),)
    return WallData(
        lang=lang,
        scope=ov.scope,
        period=ov.period,
        tiles={r.kpi_id: r for r in ov.tiles},
        service=service_index(session, unit, period) if summary.units else None,
        freshness=freshness,
        attention=_attention(session, unit, period, units) if not summary.is_empty else Attention(),
        version=version,
        now=ov.as_of,
        tz=ctx.settings.tz,
        unit_code=unit,
        units_total=summary.units,
        last_run_at=summary.last_run_at,
        empty_store=summary.is_empty,
        notices=notices,
        alerts=_firing(session, ov.scope),
    )


def _firing(session, scope) -> frozenset[str]:
    """KPIs with a firing alert on a unit of the scope shown (a marker on their tiles)."""
    from dashboard.alerts.view import firing_kpis

    try:
        return firing_kpis(session, scope.unit_ids)
    except Exception:  # never break the wall over a marker
        return frozenset()


# --- the page --------------------------------------------------------------------------------------
def layout(**query) -> html.Div:
    ctx = context(query)
    lang = ctx.lang
    period = period_kind(query.get("period"))
    with read_session() as session:
        summary = store_summary(session)
        try:
            unit = resolve_unit(session, query.get("unit"))
        except UnitNotAllowed:
            return _unknown_unit(ctx, str(query.get("unit")), period, summary.simulated_units > 0)
        data = gather(session, unit, period, lang)
        options = [] if ctx.kiosk else visible_units(session)
        why = weakest_reason(session, unit, query.get("why"), period, lang)
    view = {"unit": unit, "period": period, "lang": lang, "kiosk": ctx.kiosk, "signature": data.signature}
    return page(
        [
            dcc.Store(id="wall-view", data=view),
            dcc.Store(id="wall-poll"),
            dcc.Interval(id="wall-tick", interval=REFRESH_MS),
            html.Div(
                t("connection_lost", lang), id="wall-connection", className="ioc-connection", role="status"
            ),
            _bar(ctx, data, unit, period, options, why),
            html.Div(wall_body(data), id="wall-body"),
        ],
        ctx=ctx,
        active="/",
        simulated=summary.simulated_units > 0,
        page_class="ioc-wall-page",
    )


def weakest_reason(session: ReadSession, unit: str | None, why, period: str, lang: str) -> str | None:
    """Why a playlist's "weakest" slide shows ``unit`` (``why`` = "weakest:<KPI>" from its URL):
    recomputed here from the ranking the viewer may see, and said only if it holds — the URL
    chooses the question, never the answer."""
    if not unit or not isinstance(why, str) or not why.startswith("weakest:"):
        return None
    kpi_id = why.removeprefix("weakest:")
    if kpi_id not in CATALOGUE:
        return None
    units = visible_units(session)
    members, where = peer_group(units, None)
    visible = {u.code for u in members}
    rows = [r for r in ranking(session, kpi_id, period, **where) if r.code in visible] if members else []
    worst = weakest(kpi_id, rows)
    if not worst or worst[0].code != unit:
        return None
    row, kpi = worst[0], CATALOGUE[kpi_id]
    key = "wall_weakest_why_down" if kpi.direction == "down" else "wall_weakest_why"
    level = f"wall_level_{row.level}"
    return t(
        key,
        lang,
        kpi=kpi.name(lang),
        n=row.peers or len(rows),
        level=t(level, lang) if row.level else "",
        value=format_value(row.value, kpi.unit, lang),
    )


def _bar(
    ctx: PageContext,
    data: WallData,
    unit: str | None,
    period: str,
    options: list[UnitOption],
    why: str | None = None,
) -> html.Div:
    """Whose figures, which period, how fresh; in a browser also the unit and period pickers.
    Only the period's dates and the freshness change by themselves (refresh outputs)."""
    lang = ctx.lang
    if ctx.kiosk:
        choice = [html.H2(scope_title(data), className="ioc-wall__scope", id="wall-scope")]
        if why:
            choice.append(html.P(why, className="ioc-wall__why", id="wall-why"))
    else:
        choice = [
            dcc.Location(id="wall-location", refresh="callback-nav"),
            dcc.Dropdown(
                id="wall-unit",
                options=[{"label": u.label(lang), "value": u.code} for u in options],
                value=unit,
                placeholder=t("wall_whole_agency", lang),
                clearable=True,
                searchable=True,
                maxHeight=480,
                labels={
                    "search": t("wall_unit_search", lang),
                    "clear_search": t("wall_unit_clear_search", lang),
                    "clear_selection": t("wall_unit_clear", lang),
                    "no_options_found": t("wall_unit_none_found", lang),
                },
                className="ioc-wall__unit-picker",
            ),
            html.Nav(
                className="ioc-wall__periods",
                **{"aria-label": t("wall_period_label", lang)},
                children=[
                    dcc.Link(
                        t(f"wall_period_{kind}", lang),
                        href=ctx.href("/", unit=unit, period=kind),
                        id=f"wall-period-{kind}",
                        className="ioc-chip" + (" ioc-chip--active" if kind == period else ""),
                    )
                    for kind in PERIOD_CHOICES
                ],
            ),
        ]
    return html.Div(
        className="ioc-wall__bar" + ("" if ctx.kiosk else " ioc-wall__bar--controls"),
        id="wall-bar",
        children=[
            html.Div(
                className="ioc-wall__heading",
                children=[
                    *choice,
                    html.Span(
                        period_text(data.period, lang, with_name=ctx.kiosk or period not in PERIOD_CHOICES),
                        className="ioc-wall__period",
                        id="wall-period",
                    ),
                ],
            ),
            html.Div(freshness_summary(data), id="wall-freshness-slot"),
        ],
    )


def _unknown_unit(ctx: PageContext, code: str, period: str, simulated: bool) -> html.Div:
    lang = ctx.lang
    return page(
        [
            html.Div(
                id="wall-unit-unknown",
                className="ioc-notice",
                children=[
                    html.H2(t("wall_unit_unknown_title", lang)),
                    html.P(t("wall_unit_unknown_body", lang, code=code)),
                    dcc.Link(t("wall_show_whole_agency", lang), href=ctx.href("/", period=period)),
                ],
            )
        ],
        ctx=ctx,
        active="/",
        simulated=simulated,
        page_class="ioc-wall-page",
    )


# --- live updates ------------------------------------------------------------------------------------
# The gate lives in assets/wall.js: it lets a tick through only when no refresh is in flight.
clientside_callback(
    ClientsideFunction(namespace="ioc_wall", function_name="gate"),
    Output("wall-poll", "data"),
    Input("wall-tick", "n_intervals"),
    prevent_initial_call=True,
)


@callback(
    Output("wall-body", "children"),
    Output("wall-period", "children"),
    Output("wall-freshness-slot", "children"),
    Output("wall-view", "data"),
    Input("wall-poll", "data"),
    State("wall-view", "data"),
    prevent_initial_call=True,
)
def refresh(poll, view):
    """Redraw only when the data version or the minute changed since what is on screen."""
    if not poll or not view:
        raise PreventUpdate
    settings = store().settings
    # The common case — nothing new since what is on screen — costs no database round trip: the
    # data version comes from the shared cache.
    signature = wall_signature(recent_data_version(store().sessions), utcnow(), settings.tz)
    if signature == view.get("signature"):
        return no_update, no_update, no_update, no_update
    with read_session() as session:
        try:
            unit = resolve_unit(session, view.get("unit"))
        except UnitNotAllowed:
            raise PreventUpdate from None
        period = period_kind(view.get("period") if isinstance(view.get("period"), str) else None)
        lang = normalise_language(view.get("lang"), settings.language)
        kiosk = bool(view.get("kiosk"))
        # One render per distinct wall, shared by every screen and worker. The key holds the
        # principal's resolved scope (never one scope's render for another) and everything
        # else the answer depends on.
        key = cache_key(
            "wall-refresh",
            tuple(sorted(scope_codes(session))),
            may_see_secret(),
            unit,
            period,
            lang,
            kiosk,
            signature,
        )

        def render():
            data = gather(session, unit, period, lang)
            dates = period_text(data.period, data.lang, with_name=kiosk or period not in PERIOD_CHOICES)
            # The view goes back as the server resolved it: nothing the browser sent is echoed.
            kept = {
                "unit": unit,
                "period": period,
                "lang": data.lang,
                "kiosk": kiosk,
                "signature": data.signature,
            }
            return wall_body(data), dates, freshness_summary(data), kept

        return shared(key, render, timeout=120, concurrency=settings.render_concurrency)


@callback(
    Output("wall-location", "search"),
    Input("wall-unit", "value"),
    State("wall-view", "data"),
    State("wall-location", "search"),
    prevent_initial_call=True,
)
def choose_unit(unit, view, search):
    """The unit picker changes the URL (bookmarkable); the page follows the URL."""
    query = dict(parse_qsl((search or "").lstrip("?") if isinstance(search, str) else ""))
    if not isinstance(unit, (str, type(None))) or (unit or None) == (view or {}).get("unit"):
        raise PreventUpdate
    if unit:
        with read_session() as session:
            if unit not in scope_codes(session):
                raise PreventUpdate  # never a unit outside the scope, not even in a URL
    query.pop("unit", None)
    if unit:
        query["unit"] = unit
    return "?" + urlencode(query) if query else ""
