"""TrueConf adapter: options, unit placement, session reconstruction, and a fuzz of the parsers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.base import RawReject, TransientSourceError
from collectors.records import RecordContext, Rejected, to_meeting
from collectors.trueconf import (
    TrueConfAdapter,
    build_meetings,
    conferences_of,
    participants_of,
    unit_for,
)

NOW = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)
OPTS = {"unit_code": "BMP-VP"}


def conf(cid="c1", state="stopped", schedule=None, **extra):
    return {
        "id": cid,
        "topic": "Giao ban",
        "owner": "so01.admin",
        "state": state,
        "schedule": schedule or {"type": -1},
        "invitations": [],
        "tags": [],
        "created_at": 1767225600,
        **extra,
    }


def at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def test_check_options_names_each_problem():
    assert TrueConfAdapter.check_options({"url": "https://tc.example.vn", "client_id": "ioc"}) == []
    problems = TrueConfAdapter.check_options(
        {"url": "tc", "page_size": 0, "unit_from": "group", "history_days": -1, "timeout_s": 0, "verify": 3}
    )
    assert [p.split(":")[0] for p in problems] == [
        "options.url",
        "options.client_id",
        "options.page_size",
        "options.history_days",
        "options.timeout_s",
        "options.unit_from",
        "options.verify",
    ]


def test_unit_placement_order():
    units = {"so01.admin": "SO-01", "ke.toan": "SO-79"}
    assert unit_for(conf(), {}, units) == "so01.admin"  # the runner maps it through [units]
    assert unit_for(conf(owner="ke.toan@tc.example.vn"), {}, units) == "ke.toan"
    assert unit_for(conf(owner="stranger"), {"unit_code": "BMP-VP"}, units) == "BMP-VP"
    assert unit_for(conf(owner="stranger"), {}, units) == "stranger"  # rejected later as an unknown unit
    tagged = conf(tags=["x", "unit:SO-79"])
    assert unit_for(tagged, {"unit_from": "tag", "tag_prefix": "unit:"}, units) == "SO-79"
    assert unit_for(conf(tags=["x"]), {"unit_from": "tag"}, units) == "so01.admin"


def test_running_room_becomes_a_session_with_peak_and_distinct_endpoints():
    join = int(at(-5).timestamp())
    parts = {"c1": [{"id": "a", "join_time": join}, {"id": "b", "join_time": join + 60}]}
    rows, rejects, wm = build_meetings([conf(state="running")], parts, None, NOW, OPTS)
    assert rejects == [] and len(rows) == 1
    row = rows[0]
    assert row["meeting_id"] == f"c1@{join}" and row["start_at"] == at(-5).isoformat()
    assert (row["participants"], row["endpoints_connected"], row["end_at"], row["status"]) == (2, 2, None, 2)
    # next poll: a leaves, c joins → peak 2, three endpoints seen
    parts = {"c1": [{"id": "b", "join_time": join + 60}, {"id": "c", "join_time": join + 600}]}
    rows, _, wm = build_meetings([conf(state="running")], parts, wm, at(5), OPTS)
    assert (rows[0]["participants"], rows[0]["endpoints_connected"]) == (2, 3)
    assert rows[0]["updated_at"] == datetime.fromtimestamp(join + 600, UTC).isoformat()
    # stopped → closed at this poll, then silent
    rows, _, wm = build_meetings([conf()], {}, wm, at(7), OPTS)
    assert rows[0]["end_at"] == at(7).isoformat() and wm["sessions"] == {}
    assert build_meetings([conf()], {}, wm, at(9), OPTS)[0] == []


def test_a_running_conference_deleted_from_the_server_is_closed():
    _, _, wm = build_meetings([conf(state="running")], {"c1": [{"id": "a"}]}, None, NOW, OPTS)
    rows, _, wm = build_meetings([], {}, wm, at(3), OPTS)
    assert len(rows) == 1 and rows[0]["end_at"] == at(3).isoformat() and rows[0]["unit_code"] == "BMP-VP"
    assert wm["sessions"] == {}


def test_planned_meetings_window_and_held_memory():
    start = int(at(60).timestamp())
    planned = conf(
        "p1",
        schedule={"type": 1, "start_time": start, "duration": 3600},
        invitations=[{"id": "x"}, {"id": "y"}],
    )
    far = conf(
        "p2", schedule={"type": 1, "start_time": int((NOW + timedelta(days=90)).timestamp()), "duration": 60}
    )
    rows, _, wm = build_meetings([planned, far], {}, None, NOW, OPTS)
    assert [r["meeting_id"] for r in rows] == ["p1"]
    assert (rows[0]["endpoints_scheduled"], rows[0]["endpoints_connected"]) == (2, None)
    running = {**planned, "state": "running"}
    _, _, wm = build_meetings([running], {"p1": [{"id": "x"}]}, wm, at(61), OPTS)
    rows, _, wm = build_meetings([planned], {}, wm, at(100), OPTS)
    assert rows[0]["meeting_id"] == "p1" and rows[0]["endpoints_connected"] == 1
    assert "p1" in wm["held"]
    assert build_meetings([planned], {}, wm, at(200), OPTS)[0] == []  # not overwritten by the plan


def test_rows_validate_as_meetings():
    rows, _, _ = build_meetings([conf(state="running")], {"c1": [{"id": "a"}]}, None, NOW, OPTS)
    ctx = RecordContext("trueconf", UTC, UTC, {"BMP-VP": 1})
    record = to_meeting(rows[0], ctx)
    assert (record["platform"], record["participants_peak"], record["status"]) == ("trueconf", 1, 2)


def test_bad_entries_are_rejects_not_crashes():
    rows, rejects, _ = build_meetings(
        [42, {"topic": "no id"}, conf("ok", state="running")], {"ok": None}, None, NOW, OPTS
    )
    assert [r.reason for r in rejects] == [
        "a conference entry is not a JSON object",
        "conference without an id",
    ]
    assert len(rows) == 1
    with pytest.raises(TransientSourceError):
        conferences_of({"error": {"code": 500}})
    with pytest.raises(TransientSourceError):
        participants_of([1, 2])
    assert participants_of({"cnt": 0}) == []


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=30,
)
conference_like = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values | st.text(max_size=8),
        "state": st.sampled_from(["running", "stopped", 3, None]),
        "schedule": json_values
        | st.fixed_dictionaries(
            {
                "type": st.sampled_from([1, -1, 0, "1"]),
                "start_time": json_values | st.integers(0, 5 * 10**9),
                "duration": json_values,
            }
        ),
        "owner": json_values,
        "topic": json_values,
        "tags": json_values,
        "invitations": json_values,
        "created_at": json_values,
    },
)


@settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    conferences=st.lists(conference_like | json_values, max_size=6),
    participants=json_values,
    watermark=json_values,
    minutes=st.integers(-(10**6), 10**6),
)
def test_fuzz_build_meetings_never_crashes(conferences, participants, watermark, minutes):
    parts = {}
    for c in conferences:
        if isinstance(c, dict) and isinstance(c.get("id"), (str, int)):
            parts[str(c["id"]).strip()[:100]] = participants if isinstance(participants, list) else None
    rows, rejects, wm = build_meetings(conferences, parts, watermark, NOW + timedelta(minutes=minutes), OPTS)
    json.dumps(wm)  # the watermark must stay storable as JSON
    assert all(isinstance(r, RawReject) for r in rejects)
    ctx = RecordContext("trueconf", UTC, UTC, {"BMP-VP": 1})
    for row in rows:
        try:
            to_meeting(row, ctx)
        except Rejected:
            pass
    # a second poll from that watermark is fine too
    build_meetings(conferences, parts, wm, NOW + timedelta(minutes=minutes + 2), OPTS)


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
    body=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()), cut=st.integers(0, 300)
)
def test_fuzz_random_and_truncated_bodies_give_clean_errors(client, body, cut):
    try:
        parsed = client.parse_json(_Body(body[:cut] if cut else body), "conferences")
    except TransientSourceError:
        return
    for reader in (conferences_of, participants_of):
        try:
            reader(parsed)
        except TransientSourceError:
            pass
