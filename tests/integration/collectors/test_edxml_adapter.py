"""edXML status packets through the runner into the store (SQLite and PostgreSQL).

Documents come from a real SQLite "document system" through the SQL adapter, as in production;
status packets are files in a temporary folder that the adapter must never change.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import string
import time
import tomllib
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from collectors.base import SourceConfig
from collectors.edxml import EdxmlStatusAdapter
from collectors.runner import Runner
from collectors.sources import parse_sources
from collectors.sql import SqlAdapter
from collectors.status import apply_pending
from dashboard import rollups
from dashboard.db import make_sessionmaker
from dashboard.models import DailyRollup, Document, DocumentStatusEvent, RejectedRecord
from tests.integration.collectors.conftest import doc, sql_source

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "edxml"
TEMPLATE = string.Template((FIXTURES / "status_template.xml.tmpl").read_text(encoding="utf-8"))
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def docid(i: int) -> str:
    return f"000.00.00.X01,2026-03-{1 + i % 28:02d},{i}/BC-TN"


def sent(i: int, **changes) -> dict:
    """A document sent over the axis by a document system that does not track axis statuses."""
    values = {"doc_id": docid(i), "direction": "out", "channel": "axis", "status_code": None}
    values.update(changes)
    return doc(i, **values)


def packet(document_id: str, status_code: str, timestamp: str, description: str = "") -> bytes:
    values = {
        "document_id": document_id,
        "status_code": status_code,
        "timestamp": timestamp,
        "from_organ": "000.00.12.X29",
        "description": description or f"trạng thái {status_code}",
        "code": document_id.rsplit(",", 1)[-1],
    }
    return TEMPLATE.substitute({k: escape(v) for k, v in values.items()}).encode("utf-8")


class PacketFolder:
    """The axis client's folder: each dropped file is a little newer than the previous one."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir(exist_ok=True)
        self.clock = time.time() - 86400

    def drop(self, name: str, data: bytes) -> Path:
        target = self.path / name
        target.write_bytes(data)
        self.clock += 1
        os.utime(target, ns=(int(self.clock * 1e9),) * 2)
        return target

    def snapshot(self) -> dict:
        return {
            p.name: (p.stat().st_mtime_ns, p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(self.path.iterdir())
        }


@pytest.fixture
def folder(tmp_path) -> PacketFolder:
    return PacketFolder(tmp_path / "status")


def edxml_source(folder: PacketFolder, **options) -> SourceConfig:
    opts = {"folder": str(folder.path), "documents_source": "qlvb", "settle_seconds": 0}
    opts.update(options)
    return SourceConfig(name="truc", domain="document_status", adapter="edxml", interval_s=300, options=opts)


def run_status(store, config: SourceConfig, **kwargs):
    return Runner(store, config, EdxmlStatusAdapter(config), sleep=lambda s: None, **kwargs).run()


def run_documents(store, docsys):
    config = sql_source(docsys.url)
    result = Runner(store, config, SqlAdapter(config), sleep=lambda s: None).run()
    assert result.status == "success", result.error
    return result


def session_of(store):
    return make_sessionmaker(store)()


def document(store, i: int) -> Document:
    with session_of(store) as session:
        return session.scalars(select(Document).where(Document.source_id == docid(i))).one()


def events(store) -> list[DocumentStatusEvent]:
    with session_of(store) as session:
        return list(session.scalars(select(DocumentStatusEvent).order_by(DocumentStatusEvent.status_at)))


def metric(store, name: str) -> float:
    with session_of(store) as session:
        return session.scalar(
            select(func.coalesce(func.sum(DailyRollup.value), 0)).where(DailyRollup.metric == name)
        )


def assert_rollups_exact(store) -> None:
    with session_of(store) as session:
        assert rollups.stored(session) == rollups.recompute_all(session)


def vn(text: str) -> datetime:
    return datetime.strptime(text, "%Y/%m/%d %H:%M:%S").replace(tzinfo=VN)


CODES = ("01", "02", "03", "04", "05", "06", "13", "15", "16")


def test_a_packet_for_each_code_updates_its_document_once(store, docsys, folder):
    docsys.put(*[sent(i) for i in range(1, 10)])
    run_documents(store, docsys)
    for i, code in enumerate(CODES, start=1):
        folder.drop(f"status_{i}_{code}.xml", packet(docid(i), code, f"2026/03/{2 + i:02d} 10:30:00"))
    before = folder.snapshot()

    result = run_status(store, edxml_source(folder))
    assert (result.status, result.rows_read, result.inserted, result.updated, result.rejected) == (
        "success",
        9,
        9,
        9,
        0,
    )
    for i, code in enumerate(CODES, start=1):
        got = document(store, i)
        assert got.status_code == code
        expected_ack = vn(f"2026/03/{2 + i:02d} 10:30:00") if code in rollups.DOC_ACK_CODES else None
        assert got.acknowledged_at == expected_ack
        assert got.completed_at is None  # a recipient's 06 is not our completion
    assert all(e.applied for e in events(store))
    assert_rollups_exact(store)
    # VB-06: sent over the axis (13 = recalled is not "sent") and acknowledged: 03, 04, 05, 06, 15, 16
    assert (metric(store, "doc_sent_axis"), metric(store, "doc_sent_axis_acknowledged")) == (8, 6)
    assert metric(store, "doc_ack_timed") == 6  # VB-07 has six latencies
    assert (metric(store, "doc_returned"), metric(store, "doc_recalled")) == (1, 1)
    # VB-08 counts them on the day of the status packet, not on the registration day (2/3).
    for i, code in enumerate(CODES, start=1):
        if code in ("02", "13"):
            assert document(store, i).status_day == date(2026, 3, 2 + i)
    assert (metric(store, "doc_returned_on_status_day"), metric(store, "doc_recalled_on_status_day")) == (
        1,
        1,
    )

    again = run_status(store, edxml_source(folder))
    assert (again.status, again.rows_read, again.inserted, again.updated, again.rejected) == (
        "success",
        0,
        0,
        0,
        0,
    )
    with session_of(store) as session:
        assert apply_pending(session, "qlvb") == 0
    assert len(events(store)) == 9
    assert folder.snapshot() == before


def test_a_document_moves_01_03_05_06_over_several_runs(store, docsys, folder):
    docsys.put(sent(1))  # registered 2026-03-02 09:15
    run_documents(store, docsys)
    steps = [
        ("01", "2026/03/02 10:00:00"),
        ("03", "2026/03/02 11:30:00"),
        ("05", "2026/03/03 08:00:00"),
        ("06", "2026/03/05 16:00:00"),
    ]
    open_before = metric(store, "doc_open_now")
    for n, (code, stamp) in enumerate(steps):
        folder.drop(f"p{n}.xml", packet(docid(1), code, stamp))
        result = run_status(store, edxml_source(folder))
        assert (result.status, result.rows_read, result.inserted, result.updated) == ("success", 1, 1, 1)
        got = document(store, 1)
        assert got.status_code == code
        assert got.acknowledged_at == (
            None if code == "01" else vn("2026/03/02 11:30:00")
        )  # the first 03, never later
        assert_rollups_exact(store)
    assert metric(store, "doc_sent_axis_acknowledged") == 1
    assert metric(store, "doc_ack_lat_00120") == 1  # registered 09:15, accepted 11:30: 135 minutes
    assert metric(store, "doc_open_now") == open_before - 1  # 06 closes it (VB-05)


def test_an_older_packet_read_later_never_moves_the_status_back(store, docsys, folder):
    docsys.put(sent(1))
    run_documents(store, docsys)
    folder.drop("a.xml", packet(docid(1), "05", "2026/03/03 08:00:00"))
    run_status(store, edxml_source(folder))
    folder.drop("b.xml", packet(docid(1), "03", "2026/03/02 11:30:00"))  # older, arrives later
    result = run_status(store, edxml_source(folder))
    assert (result.inserted, result.updated) == (1, 1)
    got = document(store, 1)
    assert got.status_code == "05"
    assert got.acknowledged_at == vn("2026/03/02 11:30:00")  # the earlier acknowledgement is the first one
    folder.drop("c.xml", packet(docid(1), "01", "2026/03/02 10:00:00"))
    folder.drop("copy-of-a.xml", (folder.path / "a.xml").read_bytes())  # the same packet again
    result = run_status(store, edxml_source(folder))
    assert (result.rows_read, result.inserted, result.updated) == (2, 1, 0)
    assert (document(store, 1).status_code, len(events(store))) == ("05", 3)
    assert_rollups_exact(store)


def test_a_status_the_document_system_set_later_wins(store, docsys, folder):
    docsys.put(sent(1, status_code="06", updated_at="2026-03-10T09:00:00"))
    run_documents(store, docsys)
    folder.drop("a.xml", packet(docid(1), "03", "2026/03/02 11:30:00"))
    result = run_status(store, edxml_source(folder))
    assert result.updated == 1
    got = document(store, 1)
    assert (got.status_code, got.acknowledged_at) == ("06", vn("2026/03/02 11:30:00"))
    folder.drop("b.xml", packet(docid(1), "02", "2026/03/11 09:00:00"))  # newer than the system's state
    run_status(store, edxml_source(folder))
    assert document(store, 1).status_code == "02"
    assert_rollups_exact(store)


def test_packets_about_unknown_documents_wait_for_their_document(store, docsys, folder):
    folder.drop("a.xml", packet(docid(5), "03", "2026/03/07 10:00:00"))
    result = run_status(store, edxml_source(folder))
    assert (result.status, result.inserted, result.updated, result.rejected) == ("success", 1, 0, 0)
    [event] = events(store)
    assert (event.document_id, event.applied, event.status_code) == (docid(5), False, "03")

    docsys.put(sent(5))
    run_documents(store, docsys)  # the documents run applies the waiting packet in its transaction
    got = document(store, 5)
    assert (got.status_code, got.acknowledged_at) == ("03", vn("2026/03/07 10:00:00"))
    assert events(store)[0].applied
    assert_rollups_exact(store)
    with make_sessionmaker(store).begin() as session:
        assert apply_pending(session, "qlvb") == 0


def test_apply_pending_repairs_documents_the_documents_source_wrote_again(store, docsys, folder):
    docsys.put(sent(1))
    run_documents(store, docsys)
    folder.drop("a.xml", packet(docid(1), "04", "2026/03/02 15:00:00"))
    run_status(store, edxml_source(folder))
    docsys.put(sent(1, is_signed=0, updated_at="2026-03-02T16:00:00"))  # an unrelated edit in the source
    run_documents(store, docsys)
    # The document system's row says nothing of the axis; the stored packet is applied again.
    assert (document(store, 1).status_code, document(store, 1).acknowledged_at) == (
        "04",
        vn("2026/03/02 15:00:00"),
    )
    assert not document(store, 1).is_signed
    assert_rollups_exact(store)
    with make_sessionmaker(store).begin() as session:
        assert apply_pending(session, "qlvb", [docid(1)]) == 0  # nothing left to repair


def test_an_incoming_document_gets_its_arrival_from_its_first_01(store, docsys, folder):
    docsys.put(
        doc(
            3,
            doc_id=docid(3),
            direction="in",
            channel="axis",
            status_code="03",
            registered_at="2026-03-05T09:00:00",
            updated_at="2026-03-05T09:00:00",
        )
    )
    run_documents(store, docsys)
    folder.drop("a.xml", packet(docid(3), "01", "2026/03/04 17:10:00"))
    result = run_status(store, edxml_source(folder))
    assert result.updated == 1
    got = document(store, 3)
    assert got.status_code == "03"  # the system's 03 is newer than the 01
    assert got.arrived_at == vn("2026/03/04 17:10:00")
    assert got.arrived_day.isoformat() == "2026-03-04"
    assert metric(store, "doc_arrived") == 1 and metric(store, "doc_arrived_lag_01") == 1  # VB-04: next day
    assert_rollups_exact(store)


def test_unreadable_packets_are_rejected_with_file_name_and_reason_once(store, docsys, folder):
    docsys.put(sent(1))
    run_documents(store, docsys)
    bad = sorted((FIXTURES / "bad").iterdir())
    for path in bad:
        folder.drop(path.name, path.read_bytes())
    folder.drop("good.xml", packet(docid(1), "03", "2026/03/02 11:30:00"))
    before = folder.snapshot()
    started = time.perf_counter()
    result = run_status(store, edxml_source(folder))
    assert time.perf_counter() - started < 10
    assert (result.status, result.inserted, result.updated, result.rejected) == ("success", 1, 1, len(bad))
    with session_of(store) as session:
        rejects = {r.file_name: r.reason for r in session.scalars(select(RejectedRecord))}
    assert set(rejects) == {p.name for p in bad}
    assert "forbidden XML construct" in rejects["billion_laughs.xml"]
    assert "forbidden XML construct" in rejects["external_entity.xml"]
    assert "missing ResponseFor/DocumentId" in rejects["missing_document_id.xml"]
    assert "missing StatusCode" in rejects["missing_status_code.xml"]
    assert "missing Timestamp" in rejects["missing_timestamp.xml"]
    assert "'07' outside the edXML table" in rejects["bad_status_code.xml"]
    assert "unparseable date" in rejects["bad_timestamp.xml"]
    assert "not well-formed" in rejects["not_well_formed.xml"]
    assert all(reason.startswith(name) for name, reason in rejects.items())
    again = run_status(store, edxml_source(folder))
    assert (again.rows_read, again.rejected) == (0, 0)  # read once, remembered in the watermark
    assert folder.snapshot() == before
    assert_rollups_exact(store)


def test_an_interrupted_run_resumes_without_gaps_or_doubles(store, docsys, folder):
    docsys.put(*[sent(i) for i in range(1, 6)])
    run_documents(store, docsys)
    for i in range(1, 6):
        folder.drop(f"p{i}.xml", packet(docid(i), "03", f"2026/03/{2 + i:02d} 10:00:00"))
    config = edxml_source(folder, files_per_batch=2)

    def stop_after_first(result, batch):
        raise RuntimeError("power cut")

    first = run_status(store, config, on_batch=stop_after_first)
    assert (first.status, first.batches, first.inserted) == ("partial", 1, 2)
    second = run_status(store, config)
    assert (second.status, second.batches, second.rows_read, second.inserted, second.updated) == (
        "success",
        2,
        3,
        3,
        3,
    )
    assert len(events(store)) == 5
    assert all(document(store, i).status_code == "03" for i in range(1, 6))
    assert_rollups_exact(store)


def test_a_late_file_with_an_older_time_is_read_within_the_lookback(store, docsys, folder):
    docsys.put(sent(1), sent(2))
    run_documents(store, docsys)
    folder.drop("new.xml", packet(docid(1), "03", "2026/03/02 11:30:00"))
    run_status(store, edxml_source(folder))
    late = folder.drop("late.xml", packet(docid(2), "03", "2026/03/03 11:30:00"))
    old = int((folder.clock - 1800) * 1e9)  # copied with a modification time half an hour older
    os.utime(late, ns=(old, old))
    result = run_status(store, edxml_source(folder))
    assert (result.rows_read, result.updated) == (1, 1)
    assert document(store, 2).status_code == "03"


def test_the_documented_example_runs(store, docsys, folder):
    docsys.put(sent(1))
    run_documents(store, docsys)
    shutil.copy(FIXTURES / "qcvn102_status_03.edxml", folder.path / "status.edxml")
    os.utime(folder.path / "status.edxml", ns=(int((time.time() - 60) * 1e9),) * 2)
    [config] = parse_sources(
        tomllib.loads((ROOT / "docs" / "sources" / "edxml.toml").read_text(encoding="utf-8"))
    )
    assert (config.adapter, config.domain, config.options["documents_source"]) == (
        "edxml",
        "document_status",
        "qlvb",
    )
    config = dataclasses.replace(config, options={**config.options, "folder": str(folder.path)})
    result = run_status(store, config)
    assert (result.status, result.rows_read, result.inserted, result.rejected) == ("success", 1, 1, 0)
    [event] = events(store)
    assert (event.source, event.document_id, event.status_code) == (
        "truc-trang-thai",
        "000.00.00.X01,2026-03-02,15/BC-TN",
        "03",
    )
