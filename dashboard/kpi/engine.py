"""The KPI engine: any KPI of the catalogue, for any scope and period, from the daily rollups.

    results = compute(session, resolve_scope(session, "SO-01"), Period.month_to_date(today))
    results["DVC-06"].value, results["DVC-06"].previous.trend, results["DVC-06"].series

What is read, and from where:

- **sums over a period** — the daily rollups (``daily_rollup``), one grouped query per range of
  days, summed over the scope's units by the database through a covering index;
- **open at the end of a day** (DVC-06) — rollup state totals minus the days after it
  (:func:`dashboard.kpi.maths.dossiers_open_at`);
- **point in time** (VB-05, DVC-04, DVC-08, HOP-07) — the current state for a period that is
  still running (rollup state totals, the live meeting gauges, one index range for "due within
  24 h"), the end-of-day snapshots (``kpi_snapshot``) for a period in the past;
- **the procedure catalogue** (DVC-03…05, 766) — the ``procedure`` table, and one index probe
  per online service for "used in the period";
- **presence** — whether a source provides an optional field at all: one indexed EXISTS per
  rollup metric, so "not provided" shows as no data instead of 0.

Nothing here scans the facts: the cost depends on units × days, not on how many documents and
dossiers the store holds.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    distinct,
    exists,
    func,
    not_,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import Session

from dashboard import index_inputs, service_index
from dashboard.kpi import stats
from dashboard.kpi.catalogue import CATALOGUE, Inputs, KpiDef
from dashboard.kpi.maths import (
    DaySeries,
    compare,
    dossiers_open_at,
    dossiers_open_with,
    overdue_now,
    petitions_open_at,
    registration_on_time,
    status_for,
)
from dashboard.kpi.periods import Period
from dashboard.kpi.tasks import TaskFact, task_extensions
from dashboard.kpi.tasks import counts as task_counts
from dashboard.kpi.values import (
    LIVE_ONLY,
    NO_LIVE_DATA,
    Comparison,
    Figure,
    KpiResult,
    Outcome,
    Reason,
    Scope,
    no_history,
)
from dashboard.models import (
    DailyRollup,
    Document,
    Dossier,
    KpiSnapshot,
    Meeting,
    MeetingEndpoint,
    MeetingSample,
    OrgUnit,
    Petition,
    Procedure,
    Task,
)
from dashboard.rollups import ARRIVAL_LAG_METRICS, STATE_DAY
from dashboard.targets import DEFAULT_TARGETS, Targets
from dashboard.timeutil import VN_TZ, to_utc, utcnow

#: The rollups behind "open at the end of day E" (DVC-06): state totals and day metrics after E.
END_STATE = (
    "dossier_open_now",
    "dossier_open_late_r_now",
    "dossier_open_late_u_now",
    "dossier_open_digitised_now",
)
END_TAILS = (
    "dossier_open_by_received",
    "dossier_open_late_r_by_received",
    "dossier_open_late_u_by_due",
    "dossier_closed",
    "dossier_closed_by_received",
    "dossier_closed_late_r",
    "dossier_closed_late_r_by_received",
    "dossier_closed_late_u",
    "dossier_closed_late_u_by_due",
    "dossier_open_digitised_by_received",
    "dossier_closed_digitised",
    "dossier_closed_digitised_by_received",
)
#: The same for petitions (PAKN-02, PAKN-03: handled in the period or open at its end).
PETITION_END_STATE = ("petition_open_now", "petition_open_due_now")
PETITION_END_TAILS = (
    "petition_open_by_received",
    "petition_open_by_deadline",
    "petition_handled",
    "petition_handled_by_received",
    "petition_handled_late",
    "petition_handled_late_by_deadline",
)
#: Point-in-time values now, and the snapshot ids that keep their history (``snapshots.py``).
STATE_INPUTS: dict[str, dict[str, str]] = {
    "state:documents": {"doc_open": "VB-05.open", "doc_overdue": "VB-05.overdue"},
    "state:dossiers": {
        "dossier_in_progress": "DVC-08.open",
        "dossier_overdue": "DVC-08.overdue",
        "dossier_paused": "DVC-08.paused",
        "dossier_due_soon": "DVC-08.due_soon",
    },
    "state:catalogue": {"procedures": "DVC-04.all", "procedures_online": "DVC-04.online"},
    "state:live": {"live_running": "", "live_participants": ""},
    # No end-of-day snapshot: a past period's value is read from the facts' timestamps.
    "state:petitions": {"petition_open": "", "petition_overdue": ""},
}
_NOW_ROLLUPS = {
    "state:documents": (("doc_open_now", "doc_open_due_now"), ("doc_open_by_due",)),
    "state:dossiers": (
        ("dossier_in_progress_now", "dossier_in_progress_due_now", "dossier_paused_now"),
        ("dossier_in_progress_by_due",),
    ),
    "state:petitions": (("petition_open_now", "petition_open_due_now"), ("petition_open_by_deadline",)),
}
LIVE_FRESHNESS = timedelta(minutes=15)
#: The rollups whose first day is where a domain's history begins (Reader.history_start).
HISTORY_METRICS: dict[str, tuple[str, ...]] = {
    "documents": ("doc_in", "doc_out", "doc_internal", "doc_arrived"),
    "dossiers": ("dossier_received",),
    "meetings": ("meeting_approved",),
    "petitions": ("petition_received",),
}


def before_history(day: date | None) -> Reason:
    """Why a comparison is not shown: the other period lies (partly) before the data begins."""
    if day is None:
        return Reason(
            "before_history",
            "Không so sánh: chưa có số liệu kỳ trước",
            "Not compared: no figures for the earlier period",
        )
    return Reason(
        "before_history",
        f"Không so sánh: số liệu chỉ có từ ngày {day:%d/%m/%Y}",
        f"Not compared: the figures start on {day:%d %b %Y}",
    )


def comparable(other: Period, since: date | None) -> bool:
    """Whether ``other`` (a previous period, last year) has data: a period that ended before the
    store's history begins has none, and its zeros would show as growth."""
    return since is not None and other.end >= since


