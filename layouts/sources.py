"""Sources (``/sources``): every collector's state, last success, freshness against its target,
rows and rejects of the last 24 hours, and the last error in plain words. Refreshes itself."""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.access import may
from dashboard.health import source_health
from dashboard.i18n import fmt_datetime, fmt_duration, fmt_number, normalise_language, register, t
from dashboard.notify import outbox_health
from dashboard.queries import store_summary
from dashboard.rejects import rejects_cell
from dashboard.timeutil import utcnow
from dashboard.webapp import read_session, store
from layouts.components.frame import context, page

dash.register_page(__name__, path="/sources", name="Nguồn dữ liệu", title="Nguồn dữ liệu – IOC", order=50)

# Status by colour AND shape, for colour-blind viewers.
STATE_ICON = {
    "ok": "●",
    "running": "◐",
    "stale": "▲",
    "error": "■",
    "refused": "◆",
    "never": "○",
    "disabled": "–",
}
REFRESH_MS = 15_000

register(
    {
        "notify_title": {"vi": "Gửi thông báo", "en": "Notifications"},
        "notify_ok": {"vi": "Bình thường", "en": "Normal"},
        "notify_retrying": {"vi": "Đang gửi lại", "en": "Retrying"},
        "notify_failed": {"vi": "Gửi không được", "en": "Failed"},
        "notify_counts": {
            "vi": "Chờ gửi: {queued} (đang gửi lại: {retrying}); đã bỏ: {failed}; đã gửi 24 giờ qua: {delivered}",
            "en": "Queued: {queued} (retrying: {retrying}); given up: {failed}; delivered in 24 h: {delivered}",
        },
        "notify_last_error": {"vi": "Lỗi gần nhất", "en": "Last error"},
        "notify_last_ok": {"vi": "Gửi thành công gần nhất", "en": "Last delivered"},
    }
)


def layout(**query) -> html.Div:
    ctx = context(query)
    with read_session() as session:
        simulated = store_summary(session).simulated_units > 0
    return page(
        [
            html.H2(t("sources_title", ctx.lang), className="ioc-page-title"),
            dcc.Store(id="sources-lang", data=ctx.lang),
            dcc.Interval(id="sources-refresh", interval=REFRESH_MS),
            html.Div(id="sources-table", children=sources_table(ctx.lang)),
        ],
        ctx=ctx,
        active="/sources",
        simulated=simulated,
        page_class="ioc-sources",
    )


@callback(
    Output("sources-table", "children"),
    Input("sources-refresh", "n_intervals"),
    State("sources-lang", "data"),
    prevent_initial_call=True,
)
def refresh(_n, lang):
    if not may("sources"):
        raise PreventUpdate
    return sources_table(normalise_language(lang))


def sources_table(lang: str):
    ctx = store()
    now = utcnow()
    with read_session() as session:
        health = source_health(session, ctx.sources, now)
        notify = notifications_section(session, lang, ctx.settings.tz, now)
    if not health:
        return html.Div([html.P(t("sources_none", lang), className="ioc-notice", id="sources-empty"), notify])
    tz = ctx.settings.tz
    head = html.Thead(
        html.Tr(
            [
                html.Th(t(k, lang))
                for k in (
                    "col_source",
                    "col_domain",
                    "col_state",
                    "col_last_success",
                    "col_freshness",
                    "col_runs_24h",
                    "col_rows_24h",
                    "col_rejects_24h",
                    "col_last_error",
                )
            ]
        )
    )
    rows = []
    for h in health:
        every = (
            f"{h.adapter or '?'} · {t('every', lang)} {fmt_duration(h.interval_s, lang)}"
            if h.configured
            else t("unconfigured", lang)
        )
        last = (
            f"{fmt_datetime(h.last_success_at, lang, tz)} ({fmt_duration(h.age_s, lang)} {t('ago', lang)})"
            if h.last_success_at
            else t("never", lang)
        )
        error = None
        if h.last_error_plain:
            error = html.Div(
                [html.Div(h.last_error_plain.text(lang)), html.Small(h.last_error, className="ioc-muted")]
            )
        rows.append(
            html.Tr(
                id=f"source-{h.name}",
                className=f"ioc-source ioc-source--{h.state}",
                children=[
                    html.Td([html.Strong(h.name), html.Br(), html.Small(every, className="ioc-muted")]),
                    html.Td(t(f"domain_{h.domain}", lang) if h.domain else "–"),
                    html.Td(
                        html.Span(
                            [
                                html.Span(
                                    STATE_ICON[h.state],
                                    className="ioc-state__icon",
                                    **{"aria-hidden": "true"},
                                ),
                                " ",
                                t(f"state_{h.state}", lang),
                            ],
                            className=f"ioc-state ioc-state--{h.state}",
                        )
                    ),
                    html.Td(last),
                    html.Td(f"{fmt_duration(h.age_s, lang)} / {fmt_duration(h.freshness_target_s, lang)}"),
                    html.Td(f"{fmt_number(h.runs_24h, lang)} ({fmt_number(h.failed_24h, lang)})"),
                    html.Td(
                        " / ".join(
                            fmt_number(v, lang)
                            for v in (h.rows_read_24h, h.rows_inserted_24h, h.rows_updated_24h)
                        )
                    ),
                    html.Td(rejects_cell(h, lang, ctx.settings.tz)),
                    html.Td(error or "–"),
                ],
            )
        )
    return html.Div([html.Table(className="ioc-table", children=[head, html.Tbody(rows)]), notify])


def notifications_section(session, lang: str, tz, now) -> html.Section:
    """ "Gửi thông báo / Notifications": the outbox of e-mails and webhook posts, and its last error."""
    h = outbox_health(session, now)
    state = "error" if h.failed else "stale" if h.retrying else "ok"
    label = "notify_failed" if h.failed else "notify_retrying" if h.retrying else "notify_ok"
    lines = [
        html.Span(
            [
                html.Span(STATE_ICON[state], className="ioc-state__icon", **{"aria-hidden": "true"}),
                " ",
                t(label, lang),
            ],
            className=f"ioc-state ioc-state--{state}",
        ),
        html.P(
            t(
                "notify_counts",
                lang,
                queued=fmt_number(h.queued, lang),
                retrying=fmt_number(h.retrying, lang),
                failed=fmt_number(h.failed, lang),
                delivered=fmt_number(h.delivered_24h, lang),
            )
        ),
    ]
    if h.last_delivered_at:
        lines.append(html.P(f"{t('notify_last_ok', lang)}: {fmt_datetime(h.last_delivered_at, lang, tz)}"))
    if h.last_error and not h.ok:
        at = fmt_datetime(h.last_error_at, lang, tz) if h.last_error_at else ""
        lines.append(html.P([f"{t('notify_last_error', lang)} ({at}): ", html.Code(h.last_error)]))
    return html.Section(
        id="sources-notify",
        className=f"ioc-notify ioc-notify--{state}",
        children=[html.H3(t("notify_title", lang)), *lines],
    )
