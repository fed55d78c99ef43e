"""Chỉ số 766 (``/chi-so-766``): the national service index of a unit for a month — the score the
national portal published beside IOC's estimate, per group and per indicator, the difference,
where points are lost and why, the indicators without data ("chưa có số liệu", their maximum
points not yet known), the unit's rank among the units of its level, and the months before.

``?month=2026-10&unit=SO-01`` — every view is a URL. The unit is resolved by
:mod:`dashboard.access` (a unit outside the caller's scope shows the caller's own and says so);
the rank is computed over every peer on the server, and the peers' rows are shown only within the
caller's scope: a unit head reads "hạng 5/34" and no other unit's figure.
"""

from __future__ import annotations

import re
from datetime import date

import dash
from dash import dcc, html

from dashboard.access import (
    UnitNotAllowed,
    UnitOption,
    default_unit,
    holds_whole_agency,
    resolve_unit,
    scope_codes,
    visible_units,
)
from dashboard.i18n import fmt_date, fmt_number, register, t
from dashboard.index_history import INDEX_KPI, IndexMonth, IndexRank, index_rank, index_trend, month_of
from dashboard.kpi.periods import Period
from dashboard.kpi.samples import is_small, min_sample
from dashboard.queries import ServiceIndexReport, ranking, service_index, store_summary
from dashboard.service_index import Group, Indicator, why_lost
from dashboard.webapp import read_session
from layouts.components.charts import Series, empty_figure, trend_figure
from layouts.components.domain_page import card, graph, local_today, stat
from layouts.components.frame import context, page
from layouts.components.pickers import bind_url, unit_picker
from layouts.components.wall_parts import peer_group

dash.register_page(__name__, path="/chi-so-766", name="Chỉ số 766", title="Chỉ số 766 – IOC", order=25)
URL = bind_url("index766")

