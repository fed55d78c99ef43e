"""The canonical store on both databases: UTC round trip, SQLite connection rules, constraints."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from dashboard.db import make_engine
from dashboard.models import Document, OrgUnit
from dashboard.timeutil import UTC, VN_TZ


def add_unit(session, code="U1"):
    unit = OrgUnit(code=code, name_vi="Đơn vị", name_en="Unit", level="department")
    session.add(unit)
    session.flush()
    return unit


def test_utc_round_trip_keeps_the_instant_and_returns_aware_utc(session):
    unit = add_unit(session)
    registered = datetime(2026, 3, 14, 9, 30, 15, 123456, tzinfo=VN_TZ)
    doc = Document(
        source="s", source_id="1", unit_id=unit.id, direction="in", channel="axis", registered_at=registered
    )
    session.add(doc)
    session.commit()
    session.expunge_all()
    loaded = session.scalars(select(Document)).one()
    assert loaded.registered_at == registered
    assert loaded.registered_at.tzinfo is not None
    assert loaded.registered_at.utcoffset() == timedelta(0)
    assert loaded.registered_at == datetime(2026, 3, 14, 2, 30, 15, 123456, tzinfo=UTC)
    # Comparisons in SQL use UTC too.
    later = session.scalars(
        select(Document).where(Document.registered_at > datetime(2026, 3, 14, 2, 30, tzinfo=UTC))
    ).all()
    assert len(later) == 1


def test_naive_datetimes_are_refused(session):
    unit = add_unit(session)
    session.add(
        Document(
            source="s",
            source_id="1",
            unit_id=unit.id,
            direction="in",
            channel="axis",
            registered_at=datetime(2026, 1, 1),
        )
    )
    with pytest.raises(StatementError, match="has no time zone"):
        session.flush()


def test_foreign_keys_and_check_constraints_are_enforced(session):
    session.add(Document(source="s", source_id="1", unit_id=999, direction="in", channel="axis"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    unit = add_unit(session)
    session.add(Document(source="s", source_id="2", unit_id=unit.id, direction="sideways", channel="axis"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'ioc.sqlite3'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
