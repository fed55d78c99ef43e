"""The KPI maths as plain functions of plain data: ratios, medians, statuses, comparisons,
competition ranking, and the two rules that need more than a sum — the dossiers open (and late)
at the end of a day, and registration on time against the working-day calendar.

>>> ratio(3, 4, EMPTY).value
0.75
>>> ratio(0, 0, EMPTY).value is None           # an empty denominator has no value, never 0
True
>>> competition_rank({"a": 0.9, "b": 0.8, "c": 0.8, "d": 0.7}, higher_is_better=True)
{'a': 1, 'b': 2, 'c': 2, 'd': 4}
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Iterable, Mapping
from datetime import date
from itertools import accumulate

from dashboard.kpi.periods import Period
from dashboard.kpi.values import Comparison, Figure, Reason, empty_denominator
from dashboard.kpi.workdays import WorkingCalendar

EMPTY = empty_denominator("dữ liệu", "data")


def ratio(numerator: float, denominator: float, empty: Reason) -> Figure:
    """numerator ÷ denominator; an empty (0) denominator gives no value with ``empty`` as reason."""
    if not denominator:
        return Figure(None, numerator, denominator, empty)
    return Figure(numerator / denominator, numerator, denominator)


def count(value: float) -> Figure:
    return Figure(value, value, None)


def median_from_histogram(buckets: Iterable[tuple[float, float | None, float]]) -> float | None:
    """The median of grouped data ``(lower edge, upper edge or None, count)``, interpolated inside
    its bucket; None when there is nothing. An open last bucket answers its lower edge.

    >>> median_from_histogram([(0, 10, 1), (10, 20, 2), (20, None, 1)])
    15.0
    """
    rows = [(lo, hi, n) for lo, hi, n in buckets if n]
    total = sum(n for _, _, n in rows)
    if not total:
        return None
    half = total / 2
    seen = 0.0
    for lo, hi, n in rows:
        if seen + n >= half:
            if hi is None:
                return float(lo)
            return lo + (half - seen) / n * (hi - lo)
        seen += n
    raise AssertionError("unreachable: the buckets add up to the total")


def status_for(value: float | None, direction: str | None, green: float | None, amber: float | None) -> str:
    """Red / amber / green of ``value`` against the thresholds; "none" without a value or rule.

    Upward KPIs are green at or above ``green``, amber at or above ``amber``; downward KPIs are
    green at or below ``green``, amber at or below ``amber``.
    """
    if value is None or direction not in ("up", "down") or green is None:
        return "none"
    if direction == "up":
        if value >= green:
            return "green"
        return "amber" if amber is not None and value >= amber else "red"
    if value <= green:
        return "green"
    return "amber" if amber is not None and value <= amber else "red"


def compare(current: Figure, other: Figure, period: Period, direction: str | None) -> Comparison:
    """How ``current`` moved against ``other`` (the previous period or last year)."""
    delta = delta_ratio = trend = None
    if current.value is not None and other.value is not None:
        delta = current.value - other.value
        delta_ratio = delta / abs(other.value) if other.value else None
        if direction in ("up", "down"):
            if abs(delta) < 1e-12:
                trend = "same"
            elif (delta > 0) == (direction == "up"):
                trend = "better"
            else:
                trend = "worse"
    return Comparison(
        period, other.value, other.numerator, other.denominator, delta, delta_ratio, trend, other.reason
    )


def competition_rank(
    values: Mapping[Hashable, float | None], higher_is_better: bool, decimals: int | None = None
) -> dict[Hashable, int | None]:
    """Standard competition ranking ("1224"): equal values share a rank and the next rank skips.

    Values are compared after rounding to ``decimals`` (the precision users see), so two units
    shown with the same figure share their place. Units without a value get no rank.
    """
    keyed = {
        k: (round(v, decimals) if decimals is not None else v) for k, v in values.items() if v is not None
    }
    ordered = sorted(keyed.items(), key=lambda kv: -kv[1] if higher_is_better else kv[1])
    ranks: dict[Hashable, int | None] = {k: None for k in values}
    previous_value, previous_rank = None, 0
    for position, (key, value) in enumerate(ordered, start=1):
        if position > 1 and value == previous_value:
            ranks[key] = previous_rank
        else:
            ranks[key] = previous_rank = position
        previous_value = value
    return ranks


class DaySeries:
    """Per-day values of one metric with prefix sums: any range sum in O(log n).

    >>> s = DaySeries({date(2026, 3, 1): 2.0, date(2026, 3, 5): 3.0})
    >>> s.between(date(2026, 3, 1), date(2026, 3, 4)), s.after(date(2026, 3, 1)), s.from_(date(2026, 3, 5))
    (2.0, 3.0, 3.0)
    """

    __slots__ = ("_days", "_cum")

    def __init__(self, values: Mapping[date, float] | None = None):
        self._set(sorted((d.toordinal(), v) for d, v in (values or {}).items()))

    @classmethod
    def from_ordinals(cls, values: Mapping[int, float]) -> DaySeries:
        """From day ordinals (``date.toordinal()``) — what the engine reads, without date objects."""
        series = cls.__new__(cls)
        series._set(sorted(values.items()))
        return series

    def _set(self, items: list[tuple[int, float]]) -> None:
        self._days = [d for d, _ in items]
        self._cum = [0.0, *accumulate(v for _, v in items)]

    def by_ordinal(self) -> dict[int, float]:
        """{day ordinal: value} of the days with a value."""
        return {d: self._cum[i + 1] - self._cum[i] for i, d in enumerate(self._days)}

    def _upto(self, ordinal: int, inclusive: bool) -> float:
        index = (bisect_right if inclusive else bisect_left)(self._days, ordinal)
        return self._cum[index]

    def between(self, start: date, end: date) -> float:
        if end < start:
            return 0.0
        return self._upto(end.toordinal(), True) - self._upto(start.toordinal(), False)

    def on(self, day: date) -> float:
        return self.between(day, day)

    def after(self, day: date) -> float:
        """The sum over days strictly after ``day``."""
        return self._cum[-1] - self._upto(day.toordinal(), True)

    def from_(self, day: date) -> float:
        """The sum over ``day`` and the days after it."""
        return self._cum[-1] - self._upto(day.toordinal(), False)

    @property
    def total(self) -> float:
        return self._cum[-1]

    def days(self) -> list[date]:
        return [date.fromordinal(d) for d in self._days]

    def days_between(self, start: date, end: date) -> list[date]:
        """The days in [start, end] that have a value."""
        lo = bisect_left(self._days, start.toordinal())
        hi = bisect_right(self._days, end.toordinal())
        return [date.fromordinal(d) for d in self._days[lo:hi]]

    def items(self) -> list[tuple[date, float]]:
        """(day, value) pairs, in day order."""
        return [(date.fromordinal(d), self._cum[i + 1] - self._cum[i]) for i, d in enumerate(self._days)]


_NO_SERIES = DaySeries()


def dossiers_open_at(
    day: date, state: Mapping[str, float], series: Mapping[str, DaySeries]
) -> tuple[float, float]:
    """Dossiers open at the end of ``day``, and how many of them were already late (766 rule).

    A dossier is open at the end of day E when it was received on or before E and not closed by
    E. It is late when it had more than one supplement request, was due before it was received,
    or its due day is before E. From the rollups (``rollups.py``): the total open *now*, minus the
    open ones received after E, plus those closed after E that were received by then — every
    term a sum over the days after E, so the cost does not grow with the history.
    """

    def after(name: str) -> float:
        return series.get(name, _NO_SERIES).after(day)

    def from_(name: str) -> float:
        return series.get(name, _NO_SERIES).from_(day)

    open_ = (
        state.get("dossier_open_now", 0.0)
        - after("dossier_open_by_received")
        + after("dossier_closed")
        - after("dossier_closed_by_received")
    )
    late = (
        state.get("dossier_open_late_r_now", 0.0)
        - after("dossier_open_late_r_by_received")
        + state.get("dossier_open_late_u_now", 0.0)
        - from_("dossier_open_late_u_by_due")
        + after("dossier_closed_late_r")
        - after("dossier_closed_late_r_by_received")
        + after("dossier_closed_late_u")
        - from_("dossier_closed_late_u_by_due")
    )
    return open_, late


def dossiers_open_with(
    day: date, state: Mapping[str, float], series: Mapping[str, DaySeries], flag: str
) -> float:
    """Dossiers open at the end of ``day`` that carry a flag (``flag`` = "digitised": the
    ``dossier_open_digitised_now`` total and its ``…_by_received`` / ``dossier_closed_digitised…``
    day metrics), by the same rule as :func:`dossiers_open_at`."""

    def after(name: str) -> float:
        return series.get(name, _NO_SERIES).after(day)

    return (
        state.get(f"dossier_open_{flag}_now", 0.0)
        - after(f"dossier_open_{flag}_by_received")
        + after(f"dossier_closed_{flag}")
        - after(f"dossier_closed_{flag}_by_received")
    )


def petitions_open_at(
    day: date, state: Mapping[str, float], series: Mapping[str, DaySeries]
) -> tuple[float, float]:
    """Petitions open at the end of ``day`` (received by then, within competence, not handled by
    then), and how many of them were past their deadline day then — as :func:`dossiers_open_at`:
    the total open now, corrected by sums over the days after ``day`` only."""

    def after(name: str) -> float:
        return series.get(name, _NO_SERIES).after(day)

    def from_(name: str) -> float:
        return series.get(name, _NO_SERIES).from_(day)

    open_ = (
        state.get("petition_open_now", 0.0)
        - after("petition_open_by_received")
        + after("petition_handled")
        - after("petition_handled_by_received")
    )
    # Open now with a deadline before ``day``, plus those handled after ``day`` whose deadline
    # was before it (handled late, so their deadline is before their handled day).
    late = (
        state.get("petition_open_due_now", 0.0)
        - from_("petition_open_by_deadline")
        + after("petition_handled_late")
        - from_("petition_handled_late_by_deadline")
    )
    return open_, late


def overdue_now(total_with_due: float, by_due: DaySeries, today: date) -> float:
    """Open items with a due day before ``today``: all open items with a due day minus those due
    today or later (a sum over the days ahead only)."""
    return total_with_due - by_due.from_(today)


def registration_on_time(
    arrivals: Mapping[str, DaySeries],
    start: date,
    end: date,
    calendar: WorkingCalendar,
    today: date,
    lag_metrics: tuple[str, ...],
) -> tuple[float, float, float]:
    """Incoming documents that arrived in [start, end]: (on time, late, still within the deadline).

    Decree 30/2020/NĐ-CP art. 4: registered the day they arrive or at the latest the next working
    day; urgent ones (Hỏa tốc, Thượng khẩn, Khẩn) the same day. ``lag_metrics[k]`` counts normal
    documents registered k calendar days after arrival (the last bucket: k or more). A document not
    yet registered is late once its deadline has passed, and pending until then.
    """
    on_time = late = pending = 0.0
    arrived = arrivals.get("doc_arrived", _NO_SERIES)
    last_lag = len(lag_metrics) - 1
    for day in arrived.days_between(start, end):
        deadline = calendar.registration_deadline(day, urgent=False)
        gap = (deadline - day).days
        for k, name in enumerate(lag_metrics):
            n = arrivals.get(name, _NO_SERIES).on(day)
            if n:
                if k <= gap and k < last_lag:
                    on_time += n
                else:
                    late += n
        waiting = arrivals.get("doc_arrived_unregistered", _NO_SERIES).on(day)
        if waiting:
            if today > deadline:
                late += waiting
            else:
                pending += waiting
        on_time += arrivals.get("doc_arrived_urgent_same_day", _NO_SERIES).on(day)
        late += arrivals.get("doc_arrived_urgent_later", _NO_SERIES).on(day)
        urgent_waiting = arrivals.get("doc_arrived_urgent_unregistered", _NO_SERIES).on(day)
        if urgent_waiting:
            if today > day:
                late += urgent_waiting
            else:
                pending += urgent_waiting
    return on_time, late, pending
