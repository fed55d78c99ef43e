"""The runner: one source, one run — read batches, validate, write, observe.

For every batch, in ONE transaction: upsert facts by (source, source_id), refresh the daily
rollups of every (unit, day) pair the batch touched (old and new values), store rejected rows
with their reason, save the batch's watermark, update the ``collector_run`` counters and bump the
data version. Only after the commit is the batch's ``after_commit`` called (e.g. archive a file).

Errors: :class:`TransientSourceError` (and a locked database) are retried with exponential
backoff and full jitter, the total wait bounded below the source's interval; on retry reading
resumes from the last committed watermark, so nothing is lost or doubled. A
:class:`FatalSourceError` fails the run at once. Every run ends with a status: ``success``,
``partial`` (failed after some batches were committed) or ``failed``.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, case, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from collectors.base import Adapter, Batch, FatalSourceError, SourceConfig, SourceError, TransientSourceError
from collectors.records import DOMAIN_SPECS, RecordContext, Rejected
from dashboard import rollups
from dashboard.db import begin_write, bump_data_version, make_sessionmaker
from dashboard.models import CollectorRun, CollectorState, DocumentStatusEvent, OrgUnit, Procedure, RejectedRecord
from dashboard.redact import redact
from dashboard.timeutil import utcnow
from dashboard.upsert import upsert

log = logging.getLogger(__name__)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is validated and written.

    A page of 5.000 rows allocates a few hundred thousand objects (dicts, tuples, datetimes), none
    in a reference cycle: they are freed by reference counting, but their allocation triggers
    collections that walk every tracked object of the process, ~5 % of a bulk load. Collection
    resumes after the batch (nested or concurrent pauses resume when the outermost one ends)."""
    global _gc_pauses
    with _gc_lock:
        _gc_pauses += 1
        if _gc_pauses == 1:
            _gc_state[0] = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_state[0]:
                gc.enable()


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_state = [True]


@dataclass
class RetryPolicy:
    max_attempts: int = 5
    base_delay_s: float = 1.0
    #: Share of the source's interval that retries may spend waiting in one run.
    budget_share: float = 0.5

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        backoff = rng.uniform(0, self.base_delay_s * (2 ** (attempt - 1)))  # full jitter
        return max(backoff, retry_after or 0.0)


@dataclass
class _Counts:
    inserted: int
    updated: int


@dataclass
class RunResult:
    run_id: int
    source: str
    status: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    retries: int = 0
    batches: int = 0
    duration_s: float = 0.0
    error: str | None = None


