"""The header every page shares: agency name, simulated-data badge, clock and date."""

from __future__ import annotations

from dash import html

from dashboard.i18n import t


def header(title: str, lang: str, simulated: bool) -> html.Header:
    return html.Header(
        className="ioc-header",
        children=[
            html.Div(
                className="ioc-header__title",
                children=[
                    html.H1(title),
                    html.Span(t("simulated_badge", lang), className="ioc-badge ioc-badge--sim")
                    if simulated
                    else None,
                ],
            ),
            # Filled and kept current by assets/clock.js, in the page's language.
            html.Div(id="ioc-clock", className="ioc-clock", **{"data-lang": lang}),
        ],
    )
