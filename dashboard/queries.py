"""The one door to data for pages: every read a page needs, cached by data version.

Pages call these functions inside a request (Dash layout or callback); they find the database
through the current Flask app (:func:`dashboard.webapp.store`). Results are cached in the shared
cache under a key that includes ``data_version``, which the collectors bump on every commit: a
screen never shows data older than the last commit, and many screens asking the same question
cost one computation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.cache import cache
from dashboard.models import CollectorRun, DataVersion, Document, Dossier, Meeting, OrgUnit


def current_data_version(session: Session) -> int:
    return session.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0


def cached_by_version(name: str, session: Session, compute: Callable[[Session], Any], *parts: Any) -> Any:
    """Return ``compute(session)`` from the cache for the current data version."""
    version = current_data_version(session)
    key = f"{name}:v{version}:" + ":".join(str(p) for p in parts)
    hit = cache.get(key)
    if hit is not None:
        return hit
    value = compute(session)
    cache.set(key, value)
    return value


@dataclass(frozen=True)
class StoreSummary:
    """What the store holds: enough to tell an empty installation from a live one."""

    units: int
    simulated_units: int
    documents: int
    dossiers: int
    meetings: int
    last_run_at: datetime | None
    last_run_status: str | None
    data_version: int

    @property
    def is_empty(self) -> bool:
        return self.documents == 0 and self.dossiers == 0 and self.meetings == 0


def _store_summary(session: Session) -> dict:
    last = session.execute(
        select(CollectorRun.finished_at, CollectorRun.status)
        .where(CollectorRun.finished_at.is_not(None))
        .order_by(CollectorRun.finished_at.desc())
        .limit(1)
    ).first()
    summary = StoreSummary(
        units=session.scalar(select(func.count()).select_from(OrgUnit)) or 0,
        simulated_units=session.scalar(
            select(func.count()).select_from(OrgUnit).where(OrgUnit.is_simulated.is_(True))
        )
        or 0,
        documents=session.scalar(select(func.count()).select_from(Document)) or 0,
        dossiers=session.scalar(select(func.count()).select_from(Dossier)) or 0,
        meetings=session.scalar(select(func.count()).select_from(Meeting)) or 0,
        last_run_at=last[0] if last else None,
        last_run_status=last[1] if last else None,
        data_version=current_data_version(session),
    )
    return asdict(summary)


def store_summary(session: Session) -> StoreSummary:
    return StoreSummary(**cached_by_version("store_summary", session, _store_summary))