register(
    {
        "si_title": {
            "vi": "Chỉ số phục vụ người dân, doanh nghiệp (766)",
            "en": "Service index for citizens and businesses (766)",
        },
        "si_month": {"vi": "Tháng", "en": "Month"},
        "si_month_option": {"vi": "Tháng {m}/{y}", "en": "{name} {y}"},
        "si_month_running": {"vi": "Tháng {m}/{y} (đến hôm nay)", "en": "{name} {y} (so far)"},
        "si_bad_month": {
            "vi": "Tháng “{value}” không hợp lệ (dạng 2026-10): đang hiển thị tháng này.",
            "en": "“{value}” is not a month (such as 2026-10): showing this month.",
        },
        "si_published": {"vi": "Điểm công bố", "en": "Published score"},
        "si_published_on": {
            "vi": "Cổng DVC quốc gia công bố ngày {date}",
            "en": "Published by the national portal on {date}",
        },
        "si_published_import": {"vi": "Nhập từ tệp {source}", "en": "Imported from {source}"},
        "si_published_sum": {
            "vi": "Tổng do IOC cộng từ 6 nhóm công bố",
            "en": "Total added up by IOC from the 6 published groups",
        },
        "si_not_published": {
            "vi": "Chưa có điểm công bố cho tháng này",
            "en": "No published score for this month",
        },
        "si_not_published_hint": {
            "vi": "Nhập bằng lệnh: ioc scores import TỆP --period {month}",
            "en": "Import with: ioc scores import FILE --period {month}",
        },
        "si_latest": {
            "vi": "Điểm công bố gần nhất: {score} ({period})",
            "en": "Latest published: {score} ({period})",
        },
        "si_estimate": {"vi": "Ước tính của IOC", "en": "IOC's estimate"},
        "si_estimate_value": {"vi": "{points} điểm", "en": "{points} points"},
        "si_estimate_unknown": {
            "vi": "+ {unknown} điểm chưa có số liệu: điểm thực tế trong khoảng {low}–{high}",
            "en": "+ {unknown} points not yet known: the score lies between {low} and {high}",
        },
        "si_estimate_complete": {"vi": "Đủ số liệu cho mọi chỉ tiêu", "en": "Every indicator has data"},
        "si_estimate_small": {
            "vi": "Ít mẫu (n = {n} hồ sơ): ước tính chưa đáng tin cậy",
            "en": "Small sample (n = {n} dossiers): a fragile estimate",
        },
        "si_difference": {"vi": "Chênh lệch (công bố − ước tính)", "en": "Difference (published − estimate)"},
        "si_difference_none": {
            "vi": "Cần cả điểm công bố và ước tính đủ số liệu",
            "en": "Needs a published score and a complete estimate",
        },
        "si_difference_partial": {
            "vi": "Chỉ so trên {n}/6 nhóm đủ số liệu ở cả hai bên",
            "en": "Over the {n} of 6 groups with complete data only",
        },
        "si_rank": {"vi": "Xếp hạng", "en": "Rank"},
        "si_rank_value": {"vi": "Hạng {rank}/{of}", "en": "Rank {rank} of {of}"},
        "si_rank_none": {
            "vi": "Chưa xếp hạng: chưa có điểm trong tháng",
            "en": "Not ranked: no score in the month",
        },
        "si_rank_note": {
            "vi": "Trong {of} {level} có điểm; theo điểm công bố nếu có, nếu không theo ước tính",
            "en": "Among {of} {level} with a score; published scores where there are, else estimates",
        },
        "si_rank_alone": {
            "vi": "Không có đơn vị cùng cấp để so sánh",
            "en": "No unit of the same level to compare with",
        },
        "si_rank_agency": {
            "vi": "Toàn cơ quan: xem xếp hạng các đơn vị bên dưới",
            "en": "Whole agency: see the units ranked below",
        },
        "si_level_province": {"vi": "sở cấp tỉnh", "en": "provincial departments"},
        "si_level_department": {"vi": "đơn vị thuộc Bộ", "en": "central units"},
        "si_level_commune": {"vi": "đơn vị cấp xã", "en": "communes"},
        "si_level_group": {"vi": "khối đơn vị", "en": "groups"},
        "si_level_ministry": {"vi": "bộ, ngành", "en": "ministries"},
        "si_band": {"vi": "Xếp loại: {band}", "en": "Rating: {band}"},
        "si_band_open": {
            "vi": "Chưa xếp loại: còn điểm chưa có số liệu",
            "en": "No rating yet: some points are not yet known",
        },
        "si_table": {
            "vi": "Từng nhóm, từng chỉ tiêu: công bố và ước tính",
            "en": "Group by group, indicator by indicator: published and estimated",
        },
        "si_table_sub": {
            "vi": "Ước tính theo đúng quy tắc chấm điểm 766 (mỗi chỉ tiêu làm tròn 2 chữ số). Chỉ tiêu chưa có số liệu không tính là 0 "
            "và không quy đổi: điểm tối đa của nó là điểm chưa biết.",
            "en": "Estimated by the 766 scoring rules (each indicator rounded to 2 decimals). An indicator without data is never "
            "counted as 0 nor rescaled: its maximum points are not yet known.",
        },
        "si_col_item": {"vi": "Nhóm / chỉ tiêu", "en": "Group / indicator"},
        "si_col_max": {"vi": "Tối đa", "en": "Max"},
        "si_col_published": {"vi": "Công bố", "en": "Published"},
        "si_col_estimate": {"vi": "Ước tính", "en": "Estimate"},
        "si_col_difference": {"vi": "Chênh lệch", "en": "Difference"},
        "si_col_lost": {"vi": "Mất điểm", "en": "Points lost"},
        "si_col_why": {"vi": "Vì sao", "en": "Why"},
        "si_total": {"vi": "Tổng (thang 100 điểm)", "en": "Total (100-point scale)"},
        "si_no_data": {"vi": "Chưa có số liệu", "en": "No data yet"},
        "si_unknown_points": {"vi": "{points} điểm chưa biết", "en": "{points} points not yet known"},
        "si_group_unknown": {"vi": "{points} điểm chưa có số liệu", "en": "{points} points not yet known"},
        "si_split": {
            "vi": "Cách chia 12 điểm chưa được công bố: ước tính 4 điểm mỗi đầu vào",
            "en": "The split of the 12 points is not public: estimated at 4 points per input",
        },
        "si_full": {"vi": "Đạt tối đa", "en": "Full points"},
        "si_unknown_list": {
            "vi": "Chưa có số liệu ({points} điểm chưa biết)",
            "en": "Not yet known ({points} points)",
        },
        "si_unknown_how": {
            "vi": "Nhập số liệu công bố theo chỉ tiêu của Cổng DVC quốc gia: ioc scores import TỆP --period {month}",
            "en": "Import the national portal's per-indicator figures: ioc scores import FILE --period {month}",
        },
        "si_trend": {"vi": "Theo tháng", "en": "By month"},
        "si_trend_sub": {
            "vi": "Cột: ước tính (đậm: điểm đã biết, sọc: điểm chưa có số liệu). Đường: điểm công bố.",
            "en": "Bars: the estimate (solid: points known, striped: points not yet known). Line: the published score.",
        },
        "si_trend_known": {"vi": "Ước tính (điểm đã biết)", "en": "Estimate (points known)"},
        "si_trend_unknown": {"vi": "Chưa có số liệu", "en": "Not yet known"},
        "si_trend_published": {"vi": "Điểm công bố", "en": "Published"},
        "si_trend_empty": {
            "vi": "Chưa có điểm công bố hay số liệu hồ sơ nào trong 12 tháng qua",
            "en": "No published score and no dossier data in the last 12 months",
        },
        "si_ranking": {"vi": "Xếp hạng trên chỉ số 766", "en": "Ranked on the 766 index"},
        "si_ranking_peers": {"vi": "{name} và các {level}", "en": "{name} and the other {level}"},
        "si_ranking_children": {"vi": "Các đơn vị của {name}", "en": "The units of {name}"},
        "si_ranking_only_own": {
            "vi": "Chỉ hiển thị hạng của đơn vị mình; điểm của đơn vị khác không thuộc phạm vi được xem.",
            "en": "Only your own unit's place is shown; other units' figures are outside your scope.",
        },
        "si_ranking_none": {"vi": "Chưa có đơn vị nào để xếp hạng.", "en": "No unit to rank yet."},
        "si_basis_published": {"vi": "công bố", "en": "published"},
        "si_basis_estimate": {"vi": "ước tính", "en": "estimate"},
        "si_col_rank": {"vi": "Hạng", "en": "Rank"},
        "si_col_unit": {"vi": "Đơn vị", "en": "Unit"},
        "si_col_score": {"vi": "Điểm", "en": "Score"},
        "si_col_basis": {"vi": "Cơ sở", "en": "Basis"},
        "si_unit_notice": {
            "vi": "Không có quyền xem đơn vị này (hoặc đơn vị không tồn tại): đang hiển thị phạm vi của bạn.",
            "en": "You may not see this unit (or it does not exist): showing your own scope.",
        },
        "si_whole_agency": {"vi": "Toàn cơ quan", "en": "Whole agency"},
    }
)

