"""Citizens' petitions KPIs (PAKN-01…PAKN-05) on hand-built data, on SQLite and PostgreSQL, with
their rollups, ranking and the 766 estimate's petition indicators.

Expected values are worked out in each test from its rows. Now is Friday 20/3/2026 10:00; month to
date is 1–20/3/2026. March 2026 has no public holiday; Tết 2026 is 15–21/2.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from collectors.base import Batch, RawRow, SourceConfig
from collectors.runner import Runner
from dashboard import rollups
from dashboard.db import make_sessionmaker
from dashboard.kpi.periods import Period
from dashboard.kpi.ranking import rank_units
from dashboard.models import Petition, RejectedRecord
from tests.integration.collectors.conftest import ListAdapter
from tests.integration.kpis.conftest import MTD, NOW, dossier, feed, kpis

PAKN = ("PAKN-01", "PAKN-02", "PAKN-03", "PAKN-04", "PAKN-05")


def petition(source_id: str, **fields) -> dict[str, Any]:
    """A petitions-view row with defaults: SO-01, national portal, land, handled on time."""
    row = {
        "MaPAKN": source_id,
        "MaDonVi": "SO-01",
        "KenhTiepNhan": 1,
        "LinhVuc": "dat-dai",
        "NgayTiepNhan": "2026-03-02 09:00",
        "HanXuLy": "2026-03-09 17:00",
        "TrangThai": 3,
        "NgayXuLy": "2026-03-06 10:00",
        "NgayCapNhat": "2026-03-20 08:00",
    }
    row.update(fields)
    return row


ROWS = [
    # P1: handled 6/3, before its deadline 9/3, rated satisfied: on time, good. 4 working days (3–6/3).
    petition("P1", DanhGia=3),
    # P2: deadline 10/3, result published 12/3: late; rated neutral. Working days 4–12/3: 7.
    petition(
        "P2",
        KenhTiepNhan="1022",
        NgayTiepNhan="2026-03-03 09:00",
        HanXuLy="2026-03-10 17:00",
        TrangThai=4,
        NgayXuLy="2026-03-12 15:00",
        DanhGia=2,
    ),
    # P3: on time (13/3 ≤ 16/3) but rated dissatisfied. Working days 5–13/3: 7.
    petition(
        "P3",
        NgayTiepNhan="2026-03-04 09:00",
        HanXuLy="2026-03-16 17:00",
        NgayXuLy="2026-03-13 11:00",
        DanhGia="Không hài lòng",
    ),
    # P4: being handled, deadline 12/3 passed: open and overdue now.
    petition("P4", NgayTiepNhan="2026-03-05 09:00", HanXuLy="2026-03-12 17:00", TrangThai=2, NgayXuLy=None),
    # P5: received 16/3, open, deadline 27/3.
    petition("P5", NgayTiepNhan="2026-03-16 09:00", HanXuLy="2026-03-27 17:00", TrangThai=1, NgayXuLy=None),
    # P6 refused, P7 forwarded to another unit: outside the unit's competence, counted nowhere.
    petition("P6", NgayTiepNhan="2026-03-06 09:00", TrangThai=5, NgayXuLy=None),
    petition("P7", NgayTiepNhan="2026-03-09 09:00", TrangThai="chuyển đơn vị khác", NgayXuLy=None),
    # P8: received 20/2 (a Tết day off), deadline 27/2, handled 3/3: late, handled in March.
    # Working days after 20/2 up to 3/3: 23–27/2 and 2–3/3 = 7.
    petition("P8", NgayTiepNhan="2026-02-20 09:00", HanXuLy="2026-02-27 17:00", NgayXuLy="2026-03-03 09:00"),
    # P9: no deadline from the source; "hanh-chinh" allows 7 working days: 10/3 (Tue) → 19/3.
    # Handled 19/3: on time. 7 working days.
    petition(
        "P9", LinhVuc="hanh-chinh", NgayTiepNhan="2026-03-10 09:00", HanXuLy=None, NgayXuLy="2026-03-19 15:00"
    ),
    # P10: urgent land petition received 17/3 (Tue), no deadline: 3 working days → 20/3 (today): open, not overdue.
    petition(
        "P10", KhanCap=1, NgayTiepNhan="2026-03-17 09:00", HanXuLy=None, TrangThai="đang xử lý", NgayXuLy=None
    ),
    # P11: another province (SO-79), handled on time, satisfied.
    petition(
        "P11",
        MaDonVi="SO-79",
        KenhTiepNhan=2,
        NgayTiepNhan="2026-03-02 09:00",
        HanXuLy="2026-03-05 17:00",
        NgayXuLy="2026-03-04 09:00",
        DanhGia=3,
    ),
]


@pytest.fixture
def petitions(store):
    feed(store, "petitions", ROWS)
    return store


def test_deadlines_in_working_days_per_category_and_urgent(petitions):
    with make_sessionmaker(petitions)() as session:
        rows = {p.source_id: p for p in session.scalars(select(Petition))}
    assert rows["P9"].deadline_day == date(2026, 3, 19) and rows["P9"].deadline_computed
    assert rows["P10"].deadline_day == date(2026, 3, 20) and rows["P10"].is_urgent
    assert rows["P1"].deadline_day == date(2026, 3, 9) and not rows["P1"].deadline_computed
    assert [rows[k].handled_workdays for k in ("P1", "P2", "P3", "P8", "P9")] == [4, 7, 7, 7, 7]
    assert rows["P2"].channel == 3 and rows["P7"].status == 6 and rows["P3"].rating == 1
    assert rows["P4"].handled_workdays is None


def test_the_five_kpis_month_to_date(petitions):
    r = kpis(petitions, "SO-01", ids=PAKN)
    # PAKN-01: received 1–20/3, refused (P6) and forwarded (P7) left out: P1 P2 P3 P4 P5 P9 P10.
    assert r["PAKN-01"].value == 7
    # PAKN-02: handled in March P1 P2 P3 P8 P9 (5) + open on 20/3 P4 P5 P10 (3) = 8; by the
    # deadline: P1 P3 P9 → 3/8.
    assert (r["PAKN-02"].numerator, r["PAKN-02"].denominator) == (3, 8)
    assert r["PAKN-02"].value == pytest.approx(0.375)
    parts = {k: f.value for k, f in r["PAKN-02"].parts.items()}
    assert parts == {"handled_on_time": 3, "handled_late": 2, "open": 3, "open_late": 1}
    # PAKN-03: not dissatisfied and not late — P1, P9 (P3 dissatisfied, P2 P8 late) and the open
    # ones not past their deadline on 20/3, P5 P10 (P4 is) → 4/8.
    assert (r["PAKN-03"].numerator, r["PAKN-03"].denominator) == (4, 8)
    assert r["PAKN-03"].parts["dissatisfied"].value == 1 and r["PAKN-03"].parts["late"].value == 3
    # PAKN-04: open with a deadline day before today: P4.
    assert r["PAKN-04"].value == 1 and r["PAKN-04"].parts["open"].value == 3
    # PAKN-05: (4 + 7 + 7 + 7 + 7) / 5 working days.
    assert r["PAKN-05"].value == pytest.approx(6.4)


def test_a_past_period_ends_with_the_open_and_late_petitions_of_its_last_day(petitions):
    r = kpis(petitions, "SO-01", period=Period.custom(date(2026, 3, 1), date(2026, 3, 13)), ids=PAKN)
    # Handled 1–13/3: P1 P2 P3 P8 (4). Open at the end of 13/3: P4 (late: deadline 12/3) and P9
    # (handled 19/3, deadline 19/3). Population 6; on time P1 P3 → 2/6.
    assert (r["PAKN-02"].numerator, r["PAKN-02"].denominator) == (2, 6)
    # Good: P1, and P9 open in time → 2/6.
    assert (r["PAKN-03"].numerator, r["PAKN-03"].denominator) == (2, 6)
    # PAKN-04 at the end of 13/3, from the facts' timestamps: P4 overdue, P4 and P9 open.
    assert r["PAKN-04"].value == 1 and r["PAKN-04"].parts["open"].value == 2
    # The previous period (February 1–20): P8 received on 20/2 and open at its end, not yet late.
    feb = kpis(petitions, "SO-01", ids=PAKN)
    assert feb["PAKN-01"].previous.value == 1
    assert feb["PAKN-02"].previous.value == 0.0
    assert feb["PAKN-03"].previous.value == 1.0


def test_rollups_equal_a_full_recompute_and_follow_updates(petitions):
    with make_sessionmaker(petitions)() as session:
        stored = {k: v for k, v in rollups.stored(session).items() if k[2].startswith("petition_")}
        full = {k: v for k, v in rollups.recompute_all(session).items() if k[2].startswith("petition_")}
    assert stored == full and stored
    # P4 is handled on 20/3 (late): the figures move with it.
    feed(petitions, "petitions", [ROWS[3] | {"TrangThai": 3, "NgayXuLy": "2026-03-20 09:00"}])
    r = kpis(petitions, "SO-01", ids=PAKN)
    assert r["PAKN-04"].value == 0
    assert (r["PAKN-02"].numerator, r["PAKN-02"].denominator) == (3, 8)
    assert r["PAKN-02"].parts["handled_late"].value == 3
    with make_sessionmaker(petitions)() as session:
        stored = {k: v for k, v in rollups.stored(session).items() if k[2].startswith("petition_")}
        full = {k: v for k, v in rollups.recompute_all(session).items() if k[2].startswith("petition_")}
    assert stored == full


def test_no_petitions_means_no_value_and_an_empty_unit_has_no_ratio(store):
    r = kpis(store, "SO-01", ids=PAKN)
    assert all(r[k].value is None and r[k].reason.code == "no_facts" for k in PAKN)
    feed(store, "petitions", ROWS[-1:])  # only SO-79's
    r = kpis(store, "SO-01", ids=PAKN)
    assert r["PAKN-01"].value == 0
    assert r["PAKN-02"].value is None and r["PAKN-02"].reason.code == "empty_denominator"


def test_ranking_on_handled_on_time(petitions):
    with make_sessionmaker(petitions)() as session:
        rows = rank_units(session, "PAKN-02", MTD, parent="BMP-SO", now=NOW)
    ranked = {r.code: r for r in rows}
    # SO-79 1/1, SO-01 3/8; the other provinces have no petition: no rank.
    assert (ranked["SO-79"].rank, ranked["SO-01"].rank) == (1, 2)
    assert ranked["SO-48"].rank is None and ranked["SO-48"].value is None


def _run(engine, rows: list[dict[str, Any]]):
    config = SourceConfig(name="test-petitions", domain="petitions", adapter="list", interval_s=60)
    adapter = ListAdapter(config, [Batch(rows=[RawRow(dict(r)) for r in rows])])
    return Runner(engine, config, adapter).run()


def test_personal_fields_are_dropped_before_anything_is_stored_and_reported(store):
    result = _run(
        store,
        [
            petition(
                "X1", HoTen="Nguyễn Văn A", SoDienThoai="0912345678", nguoiPhanAnh={"diaChi": "12 Lê Lợi"}
            ),
            # A bad row: its payload is stored as a reject — without the personal fields.
            petition("X2", TrangThai=9, Email="a@example.vn"),
        ],
    )
    # One row rejected; the "personal" line reports fields dropped from kept rows, not a reject.
    assert (result.status, result.inserted, result.rejected) == ("success", 1, 1)
    with make_sessionmaker(store)() as session:
        assert session.scalar(select(Petition.source_id)) == "X1"
        rejects = session.scalars(select(RejectedRecord)).all()
    by_kind = {r.kind: r for r in rejects}
    assert set(by_kind) == {"row", "personal"}
    assert "TrangThai" in by_kind["row"].reason
    assert "Email" not in by_kind["row"].payload and "0912345678" not in by_kind["row"].payload
    note = by_kind["personal"]
    assert "Email, HoTen, SoDienThoai, nguoiPhanAnh" in note.reason
    assert "Nguyễn" not in note.payload and "0912345678" not in note.payload
    with make_sessionmaker(store)() as session:
        columns = set(Petition.__table__.columns.keys())
    assert not any(c in columns for c in ("name", "phone", "address", "email"))


def test_the_766_satisfaction_group_uses_the_petitions_once_collected(store):
    # Dossiers for SO-01 in March: one finished on time, rated satisfied → DVC-13 = 100 % → 6 points.
    feed(store, "dossiers", [dossier("D1", TrangThaiHoSo=10, NgayKetThucXuLy="2026-03-06 09:00", DanhGia=3)])
    march = Period.month(2026, 3)
    before = kpis(store, "SO-01", period=march, ids=("DVC-14",))["DVC-14"].parts["satisfaction"]
    # Without petitions the two petition indicators (12 points) are not yet known.
    assert (before.value, before.denominator) == (6.0, 6.0)
    feed(store, "petitions", ROWS)
    after = kpis(store, "SO-01", period=march, ids=("DVC-14",))["DVC-14"].parts["satisfaction"]
    # Whole March (the period ends 31/3, past today: open petitions counted at today's state).
    r = kpis(
        store, "SO-01", period=march, ids=("PAKN-02", "PAKN-03"), compare_periods=False, with_series=False
    )
    on_time, satisfied = r["PAKN-02"].value, r["PAKN-03"].value
    assert (on_time, satisfied) == (pytest.approx(0.375), pytest.approx(0.5))
    # 6 × 0,375 = 2,25 and 6 × 0,5 = 3 join the dossier indicator's 6: 11,25 of 18.
    assert (after.value, after.denominator) == (pytest.approx(11.25), 18.0)
    # A unit with petitions collected in the store but none of its own: 6 + 6 by the rule, + 0
    # for dossiers (none) → 12 of 18.
    other = kpis(store, "SO-48", period=march, ids=("DVC-14",))["DVC-14"]
    assert (other.parts["satisfaction"].value, other.parts["satisfaction"].denominator) == (12.0, 18.0)
