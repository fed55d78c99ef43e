"""The Jitsi adapter through the runner, over real HTTP against fake Jicofo/Videobridge stats, into the store."""

from __future__ import annotations

import logging
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from collectors.base import SourceConfig
from collectors.jitsi import JitsiAdapter
from collectors.platforms.jitsi import FakeJitsi
from collectors.runner import Runner
from collectors.sources import parse_sources
from dashboard.db import make_sessionmaker
from dashboard.models import CollectorRun, CollectorState, MeetingSample, RejectedRecord

T0 = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[3] / "docs" / "sources" / "jitsi.toml"
PASSWORD = "jitsi-proxy-pw-8842"
ENV = "IOC_TEST_JITSI_PASSWORD"


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now

    def tick(self, minutes: int = 1):
        self.now += timedelta(minutes=minutes)


@pytest.fixture
def jicofo():
    with FakeJitsi() as server:
        yield server


def config(name="jitsi", **options) -> SourceConfig:
    return SourceConfig(
        name=name,
        domain="meeting_samples",
        adapter="jitsi",
        interval_s=60,
        options={"timeout_s": 0.5, **options},
        secrets={"password": ENV},
    )


def run(store, cfg, clock):
    sleeps: list[float] = []
    result = Runner(store, cfg, JitsiAdapter(cfg, clock=clock), sleep=sleeps.append).run()
    result.sleeps = sleeps
    return result


def samples(store) -> list[tuple]:
    with make_sessionmaker(store)() as session:
        return [
            (s.meetings_running, s.participants, s.conferences_started, s.participants_joined)
            for s in session.scalars(select(MeetingSample).order_by(MeetingSample.sampled_at))
        ]


def test_samples_store_deltas_and_survive_a_restart(store, jicofo):
    clock, cfg = Clock(), config(jicofo_url=jicofo.url)  # a bare URL gets /stats
    jicofo.open_conference(3)
    jicofo.open_conference(2)
    first = run(store, cfg, clock)
    assert (first.status, first.inserted, first.retries) == ("success", 1, 0)
    assert samples(store) == [(2, 5, None, None)]  # the first sample has no growth
    assert {r.path for r in jicofo.requests} == {"/stats"}

    clock.tick()
    jicofo.open_conference(4)
    jicofo.join(1)
    jicofo.close_conference()
    run(store, cfg, clock)
    assert samples(store)[-1] == (2, 7, 1, 5)

    clock.tick()
    jicofo.inject("reset")  # Jicofo restarts: counters from 1 conference / 1 participant
    run(store, cfg, clock)
    assert samples(store)[-1] == (1, 1, 1, 1)  # growth = the new values, never negative

    clock.tick()
    run(store, cfg, clock)
    assert samples(store)[-1] == (1, 1, 0, 0)
    with make_sessionmaker(store)() as session:
        watermark = session.scalar(select(CollectorState.watermark))
    assert watermark["counters"] == {"jicofo": {"conferences_started": 1, "participants_joined": 1}}


def test_same_sample_time_is_not_stored_twice(store, jicofo):
    clock, cfg = Clock(), config(jicofo_url=f"{jicofo.url}/stats")
    jicofo.open_conference(2)
    run(store, cfg, clock)
    again = run(store, cfg, clock)  # same instant (e.g. a manual run): the row is the same sample
    assert (again.inserted, again.updated) == (0, 1)  # the growth is now known: 0
    assert samples(store) == [(1, 2, 0, 0)]


def test_bridges_are_summed_with_per_bridge_counters(store):
    with FakeJitsi() as jvb1, FakeJitsi() as jvb2:
        clock = Clock()
        cfg = config(use="bridges", bridges=[jvb1.url, f"{jvb2.url}/colibri/stats"])
        jvb1.open_conference(3)
        jvb2.open_conference(4)
        jvb2.open_conference(3)
        run(store, cfg, clock)
        assert samples(store) == [(3, 10, None, None)]
        clock.tick()
        jvb1.open_conference(2)
        jvb2.inject("reset")  # jvb2 restarted: its 1 new conference with 1 participant is its growth
        run(store, cfg, clock)
        assert samples(store)[-1] == (3, 6, 1 + 1, 2 + 1)
        assert {r.path for r in jvb1.requests + jvb2.requests} == {"/colibri/stats"}
        # a bridge that does not answer fails the run (a partial sum would be wrong), naming it
        jvb2.inject("500", times=20)
        clock.tick()
        failed = run(store, cfg, clock)
        assert (
            failed.status == "failed"
            and "HTTP 500" in failed.error
            and str(jvb2.url.split(":")[-1]) in failed.error
        )
        assert len(samples(store)) == 2


