"""Pure parts of the OpenCPS statistics adapter, and a fuzz test of its parser."""

from __future__ import annotations

import doctest
import json
from datetime import date
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors import opencps
from collectors.base import SourceConfig, TransientSourceError
from collectors.http import HttpClient
from collectors.opencps import OpenCpsAdapter, merge_by_unit, stat_rows
from collectors.records import DOMAIN_SPECS, RecordContext, Rejected

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_doctests():
    assert doctest.testmod(opencps).failed == 0


def row(agency, **counts):
    return {"govAgencyCode": agency, "month": 3, "year": 2026, "domainCode": "", **counts}


def test_stat_rows_keeps_agency_totals_and_maps_the_counts():
    body = {
        "total": 2,
        "data": [
            row(
                "STP",
                receivedCount=120,
                onlineCount=70,
                releaseCount=100,
                betimesCount=60,
                ontimeCount=30,
                overtimeCount=10,
                processingCount=40,
                overdueCount=5,
                deniedCount=3,
            ),
            row("", receivedCount=999),  # the whole site: skipped
            row("SXD", month=2, receivedCount=7),  # another month: skipped
            row("SXD", month=0, receivedCount=8),  # a year total: skipped
        ],
    }
    rows, rejects = stat_rows(body, 2026, 3, "x")
    assert rejects == []
    assert rows == [
        {
            "MaDonVi": "STP",
            "period_start": "2026-03-01",
            "period_end": "2026-03-31",
            "received": 120,
            "received_online": 70,
            "resolved": 100,
            "resolved_early": 60,
            "resolved_on_time": 30,
            "resolved_late": 10,
            "processing": 40,
            "overdue": 5,
        }
    ]


def test_stat_rows_sums_domain_rows_only_without_a_total_row():
    body = {
        "data": [
            row("STP", domainCode="D1", receivedCount=3, onlineCount=1),
            row("STP", domainCode="D2", receivedCount=4, onlineCount=2),
            row("SXD", receivedCount=10),
            row("SXD", domainCode="D1", receivedCount=6),
        ]
    }
    rows, _ = stat_rows(body, 2026, 3, "x")
    by = {r["MaDonVi"]: r for r in rows}
    assert (by["STP"]["received"], by["STP"]["received_online"], by["SXD"]["received"]) == (7, 3, 10)
    assert by["STP"]["resolved"] is None  # not in the rows at all: unknown, not 0


def test_stat_rows_rejects_what_it_cannot_read_and_refuses_other_shapes():
    rows, rejects = stat_rows({"data": ["x", row(["a"])]}, 2026, 3, "x")
    assert rows == [] and [r.reason for r in rejects] == [
        "a statistics row that is not an object",
        "govAgencyCode is not a code",
    ]
    assert stat_rows({"total": 0, "data": None}, 2026, 3, "x") == ([], [])
    for bad in ([], "x", {"data": "x"}, None):
        with pytest.raises(TransientSourceError):
            stat_rows(bad, 2026, 3, "x")


def test_merge_by_unit_sums_agencies_of_one_unit_and_keeps_unknown_as_unknown():
    merged = merge_by_unit(
        [
            {"MaDonVi": "A", "received": 2, "overdue": None},
            {"MaDonVi": "B", "received": 3, "overdue": 1},
            {"MaDonVi": "C", "received": 1},
        ],
        {"A": "SO-01", "B": "SO-01"},
    )
    assert merged == [{"MaDonVi": "A", "received": 5, "overdue": None}, {"MaDonVi": "C", "received": 1}]


def cfg(**options):
    opts = {"url": "https://x", "group_id": "35417", **options}
    return SourceConfig(name="opencps", domain="dossier_stats", adapter="opencps", options=opts)


def test_months_first_run_backfills_then_rereads_two_and_fills_gaps():
    adapter = OpenCpsAdapter(cfg(backfill_months=4), today=date(2026, 2, 10))
    assert adapter.months(None) == [(2025, 11), (2025, 12), (2026, 1), (2026, 2)]
    assert adapter.months({"month": "2026-02"}) == [(2026, 1), (2026, 2)]
    assert adapter.months({"month": "2025-10"}) == [(2025, 10), (2025, 11), (2025, 12), (2026, 1), (2026, 2)]
    assert adapter.months({"month": "garbage"}) == adapter.months(None)


@pytest.mark.parametrize(
    "options, problem",
    [
        ({"group_id": ""}, "options.group_id"),
        ({"backfill_months": 0}, "options.backfill_months"),
        ({"reread_months": "2"}, "options.reread_months"),
        ({"path": "o/rest"}, "options.path"),
        ({"skip_unmapped": "yes"}, "options.skip_unmapped"),
        ({"auth": {"type": "basic"}}, "options.auth.username"),
        ({"url": "ftp://x"}, "options.url"),
    ],
)
def test_check_options(options, problem):
    opts = {"url": "https://x", "group_id": "35417", **options}
    assert any(p.startswith(problem) for p in OpenCpsAdapter.check_options(opts))
    assert OpenCpsAdapter.check_options({"url": "https://x", "group_id": 35417}) == []


# --- fuzz ----------------------------------------------------------------------------------------------
# collectors.platform_records imported before collectors.records hits a circular import: go through the spec.
to_dossier_stat = DOMAIN_SPECS["dossier_stats"].convert
_CTX = RecordContext(source="opencps", source_tz=VN, agency_tz=VN, unit_ids={"STP": 1})
_CLIENT = HttpClient(None, base_url="http://127.0.0.1:9")
_GOOD = json.dumps(
    {
        "total": 1,
        "data": [
            row(
                "STP",
                receivedCount=5,
                onlineCount=2,
                releaseCount=4,
                betimesCount=1,
                ontimeCount=2,
                overtimeCount=1,
                processingCount=3,
                overdueCount=1,
            )
        ],
    }
).encode()
_value = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-5, max_value=10**12)
    | st.floats()
    | st.text(max_size=8)
)
_item = st.fixed_dictionaries(
    {"govAgencyCode": st.sampled_from(["STP", "", None, 7, "X"])},
    optional={k: _value for k in (*opencps.COUNTS, "month", "year", "domainCode")},
)


def parse(body: bytes) -> list[dict]:
    response = httpx.Response(
        200, content=body, request=httpx.Request("GET", "http://127.0.0.1:9/o/rest/statistics")
    )
    rows, _ = stat_rows(_CLIENT.parse_json(response, "statistics"), 2026, 3, "x")
    out = []
    for r in merge_by_unit(rows, {"X": "STP"}):
        try:
            out.append(to_dossier_stat(r, _CTX))
        except Rejected:
            pass
    return out


@settings(max_examples=200, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=200),
        st.integers(min_value=0, max_value=len(_GOOD)).map(lambda n: _GOOD[:n]),
        st.lists(_item, max_size=5).map(
            lambda items: json.dumps({"total": len(items), "data": items}).encode()
        ),
    )
)
def test_fuzz_random_and_truncated_bodies(body):
    try:
        parse(body)
    except TransientSourceError:
        pass


def test_the_whole_good_body_parses():
    (record,) = parse(_GOOD)
    assert (record["received"], record["resolved_late"], record["period_end"]) == (5, 1, date(2026, 3, 31))
