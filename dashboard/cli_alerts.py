"""``ioc alerts …``: alert rules, their evaluation and a test of the notification channels.

ioc alerts list [--json]                      rules and their firing units
ioc alerts add NAME --kpi ID --unit CODE [--each] [--period today|mtd|reporting]
               [--fire-at X --clear-at Y] [--min-duration 10m] [--severity warning]
               [--to ACCOUNT_OR_ADDRESS …] [--webhook] [--no-quiet-hours] [--reminder 4h]
ioc alerts disable NAME | enable NAME
ioc alerts evaluate [--deliver]               evaluate now (the collector does it by itself)
ioc alerts test-notify --to ADDRESS [--webhook]  send a test e-mail / webhook post now
ioc users email NAME ADDRESS                  where an account's alerts go
"""

from __future__ import annotations

import json
import re
import sys

import click
from sqlalchemy import func, select

from dashboard import audit
from dashboard import cli as _cli
from dashboard.cli import _Context
from dashboard.cli_kpis import _sessions, _targets
from dashboard.db import check_schema, make_engine, session_scope

pass_ctx = click.pass_obj


def _seconds(text: str | None) -> int | None:
    """'90', '90s', '10m', '4h', '1d' → seconds."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text.lower())
    if not m:
        raise click.BadParameter(f"{text!r}: give a duration such as 90s, 10m, 4h or 1d")
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


@click.group("alerts")
def alerts_group() -> None:
    """Alert rules over KPIs; evaluation; notification test."""


@alerts_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def alerts_list(obj: _Context, as_json: bool) -> None:
    """Every rule, with how many of its units are pending, firing or acknowledged."""
    from dashboard.models import AlertRule, AlertState, OrgUnit

    with session_scope(_sessions(obj)) as session:
        counts = {
            (rule_id, state): n
            for rule_id, state, n in session.execute(
                select(AlertState.rule_id, AlertState.state, func.count()).group_by(
                    AlertState.rule_id, AlertState.state
                )
            )
        }
        rows = session.execute(select(AlertRule, OrgUnit.code).join(OrgUnit).order_by(AlertRule.name)).all()
        out = []
        for rule, code in rows:
            out.append(
                {
                    "name": rule.name,
                    "kpi": rule.kpi_id,
                    "unit": code,
                    "mode": rule.mode,
                    "period": rule.period,
                    "fire_at": rule.fire_at,
                    "clear_at": rule.clear_at,
                    "min_duration_s": rule.min_duration_s,
                    "severity": rule.severity,
                    "recipients": rule.recipients,
                    "webhook": rule.webhook,
                    "quiet_hours": rule.quiet_hours,
                    "reminder_s": rule.reminder_s,
                    "enabled": rule.enabled,
                    **{s: counts.get((rule.id, s), 0) for s in ("pending", "firing", "acknowledged")},
                }
            )
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    if not out:
        click.echo("no alert rules; add one with `ioc alerts add`")
    for r in out:
        cond = f"fire {r['fire_at']:g} / clear {r['clear_at']:g}" if r["fire_at"] is not None else "targets"
        state = "" if r["enabled"] else " [disabled]"
        click.echo(
            f"{r['name']}{state}\n  {r['kpi']} {r['mode']} {r['unit']} {r['period']} · {cond} · "
            f"min {r['min_duration_s']} s · {r['severity']} · to {', '.join(r['recipients']) or '-'}"
            f"{' + webhook' if r['webhook'] else ''}{'' if r['quiet_hours'] else ' · no quiet hours'}\n"
            f"  pending {r['pending']}, firing {r['firing']}, acknowledged {r['acknowledged']}"
        )


@alerts_group.command("add")
@click.argument("name")
@click.option("--kpi", "kpi_id", required=True, help="The KPI id (see `ioc kpis list`).")
@click.option("--unit", required=True, help="The unit code whose subtree is watched.")
@click.option("--each", is_flag=True, help="One alert per unit under --unit instead of one for the subtree.")
@click.option("--period", type=click.Choice(["today", "mtd", "reporting"]), default="mtd", show_default=True)
@click.option("--fire-at", type=float, help="Fire when the value is worse than this (with --clear-at).")
@click.option("--clear-at", type=float, help="Clear when the value is at least this good (hysteresis).")
@click.option(
    "--min-duration", default="0", show_default=True, help="How long it must hold before firing (10m)."
)
@click.option(
    "--severity", type=click.Choice(["info", "warning", "critical"]), default="warning", show_default=True
)
@click.option("--to", "recipients", multiple=True, help="An account name or an e-mail address (repeatable).")
@click.option("--webhook", is_flag=True, help="Also post to IOC_WEBHOOK_URL.")
@click.option("--no-quiet-hours", is_flag=True, help="Notify at night, weekends and holidays too.")
@click.option("--reminder", default=None, help="Remind while still firing, e.g. 4h (default: never).")
@pass_ctx
def alerts_add(obj: _Context, name, kpi_id, unit, each, period, fire_at, clear_at, min_duration, severity,
               recipients, webhook, no_quiet_hours, reminder) -> None:  # fmt: skip
    """Add a rule; every problem is named (unknown KPI, thresholds the wrong way round, empty scope…)."""
    from dashboard.alerts import RuleSpec, add_rule

    spec = RuleSpec(
        name=name,
        kpi_id=kpi_id.upper(),
        unit=unit,
        mode="each" if each else "subtree",
        period=period,
        fire_at=fire_at,
        clear_at=clear_at,
        min_duration_s=_seconds(min_duration) or 0,
        severity=severity,
        recipients=list(recipients),
        webhook=webhook,
        quiet_hours=not no_quiet_hours,
        reminder_s=_seconds(reminder),
    )
    with session_scope(_sessions(obj)) as session:
        add_rule(session, spec, _targets(obj), actor="cli")
        audit.record(session, "alert_rule_added", actor="cli", unit_code=unit, rule=name, kpi=spec.kpi_id)
    click.echo(f"alert rule {name!r} added")


def _enable(obj: _Context, name: str, enabled: bool) -> None:
    from dashboard.alerts import set_enabled

    with session_scope(_sessions(obj)) as session:
        set_enabled(session, name, enabled)
        audit.record(session, "alert_rule_changed", actor="cli", rule=name, enabled=enabled)
    click.echo(f"alert rule {name!r} {'enabled' if enabled else 'disabled'}")


@alerts_group.command("disable")
@click.argument("name")
@pass_ctx
def alerts_disable(obj: _Context, name: str) -> None:
    """Stop evaluating a rule (its history stays)."""
    _enable(obj, name, False)


@alerts_group.command("enable")
@click.argument("name")
@pass_ctx
def alerts_enable(obj: _Context, name: str) -> None:
    """Evaluate a disabled rule again."""
    _enable(obj, name, True)


@alerts_group.command("evaluate")
@click.option("--deliver", is_flag=True, help="Also send the notifications that are due.")
@pass_ctx
def alerts_evaluate(obj: _Context, deliver: bool) -> None:
    """Evaluate every rule now and print what changed (the collector does this after each commit)."""
    from dashboard.alerts import evaluate_rules
    from dashboard.notify import deliver_due

    settings = obj.settings
    engine = make_engine(settings.database_url)
    check_schema(engine)
    report = evaluate_rules(engine, settings, targets=_targets(obj))
    for rule, unit, before, after in report.changes:
        click.echo(f"{rule} · {unit}: {before} → {after}")
    click.echo(report.summary())
    if deliver:
        counts = deliver_due(engine, settings)
        click.echo(
            f"delivered {counts['delivered']}, to retry {counts['retry']}, given up {counts['failed']}"
        )


@alerts_group.command("test-notify")
@click.option("--to", "to", multiple=True, help="An e-mail address to send a test message to.")
@click.option("--webhook", is_flag=True, help="Post a test message to IOC_WEBHOOK_URL.")
@pass_ctx
def alerts_test_notify(obj: _Context, to: tuple[str, ...], webhook: bool) -> None:
    """Queue a test e-mail and/or webhook post and deliver it now; exit 1 with the error if it fails."""
    from dashboard.errors import IocError
    from dashboard.models import NotificationOutbox
    from dashboard.notify import deliver_due, send_email, send_webhook

    if not to and not webhook:
        raise click.UsageError("give --to ADDRESS and/or --webhook")
    settings = obj.settings
    engine = make_engine(settings.database_url)
    check_schema(engine)
    with session_scope(_sessions(obj)) as session:
        before = session.scalar(select(func.max(NotificationOutbox.id))) or 0
        if to:
            send_email(
                session,
                list(to),
                "[IOC] Thư thử nghiệm / Test message",
                "Đây là thư thử nghiệm của Trung tâm điều hành thông minh: cấu hình gửi thư hoạt động.\n\n"
                f"This is a test message of the Intelligent Operations Center.\n\n{settings.link_base}/alerts\n",
            )
        if webhook:
            if not settings.webhook_url:
                raise click.UsageError("IOC_WEBHOOK_URL is not set")
            send_webhook(session, {"kind": "ioc.test", "text": "Thử nghiệm / Test"}, subject="test")
    counts = deliver_due(engine, settings)
    with session_scope(_sessions(obj)) as session:
        rows = session.scalars(select(NotificationOutbox).where(NotificationOutbox.id > before)).all()
        bad = [r for r in rows if r.delivered_at is None]
        for r in rows:
            click.echo(
                f"{r.channel}: {'delivered' if r.delivered_at else 'NOT delivered: ' + (r.last_error or '?')}"
            )
    if bad or not rows or counts["delivered"] == 0:
        raise IocError(
            "the test notification was not delivered (it stays queued and is retried with backoff)"
        )


@click.command("email")
@click.argument("name")
@click.argument("address")
@pass_ctx
def users_email(obj: _Context, name: str, address: str) -> None:
    """Set the e-mail address an account's alerts and briefings go to."""
    from dashboard.errors import IocError
    from dashboard.models import Account

    if "@" not in address or any(c.isspace() for c in address):
        raise click.BadParameter(f"{address!r} is not an e-mail address")
    with session_scope(_sessions(obj)) as session:
        account = session.scalar(select(Account).where(Account.username == name.lower()))
        if account is None:
            raise IocError(f"no account named {name!r}")
        account.email = address
        audit.record(session, "account_changed", actor="cli", target=account.username, email=address)
    click.echo(f"account {name!r}: alerts go to {address}")


def _register(group: click.Group) -> None:
    group.add_command(alerts_group)  # (``ioc users email`` is added by dashboard.cli_access)


# Like dashboard.cli_kpis: also under ``python -m dashboard.cli`` (the root group in ``__main__``).
_register(_cli.cli)
_main = sys.modules.get("__main__")
if _main is not None and getattr(getattr(_main, "__spec__", None), "name", None) == "dashboard.cli":
    _register(_main.cli)
