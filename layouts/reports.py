"""Báo cáo giao ban (``/reports``): the morning briefings the principal may read, newest first,
each as a PDF and an XLSX download, and "render now" for the principal's own scope.

Which briefings are listed, and which scope "render now" renders, is decided on the server from
the signed-in principal (:func:`dashboard.reports.list_reports`, :func:`dashboard.reports.own_scope`);
the page sends only the template. Downloads go through ``/reports/file/<id>.pdf|xlsx``, which
checks the scope again and records the download in the audit.
"""

from __future__ import annotations

from datetime import datetime

import dash
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import audit, reports
from dashboard.access import current_principal, may
from dashboard.briefing import TEMPLATES
from dashboard.i18n import fmt_date, fmt_datetime, normalise_language, register, t
from dashboard.queries import store_summary
from dashboard.webapp import read_session, store
from layouts.components.frame import context, page

dash.register_page(
    __name__, path="/reports", name="Báo cáo giao ban", title="Báo cáo giao ban – IOC", order=45
)

register(
    {
        "reports_title": {"vi": "Báo cáo giao ban", "en": "Morning briefings"},
        "reports_intro": {
            "vi": "Báo cáo được lập tự động lúc {time} các ngày làm việc cho người đăng ký; "
            "số liệu tính đến hết ngày làm việc trước.",
            "en": "Briefings are made at {time} on working days for their subscribers; "
            "figures stand at the end of the previous working day.",
        },
        "reports_none": {
            "vi": "Chưa có báo cáo nào trong phạm vi của bạn.",
            "en": "No briefing within your scope yet.",
        },
        "reports_day": {"vi": "Ngày", "en": "Day"},
        "reports_template": {"vi": "Mẫu", "en": "Template"},
        "reports_scope": {"vi": "Phạm vi", "en": "Scope"},
        "reports_period": {"vi": "Kỳ số liệu", "en": "Period"},
        "reports_summary": {"vi": "Tóm tắt", "en": "Summary"},
        "reports_made": {"vi": "Lập lúc", "en": "Made"},
        "reports_files": {"vi": "Tải về", "en": "Download"},
        "reports_render": {"vi": "Lập báo cáo ngay", "en": "Render now"},
        "reports_render_hint": {
            "vi": "Lập báo cáo hôm nay cho phạm vi của bạn ({scope}).",
            "en": "Make today's briefing for your scope ({scope}).",
        },
        "reports_rendered": {
            "vi": "Đã lập báo cáo {scope} ngày {day}.",
            "en": "Briefing of {scope} for {day} made.",
        },
        "reports_bad_template": {"vi": "Mẫu báo cáo không hợp lệ.", "en": "Unknown template."},
        "reports_failed": {
            "vi": "Không lập được báo cáo: {error}",
            "en": "The briefing could not be made: {error}",
        },
    }
)


def _scope_name(session, lang: str) -> str:
    try:
        unit = reports.own_scope(session, current_principal())
    except reports.ReportError:
        return "–"
    if unit is None:
        return "Toàn cơ quan" if lang == "vi" else "Whole agency"
    from dashboard.access import unit_tree

    for u in unit_tree(session):
        if u.code == unit:
            return u.name_en if lang == "en" else u.name_vi
    return unit


