"""Directive tasks arrive through the real adapters: the shipped XLSX follow-up template (merged
title rows, real and text dates, a personal-data column refused and reported) through the file
adapter, and the tasks view contract through the SQL adapter — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date, datetime

import openpyxl
from sqlalchemy import func, select

from collectors.base import SourceConfig
from collectors.file import FileAdapter
from collectors.runner import Runner
from collectors.sql import SqlAdapter
from collectors.task_template import SAMPLE_ROWS, SAMPLE_UNITS, TASK_COLUMNS, TEMPLATE, write_workbook
from dashboard.db import make_sessionmaker
from dashboard.models import OrgUnit, RejectedRecord, Task

PHONE = "0912345678"


def file_source(folder, **options) -> SourceConfig:
    return SourceConfig(
        name="theo-doi-nv",
        domain="tasks",
        adapter="file",
        interval_s=60,
        options={
            "folder": str(folder),
            "pattern": "*.xlsx",
            "columns": TASK_COLUMNS,
            "settle_seconds": 0,
            **options,
        },
        units=dict(SAMPLE_UNITS),
    )


def run(store, config, adapter_class=FileAdapter):
    return Runner(store, config, adapter_class(config), sleep=lambda s: None).run()


def _tasks(store) -> dict[str, Task]:
    with make_sessionmaker(store)() as session:
        return {t.source_id: t for t in session.scalars(select(Task))}


def _unit_code(store, unit_id: int) -> str:
    with make_sessionmaker(store)() as session:
        return session.get(OrgUnit, unit_id).code


def test_the_shipped_template_is_the_sample_and_has_merged_title_rows():
    sheet = openpyxl.load_workbook(TEMPLATE).active
    assert sorted(str(r) for r in sheet.merged_cells.ranges) == ["A1:Q1", "A2:Q2"]
    assert [c.value for c in sheet[4]][1:] == list(TASK_COLUMNS)
    assert sheet.max_row == 4 + len(SAMPLE_ROWS)


def test_the_shipped_template_imports_whole(store, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    shutil.copy(TEMPLATE, folder / "nhiem-vu-2026-12.xlsx")
    result = run(store, file_source(folder))
    assert (result.status, result.inserted, result.rejected) == ("success", 3, 0)
    tasks = _tasks(store)
    done, extended, ongoing = tasks["NV-2026-001"], tasks["NV-2026-002"], tasks["NV-2026-003"]
    # a text date ("28/10/2026", as typed) and real dates land on the same local days
    assert (done.status, done.completed_day, done.due_day, done.result_ref) == (
        "done",
        date(2026, 10, 28),
        date(2026, 10, 30),
        "312/BC-KHTC",
    )
    assert _unit_code(store, done.lead_unit_id) == "BMP-KHTC"
    assert done.supporting_units == ["BMP-VP", "BMP-CDS"]  # names mapped by [source.units]
    assert (extended.original_due_day, extended.due_day, extended.status) == (
        date(2026, 11, 15),
        date(2026, 12, 15),
        "open",
    )
    assert extended.extensions == [{"due": "2026-12-15", "document": "1520/BMP-VP", "approved": "2026-11-12"}]
    assert (ongoing.recurring, ongoing.due_day, ongoing.directive_ref) == (True, None, "88/CT-BMP")
    assert (folder / "archive" / "nhiem-vu-2026-12.xlsx").exists()


def test_a_personal_data_column_is_refused_and_bad_rows_rejected_with_reasons(store, tmp_path):
    folder = tmp_path / "drop"
    rows = [
        *SAMPLE_ROWS,
        {**SAMPLE_ROWS[0], "task_id": "NV-BAD-1", "due_at": date(2026, 10, 1)},  # due before assigned
        {**SAMPLE_ROWS[0], "task_id": "NV-BAD-2", "lead_unit_code": "Sở không có"},
        {**SAMPLE_ROWS[1], "task_id": "NV-BAD-3", "status": "Hoàn thành", "completed_at": None},
        {**SAMPLE_ROWS[1], "task_id": "NV-BAD-4", "due_at": "31/02/2026"},
    ]
    write_workbook(
        folder / "nv.xlsx", rows, as_of=date(2026, 12, 1), extra={"Số điện thoại người dân": PHONE}
    )
    result = run(store, file_source(folder))
    assert (result.status, result.inserted) == ("success", 3)
    with make_sessionmaker(store)() as session:
        rejects = list(session.scalars(select(RejectedRecord).order_by(RejectedRecord.id)))
        assert session.scalar(select(func.count()).select_from(Task)) == 3
    column = [r for r in rejects if r.kind == "column"]
    assert len(column) == 1 and column[0].line_no == 4
    assert "'Số điện thoại người dân'" in column[0].reason and "personal data" in column[0].reason
    # the refused column's values are read nowhere: not in a reject, not in a task
    assert all(PHONE not in r.payload for r in rejects)
    by_line = {r.line_no: r.reason for r in rejects if r.kind == "row"}
    assert by_line == {
        8: "due_at 01/10/2026 is before assigned_at 06/10/2026",
        9: "unknown unit 'Sở không có' (lead_unit_code); add it to the units file or the source's unit mapping",
        10: "status Hoàn thành without completed_at: give the completion date",
        11: "due_at: unparseable date '31/02/2026'",
    }


def test_personal_columns_are_refused_only_where_configured(store, tmp_path):
    folder = tmp_path / "drop"
    write_workbook(folder / "nv.xlsx", SAMPLE_ROWS[:1], extra={"Họ và tên người dân": "Nguyễn Văn A"})
    result = run(store, file_source(folder, refuse_personal_columns=False))
    assert (result.inserted, result.rejected) == (1, 0)


class TaskSystem:
    """A real SQLite 'task tracking system' exposing the tasks view contract."""

    COLUMNS = (
        "task_id",
        "directive_ref",
        "directive_date",
        "directive_issuer",
        "content",
        "lead_unit_code",
        "supporting_units",
        "assigned_at",
        "due_at",
        "due_workdays",
        "extensions",
        "status",
        "completed_at",
        "result_ref",
        "updated_at",
    )

    def __init__(self, path):
        self.path = path
        with sqlite3.connect(path) as conn:
            conn.execute(f"CREATE TABLE v_tasks ({', '.join(c + ' TEXT' for c in self.COLUMNS)})")

    def put(self, **row) -> None:
        with sqlite3.connect(self.path) as conn:
            conn.execute(
                f"INSERT INTO v_tasks VALUES ({', '.join('?' for _ in self.COLUMNS)})",
                [row.get(c) for c in self.COLUMNS],
            )


def test_the_tasks_view_with_extension_history_and_working_day_deadlines(store, tmp_path):
    system = TaskSystem(tmp_path / "nv.db")
    history = [
        {"due": "2026-11-30", "document": "10/BMP-VP", "approved": "2026-11-10"},
        {"due": "2026-12-31", "document": "22/BMP-VP", "approved": "2026-11-28"},
    ]
    system.put(
        task_id="T1",
        directive_ref="12/TB-BMP",
        lead_unit_code="BMP-CDS",
        assigned_at="2026-11-02 08:00:00",
        due_at="2026-11-13",
        extensions=json.dumps(history),
        status="Đang thực hiện quá hạn",
        updated_at="2026-11-28 10:00:00",
    )
    # 5 working days from Friday 4/12/2026: the following Friday
    system.put(
        task_id="T2",
        directive_ref="13/TB-BMP",
        lead_unit_code="BMP-VP",
        assigned_at="2026-12-04 09:00:00",
        due_workdays="5",
        updated_at="2026-12-04 09:00:00",
    )
    system.put(
        task_id="T3",
        directive_ref="13/TB-BMP",
        lead_unit_code="BMP-VP",
        assigned_at="2026-12-04",
        extensions="[not json",
        updated_at="2026-12-04 09:00:00",
    )
    config = SourceConfig(
        name="nv-sql",
        domain="tasks",
        adapter="sql",
        interval_s=60,
        options={"url": f"sqlite:///{system.path}"},
    )
    result = run(store, config, SqlAdapter)
    assert (result.status, result.inserted, result.rejected) == ("success", 2, 1)
    tasks = _tasks(store)
    assert (tasks["T1"].original_due_day, tasks["T1"].due_day, len(tasks["T1"].extensions)) == (
        date(2026, 11, 13),
        date(2026, 12, 31),
        2,
    )
    assert tasks["T1"].status == "open"
    assert tasks["T2"].due_day == date(2026, 12, 11)
    assert tasks["T1"].assigned_at.replace(tzinfo=None) == datetime(2026, 11, 2, 1, 0)  # stored in UTC
    with make_sessionmaker(store)() as session:
        reason = session.scalar(select(RejectedRecord.reason))
    assert reason == "extensions: not a JSON list of {due, document, approved}"


def test_extension_history_is_kept_across_sheets_and_a_repeated_id_is_reported(store, tmp_path):
    folder = tmp_path / "drop"
    write_workbook(folder / "nv-1.xlsx", SAMPLE_ROWS, as_of=date(2026, 11, 20))
    assert run(store, file_source(folder)).inserted == 3
    # The next week's sheet shows only the new extension of NV-2026-002 (and the task twice).
    second = {
        **SAMPLE_ROWS[1],
        "extended_due_at": date(2026, 12, 31),
        "extension_ref": "1600/BMP-VP",
        "extension_approved_at": date(2026, 11, 25),
        "updated_at": datetime(2026, 11, 25, 9, 0),
    }
    write_workbook(folder / "nv-2.xlsx", [second, {**second, "content": "bản sao"}], as_of=date(2026, 11, 25))
    result = run(store, file_source(folder))
    assert (result.updated, result.rejected) == (1, 1)
    task = _tasks(store)["NV-2026-002"]
    assert [e["document"] for e in task.extensions] == ["1520/BMP-VP", "1600/BMP-VP"]
    assert (task.original_due_day, task.due_day) == (date(2026, 11, 15), date(2026, 12, 31))
    with make_sessionmaker(store)() as session:
        duplicate = session.scalars(select(RejectedRecord).where(RejectedRecord.kind == "duplicate")).one()
    assert duplicate.line_no == 6 and "duplicate id 'NV-2026-002'" in duplicate.reason
