"""The ``ioc`` command line. Errors are one clear line and a non-zero exit code.

ioc db upgrade            bring the database schema up to date
ioc units import FILE     import or update the organisation hierarchy (CSV or TOML)
ioc serve                 serve the dashboard (waitress); production uses gunicorn app:server
ioc demo                  the embedded default: SQLite, demo units, served at :8050
ioc reports …             the morning briefing: render, list, subscribe (dashboard/cli_reports.py)
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

import click
from sqlalchemy import func, select

from dashboard import __version__, probes
from dashboard.config import Settings, load_settings
from dashboard.db import (
    check_schema,
    current_revision,
    describe_url,
    head_revision,
    make_engine,
    make_sessionmaker,
    session_scope,
    upgrade,
)
from dashboard.errors import IocError, UnitImportError
from dashboard.models import OrgUnit
from dashboard.redact import install_log_redaction, redact
from dashboard.units import DEMO_UNITS_FILE, import_units_file

log = logging.getLogger("ioc")


class _Context:
    def __init__(self, config_file: str | None):
        self.config_file = config_file
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(config_file=self.config_file)
            if self._settings.log_level != "INFO" or self._settings.log_format != "text":
                from dashboard.logs import configure_logging

                configure_logging(self._settings)  # IOC_LOG_LEVEL / IOC_LOG_FORMAT
        return self._settings


pass_ctx = click.make_pass_decorator(_Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    envvar="IOC_CONFIG",
    help="TOML settings file (default: none; IOC_* variables always apply).",
)
@click.version_option(__version__, prog_name="ioc")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None) -> None:
    """IOC dashboard — Trung tâm điều hành thông minh."""
    ctx.obj = _Context(config_file)


# --- config ---------------------------------------------------------------------------------------
@cli.group("config")
def config_group() -> None:
    """Inspect the settings."""


@config_group.command("show")
@pass_ctx
def config_show(obj: _Context) -> None:
    """Print the effective settings and the configured sources (secrets hidden)."""
    settings = obj.settings
    for key, value in settings.redacted().items():
        click.echo(f"{key} = {value}")
    if settings.sources_file is not None:
        from collectors.sources import load_sources

        for source in load_sources(settings.sources_file):
            for key, value in sorted(source.options.items()):
                click.echo(redact(f"source.{source.name}.{key} = {value}"))
            for key, var in sorted(source.secrets.items()):
                click.echo(f"source.{source.name}.secrets.{key} = ${var}")  # the variable's name only


# --- db -------------------------------------------------------------------------------------------
@cli.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_ctx
def db_upgrade(obj: _Context, revision: str) -> None:
    """Create or migrate the schema to the latest revision."""
    engine = make_engine(obj.settings.database_url)
    before, after = upgrade(engine, revision)
    if before == after:
        click.echo(f"database {describe_url(engine)} is up to date (revision {after})")
    else:
        click.echo(f"database {describe_url(engine)} upgraded from {before or 'empty'} to {after}")


@db_group.command("current")
@pass_ctx
def db_current(obj: _Context) -> None:
    """Show the schema revision of the database and the one the code expects."""
    engine = make_engine(obj.settings.database_url)
    click.echo(f"database: {current_revision(engine) or 'empty'}; code expects: {head_revision()}")


# --- units ----------------------------------------------------------------------------------------
@cli.group("units")
def units_group() -> None:
    """Organisation units (the hierarchy that drives scope and ranking)."""


@units_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def units_import(obj: _Context, file: Path) -> None:
    """Import or update units from a CSV or TOML FILE (all or nothing)."""
    engine = make_engine(obj.settings.database_url)
    check_schema(engine)
    with session_scope(make_sessionmaker(engine)) as session:
        report = import_units_file(session, file)
    click.echo(
        f"{report.total} units in {file}: {report.inserted} added, {report.updated} updated, "
        f"{report.unchanged} unchanged"
    )


@units_group.command("list")
@pass_ctx
def units_list(obj: _Context) -> None:
    """List the units as an indented tree."""
    engine = make_engine(obj.settings.database_url)
    check_schema(engine)
    with make_sessionmaker(engine)() as session:
        units = session.scalars(select(OrgUnit).order_by(OrgUnit.sort_order, OrgUnit.code)).all()
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)

    def walk(parent: int | None, depth: int) -> None:
        for unit in children.get(parent, []):
            mark = " [mô phỏng]" if unit.is_simulated else ""
            click.echo(f"{'  ' * depth}{unit.code}  {unit.name_vi} ({unit.level}){mark}")
            walk(unit.id, depth + 1)

    walk(None, 0)


# --- collectors -----------------------------------------------------------------------------------
def _load_sources(settings: Settings, sources_file: Path | None):
    from collectors.sources import load_sources

    path = sources_file or settings.sources_file
    if path is None:
        raise IocError(
            "no sources file: set IOC_SOURCES_FILE or pass --sources FILE (see sources.example.toml)"
        )
    return load_sources(path)


@cli.group("collect", invoke_without_command=True)
@click.option("--once", "once", metavar="SOURCE", help="Run this source once now instead of scheduling.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%dT%H:%M"]),
    help="With --once: re-read the source from this local date (backfill).",
)
@click.option(
    "--sources",
    "sources_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sources file [default: IOC_SOURCES_FILE].",
)
@click.option(
    "--wait", is_flag=True, help="If another collector holds the lock, wait for it instead of exiting."
)
@click.option(
    "--heartbeat",
    type=click.FloatRange(0.2, 600),
    default=10.0,
    show_default=True,
    help="Seconds between checks that this collector still holds its lock.",
)
@pass_ctx
def collect_cmd(
    obj: _Context, once: str | None, since, sources_file: Path | None, wait: bool, heartbeat: float
) -> None:
    """Run the collectors: every source on its interval (one scheduler per database), or one now.

    `ioc collect rejects SOURCE` lists what a source rejected."""
    if click.get_current_context().invoked_subcommand:
        return
    from collectors.scheduler import CollectorLock, LockSupervisor, build_scheduler

    settings = obj.settings
    sources = _load_sources(settings, sources_file)
    engine = make_engine(settings.database_url)
    check_schema(engine)
    if once:
        by_name = {s.name: s for s in sources}
        if once not in by_name:
            raise IocError(
                f"unknown source {once!r}; sources in the file: {', '.join(sorted(by_name)) or 'none'}"
            )
        if since and by_name[once].adapter != "sql":
            raise IocError(
                f"--since applies to sql sources; {once!r} uses the {by_name[once].adapter} adapter"
            )
        _collect_once(engine, by_name[once], settings, since)
        return
    if since:
        raise click.UsageError("--since needs --once SOURCE")
    import signal
    import threading
    from datetime import datetime

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    def say(message: str) -> None:
        click.echo(f"{datetime.now():%Y-%m-%d %H:%M:%S} {message}")

    lock = CollectorLock(engine)
    lock.acquire(wait=wait, poll_s=min(5.0, heartbeat), stop=stop)
    if stop.is_set():
        lock.release()
        return
    supervisor = LockSupervisor(lock, echo=say)
    from dashboard.alerts.monitor import TICK_S, Monitor
    from dashboard.notify import mailer

    monitor = Monitor(engine, settings, guard=supervisor.guard)  # alert rules and notifications
    scheduler = build_scheduler(
        engine,
        sources,
        settings.tz,
        guard=supervisor.guard,
        audit_retention_days=settings.audit_retention_days,
        extra_jobs=[(monitor.tick, TICK_S)],
        # The briefing's e-mails go through the notification outbox (retried, visible on /sources).
        briefing_job=_briefing_job(engine, settings, sources, send=mailer(engine)),
        briefing_time=settings.briefing_time,
    )
    supervisor.scheduler = scheduler
    enabled = [s.name for s in sources if s.enabled]
    say(f"collector lock taken (pid {os.getpid()})")
    click.echo(f"collecting {len(enabled)} source(s): {', '.join(enabled)} — Ctrl-C to stop")
    scheduler.start()
    ready = probes.readiness_file(settings)
    try:
        while not stop.is_set():
            probes.write_ready(ready, lock_held=not supervisor.paused)  # `ioc collect health` reads it
            # Sleep until the heartbeat, a stop signal, or a run that found the lock gone.
            deadline = time.monotonic() + heartbeat
            while not stop.is_set() and not supervisor.lost.is_set() and time.monotonic() < deadline:
                stop.wait(0.1)
            if not stop.is_set():
                supervisor.tick()
    finally:
        probes.clear_ready(ready)
        click.echo("stopping: waiting for running collections to finish…")
        scheduler.shutdown(wait=True)
        from collectors.runner import flush_unrecorded

        flush_unrecorded(engine)
        lock.release()


@collect_cmd.command("health")
@click.option(
    "--max-age",
    type=click.FloatRange(1, 3600),
    default=60.0,
    show_default=True,
    help="Seconds within which the collector must have reported (a few heartbeats).",
)
@pass_ctx
def collect_health_cmd(obj: _Context, max_age: float) -> None:
    """Exit 0 when the collector process of this data directory is alive and holds its lock
    (for systemd, monitoring agents and the fault drills); 1 with the reason otherwise."""
    ok, message = probes.collector_ready(probes.readiness_file(obj.settings), max_age)
    if not ok:
        raise IocError(message)
    click.echo(message)


@collect_cmd.command("rejects")
@click.argument("source")
@click.option(
    "--limit", type=click.IntRange(1, 100_000), default=20, show_default=True, help="How many, newest first."
)
@click.option("--kind", type=click.Choice(["file", "row", "duplicate", "future"]), help="Only this kind.")
@pass_ctx
def collect_rejects_cmd(obj: _Context, source: str, limit: int, kind: str | None) -> None:
    """Print what SOURCE rejected (whole files and rows), newest first, with the reasons."""
    from dashboard.rejects import recent_rejects

    settings = obj.settings
    engine = make_engine(settings.database_url)
    check_schema(engine)
    with make_sessionmaker(engine)() as session:
        rejects = recent_rejects(session, source, limit, kind=kind)
    if not rejects:
        click.echo(f"{source}: nothing rejected" + (f" of kind {kind}" if kind else ""))
        return
    click.echo(f"{source}: the latest {len(rejects)} reject(s), newest first")
    for r in rejects:
        at = r.at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{at}  {r.kind:<9} {r.where or '-'}  {r.reason}")
        if settings.language == "vi":
            click.echo(f"{'':<31}{r.plain.vi}")


def _briefing_job(engine, settings: Settings, sources, send=None):
    """The morning briefing for the collector's scheduler. ``send``: the mailer, when one is
    configured (the notification feature injects it); without it the reports are only kept."""
    from functools import partial

    from dashboard.reports import morning_job

    return partial(morning_job, engine, settings, send=send, sources=tuple(sources))


def _collect_once(engine, config, settings: Settings, since) -> None:
    from datetime import datetime

    from collectors.runner import Runner
    from collectors.sources import make_adapter

    override = None
    span = None
    if since is not None:
        start = since.replace(tzinfo=settings.tz) if since.tzinfo is None else since
        override = {"updated": start.replace(tzinfo=None).isoformat(), "id": ""}
        span = (start, datetime.now(settings.tz))
    with click.progressbar(length=1000, label=f"{config.name}", file=sys.stderr, show_eta=True) as bar:
        done = [0]

        def on_batch(result, batch) -> None:
            if span and batch.watermark and batch.watermark.get("updated"):
                from collectors.parse import parse_datetime

                try:
                    at = parse_datetime(batch.watermark["updated"], settings.tz)
                    fraction = (at - span[0]) / (span[1] - span[0])
                except (ValueError, TypeError, ZeroDivisionError):
                    fraction = 0.0
                target = int(max(0.0, min(1.0, fraction)) * 1000)
            else:
                target = min(999, done[0] + 50)
            if target > done[0]:
                bar.update(target - done[0])
                done[0] = target
            bar.label = f"{config.name}: {result.rows_read:,} rows".replace(",", ".")

        runner = Runner(engine, config, make_adapter(config), agency_tz=settings.tz, on_batch=on_batch)
        result = runner.run(watermark_override=override)
        bar.update(1000 - done[0])
    click.echo(
        f"{config.name}: {result.status} — read {result.rows_read}, inserted {result.inserted}, updated "
        f"{result.updated}, rejected {result.rejected}, retries {result.retries}, {result.duration_s:.1f} s"
    )
    if result.error:
        raise IocError(f"source {config.name!r}: {result.error}")


# --- serving --------------------------------------------------------------------------------------
def _serve(settings: Settings, host: str, port: int, threads: int) -> None:
    from waitress import serve

    from dashboard.webapp import create_app

    # The address given on the command line is one the browsers may use as Host.
    app = create_app(settings.model_copy(update={"host": host}))
    click.echo(f"IOC dashboard: http://{host}:{port}/  (Ctrl-C to stop)")
    serve(app.server, host=host, port=port, threads=threads, ident="ioc")


@cli.command("serve")
@click.option("--host", default=None, help="Address to listen on [default: IOC_HOST or 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [default: IOC_PORT or 8050].")
@click.option("--threads", type=int, default=8, show_default=True, help="Worker threads.")
@pass_ctx
def serve_cmd(obj: _Context, host: str | None, port: int | None, threads: int) -> None:
    """Serve the dashboard on the configured database (its schema must be current)."""
    settings = obj.settings
    check_schema(make_engine(settings.database_url))
    _serve(settings, host or settings.host, port or settings.port, threads)


@cli.command("demo")
@click.option("--host", default=None, help="Address to listen on [default: IOC_HOST or 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [default: IOC_PORT or 8050].")
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=400,
    show_default=True,
    help="Days of simulated history on first start.",
)
@click.option("--seed", type=int, default=2026, show_default=True, help="Seed of the simulated agency.")
@click.option("--no-serve", is_flag=True, help="Prepare the demo store (units, simulated history) and exit.")
@click.option("--no-simulation", is_flag=True, help="Only the demo units, no simulated sources.")
@pass_ctx
def demo_cmd(
    obj: _Context,
    host: str | None,
    port: int | None,
    days: int,
    seed: int,
    no_serve: bool,
    no_simulation: bool,
) -> None:
    """The embedded default: SQLite, the simulated agency's sources collected by the real
    adapters, kept moving every few seconds, and the dashboard at http://127.0.0.1:8050."""
    settings = obj.settings
    engine = make_engine(settings.database_url)
    before, after = upgrade(engine)
    if before != after:
        click.echo(f"database {describe_url(engine)}: schema {before or 'empty'} → {after}")
    sessions = make_sessionmaker(engine)
    with session_scope(sessions) as session:
        report = import_units_file(session, DEMO_UNITS_FILE)
        total = session.scalar(select(func.count()).select_from(OrgUnit))
    click.echo(f"demo units: {report.inserted} added, {report.updated} updated; {total} units in the store")
    live = None
    sink = None
    if not no_serve and not settings.smtp_host:
        from dashboard.notify.mailsink import MailSink

        # The demo's mail goes to a local sink: every message a .eml file in <data dir>/demo/mail.
        sink = MailSink(folder=settings.data_dir / "demo" / "mail").start()
        settings = settings.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": sink.port,
                "smtp_starttls": False,
                "smtp_ssl": False,
            }
        )
        click.echo(
            f"mail: the demo's e-mails (alerts) go to a local mail sink on 127.0.0.1:{sink.port}, "
            f"each saved as a .eml file in {sink.folder}"
        )
    if not no_simulation:
        from collectors import demo

        simulation, sources, platforms = demo.prepare(settings, engine, days=days, seed=seed, echo=click.echo)
        # The web process reads the demo's sources file for freshness targets (Sources page, tiles).
        settings = settings.model_copy(update={"sources_file": demo.demo_root(settings) / "sources.toml"})
        if no_serve:
            platforms.stop()
        else:
            live = demo.start_live(settings, engine, simulation, sources, platforms)
            click.echo(
                f"fake platforms on 127.0.0.1 (SIMULATED): one-stop REST API {platforms.motcua.url}/api/hoso, "
                f"BigBlueButton {platforms.bbb.api_url}"
            )
            click.echo(
                f"live: the simulation moves every {demo.DEMO_TICK_S:g} s, sources are collected every "
                f"{demo.DEMO_INTERVAL_S:g} s (sources file: {demo.demo_root(settings) / 'sources.toml'})"
            )
    with session_scope(sessions) as session:
        from dashboard import demo_access

        shown_host = "127.0.0.1" if (host or settings.host) in {"0.0.0.0", "::"} else (host or settings.host)
        demo_access.ensure(
            session,
            settings.data_dir / "demo",
            f"http://{shown_host}:{port or settings.port}",
            settings.screen_enrol_hours,
            click.echo,
        )
        from dashboard.alerts.demo import ensure_demo_rules

        ensure_demo_rules(session, click.echo)
    _demo_briefing(settings, sessions, None if no_simulation else sources)
    if no_serve:
        return
    try:
        _serve(settings, host or settings.host, port or settings.port, threads=8)
    finally:
        if live is not None:
            scheduler, lock = live
            scheduler.shutdown(wait=False)
            lock.release()
            platforms.stop()
        if sink is not None:
            sink.stop()


