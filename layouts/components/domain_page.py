"""The frame of the three domain pages (Văn bản, Dịch vụ công, Họp trực tuyến): title and scope,
the URL-bound pickers, the domain's KPI tiles, the page's own charts, the ranking of units, and a
quiet refresh that re-renders only when the data version (or the day) changed.

A page module describes itself with a :class:`DomainSpec` and a ``sections`` function that draws
its charts from a :class:`View`; everything it reads goes through :mod:`dashboard.queries` and
:mod:`dashboard.domain_data` (no SQL in ``layouts/``)::

    SPEC = DomainSpec(page="meetings", path="/meetings", domain="meetings", title_key="domain_meetings",
                      kpi_ids=("HOP-01", …), rank_kpis=("HOP-01", …), sections=sections)
    URL, layout = build(SPEC)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import dash
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.access import UnitOption, visible_units
from dashboard.db import ReadSession
from dashboard.domain_data import Trend, UnitLabel, unit_labels
from dashboard.health import DomainFreshness, domain_freshness, source_health
from dashboard.i18n import fmt_date, fmt_number, register, t
from dashboard.kpi.catalogue import CATALOGUE
from dashboard.kpi.display import format_value
from dashboard.kpi.samples import min_sample
from dashboard.kpi.values import KpiResult
from dashboard.queries import Overview, current_data_version, overview, ranking, store_summary
from dashboard.timeutil import utcnow
from dashboard.webapp import read_session, store
from layouts.components.charts import (
    GRAPH_CONFIG,
    RankBar,
    Reference,
    empty_figure,
    plain,
    ranking_figure,
    ranking_height_em,
)
from layouts.components.frame import PageContext, context, page
from layouts.components.kpi_tile import STATUS_WORDS, kpi_tile
from layouts.components.pickers import Selection, UrlBinding, bind_url, picker_bar, selection

log = logging.getLogger(__name__)

#: How often a page asks whether the data changed (it re-renders only when it did).
REFRESH_MS = 60_000

register(
    {
        "dom_whole_agency": {"vi": "Toàn cơ quan", "en": "Whole agency"},
        "dom_ranking": {"vi": "Xếp hạng đơn vị", "en": "Units ranked"},
        "dom_ranking_children": {"vi": "Các đơn vị trực thuộc {name}", "en": "The units of {name}"},
        "dom_ranking_peers": {"vi": "{name} so với các đơn vị cùng cấp", "en": "{name} among its peers"},
        "dom_ranking_by": {"vi": "Xếp hạng theo", "en": "Rank by"},
        "dom_ranking_hint": {
            "vi": "Bấm vào một đơn vị để xem chi tiết.",
            "en": "Click a unit to see its figures.",
        },
        "dom_ranking_none": {
            "vi": "Chưa đơn vị nào có số liệu cho chỉ số này trong kỳ.",
            "en": "No unit has a value for this indicator in the period.",
        },
        "dom_ranking_missing": {
            "vi": "Chưa có số liệu ({count} đơn vị): {names}",
            "en": "No value ({count} units): {names}",
        },
        "dom_target": {"vi": "Mục tiêu {value}", "en": "Target {value}"},
        "dom_rank_line": {"vi": "Hạng {rank}/{of}", "en": "Rank {rank} of {of}"},
        "dom_ranking_level": {"vi": "{level} ({n})", "en": "{level} ({n})"},
        "dom_ranking_groups": {
            "vi": "Khối đơn vị là tổng của nhiều đơn vị nên không xếp hạng cùng các đơn vị; xem xếp hạng bên trong:",
            "en": "A group is the total of several units, so it is not ranked with units; see the ranking inside:",
        },
        "dom_level_ministry": {"vi": "Bộ, ngành", "en": "Ministries"},
        "dom_level_department": {"vi": "Đơn vị thuộc Bộ", "en": "Central units"},
        "dom_level_group": {"vi": "Khối đơn vị", "en": "Groups of units"},
        "dom_level_province": {"vi": "Sở các tỉnh, thành phố", "en": "Provincial departments"},
        "dom_level_commune": {"vi": "Cấp xã", "en": "Communes"},
        "dom_rank_up": {"vi": "tăng {n} bậc", "en": "up {n}"},
        "dom_rank_down": {"vi": "giảm {n} bậc", "en": "down {n}"},
        "dom_no_data_chart": {"vi": "Chưa có dữ liệu trong kỳ", "en": "No data in the period"},
        "dom_per_day": {"vi": "ngày", "en": "day"},
        "dom_per_week": {"vi": "tuần", "en": "week"},
        "dom_data_since": {"vi": "Số liệu có từ ngày {day}.", "en": "Figures start on {day}."},
        "dom_ranking_small": {
            "vi": "Ít mẫu (dưới {min} mục), không xếp hạng: {names}",
            "en": "Small samples (under {min} items), not ranked: {names}",
        },
        "dom_ranking_small_show": {"vi": "Xếp hạng cả đơn vị ít mẫu", "en": "Rank small samples too"},
        "dom_ranking_small_hide": {"vi": "Bỏ đơn vị ít mẫu khỏi xếp hạng", "en": "Leave small samples out"},
    }
)


@dataclass(frozen=True)
class View:
    """What a page's sections draw from: the request's context, the selection, the tiles."""

    ctx: PageContext
    sel: Selection
    session: ReadSession
    overview: Overview
    labels: dict[str, UnitLabel]
    visible: frozenset[str]  # the unit codes this visitor may see (dashboard.access)
    tz: ZoneInfo
    today: date
    now: datetime
    include_small: bool = False  # ?small=1: rank the units whose ratio rests on few items too

    @property
    def lang(self) -> str:
        return self.ctx.lang

    @property
    def theme(self) -> str:
        return self.ctx.theme

    def tile(self, kpi_id: str) -> KpiResult:
        return self.overview.tile(kpi_id)

    def target(self, kpi_id: str) -> Reference | None:
        """The KPI's target for the scope (targets.toml overrides included) as a reference line."""
        result = self.tile(kpi_id) if any(r.kpi_id == kpi_id for r in self.overview.tiles) else None
        value = result.target if result is not None else CATALOGUE[kpi_id].thresholds.target
        if value is None:
            return None
        return Reference(
            value, t("dom_target", self.lang, value=format_value(value, CATALOGUE[kpi_id].unit, self.lang))
        )

    def no_data_figure(self, kpi_id: str):
        """While ``kpi_id`` has no value (no source has delivered the domain yet …), the figure
        that says why — one sentence instead of empty axes; None when there is data."""
        result = self.tile(kpi_id)
        if result.value is not None:
            return None
        return empty_figure(
            result.reason.text(self.lang) if result.reason else t("dom_no_data_chart", self.lang),
            theme=self.theme,
        )

    def scope_name(self) -> str:
        if self.sel.unit is None:
            return t("dom_whole_agency", self.lang)
        label = self.labels.get(self.sel.unit)
        return label.name(self.lang) if label else self.sel.unit


