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
import operator
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, case, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from collectors.base import (
    Adapter,
    Batch,
    ErrorKind,
    FatalSourceError,
    SourceConfig,
    SourceError,
    TransientSourceError,
    kind_of,
)
from collectors.records import DOMAIN_SPECS, RecordContext, Rejected
from dashboard import rollups
from dashboard.db import begin_write, bump_data_version, make_sessionmaker
from dashboard.models import (
    CollectorRun,
    CollectorState,
    DocumentStatusEvent,
    OrgUnit,
    Procedure,
    RejectedRecord,
)
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

_HOST = socket.gethostname()[:255]

#: Per domain, the timestamps of things that already happened: none may lie in the future.
#: (Deadlines and scheduled meetings may; they are not listed.)
PAST_FIELDS: dict[str, tuple[str, ...]] = {
    "documents": ("registered_at", "sent_at", "acknowledged_at", "completed_at", "source_updated_at"),
    "dossiers": ("received_at", "finished_at", "returned_at", "source_updated_at"),
    "meetings": ("source_updated_at",),
    "meeting_samples": ("sampled_at",),
    "petitions": ("received_at", "handled_at", "source_updated_at"),
    "tasks": ("assigned_at", "completed_at", "source_updated_at"),
}
INTERRUPTED = "interrupted: the collector process stopped before this run finished"

#: Run records this process could not write because the store was unreachable, per (store, source):
#: ``(run_id or 0, started_at, values, unreachable_since)``. Written by the next run that reaches it.
_unrecorded: dict[tuple[str, str], list[tuple[int, datetime, dict[str, Any], datetime]]] = {}
_unrecorded_lock = threading.Lock()


def _store_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _remember_unrecorded(
    engine: Engine, source: str, run_id: int, started_at: datetime, values: dict[str, Any]
) -> None:
    with _unrecorded_lock:
        pending = _unrecorded.setdefault((_store_key(engine), source), [])
        since = pending[0][3] if pending else started_at
        pending.append((run_id, started_at, values, since))


def _flush_unrecorded(engine: Engine, source: str) -> int:
    """Write the run records kept during a store outage, saying when the store was away (in
    their own transaction; kept for later again if the store is still away)."""
    with _unrecorded_lock:
        pending = _unrecorded.pop((_store_key(engine), source), [])
    if not pending:
        return 0
    try:
        with make_sessionmaker(engine).begin() as session:
            back = utcnow()
            for run_id, started_at, values, since in pending:
                note = (
                    f"recorded late: the store was unreachable from {since:%Y-%m-%d %H:%M:%S} "
                    f"to {back:%Y-%m-%d %H:%M:%S} UTC"
                )
                if run_id:
                    session.execute(
                        update(CollectorRun).where(CollectorRun.id == run_id).values(note=note, **values)
                    )
                else:
                    session.add(
                        CollectorRun(
                            source=source,
                            started_at=started_at,
                            pid=os.getpid(),
                            host=_HOST,
                            note=note,
                            **values,
                        )
                    )
    except Exception:
        with _unrecorded_lock:
            _unrecorded[(_store_key(engine), source)] = pending + _unrecorded.get(
                (_store_key(engine), source), []
            )
        raise
    return len(pending)


def flush_unrecorded(engine: Engine) -> int:
    """Write every kept run record of this store now (on shutdown); never raises."""
    key = _store_key(engine)
    with _unrecorded_lock:
        sources = [source for store, source in _unrecorded if store == key]
    written = 0
    for source in sources:
        try:
            written += _flush_unrecorded(engine, source)
        except Exception as exc:  # still unreachable: nothing more to do than say so
            log.error("source %s: run records of the store outage could not be written (%s)", source, exc)
    return written


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # somebody else's process: alive
        return True
    return True


