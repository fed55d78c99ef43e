"""The runner with the real SQL adapter, reading a real SQLite source, writing SQLite and PostgreSQL."""

import json
import logging

from sqlalchemy import func, select

from collectors.base import TransientSourceError
from collectors.runner import RetryPolicy, Runner
from collectors.sql import SqlAdapter
from dashboard import rollups
from dashboard.db import make_sessionmaker
from dashboard.models import CollectorRun, CollectorState, DataVersion, Document, RejectedRecord
from tests.integration.collectors.conftest import doc, sql_source


def run(store, config, adapter=None, **kwargs):
    sleeps = []
    runner = Runner(store, config, adapter or SqlAdapter(config), sleep=sleeps.append, **kwargs)
    result = runner.run()
    result.sleeps = sleeps
    return result


def scalar(store, stmt):
    with make_sessionmaker(store)() as session:
        return session.scalar(stmt)


def rollups_match(store):
    with make_sessionmaker(store)() as session:
        return rollups.stored(session) == rollups.recompute_all(session)


def test_first_run_imports_everything_in_pages_and_records_the_run(store, docsys):
    docsys.put(*[doc(i) for i in range(120)])
    version_before = scalar(store, select(DataVersion.version))
    result = run(store, sql_source(docsys.url))
    assert (result.status, result.rows_read, result.inserted, result.updated, result.rejected) == (
        "success",
        120,
        120,
        0,
        0,
    )
    assert result.batches == 3  # pages of 50
    assert scalar(store, select(func.count()).select_from(Document)) == 120
    assert scalar(store, select(DataVersion.version)) == version_before + 3
    runs = scalar(
        store, select(func.count()).select_from(CollectorRun).where(CollectorRun.status == "success")
    )
    assert runs == 1
    last_updated, last_id = max((doc(i)["updated_at"], doc(i)["doc_id"]) for i in range(120))
    assert scalar(store, select(CollectorState.watermark)) == {"updated": last_updated, "id": last_id}
    assert rollups_match(store)


def test_rerun_makes_no_duplicates_and_picks_up_changes(store, docsys):
    docsys.put(*[doc(i) for i in range(60)])
    run(store, sql_source(docsys.url))
    again = run(store, sql_source(docsys.url))
    assert (again.status, again.inserted, again.updated) == ("success", 0, 0)
    # A later change to one document and a new document.
    docsys.put(doc(5, status_code="06", completed_at="2026-03-30T10:00:00", updated_at="2026-03-30T10:00:00"))
    docsys.put(doc(999, updated_at="2026-03-30T11:00:00"))
    third = run(store, sql_source(docsys.url))
    assert (third.inserted, third.updated) == (1, 1)
    assert scalar(store, select(func.count()).select_from(Document)) == 61
    assert scalar(store, select(Document.status_code).where(Document.source_id == "VB-00005")) == "06"
    assert rollups_match(store)


def test_bad_rows_are_rejected_with_reasons_and_the_rest_lands(store, docsys):
    docsys.put(
        doc(1),
        doc(2, doc_id=None, updated_at="2026-03-02T09:00:01"),
        doc(3, unit_code="SO-99"),
        doc(4, registered_at="31/02/2026"),
        doc(5, status_code="07"),
        doc(6, direction="sideways"),
    )
    result = run(store, sql_source(docsys.url))
    assert (result.status, result.inserted, result.rejected) == ("success", 1, 5)
    with make_sessionmaker(store)() as session:
        reasons = sorted(r.reason for r in session.scalars(select(RejectedRecord)))
        payload = json.loads(
            session.scalars(select(RejectedRecord).where(RejectedRecord.reason.like("unknown unit%")))
            .one()
            .payload
        )
    assert payload["doc_id"] == "VB-00003"
    assert reasons == sorted(
        [
            "missing doc_id",
            "unknown unit 'SO-99' (unit_code); add it to the units file or the source's unit mapping",
            "registered_at: unparseable date '31/02/2026'",
            "status_code: status code '07' outside the edXML table (01, 02, 03, 04, 05, 06, 13, 15, 16)",
            "direction: 'sideways' is not one of in, internal, out",
        ]
    )


def test_unit_mapping_translates_source_codes(store, docsys):
    docsys.put(doc(1, unit_code="HN"))
    result = run(store, sql_source(docsys.url, units={"HN": "SO-01"}))
    assert (result.inserted, result.rejected) == (1, 0)


def test_unreachable_source_is_retried_within_budget_then_fails_without_leaking_the_password(
    store, monkeypatch, caplog
):
    monkeypatch.setenv("IOC_TEST_QLVB_PASSWORD", "pw-s3cr3t-value")
    config = sql_source(
        "postgresql+psycopg://reader:{password}@127.0.0.1:1/qlvb",
        secrets={"password": "IOC_TEST_QLVB_PASSWORD"},
        interval_s=60,
    )
    caplog.set_level(logging.DEBUG)
    result = run(store, config, retry=RetryPolicy(max_attempts=4, base_delay_s=0.5))
    assert result.status == "failed"
    assert result.retries == 3 and len(result.sleeps) == 3
    assert sum(result.sleeps) <= 0.5 * 60
    assert "database unavailable" in result.error and "gave up after 4 attempt(s)" in result.error
    stored = scalar(store, select(CollectorRun.error).where(CollectorRun.id == result.run_id))
    assert stored == result.error
    assert "pw-s3cr3t-value" not in stored
    assert "pw-s3cr3t-value" not in caplog.text


