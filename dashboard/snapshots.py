"""End-of-day snapshots of point-in-time KPIs, which cannot be rebuilt later from facts.

"Open and overdue now" depends on the moment it is asked; the daily job stores it per unit so its
history exists (design.md §3, ``kpi_snapshot``). Identifiers follow the KPI catalogue
(domain.md §2) with a suffix for the figure: ``DVC-08.open`` (in progress), ``DVC-08.overdue``,
``DVC-08.paused``, ``DVC-08.due_soon``, ``VB-05.open``, ``VB-05.overdue``, and the procedure
catalogue ``DVC-04.all`` / ``DVC-04.online``.

Every active unit gets a row per identifier, zeros included — each unit's *own* items, so a scope
adds up its units — so "no snapshot that day" (no row at all) is told apart from "nothing open".
The values are those the KPI engine shows live (:mod:`dashboard.kpi.engine`): state totals and
due days from the rollups, "due within 24 h" from the facts' due-time index.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from dashboard.kpi.maths import DaySeries, overdue_now
from dashboard.models import DailyRollup, Dossier, KpiSnapshot, OrgUnit, Procedure
from dashboard.rollups import DOSSIER_IN_PROGRESS, STATE_DAY
from dashboard.timeutil import to_utc, utcnow
from dashboard.upsert import upsert

SNAPSHOT_IDS = (
    "DVC-08.open",
    "DVC-08.overdue",
    "DVC-08.paused",
    "DVC-08.due_soon",
    "VB-05.open",
    "VB-05.overdue",
    "DVC-04.all",
    "DVC-04.online",
)
_STATE = (
    "doc_open_now",
    "doc_open_due_now",
    "dossier_in_progress_now",
    "dossier_in_progress_due_now",
    "dossier_paused_now",
)
_BY_DUE = ("doc_open_by_due", "dossier_in_progress_by_due")


def point_in_time(session: Session, today: date, now: datetime) -> dict[tuple[int, str], float]:
    """Per active unit: the point-in-time figures of SNAPSHOT_IDS at ``now`` (``today`` local)."""
    now = to_utc(now)
    units = [u for (u,) in session.execute(select(OrgUnit.id).where(OrgUnit.active.is_(True)))]
    state: dict[int, dict[str, float]] = defaultdict(dict)
    for unit_id, metric, value in session.execute(
        select(DailyRollup.unit_id, DailyRollup.metric, DailyRollup.value).where(
            DailyRollup.day == STATE_DAY, DailyRollup.metric.in_(_STATE)
        )
    ):
        state[unit_id][metric] = value
    due: dict[int, dict[str, dict[date, float]]] = defaultdict(lambda: defaultdict(dict))
    for unit_id, metric, day, value in session.execute(
        select(DailyRollup.unit_id, DailyRollup.metric, DailyRollup.day, DailyRollup.value).where(
            DailyRollup.metric.in_(_BY_DUE), DailyRollup.day >= today
        )
    ):
        due[unit_id][metric][day] = value
    soon = dict(
        session.execute(
            select(Dossier.unit_id, func.count())
            .where(
                Dossier.status.in_(DOSSIER_IN_PROGRESS),
                Dossier.due_at >= now,
                Dossier.due_at < now + timedelta(hours=24),
            )
            .group_by(Dossier.unit_id)
        ).all()
    )
    online = Procedure.service_level.in_(("full", "partial"))
    catalogue = {
        u: (n, k)
        for u, n, k in session.execute(
            select(Procedure.unit_id, func.count(), func.sum(case((online, 1), else_=0)))
            .where(Procedure.active.is_(True))
            .group_by(Procedure.unit_id)
        )
    }
    values: dict[tuple[int, str], float] = {}
    for u in units:
        s, d = state.get(u, {}), due.get(u, {})
        values[(u, "DVC-08.open")] = s.get("dossier_in_progress_now", 0.0)
        values[(u, "DVC-08.overdue")] = overdue_now(
            s.get("dossier_in_progress_due_now", 0.0), DaySeries(d.get("dossier_in_progress_by_due")), today
        )
        values[(u, "DVC-08.paused")] = s.get("dossier_paused_now", 0.0)
        values[(u, "DVC-08.due_soon")] = float(soon.get(u, 0))
        values[(u, "VB-05.open")] = s.get("doc_open_now", 0.0)
        values[(u, "VB-05.overdue")] = overdue_now(
            s.get("doc_open_due_now", 0.0), DaySeries(d.get("doc_open_by_due")), today
        )
        n, k = catalogue.get(u, (0, 0))
        values[(u, "DVC-04.all")] = float(n or 0)
        values[(u, "DVC-04.online")] = float(k or 0)
    return values


def take_snapshot(session: Session, today: date, now: datetime | None = None) -> int:
    """Store today's point-in-time values (idempotent: a second run the same day overwrites)."""
    now = now or utcnow()
    rows = [
        {
            "day": today,
            "unit_id": unit_id,
            "kpi_id": kpi_id,
            "value": value,
            "numerator": value,
            "denominator": None,
            "computed_at": now,
        }
        for (unit_id, kpi_id), value in point_in_time(session, today, now).items()
    ]
    if rows:
        upsert(
            session, KpiSnapshot, rows, key=("day", "unit_id", "kpi_id"), count=False, skip_unchanged=False
        )
    return len(rows)
