"""The leadership wall's pieces: plain data in (:class:`WallData`), Dash components out.

The wall (``/``) shows the domains side by side as KPI tiles (``WALL_COLUMNS``: documents, public
services, meetings, and a fourth column where directive tasks and citizens' petitions stack), the 766 service
index with its band and where points are lost, and the units needing attention. Reading happens in the page
(``layouts/home.py``, through :mod:`dashboard.queries`); everything here is a pure function of
what was read, so it is tested without a browser or a database.

Sizes are in ``em`` of the page font (which scales with the viewport), so one layout serves
1920×1080 and 3840×2160; ``assets/wall.js`` shrinks the wall's font a little if a long name
would not fit, so nothing is ever clipped or scrolled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from dash import html

from dashboard.health import DomainFreshness
from dashboard.i18n import fmt_date, fmt_datetime, fmt_number, register, t
from dashboard.kpi.catalogue import CATALOGUE
from dashboard.kpi.display import format_value
from dashboard.kpi.lists import ActionList
from dashboard.kpi.periods import Period
from dashboard.kpi.values import KpiResult, RankRow, Scope
from dashboard.queries import ServiceIndexReport
from layouts.components.kpi_tile import STATUS_ICON, STATUS_WORDS, kpi_tile

#: The KPIs a leadership wall shows per domain (domain.md §2), the most telling first.
WALL_KPIS: dict[str, tuple[str, ...]] = {
    "documents": ("VB-01", "VB-02", "VB-03", "VB-05", "VB-06"),
    "dossiers": ("DVC-01", "DVC-02", "DVC-06", "DVC-08", "DVC-13"),
    "meetings": ("HOP-01", "HOP-03", "HOP-05", "HOP-06", "HOP-07"),
    # Directive tasks and citizens' petitions share the fourth column: the headlines leaders quote
    # (open and overdue, late share, on time; petitions handled on time — the 766 indicator — and
    # open and overdue).
    "tasks": ("NV-05", "NV-07", "NV-02"),
    "petitions": ("PAKN-02", "PAKN-04"),
}
#: The wall's columns, left to right: one domain each, or several stacked in one column (their
#: tiles share its height) — the fourth is "Nhiệm vụ · Phản ánh": tasks on top, petitions below.
WALL_COLUMNS: tuple[tuple[str, ...], ...] = (
    ("documents",),
    ("dossiers",),
    ("meetings",),
    ("tasks", "petitions"),
)
INDEX_KPI = "DVC-14"
#: The units needing attention: the weakest on these KPIs.
ATTENTION_KPIS = ("DVC-06", "DVC-08")
ATTENTION_ROWS = 5
ACTION_ROWS = 10
LOST_ROWS = 3
#: The periods offered on the wall (bookmarkable as ``?period=``).
PERIOD_CHOICES = ("today", "week", "mtd", "qtd", "ytd", "rolling30")
DEFAULT_PERIOD = "mtd"
DOMAIN_LABELS = {
    "documents": "domain_documents",
    "dossiers": "domain_dossiers",
    "meetings": "domain_meetings",
    "tasks": "nav_tasks",  # "Nhiệm vụ": the column's title fits one line
    "petitions": "nav_petitions",  # "Phản ánh, kiến nghị"
}

register(
    {
        "wall_index_band": {"vi": "Xếp loại", "en": "Rating"},
        "wall_index_published": {"vi": "Điểm công bố", "en": "Published score"},
        "wall_index_published_on": {"vi": "Điểm công bố ngày {date}", "en": "Published on {date}"},
        "wall_index_estimate": {"vi": "Ước tính", "en": "Estimate"},
        "wall_index_unknown": {"vi": "{points} điểm chưa có số liệu", "en": "{points} points not yet known"},
        "wall_index_no_band": {"vi": "chưa xếp loại", "en": "not rated yet"},
        "wall_index_lost": {"vi": "Mất điểm nhiều nhất", "en": "Most points lost"},
        "wall_points": {"vi": "điểm", "en": "pts"},
        "wall_estimate": {"vi": "ước tính", "en": "estimate"},
        "wall_attention": {"vi": "Đơn vị cần chú ý", "en": "Units needing attention"},
        "wall_attention_among": {"vi": "trong số {n} đơn vị", "en": "among {n} units"},
        "wall_attention_none": {"vi": "Không có đơn vị nào cần chú ý", "en": "No unit needs attention"},
        "wall_attention_nodata": {"vi": "Chưa có đơn vị nào có số liệu", "en": "No unit has data yet"},
        "wall_actions": {"vi": "Việc cần xử lý", "en": "Items to act on"},
        "wall_actions_none": {"vi": "Không có hồ sơ, văn bản quá hạn", "en": "Nothing is overdue"},
        "wall_actions_more": {"vi": "và {n} việc quá hạn khác", "en": "and {n} more overdue"},
        "wall_actions_overdue": {"vi": "Quá hạn lâu nhất", "en": "Longest overdue"},
        "wall_days": {"vi": "{n} ngày", "en": "{n} d"},
        "wall_due_soon": {"vi": "Sắp đến hạn trong 24 giờ: {n}", "en": "Due within 24 h: {n}"},
        "wall_kind_dossier": {"vi": "Hồ sơ", "en": "Dossier"},
        "wall_kind_document": {"vi": "Văn bản", "en": "Document"},
        "wall_domain_updated": {"vi": "cập nhật {time}", "en": "updated {time}"},
        "wall_domain_stale": {"vi": "dữ liệu cũ", "en": "stale data"},
        "wall_domain_error": {"vi": "lỗi nguồn dữ liệu", "en": "source error"},
        "wall_domain_never": {"vi": "chưa thu thập", "en": "never collected"},
        "wall_domain_nosource": {"vi": "chưa có nguồn dữ liệu", "en": "no data source"},
        "wall_fresh_ok": {"vi": "Dữ liệu cập nhật {time}", "en": "Data updated {time}"},
        "wall_fresh_stale": {"vi": "Dữ liệu cũ: {domains}", "en": "Stale data: {domains}"},
        "wall_fresh_error": {"vi": "Lỗi nguồn dữ liệu: {domains}", "en": "Source error: {domains}"},
        "wall_fresh_never": {"vi": "Chưa thu thập: {domains}", "en": "Not collected yet: {domains}"},
        "wall_fresh_none": {"vi": "Chưa có nguồn dữ liệu", "en": "No data source"},
        "wall_period_today": {"vi": "Hôm nay", "en": "Today"},
        "wall_period_week": {"vi": "Tuần này", "en": "This week"},
        "wall_period_mtd": {"vi": "Từ đầu tháng", "en": "Month to date"},
        "wall_period_qtd": {"vi": "Từ đầu quý", "en": "Quarter to date"},
        "wall_period_ytd": {"vi": "Từ đầu năm", "en": "Year to date"},
        "wall_period_rolling30": {"vi": "30 ngày qua", "en": "Last 30 days"},
        "wall_unit_label": {"vi": "Đơn vị", "en": "Unit"},
        "wall_period_label": {"vi": "Kỳ", "en": "Period"},
        "wall_whole_agency": {"vi": "Toàn cơ quan", "en": "Whole agency"},
    }
)


# --- what the page read ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Attention:
    """The units needing attention: the weakest on each of ``ATTENTION_KPIS`` among ``candidates``
    units (``rankings``), or, for a unit without sub-units, its own overdue items (``actions``)."""

    rankings: tuple[tuple[str, tuple[RankRow, ...]], ...] = ()
    candidates: int = 0
    group_vi: str = ""
    group_en: str = ""
    actions: ActionList | None = None
    due_soon: int = 0


@dataclass(frozen=True)
class WallData:
    lang: str
    scope: Scope
    period: Period
    tiles: dict[str, KpiResult]
    service: ServiceIndexReport | None
    freshness: dict[str, DomainFreshness]
    attention: Attention
    version: int
    now: datetime
    tz: ZoneInfo
    unit_code: str | None = None
    units_total: int = 0
    last_run_at: datetime | None = None
    empty_store: bool = False
    notices: tuple[str, ...] = field(default=())
    alerts: frozenset[str] = field(default=frozenset())  # KPIs with a firing alert in the scope

    @property
    def signature(self) -> str:
        return wall_signature(self.version, self.now, self.tz)


def wall_signature(version: int, now: datetime, tz: ZoneInfo) -> str:
    """What the wall shows depends on the data version and on the clock (to the minute: "today",
    "overdue" and the age of the data move without new data). Same signature → nothing to redraw.

    >>> from datetime import timezone
    >>> wall_signature(18, datetime(2026, 11, 22, 1, 5, 30, tzinfo=timezone.utc), ZoneInfo("Asia/Ho_Chi_Minh"))
    'v18@2026-11-22T08:05'
    """
    return f"v{version}@{now.astimezone(tz):%Y-%m-%dT%H:%M}"


# --- peers ---------------------------------------------------------------------------------------------
def peer_group(units: list, unit: str | None) -> tuple[list, dict]:
    """Whom a scope's weakest units are picked from, and how to ask :func:`dashboard.queries.ranking`:
    for the whole agency (or its single root) the provincial units, else the root's children; for
    a unit its sub-units (none: a unit without sub-units has no peers to rank).

    ``units`` are :class:`dashboard.access.UnitOption` rows (what this visitor may see)."""
    roots = [u for u in units if u.parent_code is None]
    if unit is None or (len(roots) == 1 and unit == roots[0].code):
        provinces = [u for u in units if u.level == "province"]
        if provinces:
            return provinces, {"level": "province"}
        return [u for u in units if roots and u.parent_code == roots[0].code], {}
    return [u for u in units if u.parent_code == unit], {"parent": unit}


def weakest(kpi_id: str, rows) -> list[RankRow]:
    """The weakest ranked units, last place first; for "lower is better" counts only those above
    0, for "higher is better" only those not on target; a ratio over few items (a small sample)
    is never among them."""
    ranked = [r for r in rows if r.rank is not None and r.value is not None and not r.small_sample]
    ranked.sort(key=lambda r: r.rank, reverse=True)
    if CATALOGUE[kpi_id].direction == "down":
        ranked = [r for r in ranked if r.value > 0]
    elif CATALOGUE[kpi_id].direction == "up":
        ranked = [r for r in ranked if r.status != "green"]
    return ranked


# --- names ---------------------------------------------------------------------------------------------
def short_names(names: list[str]) -> list[str]:
    """Drop the words every name shares at its start and end, so a list of peers reads at a glance.

    >>> short_names(["Sở Nông nghiệp và Môi trường tỉnh Cao Bằng", "Sở Nông nghiệp và Môi trường thành phố Hà Nội"])
    ['Tỉnh Cao Bằng', 'Thành phố Hà Nội']
    >>> short_names(["Ha Noi Department of Agriculture", "Hue Department of Agriculture"])
    ['Ha Noi', 'Hue']
    """
    if len(names) < 2:
        return list(names)
    words = [n.split() for n in names]
    shortest = min(len(w) for w in words)
    prefix = 0
    while prefix < shortest - 1 and len({w[prefix] for w in words}) == 1:
        prefix += 1
    suffix = 0
    while suffix < shortest - prefix - 1 and len({w[-1 - suffix] for w in words}) == 1:
        suffix += 1
    out = []
    for w in words:
        kept = " ".join(w[prefix : len(w) - suffix]) or " ".join(w)
        out.append(kept[:1].upper() + kept[1:])
    return out


def common_words(names: list[str]) -> str:
    """The words all names share at the start (the group's common title)."""
    if not names:
        return ""
    words = [n.split() for n in names]
    shared = []
    for column in zip(*words, strict=False):
        if len(set(column)) != 1:
            break
        shared.append(column[0])
    return " ".join(shared)


# --- the pieces ----------------------------------------------------------------------------------------
def domain_column(domain: str, data: WallData) -> html.Section:
    lang = data.lang
    freshness = data.freshness.get(domain)
    tiles = [
        kpi_tile(
            data.tiles[kpi_id],
            lang=lang,
            freshness=freshness,
            tz=data.tz,
            now=data.now,
            tile_id=f"wall-tile-{kpi_id}",
            alert=kpi_id in data.alerts,
        )
        for kpi_id in WALL_KPIS[domain]
        if kpi_id in data.tiles
    ]
    return html.Section(
        id=f"domain-{domain}",
        className=f"ioc-wall__domain ioc-wall__domain--{domain}",
        style={"--stack-tiles": len(tiles)},
        children=[
            html.H2(
                [
                    html.Span(t(DOMAIN_LABELS[domain], lang), className="ioc-wall__domain-name"),
                    domain_time(freshness, data),
                ],
                className="ioc-wall__title",
            ),
            html.Div(tiles, className="ioc-wall__tiles", style={"--tiles": len(tiles)}),
        ],
    )


def wall_column(domains: tuple[str, ...], data: WallData) -> html.Section:
    """A column of the wall: one domain, or several stacked, each as tall as its tiles need."""
    if len(domains) == 1:
        return domain_column(domains[0], data)
    return html.Section(
        id="column-" + "-".join(domains),
        className="ioc-wall__stack",
        children=[domain_column(d, data) for d in domains],
    )


def domain_time(freshness: DomainFreshness | None, data: WallData) -> html.Span:
    """The time of a domain's data, once above its tiles (which then show theirs only when it is
    not fresh: stale, source error, never collected, no source — those looks are never hidden)."""
    lang = data.lang
    if freshness is None:
        state, text = "nosource", f"○ {t('wall_domain_nosource', lang)}"
    elif freshness.state == "error":
        state, text = "error", f"■ {t('wall_domain_error', lang)}"
    elif freshness.state == "stale":
        state, text = "stale", f"▲ {t('wall_domain_stale', lang)}"
    elif freshness.last_success_at is None:
        state, text = "never", f"○ {t('wall_domain_never', lang)}"
    else:
        local = freshness.last_success_at.astimezone(data.tz)
        same_day = local.date() == data.now.astimezone(data.tz).date()
        state = "fresh"
        text = t(
            "wall_domain_updated",
            lang,
            time=local.strftime("%H:%M") if same_day else fmt_datetime(local, lang, data.tz),
        )
    return html.Span(
        text, className=f"ioc-wall__domain-time ioc-wall__domain-time--{state}", **{"data-state": state}
    )


def index_basis(report: ServiceIndexReport | None, lang: str) -> tuple[str, str] | None:
    """What the 766 tile shows, in words: the published score (with its date) when one exists for
    the period, else the estimate with its points not yet known."""
    if report is None:
        return None
    published = report.published
    if published is not None and published.total is not None:
        if published.published_on is not None:
            return "published", t(
                "wall_index_published_on", lang, date=fmt_date(published.published_on, lang)
            )
        return "published", t("wall_index_published", lang)
    words = t("wall_index_estimate", lang)
    if report.estimate.unknown_points:
        words += " · " + t(
            "wall_index_unknown", lang, points=fmt_number(report.estimate.unknown_points, lang, 2)
        )
    return "estimate", words


def service_index_panel(data: WallData) -> html.Section | None:
    lang = data.lang
    result = data.tiles.get(INDEX_KPI)
    if result is None:
        return None
    report = data.service
    children = [
        kpi_tile(
            result,
            lang=lang,
            freshness=data.freshness.get("dossiers"),
            tz=data.tz,
            now=data.now,
            tile_id=f"wall-tile-{INDEX_KPI}",
            size="large",
            basis=index_basis(report, lang),
        )
    ]
    if report is not None and report.score is not None:
        band = report.published_band if not report.is_estimate else report.estimate_band
        children.append(
            html.Div(
                className="ioc-wall__band",
                **{"data-band": band.name("vi") if band else ""},
                children=[
                    html.Span(f"{t('wall_index_band', lang)}: "),
                    html.Strong(
                        band.name(lang) if band else t("wall_index_no_band", lang),
                        className=f"ioc-band ioc-band--{_band_level(band)}",
                    ),
                ],
            )
        )
        lost = [(indicator, points) for _, indicator, points in report.estimate.lost][:LOST_ROWS]
        if lost:
            title = t("wall_index_lost", lang) + (
                "" if report.is_estimate else f" ({t('wall_estimate', lang)})"
            )
            children.append(html.Div(title, className="ioc-wall__subtitle"))
            children.append(
                html.Ul(
                    className="ioc-wall__list",
                    children=[
                        html.Li(
                            [
                                html.Span(
                                    indicator.name_en if lang == "en" else indicator.name_vi,
                                    className="ioc-wall__list-name",
                                ),
                                html.Span(
                                    f"−{fmt_number(points, lang, 2)} {t('wall_points', lang)}",
                                    className="ioc-wall__list-value",
                                ),
                            ]
                        )
                        for indicator, points in lost
                    ],
                )
            )
    return html.Section(
        id="wall-service-index", className="ioc-wall__panel ioc-wall__index", children=children
    )


def _band_level(band) -> str:
    if band is None:
        return "none"
    return (
        "good"
        if band.min_score >= 80
        else "fair"
        if band.min_score >= 70
        else "weak"
        if band.min_score < 50
        else "average"
    )


def attention_panel(data: WallData) -> html.Section:
    lang = data.lang
    att = data.attention
    if att.actions is not None:
        return _actions_panel(data)
    children: list = [html.H2(t("wall_attention", lang), className="ioc-wall__title")]
    if att.candidates:
        group = (att.group_en if lang == "en" else att.group_vi) or t(
            "wall_attention_among", lang, n=fmt_number(att.candidates, lang)
        )
        children.append(html.Div(group, className="ioc-wall__note", id="wall-attention-group"))
    shown = 0
    for kpi_id, rows in att.rankings:
        kpi = CATALOGUE[kpi_id]
        all_names = [r.name_en if lang == "en" else r.name_vi for r in rows]
        shorts = dict(zip((r.code for r in rows), short_names(all_names), strict=False))
        worst = weakest(kpi_id, rows)[:ATTENTION_ROWS]
        if not worst:
            continue
        shown += 1
        ranked = sum(1 for r in rows if r.rank is not None)
        children.append(html.Div(kpi.name(lang), className="ioc-wall__subtitle"))
        children.append(
            html.Ol(
                className="ioc-wall__list ioc-wall__attention",
                **{"data-kpi": kpi_id},
                children=[
                    html.Li(
                        className=f"ioc-wall__unit ioc-wall__unit--{r.status}",
                        **{"data-unit": r.code, "data-value": repr(r.value)},
                        children=[
                            html.Span(
                                STATUS_ICON[r.status],
                                className=f"ioc-status--{r.status} ioc-wall__icon",
                                title=STATUS_WORDS[r.status][1 if lang == "en" else 0],
                            ),
                            html.Span(shorts.get(r.code, r.code), className="ioc-wall__list-name"),
                            html.Span(
                                format_value(r.value, kpi.unit, lang), className="ioc-wall__list-value"
                            ),
                            html.Span(f"{r.rank}/{ranked}", className="ioc-wall__rank"),
                        ],
                    )
                    for r in worst
                ],
            )
        )
    if not shown:
        children.append(
            html.P(
                t("wall_attention_none" if att.candidates else "wall_attention_nodata", lang),
                className="ioc-wall__note",
            )
        )
    return html.Section(id="wall-attention", className="ioc-wall__panel", children=children)


def _actions_panel(data: WallData) -> html.Section:
    lang = data.lang
    actions = data.attention.actions
    items = list(actions.overdue[:ACTION_ROWS])
    children: list = [html.H2(t("wall_actions", lang), className="ioc-wall__title")]
    if items:
        children.append(html.Div(t("wall_actions_overdue", lang), className="ioc-wall__subtitle"))
        children.append(
            html.Ol(
                className="ioc-wall__list ioc-wall__actions",
                children=[
                    html.Li(
                        className="ioc-wall__unit ioc-wall__unit--red",
                        children=[
                            html.Span(STATUS_ICON["red"], className="ioc-status--red ioc-wall__icon"),
                            html.Span(
                                f"{t('wall_kind_' + item.kind, lang)} {item.source_id}",
                                className="ioc-wall__list-name",
                            ),
                            html.Span(
                                t("wall_days", lang, n=fmt_number(item.days_overdue or 0, lang)),
                                className="ioc-wall__list-value",
                            ),
                        ],
                    )
                    for item in items
                ],
            )
        )
        more = len(actions.overdue) - len(items)
        if more > 0:
            children.append(
                html.Div(
                    t("wall_actions_more", lang, n=fmt_number(more, lang))
                    + ("+" if actions.truncated else ""),
                    className="ioc-wall__note",
                )
            )
    else:
        children.append(html.P(t("wall_actions_none", lang), className="ioc-wall__note"))
    children.append(
        html.Div(
            t("wall_due_soon", lang, n=fmt_number(data.attention.due_soon, lang)), className="ioc-wall__note"
        )
    )
    return html.Section(id="wall-attention", className="ioc-wall__panel", children=children)


def freshness_summary(data: WallData) -> html.Div:
    """One line on the data's age across the wall's domains: the worst state is never hidden."""
    lang = data.lang
    states = {d: data.freshness.get(d) for d in WALL_KPIS}
    known = {d: f for d, f in states.items() if f is not None}
    names = lambda ds: ", ".join(t(DOMAIN_LABELS[d], lang) for d in ds)  # noqa: E731
    for state, key, icon in (
        ("error", "wall_fresh_error", "■"),
        ("stale", "wall_fresh_stale", "▲"),
        ("never", "wall_fresh_never", "○"),
    ):
        bad = [d for d, f in known.items() if f.state == state]
        if bad:
            return html.Div(
                f"{icon} {t(key, lang, domains=names(bad))}",
                className=f"ioc-wall__fresh ioc-wall__fresh--{state}",
                id="wall-freshness",
                **{"data-state": state},
            )
    if not known:
        return html.Div(
            f"○ {t('wall_fresh_none', lang)}",
            className="ioc-wall__fresh ioc-wall__fresh--none",
            id="wall-freshness",
            **{"data-state": "none"},
        )
    oldest = min((f.last_success_at for f in known.values() if f.last_success_at), default=None)
    when = fmt_datetime(oldest, lang, data.tz) if oldest else "–"
    if oldest is not None and oldest.astimezone(data.tz).date() == data.now.astimezone(data.tz).date():
        when = oldest.astimezone(data.tz).strftime("%H:%M")
    return html.Div(
        f"● {t('wall_fresh_ok', lang, time=when)}",
        className="ioc-wall__fresh ioc-wall__fresh--ok",
        id="wall-freshness",
        **{"data-state": "ok"},
    )


def period_text(period: Period, lang: str, *, with_name: bool = True) -> str:
    """ "Từ đầu tháng (01/11/2026 – 22/11/2026)", or only the dates where a chip names the period."""
    if with_name:
        return period.label(lang)
    fmt = "%d/%m/%Y" if lang != "en" else "%d %b %Y"
    return f"{period.start:{fmt}}" if period.days == 1 else f"{period.start:{fmt}} – {period.end:{fmt}}"


def scope_title(data: WallData) -> str:
    return data.scope.name(data.lang) if data.unit_code else t("wall_whole_agency", data.lang)


def wall_body(data: WallData) -> html.Div:
    """The domain columns, the rail and the footer; redrawn as one piece when the signature changes."""
    lang = data.lang
    rail = [service_index_panel(data)]
    if data.notices:
        rail.append(
            html.Section(
                id="empty-store",
                className="ioc-wall__panel ioc-wall__notice",
                children=[
                    html.H2(data.notices[0], className="ioc-wall__title"),
                    *[html.P(n) for n in data.notices[1:]],
                ],
            )
        )
    else:
        rail.append(attention_panel(data))
    last_run = fmt_datetime(data.last_run_at, lang, data.tz) if data.last_run_at else t("never", lang)
    return html.Div(
        className="ioc-wall",
        id="wall-content",
        **{
            "data-version": str(data.version),
            "data-as-of": data.now.isoformat(),
            "data-signature": data.signature,
            "data-unit": data.unit_code or "",
            "data-period": data.period.key,
        },
        children=[
            html.Div(
                className="ioc-wall__grid",
                children=[
                    *(wall_column(c, data) for c in WALL_COLUMNS),
                    html.Aside([r for r in rail if r is not None], className="ioc-wall__rail"),
                ],
            ),
            html.Footer(
                className="ioc-wall__footer",
                children=[
                    html.Span(f"{fmt_number(data.units_total, lang)} {t('units', lang)}", id="unit-count"),
                    html.Span(f"{t('last_collector_run', lang)}: {last_run}"),
                ],
            ),
        ],
    )
