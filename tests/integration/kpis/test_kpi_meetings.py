"""Online-meeting KPIs (HOP-01…HOP-07) on hand-built data, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest

from dashboard.db import make_sessionmaker
from dashboard.models import Meeting, MeetingEndpoint, MeetingSample
from tests.integration.kpis.conftest import NOW, feed, kpis, meeting


def _meetings(store):
    feed(
        store,
        "meetings",
        [
            # M1: 3 endpoints of 3 (Hà Nội – Đà Nẵng – TP. Hồ Chí Minh), 2 hours, 20 people.
            meeting(
                "M1",
                start_at="2026-03-02 09:00",
                end_at="2026-03-02 11:00",
                endpoints_scheduled=3,
                endpoints_connected=3,
                participants=20,
            ),
            # M2: the provincial video-conference system, 25 of 28 endpoints, 1½ hours, 80 people.
            meeting(
                "M2",
                start_at="2026-03-03 14:00",
                end_at="2026-03-03 15:30",
                endpoints_scheduled=28,
                endpoints_connected=25,
                participants=80,
            ),
            # M3: approved but without endpoints: not an online meeting.
            meeting("M3", start_at="2026-03-04 08:00", end_at="2026-03-04 09:00"),
            # M4: on site.
            meeting("M4", is_online=0, start_at="2026-03-05 08:00", end_at="2026-03-05 09:00"),
            # M5: cancelled; M6: awaiting approval — neither counts.
            meeting(
                "M5",
                status=4,
                start_at="2026-03-06 08:00",
                end_at="2026-03-06 09:00",
                endpoints_scheduled=3,
                endpoints_connected=3,
            ),
            meeting(
                "M6",
                status=1,
                start_at="2026-03-06 10:00",
                end_at="2026-03-06 11:00",
                endpoints_scheduled=3,
                endpoints_connected=3,
            ),
            # M7: no end time, no participant count, one endpoint more than invited (6 of 5).
            meeting(
                "M7", start_at="2026-03-04 09:00", end_at=None, endpoints_scheduled=5, endpoints_connected=6
            ),
        ],
    )


def test_meeting_kpis(store):
    _meetings(store)
    with make_sessionmaker(store).begin() as session:
        ids = dict(session.query(Meeting.source_id, Meeting.id).all())
        for meeting_id, code, connected in (
            ("M1", "HN", True),
            ("M1", "DN", True),
            ("M1", "HCM", True),
            ("M2", "HN", True),
            ("M2", "HP", True),
            ("M2", "CT", False),
        ):
            session.add(MeetingEndpoint(meeting_id=ids[meeting_id], endpoint_code=code, connected=connected))
    r = kpis(store, "SO-01")
    # HOP-01: approved, online, ≥ 1 endpoint: M1, M2, M7.
    assert r["HOP-01"].value == 3
    # HOP-02: of the approved M1, M2, M3, M4, M7 → 3/5.
    assert (r["HOP-02"].numerator, r["HOP-02"].denominator) == (3, 5)
    # HOP-03: 3 + 25 + 6 endpoints; distinct connected endpoints HN, DN, HCM, HP (CT never connected).
    assert r["HOP-03"].value == 34 and r["HOP-03"].parts["distinct"].value == 4
    # HOP-04: 20 + 80 people; M7 has no count (2 of 3 meetings counted).
    assert r["HOP-04"].value == 100
    assert (r["HOP-04"].parts["coverage"].numerator, r["HOP-04"].parts["coverage"].denominator) == (2, 3)
    # HOP-05: 2 + 1,5 hours (M7 has no end); endpoint-hours 2 × 3 + 1,5 × 25 = 43,5.
    assert r["HOP-05"].value == pytest.approx(3.5)
    assert r["HOP-05"].parts["endpoint_hours"].value == pytest.approx(43.5)
    # HOP-06: connected ÷ scheduled over M1, M2, M7 (capped at 5 of 5): (3 + 25 + 5) / (3 + 28 + 5).
    assert (r["HOP-06"].numerator, r["HOP-06"].denominator) == (33, 36)
    assert r["HOP-06"].status == "amber"  # 91,7 %: below green 95 %, above amber 85 %


def test_distinct_endpoints_without_an_endpoint_list_is_no_data(store):
    _meetings(store)
    hop03 = kpis(store, "SO-01", ids=["HOP-03"])["HOP-03"]
    assert hop03.value == 34
    assert (
        hop03.parts["distinct"].value is None and hop03.parts["distinct"].reason.code == "field_not_provided"
    )


def test_hop07_live_from_the_servers_or_from_running_meetings(store):
    _meetings(store)
    feed(
        store,
        "meetings",
        [
            # Started at 9:30 today, not ended: running at 10:00.
            meeting(
                "M8",
                start_at="2026-03-20 09:30",
                end_at=None,
                endpoints_scheduled=2,
                endpoints_connected=2,
                participants=12,
            ),
        ],
    )
    # No gauge from a meeting server: the meetings themselves say what runs.
    assert (
        kpis(store, None, ids=["HOP-07"])["HOP-07"].value,
        kpis(store, None, ids=["HOP-07"])["HOP-07"].parts["participants"].value,
    ) == (1, 12)
    with make_sessionmaker(store).begin() as session:
        session.add(
            MeetingSample(
                source="bbb", sampled_at=NOW - timedelta(minutes=5), meetings_running=2, participants=45
            )
        )
        session.add(
            MeetingSample(
                source="bbb", sampled_at=NOW - timedelta(minutes=40), meetings_running=7, participants=300
            )
        )
    agency = kpis(store, None, ids=["HOP-07"])["HOP-07"]
    assert (agency.value, agency.parts["participants"].value) == (2, 45)  # the fresh gauge, not the old one
    # The gauges have no unit: a unit's scope counts its running meetings.
    assert kpis(store, "SO-01", ids=["HOP-07"])["HOP-07"].value == 1
    # A live figure has no value for a past period.
    from dashboard.kpi.periods import Period

    past = kpis(store, None, Period.month(2026, 2), ["HOP-07"])["HOP-07"]
    assert past.value is None and past.reason.code == "live_only"


def test_meeting_ratios_without_meetings_have_no_value(store):
    feed(
        store,
        "meetings",
        [
            meeting(
                "X",
                start_at="2026-01-05 09:00",
                end_at="2026-01-05 10:00",
                endpoints_scheduled=3,
                endpoints_connected=3,
            )
        ],
    )
    r = kpis(store, "SO-01")  # nothing in March
    assert r["HOP-01"].value == 0
    assert r["HOP-02"].value is None and r["HOP-02"].reason.code == "empty_denominator"
    assert r["HOP-06"].value is None and r["HOP-06"].reason.code == "empty_denominator"
