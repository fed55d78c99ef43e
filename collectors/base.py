"""The contract between adapters and the runner.

An adapter reads one source system and yields :class:`Batch` es of :class:`RawRow` s whose keys
are the field names of the view contract for its domain (sources.md §2.1: ``doc_id``,
``unit_code``, … for documents; ``MaHoSo``, ``MaDonVi``, … for dossiers; ``meeting_id``, … for
meetings). Values are raw (strings, numbers, datetimes): the runner validates them. An adapter
never touches our database.

The runner commits each batch in one transaction — facts, rollups, rejects and the batch's
``watermark`` together — and only then calls ``after_commit`` (e.g. to archive an imported file).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

DOMAINS = (
    "documents",
    "dossiers",
    "meetings",
    "procedures",
    "meeting_samples",
    "dossier_stats",
    "document_status",
    "tasks",
)


class SourceError(Exception):
    """Base for errors raised by adapters; the message must never contain a secret."""


class TransientSourceError(SourceError):
    """Worth retrying: connection refused, timeout, 429, 5xx, database locked."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class FatalSourceError(SourceError):
    """Retrying will not help (authentication, configuration): the run fails at once."""


@dataclass
class RawRow:
    data: dict[str, Any]
    line_no: int | None = None
    file_name: str | None = None


@dataclass
class RawReject:
    """Something the adapter itself could not read (a whole file, a malformed line)."""

    reason: str
    payload: Any
    line_no: int | None = None
    file_name: str | None = None
    #: "row" (a line), "file" (a whole file refused or stopped), "duplicate", "future"
    kind: str = "row"


@dataclass
class Batch:
    rows: list[RawRow]
    watermark: dict[str, Any] | None = None  # saved with the batch; None keeps the previous one
    rejects: list[RawReject] = field(default_factory=list)
    after_commit: Callable[[], None] | None = None
    description: str = ""


@dataclass(frozen=True)
class SourceConfig:
    """One entry of sources.toml, validated (see :mod:`collectors.sources`)."""

    name: str
    domain: str
    adapter: str
    interval_s: float = 300.0
    timezone: str = "Asia/Ho_Chi_Minh"
    freshness_s: float | None = None
    units: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    enabled: bool = True
    lookback_s: float = 3600.0
    #: Timestamps of things that happened (registered, received, finished, updated) later than
    #: now plus this are rejected as "future date" (a wrong clock, a typo'd year).
    future_tolerance_s: float = 3600.0

    @property
    def freshness_target_s(self) -> float:
        return self.freshness_s if self.freshness_s is not None else 3 * self.interval_s

    def secret(self, key: str, env: dict[str, str] | None = None) -> str:
        """The secret named ``key``, read from the environment variable the config names."""
        import os

        env = os.environ if env is None else env
        var = self.secrets.get(key)
        if not var:
            raise FatalSourceError(
                f'source {self.name!r}: no secret {key!r} configured (secrets.{key} = "ENV_VAR")'
            )
        value = env.get(var)
        if not value:
            raise FatalSourceError(f"source {self.name!r}: environment variable {var} is not set")
        return value


class Adapter(ABC):
    """Reads one source system. Subclasses set ``kind`` and implement :meth:`batches`."""

    kind: ClassVar[str]
    #: Domains this adapter can read.
    domains: ClassVar[tuple[str, ...]] = ("documents", "dossiers", "meetings", "procedures")

    def __init__(self, config: SourceConfig):
        self.config = config

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> list[str]:
        """Problems with ``options`` as ``"field: what is wrong"`` strings (empty when fine)."""
        return []

    @abstractmethod
    def batches(self, watermark: dict[str, Any] | None) -> Iterator[Batch]:
        """Yield batches from ``watermark`` on; each batch carries the watermark after it."""

    def close(self) -> None:  # noqa: B027 -- optional hook, most adapters hold nothing
        """Release connections; called once after a run."""
