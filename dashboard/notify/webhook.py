"""The generic webhook: a JSON body, signed with HMAC-SHA256 under ``IOC_WEBHOOK_SECRET``.

A receiver verifies a delivery like this (Python; any language with HMAC-SHA256 does the same)::

    import hashlib, hmac
    expected = "sha256=" + hmac.new(SECRET.encode(), raw_body, hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(expected, request.headers["X-IOC-Signature"])

``raw_body`` is the request body as received (bytes), before any JSON parsing.
"""

from __future__ import annotations

import hashlib
import hmac

import httpx

from dashboard.config import Settings

SIGNATURE_HEADER = "X-IOC-Signature"
DELIVERY_HEADER = "X-IOC-Delivery"


def sign_body(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(sign_body(secret, body), header or "")


def post(settings: Settings, body: str, delivery_id: int) -> None:
    """POST ``body`` to the configured webhook; raise on anything but a 2xx answer."""
    if not settings.webhook_url or not settings.webhook_secret:
        raise RuntimeError("no webhook configured (IOC_WEBHOOK_URL, IOC_WEBHOOK_SECRET)")
    raw = body.encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: sign_body(settings.webhook_secret, raw),
        DELIVERY_HEADER: str(delivery_id),
        "User-Agent": "ioc-dashboard",
    }
    response = httpx.post(settings.webhook_url, content=raw, headers=headers, timeout=15.0)
    if not 200 <= response.status_code < 300:
        raise RuntimeError(f"webhook answered HTTP {response.status_code}")
