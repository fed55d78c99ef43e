"""Shown for unknown paths: a way back, never a blank screen."""

import dash
from dash import dcc, html

from dashboard.i18n import t
from dashboard.webapp import store

dash.register_page(__name__, path="/404")


def layout(**_query) -> html.Main:
    lang = store().settings.language
    return html.Main(
        className="ioc-notice",
        children=[html.H1(t("page_not_found", lang)), dcc.Link(t("back_home", lang), href="/")],
    )
