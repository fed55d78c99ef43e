"""KPI results as data: one JSON shape for ``ioc kpis show --json``, the ``/api/v1/kpis``
endpoint and the monthly export — the same numbers wherever they are read.

>>> from dashboard.kpi.periods import Period
>>> period_json(Period.reporting(2026, 10))
{'kind': 'reporting', 'start': '2026-09-15', 'end': '2026-10-14'}
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from dashboard.kpi.catalogue import CATALOGUE
from dashboard.kpi.periods import Period, PeriodError
from dashboard.kpi.values import Comparison, Figure, KpiResult, Reason


def period_json(period: Period) -> dict[str, str]:
    return {"kind": period.kind, "start": period.start.isoformat(), "end": period.end.isoformat()}


def _reason(reason: Reason | None) -> dict[str, str] | None:
    return None if reason is None else {"code": reason.code, "vi": reason.vi, "en": reason.en}


def _figure(figure: Figure) -> dict[str, Any]:
    return {
        "value": figure.value,
        "numerator": figure.numerator,
        "denominator": figure.denominator,
        "reason": _reason(figure.reason),
    }


def _comparison(c: Comparison | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "period": period_json(c.period),
        "value": c.value,
        "numerator": c.numerator,
        "denominator": c.denominator,
        "delta": c.delta,
        "trend": c.trend,
        "reason": _reason(c.reason),
    }


def result_json(r: KpiResult) -> dict[str, Any]:
    """One KPI result as plain JSON types (fractions for percentages, as the engine computes)."""
    d = CATALOGUE[r.kpi_id]
    return {
        "kpi": r.kpi_id,
        "name": {"vi": d.name_vi, "en": d.name_en},
        "basis": d.basis,
        "unit": r.unit,
        "scope": {
            "key": r.scope.key,
            "code": r.scope.code,
            "name": {"vi": r.scope.name_vi, "en": r.scope.name_en},
            "include_children": r.scope.include_children,
        },
        "period": period_json(r.period),
        "value": r.value,
        "numerator": r.numerator,
        "denominator": r.denominator,
        "status": r.status,
        "target": r.target,
        "reason": _reason(r.reason),
        "estimate": r.estimate,
        "published": r.published,
        "from_aggregates": r.from_aggregates,
        "parts": {k: _figure(f) for k, f in r.parts.items()},
        "previous": _comparison(r.previous),
        "last_year": _comparison(r.last_year),
        "as_of": r.as_of.isoformat(),
    }


def parse_period(
    *,
    month: str | None = None,
    reporting: str | None = None,
    start: date | None = None,
    end: date | None = None,
    kind: str | None = None,
    today: date,
) -> Period:
    """The period asked for by ``--month YYYY-MM``, ``--reporting-period YYYY-MM`` (Decree 09:
    15th of the previous month to the 14th), ``--from/--to`` or a kind (default month to date)."""
    given = [
        n for n, v in (("month", month), ("reporting period", reporting), ("from/to", start or end)) if v
    ]
    if len(given) > 1:
        raise PeriodError(f"give one of month, reporting period or from/to, not {' and '.join(given)}")
    for text in (month, reporting):
        if text:
            try:
                year, number = (int(p) for p in text.strip().split("-"))
                if not 1 <= number <= 12:
                    raise ValueError
            except ValueError:
                raise PeriodError(f"{text!r} is not a month: use YYYY-MM, e.g. 2026-10") from None
            return Period.month(year, number) if text is month else Period.reporting(year, number)
    if start or end:
        if not (start and end):
            raise PeriodError("from and to go together")
        if end < start:
            raise PeriodError("to is before from")
        return Period.custom(start, end)
    return Period.parse(kind or "mtd", today)


def parse_moment(text: str, tz) -> datetime:
    """``2026-10-14``, ``2026-10-14T17:00`` or ``2026-10-14 17:00`` (local time unless it has an
    offset); a date alone means its end (23:59:59)."""
    t = text.strip()
    try:
        if len(t) == 10:
            return datetime.combine(date.fromisoformat(t), datetime.max.time().replace(microsecond=0), tz)
        moment = datetime.fromisoformat(t)
    except ValueError:
        raise PeriodError(f"{text!r} is not a date-time: use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)
