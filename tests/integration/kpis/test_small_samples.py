"""Small samples are honest (issue 14, item 7), on SQLite and PostgreSQL: a ratio over fewer than
``IOC_MIN_SAMPLE`` items is listed without a rank and never among the units needing attention
unless asked, and a comparison with a period before the store's history is not growth."""

from __future__ import annotations

from flask import Flask

from dashboard.db import make_sessionmaker
from dashboard.kpi.periods import Period
from dashboard.kpi.ranking import rank_units
from dashboard.kpi.samples import min_sample
from layouts.components.kpi_tile import kpi_tile
from layouts.components.wall_parts import weakest
from tests.dash_support import render_text
from tests.integration.kpis.conftest import MTD, NOW, doc, dossier, feed, kpis


def _dossiers(unit: str, on_time: int, late: int) -> list[dict]:
    """Finished dossiers of ``unit`` in March 2026: on time (5/3, due 9/3) or late (12/3)."""
    rows = []
    for n in range(on_time + late):
        finished = "2026-03-05 09:00" if n < on_time else "2026-03-12 09:00"
        rows.append(
            dossier(
                f"{unit}-{n}", MaDonVi=unit, TrangThaiHoSo=10, NgayKetThucXuLy=finished, NgayCapNhat=finished
            )
        )
    return rows


def test_a_ratio_over_few_items_is_not_ranked_unless_asked(store):
    # SO-01: 10 of 12 on time (83 %); SO-79: 5 of 10 (50 %); SO-04: 3 of 3 (100 %, but only 3).
    feed(store, "dossiers", _dossiers("SO-01", 10, 2) + _dossiers("SO-79", 5, 5) + _dossiers("SO-04", 3, 0))
    with make_sessionmaker(store)() as session:
        honest = {
            r.code: r for r in rank_units(session, "DVC-06", MTD, level="province", now=NOW, min_sample=10)
        }
        asked = {
            r.code: r for r in rank_units(session, "DVC-06", MTD, level="province", now=NOW, min_sample=0)
        }
    assert (honest["SO-01"].rank, honest["SO-79"].rank) == (1, 2)
    assert honest["SO-04"].rank is None and honest["SO-04"].small_sample and honest["SO-04"].value == 1.0
    assert honest["SO-04"].denominator == 3
    # Asked for (?small=1): ranked first on its 3 dossiers.
    assert (asked["SO-04"].rank, asked["SO-01"].rank, asked["SO-79"].rank) == (1, 2, 3) and not asked[
        "SO-04"
    ].small_sample
    # The units needing attention: the weakest ranked — never the small sample, whatever its value.
    feed(store, "dossiers", _dossiers("SO-08", 0, 2))  # 0 of 2 on time: the worst figure, but only 2
    with make_sessionmaker(store)() as session:
        rows = rank_units(session, "DVC-06", MTD, level="province", now=NOW, min_sample=10)
    assert [r.code for r in weakest("DVC-06", rows)] == ["SO-79", "SO-01"]
    assert {r.code for r in rows if r.small_sample} == {"SO-04", "SO-08"}


def test_a_small_sample_tile_says_so_and_is_not_judged(store):
    feed(store, "dossiers", _dossiers("SO-04", 1, 2))
    result = kpis(store, "SO-04", ids=["DVC-06"])["DVC-06"]
    assert (result.numerator, result.denominator, result.status) == (1, 3, "red")
    text = render_text(kpi_tile(result, min_sample=10))
    assert (
        "ít mẫu (n = 3)" in text
        and "ioc-tile--none" in text
        and "ioc-tile--small" in text
        and "ioc-tile--red" not in text
    )
    assert "small sample (n = 3)" in render_text(kpi_tile(result, min_sample=10, lang="en"))
    assert "ít mẫu" not in render_text(
        kpi_tile(result, min_sample=3)
    )  # 3 items are enough when the minimum is 3


def test_the_minimum_comes_from_the_settings(make_settings):
    app = Flask("probe")
    app.config["IOC_SETTINGS"] = make_settings(min_sample=25)
    with app.app_context():
        assert min_sample() == 25
    assert min_sample() == 10  # outside an app: the default


def test_a_period_before_history_is_not_compared(store):
    feed(store, "documents", [doc(f"D{n}", registered_at="2026-03-05 09:00") for n in range(4)])
    r = kpis(store, "SO-01", ids=["VB-01"])["VB-01"]
    # History begins 5/3; the previous period (1–20/2) and last year have no data: no delta, no trend.
    assert r.value == 4
    assert (r.previous.value, r.previous.delta, r.previous.trend) == (None, None, None)
    assert r.previous.reason.code == "before_history" and "05/03/2026" in r.previous.reason.vi
    assert r.last_year.delta is None and r.last_year.reason.code == "before_history"
    text = render_text(kpi_tile(r))
    assert "so với kỳ trước" not in text
    # Once February has data, the comparison is real: 4 against 1.
    feed(store, "documents", [doc("FEB", registered_at="2026-02-10 09:00")])
    r = kpis(store, "SO-01", ids=["VB-01"])["VB-01"]
    assert (r.previous.value, r.previous.delta) == (1, 3)
    assert "so với kỳ trước" in render_text(kpi_tile(r))
    # The rank change too: no previous rank for a period before history.
    with make_sessionmaker(store)() as session:
        rows = rank_units(session, "VB-01", Period.month(2026, 2), level="province", now=NOW)
    assert all(row.previous_rank is None and row.rank_change is None for row in rows)


def test_the_dossiers_ranking_lists_small_samples_apart_unless_asked(store, build_app):
    import json
    from datetime import datetime, timedelta

    import dash

    from dashboard.timeutil import VN_TZ
    from tests.access_support import request_as

    day = datetime.now(VN_TZ).date() - timedelta(days=2)
    stamp = f"{day} 09:00"
    due = f"{day + timedelta(days=5)} 17:00"
    feed(
        store,
        "dossiers",
        [
            dossier(
                f"A{n}",
                MaDonVi="SO-01",
                KenhThucHien=2,
                NgayTiepNhan=stamp,
                NgayHenTra=due,
                NgayCapNhat=stamp,
            )
            for n in range(12)
        ]
        + [
            dossier(
                f"B{n}",
                MaDonVi="SO-79",
                KenhThucHien=1,
                NgayTiepNhan=stamp,
                NgayHenTra=due,
                NgayCapNhat=stamp,
            )
            for n in range(3)
        ],
    )
    app = build_app(store)
    page = next(p for p in dash.page_registry.values() if p["path"] == "/dossiers")

    def ranking(**extra):
        with request_as(app, "/dossiers"):
            text = render_text(page["layout"](period="rolling30", rank="DVC-02", unit="BMP-SO", **extra))
        return text, json.loads(text)

    text, _ = ranking()
    # SO-01 (12 dossiers, 100 % online) is ranked; SO-79 (3 dossiers) is listed apart, not drawn.
    assert '"data-count": "1"' in text
    assert "Ít mẫu (dưới 10 mục), không xếp hạng: " in text and "(n = 3)" in text
    assert "Xếp hạng cả đơn vị ít mẫu" in text and "small=1" in text
    asked, _ = ranking(small="1")
    assert (
        '"data-count": "2"' in asked
        and "Ít mẫu (dưới" not in asked
        and "Bỏ đơn vị ít mẫu khỏi xếp hạng" in asked
    )
