"""The department head's action list: open dossiers and documents of a scope that are overdue or
due within the next 24 hours (and paused dossiers, listed apart), most overdue first.

Read from the facts through their (unit, status, due_at) indexes, at most ``limit`` items per
list. Counts come from the KPI engine (DVC-08, VB-05), not from counting rows here.

For an overdue dossier, ``items[0].kind, items[0].state, items[0].days_overdue`` are 'dossier', 'overdue', 12
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import Session

from dashboard.kpi.engine import Clock, UnitTree
from dashboard.kpi.values import Scope
from dashboard.kpi.workdays import WorkingCalendar
from dashboard.models import Document, Dossier
from dashboard.rollups import DOC_OPEN_CODES, DOSSIER_IN_PROGRESS, DOSSIER_PAUSED
from dashboard.timeutil import VN_TZ


@dataclass(frozen=True)
class ActionItem:
    kind: str  # "dossier" or "document"
    state: str  # "overdue", "due_soon" or "paused"
    id: int
    source: str
    source_id: str  # MaHoSo / the document system's id
    unit_id: int
    unit_code: str
    unit_name_vi: str
    unit_name_en: str
    status: str  # TrangThaiHoSo (1–10) or edXML code
    started_at: datetime | None  # received (dossier) or registered (document)
    due_at: datetime | None
    due_day: date | None
    days_overdue: int | None  # calendar days past the due day (None when not overdue)
    working_days_overdue: int | None
    hours_left: float | None  # for items due soon
    procedure_code: str | None = None  # dossiers
    direction: str | None = None  # documents
    urgency: str | None = None  # documents


@dataclass(frozen=True)
class ActionList:
    scope: Scope
    as_of: datetime
    overdue: tuple[ActionItem, ...]
    due_soon: tuple[ActionItem, ...]
    paused: tuple[ActionItem, ...]
    truncated: bool  # some list held more than ``limit`` items


def _unit_filter(column, scope: Scope):
    return true() if scope.unit_ids is None else column.in_(scope.unit_ids)


def action_list(
    session: Session,
    scope: Scope,
    *,
    now: datetime | None = None,
    tz: ZoneInfo = VN_TZ,
    calendar: WorkingCalendar | None = None,
    limit: int = 200,
    kinds: tuple[str, ...] = ("dossier", "document"),
    include_secret: bool = False,
) -> ActionList:
    """Overdue, due-soon and paused items of ``scope``. Documents marked secret are left out
    unless ``include_secret`` (the caller holds the explicit permission, :mod:`dashboard.access`)."""
    clock = Clock.of(now, tz)
    calendar = calendar or WorkingCalendar()
    today = clock.today
    midnight = datetime.combine(today, time(0), tzinfo=tz)  # due_at before it ⇔ due day before today
    soon = clock.now + timedelta(hours=24)
    units = UnitTree.load(session).units
    overdue: list[ActionItem] = []
    due_soon: list[ActionItem] = []
    paused: list[ActionItem] = []
    truncated = False

    def take(stmt, kind: str, state: str, into: list[ActionItem]) -> None:
        nonlocal truncated
        rows = session.scalars(stmt.limit(limit + 1)).all()
        truncated = truncated or len(rows) > limit
        into.extend(_item(kind, state, row, units, today, clock.now, calendar, tz) for row in rows[:limit])

    if "dossier" in kinds:
        in_progress = and_(Dossier.status.in_(DOSSIER_IN_PROGRESS), _unit_filter(Dossier.unit_id, scope))
        take(
            select(Dossier)
            .where(in_progress, Dossier.due_at < midnight)
            .order_by(Dossier.due_at, Dossier.id),
            "dossier",
            "overdue",
            overdue,
        )
        take(
            select(Dossier)
            .where(in_progress, Dossier.due_at >= clock.now, Dossier.due_at < soon)
            .order_by(Dossier.due_at, Dossier.id),
            "dossier",
            "due_soon",
            due_soon,
        )
        take(
            select(Dossier)
            .where(Dossier.status.in_(DOSSIER_PAUSED), _unit_filter(Dossier.unit_id, scope))
            .order_by(Dossier.due_at, Dossier.id),
            "dossier",
            "paused",
            paused,
        )
    if "document" in kinds:
        open_ = and_(
            or_(Document.status_code.in_(DOC_OPEN_CODES), Document.status_code.is_(None)),
            Document.completed_at.is_(None),
            Document.registered_at.is_not(None),  # as VB-05 counts them: handling has started
            _unit_filter(Document.unit_id, scope),
            true() if include_secret else Document.is_secret.is_(False),
        )
        take(
            select(Document).where(open_, Document.due_at < midnight).order_by(Document.due_at, Document.id),
            "document",
            "overdue",
            overdue,
        )
        take(
            select(Document)
            .where(open_, Document.due_at >= clock.now, Document.due_at < soon)
            .order_by(Document.due_at, Document.id),
            "document",
            "due_soon",
            due_soon,
        )
    overdue.sort(key=lambda i: (i.due_at, i.kind, i.id))
    due_soon.sort(key=lambda i: (i.due_at, i.kind, i.id))
    return ActionList(scope, clock.now, tuple(overdue), tuple(due_soon), tuple(paused), truncated)


def _item(kind, state, row, units, today, now, calendar, tz) -> ActionItem:
    unit = units[row.unit_id]
    due_day = row.due_day or (row.due_at.astimezone(tz).date() if row.due_at else None)
    late = due_day is not None and due_day < today
    return ActionItem(
        kind=kind,
        state=state,
        id=row.id,
        source=row.source,
        source_id=row.source_id,
        unit_id=row.unit_id,
        unit_code=unit.code,
        unit_name_vi=unit.name_vi,
        unit_name_en=unit.name_en,
        status=str(row.status if kind == "dossier" else row.status_code or ""),
        started_at=row.received_at if kind == "dossier" else row.registered_at,
        due_at=row.due_at,
        due_day=due_day,
        days_overdue=(today - due_day).days if late else None,
        working_days_overdue=calendar.working_days_between(due_day, today) if late else None,
        hours_left=round((row.due_at - now).total_seconds() / 3600, 1)
        if state == "due_soon" and row.due_at
        else None,
        procedure_code=row.procedure_code if kind == "dossier" else None,
        direction=row.direction if kind == "document" else None,
        urgency=row.urgency if kind == "document" else None,
    )
