"""Time rules: UTC in storage, timezone-aware in Python, local time (Asia/Ho_Chi_Minh) for days.

SQLite has no time zone type and returns naive datetimes; :class:`UTCDateTime` stores naive UTC
there and re-attaches UTC on the way out, so both databases round-trip aware datetimes.

>>> from datetime import datetime, timezone
>>> to_utc(datetime(2026, 3, 14, 9, 30, tzinfo=VN_TZ))
datetime.datetime(2026, 3, 14, 2, 30, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

UTC = UTC
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class NaiveDatetimeError(ValueError):
    """A naive datetime reached storage: its time zone is unknown, so it cannot be stored."""


def to_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC; refuse naive ones (their zone is a guess)."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetimeError(
            f"naive datetime {value.isoformat()} has no time zone; attach one before storing"
        )
    return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_day(value: datetime, tz: ZoneInfo = VN_TZ) -> date:
    """The calendar day of an aware datetime in the agency's time zone."""
    return to_utc(value).astimezone(tz).date()


def localize(naive: datetime, tz: ZoneInfo = VN_TZ) -> datetime:
    """Attach a local time zone to a naive source timestamp (sources report local time)."""
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=tz)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp column that accepts and returns aware datetimes and stores UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(DateTime(timezone=False))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        utc = to_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
