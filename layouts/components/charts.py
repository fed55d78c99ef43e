"""Figure builders for the pages: plain data in, a ``plotly.graph_objects.Figure`` out.

Nothing here reads the database or the request: pages pass values, labels (already translated)
and the theme. Every figure

- follows the page's theme (``"dark"`` for wall screens, ``"light"`` for office browsers) with the
  colours of ``assets/style.css`` and a transparent background, so it sits on the page's panels;
- formats numbers the page's way: Vietnamese ``1.234`` and ``53,47 %``, dates ``dd/mm`` — hover
  texts are made with the Babel helpers of :mod:`dashboard.i18n`, axes with Plotly's separators;
- draws status by colour *and* shape (● ▲ ■ in labels, a hatch pattern on "late" bars), for
  colour-blind viewers;
- uses no map, geo trace or web font, so nothing is fetched from the internet.

Show figures with :data:`GRAPH_CONFIG` (no Plotly logo, no cloud button)::

    dcc.Graph(figure=trend_figure(days, [Series("Đến", values)], lang="vi"), config=GRAPH_CONFIG)

>>> fig = trend_figure([date(2026, 3, 1), date(2026, 3, 2)], [Series("Đến", [3, 4])], lang="vi")
>>> list(fig.data[0].customdata)
['3', '4']
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.i18n import fmt_number, fmt_percent, normalise_language

#: The options of every dcc.Graph: offline-safe, no Plotly logo or cloud button, no zoom by the
#: mouse wheel (a page scrolls), a PNG export at twice the resolution for reports.
GRAPH_CONFIG: dict = {
    "displaylogo": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "scrollZoom": False,
    "responsive": True,
    "modeBarButtonsToRemove": [
        "select2d",
        "lasso2d",
        "autoScale2d",
        "toggleSpikelines",
        "hoverClosestCartesian",
        "hoverCompareCartesian",
    ],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

STATUS_ICON = {"green": "●", "amber": "▲", "red": "■", "none": "○"}
FONT_FAMILY = '"Noto Sans IOC", "Noto Sans", "Segoe UI", Arial, sans-serif'


@dataclass(frozen=True)
class Theme:
    """The colours of ``assets/style.css`` for one theme."""

    name: str
    text: str
    muted: str
    grid: str
    panel: str
    accent: str
    good: str
    warn: str
    bad: str
    palette: tuple[str, ...]  # categorical series, none of them a status colour
    heat: tuple[str, str]  # the empty and the full end of a heatmap

    def colour(self, key: str | None, index: int = 0) -> str:
        """A named colour (``accent``, ``good``, ``warn``, ``bad``, ``muted``, ``c1``…) or a hex code."""
        if key is None:
            return self.palette[index % len(self.palette)]
        if key.startswith("#"):
            return key
        if key.startswith("c") and key[1:].isdigit():
            return self.palette[(int(key[1:]) - 1) % len(self.palette)]
        return getattr(self, key)


THEMES = {
    "dark": Theme(
        "dark",
        text="#f2f5fa",
        muted="#a9b4c7",
        grid="#24324d",
        panel="#131c2e",
        accent="#4cc3ff",
        good="#3ddc84",
        warn="#ffc247",
        bad="#ff5d5d",
        palette=("#4cc3ff", "#ffa64d", "#c49bff", "#5eead4", "#f472b6"),
        heat=("#18233a", "#4cc3ff"),
    ),
    "light": Theme(
        "light",
        text="#0d1726",
        muted="#46536a",
        grid="#dde3ec",
        panel="#ffffff",
        accent="#0b63b6",
        good="#137a3f",
        warn="#9a6200",
        bad="#b3261e",
        palette=("#0b63b6", "#c05600", "#6b3fc2", "#0f766e", "#be185d"),
        heat=("#eef2f8", "#0b63b6"),
    ),
}


def theme_for(name: str | None) -> Theme:
    return THEMES.get(name or "dark", THEMES["dark"])


@dataclass(frozen=True)
class Series:
    """One named series of a chart; ``None`` is "no value" and leaves a gap, never a zero."""

    name: str
    values: Sequence[float | None]
    unit: str = "count"  # count, percent (a fraction 0…1), hours, days
    colour: str | None = None  # a Theme colour name or a hex code; None: the next palette colour
    pattern: str | None = None  # a bar hatch ("/", "x", "."): a second cue besides colour
    dash: str | None = None  # a line's dash ("dot", "dash")


@dataclass(frozen=True)
class Reference:
    """A target drawn as a dashed line: ``value`` in the unit of the series it goes with."""

    value: float
    label: str


@dataclass(frozen=True)
class RankBar:
    """One unit of a ranking chart."""

    code: str
    label: str  # short name on the axis
    value: float
    status: str = "none"  # green / amber / red / none
    rank: int | None = None
    rank_change: int | None = None  # + moved up
    hover: str = ""  # full name and details: markup (``<b>``, ``<br>``) — escape names with plain()


# --- plain text -------------------------------------------------------------------------------
def plain(text: str) -> str:
    """Source text (a unit name, a code, a series name) made safe for a Plotly label.

    Plotly renders a subset of HTML in text, hover, tick labels, legends and titles (``<a href>``,
    ``<b>``, ``<br>``): escaped, a unit named ``<a href=…>x</a>`` shows exactly that, as text.
    Our own markup is added after escaping.

    >>> plain('<a href="https://evil.example">x</a>')
    '&lt;a href=&quot;https://evil.example&quot;&gt;x&lt;/a&gt;'
    """
    return html.escape(str(text), quote=True)


# --- formatting -------------------------------------------------------------------------------
def format_number(value: float | None, unit: str, lang: str) -> str:
    """A value as the hover and labels show it: ``1.234``, ``53,47 %``, ``12,5 giờ``."""
    lang = normalise_language(lang)
    if value is None:
        return "–"
    if unit == "percent":
        return fmt_percent(value, lang, 2)
    if unit == "hours":
        return f"{fmt_number(value, lang, 1)} {'giờ' if lang == 'vi' else 'h'}"
    if unit == "days":
        return f"{fmt_number(value, lang, 1)} {'ngày' if lang == 'vi' else 'days'}"
    return fmt_number(round(value), lang)


def _plotted(values: Sequence[float | None], unit: str) -> list[float | None]:
    """Percentages are drawn on a 0…100 axis with a " %" suffix."""
    return [None if v is None else (v * 100 if unit == "percent" else v) for v in values]


def _axis_suffix(unit: str, lang: str) -> str:
    if unit == "percent":
        return " %" if normalise_language(lang) == "vi" else "%"
    return ""


def _date_formats(lang: str, granularity: str) -> tuple[str, str]:
    """(tick format, hover format) of a date axis."""
    vi = normalise_language(lang) == "vi"
    if granularity == "month":
        return ("%m/%Y", "Tháng %m/%Y") if vi else ("%b %Y", "%B %Y")
    tick = "%d/%m" if vi else "%d %b"
    if granularity == "week":
        return tick, ("Tuần từ %d/%m/%Y" if vi else "Week of %d %b %Y")
    return tick, ("%A %d %b %Y" if not vi else "%d/%m/%Y")


def base_layout(theme: Theme, lang: str, **extra) -> dict:
    """The layout every figure starts from: transparent, theme colours, local separators."""
    layout = dict(
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font=dict(family=FONT_FAMILY, size=15, color=theme.text),
        separators=",." if normalise_language(lang) == "vi" else ".,",
        margin=dict(l=8, r=8, t=36, b=8),
        hoverlabel=dict(
            font=dict(family=FONT_FAMILY, size=15),
            bgcolor=theme.panel,
            bordercolor=theme.accent,
            font_color=theme.text,
        ),
        legend=dict(
            orientation="h",
            x=0,
            xanchor="left",
            y=1.02,
            yanchor="bottom",
            font=dict(size=14),
            bgcolor="rgba(0,0,0,0)",
        ),
        showlegend=True,
        dragmode=False,
    )
    layout.update(extra)
    return layout


def _axis(theme: Theme, **extra) -> dict:
    axis = dict(
        gridcolor=theme.grid,
        zerolinecolor=theme.grid,
        linecolor=theme.grid,
        tickfont=dict(size=14, color=theme.muted),
        automargin=True,
        fixedrange=True,
    )
    axis.update(extra)
    return axis


def empty_figure(message: str, *, theme: str = "dark", width: int = 56) -> go.Figure:
    """A figure that says why it is empty (no data is never drawn as zeros); the message is
    wrapped at ``width`` characters, as Plotly does not wrap text."""
    th = theme_for(theme)
    message = "<br>".join(plain(line) for line in textwrap.wrap(message, width)) or plain(message)
    fig = go.Figure()
    fig.update_layout(**base_layout(th, "vi", showlegend=False, margin=dict(l=8, r=8, t=8, b=8)))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(
        text=message,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font=dict(size=17, color=th.muted),
    )
    return fig


def _percent_range(series: Sequence[Series], reference: Reference | None) -> list[float]:
    """A percentage axis that shows the movement: from a little below the lowest value (or the
    target) to 100 %, never below 0."""
    lows = [v * 100 for s in series for v in s.values if v is not None]
    if reference is not None:
        lows.append(reference.value * 100)
    low = min(lows) if lows else 0.0
    return [max(0.0, (int(low) // 10) * 10 - 5.0 if low > 5 else 0.0), 101.0]


# --- trends ------------------------------------------------------------------------------------
def trend_figure(
    x: Sequence[date],
    bars: Sequence[Series] = (),
    lines: Sequence[Series] = (),
    *,
    reference: Reference | None = None,
    granularity: str = "day",
    stacked: bool = True,
    lang: str = "vi",
    theme: str = "dark",
) -> go.Figure:
    """Bars (counts, stacked or grouped) with lines over them, by day or week.

    With both bars and lines the lines go on a right-hand axis; ``reference`` (a target) is drawn
    as a dashed line on the lines' axis (or the bars' when there are no lines).
    """
    th = theme_for(theme)
    fig = go.Figure()
    tick, hover_date = _date_formats(lang, granularity)
    x = list(x)
    for i, s in enumerate(bars):
        fig.add_trace(
            go.Bar(
                x=x,
                y=_plotted(s.values, s.unit),
                name=plain(s.name),
                marker_color=th.colour(s.colour, i),
                marker_pattern_shape=s.pattern or "",
                marker_pattern_fgcolor=th.panel,
                marker_pattern_bgcolor=th.colour(s.colour, i),
                marker_pattern_solidity=0.3,
                marker_line_width=0,
                customdata=[format_number(v, s.unit, lang) for v in s.values],
                hovertemplate="%{customdata}",
            )
        )
    line_axis = "y2" if bars and lines else "y"
    for i, s in enumerate(lines):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=_plotted(s.values, s.unit),
                name=plain(s.name),
                yaxis=line_axis,
                mode="lines+markers",
                line=dict(color=th.colour(s.colour, len(bars) + i), width=3, dash=s.dash or "solid"),
                marker=dict(size=6),
                connectgaps=False,
                customdata=[format_number(v, s.unit, lang) for v in s.values],
                hovertemplate="%{customdata}",
            )
        )
    layout = base_layout(
        th, lang, barmode="stack" if stacked else "group", hovermode="x unified", bargap=0.25
    )
    layout["legend"] = {
        **layout["legend"],
        "traceorder": "normal",
    }  # stacked bars would list the top one first
    fig.update_layout(**layout)
    fig.update_xaxes(**_axis(th, type="date", tickformat=tick, hoverformat=hover_date, showgrid=False))
    bar_unit = bars[0].unit if bars else "count"
    fig.update_layout(
        yaxis=_axis(th, rangemode="tozero", ticksuffix=_axis_suffix(bar_unit, lang), separatethousands=True)
    )
    if lines:
        unit = lines[0].unit
        # Ticks of its own (an overlaying axis would otherwise borrow the bars' grid: 25,96 …).
        extra = dict(ticksuffix=_axis_suffix(unit, lang), separatethousands=True, tickmode="auto", nticks=6)
        if unit == "percent":
            extra["range"] = _percent_range(lines, reference)
        else:
            extra["rangemode"] = "tozero"
        if line_axis == "y2":
            fig.update_layout(yaxis2=_axis(th, overlaying="y", side="right", showgrid=False, **extra))
        else:
            fig.update_layout(yaxis=_axis(th, **extra))
    if reference is not None:
        unit = lines[0].unit if lines else bar_unit
        y = reference.value * 100 if unit == "percent" else reference.value
        fig.add_shape(
            type="line",
            xref="paper",
            x0=0,
            x1=1,
            yref=line_axis,
            y0=y,
            y1=y,
            line=dict(color=th.warn, width=2, dash="dash"),
            layer="above",
        )
        fig.add_annotation(
            text=plain(reference.label),
            xref="paper",
            x=1,
            xanchor="right",
            yref=line_axis,
            y=y,
            yanchor="bottom",
            showarrow=False,
            font=dict(size=13, color=th.warn),
            bgcolor=th.panel,
            borderpad=2,
        )
    return fig


# --- ranking ------------------------------------------------------------------------------------
def ranking_figure(
    rows: Sequence[RankBar],
    *,
    unit: str = "count",
    reference: Reference | None = None,
    highlight: str | None = None,
    lang: str = "vi",
    theme: str = "dark",
) -> go.Figure:
    """Units as horizontal bars, the first of ``rows`` at the top, coloured by status with the
    status shape and the value at the end of each bar; ``highlight`` (a code) is outlined."""
    th = theme_for(theme)
    colours = {"green": th.good, "amber": th.warn, "red": th.bad, "none": th.accent}
    ordered = list(reversed(rows))  # Plotly draws the first category at the bottom
    labels = [f"{r.rank}. {plain(r.label)}" if r.rank is not None else plain(r.label) for r in ordered]
    values = _plotted([r.value for r in ordered], unit)
    texts = [
        f"{format_number(r.value, unit, lang)} {STATUS_ICON.get(r.status, '○')}"
        if r.status != "none"
        else format_number(r.value, unit, lang)
        for r in ordered
    ]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=labels,
            orientation="h",
            text=texts,
            textposition="outside",
            cliponaxis=False,
            textfont=dict(size=14, color=th.text),
            marker=dict(
                color=[colours.get(r.status, th.accent) for r in ordered],
                pattern_shape=["/" if r.status == "red" else "" for r in ordered],
                pattern_fgcolor=th.panel,
                line=dict(
                    color=[th.text if r.code == highlight else "rgba(0,0,0,0)" for r in ordered],
                    width=[3 if r.code == highlight else 0 for r in ordered],
                ),
            ),
            customdata=[[r.code, r.hover or plain(r.label)] for r in ordered],
            hovertemplate="%{customdata[1]}<extra></extra>",
        )
    )
    known = [v for v in values if v is not None]
    if reference is not None:
        known.append(reference.value * 100 if unit == "percent" else reference.value)
    top = max(known, default=0.0) or 1.0
    fig.update_layout(
        **base_layout(
            th, lang, showlegend=False, bargap=0.3, margin=dict(l=8, r=24, t=8, b=28 if reference else 8)
        )
    )
    fig.update_xaxes(
        **_axis(
            th,
            side="top",
            rangemode="tozero",
            range=[0, top * 1.18],
            ticksuffix=_axis_suffix(unit, lang),
            separatethousands=True,
        )
    )
    fig.update_yaxes(**_axis(th, tickfont=dict(size=14, color=th.text), showgrid=False, ticksuffix="  "))
    if highlight is not None:
        fig.update_yaxes(
            ticktext=[
                f"<b>{lab}</b>" if r.code == highlight else lab
                for lab, r in zip(labels, ordered, strict=False)
            ],
            tickvals=labels,
        )
    if reference is not None:
        xv = reference.value * 100 if unit == "percent" else reference.value
        fig.add_shape(
            type="line",
            yref="paper",
            y0=0,
            y1=1,
            xref="x",
            x0=xv,
            x1=xv,
            line=dict(color=th.warn, width=2, dash="dash"),
        )
        fig.add_annotation(
            text=plain(reference.label),
            yref="paper",
            y=0,
            yanchor="top",
            yshift=-2,
            xref="x",
            x=xv,
            showarrow=False,
            font=dict(size=13, color=th.warn),
        )  # under the bars, where no label sits
    return fig


def ranking_height_em(count: int) -> float:
    """The height (in em of the page) a ranking of ``count`` bars needs to stay legible."""
    return max(10.0, 1.4 * count + 3.0)


# --- funnel, shares, calendar -------------------------------------------------------------------
def funnel_figure(
    stages: Sequence[str],
    series: Sequence[Series],
    *,
    lang: str = "vi",
    theme: str = "dark",
) -> go.Figure:
    """One funnel of ``stages`` (top first) per series, side by side with the stages named once;
    each stage labelled with its count and its share of the first stage."""
    th = theme_for(theme)
    n = max(1, len(series))
    fig = make_subplots(
        rows=1,
        cols=n,
        shared_yaxes=True,
        horizontal_spacing=0.03,
        subplot_titles=[plain(s.name) for s in series] or None,
    )
    for i, s in enumerate(series):
        first = s.values[0] if s.values else None
        texts = []
        for v in s.values:
            share = f" ({fmt_percent(v / first, lang, 0)})" if first and v is not None else ""
            texts.append(f"{format_number(v, 'count', lang)}{share}")
        fig.add_trace(
            go.Funnel(
                y=[plain(stage) for stage in stages],
                x=[v or 0 for v in s.values],
                name=plain(s.name),
                text=texts,
                textinfo="text",
                textposition="inside",
                textfont=dict(size=14, color=th.panel),
                insidetextanchor="middle",
                marker=dict(color=th.colour(s.colour, i)),
                connector=dict(fillcolor=th.grid, line=dict(width=0)),
                customdata=texts,
                hovertemplate="%{y}: %{customdata}<extra>" + plain(s.name) + "</extra>",
            ),
            row=1,
            col=i + 1,
        )
    fig.update_layout(**base_layout(th, lang, showlegend=False, margin=dict(l=8, r=8, t=30, b=8)))
    fig.update_annotations(font=dict(size=15, color=th.text))  # the subplot titles
    fig.update_yaxes(**_axis(th, tickfont=dict(size=14, color=th.text), showgrid=False))
    fig.update_xaxes(visible=False, fixedrange=True)
    return fig


def share_figure(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    colours: Sequence[str | None] = (),
    patterns: Sequence[str | None] = (),
    centre: str = "",
    lang: str = "vi",
    theme: str = "dark",
) -> go.Figure:
    """A ring of shares (channels, early / on time / late) with counts and percentages, and a
    figure (the total) in the middle. An all-zero ring is an empty figure, not a grey ring."""
    th = theme_for(theme)
    total = sum(v for v in values if v)
    texts = [
        f"{format_number(v, 'count', lang)}<br>{fmt_percent(v / total, lang, 1)}" if total else ""
        for v in values
    ]
    fills = [th.colour(c, i) for i, c in enumerate(colours or [None] * len(values))]
    fig = go.Figure(
        go.Pie(
            labels=[plain(label) for label in labels],
            values=list(values),
            hole=0.62,
            sort=False,
            direction="clockwise",
            marker=dict(
                colors=fills,
                line=dict(color=th.panel, width=2),
                pattern=dict(
                    shape=[p or "" for p in (patterns or [None] * len(values))],
                    fgcolor=th.panel,
                    bgcolor=fills,
                    solidity=0.3,
                ),
            ),
            text=texts,
            textinfo="text",
            textposition="outside",
            textfont=dict(size=14, color=th.text),
            customdata=texts,
            hovertemplate="%{label}: %{customdata}<extra></extra>",
        )
    )
    fig.update_layout(
        **base_layout(
            th,
            lang,
            margin=dict(l=8, r=8, t=8, b=8),
            legend=dict(orientation="h", x=0.5, xanchor="center", y=-0.02, yanchor="top", font=dict(size=14)),
        )
    )
    if centre:
        fig.add_annotation(
            text=centre,
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
            showarrow=False,
            font=dict(size=20, color=th.text),
        )
    return fig


def heatmap_figure(
    x_labels: Sequence[str],
    y_labels: Sequence[str],
    z: Sequence[Sequence[float]],
    *,
    hover: Sequence[Sequence[str]] | None = None,
    lang: str = "vi",
    theme: str = "dark",
) -> go.Figure:
    """A calendar heatmap (days or weekdays across, hours down); the count in each busy cell."""
    th = theme_for(theme)
    text = [[fmt_number(v, lang) if v else "" for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            x=list(x_labels),
            y=list(y_labels),
            z=[list(r) for r in z],
            text=text,
            texttemplate="%{text}",
            textfont=dict(size=13, color=th.text),
            colorscale=[[0, th.heat[0]], [1, th.heat[1]]],
            showscale=False,
            xgap=2,
            ygap=2,
            zmin=0,
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>" if hover else None,
        )
    )
    fig.update_layout(**base_layout(th, lang, showlegend=False, margin=dict(l=8, r=8, t=8, b=8)))
    fig.update_xaxes(**_axis(th, showgrid=False, type="category", tickangle=0))
    fig.update_yaxes(**_axis(th, showgrid=False, type="category", autorange="reversed"))
    return fig
