"""Public-service KPIs for units that only publish OpenCPS aggregate counts (``dossier_stat``).

Some agencies give no dossier-level access, only OpenCPS's monthly statistics per agency
(:mod:`collectors.opencps`). For a unit with **no dossier facts at all** but with such rows
("a stats-only unit"), the counts determine exactly four KPIs of the catalogue:

==========  =======================================================  ===============================
KPI         formula from the counts                                  counts
==========  =======================================================  ===============================
DVC-01      received                                                 receivedCount
DVC-02      received online ÷ received                               onlineCount, receivedCount
DVC-07      (early + on time) ÷ finished; parts early, on time,      betimes/ontime/overtimeCount,
            late ÷ finished                                          releaseCount
DVC-08      open and overdue at the period's end (now for a          overdueCount, processingCount
            running period); part "in progress"                      (of the period's last month)
==========  =======================================================  ===============================

— and only for a period the rows tile exactly: whole months inside it, one after another from
its first day to its last observed day (the running month counts up to today, so "month to date"
works; "the first 14 days of February" does not). Every other public-service KPI (DVC-03, 05, 06,
09…14: they need due dates, supplements, fees, ratings, the catalogue's services per dossier) has
no value for a scope with a stats-only unit — never 0, never a figure that silently leaves the
unit out. DVC-04 reads only the procedure catalogue and is left alone.

A scope mixing units with dossier facts and stats-only units adds the counts of the latter to the
rollup sums of the former, then runs the catalogue's own formula: one definition per KPI. Values
that used aggregates carry ``from_aggregates`` so the tile can say "từ số liệu tổng hợp OpenCPS".
Parts the counts cannot give (DVC-07 withdrawn, DVC-08 paused and due within 24 h) say so.

Hook: :class:`dashboard.kpi.engine.InputBuilder` puts :meth:`Aggregates.for_range` into the
formula inputs as ``x["aggregates"]``; :func:`dashboard.kpi.engine.evaluate` calls :func:`apply`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from dashboard.kpi.catalogue import Inputs, KpiDef
from dashboard.kpi.values import Figure, Outcome, Reason
from dashboard.models import Dossier, DossierStat

#: KPIs the counts determine exactly.
STATS_KPIS = frozenset({"DVC-01", "DVC-02", "DVC-07", "DVC-08"})
#: Public-service KPIs that read no dossier facts (the procedure catalogue only): untouched.
UNTOUCHED = frozenset({"DVC-04"})
#: The label for a value computed (partly) from aggregates.
LABEL = ("từ số liệu tổng hợp OpenCPS", "from OpenCPS aggregates")

#: Rollup metric ← the count of ``dossier_stat`` that adds to it.
METRIC_COUNTS = {
    "dossier_received": "received",
    "dossier_received_online": "received_online",
    "dossier_finished": "resolved",
    "dossier_finished_early": "resolved_early",
    "dossier_finished_on_time": "resolved_on_time",
    "dossier_finished_late": "resolved_late",
}
#: Point-in-time input ← the count of the period's last row that adds to it.
STATE_COUNTS = {"state:dossier_overdue": "overdue", "state:dossier_in_progress": "processing"}
#: The counts each KPI's headline needs.
REQUIRED = {
    "DVC-01": ("received",),
    "DVC-02": ("received", "received_online"),
    "DVC-07": ("resolved", "resolved_early", "resolved_on_time", "resolved_late"),
    "DVC-08": ("overdue",),
}
_COUNT_WORDS = {
    "received": ("số hồ sơ tiếp nhận", "dossiers received"),
    "received_online": ("số hồ sơ trực tuyến", "online dossiers"),
    "resolved": ("số hồ sơ đã giải quyết", "dossiers finished"),
    "resolved_early": ("số hồ sơ giải quyết trước hạn", "dossiers finished early"),
    "resolved_on_time": ("số hồ sơ giải quyết đúng hạn", "dossiers finished on time"),
    "resolved_late": ("số hồ sơ giải quyết quá hạn", "dossiers finished late"),
    "overdue": ("số hồ sơ đang xử lý quá hạn", "open overdue dossiers"),
    "processing": ("số hồ sơ đang xử lý", "dossiers in progress"),
}
COUNTS = tuple(_COUNT_WORDS)

NEEDS_DOSSIERS = Reason(
    "aggregates_only",
    "Chưa có dữ liệu: đơn vị chỉ có số liệu tổng hợp OpenCPS, chỉ số này cần dữ liệu từng hồ sơ",
    "No data: only OpenCPS aggregate counts exist for this unit; this KPI needs dossier-level data",
)
NOT_COVERED = Reason(
    "aggregates_period",
    "Chưa có dữ liệu: số liệu tổng hợp OpenCPS theo tháng không khớp với kỳ đã chọn (chọn tháng, quý, năm hoặc từ đầu tháng)",
    "No data: the monthly OpenCPS aggregates do not cover this period exactly (choose months, quarters, years or month to date)",
)
OVERLAP = Reason(
    "aggregates_overlap",
    "Chưa có dữ liệu: số liệu tổng hợp của đơn vị cấp trên có thể trùng với dữ liệu của đơn vị cấp dưới",
    "No data: a parent unit's aggregate counts may include its sub-units' data",
)


def not_in_aggregates(count: str) -> Reason:
    vi, en = _COUNT_WORDS.get(count, (count, count))
    return Reason(
        "not_in_aggregates",
        f"Chưa có dữ liệu: số liệu tổng hợp OpenCPS không có {vi}",
        f"No data: the OpenCPS aggregates do not give {en}",
    )


WITHDRAWN_MISSING = Reason(
    "not_in_aggregates",
    "Chưa có dữ liệu: số liệu tổng hợp OpenCPS không có số hồ sơ rút",
    "No data: the OpenCPS aggregates do not give withdrawn dossiers",
)
PAUSED_MISSING = Reason(
    "not_in_aggregates",
    "Chưa có dữ liệu: số liệu tổng hợp OpenCPS không có hồ sơ tạm dừng",
    "No data: the OpenCPS aggregates do not give paused dossiers",
)
DUE_SOON_MISSING = Reason(
    "not_in_aggregates",
    "Chưa có dữ liệu: số liệu tổng hợp OpenCPS không có hồ sơ sắp đến hạn",
    "No data: the OpenCPS aggregates do not give dossiers due soon",
)


@dataclass(frozen=True)
class StatRow:
    unit_id: int
    start: date
    end: date  # inclusive
    counts: Mapping[str, int | None]


@dataclass(frozen=True)
class PeriodAggregates:
    """The stats-only units' counts over one range of days: ``sums`` over the rows that tile it,
    ``state`` of the rows ending it; or the ``reason`` there are none."""

    sums: Mapping[str, float | None]
    state: Mapping[str, float | None]
    reason: Reason | None = None
    #: Whether the scope also has units with dossier facts (their point-in-time values count).
    with_facts: bool = False


def tile(rows: Iterable[StatRow], start: date, last: date, today: date) -> list[StatRow] | None:
    """Rows that cover ``start``…``last`` exactly, one after another; a row running past today (the
    current month) counts up to today. None when they do not.

    >>> m = lambda a, b: StatRow(1, date(2026, a, 1), date(2026, b, 28), {})
    >>> [r.start.month for r in tile([m(1, 1), m(2, 2), m(3, 3)], date(2026, 2, 1), date(2026, 3, 28), date(2026, 6, 1))]
    [2, 3]
    >>> tile([m(1, 1), m(3, 3)], date(2026, 1, 1), date(2026, 3, 28), date(2026, 6, 1)) is None
    True
    """
    by_start: dict[date, list[StatRow]] = defaultdict(list)
    for r in rows:
        by_start[r.start].append(r)

    def walk(current: date, depth: int) -> list[StatRow] | None:
        if depth > 600:  # 50 years of months: a bound, not a limit anyone meets
            return None
        for r in sorted(by_start.get(current, ()), key=lambda r: r.end, reverse=True):
            end = min(r.end, today)
            if end > last:
                continue
            if end == last:
                return [r]
            rest = walk(r.end + timedelta(days=1), depth + 1)
            if rest is not None:
                return [r, *rest]
        return None

    if last < start:
        return None
    return walk(start, 0)


def _add(a: float | None, b: int | None) -> float | None:
    return None if a is None or b is None else a + b


class Aggregates:
    """The ``dossier_stat`` rows of a scope's stats-only units, read once per computation."""

    def __init__(self, rows: dict[int, list[StatRow]], overlap: bool, with_facts: bool):
        self.rows = rows
        self.overlap = overlap
        self.with_facts = with_facts

    @classmethod
    def load(cls, session: Session, unit_ids: tuple[int, ...] | None, tree) -> Aggregates | None:
        """None when no unit of the scope is stats-only (the usual case: one cheap query)."""
        stmt = select(DossierStat).where(~exists().where(Dossier.unit_id == DossierStat.unit_id))
        if unit_ids is not None:
            stmt = stmt.where(DossierStat.unit_id.in_(unit_ids))
        latest: dict[tuple[int, date, date], Any] = {}
        for s in session.scalars(stmt.order_by(DossierStat.ingested_at, DossierStat.id)):
            latest[(s.unit_id, s.period_start, s.period_end)] = (
                s  # two sources, one period: the latest reading
            )
        if not latest:
            return None
        rows: dict[int, list[StatRow]] = defaultdict(list)
        for (unit, start, end), s in latest.items():
            rows[unit].append(StatRow(unit, start, end, {c: getattr(s, c) for c in COUNTS}))
        in_scope = set(unit_ids) if unit_ids is not None else set(tree.units)
        with_facts = bool(
            session.scalar(
                select(
                    exists().where(
                        Dossier.unit_id.in_(sorted(in_scope))
                        if unit_ids is not None
                        else Dossier.id.is_not(None)
                    )
                )
            )
        )
        overlap = False
        for unit in rows:
            below = set(tree.descendants(unit)) - {unit}
            if below & set(rows):
                overlap = True  # a parent's aggregates and its sub-units' aggregates
            elif (
                below
                and with_facts
                and session.scalar(select(exists().where(Dossier.unit_id.in_(sorted(below)))))
            ):
                overlap = True  # a parent's aggregates and its sub-units' dossiers
        return cls(dict(rows), overlap, with_facts)

    def for_range(self, start: date, last: date, today: date) -> PeriodAggregates:
        if self.overlap:
            return PeriodAggregates({}, {}, OVERLAP, self.with_facts)
        sums: dict[str, float | None] = {c: 0.0 for c in COUNTS}
        state: dict[str, float | None] = {c: 0.0 for c in COUNTS}
        for unit_rows in self.rows.values():
            tiles = tile(unit_rows, start, last, today)
            if tiles is None:
                return PeriodAggregates({}, {}, NOT_COVERED, self.with_facts)
            for r in tiles:
                for c in COUNTS:
                    sums[c] = _add(sums[c], r.counts.get(c))
            for c in COUNTS:
                state[c] = _add(state[c], tiles[-1].counts.get(c))
        return PeriodAggregates(sums, state, None, self.with_facts)


