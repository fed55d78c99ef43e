"""The petitions block of a unit's page (``/units/<code>``): the unit's PAKN tiles for the period and
a link to its overdue petitions on ``/phan-anh`` (where they are listed and exported)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from dash import dcc, html

from dashboard.db import ReadSession as Session
from dashboard.health import DomainFreshness
from dashboard.i18n import register, t
from dashboard.queries import overview
from layouts.components.kpi_tile import kpi_tile

UNIT_PETITION_KPIS = ("PAKN-01", "PAKN-02", "PAKN-03", "PAKN-04", "PAKN-05")

register(
    {
        "unit_petitions": {"vi": "Phản ánh, kiến nghị", "en": "Citizens' petitions"},
        "unit_petitions_link": {
            "vi": "Danh sách phản ánh quá hạn của đơn vị →",
            "en": "The unit's overdue petitions →",
        },
    }
)


def unit_petitions_block(
    session: Session,
    unit: str,
    period: str,
    *,
    lang: str,
    tz: ZoneInfo,
    freshness: DomainFreshness | None,
    href,
    kiosk: bool = False,
) -> html.Section:
    """``unit`` is the code the access layer resolved; ``href(path, **query)`` builds a link."""
    view = overview(session, unit, period, kpi_ids=UNIT_PETITION_KPIS)
    tiles = [
        kpi_tile(r, lang=lang, freshness=freshness, tz=tz, tile_id=f"unit-tile-{r.kpi_id}")
        for r in view.tiles
    ]
    link = (
        None
        if kiosk
        else dcc.Link(
            t("unit_petitions_link", lang),
            href=href("/phan-anh", unit=unit, period=period),
            className="dom-link",
            id="unit-petitions-link",
        )
    )
    return html.Section(
        id="unit-petitions",
        className="ioc-unit__petitions",
        children=[
            html.H3(
                f"{t('unit_petitions', lang)} · {view.period.label(lang)}", className="ioc-section-title"
            ),
            html.Div(tiles, className="ioc-tiles"),
            link,
        ],
    )
