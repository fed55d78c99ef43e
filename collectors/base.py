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

# The configuration schema and the errors are the core's (the web process reads them too);
# re-exported here because every adapter speaks of them.
from dashboard.sourcecfg import DOMAINS, SourceConfig
from dashboard.sourceerrors import (
    ErrorKind,
    FatalSourceError,
    SourceError,
    TransientSourceError,
    kind_of,
    os_error_kind,
)

__all__ = [
    "DOMAINS",
    "Adapter",
    "Batch",
    "ErrorKind",
    "FatalSourceError",
    "RawReject",
    "RawRow",
    "SourceConfig",
    "SourceError",
    "TransientSourceError",
    "kind_of",
    "os_error_kind",
]


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


class Adapter(ABC):
    """Reads one source system. Subclasses set ``kind`` and implement :meth:`batches`."""

    kind: ClassVar[str]
    #: Domains this adapter can read.
    domains: ClassVar[tuple[str, ...]] = ("documents", "dossiers", "meetings", "procedures", "petitions")

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