_FAR_FUTURE = date(9999, 12, 31)


@dataclass(frozen=True)
class Clock:
    """ "Now" for one computation: an aware instant and the agency's local day."""

    now: datetime
    tz: ZoneInfo = VN_TZ

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    @classmethod
    def of(cls, now: datetime | None = None, tz: ZoneInfo = VN_TZ) -> Clock:
        return cls(to_utc(now) if now is not None else utcnow(), tz)


# --- scopes ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UnitTree:
    """The hierarchy, read once per computation (a few hundred rows at most)."""

    units: dict[int, OrgUnit]
    children: dict[int | None, list[int]]

    @classmethod
    def load(cls, session: Session) -> UnitTree:
        units = {u.id: u for u in session.scalars(select(OrgUnit).order_by(OrgUnit.sort_order, OrgUnit.code))}
        children: dict[int | None, list[int]] = defaultdict(list)
        for u in units.values():
            children[u.parent_id].append(u.id)
        return cls(units, dict(children))

    def descendants(self, unit_id: int) -> list[int]:
        out, stack = [], [unit_id]
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(self.children.get(current, []))
        return out

    def leaves(self, unit_ids: Iterable[int] | None) -> set[int]:
        ids = self.units if unit_ids is None else unit_ids
        return {
            u
            for u in ids
            if self.units[u].active and not any(self.units[c].active for c in self.children.get(u, []))
        }

    def by_code(self, code: str) -> OrgUnit | None:
        for u in self.units.values():
            if u.code == code:
                return u
        return None


class UnknownUnitError(LookupError):
    pass


def resolve_scope(
    session: Session,
    unit: int | str | None = None,
    include_children: bool = True,
    tree: UnitTree | None = None,
) -> Scope:
    """The scope of ``unit`` (an id or a code), with its sub-units unless told otherwise; the
    whole agency when ``unit`` is None."""
    tree = tree or UnitTree.load(session)
    if unit is None:
        return Scope("all", None, None, None, "Toàn cơ quan", "Whole agency", True)
    found = tree.units.get(unit) if isinstance(unit, int) else tree.by_code(unit)
    if found is None:
        raise UnknownUnitError(f"unknown unit {unit!r}")
    ids = tuple(sorted(tree.descendants(found.id))) if include_children else (found.id,)
    key = f"{found.code}+" if include_children else found.code
    return Scope(key, found.id, ids, found.code, found.name_vi, found.name_en, include_children)


# --- reading --------------------------------------------------------------------------------------
def _unit_filter(column, unit_ids: tuple[int, ...] | None):
    return true() if unit_ids is None else column.in_(unit_ids)


@cache
def _rollup_statement(by_unit: bool, scoped: bool):
    """Per-day sums of some metrics over a day range (and units): built once, with expanding
    parameters, so a request only binds values (statement building showed in the profiles)."""
    unit_col = [DailyRollup.unit_id] if by_unit else []
    # The day as text on SQLite (parsed by date.fromisoformat, much faster than the DATE type's
    # row processing); PostgreSQL's driver returns dates either way.
    day_col = type_coerce(DailyRollup.day, String())
    stmt = select(*unit_col, DailyRollup.metric, day_col, func.sum(DailyRollup.value)).where(
        DailyRollup.metric.in_(bindparam("metrics", expanding=True)),
        DailyRollup.day >= bindparam("lo", type_=Date()),
        DailyRollup.day <= bindparam("hi", type_=Date()),
    )
    if scoped:
        stmt = stmt.where(DailyRollup.unit_id.in_(bindparam("units", expanding=True)))
    return stmt.group_by(*unit_col, DailyRollup.metric, DailyRollup.day)


@cache
def _state_statement(by_unit: bool, scoped: bool):
    unit_col = [DailyRollup.unit_id] if by_unit else []
    stmt = select(*unit_col, DailyRollup.metric, func.sum(DailyRollup.value)).where(
        DailyRollup.day == bindparam("day", type_=Date()),
        DailyRollup.metric.in_(bindparam("metrics", expanding=True)),
    )
    if scoped:
        stmt = stmt.where(DailyRollup.unit_id.in_(bindparam("units", expanding=True)))
    return stmt.group_by(*unit_col, DailyRollup.metric)


@dataclass
class ScopeData:
    """The rollups of one scope: per-day series of the metrics read, and the state totals."""

    series: dict[str, DaySeries] = field(default_factory=dict)
    state: dict[str, float] = field(default_factory=dict)

    def get(self, metric: str) -> DaySeries:
        return self.series.get(metric) or DaySeries()


