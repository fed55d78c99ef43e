"""The morning briefing (báo cáo giao ban): the figures of one scope for one template and day.

:func:`gather` reads everything from the KPI engine and the pages' data door — the same numbers as
the tiles, the 766 page, the action list and the Sources page — and returns a :class:`Briefing`
of plain sections (tables of already formatted cells with their raw values) that
:mod:`dashboard.briefing_render` draws as a PDF and an XLSX. Nothing here computes a KPI.

Which days a briefing covers (``template``, for a briefing dated D): its reference day R is the
last *working* day before D (the morning meeting reports on complete days), and the figures are as
at the end of R::

    daily      R alone                                   (compared with the day before)
    weekly     the 7 days ending R                       (compared with the 7 days before)
    monthly    month to date up to R                     (compared with the same days of last month)
    reporting  the Decree 09 reporting period holding R  (15th–14th; compared with the previous one)

Sections come from a registry (:func:`register_section`): the built-in ones (KPIs, red tiles and
why, longest-overdue items, the 766 index, source health) and the ones other features add later
("firing alerts", "open explanation requests"), whose key is reserved here: without a provider such
a section is kept in the report and says that the feature is not set up, so the layout of the
briefing does not change when it arrives.

>>> reference_day(date(2026, 12, 7))     # a Monday: the Friday before
datetime.date(2026, 12, 4)
>>> template_period("weekly", date(2026, 12, 7)).key
'rolling7:2026-11-28:2026-12-04'
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dashboard.i18n import fmt_date, fmt_datetime, fmt_number, normalise_language
from dashboard.kpi import engine
from dashboard.kpi.catalogue import CATALOGUE, KPI_IDS
from dashboard.kpi.display import format_delta, format_value
from dashboard.kpi.periods import Period
from dashboard.kpi.values import KpiResult, Scope
from dashboard.kpi.workdays import WorkingCalendar
from dashboard.targets import DEFAULT_TARGETS, Targets
from dashboard.timeutil import VN_TZ

log = logging.getLogger(__name__)

TEMPLATES: dict[str, tuple[str, str]] = {
    "daily": ("Hằng ngày", "Daily"),
    "weekly": ("Hằng tuần", "Weekly"),
    "monthly": ("Hằng tháng", "Monthly"),
    "reporting": ("Kỳ báo cáo", "Reporting period"),
}
STATUS_NAMES = {
    "green": ("Đạt", "On target"),
    "amber": ("Cần chú ý", "Watch"),
    "red": ("Không đạt", "Off target"),
    "none": ("Không xếp loại", "Not rated"),  # no target, or no value
}
#: How many overdue items the briefing lists (the longest overdue first).
OVERDUE_ROWS = 10


class BriefingError(ValueError):
    """A briefing that cannot be made as asked (unknown template, unknown unit)."""


# --- days -----------------------------------------------------------------------------------------------
def reference_day(day: date, calendar: WorkingCalendar | None = None) -> date:
    """The last working day before ``day``: what a briefing dated ``day`` reports on."""
    calendar = calendar or WorkingCalendar()
    ref = day - timedelta(days=1)
    for _ in range(30):  # Tết is the longest break (about 9 days)
        if calendar.is_working_day(ref):
            return ref
        ref -= timedelta(days=1)
    return day - timedelta(days=1)


def template_period(template: str, day: date, calendar: WorkingCalendar | None = None) -> Period:
    if template not in TEMPLATES:
        raise BriefingError(f"unknown template {template!r}; expected one of {', '.join(TEMPLATES)}")
    ref = reference_day(day, calendar)
    if template == "daily":
        return Period.custom(ref, ref)
    if template == "weekly":
        return Period.rolling(7, ref)
    if template == "monthly":
        return Period.month_to_date(ref)
    return Period.reporting_containing(ref)


def as_at(ref: date, tz: ZoneInfo) -> datetime:
    """The end of the reference day: the moment the briefing's figures stand at."""
    return datetime.combine(ref, time(23, 59, 59), tz)