@dataclass(frozen=True)
class DomainSpec:
    page: str  # "documents": ids, URL binding
    path: str  # "/documents"
    domain: str  # the freshness domain of the tiles
    title_key: str
    kpi_ids: tuple[str, ...]
    rank_kpis: tuple[str, ...]
    sections: Callable[[View], Sequence[Any]]
    tile_columns: int = 5
    ranking_wide: bool = True  # False: the ranking shares a row with the last section
    #: The wall (kiosk) variant: the tiles and these sections, side by side in the rest of one
    #: screen (``assets/style.css`` ``.dom-kiosk``); None: the first three sections.
    kiosk_sections: Callable[[View], Sequence[Any]] | None = None


def local_today() -> tuple[date, datetime, ZoneInfo]:
    tz = store().settings.tz
    now = utcnow()
    return now.astimezone(tz).date(), now, tz


# --- pieces the pages share ---------------------------------------------------------------------
def card(
    title: str,
    *children,
    card_id: str | None = None,
    subtitle: str | None = None,
    wide: bool = False,
    tools: Any = None,
    note: str | None = None,
) -> html.Section:
    head = html.Div(
        className="dom-card__head",
        children=[
            html.Div(
                [
                    html.H3(title, className="dom-card__title"),
                    html.P(_sentences(subtitle, note), className="dom-card__subtitle")
                    if subtitle or note
                    else None,
                ]
            ),
            tools,
        ],
    )
    return html.Section(
        className="dom-card" + (" dom-card--wide" if wide else ""), id=card_id, children=[head, *children]
    )


