"""BigBlueButton adapter, pure parts: checksums, XML parsing, session reconstruction, options."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.base import FatalSourceError, TransientSourceError
from collectors.bbb import (
    BbbAdapter,
    SessionTracker,
    check_returncode,
    parse_answer,
    parse_meetings,
    parse_recordings,
)
from collectors.http import BbbChecksum, HttpClient, bbb_checksum
from collectors.platforms.bbb import FakeBbb
from collectors.safexml import XmlError

SECRET = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"  # the documented test secret (sources.md §4.1)
CREATE_QUERY = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


# --- checksums ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "query", "algorithm", "expected"),
    [
        ("create", CREATE_QUERY, "sha1", "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"),
        ("getMeetings", "", "sha1", "2027baa7771026e9e93392f55031535d1444c41f"),
        ("getMeetings", "", "sha256", "a5370c5f3d97d56d53b435684cdbc429c2898a3bf9f435518b4279e1e0dbfc8c"),
    ],
)
def test_documented_checksum_vectors(call, query, algorithm, expected):
    assert bbb_checksum(call, query, SECRET, algorithm) == expected
    # The fake accepts exactly that request …
    with FakeBbb(SECRET) as fake:
        sep = "&" if query else ""
        assert fake.checksum_ok(call, f"{query}{sep}checksum={expected}")
        # … and refuses it with one character changed, or for another call.
        assert not fake.checksum_ok(
            call,
            f"{query}{sep}checksum={expected[:-1]}0"
            if expected[-1] != "0"
            else f"{query}{sep}checksum={expected[:-1]}1",
        )
        assert not fake.checksum_ok("getRecordings", f"{query}{sep}checksum={expected}")


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("sha1", "2027baa7771026e9e93392f55031535d1444c41f"),
        ("sha256", "a5370c5f3d97d56d53b435684cdbc429c2898a3bf9f435518b4279e1e0dbfc8c"),
    ],
)
def test_the_client_signs_getmeetings_with_the_documented_checksum(algorithm, expected):
    client = HttpClient(
        None, base_url="http://bbb.invalid/bigbluebutton/api/", auth=BbbChecksum(SECRET, algorithm)
    )
    try:
        request = client._http.build_request("GET", "getMeetings")
        signed = client.auth.apply(client, request)
        assert str(signed.url) == f"http://bbb.invalid/bigbluebutton/api/getMeetings?checksum={expected}"
    finally:
        client.close()


def test_the_fake_tells_algorithms_apart_by_length_and_honours_the_enabled_ones():
    with FakeBbb(SECRET, algorithms=("sha256",)) as only_sha256:
        assert not only_sha256.checksum_ok("getMeetings", "checksum=2027baa7771026e9e93392f55031535d1444c41f")
        assert only_sha256.checksum_ok(
            "getMeetings", "checksum=" + bbb_checksum("getMeetings", "", SECRET, "sha256")
        )
        for algorithm in ("sha384", "sha512"):
            assert not only_sha256.checksum_ok(
                "getMeetings", "checksum=" + bbb_checksum("getMeetings", "", SECRET, algorithm)
            )
        assert not only_sha256.checksum_ok("getMeetings", "")  # no checksum at all
    with FakeBbb(SECRET) as everything:
        for algorithm in ("sha1", "sha256", "sha384", "sha512"):
            query = "recordID=a,b&state=published,unpublished"
            assert everything.checksum_ok(
                "getRecordings", f"{query}&checksum={bbb_checksum('getRecordings', query, SECRET, algorithm)}"
            )


def test_a_wrong_checksum_is_a_200_with_failed_checksumerror():
    with FakeBbb(SECRET) as fake:
        answer = httpx.get(f"{fake.api_url}getMeetings?checksum={'0' * 40}")
        assert answer.status_code == 200
        with pytest.raises(FatalSourceError, match="authentication failed.*secrets.secret"):
            check_returncode(parse_answer(answer.content), "getMeetings")


# --- parsing ------------------------------------------------------------------------------------------
GET_MEETINGS = b"""<response>
  <returncode>SUCCESS</returncode>
  <meetings>
    <meeting>
      <meetingName>Demo Meeting</meetingName>
      <meetingID>Demo Meeting</meetingID>
      <internalMeetingID>183f0bf3a0982a127bdb8161e0c44eb696b3e75c-1531240585189</internalMeetingID>
      <createTime>1531240585189</createTime>
      <createDate>Tue Jul 10 16:36:25 UTC 2018</createDate>
      <voiceBridge>70066</voiceBridge>
      <attendeePW>ap</attendeePW>
      <moderatorPW>mp</moderatorPW>
      <running>true</running>
      <hasUserJoined>true</hasUserJoined>
      <recording>true</recording>
      <hasBeenForciblyEnded>false</hasBeenForciblyEnded>
      <startTime>1531240585239</startTime>
      <endTime>0</endTime>
      <participantCount>12</participantCount>
      <listenerCount>8</listenerCount>
      <voiceParticipantCount>4</voiceParticipantCount>
      <videoCount>3</videoCount>
      <moderatorCount>1</moderatorCount>
      <attendees/>
      <metadata><bbb-unit>SO-01</bbb-unit><bbb-origin>Greenlight</bbb-origin></metadata>
      <isBreakout>false</isBreakout>
    </meeting>
    <meeting>
      <meetingName>Broken</meetingName>
      <internalMeetingID>abc-1</internalMeetingID>
      <createTime>yesterday</createTime>
    </meeting>
  </meetings>
