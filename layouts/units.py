"""Units (``/units``): units ranked on the service index or any KPI, with the change of rank
against the previous period. Each unit links to its own page (``/units/<code>``)."""

from __future__ import annotations

from datetime import datetime

import dash
from dash import Input, Output, State, callback, dcc, html

from dashboard.access import scope_codes
from dashboard.domain_data import unit_labels
from dashboard.i18n import fmt_number, register, t
from dashboard.kpi.catalogue import CATALOGUE, KPI_IDS
from dashboard.kpi.display import format_value
from dashboard.kpi.samples import min_sample
from dashboard.queries import ranking, store_summary
from dashboard.webapp import read_session, store
from layouts.components.frame import context, page
from layouts.components.kpi_tile import STATUS_ICON, STATUS_WORDS

dash.register_page(__name__, path="/units", name="Đơn vị", title="Xếp hạng đơn vị – IOC", order=40)

register(
    {
        "units_title": {"vi": "Xếp hạng đơn vị", "en": "Unit ranking"},
        "units_kpi": {"vi": "Chỉ số", "en": "Indicator"},
        "units_group": {"vi": "Nhóm đơn vị", "en": "Group"},
        "units_period": {"vi": "Kỳ", "en": "Period"},
        "group_province": {"vi": "Sở tại 34 tỉnh, thành phố", "en": "Provincial departments"},
        "group_department": {"vi": "Đơn vị thuộc Bộ", "en": "Central units"},
        "col_rank": {"vi": "Hạng", "en": "Rank"},
        "col_rank_change": {"vi": "Thay đổi", "en": "Change"},
        "col_unit": {"vi": "Đơn vị", "en": "Unit"},
        "col_value": {"vi": "Giá trị", "en": "Value"},
        "col_detail": {"vi": "Tử số / mẫu số", "en": "Numerator / denominator"},
        "col_status": {"vi": "Đánh giá", "en": "Rating"},
        "rank_new": {"vi": "mới", "en": "new"},
        "rank_small": {"vi": "ít mẫu (n = {n})", "en": "small sample (n = {n})"},
        "rank_small_note": {
            "vi": "Tỷ lệ trên dưới {min} mục là ít mẫu: hiển thị nhưng không xếp hạng.",
            "en": "A ratio over fewer than {min} items is a small sample: shown, not ranked.",
        },
        "rank_small_show": {"vi": "Xếp hạng cả đơn vị ít mẫu", "en": "Rank small samples too"},
        "rank_small_hide": {"vi": "Bỏ đơn vị ít mẫu khỏi xếp hạng", "en": "Leave small samples out"},
        "ranking_empty": {"vi": "Chưa có đơn vị nào trong nhóm này.", "en": "No unit in this group yet."},
        "period_today": {"vi": "Hôm nay", "en": "Today"},
        "period_week": {"vi": "Tuần này", "en": "This week"},
        "period_mtd": {"vi": "Từ đầu tháng", "en": "Month to date"},
        "period_qtd": {"vi": "Từ đầu quý", "en": "Quarter to date"},
        "period_ytd": {"vi": "Từ đầu năm", "en": "Year to date"},
        "period_rolling7": {"vi": "7 ngày qua", "en": "Last 7 days"},
        "period_rolling30": {"vi": "30 ngày qua", "en": "Last 30 days"},
    }
)

PERIOD_CHOICES = ("today", "week", "mtd", "qtd", "ytd", "rolling7", "rolling30")
GROUPS = ("province", "department")
DEFAULT_KPI = "DVC-06"


def _today() -> datetime:
    return datetime.now(store().settings.tz)


def parse_choice(query: dict) -> tuple[str, str, str]:
    def pick(key: str, allowed, default: str) -> str:
        value = query.get(key)
        return value if isinstance(value, str) and value in allowed else default

    return (
        pick("kpi", CATALOGUE, DEFAULT_KPI),
        pick("group", GROUPS, "province"),
        pick("period", PERIOD_CHOICES, "mtd"),
    )


def layout(**query) -> html.Div:
    ctx = context(query)
    lang = ctx.lang
    kpi, group, period = parse_choice(query)
    with read_session() as session:
        simulated = store_summary(session).simulated_units > 0
    controls = None
    if not ctx.kiosk:
        controls = html.Div(
            className="ioc-controls",
            children=[
                html.Label(
                    [
                        t("units_kpi", lang),
                        dcc.Dropdown(
                            id="units-kpi",
                            value=kpi,
                            clearable=False,
                            searchable=True,
                            options=[
                                {"label": f"{k} · {CATALOGUE[k].name(lang)}", "value": k} for k in KPI_IDS
                            ],
                        ),
                    ],
                    className="ioc-control ioc-control--wide",
                ),
                html.Label(
                    [
                        t("units_group", lang),
                        dcc.Dropdown(
                            id="units-group",
                            value=group,
                            clearable=False,
                            searchable=False,
                            options=[{"label": t(f"group_{g}", lang), "value": g} for g in GROUPS],
                        ),
                    ],
                    className="ioc-control",
                ),
                html.Label(
                    [
                        t("units_period", lang),
                        dcc.Dropdown(
                            id="units-period",
                            value=period,
                            clearable=False,
                            searchable=False,
                            options=[{"label": t(f"period_{p}", lang), "value": p} for p in PERIOD_CHOICES],
                        ),
                    ],
                    className="ioc-control",
                ),
            ],
        )
    return page(
        [
            dcc.Location(id="units-url", refresh="callback-nav"),
            dcc.Store(id="units-query", data=ctx.query),
            html.H2(f"{t('units_title', lang)} · {CATALOGUE[kpi].name(lang)}", className="ioc-page-title"),
            controls,
            ranking_table(kpi, group, period, lang, ctx, include_small=query.get("small") == "1"),
        ],
        ctx=ctx,
        active="/units",
        simulated=simulated,
        page_class="ioc-units",
    )


