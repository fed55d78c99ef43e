"""The shared upsert on both databases: idempotent, updates what changed, counts honestly."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from dashboard.models import Document, OrgUnit
from dashboard.timeutil import VN_TZ
from dashboard.upsert import UpsertResult, upsert


def make_unit(session):
    unit = OrgUnit(code="U", name_vi="Đơn vị", name_en="Unit", level="department")
    session.add(unit)
    session.commit()
    return unit.id


def doc_rows(unit_id, n, status="03"):
    base = datetime(2026, 5, 4, 8, 0, tzinfo=VN_TZ)
    return [
        {
            "source": "qlvb",
            "source_id": f"D{i}",
            "unit_id": unit_id,
            "direction": "in",
            "channel": "axis",
            "is_signed": i % 2 == 0,
            "registered_at": base + timedelta(minutes=i),
            "status_code": status,
        }
        for i in range(n)
    ]


def count(session):
    return session.scalar(select(func.count()).select_from(Document))


def test_same_rows_twice_make_no_duplicates(session):
    unit_id = make_unit(session)
    rows = doc_rows(unit_id, 3)
    assert upsert(session, Document, rows, key=("source", "source_id")) == UpsertResult(inserted=3)
    session.commit()
    assert upsert(session, Document, rows, key=("source", "source_id")) == UpsertResult(unchanged=3)
    session.commit()
    assert count(session) == 3


def test_changed_rows_are_updated_and_only_they_get_a_new_ingest_time(session):
    unit_id = make_unit(session)
    upsert(session, Document, doc_rows(unit_id, 3), key=("source", "source_id"))
    session.commit()
    before = dict(session.execute(select(Document.source_id, Document.ingested_at)).all())
    rows = doc_rows(unit_id, 3)
    rows[1]["status_code"] = "06"
    result = upsert(session, Document, rows, key=("source", "source_id"))
    session.commit()
    assert result == UpsertResult(updated=1, unchanged=2)
    assert count(session) == 3
    after = dict(session.execute(select(Document.source_id, Document.status_code)).all())
    assert after == {"D0": "03", "D1": "06", "D2": "03"}
    ingested = dict(session.execute(select(Document.source_id, Document.ingested_at)).all())
    assert ingested["D0"] == before["D0"] and ingested["D2"] == before["D2"]
    assert ingested["D1"] > before["D1"]


def test_a_record_repeated_in_one_batch_is_collapsed_last_wins(session):
    unit_id = make_unit(session)
    rows = doc_rows(unit_id, 1) + doc_rows(unit_id, 1, status="05")
    assert upsert(session, Document, rows, key=("source", "source_id")) == UpsertResult(inserted=1)
    session.commit()
    assert session.scalar(select(Document.status_code)) == "05"


def test_large_batches_cross_the_parameter_limit(session):
    unit_id = make_unit(session)
    rows = doc_rows(unit_id, 12_000)
    assert upsert(session, Document, rows, key=("source", "source_id")).inserted == 12_000
    session.commit()
    rows[-1]["status_code"] = "06"
    result = upsert(session, Document, rows, key=("source", "source_id"))
    assert (result.updated, result.unchanged) == (1, 11_999)
    assert count(session) == 12_000


def test_null_to_value_and_value_to_null_count_as_changes(session):
    unit_id = make_unit(session)
    rows = doc_rows(unit_id, 1)
    upsert(session, Document, rows, key=("source", "source_id"))
    rows[0]["status_code"] = None
    assert upsert(session, Document, rows, key=("source", "source_id")).updated == 1
    rows[0]["status_code"] = "01"
    assert upsert(session, Document, rows, key=("source", "source_id")).updated == 1


def test_every_column_type_round_trips_through_the_bulk_path(session):
    from datetime import date

    from dashboard.models import Dossier

    unit_id = make_unit(session)
    received = datetime(2026, 5, 4, 8, 0, 1, 123456, tzinfo=VN_TZ)
    row = {
        "source": "motcua",
        "source_id": "H-1",
        "unit_id": unit_id,
        "procedure_code": "1.001",
        "channel": 2,
        "received_at": received,
        "due_at": received + timedelta(days=5),
        "finished_at": None,
        "returned_at": None,
        "status": 4,
        "supplement_count": 2,
        "has_fee": True,
        "paid_online": 1,
        "has_electronic_result": False,
        "is_digitised": True,
        "synced_national": False,
        "rating": None,
        "received_day": date(2026, 5, 4),
        "due_day": date(2026, 5, 9),
        "finished_day": None,
        "source_updated_at": received,
    }
    upsert(session, Dossier, [row], key=("source", "source_id"))
    session.commit()
    session.expunge_all()
    stored = session.scalars(select(Dossier)).one()
    for name, value in row.items():
        assert getattr(stored, name) == value, name
    assert stored.requires_result_document is True  # a column default the rows did not carry
    assert stored.ingested_at.tzinfo is not None
    assert upsert(session, Dossier, [row], key=("source", "source_id")) == UpsertResult(unchanged=1)


def test_naive_datetimes_are_refused_by_the_bulk_path_too(session):
    import pytest

    from dashboard.timeutil import NaiveDatetimeError

    unit_id = make_unit(session)
    rows = doc_rows(unit_id, 1)
    rows[0]["registered_at"] = datetime(2026, 5, 4, 8, 0)
    with pytest.raises((NaiveDatetimeError, Exception), match="has no time zone"):
        upsert(session, Document, rows, key=("source", "source_id"))


@pytest.fixture
def pg_engine(tmp_path):
    """A migrated PostgreSQL store only (the statistics below are PostgreSQL's)."""
    from tests.conftest import DatabaseFactory

    factory = DatabaseFactory("postgresql", tmp_path)
    yield factory.engine()
    factory.close()


def test_postgresql_statistics_are_taken_after_the_rows_are_committed(pg_engine):
    """A writer that has bulk-loaded a good share of a table ANALYZEs it — after its transaction
    commits. Analysed before, the rows are invisible: the table has pages and no live rows, the
    planner takes it for empty, and the next batch's lookups were planned as scans."""
    from dashboard.db import make_sessionmaker

    reltuples = "SELECT reltuples FROM pg_class WHERE oid = 'document'::regclass"
    sessions = make_sessionmaker(pg_engine)
    with sessions() as session:
        unit_id = make_unit(session)
    with sessions.begin() as session:
        upsert(session, Document, doc_rows(unit_id, 12_000), key=("source", "source_id"))
        with pg_engine.connect() as other:  # nothing analysed while the rows are not visible
            assert other.exec_driver_sql(reltuples).scalar() <= 0
    with pg_engine.connect() as conn:
        assert conn.exec_driver_sql(reltuples).scalar() == 12_000


def test_postgresql_key_lookups_probe_the_index_even_when_statistics_say_empty(pg_engine):
    """The writers' per-batch lookups probe the unique index once per key whatever the planner
    believes: here the table was analysed while its rows were not committed yet (pages, no live
    rows), the state in which a plain join became a scan compared against every key."""
    from sqlalchemy import event

    from dashboard.db import make_sessionmaker
    from dashboard.upsert import _stored_rows, pg_index_probes

    sessions = make_sessionmaker(pg_engine)
    with sessions() as session:
        unit_id = make_unit(session)
    rows = doc_rows(unit_id, 3_000)
    with sessions.begin() as session:
        session.execute(Document.__table__.insert(), rows)
        with pg_engine.connect() as other:
            other.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE document")
    statements = []

    def keep(conn, cursor, statement, params, context, executemany):
        statements.append((statement, params))

    with sessions.begin() as session:
        event.listen(pg_engine, "before_cursor_execute", keep)
        try:
            with pg_index_probes(session):
                statements.clear()
                found = _stored_rows(
                    session,
                    Document.__table__,
                    ("source", "source_id"),
                    ["status_code"],
                    [("qlvb", r["source_id"]) for r in rows],
                )
                lookup = [s for s in statements if "unnest(" in s[0]]
                plan = "\n".join(
                    r[0]
                    for r in session.connection().exec_driver_sql("EXPLAIN " + lookup[0][0], lookup[0][1])
                )
        finally:
            event.remove(pg_engine, "before_cursor_execute", keep)
    assert len(found) == 3_000
    assert "wanted.k" in plan.split("Index Cond", 1)[1].splitlines()[0], plan  # probed by each key
    assert "Join Filter" not in plan, plan
