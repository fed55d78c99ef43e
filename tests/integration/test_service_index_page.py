"""The 766 page (``/chi-so-766``) rendered in-process on SQLite and PostgreSQL, after importing the
shipped portal-shaped samples: published beside estimated per group and per indicator, the
estimate on the 100-point scale with its unknown points listed, and the rank — whose peers a unit
head never sees."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import dash
import pytest

from dashboard.db import make_sessionmaker
from dashboard.kpi.periods import Period
from dashboard.service_index import import_scores_file
from tests.access_support import request_as, unit_head
from tests.dash_support import render_text
from tests.integration.kpis.conftest import dossier, feed, store  # noqa: F401 (fixture)

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
OCTOBER = Period.month(2026, 10)
PATH = "/chi-so-766"


@pytest.fixture
def scored(store):
    """SO-01 with four October dossiers and the portal's October scores imported (both files)."""

    def row(n: int, **fields):
        base = dict(
            KenhThucHien=2,
            TrangThaiHoSo=10,
            DaSoHoa=1,
            CoKetQuaDienTu=1,
            DongBoQuocGia=1,
            DanhGia=3,
            NgayTiepNhan=f"2026-10-0{n} 09:00",
            NgayHenTra="2026-10-16 17:00",
            NgayKetThucXuLy=f"2026-10-1{n} 09:00",
            NgayCapNhat=f"2026-10-1{n} 09:00",
        )
        base.update(fields)
        return dossier(f"OCT-{n}", **base)

    # Three finished on time; the fourth finished late (20/10 > due 16/10): DVC-06 = 3/4.
    feed(
        store,
        "dossiers",
        [row(1), row(2), row(3), row(4, NgayKetThucXuLy="2026-10-20 09:00", NgayCapNhat="2026-10-20 09:00")],
    )
    with make_sessionmaker(store).begin() as session:
        import_scores_file(session, SAMPLES / "diem-766-cong-dvc.csv", OCTOBER)
        import_scores_file(session, SAMPLES / "diem-766-chi-tieu.csv", OCTOBER)
    return store


def _render(app, query: dict, principal=None) -> dict:
    page = next(p for p in dash.page_registry.values() if p["path"] == PATH)
    with request_as(app, PATH, principal):
        return json.loads(render_text(page["layout"](**query)))


def _by_id(node, wanted: str):
    if isinstance(node, dict):
        props = node.get("props") if isinstance(node.get("props"), dict) else {}
        if props.get("id") == wanted:
            return node
        for value in node.values():
            found = _by_id(value, wanted)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _by_id(value, wanted)
            if found is not None:
                return found
    return None


def _texts(node) -> list[str]:
    """The strings a component shows, in order."""
    out: list[str] = []
    if isinstance(node, str):
        out.append(node)
    elif isinstance(node, dict):
        props = node.get("props") if isinstance(node.get("props"), dict) else None
        if props is not None:
            out += _texts(props.get("children"))
        else:
            for value in node.values():
                out += _texts(value)
    elif isinstance(node, list):
        for value in node:
            out += _texts(value)
    return out


def _cells(tree, row_id: str) -> list[str]:
    row = _by_id(tree, row_id)
    assert row is not None, row_id
    return [" ".join(_texts(cell)) for cell in row["props"]["children"]]


def _sample_rank(code: str) -> tuple[int, int]:
    """SO-01's place among the 34 published totals of the shipped file (a missing total is the sum)."""
    with (SAMPLES / "diem-766-cong-dvc.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    groups = (
        "Công khai, minh bạch",
        "Tiến độ giải quyết",
        "Dịch vụ công trực tuyến",
        "Thanh toán trực tuyến",
        "Mức độ hài lòng",
        "Số hóa hồ sơ",
    )
    num = lambda s: float(s.replace(",", "."))  # noqa: E731
    totals = {
        r["Mã đơn vị"]: num(r["Tổng điểm"]) if r["Tổng điểm"] else round(sum(num(r[g]) for g in groups), 2)
        for r in rows
    }
    mine = totals[code]
    return 1 + sum(1 for v in totals.values() if v > mine), len(totals)


