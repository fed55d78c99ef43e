"""The demo's default alert rules: on the simulated ministry, at least one fires within minutes of
a fresh start (the simulated departments miss the 766 on-time target), and its e-mail lands in the
demo's local mail sink (``<data dir>/demo/mail``)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.alerts.rules import RuleSpec, add_rule
from dashboard.models import AlertRule, OrgUnit

DEMO_RECIPIENTS = ["lanh-dao", "theo-doi", "truong-so-01"]
DEMO_RULES = (
    RuleSpec(
        name="Giải quyết hồ sơ đúng hạn (766) — từng đơn vị",
        kpi_id="DVC-06",
        unit="BMP",
        mode="each",
        period="mtd",
        severity="warning",
        recipients=DEMO_RECIPIENTS,
        quiet_hours=False,  # the demo runs at any hour
        webhook=True,
    ),
    RuleSpec(
        name="Hồ sơ đang xử lý quá hạn — từng đơn vị",
        kpi_id="DVC-08",
        unit="BMP",
        mode="each",
        period="today",
        min_duration_s=120,
        severity="critical",
        recipients=DEMO_RECIPIENTS,
        quiet_hours=False,
        reminder_s=4 * 3600,
        webhook=True,
    ),
    RuleSpec(
        name="Văn bản đến đăng ký đúng hạn — toàn Bộ",
        kpi_id="VB-04",
        unit="BMP",
        mode="subtree",
        period="mtd",
        fire_at=0.85,
        clear_at=0.90,
        severity="info",
        recipients=["lanh-dao"],
        quiet_hours=True,
    ),
)


def ensure_demo_rules(session: Session, echo: Callable[[str], None] = print) -> int:
    """Add the default rules that are missing (a rule the user disabled or changed stays as is)."""
    if session.scalar(select(OrgUnit.id).where(OrgUnit.code == "BMP")) is None:
        return 0
    have = set(session.scalars(select(AlertRule.name)))
    added = 0
    for spec in DEMO_RULES:
        if spec.name not in have:
            add_rule(session, spec, actor="demo")
            added += 1
    if added:
        echo(f"demo alert rules: {added} added (see `ioc alerts list`)")
    return added