class Reader:
    """Every query the engine makes, for one set of units (None: all units)."""

    def __init__(self, session: Session, unit_ids: tuple[int, ...] | None, clock: Clock, tree: UnitTree):
        self.session = session
        self.unit_ids = unit_ids
        self.clock = clock
        self.tree = tree

    # -- rollups
    def rollups(self, ranges: Iterable[tuple[Iterable[str], date, date]], state: Iterable[str]) -> ScopeData:
        """Sum ``metrics`` per day over each (metrics, first day, last day) range, and ``state`` totals."""
        per_unit = self.rollups_by_unit(ranges, state, by_unit=False)
        return per_unit.get(None) or ScopeData()

    def rollups_by_unit(
        self, ranges: Iterable[tuple[Iterable[str], date, date]], state: Iterable[str], by_unit: bool = True
    ) -> dict[int | None, ScopeData]:
        """As :meth:`rollups`, one :class:`ScopeData` per unit (``by_unit``) or summed (key None)."""
        values: dict[int | None, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
        scoped = self.unit_ids is not None
        parse = date.fromisoformat
        for metrics, lo, hi in ranges:
            metrics = sorted(set(metrics))
            if not metrics:
                continue
            params = {"metrics": metrics, "lo": lo, "hi": hi}
            if scoped:
                params["units"] = list(self.unit_ids)
            for row in self.session.execute(_rollup_statement(by_unit, scoped), params):
                unit = row[0] if by_unit else None
                day = row[-2]
                values[unit][row[-3]][(parse(day) if isinstance(day, str) else day).toordinal()] = row[-1]
        out = {
            u: ScopeData({m: DaySeries.from_ordinals(v) for m, v in by_metric.items()})
            for u, by_metric in values.items()
        }
        state = sorted(set(state))
        if state:
            params = {"metrics": state, "day": STATE_DAY}
            if scoped:
                params["units"] = list(self.unit_ids)
            for row in self.session.execute(_state_statement(by_unit, scoped), params):
                unit = row[0] if by_unit else None
                out.setdefault(unit, ScopeData()).state[row[-2]] = float(row[-1])
        return out

    def presence(self, metrics: Iterable[str]) -> dict[str, bool]:
        """Whether any fact in the store ever counted in each metric (store-wide, indexed)."""
        metrics = sorted(set(metrics))
        if not metrics:
            return {}
        row = self.session.execute(
            select(*[exists().where(DailyRollup.metric == m).label(f"p{i}") for i, m in enumerate(metrics)])
        ).one()
        return {m: bool(v) for m, v in zip(metrics, row, strict=False)}

    def facts(self) -> dict[str, bool]:
        row = self.session.execute(
            select(
                exists().where(Document.id.is_not(None)),
                exists().where(Dossier.id.is_not(None)),
                exists().where(Meeting.id.is_not(None)),
                exists().where(Petition.id.is_not(None)),
                exists().where(Task.id.is_not(None)),
            )
        ).one()
        return {
            "documents": bool(row[0]),
            "dossiers": bool(row[1]),
            "meetings": bool(row[2]),
            "petitions": bool(row[3]),
            "tasks": bool(row[4]),
        }

    # -- directive tasks (counted from the facts: see dashboard/kpi/tasks.py)
    def task_facts(self, since: date | None = None) -> list[TaskFact]:
        """The scope's tasks (by lead unit), cancelled ones excluded: one indexed read. With
        ``since``, tasks completed before it are left out — exact for every period starting on or
        after it (such a task is neither assigned, completed nor open in it)."""
        # The extension history as text, parsed only for the tasks that have one (most have none).
        stmt = select(
            Task.lead_unit_id,
            Task.assigned_day,
            Task.original_due_day,
            cast(Task.extensions, Text),
            Task.completed_day,
        ).where(Task.status != "cancelled", _unit_filter(Task.lead_unit_id, self.unit_ids))
        if since is not None:
            stmt = stmt.where(or_(Task.completed_day.is_(None), Task.completed_day >= since))
        return [
            TaskFact(
                unit,
                assigned,
                due,
                task_extensions(json.loads(history)) if history and history != "null" else (),
                completed,
            )
            for unit, assigned, due, history, completed in self.session.execute(stmt)
        ]

    # -- the procedure catalogue
    def catalogue(self) -> dict[str, Any]:
        online = Procedure.service_level.in_(("full", "partial"))
        row = self.session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((online, 1), else_=0)), 0),
                func.coalesce(func.sum(case((Procedure.has_fee.is_(True), 1), else_=0)), 0),
            ).where(Procedure.active.is_(True), _unit_filter(Procedure.unit_id, self.unit_ids))
        ).one()
        present = self.session.scalar(select(exists().where(Procedure.id.is_not(None))))
        return {
            "cat:present": bool(present),
            "cat:procedures": float(row[0]),
            "cat:online": float(row[1]),
            "cat:fee": float(row[2]),
        }

    def services_used(self, start: date, end: date) -> dict[str, float]:
        """Online services with an online dossier, fee procedures with an online payment, in
        [start, end]: one index probe per catalogue entry, whatever the number of dossiers."""
        p = Procedure
        base = and_(p.active.is_(True), _unit_filter(p.unit_id, self.unit_ids))
        same = and_(
            Dossier.unit_id == p.unit_id,
            Dossier.procedure_code == p.code,
            Dossier.received_day >= start,
            Dossier.received_day <= end,
        )
        online = (
            select(func.count())
            .select_from(p)
            .where(base, p.service_level.in_(("full", "partial")), exists().where(same, Dossier.channel == 2))
            .scalar_subquery()
        )
        paid = (
            select(func.count())
            .select_from(p)
            .where(base, p.has_fee.is_(True), exists().where(same, Dossier.paid_online.in_((1, 2))))
            .scalar_subquery()
        )
        row = self.session.execute(select(online, paid)).one()
        return {"used:online": float(row[0] or 0), "used:fee_paid": float(row[1] or 0)}

    # -- per-unit participation (VB-09)
    def participation(self, start: date, end: date) -> dict[str, float]:
        leaves = self.tree.leaves(self.unit_ids)
        stmt = (
            select(DailyRollup.unit_id)
            .where(
                DailyRollup.metric.in_(("doc_in", "doc_out")),
                DailyRollup.day >= start,
                DailyRollup.day <= end,
                _unit_filter(DailyRollup.unit_id, self.unit_ids),
            )
            .distinct()
        )
        active = {u for (u,) in self.session.execute(stmt)}
        return {"units:total": float(len(leaves)), "units:participating": float(len(active & leaves))}

    def distinct_endpoints(self, start: date, end: date) -> float | None:
        if not self.session.scalar(select(exists().where(MeetingEndpoint.id.is_not(None)))):
            return None
        stmt = (
            select(func.count(distinct(MeetingEndpoint.endpoint_code)))
            .join(Meeting, Meeting.id == MeetingEndpoint.meeting_id)
            .where(
                MeetingEndpoint.connected.is_(True),
                Meeting.status == 2,
                Meeting.is_online.is_(True),
                Meeting.start_day >= start,
                Meeting.start_day <= end,
                _unit_filter(Meeting.unit_id, self.unit_ids),
            )
        )
        return float(self.session.scalar(stmt) or 0)

    # -- the present moment
    def history_start(self, domain: str) -> date | None:
        """The first day the store holds any of ``domain``'s facts (any unit): before it there is
        no data, so a period that starts earlier cannot be compared with. One index probe per
        anchor metric, memoised for the computation."""
        memo = self.__dict__.setdefault("_history", {})
        if domain == "tasks" and domain not in memo:
            memo[domain] = self.session.scalar(select(func.min(Task.assigned_day)))
        if domain not in memo:
            firsts = [
                self.session.scalar(
                    select(func.min(DailyRollup.day)).where(
                        DailyRollup.metric == m, DailyRollup.day > STATE_DAY
                    )
                )
                for m in HISTORY_METRICS.get(domain, ())
            ]
            found = [d for d in firsts if d is not None]
            memo[domain] = min(found) if found else None
        return memo[domain]

    def due_soon(self) -> float:
        now = self.clock.now
        stmt = (
            select(func.count())
            .select_from(Dossier)
            .where(
                Dossier.status.in_((2, 4)),
                Dossier.due_at >= now,
                Dossier.due_at < now + timedelta(hours=24),
                _unit_filter(Dossier.unit_id, self.unit_ids),
            )
        )
        return float(self.session.scalar(stmt) or 0)

    def live(self) -> tuple[float, float] | None:
        """Meetings running and participants now: the servers' fresh gauges for the whole agency,
        else the meetings started and not ended; None when neither source knows."""
        now = self.clock.now
        if self.unit_ids is None:
            latest = (
                select(MeetingSample.source, func.max(MeetingSample.sampled_at).label("at"))
                .where(MeetingSample.sampled_at >= now - LIVE_FRESHNESS, MeetingSample.sampled_at <= now)
                .group_by(MeetingSample.source)
                .subquery()
            )
            row = self.session.execute(
                select(
                    func.count(),
                    func.sum(MeetingSample.meetings_running),
                    func.sum(MeetingSample.participants),
                )
                .select_from(MeetingSample)
                .join(
                    latest,
                    and_(MeetingSample.source == latest.c.source, MeetingSample.sampled_at == latest.c.at),
                )
            ).one()
            if row[0]:
                return float(row[1] or 0), float(row[2] or 0)
        if not self.session.scalar(select(exists().where(Meeting.id.is_not(None)))):
            return None
        running = and_(
            Meeting.status == 2,
            Meeting.is_online.is_(True),
            Meeting.start_at <= now,
            Meeting.start_at >= now - timedelta(hours=24),
            or_(Meeting.end_at.is_(None), Meeting.end_at > now),
            _unit_filter(Meeting.unit_id, self.unit_ids),
        )
        row = self.session.execute(
            select(func.count(), func.sum(Meeting.participants_peak)).where(running)
        ).one()
        return float(row[0] or 0), float(row[1] or 0)

    # -- point-in-time values at a past moment, from the facts' timestamps (the reference; the
    # end-of-day snapshots are a cache of it)
    def state_at(self, need: str, moment: datetime) -> dict[str, float]:
        """Open items at ``moment``: received/registered by then and not finished/completed by
        then; overdue when their due day is before ``moment``'s local day. A dossier's pause
        (5, 6) has no timestamp: dossiers paused now count as paused then, the others in progress."""
        day = moment.astimezone(self.clock.tz).date()
        if need == "state:petitions":
            return self._petitions_at(moment, day)
        if need == "state:documents":
            d = Document
            open_then = and_(
                d.registered_at.is_not(None),
                d.registered_at <= moment,
                or_(d.completed_at.is_(None), d.completed_at > moment),
                # Returned / recalled documents left the open set on their status day.
                or_(
                    d.status_code.is_(None),
                    d.status_code.not_in(("02", "13")),
                    d.status_day.is_(None),
                    d.status_day > day,
                ),
                or_(d.status_code.is_(None), d.status_code != "06", d.completed_at.is_not(None)),
                _unit_filter(d.unit_id, self.unit_ids),
            )
            row = self.session.execute(
                select(func.count(), func.coalesce(func.sum(case((d.due_day < day, 1), else_=0)), 0)).where(
                    open_then
                )
            ).one()
            return {"state:doc_open": float(row[0]), "state:doc_overdue": float(row[1])}
        x = Dossier
        open_then = and_(
            x.status.not_in((1, 3)),
            x.received_at.is_not(None),
            x.received_at <= moment,
            or_(x.finished_at.is_(None), x.finished_at > moment),
            or_(x.status.in_((2, 4, 5, 6)), x.finished_at.is_not(None)),
            _unit_filter(x.unit_id, self.unit_ids),
        )
        paused = x.status.in_((5, 6))
        row = self.session.execute(
            select(
                func.coalesce(func.sum(case((paused, 0), else_=1)), 0),
                func.coalesce(func.sum(case((and_(not_(paused), x.due_day < day), 1), else_=0)), 0),
                func.coalesce(func.sum(case((paused, 1), else_=0)), 0),
                func.coalesce(
                    func.sum(
                        case(
                            (
                                and_(
                                    not_(paused), x.due_at >= moment, x.due_at < moment + timedelta(hours=24)
                                ),
                                1,
                            ),
                            else_=0,
                        )
                    ),
                    0,
                ),
            ).where(open_then)
        ).one()
        return {
            "state:dossier_in_progress": float(row[0]),
            "state:dossier_overdue": float(row[1]),
            "state:dossier_paused": float(row[2]),
            "state:dossier_due_soon": float(row[3]),
        }

    def _petitions_at(self, moment: datetime, day: date) -> dict[str, float]:
        """Petitions open at ``moment`` (received by then, within competence, not handled by then)
        and how many of them were past their deadline day."""
        p = Petition
        open_then = and_(
            p.status.not_in((5, 6)),
            p.received_at <= moment,
            or_(p.handled_at.is_(None), p.handled_at > moment),
            or_(p.status.in_((1, 2)), p.handled_at.is_not(None)),
            _unit_filter(p.unit_id, self.unit_ids),
        )
        row = self.session.execute(
            select(func.count(), func.coalesce(func.sum(case((p.deadline_day < day, 1), else_=0)), 0)).where(
                open_then
            )
        ).one()
        return {"state:petition_open": float(row[0]), "state:petition_overdue": float(row[1])}

    # -- history of point-in-time values
    def snapshots(self, days: Iterable[date], ids: Iterable[str]) -> dict[date, dict[str, float]]:
        """Snapshot values per day summed over the scope; a day without any snapshot is absent."""
        days, ids = sorted(set(days)), sorted(set(i for i in ids if i))
        if not days or not ids:
            return {}
        taken = (
            select(KpiSnapshot.day).where(KpiSnapshot.day.in_(days), KpiSnapshot.kpi_id.in_(ids)).distinct()
        )
        out: dict[date, dict[str, float]] = {d: {} for (d,) in self.session.execute(taken)}
        stmt = (
            select(KpiSnapshot.day, KpiSnapshot.kpi_id, func.sum(KpiSnapshot.value))
            .where(
                KpiSnapshot.day.in_(days),
                KpiSnapshot.kpi_id.in_(ids),
                _unit_filter(KpiSnapshot.unit_id, self.unit_ids),
            )
            .group_by(KpiSnapshot.day, KpiSnapshot.kpi_id)
        )
        for day, kpi_id, value in self.session.execute(stmt):
            out.setdefault(day, {})[kpi_id] = float(value or 0)
        return out


