"""Applying edXML status events to documents (the ``document_status`` domain's writer).

The runner hands validated status events (see :func:`collectors.platform_records.to_document_status`)
to :func:`apply_status_events`, in the batch's transaction:

1. the events are stored, keyed by ``(source, packet_id)`` — a packet read twice is one event;
2. every document they are about (``document_source`` + ``document_id`` = the document's
   ``source`` + ``source_id``) is brought up to date from **all** its events, so the order in
   which packets arrive does not matter:

   * ``status_code`` ← the newest event's code (latest ``status_at``), when that event is at least
     as new as the state the document holds: its ``source_updated_at`` if the document system
     gave it a status (a status the document system set later wins), anything if it holds none.
     An older packet read after a newer one never moves the status back;
   * ``acknowledged_at`` ← the time of the first status that says the recipient took the
     document in (03 accepted, 04, 05, 06, 15, 16 — :data:`dashboard.rollups.DOC_ACK_CODES`), and
     only ever earlier: VB-06 counts documents sent over the axis that have it, VB-07 measures
     ``acknowledged_at − sent_at``;
   * ``arrived_at``/``arrived_day`` of an *incoming* document ← the time of its first 01 ("đã
     đến"), only ever earlier (VB-04 measures registration from arrival);

   ``completed_at``, ``sent_at`` and ``source_updated_at`` stay the document system's: a 06 from
   a recipient is *their* completion, not ours;
3. the events of the documents found are marked ``applied``; events about documents not yet
   collected stay unapplied until :func:`apply_pending` finds their document;
4. the daily rollups of the documents that changed are refreshed for exactly the (unit, day)
   pairs of their day columns, before and after — the same rule as the runner's facts.

The data version is left to the runner (it bumps it when this returns a change).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session

from dashboard import rollups
from dashboard.models import Document, DocumentStatusEvent
from dashboard.timeutil import VN_TZ
from dashboard.upsert import upsert

#: Equal timestamps (two statuses stamped in the same second): the one later in the handling wins.
_ORDER = {"01": 0, "03": 1, "04": 2, "05": 3, "06": 4, "02": 5, "13": 6, "16": 7, "15": 8}
_CHUNK = 500


def apply_status_events(session: Session, records: list[dict[str, Any]], ctx) -> tuple[int, int]:
    """Store ``records`` (validated events) and apply them; returns (events inserted, documents updated)."""
    if not records:
        return 0, 0
    stored = upsert(session, DocumentStatusEvent, records, key=("source", "packet_id"))
    keys: dict[str, set[str]] = defaultdict(set)
    for record in records:
        keys[record["document_source"]].add(record["document_id"])
    agency_tz = getattr(ctx, "agency_tz", None) or VN_TZ
    updated = sum(_apply(session, source, ids, agency_tz) for source, ids in keys.items())
    return stored.inserted, updated


def apply_pending(
    session: Session,
    document_source: str,
    document_ids: Iterable[str] | None = None,
    *,
    agency_tz: ZoneInfo = VN_TZ,
) -> int:
    """Apply stored status events to documents of ``document_source``; returns documents updated.

    Without ``document_ids``: the documents that now exist for events still unapplied (call it
    after the documents source collected new documents). With ``document_ids``: those documents
    from all their events — call it after the documents source wrote them again, since its rows
    carry the document system's status and times, not the axis's. Idempotent; refreshes the
    rollups it moves; runs in the caller's transaction.
    """
    if document_ids is None:
        stmt = (
            select(DocumentStatusEvent.document_id)
            .where(
                DocumentStatusEvent.document_source == document_source,
                DocumentStatusEvent.applied.is_(False),
                exists().where(
                    Document.source == document_source, Document.source_id == DocumentStatusEvent.document_id
                ),
            )
            .distinct()
        )
        ids = set(session.scalars(stmt))
    else:
        ids = set(document_ids)
    return _apply(session, document_source, ids, agency_tz)


def _newest(events: list[tuple]) -> tuple:
    return max(events, key=lambda e: (e[2], _ORDER.get(e[1], -1), e[0]))


def _apply(session: Session, document_source: str, document_ids: set[str], agency_tz: ZoneInfo) -> int:
    delta = rollups.Delta(session, Document)
    updated = 0
    ordered = sorted(document_ids)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        docs = session.execute(
            select(
                Document.id,
                Document.source_id,
                Document.unit_id,
                Document.direction,
                Document.status_code,
                Document.acknowledged_at,
                Document.arrived_at,
                Document.source_updated_at,
                *(getattr(Document, c) for c in rollups.DAY_COLUMNS[Document]),  # status_day among them
            ).where(Document.source == document_source, Document.source_id.in_(chunk))
        ).all()
        if not docs:
            continue
        found = [d.source_id for d in docs]
        events: dict[str, list[tuple[str, str, datetime]]] = defaultdict(list)
        for document_id, packet, code, at in session.execute(
            select(
                DocumentStatusEvent.document_id,
                DocumentStatusEvent.packet_id,
                DocumentStatusEvent.status_code,
                DocumentStatusEvent.status_at,
            ).where(
                DocumentStatusEvent.document_source == document_source,
                DocumentStatusEvent.document_id.in_(found),
            )
        ):
            events[document_id].append((packet, code, at))
        changed: dict[int, dict[str, Any]] = {}
        for doc in docs:
            mine = events.get(doc.source_id)
            changes = _changes(doc, mine, agency_tz) if mine else None
            if changes:
                changed[doc.id] = changes
        if changed:
            # The rollups move by these documents' rows before and after their new status.
            delta.capture_keys(-1, ("id",), [(i,) for i in changed])
            for doc_id, changes in changed.items():
                session.execute(update(Document).where(Document.id == doc_id).values(**changes))
            delta.capture_keys(+1, ("id",), [(i,) for i in changed])
            updated += len(changed)
        session.execute(
            update(DocumentStatusEvent)
            .where(
                and_(
                    DocumentStatusEvent.document_source == document_source,
                    DocumentStatusEvent.document_id.in_(found),
                    DocumentStatusEvent.applied.is_(False),
                )
            )
            .values(applied=True)
        )
    if updated:
        delta.apply()
    return updated


def _changes(doc, events: list[tuple[str, str, datetime]], agency_tz: ZoneInfo) -> dict[str, Any]:
    """The columns of ``doc`` that its status events change (empty when it is up to date)."""
    changes: dict[str, Any] = {}
    _, code, at = _newest(events)
    holds_status = doc.status_code is not None and doc.source_updated_at is not None
    if code != doc.status_code and (not holds_status or at >= doc.source_updated_at):
        changes["status_code"] = code
    # VB-08 counts a return or recall on the day of that status: the first event that set it.
    status = changes.get("status_code", doc.status_code)
    reached = [e[2] for e in events if e[1] == status]
    if reached:
        status_day = min(reached).astimezone(agency_tz).date()
        if status_day != doc.status_day:
            changes["status_day"] = status_day
    acks = [e[2] for e in events if e[1] in rollups.DOC_ACK_CODES]
    if acks:
        first = min(acks)
        if doc.acknowledged_at is None or first < doc.acknowledged_at:
            changes["acknowledged_at"] = first
    if doc.direction == "in":
        arrivals = [e[2] for e in events if e[1] == "01"]
        if arrivals:
            first = min(arrivals)
            if doc.arrived_at is None or first < doc.arrived_at:
                changes["arrived_at"] = first
                changes["arrived_day"] = first.astimezone(agency_tz).date()
    return changes
