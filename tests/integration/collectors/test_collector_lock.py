"""The one-scheduler lock under faults, with real processes.

The drill: a PostgreSQL this test starts itself (initdb into a private directory, a free port)
is restarted under a running `ioc collect` while a second one waits with ``--wait``. Whoever
holds the lock afterwards, the run records (each with the pid of the process that ran it) never
overlap between the two processes, the loser says why it stopped, and stopping with a signal
while the database is gone exits cleanly. The shared PostgreSQL server is never touched."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from collectors.scheduler import CollectorLock, CollectorLockedError, LockSupervisor
from dashboard.db import make_engine, make_sessionmaker, upgrade
from dashboard.models import CollectorRun
from dashboard.units import DEMO_UNITS_FILE, import_units_file
from tests.integration.collectors.conftest import doc
from tests.integration.collectors.test_collect_cli import ioc_env, wait_for, write_sources


def _runs(engine) -> list[CollectorRun]:
    with make_sessionmaker(engine)() as session:
        return list(session.scalars(select(CollectorRun).order_by(CollectorRun.id)))


def _overlaps(a: CollectorRun, b: CollectorRun, now) -> bool:
    return a.started_at < (b.finished_at or now) and b.started_at < (a.finished_at or now)


def test_lock_survives_a_postgresql_restart_with_a_second_scheduler_waiting(
    private_postgres, docsys, tmp_path
):
    engine = make_engine(private_postgres.url)
    upgrade(engine)
    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
    docsys.put(*[doc(i) for i in range(20)])
    env = ioc_env(engine, tmp_path)
    sources = write_sources(tmp_path, docsys.url, interval="1s")
    logs = {name: tmp_path / f"{name}.log" for name in ("first", "second")}
    procs: dict[str, subprocess.Popen] = {}
    try:
        procs["first"] = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "collect", "--sources", str(sources), "--heartbeat", "1"],
            env=env,
            stdout=logs["first"].open("w"),
            stderr=subprocess.STDOUT,
        )
        wait_for(logs["first"], "collecting 1 source(s): qlvb")
        procs["second"] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dashboard.cli",
                "collect",
                "--wait",
                "--sources",
                str(sources),
                "--heartbeat",
                "0.3",
            ],
            env=env,
            stdout=logs["second"].open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while len(_runs(engine)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "collecting" not in logs["second"].read_text(), "the second scheduler must wait"
        engine.dispose()

        private_postgres.stop("fast")  # every session dies, and with it the advisory lock
        time.sleep(3)
        private_postgres.start()
        # After the restart exactly one of them collects again: the first took its lock back
        # (the second still waits), or the second took it and the first stopped saying why.
        deadline = time.monotonic() + 45
        outcome = None
        while outcome is None and time.monotonic() < deadline:
            first_log, second_log = (logs[n].read_text(errors="replace") for n in ("first", "second"))
            if "collector lock taken back: scheduling resumed" in first_log:
                outcome = "first kept it"
            elif procs["first"].poll() is not None and "collecting 1 source(s)" in second_log:
                outcome = "second took over"
            time.sleep(0.2)
        first_log, second_log = (logs[n].read_text(errors="replace") for n in ("first", "second"))
        assert outcome is not None, f"first:\n{first_log}\nsecond:\n{second_log}"
        print(f"drill outcome: {outcome}")
        assert "collector lock lost (database restarted or unreachable): scheduling paused" in first_log
        if outcome == "second took over":
            assert procs["first"].returncode == 7
            assert "now held by another collector" in first_log
        else:
            assert "collecting" not in second_log
        time.sleep(4)  # let the survivor run a few times more after the restart
        survivor = procs["first"] if outcome == "first kept it" else procs["second"]
        assert survivor.poll() is None

        runs = _runs(engine)
        now = max(r.finished_at or r.started_at for r in runs)
        by_pid = {p.pid: [r for r in runs if r.pid == p.pid] for p in procs.values()}
        assert set(r.pid for r in runs) <= set(by_pid), "every run names the process that ran it"
        survivor_runs_after = [r for r in by_pid[survivor.pid] if r.status == "success"]
        assert len(survivor_runs_after) >= 2
        overlapping = [
            (a.id, b.id)
            for a in by_pid[procs["first"].pid]
            for b in by_pid[procs["second"].pid]
            if _overlaps(a, b, now)
        ]
        assert overlapping == [], "two schedulers ran at the same time"
        assert not [r.id for r in runs if r.error and r.error.startswith("interrupted")], (
            "nobody died: no run is 'interrupted'"
        )

        # Stopping while the database is gone: a clean exit, no traceback.
        engine.dispose()
        private_postgres.stop("immediate")
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(timeout=60) == 0
        survivor_log = (logs["first"] if survivor is procs["first"] else logs["second"]).read_text(
            errors="replace"
        )
        assert "Traceback" not in survivor_log and "Traceback" not in first_log
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        engine.dispose()


def test_a_lost_sqlite_lock_file_pauses_and_a_new_holder_stops_the_old_collector(engine, tmp_path):
    """SQLite's flock: the lock file replaced under a running scheduler means the lock is lost;
    if another process holds the new file, the supervisor refuses to go on."""
    if engine.dialect.name != "sqlite":
        # PostgreSQL: the advisory lock's session ends when its connection is closed under it.
        lock = CollectorLock(engine)
        lock.acquire()
        assert lock.held()
        lock._conn.invalidate()
        assert not lock.held()
        other = CollectorLock(engine)
        other.acquire()
        supervisor = LockSupervisor(lock, echo=lambda m: None)
        with pytest.raises(CollectorLockedError, match="now held by another collector"):
            supervisor.tick()
        assert supervisor.paused
        other.release()
        supervisor.tick()
        assert not supervisor.paused and lock.held()
        lock.release()
        return
    lock = CollectorLock(engine)
    lock.acquire()
    assert lock.held()
    lock.lock_file.unlink()  # someone deleted it: a second process could now lock a new file
    assert not lock.held()
    other = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'a+'); f.write('pid other'); f.flush(); "
            "fcntl.flock(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)",
            str(lock.lock_file),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout.readline().strip() == "locked"
        supervisor = LockSupervisor(lock, echo=lambda m: None)
        with pytest.raises(CollectorLockedError, match="pid other"):
            supervisor.tick()
        with pytest.raises(Exception, match="lost its lock"):
            supervisor.guard()
    finally:
        other.kill()
        other.wait()
    supervisor.tick()  # the other holder is gone: taken back
    assert not supervisor.paused and lock.held()
    lock.release()
