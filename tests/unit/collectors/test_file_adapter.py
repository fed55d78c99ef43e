"""FileAdapter on real files written into tmp_path, one test per quirk of real exports."""

from __future__ import annotations

import codecs
import os
import time
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest

from collectors.base import Batch, FatalSourceError, SourceConfig
from collectors.file import FileAdapter

COLUMNS = {
    "Mã văn bản": "doc_id",
    "Đơn vị": "unit_code",
    "Ngày đăng ký": "registered_at",
    "Số ngày xử lý": "days",
}

# A report as the document system exports it: UTF-8 with BOM, ";" separators, title rows merged
# across the columns, a blank line, day-first dates, decimal commas and a totals row.
REPORT = (
    "\ufeffBÁO CÁO VĂN BẢN ĐẾN;;;;\r\n"  # 1
    "Từ ngày 01/03/2025 đến 31/03/2025;;;;\r\n"  # 2
    "\r\n"  # 3
    "STT;Mã văn bản;Đơn vị;Ngày đăng ký;Số ngày xử lý\r\n"  # 4
    "1;VB-001;STP;03/03/2025;2,5\r\n"  # 5
    "2;VB-002;SYT;14/03/2025 09:30;1.234,5\r\n"  # 6
    ";;;;\r\n"  # 7
    "3;VB-003;;31/03/2025;\r\n"  # 8
    "Tổng cộng;;;;1.237\r\n"  # 9
)


def make_adapter(folder: Path, **options) -> FileAdapter:
    options = {"folder": str(folder), "columns": COLUMNS, "settle_seconds": 0, **options}
    return FileAdapter(SourceConfig(name="qlvb-export", domain="documents", adapter="file", options=options))


def write(
    folder: Path,
    name: str,
    content: str | bytes,
    encoding: str = "utf-8",
    age: float = 60,
    now: float | None = None,
) -> Path:
    """A finished export, last modified ``age`` seconds before ``now``."""
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    stamp = (time.time() if now is None else now) - age
    os.utime(path, (stamp, stamp))
    return path


def file_batches(adapter: FileAdapter, watermark=None) -> list[Batch]:
    """One batch per file, the file's streamed batches put together (the "reading" markers left out)."""
    merged: dict[str, Batch] = {}
    for batch in adapter.batches(watermark):
        if batch.description.endswith(": reading"):
            continue
        whole = merged.setdefault(batch.description, Batch(rows=[], description=batch.description))
        whole.rows += batch.rows
        whole.rejects += batch.rejects
        whole.watermark, whole.after_commit = batch.watermark or whole.watermark, batch.after_commit
    return list(merged.values())


def only_batch(adapter: FileAdapter):
    batches = file_batches(adapter)
    assert len(batches) == 1
    return batches[0]


def rows_of(batch) -> list[tuple[int, dict]]:
    return [(row.line_no, row.data) for row in batch.rows]


# -- the real-export quirks ------------------------------------------------------------------------


def test_report_with_bom_titles_blank_lines_and_totals_gives_raw_values_with_physical_lines(tmp_path):
    write(tmp_path, "vbden_202503.csv", REPORT)
    batch = only_batch(make_adapter(tmp_path))

    assert batch.description == "vbden_202503.csv"
    assert batch.rejects == []
    assert rows_of(batch) == [
        (5, {"doc_id": "VB-001", "unit_code": "STP", "registered_at": "03/03/2025", "days": "2,5"}),
        (6, {"doc_id": "VB-002", "unit_code": "SYT", "registered_at": "14/03/2025 09:30", "days": "1.234,5"}),
        (8, {"doc_id": "VB-003", "unit_code": None, "registered_at": "31/03/2025", "days": None}),
    ]
    assert {row.file_name for row in batch.rows} == {"vbden_202503.csv"}
    assert batch.watermark["last_file"] == "vbden_202503.csv"
    assert batch.watermark["last_mtime"] == pytest.approx((tmp_path / "vbden_202503.csv").stat().st_mtime)