# --- what a briefing holds ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Shown:
    """A cell: the text people read and the raw value a spreadsheet keeps (a number stays a
    number). ``fmt``: the spreadsheet number format of ``value``."""

    text: str
    value: Any = None
    fmt: str | None = None

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]  # str, Shown, date, int/float


@dataclass(frozen=True)
class SectionContent:
    key: str
    title: str
    table: Table | None = None
    note: str | None = None  # a sentence under the title (or the only content)
    present: bool = True  # False: no provider is set up (the note says so)


@dataclass(frozen=True)
class Chart:
    """A bar chart: labels and values (None: no value), drawn by the renderer."""

    title: str
    labels: tuple[str, ...]
    values: tuple[float | None, ...]
    unit: str  # the KPI unit: percent / count / …
    colours: tuple[str, ...] = ()


@dataclass(frozen=True)
class Briefing:
    scope: Scope
    template: str
    day: date  # the briefing's date (the morning it is for)
    reference: date  # the last working day before it
    period: Period
    as_at: datetime
    lang: str
    agency: str
    sections: tuple[SectionContent, ...]
    status_counts: Mapping[str, int]
    index_score: str | None
    charts: tuple[Chart, ...] = ()
    results: Mapping[str, KpiResult] = field(default_factory=dict)

    def section(self, key: str) -> SectionContent:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)

    @property
    def title(self) -> str:
        return text("title", self.lang)

    @property
    def subtitle(self) -> str:
        return f"{self.scope.name(self.lang)} — {TEMPLATES[self.template][self.lang == 'en']}"


# --- the words (the PDF and the spreadsheet say the same) ---------------------------------------------------
TEXT: dict[str, tuple[str, str]] = {
    "title": ("BÁO CÁO GIAO BAN", "MORNING BRIEFING"),
    "agency": ("Cơ quan", "Agency"),
    "scope": ("Phạm vi", "Scope"),
    "template": ("Mẫu báo cáo", "Template"),
    "period": ("Kỳ số liệu", "Period"),
    "as_at": ("Số liệu tính đến", "Figures as at"),
    "made_at": ("Lập lúc", "Made at"),
    "summary": ("Tóm tắt", "Summary"),
    "index": ("Chỉ số 766", "766 index"),
    "kpi": ("Mã", "Id"),
    "name": ("Chỉ số", "KPI"),
    "value": ("Giá trị", "Value"),
    "status": ("Trạng thái", "Status"),
    "target": ("Mục tiêu", "Target"),
    "previous": ("Kỳ trước", "Previous period"),
    "change": ("Thay đổi", "Change"),
    "why": ("Lý do", "Why"),
    "kind": ("Loại", "Kind"),
    "item": ("Số hiệu", "Item"),
    "unit": ("Đơn vị", "Unit"),
    "due": ("Hạn", "Due"),
    "overdue_days": ("Quá hạn (ngày làm việc)", "Overdue (working days)"),
    "dossier": ("Hồ sơ", "Dossier"),
    "document": ("Văn bản", "Document"),
    "group": ("Nhóm", "Group"),
    "points": ("Điểm", "Points"),
    "max_points": ("Tối đa", "Maximum"),
    "source": ("Nguồn", "Source"),
    "domain": ("Lĩnh vực", "Domain"),
    "state": ("Tình trạng", "State"),
    "last_success": ("Thành công gần nhất", "Last success"),
    "failed_24h": ("Lỗi trong 24 giờ", "Failures in 24 h"),
    "section_failed": (
        "Không lấy được số liệu của mục này (lỗi đã được ghi vào nhật ký máy chủ).",
        "This section could not be filled (the error is in the server log).",
    ),
    "not_set_up": (
        "Chưa thiết lập: mục này sẽ có số liệu khi chức năng tương ứng được bật.",
        "Not set up: this section fills in once its feature is enabled.",
    ),
    "no_red": ("Không có chỉ số nào không đạt.", "No KPI is off target."),
    "no_overdue": ("Không có hồ sơ, văn bản quá hạn.", "Nothing is overdue."),
    "no_sources": ("Chưa có nguồn dữ liệu nào chạy.", "No source has run yet."),
    "published": ("công bố", "published"),
    "estimated": ("ước tính của IOC", "IOC's estimate"),
    "unknown_points": ("chưa biết {n} điểm", "{n} points not yet known"),
    "chart_status": ("Số chỉ số theo trạng thái", "KPIs by status"),
    "chart_series": ("{name} theo ngày", "{name} by day"),
    "page": ("Trang {n}", "Page {n}"),
}


