"""The one door to data for pages: every read a page needs, cached by data version.

Pages call these functions inside a request (Dash layout or callback); they find the database
through the current Flask app (:func:`dashboard.webapp.store`). Results are cached in the shared
cache under a key that includes ``data_version``, which the collectors bump on every commit: a
screen never shows data older than the last commit, and many screens asking the same question
cost one computation.

KPI reads (all cached; ``unit`` is a unit code or id, None for the whole agency; ``period`` a
:class:`~dashboard.kpi.periods.Period` or a kind such as ``"mtd"``, default month to date)::

    overview(session, unit, period)            every tile: value, status, comparisons, sparkline
    kpi_detail(session, kpi_id, unit, period)  one KPI (a tile's drill-down)
    ranking(session, kpi_id, period, parent=…) units ranked on a KPI (1, 2, 2, 4) with rank change
    service_index(session, unit, period)       the 766 index: published or estimated, points lost
    action_list(session, unit)                 overdue / due-within-24 h dossiers and documents

Keys also carry the local day and the minute, because "month to date", "overdue" and "due within
24 h" move with the clock even when no data changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard import service_index as si
from dashboard.cache import safe_get, safe_set
from dashboard.kpi import engine, lists
from dashboard.kpi import ranking as ranking_mod
from dashboard.kpi.catalogue import CATALOGUE, KPI_IDS
from dashboard.kpi.periods import Period
from dashboard.kpi.samples import min_sample
from dashboard.kpi.values import KpiResult, RankRow, Scope
from dashboard.metrics import CACHE_REQUESTS
from dashboard.models import CollectorRun, DataVersion, Document, Dossier, Meeting, OrgUnit
from dashboard.targets import DEFAULT_TARGETS, Targets, load_targets
from dashboard.timeutil import VN_TZ, to_utc, utcnow


def current_data_version(session: Session) -> int:
    return session.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0


VERSION_KEY = "data_version"
#: How long the shared cache holds the data version: a new commit shows within this much more.
VERSION_TTL_S = 1


def recent_data_version(sessions: Callable[[], Session]) -> int:
    """The data version as read from the database at most ``VERSION_TTL_S`` ago by any worker.

    Hundreds of wall screens polling every few seconds ask the same question: the answer comes
    from the shared cache, and one database round trip per second (across every worker and host
    on one Redis) keeps it current. Without a cache, every call reads the database."""
    version = safe_get(VERSION_KEY)
    if isinstance(version, int):
        return version
    with sessions() as session:
        version = current_data_version(session)
    safe_set(VERSION_KEY, version, VERSION_TTL_S)
    return version


def cached_by_version(name: str, session: Session, compute: Callable[[Session], Any], *parts: Any) -> Any:
    """Return ``compute(session)`` from the cache for the current data version."""
    version = current_data_version(session)
    key = f"{name}:v{version}:" + ":".join(str(p) for p in parts)
    hit = safe_get(key)
    if hit is not None:
        CACHE_REQUESTS.labels("kpi", "hit").inc()
        return hit
    CACHE_REQUESTS.labels("kpi", "miss").inc()
    value = compute(session)
    safe_set(key, value)
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


# --- the KPI engine, cached --------------------------------------------------------------------------
@dataclass(frozen=True)
class Overview:
    """Every tile of a scope for a period (catalogue order)."""

    scope: Scope
    period: Period
    tiles: tuple[KpiResult, ...]
    as_of: datetime

    def tile(self, kpi_id: str) -> KpiResult:
        for t in self.tiles:
            if t.kpi_id == kpi_id:
                return t
        raise KeyError(kpi_id)


@dataclass(frozen=True)
class ServiceIndexReport:
    """The 766 index of a scope for a period: the published score when there is one, our estimate
    (always computed: it shows where points are lost) and the latest published score before."""

    scope: Scope
    period: Period
    estimate: si.ServiceIndexEstimate
    estimate_band: si.Band | None
    published: si.PublishedScore | None
    published_band: si.Band | None
    latest_published: si.PublishedScore | None
    as_of: datetime
    published_indicators: Mapping[str, float | None] = field(
        default_factory=dict
    )  # per indicator, as published
    sample: float | None = None  # the period's dossiers (the DVC-06 population) the estimate rests on

    @property
    def score(self) -> float | None:
        """What to show: the published total, else the estimate's known points on the 100-point
        scale (with ``estimate.unknown_points`` not yet known); None when nothing is known."""
        if self.published is not None and self.published.total is not None:
            return self.published.total
        return self.estimate.points if self.estimate.known_max else None

    @property
    def is_estimate(self) -> bool:
        return self.published is None or self.published.total is None


@dataclass(frozen=True)
class _Context:
    targets: Targets
    tz: ZoneInfo
    now: datetime  # to the minute: one cache entry per minute at most

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    @property
    def key(self) -> str:
        return self.now.strftime("%Y%m%dT%H%M")


def _context(now: datetime | None, targets: Targets | None, tz: ZoneInfo | None) -> _Context:
    """Targets and time zone from the serving app's settings (or the defaults outside an app)."""
    settings = None
    try:
        from flask import current_app

        settings = current_app.config.get("IOC_SETTINGS")
    except RuntimeError:  # outside an application context
        settings = None
    if settings is not None:
        tz = tz or settings.tz
        if targets is None:
            targets = load_targets(getattr(settings, "targets_file", None))
    moment = to_utc(now) if now is not None else utcnow()
    return _Context(targets or DEFAULT_TARGETS, tz or VN_TZ, moment.replace(second=0, microsecond=0))


