"""Validation for the platform domains that are not facts of the view contract.

* ``meeting_samples`` — live gauges of a meeting server (Jitsi Videobridge/Jicofo): rows with
  ``sampled_at``, ``meetings_running``, ``participants`` and, optionally, the counter growth
  ``conferences_started`` / ``participants_joined`` computed by the adapter.
* ``dossier_stats`` — OpenCPS aggregated counts of a unit for a period: ``MaDonVi``,
  ``period_start``, ``period_end`` and the counts (see :class:`dashboard.models.DossierStat`).
* ``document_status`` — edXML status packets: ``packet_id``, ``document_source``,
  ``DocumentId``, ``OrganId``, ``Code``, ``From``, ``StatusCode``, ``Timestamp``,
  ``Description``, ``StaffInfo``. Applied by :func:`collectors.status.apply_status_events`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from collectors.parse import is_empty, parse_count
from collectors.records import (
    RecordContext,
    Rejected,
    _edxml_status,
    _field,
    _required_id,
)

STAT_COUNTS = (
    "received",
    "received_online",
    "resolved",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "processing",
    "overdue",
)


def _required_when(data: dict[str, Any], name: str, ctx: RecordContext) -> datetime:
    value = ctx.when(data, name)
    if value is None:
        raise Rejected(f"missing {name}")
    return value


def _required_day(data: dict[str, Any], name: str, ctx: RecordContext) -> date:
    raw = data.get(name)
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    value = _required_when(data, name, ctx)
    return value.astimezone(ctx.source_tz).date()


def _text(data: dict[str, Any], name: str, limit: int) -> str | None:
    raw = data.get(name)
    return None if is_empty(raw) else str(raw).strip()[:limit]


def to_meeting_sample(data: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
    running = _field(parse_count, data, "meetings_running")
    participants = _field(parse_count, data, "participants")
    if running is None or participants is None:
        raise Rejected("missing meetings_running or participants")
    return {
        "source": ctx.source,
        "sampled_at": _required_when(data, "sampled_at", ctx),
        "meetings_running": running,
        "participants": participants,
        "conferences_started": _field(parse_count, data, "conferences_started"),
        "participants_joined": _field(parse_count, data, "participants_joined"),
    }


def to_dossier_stat(data: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
    start = _required_day(data, "period_start", ctx)
    end = _required_day(data, "period_end", ctx)
    if end < start:
        raise Rejected(f"period_end {end.isoformat()} is before period_start {start.isoformat()}")
    record: dict[str, Any] = {
        "source": ctx.source,
        "unit_id": ctx.unit_id(data, "MaDonVi"),
        "period_start": start,
        "period_end": end,
        "source_updated_at": ctx.when(data, "updated_at"),
    }
    for name in STAT_COUNTS:
        record[name] = _field(parse_count, data, name)
    parts = [record[n] for n in ("resolved_early", "resolved_on_time", "resolved_late")]
    if (
        record["resolved"] is not None
        and all(p is not None for p in parts)
        and sum(parts) > record["resolved"]
    ):
        raise Rejected(
            f"resolved early + on time + late ({sum(parts)}) exceed resolved ({record['resolved']})"
        )
    if (
        record["received"] is not None
        and record["received_online"] is not None
        and record["received_online"] > record["received"]
    ):
        raise Rejected(
            f"received_online ({record['received_online']}) exceeds received ({record['received']})"
        )
    return record


def to_document_status(data: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
    status = _edxml_status(data, "StatusCode")
    if status is None:
        raise Rejected("missing StatusCode")
    document_source = _text(data, "document_source", 64)
    if document_source is None:
        raise Rejected("missing document_source (options.documents_source of the edXML source)")
    return {
        "source": ctx.source,
        "packet_id": _required_id(data, "packet_id"),
        "document_source": document_source,
        "document_id": _required_id(data, "DocumentId"),
        "organ_id": _text(data, "OrganId", 64),
        "code": _text(data, "Code", 128),
        "from_organ": _text(data, "From", 64),
        "status_code": status,
        "status_at": _required_when(data, "Timestamp", ctx),
        "description": _text(data, "Description", 4000),
        "staff": _text(data, "StaffInfo", 255),
    }
