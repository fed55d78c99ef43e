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
from sqlalchemy import Engine, delete, text

from collectors.base import SourceConfig
from collectors.runner import RunResult, Runner
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


class CollectorLock:
    """Exactly one active scheduler per database, across processes and hosts (PostgreSQL) or
    across processes on this host (SQLite, whose file is local anyway)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._conn = None
        self._fh = None

    @property
    def lock_file(self) -> Path:
        database = self.engine.url.database or "ioc"
        return Path(f"{database}.collector.lock")

    def acquire(self, wait: bool = False, poll_s: float = 5.0, timeout_s: float | None = None) -> None:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            holder = self._try()
            if holder is None:
                return
            if not wait or (deadline is not None and time.monotonic() >= deadline):
                raise CollectorLockedError(
                    f"another collector is already running for this database ({holder}); "
                    f"stop it first, or use `ioc collect --wait` to take over when it stops"
                )
            time.sleep(poll_s)

    def _try(self) -> str | None:
        """Take the lock; return None on success or a description of the holder."""
        if self.engine.dialect.name == "postgresql":
            conn = self.engine.connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY}).scalar()
            conn.commit()
            if got:
                self._conn = conn
                return None
            conn.close()
            return "PostgreSQL advisory lock held by another session"
        path = self.lock_file
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+", encoding="utf-8")
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

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> "CollectorLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def run_source(engine: Engine, config: SourceConfig, agency_tz: ZoneInfo, **runner_kwargs) -> RunResult:
    """One run of one source; never raises (the run row records any failure)."""
    adapter = make_adapter(config)
    return Runner(engine, config, adapter, agency_tz=agency_tz, **runner_kwargs).run()


def snapshot_job(engine: Engine, tz: ZoneInfo) -> int:
    now = utcnow()
    with make_sessionmaker(engine).begin() as session:
        return take_snapshot(session, now.astimezone(tz).date(), now)


def retention_job(engine: Engine, keep_days: int = 90) -> tuple[int, int]:
    """Delete collector runs older than ``keep_days`` and rejects older than twice that."""
    now = utcnow()
    with make_sessionmaker(engine).begin() as session:
        rejects = session.execute(delete(RejectedRecord).where(RejectedRecord.rejected_at < now - timedelta(days=2 * keep_days))).rowcount
        runs = session.execute(delete(CollectorRun).where(CollectorRun.started_at < now - timedelta(days=keep_days))).rowcount
    return runs, rejects


def build_scheduler(
    engine: Engine,
    sources: list[SourceConfig],
    tz: ZoneInfo,
    *,
    scheduler: BaseScheduler | None = None,
    extra_jobs: list[tuple[Callable[[], object], float]] = (),
    first_run_now: bool = True,
) -> BaseScheduler:
    enabled = [s for s in sources if s.enabled]
    scheduler = scheduler or BackgroundScheduler(timezone=tz)
    scheduler.configure(executors={"default": ThreadPoolExecutor(max_workers=max(4, len(enabled) + 3))})
    start = datetime.now(tz)
    for config in enabled:
        scheduler.add_job(
            run_source,
            IntervalTrigger(seconds=config.interval_s, timezone=tz, jitter=min(30.0, config.interval_s * 0.1)),
            args=(engine, config, tz),
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
        snapshot_job, CronTrigger(hour=23, minute=55, timezone=tz), args=(engine, tz), id="daily:snapshot",
        coalesce=True, max_instances=1, misfire_grace_time=3600, replace_existing=True,
    )
    scheduler.add_job(
        retention_job, CronTrigger(hour=2, minute=30, timezone=tz), args=(engine,), id="daily:retention",
        coalesce=True, max_instances=1, misfire_grace_time=3600, replace_existing=True,
    )
    for index, (func, every_s) in enumerate(extra_jobs):
        scheduler.add_job(
            func, IntervalTrigger(seconds=every_s, timezone=tz), id=f"extra:{index}", coalesce=True,
            max_instances=1, misfire_grace_time=max(60, int(every_s)), next_run_time=start, replace_existing=True,
        )
    return scheduler
