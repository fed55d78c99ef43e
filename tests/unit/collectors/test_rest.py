"""Pure parts of the dossier REST adapter: date normalisation, "updated since" formats, page
parsing, field mapping, options — and a fuzz test of the page parser."""

from __future__ import annotations

import doctest
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors import rest
from collectors.base import SourceConfig, TransientSourceError
from collectors.http import HttpClient
from collectors.parse import parse_datetime
from collectors.records import RecordContext, Rejected, to_dossier
from collectors.rest import (
    DossierRestAdapter,
    check_format,
    format_since,
    items_of_page,
    map_item,
    normalise_datetime,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_doctests():
    assert doctest.testmod(rest).failed == 0


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("/Date(1773968400000)/", datetime(2026, 3, 20, 1, 0, tzinfo=UTC)),
        ("/Date(1773968400000+0700)/", datetime(2026, 3, 20, 8, 0, tzinfo=VN)),
        ("Date(1773968400000)", datetime(2026, 3, 20, 1, 0, tzinfo=UTC)),
        (1773968400000, datetime(2026, 3, 20, 1, 0, tzinfo=UTC)),
        (1773968400, datetime(2026, 3, 20, 1, 0, tzinfo=UTC)),
        (1773968400.5, datetime(2026, 3, 20, 1, 0, 0, 500000, tzinfo=UTC)),
        ("1773968400000", datetime(2026, 3, 20, 1, 0, tzinfo=UTC)),
        ("1773968400", datetime(2026, 3, 20, 1, 0, tzinfo=UTC)),
        ("2026/03/20 08:00:00", datetime(2026, 3, 20, 8, 0, tzinfo=VN)),
        ("2026/3/20", datetime(2026, 3, 20, 0, 0, tzinfo=VN)),
    ],
)
def test_forms_parse_datetime_lacks_are_normalised_to_the_same_instant(raw, expected):
    got = normalise_datetime(raw, VN)
    assert isinstance(got, datetime) and got == expected
    assert parse_datetime(got) == expected  # and the runner reads the result as is


@pytest.mark.parametrize(
    "raw, expected",
    [  # forms parse_datetime already reads are left to it: the row keeps its text
        ("20260320080000", datetime(2026, 3, 20, 8, 0, tzinfo=VN)),
        ("20/03/2026 08:00:00", datetime(2026, 3, 20, 8, 0, tzinfo=VN)),
        ("2026-03-20T08:00:00+07:00", datetime(2026, 3, 20, 8, 0, tzinfo=VN)),
        ("2026-03-20T01:00:00.000Z", datetime(2026, 3, 20, 1, 0, tzinfo=UTC)),
        ("20/03/2026", datetime(2026, 3, 20, tzinfo=VN)),
    ],
)
def test_forms_parse_datetime_reads_pass_through(raw, expected):
    assert normalise_datetime(raw, VN) == raw
    assert parse_datetime(raw, VN) == expected


@pytest.mark.parametrize("raw", [None, True, "", "abc", "2026/02/31 08:00", "/Date(abc)/", "12345", {"a": 1}])
def test_other_values_are_left_for_the_runner_to_judge(raw):
    assert normalise_datetime(raw, VN) == raw


def test_format_since():
    t = datetime(2026, 3, 20, 1, 0, 0, 250000, tzinfo=UTC)
    assert format_since(t, "iso", VN) == "2026-03-20T08:00:00+07:00"
    assert format_since(t, "iso_utc", VN) == "2026-03-20T01:00:00Z"
    assert format_since(t, "epoch_ms", VN) == "1773968400250"
    assert format_since(t, "epoch_s", VN) == "1773968400"
    assert format_since(t, "yyyyMMddHHmmss", VN) == "20260320080000"
    assert format_since(t, "dd/MM/yyyy HH:mm:ss", VN) == "20/03/2026 08:00:00"
    assert format_since(t, "yyyy-MM-dd'T'HH:mm:ss.SSS", VN) == "2026-03-20'T'08:00:00.250"
    assert (
        check_format("dd/MM/yyyy")
        and not check_format("HH:mm")
        and not check_format("weird")
        and not check_format(3)
    )


def test_items_of_page():
    assert items_of_page({"data": [1, 2]}, "data", "x") == [1, 2]
    assert items_of_page([1], "", "x") == [1]
    assert items_of_page({"data": None, "total": 0}, "data", "x") == []  # an empty page
    assert items_of_page({"result": {"items": None}}, "result.items", "x") == []
    for bad in ({"error": "login required"}, {"data": "oops"}, "text", None, {"result": None}):
        with pytest.raises(TransientSourceError, match="options.items_path"):
            items_of_page(bad, "result.items" if bad == {"result": None} else "data", "source 'x'")


