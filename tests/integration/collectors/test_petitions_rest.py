"""Petitions (PAKN) from a portal-style API: the ``rest`` adapter through the runner, over real HTTP
against the fake portal (paging, updated-since, faults, auth), into SQLite and PostgreSQL — and the
petitioner's personal data never stored."""

from __future__ import annotations

import logging
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from collectors.base import SourceConfig
from collectors.platforms.petitions_portal import FakePetitionsPortal
from collectors.rest import DossierRestAdapter
from collectors.runner import Runner
from collectors.sources import parse_sources
from dashboard.db import make_sessionmaker
from dashboard.models import CollectorState, OrgUnit, Petition, RejectedRecord
from dashboard.timeutil import VN_TZ

TOKEN = "pakn-token-SYNTH-91c2d7"
ENV = {"token": "IOC_TEST_PAKN_TOKEN"}
DOCS = Path(__file__).resolve().parents[3] / "docs" / "sources" / "petitions.toml"
PORTAL_UNITS = {"SO-01": "000.00.01.H01", "SO-79": "000.00.79.H79"}
FIELDS = {
    "maPAKN": "MaPAKN",
    "soHieu": "SoHieu",
    "kenhTiepNhan": "KenhTiepNhan",
    "linhVuc.ma": "LinhVuc",
    "khanCap": "KhanCap",
    "donViXuLy.ma": "MaDonVi",
    "ngayTiepNhan": "NgayTiepNhan",
    "hanXuLy": "HanXuLy",
    "trangThai": "TrangThai",
    "ngayXuLy": "NgayXuLy",
    "danhGia.mucDo": "DanhGia",
    "ngayCapNhat": "NgayCapNhat",
}


@pytest.fixture(autouse=True)
def _secrets(monkeypatch):
    monkeypatch.setenv(ENV["token"], TOKEN)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


def pakn(i: int, **changes) -> dict:
    """A portal item; update times DEcrease with the id, so pages by maPAKN are not by update time."""
    unit = ("SO-01", "SO-79")[i % 2]
    row = {
        "maPAKN": f"PAKN-{i:04d}",
        "soHieu": f"PAKN/2026/{i:05d}",
        "kenhTiepNhan": 1 + i % 5,
        "linhVuc": {"ma": ("dat-dai", "moi-truong", "giao-thong")[i % 3], "ten": "Lĩnh vực"},
        "khanCap": i % 7 == 0,
        "donViXuLy": {"ma": PORTAL_UNITS[unit], "ten": "Đơn vị"},
        "ngayTiepNhan": local(f"2026-03-{2 + i % 9:02d} 09:00"),
        "trangThai": 2,
        "ngayCapNhat": local(f"2026-03-{20 - i % 15:02d} 08:{i % 60:02d}"),
    }
    row.update(changes)
    return row


def config(url: str, **options) -> SourceConfig:
    opts = {
        "url": url,
        "path": "/api/v1/pakn",
        "items_path": "result.items",
        "paging": {"type": "page", "page_param": "pageIndex", "size_param": "pageSize", "size": 3},
        "auth": {"type": "bearer"},
        "updated_param": "tuNgay",
        "updated_format": "dd/MM/yyyy HH:mm:ss",
        "fields": FIELDS,
        "timeout": 2,
    }
    opts.update(options)
    return SourceConfig(
        name="pakn",
        domain="petitions",
        adapter="rest",
        interval_s=600,
        options=opts,
        secrets=dict(ENV),
        lookback_s=3600,
        units={v: k for k, v in PORTAL_UNITS.items()},
    )


def run(store, cfg, **kwargs):
    sleeps: list[float] = []
    result = Runner(store, cfg, DossierRestAdapter(cfg), sleep=sleeps.append, **kwargs).run()
    result.sleeps = sleeps
    return result


def petitions(store) -> dict[str, Petition]:
    with make_sessionmaker(store)() as session:
        codes = dict(session.execute(select(OrgUnit.id, OrgUnit.code)).all())
        rows = list(session.scalars(select(Petition)))
        for r in rows:
            r.unit_code = codes[r.unit_id]
            session.expunge(r)
        return {r.source_id: r for r in rows}


def rejects(store) -> list[RejectedRecord]:
    with make_sessionmaker(store)() as session:
        return list(session.scalars(select(RejectedRecord).order_by(RejectedRecord.id)))


def watermark(store):
    with make_sessionmaker(store)() as session:
        return session.scalar(select(CollectorState.watermark).where(CollectorState.source == "pakn"))