def _period(period: Period | str | None, today: date) -> Period:
    if isinstance(period, Period):
        return period
    return Period.parse(period or "mtd", today)


def _scope_key(unit: int | str | None, include_children: bool) -> str:
    return "all" if unit is None else f"{unit}{'+' if include_children else ''}"


def overview(
    session: Session,
    unit: int | str | None = None,
    period: Period | str | None = None,
    *,
    include_children: bool = True,
    kpi_ids: tuple[str, ...] | None = None,
    now: datetime | None = None,
    targets: Targets | None = None,
    tz: ZoneInfo | None = None,
) -> Overview:
    """Every tile (or ``kpi_ids``) of a scope with comparisons and sparklines, cached."""
    ctx = _context(now, targets, tz)
    p = _period(period, ctx.today)
    ids = tuple(kpi_ids or KPI_IDS)

    def compute(s: Session) -> Overview:
        scope = engine.resolve_scope(s, unit, include_children)
        results = engine.compute(s, scope, p, ids, now=ctx.now, tz=ctx.tz, targets=ctx.targets)
        return Overview(scope, p, tuple(results[k] for k in ids), ctx.now)

    return cached_by_version(
        "kpi_overview", session, compute, _scope_key(unit, include_children), p.key, ",".join(ids), ctx.key
    )


def kpi_detail(
    session: Session,
    kpi_id: str,
    unit: int | str | None = None,
    period: Period | str | None = None,
    *,
    include_children: bool = True,
    now: datetime | None = None,
    targets: Targets | None = None,
    tz: ZoneInfo | None = None,
) -> KpiResult:
    if kpi_id not in CATALOGUE:
        raise KeyError(f"unknown KPI {kpi_id!r}")
    return overview(
        session,
        unit,
        period,
        include_children=include_children,
        kpi_ids=(kpi_id,),
        now=now,
        targets=targets,
        tz=tz,
    ).tiles[0]


def ranking(
    session: Session,
    kpi_id: str,
    period: Period | str | None = None,
    *,
    parent: int | str | None = None,
    level: str | None = None,
    include_small: bool = False,
    now: datetime | None = None,
    targets: Targets | None = None,
    tz: ZoneInfo | None = None,
) -> tuple[RankRow, ...]:
    """Units ranked on ``kpi_id``: the children of ``parent`` (default: of the root) or every unit
    of ``level``, each with its sub-units. A ratio over fewer than ``IOC_MIN_SAMPLE`` items is
    listed unranked (``small_sample``) unless ``include_small``."""
    if kpi_id not in CATALOGUE:
        raise KeyError(f"unknown KPI {kpi_id!r}")
    ctx = _context(now, targets, tz)
    p = _period(period, ctx.today)

    n = 0 if include_small else min_sample()

    def compute(s: Session) -> tuple[RankRow, ...]:
        return tuple(
            ranking_mod.rank_units(
                s,
                kpi_id,
                p,
                parent=parent,
                level=level,
                now=ctx.now,
                tz=ctx.tz,
                targets=ctx.targets,
                min_sample=n,
            )
        )

    return cached_by_version("kpi_ranking", session, compute, kpi_id, p.key, parent, level, ctx.key, f"n{n}")