# --- inputs ---------------------------------------------------------------------------------------
@dataclass
class Plan:
    """What a set of KPIs needs to read."""

    defs: list[KpiDef]
    metrics: set[str]
    needs: set[str]
    presence: set[str]

    @classmethod
    def of(cls, defs: list[KpiDef]) -> Plan:
        metrics, needs, presence = set(), set(), set()
        for d in defs:
            metrics |= set(d.metrics)
            needs |= set(d.needs)
            presence |= set(d.presence)
        return cls(defs, metrics, needs, presence)

    def state_metrics(self, now: bool) -> tuple[set[str], set[str]]:
        """(state totals, day metrics read from today on) for the point-in-time inputs."""
        totals, tails = set(), set()
        if "end" in self.needs:
            totals |= set(END_STATE)
        if "pend" in self.needs:
            totals |= set(PETITION_END_STATE)
        for need, (state, by_due) in _NOW_ROLLUPS.items():
            if need in self.needs and now:
                totals |= set(state)
                tails |= set(by_due)
        return totals, tails


class InputBuilder:
    """Builds formula inputs for periods and single days from one scope's data."""

    def __init__(self, plan: Plan, reader: Reader, data: ScopeData, common: dict[str, Any], targets: Targets):
        self.plan = plan
        self.reader = reader
        self.data = data
        self.common = common  # presence, facts, catalogue: the same for every period
        self.targets = targets
        self.today = reader.clock.today
        self._snapshots: dict[date, dict[str, float]] = {}
        self._daily: dict[int, dict[str, float]] | None = None
        self._now: dict[str, Any] = {}  # "due within 24 h" and the live gauges, read once
        self._aggregates: stats.Aggregates | None | bool = False  # stats-only units (False: not read yet)
        self.index_unit: int | None = None  # the unit whose 766 inputs apply (see index_unit)
        self.as_of = False  # "now" is a past moment: point-in-time values from the facts' timestamps
        self._task_facts: list[TaskFact] | None = None
        #: The earliest day any period or sparkline day asked of this builder starts (tasks read from it).
        self.task_since: date | None = None

    def preload_snapshots(self, days: Iterable[date]) -> None:
        ids = [i for need in self.plan.needs if need in STATE_INPUTS for i in STATE_INPUTS[need].values()]
        wanted = [d for d in set(days) if d < self.today and d not in self._snapshots]
        if ids and wanted:
            found = self.reader.snapshots(wanted, ids)
            for d in wanted:
                self._snapshots[d] = found.get(d)  # None: no snapshot that day

    def _state(self, x: Inputs, end: date) -> None:
        needs = [n for n in self.plan.needs if n in STATE_INPUTS]
        if not needs:
            return
        x["state:reason"] = None
        if end >= self.today:
            for need in needs:
                if self.as_of and need in ("state:documents", "state:dossiers", "state:petitions"):
                    x.update(
                        self.reader.state_at(need, self.reader.clock.now)
                    )  # a past "now": from the facts
                else:
                    x.update(self._state_now(need))
            return
        self.preload_snapshots([end])
        snap = self._snapshots.get(end)
        for need in needs:
            if need == "state:petitions" or (snap is None and need in ("state:documents", "state:dossiers")):
                # No snapshot (a cache): the value at the end of that day, from the facts.
                moment = datetime.combine(end, datetime.max.time(), self.reader.clock.tz)
                x.update(self.reader.state_at(need, moment))
                continue
            for key, snapshot_id in STATE_INPUTS[need].items():
                if need == "state:live":
                    x[f"state:{key}"] = None
                    x["state:reason"] = LIVE_ONLY
                elif snap is None:
                    x[f"state:{key}"] = None
                    x["state:reason"] = no_history(end)
                else:
                    x[f"state:{key}"] = snap.get(snapshot_id, 0.0)

    def _state_now(self, need: str) -> dict[str, Any]:
        d, today = self.data, self.today
        if need == "state:documents":
            return {
                "state:doc_open": d.state.get("doc_open_now", 0.0),
                "state:doc_overdue": overdue_now(
                    d.state.get("doc_open_due_now", 0.0), d.get("doc_open_by_due"), today
                ),
            }
        if need == "state:dossiers":
            if "due_soon" not in self._now:
                self._now["due_soon"] = self.reader.due_soon()
            return {
                "state:dossier_in_progress": d.state.get("dossier_in_progress_now", 0.0),
                "state:dossier_overdue": overdue_now(
                    d.state.get("dossier_in_progress_due_now", 0.0),
                    d.get("dossier_in_progress_by_due"),
                    today,
                ),
                "state:dossier_paused": d.state.get("dossier_paused_now", 0.0),
                "state:dossier_due_soon": self._now["due_soon"],
            }
        if need == "state:petitions":
            return {
                "state:petition_open": d.state.get("petition_open_now", 0.0),
                "state:petition_overdue": overdue_now(
                    d.state.get("petition_open_due_now", 0.0), d.get("petition_open_by_deadline"), today
                ),
            }
        if need == "state:catalogue":
            return {
                "state:procedures": self.common["cat:procedures"],
                "state:procedures_online": self.common["cat:online"],
            }
        # live
        if "live" not in self._now:
            self._now["live"] = self.reader.live()
        live = self._now["live"]
        if live is None:
            return {"state:live_running": None, "state:live_participants": None, "state:reason": NO_LIVE_DATA}
        return {"state:live_running": live[0], "state:live_participants": live[1]}

    def for_period(self, period: Period) -> Inputs:
        end = period.observed_end(self.today)
        x = self._base()
        for m in self.plan.metrics:
            x[m] = self.data.get(m).between(period.start, end)
        self._derived(x, period.start, end)
        if "used" in self.plan.needs:
            x.update(self.reader.services_used(period.start, end))
        if "units" in self.plan.needs:
            x.update(self.reader.participation(period.start, end))
        if "endpoints" in self.plan.needs:
            x["meetings:distinct_endpoints"] = self.reader.distinct_endpoints(period.start, end)
        self._state(x, end)
        x["aggregates"] = self._aggregates_for(period.start, end)
        if "index" in self.plan.needs:
            token = index_inputs.NOW.set(self.reader.clock.now)
            try:
                x["index:inputs"] = index_inputs.collect(self.reader.session, self.index_unit, period)
            finally:
                index_inputs.NOW.reset(token)
        return x

    def for_day(self, day: date) -> Inputs:
        """Inputs of one day for the sparkline: rollup-based inputs only; the per-period probes
        (services used, participation, distinct endpoints) are not drawn day by day."""
        if self._daily is None:
            self._daily = defaultdict(dict)
            for m in self.plan.metrics:
                for ordinal, value in self.data.get(m).by_ordinal().items():
                    self._daily[ordinal][m] = value
        x = self._base()
        x.update(self._daily.get(day.toordinal(), {}))  # metrics without a row that day sum to 0
        self._derived(x, day, day)
        x.update(
            {
                "used:online": 0.0,
                "used:fee_paid": 0.0,
                "units:total": 0.0,
                "units:participating": 0.0,
                "meetings:distinct_endpoints": None,
            }
        )
        self._state(x, day)
        x["aggregates"] = self._aggregates_for(day, day)
        x["index:inputs"] = {}
        return x

    def _aggregates_for(self, start: date, end: date) -> stats.PeriodAggregates | None:
        """The OpenCPS counts of the scope's units without dossier facts (None: there are none)."""
        if self._aggregates is False:
            wanted = any(d.domain == "dossiers" for d in self.plan.defs)
            r = self.reader
            self._aggregates = stats.Aggregates.load(r.session, r.unit_ids, r.tree) if wanted else None
        return self._aggregates.for_range(start, end, self.today) if self._aggregates else None

    def _base(self) -> Inputs:
        x = Inputs()
        x.update(self.common)
        return x

    def _derived(self, x: Inputs, start: date, end: date) -> None:
        if "tasks" in self.plan.needs:
            if self._task_facts is None:
                self._task_facts = self.reader.task_facts(self.task_since)
            x.update(task_counts(self._task_facts, start, end))
        if "end" in self.plan.needs:
            open_, late = dossiers_open_at(end, self.data.state, self.data.series)
            x["end:dossier_open"], x["end:dossier_late"] = open_, late
            x["end:dossier_open_digitised"] = dossiers_open_with(
                end, self.data.state, self.data.series, "digitised"
            )
        if "pend" in self.plan.needs:
            x["end:petition_open"], x["end:petition_late"] = petitions_open_at(
                end, self.data.state, self.data.series
            )
        if "vb04" in self.plan.needs:
            on_time, late, pending = registration_on_time(
                self.data.series, start, end, self.targets.calendar, self.today, ARRIVAL_LAG_METRICS
            )
            x["vb04:on_time"], x["vb04:late"], x["vb04:pending"] = on_time, late, pending


