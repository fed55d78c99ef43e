"""Ranking units on a KPI or on the service index: standard competition ranking (1, 2, 2, 4),
ties shared at the precision users see, and the change of rank against the previous period.

    rows = rank_units(session, "DVC-06", Period.month_to_date(today), parent="BMP-SO")
    rows[0].rank, rows[0].code, rows[0].rank_change          # 1, 'SO-79', +3

Each unit is ranked on its own value *with its sub-units*. Units without a value (an empty
denominator, no data) get no rank and come last — they are never ranked as 0. KPIs without a
direction (counts such as VB-01) rank the larger value first.

The rollups of every candidate are read in one grouped query per range of days; the inputs a
KPI takes from elsewhere (the procedure catalogue, services used, snapshots) are read per unit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dashboard.kpi.catalogue import CATALOGUE
from dashboard.kpi.engine import (
    Clock,
    InputBuilder,
    Plan,
    Reader,
    UnitTree,
    UnknownUnitError,
    _published_outcome,
    before_history,
    comparable,
    evaluate,
    merge,
    plan_ranges,
    read_common,
    resolve_scope,
)
from dashboard.kpi.maths import competition_rank, status_for
from dashboard.kpi.periods import Period
from dashboard.kpi.samples import is_small
from dashboard.kpi.values import Outcome, RankRow, Scope
from dashboard.targets import DEFAULT_TARGETS, Targets
from dashboard.timeutil import VN_TZ


def candidates(
    session: Session, parent: int | str | None = None, level: str | None = None, tree: UnitTree | None = None
) -> list[Scope]:
    """The units to rank: the active children of ``parent`` (default: of the single root), or
    every active unit of ``level`` (e.g. "province"), each with its sub-units."""
    tree = tree or UnitTree.load(session)
    if level is not None:
        ids = [u.id for u in tree.units.values() if u.level == level and u.active]
    else:
        if parent is None:
            roots = [u for u in tree.children.get(None, []) if tree.units[u].active]
            parent_id = roots[0] if len(roots) == 1 else None
            ids = roots if parent_id is None else tree.children.get(parent_id, [])
        else:
            found = tree.units.get(parent) if isinstance(parent, int) else tree.by_code(parent)
            if found is None:
                raise UnknownUnitError(f"unknown unit {parent!r}")
            ids = tree.children.get(found.id, [])
    return [resolve_scope(session, uid, True, tree) for uid in ids if tree.units[uid].active]


def _precision(kpi_id: str) -> int:
    d = CATALOGUE[kpi_id]
    return d.rank_decimals + 2 if d.unit == "percent" else d.rank_decimals


def rank_units(
    session: Session,
    kpi_id: str,
    period: Period,
    scopes: Iterable[Scope] | None = None,
    *,
    parent: int | str | None = None,
    level: str | None = None,
    now: datetime | None = None,
    tz: ZoneInfo = VN_TZ,
    targets: Targets | None = None,
    min_sample: int = 0,
) -> list[RankRow]:
    """Rank ``scopes`` (default: :func:`candidates` of ``parent`` / ``level``) on ``kpi_id``.

    With ``min_sample``, a percentage over fewer items is a small sample: listed without a rank
    (``small_sample``), like a unit without a value, and left out of the previous ranks too."""
    d = CATALOGUE[kpi_id]
    clock = Clock.of(now, tz)
    targets = targets or DEFAULT_TARGETS
    tree = UnitTree.load(session)
    scopes = list(scopes) if scopes is not None else candidates(session, parent, level, tree)
    if not scopes:
        return []
    previous = period.previous()
    plan = Plan.of([d])
    all_units = tuple(sorted({u for s in scopes for u in (s.unit_ids or tree.units)}))
    reader = Reader(session, all_units, clock, tree)
    ranges, totals = plan_ranges(plan, clock.today, [period, previous], [])
    per_unit = reader.rollups_by_unit(ranges, totals)
    common = read_common(plan, reader)  # presence and facts are store-wide; the catalogue is per scope below

    current: dict[str, Outcome] = {}
    before: dict[str, Outcome] = {}
    # The previous period before the store's history: no previous rank (its zeros are no place).
    earlier = comparable(previous, reader.history_start(d.domain))
    for scope in scopes:
        units = scope.unit_ids or tuple(tree.units)
        data = merge(per_unit[u] for u in units if u in per_unit)
        scope_reader = Reader(session, units, clock, tree)
        scope_common = dict(common)
        if "cat" in plan.needs or "state:catalogue" in plan.needs:
            scope_common.update(scope_reader.catalogue())
        builder = InputBuilder(plan, scope_reader, data, scope_common, targets)
        builder.task_since = min(period.start, previous.start)
        builder.preload_snapshots([period.observed_end(clock.today), previous.observed_end(clock.today)])
        current[scope.key] = evaluate(d, builder.for_period(period))
        before[scope.key] = (
            evaluate(d, builder.for_period(previous))
            if earlier
            else Outcome(None, reason=before_history(None))
        )
        if kpi_id == "DVC-14":
            current[scope.key] = _published_outcome(session, scope, period, tree) or current[scope.key]
            before[scope.key] = _published_outcome(session, scope, previous, tree) or before[scope.key]

    higher = d.direction != "down"
    decimals = _precision(kpi_id)

    def rankable(o: Outcome) -> float | None:
        return None if is_small(d.unit, o.denominator, min_sample) else o.value

    # Like with like: a central department is ranked among central departments, a provincial one
    # among provincial ones, a group (the sum of its members) only among groups.
    level_of = {scope.key: tree.units[scope.unit_id].level for scope in scopes}
    ranks = _ranks_by_level({k: rankable(o) for k, o in current.items()}, level_of, higher, decimals)
    previous_ranks = _ranks_by_level({k: rankable(o) for k, o in before.items()}, level_of, higher, decimals)
    peers = Counter(level_of[k] for k, r in ranks.items() if r is not None)
    rows = []
    for scope in scopes:
        o, p = current[scope.key], before[scope.key]
        rank, prev_rank = ranks[scope.key], previous_ranks[scope.key]
        t = targets.thresholds(kpi_id, scope.code)
        rows.append(
            RankRow(
                unit_id=scope.unit_id,
                code=scope.code,
                name_vi=scope.name_vi,
                name_en=scope.name_en,
                value=o.value,
                numerator=o.numerator,
                denominator=o.denominator,
                # An estimate with points not yet known (766) is a lower bound: not judged.
                status=status_for(
                    None if o.estimate and (o.parts.get("unknown") or Outcome(0)).value else o.value,
                    d.direction,
                    t.green,
                    t.amber,
                ),
                rank=rank,
                previous_value=p.value,
                previous_rank=prev_rank,
                rank_change=(prev_rank - rank) if rank is not None and prev_rank is not None else None,
                reason=o.reason,
                estimate=o.estimate,
                small_sample=is_small(d.unit, o.denominator, min_sample),
                level=level_of[scope.key],
                peers=peers[level_of[scope.key]],
            )
        )
    # Ranked first, then the small samples (they have a value), then the units without one.
    rows.sort(key=lambda r: (r.rank is None, r.value is None, r.rank or 0, r.code))
    return rows


def _ranks_by_level(
    values: dict[str, float | None], level_of: dict[str, str], higher: bool, decimals: int
) -> dict[str, int | None]:
    """Competition ranks counted separately within each level.

    >>> _ranks_by_level({"a": 1.0, "b": 2.0, "g": 9.0}, {"a": "department", "b": "department", "g": "group"}, True, 0)
    {'a': 2, 'b': 1, 'g': 1}
    """
    ranks: dict[str, int | None] = {}
    for level in dict.fromkeys(level_of.values()):
        members = {k: v for k, v in values.items() if level_of[k] == level}
        ranks.update(competition_rank(members, higher, decimals))
    return {k: ranks[k] for k in values}
