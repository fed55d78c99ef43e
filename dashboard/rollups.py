"""Daily rollups: (local day, unit, metric) → value, kept equal to a full recompute from facts.

Each metric is declared once: the fact table, the local-day column it is counted on, a filter and
an aggregate. Writers call :func:`refresh` with the (unit, day) pairs a batch touched — before and
after the change — and the rows for exactly those pairs are recomputed from facts in the same
transaction. :func:`recompute_all` rebuilds everything; tests assert both agree.

Statuses follow domain.md: dossiers 1 and 3 are not received; 9 and 10 are finished; documents
02 and 13 are returned / recalled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from dashboard.models import DailyRollup, Document, Dossier, Meeting
from dashboard.upsert import upsert


@dataclass(frozen=True)
class Metric:
    name: str
    model: type
    day_column: str
    where: ColumnElement[bool]
    measure: ColumnElement | None = None  # summed over rows passing ``where``; None counts them

    def aggregate(self, label: str) -> ColumnElement:
        return func.sum(case((self.where, self.measure if self.measure is not None else 1), else_=0)).label(label)

    @property
    def domain(self) -> str:
        return {Document: "documents", Dossier: "dossiers", Meeting: "meetings"}[self.model]


_IN_OUT = Document.direction.in_(("in", "out"))
_RECEIVED = Dossier.status.not_in((1, 3))
_FINISHED = Dossier.status.in_((9, 10))
_APPROVED = Meeting.status == 2
_ONLINE_HELD = and_(_APPROVED, Meeting.is_online.is_(True), func.coalesce(Meeting.endpoints_connected, 0) >= 1)

METRICS: tuple[Metric, ...] = (
    # Documents, by registration day (VB-01…VB-03, VB-08).
    Metric("doc_in", Document, "registered_day", Document.direction == "in"),
    Metric("doc_out", Document, "registered_day", Document.direction == "out"),
    Metric("doc_internal", Document, "registered_day", Document.direction == "internal"),
    Metric("doc_exchange_total", Document, "registered_day", and_(_IN_OUT, Document.is_secret.is_(False))),
    Metric(
        "doc_exchange_electronic",
        Document,
        "registered_day",
        and_(_IN_OUT, Document.is_secret.is_(False), Document.is_electronic.is_(True)),
    ),
    Metric(
        "doc_internal_electronic",
        Document,
        "registered_day",
        and_(Document.direction == "internal", Document.is_electronic.is_(True)),
    ),
    Metric(
        "doc_internal_signed",
        Document,
        "registered_day",
        and_(Document.direction == "internal", Document.is_electronic.is_(True), Document.is_signed.is_(True)),
    ),
    Metric("doc_axis", Document, "registered_day", Document.channel == "axis"),
    Metric("doc_axis_signed", Document, "registered_day", and_(Document.channel == "axis", Document.is_signed.is_(True))),
    Metric("doc_returned_recalled", Document, "registered_day", Document.status_code.in_(("02", "13"))),
    # Dossiers, by receipt day (DVC-01, DVC-02, DVC-10).
    Metric("dossier_received", Dossier, "received_day", _RECEIVED),
    Metric("dossier_received_online", Dossier, "received_day", and_(_RECEIVED, Dossier.channel == 2)),
    Metric("dossier_received_fee", Dossier, "received_day", and_(_RECEIVED, Dossier.has_fee.is_(True))),
    Metric(
        "dossier_received_paid_online",
        Dossier,
        "received_day",
        and_(_RECEIVED, Dossier.has_fee.is_(True), Dossier.paid_online.in_((1, 2))),
    ),
    # Dossiers, by finish day (DVC-07, DVC-09): day granularity, no due date counts as on time.
    Metric("dossier_finished", Dossier, "finished_day", _FINISHED),
    Metric(
        "dossier_finished_early",
        Dossier,
        "finished_day",
        and_(_FINISHED, Dossier.due_day.is_not(None), Dossier.finished_day < Dossier.due_day),
    ),
    Metric(
        "dossier_finished_on_time",
        Dossier,
        "finished_day",
        and_(_FINISHED, or_(Dossier.due_day.is_(None), Dossier.finished_day == Dossier.due_day)),
    ),
    Metric(
        "dossier_finished_late",
        Dossier,
        "finished_day",
        and_(_FINISHED, Dossier.due_day.is_not(None), Dossier.finished_day > Dossier.due_day),
    ),
    Metric("dossier_returned", Dossier, "finished_day", Dossier.status == 7),
    # Meetings, by start day (HOP-01…HOP-06).
    Metric("meeting_approved", Meeting, "start_day", _APPROVED),
    Metric("meeting_online", Meeting, "start_day", _ONLINE_HELD),
    Metric("meeting_endpoints_connected", Meeting, "start_day", _ONLINE_HELD, func.coalesce(Meeting.endpoints_connected, 0)),
    Metric("meeting_endpoints_scheduled", Meeting, "start_day", _ONLINE_HELD, func.coalesce(Meeting.endpoints_scheduled, 0)),
    Metric("meeting_participants", Meeting, "start_day", _ONLINE_HELD, func.coalesce(Meeting.participants_peak, 0)),
    Metric("meeting_minutes", Meeting, "start_day", _ONLINE_HELD, func.coalesce(Meeting.duration_min, 0.0)),
)

METRICS_BY_MODEL: dict[type, tuple[Metric, ...]] = {
    model: tuple(m for m in METRICS if m.model is model) for model in (Document, Dossier, Meeting)
}
#: The day columns of each fact table that rollups group by.
DAY_COLUMNS: dict[type, tuple[str, ...]] = {
    model: tuple(sorted({m.day_column for m in metrics})) for model, metrics in METRICS_BY_MODEL.items()
}

Pair = tuple[int, date]


def _compute(session: Session, metrics: Iterable[Metric], pairs: set[Pair] | None) -> dict[tuple[date, int, str], float]:
    """Aggregate ``metrics`` from facts, for ``pairs`` only (or everything when None)."""
    values: dict[tuple[date, int, str], float] = {}
    by_column: dict[tuple[type, str], list[Metric]] = defaultdict(list)
    for metric in metrics:
        by_column[(metric.model, metric.day_column)].append(metric)
    for (model, day_name), group in by_column.items():
        day_col = getattr(model, day_name)
        columns = [m.aggregate(f"n{i}") for i, m in enumerate(group)]
        stmt = select(model.unit_id, day_col, *columns).where(day_col.is_not(None)).group_by(model.unit_id, day_col)
        if pairs is not None:
            if not pairs:
                continue
            by_unit: dict[int, set[date]] = defaultdict(set)
            for unit_id, day in pairs:
                by_unit[unit_id].add(day)
            stmt = stmt.where(or_(*[and_(model.unit_id == u, day_col.in_(sorted(days))) for u, days in by_unit.items()]))
        for row in session.execute(stmt):
            unit_id, day = row[0], row[1]
            for metric, value in zip(group, row[2:]):
                if value:  # zero rows are not stored: a missing rollup row means 0 for counts
                    values[(day, unit_id, metric.name)] = float(value)
    return values


def refresh(session: Session, model: type, pairs: set[Pair]) -> int:
    """Recompute the rollups of ``model``'s metrics for the touched (unit, day) pairs."""
    metrics = METRICS_BY_MODEL.get(model, ())
    if not pairs or not metrics:
        return 0
    names = [m.name for m in metrics]
    by_unit: dict[int, set[date]] = defaultdict(set)
    for unit_id, day in pairs:
        by_unit[unit_id].add(day)
    for unit_id, days in by_unit.items():
        session.execute(
            delete(DailyRollup).where(
                DailyRollup.unit_id == unit_id, DailyRollup.day.in_(sorted(days)), DailyRollup.metric.in_(names)
            )
        )
    values = _compute(session, metrics, pairs)
    rows = [{"day": d, "unit_id": u, "metric": m, "value": v} for (d, u, m), v in values.items()]
    if rows:
        upsert(session, DailyRollup, rows, key=("day", "unit_id", "metric"), count=False)
    return len(rows)


def recompute_all(session: Session) -> dict[tuple[date, int, str], float]:
    """Every rollup value computed from facts (what the table must equal)."""
    return _compute(session, METRICS, None)


def stored(session: Session) -> dict[tuple[date, int, str], float]:
    return {(r.day, r.unit_id, r.metric): r.value for r in session.scalars(select(DailyRollup))}


def rebuild(session: Session) -> int:
    """Replace the whole rollup table by a full recompute (repair tool)."""
    session.execute(delete(DailyRollup))
    rows = [{"day": d, "unit_id": u, "metric": m, "value": v} for (d, u, m), v in recompute_all(session).items()]
    if rows:
        upsert(session, DailyRollup, rows, key=("day", "unit_id", "metric"), count=False)
    return len(rows)