def read_common(plan: Plan, reader: Reader) -> dict[str, Any]:
    common: dict[str, Any] = {}
    for domain, present in reader.facts().items():
        common[f"facts:{domain}"] = present
    for metric, present in reader.presence(plan.presence).items():
        common[f"has:{metric}"] = present
    if "cat" in plan.needs or "state:catalogue" in plan.needs:
        common.update(reader.catalogue())
    return common


def plan_ranges(
    plan: Plan, today: date, periods: list[Period], series_days: list[date]
) -> tuple[list[tuple[Iterable[str], date, date]], set[str]]:
    """The day ranges to read for every period, comparison and sparkline day, and the state totals."""
    spans = [(p.start, p.observed_end(today)) for p in periods]
    if series_days:
        spans.append((series_days[0], series_days[-1]))
    spans.sort()
    merged: list[list[date]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1] + timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    ranges: list[tuple[Iterable[str], date, date]] = [(plan.metrics, lo, hi) for lo, hi in merged]
    runs_now = any(p.observed_end(today) >= today for p in periods) or bool(
        series_days and series_days[-1] >= today
    )
    totals, now_tails = plan.state_metrics(now=runs_now)
    ends = [hi for _, hi in spans] + list(series_days)
    if "end" in plan.needs:
        ranges.append((END_TAILS, min(ends), _FAR_FUTURE))
    if "pend" in plan.needs:
        ranges.append((PETITION_END_TAILS, min(ends), _FAR_FUTURE))
    if now_tails:
        ranges.append((now_tails, today, _FAR_FUTURE))
    return ranges, totals


