"""edXML status packets (QCVN 102:2016) read from a folder: status updates of known documents.

When a recipient's document system accepts, assigns, handles or completes a document that came
over the national document axis, it sends the sender a *status packet*. The axis client of the
agency stores the packets it downloads in a folder; this adapter reads that folder and turns
each packet into a ``document_status`` row, which :func:`collectors.status.apply_status_events`
applies to the matching document (VB-06 "axis receipts acknowledged", VB-07 "acknowledgement
latency", VB-08 "returned or recalled").

**Read-only.** The national axis is a queue shared with the agency's own document system: this
adapter never moves, renames, deletes or writes a packet, and never acknowledges anything. What
it has read is remembered in the source's watermark instead (see :class:`FolderState`).

Three layouts are seen in practice; elements are matched by local name, namespaces ignored, and
the status may sit at any depth::

    <edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">          (QCVN 102:2016)
      <edXML:edXMLEnvelope xmlns:edXML="…QCVN_102_2016"><edXML:edXMLHeader>
        <edXML:Status>
          <edXML:ResponseFor>                          the document the status is about
            <edXML:OrganId>000.00.00.G01</edXML:OrganId>       its issuing organ
            <edXML:Code>15/BC-VP</edXML:Code>                  its number/notation
            <edXML:PromulgationDate>2026/03/02</edXML:PromulgationDate>
            <edXML:DocumentId>000.00.00.G01,2026-03-02,15/BC-VP</edXML:DocumentId>
          </edXML:ResponseFor>
          <edXML:From><edXML:OrganId>000.00.12.H29</edXML:OrganId>…</edXML:From>   who reports
          <edXML:StatusCode>03</edXML:StatusCode>
          <edXML:Description>Văn thư đã tiếp nhận</edXML:Description>
          <edXML:Timestamp>2026/03/02 14:05:00</edXML:Timestamp>
          <edXML:StaffInfo><edXML:Department>…</edXML:Department><edXML:Staff>…</edXML:Staff>…
        </edXML:Status>
      …

``SOAP-ENV:Envelope/SOAP-ENV:Header/edXML:Status`` (older edXML clients, ``dd/MM/yyyy HH:mm:ss``
timestamps) and ``…/edXMLHeader/MessageHeader`` holding the same children directly (some axis
gateways) are read the same way. The element holding ``StatusCode`` (or, failing that,
``ResponseFor``) is the status; one file normally holds one.

:func:`parse_packet` gives, for the packet above, one ``RawRow(data={"packet_id": "<sha256 of the
file>", "document_source": "qlvb", "DocumentId": "000.00.00.G01,2026-03-02,15/BC-VP", "OrganId":
"000.00.00.G01", "Code": "15/BC-VP", "From": "000.00.12.H29", "StatusCode": "03", "Timestamp":
"2026-03-02 14:05:00", …}, file_name="…")``. The packet id is a digest of the file's bytes, so the
same packet read twice (a re-run, a copy under another name) is one event.

A packet that cannot be read — not well-formed, a DTD or entity (billion laughs, external
entities), larger than ``max_file_bytes``, no ``DocumentId``/``StatusCode``/``Timestamp``, a code
outside the edXML table, an unreadable or future timestamp — becomes a :class:`RawReject` with the
file name and the reason; the parser never raises. Transport acknowledgements (``processing`` /
``done`` / ``fail``) only say a package was downloaded (domain.md §1.2): they are skipped.

Options (in the source's ``options`` table)::

    folder = "/srv/axis/status"       # required: where the axis client stores status packets
    documents_source = "qlvb"         # required: the documents source whose documents they update
    pattern = ["*.xml", "*.edxml"]    # default; file names, case-insensitive
    settle_seconds = 2                # a file modified more recently may still be being written
    max_files = 10000                 # files read per run at most (a backlog continues next run)
    files_per_batch = 200             # files per batch = per transaction
    max_file_bytes = 1048576          # larger files are rejected unread (status packets are ~2 KB)

The source's ``lookback`` (default 1 h) is how far before the newest file read a late-arriving
file with an older modification time is still picked up.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import os
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element
from zoneinfo import ZoneInfo

from collectors.base import (
    Adapter,
    Batch,
    ErrorKind,
    FatalSourceError,
    RawReject,
    RawRow,
    SourceConfig,
    os_error_kind,
)
from collectors.parse import parse_datetime
from collectors.safexml import XmlError, child_text, local, parse_xml
from dashboard.models import EDXML_STATUS_CODES
from dashboard.timeutil import VN_TZ

log = logging.getLogger(__name__)

DEFAULT_PATTERNS = ("*.xml", "*.edxml")
DEFAULT_SETTLE_SECONDS = 2.0
DEFAULT_MAX_FILES = 10_000
DEFAULT_FILES_PER_BATCH = 200
DEFAULT_MAX_FILE_BYTES = 1024 * 1024
#: Bound on the files remembered in the watermark (see FolderState); ~60 bytes of JSON each.
MAX_SEEN = 20_000
#: A status stamped further ahead than this is a wrong clock: accepting it would pin the document's
#: status until that date (older packets never override a newer one).
MAX_CLOCK_AHEAD = timedelta(days=1)
#: Transport acknowledgements of the axis: a package was downloaded, not a business status.
TRANSPORT_ACKS = frozenset({"processing", "done", "fail", "failed"})
#: Names still being written or belonging to an editor or a copy tool.
TEMP_PREFIXES = (".", "~$")
TEMP_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")

KNOWN_OPTIONS = {
    "folder",
    "pattern",
    "documents_source",
    "settle_seconds",
    "max_files",
    "files_per_batch",
    "max_file_bytes",
}


# --- parsing ------------------------------------------------------------------------------------------
class PacketError(ValueError):
    """A status in a packet cannot be used; the message is the reason."""


@dataclass
class ParsedPacket:
    rows: list[RawRow] = field(default_factory=list)
    rejects: list[RawReject] = field(default_factory=list)
    #: Statuses deliberately ignored (transport acknowledgements), with why.
    skipped: list[str] = field(default_factory=list)


def packet_id(data: bytes) -> str:
    """The stable id of a packet: the SHA-256 of its bytes (64 hex characters)."""
    return hashlib.sha256(data).hexdigest()


_SLASHED_YMD = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?=$|[ T])")


def normalize_timestamp(text: str, tz: ZoneInfo = VN_TZ, now: datetime | None = None) -> str:
    """The packet's timestamp in a form :func:`collectors.parse.parse_datetime` reads.

    >>> normalize_timestamp("2025/03/12 14:05:00")
    '2025-03-12 14:05:00'
    >>> normalize_timestamp("12/03/2025 14:05:00"), normalize_timestamp("2025-03-12T14:05:00+07:00")
    ('12/03/2025 14:05:00', '2025-03-12T14:05:00+07:00')

    Raises :class:`PacketError` for an unreadable, implausible or future timestamp.
    """
    value = " ".join(text.split())
    match = _SLASHED_YMD.match(value)
    if match:  # "2025/03/12 14:05:00", written by several axis clients
        year, month, day = match.groups()
        value = f"{year}-{int(month):02d}-{int(day):02d}{value[match.end() :]}"
    try:
        when = parse_datetime(value, tz)
    except (ValueError, OverflowError) as exc:
        raise PacketError(f"Timestamp: {exc}") from None
    if when is None:
        raise PacketError("missing Timestamp")
    now = now or datetime.now(tz)
    if when - now > MAX_CLOCK_AHEAD:
        raise PacketError(
            f"Timestamp {text.strip()!r} is in the future: check the clock of the system that sent the packet"
        )
    return value


def normalize_status(text: str) -> str:
    """``"3"`` → ``"03"``; raises :class:`PacketError` outside the edXML table (domain.md §1.2)."""
    code = text.strip()
    if code.isdigit() and len(code) < 2:
        code = code.zfill(2)
    if code not in EDXML_STATUS_CODES:
        raise PacketError(
            f"StatusCode {text.strip()[:20]!r} outside the edXML table ({', '.join(EDXML_STATUS_CODES)})"
        )
    return code


def _child(element: Element, name: str) -> Element | None:
    for node in element:
        if local(node.tag) == name:
            return node
    return None


def _text(element: Element | None, name: str, limit: int = 4000) -> str | None:
    value = child_text(element, name)
    if not value:
        return None
    # Windows-1258 systems write Vietnamese decomposed (a base letter + a combining tone mark).
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    return value[:limit]


def status_elements(root: Element) -> list[Element]:
    """The elements holding a status: those with a ``StatusCode`` child, at any depth; failing
    that, those with a ``ResponseFor`` child (so a status without its code is reported as such)."""
    with_code = [e for e in root.iter() if _child(e, "StatusCode") is not None]
    if with_code:
        return with_code
    return [e for e in root.iter() if _child(e, "ResponseFor") is not None]


def read_status(element: Element, tz: ZoneInfo = VN_TZ, now: datetime | None = None) -> dict[str, Any]:
    """One status element → the raw row fields (view-contract names of ``document_status``).

    Raises :class:`PacketError` when the status cannot be used.
    """
    response_for = _child(element, "ResponseFor")
    if response_for is None:
        raise PacketError("missing ResponseFor (the document the status is about)")
    document_id = _text(response_for, "DocumentId")
    if not document_id:
        raise PacketError("missing ResponseFor/DocumentId")
    if len(document_id) > 128:
        raise PacketError("ResponseFor/DocumentId longer than 128 characters")
    raw_status = child_text(element, "StatusCode")
    if not raw_status:
        raise PacketError("missing StatusCode")
    if raw_status.strip().lower() in TRANSPORT_ACKS:
        raise _TransportAck(raw_status.strip().lower())
    status = normalize_status(raw_status)
    raw_time = child_text(element, "Timestamp")
    if not raw_time:
        raise PacketError("missing Timestamp")
    timestamp = normalize_timestamp(raw_time, tz, now)
    sender = _child(element, "From")
    staff_info = _child(element, "StaffInfo")
    # Only who handled it and where; the staff member's phone and e-mail are not needed by any
    # KPI and are personal data, so they are not kept.
    staff = " – ".join(
        p for p in (_text(staff_info, "Staff", 120), _text(staff_info, "Department", 120)) if p
    )
    return {
        "DocumentId": document_id,
        "OrganId": _text(response_for, "OrganId", 64),
        "Code": _text(response_for, "Code", 128),
        "PromulgationDate": _text(response_for, "PromulgationDate", 40),
        "From": _text(sender, "OrganId", 64),
        "FromName": _text(sender, "OrganName", 255),
        "StatusCode": status,
        "Timestamp": timestamp,
        "Description": _text(element, "Description"),
        "StaffInfo": staff or None,
    }


class _TransportAck(Exception):
    pass


def parse_packet(
    data: bytes,
    file_name: str,
    document_source: str,
    *,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
    tz: ZoneInfo = VN_TZ,
    now: datetime | None = None,
) -> ParsedPacket:
    """The statuses of one packet file as raw rows, or rejects saying why — never an exception."""
    result = ParsedPacket()

    def reject(reason: str, **extra: Any) -> ParsedPacket:
        payload = {"file": file_name, "bytes": len(data), **extra}
        result.rejects.append(
            RawReject(reason=f"{file_name}: {reason}", payload=payload, file_name=file_name)
        )
        return result

    if len(data) > max_bytes:
        return reject(
            f"{len(data)} bytes, more than options.max_file_bytes ({max_bytes}): not a status packet?"
        )
    digest = packet_id(data)
    try:
        root = parse_xml(data, max_bytes=max_bytes)
    except XmlError as exc:
        return reject(f"{exc}", packet_id=digest)
    except LookupError as exc:  # an encoding declaration Python does not know (safexml lets it through)
        return reject(f"unreadable XML ({exc}): save the packet as UTF-8", packet_id=digest)
    elements = status_elements(root)
    if not elements:
        return reject(
            "no edXML status (no StatusCode or ResponseFor element): not a status packet", packet_id=digest
        )
    for index, element in enumerate(elements):
        # One status per file is the rule; should a file bundle several, each gets its own id.
        pid = digest if len(elements) == 1 else f"{digest}-{index + 1}"
        try:
            row = read_status(element, tz, now)
        except _TransportAck as ack:
            result.skipped.append(f"{file_name}: transport acknowledgement {ack}, not a business status")
            continue
        except PacketError as exc:
            reject(str(exc), packet_id=pid)
            continue
        row = {"packet_id": pid, "document_source": document_source, **row}
        result.rows.append(RawRow(data=row, file_name=file_name))
    return result


# --- the folder -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PacketFile:
    path: Path
    mtime_ns: int
    size: int

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def key(self) -> list[int]:
        return [self.mtime_ns, self.size]


@dataclass
class FolderState:
    """What has been read from the folder, kept in the watermark (the folder is never written).

    * ``mtime_ns``/``name``: the high-water mark, the newest file read (by modification time, then
      name);
    * ``floor_ns``: files modified before it are taken as read. It trails the high-water mark by
      the source's ``lookback``, so a file that lands late with an older modification time (copied
      with its original time, a slow share) is still read if it is within that window;
    * ``seen``: name → [mtime_ns, size] of the files read at or after the floor, so they are not
      read again; a file rewritten in place changes its time or size and is read again (a new
      digest, a new event).

    Bounded: entries below the floor are dropped, and beyond :data:`MAX_SEEN` entries the oldest
    go and the floor rises to the oldest kept (a burst of more files than that within one
    lookback shortens the window rather than growing the watermark).
    """

    mtime_ns: int = 0
    name: str = ""
    floor_ns: int = 0
    seen: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def from_watermark(cls, watermark: dict[str, Any] | None) -> FolderState:
        if not isinstance(watermark, dict) or watermark.get("v") != 1:
            return cls()
        seen = watermark.get("seen") or {}
        return cls(
            mtime_ns=int(watermark.get("mtime_ns") or 0),
            name=str(watermark.get("name") or ""),
            floor_ns=int(watermark.get("floor_ns") or 0),
            seen={
                str(k): [int(v[0]), int(v[1])] for k, v in seen.items() if isinstance(v, list) and len(v) == 2
            },
        )

    def to_watermark(self) -> dict[str, Any]:
        return {
            "v": 1,
            "mtime_ns": self.mtime_ns,
            "name": self.name,
            "floor_ns": self.floor_ns,
            "seen": dict(self.seen),
        }

    def is_new(self, file: PacketFile) -> bool:
        return file.mtime_ns >= self.floor_ns and self.seen.get(file.name) != file.key

    def mark(self, files: list[PacketFile], lookback_ns: int) -> None:
        for file in files:
            self.seen[file.name] = file.key
            self.mtime_ns, self.name = max((self.mtime_ns, self.name), (file.mtime_ns, file.name))
        self.floor_ns = max(self.floor_ns, self.mtime_ns - lookback_ns)
        self.seen = {n: k for n, k in self.seen.items() if k[0] >= self.floor_ns}
        if len(self.seen) > MAX_SEEN:
            kept = sorted(self.seen.items(), key=lambda item: (item[1][0], item[0]))[-MAX_SEEN:]
            self.seen = dict(kept)
            self.floor_ns = max(self.floor_ns, kept[0][1][0])


class EdxmlStatusAdapter(Adapter):
    """Reads edXML status packets from a folder, oldest first, without ever changing the folder."""

    kind = "edxml"
    domains = ("document_status",)

    def __init__(self, config: SourceConfig, *, clock: Callable[[], float] = time.time):
        super().__init__(config)
        problems = self.check_options(config.options)
        if problems:
            raise FatalSourceError(f"source {config.name!r}: " + "; ".join(problems), kind=ErrorKind.CONFIG)
        options = config.options
        self.folder = Path(options["folder"])
        self.documents_source = options["documents_source"].strip()
        patterns = options.get("pattern", list(DEFAULT_PATTERNS))
        self.patterns = [p.lower() for p in ([patterns] if isinstance(patterns, str) else patterns)]
        self.settle_seconds = float(options.get("settle_seconds", DEFAULT_SETTLE_SECONDS))
        self.max_files = int(options.get("max_files", DEFAULT_MAX_FILES))
        self.files_per_batch = int(options.get("files_per_batch", DEFAULT_FILES_PER_BATCH))
        self.max_file_bytes = int(options.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES))
        self.lookback_ns = int(config.lookback_s * 1e9)
        self.tz = ZoneInfo(config.timezone)
        self.clock = clock

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> list[str]:
        problems = [f"options.{key}: unknown option" for key in sorted(set(options) - KNOWN_OPTIONS)]
        folder = options.get("folder")
        if folder is None:
            problems.append(
                "options.folder: missing (the folder where the axis client stores status packets)"
            )
        elif not (isinstance(folder, os.PathLike) or (isinstance(folder, str) and folder.strip())):
            problems.append("options.folder: expected the path of the packets folder")
        source = options.get("documents_source")
        if source is None:
            problems.append(
                "options.documents_source: missing (the name of the documents source whose documents these "
                'packets update, e.g. "qlvb")'
            )
        elif not isinstance(source, str) or not source.strip() or len(source.strip()) > 64:
            problems.append('options.documents_source: expected the name of a documents source, e.g. "qlvb"')
        pattern = options.get("pattern", list(DEFAULT_PATTERNS))
        patterns = [pattern] if isinstance(pattern, str) else pattern
        if (
            not isinstance(patterns, list)
            or not patterns
            or not all(isinstance(p, str) and p.strip() for p in patterns)
        ):
            problems.append(
                'options.pattern: expected a file name pattern or a list of them, e.g. ["*.xml", "*.edxml"]'
            )
        elif any("/" in p or "\\" in p for p in patterns):
            problems.append("options.pattern: patterns match file names in the folder, not paths")
        settle = options.get("settle_seconds", DEFAULT_SETTLE_SECONDS)
        if isinstance(settle, bool) or not isinstance(settle, (int, float)) or settle < 0:
            problems.append("options.settle_seconds: expected a number of seconds ≥ 0")
        for key, default in (
            ("max_files", DEFAULT_MAX_FILES),
            ("files_per_batch", DEFAULT_FILES_PER_BATCH),
            ("max_file_bytes", DEFAULT_MAX_FILE_BYTES),
        ):
            value = options.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                problems.append(f"options.{key}: expected a positive whole number")
        return problems

    # -- batches -------------------------------------------------------------------------------------
    def batches(self, watermark: dict[str, Any] | None) -> Iterator[Batch]:
        state = FolderState.from_watermark(watermark)
        files = self.pending_files(state)
        for start in range(0, len(files), self.files_per_batch):
            chunk = files[start : start + self.files_per_batch]
            rows: list[RawRow] = []
            rejects: list[RawReject] = []
            read: list[PacketFile] = []
            for file in chunk:
                parsed = self._read(file)
                if parsed is None:
                    continue  # gone or locked: not marked as read, so the next run tries again
                read.append(file)
                rows.extend(parsed.rows)
                rejects.extend(parsed.rejects)
                for note in parsed.skipped:
                    log.debug("source %s: %s", self.config.name, note)
            state.mark(read, self.lookback_ns)
            description = (
                chunk[0].name
                if len(chunk) == 1
                else f"{chunk[0].name} … {chunk[-1].name} ({len(chunk)} files)"
            )
            yield Batch(rows=rows, rejects=rejects, watermark=state.to_watermark(), description=description)

    def pending_files(self, state: FolderState) -> list[PacketFile]:
        """Packets not read yet and no longer being written, oldest first, at most ``max_files``."""
        if not self.folder.is_dir():
            raise FatalSourceError(
                f"source {self.config.name!r}: packets folder {self.folder} does not exist or is not a folder: "
                "check options.folder (and that the share is mounted)",
                kind=ErrorKind.SOURCE_MISSING,
                detail=self.folder,
            )
        now_ns = int(self.clock() * 1e9)
        settle_ns = int(self.settle_seconds * 1e9)
        found: list[PacketFile] = []
        try:
            entries = list(os.scandir(self.folder))
        except OSError as exc:
            raise FatalSourceError(
                f"source {self.config.name!r}: cannot list {self.folder} ({exc.strerror or exc}): "
                "check that the collector may read the folder",
                kind=os_error_kind(exc),
                detail=self.folder,
            ) from None
        for entry in entries:
            name = entry.name
            lowered = name.lower()
            if name.startswith(TEMP_PREFIXES) or lowered.endswith(TEMP_SUFFIXES):
                continue
            if not any(fnmatch.fnmatchcase(lowered, p) for p in self.patterns):
                continue
            try:
                if not entry.is_file():
                    continue
                stat = entry.stat()
            except OSError:
                continue
            file = PacketFile(Path(entry.path), stat.st_mtime_ns, stat.st_size)
            if now_ns - file.mtime_ns < settle_ns:
                log.debug("source %s: %s is still being written, next run", self.config.name, name)
                continue
            if state.is_new(file):
                found.append(file)
        found.sort(key=lambda f: (f.mtime_ns, f.name))
        if len(found) > self.max_files:
            log.info(
                "source %s: %d packets waiting, reading %d this run",
                self.config.name,
                len(found),
                self.max_files,
            )
        return found[: self.max_files]

    def _read(self, file: PacketFile) -> ParsedPacket | None:
        name = file.name
        try:
            # Read-only, and bounded: one byte past the limit is enough to know a file is too big.
            with open(file.path, "rb") as stream:
                data = stream.read(self.max_file_bytes + 1)
        except FileNotFoundError:
            log.info("source %s: %s disappeared before it was read", self.config.name, name)
            return None
        except OSError as exc:
            log.warning("source %s: cannot read %s yet (%s)", self.config.name, name, exc.strerror or exc)
            return None
        if len(data) > self.max_file_bytes:
            reason = (
                f"{name}: larger than options.max_file_bytes ({self.max_file_bytes} bytes): "
                "not a status packet? raise the limit if it is one"
            )
            return ParsedPacket(
                rejects=[RawReject(reason=reason, payload={"file": name, "bytes": file.size}, file_name=name)]
            )
        try:
            return parse_packet(data, name, self.documents_source, max_bytes=self.max_file_bytes, tz=self.tz)
        except Exception as exc:  # a parser bug must not stop every later packet: reject this one, say why
            log.exception("source %s: unexpected error reading %s", self.config.name, name)
            reason = f"{name}: could not be read ({type(exc).__name__}); please report this packet"
            return ParsedPacket(rejects=[RawReject(reason=reason, payload={"file": name}, file_name=name)])
