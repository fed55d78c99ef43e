"""The petitions column for a leadership wall (the overview ``/``): PAKN tiles for a scope, in the
look of the other domains' columns (``wall_parts.domain_column``), ready to be placed next to the
directive tasks' column.

    from layouts.components.petitions_wall import petitions_column
    petitions_column(session, data)            # data: the wall's WallData (scope, period, lang …)

or, without a WallData, :func:`petition_wall_tiles` for the tiles alone. Both read through the
cached queries (no SQL here) and only for the unit the caller resolved through the access layer.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dash import html

from dashboard.db import ReadSession as Session
from dashboard.health import DomainFreshness
from dashboard.i18n import t
from dashboard.kpi.periods import Period
from dashboard.queries import overview
from layouts.components.kpi_tile import kpi_tile
from layouts.components.wall_parts import WallData, domain_time

#: What a leadership wall shows of petitions, the most telling first: handled on time (the 766
#: indicator), open and overdue now (the action headline), satisfaction, received.
WALL_PETITION_KPIS = ("PAKN-02", "PAKN-04", "PAKN-03", "PAKN-01")


def petition_wall_tiles(
    session: Session,
    unit: str | None,
    period: Period | str,
    *,
    lang: str = "vi",
    freshness: DomainFreshness | None = None,
    tz: ZoneInfo | None = None,
    now: datetime | None = None,
) -> list[html.Div]:
    """The petitions tiles of ``unit`` (with its sub-units; None: the whole agency) for ``period``."""
    ov = overview(session, unit, period, kpi_ids=WALL_PETITION_KPIS, now=now, tz=tz)
    return [
        kpi_tile(r, lang=lang, freshness=freshness, tz=tz, now=ov.as_of, tile_id=f"wall-tile-{r.kpi_id}")
        for r in ov.tiles
    ]


def petitions_column(session: Session, data: WallData) -> html.Section:
    """The wall's petitions column for the wall's scope and period (``data``)."""
    freshness = data.freshness.get("petitions")
    tiles = petition_wall_tiles(
        session, data.unit_code, data.period, lang=data.lang, freshness=freshness, tz=data.tz, now=data.now
    )
    return html.Section(
        id="domain-petitions",
        className="ioc-wall__domain ioc-wall__domain--petitions",
        children=[
            html.H2(
                [
                    html.Span(t("domain_petitions", data.lang), className="ioc-wall__domain-name"),
                    domain_time(freshness, data),
                ],
                className="ioc-wall__title",
            ),
            html.Div(tiles, className="ioc-wall__tiles", style={"--tiles": len(tiles)}),
        ],
    )