def read_data(plan: Plan, reader: Reader, periods: list[Period], series_days: list[date]) -> ScopeData:
    """One pass over the rollups for every period, comparison and sparkline day."""
    ranges, totals = plan_ranges(plan, reader.clock.today, periods, series_days)
    return reader.rollups(ranges, totals)


def merge(parts: Iterable[ScopeData]) -> ScopeData:
    """The data of several units summed (a unit with its sub-units, from per-unit reads)."""
    values: dict[str, dict[int, float]] = defaultdict(dict)
    state: dict[str, float] = defaultdict(float)
    for part in parts:
        for metric, series in part.series.items():
            target = values[metric]
            for day, value in series.by_ordinal().items():
                target[day] = target.get(day, 0.0) + value
        for metric, value in part.state.items():
            state[metric] += value
    return ScopeData({m: DaySeries.from_ordinals(v) for m, v in values.items()}, dict(state))


# --- results ----------------------------------------------------------------------------------------
def evaluate(d: KpiDef, x: Inputs) -> Outcome:
    """``d``'s formula on ``x``, with the scope's OpenCPS-only units accounted for (kpi/stats.py)."""
    return stats.apply(d, x, d.formula(x))


def _figure(outcome: Outcome) -> Figure:
    return Figure(outcome.value, outcome.numerator, outcome.denominator, outcome.reason)


