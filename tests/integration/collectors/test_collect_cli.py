"""`ioc collect` as real processes: one source now, and exactly one scheduler per database."""

import os
import signal
import subprocess
import sys
import time

from tests.integration.collectors.conftest import doc


def ioc_env(store, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update(
        IOC_DATA_DIR=str(tmp_path / "data"), IOC_DATABASE_URL=store.url.render_as_string(hide_password=False)
    )
    return env


def write_sources(tmp_path, docsys_url, interval="1h"):
    path = tmp_path / "sources.toml"
    path.write_text(
        f'[[source]]\nname = "qlvb"\ndomain = "documents"\nadapter = "sql"\ninterval = "{interval}"\n'
        f'[source.options]\nurl = "{docsys_url}"\npage_size = 10\n',
        encoding="utf-8",
    )
    return path


def ioc(args, env, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def wait_for(path, text, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise AssertionError(
        f"{text!r} not seen in {path}: {path.read_text(errors='replace') if path.exists() else ''}"
    )


def test_collect_once_runs_one_source_and_reports(store, docsys, tmp_path):
    docsys.put(*[doc(i) for i in range(30)])
    env = ioc_env(store, tmp_path)
    sources = write_sources(tmp_path, docsys.url)
    result = ioc(["collect", "--once", "qlvb", "--sources", str(sources)], env)
    assert result.returncode == 0, result.stderr
    assert "qlvb: success — read 30, inserted 30, updated 0, rejected 0, retries 0" in result.stdout
    again = ioc(["collect", "--once", "qlvb", "--sources", str(sources), "--since", "2026-03-01"], env)
    assert "qlvb: success — read 30, inserted 0, updated 0" in again.stdout
    unknown = ioc(["collect", "--once", "nope", "--sources", str(sources)], env)
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "ioc: error: unknown source 'nope'; sources in the file: qlvb"


def test_only_one_scheduler_runs_per_database(store, docsys, tmp_path):
    docsys.put(*[doc(i) for i in range(5)])
    env = ioc_env(store, tmp_path)
    sources = write_sources(tmp_path, docsys.url)
    first_log = tmp_path / "first.log"
    first = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "collect", "--sources", str(sources)],
        env=env,
        stdout=first_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(first_log, "collecting 1 source(s): qlvb")
        second = ioc(["collect", "--sources", str(sources)], env)
        assert second.returncode == 7
        assert second.stderr.startswith("ioc: error: another collector is already running for this database")
        # A waiting collector takes over when the first one stops.
        waiting_log = tmp_path / "waiting.log"
        waiting = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "collect", "--wait", "--sources", str(sources)],
            env=env,
            stdout=waiting_log.open("w"),
            stderr=subprocess.STDOUT,
        )
        try:
            time.sleep(1.5)
            assert "collecting" not in waiting_log.read_text()
            first.send_signal(signal.SIGTERM)
            assert first.wait(timeout=30) == 0
            wait_for(waiting_log, "collecting 1 source(s): qlvb", timeout=30)
        finally:
            waiting.send_signal(signal.SIGTERM)
            assert waiting.wait(timeout=30) == 0
    finally:
        if first.poll() is None:
            first.kill()


def test_a_killed_collection_resumes_without_gaps_or_duplicates(store, docsys, tmp_path):
    from sqlalchemy import func, select

    from dashboard import rollups
    from dashboard.db import make_sessionmaker
    from dashboard.models import CollectorRun, Document

    docsys.put(
        *[
            doc(i, updated_at=f"2026-03-{1 + i // 1000:02d}T10:{(i // 60) % 60:02d}:{i % 60:02d}")
            for i in range(12_000)
        ]
    )
    env = ioc_env(store, tmp_path)
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "qlvb"\ndomain = "documents"\nadapter = "sql"\n'
        f'[source.options]\nurl = "{docsys.url}"\npage_size = 200\n',
        encoding="utf-8",
    )
    sessions = make_sessionmaker(store)
    victim = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "collect", "--once", "qlvb", "--sources", str(sources)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with sessions() as session:
                done = session.scalar(select(func.coalesce(func.max(CollectorRun.rows_read), 0)))
            if done >= 1000:
                break
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)  # no chance to clean up: the middle of a batch
        victim.wait(timeout=30)
    finally:
        if victim.poll() is None:
            victim.kill()
    with sessions() as session:
        landed = session.scalar(select(func.count()).select_from(Document))
    assert 0 < landed < 12_000, "the kill should land mid-run"
    resumed = ioc(["collect", "--once", "qlvb", "--sources", str(sources)], env)
    assert resumed.returncode == 0, resumed.stderr
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 12_000
        assert session.scalar(select(func.count(func.distinct(Document.source_id)))) == 12_000
        assert rollups.stored(session) == rollups.recompute_all(session)
        statuses = [r.status for r in session.scalars(select(CollectorRun).order_by(CollectorRun.id))]
        killed = session.scalars(select(CollectorRun).order_by(CollectorRun.id)).first()
    assert statuses == ["partial", "success"]
    assert killed.error == "interrupted: the collector process stopped before this run finished"
