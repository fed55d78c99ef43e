"""End-of-day snapshots keep the history of point-in-time KPIs (VB-05, DVC-04, DVC-08)."""

from datetime import date

from sqlalchemy import select

from dashboard.db import make_sessionmaker
from dashboard.kpi.periods import Period
from dashboard.models import KpiSnapshot
from dashboard.snapshots import SNAPSHOT_IDS, take_snapshot
from tests.integration.kpis.conftest import NOW, doc, dossier, feed, kpis, procedures, unit_ids


def test_snapshot_stores_every_unit_with_zeros_and_is_idempotent(store):
    feed(
        store,
        "dossiers",
        [dossier("a", NgayHenTra="2026-03-10 17:00"), dossier("b", MaDonVi="SO-79", TrangThaiHoSo=5)],
    )
    feed(store, "documents", [doc("d", due_at="2026-03-18 17:00", status_code="04")])
    procedures(store, [("SO-01", "P-A", "full", True, True), ("SO-01", "P-B", "none", False, True)])
    with make_sessionmaker(store).begin() as session:
        assert take_snapshot(session, date(2026, 3, 20), NOW) == 8 * 56
    with make_sessionmaker(store).begin() as session:
        take_snapshot(session, date(2026, 3, 20), NOW)  # the job ran twice: the same rows
        rows = session.execute(select(KpiSnapshot.unit_id, KpiSnapshot.kpi_id, KpiSnapshot.value)).all()
    assert len(rows) == 8 * 56 and {k for _, k, _ in rows} == set(SNAPSHOT_IDS)
    ids = unit_ids(store)
    values = {(u, k): v for u, k, v in rows}
    assert values[(ids["SO-01"], "DVC-08.overdue")] == 1 and values[(ids["SO-01"], "DVC-08.open")] == 1
    assert values[(ids["SO-79"], "DVC-08.paused")] == 1 and values[(ids["SO-79"], "DVC-08.overdue")] == 0
    assert values[(ids["SO-01"], "VB-05.overdue")] == 1
    assert (values[(ids["SO-01"], "DVC-04.all")], values[(ids["SO-01"], "DVC-04.online")]) == (2, 1)
    assert values[(ids["BMP-VP"], "DVC-08.open")] == 0  # a unit with nothing open has a row: 0, not missing


def test_past_periods_read_point_in_time_kpis_from_snapshots(store):
    feed(store, "documents", [doc("d", due_at="2026-02-10 17:00", status_code="04")])
    procedures(store, [("SO-01", "P-A", "full", True, True), ("SO-01", "P-B", "none", False, True)])
    february = Period.month(2026, 2)
    r = kpis(store, "SO-01", february, ["VB-05", "DVC-04"])
    # Without a snapshot, from the facts: d was registered on 2/3, so nothing was open in February.
    assert r["VB-05"].value == 0 and r["VB-05"].reason is None
    assert r["DVC-04"].value is None and r["DVC-04"].reason.vi.endswith("28/02/2026")
    with make_sessionmaker(store).begin() as session:
        take_snapshot(session, date(2026, 2, 28), NOW)
    r = kpis(store, "SO-01", february, ["VB-05", "DVC-04"])
    assert (
        r["VB-05"].value == 1
    )  # the snapshot (a cache, taken over today's store) wins: open, due 10/2 < 28/2
    assert (r["DVC-04"].numerator, r["DVC-04"].denominator) == (1, 2)
    # This month's sparkline of DVC-04: no snapshot on the past days, the live value today.
    series = dict(kpis(store, "SO-01", ids=["DVC-04"])["DVC-04"].series)
    assert series[date(2026, 3, 19)] is None and series[date(2026, 3, 20)] == 0.5