def text(key: str, lang: str = "vi", **values: object) -> str:
    vi, en = TEXT[key]
    out = en if normalise_language(lang) == "en" else vi
    return out.format(**values) if values else out


# --- the sections registry -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Context:
    """What a section provider gets: the scope, the days, the engine's results and the store."""

    session: Session
    scope: Scope
    period: Period
    reference: date
    now: datetime  # the moment the figures stand at (end of the reference day)
    tz: ZoneInfo
    lang: str
    targets: Targets
    results: Mapping[str, KpiResult]
    sources: tuple = ()  # collectors.base.SourceConfig, for freshness targets


#: A provider returns the section's table and/or note, or None to leave the section out.
Provider = Callable[[Context], SectionContent | None]


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title_vi: str
    title_en: str
    order: int
    provider: Provider | None = None

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_vi


_REGISTRY: dict[str, SectionSpec] = {}


def register_section(
    key: str, title_vi: str, title_en: str, order: int, provider: Provider | None = None
) -> None:
    """Add or replace a section. A section registered without a provider is a reserved place:
    it is drawn with a "not set up" line. Registering the provider later (same key) fills it."""
    _REGISTRY[key] = SectionSpec(key, title_vi, title_en, order, provider)


def set_provider(key: str, provider: Provider | None) -> None:
    """Give a reserved section (``alerts``, ``explanations``) its provider."""
    spec = _REGISTRY[key]
    _REGISTRY[key] = SectionSpec(spec.key, spec.title_vi, spec.title_en, spec.order, provider)


def sections() -> list[SectionSpec]:
    return sorted(_REGISTRY.values(), key=lambda s: (s.order, s.key))


# --- built-in sections -----------------------------------------------------------------------------------
def _status(status: str, lang: str) -> str:
    return STATUS_NAMES.get(status, STATUS_NAMES["none"])[lang == "en"]


def _tile_status(result: KpiResult, lang: str) -> str:
    """A tile's status in words; a value without a target is "no target", not "no data"."""
    if result.status == "none":
        if result.value is None:
            return format_value(None, result.unit, lang)
        return "Không có mục tiêu" if lang == "vi" else "No target"
    return _status(result.status, lang)


def _target_text(result: KpiResult, lang: str) -> str:
    if result.target is None:
        return "–"
    direction = CATALOGUE[result.kpi_id].direction
    sign = "≥ " if direction == "up" else "≤ " if direction == "down" else ""
    return sign + format_value(result.target, result.unit, lang)


def _number_format(unit: str) -> str:
    return {"percent": "0.00%", "count": "#,##0"}.get(unit, "#,##0.00")


def value_cell(value: float | None, unit: str, lang: str) -> Shown:
    return Shown(format_value(value, unit, lang), value, _number_format(unit) if value is not None else None)


def _kpis(ctx: Context) -> SectionContent:
    lang = ctx.lang
    rows = []
    for kpi_id, r in ctx.results.items():
        prev = r.previous
        rows.append(
            (
                kpi_id,
                CATALOGUE[kpi_id].name(lang),
                value_cell(r.value, r.unit, lang),
                _tile_status(r, lang),
                _target_text(r, lang),
                value_cell(prev.value if prev else None, r.unit, lang),
                Shown(format_delta(prev.delta if prev else None, r.unit, lang), prev.delta if prev else None),
            )
        )
    cols = tuple(text(k, lang) for k in ("kpi", "name", "value", "status", "target", "previous", "change"))
    return SectionContent("kpis", "", Table(cols, tuple(rows)))


