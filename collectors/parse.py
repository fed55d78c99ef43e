"""Lenient parsers for the value formats real Vietnamese exports and databases use.

Every parser returns ``None`` for an empty value and raises :class:`ValueError` with a short
reason for a value it cannot read, so the runner can reject the row with that reason.

>>> parse_datetime("14/03/2025 09:30:00").isoformat()
'2025-03-14T09:30:00+07:00'
>>> parse_datetime("20250314093000").isoformat()
'2025-03-14T09:30:00+07:00'
>>> parse_int("1.234"), parse_float("53,47"), parse_bool("Có")
(1234, 53.47, True)
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from dashboard.timeutil import VN_TZ

_EMPTY = {"", "null", "none", "nan", "-", "–"}

# Formats seen in practice, tried in order (day first: Vietnamese exports never put the month first).
_DATETIME_FORMATS = (
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y%m%d%H%M%S",
    "%Y%m%d%H%M",
    "%Y%m%d",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)

_TRUE = {"1", "true", "t", "yes", "y", "x", "có", "co", "đã ký", "da ky", "đúng", "dung"}
_FALSE = {"0", "false", "f", "no", "n", "không", "khong", "chưa ký", "chua ky", "sai"}


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    # Every empty token has at most 4 characters: a longer string with nothing to strip is not empty.
    if len(value) > 4 and not value[0].isspace() and not value[-1].isspace():
        return False
    return value.strip().lower() in _EMPTY


def parse_datetime(value: Any, tz: ZoneInfo = VN_TZ) -> datetime | None:
    """A timestamp from a datetime, a date or a string; naive values are local time in ``tz``."""
    if value is None:
        return None
    if type(value) is str:  # the hot path of every collector: keep it short
        text = value
        # Longer than every empty token and nothing to strip (the usual case): skip the checks.
        if len(text) < 5 or text[0].isspace() or text[-1].isspace():
            text = value.strip()
            if not text or text.lower() in _EMPTY:
                return None
        parsed = None
        if len(text) >= 10 and text[4] == "-" and text[7] == "-":
            try:  # ISO 8601, parsed in C: 2025-03-14, 2025-03-14 09:30:00, …T…+07:00, …Z
                parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] == "Z" else text)
            except ValueError:
                parsed = None
        if parsed is None:
            parsed = _parse_text(text)
            if parsed is None:
                raise ValueError(f"unparseable date {text!r}")
    elif isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    else:
        raise ValueError(f"unparseable date {value!r}")
    if parsed.tzinfo is None:
        if type(parsed) is datetime:  # combine: five times cheaper than replace(tzinfo=…) here
            parsed = datetime.combine(parsed.date(), parsed.time(), tz)
        else:
            parsed = parsed.replace(tzinfo=tz)
    if not 1990 <= parsed.year <= 2100:
        raise ValueError(f"implausible date {parsed.date().isoformat()}")
    return parsed


#: The forms Vietnamese exports use, day first: dd/mm/yyyy[ HH:MM[:SS[.ffffff]]] with "/", "-" or
#: "." between the date's parts. One compiled match instead of a strptime trial per format.
_DAY_FIRST = re.compile(
    r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6}))?)?)?"
)


def _parse_text(text: str) -> datetime | None:
    match = _DAY_FIRST.fullmatch(text)
    if match is not None:
        day, _, month, year, hour, minute, second, fraction = match.groups()
        try:
            return datetime(
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                int(fraction.ljust(6, "0")) if fraction else 0,
            )
        except ValueError:
            return None  # 31/02/2025, 25:00: no other format would read it either
    if text.isdigit() and len(text) in (8, 12, 14):  # yyyymmdd[HHMM[SS]], as some databases export
        try:
            return datetime(
                int(text[:4]),
                int(text[4:6]),
                int(text[6:8]),
                int(text[8:10] or 0),
                int(text[10:12] or 0),
                int(text[12:14] or 0),
            )
        except ValueError:
            return None
    iso = text.replace("Z", "+00:00") if text.endswith("Z") else text
    if re.search(r"[+-]\d\d:\d\d$", iso) and "T" in iso or re.search(r"\d [+-]\d\d:\d\d$", iso):
        try:
            return datetime.fromisoformat(iso)
        except ValueError:
            pass
    for fmt in _DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        return None


def parse_bool(value: Any) -> bool | None:
    if is_empty(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if value in (0, 1):
            return bool(value)
        raise ValueError(f"not a yes/no value: {value!r}")
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


_THOUSANDS_DOT = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
_THOUSANDS_COMMA = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")


def parse_float(value: Any) -> float | None:
    """A number written the Vietnamese way (``1.234,5``) or the English way (``1,234.5``)."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, (int, float)):
        return _finite(float(value), value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if _THOUSANDS_DOT.match(text):
        text = text.replace(".", "")
    elif _THOUSANDS_COMMA.match(text) and text.count(",") > 1:
        text = text.replace(",", "")
    elif "," in text and "." in text:
        # whichever comes last is the decimal separator
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"not a number: {value!r}") from None
    return _finite(number, value)


def _finite(number: float, value: Any) -> float:
    """JSON's Infinity/NaN, "inf", "nan" or 1e400 are not counts or amounts: refuse them."""
    if math.isinf(number) or math.isnan(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number


def parse_int(value: Any) -> int | None:
    number = parse_float(value)
    if number is None:
        return None
    if number != int(number):
        raise ValueError(f"not a whole number: {value!r}")
    return int(number)


def parse_count(value: Any) -> int | None:
    """A count: a whole number that is not negative."""
    number = parse_int(value)
    if number is not None and number < 0:
        raise ValueError(f"negative count {number}")
    return number
