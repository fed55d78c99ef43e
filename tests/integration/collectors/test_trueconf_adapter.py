"""The TrueConf adapter through the runner, over real HTTP against the fake server, into SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from collectors import trueconf as tc_module
from collectors.base import SourceConfig
from collectors.platforms.trueconf import FakeTrueConf
from collectors.runner import Runner
from collectors.sources import parse_sources
from collectors.trueconf import TrueConfAdapter
from dashboard.db import make_sessionmaker
from dashboard.models import (
    CollectorRun,
    CollectorState,
    Meeting,
    OrgUnit,
    RejectedRecord,
)

SECRET = "tc-secret-0c4f9e1a7b"
ENV = "IOC_TEST_TRUECONF_SECRET"
T0 = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
DOCS = Path(__file__).resolve().parents[3] / "docs" / "sources" / "trueconf.toml"


@pytest.fixture(autouse=True)
def _fresh_tokens(monkeypatch):
    monkeypatch.setenv(ENV, SECRET)
    tc_module._AUTH_CACHE.clear()
    yield
    tc_module._AUTH_CACHE.clear()


@pytest.fixture
def fake():
    with FakeTrueConf(client_secret=SECRET) as server:
        yield server


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def config(url: str, **options) -> SourceConfig:
    opts = {"url": url, "client_id": "ioc-dashboard", "page_size": 2, "timeout_s": 0.5, "unit_code": "BMP-VP"}
    opts.update(options)
    return SourceConfig(
        name="trueconf",
        domain="meetings",
        adapter="trueconf",
        interval_s=120,
        units={"so01.admin": "SO-01", "so79.admin": "SO-79"},
        options=opts,
        secrets={"client_secret": ENV},
    )


def run(store, cfg, clock):
    sleeps: list[float] = []
    result = Runner(store, cfg, TrueConfAdapter(cfg, clock=clock), sleep=sleeps.append).run()
    result.sleeps = sleeps
    return result


def meetings(store) -> dict[str, dict]:
    with make_sessionmaker(store)() as session:
        codes = dict(session.execute(select(OrgUnit.id, OrgUnit.code)).all())
        return {
            m.source_id: {
                "unit": codes[m.unit_id],
                "title": m.title,
                "platform": m.platform,
                "status": m.status,
                "start": m.start_at,
                "end": m.end_at,
                "scheduled": m.endpoints_scheduled,
                "connected": m.endpoints_connected,
                "peak": m.participants_peak,
            }
            for m in session.scalars(select(Meeting))
        }


def count(store, model) -> int:
    with make_sessionmaker(store)() as session:
        return session.scalar(select(func.count()).select_from(model))


def last_run(store) -> CollectorRun:
    with make_sessionmaker(store)() as session:
        return session.scalars(select(CollectorRun).order_by(CollectorRun.id.desc())).first()


def aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def epoch(dt: datetime) -> int:
    return int(dt.timestamp())


def populate(fake: FakeTrueConf) -> None:
    """A planned briefing tomorrow, a virtual room running now, two idle rooms, one of another unit."""
    fake.add_conference(
        "giaoban01",
        topic="Giao ban tuần",
        owner="so01.admin",
        invitations=3,
        schedule={"type": 1, "start_time": epoch(T0 + timedelta(days=1)), "duration": 3600},
    )
    fake.add_conference("phong79", topic="Phòng họp Sở 79", owner="so79.admin")
    fake.add_conference("idle1", owner="so01.admin")
    fake.add_conference("idle2", owner="so01.admin")
    fake.add_conference("chung", topic="Phòng họp chung", owner="thuky@tc.example.vn")
    fake.start_conference("phong79", ["a@tc", "b@tc"], join_time=epoch(T0 - timedelta(minutes=10)))


def test_happy_path_sessions_peaks_and_idempotence(store, fake):
    populate(fake)
    clock, cfg = Clock(), config(fake.url)
    first = run(store, cfg, clock)
    assert (first.status, first.rows_read, first.inserted, first.updated, first.rejected, first.retries) == (
        "success",
        2,
        2,
        0,
        0,
        0,
    )
    session_id = f"phong79@{epoch(T0 - timedelta(minutes=10))}"
    rows = meetings(store)
    assert set(rows) == {"giaoban01", session_id}
    assert rows["giaoban01"] | {"start": None} == {
        "unit": "SO-01",
        "title": "Giao ban tuần",
        "platform": "trueconf",
        "status": 2,
        "start": None,
        "end": rows["giaoban01"]["end"],
        "scheduled": 3,
        "connected": None,
        "peak": None,
    }
    assert rows[session_id]["unit"] == "SO-79" and rows[session_id]["end"] is None
    assert (rows[session_id]["connected"], rows[session_id]["peak"]) == (2, 2)
    # all pages were read: 5 conferences in pages of 2
    pages = [r.query["page_id"][0] for r in fake.requests if r.path == "/api/v3.3/conferences"]
    assert pages == ["1", "2", "3"]

    again = run(store, cfg, clock)
    assert (again.status, again.inserted, again.updated) == ("success", 0, 0)

    # A third participant joins, two leave: the peak stays 3, three distinct endpoints were seen.
    clock.advance(minutes=2)
    fake.join("phong79", "c@tc", join_time=epoch(clock.now))
    third = run(store, cfg, clock)
    assert (third.inserted, third.updated) == (0, 1)
    fake.leave("phong79", "a@tc")
    fake.leave("phong79", "b@tc")
    clock.advance(minutes=2)
    run(store, cfg, clock)
    assert (meetings(store)[session_id]["peak"], meetings(store)[session_id]["connected"]) == (3, 3)

    # The room stops: the session closes at this poll and is never re-emitted.
    fake.stop_conference("phong79")
    clock.advance(minutes=2)
    closing = run(store, cfg, clock)
    assert (closing.inserted, closing.updated) == (0, 1)
    closed = meetings(store)[session_id]
    assert aware(closed["end"]) == clock.now and aware(closed["start"]) == T0 - timedelta(minutes=10)
    assert count(store, Meeting) == 2
    assert (run(store, cfg, clock).inserted, run(store, cfg, clock).updated) == (0, 0)

    # The same room runs again later: a new meeting.
    clock.advance(hours=1)
    fake.start_conference("phong79", ["a@tc"], join_time=epoch(clock.now))
    assert run(store, cfg, clock).inserted == 1
    assert count(store, Meeting) == 3


def test_one_time_meeting_observed_then_held(store, fake):
    populate(fake)
    clock, cfg = Clock(), config(fake.url)
    run(store, cfg, clock)
    clock.now = T0 + timedelta(days=1, minutes=2)
    fake.start_conference(
        "giaoban01", ["hn@tc", "dn@tc", "hcm@tc"], join_time=epoch(clock.now - timedelta(minutes=1))
    )
    run(store, cfg, clock)
    live = meetings(store)["giaoban01"]
    assert (live["connected"], live["peak"], live["end"]) == (3, 3, None)
    fake.stop_conference("giaoban01")
    clock.advance(minutes=50)
    run(store, cfg, clock)
    held = meetings(store)["giaoban01"]
    assert (held["scheduled"], held["connected"], held["peak"]) == (3, 3, 3)
    assert held["end"] is not None
    # later runs keep what was observed instead of falling back to the plan
    clock.advance(hours=2)
    later = run(store, cfg, clock)
    assert (later.inserted, later.updated) == (0, 0)
    assert meetings(store)["giaoban01"] == held


def test_a_planned_meeting_that_never_ran_had_no_endpoints(store, fake):
    start = T0 + timedelta(hours=1)
    fake.add_conference(
        "lo",
        owner="so01.admin",
        invitations=2,
        schedule={"type": 1, "start_time": epoch(start), "duration": 1800},
    )
    clock, cfg = Clock(), config(fake.url)
    run(store, cfg, clock)
    assert meetings(store)["lo"]["connected"] is None  # not yet held: unknown
    clock.now = start + timedelta(hours=1)
    run(store, cfg, clock)
    assert (meetings(store)["lo"]["connected"], meetings(store)["lo"]["scheduled"]) == (0, 2)


def test_unit_from_tags_and_unknown_owner_rejected(store, fake):
    fake.add_conference("t1", owner="nobody", tags=["unit:SO-79", "quarterly"])
    fake.add_conference("t2", owner="nobody", tags=["other"])
    fake.start_conference("t1", ["x@tc"])
    fake.start_conference("t2", ["y@tc"])
    cfg = config(fake.url, unit_from="tag")
    cfg.options.pop("unit_code")
    result = run(store, cfg, Clock())
    assert (result.status, result.inserted, result.rejected) == ("success", 1, 1)
    assert [m["unit"] for m in meetings(store).values()] == ["SO-79"]
    with make_sessionmaker(store)() as session:
        reason = session.scalars(select(RejectedRecord.reason)).one()
    assert "unknown unit 'nobody'" in reason


FAULTS = [
    ("429", {"retry_after": 3}),
    ("500", {}),
    ("slow", {"delay": 1.5}),
    ("malformed", {}),
    ("truncated", {}),
]


@pytest.mark.parametrize("kind,extra", FAULTS, ids=[f[0] for f in FAULTS])
@pytest.mark.parametrize("where", ["/api/v3.3/conferences", "/participants"])
def test_each_fault_is_retried_and_the_rows_land_once(store, fake, kind, extra, where):
    populate(fake)
    cfg = config(fake.url)
    clock = Clock()
    run(store, cfg, clock)  # the token exists: the fault hits the API call, not the token request
    with make_sessionmaker(store).begin() as session:
        session.query(Meeting).delete()
        session.query(CollectorState).delete()
    fake.inject(kind, path=where, **extra)
    result = run(store, cfg, clock)
    assert (result.status, result.retries, result.inserted, result.rejected) == ("success", 1, 2, 0), (
        result.error
    )
    if kind == "429":
        assert result.sleeps and result.sleeps[0] >= 3
    assert fake.pending_faults() == 0
    assert count(store, Meeting) == 2
    assert last_run(store).retries == 1


def test_persistent_failure_fails_the_run_writes_nothing_and_the_next_run_recovers(store, fake):
    populate(fake)
    cfg = config(fake.url)
    fake.inject("500", times=50, path="/participants")
    failed = run(store, cfg, Clock())
    assert failed.status == "failed" and failed.retries >= 1
    assert "HTTP 500" in failed.error and "gave up" in failed.error
    assert count(store, Meeting) == 0
    with make_sessionmaker(store)() as session:
        assert session.scalar(select(CollectorState.watermark)) is None
    assert last_run(store).status == "failed"
    fake._faults.clear()
    ok = run(store, cfg, Clock())
    assert (ok.status, ok.inserted) == ("success", 2)


def test_expired_token_is_renewed_without_a_retry(store, fake):
    populate(fake)
    cfg, clock = config(fake.url), Clock()
    assert run(store, cfg, clock).status == "success"
    assert fake.tokens_issued == 1
    fake.inject("expired_token", path="/api/v3.3/conferences")
    result = run(store, cfg, clock)
    assert (result.status, result.retries) == ("success", 0)
    assert fake.tokens_issued == 2
    assert ("/api/v3.3/conferences", 401) in fake.answered
    # the renewed token is kept for the next run
    run(store, cfg, clock)
    assert fake.tokens_issued == 2


def test_token_is_renewed_before_it_expires(store, fake):
    fake.token_lifetime_s = 31  # renewed 30 s early: good for one second
    populate(fake)
    cfg, clock = config(fake.url), Clock()
    run(store, cfg, clock)
    clock.advance(seconds=1.1)  # the adapter's injected clock drives the token's expiry too
    assert run(store, cfg, clock).status == "success"
    assert fake.tokens_issued == 2
    assert not [a for a in fake.answered if a[1] == 401]  # renewed before the server refused it


def test_wrong_client_secret_is_fatal_and_names_the_secret(store, fake, monkeypatch, caplog):
    monkeypatch.setenv(ENV, "not-the-secret-5d1e")
    populate(fake)
    result = run(store, config(fake.url), Clock())
    assert (result.status, result.retries) == ("failed", 0)
    assert "secrets.client_secret" in result.error and "authentication failed" in result.error
    assert "not-the-secret-5d1e" not in result.error
    assert count(store, Meeting) == 0


def test_secrets_and_tokens_never_appear_in_logs_errors_or_rejects(store, fake, caplog):
    caplog.set_level(logging.DEBUG)
    populate(fake)
    fake.add_conference("lost", owner="stranger")
    fake.start_conference("lost", ["z@tc"])
    cfg = config(fake.url)
    cfg.options.pop("unit_code")
    clock = Clock()
    fake.inject("429", path="/api/v3.3/conferences")
    fake.inject("expired_token", path="/participants")
    run(store, cfg, clock)
    fake.inject("500", times=50)
    run(store, cfg, clock)
    assert fake.issued and any("access_token=" in r.raw_query for r in fake.requests)
    with make_sessionmaker(store)() as session:
        stored = [r.error or "" for r in session.scalars(select(CollectorRun))]
        stored += [r.reason + r.payload for r in session.scalars(select(RejectedRecord))]
        stored.append(json.dumps(session.scalar(select(CollectorState.watermark))))
    assert any("HTTP 500" in s for s in stored)
    haystack = caplog.text + "\n".join(stored)
    assert "HTTP Request" in caplog.text  # httpx did log the requests, redacted
    for secret in [SECRET, *fake.issued]:
        assert secret not in haystack


def test_documented_example_runs_against_the_fake(store, fake, monkeypatch):
    monkeypatch.setenv("IOC_TRUECONF_CLIENT_SECRET", SECRET)
    data = tomllib.loads(DOCS.read_text(encoding="utf-8"))
    data["source"][0]["options"]["url"] = fake.url
    [cfg] = parse_sources(data)
    populate(fake)
    fake.start_conference("chung", ["q@tc"])
    result = Runner(store, cfg, TrueConfAdapter(cfg, clock=Clock()), sleep=lambda s: None).run()
    assert (result.status, result.inserted, result.rejected) == ("success", 3, 0), result.error
    assert {m["unit"] for m in meetings(store).values()} == {"SO-01", "SO-79", "BMP-VP"}
