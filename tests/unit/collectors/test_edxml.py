"""edXML status packets: the hardened parser, the read-only folder state and the adapter's options."""

from __future__ import annotations

import hashlib
import os
import string
import time
import tracemalloc
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.base import FatalSourceError, SourceConfig
from collectors.edxml import (
    MAX_SEEN,
    EdxmlStatusAdapter,
    FolderState,
    PacketError,
    PacketFile,
    normalize_status,
    normalize_timestamp,
    packet_id,
    parse_packet,
)
from collectors.records import DOMAIN_SPECS, RecordContext
from dashboard.models import EDXML_STATUS_CODES

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "edxml"
TEMPLATE = string.Template((FIXTURES / "status_template.xml.tmpl").read_text(encoding="utf-8"))
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def packet(
    document_id: str = "000.00.00.X01,2026-03-02,15/BC-TN",
    status_code: str = "03",
    timestamp: str = "2026/03/02 14:05:00",
    *,
    from_organ: str = "000.00.12.X29",
    description: str = "Đã tiếp nhận",
    code: str = "15/BC-TN",
) -> bytes:
    values = {
        "document_id": document_id,
        "status_code": status_code,
        "timestamp": timestamp,
        "from_organ": from_organ,
        "description": description,
        "code": code,
    }
    return TEMPLATE.substitute({k: escape(v) for k, v in values.items()}).encode("utf-8")


def parse(data: bytes, name: str = "p.xml", **kwargs):
    return parse_packet(data, name, "qlvb", **kwargs)


# --- layouts seen in practice --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "file_name, expected",
    [
        (
            "qcvn102_status_03.edxml",
            {
                "DocumentId": "000.00.00.X01,2026-03-02,15/BC-TN",
                "OrganId": "000.00.00.X01",
                "Code": "15/BC-TN",
                "From": "000.00.12.X29",
                "StatusCode": "03",
                "Timestamp": "2026-03-02 14:05:00",
                "Description": "Văn thư đã tiếp nhận văn bản",
                "StaffInfo": "Nguyễn Văn Mẫu – Văn phòng Sở",
            },
        ),
        (
            "soap_status_05.xml",
            {
                "DocumentId": "000.00.00.X01,2026-03-03,16/TTr-TN",
                "From": "000.00.31.X07",
                "StatusCode": "05",
                "Timestamp": "04/03/2026 09:30:15",
                "StaffInfo": "Trần Thị Thử – Phòng Tổng hợp",
            },
        ),
        (
            "gateway_status_06.edxml",
            {
                "DocumentId": "000.00.00.X01,2026-03-05,17/CV-TN",
                "From": "000.00.44.X02",
                "StatusCode": "06",
                # the status's own timestamp, not the trace header's
                "Timestamp": "2026-03-09T16:45:00.1234567+07:00",
            },
        ),
    ],
)
def test_each_layout_gives_one_row_with_the_status_fields(file_name, expected):
    data = (FIXTURES / file_name).read_bytes()
    result = parse(data, file_name)
    assert result.rejects == [] and result.skipped == []
    [row] = result.rows
    assert row.file_name == file_name
    assert row.data["packet_id"] == hashlib.sha256(data).hexdigest()
    assert row.data["document_source"] == "qlvb"
    assert {k: row.data[k] for k in expected} == expected
    # personal contact data of the staff member is not kept
    assert "0900000000" not in str(row.data) and "nv.mau@" not in str(row.data)


def test_rows_pass_the_document_status_validation():
    to_document_status = DOMAIN_SPECS["document_status"].convert
    ctx = RecordContext(source="truc", source_tz=VN, agency_tz=VN, unit_ids={})
    for name in ("qcvn102_status_03.edxml", "soap_status_05.xml", "gateway_status_06.edxml"):
        [row] = parse((FIXTURES / name).read_bytes(), name).rows
        record = to_document_status(row.data, ctx)
        assert record["document_source"] == "qlvb" and record["status_at"].tzinfo is not None
    [row] = parse((FIXTURES / "soap_status_05.xml").read_bytes()).rows
    assert to_document_status(row.data, ctx)["status_at"] == datetime(2026, 3, 4, 9, 30, 15, tzinfo=VN)


