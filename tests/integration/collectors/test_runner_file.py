"""The runner with the real file adapter: a real export lands whole, bad rows and bad files are
rejected with reasons and line numbers, nothing is imported twice."""

from sqlalchemy import func, select

from collectors.base import SourceConfig
from collectors.file import FileAdapter
from collectors.runner import Runner
from dashboard import rollups
from dashboard.db import make_sessionmaker
from dashboard.models import Meeting, RejectedRecord

COLUMNS = {
    "Mã cuộc họp": "meeting_id",
    "Đơn vị": "unit_code",
    "Tiêu đề": "title",
    "Trạng thái": "status",
    "Bắt đầu": "start_at",
    "Kết thúc": "end_at",
    "Số điểm cầu kết nối": "endpoints_connected",
    "Số người tham dự": "participants",
}
HEADER = "Mã cuộc họp;Đơn vị;Tiêu đề;Trạng thái;Bắt đầu;Kết thúc;Số điểm cầu kết nối;Số người tham dự"
EXPORT = (
    "BÁO CÁO CUỘC HỌP TRỰC TUYẾN;;;;;;;\n"
    "Từ ngày 01/03/2026 đến 31/03/2026;;;;;;;\n"
    ";;;;;;;\n"
    f"{HEADER}\n"
    "H-1;SO-01;Giao ban tuần;2;02/03/2026 08:00;02/03/2026 09:30;3;45\n"
    "H-2;SO-79;Họp trực tuyến với các Sở;2;03/03/2026 14:00;03/03/2026 16:00;28;120\n"
    "H-3;SO-48;Họp chuyên đề;2;04/03/2026 08:00;04/03/2026 10:00;-2;10\n"
    "H-4;SO-01;Họp sai giờ;2;05/03/2026 10:00;05/03/2026 09:00;1;5\n"
    "H-5;SO-01;Trạng thái lạ;9;06/03/2026 10:00;06/03/2026 11:00;1;5\n"
    "Tổng cộng;;;;;;34;185\n"
)


def source(folder) -> SourceConfig:
    return SourceConfig(
        name="hop",
        domain="meetings",
        adapter="file",
        interval_s=60,
        options={"folder": str(folder), "columns": COLUMNS, "settle_seconds": 0},
    )


def run(store, folder):
    config = source(folder)
    return Runner(store, config, FileAdapter(config), sleep=lambda s: None).run()


def test_a_real_export_lands_with_its_bad_rows_rejected_by_line(store, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "hop-2026-03.csv").write_bytes(("\ufeff" + EXPORT).encode("utf-8"))
    result = run(store, folder)
    assert (result.status, result.inserted, result.rejected) == ("success", 2, 3)
    assert (folder / "archive" / "hop-2026-03.csv").exists() and not (folder / "hop-2026-03.csv").exists()
    with make_sessionmaker(store)() as session:
        rejects = {r.line_no: r.reason for r in session.scalars(select(RejectedRecord))}
        h2 = session.scalars(select(Meeting).where(Meeting.source_id == "H-2")).one()
        assert session.scalar(select(func.count()).select_from(Meeting)) == 2
        assert rollups.stored(session) == rollups.recompute_all(session)
    assert rejects[7] == "endpoints_connected: negative count -2"
    assert rejects[8].startswith("end_at 2026-03-05T09:00:00+07:00 is before start_at")
    assert rejects[9] == "status: code '9' outside the table (1–4)"
    assert (h2.endpoints_connected, h2.participants_peak, h2.duration_min, str(h2.start_day)) == (
        28,
        120,
        120.0,
        "2026-03-03",
    )
    # Nothing left to read: the next run imports nothing and rejects nothing.
    assert (run(store, folder).rows_read, run(store, folder).rejected) == (0, 0)


def test_a_file_in_the_wrong_encoding_is_rejected_whole_and_moved_aside(store, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    # Saved from an old Windows tool in the Vietnamese code page: not UTF-8.
    (folder / "latin.csv").write_bytes(
        (HEADER + "\nH-9;SO-01;Giao ban;2;;;1;1\n").encode("cp1258", errors="replace")
    )
    (folder / "hop.csv").write_bytes(b"\x00\xff garbage \xfe\x00" * 50)
    result = run(store, folder)
    with make_sessionmaker(store)() as session:
        rejects = list(session.scalars(select(RejectedRecord)))
        assert session.scalar(select(func.count()).select_from(Meeting)) == 0
    assert result.status == "success"
    assert len(rejects) == 2 and all(r.file_name in {"hop.csv", "latin.csv"} for r in rejects)
    assert sorted(p.name for p in (folder / "failed").iterdir()) == [
        "hop.csv",
        "hop.csv.reason.txt",
        "latin.csv",
        "latin.csv.reason.txt",
    ]
    assert (
        (folder / "failed" / "latin.csv.reason.txt")
        .read_text(encoding="utf-8")
        .startswith("latin.csv is not valid UTF-8 on line 1 (byte 0xD0)")
    )


def test_a_file_whose_commit_never_happened_is_read_again_whole(store, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "hop.csv").write_text(EXPORT, encoding="utf-8")
    config = source(folder)

    class CrashBeforeArchive(FileAdapter):
        def batches(self, watermark):
            for batch in super().batches(watermark):
                batch.after_commit = None  # the process died between commit and archive
                yield batch

    first = Runner(store, config, CrashBeforeArchive(config)).run()
    second = run(store, folder)
    assert (first.inserted, second.inserted, second.updated) == (2, 0, 0)
    with make_sessionmaker(store)() as session:
        assert session.scalar(select(func.count()).select_from(Meeting)) == 2
