"""The wall's pieces on plain data: tiles per domain with their domain's freshness, the 766 panel,
the units needing attention, the freshness line — without a browser or a database."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dashboard.access import UnitOption
from dashboard.health import DomainFreshness
from dashboard.kpi.catalogue import CATALOGUE
from dashboard.kpi.lists import ActionItem, ActionList
from dashboard.kpi.periods import Period
from dashboard.kpi.values import KpiResult, RankRow, Reason, Scope
from dashboard.queries import ServiceIndexReport
from dashboard.service_index import Band, PublishedScore
from layouts.components.wall_parts import (
    INDEX_KPI,
    WALL_COLUMNS,
    WALL_KPIS,
    Attention,
    WallData,
    freshness_summary,
    peer_group,
    period_text,
    short_names,
    wall_body,
    wall_column,
    wall_signature,
    weakest,
)
from tests.dash_support import render_text

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)  # 14:30 in Hà Nội
SCOPE = Scope("all", None, None, None, "Toàn cơ quan", "Whole agency")
PERIOD = Period.parse("mtd", date(2026, 11, 20))


def result(kpi_id, value=0.9, status="green") -> KpiResult:
    unit = CATALOGUE[kpi_id].unit
    return KpiResult(
        kpi_id=kpi_id,
        scope=SCOPE,
        period=PERIOD,
        value=value,
        numerator=None,
        denominator=None,
        unit=unit,
        status=status,
        target=None,
        reason=None
        if value is not None
        else Reason("no_facts", "Chưa có dữ liệu: chưa có nguồn", "No data: none"),
        parts={},
        previous=None,
        last_year=None,
        series=(),
        as_of=NOW,
    )


def fresh(domain, state="ok", minutes=3):
    return DomainFreshness(domain, state, NOW - timedelta(minutes=minutes), (f"src-{domain}",))


def row(code, name, value, rank, status="red") -> RankRow:
    return RankRow(
        unit_id=rank,
        code=code,
        name_vi=f"Sở Nông nghiệp và Môi trường tỉnh {name}",
        name_en=f"{name} Department of Agriculture and Environment",
        value=value,
        numerator=None,
        denominator=None,
        status=status,
        rank=rank,
        previous_value=None,
        previous_rank=None,
        rank_change=None,
    )


def data(**changes) -> WallData:
    tiles = {
        k: result(k, value=float(i + 1)) for i, k in enumerate([*sum(WALL_KPIS.values(), ()), INDEX_KPI])
    }
    fields = dict(
        lang="vi",
        scope=SCOPE,
        period=PERIOD,
        tiles=tiles,
        service=None,
        freshness={d: fresh(d) for d in WALL_KPIS},
        attention=Attention(),
        version=7,
        now=NOW,
        tz=TZ,
        units_total=56,
    )
    fields.update(changes)
    return WallData(**fields)


def test_every_domain_shows_its_tiles_with_their_values():
    text = render_text(wall_body(data()))
    for domain, ids in WALL_KPIS.items():
        assert f'"domain-{domain}"' in text
        for kpi_id in ids:
            assert f'"wall-tile-{kpi_id}"' in text
            assert f'"data-value": "{data().tiles[kpi_id].value!r}"' in text
    assert '"data-version": "7"' in text and '"data-signature": "v7@2026-11-20T14:30"' in text
    assert "Văn bản" in text and "Dịch vụ công" in text and "Họp trực tuyến" in text
    assert '"Nhiệm vụ"' in text
    assert "56 đơn vị" in text


def test_each_tile_gets_its_own_domains_freshness():
    stale_meetings = {**{d: fresh(d) for d in WALL_KPIS}, "meetings": fresh("meetings", "stale", 300)}
    tiles = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if str(props.get("id", "")).startswith("wall-tile-"):
                tiles[props["id"]] = props["data-state"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(render_text(wall_body(data(freshness=stale_meetings)))))
    assert {tiles[f"wall-tile-{k}"] for k in WALL_KPIS["meetings"]} == {"stale"}
    assert {tiles[f"wall-tile-{k}"] for k in WALL_KPIS["documents"] + WALL_KPIS["dossiers"]} == {"fresh"}
    assert "Dữ liệu cũ: Họp trực tuyến" in render_text(freshness_summary(data(freshness=stale_meetings)))
    # The time is said once per column; a column whose data is stale says so.
    column = render_text(wall_body(data(freshness=stale_meetings)))
    headers = [
        (n["props"]["children"], n["props"]["data-state"])
        for n in find_all(json.loads(column), "ioc-wall__domain-time")
    ]
    assert headers == [
        ("cập nhật 14:27", "fresh"),
        ("cập nhật 14:27", "fresh"),
        ("▲ dữ liệu cũ", "stale"),
        ("cập nhật 14:27", "fresh"),  # tasks and petitions, stacked in the fourth column
        ("cập nhật 14:27", "fresh"),
    ]
    nosource = find_all(json.loads(render_text(wall_body(data(freshness={})))), "ioc-wall__domain-time")
    assert [n["props"]["children"] for n in nosource] == ["○ chưa có nguồn dữ liệu"] * 5


def test_four_columns_the_fourth_stacks_tasks_and_petitions():
    assert WALL_COLUMNS == (("documents",), ("dossiers",), ("meetings",), ("tasks", "petitions"))
    grid = find_all(json.loads(render_text(wall_body(data()))), "ioc-wall__grid")[0]
    ids = [c["props"].get("id") for c in grid["props"]["children"]]
    assert ids[:4] == ["domain-documents", "domain-dossiers", "domain-meetings", "column-tasks-petitions"]
    # Tasks lead with the figure leaders quote: open and overdue (NV-05); petitions with the 766
    # indicator (handled on time).
    assert WALL_KPIS["tasks"][0] == "NV-05" and WALL_KPIS["petitions"][0] == "PAKN-02"
    # Two domains in one column: stacked, each as tall as its tiles.
    column = json.loads(render_text(wall_column(("tasks", "petitions"), data())))
    assert (
        column["props"]["id"] == "column-tasks-petitions"
        and column["props"]["className"] == "ioc-wall__stack"
    )
    stacked = [(c["props"]["id"], c["props"]["style"]["--stack-tiles"]) for c in column["props"]["children"]]
    assert stacked == [("domain-tasks", 3), ("domain-petitions", 2)]


def find_all(node, class_prefix: str) -> list[dict]:
    out = []
    if isinstance(node, dict):
        if str(node.get("props", {}).get("className", "")).startswith(class_prefix):
            out.append(node)
        for value in node.values():
            out += find_all(value, class_prefix)
    elif isinstance(node, list):
        for value in node:
            out += find_all(value, class_prefix)
    return out


def test_no_data_is_never_a_zero_and_no_source_is_said():
    tiles = {k: result(k, value=None, status="none") for k in [*sum(WALL_KPIS.values(), ()), INDEX_KPI]}
    text = render_text(wall_body(data(tiles=tiles, freshness={})))
    assert text.count('"data-value": ""') == len(tiles)
    assert "0,00 %" not in text
    assert "chưa có nguồn dữ liệu" in text
    assert "Chưa có nguồn dữ liệu" in render_text(freshness_summary(data(freshness={})))


def test_the_freshness_line_names_the_worst_state():
    ok = render_text(freshness_summary(data()))
    assert "● Dữ liệu cập nhật 14:27" in ok
    error = {
        **{d: fresh(d) for d in WALL_KPIS},
        "dossiers": fresh("dossiers", "error"),
        "documents": fresh("documents", "stale"),
    }
    text = render_text(freshness_summary(data(freshness=error, lang="en")))
    assert "■ Source error: Public services" in text  # an error outranks a stale source


def test_the_service_index_shows_its_band_and_where_points_are_lost():
    from dashboard.service_index import Group, Indicator, ServiceIndexEstimate

    estimate = ServiceIndexEstimate(
        (
            Group(
                "progress",
                "Tiến độ giải quyết",
                "Progress",
                20,
                (
                    Indicator(
                        "on_time",
                        "Hồ sơ giải quyết đúng hạn (DVC-06)",
                        "On time (DVC-06)",
                        20,
                        16.87,
                        0.84,
                        "20 × r",
                    ),
                ),
            ),
            Group(
                "payment",
                "Thanh toán",
                "Payment",
                10,
                (
                    Indicator(
                        "paid",
                        "Hồ sơ thanh toán trực tuyến (DVC-10)",
                        "Paid online (DVC-10)",
                        6,
                        2.49,
                        0.41,
                        "6 × r",
                    ),
                    Indicator(
                        "fees_synced",
                        "TTHC có phí đồng bộ thu phí",
                        "Fees synchronised",
                        2.5,
                        None,
                        None,
                        "2,5 × C",
                    ),
                ),
            ),
        )
    )
    report = ServiceIndexReport(SCOPE, PERIOD, estimate, None, None, None, None, NOW)
    tiles = {**data().tiles, INDEX_KPI: replace(result(INDEX_KPI, 72.77, "amber"), estimate=True)}
    text = render_text(wall_body(data(tiles=tiles, service=report)))
    # The tile says what it shows: an estimate, with the points not yet known (the payment group: 10 − 6 known).
    assert (
        "72,77 điểm" in text
        and '"Ước tính · 4,00 điểm chưa có số liệu"' in text
        and '"data-basis": "estimate"' in text
    )
    assert "(ước tính)" not in text  # said once, in words, not twice
    assert "Xếp loại: " in text and '"chưa xếp loại"' in text
    english = render_text(wall_body(data(tiles=tiles, service=report, lang="en")))
    assert '"Estimate · 4.00 points not yet known"' in english
    complete = replace(
        report, estimate=ServiceIndexEstimate(estimate.groups[:1]), estimate_band=Band(70, "Khá", "Fair")
    )
    whole = render_text(wall_body(data(tiles=tiles, service=complete)))
    assert '"Ước tính"' in whole and '"Khá"' in whole
    assert text.index("Hồ sơ thanh toán trực tuyến (DVC-10)") < text.index(
        "Hồ sơ giải quyết đúng hạn (DVC-06)"
    )
    assert "−3,51 điểm" in text and "−3,13 điểm" in text
    published = replace(
        report,
        published=PublishedScore(1, PERIOD, 81.5, {}, date(2026, 12, 5), "csv"),
        published_band=Band(80, "Tốt", "Good"),
    )
    text = render_text(wall_body(data(tiles=tiles, service=published)))
    assert (
        '"Tốt"' in text
        and "Điểm công bố ngày 05/12/2026" in text
        and "Mất điểm nhiều nhất (ước tính)" in text
    )
    assert '"data-basis": "published"' in text and "điểm chưa có số liệu" not in text
    undated = replace(published, published=replace(published.published, published_on=None))
    assert '"Điểm công bố"' in render_text(wall_body(data(tiles=tiles, service=undated)))


def test_units_needing_attention_are_the_weakest_with_short_names():
    on_time = (
        row("SO-01", "Hà Nội", 0.97, 1, "green"),
        row("SO-04", "Cao Bằng", 0.81, 2, "amber"),
        row("SO-25", "Phú Thọ", 0.64, 3, "red"),
        row("SO-96", "Cà Mau", None, None, "none"),
    )
    overdue = (
        row("SO-01", "Hà Nội", 0.0, 1, "none"),
        row("SO-04", "Cao Bằng", 4.0, 2, "none"),
        row("SO-25", "Phú Thọ", 28.0, 3, "none"),
    )
    attention = Attention(
        rankings=(("DVC-06", on_time), ("DVC-08", overdue)),
        candidates=4,
        group_vi="Các Sở",
        group_en="Departments",
    )
    text = render_text(wall_body(data(attention=attention)))
    assert "Đơn vị cần chú ý" in text and '"Các Sở"' in text
    # Last place first; a unit on target, without a rank or with nothing overdue is not listed.
    assert text.index('"data-unit": "SO-25"') < text.index('"data-unit": "SO-04"')
    assert text.count('"data-unit": "SO-01"') == 0 and '"data-unit": "SO-96"' not in text
    assert '"Phú Thọ"' in text and '"64,17 %"' not in text and '"64,00 %"' in text and '"3/3"' in text
    assert [r.code for r in weakest("DVC-08", overdue)] == ["SO-25", "SO-04"]
    calm = Attention(rankings=(("DVC-06", on_time[:1]),), candidates=1)
    assert "Không có đơn vị nào cần chú ý" in render_text(wall_body(data(attention=calm)))


def test_a_unit_without_sub_units_gets_its_overdue_items():
    item = ActionItem(
        kind="dossier",
        state="overdue",
        id=1,
        source="s",
        source_id="HS.SO-25.0018",
        unit_id=1,
        unit_code="SO-25",
        unit_name_vi="Sở",
        unit_name_en="Dept",
        status="4",
        started_at=None,
        due_at=None,
        due_day=None,
        days_overdue=53,
        working_days_overdue=38,
        hours_left=None,
    )
    actions = ActionList(SCOPE, NOW, overdue=(item,) * 12, due_soon=(), paused=(), truncated=False)
    text = render_text(wall_body(data(attention=Attention(actions=actions, due_soon=3))))
    assert "Việc cần xử lý" in text and "Hồ sơ HS.SO-25.0018" in text and '"53 ngày"' in text
    assert "và 2 việc quá hạn khác" in text and "Sắp đến hạn trong 24 giờ: 3" in text


def test_an_empty_store_says_so_in_the_rail():
    text = render_text(wall_body(data(notices=("Kho dữ liệu đang trống", "Chưa có bộ thu thập nào"))))
    assert '"empty-store"' in text and "Kho dữ liệu đang trống" in text and "Đơn vị cần chú ý" not in text


def test_signature_period_and_names():
    assert wall_signature(3, NOW, TZ) == "v3@2026-11-20T14:30"
    assert wall_signature(3, NOW + timedelta(seconds=59), TZ) == wall_signature(3, NOW, TZ)
    assert wall_signature(3, NOW + timedelta(minutes=1), TZ) != wall_signature(3, NOW, TZ)
    assert period_text(PERIOD, "vi") == "Từ đầu tháng (01/11/2026 – 20/11/2026)"
    assert period_text(PERIOD, "vi", with_name=False) == "01/11/2026 – 20/11/2026"
    assert period_text(Period.parse("today", date(2026, 11, 20)), "en", with_name=False) == "20 Nov 2026"
    assert short_names(["Văn phòng Bộ"]) == ["Văn phòng Bộ"]
    assert short_names(["Sở Hà Nội", "Sở Huế"]) == ["Hà Nội", "Huế"]  # a word is always left


def test_peer_groups():
    units = [
        UnitOption("BMP", "Bộ", "Ministry", "ministry", 0, None),
        UnitOption("BMP-VP", "Văn phòng", "Office", "department", 1, "BMP"),
        UnitOption("BMP-SO", "Các Sở", "Departments", "group", 1, "BMP"),
        UnitOption("SO-01", "Sở Hà Nội", "Ha Noi", "province", 2, "BMP-SO"),
        UnitOption("SO-04", "Sở Cao Bằng", "Cao Bang", "province", 2, "BMP-SO"),
    ]
    assert [u.code for u in peer_group(units, None)[0]] == ["SO-01", "SO-04"]
    assert peer_group(units, "BMP")[1] == {"level": "province"}
    assert [u.code for u in peer_group(units, "BMP-SO")[0]] == ["SO-01", "SO-04"]
    assert peer_group(units, "SO-01")[0] == []
    no_provinces = [u for u in units if u.level != "province"]
    assert [u.code for u in peer_group(no_provinces, None)[0]] == ["BMP-VP", "BMP-SO"]
