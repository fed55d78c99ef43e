"""Alerts: rules over KPIs, a state machine per rule × unit, notifications on state changes.

add_rule(session, RuleSpec("Hồ sơ trễ hạn", "DVC-06", "BO", mode="each", recipients=["an"]))
evaluate_rules(engine, settings)        # the collector runs it after each data change
Monitor(engine, settings).tick()        # … through this: evaluate when the data changed, deliver
"""

from dashboard.alerts.evaluate import Report, acknowledge, evaluate_rules, verdict
from dashboard.alerts.monitor import Monitor
from dashboard.alerts.rules import RuleError, RuleSpec, add_rule, set_enabled, validate

__all__ = [
    "Monitor",
    "Report",
    "RuleError",
    "RuleSpec",
    "acknowledge",
    "add_rule",
    "evaluate_rules",
    "set_enabled",
    "validate",
    "verdict",
]
