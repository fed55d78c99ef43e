"""What the petitions pages draw that the KPI engine does not give (no SQL in ``layouts/``):
petitions received per day and channel, the period's channels and categories, and the action list
of open petitions past their deadline. Cached per data version like the other pages' reads.

Every function takes the unit code the *access layer* resolved (``None``: the whole agency for a
principal that may see it); nothing here trusts a value a page sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.domain_data import (
    Trend,
    _key,
    _scope_ids,
    _settings_tz,
    _sum_into,
    _today,
    buckets,
    first_day,
)
from dashboard.kpi.periods import Period
from dashboard.models import PETITION_OPEN, OrgUnit, Petition
from dashboard.petitions import CHANNELS
from dashboard.queries import cached_by_version
from dashboard.timeutil import utcnow

#: The most rows the action list holds (the most overdue first).
ACTION_LIMIT = 500


@dataclass(frozen=True)
class PetitionMix:
    """Petitions received (refused and forwarded-out left out) per bucket and channel, and the
    period's totals by channel and by category."""

    trend: Trend  # metrics "channel_1" … "channel_5"
    channels: dict[int, int]
    categories: dict[str, int]

    @property
    def received(self) -> int:
        return sum(self.channels.values())


def petition_mix(
    session: Session,
    unit: str | None,
    period: Period,
    *,
    today: date | None = None,
    tz: ZoneInfo | None = None,
) -> PetitionMix:
    day, _ = _today(today, tz)
    end = period.observed_end(day)

    def compute(s: Session) -> PetitionMix:
        kind, bs = buckets(period, day)
        per_day: dict[int, dict[date, float]] = {c: {} for c in CHANNELS}
        categories: dict[str, int] = {}
        if bs:
            ids = _scope_ids(s, unit)
            lo, hi = min(bs[0].start, period.start), max(bs[-1].end, end)
            stmt = (
                select(Petition.received_day, Petition.channel, Petition.category, func.count())
                .where(
                    Petition.unit_id.in_(ids),
                    Petition.received_day >= lo,
                    Petition.received_day <= hi,
                    Petition.status.not_in((5, 6)),
                )
                .group_by(Petition.received_day, Petition.channel, Petition.category)
            )
            for received_day, channel, category, n in s.execute(stmt):
                bucket = per_day.setdefault(int(channel), {})
                bucket[received_day] = bucket.get(received_day, 0.0) + float(n)
                if period.start <= received_day <= end:
                    categories[category] = categories.get(category, 0) + int(n)
        metrics = {f"channel_{c}": _sum_into(per_day[c], bs) for c in CHANNELS}
        totals = {c: int(sum(v for d, v in per_day[c].items() if period.start <= d <= end)) for c in CHANNELS}
        ordered = dict(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0])))
        return PetitionMix(
            Trend(kind, bs, metrics, data_since=first_day(s, ("petition_received",))), totals, ordered
        )

    return cached_by_version("petition_mix", session, compute, _key(unit), period.key, day.isoformat())


@dataclass(frozen=True)
class OverduePetition:
    id: int
    reference: str
    unit_code: str
    unit_name_vi: str
    unit_name_en: str
    category: str
    channel: int
    status: int
    is_urgent: bool
    received_at: datetime
    deadline_day: date
    days_overdue: int  # calendar days past the deadline day

    def unit_name(self, lang: str) -> str:
        return self.unit_name_en if lang == "en" else self.unit_name_vi


@dataclass(frozen=True)
class OverdueList:
    items: tuple[OverduePetition, ...]
    total: int  # all overdue petitions of the scope (the list may hold fewer)
    as_of: datetime


def overdue_petitions(
    session: Session,
    unit: str | None,
    *,
    now: datetime | None = None,
    tz: ZoneInfo | None = None,
    limit: int = ACTION_LIMIT,
) -> OverdueList:
    """Open petitions (tiếp nhận, đang xử lý) of the scope whose deadline day is before today,
    the most overdue first (PAKN-04's action list)."""
    moment = (now or utcnow()).replace(second=0, microsecond=0)
    today = moment.astimezone(tz or _settings_tz()).date()

    def compute(s: Session) -> OverdueList:
        ids = _scope_ids(s, unit)
        where = (
            Petition.unit_id.in_(ids),
            Petition.status.in_(PETITION_OPEN),
            Petition.deadline_day < today,
        )
        total = s.scalar(select(func.count()).select_from(Petition).where(*where)) or 0
        rows = s.execute(
            select(Petition, OrgUnit.code, OrgUnit.name_vi, OrgUnit.name_en)
            .join(OrgUnit, OrgUnit.id == Petition.unit_id)
            .where(*where)
            .order_by(Petition.deadline_day, Petition.received_at, Petition.id)
            .limit(limit)
        ).all()
        items = tuple(
            OverduePetition(
                p.id,
                p.reference,
                code,
                name_vi,
                name_en,
                p.category,
                p.channel,
                p.status,
                p.is_urgent,
                p.received_at,
                p.deadline_day,
                (today - p.deadline_day).days,
            )
            for p, code, name_vi, name_en in rows
        )
        return OverdueList(items, int(total), moment)

    return cached_by_version("petition_overdue", session, compute, _key(unit), limit, today.isoformat())
