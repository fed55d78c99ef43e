"""Phản ánh, kiến nghị (``/phan-anh``): citizens' petitions of a unit (or the agency) for a period —
the PAKN-01…05 tiles, petitions received by channel over time, petitions handled on time and late
with the mean handling time, the period's channels and categories, the list of open petitions past
their deadline (exported through the shared export helpers, re-read on the server within the
principal's scope) and the units ranked (by default on PAKN-02, handled on time).

``?period=mtd&unit=SO-01&rank=PAKN-04`` — every view is a URL; ``&kiosk=1`` is the one-screen wall
variant (tiles, handled, channels and categories, the most overdue petitions).
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import audit
from dashboard.access import UnitNotAllowed, current_principal, may, resolve_unit
from dashboard.auth import client_address
from dashboard.domain_data import trend
from dashboard.exports import to_csv, to_xlsx
from dashboard.i18n import fmt_date, fmt_datetime, fmt_number, register, t
from dashboard.petition_data import OverdueList, overdue_petitions, petition_mix
from dashboard.petitions import CATEGORIES, CHANNELS, STATUSES, label
from dashboard.webapp import read_session, store
from layouts.components.charts import Series, empty_figure, share_figure, trend_figure
from layouts.components.domain_page import DomainSpec, View, build, card, from_data, graph, per_bucket, stat
from layouts.components.frame import context

PATH = "/phan-anh"
dash.register_page(
    __name__, path=PATH, name="Phản ánh, kiến nghị", title="Phản ánh, kiến nghị – IOC", order=25
)

#: Rows of the action list on the page, and on a wall (the most overdue first).
PAGE_ROWS = 50
KIOSK_ROWS = 5
MAX_EXPORT_ROWS = 2000
EXPORT_COLUMNS = (
    "reference",
    "unit",
    "category",
    "channel",
    "status",
    "received",
    "deadline",
    "days_overdue",
)

register(
    {
        "pakn_channels": {
            "vi": "Phản ánh tiếp nhận theo kênh, theo {unit}",
            "en": "Petitions received by channel, per {unit}",
        },
        "pakn_channels_sub": {
            "vi": "Không tính phản ánh bị từ chối hoặc chuyển đơn vị khác (PAKN-01).",
            "en": "Refused and forwarded-out petitions left out (PAKN-01).",
        },
        "pakn_handled": {"vi": "Phản ánh xử lý xong theo {unit}", "en": "Petitions handled per {unit}"},
        "pakn_handled_sub": {
            "vi": "So ngày xử lý với hạn xử lý (ngày làm việc theo lĩnh vực). Đường: thời gian xử lý trung bình (PAKN-05).",
            "en": "Handled day against the deadline (working days per category). Line: mean handling time (PAKN-05).",
        },
        "pakn_on_time": {"vi": "Đúng hạn", "en": "On time"},
        "pakn_late": {"vi": "Quá hạn", "en": "Late"},
        "pakn_mean_days": {
            "vi": "Thời gian xử lý TB (ngày làm việc)",
            "en": "Mean handling time (working days)",
        },
        "pakn_mix": {"vi": "Cơ cấu trong kỳ", "en": "The period at a glance"},
        "pakn_mix_sub": {
            "vi": "Kênh tiếp nhận và lĩnh vực của phản ánh tiếp nhận trong kỳ",
            "en": "Channels and categories of the petitions received in the period",
        },
        "pakn_received_centre": {"vi": "{n}<br>tiếp nhận", "en": "{n}<br>received"},
        "pakn_categories_centre": {"vi": "{n}<br>lĩnh vực", "en": "{n}<br>categories"},
        "pakn_other_categories": {"vi": "Lĩnh vực khác", "en": "Other categories"},
        "pakn_overdue": {"vi": "Phản ánh quá hạn đang xử lý", "en": "Open petitions past their deadline"},
        "pakn_overdue_sub": {
            "vi": "Tại thời điểm hiện tại, quá hạn lâu nhất trước (PAKN-04)",
            "en": "Right now, the longest overdue first (PAKN-04)",
        },
        "pakn_overdue_count": {"vi": "Quá hạn", "en": "Overdue"},
        "pakn_open_count": {"vi": "Đang xử lý", "en": "Open"},
        "pakn_overdue_none": {"vi": "Không có phản ánh quá hạn.", "en": "No petition is overdue."},
        "pakn_overdue_more": {
            "vi": "Hiện {shown} trong {total} phản ánh quá hạn.",
            "en": "Showing {shown} of {total} overdue petitions.",
        },
        "pakn_export_csv": {"vi": "Xuất CSV", "en": "Export CSV"},
        "pakn_export_xlsx": {"vi": "Xuất Excel", "en": "Export Excel"},
        "pakn_h_reference": {"vi": "Số hiệu", "en": "Reference"},
        "pakn_h_unit": {"vi": "Đơn vị xử lý", "en": "Handling unit"},
        "pakn_h_category": {"vi": "Lĩnh vực", "en": "Category"},
        "pakn_h_channel": {"vi": "Kênh", "en": "Channel"},
        "pakn_h_status": {"vi": "Trạng thái", "en": "Status"},
        "pakn_h_received": {"vi": "Tiếp nhận", "en": "Received"},
        "pakn_h_deadline": {"vi": "Hạn xử lý", "en": "Deadline"},
        "pakn_h_days_overdue": {"vi": "Số ngày quá hạn", "en": "Days overdue"},
        "pakn_urgent": {"vi": "khẩn", "en": "urgent"},
        "pakn_list_title": {"vi": "Phản ánh quá hạn đang xử lý", "en": "Overdue petitions"},
        "pakn_no_personal": {
            "vi": "IOC không thu thập thông tin cá nhân của người phản ánh.",
            "en": "IOC collects no personal data of the petitioner.",
        },
    }
)


def _channel_series(lang: str, tr) -> list[Series]:
    return [
        Series(label(CHANNELS, c, lang), tr.metrics[f"channel_{c}"], colour=f"c{c}") for c in sorted(CHANNELS)
    ]


def channels_card(view: View) -> html.Section:
    lang = view.lang
    mix = petition_mix(view.session, view.sel.unit, view.sel.period, today=view.today)
    tr, note = from_data(mix.trend, lang)
    figure = view.no_data_figure("PAKN-01") or trend_figure(
        tr.starts, _channel_series(lang, tr), granularity=tr.granularity, lang=lang, theme=view.theme
    )
    return card(
        t("pakn_channels", lang, unit=per_bucket(tr.granularity, lang)),
        graph("petitions-channels", figure),
        card_id="petitions-channels-card",
        subtitle=t("pakn_channels_sub", lang),
        note=note,
    )


def handled_card(view: View) -> html.Section:
    lang = view.lang
    metrics = ("petition_handled_on_time", "petition_handled_late")
    tr, note = from_data(
        trend(
            view.session, view.sel.unit, view.sel.period, metrics=metrics, kpis=("PAKN-05",), today=view.today
        ),
        lang,
    )
    figure = view.no_data_figure("PAKN-01") or trend_figure(
        tr.starts,
        [
            Series(t("pakn_on_time", lang), tr.metrics["petition_handled_on_time"], colour="good"),
            Series(t("pakn_late", lang), tr.metrics["petition_handled_late"], colour="bad", pattern="/"),
        ],
        [Series(t("pakn_mean_days", lang), tr.kpi_values("PAKN-05"), unit="days", colour="text")],
        granularity=tr.granularity,
        lang=lang,
        theme=view.theme,
    )
    return card(
        t("pakn_handled", lang, unit=per_bucket(tr.granularity, lang)),
        graph("petitions-handled", figure),
        card_id="petitions-handled-card",
        subtitle=t("pakn_handled_sub", lang),
        note=note,
    )


def _category_ring(categories: dict[str, int], lang: str, theme: str):
    shown = list(categories.items())[:4]
    rest = sum(n for _, n in list(categories.items())[4:])
    labels = [label(CATEGORIES, k, lang) for k, _ in shown] + (
        [t("pakn_other_categories", lang)] if rest else []
    )
    values = [n for _, n in shown] + ([rest] if rest else [])
    return share_figure(
        labels,
        values,
        centre=t("pakn_categories_centre", lang, n=fmt_number(len(categories), lang)),
        lang=lang,
        theme=theme,
    )


def mix_card(view: View) -> html.Section:
    lang, theme = view.lang, view.theme
    mix = petition_mix(view.session, view.sel.unit, view.sel.period, today=view.today)
    if view.no_data_figure("PAKN-01") is not None or not mix.received:
        reason = view.tile("PAKN-01").reason
        text = reason.text(lang) if reason else t("dom_no_data_chart", lang)
        return card(
            t("pakn_mix", lang),
            graph("petitions-mix-empty", empty_figure(text, theme=theme)),
            card_id="petitions-mix-card",
            subtitle=t("pakn_mix_sub", lang),
        )
    channels = sorted(CHANNELS)
    by_channel = share_figure(
        [label(CHANNELS, c, lang) for c in channels],
        [mix.channels.get(c, 0) for c in channels],
        colours=[f"c{c}" for c in channels],
        centre=t("pakn_received_centre", lang, n=fmt_number(mix.received, lang)),
        lang=lang,
        theme=theme,
    )
    return card(
        t("pakn_mix", lang),
        html.Div(
            className="dom-pair",
            children=[
                graph("petitions-channel-share", by_channel, 19),
                graph("petitions-category-share", _category_ring(mix.categories, lang, theme), 19),
            ],
        ),
        card_id="petitions-mix-card",
        subtitle=t("pakn_mix_sub", lang),
        wide=not view.ctx.kiosk,  # the two rings side by side across the page
    )


def overdue_rows(overdue: OverdueList, lang: str, tz) -> list[dict]:
    """The action list's rows in words (plain text: the export helpers keep them from becoming formulas)."""
    rows = []
    for p in overdue.items:
        category = label(CATEGORIES, p.category, lang)
        rows.append(
            {
                "row_id": f"petition-{p.id}",
                "reference": p.reference,
                "unit": p.unit_name(lang),
                "category": f"{category} ({t('pakn_urgent', lang)})" if p.is_urgent else category,
                "channel": label(CHANNELS, p.channel, lang),
                "status": label(STATUSES, p.status, lang),
                "received": fmt_datetime(p.received_at, lang, tz),
                "received_at": p.received_at,
                "deadline": fmt_date(p.deadline_day, lang),
                "deadline_day": p.deadline_day,
                "days_overdue": p.days_overdue,
            }
        )
    return rows