@callback(
    Output("units-url", "search"),
    Input("units-kpi", "value"),
    Input("units-group", "value"),
    Input("units-period", "value"),
    State("units-query", "data"),
    prevent_initial_call=True,
)
def choose(kpi, group, period, kept):
    """Pickers live in the URL, so any ranking can be bookmarked or put on a screen."""
    from urllib.parse import urlencode

    # Only values the page offers go back into the URL (the browser may send anything).
    kpi, group, period = parse_choice({"kpi": kpi, "group": group, "period": period})
    kept = {k: v for k, v in (kept or {}).items() if k in {"kiosk", "lang", "theme"} and isinstance(v, str)}
    query = {**kept, "kpi": kpi, "group": group, "period": period}
    return "?" + urlencode({k: v for k, v in query.items() if v})


def ranking_table(
    kpi_id: str, group: str, period: str, lang: str, ctx, include_small: bool = False
) -> html.Div:
    kpi = CATALOGUE[kpi_id]
    with read_session() as session:
        allowed = scope_codes(session)
        rows = [
            r
            for r in ranking(session, kpi_id, period, level=group, include_small=include_small)
            if r.code in allowed
        ]
        labels = unit_labels(session) if ctx.kiosk else {}
    if not rows:
        return html.P(t("ranking_empty", lang), className="ioc-notice")
    body = []
    for row in rows:
        change = "–"
        if row.rank is not None and row.previous_rank is None:
            change = t("rank_new", lang)
        elif row.rank_change:
            change = f"▲ {row.rank_change}" if row.rank_change > 0 else f"▼ {-row.rank_change}"
        status = row.status if row.value is not None and not row.small_sample else "none"
        vi, en = STATUS_WORDS[status]
        detail = (
            "–"
            if row.numerator is None or row.denominator is None
            else f"{fmt_number(row.numerator, lang)} / {fmt_number(row.denominator, lang)}"
        )
        body.append(
            html.Tr(
                id=f"rank-{row.code}",
                className=f"ioc-rank ioc-rank--{status}",
                children=[
                    html.Td(str(row.rank) if row.rank is not None else "–", className="ioc-rank__place"),
                    html.Td(
                        change,
                        className="ioc-rank__change"
                        + (
                            " ioc-trend--better"
                            if (row.rank_change or 0) > 0
                            else " ioc-trend--worse"
                            if (row.rank_change or 0) < 0
                            else ""
                        ),
                    ),
                    # On a wall the short name ("Hưng Yên"): the full one wraps and 34 rows no longer fit.
                    html.Td(
                        dcc.Link(
                            labels[row.code].short(lang)
                            if row.code in labels
                            else (row.name_en if lang == "en" else row.name_vi),
                            href=ctx.href(f"/units/{row.code}", period=period),
                        )
                    ),
                    html.Td(
                        [
                            format_value(row.value, kpi.unit, lang)
                            if row.value is not None
                            else (row.reason.text(lang) if row.reason else t("no_data", lang)),
                            html.Span(
                                f" · {t('rank_small', lang, n=fmt_number(row.denominator, lang))}",
                                className="ioc-rank__small",
                            )
                            if row.small_sample
                            else None,
                        ],
                        className="ioc-rank__value",
                    ),
                    html.Td(detail, className="ioc-muted"),
                    html.Td(
                        html.Span(
                            [
                                html.Span(
                                    STATUS_ICON[status],
                                    className=f"ioc-status--{status}",
                                    **{"aria-hidden": "true"},
                                ),
                                " ",
                                en if lang == "en" else vi,
                            ]
                        )
                    ),
                ],
            )
        )
    columns = ("col_rank", "col_rank_change", "col_unit", "col_value", "col_detail", "col_status")
    if ctx.kiosk:
        # A wall: the ranking in two tables side by side, without the numerator / denominator
        # column, so that 34 provinces fit one screen at a size read from across the room.
        keep = [i for i, k in enumerate(columns) if k != "col_detail"]
        head = html.Thead(html.Tr([html.Th(t(columns[i], lang)) for i in keep]))
        half = (len(body) + 1) // 2
        tables = [
            html.Table(
                className="ioc-table ioc-table--kiosk",
                id="ranking-table" if n == 0 else "ranking-table-2",
                children=[
                    head,
                    html.Tbody(
                        [
                            html.Tr([row.children[i] for i in keep], id=row.id, className=row.className)
                            for row in rows_part
                        ]
                    ),
                ],
            )
            for n, rows_part in enumerate((body[:half], body[half:]))
            if rows_part
        ]
        return html.Div(
            className="ioc-ranking ioc-ranking--kiosk",
            children=[
                html.P(kpi.definition(lang), className="ioc-muted ioc-definition"),
                html.Div(tables, className="ioc-ranking__columns"),
            ],
        )
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in columns]))
    small = None
    if kpi.unit == "percent":
        toggle = dcc.Link(
            t("rank_small_hide" if include_small else "rank_small_show", lang),
            id="units-small-toggle",
            href=ctx.href(
                "/units", kpi=kpi_id, group=group, period=period, small=None if include_small else "1"
            ),
        )
        small = html.P([t("rank_small_note", lang, min=min_sample()), " ", toggle], className="ioc-muted")
    return html.Div(
        className="ioc-ranking",
        children=[
            html.P(kpi.definition(lang), className="ioc-muted ioc-definition"),
            small,
            html.Table(className="ioc-table", id="ranking-table", children=[head, html.Tbody(body)]),
        ],
    )