def apply(d: KpiDef, x: Mapping[str, Any], outcome: Outcome) -> Outcome:
    """``outcome`` of ``d`` (its formula on ``x``) accounting for the scope's stats-only units."""
    agg: PeriodAggregates | None = x.get("aggregates")
    if agg is None or d.domain != "dossiers" or d.id in UNTOUCHED:
        return outcome
    if d.id not in STATS_KPIS:
        return Outcome(None, reason=NEEDS_DOSSIERS)
    if agg.reason is not None:
        return Outcome(None, reason=agg.reason)
    source = agg.state if d.id == "DVC-08" else agg.sums
    for count in REQUIRED[d.id]:
        if source.get(count) is None:
            return Outcome(None, reason=not_in_aggregates(count))
    y = Inputs(x)
    y["facts:dossiers"] = True
    for metric, count in METRIC_COUNTS.items():
        if agg.sums.get(count) is not None:
            y[metric] = x[metric] + agg.sums[count]
    for key, count in STATE_COUNTS.items():
        if key not in x:
            continue
        theirs = agg.state.get(count)
        # Without any unit with dossier facts, a missing end-of-day snapshot has nothing to add.
        mine = x[key] if x[key] is not None or agg.with_facts else 0.0
        if theirs is None:
            y[key] = mine  # a count OpenCPS left out: the part says so below
        else:
            y[key] = None if mine is None else mine + theirs
    result = d.formula(y)
    parts = dict(result.parts)
    if d.id == "DVC-07":
        parts["returned"] = Figure(None, reason=WITHDRAWN_MISSING)
    if d.id == "DVC-08":
        parts["paused"] = Figure(None, reason=PAUSED_MISSING)
        parts["due_soon"] = Figure(None, reason=DUE_SOON_MISSING)
        if agg.state.get("processing") is None:
            parts["in_progress"] = Figure(None, reason=not_in_aggregates("processing"))
    return replace(result, parts=parts, from_aggregates=result.value is not None)
