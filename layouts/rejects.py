"""Rejected data of one source (``/sources/rejects?source=NAME``): the latest rejected files and
rows, newest first, each with its reason in plain words, the technical text and the raw data
(always as plain text), and a CSV export of the list."""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import audit
from dashboard.access import current_principal
from dashboard.auth import client_address
from dashboard.exports import to_csv
from dashboard.i18n import fmt_datetime, normalise_language, register, t
from dashboard.queries import store_summary
from dashboard.rejects import export_rows, recent_rejects
from dashboard.webapp import read_session, store
from layouts.components.frame import context, page

dash.register_page(__name__, path="/sources/rejects", name="Dữ liệu bị loại", title="Dữ liệu bị loại – IOC")

register({"rj_export_csv": {"vi": "Xuất CSV", "en": "Export CSV"}})

SHOWN = 500


def layout(source: str = "", **query) -> html.Div:
    ctx = context(query)
    lang = ctx.lang
    with read_session() as session:
        simulated = store_summary(session).simulated_units > 0
        rejects = recent_rejects(session, source, SHOWN) if source else []
    tz = store().settings.tz
    if rejects:
        head = html.Thead(
            html.Tr(
                [
                    html.Th(t(k, lang))
                    for k in ("rj_at", "rj_kind", "rj_file", "rj_line", "rj_reason", "rj_payload")
                ]
            )
        )
        body = html.Tbody(
            [
                html.Tr(
                    className=f"ioc-reject ioc-reject--{r.kind}",
                    children=[
                        html.Td(fmt_datetime(r.at, lang, tz)),
                        html.Td(t(f"rj_kind_{r.kind}", lang)),
                        html.Td(r.file_name or "–"),
                        html.Td(str(r.line_no) if r.line_no else "–"),
                        html.Td([html.Div(r.plain.text(lang)), html.Small(r.reason, className="ioc-muted")]),
                        html.Td(html.Code(r.payload[:300], className="ioc-reject__payload")),
                    ],
                )
                for r in rejects
            ]
        )
        content = html.Table(className="ioc-table", id="rejects-table", children=[head, body])
    else:
        content = html.P(t("rj_none", lang), className="ioc-notice", id="rejects-empty")
    return page(
        [
            html.H2(t("rj_title", lang, source=source or "–"), className="ioc-page-title"),
            html.P([dcc.Link(t("rj_back", lang), href=ctx.href("/sources"))]),
            dcc.Store(id="rejects-query", data={"source": source, "lang": lang}),
            html.Button(
                t("rj_export_csv", lang), id="rejects-export", className="ioc-button", disabled=not rejects
            ),
            dcc.Download(id="rejects-download"),
            content,
        ],
        ctx=ctx,
        active="/sources",
        simulated=simulated,
        page_class="ioc-rejects-page",
    )


@callback(
    Output("rejects-download", "data"),
    Input("rejects-export", "n_clicks"),
    State("rejects-query", "data"),
    prevent_initial_call=True,
)
def export(_n, query):
    """The rejects of one source as CSV: only for the Sources page's roles, capped, audited."""
    principal = current_principal()
    if principal is None or not principal.can("sources") or not isinstance(query, dict):
        raise PreventUpdate
    source = str(query.get("source") or "")[:64]
    data, rows = export_csv(source, normalise_language(query.get("lang")))
    audit.record_now(
        store().sessions,
        "export",
        actor=principal.actor,
        address=client_address(),
        rows=rows,
        format="csv",
        what="rejects",
        source=source,
    )
    return dcc.send_bytes(data, f"bi-loai-{source}.csv")


#: The most rejects one export returns.
MAX_EXPORT_ROWS = 100_000


def export_csv(source: str, lang: str) -> tuple[bytes, int]:
    with read_session() as session:
        rejects = recent_rejects(session, source, limit=MAX_EXPORT_ROWS)
    rows = export_rows(rejects, lang, store().settings.tz)
    return to_csv(rows), len(rows)
