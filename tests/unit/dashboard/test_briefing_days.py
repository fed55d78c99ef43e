"""Which days a briefing covers: the last working day before it, per template (no database)."""

import doctest
from datetime import date

import pytest

from dashboard import briefing
from dashboard.kpi.workdays import WorkingCalendar


def test_doctests():
    assert doctest.testmod(briefing).failed == 0


@pytest.mark.parametrize(
    ("day", "reference"),
    [
        (date(2026, 10, 20), date(2026, 10, 19)),  # Tuesday → Monday
        (date(2026, 10, 19), date(2026, 10, 16)),  # Monday → the Friday before
        (date(2026, 9, 3), date(2026, 9, 1)),  # after National Day (2/9/2026 in the calendar) → 1/9
    ],
)
def test_reference_day_is_the_last_working_day_before(day, reference):
    calendar = WorkingCalendar()
    assert briefing.reference_day(day, calendar) == reference
    assert calendar.is_working_day(reference)


def test_a_compensating_saturday_from_targets_is_a_working_day():
    saturday = date(2026, 10, 17)
    calendar = WorkingCalendar(extra_working_days=[saturday])
    assert briefing.reference_day(date(2026, 10, 19), calendar) == saturday


def test_template_periods():
    day = date(2026, 10, 20)
    assert briefing.template_period("daily", day).key == "custom:2026-10-19:2026-10-19"
    assert briefing.template_period("weekly", day).key == "rolling7:2026-10-13:2026-10-19"
    assert briefing.template_period("monthly", day).key == "mtd:2026-10-01:2026-10-19"
    # Decree 09: the reporting period holding 19/10 runs 15/10–14/11.
    assert briefing.template_period("reporting", day).key == "reporting:2026-10-15:2026-11-14"
    with pytest.raises(briefing.BriefingError, match="unknown template"):
        briefing.template_period("hourly", day)


def test_the_alert_and_explanation_sections_are_wired_in_their_order():
    from dashboard import briefing_sections

    specs = {s.key: s for s in briefing.sections()}
    assert specs["alerts"].provider is briefing_sections.firing_alerts
    assert specs["explanations"].provider is briefing_sections.open_requests
    assert [s.key for s in briefing.sections()] == [
        "red",
        "overdue",
        "index",
        "alerts",
        "explanations",
        "kpis",
        "sources",
    ]
