"""Quiet hours: nights, weekends and holidays (the working-day calendar) hold notifications until
the morning of the next working day."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from dashboard.kpi.workdays import WorkingCalendar

MORNING = time(7, 0)  # notifications held overnight go out at 07:00 of the next working day
EVENING = time(19, 0)  # … and are held from 19:00


def is_quiet(now: datetime, tz: ZoneInfo, calendar: WorkingCalendar) -> bool:
    local = now.astimezone(tz)
    return not calendar.is_working_day(local.date()) or not MORNING <= local.time() < EVENING


def next_morning(now: datetime, tz: ZoneInfo, calendar: WorkingCalendar) -> datetime:
    """When quiet hours that hold at ``now`` end (``now`` itself when they do not hold)."""
    if not is_quiet(now, tz, calendar):
        return now
    local = now.astimezone(tz)
    day = local.date()
    if not (calendar.is_working_day(day) and local.time() < MORNING):
        day = calendar.next_working_day(day)
    return datetime.combine(day, MORNING, tz)