def test_headers_match_across_nfd_case_spacing_and_canonical_names(tmp_path):
    nfd_header = unicodedata.normalize("NFD", "Mã văn bản")
    assert nfd_header != "Mã văn bản"
    content = (
        f"{nfd_header};  ĐƠN   VỊ ;registered_at;Ghi chú\n"
        f"VB-001;{unicodedata.normalize('NFD', 'Sở Tư pháp')};03/03/2025;not mapped\n"
    )
    write(tmp_path, "nfd.csv", content)
    batch = only_batch(make_adapter(tmp_path))

    assert rows_of(batch) == [
        (2, {"doc_id": "VB-001", "unit_code": "Sở Tư pháp", "registered_at": "03/03/2025"}),
    ]
    # text values come out composed, so "Sở Tư pháp" matches however it was typed
    assert unicodedata.is_normalized("NFC", batch.rows[0].data["unit_code"])


@pytest.mark.parametrize(
    "codec, bom",
    [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE), ("utf-16-le", b"")],
    ids=["le-bom", "be-bom", "le-no-bom"],
)
def test_utf16_with_bom_and_tabs(tmp_path, codec, bom):
    content = "Danh sách văn bản\nMã văn bản\tĐơn vị\tNgày đăng ký\nVB-001\tSTP\t03/03/2025\n"
    write(tmp_path, "export.csv", bom + content.encode(codec))
    batch = only_batch(make_adapter(tmp_path))

    assert batch.rejects == []
    assert rows_of(batch) == [(3, {"doc_id": "VB-001", "unit_code": "STP", "registered_at": "03/03/2025"})]


def test_comma_separated_file_keeps_quoted_decimal_commas(tmp_path):
    content = 'Mã văn bản,Đơn vị,Số ngày xử lý\nVB-001,STP,"2,5"\n'
    write(tmp_path, "comma.csv", content)
    batch = only_batch(make_adapter(tmp_path))

    assert rows_of(batch) == [(2, {"doc_id": "VB-001", "unit_code": "STP", "days": "2,5"})]


def test_excel_sep_hint_line_sets_the_delimiter(tmp_path):
    # Excel honours a "sep=" first line; "|" is not among the separators tried automatically
    content = "sep=|\nMã văn bản|Đơn vị\nVB-001|STP\n"
    write(tmp_path, "hint.csv", content)
    batch = only_batch(make_adapter(tmp_path))

    assert rows_of(batch) == [(3, {"doc_id": "VB-001", "unit_code": "STP"})]


def test_line_with_extra_cells_is_rejected_alone_and_short_lines_are_padded(tmp_path):
    content = (
        "Mã văn bản;Đơn vị;Số ngày xử lý\n"  # 1
        "VB-001;STP;2,5\n"  # 2
        "VB-002;SYT;2;5\n"  # 3: "2;5" typed with the wrong separator
        "VB-003;SXD;1;\n"  # 4: a trailing separator is harmless
        "VB-004\n"  # 5
    )
    write(tmp_path, "shifted.csv", content)
    batch = only_batch(make_adapter(tmp_path))

    assert rows_of(batch) == [
        (2, {"doc_id": "VB-001", "unit_code": "STP", "days": "2,5"}),
        (4, {"doc_id": "VB-003", "unit_code": "SXD", "days": "1"}),
        (5, {"doc_id": "VB-004", "unit_code": None, "days": None}),
    ]
    assert len(batch.rejects) == 1
    reject = batch.rejects[0]
    assert (reject.line_no, reject.file_name) == (3, "shifted.csv")
    assert "4 cells" in reject.reason and "header has 3" in reject.reason
    assert reject.payload["cells"] == ["VB-002", "SYT", "2", "5"]


