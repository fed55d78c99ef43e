"""Data-quality rules with reasons: an id twice in one batch is kept once and the rest reported
as "duplicate"; events dated later than now + the source's tolerance are rejected as "future
date"; a SQLite source that is not there is an error naming its path, and nothing is created."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from collectors.file import FileAdapter
from collectors.runner import Runner
from collectors.sources import load_sources
from collectors.sql import SqlAdapter
from dashboard.db import make_sessionmaker
from dashboard.health import explain_error
from dashboard.models import Document, Meeting, RejectedRecord
from dashboard.sourceerrors import ErrorKind
from dashboard.timeutil import utcnow
from tests.integration.collectors.conftest import doc, sql_source
from tests.integration.collectors.test_rejects_visible import hop
from tests.integration.collectors.test_runner_file import HEADER


def _rejects(store) -> list[tuple[str, int | None, str]]:
    with make_sessionmaker(store)() as session:
        return [
            (r.kind, r.line_no, r.reason)
            for r in session.scalars(select(RejectedRecord).order_by(RejectedRecord.id))
        ]


def test_an_id_twice_in_one_file_is_kept_once_and_reported(store, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "hop.csv").write_text(
        f"{HEADER}\n"
        "H-1;SO-01;Giao ban tuần;2;02/03/2026 08:00;02/03/2026 09:30;3;45\n"
        "H-2;SO-79;Họp chuyên đề;2;03/03/2026 14:00;03/03/2026 16:00;5;20\n"
        "H-1;SO-01;Giao ban (sửa);2;02/03/2026 08:00;02/03/2026 10:30;9;99\n",
        encoding="utf-8",
    )
    config = hop(folder)
    result = Runner(store, config, FileAdapter(config), sleep=lambda s: None).run()
    assert (result.rows_read, result.inserted, result.rejected) == (3, 2, 1)
    assert _rejects(store) == [
        ("duplicate", 4, "duplicate id 'H-1' in one batch (first on line 2): the first row was kept")
    ]
    with make_sessionmaker(store)() as session:
        kept = session.scalars(select(Meeting).where(Meeting.source_id == "H-1")).one()
    assert (kept.title, kept.participants_peak) == ("Giao ban tuần", 45)


def test_dates_in_the_future_beyond_the_tolerance_are_rejected(store, docsys):
    soon = (utcnow() + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    docsys.put(
        doc(1),
        doc(2, registered_at="2031-03-02T08:15:00", updated_at="2026-03-02T08:20:00"),
        doc(3, registered_at=soon, updated_at="2026-03-02T08:21:00"),  # within the default hour
        doc(4, due_at="2031-12-31T17:00:00", updated_at="2026-03-02T08:22:00"),  # deadlines may lie ahead
    )
    config = sql_source(docsys.url)
    result = Runner(store, config, SqlAdapter(config), sleep=lambda s: None).run()
    assert (result.inserted, result.rejected) == (3, 1)
    ((kind, _, reason),) = _rejects(store)
    assert kind == "future"
    assert reason.startswith("future date: registered_at 2031-03-02T08:15:00+07:00 is later than now + 1 h")
    with make_sessionmaker(store)() as session:
        assert sorted(session.scalars(select(Document.source_id))) == ["VB-00001", "VB-00003", "VB-00004"]
    strict = sql_source(docsys.url, name="strict", future_tolerance_s=60)
    docsys.put(doc(5, registered_at=soon, updated_at="2026-03-02T08:23:00"))
    assert (
        Runner(store, strict, SqlAdapter(strict), sleep=lambda s: None).run().rejected == 3
    )  # VB-2, VB-3, VB-5


def test_future_tolerance_is_a_source_setting(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[source]]\nname = "qlvb"\ndomain = "documents"\nadapter = "sql"\nfuture_tolerance = "10m"\n'
        '[source.options]\nurl = "sqlite:///x.sqlite3"\n',
        encoding="utf-8",
    )
    (config,) = load_sources(path)
    assert config.future_tolerance_s == 600


def test_a_missing_sqlite_source_is_an_error_naming_the_path_and_nothing_is_created(store, tmp_path):
    missing = tmp_path / "qlvb" / "qlvb.sqlite3"
    missing.parent.mkdir()
    config = sql_source(f"sqlite:///{missing}")
    result = Runner(store, config, SqlAdapter(config), sleep=lambda s: None).run()
    assert result.status == "failed"
    assert result.error.startswith(f"source 'qlvb': SQLite database {missing} does not exist")
    assert list(missing.parent.iterdir()) == []  # no empty database left at the source's path
    assert (result.error_kind, result.error_detail) == (ErrorKind.SOURCE_MISSING, str(missing))
    plain = explain_error(result.error, result.error_kind, result.error_detail)
    assert plain.vi.startswith(f"Không có tệp/thư mục của nguồn tại {missing}")
    with make_sessionmaker(store)() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 0
