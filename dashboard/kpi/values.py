"""The plain values the KPI engine hands to pages: results, figures, comparisons, reasons.

Everything here is a frozen dataclass of plain data (dates, floats, strings), so results pickle
into the shared cache and pages never touch the database. ``None`` is "no value" and always
comes with a :class:`Reason`; it is never shown as 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from dashboard.kpi.periods import Period

STATUSES = ("green", "amber", "red", "none")


@dataclass(frozen=True)
class Reason:
    """Why a figure has no value, in words for the tooltip."""

    code: str  # empty_denominator, field_not_provided, no_facts, no_catalogue, no_history, …
    vi: str
    en: str
    #: The source field that is missing (``arrived_at``), for administrators and the API — not
    #: in the words people read.
    field: str | None = None

    def text(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi


def empty_denominator(what_vi: str, what_en: str) -> Reason:
    return Reason(
        "empty_denominator",
        f"Chưa có dữ liệu: không có {what_vi} trong kỳ",
        f"No data: no {what_en} in the period",
    )


def field_not_provided(field_name: str, what_vi: str, what_en: str) -> Reason:
    return Reason(
        "field_not_provided",
        f"Chưa có dữ liệu: nguồn dữ liệu chưa cung cấp {what_vi}",
        f"No data: the source systems do not provide {what_en}",
        field_name,
    )


def no_facts(domain_vi: str, domain_en: str) -> Reason:
    return Reason(
        "no_facts",
        f"Chưa có dữ liệu: chưa có nguồn nào cung cấp {domain_vi}",
        f"No data: no source has delivered {domain_en} yet",
    )


NO_CATALOGUE = Reason(
    "no_catalogue",
    "Chưa có dữ liệu: chưa thu thập danh mục thủ tục hành chính",
    "No data: the procedure catalogue has not been collected",
)
LIVE_ONLY = Reason(
    "live_only",
    "Chỉ số tức thời: không có giá trị cho kỳ đã qua",
    "A live gauge: there is no value for a past period",
)
NO_LIVE_DATA = Reason(
    "no_live_data",
    "Chưa có dữ liệu: máy chủ họp chưa báo số liệu trong 15 phút qua",
    "No data: no meeting server has reported in the last 15 minutes",
)


def no_history(day: date) -> Reason:
    return Reason(
        "no_history",
        f"Chưa có dữ liệu: không có ảnh chụp số liệu cuối ngày {day:%d/%m/%Y}",
        f"No data: no end-of-day snapshot for {day:%d %b %Y}",
    )


@dataclass(frozen=True)
class Figure:
    """One number with the fraction it comes from (for tooltips: "33.558 / 37.285")."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    reason: Reason | None = None

    def __post_init__(self):
        if self.value is None and self.reason is None:
            raise ValueError("a figure without a value must say why (reason)")


@dataclass(frozen=True)
class Outcome(Figure):
    """What a KPI formula returns: the headline figure and its named parts."""

    parts: Mapping[str, Figure] = field(default_factory=dict)
    estimate: bool = False
    from_aggregates: bool = False  # computed (partly) from OpenCPS aggregate counts (kpi/stats.py)


@dataclass(frozen=True)
class Comparison:
    """The same KPI over another period, and how the current value moved against it."""

    period: Period
    value: float | None
    numerator: float | None
    denominator: float | None
    delta: float | None  # current − other (percentage points × 0.01 for percentages)
    delta_ratio: float | None  # (current − other) ÷ |other|; None when other is 0 or missing
    trend: str | None  # "better", "worse", "same"; None without a direction or a value
    reason: Reason | None = None


@dataclass(frozen=True)
class Scope:
    """The units a result covers: one unit, a unit with its sub-units, or the whole agency."""

    key: str  # "all" or "<code>" or "<code>+" (with sub-units): stable for cache keys and URLs
    unit_id: int | None  # the scope's unit; None for the whole agency
    unit_ids: tuple[int, ...] | None  # every unit counted; None = every unit of the store
    code: str | None
    name_vi: str
    name_en: str
    include_children: bool = True

    def name(self, lang: str = "vi") -> str:
        return self.name_en if lang == "en" else self.name_vi


@dataclass(frozen=True)
class KpiResult:
    """One KPI for one scope and period: the tile, its tooltip, its sparkline and comparisons."""

    kpi_id: str
    scope: Scope
    period: Period
    value: float | None
    numerator: float | None
    denominator: float | None
    unit: str
    status: str  # green / amber / red / none
    target: float | None
    reason: Reason | None
    parts: Mapping[str, Figure]
    previous: Comparison | None
    last_year: Comparison | None
    series: tuple[tuple[date, float | None], ...]
    as_of: datetime
    estimate: bool = False  # a computed estimate of an official figure (766: "ước tính")
    published: bool = False  # an official published figure (766 imported scores)
    from_aggregates: bool = False  # "từ số liệu tổng hợp OpenCPS": some units only publish monthly counts


@dataclass(frozen=True)
class RankRow:
    """A unit's place among its peers on one KPI (competition ranking: 1, 2, 2, 4)."""

    unit_id: int
    code: str
    name_vi: str
    name_en: str
    value: float | None
    numerator: float | None
    denominator: float | None
    status: str
    rank: int | None  # None: no value, listed last
    previous_value: float | None
    previous_rank: int | None
    rank_change: int | None  # previous rank − rank: +2 = up two places
    reason: Reason | None = None
    estimate: bool = False  # the value is an estimate of an official figure (766 without a published score)
    small_sample: bool = False  # a ratio over fewer items than the minimum: not ranked (kpi/samples.py)
    level: str = ""  # the unit's level: ranks are counted among units of the same level only
    peers: int = 0  # how many units of that level hold a rank (the "of" in "3rd of 34")
