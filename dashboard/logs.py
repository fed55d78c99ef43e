"""Logging of every process from the settings: ``IOC_LOG_LEVEL`` and ``IOC_LOG_FORMAT``.

``text`` (default): ``2026-05-01 08:00:00,123 INFO dashboard.webapp [req 3f2a…]: message``.
``json``: one object a line for a log shipper::

    {"time": "2026-05-01T01:00:00.123Z", "level": "INFO", "logger": "dashboard.webapp",
     "message": "…", "request_id": "3f2a…", "pid": 4242}

The request id is nginx's ``X-Request-ID`` when the proxy sends one (``deploy/nginx/ioc.conf``
does), else a fresh one; it goes back in the response's ``X-Request-ID`` header.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import time

from flask import Flask, Response, g, has_request_context, request

from dashboard.config import Settings
from dashboard.redact import install_log_redaction

_REQUEST_ID = re.compile(r"[A-Za-z0-9\-_.]{8,64}")


def request_id() -> str | None:
    return g.get("ioc_request_id") if has_request_context() else None


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "pid": os.getpid(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


_CHATTY = ("apscheduler", "httpx", "httpcore")


def _quiet_chatty_libraries(record: logging.LogRecord) -> bool:
    """Libraries that log at INFO on every scheduled job or HTTP call would drown our lines (a demo
    logs several a second): on our handler they show from WARNING, or everything at DEBUG."""
    if record.levelno >= logging.WARNING or logging.getLogger().level <= logging.DEBUG:
        return True
    return not record.name.startswith(_CHATTY)


def configure_logging(settings: Settings) -> None:
    """Level and format of the root logger (idempotent: one handler of ours)."""
    root = logging.getLogger()
    root.setLevel(settings.log_level)
    handler = next((h for h in root.handlers if getattr(h, "ioc_handler", False)), None)
    if handler is None and any(type(h) is not logging.StreamHandler for h in root.handlers):
        return  # someone else (a test runner, an embedding program) owns the output
    if handler is None:
        handler = logging.StreamHandler()
        handler.ioc_handler = True
        handler.addFilter(_RequestIdFilter())
        handler.addFilter(_quiet_chatty_libraries)
        for other in [h for h in root.handlers if type(h) is logging.StreamHandler]:
            root.removeHandler(other)  # basicConfig's: one line per record, not two
        root.addHandler(handler)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [req %(request_id)s]: %(message)s")
        )
    install_log_redaction()


def _assign_request_id() -> None:
    sent = request.headers.get("X-Request-ID", "")
    g.ioc_request_id = sent if _REQUEST_ID.fullmatch(sent) else secrets.token_hex(8)


def _echo_request_id(response: Response) -> Response:
    rid = request_id()
    if rid:
        response.headers["X-Request-ID"] = rid
    return response


def init_app(server: Flask, settings: Settings) -> None:
    configure_logging(settings)
    server.before_request_funcs.setdefault(None, []).insert(0, _assign_request_id)
    server.after_request(_echo_request_id)
