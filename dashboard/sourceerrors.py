"""The errors adapters raise, shared by the collectors (which raise them) and the core (which
stores and explains them). Defined in the core so that ``dashboard/`` never imports ``collectors/``.
"""

from __future__ import annotations


class SourceError(Exception):
    """Base for errors raised by adapters; the message must never contain a secret."""


class TransientSourceError(SourceError):
    """Worth retrying: connection refused, timeout, 429, 5xx, database locked."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class FatalSourceError(SourceError):
    """Retrying will not help (authentication, configuration): the run fails at once."""