def _result(
    d: KpiDef,
    outcome: Outcome,
    scope: Scope,
    period: Period,
    targets: Targets,
    clock: Clock,
    previous: tuple[Period, Outcome | Reason] | None,
    last_year: tuple[Period, Outcome | Reason] | None,
    series: tuple[tuple[date, float | None], ...],
    published: bool = False,
) -> KpiResult:
    t = targets.thresholds(d.id, scope.code)
    unknown = outcome.parts.get("unknown") if outcome.estimate and not published else None
    # An estimate with points not yet known is a lower bound: it is not judged against the target.
    judged = None if unknown is not None and unknown.value else outcome.value
    return KpiResult(
        kpi_id=d.id,
        scope=scope,
        period=period,
        value=outcome.value,
        numerator=outcome.numerator,
        denominator=outcome.denominator,
        unit=d.unit,
        status=status_for(judged, d.direction, t.green, t.amber),
        target=t.target,
        reason=outcome.reason,
        parts=dict(outcome.parts),
        previous=_compared(outcome, previous, d.direction),
        last_year=_compared(outcome, last_year, d.direction),
        series=series,
        as_of=clock.now,
        estimate=outcome.estimate and not published,
        published=published,
        from_aggregates=outcome.from_aggregates,
    )


def _compared(
    outcome: Outcome, other: tuple[Period, Outcome | Reason] | None, direction: str | None
) -> Comparison | None:
    if other is None:
        return None
    period, value = other
    if isinstance(value, Reason):  # not comparable: no value, no delta, no trend — never "growth"
        return Comparison(period, None, None, None, None, None, None, value)
    return compare(_figure(outcome), _figure(value), period, direction)


