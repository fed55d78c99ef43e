"""What the app shows of alerts, always within the principal's scope (dashboard/access.py):
the bell's firing alerts, the /alerts page's lists and history, and acknowledging one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import audit
from dashboard.access import Principal, scope_codes
from dashboard.alerts.evaluate import acknowledge
from dashboard.models import AlertEvent, AlertRule, AlertState, OrgUnit

ACTIVE = ("firing", "acknowledged")


@dataclass(frozen=True)
class AlertRow:
    state_id: int
    rule: str
    kpi_id: str
    severity: str
    period: str
    unit_code: str
    unit_name_vi: str
    unit_name_en: str
    state: str
    value: float | None
    since: datetime
    fired_at: datetime | None
    acked_by: str | None
    ack_comment: str | None


@dataclass(frozen=True)
class EventRow:
    at: datetime
    rule: str
    kpi_id: str
    unit_code: str
    unit_name_vi: str
    unit_name_en: str
    from_state: str
    to_state: str
    value: float | None
    actor: str | None
    comment: str | None


_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def _codes(session: Session, principal: Principal | None) -> frozenset[str]:
    if principal is None or not principal.can("alerts"):
        return frozenset()
    return scope_codes(session, principal, "alerts")


def active_alerts(
    session: Session, principal: Principal | None, states: Iterable[str] = ACTIVE, limit: int = 500
) -> list[AlertRow]:
    """Firing (and acknowledged) alerts of units in the principal's scope, most severe first."""
    codes = _codes(session, principal)
    if not codes:
        return []
    rows = session.execute(
        select(AlertState, AlertRule, OrgUnit)
        .join(AlertRule, AlertRule.id == AlertState.rule_id)
        .join(OrgUnit, OrgUnit.id == AlertState.unit_id)
        .where(AlertState.state.in_(list(states)), OrgUnit.code.in_(codes), AlertRule.enabled)
        .order_by(AlertState.since.desc())
        .limit(limit)
    ).all()
    out = [
        AlertRow(
            st.id,
            rule.name,
            rule.kpi_id,
            rule.severity,
            rule.period,
            unit.code,
            unit.name_vi,
            unit.name_en,
            st.state,
            st.value,
            st.since,
            st.fired_at,
            st.acked_by,
            st.ack_comment,
        )
        for st, rule, unit in rows
    ]
    out.sort(key=lambda r: (r.state != "firing", _SEVERITY_ORDER.get(r.severity, 9)))
    return out


def history(session: Session, principal: Principal | None, limit: int = 200) -> list[EventRow]:
    codes = _codes(session, principal)
    if not codes:
        return []
    rows = session.execute(
        select(AlertEvent, AlertRule, OrgUnit)
        .join(AlertRule, AlertRule.id == AlertEvent.rule_id)
        .join(OrgUnit, OrgUnit.id == AlertEvent.unit_id)
        .where(OrgUnit.code.in_(codes))
        .order_by(AlertEvent.at.desc(), AlertEvent.id.desc())
        .limit(limit)
    ).all()
    return [
        EventRow(
            e.at,
            rule.name,
            rule.kpi_id,
            unit.code,
            unit.name_vi,
            unit.name_en,
            e.from_state,
            e.to_state,
            e.value,
            e.actor,
            e.comment,
        )  # fmt: skip
        for e, rule, unit in rows
    ]


def firing_kpis(session: Session, unit_ids: tuple[int, ...] | None) -> frozenset[str]:
    """KPIs with a firing or acknowledged alert on a unit of ``unit_ids`` (None: any unit)."""
    stmt = (
        select(AlertRule.kpi_id)
        .join(AlertState, AlertState.rule_id == AlertRule.id)
        .where(AlertState.state.in_(ACTIVE), AlertRule.enabled)
        .distinct()
    )
    if unit_ids is not None:
        stmt = stmt.where(AlertState.unit_id.in_(unit_ids))
    return frozenset(session.scalars(stmt))


def rules_in_scope(session: Session, codes: Iterable[str]) -> list[tuple[AlertRule, OrgUnit]]:
    """The rules set on units of ``codes`` (the caller's scope), by name."""
    return list(
        session.execute(
            select(AlertRule, OrgUnit)
            .join(OrgUnit, OrgUnit.id == AlertRule.unit_id)
            .where(OrgUnit.code.in_(list(codes)))
            .order_by(AlertRule.name)
        ).all()
    )


class NotAllowed(LookupError):
    pass


def acknowledge_in_scope(
    session: Session, principal: Principal, state_id: object, comment: str, address: str | None = None
) -> AlertState:
    """Acknowledge alert ``state_id`` if it is firing on a unit of the principal's scope; the id
    comes from the page and is only a request. Audited either way."""
    comment = (comment or "").strip()[:2000]
    try:
        sid = int(state_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise NotAllowed("no such alert") from None
    allowed = {r.state_id for r in active_alerts(session, principal, ("firing",))}
    if sid not in allowed:
        audit.record(
            session, "alert_acknowledged", actor=principal.actor, address=address, outcome="denied", alert=sid
        )
        raise NotAllowed("no such alert")
    if not comment:
        raise ValueError("comment")
    st = acknowledge(session, sid, principal.actor, comment)
    unit_code = session.scalar(select(OrgUnit.code).where(OrgUnit.id == st.unit_id))
    audit.record(
        session, "alert_acknowledged", actor=principal.actor, address=address, unit_code=unit_code, alert=sid
    )
    return st