def test_pages_land_each_petition_once_mapped_and_a_rerun_changes_nothing(store):
    rows = [pakn(i) for i in range(8)]
    rows[1] |= {"trangThai": 4, "ngayXuLy": local("2026-03-12 10:00"), "danhGia": {"mucDo": 1}}
    with FakePetitionsPortal(auth="bearer", token=TOKEN) as fake:
        fake.put(*rows)
        first = run(store, config(fake.url))
        assert (first.status, first.rows_read, first.inserted, first.rejected) == ("success", 8, 8, 0), (
            first.error
        )
        assert first.batches == 3  # pages of 3
        assert [r.arg("pageIndex") for r in fake.requests] == ["1", "2", "3"]
        got = petitions(store)
        p1 = got["PAKN-0001"]
        assert (p1.unit_code, p1.reference, p1.channel, p1.category, p1.status, p1.rating) == (
            "SO-79",
            "PAKN/2026/00001",
            2,
            "moi-truong",
            4,
            1,
        )
        assert p1.received_day == date(2026, 3, 3) and p1.handled_day == date(2026, 3, 12)
        # No deadline from the portal: moi-truong allows 10 working days, from 3/3 → 17/3.
        assert p1.deadline_computed and p1.deadline_day == date(2026, 3, 17)
        # PAKN-0000 is urgent (khanCap): 3 working days from Monday 2/3 → Thursday 5/3.
        assert got["PAKN-0000"].is_urgent and got["PAKN-0000"].deadline_day == date(2026, 3, 5)
        newest = max(r["ngayCapNhat"] for r in rows)
        assert watermark(store) == {"updated": newest.isoformat()}
        second = run(store, config(fake.url))
        assert (second.status, second.inserted, second.updated) == ("success", 0, 0)
        assert fake.since_seen[-1] == newest - timedelta(hours=1)
        assert fake.requests[-1].arg("tuNgay") == (newest - timedelta(hours=1)).strftime("%d/%m/%Y %H:%M:%S")


def test_incremental_run_picks_up_a_handled_petition_and_a_new_one(store):
    with FakePetitionsPortal(auth="bearer", token=TOKEN) as fake:
        fake.put(*[pakn(i) for i in range(5)])
        run(store, config(fake.url))
        later = local("2026-03-21 10:00")
        fake.put(
            pakn(2, trangThai=3, ngayXuLy=local("2026-03-21 09:00"), danhGia={"mucDo": 3}, ngayCapNhat=later),
            pakn(40, ngayCapNhat=later + timedelta(minutes=1)),
        )
        again = run(store, config(fake.url))
        assert (again.status, again.inserted, again.updated) == ("success", 1, 1)
        got = petitions(store)
        assert got["PAKN-0002"].status == 3 and got["PAKN-0002"].rating == 3 and "PAKN-0040" in got


def test_the_petitioner_is_never_stored_and_the_dropped_fields_are_reported(store, caplog):
    caplog.set_level(logging.WARNING)
    with FakePetitionsPortal(auth="bearer", token=TOKEN, paging="none") as fake:
        fake.put(pakn(1), pakn(2, trangThai=9), pakn(3, soDienThoaiLienHe="0987654321"))
        result = run(store, config(fake.url, paging={"type": "none"}))
        served = fake.requests[-1]
    assert served.path == "/api/v1/pakn"
    assert (result.status, result.inserted, result.rejected) == ("success", 2, 1), result.error
    found = rejects(store)
    kinds = [r.kind for r in found]
    assert sorted(kinds) == ["personal", "row"]
    text = " ".join(r.payload + r.reason for r in found)
    for secret in ("Người dân thử nghiệm", "Đường Thử Nghiệm", "@example.invalid", "0987654321"):
        assert secret not in text
        assert secret not in caplog.text
    note = next(r for r in found if r.kind == "personal")
    assert "nguoiPhanAnh" in note.reason and "soDienThoaiLienHe" in note.reason
    assert "personal data fields dropped" in caplog.text
    row = next(r for r in found if r.kind == "row")
    assert "TrangThai" in row.reason and "nguoiPhanAnh" not in row.payload
    # The Sources page and the rejects view show the note in words, in both languages.
    from dashboard.rejects import export_rows, recent_rejects

    with make_sessionmaker(store)() as session:
        views = recent_rejects(session, "pakn")
    for lang, words in (("vi", "Dữ liệu cá nhân đã bỏ"), ("en", "Personal data dropped")):
        assert any(words in str(row.values()) for row in export_rows(views, lang, VN_TZ))
    # A second run the same day with the same fields adds no second note (the log says it, once a run).
    with FakePetitionsPortal(auth="bearer", token=TOKEN, paging="none") as fake:
        fake.put(pakn(4, soDienThoaiLienHe="0900000000", ngayCapNhat=local("2026-03-25 09:00")))
        again = run(store, config(fake.url, paging={"type": "none"}))
    assert again.inserted == 1 and [r.kind for r in rejects(store)].count("personal") == 1


