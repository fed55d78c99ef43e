"""Exports of the lists people act on: CSV (UTF-8 with BOM, ``;``, as Vietnamese Excel expects)
and XLSX, with Vietnamese headers and dd/mm/yyyy dates.

>>> data = to_csv([{"Mã": "HS-1", "Hạn": "05/03/2026"}])
>>> data.decode("utf-8-sig").splitlines()
['Mã;Hạn', 'HS-1;05/03/2026']
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter


def to_csv(rows: Sequence[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0].keys()), delimiter=";", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[dict[str, Any]], title: str, sheet: str = "Danh sách") -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    if rows:
        headers = list(rows[0].keys())
        ws.append(headers)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([row[h] for h in headers])
        for i, header in enumerate(headers, start=1):
            width = max(len(str(header)), *(len(str(r[header] or "")) for r in rows)) + 2
            ws.column_dimensions[get_column_letter(i)].width = min(60, width)
        ws.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
