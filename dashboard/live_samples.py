"""The latest live sample of each meeting server (Jitsi …), for the "Đang diễn ra / Live now" strip.

A sample is live while it is younger than 3 × its source's collection interval (the default
freshness target of a source); an older one is shown as stale — the server's last known figure
is not "now" any more.

>>> s = LiveSample("jitsi", datetime(2026, 3, 16, 1, 0, tzinfo=UTC), 3, 12, interval_s=60, age_s=90)
>>> s.stale, LiveSample("jitsi", s.sampled_at, 3, 12, interval_s=60, age_s=200).stale
(False, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from dashboard.models import MeetingSample
from dashboard.queries import cached_by_version

#: Interval assumed for a source that is no longer in the sources file.
DEFAULT_INTERVAL_S = 300.0
STALE_AFTER_INTERVALS = 3


@dataclass(frozen=True)
class LiveSample:
    source: str
    sampled_at: datetime
    meetings_running: int
    participants: int
    interval_s: float
    age_s: float

    @property
    def stale(self) -> bool:
        return self.age_s > STALE_AFTER_INTERVALS * self.interval_s


def _latest(session: Session) -> list[tuple[str, datetime, int, int]]:
    latest = (
        select(MeetingSample.source, func.max(MeetingSample.sampled_at).label("at"))
        .group_by(MeetingSample.source)
        .subquery()
    )
    rows = session.execute(
        select(
            MeetingSample.source,
            MeetingSample.sampled_at,
            MeetingSample.meetings_running,
            MeetingSample.participants,
        )
        .join(latest, and_(MeetingSample.source == latest.c.source, MeetingSample.sampled_at == latest.c.at))
        .order_by(MeetingSample.source)
    ).all()
    return [tuple(r) for r in rows]


def live_samples(session: Session, sources: list[Any], now: datetime) -> list[LiveSample]:
    """The latest sample per source (cached by data version), aged against ``now``."""
    intervals = {s.name: s.interval_s for s in sources}
    out = []
    for source, at, running, participants in cached_by_version("live_samples", session, _latest):
        at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        out.append(
            LiveSample(
                source,
                at,
                running,
                participants,
                intervals.get(source, DEFAULT_INTERVAL_S),
                max(0.0, (now - at).total_seconds()),
            )
        )
    return out
