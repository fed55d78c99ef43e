"""Page-facing reads for directive tasks (``/nhiem-vu``, the units' pages, the wall): the trend,
the breakdown by unit and the action list of overdue tasks. Cached by data version like
:mod:`dashboard.domain_data`; counts follow :mod:`dashboard.kpi.tasks` (one definition).

    task_trend(session, "SO-01", period)     assigned, completed on time / late per day or week,
                                             and open-and-overdue at each day's (week's) end
    task_breakdown(session, None, period)    per child unit: completed on time / late, open in
                                             time / overdue at the period's end
    overdue_tasks(session, "SO-01")          open overdue tasks now, most overdue first

``unit`` is a unit code (with its sub-units) or None for the whole agency — resolved by the caller
through :mod:`dashboard.access` (these functions trust the code they are given).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.domain_data import Bucket, _today, buckets
from dashboard.kpi.engine import Clock, Reader, UnitTree, resolve_scope
from dashboard.kpi.periods import Period
from dashboard.kpi.tasks import counts, days_overdue
from dashboard.models import Task
from dashboard.queries import cached_by_version


def _key(unit: str | None) -> str:
    return unit or "all"


# --- trend ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TaskTrend:
    kind: str  # "day" or "week"
    buckets: tuple[Bucket, ...]
    assigned: tuple[int, ...]
    on_time: tuple[int, ...]  # completed in the bucket by the due day
    late: tuple[int, ...]  # completed in the bucket after it
    overdue: tuple[int, ...]  # open and overdue at the bucket's end (NV-05 then)

    @property
    def starts(self) -> list[date]:
        return [b.start for b in self.buckets]


def task_trend(session: Session, unit: str | None, period: Period, *, today: date | None = None) -> TaskTrend:
    day, _ = _today(today, None)

    def compute(s: Session) -> TaskTrend:
        kind, bs = buckets(period, day)
        scope = resolve_scope(s, unit, True)
        facts = Reader(s, scope.unit_ids, Clock.of(), UnitTree.load(s)).task_facts()
        per = [counts(facts, b.start, b.end) for b in bs]
        return TaskTrend(
            kind,
            bs,
            tuple(c["task:assigned"] for c in per),
            tuple(c["task:completed_on_time"] for c in per),
            tuple(c["task:completed_late"] for c in per),
            tuple(c["task:open_late"] for c in per),
        )

    return cached_by_version("task_trend", session, compute, _key(unit), period.key, day.isoformat())


# --- breakdown by unit ------------------------------------------------------------------------------
@dataclass(frozen=True)
class UnitTasks:
    code: str
    name_vi: str
    name_en: str
    on_time: int
    late: int
    open_in_time: int
    open_late: int
    untimed: int

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_vi

    @property
    def total(self) -> int:
        return self.on_time + self.late + self.open_in_time + self.open_late + self.untimed


def task_breakdown(
    session: Session, unit: str | None, period: Period, *, today: date | None = None
) -> tuple[UnitTasks, ...]:
    """The tasks of each child unit of ``unit`` (of the agency's root when None; the unit itself
    when it has no children), with its own sub-units, units without any task left out, the most
    overdue first."""
    day, _ = _today(today, None)
    end = min(period.end, day)

    def compute(s: Session) -> tuple[UnitTasks, ...]:
        tree = UnitTree.load(s)
        scope = resolve_scope(s, unit, True)
        if scope.unit_id is None:
            roots = tree.children.get(None, [])
            children = tree.children.get(roots[0], []) if len(roots) == 1 else roots
        else:
            children = tree.children.get(scope.unit_id) or [scope.unit_id]
        facts = Reader(s, scope.unit_ids, Clock.of(), tree).task_facts()
        by_unit: dict[int, list] = {}
        for f in facts:
            by_unit.setdefault(f.unit_id, []).append(f)
        rows = []
        for child in children:
            own = [f for u in tree.descendants(child) for f in by_unit.get(u, ())]
            if not own:
                continue
            c = counts(own, period.start, end)
            if not any(c[k] for k in ("task:completed", "task:open")):
                continue  # nothing completed in the period and nothing open at its end
            u = tree.units[child]
            rows.append(
                UnitTasks(
                    u.code,
                    u.name_vi,
                    u.name_en,
                    c["task:completed_on_time"],
                    c["task:completed_late"],
                    c["task:open_in_time"],
                    c["task:open_late"],
                    c["task:open_untimed"],
                )
            )
        rows.sort(key=lambda r: (-r.open_late, -r.late, r.code))
        return tuple(rows)

    return cached_by_version("task_breakdown", session, compute, _key(unit), period.key, day.isoformat())


# --- the action list --------------------------------------------------------------------------------
@dataclass(frozen=True)
class TaskItem:
    id: int
    source_id: str
    directive_ref: str
    directive_day: date | None
    content: str
    unit_code: str
    unit_name_vi: str
    unit_name_en: str
    assigned_day: date | None
    original_due_day: date | None
    due_day: date
    days_overdue: int
    extensions: int  # how many times the deadline was extended
    extension_ref: str | None  # the latest extension's approving document
    extension_day: date | None  # … and when it was approved

    def unit_name(self, lang: str) -> str:
        return self.unit_name_en if lang == "en" else self.unit_name_vi


@dataclass(frozen=True)
class TaskList:
    items: tuple[TaskItem, ...]
    truncated: bool


def overdue_tasks(
    session: Session,
    unit: str | None,
    *,
    today: date | None = None,
    tz: ZoneInfo | None = None,
    limit: int = 200,
) -> TaskList:
    """Open tasks of ``unit`` whose (latest approved) due day is before today, most overdue first."""
    day, _ = _today(today, tz)

    def compute(s: Session) -> TaskList:
        tree = UnitTree.load(s)
        scope = resolve_scope(s, unit, True)
        stmt = (
            select(Task)
            .where(Task.status == "open", Task.due_day < day)
            .order_by(Task.due_day, Task.id)
            .limit(limit + 1)
        )
        if scope.unit_ids is not None:
            stmt = stmt.where(Task.lead_unit_id.in_(scope.unit_ids))
        rows = s.scalars(stmt).all()
        items = []
        for task in rows[:limit]:
            latest = (task.extensions or [None])[-1] or {}
            u = tree.units[task.lead_unit_id]
            approved = latest.get("approved")
            items.append(
                TaskItem(
                    task.id,
                    task.source_id,
                    task.directive_ref,
                    task.directive_day,
                    task.content or "",
                    u.code,
                    u.name_vi,
                    u.name_en,
                    task.assigned_day,
                    task.original_due_day,
                    task.due_day,
                    days_overdue(task.due_day, day) or 0,
                    len(task.extensions or ()),
                    latest.get("document"),
                    date.fromisoformat(approved) if approved else None,
                )
            )
        return TaskList(tuple(items), len(rows) > limit)

    return cached_by_version("task_overdue", session, compute, _key(unit), day.isoformat(), limit)
