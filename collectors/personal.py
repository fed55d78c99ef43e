"""Columns that hold citizens' personal data: the IOC never collects them (domain.md §8).

The follow-up spreadsheets offices keep often carry the petitioner's or contact's identity
(CCCD, phone, name, address). The file adapter refuses such a column at the header: its values
are never read, not even into the reject's payload, and one ``column`` reject says which column
was refused and what to do. Headers are compared without diacritics and case.

>>> personal_columns(["STT", "Số CCCD", "Nội dung", "Số điện thoại người dân", "Đơn vị chủ trì"])
[(1, 'Số CCCD'), (3, 'Số điện thoại người dân')]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

#: Domains whose files are checked by default (``refuse_personal_columns`` overrides it).
CHECKED_DOMAINS = ("tasks", "petitions")

#: Marker words, diacritics removed; a header holding one as whole words is personal data.
MARKERS = (
    "cccd",
    "cmnd",
    "cmt",
    "can cuoc",
    "chung minh nhan dan",
    "so dinh danh",
    "ma dinh danh ca nhan",
    "so dien thoai",
    "dien thoai",
    "sdt",
    "dtdd",
    "ho ten",
    "ho va ten",
    "ten nguoi dan",
    "nguoi phan anh",
    "nguoi kien nghi",
    "dia chi",
    "email",
    "thu dien tu",
    "ngay sinh",
    "phone",
    "full name",
    "address",
    "date of birth",
    "citizen id",
    "id number",
)
_PATTERN = re.compile(r"\b(" + "|".join(re.escape(m) for m in MARKERS) + r")\b")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFD", text.strip().lower()).replace("đ", "d")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def personal_columns(cells: Sequence[Any]) -> list[tuple[int, str]]:
    """The (index, header text) of the header cells that name personal data."""
    found = []
    for index, cell in enumerate(cells):
        if isinstance(cell, str) and cell.strip() and _PATTERN.search(_plain(cell)):
            found.append((index, cell.strip()))
    return found