_MONTH_NAMES_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
RANK_ROWS = 40


# --- the URL --------------------------------------------------------------------------------------
def parse_month(value, today: date) -> tuple[Period, str | None]:
    """``2026-10`` (or ``10/2026``) → that calendar month; anything else → this month and the
    text that could not be used.

    >>> parse_month("2026-10", date(2026, 12, 3))[0].start
    datetime.date(2026, 10, 1)
    >>> parse_month("soon", date(2026, 12, 3))
    (Period(kind='month', start=datetime.date(2026, 12, 1), end=datetime.date(2026, 12, 31)), 'soon')
    """
    text = value[0] if isinstance(value, (list, tuple)) and value else value
    text = str(text).strip() if text is not None else ""
    if not text:
        return month_of(today), None
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text) or re.fullmatch(r"(\d{1,2})/(\d{4})", text)
    if m:
        year, month = (int(m[1]), int(m[2])) if len(m[1]) == 4 else (int(m[2]), int(m[1]))
        if 1 <= month <= 12 and 2000 <= year <= today.year + 1:
            return Period.month(year, month), None
    return month_of(today), text[:40]


def month_key(period: Period) -> str:
    return f"{period.start:%Y-%m}"


def month_label(period: Period, today: date, lang: str) -> str:
    key = "si_month_running" if period.contains(today) else "si_month_option"
    return t(
        key,
        lang,
        m=f"{period.start.month:02d}",
        y=period.start.year,
        name=_MONTH_NAMES_EN[period.start.month - 1],
    )


def _pts(value: float | None, lang: str) -> str:
    return "–" if value is None else fmt_number(value, lang, 2)


def _signed(value: float, lang: str) -> str:
    text = fmt_number(abs(value), lang, 2)
    return f"+{text}" if value > 0.004 else f"−{text}" if value < -0.004 else text