def why_red(result: KpiResult, lang: str = "vi") -> str:
    """Why a tile is red, in one sentence: the value against its target, the fraction it comes
    from, and how it moved against the previous period."""
    value = format_value(result.value, result.unit, lang)
    parts = [
        f"{value} {'vs target' if lang == 'en' else 'so với mục tiêu'} {_target_text(result, lang)}"
        if result.target is not None
        else value
    ]
    if result.numerator is not None and result.denominator is not None and result.unit == "percent":
        parts.append(f"{fmt_number(result.numerator, lang)} / {fmt_number(result.denominator, lang)}")
    prev = result.previous
    if prev is not None and prev.delta is not None:
        moved = {"better": ("tốt lên", "better"), "worse": ("xấu đi", "worse"), "same": ("không đổi", "same")}
        word = moved.get(prev.trend or "", ("", ""))[lang == "en"]
        parts.append(
            f"{'previous period' if lang == 'en' else 'kỳ trước'} {format_value(prev.value, result.unit, lang)}"
            f" ({format_delta(prev.delta, result.unit, lang)}{', ' + word if word else ''})"
        )
    return "; ".join(parts)


def _red(ctx: Context) -> SectionContent:
    lang = ctx.lang
    rows = tuple(
        (kpi_id, CATALOGUE[kpi_id].name(lang), value_cell(r.value, r.unit, lang), why_red(r, lang))
        for kpi_id, r in ctx.results.items()
        if r.status == "red"
    )
    if not rows:
        return SectionContent("red", "", note=text("no_red", lang))
    cols = tuple(text(k, lang) for k in ("kpi", "name", "value", "why"))
    return SectionContent("red", "", Table(cols, rows))


def _overdue(ctx: Context) -> SectionContent:
    from dashboard.kpi import lists

    lang = ctx.lang
    found = lists.action_list(
        ctx.session,
        ctx.scope,
        now=ctx.now,
        tz=ctx.tz,
        calendar=ctx.targets.calendar,
        limit=OVERDUE_ROWS,
        include_secret=False,  # a briefing is mailed: secret documents never go into it
    )
    items = sorted(found.overdue, key=lambda i: (-(i.working_days_overdue or 0), i.due_at or ctx.now))
    rows = tuple(
        (
            text("dossier" if i.kind == "dossier" else "document", lang),
            i.source_id,
            i.unit_name_en if lang == "en" else i.unit_name_vi,
            i.due_day or (i.due_at.astimezone(ctx.tz).date() if i.due_at else "–"),
            Shown(fmt_number(i.working_days_overdue, lang), i.working_days_overdue, "0"),
        )
        for i in items[:OVERDUE_ROWS]
    )
    if not rows:
        return SectionContent("overdue", "", note=text("no_overdue", lang))
    cols = tuple(text(k, lang) for k in ("kind", "item", "unit", "due", "overdue_days"))
    return SectionContent("overdue", "", Table(cols, rows))


def index_summary(report, lang: str) -> str | None:
    """The 766 score as the 766 page words it: published, or IOC's estimate with unknown points."""
    if report.score is None:
        return None
    score = fmt_number(report.score, lang, 2)
    if not report.is_estimate:
        band = report.published_band.name(lang) if report.published_band else ""
        return f"{score} ({text('published', lang)}{', ' + band if band else ''})"
    extra = text("estimated", lang)
    if report.estimate.unknown_points:
        extra += "; " + text("unknown_points", lang, n=fmt_number(report.estimate.unknown_points, lang, 2))
    elif report.estimate_band is not None:
        extra += ", " + report.estimate_band.name(lang)
    return f"{score} ({extra})"


def _index(ctx: Context) -> SectionContent:
    from dashboard import queries

    lang = ctx.lang
    report = queries.service_index(
        ctx.session, ctx.scope.unit_id, ctx.period, now=ctx.now, targets=ctx.targets, tz=ctx.tz
    )
    rows = tuple(
        (
            g.name(lang),
            Shown(fmt_number(g.points, lang, 2), g.points, "0.00"),
            Shown(fmt_number(g.max_points, lang, 2), g.max_points, "0.00"),
        )
        for g in report.estimate.groups
    )
    cols = tuple(text(k, lang) for k in ("group", "points", "max_points"))
    summary = index_summary(report, lang)
    return SectionContent("index", "", Table(cols, rows), note=f"{text('index', lang)}: {summary or '–'}")


