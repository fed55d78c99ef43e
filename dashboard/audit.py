"""The audit trail: an append-only record of sign-ins and failures, sign-outs, permission
denials, exports, screen enrolments and revocations, account and grant changes.

Rows are only ever inserted (the database refuses UPDATE, and DELETE of rows younger than 30
days, by trigger — migration 0005); :func:`prune` removes rows older than the retention
(``IOC_AUDIT_RETENTION_DAYS``, default 365), run daily by the collector and by ``ioc audit prune``.
An audit write never breaks the request it records: a failure is logged and the request goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from dashboard.models import AuditEvent
from dashboard.timeutil import utcnow

log = logging.getLogger(__name__)

#: The kinds of event, with a Vietnamese and English label for the audit page.
KINDS: dict[str, tuple[str, str]] = {
    "sign_in": ("Đăng nhập", "Sign-in"),
    "sign_in_failed": ("Đăng nhập không thành công", "Failed sign-in"),
    "sign_in_blocked": ("Đăng nhập bị tạm chặn", "Sign-in blocked"),
    "sign_out": ("Đăng xuất", "Sign-out"),
    "denied": ("Từ chối truy cập", "Access denied"),
    "export": ("Xuất dữ liệu", "Export"),
    "screen_added": ("Thêm màn hình", "Screen added"),
    "screen_enrolled": ("Màn hình đăng ký", "Screen enrolled"),
    "screen_revoked": ("Thu hồi màn hình", "Screen revoked"),
    "screen_reload": ("Yêu cầu tải lại màn hình", "Screen reload requested"),
    "account_added": ("Thêm tài khoản", "Account added"),
    "account_changed": ("Sửa tài khoản", "Account changed"),
    "grant_changed": ("Đổi quyền", "Grant changed"),
    "audit_pruned": ("Xóa nhật ký cũ", "Old audit removed"),
    "alert_rule_added": ("Thêm quy tắc cảnh báo", "Alert rule added"),
    "alert_rule_changed": ("Sửa quy tắc cảnh báo", "Alert rule changed"),
    "alert_acknowledged": ("Xác nhận cảnh báo", "Alert acknowledged"),
    "explain_requested": ("Yêu cầu giải trình", "Explanation requested"),
    "explain_answered": ("Giải trình", "Explanation given"),
    "explain_closed": ("Kết thúc giải trình", "Explanation closed"),
}


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    actor: str | None
    address: str | None
    unit_code: str | None
    outcome: str
    detail: dict | None


def record(
    session: Session,
    kind: str,
    *,
    actor: str | None = None,
    address: str | None = None,
    unit_code: str | None = None,
    outcome: str = "ok",
    **detail: Any,
) -> None:
    """Add one event to ``session`` (committed with it)."""
    session.add(
        AuditEvent(
            kind=kind,
            actor=(actor or "")[:160] or None,
            address=(address or "")[:64] or None,
            unit_code=unit_code,
            outcome=outcome,
            detail=detail or None,
        )
    )


def record_now(sessions: sessionmaker[Session], kind: str, **kwargs: Any) -> None:
    """Record one event in its own transaction; never raises (the request goes on)."""
    try:
        with sessions() as session, session.begin():
            record(session, kind, **kwargs)
    except Exception:
        log.exception("could not write the audit event %s", kind)


def list_events(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actor: str | None = None,
    kind: str | None = None,
    limit: int = 500,
) -> list[Event]:
    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.at < until)
    if actor:
        stmt = stmt.where(AuditEvent.actor.in_([actor, f"user:{actor}", f"screen:{actor}"]))
    if kind:
        stmt = stmt.where(AuditEvent.kind == kind)
    return [
        Event(e.at, e.kind, e.actor, e.address, e.unit_code, e.outcome, e.detail)
        for e in session.scalars(stmt)
    ]


def prune(session: Session, retention_days: int, now: datetime | None = None) -> int:
    """Delete events older than ``retention_days`` (at least 30); returns how many."""
    days = max(30, retention_days)
    cutoff = (now or utcnow()) - timedelta(days=days)
    count = session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff)).rowcount or 0
    if count:
        record(session, "audit_pruned", actor="system", removed=count, retention_days=days)
    return count