def test_map_item_renames_nested_fields_and_normalises_dates():
    item = {"MaHoSo": "H1", "t": {"capNhat": "/Date(1773968400000)/"}, "NgayTiepNhan": 1773968400000}
    row = map_item(
        item, {"t.capNhat": "NgayCapNhat", "missing.path": "MaTTHC"}, rest.DATE_FIELDS["dossiers"], VN
    )
    assert row["NgayCapNhat"] == datetime(2026, 3, 20, 1, 0, tzinfo=UTC) == row["NgayTiepNhan"]
    assert row["MaTTHC"] is None and row["MaHoSo"] == "H1"
    assert map_item("not an object", {}, (), VN) == {"_item": "not an object"}


@pytest.mark.parametrize(
    "options, problem",
    [
        ({}, "options.url"),
        ({"url": "https://x", "fields": {"a": 1}}, "options.fields"),
        ({"url": "https://x", "path": "api"}, "options.path"),
        ({"url": "https://x", "updated_format": "weird"}, "options.updated_format"),
        ({"url": "https://x", "updated_param": ""}, "options.updated_param"),
        ({"url": "https://x", "start_from": "soon"}, "options.start_from"),
        ({"url": "https://x", "paging": {"type": "pages"}}, "options.paging.type"),
        ({"url": "https://x", "auth": {"type": "oauth2"}}, "options.auth.token_url"),
        ({"url": "https://x", "timeout": 0}, "options.timeout"),
        ({"url": "https://x", "params": []}, "options.params"),
    ],
)
def test_check_options_names_the_field(options, problem):
    assert any(p.startswith(problem) for p in DossierRestAdapter.check_options(options))


def test_check_options_accepts_a_full_example():
    assert (
        DossierRestAdapter.check_options(
            {
                "url": "https://x",
                "path": "/api/hoso",
                "items_path": "result.items",
                "paging": {"type": "cursor", "size": 50},
                "auth": {"type": "basic", "username": "u"},
                "fields": {"a.b": "MaHoSo"},
                "updated_param": "tuNgay",
                "updated_format": "yyyyMMddHHmmss",
                "start_from": "2025-01-01",
                "params": {"x": 1},
                "timeout": 5,
            }
        )
        == []
    )


# --- fuzz: random and truncated bodies through the page parser and the validation -----------------
_CTX = RecordContext(source="motcua", source_tz=VN, agency_tz=VN, unit_ids={"SO-01": 1})
_CLIENT = HttpClient(
    SourceConfig(name="fuzz", domain="dossiers", adapter="rest"), base_url="http://127.0.0.1:9"
)
_GOOD = json.dumps(
    {
        "data": [
            {
                "MaHoSo": "H1",
                "MaDonVi": "SO-01",
                "TrangThaiHoSo": 4,
                "NgayTiepNhan": "/Date(1773968400000)/",
                "NgayCapNhat": 1773968400000,
                "x": {"y": [1, "2"]},
            }
        ],
        "total": 1,
    }
).encode()


def _nested(children):
    return st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=5)
    )


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    _nested,
    max_leaves=20,
)
_dossierish = st.dictionaries(
    st.sampled_from(
        [
            "MaHoSo",
            "MaDonVi",
            "TrangThaiHoSo",
            "NgayTiepNhan",
            "NgayHenTra",
            "NgayCapNhat",
            "KenhThucHien",
            "DuocThanhToanTrucTuyen",
            "SoLanBoSung",
            "CoPhi",
            "DanhGia",
            "other",
        ]
    ),
    _json
    | st.sampled_from(["/Date(99999999999999999)/", "/Date(-1)/", "9999999999999", "2026/13/45", "SO-01"]),
    max_size=12,
)


def parse_page(body: bytes) -> list[dict]:
    """What the adapter does with one answer: JSON, the list, the mapping, then the runner's validation."""
    response = httpx.Response(200, content=body, request=httpx.Request("GET", "http://127.0.0.1:9/api/hoso"))
    items = items_of_page(_CLIENT.parse_json(response, "/api/hoso"), "data", "source 'fuzz'")
    out = []
    for item in items:
        row = map_item(item, {"x.y": "MaTTHC"}, rest.DATE_FIELDS["dossiers"], VN)
        try:
            out.append(to_dossier(row, _CTX))
        except Rejected:
            pass
    return out


@settings(max_examples=200, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=300),
        st.integers(min_value=0, max_value=len(_GOOD)).map(lambda n: _GOOD[:n]),
        _json.map(lambda v: json.dumps(v).encode()),
        st.lists(_dossierish, max_size=4).map(lambda items: json.dumps({"data": items}).encode()),
    )
)
def test_fuzz_random_and_truncated_bodies_give_rows_rejects_or_a_transient_error(body):
    try:
        parse_page(body)
    except TransientSourceError:
        pass


def test_the_whole_good_body_parses():
    (record,) = parse_page(_GOOD)
    assert record["source_id"] == "H1" and record["received_at"] == datetime(2026, 3, 20, 1, 0, tzinfo=UTC)
