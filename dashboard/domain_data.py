"""Page-facing reads for the domain pages (documents, public services, online meetings) that the
KPI engine does not offer: daily or weekly trends, the national-axis status funnel, dossiers by
channel, the meetings calendar. Like :mod:`dashboard.queries` (whose cache they share), every
read is cached by data version, so a hundred screens cost one computation per commit.

    trend(session, "SO-01", period, metrics=("doc_in", "doc_out"), kpis=("VB-02", "VB-03.axis"))
    axis_funnel(session, "SO-01", period)        edXML status counts of documents sent / received
    dossier_channels(session, "SO-01", period)   dossiers received per day by channel
    meeting_calendar(session, "SO-01", period)   approved meetings per day and hour, and the agenda ahead
    unit_labels(session)                         short names of units, for charts

``unit`` is a unit code (with its sub-units) or None for the whole agency; ``period`` a
:class:`~dashboard.kpi.periods.Period`. Sums over days come from the daily rollups; what the
rollups do not hold (a document's current edXML status, a dossier's channel other than online,
a meeting's hour) is read from the facts through their ``(unit_id, day)`` indexes, with the
scope's units always named so the indexes apply.

A trend's KPI lines are computed by the catalogue's own formulas (:mod:`dashboard.kpi.catalogue`)
from each day's or week's rollup sums, so a line and its tile share one definition. Only KPIs that
need nothing but rollup sums can be drawn this way (``VB-02``, ``DVC-07``, ``HOP-06`` …); a part
is named ``"VB-03.axis"``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from dashboard.kpi.catalogue import CATALOGUE, Inputs
from dashboard.kpi.engine import resolve_scope
from dashboard.kpi.periods import Period
from dashboard.kpi.values import Figure, no_facts
from dashboard.models import DailyRollup, Document, Dossier, Meeting, OrgUnit, Petition, Procedure
from dashboard.queries import cached_by_version
from dashboard.rollups import STATE_DAY
from dashboard.timeutil import VN_TZ, utcnow

#: Longer trends are drawn week by week (a year of daily bars is unreadable).
WEEKLY_ABOVE_DAYS = 62
#: The edXML stages a document on the national axis passes through, in order (domain.md §1.2).
FUNNEL_STAGES = ("01", "03", "04", "05", "06")
_REACHED = {
    "01": frozenset({"01", "02", "03", "04", "05", "06", "13", "15", "16"}),  # every document that arrived
    "03": frozenset({"03", "04", "05", "06", "15", "16"}),  # accepted (15/16 answer a later update or recall)
    "04": frozenset({"04", "05", "06"}),
    "05": frozenset({"05", "06"}),
    "06": frozenset({"06"}),
}
UNKNOWN_STATUS = ""  # the key of documents whose source gives no edXML status
CHANNELS = (1, 2, 3)  # direct, online, postal (KenhThucHien)
#: Office hours always shown on the meetings calendar; meetings outside widen it.
CALENDAR_HOURS = tuple(range(7, 19))


# --- time and scope ---------------------------------------------------------------------------
def _settings_tz() -> ZoneInfo:
    try:
        from flask import current_app

        settings = current_app.config.get("IOC_SETTINGS")
    except RuntimeError:  # outside an application context
        settings = None
    return settings.tz if settings is not None else VN_TZ


def _today(today: date | None, tz: ZoneInfo | None) -> tuple[date, ZoneInfo]:
    tz = tz or _settings_tz()
    return (today or utcnow().astimezone(tz).date()), tz


def _scope_ids(session: Session, unit: str | None) -> tuple[int, ...]:
    """The ids of ``unit`` and its sub-units, or of every unit: always named, so that the facts'
    ``(unit_id, day)`` indexes serve the range reads."""
    scope = resolve_scope(session, unit, True)
    if scope.unit_ids is not None:
        return scope.unit_ids
    return tuple(session.scalars(select(OrgUnit.id).order_by(OrgUnit.id)))


def _key(unit: str | None) -> str:
    return unit or "all"


# --- buckets ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bucket:
    """One bar of a trend: a day, or a week (Monday to Sunday, cut at the period's ends)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def buckets(period: Period, today: date) -> tuple[str, tuple[Bucket, ...]]:
    """("day" | "week", the buckets) of a period's trend up to today.

    The trend covers the period's days up to today, at least a week (as the tiles' sparklines);
    longer than :data:`WEEKLY_ABOVE_DAYS` days it goes week by week.

    >>> kind, bs = buckets(Period.year_to_date(date(2026, 3, 20)), date(2026, 3, 20))
    >>> kind, (bs[0].start, bs[0].end), (bs[-1].start, bs[-1].end)
    ('week', (datetime.date(2026, 1, 1), datetime.date(2026, 1, 4)), (datetime.date(2026, 3, 16), datetime.date(2026, 3, 20)))
    """
    days = period.series_days(today)
    if len(days) <= WEEKLY_ABOVE_DAYS:
        return "day", tuple(Bucket(d, d) for d in days)
    out: list[Bucket] = []
    start = days[0]
    for day in days[1:]:
        if day.weekday() == 0:
            out.append(Bucket(start, day - timedelta(days=1)))
            start = day
    out.append(Bucket(start, days[-1]))
    return "week", tuple(out)


def _sum_into(per_day: Mapping[date, float], bs: tuple[Bucket, ...]) -> tuple[float, ...]:
    return tuple(sum(v for d, v in per_day.items() if b.start <= d <= b.end) for b in bs)


# --- trends -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trend:
    """Values per bucket: rollup sums (``metrics``), KPI values (``kpis``, None = no value) and
    the denominators they rest on (``bases``, None for counts) — a page may leave out a ratio
    that rests on a handful of items."""

    granularity: str  # "day" or "week"
    buckets: tuple[Bucket, ...]
    metrics: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    kpis: Mapping[str, tuple[float | None, ...]] = field(default_factory=dict)
    bases: Mapping[str, tuple[float | None, ...]] = field(default_factory=dict)
    data_since: date | None = None  # the first day the store holds any of these figures for (any unit)

    def since_data(self, day: date | None = None) -> Trend:
        """The trend without the buckets that end before the store's first data (or ``day``): a
        year to date on a store that has collected for two months starts where the data does."""
        first_day = day or self.data_since
        if first_day is None or not self.buckets or self.buckets[0].end >= first_day:
            return self
        first = next((i for i, b in enumerate(self.buckets) if b.end >= first_day), None)
        if first is None:
            return self
        return replace(
            self,
            buckets=self.buckets[first:],
            metrics={k: v[first:] for k, v in self.metrics.items()},
            kpis={k: v[first:] for k, v in self.kpis.items()},
            bases={k: v[first:] for k, v in self.bases.items()},
        )

    def kpi_values(self, kpi_key: str, min_base: float = 0) -> tuple[float | None, ...]:
        """A KPI's values, with those resting on fewer than ``min_base`` items left out (None)."""
        bases = self.bases.get(kpi_key) or (None,) * len(self.kpis[kpi_key])
        return tuple(
            None if v is None or (b is not None and b < min_base) else v
            for v, b in zip(self.kpis[kpi_key], bases, strict=False)
        )

    @property
    def starts(self) -> list[date]:
        return [b.start for b in self.buckets]

    def total(self, metric: str, start: date | None = None, end: date | None = None) -> float:
        """The sum of ``metric`` over the buckets inside [start, end] (default: all)."""
        return sum(
            v
            for b, v in zip(self.buckets, self.metrics.get(metric, ()), strict=False)
            if (start is None or b.start >= start) and (end is None or b.end <= end)
        )


def trend_kpi_allowed(kpi_key: str) -> bool:
    """Whether a KPI (or ``"ID.part"``) can be drawn from rollup sums alone."""
    kpi_id, _, part = kpi_key.partition(".")
    d = CATALOGUE.get(kpi_id)
    return (
        d is not None
        and not d.needs
        and d.kind == "period"
        and (not part or any(p.key == part for p in d.parts))
    )


def evaluate(
    kpi_key: str, sums: Mapping[str, float], facts: Mapping[str, bool], presence: Mapping[str, bool]
) -> Figure:
    """A KPI's (or part's) figure — value, numerator, denominator — from rollup sums, by the
    catalogue's formula."""
    kpi_id, _, part = kpi_key.partition(".")
    d = CATALOGUE[kpi_id]
    x = Inputs(sums)
    x.update({f"facts:{domain}": present for domain, present in facts.items()})
    x.update({f"has:{m}": presence.get(m, False) for m in d.presence})
    outcome = d.formula(x)
    if part and part not in outcome.parts:  # a KPI without a value has no parts either
        return Figure(None, reason=outcome.reason or no_facts(d.domain, d.domain))
    figure = outcome.parts[part] if part else outcome
    return Figure(figure.value, figure.numerator, figure.denominator, figure.reason)


def _read_days(
    session: Session, ids: tuple[int, ...], metrics: Iterable[str], start: date, end: date
) -> dict[str, dict[date, float]]:
    """Per-day sums of rollup ``metrics`` over the units ``ids`` (the covering rollup index)."""
    metrics = sorted(set(metrics))
    out: dict[str, dict[date, float]] = defaultdict(dict)
    if not metrics or not ids:
        return out
    stmt = (
        select(DailyRollup.metric, DailyRollup.day, func.sum(DailyRollup.value))
        .where(
            DailyRollup.metric.in_(metrics),
            DailyRollup.day >= start,
            DailyRollup.day <= end,
            DailyRollup.unit_id.in_(ids),
        )
        .group_by(DailyRollup.metric, DailyRollup.day)
    )
    for metric, day, value in session.execute(stmt):
        out[metric][day] = float(value or 0)
    return out


def first_day(session: Session, metrics: Iterable[str]) -> date | None:
    """The first day any unit has a rollup row of ``metrics`` (the sentinel day of state
    metrics excluded): where the store's data begins."""
    metrics = sorted(set(metrics))
    if not metrics:
        return None
    firsts = [
        session.scalar(
            select(func.min(DailyRollup.day)).where(DailyRollup.metric == m, DailyRollup.day > STATE_DAY)
        )
        for m in metrics
    ]  # one index probe per metric
    found = [d for d in firsts if d is not None]
    return min(found) if found else None


def _facts_and_presence(session: Session, metrics: Iterable[str]) -> tuple[dict[str, bool], dict[str, bool]]:
    """Store-wide, as the engine judges them: does a domain have facts; does a source provide a field."""
    row = session.execute(
        select(
            exists().where(Document.id.is_not(None)),
            exists().where(Dossier.id.is_not(None)),
            exists().where(Meeting.id.is_not(None)),
            exists().where(Petition.id.is_not(None)),
        )
    ).one()
    facts = {
        "documents": bool(row[0]),
        "dossiers": bool(row[1]),
        "meetings": bool(row[2]),
        "petitions": bool(row[3]),
    }
    metrics = sorted(set(metrics))
    presence: dict[str, bool] = {}
    if metrics:
        row = session.execute(select(*[exists().where(DailyRollup.metric == m) for m in metrics])).one()
        presence = {m: bool(v) for m, v in zip(metrics, row, strict=False)}
    return facts, presence


def trend(
    session: Session,
    unit: str | None,
    period: Period,
    *,
    metrics: Iterable[str] = (),
    kpis: Iterable[str] = (),
    today: date | None = None,
    tz: ZoneInfo | None = None,
) -> Trend:
    """Rollup sums and rollup-only KPIs of a scope per day (or week) of ``period``, cached."""
    metrics, kpis = tuple(metrics), tuple(kpis)
    for k in kpis:
        if not trend_kpi_allowed(k):
            raise ValueError(f"{k} needs more than rollup sums: it cannot be drawn as a trend")
    day, _ = _today(today, tz)

    def compute(s: Session) -> Trend:
        kind, bs = buckets(period, day)
        if not bs:
            return Trend(kind, bs)
        defs = [CATALOGUE[k.partition(".")[0]] for k in kpis]
        wanted = set(metrics) | {m for d in defs for m in d.metrics}
        per_day = _read_days(s, _scope_ids(s, unit), wanted, bs[0].start, bs[-1].end)
        sums = {m: _sum_into(per_day.get(m, {}), bs) for m in wanted}
        facts, presence = _facts_and_presence(s, {m for d in defs for m in d.presence}) if kpis else ({}, {})
        figures = {
            k: [evaluate(k, {m: sums[m][i] for m in wanted}, facts, presence) for i in range(len(bs))]
            for k in kpis
        }
        return Trend(
            kind,
            bs,
            {m: sums[m] for m in metrics},
            {k: tuple(f.value for f in fs) for k, fs in figures.items()},
            {k: tuple(f.denominator for f in fs) for k, fs in figures.items()},
            first_day(s, wanted),
        )

    return cached_by_version(
        "domain_trend",
        session,
        compute,
        _key(unit),
        period.key,
        day.isoformat(),
        ",".join(metrics),
        ",".join(kpis),
    )


# --- documents: the national-axis funnel ------------------------------------------------------
@dataclass(frozen=True)
class AxisFunnel:
    """Documents exchanged over the national axis in a period, by their current edXML status.

    ``sent``: documents we sent (registered in the period) — the status is the recipient's;
    ``received``: documents we received (registered in the period, or arrived in it and never
    registered) — the status is ours. ``awaiting_now``: received documents at 01 now, whatever
    their date (the records clerk's queue). ``undated``: received documents never registered
    whose source gives no arrival time: they cannot be placed in a period.
    """

    sent: Mapping[str, int]
    received: Mapping[str, int]
    awaiting_now: int
    undated: int


def funnel_stages(counts: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    """How many documents reached each stage 01 → 03 → 04 → 05 → 06, from current statuses.

    A document at 05 has passed 01, 03 and 04; one returned (02) or recalled (13) had arrived (01)
    and went no further; 15/16 answer an update or recall of an accepted document.

    >>> funnel_stages({"01": 2, "02": 1, "03": 1, "05": 3, "06": 10})
    (('01', 17), ('03', 14), ('04', 13), ('05', 13), ('06', 10))
    """
    return tuple(
        (stage, sum(n for code, n in counts.items() if code in _REACHED[stage])) for stage in FUNNEL_STAGES
    )


def _status_counts(session: Session, *where) -> dict[str, int]:
    stmt = select(Document.status_code, func.count()).where(*where).group_by(Document.status_code)
    return {code or UNKNOWN_STATUS: int(n) for code, n in session.execute(stmt)}


def _merge_counts(*parts: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for part in parts:
        for k, v in part.items():
            out[k] += v
    return dict(out)


def axis_funnel(
    session: Session,
    unit: str | None,
    period: Period,
    *,
    today: date | None = None,
    tz: ZoneInfo | None = None,
) -> AxisFunnel:
    """The national-axis funnel of a scope over ``period`` (up to today), cached."""
    day, _ = _today(today, tz)
    end = period.observed_end(day)

    def compute(s: Session) -> AxisFunnel:
        ids = _scope_ids(s, unit)
        axis = and_(Document.unit_id.in_(ids), Document.channel == "axis")
        by_direction: dict[str, dict[str, int]] = {"in": {}, "out": {}}
        stmt = (
            select(Document.direction, Document.status_code, func.count())
            .where(
                axis,
                Document.direction.in_(("in", "out")),
                Document.registered_day >= period.start,
                Document.registered_day <= end,
            )
            .group_by(Document.direction, Document.status_code)
        )  # one pass over the period's documents for both directions
        for direction, code, n in s.execute(stmt):
            by_direction[direction][code or UNKNOWN_STATUS] = int(n)
        sent = by_direction["out"]
        received = _merge_counts(
            by_direction["in"],
            _status_counts(
                s,
                axis,
                Document.direction == "in",
                Document.registered_day.is_(None),
                Document.arrived_day >= period.start,
                Document.arrived_day <= end,
            ),
        )
        awaiting = s.scalar(
            select(func.count())
            .select_from(Document)
            .where(axis, Document.direction == "in", Document.status_code == "01")
        )
        # Both days missing; the expression keeps the planner on the (unit, registered day) index,
        # where unregistered documents are few, rather than on the arrival day, often empty.
        undated = s.scalar(
            select(func.count())
            .select_from(Document)
            .where(
                axis,
                Document.direction == "in",
                Document.registered_day.is_(None),
                func.coalesce(Document.arrived_day, Document.registered_day).is_(None),
            )
        )
        return AxisFunnel(sent, received, int(awaiting or 0), int(undated or 0))

    return cached_by_version("domain_axis_funnel", session, compute, _key(unit), period.key, day.isoformat())


# --- public services: channels ----------------------------------------------------------------
@dataclass(frozen=True)
class DossierChannels:
    """Dossiers received (status other than 1 and 3) by channel: per trend bucket and in the period."""

    trend: Trend  # metrics "channel_1" (direct), "channel_2" (online), "channel_3" (postal)
    totals: Mapping[int, int]  # channel → dossiers received in the period itself

    @property
    def received(self) -> int:
        return sum(self.totals.values())


def dossier_channels(
    session: Session,
    unit: str | None,
    period: Period,
    *,
    today: date | None = None,
    tz: ZoneInfo | None = None,
) -> DossierChannels:
    """Dossiers received per day (or week) and channel, and the period's totals, cached. A missing
    channel counts as direct (domain.md §1.1): the collectors store it so."""
    day, _ = _today(today, tz)
    end = period.observed_end(day)

    def compute(s: Session) -> DossierChannels:
        kind, bs = buckets(period, day)
        per_day: dict[int, dict[date, float]] = {c: {} for c in CHANNELS}
        if bs:
            stmt = (
                select(Dossier.received_day, Dossier.channel, func.count())
                .where(
                    Dossier.unit_id.in_(_scope_ids(s, unit)),
                    Dossier.received_day >= bs[0].start,
                    Dossier.received_day <= bs[-1].end,
                    Dossier.status.not_in((1, 3)),
                )
                .group_by(Dossier.received_day, Dossier.channel)
            )
            for received_day, channel, n in s.execute(stmt):
                per_day.setdefault(int(channel), {})[received_day] = float(n)
        metrics = {f"channel_{c}": _sum_into(per_day[c], bs) for c in CHANNELS}
        totals = {c: int(sum(v for d, v in per_day[c].items() if period.start <= d <= end)) for c in CHANNELS}
        return DossierChannels(
            Trend(kind, bs, metrics, data_since=first_day(s, ("dossier_received",))), totals
        )

    return cached_by_version(
        "domain_dossier_channels", session, compute, _key(unit), period.key, day.isoformat()
    )


# --- online meetings: the calendar ------------------------------------------------------------
@dataclass(frozen=True)
class MeetingItem:
    """One approved meeting on the agenda (local times)."""

    start: datetime
    end: datetime | None
    title: str | None
    platform: str | None
    online: bool
    unit_code: str
    endpoints_scheduled: int | None
    endpoints_connected: int | None
    participants: int | None


@dataclass(frozen=True)
class MeetingCalendar:
    """Approved meetings by local start day and hour, and the agenda of the days ahead."""

    days: tuple[date, ...]  # the trend's days: the period up to today, at least a week
    hours: tuple[int, ...]  # office hours, widened to any hour a meeting started in
    counts: Mapping[tuple[date, int], int]  # (day, hour) → meetings starting then
    agenda_from: date
    agenda_to: date
    agenda: tuple[MeetingItem, ...]  # the approved meetings of [agenda_from, agenda_to], by start
    agenda_more: int = 0  # meetings of those days left out of ``agenda`` (beyond the limit)


def by_weekday(counts: Mapping[tuple[date, int], int]) -> dict[tuple[int, int], int]:
    """(day, hour) counts folded onto (weekday 0 = Monday, hour), for periods longer than a month.

    >>> by_weekday({(date(2026, 3, 2), 9): 2, (date(2026, 3, 9), 9): 1, (date(2026, 3, 3), 14): 1})
    {(0, 9): 3, (1, 14): 1}
    """
    out: dict[tuple[int, int], int] = defaultdict(int)
    for (day, hour), n in counts.items():
        out[(day.weekday(), hour)] += n
    return dict(out)


def meeting_calendar(
    session: Session,
    unit: str | None,
    period: Period,
    *,
    today: date | None = None,
    tz: ZoneInfo | None = None,
    agenda_days: int = 7,
    agenda_limit: int = 40,
) -> MeetingCalendar:
    """Approved meetings of a scope by local day and hour over the days of the period's trend (up
    to today, at least a week), and the agenda: today and the ``agenda_days - 1`` days after it
    while the period runs, or the period's last day once it is over. Cached."""
    day, zone = _today(today, tz)
    end = period.observed_end(day)
    running = end >= day
    agenda_from, agenda_to = (day, day + timedelta(days=agenda_days - 1)) if running else (end, end)

    def compute(s: Session) -> MeetingCalendar:
        codes = dict(s.execute(select(OrgUnit.id, OrgUnit.code)).all())
        ids = _scope_ids(s, unit)
        approved = and_(Meeting.unit_id.in_(ids), Meeting.status == 2, Meeting.start_at.is_not(None))
        days = tuple(period.series_days(day))
        counts: dict[tuple[date, int], int] = defaultdict(int)
        if days:
            stmt = select(Meeting.start_at).where(
                approved, Meeting.start_day >= days[0], Meeting.start_day <= end
            )
            for (start,) in s.execute(stmt):
                local = start.astimezone(zone)
                counts[(local.date(), local.hour)] += 1
        hours = sorted(set(CALENDAR_HOURS) | {h for _, h in counts})
        stmt = (
            select(
                Meeting.start_at,
                Meeting.end_at,
                Meeting.title,
                Meeting.platform,
                Meeting.is_online,
                Meeting.unit_id,
                Meeting.endpoints_scheduled,
                Meeting.endpoints_connected,
                Meeting.participants_peak,
            )
            .where(approved, Meeting.start_day >= agenda_from, Meeting.start_day <= agenda_to)
            .order_by(Meeting.start_at, Meeting.id)
        )
        agenda: list[MeetingItem] = []
        more = 0
        for start, stop, title, platform, online, unit_id, scheduled, connected, participants in s.execute(
            stmt
        ):
            if len(agenda) >= agenda_limit:
                more += 1
                continue
            agenda.append(
                MeetingItem(
                    start.astimezone(zone),
                    stop.astimezone(zone) if stop else None,
                    title,
                    platform,
                    bool(online),
                    codes.get(unit_id, "?"),
                    scheduled,
                    connected,
                    participants,
                )
            )
        return MeetingCalendar(
            days,
            tuple(range(hours[0], hours[-1] + 1)),
            dict(counts),
            agenda_from,
            agenda_to,
            tuple(agenda),
            more,
        )

    return cached_by_version(
        "domain_meeting_calendar",
        session,
        compute,
        _key(unit),
        period.key,
        day.isoformat(),
        agenda_days,
        agenda_limit,
    )


# --- units ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UnitLabel:
    code: str
    name_vi: str
    name_en: str
    short_vi: str | None
    parent_code: str | None
    has_children: bool

    def short(self, lang: str = "vi") -> str:
        """The name a chart can afford: the short Vietnamese name (a place name reads the same in
        English) when there is one, else the full name."""
        if self.short_vi and not (self.has_children and lang == "en"):  # "Khối Sở" is no place name
            return self.short_vi
        return self.name_en if lang == "en" else self.name_vi

    def name(self, lang: str = "vi") -> str:
        return self.name_en if lang == "en" else self.name_vi


def unit_labels(session: Session) -> dict[str, UnitLabel]:
    """Every unit's names and place in the tree, by code, cached."""

    def compute(s: Session) -> dict[str, Any]:
        rows = s.execute(
            select(
                OrgUnit.id,
                OrgUnit.code,
                OrgUnit.name_vi,
                OrgUnit.name_en,
                OrgUnit.short_name_vi,
                OrgUnit.parent_id,
                OrgUnit.active,
            )
        ).all()
        codes = {r.id: r.code for r in rows}
        parents = {r.parent_id for r in rows if r.active}
        return {
            r.code: UnitLabel(
                r.code, r.name_vi, r.name_en, r.short_name_vi, codes.get(r.parent_id), r.id in parents
            )
            for r in rows
        }

    return cached_by_version("domain_unit_labels", session, compute)


def procedure_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """The name of each administrative procedure code (MaTTHC) the procedure catalogue knows; the
    same code offered by several units has one name (the first found)."""
    wanted = sorted({c for c in codes if c})
    names: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        for code, name in session.execute(
            select(Procedure.code, Procedure.name_vi)
            .where(Procedure.code.in_(wanted[start : start + 500]))
            .order_by(Procedure.id)
        ):
            names.setdefault(code, name)
    return names
