"""One redaction of secrets for every place text leaves the process: logs, ``ioc config show``,
the Sources page, ``collector_run.error``, rejected-record reasons.

It masks, anywhere inside a text:

- the password of user-info in a URL (``https://u:S3cret@host/`` → ``https://u:***@host/``);
- the value of every secret-looking query parameter or ``key=value`` pair (``token=abc`` →
  ``token=***``) and of the same names as JSON fields (``"access_token": "…"``);
- the credentials of an ``Authorization:`` header line;
- secret values the process knows (``remember_secret``, or ``secrets=`` of one call), wherever
  they appear, e.g. a BigBlueButton shared secret echoed in an error.

>>> redact("GET https://u:S3cret@host/x?a=1&token=abc failed")
'GET https://u:***@host/x?a=1&token=*** failed'
>>> redact('{"client_secret": "xyz"}')
'{"client_secret": "***"}'
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

MASK = "***"

#: Query parameters, ``key=value`` pairs and JSON fields whose values are secrets wherever they appear.
SECRET_PARAMS = (
    "password",
    "passwd",
    "pwd",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "secret",
    "client_secret",
    "api_key",
    "apikey",
    "key",
    "checksum",
    "signature",
    "sig",
    "auth",
    "session",
    "code",
)
_NAMES = "|".join(sorted(SECRET_PARAMS, key=len, reverse=True))
# A name on its own (not the tail of ``my_token`` or ``monkey``), then ``=`` or a JSON colon.
_PARAM_RE = re.compile(r"(?i)(?<![\w-])(" + _NAMES + r")(=|\"\s*:\s*\"|'\s*:\s*')([^&\s\"'#<>]+)")
# scheme://user:password@ — the password runs to the last "@" of the authority.
_USERINFO_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s/?#:@]*):([^\s/?#]*)@")
_AUTH_HEADER_RE = re.compile(r"(?i)(authorization:\s*\w+\s+)(\S+)")

_KNOWN_SECRETS: set[str] = set()
_KNOWN_LOCK = threading.Lock()


def remember_secret(value: str | None) -> None:
    """Mask ``value`` in every later log line of this process (a collector's token, password…)."""
    if value and len(value) >= 4:
        with _KNOWN_LOCK:
            _KNOWN_SECRETS.add(value)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every secret it holds replaced by ``***`` (see the module docstring)."""
    if not text:
        return text
    with _KNOWN_LOCK:
        known = tuple(_KNOWN_SECRETS)
    # Longest first, so a secret that contains another is masked whole.
    for value in sorted({*known, *(s for s in secrets if s)}, key=len, reverse=True):
        if len(value) >= 4:
            text = text.replace(value, MASK)
    text = _USERINFO_RE.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
    text = _PARAM_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return _AUTH_HEADER_RE.sub(lambda m: f"{m.group(1)}{MASK}", text)


class RedactingFilter(logging.Filter):
    """Rewrites a log record's message (and its traceback text) with :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    if getattr(record, "_ioc_redacted", False):
        return record
    record._ioc_redacted = True
    try:
        message = record.getMessage()
    except Exception:
        return record
    redacted = redact(message)
    if redacted != message:
        record.msg, record.args = redacted, None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    return record


_installed = False
_install_lock = threading.Lock()


def install_log_redaction() -> None:
    """Redact every log record of this process, whichever logger or handler it goes to.

    A filter on the root logger alone would miss records of child loggers (filters do not run on
    propagation), so the filter also goes on the root's handlers, and the record factory redacts
    each record as it is made — which covers handlers added later (gunicorn, pytest's caplog).
    Idempotent.
    """
    global _installed
    root = logging.getLogger()
    with _install_lock:
        for target in (root, *root.handlers):
            if not any(isinstance(f, RedactingFilter) for f in target.filters):
                target.addFilter(RedactingFilter())
        if _installed:
            return
        make_record = logging.getLogRecordFactory()

        def redacting_factory(*args, **kwargs) -> logging.LogRecord:
            return redact_record(make_record(*args, **kwargs))

        logging.setLogRecordFactory(redacting_factory)
        _installed = True
