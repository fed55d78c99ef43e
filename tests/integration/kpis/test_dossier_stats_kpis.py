"""KPIs from OpenCPS aggregate counts for units without dossier-level data — hand-worked, on
SQLite and PostgreSQL. "Now" is Friday 20/3/2026 10:00 (conftest): month to date is 1–20/3.

SO-79 publishes only OpenCPS monthly counts:

=========  ========  ======  ========  =====  =======  ====  ==========  =======
month      received  online  resolved  early  on time  late  processing  overdue
=========  ========  ======  ========  =====  =======  ====  ==========  =======
2026-01    50        10      45        20     20       5     8           1
2026-02    60        30      40        10     20       10    12          2
2026-03    30        15      20        5      10       5     15          4
=========  ========  ======  ========  =====  =======  ====  ==========  =======
"""

from __future__ import annotations

import doctest

import pytest

from dashboard.kpi import stats
from dashboard.kpi.periods import Period
from tests.integration.kpis.conftest import MTD, NOW, TODAY, dossier, feed, kpis

STATS = {
    "2026-01": (50, 10, 45, 20, 20, 5, 8, 1),
    "2026-02": (60, 30, 40, 10, 20, 10, 12, 2),
    "2026-03": (30, 15, 20, 5, 10, 5, 15, 4),
}
COLUMNS = (
    "received",
    "received_online",
    "resolved",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "processing",
    "overdue",
)  # the table's order
ENDS = {"2026-01": "2026-01-31", "2026-02": "2026-02-28", "2026-03": "2026-03-31"}
IDS = ("DVC-01", "DVC-02", "DVC-04", "DVC-06", "DVC-07", "DVC-08", "DVC-09", "DVC-14")


def stat_rows(unit: str = "SO-79", table=STATS, **override) -> list[dict]:
    rows = []
    for month, values in table.items():
        row = {"MaDonVi": unit, "period_start": f"{month}-01", "period_end": ENDS[month]}
        row.update(zip(COLUMNS, values, strict=True))
        row.update(override)
        rows.append(row)
    return rows


def so01_dossiers() -> list[dict]:
    """SO-01 has dossier-level data: A open and overdue, B online and open, C finished early, D late."""
    return [
        dossier("A"),
        dossier("B", KenhThucHien=2, NgayTiepNhan="2026-03-05 09:00", NgayHenTra="2026-03-25 17:00"),
        dossier(
            "C",
            NgayTiepNhan="2026-03-03 09:00",
            NgayHenTra="2026-03-10 17:00",
            NgayKetThucXuLy="2026-03-08 10:00",
            TrangThaiHoSo=10,
        ),
        dossier(
            "D",
            NgayTiepNhan="2026-03-04 09:00",
            NgayHenTra="2026-03-06 17:00",
            NgayKetThucXuLy="2026-03-12 10:00",
            TrangThaiHoSo=9,
        ),
    ]


def test_doctests():
    assert doctest.testmod(stats).failed == 0


@pytest.mark.parametrize(
    "facts_elsewhere", [False, True], ids=["no-dossiers-anywhere", "dossiers-in-other-units"]
)
def test_stats_only_unit_month_to_date(store, facts_elsewhere):
    feed(store, "dossier_stats", stat_rows())
    if facts_elsewhere:
        feed(store, "dossiers", so01_dossiers())
    r = kpis(store, "SO-79", MTD, IDS)
    assert (r["DVC-01"].value, r["DVC-01"].from_aggregates) == (30, True)
    assert (r["DVC-02"].value, r["DVC-02"].numerator, r["DVC-02"].denominator) == (0.5, 15, 30)
    assert (r["DVC-07"].value, r["DVC-07"].numerator, r["DVC-07"].denominator) == (0.75, 15, 20)
    parts = r["DVC-07"].parts
    assert (parts["early"].value, parts["on_time"].value, parts["late"].value) == (0.25, 0.5, 0.25)
    assert parts["returned"].value is None and parts["returned"].reason.code == "not_in_aggregates"
    assert (r["DVC-08"].value, r["DVC-08"].parts["in_progress"].value, r["DVC-08"].from_aggregates) == (
        4,
        15,
        True,
    )
    assert (
        r["DVC-08"].parts["paused"].value is None
        and r["DVC-08"].parts["due_soon"].reason.code == "not_in_aggregates"
    )
    assert all(r[k].from_aggregates for k in ("DVC-01", "DVC-02", "DVC-07", "DVC-08"))
    # The KPIs the counts do not determine: no value, never 0.
    for kpi in ("DVC-06", "DVC-09", "DVC-14"):
        assert (
            r[kpi].value is None and r[kpi].reason.code == "aggregates_only" and not r[kpi].from_aggregates
        ), kpi
    assert r["DVC-04"].reason.code == "no_catalogue"  # catalogue-only: untouched
    # 1–20 February is not whole months: the comparison has no value; no day of the sparkline either.
    assert r["DVC-01"].previous.value is None and r["DVC-01"].previous.reason.code == "aggregates_period"
    assert r["DVC-01"].series and all(v is None for _, v in r["DVC-01"].series)


