"""Numbers from sources: Vietnamese and English separators; nothing infinite or NaN gets in."""

import math

import pytest

from collectors.parse import parse_count, parse_float, parse_int


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("1.234.567", 1234567.0),
        ("12,5", 12.5),
        (7, 7.0),
        (" 3 ", 3.0),
        ("", None),
        (None, None),
    ],
)
def test_separators(raw, number):
    assert parse_float(raw) == number


@pytest.mark.parametrize("raw", ["inf", "-inf", "Infinity", "1e400", math.inf, math.nan])
def test_non_finite_numbers_are_refused_not_crashes(raw):
    # JSON's Infinity/NaN reach adapters through json.loads; int(inf) would raise OverflowError.
    for parse in (parse_float, parse_int, parse_count):
        with pytest.raises(ValueError, match="not a finite number"):
            parse(raw)


def test_counts():
    assert parse_count("1.200") == 1200
    with pytest.raises(ValueError, match="negative"):
        parse_count("-1")
    with pytest.raises(ValueError, match="whole"):
        parse_int("2,5")
