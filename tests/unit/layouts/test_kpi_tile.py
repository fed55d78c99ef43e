"""The KPI tile on plain results: every look is distinct, no value is never shown as a zero."""

from datetime import UTC, date, datetime, timedelta

from dashboard.health import DomainFreshness
from dashboard.kpi.periods import Period
from dashboard.kpi.values import Comparison, KpiResult, Reason, Scope
from layouts.components.kpi_tile import kpi_tile, sparkline_svg
from tests.dash_support import render_text

NOW = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)  # 14:30 in Hà Nội
SCOPE = Scope("all", None, None, None, "Toàn cơ quan", "Whole agency")
PERIOD = Period.parse("mtd", date(2026, 11, 20))


def result(kpi_id="DVC-06", value=0.9312, status="green", **changes) -> KpiResult:
    fields = dict(
        kpi_id=kpi_id,
        scope=SCOPE,
        period=PERIOD,
        value=value,
        numerator=931 if value is not None else None,
        denominator=1000 if value is not None else None,
        unit="percent",
        status=status,
        target=0.95,
        reason=None
        if value is not None
        else Reason("empty_denominator", "Chưa có dữ liệu: không có hồ sơ trong kỳ", "No data: none"),
        parts={},
        previous=None,
        last_year=None,
        series=tuple((date(2026, 11, d), 0.9 + d / 1000) for d in range(1, 21)),
        as_of=NOW,
    )
    fields.update(changes)
    return KpiResult(**fields)


def fresh(state="ok", minutes_ago=5):
    return DomainFreshness("dossiers", state, NOW - timedelta(minutes=minutes_ago), ("motcua",))


def test_value_status_target_and_time():
    text = render_text(kpi_tile(result(), lang="vi", freshness=fresh(), now=NOW))
    assert '"93,12 %"' in text
    assert "931 / 1.000" in text
    assert "Mục tiêu ≥ 95,00 %" in text
    assert "cập nhật 14:25" in text
    assert "ioc-tile--green" in text and "●" in text
    assert "[Chính thức]" in text  # the definition names its basis


def test_no_value_is_never_zero():
    text = render_text(kpi_tile(result(value=None, status="none"), lang="vi", freshness=fresh(), now=NOW))
    assert "Chưa có dữ liệu" in text and "không có hồ sơ trong kỳ" in text
    assert "0,00 %" not in text
    assert "ioc-tile--nodata" in text


def test_stale_error_and_no_source_look_different():
    stale = render_text(kpi_tile(result(), freshness=fresh("stale", 300), now=NOW))
    error = render_text(kpi_tile(result(), freshness=fresh("error"), now=NOW))
    nosource = render_text(kpi_tile(result(), freshness=None, now=NOW))
    assert "ioc-tile--stale" in stale and "dữ liệu cũ" in stale and "5 giờ trước" in stale
    assert "ioc-tile--error" in error and "lỗi nguồn dữ liệu" in error
    assert "ioc-tile--nosource" in nosource and "chưa có nguồn dữ liệu" in nosource
    assert len({stale, error, nosource}) == 3


def test_a_fall_in_overdue_reads_as_better():
    previous = Comparison(PERIOD, 12.0, None, None, delta=-5.0, delta_ratio=-0.4, trend="better")
    text = render_text(
        kpi_tile(
            result(
                "DVC-08",
                value=7.0,
                status="amber",
                unit="count",
                previous=previous,
                numerator=None,
                denominator=None,
            ),
            freshness=fresh(),
            now=NOW,
        )
    )
    assert "ioc-trend--better" in text and "−5 so với kỳ trước" in text


def test_english_and_sparkline():
    text = render_text(kpi_tile(result(), lang="en", freshness=fresh(), now=NOW))
    assert '"93.12%"' in text and "updated 14:25" in text and "Target ≥ 95.00%" in text
    assert sparkline_svg(((date(2026, 1, 1), None),), "up") is None
    assert sparkline_svg(result().series, "up").startswith("data:image/svg+xml;utf8,")