def _sentences(*parts: str | None) -> str:
    """Subtitle and note as sentences: "Cột: số cuộc họp. Số liệu có từ ngày 23/09/2026." """
    return " ".join(p if p.endswith((".", "…", ":")) else p + "." for p in parts if p)


def graph(graph_id: Any, figure, height_em: float = 22.0) -> dcc.Graph:
    """A chart in the page's size; an empty one (a figure saying why) is short and has no buttons."""
    if not figure.data:
        return dcc.Graph(
            id=graph_id,
            figure=figure,
            config={**GRAPH_CONFIG, "displayModeBar": False, "staticPlot": True},
            className="dom-graph dom-graph--empty",
            style={"height": f"{min(height_em, 9.0)}em"},
        )
    return dcc.Graph(
        id=graph_id,
        figure=figure,
        config=GRAPH_CONFIG,
        className="dom-graph",
        style={"height": f"{height_em}em"},
    )


def per_bucket(granularity: str, lang: str) -> str:
    """ "ngày" or "tuần": what one bar of a trend stands for."""
    return t("dom_per_week" if granularity == "week" else "dom_per_day", lang)


def from_data(trend: Trend, lang: str, day: date | None = None) -> tuple[Trend, str | None]:
    """The trend from where the store's data begins, and a note saying so when it was cut."""
    shown = trend.since_data(day)
    if len(shown.buckets) == len(trend.buckets):
        return trend, None
    return shown, t("dom_data_since", lang, day=fmt_date(day or trend.data_since, lang))


def stat(
    label: str, value: str, *, state: str = "none", stat_id: str | None = None, note: str | None = None
) -> html.Div:
    """A big figure with its label; ``state`` (green/amber/red) is shown by colour and shape."""
    icon = {"green": "●", "amber": "▲", "red": "■"}.get(state)
    return html.Div(
        className=f"dom-stat dom-stat--{state}",
        id=stat_id,
        children=[
            html.Div(
                [
                    value,
                    html.Span(f" {icon}", className="dom-stat__icon", **{"aria-hidden": "true"})
                    if icon
                    else None,
                ],
                className="dom-stat__value",
            ),
            html.Div(label, className="dom-stat__label"),
            html.Div(note, className="dom-stat__note") if note else None,
        ],
    )


def _tiles(view: View, freshness: DomainFreshness | None, columns: int) -> html.Div:
    return html.Div(
        className="dom-tiles" + (" dom-tiles--dense" if columns > 5 else ""),
        style={"--dom-tile-columns": str(columns)},
        children=[
            kpi_tile(
                r, lang=view.lang, freshness=freshness, tz=view.tz, now=view.now, tile_id=f"tile-{r.kpi_id}"
            )
            for r in view.overview.tiles
        ],
    )


def _ranking_parent(view: View) -> tuple[str | None, str | None, str]:
    """(parent to rank the children of, unit to highlight, subtitle): a unit with sub-units ranks
    them; a unit without ranks its peers, itself outlined."""
    lang = view.lang
    if view.sel.unit is None:
        roots = [label for label in view.labels.values() if label.parent_code is None]
        name = roots[0].name(lang) if len(roots) == 1 else t("dom_whole_agency", lang)
        return None, None, t("dom_ranking_children", lang, name=name)
    label = view.labels.get(view.sel.unit)
    if label is not None and label.has_children:
        return label.code, None, t("dom_ranking_children", lang, name=label.name(lang))
    return (
        (label.parent_code if label else None),
        view.sel.unit,
        t("dom_ranking_peers", lang, name=view.scope_name()),
    )


#: At most this many sections share the rest of a wall screen with the tiles (three charts side by
#: side stay legible from 5 m at 1920×1080; a fourth would not).
KIOSK_SECTIONS = 3

