"""Jitsi adapter: options, counter growth and resets, summing bridges, and a fuzz of the parsers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.base import TransientSourceError
from collectors.jitsi import JitsiAdapter, build_sample, growth, read_stats, stats_url
from collectors.records import DOMAIN_SPECS, RecordContext, Rejected

# (through the registry: importing collectors.platform_records first is a circular import)
to_meeting_sample = DOMAIN_SPECS["meeting_samples"].convert

T = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)


def stats(conferences=1, participants=2, created=5, joined=20, **extra):
    return {
        "conferences": conferences,
        "participants": participants,
        "largest_conference": participants,
        "total_conferences_created": created,
        "total_participants": joined,
        **extra,
    }


def test_check_options():
    assert JitsiAdapter.check_options({"jicofo_url": "http://meet:8888"}) == []
    assert (
        JitsiAdapter.check_options({"use": "bridges", "bridges": ["http://jvb1:8080", "http://jvb2:8080"]})
        == []
    )
    assert JitsiAdapter.check_options({}) == [
        'options.bridges: expected a list of videobridge URLs such as ["http://jvb1:8080/colibri/stats"] (or set options.jicofo_url)'
    ]
    assert JitsiAdapter.check_options({"use": "prometheus"}) == ["options.use: expected jicofo or bridges"]
    problems = JitsiAdapter.check_options(
        {
            "use": "bridges",
            "bridges": ["jvb1", "http://a:1", "http://a:1"],
            "timeout_s": -1,
            "auth": {"type": "basic"},
        }
    )
    assert [p.split(":")[0] for p in problems] == [
        "options.bridges[0]",
        "options.bridges",
        "options.timeout_s",
        "options.auth.username",
    ]


def test_stats_url_defaults_the_path():
    assert stats_url("http://meet:8888", "jicofo") == "http://meet:8888/stats"
    assert stats_url("http://jvb:8080/", "bridges") == "http://jvb:8080/colibri/stats"
    assert stats_url("https://proxy/jitsi/jicofo-stats", "jicofo") == "https://proxy/jitsi/jicofo-stats"


def test_growth_handles_resets_and_unknowns():
    assert growth(15, 12) == 3
    assert growth(12, 12) == 0
    assert growth(3, 12) == 3  # the process restarted: everything counted since is new
    assert growth(7, None) is None
    assert growth(None, 4) is None
    assert growth(7, "4") is None  # a watermark someone edited by hand is not trusted


def test_first_sample_then_deltas_then_reset():
    row, wm = build_sample({"jicofo": read_stats(stats(), "j")}, None, T)
    assert row == {
        "sampled_at": T.isoformat(),
        "meetings_running": 1,
        "participants": 2,
        "conferences_started": None,
        "participants_joined": None,
    }
    row, wm = build_sample({"jicofo": read_stats(stats(2, 5, created=7, joined=26), "j")}, wm, T)
    assert (row["conferences_started"], row["participants_joined"]) == (2, 6)
    row, wm = build_sample({"jicofo": read_stats(stats(1, 1, created=1, joined=1), "j")}, wm, T)
    assert (row["conferences_started"], row["participants_joined"]) == (1, 1)
    assert wm["counters"] == {"jicofo": {"conferences_started": 1, "participants_joined": 1}}


def test_bridges_sum_and_a_missing_counter_keeps_the_last_value():
    readings = {"b1": read_stats(stats(1, 3, 2, 10), "b1"), "b2": read_stats(stats(2, 4, 5, 8), "b2")}
    row, wm = build_sample(readings, None, T)
    assert (row["meetings_running"], row["participants"]) == (3, 7)
    no_counter = {k: v for k, v in stats(1, 3).items() if k != "total_participants"}
    readings = {"b1": read_stats(no_counter, "b1"), "b2": read_stats(stats(2, 4, 6, 9), "b2")}
    row, wm = build_sample(readings, wm, T)
    assert (row["conferences_started"], row["participants_joined"]) == (3 + 1, None)
    assert wm["counters"]["b1"] == {"conferences_started": 5, "participants_joined": 10}


def test_gauges_are_checked_by_the_runner_validation():
    ctx = RecordContext("jitsi", UTC, UTC, {})
    row, _ = build_sample({"jicofo": read_stats(stats(participants=-1), "j")}, None, T)
    with pytest.raises(Rejected, match="participants: negative count"):
        to_meeting_sample(row, ctx)
    with pytest.raises(TransientSourceError, match="not a JSON object"):
        read_stats(["conferences", 1], "http://meet:8888/stats")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**15), 10**15)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)
stats_like = st.fixed_dictionaries(
    {},
    optional={
        "conferences": json_values | st.integers(0, 10**6),
        "participants": json_values | st.integers(0, 10**6),
        "total_conferences_created": json_values | st.integers(0, 10**9),
        "total_participants": json_values | st.integers(0, 10**9),
    },
)


@settings(max_examples=200, deadline=2000)
@given(bodies=st.lists(stats_like | json_values, min_size=1, max_size=3), watermark=json_values)
def test_fuzz_samples_never_crash(bodies, watermark):
    ctx = RecordContext("jitsi", UTC, UTC, {})
    try:
        readings = {f"b{i}": read_stats(body, f"b{i}") for i, body in enumerate(bodies)}
    except TransientSourceError:
        return
    row, wm = build_sample(readings, watermark, T)
    json.dumps(wm)
    for name in ("conferences_started", "participants_joined"):
        assert row[name] is None or row[name] >= 0
    try:
        to_meeting_sample(row, ctx)
    except Rejected:
        pass
    build_sample(readings, wm, T)


@pytest.fixture(scope="module")
def client():
    from collectors.http import HttpClient

    http = HttpClient(None, base_url="http://127.0.0.1:9")
    yield http
    http.close()


class _Body:
    def __init__(self, content: bytes):
        self.content = content


@settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=200) | stats_like.map(lambda v: json.dumps(v).encode()), cut=st.integers(0, 200)
)
def test_fuzz_random_and_truncated_bodies_give_clean_errors(client, body, cut):
    try:
        read_stats(client.parse_json(_Body(body[:cut] if cut else body), "stats"), "stats")
    except TransientSourceError:
        pass
