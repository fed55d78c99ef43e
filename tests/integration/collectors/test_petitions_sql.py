"""Petitions through the SQL view contract (``v_petitions``), read by the real SQL adapter from a
real SQLite source into SQLite and PostgreSQL — with a personal column the DBA left in the view:
dropped, never stored, reported."""

from __future__ import annotations

import sqlite3
from datetime import date

from sqlalchemy import select

from collectors.base import SourceConfig
from collectors.runner import Runner
from collectors.sql import SqlAdapter
from dashboard.db import make_sessionmaker
from dashboard.models import Petition, RejectedRecord

COLUMNS = (
    "MaPAKN",
    "SoHieu",
    "KenhTiepNhan",
    "LinhVuc",
    "KhanCap",
    "MaDonVi",
    "NgayTiepNhan",
    "HanXuLy",
    "TrangThai",
    "NgayXuLy",
    "DanhGia",
    "NgayCapNhat",
    "HoTenNguoiPhanAnh",  # must never reach the store
)


def test_the_view_lands_with_computed_deadlines_and_without_the_personal_column(store, tmp_path):
    path = tmp_path / "pakn.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"CREATE TABLE v_petitions ({', '.join(COLUMNS)})")
        rows = [
            # Received Thursday 5/3/2026, land (15 working days): deadline 26/3; handled on 10/3.
            (
                "T-1",
                "PAKN/1",
                1,
                "dat-dai",
                0,
                "SO-01",
                "2026-03-05 09:00:00",
                None,
                3,
                "2026-03-10 10:00:00",
                3,
                "2026-03-10 10:00:00",
                "Nguyễn Văn A",
            ),
            # Urgent, by hotline: 3 working days from Friday 6/3 → Wednesday 11/3; still open.
            (
                "T-2",
                None,
                "1022",
                "moi-truong",
                1,
                "SO-79",
                "2026-03-06 20:00:00",
                None,
                2,
                None,
                None,
                "2026-03-06 20:30:00",
                "Trần Thị B",
            ),
            # A deadline given by the source wins.
            (
                "T-3",
                "PAKN/3",
                2,
                "khac",
                0,
                "SO-01",
                "2026-03-02 09:00:00",
                "2026-03-04 17:00:00",
                1,
                None,
                None,
                "2026-03-02 09:00:00",
                "Lê C",
            ),
            # Unknown status: rejected with the reason, its personal value not kept.
            (
                "T-4",
                "PAKN/4",
                1,
                "khac",
                0,
                "SO-01",
                "2026-03-02 09:00:00",
                None,
                8,
                None,
                None,
                "2026-03-02 09:00:00",
                "Phạm D",
            ),
        ]
        conn.executemany(f"INSERT INTO v_petitions VALUES ({', '.join('?' * len(COLUMNS))})", rows)
    config = SourceConfig(
        name="pakn-tinh",
        domain="petitions",
        adapter="sql",
        interval_s=600,
        options={"url": f"sqlite:///{path}", "table": "v_petitions", "page_size": 50},
    )
    result = Runner(store, config, SqlAdapter(config), sleep=lambda s: None).run()
    assert (result.status, result.inserted, result.rejected) == ("success", 3, 1), result.error
    with make_sessionmaker(store)() as session:
        got = {p.source_id: p for p in session.scalars(select(Petition))}
        rejects = {r.kind: r for r in session.scalars(select(RejectedRecord))}
    assert got["T-1"].deadline_day == date(2026, 3, 26) and got["T-1"].handled_workdays == 3
    assert got["T-2"].deadline_day == date(2026, 3, 11) and got["T-2"].channel == 3
    assert got["T-2"].reference == "T-2"
    assert got["T-3"].deadline_day == date(2026, 3, 4) and not got["T-3"].deadline_computed
    assert set(rejects) == {"row", "personal"}
    assert "TrangThai" in rejects["row"].reason
    assert "HoTenNguoiPhanAnh" in rejects["personal"].reason
    for name in ("Nguyễn", "Trần", "Phạm", "Lê C"):
        assert all(name not in r.payload for r in rejects.values())