def test_line_numbers_stay_physical_after_a_multiline_quoted_value(tmp_path):
    content = (
        "Mã văn bản;Đơn vị;Trích yếu\n"  # 1
        'VB-001;STP;"Về việc triển khai\nkế hoạch năm 2025"\n'  # 2-3
        "VB-002;SYT;Báo cáo\n"  # 4
    )
    write(tmp_path, "multiline.csv", content)
    batch = only_batch(make_adapter(tmp_path))

    assert [row.line_no for row in batch.rows] == [2, 4]


def test_totals_markers_skip_totals_but_not_unit_names_that_start_like_them(tmp_path):
    content = (
        "Đơn vị;Mã văn bản\n"  # 1
        "Tổng cục Thuế;VB-001\n"  # 2: an agency, not a total
        "Cộng đồng dân cư;VB-002\n"  # 3
        "Cộng:;2\n"  # 4: subtotal
        "TỔNG CỘNG;2\n"  # 5
        "Total 2;\n"  # 6
    )
    write(tmp_path, "units.csv", content)
    batch = only_batch(make_adapter(tmp_path))

    assert rows_of(batch) == [
        (2, {"unit_code": "Tổng cục Thuế", "doc_id": "VB-001"}),
        (3, {"unit_code": "Cộng đồng dân cư", "doc_id": "VB-002"}),
    ]


def test_cp1258_is_read_when_configured(tmp_path):
    write(tmp_path, "win.csv", _cp1258("Mã văn bản;Đơn vị\nVB-001;Sở Tư pháp\n"))
    batch = only_batch(make_adapter(tmp_path, encoding="cp1258"))

    assert rows_of(batch) == [(2, {"doc_id": "VB-001", "unit_code": "Sở Tư pháp"})]


