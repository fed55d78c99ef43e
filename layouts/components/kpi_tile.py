"""The KPI tile — one component used everywhere a KPI is shown.

A tile shows the value in Vietnamese number format with its unit, the target, the status by
colour AND shape (● green, ▲ amber, ■ red, ○ none: readable by colour-blind viewers), the change
against the previous period in the right sense (a fall in "overdue" is good), a sparkline, and the
time of the data ("cập nhật 14:05"). Four looks are never confused with a real zero:

- no data (the value is None: an empty denominator or a field the sources do not provide) —
  "Chưa có dữ liệu" and the reason;
- stale (older than the source's freshness target) — dimmed, "dữ liệu cũ" with its age;
- source error — a red banner "lỗi nguồn";
- no source configured for the domain — "chưa có nguồn".

Hovering or focusing (tap) the tile shows the definition and its basis from the catalogue.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from dash import html

from dashboard.health import DomainFreshness
from dashboard.i18n import fmt_datetime, fmt_duration
from dashboard.kpi import samples
from dashboard.kpi.catalogue import CATALOGUE
from dashboard.kpi.display import format_delta, format_value
from dashboard.kpi.stats import LABEL as AGGREGATES_LABEL
from dashboard.kpi.values import KpiResult
from dashboard.timeutil import utcnow
from dashboard.vocabulary import in_language

STATUS_ICON = {"green": "●", "amber": "▲", "red": "■", "none": "○"}
STATUS_WORDS = {
    "green": ("Đạt mục tiêu", "On target"),
    "amber": ("Cần chú ý", "Needs attention"),
    "red": ("Không đạt", "Off target"),
    "none": ("Chưa đánh giá", "Not rated"),
}
TREND_ICON = {"better": "▲", "worse": "▼", "same": "◆"}
_T = {
    "spark_today": ("Theo ngày; nét đứt: hôm nay, tính đến hiện tại", "Daily; dashed: today so far"),
    "target": ("Mục tiêu", "Target"),
    "vs_previous": ("so với kỳ trước", "vs previous period"),
    "updated": ("cập nhật", "updated"),
    "stale": ("dữ liệu cũ", "stale data"),
    "source_error": ("lỗi nguồn dữ liệu", "source error"),
    "no_source": ("chưa có nguồn dữ liệu", "no data source"),
    "never": ("chưa thu thập", "never collected"),
    "ago": ("trước", "ago"),
    "estimate": ("ước tính", "estimate"),
    "tile_alert": ("Đang có cảnh báo cho chỉ tiêu này", "An alert is firing on this indicator"),
    "small_sample": ("ít mẫu (n = {n})", "small sample (n = {n})"),
    "small_sample_title": (
        "Tỷ lệ trên dưới {min} mục: chưa đủ để đánh giá, không xếp hạng",
        "A ratio over fewer than {min} items: too few to judge, not ranked",
    ),
}


def _t(key: str, lang: str) -> str:
    vi, en = _T[key]
    return en if lang == "en" else vi


#: Two on-time rates stand side by side on /dossiers (and the wall shows DVC-06): each says on
#: its tile which dossiers it counts, so 54 % and 88 % are not read as one figure disagreeing.
TILE_NOTES = {
    "DVC-06": ("chỉ số 766 — gồm hồ sơ đang giải quyết", "766 index — open dossiers included"),
    "DVC-07": ("biểu mẫu 06a — hồ sơ đã giải quyết", "form 06a — finished dossiers only"),
}


#: Units of the sparkline's 120 × 32 box kept clear around the line (room for the last day's dot).
SPARK_PAD = 6


def sparkline_svg(
    series, direction: str | None, width: int = 120, height: int = 32, today=None
) -> str | None:
    """A tiny SVG line of the daily series as a data URI (no plotting library, crisp at 4K).

    When the last day is ``today`` it is a day so far, not a whole day: the step to it is dashed
    and its dot hollow, so that a ratio of a few minutes' documents after midnight, or a count
    of half a day, does not read as a collapse on the wall."""
    points = [(i, v) for i, (_, v) in enumerate(series) if v is not None]
    if len(points) < 2:
        return None
    n = max(1, len(series) - 1)
    values = [v for _, v in points]
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    # The box is stretched to the tile (preserveAspectRatio="none"): the line keeps SPARK_PAD units
    # clear of every edge so the last day's dot is never cut, and the dot is a round-capped
    # zero-length stroke (non-scaling), round at any stretch — not an ellipse cut into a "c".
    pad = SPARK_PAD
    coords = [
        f"{pad + i / n * (width - 2 * pad):.1f},{height - pad - (v - lo) / span * (height - 2 * pad):.1f}"
        for i, v in points
    ]
    partial = today is not None and points[-1][0] == len(series) - 1 and series[-1][0] == today
    line = 'fill="none" stroke="#7fa7d9" stroke-width="2" vector-effect="non-scaling-stroke" stroke-linejoin="round"'
    dot = 'vector-effect="non-scaling-stroke" stroke-linecap="round"'
    last = f"{coords[-1]} {coords[-1]}"
    if partial:
        # A day so far: a dashed last step and a ringed dot (white ring, line-coloured centre).
        whole = coords[:-1]
        parts = (f'<polyline {line} points="{" ".join(whole)}"/>' if len(whole) > 1 else "") + (
            f'<polyline {line} stroke-dasharray="3 3" points="{whole[-1]} {coords[-1]}"/>'
            f'<polyline {dot} stroke="#ffffff" stroke-width="8" points="{last}"/>'
            f'<polyline {dot} stroke="#3d5a80" stroke-width="4" points="{last}"/>'
        )
    else:
        parts = f'<polyline {line} points="{" ".join(coords)}"/><polyline {dot} stroke="#ffffff" stroke-width="7" points="{last}"/>'
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" preserveAspectRatio="none">{parts}</svg>'
    return "data:image/svg+xml;utf8," + quote(svg)


def _target_text(result: KpiResult, lang: str) -> str | None:
    kpi = CATALOGUE[result.kpi_id]
    if result.target is None:
        return None
    sign = "≥" if kpi.direction == "up" else "≤" if kpi.direction == "down" else ""
    return f"{_t('target', lang)} {sign} {format_value(result.target, result.unit, lang)}"


def _freshness_line(
    freshness: DomainFreshness | None, lang: str, tz: ZoneInfo, now: datetime
) -> tuple[str, html.Div]:
    """The tile's state class and its footer line about the data's time."""
    if freshness is None:
        return "nosource", html.Div(f"○ {_t('no_source', lang)}", className="ioc-tile__time")
    when = freshness.last_success_at
    if freshness.state == "error":
        detail = f" · {_t('updated', lang)} {fmt_datetime(when, lang, tz)}" if when else ""
        return "error", html.Div(f"■ {_t('source_error', lang)}{detail}", className="ioc-tile__time")
    if when is None:
        return "nosource", html.Div(f"○ {_t('never', lang)}", className="ioc-tile__time")
    if freshness.state == "stale":
        age = fmt_duration((now - when).total_seconds(), lang)
        return "stale", html.Div(
            f"▲ {_t('stale', lang)}: {_t('updated', lang)} {fmt_datetime(when, lang, tz)} ({age} {_t('ago', lang)})",
            className="ioc-tile__time",
        )
    local = when.astimezone(tz)
    stamp = (
        local.strftime("%H:%M") if local.date() == now.astimezone(tz).date() else fmt_datetime(when, lang, tz)
    )
    return "fresh", html.Div(f"{_t('updated', lang)} {stamp}", className="ioc-tile__time")


def kpi_tile(
    result: KpiResult,
    *,
    lang: str = "vi",
    freshness: DomainFreshness | None = None,
    tz: ZoneInfo | None = None,
    now: datetime | None = None,
    tile_id: str | None = None,
    size: str = "normal",
    basis: tuple[str, str] | None = None,
    min_sample: int | None = None,
    alert: bool = False,
) -> html.Div:
    """``basis``: (kind, words) saying what the value is — ("published", "Điểm công bố") or
    ("estimate", "Ước tính · 27,50 điểm chưa có số liệu") — shown under the value."""
    kpi = CATALOGUE[result.kpi_id]
    tz = tz or ZoneInfo("Asia/Ho_Chi_Minh")
    now = now or utcnow()
    state, time_line = _freshness_line(freshness, lang, tz, now)
    n = samples.min_sample() if min_sample is None else min_sample
    small = result.value is not None and samples.is_small(result.unit, result.denominator, n)
    # A small sample is shown, but not judged: no status colour, no trend.
    status = result.status if result.value is not None and not small else "none"
    value_text = format_value(result.value, result.unit, lang)
    classes = ["ioc-tile", f"ioc-tile--{status}", f"ioc-tile--{state}", f"ioc-tile--{size}"]
    if result.value is None:
        classes.append("ioc-tile--nodata")
    if small:
        classes.append("ioc-tile--small")
    if basis:
        classes.append("ioc-tile--based")
    if alert:
        classes.append("ioc-tile--alert")  # a firing alert on this KPI in the scope shown

    delta = None
    if (
        result.previous is not None
        and result.previous.delta is not None
        and result.value is not None
        and not small
    ):
        trend = result.previous.trend or "same"
        delta = html.Div(
            className=f"ioc-tile__delta ioc-trend--{trend}",
            children=[
                html.Span(TREND_ICON.get(trend, "◆"), className="ioc-trend__icon", **{"aria-hidden": "true"}),
                f" {format_delta(result.previous.delta, result.unit, lang)} {_t('vs_previous', lang)}",
            ],
        )
    fraction = None
    if (
        result.value is not None
        and result.numerator is not None
        and result.denominator is not None
        and result.unit == "percent"
        and not small
    ):
        fraction = html.Div(
            f"{format_value(result.numerator, 'count', lang)} / {format_value(result.denominator, 'count', lang)}",
            className="ioc-tile__fraction",
        )
    today = now.astimezone(tz).date()
    spark = sparkline_svg(result.series, kpi.direction, today=today)
    spark_title = _t("spark_today", lang) if result.series and result.series[-1][0] == today else None
    status_vi, status_en = STATUS_WORDS[status]
    status_word = status_en if lang == "en" else status_vi
    estimate = (
        html.Span(f" ({_t('estimate', lang)})", className="ioc-tile__estimate")
        if result.estimate and not basis
        else None
    )
    return html.Div(
        id=tile_id or f"tile-{result.kpi_id}",
        className=" ".join(classes),
        tabIndex="0",
        title=kpi.definition(lang),
        **{
            "data-kpi": result.kpi_id,
            "data-value": "" if result.value is None else repr(result.value),
            "data-state": state,
            **({"data-alert": "firing"} if alert else {}),
        },
        children=[
            html.Div(
                className="ioc-tile__head",
                children=[
                    html.Span(
                        [
                            kpi.name(lang),
                            html.Span(
                                in_language(TILE_NOTES[result.kpi_id], lang), className="ioc-tile__note"
                            )
                            if result.kpi_id in TILE_NOTES
                            else None,
                        ],
                        className="ioc-tile__name",
                    ),
                    html.Span(
                        STATUS_ICON[status],
                        className=f"ioc-tile__status ioc-status--{status}",
                        title=status_word,
                        role="img",
                        **{"aria-label": status_word},
                    ),
                ],
            ),
            html.Div([value_text, estimate], className="ioc-tile__value"),
            html.Div(
                _t("small_sample", lang).format(n=format_value(result.denominator, "count", lang)),
                className="ioc-tile__sample",
                title=_t("small_sample_title", lang).format(min=n),
                **{"data-n": str(int(result.denominator))},
            )
            if small
            else None,
            html.Div(
                basis[1],
                className=f"ioc-tile__basis ioc-tile__basis--{basis[0]}",
                id=f"{tile_id}-basis" if tile_id else None,
                **{"data-basis": basis[0]},
            )
            if basis
            else None,
            html.Div(result.reason.text(lang), className="ioc-tile__reason")
            if result.value is None and result.reason
            else None,
            # Some units of the scope publish only OpenCPS monthly counts: say where the figure comes from.
            html.Div(
                AGGREGATES_LABEL[1] if lang == "en" else AGGREGATES_LABEL[0], className="ioc-tile__source"
            )
            if result.from_aggregates and result.value is not None
            else None,
            fraction,
            html.Div(_target_text(result, lang), className="ioc-tile__target")
            if _target_text(result, lang)
            else None,
            delta,
            html.Img(src=spark, className="ioc-tile__spark", alt="", title=spark_title) if spark else None,
            time_line,
            html.Div(kpi.definition(lang), className="ioc-tile__definition", role="tooltip"),
        ],
    )
