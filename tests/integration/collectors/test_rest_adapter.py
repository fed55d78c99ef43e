"""The dossier REST adapter through the runner, over real HTTP against the fake, into SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from collectors.base import SourceConfig
from collectors.platforms.dossier_rest import FakeDossierRest
from collectors.rest import DossierRestAdapter
from collectors.runner import Runner
from collectors.sources import parse_sources
from dashboard.db import make_sessionmaker
from dashboard.models import (
    CollectorRun,
    CollectorState,
    Dossier,
    OrgUnit,
    Procedure,
    RejectedRecord,
)
from dashboard.timeutil import VN_TZ

TOKEN = "rest-token-SYNTH-5e1f0a9c"
PASSWORD = "rest-pass-SYNTH-77d2"
API_KEY = "rest-key-SYNTH-3b8c41"
CLIENT_SECRET = "rest-client-SYNTH-a0b1c2"
ENV = {
    "token": "IOC_TEST_REST_TOKEN",
    "password": "IOC_TEST_REST_PASSWORD",
    "api_key": "IOC_TEST_REST_API_KEY",
    "client_secret": "IOC_TEST_REST_CLIENT_SECRET",
}
SECRETS = (TOKEN, PASSWORD, API_KEY, CLIENT_SECRET)
DOCS = Path(__file__).resolve().parents[3] / "docs" / "sources" / "rest.toml"
UNITS = ("SO-01", "SO-79", "BMP-VP")


@pytest.fixture(autouse=True)
def _secrets(monkeypatch):
    monkeypatch.setenv(ENV["token"], TOKEN)
    monkeypatch.setenv(ENV["password"], PASSWORD)
    monkeypatch.setenv(ENV["api_key"], API_KEY)
    monkeypatch.setenv(ENV["client_secret"], CLIENT_SECRET)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


def hs(i: int, **changes) -> dict:
    """A dossier in the national sync names; update times DEcrease with the id, so a server
    listing by MaHoSo serves pages that are not sorted by update time."""
    row = {
        "MaHoSo": f"HS-{i:04d}",
        "MaTTHC": "1.004100",
        "MaDonVi": UNITS[i % 3],
        "NgayTiepNhan": local(f"2026-03-{1 + i % 9:02d} 09:00"),
        "NgayHenTra": local(f"2026-03-{10 + i % 9:02d} 17:00"),
        "TrangThaiHoSo": 4,
        "KenhThucHien": 2 if i % 2 else 1,
        "NgayCapNhat": local(f"2026-03-{20 - i % 15:02d} 08:{i % 60:02d}"),
    }
    row.update(changes)
    return row


def config(
    url: str, *, auth: dict | None = None, domain: str = "dossiers", interval_s: float = 600, **options
) -> SourceConfig:
    opts = {
        "url": url,
        "paging": {"type": "page", "size": 3},
        "auth": auth or {"type": "bearer"},
        "updated_param": "tuNgay",
        "timeout": 2,
    }
    opts.update(options)
    return SourceConfig(
        name="motcua",
        domain=domain,
        adapter="rest",
        interval_s=interval_s,
        options=opts,
        secrets=dict(ENV),
        lookback_s=3600,
    )


def run(store, cfg, **kwargs):
    sleeps: list[float] = []
    result = Runner(store, cfg, DossierRestAdapter(cfg), sleep=sleeps.append, **kwargs).run()
    result.sleeps = sleeps
    return result


def dossiers(store) -> dict[str, dict]:
    with make_sessionmaker(store)() as session:
        codes = dict(session.execute(select(OrgUnit.id, OrgUnit.code)).all())
        return {
            d.source_id: {
                "unit": codes[d.unit_id],
                "status": d.status,
                "channel": d.channel,
                "received": _aware(d.received_at),
                "updated": _aware(d.source_updated_at),
            }
            for d in session.scalars(select(Dossier))
        }


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def watermark(store):
    with make_sessionmaker(store)() as session:
        return session.scalar(select(CollectorState.watermark).where(CollectorState.source == "motcua"))


def last_run(store) -> CollectorRun:
    with make_sessionmaker(store)() as session:
        return session.scalars(select(CollectorRun).order_by(CollectorRun.id.desc())).first()


def rejected(store) -> list[RejectedRecord]:
    with make_sessionmaker(store)() as session:
        return list(session.scalars(select(RejectedRecord)))


def max_updated(rows) -> datetime:
    return max(r["NgayCapNhat"] for r in rows)


# --- happy paths ---------------------------------------------------------------------------------
@pytest.mark.parametrize("paging", ["page", "offset", "cursor", "none"])
def test_every_paging_style_lands_each_dossier_once_and_a_rerun_changes_nothing(store, paging):
    rows = [hs(i) for i in range(8)]
    paging_option = {
        "page": {"type": "page", "size": 3},
        "offset": {"type": "offset", "limit": 3},
        "cursor": {"type": "cursor", "size": 3},
        "none": {"type": "none"},
    }[paging]
    with FakeDossierRest(auth="bearer", token=TOKEN, paging=paging) as fake:
        fake.put(*rows)
        cfg = config(fake.url, paging=paging_option)
        first = run(store, cfg)
        assert (
            first.status,
            first.rows_read,
            first.inserted,
            first.updated,
            first.rejected,
            first.retries,
        ) == ("success", 8, 8, 0, 0, 0)
        assert first.batches == (1 if paging == "none" else 3)  # one batch per page
        got = dossiers(store)
        assert set(got) == {r["MaHoSo"] for r in rows}
        assert got["HS-0001"] == {
            "unit": "SO-79",
            "status": 4,
            "channel": 2,
            "received": local("2026-03-02 09:00"),
            "updated": local("2026-03-19 08:01"),
        }
        assert watermark(store) == {"updated": max_updated(rows).isoformat()}
        second = run(store, cfg)
        assert (second.status, second.inserted, second.updated, second.rejected) == ("success", 0, 0, 0)
        # The second run asked only for what changed since the watermark minus the lookback.
        assert fake.since_seen[-1] == max_updated(rows) - timedelta(hours=1)


def test_incremental_run_picks_up_changes_and_new_dossiers(store):
    rows = [hs(i) for i in range(6)]
    with FakeDossierRest(auth="bearer", token=TOKEN) as fake:
        fake.put(*rows)
        cfg = config(fake.url)
        run(store, cfg)
        later = local("2026-03-21 10:00")
        fake.put(
            hs(2, TrangThaiHoSo=10, NgayKetThucXuLy=local("2026-03-21 09:00"), NgayCapNhat=later),
            hs(50, NgayCapNhat=later + timedelta(minutes=5)),
        )
        third = run(store, cfg)
        assert (third.status, third.inserted, third.updated) == ("success", 1, 1)
        got = dossiers(store)
        assert got["HS-0002"]["status"] == 10 and "HS-0050" in got and len(got) == 7
        assert watermark(store) == {"updated": (later + timedelta(minutes=5)).isoformat()}


def test_watermark_is_saved_only_with_the_last_page_so_a_retry_never_skips_rows(store):
    """Pages are sorted by MaHoSo, not by update time: the newest row is on page 1. A 500 on page
    2 must not leave a watermark that jumps past the rows of pages 2 and 3."""
    rows = [hs(i) for i in range(8)]
    with FakeDossierRest(auth="bearer", token=TOKEN, order="id") as fake:
        fake.put(*rows)
        seen_after_batch = []

        def after_batch(result, batch):
            seen_after_batch.append((batch.watermark, watermark(store)))
            if len(seen_after_batch) == 1:
                fake.inject("500")  # the next request — page 2 — fails once

        result = run(store, config(fake.url), on_batch=after_batch)
        assert (result.status, result.retries, result.rejected) == ("success", 1, 0)
        assert seen_after_batch[0] == (None, None)  # page 1 committed, no watermark yet
        assert fake.since_seen == [
            None,
            None,
            None,
            None,
            None,
        ]  # the retry starts again from the old (empty) watermark
        assert len(dossiers(store)) == 8 and result.inserted == 8
        assert watermark(store) == {"updated": max_updated(rows).isoformat()}


def test_a_run_failing_mid_way_keeps_its_committed_pages_and_the_next_run_recovers(store):
    rows = [hs(i) for i in range(8)]
    with FakeDossierRest(auth="bearer", token=TOKEN) as fake:
        fake.put(*rows)

        def after_batch(result, batch):
            if result.batches == 1:
                fake.inject("500", times=20)

        failed = run(store, config(fake.url), on_batch=after_batch)
        assert failed.status == "partial" and failed.retries == 4 and "HTTP 500" in failed.error
        assert len(dossiers(store)) == 3 and watermark(store) is None  # whole pages only, no watermark
        stored = last_run(store)
        assert (stored.status, stored.retries, stored.rows_read) == ("partial", 4, 3)
        fake._faults.clear()
        again = run(store, config(fake.url))
        assert (again.status, again.inserted, again.updated) == ("success", 5, 0)
        assert len(dossiers(store)) == 8


@pytest.mark.parametrize(
    "auth, fake_kwargs",
    [
        (
            {"type": "basic", "username": "ioc-reader"},
            {"auth": "basic", "username": "ioc-reader", "password": PASSWORD},
        ),
        (
            {"type": "api_key", "header": "X-Api-Key"},
            {"auth": "api_key", "api_key": API_KEY, "api_key_header": "X-Api-Key"},
        ),
        (
            {"type": "oauth2", "token_url": "/oauth/token", "client_id": "ioc"},
            {"auth": "oauth2", "client_id": "ioc", "client_secret": CLIENT_SECRET},
        ),
        (
            {"type": "oauth2", "token_url": "/oauth/token", "client_id": "ioc", "body": "json"},
            {"auth": "oauth2", "client_id": "ioc", "client_secret": CLIENT_SECRET},
        ),
    ],
    ids=["basic", "api_key", "oauth2-form", "oauth2-json"],
)
def test_each_auth_strategy_is_accepted_by_the_fake(store, auth, fake_kwargs):
    with FakeDossierRest(**fake_kwargs) as fake:
        fake.put(*[hs(i) for i in range(4)])
        result = run(store, config(fake.url, auth=auth))
        assert (result.status, result.inserted) == ("success", 4), result.error


def test_nested_fields_items_path_and_procedures(store):
    """A non-standard API: the list under result.items, nested and renamed fields."""
    with FakeDossierRest(auth="bearer", token=TOKEN, items_path="result.items", paging="offset") as fake:
        fake.put(
            *[
                {
                    "MaHoSo": f"X{i}",
                    "hoSo": {"donVi": {"ma": "SO-01"}, "trangThai": 9},
                    "ngay": {
                        "tiepNhan": "20260302090000",
                        "ketThuc": "05/03/2026 10:00:00",
                        "capNhat": "/Date(1773968400000)/",
                    },
                    "NgayCapNhat": None,
                }
                for i in range(4)
            ]
        )
        fields = {
            "hoSo.donVi.ma": "MaDonVi",
            "hoSo.trangThai": "TrangThaiHoSo",
            "ngay.tiepNhan": "NgayTiepNhan",
            "ngay.ketThuc": "NgayKetThucXuLy",
            "ngay.capNhat": "NgayCapNhat",
        }
        cfg = config(
            fake.url, items_path="result.items", paging={"type": "offset", "limit": 3}, fields=fields
        )
        result = run(store, cfg)
        assert (result.status, result.inserted, result.rejected) == ("success", 4, 0), result.error
        got = dossiers(store)["X1"]
        assert (got["unit"], got["status"], got["received"]) == ("SO-01", 9, local("2026-03-02 09:00"))
        assert got["updated"] == datetime(2026, 3, 20, 1, 0, tzinfo=UTC)
    with FakeDossierRest(auth="bearer", token=TOKEN, paging="none") as fake:
        fake.put(
            {
                "MaHoSo": "p",
                "MaTTHC": "1.004100",
                "MaDonVi": "SO-01",
                "TenTTHC": "Cấp phép",
                "MucDo": "toan_trinh",
            }
        )
        result = run(store, config(fake.url, domain="procedures", paging={"type": "none"}))
        assert (result.status, result.inserted) == ("success", 1), result.error
        with make_sessionmaker(store)() as session:
            assert session.scalar(select(Procedure.service_level)) == "full"
        assert fake.since_seen == [None]  # a catalogue is read whole


@pytest.mark.parametrize(
    "date_format", ["iso", "yyyyMMddHHmmss", "dd/MM/yyyy HH:mm:ss", "dotnet", "epoch_ms"]
)
def test_date_formats_seen_in_practice_land_as_the_same_instant(store, date_format):
    with FakeDossierRest(auth="bearer", token=TOKEN, date_format=date_format) as fake:
        fake.put(*[hs(i) for i in range(3)])
        result = run(store, config(fake.url))
        assert (result.status, result.inserted, result.rejected) == ("success", 3, 0), result.error
        got = dossiers(store)
        assert got["HS-0001"]["received"] == local("2026-03-02 09:00")
        assert got["HS-0002"]["updated"] == local("2026-03-18 08:02")


@pytest.mark.parametrize(
    "updated_format", ["iso", "iso_utc", "dd/MM/yyyy HH:mm:ss", "yyyyMMddHHmmss", "epoch_ms", "epoch_s"]
)
def test_updated_since_is_sent_in_the_configured_format(store, updated_format):
    rows = [hs(i) for i in range(3)]
    with FakeDossierRest(
        auth="bearer", token=TOKEN, updated_format=updated_format, updated_param="tuNgay"
    ) as fake:
        fake.put(*rows)
        cfg = config(fake.url, updated_format=updated_format)
        run(store, cfg)
        run(store, cfg)
        assert fake.since_seen[-1] == max_updated(rows) - timedelta(hours=1)
        sent = fake.requests[-1].arg("tuNgay")
        expected = {
            "dd/MM/yyyy HH:mm:ss": "20/03/2026 07:00:00",
            "yyyyMMddHHmmss": "20260320070000",
            "iso": "2026-03-20T07:00:00+07:00",
            "iso_utc": "2026-03-20T00:00:00Z",
            "epoch_ms": "1773964800000",
            "epoch_s": "1773964800",
        }[updated_format]
        assert sent == expected


def test_bad_rows_are_rejected_with_reasons_and_the_rest_lands(store):
    with FakeDossierRest(auth="bearer", token=TOKEN, paging="none") as fake:
        fake.put(hs(1), hs(2, MaDonVi="SO-99"), hs(3, NgayTiepNhan="31/02/2026"), hs(4, TrangThaiHoSo=12))
        result = run(store, config(fake.url, paging={"type": "none"}))
        assert (result.status, result.inserted, result.rejected) == ("success", 1, 3)
        reasons = sorted(r.reason for r in rejected(store))
        assert (
            reasons[0].startswith("NgayTiepNhan") and "SO-99" in reasons[2] and "TrangThaiHoSo" in reasons[1]
        )


# --- faults ----------------------------------------------------------------------------------------
def test_429_with_retry_after_is_honoured(store):
    with FakeDossierRest(auth="bearer", token=TOKEN) as fake:
        fake.put(*[hs(i) for i in range(5)])
        fake.inject("429", retry_after=7)
        result = run(store, config(fake.url))
        assert (result.status, result.retries, result.inserted) == ("success", 1, 5)
        assert result.sleeps[0] >= 7
        assert last_run(store).retries == 1


def test_500_then_success(store):
    with FakeDossierRest(auth="bearer", token=TOKEN) as fake:
        fake.put(*[hs(i) for i in range(5)])
        fake.inject("500")
        result = run(store, config(fake.url))
        assert (result.status, result.retries, result.inserted, result.updated) == ("success", 1, 5, 0)
        assert ("/api/hoso", 500) in fake.answered


def test_slow_answer_past_the_timeout_is_retried(store):
    with FakeDossierRest(auth="bearer", token=TOKEN) as fake:
        fake.put(*[hs(i) for i in range(5)])
        fake.inject("slow", delay=1.5)
        result = run(store, config(fake.url, timeout=0.5))
        assert (result.status, result.retries, result.inserted) == ("success", 1, 5)


@pytest.mark.parametrize("fault", ["malformed", "truncated"])
def test_malformed_or_truncated_body_writes_nothing_and_is_retried(store, fault):
    with FakeDossierRest(auth="bearer", token=TOKEN) as fake:
        fake.put(*[hs(i) for i in range(5)])
        fake.inject(fault, times=10)  # more than the retries: the run fails
        failed = run(store, config(fake.url))
        assert failed.status == "failed" and failed.retries == 4
        assert len(dossiers(store)) == 0 and watermark(store) is None and rejected(store) == []
        assert (
            ("malformed JSON" in failed.error)
            if fault == "malformed"
            else ("broke" in failed.error or "malformed" in failed.error)
        )
        fake._faults.clear()
        fake.inject(fault)
        recovered = run(store, config(fake.url))
        assert (recovered.status, recovered.retries, recovered.inserted) == ("success", 1, 5)


def test_expired_oauth2_token_is_renewed_mid_run(store):
    now = [0.0]
    with FakeDossierRest(
        auth="oauth2",
        client_id="ioc",
        client_secret=CLIENT_SECRET,
        token_lifetime_s=3600,
        clock=lambda: now[0],
    ) as fake:
        fake.put(*[hs(i) for i in range(8)])

        def after_batch(result, batch):
            if result.batches == 1:
                fake.inject("expired_token")  # the server forgets its tokens before page 2

        cfg = config(fake.url, auth={"type": "oauth2", "token_url": "/oauth/token", "client_id": "ioc"})
        result = run(store, cfg, on_batch=after_batch)
        assert (result.status, result.inserted, result.retries) == ("success", 8, 0), result.error
        assert fake.auth.token_requests == 2
        assert ("/api/hoso", 401) in fake.answered


def test_authentication_failure_fails_the_run_plainly_and_the_next_run_recovers(store, monkeypatch):
    with FakeDossierRest(auth="bearer", token=TOKEN) as fake:
        fake.put(*[hs(i) for i in range(4)])
        monkeypatch.setenv(ENV["token"], "wrong-token-SYNTH-000")
        failed = run(store, config(fake.url))
        assert (failed.status, failed.retries) == ("failed", 0)
        assert "authentication failed" in failed.error and "secrets.token" in failed.error
        assert "wrong-token-SYNTH-000" not in failed.error
        monkeypatch.setenv(ENV["token"], TOKEN)
        assert run(store, config(fake.url)).inserted == 4


def test_secrets_never_reach_logs_errors_or_rejects(store, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "collectors"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    with FakeDossierRest(auth="api_key", api_key=API_KEY, api_key_header="X-Api-Key") as fake:
        fake.put(hs(1), hs(2, MaDonVi="SO-99"))
        fake.inject("500")
        cfg = config(fake.url, auth={"type": "api_key", "query_param": "api_key"})
        run(store, cfg)
        fake.inject("429", retry_after=1)
        run(store, config(fake.url, auth={"type": "api_key", "header": "X-Api-Key"}))
    with FakeDossierRest(auth="oauth2", client_id="ioc", client_secret=CLIENT_SECRET) as fake:
        fake.put(hs(3))
        fake.inject("expired_token")
        run(store, config(fake.url, auth={"type": "oauth2", "token_url": "/oauth/token", "client_id": "ioc"}))
        issued = list(fake.auth.issued)
    with FakeDossierRest(auth="basic", username="u", password="other") as fake:
        run(store, config(fake.url, auth={"type": "basic", "username": "u"}))
    with make_sessionmaker(store)() as session:
        errors = " ".join(e or "" for e in session.scalars(select(CollectorRun.error)))
        payloads = " ".join(r.payload + r.reason for r in session.scalars(select(RejectedRecord)))
    assert "HTTP 401" in errors
    for secret in (*SECRETS, *issued):
        assert secret not in caplog.text
        assert secret not in errors
        assert secret not in payloads


# --- documentation and the demo hook -------------------------------------------------------------
def test_documented_example_runs_against_the_fake(store, monkeypatch):
    data = tomllib.loads(DOCS.read_text(encoding="utf-8"))
    with FakeDossierRest(
        auth="oauth2",
        client_id="ioc-dashboard",
        client_secret=CLIENT_SECRET,
        updated_param="tuNgay",
        updated_format="dd/MM/yyyy HH:mm:ss",
        date_format="yyyyMMddHHmmss",
    ) as fake:
        fake.put(
            *[
                hs(
                    i,
                    MaDonVi={"SO-01": "000.00.01.H01", "SO-79": "000.00.79.H79", "BMP-VP": "000.00.00.G01"}[
                        UNITS[i % 3]
                    ],
                )
                for i in range(5)
            ]
        )
        entry = data["source"][0]
        entry["options"]["url"] = fake.url
        entry["options"]["auth"]["token_url"] = f"{fake.url}/oauth/token"
        env_name = entry["secrets"]["client_secret"]
        monkeypatch.setenv(env_name, CLIENT_SECRET)
        (cfg,) = parse_sources(data, str(DOCS))
        result = Runner(store, cfg, DossierRestAdapter(cfg), sleep=lambda s: None).run()
        assert (result.status, result.inserted, result.rejected) == ("success", 5, 0), result.error
        assert {v["unit"] for v in dossiers(store).values()} == set(UNITS)


def test_demo_provider_hook_serves_a_live_database(store):
    """The demo passes a callable instead of rows: it is asked for the dossiers updated since."""
    database = {f"D{i}": hs(i, MaHoSo=f"D{i}") for i in range(4)}
    asked: list = []

    def provider(updated_since):
        asked.append(updated_since)
        return [r for r in database.values() if updated_since is None or r["NgayCapNhat"] >= updated_since]

    with FakeDossierRest(auth="bearer", token=TOKEN, provider=provider) as fake:
        cfg = config(fake.url)
        assert run(store, cfg).inserted == 4
        first_max = max_updated(database.values())
        database["D9"] = hs(9, MaHoSo="D9", NgayCapNhat=local("2026-03-25 09:00"))
        assert run(store, cfg).inserted == 1
        assert asked[0] is None and asked[-1] == first_max - timedelta(hours=1)
    assert json.dumps(sorted(dossiers(store))) == json.dumps(sorted(database))
