"""The errors adapters raise, shared by the collectors (which raise them) and the core (which
stores and explains them). Defined in the core so that ``dashboard/`` never imports ``collectors/``.

Every error carries a stable :class:`ErrorKind` and, where one helps, a ``detail`` (an HTTP
status, the environment variable or option to check, a view name, a path). The runner stores
both with the failed run (``collector_run.error_kind`` / ``error_detail``) and the Sources page
chooses its advice from the kind (:func:`dashboard.health.explain_error`), never from the
wording of the English message, which stays free to change.
"""

from __future__ import annotations

import errno
import ssl
from enum import StrEnum


class ErrorKind(StrEnum):
    """Why a run failed, in words that do not change when a message is reworded."""

    UNREACHABLE = "unreachable"  # connection refused, DNS, database server down
    TIMEOUT = "timeout"  # no answer in time
    TLS = "tls"  # the certificate is invalid or not trusted
    AUTH = "auth"  # the login / token / checksum was refused (detail: what to check)
    SECRET_MISSING = "secret_missing"  # the secret's environment variable is unset (detail: its name)
    FORBIDDEN = "forbidden"  # authenticated but not allowed (HTTP 403; detail: what to check)
    NOT_FOUND = "not_found"  # the address answers 404 or redirects elsewhere (detail: HTTP status)
    BAD_REQUEST = "bad_request"  # another 4xx: the request does not suit the server (detail: status)
    RATE_LIMITED = "rate_limited"  # HTTP 429
    SERVER_ERROR = "server_error"  # HTTP 5xx (detail: status)
    BAD_RESPONSE = "bad_response"  # malformed, cut off or not the expected shape
    SCHEMA = "schema"  # the source's table/view is missing or not the contract (detail: its name)
    SOURCE_MISSING = "source_missing"  # the source's file or folder is not there (detail: the path)
    FILE_ACCESS = "file_access"  # a file or folder cannot be read or moved (detail: the path)
    DISK_FULL = "disk_full"  # no space left where the collector writes
    CONFIG = "config"  # the source's configuration is wrong (sources.toml)
    STORE_UNREACHABLE = "store_unreachable"  # our own database did not answer
    INTERRUPTED = "interrupted"  # the collector process stopped during the run
    INTERNAL = "internal"  # an unexpected failure (a bug): report it
    UNKNOWN = "unknown"  # not classified (runs stored before error kinds existed)


class SourceError(Exception):
    """Base for errors raised by adapters; the message must never contain a secret."""

    def __init__(self, message: str, *, kind: ErrorKind = ErrorKind.UNKNOWN, detail: object = None):
        super().__init__(message)
        self.kind = ErrorKind(kind)
        self.detail = None if detail is None else str(detail)[:255]


class TransientSourceError(SourceError):
    """Worth retrying: connection refused, timeout, 429, 5xx, database locked."""

    def __init__(
        self,
        message: str,
        retry_after: float | None = None,
        *,
        kind: ErrorKind = ErrorKind.UNKNOWN,
        detail: object = None,
    ):
        super().__init__(message, kind=kind, detail=detail)
        self.retry_after = retry_after


class FatalSourceError(SourceError):
    """Retrying will not help (authentication, configuration): the run fails at once."""


def kind_of(exc: BaseException) -> ErrorKind:
    """The kind of any exception: a source error's own; an OS or TLS error by its nature."""
    for cause in _chain(exc):
        if isinstance(cause, SourceError):
            return cause.kind
        if isinstance(cause, ssl.SSLError):
            return ErrorKind.TLS
        if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT):
            return ErrorKind.DISK_FULL
    for cause in _chain(exc):
        if isinstance(cause, TimeoutError):
            return ErrorKind.TIMEOUT
        if isinstance(cause, PermissionError):
            return ErrorKind.FILE_ACCESS
        if isinstance(cause, ConnectionError):
            return ErrorKind.UNREACHABLE
    return ErrorKind.INTERNAL


def _chain(exc: BaseException):
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def os_error_kind(exc: OSError) -> ErrorKind:
    """A file operation's failure: a full disk, or a file or folder that cannot be used."""
    return ErrorKind.DISK_FULL if exc.errno in (errno.ENOSPC, errno.EDQUOT) else ErrorKind.FILE_ACCESS
