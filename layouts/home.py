"""Overview (``/``): the three domains side by side.

Until the KPI engine lands this page shows what the store holds, and says plainly when it is
empty rather than showing zeros.
"""

from __future__ import annotations

import dash
from dash import html

from dashboard.i18n import fmt_datetime, fmt_number, t
from dashboard.queries import store_summary
from dashboard.webapp import read_session, store
from layouts.components.frame import context, page

dash.register_page(__name__, path="/", name="Tổng quan", order=0)

_DOMAINS = (
    ("documents", "domain_documents"),
    ("dossiers", "domain_dossiers"),
    ("meetings", "domain_meetings"),
)


def layout(**query) -> html.Div:
    settings = store().settings
    ctx = context(query)
    lang = ctx.lang
    with read_session() as session:
        summary = store_summary(session)
    columns = []
    for attr, label in _DOMAINS:
        count = getattr(summary, attr)
        value = (
            html.Div(fmt_number(count, lang), className="ioc-domain__value")
            if count
            else html.Div(t("no_data", lang), className="ioc-domain__value ioc-domain__value--nodata")
        )
        columns.append(
            html.Section(
                className="ioc-domain",
                id=f"domain-{attr}",
                children=[
                    html.H2(t(label, lang)),
                    value,
                    html.Div(t("records", lang), className="ioc-domain__unit") if count else None,
                ],
            )
        )

    notices = []
    if summary.units == 0:
        notices.append(html.P(t("no_units_body", lang), id="notice-no-units"))
    if summary.is_empty:
        notices.insert(0, html.H2(t("empty_store_title", lang)))
        notices.insert(1, html.P(t("empty_store_body", lang)))
    last_run = (
        fmt_datetime(summary.last_run_at, lang, settings.tz) if summary.last_run_at else t("never", lang)
    )
    return page(
        [
            html.Div(className="ioc-domains", children=columns),
            html.Div(className="ioc-notice", id="empty-store", children=notices) if notices else None,
            html.Footer(
                className="ioc-footer",
                children=[
                    html.Span(f"{fmt_number(summary.units, lang)} {t('units', lang)}", id="unit-count"),
                    html.Span(f"{t('last_collector_run', lang)}: {last_run}"),
                ],
            ),
        ],
        ctx=ctx,
        active="/",
        simulated=summary.simulated_units > 0,
        page_class="ioc-home",
    )
