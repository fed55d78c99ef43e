"""The pure parts of the directive-tasks domain: counts (dashboard/kpi/tasks.py), working-day
deadlines, personal-data headers, row validation and the simulated tasks — no database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from collectors.personal import personal_columns
from collectors.records import RecordContext, Rejected
from collectors.sim_tasks import TaskGenerator, TaskSource
from collectors.simulator import AgencySimulator, demo_sim_units
from collectors.task_records import to_task
from dashboard.kpi.tasks import TaskFact, counts, days_overdue, task_extensions
from dashboard.kpi.workdays import WorkingCalendar

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
D = date


def fact(assigned, due, completed=None, extensions=(), cancelled=False) -> TaskFact:
    return TaskFact(1, assigned, due, tuple(extensions), completed, cancelled)


def test_counts_follow_the_2x2_with_the_due_date_in_force_that_day():
    tasks = [
        fact(D(2026, 3, 2), D(2026, 3, 10), D(2026, 3, 10)),  # completed on its due day: on time
        fact(D(2026, 3, 2), D(2026, 3, 10), D(2026, 3, 11)),  # one day late
        fact(D(2026, 3, 2), D(2026, 3, 31)),  # due on the period's last day: within deadline
        fact(D(2026, 3, 2), D(2026, 3, 30)),  # overdue at the end of 31/3
        fact(D(2026, 3, 2), None),  # thường xuyên
        fact(D(2026, 3, 2), D(2026, 3, 5), cancelled=True),  # nowhere
        # extended without an approval date: the extension counts from the start
        fact(D(2026, 3, 2), D(2026, 3, 5), extensions=[(None, D(2026, 4, 5))]),
        fact(D(2026, 4, 1), D(2026, 4, 3)),  # assigned after the period: not open in it
    ]
    c = counts(tasks, D(2026, 3, 1), D(2026, 3, 31), soon_days=7)
    assert c == {
        "task:assigned": 6,
        "task:completed": 2,
        "task:completed_timed": 2,
        "task:completed_on_time": 1,
        "task:completed_late": 1,
        "task:open": 4,
        "task:open_timed": 3,
        "task:open_in_time": 2,
        "task:open_late": 1,
        "task:open_untimed": 1,
        "task:due_soon": 2,  # 31/3 and 5/4 are within 7 days of 31/3
    }


def test_an_extension_approved_after_the_day_does_not_count_yet():
    t = fact(D(2026, 2, 1), D(2026, 2, 15), extensions=[(D(2026, 2, 25), D(2026, 3, 31))])
    assert counts([t], D(2026, 2, 1), D(2026, 2, 20))["task:open_late"] == 1
    assert counts([t], D(2026, 3, 1), D(2026, 3, 20))["task:open_late"] == 0
    assert task_extensions([{"due": "2026-03-31", "document": "x", "approved": None}]) == (
        (None, D(2026, 3, 31)),
    )
    assert (days_overdue(D(2026, 3, 1), D(2026, 3, 4)), days_overdue(None, D(2026, 3, 4))) == (3, None)


def test_working_day_deadlines_skip_weekends_and_holidays():
    cal = WorkingCalendar()
    assert cal.add_working_days(D(2026, 12, 4), 5) == D(2026, 12, 11)  # Friday + 5 → next Friday
    assert cal.add_working_days(D(2026, 4, 29), 1) == D(2026, 5, 4)  # 30/4 and 1/5 are holidays
    assert cal.add_working_days(D(2026, 12, 4), 0) == D(2026, 12, 4)


def test_personal_data_headers_are_recognised_without_diacritics_and_case():
    found = personal_columns(
        [
            "STT",
            "SỐ CCCD",
            "So dien thoai",
            "Họ và tên người dân",
            "Địa chỉ",
            "Nội dung",
            "Đơn vị chủ trì",
            None,
            5,
        ]
    )
    assert [i for i, _ in found] == [1, 2, 3, 4]
    assert personal_columns(["Đơn vị phối hợp", "Văn bản giao", "Tên nhiệm vụ"]) == []


def _ctx() -> RecordContext:
    return RecordContext("nv", TZ, TZ, {"BMP-VP": 1})


@pytest.mark.parametrize(
    "status, completed, expected",
    [
        ("Hoàn thành đúng hạn", "05/03/2026", "done"),
        ("Đang thực hiện quá hạn", None, "open"),
        ("Đang thực hiện", "05/03/2026", "done"),  # a completion date outranks the status
        ("Dừng thực hiện", None, "cancelled"),
        (None, None, "open"),
    ],
)
def test_status_words_of_the_report_categories(status, completed, expected):
    row = {"task_id": "T", "directive_ref": "1/TB", "lead_unit_code": "BMP-VP", "assigned_at": "02/03/2026"}
    record = to_task({**row, "status": status, "completed_at": completed, "due_at": "Thường xuyên"}, _ctx())
    assert (record["status"], record["recurring"], record["due_day"]) == (expected, True, None)


def test_bad_rows_say_why():
    base = {"task_id": "T", "directive_ref": "1/TB", "lead_unit_code": "BMP-VP", "assigned_at": "02/03/2026"}
    with pytest.raises(Rejected, match="status: 'xong rồi' is not a task status"):
        to_task({**base, "status": "xong rồi"}, _ctx())
    with pytest.raises(Rejected, match="earlier than the due date"):
        to_task({**base, "due_at": "20/03/2026", "extended_due_at": "10/03/2026"}, _ctx())
    with pytest.raises(Rejected, match="missing directive_ref"):
        to_task({**base, "directive_ref": " "}, _ctx())
    with pytest.raises(Rejected, match="completed_at 01/03/2026 is before assigned_at"):
        to_task({**base, "completed_at": "01/03/2026"}, _ctx())


def test_simulated_tasks_are_stable_and_weak_units_run_late_more_often():
    sim = AgencySimulator(demo_sim_units(), seed=2026, tz=TZ)
    gen = TaskGenerator(sim)
    days = [D(2026, 1, 5) + timedelta(days=i) for i in range(300)]
    tasks = [t for d in days for t in gen.day(d)]
    assert [t.task_id for t in tasks[:20]] == [t.task_id for d in days for t in TaskGenerator(sim).day(d)][
        :20
    ]
    assert 300 < len(tasks) < 900
    late = {True: [0, 0], False: [0, 0]}
    for t in tasks:
        if t.due is None or t.cancelled_at:
            continue
        due = t.extension[0] if t.extension else t.due
        weak = sim.performance(t.lead) < 0.75
        late[weak][1] += 1
        late[weak][0] += t.completed_at is None or t.completed_at.date() > due
    weak_share, strong_share = (late[True][0] / late[True][1]), (late[False][0] / late[False][1])
    assert weak_share > 2 * strong_share, (weak_share, strong_share)
    # A row as the office writes it: nothing before the assignment, the extension once approved.
    extended = next(t for t in tasks if t.extension is not None)
    names = {}
    assert extended.row(extended.assigned_at - timedelta(hours=1), names) is None
    before = extended.row(extended.extension[2] - timedelta(minutes=1), names)
    after = extended.row(extended.extension[2], names)
    assert "extended_due_at" not in before and after["extended_due_at"] == extended.extension[0]


def test_the_task_source_writes_a_sheet_only_near_the_present_and_on_change(tmp_path):
    sim = AgencySimulator(demo_sim_units(), seed=2026, tz=TZ)
    now = datetime(2026, 12, 7, 10, 0, tzinfo=TZ)
    source = TaskSource(tmp_path, sim, now - timedelta(days=30), {})
    assert source.advance(now - timedelta(days=10), now - timedelta(days=9), now=now) == 0  # the past
    assert source.advance(now - timedelta(days=1), now, now=now) > 0
    assert len(list(tmp_path.glob("*.xlsx"))) == 1
    # Nothing changed since that sheet: no new one; a later change gives a new sheet.
    assert source.advance(now - timedelta(minutes=5), now, now=now) == 0
    later = now + timedelta(days=1)
    changed = any(now < e <= later for t in source.tasks(later.date()) for e in t.events)
    assert (source.advance(now, later, now=later) > 0) == changed
    assert len(list(tmp_path.glob("*.xlsx"))) == 1 + changed