# --- summary ------------------------------------------------------------------------------------------
def published_stat(report: ServiceIndexReport, lang: str, period: Period) -> html.Div:
    published = report.published
    if published is None or published.total is None:
        notes = [t("si_not_published", lang), t("si_not_published_hint", lang, month=month_key(period))]
        latest = report.latest_published
        if latest is not None and latest.total is not None:
            notes.insert(
                1, t("si_latest", lang, score=_pts(latest.total, lang), period=latest.period.label(lang))
            )
        return stat(t("si_published", lang), "–", stat_id="si-published", note=" · ".join(notes))
    notes = []
    if published.published_on is not None:
        notes.append(t("si_published_on", lang, date=fmt_date(published.published_on, lang)))
    elif published.source:
        notes.append(t("si_published_import", lang, source=published.source))
    if published.total_computed:
        notes.append(t("si_published_sum", lang))
    band = report.published_band
    if band is not None:
        notes.insert(0, t("si_band", lang, band=band.name(lang)))
    return stat(
        t("si_published", lang),
        _pts(published.total, lang),
        state=_state(published.total),
        stat_id="si-published",
        note=" · ".join(notes),
    )


def estimate_stat(report: ServiceIndexReport, lang: str) -> html.Div:
    est = report.estimate
    if not est.known_max:
        return stat(
            t("si_estimate", lang),
            "–",
            stat_id="si-estimate",
            note=t("si_no_data", lang)
            + " · "
            + t("si_group_unknown", lang, points=_pts(est.unknown_points, lang)),
        )
    if est.unknown_points:
        note = (
            t(
                "si_estimate_unknown",
                lang,
                unknown=_pts(est.unknown_points, lang),
                low=_pts(est.points, lang),
                high=_pts(est.points + est.unknown_points, lang),
            )
            + " · "
            + t("si_band_open", lang)
        )
    else:
        band = report.estimate_band
        note = t("si_estimate_complete", lang) + (
            " · " + t("si_band", lang, band=band.name(lang)) if band else ""
        )
    if is_small("percent", report.sample, min_sample()):
        note = t("si_estimate_small", lang, n=fmt_number(report.sample, lang)) + " · " + note
    return stat(
        t("si_estimate", lang),
        t("si_estimate_value", lang, points=_pts(est.points, lang)),
        stat_id="si-estimate",
        note=note,
    )


def difference_stat(report: ServiceIndexReport, lang: str) -> html.Div:
    published = report.published
    if published is None:
        return stat(
            t("si_difference", lang), "–", stat_id="si-difference", note=t("si_difference_none", lang)
        )
    est = report.estimate
    if published.total is not None and est.complete:
        return stat(
            t("si_difference", lang), _signed(published.total - est.points, lang), stat_id="si-difference"
        )
    pairs = [
        (published.groups.get(g.key), g)
        for g in est.groups
        if g.complete and published.groups.get(g.key) is not None
    ]
    if not pairs:
        return stat(
            t("si_difference", lang), "–", stat_id="si-difference", note=t("si_difference_none", lang)
        )
    value = sum(p - g.points for p, g in pairs)
    return stat(
        t("si_difference", lang),
        _signed(value, lang),
        stat_id="si-difference",
        note=t("si_difference_partial", lang, n=len(pairs)),
    )


def rank_stat(place: IndexRank | None, unit: str | None, lang: str) -> html.Div:
    if unit is None:
        return stat(t("si_rank", lang), "–", stat_id="si-rank", note=t("si_rank_agency", lang))
    if place is None or place.peers <= 1:
        return stat(t("si_rank", lang), "–", stat_id="si-rank", note=t("si_rank_alone", lang))
    if place.rank is None:
        return stat(t("si_rank", lang), "–", stat_id="si-rank", note=t("si_rank_none", lang))
    level = t(f"si_level_{place.level}", lang)
    return stat(
        t("si_rank", lang),
        t("si_rank_value", lang, rank=place.rank, of=place.of),
        stat_id="si-rank",
        note=t("si_rank_note", lang, of=place.of, level=level),
    )


def _state(score: float | None) -> str:
    if score is None:
        return "none"
    return "green" if score >= 80 else "amber" if score >= 50 else "red"


# --- the table ------------------------------------------------------------------------------------------
def _cell(text, cls: str = "", **attrs) -> html.Td:
    return html.Td(text, className=cls, **attrs)


