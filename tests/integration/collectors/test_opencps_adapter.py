"""The OpenCPS statistics adapter through the runner, over real HTTP against the fake, into SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import tomllib
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from collectors.base import SourceConfig
from collectors.opencps import OpenCpsAdapter
from collectors.platforms.opencps import FakeOpenCps
from collectors.runner import Runner
from collectors.sources import parse_sources
from dashboard.db import make_sessionmaker
from dashboard.models import (
    CollectorRun,
    CollectorState,
    DossierStat,
    OrgUnit,
    RejectedRecord,
)

PASSWORD = "opencps-pass-SYNTH-41c7"
ENV = "IOC_TEST_OPENCPS_PASSWORD"
TODAY = date(2026, 3, 20)
DOCS = Path(__file__).resolve().parents[3] / "docs" / "sources" / "opencps.toml"
UNITS = {"STP": "SO-01", "SXD": "SO-79", "VP": "BMP-VP"}


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv(ENV, PASSWORD)


@pytest.fixture
def fake():
    with FakeOpenCps(group_id="35417", auth="basic", username="ioc", password=PASSWORD) as server:
        yield server


def counts(received, online, resolved, early, on_time, late, processing, overdue, **extra):
    return {
        "receivedCount": received,
        "onlineCount": online,
        "releaseCount": resolved,
        "betimesCount": early,
        "ontimeCount": on_time,
        "overtimeCount": late,
        "processingCount": processing,
        "overdueCount": overdue,
        **extra,
    }


def populate(fake, months=((2025, 12), (2026, 1), (2026, 2), (2026, 3))):
    for n, (year, month) in enumerate(months):
        fake.put_month(
            year,
            month,
            [
                {
                    "govAgencyCode": "STP",
                    "govAgencyName": "Sở Tư pháp",
                    **counts(100 + n, 40, 90, 50, 30, 10, 20 + n, 3),
                },
                {"govAgencyCode": "SXD", **counts(50, 10, 45, 20, 20, 5, 8, 1)},
                {"govAgencyCode": "VP", "domainCode": "D1", **counts(5, 1, 4, 2, 1, 1, 1, 0)},
                {"govAgencyCode": "VP", "domainCode": "D2", **counts(7, 3, 6, 3, 3, 0, 2, 1)},
                {"govAgencyCode": "", **counts(999, 999, 999, 0, 0, 0, 0, 0)},  # the site total
            ],
        )


def config(url: str, **options) -> SourceConfig:
    opts = {
        "url": url,
        "group_id": "35417",
        "auth": {"type": "basic", "username": "ioc"},
        "backfill_months": 3,
        "timeout": 2,
    }
    opts.update(options)
    return SourceConfig(
        name="opencps",
        domain="dossier_stats",
        adapter="opencps",
        interval_s=3600,
        units=dict(UNITS),
        options=opts,
        secrets={"password": ENV},
    )


def run(store, cfg, today=TODAY, **kwargs):
    sleeps: list[float] = []
    result = Runner(store, cfg, OpenCpsAdapter(cfg, today=today), sleep=sleeps.append, **kwargs).run()
    result.sleeps = sleeps
    return result


def stats(store) -> dict[tuple[str, str], dict]:
    with make_sessionmaker(store)() as session:
        codes = dict(session.execute(select(OrgUnit.id, OrgUnit.code)).all())
        return {
            (codes[s.unit_id], s.period_start.isoformat()[:7]): {
                "end": s.period_end,
                "received": s.received,
                "online": s.received_online,
                "resolved": s.resolved,
                "early": s.resolved_early,
                "on_time": s.resolved_on_time,
                "late": s.resolved_late,
                "processing": s.processing,
                "overdue": s.overdue,
            }
            for s in session.scalars(select(DossierStat))
        }


def watermark(store):
    with make_sessionmaker(store)() as session:
        return session.scalar(select(CollectorState.watermark).where(CollectorState.source == "opencps"))


def test_first_run_backfills_then_each_run_rereads_two_months(store, fake):
    populate(fake)
    first = run(store, config(fake.url))
    assert (first.status, first.rows_read, first.inserted, first.updated, first.rejected) == (
        "success",
        9,
        9,
        0,
        0,
    ), first.error
    assert fake.asked == [(2026, 1), (2026, 2), (2026, 3)]
    got = stats(store)
    assert set(got) == {
        (u, m) for u in ("SO-01", "SO-79", "BMP-VP") for m in ("2026-01", "2026-02", "2026-03")
    }
    assert got[("SO-01", "2026-03")] == {
        "end": date(2026, 3, 31),
        "received": 103,
        "online": 40,
        "resolved": 90,
        "early": 50,
        "on_time": 30,
        "late": 10,
        "processing": 23,
        "overdue": 3,
    }
    assert (
        got[("BMP-VP", "2026-02")]["received"] == 12 and got[("BMP-VP", "2026-02")]["overdue"] == 1
    )  # domains summed
    assert watermark(store) == {"month": "2026-03"}
    # Every later run re-reads the previous and the current month; unchanged counts change nothing.
    fake.asked.clear()
    again = run(store, config(fake.url))
    assert (again.status, again.inserted, again.updated) == ("success", 0, 0)
    assert fake.asked == [(2026, 2), (2026, 3)]
    # OpenCPS recomputed March: the row is replaced, not added.
    fake.put_month(2026, 3, [{"govAgencyCode": "STP", **counts(130, 60, 95, 50, 35, 10, 30, 4)}])
    third = run(store, config(fake.url))
    assert (third.inserted, third.updated) == (0, 1)
    assert stats(store)[("SO-01", "2026-03")]["received"] == 130 and len(stats(store)) == 9


def test_a_collector_down_for_months_fills_the_gap(store, fake):
    populate(fake, months=((2026, m) for m in range(1, 7)))
    run(store, config(fake.url))
    fake.asked.clear()
    result = run(store, config(fake.url), today=date(2026, 6, 2))
    assert result.status == "success"
    assert fake.asked == [(2026, 3), (2026, 4), (2026, 5), (2026, 6)]


def test_unmapped_agencies_are_rejected_or_skipped_as_configured(store, fake):
    fake.put_month(
        2026,
        3,
        [
            {"govAgencyCode": "STP", **counts(1, 0, 0, 0, 0, 0, 0, 0)},
            {"govAgencyCode": "SNN", **counts(2, 0, 0, 0, 0, 0, 0, 0)},
        ],
    )
    result = run(store, config(fake.url, backfill_months=1))
    assert (result.inserted, result.rejected) == (1, 1)
    with make_sessionmaker(store)() as session:
        assert "unknown unit 'SNN'" in session.scalar(select(RejectedRecord.reason))
    skipped = run(store, config(fake.url, backfill_months=1, skip_unmapped=True))
    assert (skipped.status, skipped.rejected, skipped.inserted) == ("success", 0, 0)


def test_agency_param_asks_agency_by_agency(store, fake):
    populate(fake)
    result = run(store, config(fake.url, backfill_months=1, agency_param="agency"))
    assert (result.status, result.inserted) == ("success", 3)
    assert sorted(r.arg("agency") for r in fake.requests) == ["STP", "SXD", "VP"]


def test_a_wrong_group_id_finds_nothing_and_writes_nothing(store, fake):
    populate(fake)
    result = run(store, config(fake.url, group_id="1"))
    assert (result.status, result.inserted) == ("success", 0)
    assert all(r.header("groupId") == "1" for r in fake.requests)


# --- faults ------------------------------------------------------------------------------------------
def test_429_with_retry_after_then_success(store, fake):
    populate(fake)
    fake.inject("429", retry_after=9)
    result = run(store, config(fake.url))
    assert (result.status, result.retries, result.inserted) == ("success", 1, 9)
    assert result.sleeps[0] >= 9


def test_500_in_the_middle_resumes_at_the_last_committed_month(store, fake):
    populate(fake)

    def after_batch(result, batch):
        if result.batches == 1:
            fake.inject("500")

    result = run(store, config(fake.url), on_batch=after_batch)
    assert (result.status, result.retries, result.inserted, result.updated) == ("success", 1, 9, 0)
    assert fake.asked == [
        (2026, 1),
        (2026, 1),
        (2026, 2),
        (2026, 3),
    ]  # the 500 on February; resumed from the watermark 2026-01


def test_slow_answer_is_retried(store, fake):
    populate(fake)
    fake.inject("slow", delay=1.5)
    result = run(store, config(fake.url, timeout=0.5))
    assert (result.status, result.retries, result.inserted) == ("success", 1, 9)


@pytest.mark.parametrize("fault", ["malformed", "truncated"])
def test_bad_bodies_write_nothing_until_the_server_recovers(store, fake, fault):
    populate(fake)
    fake.inject(fault, times=10)
    failed = run(store, config(fake.url))
    assert (failed.status, failed.retries) == ("failed", 4)
    assert stats(store) == {} and watermark(store) is None
    with make_sessionmaker(store)() as session:
        stored = session.scalars(select(CollectorRun)).one()
        assert (stored.status, stored.retries) == ("failed", 4) and stored.error
        assert session.scalars(select(RejectedRecord)).first() is None
    fake._faults.clear()
    assert run(store, config(fake.url)).inserted == 9


def test_refused_login_fails_plainly_and_the_next_run_recovers(store, fake, monkeypatch):
    populate(fake)
    monkeypatch.setenv(ENV, "not-the-password")
    failed = run(store, config(fake.url))
    assert (failed.status, failed.retries) == ("failed", 0)
    assert "authentication failed" in failed.error and "secrets.password" in failed.error
    monkeypatch.setenv(ENV, PASSWORD)
    assert run(store, config(fake.url)).status == "success"


def test_expired_oauth2_token_is_renewed(store):
    with FakeOpenCps(group_id="35417", auth="oauth2", client_id="ioc", client_secret=PASSWORD) as fake:
        populate(fake)
        fake.inject("expired_token", path="/o/rest/statistics")  # the first statistics call: tokens gone
        cfg = config(fake.url, auth={"type": "oauth2", "token_url": "/oauth/token", "client_id": "ioc"})
        cfg = SourceConfig(**{**cfg.__dict__, "secrets": {"client_secret": ENV}})
        result = run(store, cfg)
        assert (result.status, result.inserted) == ("success", 9), result.error
        assert fake.auth.token_requests == 2


def test_secrets_never_reach_logs_or_errors(store, fake, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "collectors"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    populate(fake)
    fake.inject("500")
    run(store, config(fake.url))
    monkeypatch.setenv(ENV, "wrong-SYNTH-pass-123")
    run(store, config(fake.url))
    with make_sessionmaker(store)() as session:
        errors = " ".join(e or "" for e in session.scalars(select(CollectorRun.error)))
    assert "authentication failed" in errors
    for secret in (PASSWORD, "wrong-SYNTH-pass-123"):
        assert secret not in caplog.text and secret not in errors


def test_documented_example_runs_against_the_fake(store, monkeypatch):
    data = tomllib.loads(DOCS.read_text(encoding="utf-8"))
    entry = data["source"][0]
    with FakeOpenCps(
        group_id=entry["options"]["group_id"],
        auth="basic",
        username=entry["options"]["auth"]["username"],
        password=PASSWORD,
    ) as fake:
        populate(fake)
        entry["options"]["url"] = fake.url
        monkeypatch.setenv(entry["secrets"]["password"], PASSWORD)
        (cfg,) = parse_sources(data, str(DOCS))
        result = Runner(store, cfg, OpenCpsAdapter(cfg, today=TODAY), sleep=lambda s: None).run()
        assert (result.status, result.inserted, result.rejected) == ("success", 8, 0), (
            result.error
        )  # STP, SXD × the 4 months that have data
        assert len(fake.asked) == 12
