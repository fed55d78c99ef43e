"""The 766 index over the months and among peers: what the 766 page (``/chi-so-766``) reads
beyond one month's report (:func:`dashboard.queries.service_index`).

    months = index_trend(session, "SO-01", today)       # oldest first, at most 12
    months[-1].published, months[-1].estimate, months[-1].unknown

    place = index_rank(session, "SO-01", period)         # among every unit of SO-01's level
    place.rank, place.of                                 # 5, 34

The rank is computed over *all* peers of the unit's level on the server, whatever the caller may
see; the page shows the peers' rows only where the access layer lets it (a unit head gets its
own place, "hạng 5/34", and never another unit's figures). Every read goes through the cached
queries, so a month or a ranking costs one computation per data version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.domain_data import first_day
from dashboard.kpi.periods import Period
from dashboard.kpi.samples import is_small, min_sample
from dashboard.kpi.values import RankRow
from dashboard.models import OrgUnit
from dashboard.queries import ranking, service_index

INDEX_KPI = "DVC-14"
TREND_MONTHS = 12


@dataclass(frozen=True)
class IndexMonth:
    """One month of the index: the published total (None: none imported), the estimate's known
    points and its points not yet known (None: before the store's dossier history begins)."""

    period: Period
    published: float | None
    estimate: float | None
    unknown: float | None


@dataclass(frozen=True)
class IndexRank:
    """A unit's place on the 766 index among every active unit of its level."""

    code: str
    level: str
    rank: int | None  # None: the unit has no score in the period
    of: int  # peers with a score (the unit included)
    peers: int  # every peer of the level (the unit included)
    rows: tuple[RankRow, ...]  # all peers: a page filters them to the caller's scope


def month_of(day: date, back: int = 0) -> Period:
    """The calendar month ``back`` months before the one containing ``day``.

    >>> month_of(date(2026, 1, 20), 2).start
    datetime.date(2025, 11, 1)
    """
    index = day.year * 12 + day.month - 1 - back
    return Period.month(index // 12, index % 12 + 1)


def index_trend(
    session: Session, unit: str | None, today: date, months: int = TREND_MONTHS
) -> tuple[IndexMonth, ...]:
    """The last ``months`` calendar months (this one so far included), oldest first. Published
    totals are shown for every month that has one; the estimate only from the month the store's
    dossier history begins in — an earlier month has no data, not a low score — and not for a
    month whose dossiers are a small sample (a handful of old open dossiers is no month's score)."""
    since = first_day(session, ("dossier_received",))
    out = []
    for back in range(months - 1, -1, -1):
        period = month_of(today, back)
        report = service_index(session, unit, period)
        published = report.published.total if report.published is not None else None
        known = (
            since is not None
            and period.end >= since
            and report.estimate.known_max > 0
            and not is_small("percent", report.sample, min_sample())
        )
        out.append(
            IndexMonth(
                period,
                published,
                report.estimate.points if known else None,
                report.estimate.unknown_points if known else None,
            )
        )
    return tuple(out)


def index_rank(session: Session, unit: str | None, period: Period) -> IndexRank | None:
    """``unit``'s place among the active units of its level (None for the whole agency)."""
    if unit is None:
        return None
    level = session.scalar(select(OrgUnit.level).where(OrgUnit.code == unit))
    if level is None:
        return None
    rows = ranking(session, INDEX_KPI, period, level=level)
    mine = next((r for r in rows if r.code == unit), None)
    if mine is None:
        return None
    return IndexRank(
        unit, level, mine.rank, sum(1 for r in rows if r.rank is not None), len(rows), tuple(rows)
    )


__all__ = ["INDEX_KPI", "IndexMonth", "IndexRank", "index_rank", "index_trend", "month_of"]
