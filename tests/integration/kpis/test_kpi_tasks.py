"""Directive-task KPIs (NV-01…NV-07) hand-worked on SQLite and PostgreSQL, with rankings.

Now is Friday 20/3/2026 10:00: month to date is 1–20/3/2026, the previous period 1–20/2/2026.
Every task goes through the real collector runner (validation, upsert) in the tasks view names.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from dashboard.db import make_sessionmaker
from dashboard.kpi.ranking import rank_units
from tests.integration.kpis.conftest import MTD, NOW, feed, kpis

TASK_IDS = ["NV-01", "NV-02", "NV-03", "NV-04", "NV-05", "NV-06", "NV-07"]


def task(task_id: str, assigned: str, due: str | None, unit: str = "SO-01", **fields) -> dict:
    return {
        "task_id": task_id,
        "directive_ref": "12/TB-BMP",
        "lead_unit_code": unit,
        "assigned_at": assigned,
        "due_at": due,
        **fields,
    }


def extension(due: str, approved: str) -> str:
    return json.dumps([{"due": due, "document": "99/BMP-VP", "approved": approved}])


def _tasks(store):
    feed(
        store,
        "tasks",
        [
            task("T1", "02/03/2026", "10/03/2026", completed_at="09/03/2026"),  # on time
            task("T2", "02/03/2026", "12/03/2026", completed_at="16/03/2026"),  # late
            # extended on 4/3 to 25/3: open, within deadline, due within 7 days
            task("T3", "25/02/2026", "05/03/2026", extensions=extension("2026-03-25", "2026-03-04")),
            task("T4", "10/02/2026", "28/02/2026"),  # open, overdue since 1/3
            task("T5", "03/03/2026", "Thường xuyên"),  # no deadline
            task("T6", "05/03/2026", "18/03/2026", status="Dừng thực hiện"),  # cancelled: nowhere
            task("T7", "01/02/2026", "10/02/2026", completed_at="05/03/2026"),  # late, overdue in Feb
            # extended on 18/3 to 19/3: overdue from 20/3 (on its due day still within the deadline)
            task("T8", "10/03/2026", "15/03/2026", extensions=extension("2026-03-19", "2026-03-18")),
            task("T9", "02/03/2026", "30/03/2026", unit="SO-79"),  # another unit, in time
            task("T10", "04/03/2026", "26/03/2026"),  # open, due soon
            task("T11", "02/03/2026", "Thường xuyên", completed_at="06/03/2026"),  # completed, untimed
            # due 15/2, extended on 25/2 to 31/3: overdue at the end of 20/2, within deadline now
            task("T12", "01/02/2026", "15/02/2026", extensions=extension("2026-03-31", "2026-02-25")),
        ],
    )


def test_task_kpis_hand_worked(store):
    _tasks(store)
    r = kpis(store, "SO-01", ids=TASK_IDS)
    # NV-01: assigned 1–20/3, cancelled T6 excluded: T1, T2, T5, T8, T10, T11.
    assert r["NV-01"].value == 6
    # Completed in the period: T1 on time, T2 and T7 late, T11 without a deadline.
    assert (r["NV-02"].value, r["NV-02"].numerator, r["NV-02"].denominator) == (pytest.approx(1 / 3), 1, 3)
    assert {k: p.value for k, p in r["NV-02"].parts.items()} == {"on_time": 1, "late": 2, "untimed": 1}
    assert (r["NV-03"].value, r["NV-03"].parts["completed"].value) == (2, 4)
    # Open at 20/3: T3, T10, T12 within deadline; T4, T8 overdue; T5 without a deadline.
    assert (r["NV-04"].value, r["NV-04"].parts["untimed"].value) == (3, 1)
    assert (r["NV-05"].value, r["NV-05"].parts["open"].value) == (2, 6)
    assert r["NV-05"].status == "amber"  # green at 0, red above 5
    # Due 21–27/3: T3 (25/3), T10 (26/3); T12 (31/3) is not.
    assert r["NV-06"].value == 2
    # (2 late + 2 overdue) ÷ (3 completed with a deadline + 5 open with one).
    assert (r["NV-07"].value, r["NV-07"].numerator, r["NV-07"].denominator) == (0.5, 4, 8)
    # The previous period 1–20/2: T4, T7, T12 assigned; at 20/2 T7 (due 10/2) and T12 (due 15/2,
    # its extension approved only on 25/2) were overdue, T4 (due 28/2) was not.
    assert r["NV-01"].previous.value == 3
    assert r["NV-05"].previous.value == 2
    assert r["NV-07"].previous.value == pytest.approx(2 / 3)
    # The daily series of NV-05 reads each day's end: 1/3 T4 and T7; 5/3 T7 completed; 19/3 T8 on
    # its (extended) due day is within it; 20/3 it is overdue.
    series = dict(r["NV-05"].series)
    assert (series[date(2026, 3, 1)], series[date(2026, 3, 5)], series[date(2026, 3, 19)]) == (2, 1, 1)
    assert series[date(2026, 3, 20)] == 2


def test_task_kpis_roll_up_and_rank(store):
    _tasks(store)
    root = kpis(store, None, ids=["NV-04", "NV-05"])
    assert (root["NV-04"].value, root["NV-05"].value) == (4, 2)  # SO-79's T9 counts at the top
    so79 = kpis(store, "SO-79", ids=["NV-02", "NV-04"])
    assert so79["NV-02"].value is None and so79["NV-02"].reason.code == "empty_denominator"
    assert so79["NV-04"].value == 1
    with make_sessionmaker(store)() as session:
        rows = rank_units(session, "NV-05", MTD, parent="BMP-SO", now=NOW)
        share = rank_units(session, "NV-07", MTD, parent="BMP-SO", now=NOW)
    by_code = {r.code: r for r in rows}
    # Lower is better: 33 provinces tie first at 0 overdue, SO-01 is last with 2.
    assert (by_code["SO-79"].rank, by_code["SO-01"].rank, len(rows)) == (1, 34, 34)
    shares = {r.code: r for r in share}
    # NV-07: SO-79 0 % (0 of 1) ranks first; units with no task have no value and no rank.
    assert (shares["SO-79"].value, shares["SO-79"].rank) == (0.0, 1)
    assert (shares["SO-01"].value, shares["SO-01"].rank) == (0.5, 2)
    assert shares["SO-04"].value is None and shares["SO-04"].rank is None


def test_without_task_facts_there_is_no_value_not_zero(store):
    r = kpis(store, "SO-01", ids=TASK_IDS)
    assert all(r[k].value is None for k in TASK_IDS)
    assert r["NV-05"].reason.code == "no_facts"
