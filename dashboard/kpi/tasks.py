"""Directive tasks' counts (domain.md §7): pure functions of the task facts of a scope.

A province or ministry tracks thousands of tasks a year, not millions, so NV-01…NV-07 are
counted from the facts themselves (one indexed read per scope, then plain Python per period and
per sparkline day) rather than from daily rollups: "open and overdue at the end of a past period"
depends on the due date *in force that day*, which each task's extension history decides.

Rules:

- a cancelled task (dừng / hủy) counts nowhere;
- the due date of a task on day E is the latest extension approved on or before E (an extension
  without an approval date counts from the start), else the original due date; a task without a
  due date ("thường xuyên") is left out of every timeliness figure (it still counts as assigned
  and as open);
- "open at the end of day E": assigned on or before E and not completed by E;
- overdue at E: due day < E (on its due day a task is still within its deadline);
- due soon at E: open, E ≤ due day ≤ E + ``soon_days`` (7 by default, configurable).

>>> t = TaskFact(1, date(2026, 11, 2), date(2026, 11, 13), ((date(2026, 11, 10), date(2026, 11, 30)),))
>>> t.due_on(date(2026, 11, 9)), t.due_on(date(2026, 11, 10))
(datetime.date(2026, 11, 13), datetime.date(2026, 11, 30))
>>> counts([t], date(2026, 11, 1), date(2026, 11, 30))["task:open_late"]
0
>>> counts([t], date(2026, 12, 1), date(2026, 12, 31))["task:open_late"]
1
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

#: NV-06: "due within the next N days".
DUE_SOON_DAYS = 7

#: The input keys :func:`counts` gives (each a count over the scope's tasks).
KEYS = (
    "task:assigned",
    "task:completed",
    "task:completed_timed",
    "task:completed_on_time",
    "task:completed_late",
    "task:open",
    "task:open_timed",
    "task:open_in_time",
    "task:open_late",
    "task:open_untimed",
    "task:due_soon",
)


@dataclass(frozen=True)
class TaskFact:
    unit_id: int
    assigned: date | None
    original_due: date | None
    #: (approved day or None, new due day), oldest first
    extensions: tuple[tuple[date | None, date], ...] = ()
    completed: date | None = None
    cancelled: bool = False

    def due_on(self, day: date) -> date | None:
        """The due date in force at the end of ``day``."""
        due = self.original_due
        for approved, new_due in self.extensions:
            if approved is None or approved <= day:
                due = new_due
        return due

    def open_at(self, day: date) -> bool:
        return (
            not self.cancelled
            and (self.assigned is None or self.assigned <= day)
            and (self.completed is None or self.completed > day)
        )


def counts(
    tasks: Iterable[TaskFact], start: date, end: date, soon_days: int = DUE_SOON_DAYS
) -> dict[str, int]:
    """The task counts of the period [start, end]; open ones as at the end of ``end``.

    One pass with local counters (it runs per period and per sparkline day over the scope's tasks)."""
    soon = end + timedelta(days=soon_days)
    assigned = completed = completed_timed = on_time = late = 0
    open_ = open_timed = in_time = open_late = untimed = due_soon = 0
    for t in tasks:
        if t.cancelled:
            continue
        a, c = t.assigned, t.completed
        if a is not None and start <= a <= end:
            assigned += 1
        if a is not None and a > end:
            continue  # not yet assigned: neither completed nor open in the period
        due = t.due_on(end) if t.extensions else t.original_due
        if c is not None and c <= end:
            if c >= start:
                completed += 1
                if due is not None:
                    completed_timed += 1
                    if c <= due:
                        on_time += 1
                    else:
                        late += 1
            continue
        open_ += 1  # assigned by ``end`` (or undated) and not completed by it
        if due is None:
            untimed += 1
        else:
            open_timed += 1
            if due < end:
                open_late += 1
            else:
                in_time += 1
                if due <= soon:
                    due_soon += 1
    return {
        "task:assigned": assigned,
        "task:completed": completed,
        "task:completed_timed": completed_timed,
        "task:completed_on_time": on_time,
        "task:completed_late": late,
        "task:open": open_,
        "task:open_timed": open_timed,
        "task:open_in_time": in_time,
        "task:open_late": open_late,
        "task:open_untimed": untimed,
        "task:due_soon": due_soon,
    }


def task_extensions(history: list[dict] | None) -> tuple[tuple[date | None, date], ...]:
    """The stored extension history (``task.extensions``) as (approved, new due) days."""
    out = []
    for item in history or ():
        approved = item.get("approved")
        out.append((date.fromisoformat(approved) if approved else None, date.fromisoformat(item["due"])))
    return tuple(out)


def days_overdue(due: date | None, today: date) -> int | None:
    """Calendar days past the due day (0 on the due day itself; None without a due date)."""
    if due is None:
        return None
    return max(0, (today - due).days)
