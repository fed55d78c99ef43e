"""Figure builders on plain data: local number formats, gaps for missing values, targets, status by
colour and shape, both themes, and nothing that would reach the internet."""

import json
from datetime import date

import pytest

from layouts.components.charts import (
    GRAPH_CONFIG,
    THEMES,
    RankBar,
    Reference,
    Series,
    empty_figure,
    format_number,
    funnel_figure,
    heatmap_figure,
    ranking_figure,
    share_figure,
    theme_for,
    trend_figure,
)

DAYS = [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]


def offline(fig) -> str:
    """The figure as the browser gets it; must name no map, geo trace or remote resource."""
    text = fig.to_json()
    layout = json.loads(text)["layout"]
    assert not {"geo", "mapbox", "map"} & set(layout)
    assert {t["type"] for t in json.loads(text)["data"]} <= {"bar", "scatter", "funnel", "pie", "heatmap"}
    assert "http://" not in text and "https://" not in text
    return text


def test_graph_config_is_offline_and_without_plotly_branding():
    assert GRAPH_CONFIG["displaylogo"] is False
    assert GRAPH_CONFIG["showSendToCloud"] is False
    assert "topojsonURL" not in GRAPH_CONFIG and "mapboxAccessToken" not in GRAPH_CONFIG


def test_numbers_read_the_vietnamese_or_english_way():
    assert format_number(1234, "count", "vi") == "1.234"
    assert format_number(1234, "count", "en") == "1,234"
    assert format_number(0.5347, "percent", "vi") == "53,47 %"
    assert format_number(0.5347, "percent", "en") == "53.47%"
    assert format_number(12.35, "hours", "vi") == "12,4 giờ" and format_number(3, "days", "en") == "3.0 days"
    assert format_number(None, "percent", "vi") == "–"  # never "0 %"


def test_trend_bars_and_a_percentage_line_with_its_target():
    fig = trend_figure(
        DAYS,
        [Series("Đến", [1200, 80, 0], colour="c1"), Series("Đi", [3, 4, 5], colour="c2")],
        [Series("Điện tử", [0.9312, None, 0.875], unit="percent", colour="text")],
        reference=Reference(0.9, "Mục tiêu 90,00 %"),
        lang="vi",
        theme="dark",
    )
    offline(fig)
    bars, line = fig.data[:2], fig.data[2]
    assert [b.type for b in bars] == ["bar", "bar"] and fig.layout.barmode == "stack"
    assert list(bars[0].customdata) == ["1.200", "80", "0"]
    assert line.yaxis == "y2" and list(line.y) == [pytest.approx(93.12), None, 87.5]  # a gap, not a zero
    assert list(line.customdata) == ["93,12 %", "–", "87,50 %"]
    assert fig.layout.yaxis2.ticksuffix == " %" and fig.layout.yaxis2.range[1] == 101
    assert fig.layout.yaxis2.range[0] <= 85  # the target and the lowest value are inside
    assert fig.layout.separators == ",." and fig.layout.xaxis.tickformat == "%d/%m"
    target = fig.layout.shapes[0]
    assert (target.yref, target.y0, target.y1, target.line.dash) == ("y2", 90, 90, "dash")
    assert fig.layout.annotations[0].text == "Mục tiêu 90,00 %"
    assert fig.layout.legend.traceorder == "normal"  # stacked bars listed in the order given


def test_trend_in_english_by_week_and_lines_alone():
    fig = trend_figure(
        DAYS, lines=[Series("Hours", [1.5, 2.0, None], unit="hours")], granularity="week", lang="en"
    )
    offline(fig)
    assert fig.layout.separators == ".," and "Week of" in fig.layout.xaxis.hoverformat
    assert fig.data[0].yaxis in (None, "y") and list(fig.data[0].customdata) == ["1.5 h", "2.0 h", "–"]
    assert fig.layout.yaxis.rangemode == "tozero"


def test_a_late_bar_is_hatched_not_only_red():
    fig = trend_figure(DAYS, [Series("Quá hạn", [1, 2, 3], colour="bad", pattern="/")], theme="light")
    assert fig.data[0].marker.pattern.shape == "/"
    assert fig.data[0].marker.color == THEMES["light"].bad == fig.data[0].marker.pattern.bgcolor


