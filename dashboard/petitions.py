"""Citizens' petitions (phản ánh, kiến nghị — PAKN, domain.md §8): code tables, deadline rules and
the personal-data rule shared by the intake, the KPIs and the pages.

Deadlines are in working days (:mod:`dashboard.kpi.workdays`) per category, urgent petitions
shorter. The defaults can be changed per source (``[source.options.deadlines]`` in
``sources.toml``)::

    [source.options.deadlines]
    default = 10          # working days for a category without its own line
    urgent = 3            # any urgent petition (KhanCap = true)
    "dat-dai" = 15        # a category's own deadline

The petitioner's identity is never needed by the IOC (domain.md §8): :func:`personal_fields`
names the fields of a source row that hold it (name, phone, address, e-mail, ID number …); the
intake drops them before anything is validated or stored — not even a rejected row keeps them —
and reports which ones it dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from dashboard.i18n import register
from dashboard.kpi.workdays import WorkingCalendar

register(
    {
        "domain_petitions": {"vi": "Phản ánh, kiến nghị", "en": "Citizens' petitions"},
        "nav_petitions": {"vi": "Phản ánh, kiến nghị", "en": "Petitions"},
    }
)

CHANNELS: dict[int, tuple[str, str]] = {
    1: ("Cổng Dịch vụ công quốc gia", "National public-service portal"),
    2: ("Hệ thống thông tin của tỉnh", "Province's information system"),
    3: ("Đường dây nóng 1022", "Hotline 1022"),
    4: ("Trực tiếp", "In person"),
    5: ("Thư, văn bản", "Letter"),
}
STATUSES: dict[int, tuple[str, str]] = {
    1: ("Tiếp nhận", "Received"),
    2: ("Đang xử lý", "Being handled"),
    3: ("Đã xử lý", "Handled"),
    4: ("Công khai kết quả", "Result published"),
    5: ("Từ chối", "Refused"),
    6: ("Chuyển đơn vị khác", "Forwarded to another unit"),
}
RATINGS: dict[int, tuple[str, str]] = {
    1: ("Không hài lòng", "Dissatisfied"),
    2: ("Bình thường", "Neutral"),
    3: ("Hài lòng", "Satisfied"),
}
#: Categories (lĩnh vực) the simulator and the pages name; a source may send any other code.
CATEGORIES: dict[str, tuple[str, str]] = {
    "dat-dai": ("Đất đai", "Land"),
    "moi-truong": ("Môi trường", "Environment"),
    "giao-thong": ("Giao thông", "Transport"),
    "do-thi": ("Trật tự đô thị, xây dựng", "Urban order, construction"),
    "y-te": ("Y tế", "Health"),
    "giao-duc": ("Giáo dục", "Education"),
    "hanh-chinh": ("Thủ tục hành chính", "Administrative procedures"),
    "khac": ("Khác", "Other"),
}

DEFAULT_DAYS = 10
URGENT_DAYS = 3
DEFAULT_CATEGORY_DAYS: dict[str, int] = {"dat-dai": 15, "moi-truong": 10, "do-thi": 10, "hanh-chinh": 7}


def label(table: Mapping[Any, tuple[str, str]], key: Any, lang: str = "vi") -> str:
    found = table.get(key)
    if found is None:
        return "" if key is None else str(key)
    return found[1] if lang == "en" else found[0]


@dataclass(frozen=True)
class DeadlineRules:
    """Working days allowed per category; urgent petitions get ``urgent`` days whatever their category."""

    default: int = DEFAULT_DAYS
    urgent: int = URGENT_DAYS
    categories: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_CATEGORY_DAYS))
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar, compare=False)

    def days(self, category: str, urgent: bool) -> int:
        if urgent:
            return min(self.urgent, self.categories.get(category, self.default))
        return self.categories.get(category, self.default)

    def deadline(self, received: date, category: str, urgent: bool) -> date:
        """The ``days``-th working day after the day received (a petition received on a day off
        counts from the next working day)."""
        return add_working_days(self.calendar, received, self.days(category, urgent))

    @classmethod
    def from_options(cls, raw: Any, calendar: WorkingCalendar | None = None) -> DeadlineRules:
        """Rules from a source's ``deadlines`` option (see the module text); ValueError names the problem."""
        cal = calendar or WorkingCalendar()
        if raw is None:
            return cls(calendar=cal)
        if not isinstance(raw, Mapping):
            raise ValueError(
                'options.deadlines: expected a table such as { default = 10, urgent = 3, "dat-dai" = 15 }'
            )
        values: dict[str, int] = {}
        for key, value in raw.items():
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 365:
                raise ValueError(
                    f"options.deadlines.{key}: expected a number of working days (1–365), not {value!r}"
                )
            values[str(key)] = value
        default = values.pop("default", DEFAULT_DAYS)
        urgent = values.pop("urgent", URGENT_DAYS)
        categories = {**DEFAULT_CATEGORY_DAYS, **values}
        return cls(default, urgent, categories, cal)


