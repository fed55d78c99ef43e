"""Figures of the tasks page: the Government's 2×2 (completed on time / late, open within the
deadline / overdue) per unit as horizontal stacked bars. Pure: plain data in, a figure out."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from layouts.components.charts import (
    Series,
    _axis,
    base_layout,
    empty_figure,
    format_number,
    plain,
    theme_for,
)


def stacked_units_figure(
    labels: Sequence[str], series: Sequence[Series], *, lang: str = "vi", theme: str = "dark", empty: str = ""
) -> go.Figure:
    """One bar per unit (top to bottom in ``labels`` order), ``series`` stacked along it."""
    th = theme_for(theme)
    if not labels:
        return empty_figure(empty, theme=theme)
    fig = go.Figure()
    ys = [plain(label) for label in labels]
    for i, s in enumerate(series):
        fig.add_trace(
            go.Bar(
                y=ys,
                x=list(s.values),
                name=plain(s.name),
                orientation="h",
                marker_color=th.colour(s.colour, i),
                marker_pattern_shape=s.pattern or "",
                marker_pattern_fgcolor=th.panel,
                marker_pattern_bgcolor=th.colour(s.colour, i),
                marker_pattern_solidity=0.3,
                marker_line_width=0,
                customdata=[format_number(v, s.unit, lang) for v in s.values],
                hovertemplate="%{y}: %{customdata}",
            )
        )
    layout = base_layout(th, lang, barmode="stack", bargap=0.3)
    layout["legend"] = {**layout["legend"], "traceorder": "normal"}
    fig.update_layout(**layout)
    fig.update_xaxes(**_axis(th, rangemode="tozero", separatethousands=True))
    fig.update_yaxes(**_axis(th, autorange="reversed", showgrid=False, automargin=True))
    return fig
