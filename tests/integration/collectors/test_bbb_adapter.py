"""The ``bbb`` adapter through the Runner, over real HTTP to the fake BigBlueButton, into SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from collectors.base import SourceConfig
from collectors.bbb import BbbAdapter
from collectors.platforms.bbb import FakeBbb
from collectors.runner import Runner
from collectors.sources import make_adapter, parse_sources
from dashboard.db import make_sessionmaker
from dashboard.models import CollectorRun, CollectorState, Meeting, RejectedRecord

ROOT = Path(__file__).resolve().parents[3]
SECRET = "bbb-s3cr3t-9f2c7e41d6"  # synthetic
SECRET_VAR = "IOC_TEST_BBB_SECRET"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội


class Clock:
    def __init__(self, start: datetime = T0):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, minutes: float = 1) -> None:
        self.now += timedelta(minutes=minutes)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def bbb(clock, monkeypatch):
    monkeypatch.setenv(SECRET_VAR, SECRET)
    with FakeBbb(SECRET, clock=clock) as server:
        yield server


def config(server: FakeBbb, name: str = "bbb", **options) -> SourceConfig:
    opts = {"url": server.api_url, "unit_metadata": "bbb-unit", "timeout": 0.5}
    opts.update(options)
    return SourceConfig(
        name=name,
        domain="meetings",
        adapter="bbb",
        interval_s=60,
        options=opts,
        secrets={"secret": SECRET_VAR},
    )


def run(store, cfg: SourceConfig, clock: Clock):
    sleeps: list[float] = []
    result = Runner(store, cfg, BbbAdapter(cfg, clock=clock), sleep=sleeps.append).run()
    result.sleeps = sleeps
    return result


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def meetings(store) -> dict[str, dict]:
    with make_sessionmaker(store)() as session:
        rows = session.scalars(select(Meeting)).all()
        return {
            m.source_id: {
                "title": m.title,
                "platform": m.platform,
                "status": m.status,
                "start": utc(m.start_at),
                "end": utc(m.end_at),
                "participants": m.participants_peak,
                "endpoints": m.endpoints_connected,
                "scheduled": m.endpoints_scheduled,
                "duration": m.duration_min,
            }
            for m in rows
        }


def naive(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None)


def count(store, model) -> int:
    with make_sessionmaker(store)() as session:
        return session.scalar(select(func.count()).select_from(model))


def stored_run(store, run_id: int) -> CollectorRun:
    with make_sessionmaker(store)() as session:
        return session.get(CollectorRun, run_id)


def watermark(store, name: str = "bbb"):
    with make_sessionmaker(store)() as session:
        return session.scalar(select(CollectorState.watermark).where(CollectorState.source == name))


# --- happy path ---------------------------------------------------------------------------------------
def test_sessions_are_reconstructed_over_polls_and_land_once(store, bbb, clock):
    cfg = config(bbb)
    assert run(store, cfg, clock).status == "success"  # noMeetings: nothing, and not an error
    assert meetings(store) == {}

    weekly = bbb.start_meeting("giao-ban", "Giao ban tuần", unit="SO-01", participants=4, listeners=1, at=T0)
    short = bbb.start_meeting("hop-nhanh", "Họp nhanh", unit="SO-79", participants=2, at=T0)
    clock.tick()
    first = run(store, cfg, clock)
    assert (first.status, first.inserted, first.updated, first.rejected) == ("success", 2, 0, 0)
    again = run(store, cfg, clock)
    assert (again.status, again.rows_read, again.inserted, again.updated) == (
        "success",
        0,
        0,
        0,
    )  # a second run changes nothing

    bbb.set_participants("giao-ban", 30, listeners=24)  # the peak
    clock.tick()
    assert run(store, cfg, clock).updated == 1
    bbb.set_participants("giao-ban", 12, listeners=10)
    clock.tick()
    assert run(store, cfg, clock).rows_read == 0  # below the peak: nothing to write
    bbb.forget("hop-nhanh")  # gone without an endTime we saw
    bbb.end_meeting("giao-ban", at=T0 + timedelta(minutes=3, seconds=30))
    clock.tick()
    closing = run(store, cfg, clock)
    assert (closing.status, closing.updated) == ("success", 2)

    stored = meetings(store)
    assert stored[weekly] == {
        "title": "Giao ban tuần",
        "platform": "bbb",
        "status": 2,
        "start": naive(T0),
        "end": naive(T0 + timedelta(minutes=3, seconds=30)),
        "participants": 30,
        "endpoints": 6,
        "scheduled": None,
        "duration": 3.5,
    }
    assert stored[short]["end"] == naive(T0 + timedelta(minutes=3))  # the last poll that saw it
    assert (stored[short]["participants"], stored[short]["endpoints"]) == (2, 2)

    clock.tick()
    assert run(store, cfg, clock).rows_read == 0  # the ended meeting is still listed: no change
    bbb.forget("giao-ban")
    clock.tick()
    assert run(store, cfg, clock).rows_read == 0
    assert watermark(store)["sessions"] == {}
    assert count(store, Meeting) == 2


def test_open_sessions_survive_a_restart_of_the_collector(store, bbb, clock):
    internal = bbb.start_meeting(
        "room", "Hội nghị trực tuyến", unit="SO-01", participants=25, listeners=20, at=T0
    )
    clock.tick()
    cfg = config(bbb)
    # Each run below uses a new Runner and a new adapter, as a restarted collector process does.
    assert run(store, cfg, clock).inserted == 1
    assert watermark(store)["sessions"][internal]["peak"] == 25
    bbb.set_participants("room", 8, listeners=6)
    clock.tick()
    assert run(store, cfg, clock).rows_read == 0
    bbb.forget("room")
    clock.tick(10)
    assert run(store, cfg, clock).updated == 1
    stored = meetings(store)[internal]
    assert (stored["participants"], stored["endpoints"], stored["end"]) == (
        25,
        5,
        naive(T0 + timedelta(minutes=2)),
    )


def test_recordings_give_the_authoritative_duration(store, bbb, clock):
    internal = bbb.start_meeting(
        "rec", "Họp có ghi hình", unit="SO-01", participants=6, listeners=2, at=T0, record=True
    )
    plain = bbb.start_meeting("plain", "Họp không ghi hình", unit="SO-01", participants=3, at=T0)
    clock.tick()
    cfg = config(bbb)
    run(store, cfg, clock)
    bbb.forget("rec")
    bbb.forget("plain")
    clock.tick(2)
    closing = run(store, cfg, clock)
    assert closing.status == "success" and closing.updated == 2
    assert meetings(store)[internal]["end"] == naive(T0 + timedelta(minutes=1))
    assert watermark(store)["sessions"].keys() == {internal}  # only the recorded one is awaited
    # The recording is processed later; it knows the real start and end.
    bbb.add_recording(
        internal,
        start=T0 + timedelta(seconds=5),
        end=T0 + timedelta(minutes=2, seconds=35),
        participants=9,
        meeting_id="rec",
        name="Họp có ghi hình",
    )
    bbb.add_recording("other-1", start=T0, end=T0 + timedelta(hours=1))  # someone else's: never asked for
    clock.tick(20)
    result = run(store, cfg, clock)
    assert (result.status, result.batches, result.updated) == ("success", 2, 1)
    stored = meetings(store)
    assert (stored[internal]["start"], stored[internal]["end"], stored[internal]["duration"]) == (
        naive(T0 + timedelta(seconds=5)),
        naive(T0 + timedelta(minutes=2, seconds=35)),
        2.5,
    )
    assert stored[internal]["participants"] == 6  # our observed peak stays
    assert stored[plain]["end"] == naive(T0 + timedelta(minutes=1))
    assert watermark(store)["sessions"] == {}
    asked = [r.arg("recordID") for r in bbb.requests if r.path.endswith("getRecordings")]
    assert asked == [internal, internal]  # bounded: only the awaited recording, once per run
    assert all(
        r.arg("state") == "published,unpublished" and r.arg("limit") == "100" and r.arg("offset") == "0"
        for r in bbb.requests
        if r.path.endswith("getRecordings")
    )
    clock.tick()
    assert run(store, cfg, clock).rows_read == 0


def test_recordings_are_read_page_by_page(store, bbb, clock, monkeypatch):
    monkeypatch.setattr("collectors.bbb.RECORDINGS_PAGE", 2)
    cfg = config(bbb)
    ids = [
        bbb.start_meeting(f"room-{i}", f"Họp {i}", unit="SO-01", participants=3, at=T0, record=True)
        for i in range(5)
    ]
    clock.tick()
    run(store, cfg, clock)
    for i, internal in enumerate(ids):
        bbb.forget(f"room-{i}")
        bbb.add_recording(internal, start=T0, end=T0 + timedelta(minutes=10 + i))
    clock.tick()
    result = run(store, cfg, clock)
    assert result.status == "success"
    assert sorted(m["duration"] for m in meetings(store).values()) == [10, 11, 12, 13, 14]
    offsets = [r.arg("offset") for r in bbb.requests if r.path.endswith("getRecordings")]
    assert offsets == ["0", "2", "4"]


def test_meeting_without_a_unit_is_rejected_unless_a_default_unit_is_set(store, bbb, clock):
    internal = bbb.start_meeting("nounit", "Họp không rõ đơn vị", participants=2, at=T0)
    clock.tick()
    result = run(store, config(bbb), clock)
    assert (result.status, result.inserted, result.rejected) == ("success", 0, 1)
    with make_sessionmaker(store)() as session:
        assert session.scalars(select(RejectedRecord.reason)).all() == ["missing unit_code"]
    bbb.set_participants("nounit", 3)
    clock.tick()
    result = run(store, config(bbb, name="bbb2", default_unit="BMP-VP"), clock)
    assert (result.inserted, result.rejected) == (1, 0)
    assert internal in meetings(store)


def test_a_room_nobody_joined_gets_no_row(store, bbb, clock):
    bbb.start_meeting("empty", "Phòng chờ", unit="SO-01", at=T0)
    clock.tick()
    cfg = config(bbb)
    assert run(store, cfg, clock).rows_read == 0
    bbb.end_meeting("empty")  # expired without anyone joining
    clock.tick()
    assert run(store, cfg, clock).rows_read == 0
    bbb.forget("empty")
    clock.tick()
    assert run(store, cfg, clock).rows_read == 0
    assert count(store, Meeting) == 0 and watermark(store)["sessions"] == {}


def test_the_source_unit_mapping_applies(store, bbb, clock):
    bbb.start_meeting("mapped", "Họp", unit="so-tnmt-hn", participants=2, at=T0)
    clock.tick()
    cfg = config(bbb)
    cfg = SourceConfig(**{**cfg.__dict__, "units": {"so-tnmt-hn": "SO-01"}})
    assert run(store, cfg, clock).inserted == 1


def test_sha256_checksums(store, bbb, clock):
    bbb.algorithms = ("sha256",)
    bbb.start_meeting("room", "Họp", unit="SO-01", participants=2, at=T0)
    clock.tick()
    assert run(store, config(bbb, checksum="sha1"), clock).status == "failed"
    assert run(store, config(bbb, checksum="sha256"), clock).inserted == 1


# --- faults -------------------------------------------------------------------------------------------
FAULTS = {
    "429": {"kind": "429", "retry_after": 2},
    "500": {"kind": "500"},
    "slow": {"kind": "slow", "delay": 1.5},
    "malformed": {"kind": "malformed"},
    "truncated": {"kind": "truncated"},
}
MESSAGES = {
    "429": "rate limited (HTTP 429)",
    "500": "server error HTTP 500",
    "slow": "timeout after 0.5 s",
    "malformed": "malformed XML in the answer to getMeetings",
    "truncated": "broke",
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_transient_fault_is_retried_and_the_rows_land_once(store, bbb, clock, fault, caplog):
    internal = bbb.start_meeting("room", "Họp", unit="SO-01", participants=5, listeners=2, at=T0)
    clock.tick()
    spec = dict(FAULTS[fault])
    bbb.inject(spec.pop("kind"), path="getMeetings", **spec)
    caplog.set_level(logging.DEBUG)
    result = run(store, config(bbb), clock)
    assert (result.status, result.retries, result.inserted, result.updated) == ("success", 1, 1, 0)
    stored = stored_run(store, result.run_id)
    assert (stored.status, stored.retries, stored.rows_inserted) == ("success", 1, 1)
    assert MESSAGES[fault] in caplog.text  # the retry is logged with its cause
    if fault == "429":
        assert result.sleeps[0] >= 2  # Retry-After honoured
    assert meetings(store)[internal]["participants"] == 5
    assert count(store, Meeting) == 1


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_persistent_fault_fails_the_run_writes_nothing_and_the_next_run_recovers(
    store, bbb, clock, fault, caplog
):
    internal = bbb.start_meeting("room", "Họp", unit="SO-01", participants=5, at=T0)
    clock.tick()
    spec = dict(FAULTS[fault])
    bbb.inject(spec.pop("kind"), path="getMeetings", times=5, **spec)
    caplog.set_level(logging.DEBUG)
    failed = run(store, config(bbb), clock)
    assert failed.status == "failed" and failed.retries == 4
    assert MESSAGES[fault] in failed.error and "gave up after 5 attempt(s)" in failed.error
    stored = stored_run(store, failed.run_id)
    assert (stored.status, stored.retries, stored.error) == ("failed", 4, failed.error)
    assert count(store, Meeting) == 0 and watermark(store) is None  # nothing partially written
    assert SECRET not in failed.error and SECRET not in caplog.text
    recovered = run(store, config(bbb), clock)
    assert (recovered.status, recovered.inserted) == ("success", 1)
    assert internal in meetings(store)


def test_a_fault_on_getrecordings_keeps_the_polled_sessions_and_is_retried(store, bbb, clock):
    internal = bbb.start_meeting("rec", "Họp", unit="SO-01", participants=4, at=T0, record=True)
    clock.tick()
    cfg = config(bbb)
    run(store, cfg, clock)
    bbb.end_meeting("rec", at=T0 + timedelta(minutes=1, seconds=30))
    bbb.add_recording(internal, start=T0, end=T0 + timedelta(minutes=1, seconds=30))
    bbb.inject("500", path="getRecordings")
    clock.tick()
    result = run(store, cfg, clock)
    assert (result.status, result.retries) == ("success", 1)
    assert meetings(store)[internal]["duration"] == 1.5


def test_a_wrong_secret_is_an_authentication_error_without_retries_nor_leaks(
    store, bbb, clock, monkeypatch, caplog
):
    bbb.start_meeting("room", "Họp", unit="SO-01", participants=5, at=T0)
    clock.tick()
    wrong = "wrong-s3cr3t-0000"
    monkeypatch.setenv(SECRET_VAR, wrong)
    caplog.set_level(logging.DEBUG)
    result = run(store, config(bbb), clock)
    assert (result.status, result.retries) == ("failed", 0)
    assert "refused the checksum of getMeetings (authentication failed)" in result.error
    assert f"check secrets.secret ({SECRET_VAR})" in result.error and "options.checksum" in result.error
    assert count(store, Meeting) == 0
    for text in (result.error, caplog.text):
        assert wrong not in text and SECRET not in text
    sent = [r.raw_query.split("checksum=")[1] for r in bbb.requests]
    assert sent and all(checksum not in caplog.text for checksum in sent)  # checksums are redacted too
    monkeypatch.setenv(SECRET_VAR, SECRET)
    assert run(store, config(bbb), clock).inserted == 1


def test_a_missing_secret_says_which_variable(store, bbb, clock, monkeypatch):
    monkeypatch.delenv(SECRET_VAR)
    result = run(store, config(bbb), clock)
    assert result.status == "failed" and f"environment variable {SECRET_VAR} is not set" in result.error


def test_secrets_and_meeting_passwords_never_reach_logs_errors_or_rejects(store, bbb, clock, caplog):
    caplog.set_level(logging.DEBUG)  # includes httpx's request log lines
    bbb.start_meeting(
        "a", "Họp", unit="SO-99", participants=2, at=T0
    )  # unknown unit: rejected with its payload
    bbb.start_meeting("b", "Họp", unit="SO-01", participants=2, at=T0, record=True)
    clock.tick()
    run(store, config(bbb), clock)
    bbb.forget("b")
    clock.tick()
    run(store, config(bbb), clock)  # getRecordings too
    with make_sessionmaker(store)() as session:
        rejects = session.execute(select(RejectedRecord.reason, RejectedRecord.payload)).all()
        errors = session.scalars(select(CollectorRun.error)).all()
    assert rejects and "unknown unit 'SO-99'" in rejects[0][0]
    assert "getMeetings" in caplog.text and "getRecordings" in caplog.text  # httpx did log the requests
    checksums = {r.raw_query.split("checksum=")[1] for r in bbb.requests}
    haystack = caplog.text + repr(rejects) + repr(errors) + repr(watermark(store))
    for secret in (SECRET, "fake-attendee-pw", "fake-moderator-pw", *checksums):
        assert secret not in haystack


# --- the documented example ---------------------------------------------------------------------------
def test_the_documented_example_runs_against_the_fake(store, bbb, clock, monkeypatch):
    data = tomllib.loads((ROOT / "docs" / "sources" / "bbb.toml").read_text(encoding="utf-8"))
    (documented,) = parse_sources(data, "docs/sources/bbb.toml")
    assert (documented.adapter, documented.domain, documented.secrets) == (
        "bbb",
        "meetings",
        {"secret": "IOC_BBB_SECRET"},
    )
    data["source"][0]["options"]["url"] = bbb.api_url
    (cfg,) = parse_sources(data, "docs/sources/bbb.toml")
    assert isinstance(make_adapter(cfg), BbbAdapter)
    bbb.algorithms = (cfg.options["checksum"],)
    monkeypatch.setenv("IOC_BBB_SECRET", SECRET)
    mapped = bbb.start_meeting("room", "Họp", unit="so-tnmt-hn", participants=3, listeners=1, at=T0)
    default = bbb.start_meeting("other", "Họp", participants=2, at=T0)
    clock.tick()
    result = Runner(store, cfg, BbbAdapter(cfg, clock=clock), sleep=lambda s: None).run()
    assert (result.status, result.inserted, result.rejected) == ("success", 2, 0)
    assert set(meetings(store)) == {mapped, default}


def test_the_demo_feed_replaces_the_servers_state(store, bbb, clock):
    cfg = config(bbb)
    live = {
        "meeting_id": "HOP.SO-01.01",
        "name": "Giao ban",
        "unit_code": "SO-01",
        "participants": 14,
        "listeners": 11,
        "start_at": T0,
        "end_at": None,
    }
    over = {
        "meeting_id": "HOP.SO-79.02",
        "name": "Họp Sở",
        "unit_code": "SO-79",
        "participants": 9,
        "listeners": 7,
        "start_at": T0 - timedelta(hours=1),
        "end_at": T0 + timedelta(seconds=30),
    }
    bbb.feed([live, over])
    clock.tick()
    first = run(store, cfg, clock)
    assert (first.status, first.inserted) == ("success", 2)
    stored = meetings(store)
    live_row = next(m for m in stored.values() if m["title"] == "Giao ban")
    assert (live_row["start"], live_row["end"], live_row["participants"], live_row["endpoints"]) == (
        naive(T0),
        None,
        14,
        3,
    )
    over_row = next(m for m in stored.values() if m["title"] == "Họp Sở")
    assert (over_row["end"], over_row["participants"]) == (
        naive(T0 + timedelta(seconds=30)),
        None,
    )  # first seen ended
    bbb.feed([live])  # the same meeting fed again keeps its identity; the ended one expired
    clock.tick()
    assert run(store, cfg, clock).rows_read == 0
    bbb.feed([])
    clock.tick()
    assert run(store, cfg, clock).updated == 1
    assert count(store, Meeting) == 2
