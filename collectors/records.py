"""Validation: a raw row in view-contract names becomes a canonical record, or is rejected.

Each ``to_*`` function returns the column values of one fact row (ready for the shared upsert)
or raises :class:`Rejected` with a reason an IT officer can act on ("unknown unit 'SO-99'",
"NgayTiepNhan: unparseable date '31/02/2025'", "status code '07' outside the edXML table").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from collectors.parse import (
    is_empty,
    parse_bool,
    parse_count,
    parse_datetime,
    parse_int,
)
from dashboard.models import EDXML_STATUS_CODES, Document, Dossier, Meeting, Procedure


class Rejected(ValueError):
    """The row cannot become a canonical record; the message is the reason."""


@dataclass
class RecordContext:
    source: str
    source_tz: ZoneInfo
    agency_tz: ZoneInfo
    unit_ids: dict[str, int]  # our unit code → id
    unit_map: dict[str, str] = field(default_factory=dict)  # source unit code → our code
    options: dict[str, Any] = field(default_factory=dict)  # the source's adapter options (petition deadlines)
    #: Raw unit code (as the source sends it) → id: a page repeats the same few codes.
    _unit_cache: dict[Any, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def unit_id(self, data: dict[str, Any], field_name: str) -> int:
        raw = data.get(field_name)
        try:
            return self._unit_cache[raw]
        except (KeyError, TypeError):
            pass
        unit_id = self._unit_id(raw, field_name)
        if len(self._unit_cache) < _CACHE_LIMIT and type(raw) in (str, int):
            self._unit_cache[raw] = unit_id
        return unit_id

    def _unit_id(self, raw: Any, field_name: str) -> int:
        if is_empty(raw):
            raise Rejected(f"missing {field_name}")
        code = str(raw).strip()
        code = self.unit_map.get(code, code)
        try:
            return self.unit_ids[code]
        except KeyError:
            raise Rejected(
                f"unknown unit {code!r} ({field_name}); add it to the units file or the source's unit mapping"
            ) from None

    def when(self, data: dict[str, Any], name: str) -> datetime | None:
        try:
            return parse_datetime(data.get(name), self.source_tz)
        except ValueError as exc:
            raise Rejected(f"{name}: {exc}") from None

    def day(self, value: datetime | None):
        # ``value`` comes from parse_datetime, so it is aware: its local day is one conversion away,
        # none when it is already in the agency's zone (the usual source time zone; ZoneInfo
        # objects are shared per key, so the identity test holds for every value parsed in it).
        if value is None:
            return None
        if value.tzinfo is self.agency_tz:
            return value.date()
        return value.astimezone(self.agency_tz).date()


def _required_id(data: dict[str, Any], name: str) -> str:
    raw = data.get(name)
    if is_empty(raw):
        raise Rejected(f"missing {name}")
    text = str(raw).strip()
    if len(text) > 128:
        raise Rejected(f"{name} longer than 128 characters")
    return text


def _field(parser: Callable[[Any], Any], data: dict[str, Any], name: str, default: Any = None) -> Any:
    try:
        value = parser(data.get(name))
    except ValueError as exc:
        raise Rejected(f"{name}: {exc}") from None
    return default if value is None else value


# Fields with a handful of distinct raw values (flags, codes, directions) are validated once per
# distinct value: each cache maps a raw value to its parsed one (never a rejection). Bounded, so
# a source sending free text there cannot grow it without limit.
_CACHE_LIMIT = 4096
_BOOL_CACHE: dict[Any, bool | None] = {}


def _flag(data: dict[str, Any], name: str, default: bool) -> bool:
    """``_field(parse_bool, data, name, default)``, cached per raw value."""
    raw = data.get(name)
    try:
        value = _BOOL_CACHE[raw]
    except (KeyError, TypeError):
        try:
            value = parse_bool(raw)
        except ValueError as exc:
            raise Rejected(f"{name}: {exc}") from None
        if len(_BOOL_CACHE) < _CACHE_LIMIT and type(raw) in (str, int, bool):
            _BOOL_CACHE[raw] = value
    return default if value is None else value


_CHOICE_CACHE: dict[tuple[int, Any], str] = {}


def _choice(data: dict[str, Any], name: str, synonyms: dict[str, str], default: str | None = None) -> str:
    raw = data.get(name)
    if type(raw) is str:
        hit = _CHOICE_CACHE.get((id(synonyms), default, raw))
        if hit is not None:
            return hit
        value = _choice_slow(raw, name, synonyms, default)
        if len(_CHOICE_CACHE) < _CACHE_LIMIT:
            _CHOICE_CACHE[(id(synonyms), default, raw)] = value
        return value
    return _choice_slow(raw, name, synonyms, default)


def _choice_slow(raw: Any, name: str, synonyms: dict[str, str], default: str | None) -> str:
    if is_empty(raw):
        if default is None:
            raise Rejected(f"missing {name}")
        return default
    key = str(raw).strip().lower()
    try:
        return synonyms[key]
    except KeyError:
        allowed = ", ".join(sorted(set(synonyms.values())))
        raise Rejected(f"{name}: {raw!r} is not one of {allowed}") from None


_DIRECTIONS = {
    "in": "in",
    "đến": "in",
    "den": "in",
    "incoming": "in",
    "out": "out",
    "đi": "out",
    "di": "out",
    "outgoing": "out",
    "internal": "internal",
    "nội bộ": "internal",
    "noi bo": "internal",
}
_CHANNELS = {
    "axis": "axis",
    "trục": "axis",
    "truc": "axis",
    "trục liên thông": "axis",
    "internal": "internal",
    "nội bộ": "internal",
    "noi bo": "internal",
    "paper": "paper",
    "giấy": "paper",
    "giay": "paper",
}
_URGENCIES = {
    "normal": "normal",
    "thường": "normal",
    "thuong": "normal",
    "khan": "khan",
    "khẩn": "khan",
    "thuong_khan": "thuong_khan",
    "thượng khẩn": "thuong_khan",
    "hoa_toc": "hoa_toc",
    "hỏa tốc": "hoa_toc",
    "hoả tốc": "hoa_toc",
}


_STATUS_CACHE: dict[Any, str | None] = {}


def _edxml_status(data: dict[str, Any], name: str) -> str | None:
    raw = data.get(name)
    if type(raw) is str:
        try:
            return _STATUS_CACHE[raw]
        except KeyError:
            value = _edxml_status_slow(raw, name)
            if len(_STATUS_CACHE) < _CACHE_LIMIT:
                _STATUS_CACHE[raw] = value
            return value
    return _edxml_status_slow(raw, name)


def _edxml_status_slow(raw: Any, name: str) -> str | None:
    if is_empty(raw):
        return None
    text = str(raw).strip()
    if text.isdigit():
        text = text.zfill(2)
    if text not in EDXML_STATUS_CODES:
        raise Rejected(
            f"{name}: status code {raw!r} outside the edXML table ({', '.join(EDXML_STATUS_CODES)})"
        )
    return text


def to_document(data: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
    registered = ctx.when(data, "registered_at")
    due = ctx.when(data, "due_at")
    completed = ctx.when(data, "completed_at")
    updated = ctx.when(data, "updated_at")
    return {
        "source": ctx.source,
        "source_id": _required_id(data, "doc_id"),
        "unit_id": ctx.unit_id(data, "unit_code"),
        "direction": _choice(data, "direction", _DIRECTIONS),
        "channel": _choice(data, "channel", _CHANNELS, default="internal"),
        "is_electronic": _flag(data, "is_electronic", False),
        "is_signed": _flag(data, "is_signed", False),
        "is_secret": _flag(data, "is_secret", False),
        "urgency": _choice(data, "urgency", _URGENCIES, default="normal"),
        "registered_at": registered,
        "sent_at": ctx.when(data, "sent_at"),
        "acknowledged_at": ctx.when(data, "acknowledged_at"),
        "due_at": due,
        "completed_at": completed,
        "status_code": _edxml_status(data, "status_code"),
        "registered_day": ctx.day(registered),
        "due_day": ctx.day(due),
        "completed_day": ctx.day(completed),
        # VB-08: the day of the current status; the row's last update until a status event says better.
        "status_day": ctx.day(updated if updated is not None else registered),
        "source_updated_at": updated,
        # An incoming document's arrival on the axis when the document system has the column (every
        # row of a source has the same columns); without it edXML status packets set the arrival
        # (collectors/status.py) and the document rows leave it alone.
        **(
            {"arrived_at": (arrived := ctx.when(data, "arrived_at")), "arrived_day": ctx.day(arrived)}
            if "arrived_at" in data
            else {}
        ),
    }


def _ranged(data: dict[str, Any], name: str, allowed: range, default: int | None = None) -> int | None:
    value = _field(parse_int, data, name, default)
    if value is not None and value not in allowed:
        raise Rejected(
            f"{name}: code {data.get(name)!r} outside the table ({allowed.start}–{allowed.stop - 1})"
        )
    return value


def to_dossier(data: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
    status = _ranged(data, "TrangThaiHoSo", range(1, 11))
    if status is None:
        raise Rejected("missing TrangThaiHoSo")
    received = ctx.when(data, "NgayTiepNhan")
    due = ctx.when(data, "NgayHenTra")
    finished = ctx.when(data, "NgayKetThucXuLy")
    returned = ctx.when(data, "NgayTraKetQua")
    if finished is None and status in (9, 10):
        finished = returned  # some systems fill only the return date
    if finished is None and status in (7, 8):
        # Withdrawn or stopped: the 766 index counts them as ended (DVC-06); a system that gives no
        # end time for them gives the status's time as the row's last update.
        finished = returned or ctx.when(data, "NgayCapNhat")
    paid = _field(parse_int, data, "DuocThanhToanTrucTuyen")
    if paid == 0:
        paid = None
    if paid not in (None, 1, 2):
        raise Rejected(
            f"DuocThanhToanTrucTuyen: code {data.get('DuocThanhToanTrucTuyen')!r} outside the table (1, 2)"
        )
    procedure = data.get("MaTTHC")
    return {
        "source": ctx.source,
        "source_id": _required_id(data, "MaHoSo"),
        "unit_id": ctx.unit_id(data, "MaDonVi"),
        "procedure_code": None if is_empty(procedure) else str(procedure).strip(),
        "channel": _ranged(data, "KenhThucHien", range(1, 4), default=1),  # missing counts as direct
        "received_at": received,
        "due_at": due,
        "finished_at": finished,
        "returned_at": returned,
        "status": status,
        "supplement_count": _field(parse_count, data, "SoLanBoSung", 0),
        "has_fee": _field(parse_bool, data, "CoPhi", False),
        "paid_online": paid,
        "has_electronic_result": _field(parse_bool, data, "CoKetQuaDienTu", False),
        "is_digitised": _field(parse_bool, data, "DaSoHoa", False),
        "synced_national": _field(parse_bool, data, "DongBoQuocGia", False),
        "rating": _ranged(data, "DanhGia", range(1, 4)),
        "received_day": ctx.day(received),
        "due_day": ctx.day(due),
        "finished_day": ctx.day(finished),
        "source_updated_at": ctx.when(data, "NgayCapNhat"),
    }


def to_meeting(data: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
    start = ctx.when(data, "start_at")
    end = ctx.when(data, "end_at")
    if start and end and end < start:
        raise Rejected(f"end_at {end.isoformat()} is before start_at {start.isoformat()}")
    scheduled = _field(parse_count, data, "endpoints_scheduled")
    connected = _field(parse_count, data, "endpoints_connected")
    participants = _field(parse_count, data, "participants")
    title = data.get("title")
    platform = data.get("platform")
    return {
        "source": ctx.source,
        "source_id": _required_id(data, "meeting_id"),
        "unit_id": ctx.unit_id(data, "unit_code"),
        "title": None if is_empty(title) else str(title).strip()[:500],
        "platform": None if is_empty(platform) else str(platform).strip().lower()[:32],
        "is_online": _field(parse_bool, data, "is_online", True),
        "status": _ranged(data, "status", range(1, 5), default=2),
        "start_at": start,
        "end_at": end,
        "endpoints_scheduled": scheduled,
        "endpoints_connected": connected,
        "participants_peak": participants,
        "start_day": ctx.day(start),
        "duration_min": (end - start).total_seconds() / 60 if start and end else None,
        "source_updated_at": ctx.when(data, "updated_at"),
    }


_SERVICE_LEVELS = {
    "toan_trinh": "full",
    "toàn trình": "full",
    "full": "full",
    "4": "full",
    "mot_phan": "partial",
    "một phần": "partial",
    "partial": "partial",
    "3": "partial",
    "khong": "none",
    "không": "none",
    "none": "none",
    "2": "none",
    "1": "none",
}


def to_procedure(data: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
    name = data.get("TenTTHC")
    return {
        "source": ctx.source,
        "code": _required_id(data, "MaTTHC"),
        "unit_id": ctx.unit_id(data, "MaDonVi"),
        "name_vi": (str(name).strip() if not is_empty(name) else str(data.get("MaTTHC")))[:500],
        # Old level 4 is today's "toàn trình", level 3 "một phần" (domain.md §1.1).
        "service_level": _choice(data, "MucDo", _SERVICE_LEVELS, default="none"),
        "has_fee": _field(parse_bool, data, "CoPhi", False),
        "source_updated_at": ctx.when(data, "NgayCapNhat"),
    }


@dataclass(frozen=True)
class DomainSpec:
    model: type
    convert: Callable[[dict[str, Any], RecordContext], dict[str, Any]]
    id_field: str
    updated_field: str | None  # None: no change column, the source is re-read whole each run
    default_table: str
    key: tuple[str, ...] = ("source", "source_id")
    #: Writes validated records itself instead of the default upsert + rollup refresh; returns
    #: (inserted, updated). Used by domains that update other facts (edXML status packets).
    apply: Callable[[Any, list[dict[str, Any]], RecordContext], tuple[int, int]] | None = None
    #: Removes fields that must never be stored (the petitioner's personal data) from a raw row,
    #: in place, before validation; returns their names so the run can report them.
    scrub: Callable[[dict[str, Any]], list[str]] | None = None
    #: Report an id seen twice in one batch (the runner does for every domain without ``apply``;
    #: a domain with ``apply`` that writes keyed facts asks for it here).
    dedupe: bool = False


DOMAIN_SPECS: dict[str, DomainSpec] = {
    "documents": DomainSpec(Document, to_document, "doc_id", "updated_at", "v_documents"),
    "dossiers": DomainSpec(Dossier, to_dossier, "MaHoSo", "NgayCapNhat", "v_dossiers"),
    "meetings": DomainSpec(Meeting, to_meeting, "meeting_id", "updated_at", "v_meetings"),
    # The procedure catalogue is small (thousands of rows): read whole, keyed by its code.
    "procedures": DomainSpec(
        Procedure, to_procedure, "MaTTHC", None, "v_procedures", key=("source", "unit_id", "code")
    ),
}


def _register_platform_domains() -> None:
    """Domains of the platform adapters (meeting servers, OpenCPS, edXML): see platform_records."""
    from dashboard.models import DocumentStatusEvent, DossierStat, MeetingSample

    # platform_records imports this module: resolve its functions at call time, so either module
    # can be imported first.
    def platform(name: str) -> Callable[[dict[str, Any], RecordContext], dict[str, Any]]:
        def convert(data: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
            from collectors import platform_records

            return getattr(platform_records, name)(data, ctx)

        return convert

    def apply_status(session, records, ctx):
        from collectors.status import apply_status_events

        return apply_status_events(session, records, ctx)

    DOMAIN_SPECS["meeting_samples"] = DomainSpec(
        MeetingSample, platform("to_meeting_sample"), "sampled_at", None, "", key=("source", "sampled_at")
    )
    DOMAIN_SPECS["dossier_stats"] = DomainSpec(
        DossierStat,
        platform("to_dossier_stat"),
        "MaDonVi",
        None,
        "",
        key=("source", "unit_id", "period_start", "period_end"),
    )
    DOMAIN_SPECS["document_status"] = DomainSpec(
        DocumentStatusEvent,
        platform("to_document_status"),
        "packet_id",
        None,
        "",
        key=("source", "packet_id"),
        apply=apply_status,
    )


_register_platform_domains()


def _register_petitions() -> None:
    """Citizens' petitions (collectors.petition_records, resolved at call time like the platforms)."""
    from dashboard.models import Petition

    def convert(data: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
        from collectors.petition_records import to_petition

        return to_petition(data, ctx)

    def scrub(data: dict[str, Any]) -> list[str]:
        from collectors.petition_records import scrub as drop

        return drop(data)

    DOMAIN_SPECS["petitions"] = DomainSpec(
        Petition, convert, "MaPAKN", "NgayCapNhat", "v_petitions", scrub=scrub
    )


_register_petitions()


def _register_task_domain() -> None:
    """Directive tasks (domain.md §7): validated in :mod:`collectors.task_records`."""
    from dashboard.models import Task

    def convert(data: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
        from collectors.task_records import to_task

        return to_task(data, ctx)

    def apply(session, records, ctx):
        from collectors.task_records import apply_tasks

        return apply_tasks(session, records, ctx)

    DOMAIN_SPECS["tasks"] = DomainSpec(
        Task, convert, "task_id", "updated_at", "v_tasks", apply=apply, dedupe=True
    )


_register_task_domain()
