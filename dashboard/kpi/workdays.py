"""The working-day calendar: Monday–Friday minus Vietnamese public holidays, adjustable per year.

Decree 30/2020/NĐ-CP art. 4 requires incoming documents to be registered on the day they arrive
or at the latest the next *working* day (VB-04), so the KPI engine needs to know which days are
worked. The built-in holidays (fixed days, Tết, Hùng Kings — :func:`vietnamese_holidays`) are
defined here only: the simulator builds its office calendar on :class:`WorkingCalendar` too, so
simulated data and KPIs agree. Each year the
government also announces bridge days off and make-up Saturdays: list them in ``targets.toml``::

    [calendar]
    holidays = [2026-01-02, 2026-09-01]     # extra days off
    working_days = [2026-01-10]             # Saturdays worked in exchange

>>> cal = WorkingCalendar()
>>> cal.next_working_day(date(2026, 2, 13))   # Friday before Tết 2026 → the Monday after it
datetime.date(2026, 2, 23)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

# Lunar new year (Tết) day 1; Tết − 2 … Tết + 4 are holidays.
TET_DAYS = {
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}
# Hùng Kings' commemoration (10/3 lunar), approximated for the later years.
HUNG_KINGS_DAYS = {
    2023: date(2023, 4, 29),
    2024: date(2024, 4, 18),
    2025: date(2025, 4, 7),
    2026: date(2026, 4, 26),
    2027: date(2027, 4, 16),
    2028: date(2028, 4, 4),
    2029: date(2029, 4, 22),
    2030: date(2030, 4, 12),
}
_FIXED_HOLIDAYS = ((1, 1), (4, 30), (5, 1), (9, 2))


def vietnamese_holidays(year: int) -> set[date]:
    """The official public holidays of ``year`` (no bridge or compensating days).

    >>> date(2026, 2, 17) in vietnamese_holidays(2026), date(2026, 9, 2) in vietnamese_holidays(2026)
    (True, True)
    """
    days = {date(year, m, d) for m, d in _FIXED_HOLIDAYS}
    tet = TET_DAYS.get(year)
    if tet is not None:
        days.update(tet + timedelta(days=k) for k in range(-2, 5))
    hung = HUNG_KINGS_DAYS.get(year)
    if hung is not None:
        days.add(hung)
    # Tết of the next year may start in the last days of this one (never with these dates, but
    # keep the rule honest for any table extension).
    nxt = TET_DAYS.get(year + 1)
    if nxt is not None:
        days.update(d for d in (nxt + timedelta(days=k) for k in range(-2, 5)) if d.year == year)
    return days


class WorkingCalendar:
    """Which days are worked. Immutable after construction; cheap to query (per-year cache)."""

    def __init__(self, extra_holidays: Iterable[date] = (), extra_working_days: Iterable[date] = ()):
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_working_days = frozenset(extra_working_days)
        self._years: dict[int, frozenset[date]] = {}
        self._working: dict[date, bool] = {}

    def holidays(self, year: int) -> frozenset[date]:
        days = self._years.get(year)
        if days is None:
            base = set(vietnamese_holidays(year)) | {d for d in self.extra_holidays if d.year == year}
            days = self._years[year] = frozenset(base - self.extra_working_days)
        return days

    def is_holiday(self, day: date) -> bool:
        """A day off by decree (or listed as an extra holiday), whatever its weekday."""
        return day in self.holidays(day.year)

    def is_working_day(self, day: date) -> bool:
        worked = self._working.get(day)
        if worked is None:
            worked = day in self.extra_working_days or (day.weekday() < 5 and not self.is_holiday(day))
            self._working[day] = worked
        return worked

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, day: date, n: int) -> date:
        """``n`` working days after ``day`` (``n`` = 0: ``day`` itself or the next working day).

        >>> WorkingCalendar().add_working_days(date(2026, 2, 14), 0)   # a Saturday before Tết
        datetime.date(2026, 2, 23)
        """
        if not self.is_working_day(day):
            day = self.next_working_day(day)
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def registration_deadline(self, arrived: date, urgent: bool) -> date:
        """The last day a document arrived on ``arrived`` may be registered (Decree 30/2020):
        the same day when urgent, else the next working day."""
        return arrived if urgent else self.next_working_day(arrived)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many working days ``end`` is after ``start``."""
        if end <= start:
            return 0
        n, day = 0, start
        while day < end:
            day += timedelta(days=1)
            n += self.is_working_day(day)
        return n

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, WorkingCalendar)
            and self.extra_holidays == other.extra_holidays
            and self.extra_working_days == other.extra_working_days
        )

    def __hash__(self) -> int:
        return hash((self.extra_holidays, self.extra_working_days))

    def __reduce__(self):  # picklable without its cache
        return (WorkingCalendar, (tuple(sorted(self.extra_holidays)), tuple(sorted(self.extra_working_days))))