def test_bad_rows_are_rejected_with_reasons_and_the_rest_lands(store):
    with FakePetitionsPortal(auth="bearer", token=TOKEN, paging="none") as fake:
        fake.put(
            pakn(1),
            pakn(2, donViXuLy={"ma": "000.00.99.H99"}),
            pakn(3, ngayTiepNhan="31/02/2026 09:00:00"),
            pakn(4, trangThai=3),  # handled without a handled time
            pakn(5, linhVuc={"ma": None}),
            pakn(6, kenhTiepNhan=9),
            pakn(7, trangThai=3, ngayXuLy=local("2026-03-01 08:00")),  # before it was received
        )
        result = run(store, config(fake.url, paging={"type": "none"}))
    assert (result.status, result.inserted, result.rejected) == ("success", 1, 6)
    reasons = " | ".join(r.reason for r in rejects(store) if r.kind == "row")
    for expected in (
        "unknown unit '000.00.99.H99'",
        "NgayTiepNhan",
        "without NgayXuLy",
        "missing LinhVuc",
        "KenhTiepNhan",
        "is before NgayTiepNhan",
    ):
        assert expected in reasons


@pytest.mark.parametrize("fault", ["500", "slow", "malformed"])
def test_faults_are_retried_and_the_run_completes(store, fault):
    with FakePetitionsPortal(auth="bearer", token=TOKEN) as fake:
        fake.put(*[pakn(i) for i in range(5)])
        fake.inject(fault, delay=1.5) if fault == "slow" else fake.inject(fault)
        result = run(store, config(fake.url, timeout=0.5))
    assert (result.status, result.retries, result.inserted) == ("success", 1, 5), result.error


def test_a_5xx_storm_mid_run_keeps_whole_pages_and_the_next_run_recovers(store):
    with FakePetitionsPortal(auth="bearer", token=TOKEN) as fake:
        fake.put(*[pakn(i) for i in range(8)])

        def after_batch(result, batch):
            if result.batches == 1:
                fake.inject("500", times=20)

        failed = run(store, config(fake.url), on_batch=after_batch)
        assert failed.status == "partial" and "HTTP 500" in failed.error
        assert len(petitions(store)) == 3 and watermark(store) is None
        fake._faults.clear()
        again = run(store, config(fake.url))
        assert (again.status, again.inserted) == ("success", 5) and len(petitions(store)) == 8


def test_authentication_failure_fails_plainly_and_an_expired_oauth2_token_is_renewed(store, monkeypatch):
    with FakePetitionsPortal(auth="bearer", token=TOKEN) as fake:
        fake.put(pakn(1))
        monkeypatch.setenv(ENV["token"], "wrong-SYNTH-000")
        failed = run(store, config(fake.url))
        assert (failed.status, failed.retries) == ("failed", 0)
        assert "authentication failed" in failed.error and "wrong-SYNTH-000" not in failed.error
    monkeypatch.setenv("IOC_TEST_PAKN_SECRET", "pakn-client-SYNTH-4411")
    with FakePetitionsPortal(auth="oauth2", client_id="ioc", client_secret="pakn-client-SYNTH-4411") as fake:
        fake.put(*[pakn(i) for i in range(7)])

        def after_batch(result, batch):
            if result.batches == 1:
                fake.inject("expired_token")

        cfg = config(fake.url, auth={"type": "oauth2", "token_url": "/oauth/token", "client_id": "ioc"})
        cfg.secrets["client_secret"] = "IOC_TEST_PAKN_SECRET"
        result = run(store, cfg, on_batch=after_batch)
        assert (result.status, result.inserted) == ("success", 7), result.error
        assert fake.auth.token_requests == 2 and ("/api/v1/pakn", 401) in fake.answered


def test_documented_example_runs_against_the_fake(store, monkeypatch):
    data = tomllib.loads(DOCS.read_text(encoding="utf-8"))
    with FakePetitionsPortal(auth="bearer", token=TOKEN) as fake:
        fake.put(*[pakn(i, hanXuLy=local("2026-03-20 17:00")) for i in range(6)])
        entry = data["source"][0]
        entry["options"]["url"] = fake.url
        monkeypatch.setenv(entry["secrets"]["token"], TOKEN)
        (cfg,) = parse_sources(data, str(DOCS))
        result = Runner(store, cfg, DossierRestAdapter(cfg), sleep=lambda s: None).run()
        assert (result.status, result.inserted, result.rejected) == ("success", 6, 0), result.error
    got = petitions(store)
    assert {p.unit_code for p in got.values()} == {"SO-01", "SO-79"}
    assert all(not p.deadline_computed and p.deadline_day == date(2026, 3, 20) for p in got.values())


def test_a_bad_deadlines_option_is_a_configuration_problem():
    from collectors.sources import SourcesError

    data = tomllib.loads(DOCS.read_text(encoding="utf-8"))
    data["source"][0]["options"]["deadlines"] = {"default": 0}
    with pytest.raises(SourcesError, match="options.deadlines.default: expected a number of working days"):
        parse_sources(data, "sources.toml")
