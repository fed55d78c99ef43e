"""Alert rules: what to watch, validated with clear errors, stored in ``alert_rule``.

A rule watches one KPI over a unit's subtree (``mode="subtree"``: one value, the unit with its
sub-units) or over each unit under it (``mode="each"``: one state per unit). Its condition comes
from the KPI's targets (fire on red, clear on green: the amber band is the hysteresis) or from
explicit thresholds: ``fire_at`` and ``clear_at``, the clear threshold on the good side of the fire
threshold for the KPI's direction (a value between them changes nothing, so a value wobbling around
one threshold fires once).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.errors import IocError
from dashboard.kpi.catalogue import CATALOGUE
from dashboard.models import ALERT_MODES, ALERT_PERIODS, ALERT_SEVERITIES, Account, AlertRule, OrgUnit
from dashboard.targets import DEFAULT_TARGETS, Targets


class RuleError(IocError):
    exit_code = 2


PERIOD_NAMES = {
    "today": ("hôm nay", "today"),
    "mtd": ("từ đầu tháng", "month to date"),
    "reporting": ("kỳ báo cáo", "reporting period"),
}
SEVERITY_NAMES = {
    "info": ("Thông tin", "Information"),
    "warning": ("Cảnh báo", "Warning"),
    "critical": ("Nghiêm trọng", "Critical"),
}


@dataclass
class RuleSpec:
    name: str
    kpi_id: str
    unit: str  # a unit code
    mode: str = "subtree"
    period: str = "mtd"
    fire_at: float | None = None
    clear_at: float | None = None
    min_duration_s: int = 0
    severity: str = "warning"
    recipients: list[str] = field(default_factory=list)
    webhook: bool = False
    quiet_hours: bool = True
    reminder_s: int | None = None


def _check_thresholds(spec: RuleSpec, direction: str | None, targets: Targets) -> list[str]:
    problems = []
    if (spec.fire_at is None) != (spec.clear_at is None):
        problems.append("give both --fire-at and --clear-at, or neither (then the KPI's targets decide)")
    elif spec.fire_at is None:
        t = targets.thresholds(spec.kpi_id)
        if t.green is None:
            problems.append(f"{spec.kpi_id} has no targets: give --fire-at and --clear-at")
    elif direction == "up" and spec.clear_at < spec.fire_at:
        problems.append(
            f"thresholds the wrong way round: {spec.kpi_id} is better when higher, so the clear threshold "
            f"({spec.clear_at:g}) must be at or above the fire threshold ({spec.fire_at:g})"
        )
    elif direction == "down" and spec.clear_at > spec.fire_at:
        problems.append(
            f"thresholds the wrong way round: {spec.kpi_id} is better when lower, so the clear threshold "
            f"({spec.clear_at:g}) must be at or below the fire threshold ({spec.fire_at:g})"
        )
    if CATALOGUE[spec.kpi_id].unit == "percent":
        for label, v in (("fire", spec.fire_at), ("clear", spec.clear_at)):
            if v is not None and not 0 <= v <= 1:
                problems.append(
                    f"{spec.kpi_id} is a percentage: give the {label} threshold as a fraction (0.8 for 80 %)"
                )
    return problems


def validate(session: Session, spec: RuleSpec, targets: Targets = DEFAULT_TARGETS) -> list[str]:
    """Every problem of ``spec``, each a sentence naming the field; empty when it is valid."""
    problems: list[str] = []
    if not spec.name.strip():
        problems.append("the rule needs a name")
    d = CATALOGUE.get(spec.kpi_id)
    if d is None:
        problems.append(f"unknown KPI {spec.kpi_id!r}; see `ioc kpis list`")
    elif d.direction not in ("up", "down"):
        problems.append(f"{spec.kpi_id} has no good or bad direction (a count): it cannot raise alerts")
    else:
        problems.extend(_check_thresholds(spec, d.direction, targets))
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == spec.unit)) if spec.unit else None
    if unit is None:
        problems.append(
            f"unknown unit {spec.unit!r}: the scope is empty" if spec.unit else "empty scope: give --unit"
        )
    elif not unit.active:
        problems.append(f"unit {spec.unit!r} is inactive: the scope is empty")
    if spec.mode not in ALERT_MODES:
        problems.append(f"mode must be one of {', '.join(ALERT_MODES)}")
    if spec.period not in ALERT_PERIODS:
        problems.append(f"period must be one of {', '.join(ALERT_PERIODS)}")
    if spec.severity not in ALERT_SEVERITIES:
        problems.append(f"severity must be one of {', '.join(ALERT_SEVERITIES)}")
    if spec.min_duration_s < 0 or (spec.reminder_s is not None and spec.reminder_s < 60):
        problems.append("the minimum duration is ≥ 0 s and a reminder at least every 60 s")
    problems.extend(_check_recipients(session, spec.recipients))
    return problems


def _check_recipients(session: Session, recipients: list[str]) -> list[str]:
    problems = []
    names = {r.lower() for r in recipients if "@" not in r}
    known = (
        set(session.scalars(select(Account.username).where(Account.username.in_(names)))) if names else set()
    )
    for name in sorted(names - known):
        problems.append(
            f"unknown account {name!r} among the recipients (an account name or an e-mail address)"
        )
    return problems


def add_rule(
    session: Session, spec: RuleSpec, targets: Targets = DEFAULT_TARGETS, actor: str | None = None
) -> AlertRule:
    problems = validate(session, spec, targets)
    if session.scalar(select(AlertRule.id).where(AlertRule.name == spec.name)) is not None:
        problems.insert(0, f"a rule named {spec.name!r} exists already")
    if problems:
        more = (
            f" (and {len(problems) - 1} more problem(s): {'; '.join(problems[1:])})"
            if len(problems) > 1
            else ""
        )
        raise RuleError(f"alert rule {spec.name!r}: {problems[0]}{more}")
    unit_id = session.scalar(select(OrgUnit.id).where(OrgUnit.code == spec.unit))
    rule = AlertRule(
        name=spec.name,
        kpi_id=spec.kpi_id,
        unit_id=unit_id,
        mode=spec.mode,
        period=spec.period,
        fire_at=spec.fire_at,
        clear_at=spec.clear_at,
        min_duration_s=spec.min_duration_s,
        severity=spec.severity,
        recipients=[r if "@" in r else r.lower() for r in spec.recipients],
        webhook=spec.webhook,
        quiet_hours=spec.quiet_hours,
        reminder_s=spec.reminder_s,
        created_by=actor,
    )
    session.add(rule)
    session.flush()
    return rule


def set_enabled(session: Session, name: str, enabled: bool) -> AlertRule:
    rule = session.scalar(select(AlertRule).where(AlertRule.name == name))
    if rule is None:
        raise RuleError(f"no alert rule named {name!r}; see `ioc alerts list`")
    rule.enabled = enabled
    return rule
