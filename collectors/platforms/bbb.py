"""A fake BigBlueButton server: the API calls the ``bbb`` adapter uses, checked like the real one.

Checksums are validated as bbb-web does (≥ 2.5): the ``checksum`` parameter is cut out of the raw
query string, ``hash(call + rest + secret)`` is computed with the algorithm told by the checksum's
length (40 sha1, 64 sha256, 96 sha384, 128 sha512) if that algorithm is enabled, and a mismatch is
an HTTP 200 with ``FAILED``/``checksumError``. Answers are shaped like the real XML.

Tests (and the demo) control the server's state::

    with FakeBbb(secret="s3cr3t", clock=lambda: now) as bbb:
        internal = bbb.start_meeting("room-1", "Giao ban", unit="SO-01", participants=12, listeners=9, at=t0)
        bbb.set_participants("room-1", 15, listeners=11)
        bbb.end_meeting("room-1", at=t1)       # endTime set, still listed (as BBB does for a while)
        bbb.forget("room-1")                   # gone from getMeetings
        bbb.add_recording(internal, start=t0, end=t1, participants=15)
        bbb.api_url                            # http://127.0.0.1:PORT/bigbluebutton/api/

The demo feeds it the simulator's running meetings with :meth:`FakeBbb.feed`.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from collectors.platforms.base import FakeServer, Request, Response, xml_response

API_PATH = "/bigbluebutton/api"
_BY_LENGTH = {40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}


def _ms(when: datetime) -> int:
    if when.tzinfo is None:
        raise ValueError("FakeBbb needs aware datetimes")
    return int(when.timestamp() * 1000)


@dataclass
class FakeMeeting:
    meeting_id: str
    name: str
    create_ms: int
    start_ms: int
    end_ms: int = 0
    participants: int = 0
    listeners: int = 0
    video: int = 0
    moderators: int = 1
    record: bool = False
    breakout: bool = False
    metadata: dict[str, str] = field(default_factory=dict)
    joined: bool = False  # hasUserJoined: someone was ever in the meeting
    planned_end_ms: int | None = None  # fed meetings end by themselves when the clock passes it

    def end_if_due(self, now_ms: int) -> None:
        if self.end_ms == 0 and self.planned_end_ms is not None and self.planned_end_ms <= now_ms:
            self.end_ms = self.planned_end_ms
            self.participants = self.listeners = self.video = self.moderators = 0

    @property
    def internal_id(self) -> str:
        # As BBB: sha1 of the external meetingID, a dash, the create time in ms.
        return f"{hashlib.sha1(self.meeting_id.encode()).hexdigest()}-{self.create_ms}"


@dataclass
class FakeRecording:
    internal_id: str
    meeting_id: str
    name: str
    start_ms: int
    end_ms: int
    participants: int = 0
    state: str = "published"
    metadata: dict[str, str] = field(default_factory=dict)


def _el(name: str, value: Any) -> str:
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name}>{escape(str(value))}</{name}>"


def _metadata_xml(metadata: dict[str, str]) -> str:
    if not metadata:
        return "<metadata/>"
    return "<metadata>" + "".join(_el(k, v) for k, v in metadata.items()) + "</metadata>"


class FakeBbb(FakeServer):
    malformed_body = (
        b"<response><returncode>SUCCESS</returncode><meetings><meeting><meetingName>Giao ban</meetin"
    )

    def __init__(
        self,
        secret: str,
        *,
        algorithms: Iterable[str] = ("sha1", "sha256", "sha384", "sha512"),
        clock: Callable[[], datetime] | None = None,
        unit_metadata: str = "bbb-unit",
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        super().__init__(host, port)
        self.secret = secret
        self.algorithms = tuple(algorithms)  # bbb-web's supportedChecksumAlgorithms
        self.clock = clock or (lambda: datetime.now(UTC))
        self.unit_metadata = unit_metadata.lower()
        self.version = "2.7"
        self._state = threading.Lock()
        self._meetings: dict[str, FakeMeeting] = {}  # by external meetingID: one running per ID
        self._recordings: list[FakeRecording] = []

    @property
    def api_url(self) -> str:
        return f"{self.url}{API_PATH}/"

    # ---- state, as tests and the demo drive it
    def _now_ms(self, at: datetime | None) -> int:
        return _ms(at if at is not None else self.clock())

    def start_meeting(
        self,
        meeting_id: str,
        name: str,
        *,
        unit: str | None = None,
        participants: int = 0,
        listeners: int = 0,
        at: datetime | None = None,
        record: bool = False,
        metadata: dict[str, str] | None = None,
        breakout: bool = False,
    ) -> str:
        """Create (and start) a meeting; returns its internalMeetingID."""
        created = self._now_ms(at)
        meta = {k.lower(): v for k, v in (metadata or {}).items()}  # BBB lower-cases meta_ names
        if unit is not None:
            meta[self.unit_metadata] = unit
        meeting = FakeMeeting(
            meeting_id,
            name,
            created,
            created,
            participants=participants,
            listeners=listeners,
            record=record,
            breakout=breakout,
            metadata=meta,
            joined=participants > 0,
        )
        with self._state:
            self._meetings[meeting_id] = meeting
        return meeting.internal_id

    def set_participants(
        self, meeting_id: str, participants: int, listeners: int | None = None, video: int | None = None
    ) -> None:
        with self._state:
            meeting = self._meetings[meeting_id]
            meeting.participants = participants
            meeting.joined = meeting.joined or participants > 0
            if listeners is not None:
                meeting.listeners = listeners
            if video is not None:
                meeting.video = video

    def end_meeting(self, meeting_id: str, at: datetime | None = None) -> None:
        """``end`` call: endTime set, everyone leaves; BBB keeps listing it for a while."""
        with self._state:
            meeting = self._meetings[meeting_id]
            meeting.end_ms = self._now_ms(at)
            meeting.participants = meeting.listeners = meeting.video = meeting.moderators = 0

    def forget(self, meeting_id: str) -> None:
        """The meeting expires from bbb-web's memory: gone from getMeetings."""
        with self._state:
            self._meetings.pop(meeting_id, None)

    def internal_id(self, meeting_id: str) -> str:
        with self._state:
            return self._meetings[meeting_id].internal_id

    def add_recording(
        self,
        internal_id: str,
        *,
        start: datetime,
        end: datetime,
        participants: int = 0,
        meeting_id: str = "",
        name: str = "",
        state: str = "published",
    ) -> None:
        with self._state:
            self._recordings.append(
                FakeRecording(internal_id, meeting_id, name, _ms(start), _ms(end), participants, state)
            )

    def feed(self, meetings: list[dict[str, Any]]) -> None:
        """Replace the state with ``meetings`` (the demo's hook).

        Each item: ``{"meeting_id", "name", "unit_code", "participants", "listeners",
        "start_at" (aware), "end_at" (aware or None)}`` and optionally ``"record"``. A meeting
        is listed as ended once the fake's clock reaches its ``end_at``; meetings absent from
        the list vanish. The internalMeetingID is derived from meeting_id and start_at, so
        feeding the same meeting again keeps its identity.
        """
        fresh: dict[str, FakeMeeting] = {}
        for item in meetings:
            start = _ms(item["start_at"])
            end = item.get("end_at")
            participants = int(item.get("participants") or 0)
            meta = {self.unit_metadata: str(item["unit_code"])} if item.get("unit_code") else {}
            fresh[str(item["meeting_id"])] = FakeMeeting(
                str(item["meeting_id"]),
                str(item.get("name") or item["meeting_id"]),
                start,
                start,
                participants=participants,
                listeners=min(int(item.get("listeners") or 0), participants),
                moderators=1 if participants else 0,
                record=bool(item.get("record", False)),
                metadata=meta,
                joined=participants > 0 or end is not None,
                planned_end_ms=_ms(end) if end is not None else None,
            )
        with self._state:
            self._meetings = fresh

    # ---- HTTP
    def checksum_ok(self, call: str, raw_query: str) -> bool:
        checksum = None
        for pair in raw_query.split("&"):
            if pair.startswith("checksum="):
                checksum = pair[len("checksum=") :]
        if not checksum:
            return False
        # bbb-web removes the checksum parameter from the query string as text, then hashes.
        rest = (
            raw_query.replace("&checksum=" + checksum, "")
            .replace("checksum=" + checksum + "&", "")
            .replace("checksum=" + checksum, "")
        )
        algorithm = _BY_LENGTH.get(len(checksum))
        if algorithm is None or algorithm not in self.algorithms:
            return False
        return hashlib.new(algorithm, f"{call}{rest}{self.secret}".encode()).hexdigest() == checksum

    def route(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if path == API_PATH:  # the API root answers without a checksum
            return xml_response(
                f"<response><returncode>SUCCESS</returncode><version>2.0</version><apiVersion>2.0</apiVersion>"
                f"<bbbVersion>{self.version}</bbbVersion></response>"
            )
        if not path.startswith(API_PATH + "/"):
            return Response(404, b"<html><body>Not Found</body></html>", {}, "text/html")
        call = path[len(API_PATH) + 1 :]
        if not self.checksum_ok(call, request.raw_query):
            return _failed("checksumError", "You did not pass the checksum security check")
        if call == "getMeetings":
            return self._get_meetings()
        if call == "getRecordings":
            return self._get_recordings(request)
        return _failed("unsupportedRequest", "This request is not supported.")

    def _get_meetings(self) -> Response:
        now = self._now_ms(None)
        with self._state:
            for meeting in self._meetings.values():
                meeting.end_if_due(now)
            meetings = list(self._meetings.values())
        if not meetings:
            return xml_response(
                "<response><returncode>SUCCESS</returncode><meetings/><messageKey>noMeetings</messageKey>"
                "<message>no meetings were found on this server</message></response>"
            )
        parts = ["<response><returncode>SUCCESS</returncode><meetings>"]
        for m in meetings:
            created = datetime.fromtimestamp(m.create_ms / 1000, UTC)
            parts.append(
                "<meeting>"
                + _el("meetingName", m.name)
                + _el("meetingID", m.meeting_id)
                + _el("internalMeetingID", m.internal_id)
                + _el("createTime", m.create_ms)
                + _el("createDate", created.strftime("%a %b %d %H:%M:%S UTC %Y"))
                + _el("voiceBridge", 70000 + m.create_ms % 10000)
                + _el("dialNumber", "613-555-1234")
                + _el("attendeePW", "fake-attendee-pw")
                + _el("moderatorPW", "fake-moderator-pw")
                + _el("running", m.end_ms == 0 and m.participants > 0)
                + _el("duration", 0)
                + _el("hasUserJoined", m.joined)
                + _el("recording", m.record)
                + _el("hasBeenForciblyEnded", m.end_ms > 0)
                + _el("startTime", m.start_ms)
                + _el("endTime", m.end_ms)
                + _el("participantCount", m.participants)
                + _el("listenerCount", m.listeners)
                + _el("voiceParticipantCount", m.participants - m.listeners)
                + _el("videoCount", m.video)
                + _el("maxUsers", 0)
                + _el("moderatorCount", min(m.moderators, m.participants))
                + "<attendees/>"
                + _metadata_xml(m.metadata)
                + _el("isBreakout", m.breakout)
                + "</meeting>"
            )
        parts.append("</meetings></response>")
        return xml_response("".join(parts))

    def _get_recordings(self, request: Request) -> Response:
        record_ids = [r for r in (request.arg("recordID") or "").split(",") if r]
        meeting_ids = [m for m in (request.arg("meetingID") or "").split(",") if m]
        states = [s for s in (request.arg("state") or "published,unpublished").split(",") if s]
        try:
            offset = int(request.arg("offset") or 0)
            limit = int(request.arg("limit")) if request.arg("limit") else None
        except ValueError:
            return _failed("paramError", "offset and limit must be numbers")
        if offset < 0 or (limit is not None and not 1 <= limit <= 100):
            return _failed("paramError", "offset must be ≥ 0 and limit between 1 and 100")
        with self._state:
            recordings = list(self._recordings)
        if record_ids:  # a recordID may also be a prefix; meetingID is then ignored
            recordings = [r for r in recordings if any(r.internal_id.startswith(p) for p in record_ids)]
        elif meeting_ids:
            recordings = [r for r in recordings if r.meeting_id in meeting_ids]
        if "any" not in states:
            recordings = [r for r in recordings if r.state in states]
        recordings.sort(key=lambda r: r.start_ms)
        total = len(recordings)
        page = recordings[offset : offset + limit if limit else None]
        if not page:
            return xml_response(
                "<response><returncode>SUCCESS</returncode><recordings/><messageKey>noRecordings</messageKey>"
                "<message>There are no recordings for the meeting(s).</message></response>"
            )
        parts = ["<response><returncode>SUCCESS</returncode><recordings>"]
        for r in page:
            parts.append(
                "<recording>"
                + _el("recordID", r.internal_id)
                + _el("meetingID", r.meeting_id)
                + _el("internalMeetingID", r.internal_id)
                + _el("name", r.name)
                + _el("isBreakout", False)
                + _el("published", r.state == "published")
                + _el("state", r.state)
                + _el("startTime", r.start_ms)
                + _el("endTime", r.end_ms)
                + _el("participants", r.participants)
                + _metadata_xml(r.metadata)
                + "<playback><format>"
                + _el("type", "presentation")
                + _el("url", f"{self.url}/playback/presentation/2.3/{r.internal_id}")
                + _el("processingTime", 7177)
                + _el("length", max(0, (r.end_ms - r.start_ms) // 60000))
                + "</format></playback>"
                + "</recording>"
            )
        parts.append(f"</recordings>{_el('totalElements', total)}</response>")
        return xml_response("".join(parts))


def _failed(key: str, message: str) -> Response:
    return xml_response(
        f"<response><returncode>FAILED</returncode>{_el('messageKey', key)}{_el('message', message)}</response>"
    )
