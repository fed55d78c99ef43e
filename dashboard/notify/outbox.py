"""The outbox: queue a notification with the change that caused it; deliver it later, with retries."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard.config import Settings
from dashboard.db import make_sessionmaker
from dashboard.models import NotificationOutbox
from dashboard.redact import redact
from dashboard.timeutil import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12  # 30 s · 2^11 capped at 1 h: about eight hours of trying
BACKOFF_BASE_S = 30.0
BACKOFF_MAX_S = 3600.0


def backoff(attempts: int, base_s: float = BACKOFF_BASE_S, max_s: float = BACKOFF_MAX_S) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: base, 2 × base, 4 × base … up to ``max_s``."""
    return timedelta(seconds=min(max_s, base_s * 2 ** max(0, attempts - 1)))


def _queue(session_or_engine: Session | Engine, row: NotificationOutbox) -> None:
    if isinstance(session_or_engine, Session):
        session_or_engine.add(row)
        return
    with make_sessionmaker(session_or_engine).begin() as session:
        session.add(row)


def send_email(
    session_or_engine: Session | Engine,
    to: list[str],
    subject: str,
    text: str,
    attachments: Iterable[tuple[str, bytes, str]] = (),
    *,
    not_before: datetime | None = None,
) -> None:
    """Queue an e-mail to ``to`` (addresses); ``attachments`` are (file name, bytes, MIME type).

    With a Session the row joins the caller's transaction; with an Engine it is committed at once."""
    recipients = sorted({a.strip() for a in to if a and "@" in a})
    if not recipients:
        raise ValueError("send_email needs at least one e-mail address")
    if any(c in subject for c in "\r\n"):
        subject = " ".join(subject.split())
    files = [
        {"name": name, "type": mime, "data": base64.b64encode(data).decode("ascii")}
        for name, data, mime in attachments
    ]
    _queue(
        session_or_engine,
        NotificationOutbox(
            channel="email",
            recipients=recipients,
            subject=subject[:500],
            body=text,
            attachments=files or None,
            next_attempt_at=not_before or utcnow(),
        ),
    )


def mailer(engine: Engine):
    """``send(to, subject, text, attachments)`` for code that takes a mailer (the morning briefing):
    each call queues one e-mail to ``to`` (an address or a list) in its own transaction."""

    def send(to, subject: str, text: str, attachments=()) -> None:
        send_email(engine, [to] if isinstance(to, str) else list(to), subject, text, attachments)

    return send


def send_webhook(session_or_engine: Session | Engine, payload: dict[str, Any], subject: str = "") -> None:
    """Queue a JSON post to the configured webhook (``IOC_WEBHOOK_URL``)."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    _queue(session_or_engine, NotificationOutbox(channel="webhook", subject=subject[:500], body=body))


def _deliver_one(settings: Settings, row: NotificationOutbox) -> None:
    if row.channel == "email":
        from dashboard.notify import smtp

        files = [(f["name"], base64.b64decode(f["data"]), f["type"]) for f in row.attachments or []]
        msg = smtp.build_message(settings, list(row.recipients or []), row.subject, row.body, files)
        smtp.send(settings, msg)
    else:
        from dashboard.notify import webhook

        webhook.post(settings, row.body, row.id)


def _error_text(exc: BaseException, settings: Settings) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return redact(text, [settings.smtp_password, settings.webhook_secret])[:1000]


def deliver_due(
    engine: Engine, settings: Settings, *, now: datetime | None = None, limit: int = 50
) -> dict[str, int]:
    """Send what is due (oldest first); return counts of delivered, retried and failed messages.

    Each message is sent outside any transaction and its outcome recorded in its own one, so a
    slow mail server never holds a lock on the outbox and a crash mid-send repeats at most that one."""
    now = now or utcnow()
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        due = session.scalars(
            select(NotificationOutbox)
            .where(NotificationOutbox.status == "queued", NotificationOutbox.next_attempt_at <= now)
            .order_by(NotificationOutbox.next_attempt_at, NotificationOutbox.id)
            .limit(limit)
        ).all()
        session.expunge_all()
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    for row in due:
        error = None
        try:
            _deliver_one(settings, row)
        except Exception as exc:  # any refusal: recorded, retried later
            error = _error_text(exc, settings)
        with sessions.begin() as session:
            stored = session.get(NotificationOutbox, row.id)
            if stored is None:
                continue
            stored.attempts += 1
            stored.last_attempt_at = utcnow()
            if error is None:
                stored.status, stored.delivered_at, stored.last_error = (
                    "delivered",
                    stored.last_attempt_at,
                    None,
                )
                counts["delivered"] += 1
            else:
                stored.last_error = error
                if stored.attempts >= MAX_ATTEMPTS:
                    stored.status = "failed"
                    counts["failed"] += 1
                else:
                    stored.next_attempt_at = now + backoff(stored.attempts)
                    counts["retry"] += 1
                log.warning("notification %s (%s) not delivered: %s", row.id, row.channel, error)
    return counts


@dataclass(frozen=True)
class OutboxHealth:
    queued: int
    retrying: int  # queued after at least one failed attempt
    failed: int  # given up
    delivered_24h: int
    last_error: str | None
    last_error_at: datetime | None
    last_delivered_at: datetime | None

    @property
    def ok(self) -> bool:
        return not self.retrying and not self.failed


def outbox_health(session: Session, now: datetime | None = None) -> OutboxHealth:
    now = now or utcnow()
    counts = dict(
        session.execute(
            select(NotificationOutbox.status, func.count()).group_by(NotificationOutbox.status)
        ).all()
    )
    retrying = session.scalar(
        select(func.count()).where(NotificationOutbox.status == "queued", NotificationOutbox.attempts > 0)
    )
    delivered = session.scalar(
        select(func.count()).where(NotificationOutbox.delivered_at >= now - timedelta(hours=24))
    )
    last_bad = session.execute(
        select(NotificationOutbox.last_error, NotificationOutbox.last_attempt_at)
        .where(NotificationOutbox.last_error.is_not(None))
        .order_by(NotificationOutbox.last_attempt_at.desc())
        .limit(1)
    ).first()
    last_ok = session.scalar(select(func.max(NotificationOutbox.delivered_at)))
    return OutboxHealth(
        queued=counts.get("queued", 0),
        retrying=retrying or 0,
        failed=counts.get("failed", 0),
        delivered_24h=delivered or 0,
        last_error=last_bad[0] if last_bad else None,
        last_error_at=last_bad[1] if last_bad else None,
        last_delivered_at=last_ok,
    )