def indicator_row(indicator: Indicator, published: float | None, lang: str) -> html.Tr:
    if indicator.known:
        estimate = _pts(indicator.points, lang)
        lost = f"−{_pts(indicator.lost, lang)}" if indicator.lost else "0"
    else:
        estimate = html.Span(
            [
                html.Span(t("si_no_data", lang), className="si-unknown"),
                html.Br(),
                html.Span(
                    t("si_unknown_points", lang, points=_pts(indicator.max_points, lang)),
                    className="si-muted",
                ),
            ]
        )
        lost = "–"
    difference = (
        _signed(published - indicator.points, lang) if published is not None and indicator.known else "–"
    )
    why = why_lost(indicator, lang) or (t("si_full", lang) if indicator.known else "")
    return html.Tr(
        className="si-row si-row--indicator" + ("" if indicator.known else " si-row--unknown"),
        id=f"si-indicator-{indicator.key}",
        **{"data-known": "1" if indicator.known else "0"},
        children=[
            _cell(indicator.name(lang), "si-name"),
            _cell(_pts(indicator.max_points, lang), "si-num"),
            _cell(_pts(published, lang), "si-num si-published"),
            _cell(estimate, "si-num si-estimate"),
            _cell(difference, "si-num"),
            _cell(lost, "si-num si-lost"),
            _cell(why, "si-why"),
        ],
    )


def group_row(group: Group, published: float | None, lang: str) -> html.Tr:
    known = bool(group.known_max)
    # A group of which nothing is known has no points yet — not 0.
    estimate = [
        _pts(group.points, lang) if known else html.Span(t("si_no_data", lang), className="si-unknown")
    ]
    if group.unknown_points:
        estimate += [
            html.Br(),
            html.Span(
                t("si_group_unknown", lang, points=_pts(group.unknown_points, lang)), className="si-muted"
            ),
        ]
    difference = _signed(published - group.points, lang) if published is not None and group.complete else "–"
    lost = round(group.known_max - group.points, 2)
    why = t("si_split", lang) if group.estimate_split else ""
    return html.Tr(
        className="si-row si-row--group",
        id=f"si-group-{group.key}",
        children=[
            _cell(group.name(lang), "si-name"),
            _cell(_pts(group.max_points, lang), "si-num"),
            _cell(_pts(published, lang), "si-num si-published"),
            _cell(estimate, "si-num si-estimate"),
            _cell(difference, "si-num"),
            _cell((f"−{_pts(lost, lang)}" if lost else "0") if known else "–", "si-num si-lost"),
            _cell(why, "si-why"),
        ],
    )


def index_table(report: ServiceIndexReport, lang: str) -> html.Table:
    published = report.published
    rows = []
    for group in report.estimate.groups:
        rows.append(group_row(group, published.groups.get(group.key) if published else None, lang))
        rows += [indicator_row(i, report.published_indicators.get(i.key), lang) for i in group.indicators]
    est = report.estimate
    total_estimate = [
        _pts(est.points, lang) if est.known_max else html.Span(t("si_no_data", lang), className="si-unknown")
    ]
    if est.unknown_points:
        total_estimate += [
            html.Br(),
            html.Span(
                t("si_group_unknown", lang, points=_pts(est.unknown_points, lang)), className="si-muted"
            ),
        ]
    total_published = published.total if published is not None else None
    lost = round(est.known_max - est.points, 2)
    rows.append(
        html.Tr(
            className="si-row si-row--total",
            id="si-total",
            children=[
                _cell(t("si_total", lang), "si-name"),
                _cell("100", "si-num"),
                _cell(_pts(total_published, lang), "si-num si-published"),
                _cell(total_estimate, "si-num si-estimate"),
                _cell(
                    _signed(total_published - est.points, lang)
                    if total_published is not None and est.complete
                    else "–",
                    "si-num",
                ),
                _cell(f"−{_pts(lost, lang)}" if lost else "0", "si-num si-lost"),
                _cell("", "si-why"),
            ],
        )
    )
    head = html.Thead(
        html.Tr(
            [
                html.Th(t(k, lang), className="si-num" if k not in ("si_col_item", "si_col_why") else "")
                for k in (
                    "si_col_item",
                    "si_col_max",
                    "si_col_published",
                    "si_col_estimate",
                    "si_col_difference",
                    "si_col_lost",
                    "si_col_why",
                )
            ]
        )
    )
    return html.Table(className="ioc-table si-table", id="si-table", children=[head, html.Tbody(rows)])


