"""Property: after any sequence of inserts and updates through the runner, the incrementally
maintained rollups equal a full recompute from facts (design.md §3 invariant)."""

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.base import Batch, RawRow, SourceConfig
from collectors.runner import Runner
from dashboard import rollups
from dashboard.db import make_sessionmaker
from dashboard.models import DailyRollup, Document, Dossier, Meeting
from tests.integration.collectors.conftest import ListAdapter

UNITS = ["SO-01", "SO-79", "BMP-VP"]
BASE = datetime(2026, 3, 1, 6, 0)


def stamp(hours: int) -> str:
    return (BASE + timedelta(hours=hours)).isoformat()


documents = st.fixed_dictionaries(
    {
        "doc_id": st.sampled_from([f"D{i}" for i in range(8)]),
        "unit_code": st.sampled_from(UNITS),
        "direction": st.sampled_from(["in", "out", "internal"]),
        "channel": st.sampled_from(["axis", "internal", "paper"]),
        "is_electronic": st.booleans(),
        "is_signed": st.booleans(),
        "registered_at": st.integers(0, 24 * 6).map(stamp),
        "status_code": st.sampled_from(["01", "02", "03", "06", "13", None]),
    }
)
dossiers = st.fixed_dictionaries(
    {
        "MaHoSo": st.sampled_from([f"H{i}" for i in range(8)]),
        "MaDonVi": st.sampled_from(UNITS),
        "TrangThaiHoSo": st.integers(1, 10),
        "KenhThucHien": st.sampled_from([1, 2, 3, None]),
        "CoPhi": st.booleans(),
        "DuocThanhToanTrucTuyen": st.sampled_from([None, 1, 2]),
        "NgayTiepNhan": st.integers(0, 24 * 6).map(stamp),
        "NgayHenTra": st.one_of(st.none(), st.integers(24, 24 * 9).map(stamp)),
        "NgayKetThucXuLy": st.one_of(st.none(), st.integers(24, 24 * 9).map(stamp)),
    }
)
meetings = st.fixed_dictionaries(
    {
        "meeting_id": st.sampled_from([f"M{i}" for i in range(6)]),
        "unit_code": st.sampled_from(UNITS),
        "status": st.integers(1, 4),
        "start_at": st.integers(0, 24 * 6).map(stamp),
        "end_at": st.integers(24 * 6 + 1, 24 * 7).map(stamp),
        "endpoints_connected": st.integers(0, 30),
        "endpoints_scheduled": st.integers(0, 30),
        "participants": st.integers(0, 200),
    }
)
batches = {
    "documents": st.lists(st.lists(documents, min_size=1, max_size=6), min_size=1, max_size=5),
    "dossiers": st.lists(st.lists(dossiers, min_size=1, max_size=6), min_size=1, max_size=5),
    "meetings": st.lists(st.lists(meetings, min_size=1, max_size=6), min_size=1, max_size=5),
}


def check(store, domain: str, sequence: list[list[dict]]) -> None:
    sessions = make_sessionmaker(store)
    with sessions.begin() as session:  # each example starts from an empty fact table
        for model in (DailyRollup, Document, Dossier, Meeting):
            session.query(model).delete()
    config = SourceConfig(name="prop", domain=domain, adapter="list", interval_s=60)
    adapter = ListAdapter(config, [Batch(rows=[RawRow(dict(r)) for r in rows]) for rows in sequence])
    result = Runner(store, config, adapter).run()
    assert result.status == "success", result.error
    with sessions() as session:
        assert rollups.stored(session) == rollups.recompute_all(session)


_settings = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_settings
@given(sequence=batches["documents"])
def test_document_rollups_equal_a_full_recompute(store, sequence):
    check(store, "documents", sequence)


@_settings
@given(sequence=batches["dossiers"])
def test_dossier_rollups_equal_a_full_recompute(store, sequence):
    check(store, "dossiers", sequence)


@_settings
@given(sequence=batches["meetings"])
def test_meeting_rollups_equal_a_full_recompute(store, sequence):
    check(store, "meetings", sequence)


def test_two_writers_at_once_keep_rollups_exact_without_lock_errors(store):
    """Two sources writing documents of the same units and days at the same time (the
    scheduler's thread pool does this): each batch moves the rollups by its own rows only, and
    on SQLite a writer waits for the lock instead of failing with "database is locked" because
    it read before the other one committed (each retry would be a batch written twice)."""
    import threading

    def rows(prefix: str, start: int) -> list[RawRow]:
        return [
            RawRow(
                {
                    "doc_id": f"{prefix}{i}",
                    "unit_code": UNITS[i % 3],
                    "direction": ["in", "out", "internal"][i % 3],
                    "channel": "axis",
                    "is_electronic": True,
                    "is_signed": i % 2 == 0,
                    "registered_at": stamp(i % 48),
                    "status_code": "03" if i % 5 else None,
                }
            )
            for i in range(start, start + 40)
        ]

    results = {}
    start = threading.Barrier(2)

    def write(name: str) -> None:
        config = SourceConfig(name=name, domain="documents", adapter="list", interval_s=60)
        # Re-sending earlier rows too: updates as well as inserts in every batch.
        adapter = ListAdapter(config, [Batch(rows=rows(name, 20 * b)) for b in range(30)])
        start.wait()
        results[name] = Runner(store, config, adapter).run()

    threads = [threading.Thread(target=write, args=(name,)) for name in ("qlvb-a", "qlvb-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, result in results.items():
        assert result.status == "success", (name, result.error)
        assert result.retries == 0, (name, result.retries)
        assert result.inserted == 20 * 29 + 40, name
    with make_sessionmaker(store)() as session:
        assert session.query(Document).count() == 2 * (20 * 29 + 40)
        assert rollups.stored(session) == rollups.recompute_all(session)
