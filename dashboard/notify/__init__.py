"""Notifications: an outbox in the database, delivered by e-mail (SMTP) or to a webhook.

Other code queues; the collector process delivers::

    send_email(session, ["truong.phong@example.gov.vn"], "Cảnh báo: …", "Nội dung …")
    send_webhook(session, {"kind": "alert", …})
    deliver_due(engine, settings)          # the collector runs it every few seconds

Queuing adds a row to ``notification_outbox`` inside the caller's transaction (with a
:class:`~sqlalchemy.orm.Session`; with an :class:`~sqlalchemy.Engine` in a transaction of its own),
so a notification exists exactly when what caused it was committed. Delivery is retried with
exponential backoff (30 s, 1 min, 2 min … capped at 1 h; given up after ``MAX_ATTEMPTS``), every
attempt's error is recorded (secrets redacted) and failures show on the Sources page.

Webhook signature: each POST carries ``X-IOC-Signature: sha256=<hex>``, the HMAC-SHA256 of the
exact body bytes under ``IOC_WEBHOOK_SECRET``; a receiver recomputes it over the raw body and
compares in constant time (:func:`verify_signature`). ``X-IOC-Delivery`` is the outbox id, the
same on every retry, so a receiver can drop a repeat.
"""

from dashboard.notify.outbox import (
    MAX_ATTEMPTS,
    OutboxHealth,
    backoff,
    deliver_due,
    mailer,
    outbox_health,
    send_email,
    send_webhook,
)
from dashboard.notify.webhook import SIGNATURE_HEADER, sign_body, verify_signature

__all__ = [
    "MAX_ATTEMPTS",
    "SIGNATURE_HEADER",
    "OutboxHealth",
    "backoff",
    "deliver_due",
    "mailer",
    "outbox_health",
    "send_email",
    "send_webhook",
    "sign_body",
    "verify_signature",
]
