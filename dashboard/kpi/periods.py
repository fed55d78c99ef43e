"""Reporting periods: today, this week, month / quarter / year to date, rolling 7 / 30 days,
calendar months, quarters and years, and custom ranges — with the period to compare against.

Days are local calendar days (Asia/Ho_Chi_Minh unless configured); both ends are inclusive.

>>> p = Period.month_to_date(date(2026, 3, 14))
>>> p.start, p.end, p.days
(datetime.date(2026, 3, 1), datetime.date(2026, 3, 14), 14)
>>> p.previous().start, p.previous().end          # the same 14 days of February
(datetime.date(2026, 2, 1), datetime.date(2026, 2, 14))
>>> p.same_period_last_year().end
datetime.date(2025, 3, 14)
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta

KINDS = (
    "today",
    "week",
    "mtd",
    "qtd",
    "ytd",
    "rolling7",
    "rolling30",
    "month",
    "quarter",
    "year",
    "reporting",
    "custom",
)

_LABELS = {
    "today": ("Hôm nay", "Today"),
    "week": ("Tuần này", "This week"),
    "mtd": ("Từ đầu tháng", "Month to date"),
    "qtd": ("Từ đầu quý", "Quarter to date"),
    "ytd": ("Từ đầu năm", "Year to date"),
    "rolling7": ("7 ngày qua", "Last 7 days"),
    "rolling30": ("30 ngày qua", "Last 30 days"),
    "month": ("Tháng", "Month"),
    "quarter": ("Quý", "Quarter"),
    "year": ("Năm", "Year"),
    "reporting": ("Kỳ báo cáo", "Reporting period"),
    "custom": ("Khoảng thời gian", "Date range"),
}
#: The shortest sparkline: a period shorter than this shows the days before it as well.
MIN_SERIES_DAYS = 7


class PeriodError(ValueError):
    """A period cannot be built from what was asked (unknown kind, end before start …)."""


def _shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_end(day: date) -> date:
    return day.replace(day=_calendar.monthrange(day.year, day.month)[1])


def _add_months(day: date, months: int) -> date:
    """Same day of month ``months`` later, clamped to the month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = _calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


