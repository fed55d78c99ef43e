"""Validation of directive tasks (domain.md §7): a raw row in the tasks view contract (or the
follow-up spreadsheet, through its column mapping) becomes a canonical ``task`` record, or is
rejected with a reason an officer can act on.

Contract names (README "Tasks view")::

    task_id, directive_ref, directive_date, directive_issuer, content, lead_unit_code,
    supporting_units ("SO-TC; SO-KHDT"), assigned_at, due_at (a date, or "Thường xuyên"),
    due_workdays (a deadline in working days from the assignment, when due_at is empty),
    extensions (JSON: [{"due": "2026-06-30", "document": "12/UBND-TH", "approved": "2026-06-20"}])
    or the latest extension only: extended_due_at, extension_ref, extension_approved_at,
    status, completed_at, result_ref, updated_at

>>> from zoneinfo import ZoneInfo
>>> tz = ZoneInfo("Asia/Ho_Chi_Minh")
>>> ctx = RecordContext("nv", tz, tz, {"SO-TC": 1})
>>> r = to_task({"task_id": "NV-1", "directive_ref": "45/TB-UBND", "lead_unit_code": "SO-TC",
...              "assigned_at": "01/12/2026", "due_workdays": "5", "status": "Đang thực hiện"}, ctx)
>>> r["due_day"], r["status"]
(datetime.date(2026, 12, 8), 'open')
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from typing import Any

from collectors.parse import is_empty, parse_count
from collectors.records import RecordContext, Rejected, _field, _required_id
from dashboard.kpi.workdays import WorkingCalendar

#: The built-in working-day calendar (Vietnamese public holidays): deadlines given in working days.
CALENDAR = WorkingCalendar()

#: Due cells that mean "no deadline": the task is ongoing and left out of timeliness.
_RECURRING = ("thuong xuyen", "hang nam", "hang thang", "hang quy", "lien tuc", "recurring", "ongoing")
#: Status words, compared without diacritics and case; the Government's report categories
#: ("Hoàn thành đúng hạn", "Đang thực hiện quá hạn" …) start with one of them.
_STATUS_PREFIXES = (
    ("hoan thanh", "done"),
    ("da hoan thanh", "done"),
    ("done", "done"),
    ("completed", "done"),
    ("dang thuc hien", "open"),
    ("chua thuc hien", "open"),
    ("chua hoan thanh", "open"),
    ("dang trien khai", "open"),
    ("open", "open"),
    ("in progress", "open"),
    ("dung thuc hien", "cancelled"),
    ("khong thuc hien", "cancelled"),
    ("huy", "cancelled"),
    ("da huy", "cancelled"),
    ("thu hoi", "cancelled"),
    ("cancelled", "cancelled"),
)
_SPLIT_UNITS = re.compile(r"[;,\n]+")
MAX_CONTENT = 2000


def plain(text: str) -> str:
    """Lower case without Vietnamese diacritics: ``"Thường xuyên"`` → ``"thuong xuyen"``."""
    text = unicodedata.normalize("NFD", str(text).strip().lower()).replace("đ", "d")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return " ".join(text.split())


def _status(raw: Any) -> str | None:
    if is_empty(raw):
        return None
    text = plain(raw)
    for prefix, status in _STATUS_PREFIXES:
        if text.startswith(prefix):
            return status
    raise Rejected(f"status: {raw!r} is not a task status (Đang thực hiện, Hoàn thành, Dừng thực hiện / Hủy)")


def _day(ctx: RecordContext, data: dict[str, Any], name: str) -> date | None:
    return ctx.day(ctx.when(data, name))


def _text(data: dict[str, Any], name: str, limit: int) -> str | None:
    raw = data.get(name)
    return None if is_empty(raw) else str(raw).strip()[:limit]


def _due(data: dict[str, Any], ctx: RecordContext, assigned: date | None) -> tuple[date | None, bool]:
    """(original due day, recurring) from ``due_at`` or ``due_workdays``."""
    raw = data.get("due_at")
    if isinstance(raw, str) and plain(raw).startswith(_RECURRING):
        return None, True
    due = _day(ctx, data, "due_at")
    if due is None and not is_empty(data.get("due_workdays")):
        days = _field(parse_count, data, "due_workdays")
        if assigned is None:
            raise Rejected("due_workdays without assigned_at: the deadline cannot be counted")
        due = CALENDAR.add_working_days(assigned, days)
    return due, False


def _extensions(data: dict[str, Any], ctx: RecordContext) -> list[dict[str, Any]]:
    """The extension history, oldest first: ``extensions`` (JSON) or the latest-extension columns."""
    raw = data.get("extensions")
    items: list[dict[str, Any]] = []
    if not is_empty(raw):
        try:
            parsed = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            raise Rejected("extensions: not a JSON list of {due, document, approved}") from None
        if not isinstance(parsed, list) or not all(isinstance(e, dict) for e in parsed):
            raise Rejected("extensions: not a JSON list of {due, document, approved}")
        items = parsed
    elif not is_empty(data.get("extended_due_at")):
        items = [
            {
                "due": data.get("extended_due_at"),
                "document": data.get("extension_ref"),
                "approved": data.get("extension_approved_at"),
            }
        ]
    out = []
    for i, item in enumerate(items, start=1):
        fields = {"due": item.get("due"), "approved": item.get("approved")}
        due = _day(ctx, fields, "due")
        if due is None:
            raise Rejected(f"extension {i}: no new due date")
        approved = _day(ctx, fields, "approved")
        document = item.get("document")
        out.append(
            {
                "due": due.isoformat(),
                "document": None if is_empty(document) else str(document).strip()[:128],
                "approved": approved.isoformat() if approved else None,
            }
        )
    out.sort(key=lambda e: (e["approved"] or e["due"], e["due"]))
    return out


def _supporting(data: dict[str, Any], ctx: RecordContext) -> list[str] | None:
    raw = data.get("supporting_units")
    if is_empty(raw):
        return None
    codes = []
    for part in _SPLIT_UNITS.split(str(raw)):
        code = part.strip()
        if code:
            codes.append(ctx.unit_map.get(code, code)[:128])
    return codes[:50] or None


def to_task(data: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
    assigned_at = ctx.when(data, "assigned_at")
    assigned = ctx.day(assigned_at)
    due, recurring = _due(data, ctx, assigned)
    if due is not None and assigned is not None and due < assigned:
        raise Rejected(f"due_at {due:%d/%m/%Y} is before assigned_at {assigned:%d/%m/%Y}")
    extensions = _extensions(data, ctx)
    if extensions and due is None and not recurring:
        raise Rejected("an extension of a task without a due date: give due_at")
    latest = date.fromisoformat(extensions[-1]["due"]) if extensions else due
    if extensions and due is not None and latest < due:
        raise Rejected(f"the last extension ({latest:%d/%m/%Y}) is earlier than the due date {due:%d/%m/%Y}")
    completed_at = ctx.when(data, "completed_at")
    completed = ctx.day(completed_at)
    status = _status(data.get("status"))
    if status is None:
        status = "done" if completed is not None else "open"
    elif status == "open" and completed is not None:
        status = "done"  # a completion date outranks a status column left behind
    if status == "done" and completed is None:
        raise Rejected("status Hoàn thành without completed_at: give the completion date")
    if completed is not None and assigned is not None and completed < assigned:
        raise Rejected(f"completed_at {completed:%d/%m/%Y} is before assigned_at {assigned:%d/%m/%Y}")
    return {
        "source": ctx.source,
        "source_id": _required_id(data, "task_id"),
        "directive_ref": _required_id(data, "directive_ref"),
        "directive_day": _day(ctx, data, "directive_date"),
        "directive_issuer": _text(data, "directive_issuer", 255),
        "content": _text(data, "content", MAX_CONTENT),
        "lead_unit_id": ctx.unit_id(data, "lead_unit_code"),
        "supporting_units": _supporting(data, ctx),
        "assigned_at": assigned_at,
        "assigned_day": assigned,
        "original_due_day": due,
        "due_day": latest,
        "extensions": extensions or None,
        "recurring": recurring,
        "status": status,
        "completed_at": completed_at if status == "done" else None,
        "completed_day": completed if status == "done" else None,
        "result_ref": _text(data, "result_ref", 255),
        "source_updated_at": ctx.when(data, "updated_at"),
    }


def merge_extensions(
    stored: list[dict[str, Any]] | None, incoming: list[dict[str, Any]] | None
) -> list | None:
    """The extension history known so far: a follow-up sheet shows only the latest extension, so
    earlier ones seen in older sheets are kept (the same extension — due and document — once).

    >>> a = {"due": "2026-11-30", "document": "10/VP", "approved": "2026-11-10"}
    >>> b = {"due": "2026-12-31", "document": "22/VP", "approved": "2026-11-28"}
    >>> [e["document"] for e in merge_extensions([a], [b])], merge_extensions([a], [a]) == [a]
    (['10/VP', '22/VP'], True)
    """
    if not stored:
        return incoming
    merged = {(e["due"], e.get("document")): e for e in stored}
    for e in incoming or ():
        merged[(e["due"], e.get("document"))] = e
    out = sorted(merged.values(), key=lambda e: (e.get("approved") or e["due"], e["due"]))
    return out


def apply_tasks(session, records: list[dict[str, Any]], ctx: RecordContext) -> tuple[int, int]:
    """Write a batch of task records, keeping the extension history across sheets (see
    :func:`merge_extensions`); the latest approved due date follows the merged history."""
    from sqlalchemy import select

    from dashboard.models import Task
    from dashboard.upsert import upsert

    ids = [r["source_id"] for r in records]
    stored: dict[str, list] = {}
    for start in range(0, len(ids), 1000):
        rows = session.execute(
            select(Task.source_id, Task.extensions).where(
                Task.source == ctx.source, Task.source_id.in_(ids[start : start + 1000])
            )
        )
        stored.update({source_id: ext for source_id, ext in rows if ext})
    for record in records:
        old = stored.get(record["source_id"])
        if old:
            record["extensions"] = merge_extensions(old, record["extensions"])
            last = date.fromisoformat(record["extensions"][-1]["due"])
            due = record["original_due_day"]
            record["due_day"] = max(last, due) if due is not None else last
    counts = upsert(session, Task, records, key=("source", "source_id"))
    return counts.inserted, counts.updated
