"""``bbb`` adapter: meeting sessions reconstructed from a BigBlueButton server's API (sources.md §4.1).

BigBlueButton has no history API: ``getMeetings`` lists what the server holds *now* (running
meetings and recently ended ones). Each run polls it once and turns the successive answers into
sessions, one per ``internalMeetingID`` (``<sha1 of meetingID>-<createTime>``, so a room reused
tomorrow is a new session):

* a session **opens** when its internalMeetingID first appears; ``start_at`` = ``startTime``
  (or ``createTime``), epoch milliseconds;
* ``participants`` is the **peak** of ``participantCount`` over the polls that saw it running;
  ``endpoints_connected`` is the peak of ``participantCount − listenerCount``: a connection point
  (điểm cầu, a meeting room with a microphone and camera) joins with two-way audio, while people
  following from their desks usually join listen-only. A session first seen already ended has
  no observed peak (null, not 0) unless its recording tells us, or ``hasUserJoined`` says
  nobody came. A room created but never joined is not a held meeting and gets no row;
* it **closes** when ``endTime`` ≠ 0 (``end_at`` = endTime) or when it disappears from
  ``getMeetings`` (``end_at`` = the last poll that saw it);
* with ``recordings = true``, closed sessions of meetings created with ``record=true`` are looked
  up with ``getRecordings?recordID=…`` (recordID = internalMeetingID; offset/limit paging from
  BBB 2.6) until a published/unpublished recording appears or ``recording_wait`` has passed; the
  recording's ``startTime``/``endTime`` then replace the polled ones (authoritative duration).
  The work per run is bounded by the number of recently closed recorded meetings, never by the
  size of the server's recording archive.

Rows follow the meetings view contract (sources.md §2.1)::

    {"meeting_id": "183f0bf3…-1531240585189", "unit_code": "SO-01", "title": "Giao ban tuần",
     "platform": "bbb", "status": 2, "start_at": datetime(… UTC), "end_at": None,
     "endpoints_scheduled": None, "endpoints_connected": 3, "participants": 17,
     "updated_at": datetime(… UTC)}

A row is emitted when its session opens, its peak grows, it closes or its recording arrives;
``updated_at`` is the poll time of that change, so a row re-emitted after a retry is identical
and the upsert changes nothing. Open sessions and their peaks live in the batch watermark (saved
with the rows in one transaction), so a restarted collector carries on where it stopped.

Options::

    url = "https://bbb.example.gov.vn/bigbluebutton/api/"
    checksum = "sha1"            # sha1 (default) | sha256 | sha384 | sha512 (BBB ≥ 2.5)
    timeout = "15s"
    unit_metadata = "bbb-unit"   # getMeetings <metadata> child with our unit code (meta_bbb-unit=SO-01 at create)
    default_unit = "SO-01"       # unit of meetings without that metadata
    platform = "bbb"             # the platform label stored with each meeting
    recordings = true            # use getRecordings for authoritative durations
    recording_wait = "12h"       # how long after the end to keep looking for a recording
    verify = true                # TLS verification: true, false, or a CA bundle path (private CA)

Secrets: ``secrets.secret`` names the environment variable holding the shared secret
(``bbb-conf --secret``). The secret and the checksums never appear in logs or errors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element

from collectors.base import (
    Adapter,
    Batch,
    ErrorKind,
    FatalSourceError,
    RawReject,
    RawRow,
    SourceConfig,
    TransientSourceError,
)
from collectors.http import BbbChecksum, HttpClient, check_url
from collectors.safexml import child_text, local, parse_xml
from collectors.sources import parse_duration

log = logging.getLogger(__name__)

ALGORITHMS = ("sha1", "sha256", "sha384", "sha512")
#: Meeting status written for every session: a meeting the platform reports as held counts as
#: approved (domain.md §1.3, HOP-01).
HELD = 2
#: Watermark layout version; a watermark of another version is ignored (sessions start afresh).
STATE_VERSION = 1
#: recordIDs per getRecordings request (keeps the URL short) and page size (BBB allows 1–100).
RECORD_IDS_PER_REQUEST = 25
RECORDINGS_PAGE = 100
_MAX_RECORDING_PAGES = 50


# --- parsing (pure functions of the XML answer) ------------------------------------------------------
def parse_answer(body: bytes | str) -> Element:
    """Parse a BigBlueButton answer (hardened parser); :class:`~collectors.safexml.XmlError` if not XML."""
    return parse_xml(body)


def check_returncode(
    root: Element, call: str, source: str = "source", secret_var: str | None = None
) -> str | None:
    """Raise on a failed answer; return its ``messageKey`` (e.g. ``noMeetings``) when it succeeded.

    ``FAILED``/``checksumError`` is an authentication failure; any other ``FAILED`` is fatal with
    the server's key and message; an answer that is not a BBB ``<response>`` is transient.
    """
    if local(root.tag) != "response":
        raise TransientSourceError(
            f"{source}: the answer to {call} is not a BigBlueButton <response> (got <{local(root.tag)[:40]}>); check options.url",
            kind=ErrorKind.BAD_RESPONSE,
        )
    code = (child_text(root, "returncode") or "").upper()
    key = child_text(root, "messageKey") or None
    if code == "SUCCESS":
        return key
    if code == "FAILED":
        if key == "checksumError":
            where = f"secrets.secret ({secret_var})" if secret_var else "secrets.secret"
            raise FatalSourceError(
                f"{source}: BigBlueButton refused the checksum of {call} (authentication failed); "
                f"check {where} against `bbb-conf --secret` and options.checksum",
                kind=ErrorKind.AUTH,
                detail=where,
            )
        message = (child_text(root, "message") or "").strip()[:200]
        raise FatalSourceError(
            f"{source}: BigBlueButton answered FAILED to {call}: {key or 'no messageKey'}: {message or 'no message'}",
            kind=ErrorKind.BAD_REQUEST,
            detail=f"FAILED {key or ''}".strip(),
        )
    raise TransientSourceError(
        f"{source}: unexpected returncode {code[:20]!r} in the answer to {call}", kind=ErrorKind.BAD_RESPONSE
    )


def _ms(text: str | None, name: str) -> int:
    """Epoch milliseconds; empty counts as 0 (BBB writes 0 for 'not yet')."""
    if text is None or not text.strip():
        return 0
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"{name}: not epoch milliseconds: {text[:40]!r}") from None
    if not 0 <= value < 4_102_444_800_000:  # before 2100
        raise ValueError(f"{name}: implausible epoch milliseconds {value}")
    return value


def _count(text: str | None, name: str) -> int:
    if text is None or not text.strip():
        return 0
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"{name}: not a count: {text[:40]!r}") from None
    if not 0 <= value < 10_000_000:
        raise ValueError(f"{name}: implausible count {value}")
    return value


def _flag(text: str | None) -> bool | None:
    return None if text is None or not text.strip() else text.strip().lower() == "true"


def _metadata(element: Element) -> dict[str, str]:
    for child in element:
        if local(child.tag) == "metadata":
            # BBB lower-cases metadata names (meta_BBB-Unit → bbb-unit).
            return {local(m.tag).lower(): (m.text or "").strip() for m in child}
    return {}


def _items(root: Element, container: str, item: str) -> list[Element]:
    for child in root:
        if local(child.tag) == container:
            return [e for e in child if local(e.tag) == item]
    return []


def parse_meetings(root: Element) -> tuple[list[dict[str, Any]], list[tuple[str, dict[str, Any]]]]:
    """``getMeetings`` answer → (meetings, rejects).

    A meeting is ``{"internal_id", "meeting_id", "name", "start_ms", "end_ms", "participants",
    "listeners", "record", "joined", "breakout", "metadata"}``; one that cannot be read becomes a
    ``(reason, payload)`` reject and never fails the others. ``noMeetings`` is an empty list.
    """
    meetings: list[dict[str, Any]] = []
    rejects: list[tuple[str, dict[str, Any]]] = []
    for element in _items(root, "meetings", "meeting"):
        internal = (child_text(element, "internalMeetingID") or "").strip()
        name = child_text(element, "meetingName") or ""
        external = child_text(element, "meetingID") or ""
        payload = {
            "internalMeetingID": internal[:128],
            "meetingID": external[:256],
            "meetingName": name[:500],
        }
        try:
            if not internal:
                raise ValueError("missing internalMeetingID")
            create = _ms(child_text(element, "createTime"), "createTime")
            start = _ms(child_text(element, "startTime"), "startTime") or create
            if not start:
                raise ValueError("neither startTime nor createTime")
            participants = _count(child_text(element, "participantCount"), "participantCount")
            listeners = min(_count(child_text(element, "listenerCount"), "listenerCount"), participants)
            meetings.append(
                {
                    "internal_id": internal,
                    "meeting_id": external,
                    "name": name,
                    "start_ms": start,
                    "end_ms": _ms(child_text(element, "endTime"), "endTime"),
                    "participants": participants,
                    "listeners": listeners,
                    "record": (child_text(element, "recording") or "").lower() == "true",
                    "joined": _flag(child_text(element, "hasUserJoined")),
                    "breakout": (child_text(element, "isBreakout") or "").lower() == "true",
                    "metadata": _metadata(element),
                }
            )
        except ValueError as exc:
            rejects.append((f"getMeetings: {exc}", payload))
    return meetings, rejects


def parse_recordings(root: Element) -> tuple[list[dict[str, Any]], int | None]:
    """``getRecordings`` answer → (recordings, totalElements or None).

    A recording is ``{"record_id", "internal_id", "start_ms", "end_ms", "participants"}``;
    unreadable ones are skipped (the session keeps its polled times).
    """
    recordings = []
    for element in _items(root, "recordings", "recording"):
        record_id = (child_text(element, "recordID") or "").strip()
        internal = (child_text(element, "internalMeetingID") or "").strip() or record_id
        try:
            start = _ms(child_text(element, "startTime"), "startTime")
            end = _ms(child_text(element, "endTime"), "endTime")
            participants_text = child_text(element, "participants")
            participants = _count(participants_text, "participants") if participants_text else None
        except ValueError:
            continue
        if not internal or not start or end < start:
            continue
        recordings.append(
            {
                "record_id": record_id,
                "internal_id": internal,
                "start_ms": start,
                "end_ms": end,
                "participants": participants,
            }
        )
    total_text = child_text(root, "totalElements")
    try:
        total = int(total_text) if total_text else None
    except ValueError:
        total = None
    return recordings, total


# --- session reconstruction (pure: state in, state and changes out) ---------------------------------
def _dt(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def _endpoints(meeting: dict[str, Any]) -> int:
    return max(0, meeting["participants"] - meeting["listeners"])


def _peak(old: int | None, new: int) -> int:
    return new if old is None else max(old, new)


class SessionTracker:
    """Turns successive ``getMeetings`` polls into sessions; its state is the watermark.

    >>> tracker = SessionTracker({}, unit_of=lambda m: "SO-01")
    >>> tracker.poll([{"internal_id": "x-1", "meeting_id": "x", "name": "Họp", "start_ms": 1_767_225_600_000,
    ...     "end_ms": 0, "participants": 5, "listeners": 2, "record": False, "breakout": False, "metadata": {}}],
    ...     now_ms=1_767_225_660_000)
    ['x-1']
    >>> tracker.sessions["x-1"]["peak"], tracker.sessions["x-1"]["peak_endpoints"]
    (5, 3)
    """

    def __init__(
        self,
        state: dict[str, Any] | None,
        *,
        unit_of: Callable[[dict[str, Any]], str | None],
        interval_s: float = 60.0,
        recordings: bool = True,
        recording_wait_s: float = 12 * 3600,
        source: str = "source",
    ):
        state = state if isinstance(state, dict) and state.get("v") == STATE_VERSION else {}
        self.sessions: dict[str, dict[str, Any]] = {
            k: dict(v) for k, v in (state.get("sessions") or {}).items()
        }
        self.polled_ms: int | None = state.get("polled_ms")
        self.unit_of = unit_of
        self.interval_s = interval_s
        self.recordings = recordings
        self.recording_wait_ms = int(recording_wait_s * 1000)
        self.source = source

    def state(self) -> dict[str, Any]:
        return {"v": STATE_VERSION, "polled_ms": self.polled_ms, "sessions": self.sessions}

    def poll(self, meetings: list[dict[str, Any]], now_ms: int) -> list[str]:
        """Apply one ``getMeetings`` answer seen at ``now_ms``; return the ids of changed sessions."""
        changed: set[str] = set()
        listed = {m["internal_id"]: m for m in meetings if not m["breakout"]}
        for internal, meeting in listed.items():
            session = self.sessions.get(internal)
            if session is None:
                self.sessions[internal] = self._new_session(meeting, now_ms)
                changed.add(internal)
            elif self._update_session(session, meeting, now_ms):
                changed.add(internal)
        for internal, session in list(self.sessions.items()):
            if internal in listed:
                continue
            if session["closed"] is None:
                self._close_vanished(session, now_ms)
                changed.add(internal)
            if not self._awaits_recording(session, now_ms):
                if internal not in changed:
                    del self.sessions[internal]
                else:
                    session["drop"] = True  # emitted once more below, then forgotten
        for internal in changed:
            self.sessions[internal]["changed"] = now_ms
        self.polled_ms = now_ms
        return sorted(changed)

    def _new_session(self, meeting: dict[str, Any], now_ms: int) -> dict[str, Any]:
        running = meeting["end_ms"] == 0
        observed = running or meeting["participants"] > 0
        if not observed and meeting.get("joined") is False:
            observed = True  # ended before anyone joined: a known peak of 0
        return {
            "title": meeting["name"],
            "unit": self.unit_of(meeting),
            "start": meeting["start_ms"],
            "end": None if running else meeting["end_ms"],
            "peak": meeting["participants"] if observed else None,
            "peak_endpoints": _endpoints(meeting) if observed else None,
            "closed": None if running else "endTime",
            "record": meeting["record"],
            "recording_done": False,
            "last_seen": now_ms,
            "changed": now_ms,
        }

    def _update_session(self, session: dict[str, Any], meeting: dict[str, Any], now_ms: int) -> bool:
        """A known session seen again: its peaks, end and recording flag; whether it changed."""
        changed = False
        running = meeting["end_ms"] == 0
        session["last_seen"] = now_ms
        if running or meeting["participants"] > 0:
            peak = _peak(session["peak"], meeting["participants"])
            endpoints = _peak(session["peak_endpoints"], _endpoints(meeting))
            if (peak, endpoints) != (session["peak"], session["peak_endpoints"]):
                session["peak"], session["peak_endpoints"] = peak, endpoints
                changed = True
        if running and session["closed"] == "vanished":
            # It was missing from one answer (a proxy such as Scalelite hiccuped) and is back.
            session["end"], session["closed"] = None, None
            changed = True
        elif not running and session["closed"] in (None, "vanished"):
            session["end"], session["closed"] = meeting["end_ms"], "endTime"
            changed = True
        if meeting["record"]:
            session["record"] = True
        return changed

    def _close_vanished(self, session: dict[str, Any], now_ms: int) -> None:
        """Gone from getMeetings without an endTime we saw: BBB dropped it (ended and expired)
        between two polls. The true end lies between the last poll that saw it and now; the last
        sighting is the bound we know, so hours are never inflated. When the collector was down
        for longer than two intervals that gap can be large: the session is still closed at its
        last sighting (a recording, if any, corrects it later), and the log says so."""
        gap_s = (now_ms - session["last_seen"]) / 1000
        if gap_s > 2 * self.interval_s:
            log.warning(
                "%s: meeting %r vanished while the collector was not polling for %.0f min; "
                "closed at its last sighting",
                self.source,
                session["title"][:80],
                gap_s / 60,
            )
        session["end"], session["closed"] = max(session["last_seen"], session["start"]), "vanished"

    def _awaits_recording(self, session: dict[str, Any], now_ms: int) -> bool:
        return (
            self.recordings
            and session["record"]
            and not session["recording_done"]
            and session["end"] is not None
            and now_ms - session["end"] <= self.recording_wait_ms
        )

    def awaiting_recordings(self, now_ms: int) -> list[str]:
        """Closed sessions of recorded meetings whose recording has not been seen yet."""
        return sorted(
            (k for k, s in self.sessions.items() if s["closed"] and self._awaits_recording(s, now_ms)),
            key=lambda k: self.sessions[k]["end"],
        )

    def apply_recording(self, recording: dict[str, Any], now_ms: int) -> bool:
        session = self.sessions.get(recording["internal_id"])
        if session is None or not session["closed"] or session["recording_done"]:
            return False
        session["start"], session["end"] = recording["start_ms"], recording["end_ms"]
        if session["peak"] is None and recording["participants"] is not None:
            session["peak"] = recording["participants"]
        session["closed"], session["recording_done"], session["changed"] = "recording", True, now_ms
        return True

    def forget_finished(self, listed: set[str]) -> None:
        """Drop closed sessions no longer listed and no longer waiting (after they were emitted)."""
        for internal, session in list(self.sessions.items()):
            if session.pop("drop", False) or (session["recording_done"] and internal not in listed):
                del self.sessions[internal]

    def held(self, internal: str) -> bool:
        """Whether the session is a meeting that took place (someone joined, or we cannot tell).

        A room created but never joined (BBB lists it until it expires) is not a held meeting:
        it gets no row, so it counts neither as held nor as a meeting that failed to connect.
        """
        peak = self.sessions[internal]["peak"]
        return peak is None or peak > 0

    def row(self, internal: str, platform: str) -> dict[str, Any]:
        s = self.sessions[internal]
        return {
            "meeting_id": internal,
            "unit_code": s["unit"],
            "title": s["title"],
            "platform": platform,
            "status": HELD,
            "start_at": _dt(s["start"]),
            "end_at": _dt(s["end"]),
            "endpoints_scheduled": None,
            "endpoints_connected": s["peak_endpoints"],
            "participants": s["peak"],
            "updated_at": _dt(s["changed"]),
        }


# --- the adapter ------------------------------------------------------------------------------------
class BbbAdapter(Adapter):
    kind = "bbb"
    domains = ("meetings",)

    def __init__(self, config: SourceConfig, *, clock: Callable[[], datetime] | None = None, transport=None):
        super().__init__(config)
        opts = config.options
        url = str(opts["url"])
        self.url = url if url.endswith("/") else url + "/"
        self.algorithm = str(opts.get("checksum", "sha1")).lower()
        self.timeout_s = parse_duration(opts.get("timeout", 15))
        self.unit_metadata = str(opts["unit_metadata"]).lower() if opts.get("unit_metadata") else None
        self.default_unit = str(opts["default_unit"]) if opts.get("default_unit") else None
        self.platform = str(opts.get("platform", "bbb"))
        self.recordings = bool(opts.get("recordings", True))
        self.recording_wait_s = parse_duration(opts.get("recording_wait", "12h"))
        self.verify: bool | str = opts.get("verify", True)
        self.clock = clock or (lambda: datetime.now(UTC))
        self._transport = transport
        self._client: HttpClient | None = None

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> list[str]:
        problems = check_url(options)
        if options.get("checksum", "sha1") not in ALGORITHMS:
            problems.append(
                f"options.checksum: expected one of {', '.join(ALGORITHMS)} (what the server's supportedChecksumAlgorithms allows)"
            )
        for key, default in (("timeout", 15), ("recording_wait", "12h")):
            try:
                parse_duration(options.get(key, default))
            except ValueError:
                problems.append(f"options.{key}: expected a duration such as 15s, 5m or 12h")
        for key in ("unit_metadata", "default_unit", "platform"):
            if key in options and (not isinstance(options[key], str) or not options[key].strip()):
                problems.append(f"options.{key}: expected a non-empty string")
        if "platform" in options and isinstance(options["platform"], str) and len(options["platform"]) > 32:
            problems.append("options.platform: at most 32 characters")
        if not isinstance(options.get("recordings", True), bool):
            problems.append("options.recordings: expected true or false")
        if not isinstance(options.get("verify", True), (bool, str)):
            problems.append("options.verify: expected true, false or the path of a CA file")
        return problems

    # ---- plumbing
    def _http(self) -> HttpClient:
        if self._client is None:
            secret = self.config.secret("secret")
            self._client = HttpClient(
                self.config,
                base_url=self.url,
                auth=BbbChecksum(secret, self.algorithm),
                timeout_s=self.timeout_s,
                verify=self.verify,
                transport=self._transport,
            )
        return self._client

    def _call(self, call: str, params: dict[str, Any] | None = None) -> tuple[Element, str | None]:
        root = self._http().get_xml(call, params=params)
        key = check_returncode(root, call, f"source {self.config.name!r}", self.config.secrets.get("secret"))
        return root, key

    def _unit_of(self, meeting: dict[str, Any]) -> str | None:
        if self.unit_metadata:
            code = meeting["metadata"].get(self.unit_metadata)
            if code:
                return code
        return self.default_unit

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # ---- reading
    def batches(self, watermark: dict[str, Any] | None) -> Iterator[Batch]:
        tracker = SessionTracker(
            watermark,
            unit_of=self._unit_of,
            interval_s=self.config.interval_s,
            recordings=self.recordings,
            recording_wait_s=self.recording_wait_s,
            source=f"source {self.config.name!r}",
        )
        root, _ = self._call("getMeetings")  # noMeetings is SUCCESS with an empty <meetings/>
        meetings, bad = parse_meetings(root)
        now_ms = int(self.clock().timestamp() * 1000)
        changed = tracker.poll(meetings, now_ms)
        rows = [RawRow(tracker.row(k, self.platform)) for k in changed if tracker.held(k)]
        tracker.forget_finished({m["internal_id"] for m in meetings})
        yield Batch(
            rows=rows,
            watermark=tracker.state(),
            rejects=[RawReject(reason, payload) for reason, payload in bad],
            description=f"getMeetings: {len(meetings)} meeting(s), {len(rows)} session change(s)",
        )
        # Recordings in a second batch: the polled sessions are committed even if this call fails.
        waiting = tracker.awaiting_recordings(now_ms)
        if not waiting:
            return
        updated = []
        for start in range(0, len(waiting), RECORD_IDS_PER_REQUEST):
            chunk = waiting[start : start + RECORD_IDS_PER_REQUEST]
            for recording in self._recordings(chunk):
                if recording["internal_id"] in chunk and tracker.apply_recording(recording, now_ms):
                    updated.append(recording["internal_id"])
        if not updated:
            return
        rows = [RawRow(tracker.row(k, self.platform)) for k in updated if tracker.held(k)]
        tracker.forget_finished({m["internal_id"] for m in meetings})
        yield Batch(
            rows=rows,
            watermark=tracker.state(),
            description=f"getRecordings: {len(rows)} duration(s) from recordings",
        )

    def _recordings(self, record_ids: list[str]) -> Iterator[dict[str, Any]]:
        """Recordings of ``record_ids``, page by page (offset/limit, BBB ≥ 2.6).

        Servers before 2.6 ignore offset/limit and send everything at once: a page that brings
        no new recordID, or more than ``limit`` items, ends the loop.
        """
        seen: set[str] = set()
        offset = 0
        for _ in range(_MAX_RECORDING_PAGES):
            root, _key = self._call(
                "getRecordings",
                {
                    "recordID": ",".join(record_ids),
                    "state": "published,unpublished",
                    "offset": offset,
                    "limit": RECORDINGS_PAGE,
                },
            )
            recordings, total = parse_recordings(root)
            fresh = [r for r in recordings if r["record_id"] not in seen]
            yield from fresh
            seen.update(r["record_id"] for r in fresh)
            offset += len(recordings)
            if (
                not fresh
                or len(recordings) < RECORDINGS_PAGE
                or len(recordings) > RECORDINGS_PAGE
                or (total is not None and offset >= total)
            ):
                return