def unknown_note(report: ServiceIndexReport, lang: str, period: Period) -> html.Div | None:
    unknown = report.estimate.unknown
    if not unknown:
        return None
    items = [
        html.Li(f"{i.name(lang)} — {t('si_unknown_points', lang, points=_pts(i.max_points, lang))}")
        for _, i in unknown
    ]
    return html.Div(
        className="si-unknown-list",
        id="si-unknown-list",
        children=[
            html.H4(t("si_unknown_list", lang, points=_pts(report.estimate.unknown_points, lang))),
            html.Ul(items),
            html.P(t("si_unknown_how", lang, month=month_key(period)), className="dom-note"),
        ],
    )


# --- trend and ranking ---------------------------------------------------------------------------------
def trend_card(months: tuple[IndexMonth, ...], lang: str, theme: str) -> html.Section:
    shown = [m for m in months if m.published is not None or m.estimate is not None]
    if not shown:
        figure = empty_figure(t("si_trend_empty", lang), theme=theme)
    else:
        first = months.index(shown[0])
        months = months[first:]
        figure = trend_figure(
            [m.period.start for m in months],
            [
                Series(t("si_trend_known", lang), [m.estimate for m in months], colour="accent"),
                Series(t("si_trend_unknown", lang), [m.unknown for m in months], colour="muted", pattern="/"),
            ],
            [Series(t("si_trend_published", lang), [m.published for m in months], colour="warn")],
            granularity="month",
            lang=lang,
            theme=theme,
        )
        figure.update_xaxes(dtick="M1")
        figure.update_traces(
            marker_size=12, selector={"type": "scatter"}
        )  # one published month is a visible dot
        # One scale for bars and line: the 100-point scale.
        figure.update_layout(yaxis={"range": [0, 100]}, yaxis2={"range": [0, 100], "showticklabels": False})
    return card(
        t("si_trend", lang),
        graph("si-trend", figure, 20),
        card_id="si-trend-card",
        subtitle=t("si_trend_sub", lang),
    )


def ranking_rows(rows, mine: str | None, lang: str) -> html.Table:
    body = [
        html.Tr(
            className="si-rank-row" + (" si-rank-row--mine" if r.code == mine else ""),
            id=f"si-rank-{r.code}",
            children=[
                _cell(str(r.rank) if r.rank is not None else "–", "si-num"),
                _cell(r.name_en if lang == "en" else r.name_vi),
                _cell(_pts(r.value, lang), "si-num"),
                _cell(
                    t("si_basis_estimate" if r.estimate else "si_basis_published", lang)
                    if r.value is not None
                    else (r.reason.text(lang) if r.reason else t("si_no_data", lang)),
                    "si-muted",
                ),
            ],
        )
        for r in rows[:RANK_ROWS]
    ]
    head = html.Thead(
        html.Tr([html.Th(t(k, lang)) for k in ("si_col_rank", "si_col_unit", "si_col_score", "si_col_basis")])
    )
    return html.Table(
        className="ioc-table si-ranking", id="si-ranking-table", children=[head, html.Tbody(body)]
    )


def ranking_card(
    session,
    unit: str | None,
    place: IndexRank | None,
    units: list[UnitOption],
    allowed: frozenset[str],
    period: Period,
    lang: str,
) -> html.Section:
    """The peers of the unit's level within the caller's scope; for a unit with sub-units (or the
    whole agency) its sub-units; a caller who sees no peer gets only its own place."""
    names = {u.code: u for u in units}
    rows, subtitle, only_own = [], "", False
    if place is not None and place.peers > 1:
        rows = [r for r in place.rows if r.code in allowed]
        label = names.get(unit)
        subtitle = t(
            "si_ranking_peers",
            lang,
            name=label.label(lang).strip() if label else unit,
            level=t(f"si_level_{place.level}", lang),
        )
        only_own = len(rows) <= 1
    if not rows or only_own:
        members, where = peer_group(units, unit)
        if members:
            rows = [r for r in ranking(session, INDEX_KPI, period, **where) if r.code in allowed]
            parent = names.get(unit) if unit else None
            subtitle = t(
                "si_ranking_children",
                lang,
                name=(parent.label(lang).strip() if parent else t("si_whole_agency", lang)),
            )
            only_own = False
    children = []
    if only_own:
        children.append(html.P(t("si_ranking_only_own", lang), className="dom-note", id="si-ranking-own"))
    elif rows:
        children.append(ranking_rows(rows, unit, lang))
    else:
        children.append(html.P(t("si_ranking_none", lang), className="dom-note"))
    return card(t("si_ranking", lang), *children, card_id="si-ranking-card", subtitle=subtitle or None)


