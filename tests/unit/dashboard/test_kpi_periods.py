"""Periods and their comparison periods; the working-day calendar."""

from datetime import date

import pytest

from dashboard.kpi.periods import Period, PeriodError
from dashboard.kpi.workdays import WorkingCalendar

TODAY = date(2026, 3, 20)  # a Friday


@pytest.mark.parametrize(
    ("kind", "start", "end", "prev_start", "prev_end"),
    [
        ("today", date(2026, 3, 20), date(2026, 3, 20), date(2026, 3, 19), date(2026, 3, 19)),
        ("week", date(2026, 3, 16), date(2026, 3, 20), date(2026, 3, 9), date(2026, 3, 13)),
        ("mtd", date(2026, 3, 1), date(2026, 3, 20), date(2026, 2, 1), date(2026, 2, 20)),
        ("qtd", date(2026, 1, 1), date(2026, 3, 20), date(2025, 10, 1), date(2025, 12, 20)),
        ("ytd", date(2026, 1, 1), date(2026, 3, 20), date(2025, 1, 1), date(2025, 3, 20)),
        ("rolling7", date(2026, 3, 14), date(2026, 3, 20), date(2026, 3, 7), date(2026, 3, 13)),
        ("rolling30", date(2026, 2, 19), date(2026, 3, 20), date(2026, 1, 20), date(2026, 2, 18)),
        ("month", date(2026, 3, 1), date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28)),
        ("quarter", date(2026, 1, 1), date(2026, 3, 31), date(2025, 10, 1), date(2025, 12, 31)),
        ("year", date(2026, 1, 1), date(2026, 12, 31), date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_periods_and_their_previous_period(kind, start, end, prev_start, prev_end):
    p = Period.parse(kind, TODAY)
    assert (p.start, p.end) == (start, end)
    assert (p.previous().start, p.previous().end) == (prev_start, prev_end)
    assert p.previous().kind == kind


def test_month_to_date_on_the_31st_compares_with_the_whole_shorter_month():
    p = Period.month_to_date(date(2026, 3, 31))
    assert (p.previous().start, p.previous().end) == (date(2026, 2, 1), date(2026, 2, 28))


def test_same_period_last_year_handles_29_february():
    assert Period.month_to_date(date(2028, 2, 29)).same_period_last_year().end == date(2027, 2, 28)
    assert Period.month(2029, 2).same_period_last_year().end == date(2028, 2, 29)  # the whole month
    assert Period.custom(date(2026, 3, 5), date(2026, 3, 9)).same_period_last_year() == Period.custom(
        date(2025, 3, 5), date(2025, 3, 9)
    )


def test_custom_range_compares_with_the_same_number_of_days_before():
    p = Period.custom(date(2026, 3, 5), date(2026, 3, 9))
    assert (p.previous().start, p.previous().end, p.days) == (date(2026, 2, 28), date(2026, 3, 4), 5)


def test_bad_periods_say_what_is_wrong():
    with pytest.raises(PeriodError, match="ends .* before it starts"):
        Period.custom(date(2026, 3, 9), date(2026, 3, 5))
    with pytest.raises(PeriodError, match="unknown period kind 'fortnight'"):
        Period.parse("fortnight", TODAY)
    with pytest.raises(PeriodError, match="needs a start and an end"):
        Period.parse("custom", TODAY)


def test_series_days_cover_the_period_up_to_today_and_at_least_a_week():
    assert Period.month_to_date(TODAY).series_days(TODAY)[0] == date(2026, 3, 1)
    assert len(Period.month_to_date(TODAY).series_days(TODAY)) == 20
    assert Period.today(TODAY).series_days(TODAY) == [date(2026, 3, d) for d in range(14, 21)]
    assert Period.month(2026, 3).series_days(TODAY)[-1] == TODAY  # no days after today


def test_labels_in_both_languages():
    p = Period.month_to_date(TODAY)
    assert p.label("vi") == "Từ đầu tháng (01/03/2026 – 20/03/2026)"
    assert p.label("en") == "Month to date (01 Mar 2026 – 20 Mar 2026)"


def test_working_days_skip_weekends_and_tet():
    cal = WorkingCalendar()
    assert cal.next_working_day(date(2026, 3, 20)) == date(2026, 3, 23)  # Friday → Monday
    # Tết 2026: 15–21/2 are holidays (Tết − 2 … Tết + 4), then a Sunday.
    assert cal.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
    assert not cal.is_working_day(date(2026, 9, 2))  # National Day
    assert cal.registration_deadline(date(2026, 3, 20), urgent=True) == date(2026, 3, 20)
    assert cal.working_days_between(date(2026, 3, 6), date(2026, 3, 20)) == 10


def test_announced_days_off_and_make_up_saturdays():
    cal = WorkingCalendar(extra_holidays=[date(2026, 3, 23)], extra_working_days=[date(2026, 3, 21)])
    assert cal.next_working_day(date(2026, 3, 20)) == date(2026, 3, 21)  # a make-up Saturday
    assert cal.next_working_day(date(2026, 3, 21)) == date(2026, 3, 24)  # Sunday, then the day off