def _mark_interrupted(session: Session, config: SourceConfig) -> None:
    """A run still "running" whose process is gone (killed, power cut) was interrupted: its
    committed batches stand, the rest is read again now. Only then: a live process's run (a
    ``--once`` beside the scheduler) is left alone, and a real error is never overwritten.
    Runs of another host cannot be checked: they count as interrupted after an hour past their
    interval (a run never outlasts its interval)."""
    running = session.execute(
        select(CollectorRun.id, CollectorRun.pid, CollectorRun.host, CollectorRun.started_at).where(
            CollectorRun.source == config.name, CollectorRun.status == "running"
        )
    ).all()
    cutoff = utcnow() - timedelta(seconds=config.interval_s + 3600)
    dead = [
        run.id
        for run in running
        if run.pid is None
        or (run.host == _HOST and (run.pid == os.getpid() or not _process_alive(run.pid)))
        or (run.host != _HOST and run.started_at < cutoff)
    ]
    if dead:
        session.execute(
            update(CollectorRun)
            .where(CollectorRun.id.in_(dead))
            .values(
                status=case((CollectorRun.rows_read > 0, "partial"), else_="failed"),
                finished_at=utcnow(),
                error=func.coalesce(CollectorRun.error, INTERRUPTED),
                # a real error stored before the process died keeps its own kind
                error_kind=case(
                    (CollectorRun.error.is_(None), str(ErrorKind.INTERRUPTED)), else_=CollectorRun.error_kind
                ),
            )
        )


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
    #: Why the run failed, stable whatever the message's wording (stored for the Sources page).
    error_kind: ErrorKind | None = None
    error_detail: str | None = None


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
        guard: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        if config.domain not in DOMAIN_SPECS:
            raise FatalSourceError(
                f"source {config.name!r}: domain {config.domain!r} is not collected by the runner",
                kind=ErrorKind.CONFIG,
            )
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
        #: Called before every batch commit; raises to stop the run (the scheduler's lock check).
        self.guard = guard
        self.clock = clock
        self._status_events = False

    # --- public ------------------------------------------------------------------------------------
    def run(self, watermark_override: dict[str, Any] | None = None) -> RunResult:
        started = self.clock()
        started_at = utcnow()
        result = RunResult(run_id=0, source=self.config.name, status="running")
        # The retry budget is wall-clock time since the run started — attempts that waited on a
        # timeout count as much as the sleeps between them — so a run never outlasts its interval.
        budget = self.retry.budget_share * self.config.interval_s
        try:
            result.run_id = self._open_run(started_at)
            self._status_events = self.config.domain == "documents" and self._has_status_events()
            watermark = watermark_override if watermark_override is not None else self._load_watermark()
            attempt = 0
            while True:
                attempt_started = self.clock()
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
                    now = self.clock()
                    elapsed = now - started
                    # the next attempt will likely wait as long as this one did (a timeout)
                    if (
                        attempt >= self.retry.max_attempts
                        or elapsed + delay + (now - attempt_started) > budget
                    ):
                        raise FatalSourceError(
                            f"{exc} — gave up after {attempt} attempt(s) in {elapsed:.1f} s "
                            f"(retry budget {budget:g} s of the {self.config.interval_s:g} s interval)",
                            kind=exc.kind,
                            detail=exc.detail,
                        ) from exc
                    result.retries += 1
                    log.warning(
                        "source %s: %s; retry %d in %.1f s",
                        self.config.name,
                        self._redact(str(exc)),
                        attempt,
                        delay,
                    )
                    self.sleep(delay)
            result.status = "success"
        except SourceError as exc:
            result.status = "partial" if result.batches else "failed"
            result.error = self._redact(str(exc))
            result.error_kind = exc.kind
            result.error_detail = self._redact(exc.detail) if exc.detail else None
            log.error("source %s: %s", self.config.name, result.error)
        except Exception as exc:  # a bug or an unexpected failure: record it, never crash the scheduler
            result.status = "partial" if result.batches else "failed"
            result.error = self._redact(f"{type(exc).__name__}: {exc}")
            result.error_kind = kind_of(exc)
            if isinstance(exc, OperationalError):
                result.error_kind = ErrorKind.STORE_UNREACHABLE
                result.error = self._redact(
                    f"the store is unreachable: {str(exc.orig or exc).strip().splitlines()[0]}"
                )
                log.error("source %s: %s", self.config.name, result.error)
            else:
                log.exception("source %s: unexpected error", self.config.name)
        finally:
            try:
                self.adapter.close()
            finally:
                result.duration_s = self.clock() - started
                self._close_run(result, started_at)
        return result

    # --- internals -------------------------------------------------------------------------------------
    def _redact(self, text: str) -> str:
        """URL passwords, secret-looking parameters and this source's secret values masked."""
        return redact(text, (os.environ.get(var) for var in self.config.secrets.values()))

    def _open_run(self, started_at) -> int:
        # First what this process could not write while the store was away: runs that could not
        # be opened or closed, with the outage window.
        _flush_unrecorded(self.engine, self.config.name)
        with self.sessions.begin() as session:
            _mark_interrupted(session, self.config)
            run = CollectorRun(
                source=self.config.name,
                started_at=started_at,
                status="running",
                pid=os.getpid(),
                host=_HOST,
            )
            session.add(run)
            session.flush()
            return run.id

    def _close_run(self, result: RunResult, started_at) -> None:
        values = dict(
            status=result.status,
            finished_at=utcnow(),
            duration_s=round(result.duration_s, 3),
            retries=result.retries,
            error=result.error,
            error_kind=result.error_kind and str(result.error_kind),
            error_detail=result.error_detail,
            rows_read=result.rows_read,
            rows_inserted=result.inserted,
            rows_updated=result.updated,
            rows_rejected=result.rejected,
        )
        try:
            with self.sessions.begin() as session:
                if result.run_id:
                    session.execute(
                        update(CollectorRun).where(CollectorRun.id == result.run_id).values(**values)
                    )
                else:  # the store is back already: the attempt that could not open its row
                    session.add(
                        CollectorRun(
                            source=self.config.name,
                            started_at=started_at,
                            pid=os.getpid(),
                            host=_HOST,
                            **values,
                        )
                    )
        except OperationalError as exc:
            # The store is unreachable: keep the record and write it as soon as it answers again
            # (the next run of this source), so the attempt and its real error are never lost.
            log.warning(
                "source %s: run record kept until the store answers again (%s)",
                self.config.name,
                str(exc.orig or exc).strip().splitlines()[0],
            )
            _remember_unrecorded(self.engine, self.config.name, result.run_id, started_at, values)

    def _has_status_events(self) -> bool:
        """Whether edXML status packets refer to this documents source (checked once per run)."""
        with self.sessions() as session:
            return (
                session.scalar(
                    select(DocumentStatusEvent.id)
                    .where(DocumentStatusEvent.document_source == self.config.name)
                    .limit(1)
                )
                is not None
            )

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
            options=dict(self.config.options),
        )

    def _commit_with_retry(
        self, batch: Batch, records, rejects, context: RecordContext, result: RunResult
    ) -> None:
        attempt = 0
        while True:
            if self.guard is not None:
                self.guard()  # e.g. the scheduler lost its lock: write nothing more
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

    def _validate(
        self, batch: Batch, context: RecordContext, run_id: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The batch's canonical records and its rejects (before the transaction: a retried
        commit does not validate again)."""
        records: list[dict[str, Any]] = []
        rejects: list[dict[str, Any]] = []
        now = utcnow()
        convert = self.spec.convert
        # Data-quality rules beyond one value: an id twice in one batch (the first row is kept,
        # the others reported, never "the last silently wins"), and events dated in the future.
        key = operator.itemgetter(*self.spec.key) if self.spec.apply is None or self.spec.dedupe else None
        seen: dict[Any, Any] = {}
        past = PAST_FIELDS.get(self.config.domain, ())
        latest = now + timedelta(seconds=self.config.future_tolerance_s)
        if self.spec.scrub is not None:
            self._scrub(batch, run_id, now, rejects)
        for row in batch.rows:
            try:
                record = convert(row.data, context)
            except Rejected as exc:
                rejects.append(self._reject(row.data, str(exc), row.line_no, row.file_name, run_id, now))
                continue
            future = None
            for name in past:
                value = record.get(name)
                if value is not None and value > latest:
                    future = name
                    break
            if future is not None:
                rejects.append(
                    self._reject(
                        row.data,
                        f"future date: {future} {record[future].isoformat()} is later than now + "
                        f"{self.config.future_tolerance_s / 3600:g} h (check the source's clock or the value)",
                        row.line_no,
                        row.file_name,
                        run_id,
                        now,
                        "future",
                    )
                )
                continue
            if key is not None:
                ident = key(record)
                if ident in seen:
                    first = seen[ident]
                    rejects.append(
                        self._reject(
                            row.data,
                            f"duplicate id {record.get('source_id', ident)!r} in one batch"
                            + (f" (first on line {first})" if first else "")
                            + ": the first row was kept",
                            row.line_no,
                            row.file_name,
                            run_id,
                            now,
                            "duplicate",
                        )
                    )
                    continue
                seen[ident] = row.line_no
            records.append(record)
        for bad in batch.rejects:
            rejects.append(
                self._reject(bad.payload, bad.reason, bad.line_no, bad.file_name, run_id, now, bad.kind)
            )
        return records, rejects

    def _write_batch(
        self,
        session: Session,
        batch: Batch,
        records: list[dict[str, Any]],
        rejects: list[dict[str, Any]],
        context: RecordContext,
        result: RunResult,
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
                session,
                model,
                records,
                key=key,
                before_write=(lambda keys: delta.capture_keys(-1, key, keys)) if delta else None,
            )
            if delta is not None and counts.written:
                delta.capture_written(
                    key, (tuple(v[k] for k in key) for v in counts.written), list(counts.previous)
                )
                delta.apply()
            if self._status_events and counts.written:
                # The document system's rows carry its own status and times, not the national
                # axis's: re-apply the edXML status packets stored for the documents just written.
                from collectors.status import apply_pending

                apply_pending(
                    session,
                    self.config.name,
                    [v["source_id"] for v in counts.written],
                    agency_tz=self.agency_tz,
                )
            if model is Procedure and counts.written:
                # A service level that changes moves a unit's dossiers in or out of DVC-03.
                units = {v["unit_id"] for v in counts.written} | {
                    v["unit_id"] for v in counts.previous.values()
                }
                rollups.refresh_units(session, units)
        else:
            counts = None
        if rejects:
            session.add_all(RejectedRecord(**r) for r in rejects)
        if batch.watermark is not None:
            upsert(
                session,
                CollectorState,
                [
                    {
                        "source": self.config.name,
                        "stream": "default",
                        "watermark": batch.watermark,
                        "updated_at": now,
                    }
                ],
                key=("source", "stream"),
                count=False,
            )
        inserted = counts.inserted if counts else 0
        updated = counts.updated if counts else 0
        # A "personal" line reports fields dropped from rows that were kept: not a rejected row.
        rejected = sum(1 for r in rejects if r["kind"] != "personal")
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
                rows_rejected=CollectorRun.rows_rejected + rejected,
            )
        )
        session.flush()
        # Only now, with everything written, count the batch in the result (a failed commit raises before).
        result.rows_read += len(batch.rows)
        result.inserted += inserted
        result.updated += updated
        result.rejected += rejected
        result.batches += 1

    def _scrub(self, batch: Batch, run_id: int, now, rejects: list[dict[str, Any]]) -> None:
        """Drop the fields that must never be stored (the petitioner's personal data) from every
        row, and say so: a warning in the log once a run, and a ``personal`` line on the Sources
        page naming the fields (never their values) at most once a day for the same fields.
        The rows themselves are kept."""
        dropped: set[str] = set()
        for row in batch.rows:
            dropped.update(self.spec.scrub(row.data))
        for bad in batch.rejects:
            if isinstance(bad.payload, dict):
                dropped.update(self.spec.scrub(bad.payload))
        if not dropped:
            return
        names = ", ".join(sorted(dropped))
        if self._personal_noted(names, now):
            return
        rejects.append(
            self._reject(
                {"dropped_fields": sorted(dropped)},
                f"personal data dropped at intake (never stored): {names} — the IOC collects no name, "
                "phone, address or ID of the petitioner; remove these fields from the view or the API mapping",
                None,
                None,
                run_id,
                now,
                "personal",
            )
        )

    def _personal_noted(self, names: str, now) -> bool:
        """Whether this run, or a run in the last 24 hours, already put the same note on the
        Sources page (a source that sends personal data on every page gets one line a day)."""
        noted = self.__dict__.setdefault("_personal_notes", set())
        if names in noted:
            return True
        noted.add(names)
        with self.sessions() as session:
            reasons = session.scalars(
                select(RejectedRecord.reason).where(
                    RejectedRecord.source == self.config.name,
                    RejectedRecord.rejected_at >= now - timedelta(hours=24),
                    RejectedRecord.kind == "personal",
                )
            ).all()
        already = any(f"(never stored): {names} —" in r for r in reasons)
        # Said once a day, like the Sources line: a source collected every few seconds would
        # otherwise repeat the same warning all day long.
        (log.debug if already else log.warning)(
            "source %s: personal data fields dropped at intake, never stored: %s", self.config.name, names
        )
        return already

    def _reject(
        self, payload: Any, reason: str, line_no, file_name, run_id: int, now, kind: str = "row"
    ) -> dict[str, Any]:
        return {
            "kind": kind,
            "source": self.config.name,
            "run_id": run_id,
            "rejected_at": now,
            "file_name": file_name,
            "line_no": line_no,
            "reason": self._redact(reason)[:2000],
            "payload": json.dumps(payload, ensure_ascii=False, default=str)[:20000],
        }