def layout(**query) -> html.Div:
    ctx = context(query)
    settings = store().settings
    with read_session() as session:
        simulated = store_summary(session).simulated_units > 0
        scope_name = _scope_name(session, ctx.lang)
        table = report_table(session, ctx.lang)
    return page(
        [
            html.H2(t("reports_title", ctx.lang), className="ioc-page-title"),
            html.P(t("reports_intro", ctx.lang, time=settings.briefing_time), className="ioc-muted"),
            dcc.Store(id="reports-lang", data=ctx.lang),
            html.Div(
                className="ioc-reports__render",
                children=[
                    html.Span(t("reports_render_hint", ctx.lang, scope=scope_name)),
                    html.Div(
                        className="ioc-control",
                        style={"minWidth": "12em"},
                        children=dcc.Dropdown(
                            id="reports-template",
                            options=[
                                {"label": v[ctx.lang == "en"], "value": k} for k, v in TEMPLATES.items()
                            ],
                            value="daily",
                            clearable=False,
                            searchable=False,
                            className="dom-dropdown",
                        ),
                    ),
                    html.Button(t("reports_render", ctx.lang), id="reports-render", className="ioc-button"),
                    dcc.Loading(html.Span(id="reports-message", role="status")),
                ],
                style={"display": "flex", "gap": "0.8em", "alignItems": "center", "flexWrap": "wrap"},
            ),
            html.Div(id="reports-list", children=table),
        ],
        ctx=ctx,
        active="/reports",
        simulated=simulated,
        page_class="ioc-reports",
    )


def report_table(session, lang: str):
    """The briefings of the current principal's export scope, newest first."""
    rows = reports.list_reports(session, current_principal(), limit=200)
    if not rows:
        return html.P(t("reports_none", lang), className="ioc-notice", id="reports-empty")
    tz = store().settings.tz
    head = html.Thead(
        html.Tr(
            [
                html.Th(t(k, lang))
                for k in (
                    "reports_day",
                    "reports_template",
                    "reports_scope",
                    "reports_period",
                    "reports_summary",
                    "reports_made",
                    "reports_files",
                )
            ]
        )
    )
    body = [
        html.Tr(
            id=f"report-{r.id}",
            className="ioc-report",
            children=[
                html.Td(fmt_date(r.report_date, lang)),
                html.Td(TEMPLATES[r.template][lang == "en"]),
                html.Td(r.scope_name),
                html.Td(f"{fmt_date(r.period_start, lang)} – {fmt_date(r.period_end, lang)}"),
                html.Td(html.Small(r.summary)),
                html.Td(fmt_datetime(r.made_at, lang, tz)),
                html.Td(
                    [
                        html.A("PDF", href=f"/reports/file/{r.id}.pdf", className="ioc-report__pdf"),
                        " · ",
                        html.A("XLSX", href=f"/reports/file/{r.id}.xlsx", className="ioc-report__xlsx"),
                    ]
                ),
            ],
        )
        for r in rows
    ]
    return html.Table(className="ioc-table", id="reports-table", children=[head, html.Tbody(body)])


@callback(
    Output("reports-message", "children"),
    Output("reports-list", "children"),
    Input("reports-render", "n_clicks"),
    State("reports-template", "value"),
    State("reports-lang", "data"),
    prevent_initial_call=True,
)
def render_now(n_clicks, template, lang):
    """Render today's briefing of the principal's own scope (never a scope the page names)."""
    if not n_clicks or not may("export"):
        raise PreventUpdate
    lang = normalise_language(lang if isinstance(lang, str) else None)
    if not isinstance(template, str) or template not in TEMPLATES:
        return t("reports_bad_template", lang), dash.no_update
    ctx = store()
    principal = current_principal()
    day = datetime.now(ctx.settings.tz).date()
    try:
        with ctx.sessions() as session, session.begin():
            unit = reports.own_scope(session, principal)
            stored, *_ = reports.render_and_store(
                session,
                ctx.settings,
                unit,
                day,
                template,
                made_by=principal.actor,
                sources=tuple(ctx.sources),
            )
            audit.record(
                session,
                "export",
                actor=principal.actor,
                unit_code=unit or "*",
                format="briefing",
                template=template,
                report=stored.id,
            )
    except reports.ReportError as exc:
        return t("reports_failed", lang, error=str(exc)), dash.no_update
    with read_session() as session:
        table = report_table(session, lang)
    message = t("reports_rendered", lang, scope=stored.scope_name, day=fmt_date(day, lang))
    return message, table
