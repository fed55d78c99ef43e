"""The KPI maths, as plain functions of plain data."""

from datetime import date, timedelta

import pytest

from dashboard.kpi.maths import (
    EMPTY,
    DaySeries,
    compare,
    competition_rank,
    dossiers_open_at,
    median_from_histogram,
    overdue_now,
    ratio,
    registration_on_time,
    status_for,
)
from dashboard.kpi.periods import Period
from dashboard.kpi.values import Figure
from dashboard.kpi.workdays import WorkingCalendar
from dashboard.rollups import ARRIVAL_LAG_METRICS

D = date(2026, 3, 1)


def day(n: int) -> date:
    return D + timedelta(days=n)


def test_ratio_never_turns_an_empty_denominator_into_zero():
    assert ratio(33558, 37285, EMPTY).value == pytest.approx(0.90004, abs=1e-5)
    empty = ratio(0, 0, EMPTY)
    assert empty.value is None and empty.reason is EMPTY and empty.denominator == 0
    assert ratio(0, 5, EMPTY).value == 0.0  # a real 0 %
    with pytest.raises(ValueError, match="must say why"):
        Figure(None)


def test_median_from_a_histogram():
    assert median_from_histogram([]) is None
    assert median_from_histogram([(0, 10, 0)]) is None
    assert median_from_histogram([(0, 10, 4)]) == 5.0
    assert median_from_histogram([(0, 10, 1), (10, 20, 1), (20, 30, 1)]) == 15.0
    assert median_from_histogram([(0, 10, 1), (60, None, 3)]) == 60.0  # open bucket: its lower edge


@pytest.mark.parametrize(
    ("value", "direction", "expected"),
    [
        (0.95, "up", "green"),
        (0.9, "up", "amber"),
        (0.7, "up", "red"),
        (None, "up", "none"),
        (3.0, "down", "green"),
        (10.0, "down", "amber"),
        (30.0, "down", "red"),
        (0.9, None, "none"),
    ],
)
def test_status_against_thresholds(value, direction, expected):
    green, amber = (0.95, 0.85) if direction != "down" else (4.0, 24.0)
    assert status_for(value, direction, green, amber) == expected
    assert status_for(value, direction, None, None) == "none"


def test_comparison_knows_better_from_worse():
    p = Period.month(2026, 2)
    up = compare(Figure(0.8, 8, 10), Figure(0.5, 5, 10), p, "up")
    assert (up.delta, up.delta_ratio, up.trend) == (pytest.approx(0.3), pytest.approx(0.6), "better")
    assert compare(Figure(5, 5), Figure(2, 2), p, "down").trend == "worse"
    missing = compare(Figure(0.8, 8, 10), ratio(0, 0, EMPTY), p, "up")
    assert (missing.delta, missing.trend, missing.reason) == (None, None, EMPTY)
    assert compare(Figure(3, 3), Figure(0, 0), p, None).delta_ratio is None  # from 0: no percentage change


def test_competition_ranking():
    assert competition_rank({"a": 3, "b": 5, "c": 5, "d": 1}, higher_is_better=True) == {
        "b": 1,
        "c": 1,
        "a": 3,
        "d": 4,
    }
    assert competition_rank({"a": 3, "b": 5, "c": None}, higher_is_better=False) == {
        "a": 1,
        "b": 2,
        "c": None,
    }
    # Equal as shown (53,47 %) share the place.
    assert competition_rank({"a": 0.534701, "b": 0.534702, "c": 0.4}, True, decimals=4) == {
        "a": 1,
        "b": 1,
        "c": 3,
    }


def test_day_series_range_sums():
    s = DaySeries({day(0): 1.0, day(2): 2.0, day(5): 4.0})
    assert s.between(day(0), day(5)) == 7.0
    assert s.between(day(1), day(4)) == 2.0
    assert s.after(day(2)) == 4.0 and s.from_(day(2)) == 6.0
    assert s.between(day(6), day(1)) == 0.0 and DaySeries().after(day(0)) == 0.0
    assert s.items() == [(day(0), 1.0), (day(2), 2.0), (day(5), 4.0)]


def test_dossiers_open_at_the_end_of_a_day_from_state_and_tails():
    # Three dossiers, today = day 10:
    #  A received day 1, due day 4, finished day 6 (late from day 5 to day 5);
    #  B received day 2, due day 8, still open (late from day 9);
    #  C received day 3, two supplement requests, finished day 7 (late from day 3 to day 6).
    state = {"dossier_open_now": 1, "dossier_open_late_u_now": 1}
    series = {
        "dossier_open_by_received": DaySeries({day(2): 1}),
        "dossier_open_late_u_by_due": DaySeries({day(8): 1}),
        "dossier_closed": DaySeries({day(6): 1, day(7): 1}),
        "dossier_closed_by_received": DaySeries({day(1): 1, day(3): 1}),
        "dossier_closed_late_u": DaySeries({day(6): 1}),
        "dossier_closed_late_u_by_due": DaySeries({day(4): 1}),
        "dossier_closed_late_r": DaySeries({day(7): 1}),
        "dossier_closed_late_r_by_received": DaySeries({day(3): 1}),
    }
    expected = {
        0: (0, 0),
        1: (1, 0),
        2: (2, 0),
        3: (3, 1),
        4: (3, 1),
        5: (3, 2),
        6: (2, 1),
        7: (1, 0),
        8: (1, 0),
        9: (1, 1),
        10: (1, 1),
    }
    for n, (open_, late) in expected.items():
        assert dossiers_open_at(day(n), state, series) == (open_, late), n


def test_overdue_now_counts_due_days_before_today():
    by_due = DaySeries({day(3): 2, day(10): 1, day(12): 5})
    assert overdue_now(8, by_due, day(10)) == 2  # due days 3 (2 items); 10 is today: not yet overdue


def test_registration_on_time_against_the_calendar():
    cal = WorkingCalendar()
    fri, sat = date(2026, 3, 6), date(2026, 3, 7)
    arrivals = {
        "doc_arrived": DaySeries({fri: 6, sat: 1}),
        ARRIVAL_LAG_METRICS[0]: DaySeries({fri: 1}),  # the same day
        ARRIVAL_LAG_METRICS[3]: DaySeries({fri: 1}),  # Monday: the next working day
        ARRIVAL_LAG_METRICS[4]: DaySeries({fri: 1}),  # Tuesday: late
        ARRIVAL_LAG_METRICS[2]: DaySeries({sat: 1}),  # Saturday → Monday: on time
        "doc_arrived_urgent_later": DaySeries({fri: 1}),
        "doc_arrived_unregistered": DaySeries({fri: 2}),
    }
    # Friday's unregistered ones: deadline Monday 9/3; on Monday they are pending, on Tuesday late.
    assert registration_on_time(arrivals, fri, sat, cal, date(2026, 3, 9), ARRIVAL_LAG_METRICS) == (3, 2, 2)
    assert registration_on_time(arrivals, fri, sat, cal, date(2026, 3, 10), ARRIVAL_LAG_METRICS) == (3, 4, 0)