def test_whole_months_quarter_and_a_past_month(store):
    feed(store, "dossier_stats", stat_rows())
    q1 = kpis(store, "SO-79", Period.quarter(2026, 1), IDS)
    assert q1["DVC-01"].value == 140
    assert (q1["DVC-02"].numerator, q1["DVC-02"].denominator) == (55, 140)
    assert (q1["DVC-07"].numerator, q1["DVC-07"].denominator) == (85, 105)  # (35 + 50) ÷ 105
    assert q1["DVC-07"].parts["late"].value == pytest.approx(20 / 105)
    assert q1["DVC-08"].value == 4  # the state at the period's end: March, now
    assert q1["DVC-01"].previous.value is None  # Q4 2025: no counts
    feb = kpis(store, "SO-79", Period.month(2026, 2), IDS)
    assert (feb["DVC-01"].value, feb["DVC-02"].value, feb["DVC-07"].value) == (60, 0.5, 0.75)
    assert (feb["DVC-08"].value, feb["DVC-08"].parts["in_progress"].value) == (2, 12)  # February's end
    assert (
        feb["DVC-01"].previous.value == 50 and feb["DVC-01"].previous.trend is None
    )  # January; counts have no direction
    assert feb["DVC-02"].previous.value == 0.2 and feb["DVC-02"].previous.trend == "better"


@pytest.mark.parametrize(
    "period",
    [Period.rolling(7, TODAY), Period.custom(MTD.start, MTD.start.replace(day=10)), Period.month(2025, 12)],
)
def test_periods_the_months_do_not_tile_have_no_value(store, period):
    feed(store, "dossier_stats", stat_rows())
    r = kpis(store, "SO-79", period, IDS)
    for kpi in ("DVC-01", "DVC-02", "DVC-07", "DVC-08"):
        assert r[kpi].value is None and r[kpi].reason.code == "aggregates_period", kpi


def test_a_parent_scope_adds_the_counts_to_its_other_units_dossiers(store):
    feed(store, "dossier_stats", stat_rows())
    feed(store, "dossiers", so01_dossiers())
    alone = kpis(store, "SO-01", MTD, IDS)
    assert (alone["DVC-01"].value, alone["DVC-02"].value, alone["DVC-08"].value) == (4, 0.25, 1)
    assert (
        alone["DVC-07"].numerator,
        alone["DVC-07"].denominator,
        alone["DVC-08"].parts["in_progress"].value,
    ) == (1, 2, 2)
    assert not any(alone[k].from_aggregates for k in IDS)
    assert alone["DVC-06"].value is not None  # SO-01 keeps every KPI
    both = kpis(store, "BMP-SO", MTD, IDS)
    assert (both["DVC-01"].value, both["DVC-01"].from_aggregates) == (34, True)
    assert (both["DVC-02"].numerator, both["DVC-02"].denominator) == (16, 34)
    assert (both["DVC-07"].numerator, both["DVC-07"].denominator) == (16, 22)
    assert (both["DVC-08"].value, both["DVC-08"].parts["in_progress"].value) == (5, 17)
    for kpi in ("DVC-06", "DVC-09", "DVC-14"):
        assert both[kpi].value is None and both[kpi].reason.code == "aggregates_only", kpi
    agency = kpis(store, None, MTD, ("DVC-01",))
    assert agency["DVC-01"].value == 34


def test_a_unit_with_dossiers_ignores_its_aggregates(store):
    feed(store, "dossier_stats", stat_rows("SO-01"))
    feed(store, "dossiers", so01_dossiers())
    r = kpis(store, "SO-01", MTD, IDS)
    assert (r["DVC-01"].value, r["DVC-01"].from_aggregates) == (4, False)


def test_a_parent_with_aggregates_over_sub_units_with_data_has_no_value(store):
    feed(store, "dossier_stats", stat_rows("BMP-SO"))
    feed(store, "dossiers", so01_dossiers())
    r = kpis(store, "BMP-SO", MTD, ("DVC-01", "DVC-07"))
    assert r["DVC-01"].value is None and r["DVC-01"].reason.code == "aggregates_overlap"
    assert kpis(store, "SO-01", MTD, ("DVC-01",))["DVC-01"].value == 4


def test_counts_the_source_leaves_out_are_no_data(store):
    feed(store, "dossier_stats", stat_rows(overdue=None, received_online=None))
    r = kpis(store, "SO-79", MTD, IDS)
    assert r["DVC-01"].value == 30
    assert r["DVC-02"].value is None and r["DVC-02"].reason.code == "not_in_aggregates"
    assert r["DVC-08"].value is None and r["DVC-08"].reason.code == "not_in_aggregates"
    assert r["DVC-07"].value == 0.75


def test_no_aggregates_changes_nothing(store):
    feed(store, "dossiers", so01_dossiers())
    r = kpis(store, "SO-79", MTD, ("DVC-01", "DVC-07"))
    assert (
        r["DVC-01"].value == 0 and not r["DVC-01"].from_aggregates
    )  # a unit of a store with dossiers, none its own


def test_rankings_use_the_aggregates_of_stats_only_units(store):
    from sqlalchemy import select

    from dashboard.db import make_sessionmaker
    from dashboard.kpi.ranking import rank_units
    from dashboard.kpi.values import Scope
    from dashboard.models import OrgUnit

    feed(store, "dossier_stats", stat_rows())
    feed(store, "dossiers", so01_dossiers())
    with make_sessionmaker(store)() as session:
        ids = dict(session.execute(select(OrgUnit.code, OrgUnit.id)).all())
        scopes = [
            Scope(
                key=c,
                unit_id=ids[c],
                unit_ids=(ids[c],),
                code=c,
                name_vi=c,
                name_en=c,
                include_children=False,
            )
            for c in ("SO-01", "SO-79")
        ]
        rows = {r.code: r for r in rank_units(session, "DVC-01", MTD, scopes, now=NOW)}
    # SO-79's 30 dossiers received this month come from its OpenCPS counts; SO-01 has 4 of its own.
    assert (rows["SO-79"].value, rows["SO-01"].value) == (30, 4)
    assert rows["SO-79"].rank == 1 and rows["SO-01"].rank == 2
