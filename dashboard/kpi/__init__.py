"""The KPI engine (design.md §1.3): the catalogue of official and practical KPIs, periods,
targets, computation for any scope and period, ranking, action lists. It knows nothing of Dash;
pages read it through the cached :mod:`dashboard.queries`.

    from dashboard.kpi import CATALOGUE, Period, compute, resolve_scope
    results = compute(session, resolve_scope(session, "SO-01"), Period.month_to_date(today))

Modules: ``catalogue`` (definitions and formulas), ``periods``, ``workdays`` (working-day
calendar), ``maths`` (pure maths), ``values`` (result types), ``engine`` (reading and
computing), ``ranking``, ``lists`` (action lists). The names below are imported lazily so that
any module of the package can be imported on its own without import cycles.
"""

from importlib import import_module

_EXPORTS = {
    "catalogue": ("CATALOGUE", "KPI_IDS", "KpiDef", "PartDef", "Thresholds"),
    "engine": ("UnknownUnitError", "compute", "compute_kpi", "inputs_for", "resolve_scope"),
    "lists": ("ActionItem", "ActionList", "action_list"),
    "periods": ("Period", "PeriodError"),
    "ranking": ("candidates", "rank_units"),
    "values": ("Comparison", "Figure", "KpiResult", "Outcome", "RankRow", "Reason", "Scope"),
    "workdays": ("WorkingCalendar",),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f"dashboard.kpi.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'dashboard.kpi' has no attribute {name!r}")
