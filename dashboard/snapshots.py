"""End-of-day snapshots of point-in-time KPIs, which cannot be rebuilt later from facts.

"Open and overdue now" depends on the moment it is asked; the daily job stores it per unit so its
history exists (design.md §3, ``kpi_snapshot``). Identifiers follow the KPI catalogue
(domain.md §2) with a suffix for the figure: ``DVC-08.open``, ``DVC-08.overdue``,
``DVC-08.paused``, ``DVC-08.due_soon``, ``VB-05.open``, ``VB-05.overdue``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from dashboard.models import Document, Dossier, KpiSnapshot
from dashboard.timeutil import to_utc, utcnow
from dashboard.upsert import upsert

DOSSIER_OPEN = (2, 4)  # in progress (5 and 6 are paused and listed apart)
DOSSIER_PAUSED = (5, 6)
DOCUMENT_CLOSED = ("06", "02", "13")


def point_in_time(session: Session, today: date, now: datetime) -> dict[tuple[int, str], float]:
    """Per unit: open / overdue / paused / due-within-24h dossiers and open / overdue documents."""
    now = to_utc(now)
    soon = now + timedelta(hours=24)
    values: dict[tuple[int, str], float] = {}
    open_ = Dossier.status.in_(DOSSIER_OPEN)
    stmt = select(
        Dossier.unit_id,
        func.sum(case((open_, 1), else_=0)),
        func.sum(case((and_(open_, Dossier.due_day < today), 1), else_=0)),
        func.sum(case((Dossier.status.in_(DOSSIER_PAUSED), 1), else_=0)),
        func.sum(case((and_(open_, Dossier.due_at >= now, Dossier.due_at < soon), 1), else_=0)),
    ).where(or_(open_, Dossier.status.in_(DOSSIER_PAUSED))).group_by(Dossier.unit_id)
    for unit_id, open_n, overdue, paused, due_soon in session.execute(stmt):
        values[(unit_id, "DVC-08.open")] = float(open_n or 0)
        values[(unit_id, "DVC-08.overdue")] = float(overdue or 0)
        values[(unit_id, "DVC-08.paused")] = float(paused or 0)
        values[(unit_id, "DVC-08.due_soon")] = float(due_soon or 0)
    doc_open = or_(Document.status_code.is_(None), Document.status_code.not_in(DOCUMENT_CLOSED))
    stmt = select(
        Document.unit_id,
        func.count(),
        func.sum(case((Document.due_day < today, 1), else_=0)),
    ).where(doc_open, Document.completed_at.is_(None)).group_by(Document.unit_id)
    for unit_id, open_n, overdue in session.execute(stmt):
        values[(unit_id, "VB-05.open")] = float(open_n or 0)
        values[(unit_id, "VB-05.overdue")] = float(overdue or 0)
    return values


def take_snapshot(session: Session, today: date, now: datetime | None = None) -> int:
    """Store today's point-in-time values (idempotent: a second run the same day overwrites)."""
    now = now or utcnow()
    rows = [
        {"day": today, "unit_id": unit_id, "kpi_id": kpi_id, "value": value, "numerator": value,
         "denominator": None, "computed_at": now}
        for (unit_id, kpi_id), value in point_in_time(session, today, now).items()
    ]
    if rows:
        upsert(session, KpiSnapshot, rows, key=("day", "unit_id", "kpi_id"), count=False, skip_unchanged=False)
    return len(rows)