def _table(rows: list[dict], lang: str, columns: tuple[str, ...], kiosk: bool) -> html.Table:
    head = html.Thead(html.Tr([html.Th(t(f"pakn_h_{c}", lang)) for c in columns]))
    body = [
        html.Tr(
            [html.Td(fmt_number(r[c], lang) if c == "days_overdue" else r[c]) for c in columns],
            **{"data-row": r["row_id"]},
        )
        for r in rows
    ]
    return html.Table(
        className="ioc-table pakn-table" + (" ioc-table--kiosk" if kiosk else ""),
        id="petitions-overdue-table",
        children=[head, html.Tbody(body)],
    )


def overdue_card(view: View) -> html.Section:
    lang, kiosk = view.lang, view.ctx.kiosk
    tile = view.tile("PAKN-04")
    if tile.value is None:
        body = [html.P(tile.reason.text(lang) if tile.reason else t("no_data", lang), className="dom-note")]
        return card(t("pakn_overdue", lang), *body, card_id="petitions-overdue-card")
    overdue = overdue_petitions(view.session, view.sel.unit, now=view.now, tz=view.tz)
    limit = KIOSK_ROWS if kiosk else PAGE_ROWS
    rows = overdue_rows(overdue, lang, view.tz)[:limit]
    if kiosk:  # a wall reads short names: the unit's short name, as the ranking shows it
        for row, item in zip(rows, overdue.items, strict=False):
            label_ = view.labels.get(item.unit_code)
            row["unit"] = label_.short(lang) if label_ else row["unit"]
    open_part = tile.parts.get("open")
    stats = html.Div(
        className="dom-stats dom-stats--two",
        children=[
            stat(
                t("pakn_overdue_count", lang),
                fmt_number(tile.value, lang),
                state=tile.status,
                stat_id="petitions-overdue",
            ),
            stat(
                t("pakn_open_count", lang),
                fmt_number(open_part.value, lang)
                if open_part is not None and open_part.value is not None
                else "–",
                stat_id="petitions-open",
            ),
        ],
    )
    columns = ("reference", "unit", "days_overdue") if kiosk else EXPORT_COLUMNS
    listing = (
        _table(rows, lang, columns, kiosk)
        if rows
        else html.P(t("pakn_overdue_none", lang), className="dom-note")
    )
    more = (
        html.P(
            t(
                "pakn_overdue_more",
                lang,
                shown=fmt_number(len(rows), lang),
                total=fmt_number(overdue.total, lang),
            ),
            className="dom-note",
            id="petitions-overdue-more",
        )
        if overdue.total > len(rows)
        else None
    )
    tools = None
    if not kiosk and may("export"):
        tools = html.Div(
            className="ioc-controls",
            children=[
                html.Button(t("pakn_export_csv", lang), id="petitions-export-csv", className="ioc-button"),
                html.Button(t("pakn_export_xlsx", lang), id="petitions-export-xlsx", className="ioc-button"),
                dcc.Download(id="petitions-export-download"),
            ],
        )
    return card(
        t("pakn_overdue", lang),
        stats,
        listing,
        more,
        card_id="petitions-overdue-card",
        subtitle=t("pakn_overdue_sub", lang),
        wide=not kiosk,
        tools=tools,
    )


