"""Fixtures for KPI tests: a store with the demo units, a fixed clock, and two ways to add facts —
through the real collector pipeline (Runner + ListAdapter: validation, upsert, incremental
rollups) or, for fields the view contract does not carry yet (``arrived_at``), straight into the
canonical tables with the same incremental rollup refresh the runner performs.

All times in the tests are local (Asia/Ho_Chi_Minh). "Now" is Friday 20/3/2026 10:00, so month
to date is 1–20/3/2026, the previous period 1–20/2/2026 and last year 1–20/3/2025.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from collectors.base import Batch, RawRow, SourceConfig
from collectors.runner import Runner
from dashboard import rollups
from dashboard.db import bump_data_version, make_sessionmaker
from dashboard.kpi.engine import compute, resolve_scope
from dashboard.kpi.periods import Period
from dashboard.models import Document, Dossier, Meeting, OrgUnit, Procedure, RejectedRecord
from dashboard.timeutil import VN_TZ, local_day
from dashboard.units import DEMO_UNITS_FILE, import_units_file
from tests.integration.collectors.conftest import ListAdapter

NOW = datetime(2026, 3, 20, 10, 0, tzinfo=VN_TZ)
TODAY = date(2026, 3, 20)
MTD = Period.month_to_date(TODAY)


def at(text: str) -> datetime:
    """'2026-03-05 09:00' (local) → an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


@pytest.fixture
def store(engine):
    """A migrated store on each backend with the demo units imported."""
    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
    return engine


def unit_ids(engine) -> dict[str, int]:
    with make_sessionmaker(engine)() as session:
        return dict(session.execute(select(OrgUnit.code, OrgUnit.id)).all())


def feed(engine, domain: str, rows: list[dict[str, Any]]) -> None:
    """Send raw rows (view-contract names, local times) through the collector runner."""
    config = SourceConfig(name=f"test-{domain}", domain=domain, adapter="list", interval_s=60)
    adapter = ListAdapter(config, [Batch(rows=[RawRow(dict(r)) for r in rows])])
    result = Runner(engine, config, adapter).run()
    assert result.status == "success", result.error
    if result.rejected:
        with make_sessionmaker(engine)() as session:
            reasons = session.scalars(
                select(RejectedRecord.reason).where(RejectedRecord.run_id == result.run_id)
            ).all()
        raise AssertionError(f"test rows rejected: {reasons}")


_DAYS = {
    Document: {
        "registered_at": "registered_day",
        "due_at": "due_day",
        "completed_at": "completed_day",
        "arrived_at": "arrived_day",
    },
    Dossier: {"received_at": "received_day", "due_at": "due_day", "finished_at": "finished_day"},
    Meeting: {"start_at": "start_day"},
}


def insert(engine, model: type, rows: list[dict[str, Any]]) -> None:
    """Write canonical rows directly (``unit`` is a unit code), then refresh the rollups of the
    (unit, day) pairs they touch — what the runner does for each batch."""
    ids = unit_ids(engine)
    prepared = []
    for i, row in enumerate(rows):
        row = dict(row)
        row.setdefault("source", "direct")
        row.setdefault("source_id", f"{model.__tablename__}-{i}")
        row["unit_id"] = ids[row.pop("unit", "SO-01")]
        for stamp, day in _DAYS[model].items():
            if isinstance(row.get(stamp), str):
                row[stamp] = at(row[stamp])
            row[day] = local_day(row[stamp]) if row.get(stamp) is not None else None
        prepared.append(row)
    with make_sessionmaker(engine).begin() as session:
        session.add_all(model(**r) for r in prepared)
        session.flush()
        pairs = {
            (r["unit_id"], r[c]) for r in prepared for c in rollups.DAY_COLUMNS[model] if r.get(c) is not None
        }
        rollups.refresh(session, model, pairs)
        bump_data_version(session)


def procedures(engine, rows: list[tuple[str, str, str, bool, bool]]) -> None:
    """(unit code, MaTTHC, service level, has fee, active) rows of the procedure catalogue."""
    ids = unit_ids(engine)
    with make_sessionmaker(engine).begin() as session:
        for unit, code, level, fee, active in rows:
            session.add(
                Procedure(
                    source="test",
                    code=code,
                    unit_id=ids[unit],
                    name_vi=f"Thủ tục {code}",
                    service_level=level,
                    has_fee=fee,
                    active=active,
                )
            )
        session.flush()
        # A catalogue writer refreshes the dossier metrics that depend on it.
        rollups.refresh_units(session, {ids[u] for u, *_ in rows})


def kpis(engine, unit: str | None = "SO-01", period: Period = MTD, ids=None, include_children=True, **kwargs):
    """The engine's results for ``unit`` (with its sub-units) at NOW."""
    with make_sessionmaker(engine)() as session:
        scope = resolve_scope(session, unit, include_children)
        return compute(session, scope, period, ids, now=NOW, **kwargs)


def doc(source_id: str, **fields) -> dict[str, Any]:
    """A documents-view row with defaults: incoming, axis, electronic, signed, SO-01, status 03."""
    row = {
        "doc_id": source_id,
        "unit_code": "SO-01",
        "direction": "in",
        "channel": "axis",
        "is_electronic": 1,
        "is_signed": 1,
        "urgency": "normal",
        "registered_at": "2026-03-02 09:00",
        "status_code": "03",
        "updated_at": "2026-03-20 08:00",
    }
    row.update(fields)
    return row


def dossier(source_id: str, **fields) -> dict[str, Any]:
    """A dossiers-view row with defaults: SO-01, direct, received 2/3, due 9/3, in progress."""
    row = {
        "MaHoSo": source_id,
        "MaDonVi": "SO-01",
        "MaTTHC": "1.004100",
        "KenhThucHien": 1,
        "NgayTiepNhan": "2026-03-02 09:00",
        "NgayHenTra": "2026-03-09 17:00",
        "TrangThaiHoSo": 4,
        "NgayCapNhat": "2026-03-20 08:00",
    }
    row.update(fields)
    return row


def meeting(source_id: str, **fields) -> dict[str, Any]:
    row = {
        "meeting_id": source_id,
        "unit_code": "SO-01",
        "status": 2,
        "is_online": 1,
        "start_at": "2026-03-02 09:00",
        "end_at": "2026-03-02 10:00",
        "updated_at": "2026-03-20 08:00",
    }
    row.update(fields)
    return row