def test_the_page_shows_published_and_estimated_per_group(scored, build_app):
    app = build_app(scored)
    tree = _render(app, {"unit": "SO-01", "month": "2026-10"})
    # Line 2 of the per-group file (SO-01's portal code 000.00.30.H01): progress 18,79, total 74,50.
    # The estimate of progress: 20 × 3 on time ÷ 4 = 15,00, 5 points lost.
    name, maximum, published, estimated, difference, lost, why = _cells(tree, "si-group-progress")
    assert (maximum, published, estimated, difference, lost) == ("20,00", "18,79", "15,00", "+3,79", "−5,00")
    assert _cells(tree, "si-indicator-on_time")[6].startswith("25 % hồ sơ không giải quyết đúng hạn")
    # Satisfaction: both petition indicators from the per-indicator file (6,00 and 4,42 published)
    # and satisfaction with dossiers min(6; 6 × (3 − 0) ÷ 4 ÷ 0,9) = 5,00 → 15,42, complete.
    assert _cells(tree, "si-indicator-petition_satisfaction")[2:4] == ["4,42", "4,42"]
    group = _cells(tree, "si-group-satisfaction")
    assert group[2:5] == ["16,24", "15,42", "+0,82"]
    # Transparency: the three procedure indicators are not yet known (12 points), never 0.
    unknown = _cells(tree, "si-indicator-published_on_time")
    assert unknown[3] == "Chưa có số liệu 6,00 điểm chưa biết" and unknown[5] == "–"
    assert "6,00 điểm chưa có số liệu" not in _cells(tree, "si-group-transparency")[3]
    assert _cells(tree, "si-group-transparency")[3] == "6,00 12,00 điểm chưa có số liệu"
    # The total: published 74,50; the estimate on the 100-point scale with its unknown points.
    total = _cells(tree, "si-total")
    assert total[1:3] == ["100", "74,50"]
    known, _, unknown_text = total[3].partition(" ")
    listed = _by_id(tree, "si-unknown-list")
    heading = _texts(listed)[0]
    points_unknown = heading.split("(")[1].split(" ")[0]
    assert unknown_text == f"{points_unknown} điểm chưa có số liệu"
    assert float(known.replace(",", ".")) + float(points_unknown.replace(",", ".")) <= 100
    assert any("TTHC công bố đúng hạn — 6,00 điểm chưa biết" in s for s in _texts(listed))
    # The summary: published with the portal's figure, the estimate with its range, the rank.
    summary = " ".join(_texts(_by_id(tree, "si-summary")))
    assert "74,50" in summary and "điểm chưa có số liệu" in summary
    rank, of = _sample_rank("000.00.30.H01")
    assert f"Hạng {rank}/{of}" in summary
    assert _by_id(tree, "si-content")["props"]["data-basis"] == "published"
    # The leadership sees the peers' figures; the trend has October.
    ranking = " ".join(_texts(_by_id(tree, "si-ranking-table")))
    assert "Cao Bằng" in ranking
    english = " ".join(_texts(_render(app, {"unit": "SO-01", "month": "2026-10", "lang": "en"})))
    assert "Published score" in english and "IOC's estimate" in english and "points not yet known" in english


def test_a_unit_head_sees_its_rank_and_no_other_unit(scored, build_app):
    app = build_app(scored)
    for query in (
        {"unit": "SO-01", "month": "2026-10"},
        {"unit": "SO-79", "month": "2026-10"},
        {"unit": "BMP", "month": "2026-10"},
    ):
        tree = _render(app, query, unit_head("SO-01"))
        text = render_text(tree)
        rank, of = _sample_rank("000.00.30.H01")
        assert f"Hạng {rank}/{of}" in text  # computed over every peer on the server
        assert _by_id(tree, "si-content")["props"]["data-unit"] == "SO-01"
        for other in (
            "Cao Bằng",
            "SO-79",
            "SO-04",
            "Bộ Mô phỏng",
            "69,65",
        ):  # names, codes, figures of others
            assert other not in text, (query, other)
        assert _by_id(tree, "si-ranking-own") is not None
        assert "Toàn cơ quan" not in text  # the picker offers only what the scope holds
    assert "Không có quyền xem đơn vị này" in text


def test_a_month_without_data_lists_everything_as_not_yet_known(store, build_app):
    app = build_app(store)
    tree = _render(app, {"unit": "SO-01", "month": "2026-10"})
    total = _cells(tree, "si-total")
    # Nothing known is not 0: every group and the total say "Chưa có số liệu", 100 points unknown.
    assert total[2] == "–" and total[3] == "Chưa có số liệu 100,00 điểm chưa có số liệu"
    assert _cells(tree, "si-group-progress")[3:6] == ["Chưa có số liệu 20,00 điểm chưa có số liệu", "–", "–"]
    assert "Chưa có điểm công bố cho tháng này" in " ".join(_texts(_by_id(tree, "si-summary")))
    bad = _render(app, {"unit": "SO-01", "month": "tháng mười"})
    assert "không hợp lệ" in render_text(bad)