@pytest.mark.parametrize("code", EDXML_STATUS_CODES)
def test_every_code_of_the_edxml_table_is_read(code):
    [row] = parse(packet(status_code=code)).rows
    assert row.data["StatusCode"] == code


def test_single_digit_codes_are_padded_and_unknown_codes_rejected():
    assert normalize_status(" 3 ") == "03"
    for bad in ("07", "3a", "", "003", "99"):
        with pytest.raises(PacketError):
            normalize_status(bad)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026/03/12 14:05:00", datetime(2026, 3, 12, 14, 5, tzinfo=VN)),
        ("2026/3/2 9:05:00", datetime(2026, 3, 2, 9, 5, tzinfo=VN)),
        ("12/03/2026 14:05:00", datetime(2026, 3, 12, 14, 5, tzinfo=VN)),
        ("2026-03-12T14:05:00+07:00", datetime(2026, 3, 12, 14, 5, tzinfo=VN)),
        ("2026-03-12T07:05:00Z", datetime(2026, 3, 12, 14, 5, tzinfo=VN)),
        ("2026-03-12 14:05:00", datetime(2026, 3, 12, 14, 5, tzinfo=VN)),
    ],
)
def test_timestamp_formats_seen_in_practice(text, expected):
    from collectors.parse import parse_datetime

    assert parse_datetime(normalize_timestamp(text), VN) == expected


def test_future_and_unreadable_timestamps_are_refused():
    now = datetime(2026, 3, 12, 12, 0, tzinfo=VN)
    assert normalize_timestamp("2026/03/13 11:00:00", now=now)  # clocks differ a little: fine
    for text in (
        "2026/03/14 12:00:00",
        "31/02/2026 10:00:00",
        "03/12/2026 2:05:00 PM",
        "1970/01/01 00:00:00",
        "hôm qua",
    ):
        with pytest.raises(PacketError):
            normalize_timestamp(text, now=now)


# --- packets that cannot be read --------------------------------------------------------------------
@pytest.mark.parametrize(
    "file_name, reason",
    [
        ("not_well_formed.xml", "not well-formed XML"),
        ("billion_laughs.xml", "forbidden XML construct"),
        ("external_entity.xml", "forbidden XML construct"),
        ("missing_document_id.xml", "missing ResponseFor/DocumentId"),
        ("missing_status_code.xml", "missing StatusCode"),
        ("missing_timestamp.xml", "missing Timestamp"),
        ("bad_status_code.xml", "StatusCode '07' outside the edXML table"),
        ("bad_timestamp.xml", "Timestamp: unparseable date '31/02/2026 14:05:00'"),
        ("document_package.xml", "not a status packet"),
    ],
)
def test_bad_packets_become_rejects_with_the_file_name_and_reason(file_name, reason):
    result = parse((FIXTURES / "bad" / file_name).read_bytes(), file_name)
    assert result.rows == []
    [reject] = result.rejects
    assert reject.file_name == file_name
    assert reject.reason.startswith(f"{file_name}: ") and reason in reject.reason
    assert reject.payload["file"] == file_name


def test_entity_attacks_are_refused_quickly_and_in_little_memory():
    for name in ("billion_laughs.xml", "external_entity.xml"):
        data = (FIXTURES / "bad" / name).read_bytes()
        tracemalloc.start()
        started = time.perf_counter()
        result = parse(data, name)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert elapsed < 0.5 and peak < 2 * 1024 * 1024
        assert result.rows == [] and "forbidden" in result.rejects[0].reason
        assert "root:" not in str(result.rejects[0].payload)  # /etc/passwd was never read


def test_an_oversized_packet_is_rejected_unparsed():
    data = packet(description="x" * 5000)
    result = parse(data, max_bytes=4096)
    assert result.rows == [] and "more than options.max_file_bytes" in result.rejects[0].reason


def test_transport_acknowledgements_are_skipped_not_rejected():
    result = parse(packet(status_code="done"))
    assert result.rows == [] and result.rejects == []
    assert "transport acknowledgement" in result.skipped[0]


