"""``ioc reports …``: the morning briefing (báo cáo giao ban) by hand.

ioc reports render --scope CODE|all [--date D] [--template T] [--out DIR]   render and keep one
ioc reports list [--scope CODE|all]                                          the stored briefings
ioc reports subscribe ACCOUNT --scope CODE|all [--template T] [--email A]   a morning subscription
ioc reports subscriptions                                                    every subscription
ioc reports unsubscribe ID                                                   remove one
ioc reports run [--date D]                                                   the morning job now
"""

from __future__ import annotations

import shutil
import sys
from datetime import date, datetime
from pathlib import Path

import click

from dashboard import cli as _cli
from dashboard.cli import _Context
from dashboard.db import check_schema, make_engine, make_sessionmaker, session_scope
from dashboard.errors import IocError

pass_ctx = click.pass_obj
_TEMPLATES = click.Choice(["daily", "weekly", "monthly", "reporting"])
_DATE = click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"])


def _scope(value: str) -> str | None:
    return None if value.strip().lower() in ("all", "*", "") else value.strip()


def _sources(settings) -> tuple:
    if settings.sources_file is None:
        return ()
    from dashboard.sourcecfg import load_sources  # the schema: the briefing reads, never collects

    return tuple(load_sources(settings.sources_file))


@click.group("reports")
def reports_group() -> None:
    """The morning briefing: render, list, subscribe."""


@reports_group.command("render")
@click.option("--scope", "scope", required=True, help="A unit code (with its sub-units), or 'all'.")
@click.option("--date", "day", type=_DATE, help="The briefing's day [default: today, local time].")
@click.option("--template", type=_TEMPLATES, default="daily", show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also copy the PDF and XLSX into this directory.",
)
@pass_ctx
def reports_render(obj: _Context, scope: str, day: datetime | None, template: str, out: Path | None) -> None:
    """Render one briefing (PDF and XLSX) and keep it for /reports."""
    from dashboard import reports
    from dashboard.briefing import BriefingError

    settings = obj.settings
    engine = make_engine(settings.database_url)
    check_schema(engine)
    when = day.date() if day else datetime.now(settings.tz).date()
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            stored, *_ = reports.render_and_store(
                session, settings, _scope(scope), when, template, made_by="cli", sources=_sources(settings)
            )
    except BriefingError as exc:
        raise IocError(str(exc)) from None
    root = reports.reports_dir(settings)
    stem = reports.file_stem(stored.unit_code, stored.template, stored.report_date)
    pdf = root / f"{when:%Y}" / f"{when:%m}" / f"{stem}.pdf"
    files = [pdf, pdf.with_suffix(".xlsx")]
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        files = [Path(shutil.copy2(f, out / f.name)) for f in files]
    click.echo(f"report {stored.id}: {stored.scope_name}, {stored.template}, {stored.report_date:%d/%m/%Y}")
    click.echo(f"  {stored.summary}")
    for f in files:
        click.echo(f"  {f}")


@reports_group.command("list")
@click.option("--scope", "scope", help="Only this unit code, or 'all' for whole-agency briefings.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@pass_ctx
def reports_list(obj: _Context, scope: str | None, limit: int) -> None:
    """The stored briefings, newest first."""
    from dashboard import reports

    engine = make_engine(obj.settings.database_url)
    check_schema(engine)
    with make_sessionmaker(engine)() as session:
        rows = reports.list_reports(session, limit=10_000 if scope else limit)
    if scope is not None:
        rows = [r for r in rows if r.unit_code == _scope(scope)][:limit]
    if not rows:
        click.echo("no briefing yet (ioc reports render --scope all)")
    for r in rows:
        click.echo(
            f"{r.id:>5}  {r.report_date:%d/%m/%Y}  {r.template:<9} {(r.unit_code or 'all'):<12} "
            f"{r.made_at.astimezone(obj.settings.tz):%H:%M %d/%m} {r.made_by:<10} {r.scope_name}"
        )


@reports_group.command("subscribe")
@click.argument("account")
@click.option("--scope", "scope", required=True, help="A unit code (with its sub-units), or 'all'.")
@click.option("--template", type=_TEMPLATES, default="daily", show_default=True)
@click.option("--email", help="Where to mail it (the mailer of the notification feature sends).")
@pass_ctx
def reports_subscribe(obj: _Context, account: str, scope: str, template: str, email: str | None) -> None:
    """ACCOUNT receives SCOPE's briefing every working day at IOC_BRIEFING_TIME."""
    from dashboard import audit, reports

    engine = make_engine(obj.settings.database_url)
    check_schema(engine)
    with session_scope(make_sessionmaker(engine)) as session:
        sub = reports.subscribe(session, account, _scope(scope), template, email)
        audit.record(
            session,
            "account_changed",
            actor="cli",
            target=sub.username,
            unit_code=sub.unit_code or "*",
            briefing=template,
        )
    click.echo(
        f"subscription {sub.id}: {sub.username} receives {sub.unit_code or 'all'} ({template}) "
        f"at {obj.settings.briefing_time} on working days" + (f", mailed to {sub.email}" if sub.email else "")
    )


@reports_group.command("subscriptions")
@pass_ctx
def reports_subscriptions(obj: _Context) -> None:
    """Every subscription."""
    from dashboard import reports

    engine = make_engine(obj.settings.database_url)
    check_schema(engine)
    with make_sessionmaker(engine)() as session:
        rows = reports.list_subscriptions(session)
    if not rows:
        click.echo("no subscription (ioc reports subscribe ACCOUNT --scope all)")
    for s in rows:
        sent = f"{s.last_sent_on:%d/%m/%Y}" if s.last_sent_on else "–"
        click.echo(
            f"{s.id:>4}  {s.username:<16} {(s.unit_code or 'all'):<12} {s.template:<9} "
            f"{s.email or '(not mailed)':<28} last sent {sent}"
        )


@reports_group.command("unsubscribe")
@click.argument("subscription_id", type=int)
@pass_ctx
def reports_unsubscribe(obj: _Context, subscription_id: int) -> None:
    """Remove a subscription (its id from `ioc reports subscriptions`)."""
    from dashboard import reports

    engine = make_engine(obj.settings.database_url)
    check_schema(engine)
    with session_scope(make_sessionmaker(engine)) as session:
        if not reports.unsubscribe(session, subscription_id):
            raise IocError(f"no subscription {subscription_id}")
    click.echo(f"subscription {subscription_id} removed")


@reports_group.command("run")
@click.option("--date", "day", type=_DATE, help="Render as on this day [default: today].")
@pass_ctx
def reports_run(obj: _Context, day: datetime | None) -> None:
    """Render every subscription now, as the morning job does (nothing is mailed from here)."""
    from dashboard import reports

    settings = obj.settings
    engine = make_engine(settings.database_url)
    check_schema(engine)
    when: date = day.date() if day else datetime.now(settings.tz).date()
    result = reports.run_subscriptions(engine, settings, when, sources=_sources(settings))
    click.echo(f"{when:%d/%m/%Y}: {len(result.rendered)} briefing(s) rendered")
    for sub_id, why in result.skipped:
        click.echo(f"  subscription {sub_id}: {why}")


def _register(group: click.Group) -> None:
    group.add_command(reports_group)


_register(_cli.cli)
_main = sys.modules.get("__main__")
if _main is not None and getattr(getattr(_main, "__spec__", None), "name", None) == "dashboard.cli":
    _register(_main.cli)
