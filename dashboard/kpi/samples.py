"""Small samples: a ratio over a handful of items says little, so it is not judged like one.

A percentage KPI whose denominator is below ``IOC_MIN_SAMPLE`` (default 10) is a *small sample*:
tiles draw it as "ít mẫu (n = 3)" without a status colour or a trend, and rankings and the
"units needing attention" lists leave it out unless asked (``?small=1``)::

    is_small("percent", 3, 10)      # True
    is_small("count", 3, 10)        # False: a count is what it is
"""

from __future__ import annotations

DEFAULT_MIN_SAMPLE = 10


def min_sample() -> int:
    """The serving app's ``IOC_MIN_SAMPLE`` (the default outside an application)."""
    try:
        from flask import current_app

        settings = current_app.config.get("IOC_SETTINGS")
    except RuntimeError:  # outside an application context
        settings = None
    return int(getattr(settings, "min_sample", DEFAULT_MIN_SAMPLE) or DEFAULT_MIN_SAMPLE)


def is_small(unit: str, denominator: float | None, n: int | None) -> bool:
    """Whether a value in ``unit`` over ``denominator`` items is a small sample (fewer than ``n``).

    >>> is_small("percent", 3, 10), is_small("percent", 10, 10), is_small("percent", None, 10), is_small("count", 3, 10)
    (True, False, False, False)
    >>> is_small("percent", 3, 0)  # asked for every unit: nothing is left out
    False
    """
    return unit == "percent" and bool(n) and denominator is not None and 0 < denominator < n


__all__ = ["DEFAULT_MIN_SAMPLE", "is_small", "min_sample"]