def _demo_briefing(settings: Settings, sessions, sources) -> None:
    """The leadership account subscribes to the whole agency's daily briefing, and today's is
    rendered now: /reports has a briefing to download from the first minute."""
    from datetime import datetime

    from dashboard import reports
    from dashboard.demo_access import DEMO_ACCOUNTS, DEMO_MAIL_DOMAIN

    leader = DEMO_ACCOUNTS[0][0]
    today = datetime.now(settings.tz).date()
    with session_scope(sessions) as session:
        # Mailed through the outbox to the demo's mail sink every working morning.
        reports.subscribe(session, leader, None, "daily", email=f"{leader}@{DEMO_MAIL_DOMAIN}")
        done = [
            r
            for r in reports.list_reports(session, limit=20)
            if r.unit_code is None and r.report_date == today
        ]
    if done:  # a restarted demo: today's is there already (the morning job renders the next)
        click.echo(f"briefing: {done[0].scope_name}, {today:%d/%m/%Y} — download at /reports")
        return
    with session_scope(sessions) as session:
        stored, *_ = reports.render_and_store(
            session,
            settings,
            None,
            today,
            "daily",
            made_by="demo",
            sources=tuple(sources or ()),
        )
    click.echo(
        f"briefing: {stored.scope_name}, {stored.report_date:%d/%m/%Y} — {stored.summary} "
        f"(download at /reports; {leader} receives it every working day at {settings.briefing_time})"
    )


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_redaction()  # no password or token in any log line
    try:
        cli.main(args=argv, prog_name="ioc", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except IocError as exc:
        click.echo(f"ioc: error: {exc}", err=True)
        if isinstance(exc, UnitImportError) and len(exc.problems) > 1:
            for problem in exc.problems[1:20]:
                click.echo(f"  - {problem}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return 0


from dashboard import cli_access, cli_alerts, cli_kpis, cli_reports  # noqa: E402,F401  (registers commands)

if __name__ == "__main__":  # pragma: no cover
    # `python -m dashboard.cli` runs this file as `__main__`, while cli_access and cli_kpis add
    # their commands to the group of `dashboard.cli`, the module they import: run that one.
    from dashboard.cli import main as _registered_main

    sys.exit(_registered_main())