#: A ratio resting on fewer items than this is left out of a trend line: a weekend day with one
#: document would otherwise plunge to 0 % or jump to 100 % (the tiles keep the period's exact value).
MIN_RATIO_BASE = 10


def _rank_bars(view: View, kpi, ranked) -> list[RankBar]:
    lang = view.lang
    bars = []
    for r in ranked:
        label = view.labels.get(r.code)
        details = [
            f"<b>{plain(label.name(lang) if label else r.code)}</b>",
            format_value(r.value, kpi.unit, lang),
        ]
        if r.numerator is not None and r.denominator is not None and kpi.unit == "percent":
            details.append(f"{fmt_number(r.numerator, lang)} / {fmt_number(r.denominator, lang)}")
        if r.rank is not None:
            details.append(t("dom_rank_line", lang, rank=r.rank, of=r.peers or len(ranked)))
        if r.rank_change:
            details.append(
                t("dom_rank_up" if r.rank_change > 0 else "dom_rank_down", lang, n=abs(r.rank_change))
            )
        if r.status != "none":
            details.append(STATUS_WORDS[r.status][1 if lang == "en" else 0])
        bars.append(
            RankBar(
                r.code,
                label.short(lang) if label else r.code,
                r.value,
                r.status,
                r.rank,
                r.rank_change,
                "<br>".join(details),
            )
        )
    return bars


def _level_groups(ranked: list) -> list[tuple[str, list]]:
    """The ranked rows by level, the largest level first: units are ranked and drawn among units of
    their own level only (central departments apart from provincial ones)."""
    groups: dict[str, list] = {}
    for r in ranked:
        groups.setdefault(r.level, []).append(r)
    return sorted(groups.items(), key=lambda kv: -len(kv[1]))


def _ranking_graphs(view: View, spec: DomainSpec, rank_kpi: str, url: UrlBinding, ranked, highlight):
    """One chart per level of unit; a group (the total of several units) is never drawn against
    units: it is named below with a link to the ranking of its own members."""
    lang, kpi = view.lang, CATALOGUE[rank_kpi]
    groups = _level_groups(ranked)
    totals = [rows for level, rows in groups if level == "group"] if len(groups) > 1 else []
    charted = [(level, rows) for level, rows in groups if not (totals and level == "group")]
    graphs: list = []
    for number, (level, rows) in enumerate(charted):
        bars = _rank_bars(view, kpi, rows)
        figure = ranking_figure(
            bars,
            unit=kpi.unit,
            reference=view.target(rank_kpi),
            highlight=highlight,
            lang=lang,
            theme=view.theme,
        )
        name = "ranking" if number == 0 else f"ranking-{level}"
        graph_id = url.drill_id(name) if not view.ctx.kiosk else f"{spec.page}-{name}-static"
        if len(charted) > 1:
            graphs.append(
                html.H4(
                    t("dom_ranking_level", lang, level=t(f"dom_level_{level}", lang), n=len(rows)),
                    className="dom-ranking__level",
                    **{"data-level": level},
                )
            )
        graphs.append(graph(graph_id, figure, ranking_height_em(len(bars))))
    for rows in totals:
        links = [
            dcc.Link(
                view.labels[r.code].short(lang) if r.code in view.labels else r.code,
                href=view.ctx.href(spec.path, **{**view.sel.query(), "unit": r.code, "rank": rank_kpi}),
                className="dom-link",
            )
            for r in rows
        ]
        graphs.append(
            html.P(
                [t("dom_ranking_groups", lang), " ", *_joined(links)],
                className="dom-note",
                id=f"{spec.page}-ranking-groups",
            )
        )
    return graphs


def _joined(items: list) -> list:
    out: list = []
    for i, item in enumerate(items):
        out.extend([", "] if i else [])
        out.append(item)
    return out


