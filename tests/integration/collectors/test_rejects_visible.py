"""Rejected data is visible where operators look: the source's health says a file was refused
(not "healthy"), lists the latest rejects with reasons in both languages, the rejects view
exports them, and `ioc collect rejects SOURCE` prints them."""

from __future__ import annotations

from sqlalchemy import select

from collectors.base import SourceConfig
from collectors.file import FileAdapter
from collectors.runner import Runner
from dashboard.db import make_sessionmaker
from dashboard.exports import to_csv
from dashboard.health import domain_freshness, source_health
from dashboard.models import RejectedRecord
from dashboard.rejects import export_rows, recent_rejects
from dashboard.timeutil import VN_TZ
from tests.integration.collectors.test_collect_cli import ioc, ioc_env
from tests.integration.collectors.test_runner_file import COLUMNS, EXPORT


def hop(folder) -> SourceConfig:
    return SourceConfig(
        name="hop",
        domain="meetings",
        adapter="file",
        interval_s=60,
        options={"folder": str(folder), "columns": COLUMNS, "settle_seconds": 0},
    )


def collect_bad_files(store, tmp_path) -> SourceConfig:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a-hop.csv").write_text(EXPORT, encoding="utf-8")  # 2 rows land, 3 rejected
    # a web page saved as CSV: refused whole
    (folder / "b-trang-web.csv").write_text(
        "<!DOCTYPE html><html><body><h1>Lỗi 500</h1></body></html>\n", encoding="utf-8"
    )
    config = hop(folder)
    result = Runner(store, config, FileAdapter(config), sleep=lambda s: None).run()
    assert (result.status, result.inserted, result.rejected) == ("success", 2, 4)
    return config


def test_a_refused_file_is_not_healthy_and_its_reason_is_listed(store, tmp_path):
    config = collect_bad_files(store, tmp_path)
    with make_sessionmaker(store)() as session:
        (health,) = source_health(session, [config])
        kinds = sorted(session.scalars(select(RejectedRecord.kind)))
        rejects = recent_rejects(session, "hop")
    assert kinds == ["file", "row", "row", "row"]
    assert health.state == "refused" and health.files_refused_24h == 1
    assert domain_freshness([health])["meetings"].state == "refused"
    first = health.latest_rejects[0]
    assert (first.kind, first.where) == ("file", "b-trang-web.csv")
    assert first.plain.vi.startswith("Không tìm thấy dòng tiêu đề với các cột đã cấu hình")
    assert first.plain.en.startswith("No header row with the configured columns")
    assert [r.where for r in health.latest_rejects[1:]] == ["a-hop.csv:9", "a-hop.csv:8"]
    assert len(rejects) == 4
    exported = to_csv(export_rows(rejects, "vi", VN_TZ)).decode("utf-8-sig").splitlines()
    assert exported[0] == "Thời điểm;Loại;Tệp;Dòng;Lý do;Chi tiết kỹ thuật;Dữ liệu gốc"
    assert ";Cả tệp bị từ chối;b-trang-web.csv;;Không tìm thấy dòng tiêu đề" in exported[1]
    assert len(exported) == 5


def test_collect_rejects_prints_them(store, tmp_path):
    collect_bad_files(store, tmp_path)
    env = ioc_env(store, tmp_path)
    out = ioc(["collect", "rejects", "hop", "--limit", "2"], env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "hop: the latest 2 reject(s), newest first"
    assert "file      b-trang-web.csv  no header row with the configured columns found" in lines[1]
    assert lines[2].strip().startswith("Không tìm thấy dòng tiêu đề")  # the default language is Vietnamese
    assert "row       a-hop.csv:9  status: code '9' outside the table (1–4)" in lines[3]
    only_files = ioc(["collect", "rejects", "hop", "--kind", "file"], env)
    assert only_files.stdout.splitlines()[0] == "hop: the latest 1 reject(s), newest first"
    none = ioc(["collect", "rejects", "nope"], env)
    assert (none.returncode, none.stdout.strip()) == (0, "nope: nothing rejected")