def test_a_new_bridge_makes_the_growth_unknown_for_one_sample(store):
    with FakeJitsi() as jvb1, FakeJitsi() as jvb2:
        clock = Clock()
        jvb1.open_conference(2)
        run(store, config(use="bridges", bridges=[jvb1.url]), clock)
        clock.tick()
        jvb2.open_conference(5)
        run(store, config(use="bridges", bridges=[jvb1.url, jvb2.url]), clock)
        assert samples(store)[-1] == (2, 7, None, None)


FAULTS = [
    ("429", {"retry_after": 2}),
    ("500", {}),
    ("slow", {"delay": 1.5}),
    ("malformed", {}),
    ("truncated", {}),
]


@pytest.mark.parametrize("kind,extra", FAULTS, ids=[f[0] for f in FAULTS])
def test_each_fault_is_retried_and_one_sample_lands(store, jicofo, kind, extra):
    clock, cfg = Clock(), config(jicofo_url=jicofo.url)
    jicofo.open_conference(2)
    run(store, cfg, clock)
    clock.tick()
    jicofo.inject(kind, **extra)
    result = run(store, cfg, clock)
    assert (result.status, result.retries, result.inserted) == ("success", 1, 1), result.error
    if kind == "429":
        assert result.sleeps[0] >= 2
    assert samples(store) == [(1, 2, None, None), (1, 2, 0, 0)]
    with make_sessionmaker(store)() as session:
        assert session.scalars(select(CollectorRun.retries).order_by(CollectorRun.id.desc())).first() == 1


def test_persistent_failure_writes_nothing_and_keeps_the_counters(store, jicofo):
    clock, cfg = Clock(), config(jicofo_url=jicofo.url)
    jicofo.open_conference(2)
    run(store, cfg, clock)
    jicofo.inject("malformed", times=50)
    clock.tick()
    failed = run(store, cfg, clock)
    assert failed.status == "failed" and "malformed JSON" in failed.error
    assert len(samples(store)) == 1
    jicofo._faults.clear()
    jicofo.open_conference(1)
    clock.tick()
    run(store, cfg, clock)
    assert samples(store)[-1] == (2, 3, 1, 1)  # growth since the last sample that landed


def test_stats_without_the_gauges_are_rejected_with_the_reason(store):
    with FakeJitsi() as server:
        cfg = config(jicofo_url=f"{server.url}/nothing-here")  # a 404: a configuration error
        result = run(store, cfg, Clock())
        assert result.status == "failed" and "HTTP 404" in result.error and result.retries == 0
    from collectors.jitsi import build_sample, read_stats

    row, _ = build_sample({"jicofo": read_stats({"version": "2.0"}, "x")}, None, T0)
    adapter_row = {
        "sampled_at": row["sampled_at"],
        "meetings_running": None,
        "participants": None,
        "conferences_started": None,
        "participants_joined": None,
    }
    assert row == adapter_row


def test_basic_auth_in_front_and_secrets_never_logged(store, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(ENV, PASSWORD)
    with FakeJitsi(basic_auth=("ioc", PASSWORD)) as server:
        server.open_conference(2)
        auth = {"type": "basic", "username": "ioc"}
        ok = run(store, config(jicofo_url=server.url, auth=auth), Clock())
        assert (ok.status, ok.inserted) == ("success", 1)
        assert server.requests[-1].header("Authorization").startswith("Basic ")
        monkeypatch.setenv(ENV, "wrong-password-1234")
        refused = run(store, config(jicofo_url=server.url, auth=auth), Clock())
        assert (
            refused.status == "failed"
            and "authentication failed" in refused.error
            and "secrets.password" in refused.error
        )
        no_auth = run(store, config(jicofo_url=server.url), Clock())
        assert no_auth.status == "failed" and "HTTP 401" in no_auth.error
    with make_sessionmaker(store)() as session:
        stored = " ".join((r.error or "") for r in session.scalars(select(CollectorRun)))
        stored += " ".join(r.reason + r.payload for r in session.scalars(select(RejectedRecord)))
    for secret in (PASSWORD, "wrong-password-1234"):
        assert secret not in caplog.text and secret not in stored
    import base64

    assert base64.b64encode(f"ioc:{PASSWORD}".encode()).decode() not in caplog.text


def test_documented_example_runs_against_the_fake(store, jicofo):
    data = tomllib.loads(DOCS.read_text(encoding="utf-8"))
    data["source"][0]["options"]["jicofo_url"] = f"{jicofo.url}/stats"
    [cfg] = parse_sources(data)
    jicofo.open_conference(4)
    result = Runner(store, cfg, JitsiAdapter(cfg), sleep=lambda s: None).run()
    assert (result.status, result.inserted, result.rejected) == ("success", 1, 0), result.error
    assert samples(store) == [(1, 4, None, None)]