</response>"""


def test_getmeetings_is_parsed_and_a_bad_meeting_is_a_clean_reject():
    root = parse_answer(GET_MEETINGS)
    assert check_returncode(root, "getMeetings") is None
    meetings, rejects = parse_meetings(root)
    assert meetings == [
        {
            "internal_id": "183f0bf3a0982a127bdb8161e0c44eb696b3e75c-1531240585189",
            "meeting_id": "Demo Meeting",
            "name": "Demo Meeting",
            "start_ms": 1531240585239,
            "end_ms": 0,
            "participants": 12,
            "listeners": 8,
            "record": True,
            "joined": True,
            "breakout": False,
            "metadata": {"bbb-unit": "SO-01", "bbb-origin": "Greenlight"},
        }
    ]
    assert rejects == [
        (
            "getMeetings: createTime: not epoch milliseconds: 'yesterday'",
            {"internalMeetingID": "abc-1", "meetingID": "", "meetingName": "Broken"},
        )
    ]
    assert "ap" not in json.dumps(rejects) and "mp" not in json.dumps(rejects)  # passwords are never carried


def test_nomeetings_is_an_empty_list():
    root = parse_answer(
        b"<response><returncode>SUCCESS</returncode><meetings/><messageKey>noMeetings</messageKey>"
        b"<message>no meetings were found on this server</message></response>"
    )
    assert check_returncode(root, "getMeetings") == "noMeetings"
    assert parse_meetings(root) == ([], [])


def test_failed_answers():
    other = parse_answer(
        b"<response><returncode>FAILED</returncode><messageKey>unsupportedRequest</messageKey>"
        b"<message>This request is not supported.</message></response>"
    )
    with pytest.raises(
        FatalSourceError, match="FAILED to getRecordings: unsupportedRequest: This request is not supported"
    ):
        check_returncode(other, "getRecordings")
    checksum = parse_answer(
        b"<response><returncode>FAILED</returncode><messageKey>checksumError</messageKey></response>"
    )
    with pytest.raises(FatalSourceError, match=r"check secrets.secret \(IOC_BBB_SECRET\).*options.checksum"):
        check_returncode(checksum, "getMeetings", secret_var="IOC_BBB_SECRET")
    with pytest.raises(TransientSourceError, match="not a BigBlueButton <response>"):
        check_returncode(parse_answer(b"<html><body>Welcome to nginx</body></html>"), "getMeetings")
    with pytest.raises(TransientSourceError, match="unexpected returncode"):
        check_returncode(parse_answer(b"<response/>"), "getMeetings")


def test_getrecordings_is_parsed():
    root = parse_answer(b"""<response><returncode>SUCCESS</returncode><recordings>
      <recording><recordID>ffbf-1530718721124</recordID><meetingID>c637</meetingID>
        <internalMeetingID>ffbf-1530718721124</internalMeetingID><state>published</state>
        <startTime>1530718721124</startTime><endTime>1530718810456</endTime><participants>3</participants></recording>
      <recording><recordID>bad</recordID><startTime>soon</startTime></recording>
      <recording><recordID>backwards</recordID><startTime>1530718810456</startTime><endTime>1530718721124</endTime></recording>
    </recordings><totalElements>3</totalElements></response>""")
    assert parse_recordings(root) == (
        [
            {
                "record_id": "ffbf-1530718721124",
                "internal_id": "ffbf-1530718721124",
                "start_ms": 1530718721124,
                "end_ms": 1530718810456,
                "participants": 3,
            }
        ],
        3,
    )


# --- session reconstruction ---------------------------------------------------------------------------
def meeting(
    internal="m1-1",
    *,
    start=T0,
    end=None,
    participants=0,
    listeners=0,
    record=False,
    breakout=False,
    unit="SO-01",
):
    return {
        "internal_id": internal,
        "meeting_id": internal.split("-")[0],
        "name": f"Họp {internal}",
        "start_ms": ms(start),
        "end_ms": ms(end) if end else 0,
        "participants": participants,
        "listeners": listeners,
        "record": record,
        "breakout": breakout,
        "metadata": {"bbb-unit": unit},
    }


def tracker(state=None, **kwargs):
    return SessionTracker(state, unit_of=lambda m: m["metadata"].get("bbb-unit"), interval_s=60, **kwargs)


def roundtrip(t: SessionTracker) -> dict:
    return json.loads(json.dumps(t.state()))  # the watermark is stored as JSON


def test_a_session_opens_peaks_and_closes_on_endtime():
    t = tracker()
    assert t.poll([meeting(participants=3, listeners=1)], ms(T0 + timedelta(minutes=1))) == ["m1-1"]
    assert t.row("m1-1", "bbb") == {
        "meeting_id": "m1-1",
        "unit_code": "SO-01",
        "title": "Họp m1-1",
        "platform": "bbb",
        "status": 2,
        "start_at": T0,
        "end_at": None,
        "endpoints_scheduled": None,
        "endpoints_connected": 2,
        "participants": 3,
        "updated_at": T0 + timedelta(minutes=1),
    }
    t = tracker(roundtrip(t))
    assert t.poll([meeting(participants=10, listeners=6)], ms(T0 + timedelta(minutes=2))) == ["m1-1"]
    assert (
        t.poll([meeting(participants=7, listeners=6)], ms(T0 + timedelta(minutes=3))) == []
    )  # below the peak
    assert t.poll([meeting(participants=7, listeners=1)], ms(T0 + timedelta(minutes=4))) == [
        "m1-1"
    ]  # more endpoints
    row = t.row("m1-1", "bbb")
    assert (row["participants"], row["endpoints_connected"], row["updated_at"]) == (
        10,
        6,
        T0 + timedelta(minutes=4),
    )
    end = T0 + timedelta(minutes=4, seconds=30)
    assert t.poll([meeting(end=end)], ms(T0 + timedelta(minutes=5))) == ["m1-1"]  # ended: counts drop to 0
    row = t.row("m1-1", "bbb")
    assert (row["end_at"], row["participants"], row["endpoints_connected"]) == (end, 10, 6)
    # Still listed as ended for a while: nothing changes; then it expires and is forgotten.
    assert t.poll([meeting(end=end)], ms(T0 + timedelta(minutes=6))) == []
    assert t.poll([], ms(T0 + timedelta(minutes=7))) == []
    assert t.sessions == {}


def test_a_session_that_disappears_closes_at_its_last_sighting():
    t = tracker()
    t.poll([meeting(participants=4)], ms(T0 + timedelta(minutes=1)))
    t.poll([meeting(participants=5)], ms(T0 + timedelta(minutes=2)))
    assert t.poll([], ms(T0 + timedelta(minutes=3))) == ["m1-1"]
    row = t.row("m1-1", "bbb")
    assert (row["end_at"], row["participants"], row["updated_at"]) == (
        T0 + timedelta(minutes=2),
        5,
        T0 + timedelta(minutes=3),
    )
    t.forget_finished(set())
    assert t.sessions == {}


def test_a_session_that_vanished_while_the_collector_was_down_is_closed_at_its_last_sighting(caplog):
    t = tracker()
    t.poll([meeting(participants=4)], ms(T0 + timedelta(minutes=1)))
    caplog.set_level(logging.WARNING)
    assert t.poll([], ms(T0 + timedelta(hours=3))) == ["m1-1"]
    assert t.row("m1-1", "bbb")["end_at"] == T0 + timedelta(minutes=1)
    assert "vanished while the collector was not polling for 179 min" in caplog.text


def test_a_meeting_missing_from_one_answer_and_back_is_reopened():
    t = tracker()
    t.poll([meeting(participants=4)], ms(T0 + timedelta(minutes=1)))
    t.poll([], ms(T0 + timedelta(minutes=2)))  # a hiccup of a load balancer; not recorded → forgotten
    t = tracker(roundtrip(t))
    t.forget_finished(set())
    # Forgotten sessions come back as a new sighting of the same internalMeetingID: same row key.
    assert t.poll([meeting(participants=2)], ms(T0 + timedelta(minutes=3))) == ["m1-1"]
    assert t.row("m1-1", "bbb")["end_at"] is None


def test_a_recorded_session_that_vanished_reopens_in_place():
    t = tracker()
    t.poll([meeting(participants=9, record=True)], ms(T0 + timedelta(minutes=1)))
    assert t.poll([], ms(T0 + timedelta(minutes=2))) == ["m1-1"]
    t.forget_finished(set())
    assert t.poll([meeting(participants=3, record=True)], ms(T0 + timedelta(minutes=3))) == ["m1-1"]
    row = t.row("m1-1", "bbb")
    assert (row["end_at"], row["participants"]) == (None, 9)  # the peak survived


def test_a_session_first_seen_ended_has_no_observed_peak_and_breakouts_are_skipped():
    t = tracker()
    end = T0 + timedelta(minutes=30)
    changed = t.poll(
        [meeting("a-1", end=end), meeting("b-1", participants=3, breakout=True)], ms(T0 + timedelta(hours=1))
    )
    assert changed == ["a-1"]
    row = t.row("a-1", "bbb")
    assert (row["start_at"], row["end_at"], row["participants"], row["endpoints_connected"]) == (
        T0,
        end,
        None,
        None,
    )


def test_a_room_nobody_joined_is_not_a_held_meeting():
    t = tracker()
    t.poll([meeting("empty-1")], ms(T0 + timedelta(minutes=1)))  # created, waiting for its first user
    assert not t.held("empty-1")
    t.poll([meeting("empty-1", participants=1)], ms(T0 + timedelta(minutes=2)))
    assert t.held("empty-1")
    ended_unjoined = {**meeting("gone-1", end=T0 + timedelta(minutes=5)), "joined": False}
    t.poll([ended_unjoined], ms(T0 + timedelta(minutes=6)))
    assert t.sessions["gone-1"]["peak"] == 0 and not t.held("gone-1")
    ended_unknown = meeting("past-1", end=T0 + timedelta(minutes=5))  # hasUserJoined absent: we cannot tell
    t.poll([ended_unknown], ms(T0 + timedelta(minutes=6)))
    assert t.held("past-1")


def test_several_sessions_of_one_room_are_separate():
    t = tracker()
    t.poll([meeting("room-100", participants=3)], ms(T0))
    t.poll(
        [
            meeting("room-100", end=T0 + timedelta(minutes=5)),
            meeting("room-200", start=T0 + timedelta(minutes=6), participants=4),
        ],
        ms(T0 + timedelta(minutes=7)),
    )
    assert set(t.sessions) == {"room-100", "room-200"}
    assert t.sessions["room-100"]["closed"] == "endTime" and t.sessions["room-200"]["closed"] is None


def test_recordings_are_awaited_applied_and_given_up_after_the_wait():
    t = tracker(recording_wait_s=3600)
    t.poll(
        [meeting("r-1", participants=6, record=True), meeting("n-1", participants=2)],
        ms(T0 + timedelta(minutes=1)),
    )
    t.poll([], ms(T0 + timedelta(minutes=2)))
    t.forget_finished(set())
    assert set(t.sessions) == {"r-1"}  # the unrecorded one is done; the recorded one awaits its recording
    assert t.awaiting_recordings(ms(T0 + timedelta(minutes=30))) == ["r-1"]
    assert t.awaiting_recordings(ms(T0 + timedelta(hours=2))) == []  # waited long enough
    recording = {
        "record_id": "r-1",
        "internal_id": "r-1",
        "start_ms": ms(T0 - timedelta(seconds=20)),
        "end_ms": ms(T0 + timedelta(minutes=1, seconds=40)),
        "participants": 8,
    }
    assert t.apply_recording(recording, ms(T0 + timedelta(minutes=30)))
    row = t.row("r-1", "bbb")
    assert (row["start_at"], row["end_at"], row["participants"]) == (
        T0 - timedelta(seconds=20),
        T0 + timedelta(minutes=1, seconds=40),
        6,
    )
    assert not t.apply_recording(recording, ms(T0 + timedelta(minutes=31)))  # once
    t.forget_finished(set())
    assert t.sessions == {}


def test_an_unknown_watermark_version_starts_afresh():
    assert tracker({"v": 99, "sessions": {"x": {}}}).sessions == {}
    assert tracker(None).sessions == {}


# --- options ------------------------------------------------------------------------------------------
def test_check_options():
    good = {
        "url": "https://hop.example.gov.vn/bigbluebutton/api/",
        "checksum": "sha256",
        "unit_metadata": "bbb-unit",
    }
    assert BbbAdapter.check_options(good) == []
    problems = BbbAdapter.check_options(
        {
            "url": "hop.example",
            "checksum": "md5",
            "timeout": "soon",
            "recordings": "yes",
            "default_unit": "",
            "platform": "x" * 40,
        }
    )
    assert problems == [
        "options.url: expected an http(s) URL such as https://host/path/",
        "options.checksum: expected one of sha1, sha256, sha384, sha512 (what the server's supportedChecksumAlgorithms allows)",
        "options.timeout: expected a duration such as 15s, 5m or 12h",
        "options.default_unit: expected a non-empty string",
        "options.platform: at most 32 characters",
        "options.recordings: expected true or false",
    ]


# --- fuzz ---------------------------------------------------------------------------------------------
TAGS = [
    "response",
    "returncode",
    "meetings",
    "meeting",
    "internalMeetingID",
    "meetingName",
    "meetingID",
    "createTime",
    "startTime",
    "endTime",
    "participantCount",
    "listenerCount",
    "recording",
    "isBreakout",
    "metadata",
    "messageKey",
    "message",
    "recordings",
    "recordID",
    "participants",
    "totalElements",
    "bbb-unit",
]
TEXTS = st.one_of(
    st.sampled_from(
        [
            "SUCCESS",
            "FAILED",
            "checksumError",
            "noMeetings",
            "0",
            "-1",
            "true",
            "1531240585189",
            "99999999999999999999",
            "",
        ]
    ),
    st.text(max_size=12),
)


def _xml(tree) -> str:
    tag, body = tree
    if isinstance(body, list):
        return f"<{tag}>{''.join(_xml(c) for c in body)}</{tag}>"
    from xml.sax.saxutils import escape

    return f"<{tag}>{escape(body)}</{tag}>"


TREES = st.recursive(
    st.tuples(st.sampled_from(TAGS), TEXTS),
    lambda kids: st.tuples(st.sampled_from(TAGS), st.lists(kids, max_size=5)),
    max_leaves=30,
)
ALLOWED = (XmlError, TransientSourceError, FatalSourceError)


def _parse_everything(body: bytes) -> None:
    try:
        root = parse_answer(body)
        check_returncode(root, "getMeetings")
    except ALLOWED:
        return
    meetings, _rejects = parse_meetings(root)
    parse_recordings(root)
    t = tracker()
    t.poll(meetings, ms(T0))
    for internal in t.sessions:
        t.row(internal, "bbb")
    json.dumps(t.state())


FUZZ = settings(max_examples=200, deadline=500, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(body):
    _parse_everything(body)


@FUZZ
@given(st.tuples(st.just("response"), st.lists(TREES, max_size=4)), st.integers(min_value=0, max_value=2000))
def test_fuzz_structured_and_truncated_answers(tree, cut):
    body = _xml(tree).encode()
    _parse_everything(body)
    _parse_everything(body[: cut % (len(body) + 1)])


@FUZZ
@given(st.integers(min_value=0, max_value=len(GET_MEETINGS)))
def test_fuzz_truncated_real_answer(cut):
    _parse_everything(GET_MEETINGS[:cut])