def test_packet_id_is_the_digest_of_the_content():
    a, b = packet(status_code="03"), packet(status_code="05")
    assert packet_id(a) == packet_id(bytes(a)) != packet_id(b)
    assert parse(a, "x.xml").rows[0].data["packet_id"] == parse(a, "copy-of-x.xml").rows[0].data["packet_id"]


def test_a_file_bundling_two_statuses_gives_two_events_and_a_reject_for_a_bad_one():
    one = packet().decode().split("<edXML:Status>", 1)[1].split("</edXML:Status>")[0]
    bad = one.replace("<edXML:StatusCode>03<", "<edXML:StatusCode>42<")
    data = f'<List xmlns:edXML="urn:x"><edXML:Status>{one}</edXML:Status><edXML:Status>{one.replace(">03<", ">05<")}</edXML:Status><edXML:Status>{bad}</edXML:Status></List>'.encode()
    result = parse(data)
    digest = packet_id(data)
    assert [r.data["packet_id"] for r in result.rows] == [f"{digest}-1", f"{digest}-2"]
    assert [r.data["StatusCode"] for r in result.rows] == ["03", "05"]
    assert (
        "'42' outside" in result.rejects[0].reason and result.rejects[0].payload["packet_id"] == f"{digest}-3"
    )


def test_a_utf16_packet_with_a_bom_is_read():
    data = packet().decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert parse(data).rows[0].data["StatusCode"] == "03"


# --- fuzz ----------------------------------------------------------------------------------------------
SAMPLES = [
    (FIXTURES / "qcvn102_status_03.edxml").read_bytes(),
    (FIXTURES / "soap_status_05.xml").read_bytes(),
    (FIXTURES / "gateway_status_06.edxml").read_bytes(),
]


def _assert_clean(result) -> None:
    assert len(result.rows) + len(result.rejects) + len(result.skipped) >= 1
    for reject in result.rejects:
        assert isinstance(reject.reason, str) and reject.file_name == "f.xml"


