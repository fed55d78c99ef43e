"""Every error an adapter raises names its stable kind (dashboard/sourceerrors.ErrorKind): the
Sources page advises from the kind, so an error raised without one would silently get no advice."""

from __future__ import annotations

import ast
import errno
import ssl
from pathlib import Path

import pytest

from dashboard.sourceerrors import ErrorKind, FatalSourceError, TransientSourceError, kind_of, os_error_kind

ROOT = Path(__file__).resolve().parents[3]
ERRORS = {"SourceError", "TransientSourceError", "FatalSourceError"}


def _raises_without_kind() -> list[str]:
    found = []
    for path in sorted([*ROOT.glob("collectors/**/*.py"), *ROOT.glob("dashboard/**/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ERRORS
                and not any(k.arg == "kind" for k in node.keywords)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_source_error_of_the_product_names_its_kind():
    assert _raises_without_kind() == []


def test_kinds_are_kept_and_retry_after_too():
    exc = TransientSourceError("x", 7.0, kind=ErrorKind.RATE_LIMITED, detail=429)
    assert (exc.kind, exc.detail, exc.retry_after) == (ErrorKind.RATE_LIMITED, "429", 7.0)
    assert FatalSourceError("y", kind="auth").kind is ErrorKind.AUTH
    with pytest.raises(ValueError):
        FatalSourceError("z", kind="no-such-kind")


@pytest.mark.parametrize(
    "exc,kind",
    [
        (OSError(errno.ENOSPC, "No space left on device"), ErrorKind.DISK_FULL),
        (PermissionError(errno.EACCES, "Permission denied"), ErrorKind.FILE_ACCESS),
        (ssl.SSLCertVerificationError("certificate verify failed"), ErrorKind.TLS),
        (TimeoutError(), ErrorKind.TIMEOUT),
        (ConnectionRefusedError(), ErrorKind.UNREACHABLE),
        (KeyError("a bug"), ErrorKind.INTERNAL),
        (FatalSourceError("x", kind=ErrorKind.SCHEMA), ErrorKind.SCHEMA),
    ],
)
def test_unexpected_exceptions_are_classified_by_their_nature(exc, kind):
    assert kind_of(exc) is kind
    try:
        try:
            raise exc
        except Exception as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as wrapped:
        assert kind_of(wrapped) is kind


def test_file_operations():
    assert os_error_kind(OSError(errno.ENOSPC, "full")) is ErrorKind.DISK_FULL
    assert os_error_kind(OSError(errno.EACCES, "denied")) is ErrorKind.FILE_ACCESS