# --- the page ------------------------------------------------------------------------------------------
def _pickers(
    ctx, period: Period, today: date, unit: str | None, units: list[UnitOption], whole: bool
) -> html.Div | None:
    if ctx.kiosk:
        return None
    lang = ctx.lang
    months = [month_of(today, back) for back in range(12)]
    if period not in months:
        months.insert(0, period)
    return html.Div(
        className="dom-pickers",
        children=[
            URL.location(),
            html.Div(
                className="dom-picker dom-picker--month",
                children=[
                    html.Span(t("si_month", lang), className="dom-picker__label"),
                    dcc.Dropdown(
                        id=URL.param_id("month"),
                        value=month_key(period),
                        clearable=False,
                        searchable=False,
                        className="dom-dropdown",
                        options=[
                            {"label": month_label(p, today, lang), "value": month_key(p)} for p in months
                        ],
                    ),
                ],
            ),
            unit_picker(ctx, units, unit, URL, whole_agency=whole),
        ],
    )


def layout(**query) -> html.Div:
    ctx = context(query)
    lang = ctx.lang
    today, _, _ = local_today()
    period, bad_month = parse_month(query.get("month"), today)
    notices = [t("si_bad_month", lang, value=bad_month)] if bad_month else []
    requested = query.get("unit")
    with read_session() as session:
        simulated = store_summary(session).simulated_units > 0
        try:
            unit = resolve_unit(session, requested if isinstance(requested, str) else None)
        except UnitNotAllowed:
            unit = default_unit(session)  # the caller's own view; the browser's words are not echoed
            notices.append(t("si_unit_notice", lang))
        if isinstance(requested, (list, tuple, dict)):
            notices.append(t("si_unit_notice", lang))
        units = visible_units(session)
        allowed = scope_codes(session)
        whole = holds_whole_agency(session)
        report = service_index(session, unit, period)
        months = index_trend(session, unit, today)
        place = index_rank(session, unit, period)
        ranked = ranking_card(session, unit, place, units, allowed, period, lang)
    scope = report.scope.name(lang) if unit else t("si_whole_agency", lang)
    body = [
        html.Div(
            className="dom-toolbar",
            children=[
                html.Div(
                    className="dom-toolbar__title",
                    children=[
                        html.H2(t("si_title", lang), className="ioc-page-title"),
                        html.Div(
                            [
                                html.Span(scope, id="si-scope", className="dom-scope__unit"),
                                html.Span(" · "),
                                html.Span(
                                    month_label(period, today, lang),
                                    id="si-period",
                                    className="dom-scope__period",
                                ),
                            ],
                            className="dom-scope",
                        ),
                    ],
                ),
                _pickers(ctx, period, today, unit, units, whole),
            ],
        ),
        *[html.P(n, className="dom-notice") for n in notices],
        html.Div(
            className="dom-stats si-summary",
            id="si-summary",
            children=[
                published_stat(report, lang, period),
                estimate_stat(report, lang),
                difference_stat(report, lang),
                rank_stat(place, unit, lang),
            ],
        ),
        html.Div(
            className="dom-sections si-sections",
            children=[
                card(
                    t("si_table", lang),
                    index_table(report, lang),
                    unknown_note(report, lang, period),
                    card_id="si-table-card",
                    subtitle=t("si_table_sub", lang),
                    wide=True,
                ),
                trend_card(months, lang, ctx.theme),
                ranked,
            ],
        ),
    ]
    return page(
        [
            html.Div(
                className="dom-content si-content",
                id="si-content",
                **{
                    "data-unit": unit or "",
                    "data-month": month_key(period),
                    "data-basis": "estimate" if report.is_estimate else "published",
                },
                children=body,
            )
        ],
        ctx=ctx,
        active="/chi-so-766",
        simulated=simulated,
        page_class="dom-page si-page",
    )