def test_missing_view_fails_at_once_with_an_actionable_message(store, tmp_path):
    import sqlite3

    sqlite3.connect(tmp_path / "empty.sqlite3").execute("CREATE TABLE other (x)").connection.close()
    result = run(store, sql_source(f"sqlite:///{tmp_path / 'empty.sqlite3'}"))
    assert result.status == "failed" and result.retries == 0
    assert "table or view 'v_documents' not found" in result.error


def test_a_failing_source_does_not_affect_another(store, docsys, tmp_path):
    docsys.put(*[doc(i) for i in range(10)])
    broken = run(store, sql_source(f"sqlite:///{tmp_path / 'none.sqlite3'}", name="broken"))
    healthy = run(store, sql_source(docsys.url, name="qlvb"))
    assert broken.status == "failed" and healthy.status == "success" and healthy.inserted == 10


class FlakyOnce(SqlAdapter):
    """The real SQL adapter whose source answers 'busy' once, after the first page."""

    failed = False

    def batches(self, watermark):
        for i, batch in enumerate(super().batches(watermark)):
            if i == 1 and not FlakyOnce.failed:
                FlakyOnce.failed = True
                raise TransientSourceError("source busy (simulated 503)", retry_after=2.0)
            yield batch


def test_transient_failure_mid_run_resumes_from_the_committed_page(store, docsys):
    docsys.put(*[doc(i) for i in range(120)])
    FlakyOnce.failed = False
    config = sql_source(docsys.url)
    result = run(store, config, FlakyOnce(config))
    assert result.status == "success" and result.retries == 1
    assert result.sleeps[0] >= 2.0  # Retry-After honoured
    assert result.inserted == 120
    assert scalar(store, select(func.count()).select_from(Document)) == 120
    assert rollups_match(store)


def test_interrupted_run_keeps_committed_batches_and_the_next_run_fills_the_gap(store, docsys):
    docsys.put(*[doc(i) for i in range(120)])

    class Crashing(SqlAdapter):
        def batches(self, watermark):
            for i, batch in enumerate(super().batches(watermark)):
                if i == 1:
                    raise RuntimeError("process killed")
                yield batch

    config = sql_source(docsys.url)
    first = run(store, config, Crashing(config))
    assert first.status == "partial" and first.inserted == 50
    assert scalar(store, select(CollectorRun.rows_inserted).where(CollectorRun.id == first.run_id)) == 50
    second = run(store, config)
    assert second.status == "success"
    assert scalar(store, select(func.count()).select_from(Document)) == 120
    assert rollups_match(store)


def test_rows_sharing_a_timestamp_across_pages_are_all_read(store, docsys):
    same = "2026-03-10T09:00:00"
    docsys.put(*[doc(i, updated_at=same) for i in range(125)])
    result = run(store, sql_source(docsys.url))
    assert (result.inserted, result.batches) == (125, 3)


def test_a_sqlite_view_with_declared_datetime_columns(store, tmp_path):
    import sqlite3

    path = tmp_path / "typed.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE v_documents (doc_id TEXT PRIMARY KEY, unit_code TEXT, direction TEXT, channel TEXT, "
            "registered_at DATETIME, updated_at TIMESTAMP)"
        )
        conn.executemany(
            "INSERT INTO v_documents VALUES (?, 'SO-01', 'in', 'axis', ?, ?)",
            [
                (f"T{i}", "2026-03-02 08:00:00", "2026-03-02 08:00:00" if i < 60 else "2026-03-02 09:00:00")
                for i in range(70)
            ],
        )
    config = sql_source(f"sqlite:///{path}")
    first = run(store, config)
    assert (first.status, first.inserted) == ("success", 70), first.error
    again = run(store, config)
    assert (again.status, again.inserted, again.updated) == ("success", 0, 0)
    assert again.rows_read == 70  # the lookback re-reads the last hour, harmlessly


def test_a_postgresql_source_with_timestamp_columns(store, postgres_databases):
    from sqlalchemy import text

    source = postgres_databases.engine(migrated=False)  # the source is PostgreSQL whatever the store is
    with source.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE v_documents (doc_id text PRIMARY KEY, unit_code text, direction text, channel text, "
                "is_signed boolean, registered_at timestamp, updated_at timestamp)"
            )
        )
        for i in range(40):
            conn.execute(
                text("INSERT INTO v_documents VALUES (:i, 'SO-79', 'out', 'axis', true, :r, :u)"),
                {"i": f"P{i}", "r": "2026-04-01 10:00:00", "u": f"2026-04-01 10:{i % 3:02d}:00"},
            )
    config = sql_source(source.url.render_as_string(hide_password=False), page_size=7)
    first = run(store, config)
    assert (first.status, first.inserted) == ("success", 40), first.error
    with source.begin() as conn:
        conn.execute(
            text(
                "UPDATE v_documents SET is_signed = false, updated_at = '2026-04-02 08:00:00' WHERE doc_id = 'P3'"
            )
        )
    second = run(store, config)
    assert (second.status, second.inserted, second.updated) == ("success", 0, 1), second.error
