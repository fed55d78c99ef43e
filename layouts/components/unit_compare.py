"""The department head's page, beyond its tiles: the period chips, how the unit stands against the
agency and its peers, and the action list as cards a phone can read.

Everything here is drawn from what the server computed for the signed-in principal's unit
(:func:`dashboard.queries.peer_standing`): peers appear only as a rank and a median, never by name
or figure.
"""

from __future__ import annotations

from dash import dcc, html

from dashboard.i18n import fmt_number, register, t
from dashboard.kpi.catalogue import CATALOGUE
from dashboard.kpi.display import format_value
from dashboard.queries import PeerStanding
from layouts.components.frame import PageContext
from layouts.components.kpi_tile import STATUS_ICON, STATUS_WORDS

#: The periods a department head switches between (the wall's chips, same words).
UNIT_PERIODS = ("today", "week", "mtd", "qtd", "ytd")
#: Cards shown on a phone; the whole list stays in the grid and the exports.
MAX_CARDS = 40

register(
    {
        "uc_periods": {"vi": "Kỳ số liệu", "en": "Period"},
        "uc_standing": {"vi": "So với toàn cơ quan và đơn vị cùng cấp", "en": "Against the agency and peers"},
        "uc_standing_note": {
            "vi": "Hạng tính trong {n} {level}; trung vị là giá trị ở giữa của các đơn vị cùng cấp khác.",
            "en": "Rank among {n} {level}; the median is the middle value of the other units of the level.",
        },
        "uc_col_kpi": {"vi": "Chỉ số", "en": "Indicator"},
        "uc_col_unit": {"vi": "Đơn vị", "en": "Unit"},
        "uc_col_agency": {"vi": "Toàn cơ quan", "en": "Whole agency"},
        "uc_col_median": {"vi": "Trung vị cùng cấp", "en": "Peers' median"},
        "uc_col_rank": {"vi": "Hạng", "en": "Rank"},
        "uc_rank": {"vi": "{rank}/{of}", "en": "{rank} of {of}"},
        "uc_no_rank": {"vi": "chưa xếp hạng", "en": "not ranked"},
        "uc_level_department": {"vi": "đơn vị thuộc Bộ", "en": "central units"},
        "uc_level_province": {"vi": "Sở các tỉnh, thành phố", "en": "provincial departments"},
        "uc_level_group": {"vi": "khối đơn vị", "en": "groups"},
        "uc_level_commune": {"vi": "đơn vị cấp xã", "en": "communes"},
        "uc_level_ministry": {"vi": "bộ, ngành", "en": "ministries"},
        "uc_cards_more": {
            "vi": "và {n} việc khác — xem đầy đủ trên máy tính hoặc tải tệp về",
            "en": "and {n} more — see them all on a computer or export them",
        },
        "uc_days_overdue": {"vi": "quá hạn {n} ngày", "en": "{n} days overdue"},
        "uc_hours_left": {"vi": "còn {n} giờ", "en": "{n} hours left"},
    }
)


def period_chips(ctx: PageContext, code: str, period: str, lang: str) -> html.Nav:
    """Links, not a callback: the period is in the URL, so a bookmark or a shared link reopens it."""
    return html.Nav(
        className="ioc-unit__periods",
        id="unit-periods",
        **{"aria-label": t("uc_periods", lang)},
        children=[
            dcc.Link(
                t(f"wall_period_{kind}", lang),
                href=ctx.href(f"/units/{code}", period=kind),
                id=f"unit-period-{kind}",
                className="ioc-chip" + (" ioc-chip--active" if kind == period else ""),
            )
            for kind in UNIT_PERIODS
        ],
    )


def standing_table(rows: tuple[PeerStanding, ...], lang: str) -> html.Section | None:
    """One line per KPI: the unit, the agency, the peers' median, the rank."""
    if not rows:
        return None
    head = html.Tr([html.Th(t(f"uc_col_{c}", lang)) for c in ("kpi", "unit", "agency", "median", "rank")])
    body = []
    for r in rows:
        kpi = CATALOGUE[r.kpi_id]
        words = STATUS_WORDS[r.status][1 if lang == "en" else 0]
        rank = (
            t("uc_rank", lang, rank=fmt_number(r.rank, lang), of=fmt_number(r.peers, lang))
            if r.rank is not None
            else t("uc_no_rank", lang)
        )
        body.append(
            html.Tr(
                **{"data-kpi": r.kpi_id, "data-rank": "" if r.rank is None else str(r.rank)},
                className=f"ioc-standing__row ioc-standing--{r.status}",
                children=[
                    html.Td(kpi.name(lang), className="ioc-standing__kpi"),
                    html.Td(
                        [
                            html.Span(STATUS_ICON[r.status], title=words, className="ioc-standing__icon"),
                            " ",
                            format_value(r.value, kpi.unit, lang),
                        ],
                        className="ioc-standing__value",
                    ),
                    html.Td(format_value(r.agency, kpi.unit, lang)),
                    html.Td(format_value(r.peers_median, kpi.unit, lang)),
                    html.Td(rank, className="ioc-standing__rank"),
                ],
            )
        )
    level = next((r.level for r in rows if r.level), "")
    peers = max((r.peers for r in rows), default=0)
    return html.Section(
        className="ioc-standing",
        id="unit-standing",
        children=[
            html.H3(t("uc_standing", lang), className="ioc-section-title"),
            html.Div(
                html.Table([html.Thead(head), html.Tbody(body)], className="ioc-table ioc-standing__table"),
                className="ioc-standing__scroll",
            ),
            html.P(
                t(
                    "uc_standing_note",
                    lang,
                    n=fmt_number(peers, lang),
                    level=t(f"uc_level_{level}", lang) if level else "",
                ),
                className="ioc-muted",
            ),
        ],
    )


def action_cards(rows: list[dict], lang: str) -> html.Div:
    """The action list as cards for a phone (the grid scrolls sideways there): what, whose, due,
    how late. Shown by CSS below 600 px only; the grid remains the full list."""
    cards = []
    for row in rows[:MAX_CARDS]:
        late = row.get("days_overdue")
        left = row.get("hours_left")
        when = (
            t("uc_days_overdue", lang, n=fmt_number(late, lang))
            if late
            else (t("uc_hours_left", lang, n=fmt_number(left, lang, 1)) if left is not None else row["state"])
        )
        cards.append(
            html.Li(
                className="ioc-card" + (" ioc-card--late" if late else ""),
                **{"data-row": row["row_id"]},
                children=[
                    html.Div(
                        [html.Strong(f"{row['kind']} {row['id']}"), html.Span(when)],
                        className="ioc-card__top",
                    ),
                    html.Div(row["procedure"], className="ioc-card__what"),
                    html.Div(
                        " · ".join(
                            x for x in (row["status"], row["unit"], row["due"] and f"{row['due']}") if x
                        ),
                        className="ioc-card__meta",
                    ),
                ],
            )
        )
    more = len(rows) - len(cards)
    return html.Div(
        className="ioc-cards",
        id="actions-cards",
        children=[
            html.Ul(cards, className="ioc-cards__list"),
            html.P(t("uc_cards_more", lang, n=fmt_number(more, lang)), className="ioc-muted")
            if more > 0
            else None,
        ],
    )
