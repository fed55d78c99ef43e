"""Exports of the lists people act on: CSV (UTF-8 with BOM, ``;``, as Vietnamese Excel expects)
and XLSX, with Vietnamese headers and dd/mm/yyyy dates.

Text that a spreadsheet would read as a formula (it starts with ``= + - @``, a tab or a carriage
return — "formula injection", OWASP's CSV injection) is neutralised: a CSV cell gets a leading
``'``, an XLSX cell is stored as text. Numbers stay numbers.

>>> data = to_csv([{"Mã": "HS-1", "Hạn": "05/03/2026", "Đơn vị": "=HYPERLINK(1)", "Số": -3}])
>>> data.decode("utf-8-sig").splitlines()
['Mã;Hạn;Đơn vị;Số', "HS-1;05/03/2026;'=HYPERLINK(1);-3"]
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

#: The first characters that make a spreadsheet cell a formula (or, for tab and CR, hide one).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that would start a formula, prefixed with ``'``; any other value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv(rows: Sequence[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(
            out, fieldnames=list(rows[0].keys()), delimiter=";", lineterminator="\r\n"
        )  # RFC 4180: a CR in a cell is quoted too
        writer.writerow({k: neutralise(k) for k in rows[0]})
        for row in rows:
            writer.writerow({k: "" if v is None else neutralise(v) for k, v in row.items()})
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[dict[str, Any]], title: str, sheet: str = "Danh sách") -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]
    _append_text_safe(ws, [title])
    ws["A1"].font = Font(bold=True, size=13)
    if rows:
        headers = list(rows[0].keys())
        _append_text_safe(ws, headers)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in rows:
            _append_text_safe(ws, [row[h] for h in headers])
        for i, header in enumerate(headers, start=1):
            width = (
                max(
                    len(str(header)),
                    *(16 if isinstance(r[header], date) else len(str(r[header] or "")) for r in rows),
                )
                + 2
            )
            ws.column_dimensions[get_column_letter(i)].width = min(60, width)
        ws.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def append_row(ws, values: list[Any]) -> None:
    """Append one formula-safe row to an openpyxl sheet (for workbooks of several sheets)."""
    _append_text_safe(ws, values)


def _append_text_safe(ws, values: list[Any]) -> None:
    """Append a row; every string stays a string (openpyxl makes ``=…`` a formula otherwise);
    dates and times are real spreadsheet dates shown dd/mm/yyyy (hh:mm) — sortable, filterable.
    A time must be local and naive (a spreadsheet has no time zone)."""
    ws.append([v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in values])
    for cell, value in zip(ws[ws.max_row], values, strict=False):
        if isinstance(cell.value, str):
            cell.data_type = "s"
        elif isinstance(value, datetime):
            cell.number_format = "dd/mm/yyyy hh:mm"
        elif isinstance(value, date):
            cell.number_format = "dd/mm/yyyy"