def ranking_card(view: View, spec: DomainSpec, rank_kpi: str, url: UrlBinding) -> html.Section:
    lang = view.lang
    kpi = CATALOGUE[rank_kpi]
    parent, highlight, subtitle = _ranking_parent(view)
    rows = [
        r
        for r in ranking(
            view.session, rank_kpi, view.sel.period, parent=parent, include_small=view.include_small
        )
        if r.code in view.visible
    ]
    ranked = [r for r in rows if r.value is not None and not r.small_sample]
    small = [r for r in rows if r.value is not None and r.small_sample]
    missing = [r for r in rows if r.value is None]
    bars = ranked
    graphs = (
        _ranking_graphs(view, spec, rank_kpi, url, ranked, highlight)
        if ranked
        else [graph(url.drill_id("ranking"), empty_figure(t("dom_ranking_none", lang), theme=view.theme), 8)]
    )
    chooser = None
    if not view.ctx.kiosk:
        chooser = html.Div(
            className="dom-picker dom-picker--rank",
            children=[
                html.Span(t("dom_ranking_by", lang), className="dom-picker__label"),
                dcc.Dropdown(
                    id=url.param_id("rank"),
                    value=rank_kpi,
                    clearable=False,
                    searchable=False,
                    className="dom-dropdown",
                    options=[{"label": CATALOGUE[k].name(lang), "value": k} for k in spec.rank_kpis],
                ),
            ],
        )
    note = None
    if missing and bars:  # with no unit ranked at all, the empty chart says it
        names = ", ".join(
            view.labels[r.code].short(lang) if r.code in view.labels else r.code for r in missing[:12]
        )
        names += "…" if len(missing) > 12 else ""
        note = html.P(
            t("dom_ranking_missing", lang, count=len(missing), names=names),
            className="dom-note",
            id=f"{spec.page}-ranking-missing",
        )
    small_note = None
    if small:
        names = ", ".join(
            f"{view.labels[r.code].short(lang) if r.code in view.labels else r.code} (n = {fmt_number(r.denominator, lang)})"
            for r in small[:12]
        ) + ("…" if len(small) > 12 else "")
        small_note = html.P(
            t("dom_ranking_small", lang, min=min_sample(), names=names),
            className="dom-note",
            id=f"{spec.page}-ranking-small",
        )
    toggle = None
    if not view.ctx.kiosk and kpi.unit == "percent":
        toggle = dcc.Link(
            t("dom_ranking_small_hide" if view.include_small else "dom_ranking_small_show", lang),
            href=view.ctx.href(
                spec.path,
                **{**view.sel.query(), "rank": rank_kpi, "small": None if view.include_small else "1"},
            ),
            className="dom-link dom-note",
            id=f"{spec.page}-ranking-small-toggle",
        )
    return card(
        f"{t('dom_ranking', lang)} · {kpi.name(lang)}",
        html.Div(
            className="dom-ranking",
            id=f"{spec.page}-ranking",
            **{"data-kpi": rank_kpi, "data-count": str(len(bars))},
            children=graphs,
        ),
        note,
        small_note,
        toggle,
        html.P(t("dom_ranking_hint", lang), className="dom-note") if bars and not view.ctx.kiosk else None,
        card_id=f"{spec.page}-ranking-card",
        subtitle=subtitle,
        tools=chooser,
        wide=spec.ranking_wide,
    )


# --- the page ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rendered:
    """One rendering of a page's URL: what the layout and the refresh put on screen."""

    sel: Selection
    scope: str  # the unit's name, or "Toàn cơ quan"
    units: list[UnitOption]  # what the unit picker offers
    simulated: bool
    body: list  # tiles and sections
    state: dict  # what the refresh compares: the data version and the day


