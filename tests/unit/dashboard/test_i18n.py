from datetime import UTC, date, datetime

import pytest

from dashboard.i18n import CATALOGUE, LANGUAGES, fmt_date, fmt_datetime, fmt_number, fmt_percent, t
from dashboard.timeutil import VN_TZ


def test_every_label_exists_in_both_languages():
    for key, entry in CATALOGUE.items():
        for lang in LANGUAGES:
            assert entry.get(lang), f"{key} has no {lang} text"


@pytest.mark.parametrize(
    ("value", "lang", "decimals", "expected"),
    [
        (1234, "vi", 0, "1.234"),
        (1234567.891, "vi", 2, "1.234.567,89"),
        (1234, "en", 0, "1,234"),
        (0, "vi", 0, "0"),
    ],
)
def test_numbers_use_local_grouping(value, lang, decimals, expected):
    assert fmt_number(value, lang, decimals) == expected


def test_percent_and_none_is_never_zero():
    assert fmt_percent(0.5347, "vi") == "53,47 %"
    assert fmt_percent(0.5347, "en") == "53.47%"
    assert fmt_percent(None) == "–"
    assert fmt_number(None) == "–"
    assert fmt_percent(0.0) == "0,00 %"


def test_dates_are_day_month_year_in_vietnamese():
    assert fmt_date(date(2026, 3, 4), "vi") == "04/03/2026"
    # English: one form everywhere, day first (the periods, charts and clock use it too).
    assert fmt_date(date(2026, 3, 4), "en") == "04 Mar 2026"
    utc = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)
    assert fmt_datetime(utc, "vi", VN_TZ) == "06:30 05/03/2026"
    assert fmt_datetime(utc, "en", VN_TZ) == "06:30 05 Mar 2026"


def test_unknown_language_falls_back_to_vietnamese():
    assert t("no_data", "fr") == "Chưa có dữ liệu"