@settings(max_examples=200, deadline=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_fuzz_random_bytes_never_raise(data):
    _assert_clean(parse(data, "f.xml", max_bytes=2048))


@settings(max_examples=200, deadline=500)
@given(st.sampled_from(SAMPLES), st.data())
def test_fuzz_truncated_and_mutated_packets_never_raise(sample, data):
    cut = data.draw(st.integers(0, len(sample)))
    body = bytearray(sample[:cut])
    for _ in range(data.draw(st.integers(0, 4))):
        if body:
            at = data.draw(st.integers(0, len(body) - 1))
            body[at] = data.draw(st.integers(0, 255))
    _assert_clean(parse(bytes(body), "f.xml"))


_TAGS = st.sampled_from(
    ["Status", "ResponseFor", "DocumentId", "StatusCode", "Timestamp", "From", "OrganId", "StaffInfo", "x"]
)


@st.composite
def xml_trees(draw, depth=0):
    tag = draw(_TAGS)
    if depth >= 4 or draw(st.booleans()):
        text = draw(
            st.one_of(
                st.sampled_from(["03", "7", "done", "2026/03/02 14:05:00", "31/02/2026", ""]),
                st.text(max_size=20),
            )
        )
        return f"<{tag}>{escape(text)}</{tag}>"
    children = draw(st.lists(xml_trees(depth=depth + 1), max_size=4))
    return f"<{tag}>{''.join(children)}</{tag}>"


@settings(max_examples=200, deadline=500)
@given(xml_trees())
def test_fuzz_well_formed_trees_of_status_elements_never_raise(tree):
    _assert_clean(parse(tree.encode("utf-8", "surrogatepass"), "f.xml"))


# --- the folder state (watermark) ------------------------------------------------------------------
def _file(name: str, mtime_s: float, size: int = 100) -> PacketFile:
    return PacketFile(Path("/x") / name, int(mtime_s * 1e9), size)


def test_folder_state_remembers_read_files_within_the_lookback_and_survives_json():
    import json

    state = FolderState()
    hour = 3600 * 10**9
    files = [_file(f"p{i}.xml", 1_000_000 + i * 600) for i in range(12)]  # every 10 minutes over 2 hours
    state.mark(files, hour)
    assert (state.mtime_ns, state.name) == (files[-1].mtime_ns, "p11.xml")
    assert state.floor_ns == files[-1].mtime_ns - hour
    assert set(state.seen) == {f"p{i}.xml" for i in range(5, 12)}  # only those at or after the floor
    again = FolderState.from_watermark(json.loads(json.dumps(state.to_watermark())))
    assert again == state
    assert not any(again.is_new(f) for f in files)  # old ones are below the floor, recent ones seen
    late = _file("late.xml", 1_000_000 + 8 * 600)  # arrives now with an older time, within the lookback
    assert again.is_new(late)
    assert not again.is_new(_file("ancient.xml", 1_000_000))
    rewritten = _file("p10.xml", 1_000_000 + 10 * 600, size=101)
    assert again.is_new(rewritten)


def test_folder_state_is_bounded():
    state = FolderState()
    files = [_file(f"p{i:06d}.xml", 1_000_000 + i * 0.001) for i in range(MAX_SEEN + 500)]
    state.mark(files, 3600 * 10**9)
    assert len(state.seen) == MAX_SEEN
    assert state.floor_ns == files[500].mtime_ns
    assert not state.is_new(files[10]) and not state.is_new(files[-1])


def test_unknown_watermarks_start_from_scratch():
    assert FolderState.from_watermark(None) == FolderState()
    assert FolderState.from_watermark({"last_file": "x"}) == FolderState()


# --- the adapter ------------------------------------------------------------------------------------
def config(folder, **options) -> SourceConfig:
    opts = {"folder": str(folder), "documents_source": "qlvb", "settle_seconds": 0}
    opts.update(options)
    return SourceConfig(name="truc", domain="document_status", adapter="edxml", options=opts, lookback_s=3600)


def test_check_options_says_what_is_wrong():
    assert EdxmlStatusAdapter.check_options({"folder": "/x", "documents_source": "qlvb"}) == []
    problems = EdxmlStatusAdapter.check_options(
        {"pattern": "a/*.xml", "max_files": 0, "files_per_batch": True, "settle_seconds": -1, "archive": "/y"}
    )
    assert problems == [
        "options.archive: unknown option",
        "options.folder: missing (the folder where the axis client stores status packets)",
        'options.documents_source: missing (the name of the documents source whose documents these packets update, e.g. "qlvb")',
        "options.pattern: patterns match file names in the folder, not paths",
        "options.settle_seconds: expected a number of seconds ≥ 0",
        "options.max_files: expected a positive whole number",
        "options.files_per_batch: expected a positive whole number",
    ]
    with pytest.raises(FatalSourceError, match="documents_source"):
        EdxmlStatusAdapter(config("/x", documents_source=" "))


def test_a_missing_folder_is_a_plain_fatal_error(tmp_path):
    adapter = EdxmlStatusAdapter(config(tmp_path / "nope"))
    with pytest.raises(FatalSourceError, match="check options.folder"):
        list(adapter.batches(None))


def _snapshot(folder: Path) -> dict:
    return {
        p.name: (p.stat().st_mtime_ns, p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(folder.iterdir())
    }


def test_batches_read_oldest_first_in_groups_and_leave_the_folder_untouched(tmp_path):
    base = time.time() - 86400
    for i in range(5):
        path = tmp_path / f"s{i}.xml"
        path.write_bytes(packet(status_code=["01", "03", "04", "05", "06"][i]))
        os.utime(path, ns=(int((base + 100 - i) * 1e9),) * 2)  # s4 oldest
    (tmp_path / "notes.txt").write_text("not a packet")
    (tmp_path / ".s9.xml").write_bytes(packet())
    (tmp_path / "s8.xml.part").write_bytes(packet())
    fresh = tmp_path / "fresh.xml"
    fresh.write_bytes(packet(status_code="13"))  # just written: waits for the next run
    before = _snapshot(tmp_path)
    adapter = EdxmlStatusAdapter(config(tmp_path, files_per_batch=2, settle_seconds=60))
    batches = list(adapter.batches(None))
    assert [b.description for b in batches] == [
        "s4.xml … s3.xml (2 files)",
        "s2.xml … s1.xml (2 files)",
        "s0.xml",
    ]
    assert [r.data["StatusCode"] for b in batches for r in b.rows] == ["06", "05", "04", "03", "01"]
    assert set(batches[-1].watermark["seen"]) == {f"s{i}.xml" for i in range(5)}
    # restartable: from the first batch's watermark only the rest is read
    rest = list(adapter.batches(batches[0].watermark))
    assert [r.file_name for b in rest for r in b.rows] == ["s2.xml", "s1.xml", "s0.xml"]
    assert list(adapter.batches(batches[-1].watermark)) == []
    assert _snapshot(tmp_path) == before


def test_max_files_caps_a_run_and_the_backlog_continues(tmp_path):
    base = time.time() - 86400
    for i in range(5):
        path = tmp_path / f"s{i}.xml"
        path.write_bytes(packet(timestamp=f"2026/03/02 1{i}:00:00"))
        os.utime(path, ns=(int((base + i) * 1e9),) * 2)
    adapter = EdxmlStatusAdapter(config(tmp_path, max_files=2))
    watermark, seen = None, []
    for _ in range(3):
        batches = list(adapter.batches(watermark))
        seen.append([r.file_name for b in batches for r in b.rows])
        watermark = batches[-1].watermark
    assert seen == [["s0.xml", "s1.xml"], ["s2.xml", "s3.xml"], ["s4.xml"]]


def test_an_oversized_file_is_rejected_without_being_read_whole(tmp_path):
    path = tmp_path / "huge.xml"
    path.write_bytes(b"<a>" + b"x" * 50_000 + b"</a>")
    os.utime(path, ns=(int((time.time() - 100) * 1e9),) * 2)
    [batch] = EdxmlStatusAdapter(config(tmp_path, max_file_bytes=10_000)).batches(None)
    assert batch.rows == [] and "larger than options.max_file_bytes" in batch.rejects[0].reason
    assert batch.rejects[0].file_name == "huge.xml"


def test_an_unknown_encoding_declaration_is_a_reject_not_a_crash():
    result = parse(b'<?xml version="1.0" encoding="x-unknown"?><Status/>', "enc.xml")
    assert result.rows == [] and "unknown encoding" in result.rejects[0].reason


def test_a_vietnamese_windows_encoding_is_read():
    # Windows-1258 writes tones as combining marks: "Tiếp nhận" is "Tiê" + U+0301 + "p nhâ" + U+0323 + "n".
    text = packet(description="Ti\u00ea\u0301p nh\u00e2\u0323n").decode()
    text = (
        text.replace('encoding="UTF-8"', 'encoding="cp1258"')
        .replace("Cơ quan nhận thử nghiệm", "Co quan")
        .replace("Văn thư", "Van thu")
        .replace("Cán bộ thử nghiệm", "Can bo")
    )
    assert parse(text.encode("cp1258")).rows[0].data["Description"] == "Tiếp nhận"  # composed (NFC)


# --- applying events (the pure part of collectors.status) -----------------------------------------
def test_the_newest_event_wins_whatever_the_order_they_were_read_in():
    from itertools import permutations
    from types import SimpleNamespace

    from collectors.status import _changes

    def at(h):
        return datetime(2026, 3, 2, h, 0, tzinfo=VN)

    events = [("p1", "01", at(9)), ("p2", "05", at(12)), ("p3", "03", at(10)), ("p4", "04", at(12))]
    doc = SimpleNamespace(
        status_code=None,
        acknowledged_at=None,
        arrived_at=None,
        source_updated_at=at(8),
        direction="out",
        status_day=at(12).date(),
    )
    for order in permutations(events):
        # same second: 04 and 05 → the later step of the handling (05); first acknowledgement 10:00
        assert _changes(doc, list(order), VN) == {"status_code": "05", "acknowledged_at": at(10)}
    held = SimpleNamespace(
        status_code="06",
        acknowledged_at=at(9),
        arrived_at=None,
        source_updated_at=at(13),
        direction="out",
        status_day=at(12).date(),
    )
    assert (
        _changes(held, events, VN) == {}
    )  # the system's later 06 stands; 09:00 is already earlier than 10:00
    incoming = SimpleNamespace(
        status_code=None,
        acknowledged_at=None,
        arrived_at=at(11),
        source_updated_at=None,
        direction="in",
        status_day=None,
    )
    assert _changes(incoming, events, VN)["arrived_at"] == at(9)