@lru_cache(maxsize=65_536)
def add_working_days(calendar: WorkingCalendar, start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (memoised: a page of petitions repeats a few
    hundred (day, days) pairs)."""
    day = start
    for _ in range(days):
        day = calendar.next_working_day(day)
    return day


@lru_cache(maxsize=65_536)
def working_days_between(calendar: WorkingCalendar, start: date, end: date) -> int:
    """Working days in (start, end] (:meth:`WorkingCalendar.working_days_between`, memoised)."""
    return calendar.working_days_between(start, end)


# --- personal data --------------------------------------------------------------------------------
#: Field names (accents, case, separators ignored) that hold the petitioner's identity or contact.
_PERSONAL_EXACT = frozenset(
    {
        "name",
        "fullname",
        "hoten",
        "hovaten",
        "phone",
        "mobile",
        "tel",
        "email",
        "mail",
        "address",
        "diachi",
        "cccd",
        "cmnd",
        "socccd",
        "socmnd",
        "cancuoc",
        "dinhdanh",
        "sodinhdanh",
        "nguoiphananh",
        "nguoigui",
        "nguoikiennghi",
        "petitioner",
        "citizen",
        "ngaysinh",
        "birthdate",
        "dob",
    }
)
_PERSONAL_PARTS = (
    "hoten",
    "dienthoai",
    "sodt",
    "phone",
    "email",
    "diachi",
    "address",
    "cccd",
    "cmnd",
    "cancuoc",
    "dinhdanh",
    "nguoiphananh",
    "nguoigui",
    "nguoikiennghi",
    "petitioner",
    "fullname",
    "ngaysinh",
)
_NOT_LETTERS = re.compile(r"[^a-z0-9]")


def _plain(name: str) -> str:
    text = unicodedata.normalize("NFD", str(name)).replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _NOT_LETTERS.sub("", text.lower())


@lru_cache(maxsize=4096)
def is_personal(name: str) -> bool:
    """Whether a field name holds the petitioner's identity or contact details.

    >>> [n for n in ("HoTen", "SoDienThoai", "Địa chỉ", "nguoiPhanAnh.ten", "MaDonVi", "LinhVuc") if is_personal(n)]
    ['HoTen', 'SoDienThoai', 'Địa chỉ', 'nguoiPhanAnh.ten']
    """
    plain = _plain(name)
    return plain in _PERSONAL_EXACT or any(part in plain for part in _PERSONAL_PARTS)


def drop_personal(row: dict[str, Any]) -> list[str]:
    """Remove the personal fields from ``row`` (in place, nested objects too); their names, sorted."""
    dropped = []
    for key in list(row):
        if is_personal(str(key)):
            del row[key]
            dropped.append(str(key))
        elif isinstance(row[key], dict):
            dropped.extend(f"{key}.{inner}" for inner in drop_personal(row[key]))
    return sorted(dropped)


__all__ = [
    "CATEGORIES",
    "CHANNELS",
    "RATINGS",
    "STATUSES",
    "DeadlineRules",
    "add_working_days",
    "drop_personal",
    "is_personal",
    "label",
]


# --- the 766 estimate's petition indicators -------------------------------------------------------
class PetitionIndexInputs:
    """The 766 satisfaction group's petition indicators from the store's own petitions (PAKN-02
    → ``petitions_on_time``, PAKN-03 → ``petition_satisfaction``). Gives nothing while the store
    holds no petition at all (the imported figures then answer); a unit with petitions collected
    but none in its population for the period gets ``population=0`` — 6 points by the rule."""

    name = "petitions"
    indicators = frozenset({"petitions_on_time", "petition_satisfaction"})

    def inputs(self, session, unit_id: int, period) -> dict:
        from sqlalchemy import exists, select

        from dashboard.index_inputs import NOW, IndicatorInput
        from dashboard.kpi.engine import compute, resolve_scope
        from dashboard.models import Petition

        if not session.scalar(select(exists().where(Petition.id.is_not(None)))):
            return {}
        scope = resolve_scope(session, unit_id)
        results = compute(
            session,
            scope,
            period,
            ("PAKN-02", "PAKN-03"),
            now=NOW.get(),
            compare_periods=False,
            with_series=False,
        )
        found = {}
        for key, kpi in (("petitions_on_time", "PAKN-02"), ("petition_satisfaction", "PAKN-03")):
            r = results[kpi]
            if not r.denominator:
                found[key] = IndicatorInput(population=0, source=f"{kpi} (IOC)")
            elif r.value is not None:
                found[key] = IndicatorInput(
                    ratio=r.value, population=int(r.denominator), source=f"{kpi} (IOC)"
                )
        return found