def sections(view: View) -> list:
    return [
        channels_card(view),
        handled_card(view),
        mix_card(view),
        overdue_card(view),
        html.P(t("pakn_no_personal", view.lang), className="dom-note pakn-privacy"),
    ]


def kiosk_sections(view: View) -> list:
    """On a wall: what was handled, where petitions come from, and what is overdue now."""
    return [handled_card(view), mix_card(view), overdue_card(view)]


SPEC = DomainSpec(
    page="petitions",
    path=PATH,
    domain="petitions",
    title_key="domain_petitions",
    kpi_ids=("PAKN-01", "PAKN-02", "PAKN-03", "PAKN-04", "PAKN-05"),
    rank_kpis=("PAKN-02", "PAKN-04", "PAKN-03", "PAKN-05", "PAKN-01"),
    sections=sections,
    tile_columns=5,
    kiosk_sections=kiosk_sections,
)
URL, layout = build(SPEC)


def _export_value(row: dict, key: str, fmt: str, tz):
    """A spreadsheet gets dates as dates (local time); CSV the words shown."""
    if fmt == "xlsx" and key == "received":
        return row["received_at"].astimezone(tz)
    if fmt == "xlsx" and key == "deadline":
        return row["deadline_day"]
    return row[key]


@callback(
    Output("petitions-export-download", "data"),
    Input("petitions-export-csv", "n_clicks"),
    Input("petitions-export-xlsx", "n_clicks"),
    State("petitions-query", "data"),
    prevent_initial_call=True,
)
def export(_csv, _xlsx, query):
    """Export the overdue petitions of the page's unit, re-read on the server within the
    principal's scope (the unit the page claims is checked again; nothing the browser lists is
    trusted). Recorded in the audit."""
    principal = current_principal()
    if principal is None or not principal.can("export"):
        raise PreventUpdate
    query = query if isinstance(query, dict) else {}
    requested = query.get("unit")
    lang = context(query).lang
    fmt = "xlsx" if dash.ctx.triggered_id == "petitions-export-xlsx" else "csv"
    tz = store().settings.tz
    with read_session() as session:
        try:
            code = resolve_unit(session, requested if isinstance(requested, str) and requested else None)
        except UnitNotAllowed:
            audit.record_now(
                store().sessions,
                "export",
                actor=principal.actor,
                address=client_address(),
                unit_code=str(requested)[:64],
                outcome="denied",
                format=fmt,
                what="petitions",
            )
            raise PreventUpdate from None
        overdue = overdue_petitions(session, code, tz=tz, limit=MAX_EXPORT_ROWS)
    rows = overdue_rows(overdue, lang, tz)
    table = [{t(f"pakn_h_{k}", lang): _export_value(r, k, fmt, tz) for k in EXPORT_COLUMNS} for r in rows]
    audit.record_now(
        store().sessions,
        "export",
        actor=principal.actor,
        address=client_address(),
        unit_code=code or "*",
        rows=len(table),
        format=fmt,
        scope=list(principal.roots()),
        what="petitions",
    )
    stamp = overdue.as_of.astimezone(tz).strftime("%Y%m%d-%H%M")
    name = f"phan-anh-qua-han-{code or 'toan-co-quan'}-{stamp}"
    if fmt == "xlsx":
        return dcc.send_bytes(to_xlsx(table, t("pakn_list_title", lang)), f"{name}.xlsx")
    return dcc.send_bytes(to_csv(table), f"{name}.csv")
