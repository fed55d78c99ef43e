"""Scheduling: every source on its interval, plus the daily jobs, in exactly one process.

``ioc collect`` runs :func:`run_forever`: it takes the collector lock (a PostgreSQL advisory lock,
or an exclusive lock file beside the SQLite database), then an APScheduler 3.11 scheduler runs each
enabled source on its interval — coalesced, one instance at a time, a misfire grace of at least a
minute, with jitter — and two daily jobs at local time: the KPI snapshot (23:55) and retention of
old runs and rejects (02:30). Sources run on a thread pool so a slow one never delays another.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, create_engine, delete, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from collectors.base import SourceConfig, SourceError
from collectors.runner import Runner, RunResult
from collectors.sources import make_adapter
from dashboard.db import make_sessionmaker
from dashboard.errors import IocError
from dashboard.models import CollectorRun, RejectedRecord
from dashboard.snapshots import take_snapshot
from dashboard.timeutil import utcnow

log = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 0x10C_C011  # "IOC collector"


class CollectorLockedError(IocError):
    exit_code = 7


class CollectorLockLost(SourceError):
    """Raised inside a run when the collector lock is no longer held: stop writing at once."""


#: How the dedicated lock connection notices a dead server or network: TCP keepalives and a user
#: timeout, so a check never hangs longer than ~10 s (psycopg / libpq connection options).
_PG_LOCK_CONNECT_ARGS = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,
    "application_name": "ioc collector lock",
}


class CollectorLock:
    """Exactly one active scheduler per database, across processes and hosts (PostgreSQL) or
    across processes on this host (SQLite, whose file is local anyway).

    PostgreSQL: a session advisory lock on a **dedicated** connection (its own engine without a
    pool, TCP keepalives), never shared with the runs. SQLite: ``flock`` on a lock file beside the
    database. :meth:`held` says whether the lock is still ours *now*: the advisory lock is looked
    up in ``pg_locks`` for our backend (a server restart kills the session and with it the lock);
    the lock file must still be the file we locked (deleting it would let another process lock a
    new one). The scheduler calls :meth:`held` before every run, before every batch commit and on
    a heartbeat."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._lock_engine: Engine | None = None
        self._conn = None
        self._fh = None
        self._guard = threading.Lock()  # the heartbeat and the runs check from several threads

    @property
    def lock_file(self) -> Path:
        database = self.engine.url.database or "ioc"
        return Path(f"{database}.collector.lock")

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def acquire(
        self,
        wait: bool = False,
        poll_s: float = 5.0,
        timeout_s: float | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """Take the lock, or wait for it (``wait``: also while the database is unreachable)
        until ``timeout_s`` or until ``stop`` is set (then return without it)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while stop is None or not stop.is_set():
            try:
                holder = self._try()
            except DBAPIError as exc:
                if not wait:
                    raise CollectorLockedError(
                        f"cannot take the collector lock: the database is unreachable ({_first_line(exc)})"
                    ) from None
                holder = f"database unreachable: {_first_line(exc)}"
            if holder is None:
                log.info("collector lock taken (pid %d)", os.getpid())
                return
            if not wait or (deadline is not None and time.monotonic() >= deadline):
                raise CollectorLockedError(
                    f"another collector is already running for this database ({holder}); "
                    f"stop it first, or use `ioc collect --wait` to take over when it stops"
                )
            if stop is not None:
                stop.wait(poll_s)
            else:
                time.sleep(poll_s)

    def _try(self) -> str | None:
        """Take the lock; return None on success or a description of the holder."""
        with self._guard:
            if self.is_postgresql:
                self._drop_connection()
                if self._lock_engine is None:
                    self._lock_engine = create_engine(
                        self.engine.url, poolclass=NullPool, connect_args=_PG_LOCK_CONNECT_ARGS
                    )
                conn = self._lock_engine.connect()
                try:
                    got = conn.execute(
                        text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY}
                    ).scalar()
                    conn.commit()
                except Exception:
                    conn.invalidate()
                    conn.close()
                    raise
                if got:
                    self._conn = conn
                    return None
                conn.close()
                return "PostgreSQL advisory lock held by another session"
            self._drop_file()
            path = self.lock_file
            path.parent.mkdir(parents=True, exist_ok=True)
            fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 -- held for the lock's lifetime
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                holder = fh.read().strip() or "unknown process"
                fh.close()
                return holder
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()} on {socket.gethostname()} since {utcnow():%Y-%m-%d %H:%M:%S} UTC")
            fh.flush()
            self._fh = fh
            return None

    def held(self) -> bool:
        """Whether this process still holds the lock (never raises)."""
        with self._guard:
            if self._conn is not None:
                try:
                    return bool(
                        self._conn.execute(
                            text(
                                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                "AND pid = pg_backend_pid() AND classid = 0 AND objid = :k AND objsubid = 1"
                            ),
                            {"k": ADVISORY_LOCK_KEY},
                        ).scalar()
                    )
                except Exception as exc:  # the server restarted or the network broke: the lock is gone
                    log.warning("collector lock: its connection broke (%s)", _first_line(exc))
                    self._drop_connection()
                    return False
                finally:
                    if self._conn is not None:
                        self._conn.rollback()
            if self._fh is not None:
                try:
                    return os.fstat(self._fh.fileno()).st_ino == os.stat(self.lock_file).st_ino
                except OSError:
                    return False
            return False

    def check(self) -> None:
        """Raise :class:`CollectorLockLost` unless the lock is still ours (the runner's guard)."""
        if not self.held():
            raise CollectorLockLost(
                "stopped: this collector lost its lock (database restarted or unreachable)"
            )

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:  # already dead: nothing to release, the server dropped the lock
                pass
            self._conn = None

    def _drop_file(self) -> None:
        if self._fh is not None:
            try:
                fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            finally:
                self._fh.close()
                self._fh = None

    def release(self) -> None:
        """Give the lock back; never raises (a dead connection has lost its lock already)."""
        with self._guard:
            if self._conn is not None:
                try:
                    self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
                    self._conn.commit()
                    self._conn.close()
                    self._conn = None
                except Exception as exc:
                    log.info("collector lock: released with its connection (%s)", _first_line(exc))
                    self._drop_connection()
            self._drop_file()
            if self._lock_engine is not None:
                self._lock_engine.dispose()
                self._lock_engine = None

    def __enter__(self) -> CollectorLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


class LockSupervisor:
    """Keeps the scheduler honest about its lock.

    :meth:`tick` runs on the heartbeat (and at once when a run finds the lock gone): while the
    lock is held nothing happens; when it is lost the scheduler is paused (no run starts), the
    lock is taken back as soon as the database answers and scheduling resumes; if another
    collector took it meanwhile, :class:`CollectorLockedError` says so and the process exits."""

    def __init__(
        self,
        lock: CollectorLock,
        scheduler: BaseScheduler | None = None,
        echo: Callable[[str], None] = log.warning,
    ):
        self.lock = lock
        self.scheduler = scheduler
        self.echo = echo
        self.lost = threading.Event()  # set by a run that found the lock gone: wake the heartbeat
        self.paused = False

    def guard(self) -> None:
        """Before a run and before each batch commit: raise if the lock is gone."""
        if self.paused or not self.lock.held():
            self.lost.set()
            raise CollectorLockLost(
                "stopped: this collector lost its lock (database restarted or unreachable)"
            )

    def tick(self) -> None:
        if not self.paused and self.lock.held():
            return
        if not self.paused:
            self.paused = True
            if self.scheduler is not None:
                self.scheduler.pause()
            self.echo(
                "collector lock lost (database restarted or unreachable): scheduling paused, taking it back…"
            )
        try:
            holder = self.lock._try()
        except DBAPIError as exc:
            self.echo(f"collector lock: database still unreachable ({_first_line(exc)}); trying again")
            return
        self.lost.clear()
        if holder is not None:
            raise CollectorLockedError(
                f"collector lock lost and now held by another collector ({holder}): this one stops "
                "so that only one collects; nothing is lost, the other continues from the stored watermarks"
            )
        self.paused = False
        if self.scheduler is not None:
            self.scheduler.resume()
        self.echo("collector lock taken back: scheduling resumed")


def run_source(
    engine: Engine,
    config: SourceConfig,
    agency_tz: ZoneInfo,
    guard: Callable[[], None] | None = None,
    **runner_kwargs,
) -> RunResult | None:
    """One run of one source; never raises (the run row records any failure).

    ``guard`` (the lock supervisor's) is called before the run and before every batch commit: a
    collector that lost its lock starts nothing and writes nothing more."""
    if guard is not None:
        try:
            guard()
        except CollectorLockLost:
            log.warning("source %s: run skipped, the collector lock is not held", config.name)
            return None
    adapter = make_adapter(config)
    return Runner(engine, config, adapter, agency_tz=agency_tz, guard=guard, **runner_kwargs).run()


def snapshot_job(engine: Engine, tz: ZoneInfo) -> int:
    now = utcnow()
    with make_sessionmaker(engine).begin() as session:
        return take_snapshot(session, now.astimezone(tz).date(), now)


def retention_job(engine: Engine, keep_days: int = 90, audit_days: int = 365) -> tuple[int, int]:
    """Delete collector runs older than ``keep_days``, rejects older than twice that, and audit
    events past ``IOC_AUDIT_RETENTION_DAYS`` (``audit_days``)."""
    from dashboard import audit

    now = utcnow()
    with make_sessionmaker(engine).begin() as session:
        rejects = session.execute(
            delete(RejectedRecord).where(RejectedRecord.rejected_at < now - timedelta(days=2 * keep_days))
        ).rowcount
        runs = session.execute(
            delete(CollectorRun).where(CollectorRun.started_at < now - timedelta(days=keep_days))
        ).rowcount
        audit.prune(session, audit_days, now)
    return runs, rejects


def build_scheduler(
    engine: Engine,
    sources: list[SourceConfig],
    tz: ZoneInfo,
    *,
    scheduler: BaseScheduler | None = None,
    extra_jobs: list[tuple[Callable[[], object], float]] = (),
    first_run_now: bool = True,
    guard: Callable[[], None] | None = None,
    audit_retention_days: int = 365,
    briefing_job: Callable[[], object] | None = None,
    briefing_time: str = "07:00",
) -> BaseScheduler:
    enabled = [s for s in sources if s.enabled]
    scheduler = scheduler or BackgroundScheduler(timezone=tz)
    scheduler.configure(executors={"default": ThreadPoolExecutor(max_workers=max(4, len(enabled) + 3))})
    start = datetime.now(tz)
    for config in enabled:
        scheduler.add_job(
            run_source,
            IntervalTrigger(
                seconds=config.interval_s, timezone=tz, jitter=min(30.0, config.interval_s * 0.1)
            ),
            args=(engine, config, tz, guard),
            id=f"source:{config.name}",
            name=f"collect {config.name}",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(60, int(config.interval_s)),
            # (APScheduler reads next_run_time=None as "paused": leave it out to schedule normally.)
            **({"next_run_time": start} if first_run_now else {}),
            replace_existing=True,
        )
    scheduler.add_job(
        snapshot_job,
        CronTrigger(hour=23, minute=55, timezone=tz),
        args=(engine, tz),
        id="daily:snapshot",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
        replace_existing=True,
    )
    scheduler.add_job(
        retention_job,
        CronTrigger(hour=2, minute=30, timezone=tz),
        args=(engine, 90, audit_retention_days),
        id="daily:retention",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
        replace_existing=True,
    )
    if briefing_job is not None:
        # Every day at IOC_BRIEFING_TIME: the job itself skips weekends and holidays, so the
        # working-day calendar (with targets.toml adjustments) decides, not the trigger.
        hour, minute = (int(part) for part in briefing_time.split(":"))
        scheduler.add_job(
            briefing_job,
            CronTrigger(hour=hour, minute=minute, timezone=tz),
            id="daily:briefing",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3 * 3600,  # a collector started at 09:00 still sends the morning's
            replace_existing=True,
        )
    for index, (func, every_s) in enumerate(extra_jobs):
        scheduler.add_job(
            func,
            IntervalTrigger(seconds=every_s, timezone=tz),
            id=f"extra:{index}",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(60, int(every_s)),
            next_run_time=start,
            replace_existing=True,
        )
    return scheduler