_SOURCE_STATES = {
    "ok": ("Bình thường", "OK"),
    "running": ("Đang chạy", "Running"),
    "stale": ("Chậm cập nhật", "Stale"),
    "error": ("Đang lỗi", "Failing"),
    "refused": ("Có tệp bị từ chối", "Files refused"),
    "never": ("Chưa chạy", "Never run"),
    "disabled": ("Tắt", "Disabled"),
}


def _sources(ctx: Context) -> SectionContent:
    from dashboard.health import source_health

    lang = ctx.lang
    health = source_health(ctx.session, list(ctx.sources))
    rows = tuple(
        (
            h.name,
            h.domain or "–",
            _SOURCE_STATES.get(h.state, (h.state, h.state))[lang == "en"],
            fmt_datetime(h.last_success_at, lang, ctx.tz) if h.last_success_at else "–",
            Shown(fmt_number(h.failed_24h, lang), h.failed_24h, "0"),
        )
        for h in health
    )
    if not rows:
        return SectionContent("sources", "", note=text("no_sources", lang))
    cols = tuple(text(k, lang) for k in ("source", "domain", "state", "last_success", "failed_24h"))
    return SectionContent("sources", "", Table(cols, rows))


register_section("kpis", "Các chỉ số", "KPIs", 60, _kpis)
register_section("red", "Chỉ số không đạt và lý do", "KPIs off target and why", 10, _red)
register_section("overdue", "Hồ sơ, văn bản quá hạn lâu nhất", "Longest-overdue items", 20, _overdue)
register_section("index", "Chỉ số phục vụ người dân, doanh nghiệp (766)", "Service index (766)", 30, _index)
# Reserved for the alerting and explanation-request features (issue 18 parts 1–5): they call
# set_provider("alerts", …) / set_provider("explanations", …) when they are wired in.
register_section("alerts", "Cảnh báo đang kích hoạt", "Firing alerts", 40)
register_section("explanations", "Yêu cầu giải trình đang mở", "Open explanation requests", 50)
register_section("sources", "Tình trạng nguồn dữ liệu", "Source health", 70, _sources)


# --- gathering --------------------------------------------------------------------------------------------
#: KPIs drawn as a daily bar chart when the scope has them (the headline figures of a meeting).
CHART_KPIS = tuple(k for k in ("DVC-06", "DVC-01") if k in CATALOGUE)


def _charts(results: Mapping[str, KpiResult], counts: Mapping[str, int], lang: str):
    charts = [
        Chart(
            text("chart_status", lang),
            tuple(_status(s, lang) for s in ("green", "amber", "red", "none")),
            tuple(float(counts.get(s, 0)) for s in ("green", "amber", "red", "none")),
            "count",
            ("#2e7d32", "#f9a825", "#c62828", "#9e9e9e"),
        )
    ]
    for kpi_id in CHART_KPIS:
        r = results.get(kpi_id)
        if r is None or not r.series:
            continue
        days = list(r.series)  # the period up to the reference day, at least a week (engine's rule)
        charts.append(
            Chart(
                text("chart_series", lang, name=f"{kpi_id} {CATALOGUE[kpi_id].name(lang)}"),
                tuple(f"{d:%d/%m}" for d, _ in days),
                tuple(v for _, v in days),
                r.unit,
            )
        )
    return tuple(charts)


@contextmanager
def _app_context():
    """The data door caches through flask-caching: outside a web request (CLI, scheduler) give it
    an application whose cache stores nothing, so every figure is computed from the store."""
    from flask import Flask, has_app_context

    if has_app_context():
        yield
        return
    from dashboard.cache import cache

    app = Flask("ioc-briefing")
    with warnings.catch_warnings():  # ("caching is effectively disabled": that is the point)
        warnings.simplefilter("ignore", UserWarning)
        cache.init_app(app, config={"CACHE_TYPE": "NullCache"})
    with app.app_context():
        yield


