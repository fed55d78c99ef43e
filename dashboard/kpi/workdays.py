"""The working-day calendar: Monday–Friday minus Vietnamese public holidays, adjustable per year.

Decree 30/2020/NĐ-CP art. 4 requires incoming documents to be registered on the day they arrive
or at the latest the next *working* day (VB-04), so the KPI engine needs to know which days are
worked. The built-in holidays are those the simulator observes (fixed days, Tết, Hùng Kings —
:func:`collectors.simulator.vietnamese_holidays`), so simulated data and KPIs agree. Each year the
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

from collectors.simulator import vietnamese_holidays


class WorkingCalendar:
    """Which days are worked. Immutable after construction; cheap to query (per-year cache)."""

    def __init__(self, extra_holidays: Iterable[date] = (), extra_working_days: Iterable[date] = ()):
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_working_days = frozenset(extra_working_days)
        self._years: dict[int, frozenset[date]] = {}

    def holidays(self, year: int) -> frozenset[date]:
        days = self._years.get(year)
        if days is None:
            base = set(vietnamese_holidays(year)) | {d for d in self.extra_holidays if d.year == year}
            days = self._years[year] = frozenset(base - self.extra_working_days)
        return days

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays(day.year)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def registration_deadline(self, arrived: date, urgent: bool) -> date:
        """The last day a document arrived on ``arrived`` may be registered (Decree 30/2020):
        the same day when urgent, else the next working day."""
        return arrived if urgent else self.next_working_day(arrived)

    def add_working_days(self, start: date, days: int) -> date:
        """The day ``days`` working days after ``start`` (a deadline "within N working days" of
        an assignment on ``start``); ``days`` = 0 gives ``start`` itself.

        >>> WorkingCalendar().add_working_days(date(2026, 12, 4), 3)   # Friday + 3 → Wednesday
        datetime.date(2026, 12, 9)
        """
        day = start
        for _ in range(max(0, days)):
            day = self.next_working_day(day)
        return day

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