def test_xlsx_with_title_row_datetimes_and_numbers(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "Ghi chú"
    notes.append(["Sheet chosen by options.sheet, not the first one"])
    sheet = workbook.create_sheet("Báo cáo")
    sheet.append(["BÁO CÁO VĂN BẢN ĐẾN THÁNG 3/2025"])  # 1
    sheet.merge_cells("A1:D1")
    sheet.append([])  # 2
    sheet.append(["STT", "Mã văn bản", "Đơn vị", "Ngày đăng ký", "Số ngày xử lý"])  # 3
    sheet.append([1, "VB-001", "STP", datetime(2025, 3, 3, 9, 30), 2.5])  # 4
    sheet.append([2, "VB-002", "  ", datetime(2025, 3, 14), 3])  # 5
    sheet.append(["Tổng cộng", None, None, None, 5.5])  # 6
    workbook.save(tmp_path / "bao_cao.xlsx")

    batch = only_batch(make_adapter(tmp_path, pattern=["*.csv", "*.xlsx"], sheet="Báo cáo"))

    assert batch.rejects == []
    assert rows_of(batch) == [
        (
            4,
            {
                "doc_id": "VB-001",
                "unit_code": "STP",
                "registered_at": datetime(2025, 3, 3, 9, 30),
                "days": 2.5,
            },
        ),
        (5, {"doc_id": "VB-002", "unit_code": None, "registered_at": datetime(2025, 3, 14), "days": 3}),
    ]


def test_xlsx_default_is_the_first_sheet(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    workbook.active.append(["Mã văn bản", "Đơn vị"])
    workbook.active.append(["VB-001", "STP"])
    other = workbook.create_sheet("Khác")
    other.append(["Mã văn bản", "Đơn vị"])
    other.append(["VB-999", "XXX"])
    workbook.active = 1  # the sheet open when saved is not what we read
    workbook.save(tmp_path / "first.xlsx")

    batch = only_batch(make_adapter(tmp_path, pattern="*.xlsx"))

    assert rows_of(batch) == [(2, {"doc_id": "VB-001", "unit_code": "STP"})]


# -- files that cannot be read at all --------------------------------------------------------------


def _assert_rejected_whole(tmp_path: Path, name: str, batch, *fragments: str) -> None:
    assert batch.rows == []
    assert len(batch.rejects) == 1
    reject = batch.rejects[0]
    assert reject.file_name == name
    assert reject.payload["file"] == name
    assert len(reject.payload["first_line"]) <= 200
    for fragment in fragments:
        assert fragment in reject.reason
    batch.after_commit()
    assert not (tmp_path / name).exists()
    assert (tmp_path / "failed" / name).exists()
    assert not (tmp_path / "archive").exists()


def test_file_without_a_header_is_rejected_whole_and_moved_to_failed(tmp_path):
    content = "BÁO CÁO TỔNG HỢP\n" + "Mã;Tên;Ngày\n" + "VB-001;x;03/03/2025\n" * 40
    write(tmp_path, "wrong_report.csv", content)
    batch = only_batch(make_adapter(tmp_path))

    _assert_rejected_whole(
        tmp_path,
        "wrong_report.csv",
        batch,
        "no header row",
        "first 30 lines of wrong_report.csv",
        "options.columns",
    )
    assert batch.rejects[0].payload["first_line"] == "BÁO CÁO TỔNG HỢP"


def test_header_below_line_30_is_not_found(tmp_path):
    write(tmp_path, "late.csv", "Tiêu đề\n" * 30 + "Mã văn bản;Đơn vị\nVB-001;STP\n")
    batch = only_batch(make_adapter(tmp_path))

    _assert_rejected_whole(tmp_path, "late.csv", batch, "no header row")


def test_undecodable_bytes_reject_the_file_and_point_at_cp1258(tmp_path):
    content = _cp1258("Mã văn bản;Đơn vị\nVB-001;STP\nVB-002;Sở Tư pháp\n")
    write(tmp_path, "windows.csv", content)
    batch = only_batch(make_adapter(tmp_path))

    # the header's "ã" is already undecodable, so the problem is on line 1
    _assert_rejected_whole(tmp_path, "windows.csv", batch, "not valid UTF-8 on line 1", "cp1258")


def test_required_columns_missing_rejects_the_file(tmp_path):
    write(tmp_path, "partial.csv", "Đơn vị;Ngày đăng ký\nSTP;03/03/2025\n")
    batch = only_batch(make_adapter(tmp_path, required_columns=["doc_id"]))

    _assert_rejected_whole(tmp_path, "partial.csv", batch, "doc_id", "'Mã văn bản'", "line 1")


def test_broken_workbook_is_rejected_whole(tmp_path):
    write(tmp_path, "broken.xlsx", b"PK\x03\x04 this is not really a zip file")
    batch = only_batch(make_adapter(tmp_path, pattern="*.xlsx"))

    _assert_rejected_whole(tmp_path, "broken.xlsx", batch, "broken.xlsx", "Excel")


def test_file_over_the_size_limit_is_rejected_unread(tmp_path):
    write(tmp_path, "huge.csv", REPORT)
    batch = only_batch(make_adapter(tmp_path, max_file_bytes=100))

    _assert_rejected_whole(tmp_path, "huge.csv", batch, "max_file_bytes")


# -- the folder's life cycle -----------------------------------------------------------------------


def test_after_commit_archives_and_never_overwrites_an_archived_file(tmp_path):
    adapter = make_adapter(tmp_path)
    write(tmp_path, "daily.csv", REPORT)
    only_batch(adapter).after_commit()
    assert (tmp_path / "archive" / "daily.csv").read_bytes() == REPORT.encode("utf-8")

    # the next night's export has the same name
    tomorrow = REPORT.replace("VB-001", "VB-101")
    write(tmp_path, "daily.csv", tomorrow)
    batch = only_batch(adapter)
    assert batch.rows[0].data["doc_id"] == "VB-101"
    batch.after_commit()

    archived = sorted(p.name for p in (tmp_path / "archive").iterdir())
    assert len(archived) == 2 and "daily.csv" in archived
    assert not (tmp_path / "daily.csv").exists()
    renamed = next(p for p in (tmp_path / "archive").iterdir() if p.name != "daily.csv")
    assert renamed.name.startswith("daily-") and renamed.suffix == ".csv"
    assert "VB-101" in renamed.read_text(encoding="utf-8-sig")
    assert file_batches(adapter) == []


def test_custom_archive_folder(tmp_path):
    drop, archive = tmp_path / "drop", tmp_path / "done"
    drop.mkdir()
    write(drop, "a.csv", REPORT)
    only_batch(make_adapter(drop, archive=str(archive))).after_commit()

    assert (archive / "a.csv").exists()
    assert not (drop / "archive").exists()


def test_without_after_commit_the_file_is_read_whole_again(tmp_path):
    adapter = make_adapter(tmp_path)
    write(tmp_path, "retry.csv", REPORT)
    first = only_batch(adapter)  # the runner's transaction failed: after_commit is not called
    second = only_batch(adapter)

    assert rows_of(second) == rows_of(first) and len(first.rows) == 3


def test_files_still_being_written_and_temporary_names_are_skipped(tmp_path):
    adapter = make_adapter(tmp_path, settle_seconds=30)
    write(tmp_path, "fresh.csv", REPORT, age=1)
    for name in (".hidden.csv", "~$report.csv", "copying.csv.tmp", "download.csv.part", "notes.txt"):
        write(tmp_path, name, REPORT)
    (tmp_path / "archive").mkdir()
    write(tmp_path / "archive", "old.csv", REPORT)
    write(tmp_path, "ready.csv", REPORT)

    assert [b.description for b in file_batches(adapter)] == ["ready.csv"]

    stamp = time.time() - 31
    os.utime(tmp_path / "fresh.csv", (stamp, stamp))
    assert "fresh.csv" in [b.description for b in file_batches(adapter)]


def test_files_are_processed_oldest_first_then_by_name(tmp_path):
    now = time.time()
    write(tmp_path, "c.csv", REPORT, age=300, now=now)
    write(tmp_path, "b.csv", REPORT, age=100, now=now)
    write(tmp_path, "a.csv", REPORT, age=100, now=now)  # same time as b.csv: the name decides
    write(tmp_path, "D.CSV", REPORT, age=200, now=now)  # pattern matching ignores case

    batches = file_batches(make_adapter(tmp_path))

    assert [b.description for b in batches] == ["c.csv", "D.CSV", "a.csv", "b.csv"]
    assert [b.watermark["last_file"] for b in batches] == ["c.csv", "D.CSV", "a.csv", "b.csv"]


def test_missing_folder_is_a_fatal_error_naming_the_option(tmp_path):
    adapter = make_adapter(tmp_path / "not-mounted")
    with pytest.raises(FatalSourceError, match="options.folder"):
        list(adapter.batches(None))


# -- configuration ---------------------------------------------------------------------------------


def test_check_options_accepts_a_full_configuration(tmp_path):
    options = {
        "folder": str(tmp_path),
        "pattern": ["*.csv", "*.xlsx"],
        "archive": str(tmp_path / "archive"),
        "failed": str(tmp_path / "failed"),
        "columns": COLUMNS,
        "required_columns": ["doc_id"],
        "encoding": "cp1258",
        "delimiter": ";",
        "sheet": "Báo cáo",
        "totals_markers": ["tổng cộng"],
        "max_file_bytes": 10_000_000,
        "settle_seconds": 0,
    }
    assert FileAdapter.check_options(options) == []


@pytest.mark.parametrize(
    "options, problem",
    [
        ({"columns": COLUMNS}, "options.folder: missing"),
        ({"folder": "/drop"}, "options.columns: missing"),
        ({"folder": "/drop", "columns": ["doc_id"]}, "options.columns: expected a table of header = field"),
        ({"folder": "/drop", "columns": {}}, "options.columns: expected a table of header = field"),
        (
            {"folder": "/drop", "columns": {"Mã": "doc_id", " mã ": "unit_code"}},
            "options.columns: 'Mã' and ' mã '",
        ),
        ({"folder": "/drop", "columns": COLUMNS, "colums": {}}, "options.colums: unknown option"),
        ({"folder": "/drop", "columns": COLUMNS, "pattern": []}, "options.pattern"),
        ({"folder": "/drop", "columns": COLUMNS, "pattern": "sub/*.csv"}, "options.pattern"),
        (
            {"folder": "/drop", "columns": COLUMNS, "archive": "/drop"},
            "options.archive: must not be the drop folder",
        ),
        (
            {"folder": "/drop", "columns": COLUMNS, "required_columns": ["MaHoSo"]},
            "options.required_columns: 'MaHoSo'",
        ),
        (
            {"folder": "/drop", "columns": COLUMNS, "encoding": "viscii-9"},
            "options.encoding: unknown encoding",
        ),
        ({"folder": "/drop", "columns": COLUMNS, "delimiter": ";;"}, "options.delimiter"),
        ({"folder": "/drop", "columns": COLUMNS, "max_file_bytes": "200MB"}, "options.max_file_bytes"),
        ({"folder": "/drop", "columns": COLUMNS, "settle_seconds": -1}, "options.settle_seconds"),
        ({"folder": "/drop", "columns": COLUMNS, "totals_markers": "tổng"}, "options.totals_markers"),
    ],
)
def test_check_options_reports_problems(options, problem):
    problems = FileAdapter.check_options(options)
    assert any(p.startswith(problem) for p in problems), problems


def test_invalid_options_refuse_to_build_the_adapter(tmp_path):
    with pytest.raises(FatalSourceError, match="options.columns"):
        FileAdapter(
            SourceConfig(name="x", domain="documents", adapter="file", options={"folder": str(tmp_path)})
        )


def _cp1258(text: str) -> bytes:
    """Text as Vietnamese Windows writes it: precomposed vowels, tone marks as combining bytes."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", char)
            out += (unicodedata.normalize("NFC", decomposed[:-1]) + decomposed[-1]).encode("cp1258")
    return bytes(out)


def test_a_large_file_is_streamed_in_batches_and_archived_after_the_last(tmp_path):
    lines = ["Mã văn bản;Đơn vị;Ngày đăng ký"] + [f"VB-{i};STP;03/03/2025" for i in range(12_345)]
    write(tmp_path, "lon.csv", "\n".join(lines) + "\n")
    batches = list(make_adapter(tmp_path, batch_rows=5000).batches(None))
    # a marker committed before the first row (the attempt), then the rows 5.000 at a time
    assert [len(b.rows) for b in batches] == [0, 5000, 5000, 2345]
    assert batches[0].watermark["tries"] == {"lon.csv": {"count": 1, "reason": None}}
    assert [b.after_commit is not None for b in batches] == [False, False, False, True]
    assert batches[-1].watermark["tries"] == {}
    assert batches[-1].rows[-1].line_no == 12_346


def test_limits_are_options_with_defaults_a_large_legitimate_export_passes(tmp_path):
    adapter = make_adapter(tmp_path)
    assert adapter.max_file_bytes == 200 * 2**20 and adapter.max_inflated_bytes >= 1 * 2**30
    assert adapter.max_rows >= 2_000_000 and adapter.max_file_seconds >= 600
    problems = FileAdapter.check_options(
        {
            "folder": str(tmp_path),
            "columns": COLUMNS,
            "max_rows": 0,
            "max_file_seconds": "soon",
            "max_inflated_bytes": True,
        }
    )
    assert problems == [
        "options.max_inflated_bytes: expected a positive whole number of bytes",
        "options.max_rows: expected a positive whole number of rows",
        "options.max_file_seconds: expected a number of seconds > 0",
    ]
