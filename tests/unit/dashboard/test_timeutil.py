from datetime import UTC, date, datetime

import pytest

from dashboard.timeutil import VN_TZ, NaiveDatetimeError, local_day, localize, to_utc


def test_to_utc_converts_aware_and_refuses_naive():
    assert to_utc(datetime(2026, 1, 1, 7, 0, tzinfo=VN_TZ)) == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    with pytest.raises(NaiveDatetimeError, match="has no time zone"):
        to_utc(datetime(2026, 1, 1, 7, 0))


def test_local_day_is_the_day_in_vietnam():
    # 18:30 UTC on 31/12 is already 01:30 on 1/1 in Hà Nội.
    assert local_day(datetime(2025, 12, 31, 18, 30, tzinfo=UTC)) == date(2026, 1, 1)


def test_localize_attaches_vietnam_time_to_naive_source_timestamps():
    assert localize(datetime(2025, 3, 14, 9, 30)).utcoffset().total_seconds() == 7 * 3600
    aware = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
    assert localize(aware) is aware