@dataclass(frozen=True)
class Period:
    """An inclusive range of local days and the kind of period it is (for comparisons)."""

    kind: str
    start: date
    end: date

    def __post_init__(self):
        if self.kind not in KINDS:
            raise PeriodError(f"unknown period kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.end < self.start:
            raise PeriodError(f"period ends ({self.end:%d/%m/%Y}) before it starts ({self.start:%d/%m/%Y})")

    # --- constructors ----------------------------------------------------------------------------
    @classmethod
    def today(cls, today: date) -> Period:
        return cls("today", today, today)

    @classmethod
    def this_week(cls, today: date) -> Period:
        return cls("week", today - timedelta(days=today.weekday()), today)

    @classmethod
    def month_to_date(cls, today: date) -> Period:
        return cls("mtd", _month_start(today), today)

    @classmethod
    def quarter_to_date(cls, today: date) -> Period:
        return cls("qtd", _quarter_start(today), today)

    @classmethod
    def year_to_date(cls, today: date) -> Period:
        return cls("ytd", date(today.year, 1, 1), today)

    @classmethod
    def rolling(cls, days: int, today: date) -> Period:
        if days not in (7, 30):
            raise PeriodError("rolling periods are 7 or 30 days")
        return cls(f"rolling{days}", today - timedelta(days=days - 1), today)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        return cls("month", first, _month_end(first))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        if quarter not in (1, 2, 3, 4):
            raise PeriodError("a quarter is 1, 2, 3 or 4")
        first = date(year, 3 * quarter - 2, 1)
        return cls("quarter", first, _month_end(_add_months(first, 2)))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls("year", date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def reporting(cls, year: int, month: int) -> Period:
        """The statistical reporting period of a month (Decree 09/2019/NĐ-CP, domain.md §6): the
        15th of the previous month to the 14th of the month. ``reporting(2026, 10)`` = 15/9–14/10."""
        end = date(year, month, 14)
        return cls("reporting", _add_months(end, -1) + timedelta(days=1), end)

    @classmethod
    def reporting_containing(cls, day: date) -> Period:
        """The reporting period ``day`` falls in (15/9 … 14/10 → October's)."""
        month = _add_months(day.replace(day=1), 1) if day.day >= 15 else day.replace(day=1)
        return cls.reporting(month.year, month.month)

    @classmethod
    def custom(cls, start: date, end: date) -> Period:
        return cls("custom", start, end)

    @classmethod
    def parse(cls, kind: str, today: date, start: date | None = None, end: date | None = None) -> Period:
        """Build a period from a page's URL: ``kind`` plus, for custom ranges, ``start``/``end``.

        ``month``/``quarter``/``year`` without dates mean the one containing ``today``.
        """
        makers = {
            "today": cls.today,
            "week": cls.this_week,
            "mtd": cls.month_to_date,
            "qtd": cls.quarter_to_date,
            "ytd": cls.year_to_date,
            "rolling7": lambda t: cls.rolling(7, t),
            "rolling30": lambda t: cls.rolling(30, t),
            "month": lambda t: cls.month(t.year, t.month),
            "quarter": lambda t: cls.quarter(t.year, (t.month - 1) // 3 + 1),
            "year": lambda t: cls.year(t.year),
            "reporting": cls.reporting_containing,
        }
        if kind == "custom":
            if start is None or end is None:
                raise PeriodError("a custom period needs a start and an end date")
            return cls.custom(start, end)
        if kind not in makers:
            raise PeriodError(f"unknown period kind {kind!r}; expected one of {', '.join(KINDS)}")
        return makers[kind](today)

    # --- facts -----------------------------------------------------------------------------------
    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def label(self, lang: str = "vi") -> str:
        vi, en = _LABELS[self.kind]
        name = vi if lang == "vi" else en
        if lang == "vi":
            span = (
                f"{self.start:%d/%m/%Y}" if self.days == 1 else f"{self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"
            )
        else:
            span = (
                f"{self.start:%d %b %Y}" if self.days == 1 else f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"
            )
        return f"{name} ({span})"

    @property
    def key(self) -> str:
        """A stable text form for cache keys and URLs."""
        return f"{self.kind}:{self.start.isoformat()}:{self.end.isoformat()}"

    # --- comparisons -----------------------------------------------------------------------------
    def previous(self) -> Period:
        """The period just before, of the same kind and (for to-date periods) the same elapsed days.

        Month to date 1–14/3 → 1–14/2; this week Mon–Wed → last week Mon–Wed; a calendar month →
        the previous calendar month; rolling and custom ranges → the same number of days before.
        """
        if self.kind in ("today", "rolling7", "rolling30", "custom", "week"):
            length = timedelta(days=7 if self.kind == "week" else self.days)
            return replace(self, start=self.start - length, end=self.end - length)
        if self.kind == "mtd":
            start = _add_months(self.start, -1)
            return replace(self, start=start, end=min(_add_months(self.end, -1), _month_end(start)))
        if self.kind == "qtd":
            start = _add_months(self.start, -3)
            return replace(
                self, start=start, end=min(_add_months(self.end, -3), _month_end(_add_months(start, 2)))
            )
        if self.kind == "ytd":
            return self.same_period_last_year()
        if self.kind == "reporting":
            month = _add_months(self.end.replace(day=1), -1)
            return Period.reporting(month.year, month.month)
        if self.kind == "month":
            first = _add_months(self.start, -1)
            return replace(self, start=first, end=_month_end(first))
        if self.kind == "quarter":
            first = _add_months(self.start, -3)
            return replace(self, start=first, end=_month_end(_add_months(first, 2)))
        # year
        return replace(self, start=_shift_years(self.start, -1), end=_shift_years(self.end, -1))

    def same_period_last_year(self) -> Period:
        start = _shift_years(self.start, -1)
        end = _shift_years(self.end, -1)
        if self.kind == "reporting":
            return Period.reporting(self.end.year - 1, self.end.month)
        if self.kind in ("month", "quarter") or (
            self.kind in ("mtd", "qtd") and self.end == _month_end(self.end)
        ):
            end = _month_end(end)  # February 28 → 29 in a leap year: still the whole month
        return replace(self, start=start, end=end)

    # --- what is known ---------------------------------------------------------------------------
    def observed_end(self, today: date) -> date:
        """The last day with data: the period's end, or today for a period that is still running."""
        return min(self.end, today)

    def series_days(self, today: date) -> list[date]:
        """The days of the sparkline: the period up to today, at least MIN_SERIES_DAYS long."""
        end = self.observed_end(today)
        start = min(self.start, end - timedelta(days=MIN_SERIES_DAYS - 1))
        if end < start:
            return []
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]