def index_unit(scope: Scope, tree: UnitTree) -> int | None:
    """The unit whose 766 figures (published scores, imported inputs) describe ``scope``: a
    published score covers a unit with its sub-units; the agency's is its single root's."""
    unit_id = scope.unit_id
    if unit_id is None:
        roots = tree.children.get(None, [])
        return roots[0] if len(roots) == 1 else None
    if not scope.include_children and tree.children.get(unit_id):
        return None
    return unit_id


def _published_outcome(session: Session, scope: Scope, period: Period, tree: UnitTree) -> Outcome | None:
    """DVC-14 as published, when an official score exists for the scope's unit and period."""
    unit_id = index_unit(scope, tree)
    if unit_id is None:
        return None
    score = service_index.published_score(session, unit_id, period)
    if score is None or score.total is None:
        return None
    parts = {
        k: Figure(v, None, None) if v is not None else Figure(None, reason=_NOT_PUBLISHED)
        for k, v in score.groups.items()
    }
    return Outcome(score.total, None, None, None, parts)


_NOT_PUBLISHED = Reason("not_published", "Không có trong số liệu công bố", "Not in the published figures")


@dataclass(frozen=True)
class _Setup:
    """What computing KPIs and reading their inputs both start from."""

    clock: Clock
    targets: Targets
    defs: list
    tree: UnitTree
    reader: Reader
    plan: Plan

    @classmethod
    def of(cls, session: Session, scope: Scope, kpi_ids, now, tz, targets) -> _Setup:
        clock = Clock.of(now, tz)
        defs = [CATALOGUE[k] for k in (kpi_ids or CATALOGUE)]
        tree = UnitTree.load(session)
        reader = Reader(session, scope.unit_ids, clock, tree)
        return cls(clock, targets or DEFAULT_TARGETS, defs, tree, reader, Plan.of(defs))

    def builder(self, scope: Scope, periods: list[Period], series_days: list[date]) -> InputBuilder:
        data = read_data(self.plan, self.reader, periods, series_days)
        builder = InputBuilder(
            self.plan, self.reader, data, read_common(self.plan, self.reader), self.targets
        )
        builder.index_unit = index_unit(scope, self.tree)
        return builder


def compute(
    session: Session,
    scope: Scope,
    period: Period,
    kpi_ids: Iterable[str] | None = None,
    *,
    now: datetime | None = None,
    tz: ZoneInfo = VN_TZ,
    targets: Targets | None = None,
    compare_periods: bool = True,
    with_series: bool = True,
    as_of: bool = False,
) -> dict[str, KpiResult]:
    """The KPIs ``kpi_ids`` (default: the whole catalogue) of ``scope`` over ``period``.

    Each result carries the previous period and the same period last year (``compare_periods``)
    and a daily series for the sparkline (``with_series``). ``as_of``: ``now`` is a past moment —
    point-in-time KPIs (VB-05, DVC-08) are computed at it from the facts' timestamps.
    """
    setup = _Setup.of(session, scope, kpi_ids, now, tz, targets)
    clock, targets, defs, tree, reader = setup.clock, setup.targets, setup.defs, setup.tree, setup.reader
    today = clock.today
    others = [period.previous(), period.same_period_last_year()] if compare_periods else []
    series_days = period.series_days(today) if with_series and any(d.series for d in defs) else []
    builder = setup.builder(scope, [period, *others], series_days)
    builder.as_of = as_of
    builder.task_since = min([p.start for p in (period, *others)] + series_days[:1])
    builder.preload_snapshots([p.observed_end(today) for p in (period, *others)] + series_days)

    current = builder.for_period(period)
    compared = [(p, builder.for_period(p)) for p in others]
    daily = {day: builder.for_day(day) for day in series_days} if series_days else {}
    results = {}
    for d in defs:
        outcome = evaluate(d, current)
        published = False
        if d.id == "DVC-14":
            official = _published_outcome(session, scope, period, tree)
            if official is not None:
                outcome, published = official, True
        other: list[tuple[Period, Outcome | Reason]] = []
        since = reader.history_start(d.domain) if compared else None
        for p, x in compared:
            o = evaluate(d, x)
            official = _published_outcome(session, scope, p, tree) if d.id == "DVC-14" else None
            # A published score, OpenCPS counts and a figure with its own reason stand as they are;
            # a value over rollups needs the store's history to cover the period.
            kept = o.value is None or o.from_aggregates or comparable(p, since)
            other.append((p, official or (o if kept else before_history(since))))
        series: tuple[tuple[date, float | None], ...] = ()
        if d.series and daily:
            series = tuple((day, evaluate(d, x).value) for day, x in daily.items())
        results[d.id] = _result(
            d,
            outcome,
            scope,
            period,
            targets,
            clock,
            other[0] if other else None,
            other[1] if len(other) > 1 else None,
            series,
            published,
        )
    return results


def compute_kpi(session: Session, kpi_id: str, scope: Scope, period: Period, **kwargs) -> KpiResult:
    return compute(session, scope, period, [kpi_id], **kwargs)[kpi_id]


def inputs_for(
    session: Session,
    scope: Scope,
    period: Period,
    kpi_ids: Iterable[str] | None = None,
    *,
    now: datetime | None = None,
    tz: ZoneInfo = VN_TZ,
    targets: Targets | None = None,
) -> Inputs:
    """The formula inputs of ``scope`` over ``period`` (what the KPIs are computed from)."""
    return (
        _Setup.of(session, scope, kpi_ids, now, tz, targets).builder(scope, [period], []).for_period(period)
    )


__all__ = [
    "Clock",
    "Plan",
    "Reader",
    "ScopeData",
    "UnitTree",
    "UnknownUnitError",
    "compute",
    "compute_kpi",
    "evaluate",
    "inputs_for",
    "resolve_scope",
]