def test_a_figure_from_opencps_aggregates_says_so():
    plain = render_text(kpi_tile(result(), lang="vi", freshness=fresh(), now=NOW))
    assert "OpenCPS" not in plain
    text = render_text(kpi_tile(result(from_aggregates=True), lang="vi", freshness=fresh(), now=NOW))
    assert "từ số liệu tổng hợp OpenCPS" in text and "ioc-tile__source" in text
    assert "from OpenCPS aggregates" in render_text(
        kpi_tile(result(from_aggregates=True), lang="en", freshness=fresh(), now=NOW)
    )
    # No value: the reason speaks, not the source label.
    empty = render_text(
        kpi_tile(
            result(value=None, status="none", from_aggregates=True), lang="vi", freshness=fresh(), now=NOW
        )
    )
    assert "OpenCPS" not in empty


def test_the_sparklines_last_day_is_drawn_as_a_day_so_far_when_it_is_today():
    from urllib.parse import unquote

    series = tuple((date(2026, 11, d), 0.9 + d / 1000) for d in range(1, 21))
    whole = unquote(sparkline_svg(series, "up", today=date(2026, 11, 21)))
    assert "stroke-dasharray" not in whole and 'stroke="#ffffff" stroke-width="7"' in whole
    partial = unquote(sparkline_svg(series, "up", today=date(2026, 11, 20)))
    assert 'stroke-dasharray="3 3"' in partial
    # A ringed dot: white ring, line-coloured centre (a hollow look that survives any stretch).
    assert 'stroke="#ffffff" stroke-width="8"' in partial and 'stroke="#3d5a80" stroke-width="4"' in partial
    # Today's value missing: nothing is drawn as partial.
    gap = unquote(sparkline_svg(series[:-1] + ((date(2026, 11, 20), None),), "up", today=date(2026, 11, 20)))
    assert "stroke-dasharray" not in gap
    # The tile says what the dashes mean (its hover title), only when the series ends today.
    tile = render_text(
        kpi_tile(
            result(series=series), lang="vi", freshness=fresh(), now=datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
        )
    )
    assert "nét đứt: hôm nay" in tile
    assert "nét đứt" not in render_text(
        kpi_tile(
            result(series=series), lang="vi", freshness=fresh(), now=datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
        )
    )


def test_the_sparklines_last_dot_is_never_cut_by_the_edge():
    """The "c" at the end of every sparkline was the last day's dot cut by the right edge of the
    box; now every point keeps clear of all four edges by more than the dot's radius."""
    import re
    from urllib.parse import unquote

    from layouts.components.kpi_tile import SPARK_PAD

    for values in ([0.2, 0.4, 0.9], [5, 1, 0], [3, 3, 3]):
        series = tuple((date(2026, 11, i + 1), v) for i, v in enumerate(values))
        for today in (date(2026, 11, 3), None):
            svg = unquote(sparkline_svg(series, "up", today=today))
            points = [tuple(map(float, p.split(","))) for p in re.findall(r"[0-9.]+,[0-9.]+", svg)]
            assert points and all(
                SPARK_PAD <= x <= 120 - SPARK_PAD and SPARK_PAD <= y <= 32 - SPARK_PAD for x, y in points
            )
            assert (
                "<circle" not in svg and 'stroke-linecap="round"' in svg
            )  # round however the box is stretched
            assert SPARK_PAD > 8 / 2  # the widest dot (8 px stroke) fits in the margin at 1:1


def test_both_on_time_rates_say_which_dossiers_they_count():
    """Issue 16: 54 % (766 index) beside 88 % (form 06a) — each tile says what it counts."""
    vi = render_text(kpi_tile(result("DVC-06"), lang="vi", freshness=fresh(), now=NOW))
    assert "chỉ số 766 — gồm hồ sơ đang giải quyết" in vi
    en = render_text(kpi_tile(result("DVC-07"), lang="en", freshness=fresh(), now=NOW))
    assert "form 06a — finished dossiers only" in en
    assert "ioc-tile__note" not in render_text(
        kpi_tile(result("DVC-01"), lang="vi", freshness=fresh(), now=NOW)
    )