def service_index(
    session: Session,
    unit: int | str | None = None,
    period: Period | str | None = None,
    *,
    now: datetime | None = None,
    targets: Targets | None = None,
    tz: ZoneInfo | None = None,
) -> ServiceIndexReport:
    """The 766 index of a unit (with its sub-units) or the agency: published and estimated."""
    ctx = _context(now, targets, tz)
    p = _period(period, ctx.today)

    def compute(s: Session) -> ServiceIndexReport:
        from dashboard.kpi.catalogue import service_index_figures

        tree = engine.UnitTree.load(s)
        scope = engine.resolve_scope(s, unit, True, tree)
        x = engine.inputs_for(s, scope, p, ("DVC-14",), now=ctx.now, tz=ctx.tz, targets=ctx.targets)
        figures = service_index_figures(x)
        est = si.estimate(figures, x["index:inputs"])
        unit_id = scope.unit_id
        if unit_id is None:
            roots = tree.children.get(None, [])
            unit_id = roots[0] if len(roots) == 1 else None
        published = si.published_score(s, unit_id, p) if unit_id is not None else None
        latest = si.latest_published(s, unit_id, p.end) if unit_id is not None else None
        by_indicator = si.published_indicators(s, unit_id, p) if unit_id is not None else {}
        bands = ctx.targets.bands
        return ServiceIndexReport(
            # An estimate with points not yet known has no band: it could still reach the next one.
            scope,
            p,
            est,
            si.band_for(est.points, bands) if est.complete else None,
            published,
            si.band_for(published.total, bands) if published else None,
            latest,
            ctx.now,
            by_indicator,
            figures["DVC-06"].denominator,
        )

    return cached_by_version("service_index", session, compute, _scope_key(unit, True), p.key, ctx.key)


@dataclass(frozen=True)
class PeerStanding:
    """A unit's figure on one KPI beside the whole agency's and its peers' (units of the same
    level under the same parent): the rank and the median only, never another unit's figure."""

    kpi_id: str
    value: float | None
    agency: float | None
    peers_median: float | None
    rank: int | None
    peers: int  # units of the same level holding a rank
    level: str
    status: str


def peer_standing(
    session: Session,
    unit: str,
    period: Period | str | None = None,
    kpi_ids: tuple[str, ...] = (),
    *,
    now: datetime | None = None,
    targets: Targets | None = None,
    tz: ZoneInfo | None = None,
) -> tuple[PeerStanding, ...]:
    """How ``unit`` stands on each of ``kpi_ids``: its value, the agency's, its peers' median and
    its rank among them (the rankings are the domain pages' own, cached)."""
    ctx = _context(now, targets, tz)
    p = _period(period, ctx.today)
    ids = tuple(k for k in kpi_ids if k in CATALOGUE)
    parent_id = session.scalar(select(OrgUnit.parent_id).where(OrgUnit.code == unit))
    if parent_id is None:
        return ()  # a root has no peers
    parent = session.scalar(select(OrgUnit.code).where(OrgUnit.id == parent_id))
    agency = overview(session, None, p, kpi_ids=ids, now=ctx.now, targets=ctx.targets, tz=ctx.tz)
    out = []
    for kpi_id in ids:
        rows = ranking(session, kpi_id, p, parent=parent, now=ctx.now, targets=ctx.targets, tz=ctx.tz)
        mine = next((r for r in rows if r.code == unit), None)
        if mine is None:
            continue
        others = sorted(
            r.value
            for r in rows
            if r.level == mine.level and r.rank is not None and r.value is not None and r.code != unit
        )
        out.append(
            PeerStanding(
                kpi_id=kpi_id,
                value=mine.value,
                agency=agency.tile(kpi_id).value,
                peers_median=_median(others),
                rank=mine.rank,
                peers=mine.peers,
                level=mine.level,
                status=mine.status,
            )
        )
    return tuple(out)


def _median(values: list[float]) -> float | None:
    """>>> _median([3.0, 1.0, 2.0]), _median([1.0, 2.0]), _median([])
    (2.0, 1.5, None)"""
    if not values:
        return None
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def action_list(
    session: Session,
    unit: int | str | None = None,
    *,
    include_children: bool = True,
    limit: int = 200,
    now: datetime | None = None,
    targets: Targets | None = None,
    tz: ZoneInfo | None = None,
    include_secret: bool = False,
) -> lists.ActionList:
    """Overdue and due-within-24 h dossiers and documents of a scope, and the paused dossiers;
    documents marked secret only with ``include_secret``."""
    ctx = _context(now, targets, tz)

    def compute(s: Session) -> lists.ActionList:
        scope = engine.resolve_scope(s, unit, include_children)
        return lists.action_list(
            s,
            scope,
            now=ctx.now,
            tz=ctx.tz,
            calendar=ctx.targets.calendar,
            limit=limit,
            include_secret=include_secret,
        )

    return cached_by_version(
        "action_list",
        session,
        compute,
        _scope_key(unit, include_children),
        limit,
        ctx.key,
        "secret" if include_secret else "open",
    )
