"""The values alert rules watch, read through the KPI engine in one pass for every rule.

Rules are grouped by period; for each period the daily rollups of every unit any rule needs are
read in one grouped query per range of days (as the ranking does), then each scope's inputs are
summed from them and every KPI watched on that scope is evaluated once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy.orm import Session

from dashboard.kpi.catalogue import CATALOGUE
from dashboard.kpi.engine import (
    Clock,
    InputBuilder,
    Plan,
    Reader,
    UnitTree,
    _published_outcome,
    evaluate,
    index_unit,
    merge,
    plan_ranges,
    read_common,
    resolve_scope,
)
from dashboard.kpi.periods import Period
from dashboard.models import AlertRule
from dashboard.targets import Targets


def rule_period(kind: str, today: date) -> Period:
    if kind == "today":
        return Period.today(today)
    if kind == "reporting":
        return Period.reporting_containing(today)
    return Period.month_to_date(today)


def rule_units(rule: AlertRule, tree: UnitTree) -> list[int]:
    """The units a rule keeps a state for: its unit (subtree), or each active unit under it."""
    root = tree.units.get(rule.unit_id)
    if root is None or not root.active:
        return []
    if rule.mode == "subtree":
        return [rule.unit_id]
    under = [u for u in tree.descendants(rule.unit_id) if u != rule.unit_id and tree.units[u].active]
    return under or [rule.unit_id]


def _estimate_unjudged(outcome) -> float | None:
    # An estimate with points not yet known (766) is a lower bound: not judged (as the ranking does).
    unknown = outcome.parts.get("unknown") if outcome.estimate else None
    return None if unknown is not None and unknown.value else outcome.value


def rule_values(
    session: Session, rules: list[AlertRule], clock: Clock, targets: Targets, tree: UnitTree | None = None
) -> dict[tuple[int, int], float | None]:
    """(rule id, unit id) → the KPI's value over the rule's period, the unit with its sub-units."""
    tree = tree or UnitTree.load(session)
    wanted: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # unit → period → KPIs
    for rule in rules:
        for unit_id in rule_units(rule, tree):
            wanted[unit_id][rule.period].add(rule.kpi_id)
    if not wanted:
        return {}
    kinds = sorted({k for by_period in wanted.values() for k in by_period})
    periods = {k: rule_period(k, clock.today) for k in kinds}
    kpis = sorted({r.kpi_id for r in rules})
    plan = Plan.of([CATALOGUE[k] for k in kpis])
    # One grouped read of the rollups of every unit, over every period, for every scope below.
    scopes = {u: resolve_scope(session, u, True, tree) for u in wanted}
    all_units = tuple(sorted({u for s in scopes.values() for u in s.unit_ids}))
    reader = Reader(session, all_units, clock, tree)
    ranges, totals = plan_ranges(plan, clock.today, list(periods.values()), [])
    per_unit = reader.rollups_by_unit(ranges, totals)
    common = {k: v for k, v in read_common(plan, reader).items() if not k.startswith("cat:")}
    needs_catalogue = "cat" in plan.needs or "state:catalogue" in plan.needs
    shared = _SharedProbes(session, all_units)
    published = _published_keys(session) if "DVC-14" in kpis else set()
    results: dict[tuple[str, int, str], float | None] = {}
    for unit_id, by_period in wanted.items():
        scope = scopes[unit_id]
        # One builder per scope for every period: the catalogue, "due within 24 h", the OpenCPS
        # counts and the snapshots are read once per scope, not once per period.
        scope_reader = _ScopeReader(session, scope.unit_ids, clock, tree, shared)
        scope_common = dict(common)
        if needs_catalogue:
            scope_common.update(scope_reader.catalogue())
        data = merge(per_unit[u] for u in scope.unit_ids if u in per_unit)
        builder = InputBuilder(plan, scope_reader, data, scope_common, targets)
        builder.preload_snapshots([periods[k].observed_end(clock.today) for k in by_period])
        for kind, kpi_ids in by_period.items():
            period = periods[kind]
            inputs = builder.for_period(period)
            for kpi_id in kpi_ids:
                outcome = evaluate(CATALOGUE[kpi_id], inputs)
                if kpi_id == "DVC-14" and (index_unit(scope, tree), period.start, period.end) in published:
                    outcome = _published_outcome(session, scope, period, tree) or outcome
                results[(kind, unit_id, kpi_id)] = _estimate_unjudged(outcome)
    return {
        (rule.id, unit_id): results.get((rule.period, unit_id, rule.kpi_id))
        for rule in rules
        for unit_id in rule_units(rule, tree)
    }


def _published_keys(session: Session) -> set[tuple]:
    """(unit, start, end) of every imported official 766 score: the published score is looked up
    only where one exists for exactly the period (one query instead of one per scope and period)."""
    from sqlalchemy import select

    from dashboard.models import OfficialScore

    return set(
        session.execute(
            select(OfficialScore.unit_id, OfficialScore.period_start, OfficialScore.period_end)
        ).all()
    )


# --- per-unit probes read once for every scope ----------------------------------------------------------
class _SharedProbes:
    """The procedure catalogue and "services used in [start, end]" are counts over procedures, and a
    procedure belongs to one unit: read them once grouped by unit, then sum them per scope (instead
    of one query per scope and period)."""

    def __init__(self, session: Session, unit_ids: tuple[int, ...]):
        self.session = session
        self.unit_ids = unit_ids
        self._catalogue: dict[int, tuple[float, float, float]] | None = None
        self._present: bool | None = None
        self._used: dict[tuple[date, date], dict[int, tuple[float, float]]] = {}
        self._due_soon: dict[int, float] | None = None

    def due_soon(self, units: tuple[int, ...], now) -> float:
        """Dossiers in progress due within 24 h (a count per dossier's unit, so it adds up)."""
        from datetime import timedelta

        from sqlalchemy import func, select

        from dashboard.models import Dossier

        if self._due_soon is None:
            rows = self.session.execute(
                select(Dossier.unit_id, func.count())
                .where(
                    Dossier.status.in_((2, 4)),
                    Dossier.due_at >= now,
                    Dossier.due_at < now + timedelta(hours=24),
                    Dossier.unit_id.in_(self.unit_ids),
                )
                .group_by(Dossier.unit_id)
            ).all()
            self._due_soon = {u: float(n) for u, n in rows}
        return sum(self._due_soon.get(u, 0.0) for u in units)

    def catalogue(self, units: tuple[int, ...]) -> dict[str, object]:
        from sqlalchemy import case, exists, func, select

        from dashboard.models import Procedure

        if self._catalogue is None:
            online = Procedure.service_level.in_(("full", "partial"))
            rows = self.session.execute(
                select(
                    Procedure.unit_id,
                    func.count(),
                    func.coalesce(func.sum(case((online, 1), else_=0)), 0),
                    func.coalesce(func.sum(case((Procedure.has_fee.is_(True), 1), else_=0)), 0),
                )
                .where(Procedure.active.is_(True), Procedure.unit_id.in_(self.unit_ids))
                .group_by(Procedure.unit_id)
            ).all()
            self._catalogue = {r[0]: (float(r[1]), float(r[2]), float(r[3])) for r in rows}
            self._present = bool(self.session.scalar(select(exists().where(Procedure.id.is_not(None)))))
        parts = [self._catalogue.get(u, (0.0, 0.0, 0.0)) for u in units]
        return {
            "cat:present": self._present,
            "cat:procedures": sum(p[0] for p in parts),
            "cat:online": sum(p[1] for p in parts),
            "cat:fee": sum(p[2] for p in parts),
        }

    def services_used(self, units: tuple[int, ...], start: date, end: date) -> dict[str, float]:
        from sqlalchemy import and_, exists, func, select

        from dashboard.models import Dossier, Procedure

        found = self._used.get((start, end))
        if found is None:
            p = Procedure
            base = and_(p.active.is_(True), p.unit_id.in_(self.unit_ids))
            same = and_(
                Dossier.unit_id == p.unit_id,
                Dossier.procedure_code == p.code,
                Dossier.received_day >= start,
                Dossier.received_day <= end,
            )
            online = dict(
                self.session.execute(
                    select(p.unit_id, func.count())
                    .where(
                        base,
                        p.service_level.in_(("full", "partial")),
                        exists().where(same, Dossier.channel == 2),
                    )
                    .group_by(p.unit_id)
                ).all()
            )
            paid = dict(
                self.session.execute(
                    select(p.unit_id, func.count())
                    .where(base, p.has_fee.is_(True), exists().where(same, Dossier.paid_online.in_((1, 2))))
                    .group_by(p.unit_id)
                ).all()
            )
            found = self._used[(start, end)] = {
                u: (float(online.get(u, 0)), float(paid.get(u, 0))) for u in set(online) | set(paid)
            }
        parts = [found.get(u, (0.0, 0.0)) for u in units]
        return {"used:online": sum(p[0] for p in parts), "used:fee_paid": sum(p[1] for p in parts)}


class _ScopeReader(Reader):
    """A scope's reader whose catalogue and services-used probes come from :class:`_SharedProbes`."""

    def __init__(self, session, unit_ids, clock, tree, shared: _SharedProbes):
        super().__init__(session, unit_ids, clock, tree)
        self.shared = shared

    def catalogue(self):
        return self.shared.catalogue(self.unit_ids)

    def services_used(self, start: date, end: date) -> dict[str, float]:
        return self.shared.services_used(self.unit_ids, start, end)

    def due_soon(self) -> float:
        return self.shared.due_soon(self.unit_ids, self.clock.now)