def render(spec: DomainSpec, query: dict, url: UrlBinding) -> Rendered:
    """Everything a page shows for ``query``, read in one session through the cached reads."""
    ctx = context(query)
    today, now, tz = local_today()
    with read_session() as session:
        sel = selection(session, query, today)
        units = visible_units(session)
        view = View(
            ctx,
            sel,
            session,
            overview(session, sel.unit, sel.period, kpi_ids=spec.kpi_ids),
            unit_labels(session),
            frozenset(u.code for u in units),
            tz,
            today,
            now,
            query.get("small") == "1",
        )
        fresh = domain_freshness(source_health(session, store().sources, now))
        rank_kpi = query.get("rank") if query.get("rank") in spec.rank_kpis else spec.rank_kpis[0]
        tiles = _tiles(view, fresh.get(spec.domain), spec.tile_columns)
        if ctx.kiosk:  # one screen: the tiles and the charts that fit beside each other, no ranking
            shown = list(
                spec.kiosk_sections(view) if spec.kiosk_sections else spec.sections(view)[:KIOSK_SECTIONS]
            )
            body = [
                tiles,
                html.Div(
                    className="dom-sections dom-sections--kiosk",
                    children=shown[:KIOSK_SECTIONS],
                    style={"--dom-kiosk-columns": str(len(shown[:KIOSK_SECTIONS]))},
                ),
            ]
        else:
            body = [
                tiles,
                html.Div(
                    className="dom-sections",
                    children=[*spec.sections(view), ranking_card(view, spec, rank_kpi, url)],
                ),
            ]
        return Rendered(
            sel,
            view.scope_name(),
            units,
            store_summary(session).simulated_units > 0,
            body,
            {"version": current_data_version(session), "day": today.isoformat()},
        )


def _resolved_query(query: dict, sel: Selection) -> dict:
    """The page's query as the server resolved it (the unit checked by the access layer): what the
    refresh will ask again — never the browser's own words echoed back."""
    kept = {k: v for k, v in query.items() if k != "unit" and isinstance(v, str)}
    if sel.unit is not None:
        kept["unit"] = sel.unit
    return kept


def build(spec: DomainSpec) -> tuple[UrlBinding, Callable[..., html.Div]]:
    """The page's URL binding and its ``layout`` function; registers the refresh callback."""
    url = bind_url(spec.page)
    content_id, state_id, query_id, timer_id = (
        f"{spec.page}-{k}" for k in ("content", "state", "query", "refresh")
    )
    period_id = f"{spec.page}-period"

    def layout(**query) -> html.Div:
        ctx = context(query)
        r = render(spec, query, url)
        return page(
            [
                html.Div(
                    className="dom-toolbar",
                    children=[
                        html.Div(
                            className="dom-toolbar__title",
                            children=[
                                html.H2(t(spec.title_key, ctx.lang), className="ioc-page-title"),
                                html.Div(
                                    [
                                        html.Span(
                                            r.scope, id=f"{spec.page}-scope", className="dom-scope__unit"
                                        ),
                                        html.Span(" · "),
                                        html.Span(
                                            r.sel.period.label(ctx.lang),
                                            id=period_id,
                                            className="dom-scope__period",
                                        ),
                                    ],
                                    className="dom-scope",
                                ),
                            ],
                        ),
                        picker_bar(ctx, r.sel, r.units, url),
                    ],
                ),
                *[html.P(n, className="dom-notice") for n in r.sel.notices(ctx.lang)],
                html.Div(id=content_id, className="dom-content", children=r.body),
                dcc.Store(id=query_id, data=_resolved_query(query, r.sel)),
                dcc.Store(id=state_id, data=r.state),
                dcc.Interval(id=timer_id, interval=REFRESH_MS),
            ],
            ctx=ctx,
            active=spec.path,
            simulated=r.simulated,
            page_class=f"dom-page dom-page--{spec.page}" + (" dom-kiosk" if ctx.kiosk else ""),
        )

    @dash.callback(
        Output(content_id, "children"),
        Output(state_id, "data"),
        Output(period_id, "children"),
        Input(timer_id, "n_intervals"),
        State(query_id, "data"),
        State(state_id, "data"),
        prevent_initial_call=True,
    )
    def refresh(_n, query, known):
        """Re-render when a collector committed or the day turned; otherwise leave the page be."""
        try:
            with read_session() as session:
                version = current_data_version(session)
            today, _, _ = local_today()
            if known and known.get("version") == version and known.get("day") == today.isoformat():
                raise PreventUpdate
            r = render(spec, query or {}, url)
            return (
                r.body,
                r.state,
                r.sel.period.label(context(query or {}).lang),
            )  # the period moves at midnight
        except PreventUpdate:
            raise
        except Exception:  # a database blip: keep the last good figures on screen
            log.exception("refreshing %s failed", spec.path)
            raise PreventUpdate from None

    return url, layout
