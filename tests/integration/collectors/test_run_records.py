"""Honest run records: every attempt leaves a row, also through a store outage (written once the
store is back, with the outage window); a real error is never replaced by "interrupted", which
is said only of runs whose process really died; retries never take a run past its interval."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from collectors.base import Adapter, Batch, ErrorKind, FatalSourceError, RawRow, TransientSourceError
from collectors.runner import INTERRUPTED, RetryPolicy, Runner
from dashboard.db import make_engine, make_sessionmaker, upgrade
from dashboard.models import CollectorRun
from dashboard.timeutil import utcnow
from dashboard.units import DEMO_UNITS_FILE, import_units_file
from tests.integration.collectors.conftest import ListAdapter, doc, sql_source


def _runs(engine) -> list[CollectorRun]:
    with make_sessionmaker(engine)() as session:
        return list(session.scalars(select(CollectorRun).order_by(CollectorRun.id)))


def _batch(*ids: int) -> Batch:
    return Batch(rows=[RawRow(data=doc(i)) for i in ids])


class StopsTheStore(Adapter):
    """Commits one batch, then the store goes away before the second."""

    kind = "list"

    def __init__(self, config, server):
        super().__init__(config)
        self.server = server

    def batches(self, watermark):
        yield _batch(1, 2)
        self.server.stop("immediate")
        yield _batch(3)


def test_runs_during_a_store_outage_are_recorded_once_it_is_back(private_postgres):
    engine = make_engine(private_postgres.url)
    upgrade(engine)
    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
    config = sql_source("sqlite://", name="outage")
    try:
        # 1. The store dies mid-run: the run's real error cannot be written at once.
        cut = Runner(engine, config, StopsTheStore(config, private_postgres), sleep=lambda s: None).run()
        assert cut.status == "partial" and "the store is unreachable" in cut.error
        assert cut.error_kind == "store_unreachable"
        # 2. A run while the store is down: it cannot even open its row.
        down = Runner(engine, config, ListAdapter(config, [_batch(4)]), sleep=lambda s: None).run()
        assert (down.status, down.run_id) == ("failed", 0)
        assert "the store is unreachable" in down.error
        private_postgres.start()
        engine.dispose()
        # 3. The store is back: the next run writes both records first.
        back = Runner(engine, config, ListAdapter(config, [_batch(5)]), sleep=lambda s: None).run()
        assert back.status == "success"
        runs = _runs(engine)
        assert [r.status for r in runs] == ["partial", "failed", "success"]
        first, late, _ = runs
        assert first.error == cut.error and not first.error.startswith("interrupted")
        assert (first.rows_read, first.rows_inserted) == (2, 2)
        assert late.error == down.error and late.started_at < runs[2].started_at
        for run in (first, late):
            assert run.note.startswith("recorded late: the store was unreachable from ")
            assert run.pid == os.getpid()
        # the outage window starts with the first attempt that could not write its record
        assert f"{first.started_at:%Y-%m-%d %H:%M:%S} to " in late.note
    finally:
        engine.dispose()


def test_interrupted_only_when_the_process_really_died(store):
    config = sql_source("sqlite://", name="qlvb")
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket

    host = socket.gethostname()
    try:
        with make_sessionmaker(store).begin() as session:
            session.add_all(
                [
                    # a `collect --once` running beside us: its process lives, leave it alone
                    CollectorRun(
                        source="qlvb", started_at=utcnow(), status="running", pid=alive.pid, host=host
                    ),
                    # killed mid-run: interrupted
                    CollectorRun(
                        source="qlvb",
                        started_at=utcnow(),
                        status="running",
                        pid=dead.pid,
                        host=host,
                        rows_read=5,
                    ),
                    # died after a real error was stored: the error stays
                    CollectorRun(
                        source="qlvb",
                        started_at=utcnow(),
                        status="running",
                        pid=dead.pid,
                        host=host,
                        error="HTTP 500 at /api",
                    ),
                    # another host, recent: cannot be checked, so not yet
                    CollectorRun(
                        source="qlvb", started_at=utcnow(), status="running", pid=1, host="elsewhere"
                    ),
                    # another host, far older than its interval: it died
                    CollectorRun(
                        source="qlvb",
                        started_at=utcnow() - timedelta(hours=3),
                        status="running",
                        pid=1,
                        host="elsewhere",
                    ),
                ]
            )
        Runner(store, config, ListAdapter(config, []), sleep=lambda s: None).run()
    finally:
        alive.kill()
        alive.wait()
    runs = _runs(store)
    assert [(r.status, r.error, r.error_kind) for r in runs] == [
        ("running", None, None),
        ("partial", INTERRUPTED, "interrupted"),
        ("failed", "HTTP 500 at /api", None),  # its own error (stored without a kind) stays
        ("running", None, None),
        ("failed", INTERRUPTED, "interrupted"),
        ("success", None, None),
    ]


class SlowAndFailing(Adapter):
    """Every attempt waits on a 2 s timeout, then fails transiently (on a fake clock)."""

    kind = "list"

    def __init__(self, config, clock):
        super().__init__(config)
        self.clock = clock
        self.attempts = 0

    def batches(self, watermark):
        self.attempts += 1
        self.clock.now += 2.0
        raise TransientSourceError("source 'slow': timed out after 2 s", kind=ErrorKind.TIMEOUT)
        yield  # pragma: no cover


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_retry_budget_is_wall_clock_time_so_a_run_never_outlasts_its_interval(store):
    config = sql_source("sqlite://", name="slow", interval_s=5)
    clock = FakeClock()
    adapter = SlowAndFailing(config, clock)
    runner = Runner(
        store,
        config,
        adapter,
        sleep=clock.sleep,
        clock=clock,
        retry=RetryPolicy(max_attempts=10, base_delay_s=0.2),
    )
    result = runner.run()
    assert result.status == "failed"
    assert "gave up after" in result.error and "retry budget 2.5 s of the 5 s interval" in result.error
    # no retry whose attempt (as long as the last: a 2 s timeout) would end past half the interval
    assert adapter.attempts == 1 and result.duration_s == 2.0
    (run,) = _runs(store)
    assert (run.duration_s, run.error) == (2.0, result.error)
    assert result.error_kind is ErrorKind.TIMEOUT and run.error_kind == "timeout"  # giving up keeps the kind

    # a quick failure leaves room for retries, within the budget all the same
    class Quick(SlowAndFailing):
        def batches(self, watermark):
            self.attempts += 1
            self.clock.now += 0.1
            raise TransientSourceError("source 'slow': connection refused")
            yield  # pragma: no cover

    quick = Quick(config, clock)
    result = Runner(
        store,
        config,
        quick,
        sleep=clock.sleep,
        clock=clock,
        retry=RetryPolicy(max_attempts=50, base_delay_s=0.2),
    ).run()
    assert quick.attempts >= 3 and result.retries == quick.attempts - 1
    assert result.duration_s <= 2.5


class RefusesTheLogin(Adapter):
    """Fails as a source refusing the account would, in words the Sources page never parses."""

    kind = "list"

    def batches(self, watermark):
        raise FatalSourceError(
            "completely reworded: the far end said no", kind=ErrorKind.AUTH, detail="IOC_QLVB_PASSWORD"
        )
        yield  # pragma: no cover


def test_the_sources_page_advises_from_the_stored_kind_not_the_message(store):
    from dashboard.health import source_health

    config = sql_source("sqlite://", name="qlvb")
    result = Runner(store, config, RefusesTheLogin(config), sleep=lambda s: None).run()
    assert (result.status, result.error_kind, result.error_detail) == ("failed", "auth", "IOC_QLVB_PASSWORD")
    (run,) = _runs(store)
    assert (run.error_kind, run.error_detail) == ("auth", "IOC_QLVB_PASSWORD")
    with make_sessionmaker(store)() as session:
        (health,) = source_health(session, [config])
    assert health.state == "error" and health.last_error == "completely reworded: the far end said no"
    assert health.last_error_plain.vi == (
        "Máy chủ nguồn từ chối xác thực: kiểm tra IOC_QLVB_PASSWORD trong cấu hình nguồn và biến môi trường tương ứng."
    )
    assert "check IOC_QLVB_PASSWORD" in health.last_error_plain.en
