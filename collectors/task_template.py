"""The task follow-up spreadsheet offices keep (bảng theo dõi nhiệm vụ được giao), as an XLSX
template the file adapter reads: one row per task, Vietnamese headers, merged title rows above
the header, dates as real dates or as ``dd/mm/yyyy`` text.

:data:`TASK_COLUMNS` is the ``[source.options.columns]`` mapping of the template (header →
contract field of :mod:`collectors.task_records`); ``sources.example.toml`` shows it in full.
The sample shipped in ``collectors/templates/theo_doi_nhiem_vu.xlsx`` is made by::

    python -m collectors.task_template collectors/templates/theo_doi_nhiem_vu.xlsx
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).parent / "templates" / "theo_doi_nhiem_vu.xlsx"

#: Header in the spreadsheet → contract field.
TASK_COLUMNS: dict[str, str] = {
    "Mã nhiệm vụ": "task_id",
    "Số ký hiệu văn bản giao": "directive_ref",
    "Ngày văn bản": "directive_date",
    "Cơ quan ban hành": "directive_issuer",
    "Nội dung nhiệm vụ": "content",
    "Đơn vị chủ trì": "lead_unit_code",
    "Đơn vị phối hợp": "supporting_units",
    "Ngày giao": "assigned_at",
    "Thời hạn": "due_at",
    "Gia hạn đến": "extended_due_at",
    "Văn bản gia hạn": "extension_ref",
    "Ngày gia hạn": "extension_approved_at",
    "Tình trạng": "status",
    "Ngày hoàn thành": "completed_at",
    "Văn bản báo cáo kết quả": "result_ref",
    "Ngày cập nhật": "updated_at",
}
HEADERS = ("STT", *TASK_COLUMNS)
#: ``[source.units]`` of the sample: the sheet names lead units as offices write them.
SAMPLE_UNITS = {
    "Vụ Kế hoạch – Tài chính": "BMP-KHTC",
    "Văn phòng Bộ": "BMP-VP",
    "Cục Chuyển đổi số": "BMP-CDS",
}
TITLE = "BẢNG THEO DÕI TÌNH HÌNH THỰC HIỆN NHIỆM VỤ ĐƯỢC GIAO"
#: Columns written as ``dd/mm/yyyy`` text, as many offices type them; the others are real dates.
TEXT_DATE_FIELDS = ("completed_at", "extension_approved_at")

SAMPLE_ROWS: tuple[dict[str, Any], ...] = (
    {
        "task_id": "NV-2026-001",
        "directive_ref": "45/TB-BMP",
        "directive_date": date(2026, 10, 5),
        "directive_issuer": "Bộ trưởng",
        "content": "Rà soát, báo cáo tình hình giải ngân vốn đầu tư công 9 tháng",
        "lead_unit_code": "Vụ Kế hoạch – Tài chính",
        "supporting_units": "Văn phòng Bộ; Cục Chuyển đổi số",
        "assigned_at": date(2026, 10, 6),
        "due_at": date(2026, 10, 30),
        "status": "Hoàn thành",
        "completed_at": date(2026, 10, 28),
        "result_ref": "312/BC-KHTC",
        "updated_at": datetime(2026, 10, 28, 16, 0),
    },
    {
        "task_id": "NV-2026-002",
        "directive_ref": "45/TB-BMP",
        "directive_date": date(2026, 10, 5),
        "directive_issuer": "Bộ trưởng",
        "content": "Tham mưu phương án sắp xếp trụ sở làm việc dôi dư",
        "lead_unit_code": "Văn phòng Bộ",
        "supporting_units": "Vụ Kế hoạch – Tài chính",
        "assigned_at": date(2026, 10, 6),
        "due_at": date(2026, 11, 15),
        "extended_due_at": date(2026, 12, 15),
        "extension_ref": "1520/BMP-VP",
        "extension_approved_at": date(2026, 11, 12),
        "status": "Đang thực hiện",
        "updated_at": datetime(2026, 11, 12, 9, 30),
    },
    {
        "task_id": "NV-2026-003",
        "directive_ref": "88/CT-BMP",
        "directive_date": date(2026, 11, 2),
        "directive_issuer": "Thứ trưởng",
        "content": "Theo dõi, đôn đốc chuyển đổi số tại các đơn vị thuộc Bộ",
        "lead_unit_code": "Cục Chuyển đổi số",
        "assigned_at": date(2026, 11, 3),
        "due_at": "Thường xuyên",
        "status": "Đang thực hiện",
        "updated_at": datetime(2026, 11, 3, 8, 0),
    },
)


def _cell(field: str, value: Any) -> Any:
    if field in TEXT_DATE_FIELDS and isinstance(value, (date, datetime)):
        return value.strftime("%d/%m/%Y")
    return value


def write_workbook(
    path: Path, rows: Iterable[Mapping[str, Any]], *, as_of: date | None = None, extra: Mapping[str, Any] = {}
) -> Path:
    """Write ``rows`` (contract field → value) as the follow-up spreadsheet at ``path``.

    ``extra`` adds columns after the template's (header → the same value on every row): the
    tests add a personal-data column this way, as offices sometimes do."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Nhiệm vụ"
    headers = [*HEADERS, *extra]
    width = len(headers)
    sheet.append([TITLE])
    sheet.append([f"(Số liệu đến ngày {(as_of or date.today()):%d/%m/%Y})"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = sheet["A2"].alignment = Alignment(horizontal="center")
    sheet.append([])
    sheet.append(headers)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    fields = list(TASK_COLUMNS.values())
    for number, row in enumerate(rows, start=1):
        sheet.append(
            [number, *(_cell(f, row.get(f)) for f in fields), *extra.values()],
        )
    for row in sheet.iter_rows(min_row=5):
        for cell in row:
            if isinstance(cell.value, (datetime, date)):
                cell.number_format = "DD/MM/YYYY"
    for column, size in (("F", 50), ("B", 14), ("C", 16)):
        sheet.column_dimensions[column].width = size
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")  # the adapter skips .part names until renamed
    book.save(tmp)
    tmp.replace(path)
    return path


if __name__ == "__main__":  # pragma: no cover - regenerates the shipped sample
    write_workbook(Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE, SAMPLE_ROWS, as_of=date(2026, 12, 1))