def test_ranking_best_on_top_with_status_shapes_and_the_target():
    rows = [
        RankBar("SO-79", "TP. Hồ Chí Minh", 0.97, "green", 1, 2, "Sở … Hồ Chí Minh"),
        RankBar("SO-01", "TP. Hà Nội", 0.90, "amber", 2, None),
        RankBar("SO-48", "TP. Đà Nẵng", 0.61, "red", 3, -1),
    ]
    fig = ranking_figure(
        rows, unit="percent", reference=Reference(0.95, "Mục tiêu 95 %"), highlight="SO-01", lang="vi"
    )
    offline(fig)
    bar = fig.data[0]
    assert bar.orientation == "h"
    # Plotly draws the first category at the bottom: the list is reversed so rank 1 is on top.
    assert list(bar.y) == ["3. TP. Đà Nẵng", "2. TP. Hà Nội", "1. TP. Hồ Chí Minh"]
    assert list(bar.text) == ["61,00 % ■", "90,00 % ▲", "97,00 % ●"]
    dark = THEMES["dark"]
    assert list(bar.marker.color) == [dark.bad, dark.warn, dark.good]
    assert list(bar.marker.pattern.shape) == ["/", "", ""]
    assert list(bar.marker.line.width) == [0, 3, 0]  # the chosen unit is outlined …
    assert "<b>2. TP. Hà Nội</b>" in fig.layout.yaxis.ticktext  # … and its name in bold
    assert [c[0] for c in bar.customdata] == ["SO-48", "SO-01", "SO-79"]  # the code a click selects
    assert fig.layout.shapes[0].x0 == pytest.approx(95) and fig.layout.xaxis.ticksuffix == " %"


def test_ranking_of_counts_without_target():
    fig = ranking_figure([RankBar("A", "A", 1234.0, "none", 1), RankBar("B", "B", 5.0, "none", 2)], lang="en")
    assert list(fig.data[0].text) == ["5", "1,234"] and not fig.layout.shapes
    assert fig.layout.xaxis.range[1] > 1234  # room for the label at the end of the longest bar


def test_funnel_per_series_with_share_of_the_first_stage():
    fig = funnel_figure(
        ["01 Đã đến", "03 Đã tiếp nhận", "06 Hoàn thành"],
        [Series("Gửi đi", [480, 464, 365]), Series("Nhận về", [630, 0, 0])],
        lang="vi",
    )
    offline(fig)
    sent, received = fig.data
    assert (sent.type, sent.xaxis, received.xaxis) == ("funnel", "x", "x2")  # side by side
    assert list(sent.text) == ["480 (100 %)", "464 (97 %)", "365 (76 %)"]
    assert list(received.text) == ["630 (100 %)", "0 (0 %)", "0 (0 %)"]
    assert [a.text for a in fig.layout.annotations] == ["Gửi đi", "Nhận về"]


def test_share_ring_with_counts_percentages_and_total():
    fig = share_figure(
        ["Trực tuyến", "Trực tiếp", "Bưu chính"],
        [2845, 2289, 84],
        colours=["c1", "c2", "c3"],
        patterns=[None, None, "/"],
        centre="5.218<br>tiếp nhận",
        lang="vi",
    )
    offline(fig)
    pie = fig.data[0]
    assert list(pie.text) == ["2.845<br>54,5 %", "2.289<br>43,9 %", "84<br>1,6 %"]
    assert fig.layout.annotations[0].text == "5.218<br>tiếp nhận"
    # A hatched slice keeps its colour under the hatch (it once came out blank).
    assert list(pie.marker.pattern.bgcolor) == list(pie.marker.colors)


def test_heatmap_shows_counts_and_leaves_quiet_hours_blank():
    fig = heatmap_figure(
        ["Th 2<br>2", "Th 3<br>3"],
        ["08:00", "09:00"],
        [[0, 1234], [3, 0]],
        hover=[["a", "b"], ["c", "d"]],
        lang="vi",
    )
    offline(fig)
    assert [list(row) for row in fig.data[0].text] == [["", "1.234"], ["3", ""]]
    assert fig.layout.yaxis.autorange == "reversed"  # morning at the top


def test_empty_figure_says_why():
    fig = empty_figure("Chưa có dữ liệu trong kỳ", theme="light")
    assert not fig.data and fig.layout.annotations[0].text == "Chưa có dữ liệu trong kỳ"
    assert fig.layout.xaxis.visible is False


def test_themes_follow_the_page():
    assert theme_for("light").text != theme_for("dark").text
    assert theme_for(None) is THEMES["dark"] and theme_for("neon") is THEMES["dark"]
    light = trend_figure(DAYS, [Series("x", [1, 2, 3])], theme="light")
    assert light.layout.font.color == THEMES["light"].text and light.layout.paper_bgcolor == "rgba(0,0,0,0)"