class Runner:
    def __init__(
        self,
        engine: Engine,
        config: SourceConfig,
        adapter: Adapter,
        *,
        agency_tz: ZoneInfo = ZoneInfo("Asia/Ho_Chi_Minh"),
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        on_batch: Callable[[RunResult, Batch], None] | None = None,
    ):
        if config.domain not in DOMAIN_SPECS:
            raise FatalSourceError(f"source {config.name!r}: domain {config.domain!r} is not collected by the runner")
        self.engine = engine
        self.sessions = make_sessionmaker(engine)
        self.config = config
        self.adapter = adapter
        self.spec = DOMAIN_SPECS[config.domain]
        self.agency_tz = agency_tz
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.on_batch = on_batch
        self._status_events = False

    # --- public ------------------------------------------------------------------------------------
    def run(self, watermark_override: dict[str, Any] | None = None) -> RunResult:
        started = time.monotonic()
        result = RunResult(run_id=self._open_run(), source=self.config.name, status="running")
        waited = 0.0
        budget = self.retry.budget_share * self.config.interval_s
        try:
            self._status_events = self.config.domain == "documents" and self._has_status_events()
            watermark = watermark_override if watermark_override is not None else self._load_watermark()
            attempt = 0
            while True:
                try:
                    context = self._context()
                    run_id = result.run_id
                    for batch in self.adapter.batches(watermark):
                        with _no_cyclic_gc():
                            records, rejects = self._validate(batch, context, run_id)
                            self._commit_with_retry(batch, records, rejects, context, result)
                        if batch.watermark is not None:
                            watermark = batch.watermark
                        if batch.after_commit is not None:
                            batch.after_commit()
                        if self.on_batch:
                            self.on_batch(result, batch)
                    break
                except TransientSourceError as exc:
                    attempt += 1
                    delay = self.retry.delay(attempt, exc.retry_after, self.rng)
                    if attempt >= self.retry.max_attempts or waited + delay > budget:
                        raise FatalSourceError(
                            f"{exc} — gave up after {attempt} attempt(s) ({waited:.1f} s of retries)"
                        ) from exc
                    result.retries += 1
                    waited += delay
                    log.warning("source %s: %s; retry %d in %.1f s", self.config.name, self._redact(str(exc)), attempt, delay)
                    self.sleep(delay)
            result.status = "success"
        except SourceError as exc:
            result.status = "partial" if result.batches else "failed"
            result.error = self._redact(str(exc))
            log.error("source %s: %s", self.config.name, result.error)
        except Exception as exc:  # a bug or an unexpected failure: record it, never crash the scheduler
            result.status = "partial" if result.batches else "failed"
            result.error = self._redact(f"{type(exc).__name__}: {exc}")
            log.exception("source %s: unexpected error", self.config.name)
        finally:
            self.adapter.close()
            result.duration_s = time.monotonic() - started
            self._close_run(result)
        return result

    # --- internals -------------------------------------------------------------------------------------
    def _redact(self, text: str) -> str:
        """URL passwords, secret-looking parameters and this source's secret values masked."""
        return redact(text, (os.environ.get(var) for var in self.config.secrets.values()))

    def _open_run(self) -> int:
        with self.sessions.begin() as session:
            # A run still "running" belongs to a process that died (killed, power cut): its
            # committed batches stand, the rest is read again now. Say so on the Sources page.
            session.execute(
                update(CollectorRun)
                .where(CollectorRun.source == self.config.name, CollectorRun.status == "running")
                .values(
                    status=case((CollectorRun.rows_read > 0, "partial"), else_="failed"),
                    finished_at=utcnow(),
                    error="interrupted: the collector process stopped before this run finished",
                )
            )
            run = CollectorRun(source=self.config.name, started_at=utcnow(), status="running")
            session.add(run)
            session.flush()
            return run.id

    def _close_run(self, result: RunResult) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(CollectorRun)
                .where(CollectorRun.id == result.run_id)
                .values(
                    status=result.status,
                    finished_at=utcnow(),
                    duration_s=round(result.duration_s, 3),
                    retries=result.retries,
                    error=result.error,
                    rows_read=result.rows_read,
                    rows_inserted=result.inserted,
                    rows_updated=result.updated,
                    rows_rejected=result.rejected,
                )
            )

    def _has_status_events(self) -> bool:
        """Whether edXML status packets refer to this documents source (checked once per run)."""
        with self.sessions() as session:
            return session.scalar(
                select(DocumentStatusEvent.id).where(DocumentStatusEvent.document_source == self.config.name).limit(1)
            ) is not None

    def _load_watermark(self) -> dict[str, Any] | None:
        with self.sessions() as session:
            return session.scalar(
                select(CollectorState.watermark).where(
                    CollectorState.source == self.config.name, CollectorState.stream == "default"
                )
            )

    def _context(self) -> RecordContext:
        with self.sessions() as session:
            unit_ids = dict(session.execute(select(OrgUnit.code, OrgUnit.id)).all())
        return RecordContext(
            source=self.config.name,
            source_tz=ZoneInfo(self.config.timezone),
            agency_tz=self.agency_tz,
            unit_ids=unit_ids,
            unit_map=dict(self.config.units),
        )

    def _commit_with_retry(self, batch: Batch, records, rejects, context: RecordContext, result: RunResult) -> None:
        attempt = 0
        while True:
            try:
                with self.sessions.begin() as session:
                    self._write_batch(session, batch, records, rejects, context, result)
                return
            except OperationalError as exc:
                # SQLite "database is locked" (another writer held it past busy_timeout): retry.
                if "locked" not in str(exc.orig).lower() or attempt >= self.retry.max_attempts:
                    raise
                attempt += 1
                result.retries += 1
                self.sleep(self.retry.delay(attempt, None, self.rng))

    def _validate(self, batch: Batch, context: RecordContext, run_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The batch's canonical records and its rejects (before the transaction: a retried
        commit does not validate again)."""
        records: list[dict[str, Any]] = []
        rejects: list[dict[str, Any]] = []
        now = utcnow()
        convert = self.spec.convert
        for row in batch.rows:
            try:
                records.append(convert(row.data, context))
            except Rejected as exc:
                rejects.append(self._reject(row.data, str(exc), row.line_no, row.file_name, run_id, now))
        for bad in batch.rejects:
            rejects.append(self._reject(bad.payload, bad.reason, bad.line_no, bad.file_name, run_id, now))
        return records, rejects

    def _write_batch(
        self, session: Session, batch: Batch, records: list[dict[str, Any]], rejects: list[dict[str, Any]],
        context: RecordContext, result: RunResult,
    ) -> None:
        begin_write(session)  # the one writer of facts and rollups until commit (see Delta.mark)
        now = utcnow()
        model = self.spec.model
        if records and self.spec.apply is not None:
            inserted, updated = self.spec.apply(session, records, context)
            counts = _Counts(inserted, updated)
        elif records:
            key = tuple(self.spec.key)
            # Rollups move by the exact change of the facts that arrived, changed or left: their
            # stored rows before the write (-1) and after it (+1). Rows re-read unchanged cost nothing.
            delta = rollups.Delta(session, model) if model in rollups.METRICS_BY_MODEL else None
            if delta is not None:
                delta.mark()
            counts = upsert(
                session, model, records, key=key,
                before_write=(lambda keys: delta.capture_keys(-1, key, keys)) if delta else None,
            )
            if delta is not None and counts.written:
                delta.capture_written(key, (tuple(v[k] for k in key) for v in counts.written), list(counts.previous))
                delta.apply()
            if self._status_events and counts.written:
                # The document system's rows carry its own status and times, not the national
                # axis's: re-apply the edXML status packets stored for the documents just written.
                from collectors.status import apply_pending

                apply_pending(session, self.config.name, [v["source_id"] for v in counts.written], agency_tz=self.agency_tz)
            if model is Procedure and counts.written:
                # A service level that changes moves a unit's dossiers in or out of DVC-03.
                units = {v["unit_id"] for v in counts.written} | {v["unit_id"] for v in counts.previous.values()}
                rollups.refresh_units(session, units)
        else:
            counts = None
        if rejects:
            session.add_all(RejectedRecord(**r) for r in rejects)
        if batch.watermark is not None:
            upsert(
                session,
                CollectorState,
                [{"source": self.config.name, "stream": "default", "watermark": batch.watermark, "updated_at": now}],
                key=("source", "stream"),
                count=False,
            )
        inserted = counts.inserted if counts else 0
        updated = counts.updated if counts else 0
        if inserted or updated:
            bump_data_version(session)
        # Counters of the run, committed with the batch so progress is visible and honest.
        session.execute(
            update(CollectorRun)
            .where(CollectorRun.id == result.run_id)
            .values(
                rows_read=CollectorRun.rows_read + len(batch.rows),
                rows_inserted=CollectorRun.rows_inserted + inserted,
                rows_updated=CollectorRun.rows_updated + updated,
                rows_rejected=CollectorRun.rows_rejected + len(rejects),
            )
        )
        session.flush()
        # Only now, with everything written, count the batch in the result (a failed commit raises before).
        result.rows_read += len(batch.rows)
        result.inserted += inserted
        result.updated += updated
        result.rejected += len(rejects)
        result.batches += 1

    def _reject(self, payload: Any, reason: str, line_no, file_name, run_id: int, now) -> dict[str, Any]:
        return {
            "source": self.config.name,
            "run_id": run_id,
            "rejected_at": now,
            "file_name": file_name,
            "line_no": line_no,
            "reason": self._redact(reason)[:2000],
            "payload": json.dumps(payload, ensure_ascii=False, default=str)[:20000],
        }