def gather(
    session: Session,
    unit: str | None,
    day: date,
    template: str = "daily",
    *,
    tz: ZoneInfo = VN_TZ,
    targets: Targets | None = None,
    lang: str = "vi",
    agency: str = "",
    sources: tuple = (),
) -> Briefing:
    """The briefing of ``unit`` (a unit code with its sub-units; None: the whole agency) dated
    ``day``. The unit must be checked against the caller's scope before (dashboard.access)."""
    targets = targets or DEFAULT_TARGETS
    lang = normalise_language(lang)
    period = template_period(template, day, targets.calendar)
    ref = reference_day(day, targets.calendar)
    now = as_at(ref, tz)
    try:
        scope = engine.resolve_scope(session, unit, True)
    except engine.UnknownUnitError:
        raise BriefingError(f"unknown unit {unit!r}") from None
    results = engine.compute(
        session, scope, period, KPI_IDS, now=now, tz=tz, targets=targets, as_of=True, with_series=False
    )
    # The daily series only for the charted KPIs (a series for every KPI doubles the time).
    series = engine.compute(
        session, scope, period, CHART_KPIS, now=now, tz=tz, targets=targets, as_of=True, compare_periods=False
    )
    counts = {s: sum(1 for r in results.values() if r.status == s) for s in ("green", "amber", "red", "none")}
    ctx = Context(session, scope, period, ref, now, tz, lang, targets, results, tuple(sources))
    out = []
    index_note = None
    with _app_context():
        for spec in sections():
            if spec.provider is None:
                out.append(
                    SectionContent(spec.key, spec.title(lang), note=text("not_set_up", lang), present=False)
                )
                continue
            try:
                content = spec.provider(ctx)
            except Exception:  # one broken section must not cost the morning its briefing
                log.exception("briefing section %s failed for %s", spec.key, scope.key)
                content = SectionContent(spec.key, "", note=text("section_failed", lang))
            if content is None:
                continue
            out.append(
                SectionContent(spec.key, spec.title(lang), content.table, content.note, content.present)
            )
            if spec.key == "index":
                index_note = content.note
    return Briefing(
        scope=scope,
        template=template,
        day=day,
        reference=ref,
        period=period,
        as_at=now,
        lang=lang,
        agency=agency,
        sections=tuple(out),
        status_counts=counts,
        index_score=index_note,
        charts=_charts(series, counts, lang),
        results=results,
    )


def header_rows(b: Briefing, made_at: datetime | None = None) -> list[tuple[str, str]]:
    """The lines under the title (label, value), shared by the PDF and the spreadsheet."""
    lang = b.lang
    rows = [
        (text("agency", lang), b.agency),
        (text("scope", lang), b.scope.name(lang)),
        (text("template", lang), TEMPLATES[b.template][lang == "en"]),
        (text("period", lang), period_label(b)),
        (text("as_at", lang), fmt_datetime(b.as_at, lang)),
    ]
    if made_at is not None:
        rows.append((text("made_at", lang), fmt_datetime(made_at, lang, b.as_at.tzinfo)))
    return [(k, v) for k, v in rows if v]


def period_label(b: Briefing) -> str:
    """ "Ngày 04/12/2026" for a daily briefing; the period's own label otherwise."""
    if b.template == "daily":
        return ("Day " if b.lang == "en" else "Ngày ") + fmt_date(b.reference, b.lang)
    return b.period.label(b.lang)


def summary_line(b: Briefing) -> str:
    """One sentence for the e-mail body and the page: how many KPIs are on target, off target."""
    lang = b.lang
    c = b.status_counts
    parts = [f"{_status(s, lang)}: {c.get(s, 0)}" for s in ("green", "amber", "red", "none")]
    line = "; ".join(parts)
    if b.index_score:
        line += f". {b.index_score}"
    return line


def report_date_text(b: Briefing) -> str:
    return fmt_date(b.day, b.lang)


__all__ = [
    "TEMPLATES",
    "Briefing",
    "BriefingError",
    "Context",
    "SectionContent",
    "Shown",
    "Table",
    "gather",
    "reference_day",
    "register_section",
    "set_provider",
    "template_period",
]

# The alerting and explanation-request sections (they import this module, so they come last).
from dashboard import briefing_sections  # noqa: E402, F401
