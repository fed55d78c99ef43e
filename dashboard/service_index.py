"""The national service index (Decision 766/QĐ-TTg, 23/6/2022): our estimate and the official
published scores.

The index gives an agency 100 points in six groups (domain.md §3). Dossier data allows some of its
indicators; for the others (procedures published on time, petitions, reuse of digitised data …)
the source systems say nothing. :func:`estimate` scores what the data allows, exactly by the
published rules (each indicator rounded to 2 decimals, groups summed from rounded indicators),
marks the rest as *unknown* rather than 0, and says where points are lost. It is always labelled
an estimate ("ước tính"); an official score imported with ``ioc scores import FILE`` is shown as
published instead whenever one exists for the unit and period.

Official CSV (UTF-8 or UTF-16, ``,`` or ``;``, decimal comma or point), one row per unit and
period::

    ma_don_vi;ky;tong_diem;cong_khai;tien_do;dvctt;thanh_toan;hai_long;so_hoa;ngay_cong_bo
    SO-01;03/2026;82,15;16,5;18,2;10;7,5;15,45;14,5;05/04/2026

``ky`` (period) is a month ``03/2026`` / ``2026-03``, a quarter ``Q1/2026`` / ``2026-Q1`` or a year
``2026``. English headers (``unit_code, period, total, transparency, progress, online_services,
online_payment, satisfaction, digitisation, published_on``) work too. The import is all or
nothing: every problem is reported with its line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import index_inputs
from dashboard.db import bump_data_version
from dashboard.errors import IocError
from dashboard.kpi.periods import Period
from dashboard.kpi.values import Figure, Reason
from dashboard.models import IndexIndicatorScore, OfficialScore, OrgUnit
from dashboard.upsert import upsert


class ScoreImportError(IocError):
    """An official score file cannot be imported; ``problems`` lists every problem found."""

    exit_code = 6

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"{source}: {problems[0]}{more}; nothing was imported")


# --- rating bands ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Band:
    """A rating band: scores at or above ``min_score`` (and below the next band) get this name."""

    min_score: float
    name_vi: str
    name_en: str

    def name(self, lang: str = "vi") -> str:
        return self.name_en if lang == "en" else self.name_vi


#: Not nationally fixed (domain.md §3): the product's default, configurable in targets.toml.
DEFAULT_BANDS: tuple[Band, ...] = (
    Band(90, "Xuất sắc", "Excellent"),
    Band(80, "Tốt", "Good"),
    Band(70, "Khá", "Fair"),
    Band(50, "Trung bình", "Average"),
    Band(0, "Yếu", "Weak"),
)


def band_for(score: float | None, bands: tuple[Band, ...] = DEFAULT_BANDS) -> Band | None:
    if score is None:
        return None
    for band in sorted(bands, key=lambda b: -b.min_score):
        if score >= band.min_score:
            return band
    return None


# --- the estimate --------------------------------------------------------------------------------------
UNKNOWN = Reason(
    "not_yet_known",
    "Chưa có số liệu: không tính được từ dữ liệu hồ sơ; nhập số liệu công bố của Cổng DVC quốc gia (ioc scores import)",
    "No data yet: not computable from dossier data; import the national portal's published figures (ioc scores import)",
)
NO_PETITIONS = Reason(
    "no_petitions",
    "Không có phản ánh, kiến nghị trong kỳ: đạt điểm tối đa theo quy tắc 766",
    "No petitions in the period: full points by the 766 rule",
)
SPLIT_NOT_PUBLIC = Reason(
    "split_not_public",
    "Cách chia 12 điểm của nhóm này chưa được công bố: IOC chia đều 4 điểm cho mỗi đầu vào (ước tính)",
    "The official split of this group's 12 points is not public: IOC gives 4 points to each input (estimate)",
)


@dataclass(frozen=True)
class Indicator:
    key: str
    name_vi: str
    name_en: str
    max_points: float
    points: float | None  # None: not yet known (no figure from the store nor an input)
    ratio: float | None
    rule: str  # the scoring rule, as published
    reason: Reason | None = None
    source: str = "computed"  # "computed" from the store, else the input provider's label; "" unknown

    @property
    def lost(self) -> float | None:
        return None if self.points is None else round(self.max_points - self.points, 2)

    @property
    def known(self) -> bool:
        return self.points is not None

    def name(self, lang: str = "vi") -> str:
        return self.name_en if lang == "en" else self.name_vi


@dataclass(frozen=True)
class Group:
    key: str
    name_vi: str
    name_en: str
    max_points: float
    indicators: tuple[Indicator, ...]
    estimate_split: bool = False  # the official split of the group's points is not public

    @property
    def points(self) -> float:
        """The points of the known indicators (each already rounded to 2 decimals)."""
        return round(min(self.max_points, sum(i.points for i in self.indicators if i.points is not None)), 2)

    @property
    def known_max(self) -> float:
        """The most the known indicators can give (the group's cap applies)."""
        return round(
            min(self.max_points, sum(i.max_points for i in self.indicators if i.points is not None)), 2
        )

    @property
    def unknown_points(self) -> float:
        """The group's points not yet known (indicators without a figure): never counted as 0."""
        return round(self.max_points - self.known_max, 2)

    @property
    def complete(self) -> bool:
        return all(i.known for i in self.indicators)

    def name(self, lang: str = "vi") -> str:
        return self.name_en if lang == "en" else self.name_vi


@dataclass(frozen=True)
class ServiceIndexEstimate:
    """The 766 index on its 100-point scale as far as the store and the inputs allow: never a
    published figure, never rescaled over the known indicators."""

    groups: tuple[Group, ...]

    @property
    def points(self) -> float:
        """Points of the known indicators, on the 100-point scale."""
        return round(sum(g.points for g in self.groups), 2)

    @property
    def known_max(self) -> float:
        return round(sum(g.known_max for g in self.groups), 2)

    @property
    def unknown_points(self) -> float:
        """Points not yet known: the estimate lies between ``points`` and ``points + unknown_points``."""
        return round(sum(g.unknown_points for g in self.groups), 2)

    @property
    def complete(self) -> bool:
        return all(g.complete for g in self.groups)

    @property
    def lost(self) -> list[tuple[Group, Indicator, float]]:
        """Where points are lost (known indicators), most first."""
        out = [(g, i, i.lost) for g in self.groups for i in g.indicators if i.lost]
        return sorted(out, key=lambda row: -row[2])

    @property
    def unknown(self) -> list[tuple[Group, Indicator]]:
        """The indicators not yet known, with their maximum points."""
        return [(g, i) for g in self.groups for i in g.indicators if not i.known]

    def group(self, key: str) -> Group:
        for g in self.groups:
            if g.key == key:
                return g
        raise KeyError(key)


def _pts(value: Fraction | float) -> float:
    """Round half up to 2 decimals, as the published scores are."""
    if isinstance(value, Fraction):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        exact = Decimal(repr(value))
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _exact(figure: Figure) -> Fraction:
    """The figure's ratio as an exact fraction when it comes from counts (no float rounding)."""
    if figure.numerator is not None and figure.denominator:
        r = Fraction(figure.numerator) / Fraction(figure.denominator)
    else:
        r = Fraction(figure.value)
    return max(Fraction(0), min(Fraction(1), r))


@dataclass(frozen=True)
class Rule:
    """A scoring rule: ``points × r``, or ``min(points, points × r ÷ full_at)``; ``empty`` is the
    score when there is nothing to measure (no petitions → 6; an empty denominator → 0)."""

    points: float
    full_at: float | None = None
    empty: float = 0.0

    def score(self, r: Fraction) -> float:
        r = max(Fraction(0), min(Fraction(1), r))
        if self.full_at is None:
            return _pts(Fraction(str(self.points)) * r)
        return _pts(
            min(Fraction(str(self.points)), Fraction(str(self.points)) * r / Fraction(str(self.full_at)))
        )


def _indicator(
    key: str,
    vi: str,
    en: str,
    max_points: float,
    rule_text: str,
    rule: Rule,
    figure: Figure | None,
    inputs: Mapping[str, Any],
) -> Indicator:
    """Score an indicator from the store's ``figure``, else from an input provider's figure, else
    leave it not yet known (its maximum points listed as unknown)."""
    reason = None
    if figure is not None:
        if figure.value is not None:
            r = _exact(figure)
            return Indicator(key, vi, en, max_points, rule.score(r), float(r), rule_text)
        if figure.reason is not None and figure.reason.code == "empty_denominator":
            # The official rules: nothing received, no dossiers, no fee dossiers → the empty score.
            return Indicator(key, vi, en, max_points, rule.empty, None, rule_text, figure.reason)
        reason = figure.reason
    given = inputs.get(key)
    if given is not None:
        if given.population == 0:
            why = NO_PETITIONS if rule.empty else None
            return Indicator(key, vi, en, max_points, rule.empty, None, rule_text, why, given.source)
        if given.ratio is not None:
            r = Fraction(str(given.ratio))
            return Indicator(key, vi, en, max_points, rule.score(r), float(r), rule_text, None, given.source)
        if given.points is not None:
            return Indicator(
                key,
                vi,
                en,
                max_points,
                _pts(min(max_points, max(0.0, given.points))),
                None,
                rule_text,
                None,
                given.source,
            )
    return Indicator(key, vi, en, max_points, None, None, rule_text, reason or UNKNOWN, "")


#: (group key, vi, en, max points, split not public, indicators); each indicator is
#: (key, vi, en, max points, rule text, rule, figure key in the store's figures or None).
INDEX_LAYOUT: tuple = (
    (
        "transparency",
        "Công khai, minh bạch",
        "Transparency",
        18,
        False,
        (
            (
                "published_on_time",
                "TTHC công bố đúng hạn",
                "Procedures published on time",
                6,
                "6 × r",
                Rule(6),
                None,
            ),
            (
                "updated_on_time",
                "TTHC cập nhật, công khai đúng hạn",
                "Procedures updated and published on time",
                4,
                "4 × r",
                Rule(4),
                None,
            ),
            (
                "full_content",
                "TTHC công khai đầy đủ nội dung",
                "Procedures published with full content",
                2,
                "2 × r",
                Rule(2),
                None,
            ),
            (
                "synced",
                "Hồ sơ đồng bộ lên Cổng DVC quốc gia",
                "Dossiers synchronised to the national portal",
                6,
                "6 × r",
                Rule(6),
                "sync",
            ),
        ),
    ),
    (
        "progress",
        "Tiến độ giải quyết",
        "Progress",
        20,
        False,
        (
            (
                "on_time",
                "Hồ sơ giải quyết đúng hạn (DVC-06)",
                "Dossiers resolved on time (DVC-06)",
                20,
                "20 × đúng hạn ÷ tiếp nhận; 0 khi không tiếp nhận hồ sơ",
                Rule(20),
                "DVC-06",
            ),
        ),
    ),
    (
        "online_services",
        "Dịch vụ công trực tuyến",
        "Online services",
        12,
        True,
        (
            (
                "provision",
                "TTHC cung cấp DVCTT (DVC-04)",
                "Procedures offered online (DVC-04)",
                4,
                "4 × min(1; r ÷ 0,8) — ước tính",
                Rule(4, 0.8),
                "provision",
            ),
            (
                "in_use",
                "DVCTT có phát sinh hồ sơ (DVC-05)",
                "Online services in use (DVC-05)",
                4,
                "4 × r — ước tính",
                Rule(4),
                "DVC-05",
            ),
            (
                "online_intake",
                "Hồ sơ trực tuyến (DVC-02)",
                "Online intake (DVC-02)",
                4,
                "4 × min(1; r ÷ 0,5) — ước tính",
                Rule(4, 0.5),
                "DVC-02",
            ),
        ),
    ),
    (
        "online_payment",
        "Thanh toán trực tuyến",
        "Online payment",
        10,
        False,
        (
            (
                "paid_online",
                "Hồ sơ thanh toán trực tuyến (DVC-10)",
                "Dossiers paid online (DVC-10)",
                6,
                "6 × A",
                Rule(6),
                "DVC-10",
            ),
            (
                "fee_procedures_paid",
                "TTHC có phí có thanh toán trực tuyến",
                "Fee procedures with an online payment",
                2,
                "min(2; 2,5 × B)",
                Rule(2, 0.8),
                "fee_procedures_paid",
            ),
            (
                "fees_synced",
                "TTHC có phí đồng bộ thu phí",
                "Fee procedures synchronised with their fees",
                2.5,
                "2,5 × C",
                Rule(2.5),
                None,
            ),
        ),
    ),
    (
        "satisfaction",
        "Mức độ hài lòng",
        "Satisfaction",
        18,
        False,
        (
            (
                "petitions_on_time",
                "Xử lý phản ánh, kiến nghị đúng hạn",
                "Petitions handled on time",
                6,
                "6 × r; không có phản ánh → 6",
                Rule(6, empty=6.0),
                None,
            ),
            (
                "petition_satisfaction",
                "Hài lòng về xử lý phản ánh, kiến nghị",
                "Satisfaction with petition handling",
                6,
                "6 × r; không có phản ánh → 6",
                Rule(6, empty=6.0),
                None,
            ),
            (
                "dossier_satisfaction",
                "Hài lòng về giải quyết hồ sơ (DVC-13)",
                "Satisfaction with dossier handling (DVC-13)",
                6,
                "min(6; 6 × r ÷ 0,9); không có hồ sơ → 0",
                Rule(6, 0.9),
                "DVC-13",
            ),
        ),
    ),
    (
        "digitisation",
        "Số hóa hồ sơ",
        "Digitisation",
        22,
        False,
        (
            (
                "e_results",
                "Cấp kết quả điện tử (DVC-11)",
                "Electronic results (DVC-11)",
                6,
                "6 × r",
                Rule(6),
                "DVC-11",
            ),
            (
                "digitised",
                "Số hóa hồ sơ (DVC-12)",
                "Digitised dossiers (DVC-12)",
                4,
                "4 × r",
                Rule(4),
                "DVC-12",
            ),
            (
                "reuse",
                "Tái sử dụng dữ liệu số hóa",
                "Reuse of digitised data",
                2,
                "min(2; 2 × r ÷ 0,8)",
                Rule(2, 0.8),
                None,
            ),
            (
                "citizen_store",
                "Hồ sơ kết nối kho dữ liệu công dân",
                "Dossiers linked to the citizen's data store",
                4,
                "4 × r",
                Rule(4),
                None,
            ),
            (
                "population_dossiers",
                "Hồ sơ sử dụng dữ liệu dân cư",
                "Dossiers using population data",
                2,
                "2 × r",
                Rule(2),
                None,
            ),
            (
                "population_procedures",
                "TTHC sử dụng dữ liệu dân cư",
                "Procedures using population data",
                2,
                "2 × r",
                Rule(2),
                None,
            ),
            (
                "certified_copies",
                "Chứng thực bản sao điện tử",
                "Electronic certified copies",
                2,
                "2 × r (r: tỷ lệ xã của tỉnh cung cấp; chung toàn tỉnh)",
                Rule(2),
                None,
            ),
        ),
    ),
)
GROUP_KEYS: tuple[str, ...] = tuple(g[0] for g in INDEX_LAYOUT)
INDICATOR_KEYS: tuple[str, ...] = tuple(i[0] for g in INDEX_LAYOUT for i in g[5])
INDICATOR_GROUP: dict[str, str] = {i[0]: g[0] for g in INDEX_LAYOUT for i in g[5]}
INDICATOR_MAX: dict[str, float] = {i[0]: float(i[3]) for g in INDEX_LAYOUT for i in g[5]}

index_inputs.register_fallback(index_inputs.ImportedInputs(INDICATOR_KEYS))


def _register_petitions() -> None:
    """The petitions domain answers for its two indicators from its own facts (imports otherwise)."""
    from dashboard.petitions import PetitionIndexInputs

    index_inputs.register(PetitionIndexInputs())


_register_petitions()


def estimate(figures: Mapping[str, Figure], inputs: Mapping[str, Any] | None = None) -> ServiceIndexEstimate:
    """Score the 766 index from the store's figures of one scope and period, and the inputs of
    the indicators the store cannot compute (:mod:`dashboard.index_inputs`).

    ``figures`` holds, by key: ``DVC-02``, ``DVC-05``, ``DVC-06``, ``DVC-10``, ``DVC-11``,
    ``DVC-12``, ``DVC-13`` (their headline figures), ``provision`` (procedures offered online ÷
    procedures), ``sync`` (dossiers synchronised to the national portal ÷ received),
    ``fee_procedures_paid`` (fee procedures with an online payment ÷ fee procedures). An indicator
    with neither a figure nor an input is not yet known: listed with its maximum points, never 0.
    """
    inputs = inputs or {}
    groups = []
    for key, vi, en, max_points, split, indicators in INDEX_LAYOUT:
        scored = tuple(
            _indicator(k, ivi, ien, imax, text, rule, figures.get(fkey) if fkey else None, inputs)
            for k, ivi, ien, imax, text, rule, fkey in indicators
        )
        groups.append(Group(key, vi, en, max_points, scored, estimate_split=split))
    return ServiceIndexEstimate(tuple(groups))


#: What a shortfall of an indicator means, in words ({short}: the share not reached, 1 − r).
_SHORTFALL: dict[str, tuple[str, str]] = {
    "published_on_time": (
        "{short} TTHC chưa được công bố đúng hạn",
        "{short} of procedures not published on time",
    ),
    "updated_on_time": (
        "{short} TTHC chưa được cập nhật, công khai đúng hạn",
        "{short} of procedures not updated on time",
    ),
    "full_content": (
        "{short} TTHC công khai chưa đầy đủ nội dung",
        "{short} of procedures published without full content",
    ),
    "synced": (
        "{short} hồ sơ chưa đồng bộ lên Cổng DVC quốc gia",
        "{short} of dossiers not synchronised to the national portal",
    ),
    "on_time": (
        "{short} hồ sơ không giải quyết đúng hạn (kể cả hồ sơ rút, dừng và đang quá hạn)",
        "{short} of dossiers not resolved on time (withdrawn, stopped and open overdue ones included)",
    ),
    "in_use": (
        "{short} dịch vụ công trực tuyến chưa phát sinh hồ sơ",
        "{short} of online services had no dossier",
    ),
    "paid_online": (
        "{short} hồ sơ có nghĩa vụ tài chính chưa thanh toán trực tuyến",
        "{short} of dossiers with fees not paid online",
    ),
    "fees_synced": (
        "{short} TTHC có phí chưa đồng bộ thu phí",
        "{short} of fee procedures not synchronised with their fees",
    ),
    "petitions_on_time": (
        "{short} phản ánh, kiến nghị xử lý không đúng hạn",
        "{short} of petitions not handled on time",
    ),
    "petition_satisfaction": ("{short} người phản ánh chưa hài lòng", "{short} of petitioners not satisfied"),
    "e_results": (
        "{short} hồ sơ chưa được cấp kết quả điện tử",
        "{short} of dossiers without an electronic result",
    ),
    "digitised": ("{short} hồ sơ chưa được số hóa", "{short} of dossiers not digitised"),
    "citizen_store": (
        "{short} hồ sơ chưa kết nối kho dữ liệu công dân",
        "{short} of dossiers not linked to the citizen's data store",
    ),
    "population_dossiers": (
        "{short} hồ sơ chưa sử dụng dữ liệu dân cư",
        "{short} of dossiers not using population data",
    ),
    "population_procedures": (
        "{short} TTHC chưa sử dụng dữ liệu dân cư",
        "{short} of procedures not using population data",
    ),
    "certified_copies": (
        "{short} xã của tỉnh chưa cung cấp chứng thực bản sao điện tử",
        "{short} of the province's communes do not offer electronic certified copies",
    ),
}
_BELOW_FULL = (
    "{name}: {ratio}, cần từ {full} để đạt điểm tối đa",
    "{name}: {ratio}, full points need {full}",
)
_POINTS_GIVEN = (
    "Theo số liệu nhập: đạt {points}/{max} điểm",
    "From the imported figures: {points} of {max} points",
)


def _pct(value: float | Fraction, lang: str) -> str:
    text = f"{float(value) * 100:.1f}".rstrip("0").rstrip(".")
    return (text.replace(".", ",") + " %") if lang != "en" else text + "%"


def why_lost(indicator: Indicator, lang: str = "vi") -> str:
    """Why ``indicator`` lost points (or has none yet), in words; "" when it has full points.

    >>> i = Indicator("on_time", "", "", 20, 17.5, 0.875, "")
    >>> why_lost(i)
    '12,5 % hồ sơ không giải quyết đúng hạn (kể cả hồ sơ rút, dừng và đang quá hạn)'
    >>> why_lost(Indicator("online_intake", "Hồ sơ trực tuyến", "Online intake", 4, 2.4, 0.3, ""), "en")
    'Online intake: 30%, full points need 50%'
    """
    en = lang == "en"
    if not indicator.known:
        return (indicator.reason or UNKNOWN).text(lang)
    if not indicator.lost:
        return ""
    if indicator.ratio is None:
        if indicator.reason is not None:
            return indicator.reason.text(lang)
        template = _POINTS_GIVEN[1 if en else 0]
        return template.format(points=_fmt(indicator.points, lang), max=_fmt(indicator.max_points, lang))
    rule = _indicator_rule(indicator.key)
    if rule.full_at is not None:
        name = indicator.name(lang).split(" (")[0]
        return _BELOW_FULL[1 if en else 0].format(
            name=name, ratio=_pct(indicator.ratio, lang), full=_pct(rule.full_at, lang)
        )
    template = _SHORTFALL.get(indicator.key, ("{short} chưa đạt", "{short} not reached"))[1 if en else 0]
    return template.format(short=_pct(1 - Fraction(str(indicator.ratio)), lang))


def _fmt(points: float, lang: str) -> str:
    text = f"{points:.2f}"
    return text if lang == "en" else text.replace(".", ",")


# --- official scores -------------------------------------------------------------------------------------
def _aliases(*names: str) -> tuple[str, ...]:
    return tuple(n.lower() for n in names)


#: Header aliases, matched case-insensitively: our short names, the portal's Vietnamese labels, English.
_HEADERS = {
    "unit_code": _aliases(
        "unit_code",
        "ma_don_vi",
        "mã đơn vị",
        "ma don vi",
        "code",
        "mã cơ quan",
        "ma_co_quan",
        "mã đơn vị trên cổng",
        "portal_code",
    ),
    "unit_name": _aliases("unit_name", "ten_don_vi", "tên đơn vị", "tên cơ quan", "đơn vị"),
    "period": _aliases("period", "ky", "kỳ", "ky danh gia", "kỳ đánh giá", "thời gian", "tháng"),
    "total": _aliases("total", "tong_diem", "tổng điểm", "tong diem", "diem", "tổng"),
    "transparency": _aliases(
        "transparency", "cong_khai", "công khai, minh bạch", "cong khai", "công khai minh bạch"
    ),
    "progress": _aliases("progress", "tien_do", "tiến độ giải quyết", "tien do", "tiến độ"),
    "online_services": _aliases("online_services", "dvctt", "dịch vụ công trực tuyến", "cung cấp dvctt"),
    "online_payment": _aliases("online_payment", "thanh_toan", "thanh toán trực tuyến", "thanh toan"),
    "satisfaction": _aliases("satisfaction", "hai_long", "mức độ hài lòng", "hai long", "hài lòng"),
    "digitisation": _aliases("digitisation", "so_hoa", "số hóa hồ sơ", "so hoa", "số hoá hồ sơ", "số hóa"),
    "published_on": _aliases("published_on", "ngay_cong_bo", "ngày công bố", "ngay cong bo"),
    "indicator": _aliases("indicator", "chi_tieu", "chỉ tiêu", "tiêu chí", "ma_chi_tieu", "mã chỉ tiêu"),
    "points": _aliases("points", "diem_chi_tieu", "điểm", "điểm đạt", "diem dat"),
    "ratio": _aliases("ratio", "ty_le", "tỷ lệ", "tỉ lệ", "ty le"),
}
_GROUP_MAX = {
    "transparency": 18,
    "progress": 20,
    "online_services": 12,
    "online_payment": 10,
    "satisfaction": 18,
    "digitisation": 22,
}
_GROUPS_VI = {g[0]: g[1] for g in INDEX_LAYOUT}


def _indicator_aliases() -> dict[str, str]:
    """Indicator key, its Vietnamese and English names (and the names without the KPI id) → key."""
    out: dict[str, str] = {}
    for group in INDEX_LAYOUT:
        for key, vi, en, *_ in group[5]:
            for name in (key, vi, en, vi.split(" (")[0], en.split(" (")[0]):
                out[name.strip().lower()] = key
    return out


_INDICATORS_BY_NAME = _indicator_aliases()


@dataclass
class ScoreImportReport:
    total: int
    inserted: int
    updated: int
    shape: str = "groups"  # "groups" (per-group file) or "indicators" (per-indicator file)
    computed_totals: int = 0  # totals added up from the six groups (the file gave none)


def parse_score_period(text: str) -> Period:
    """``03/2026``, ``2026-03``, ``Q1/2026``, ``2026-Q1``, ``2026`` → a calendar period."""
    t = text.strip().upper().replace(" ", "")
    if m := re.fullmatch(r"(\d{1,2})[/.-](\d{4})", t):
        month, year = int(m[1]), int(m[2])
    elif m := re.fullmatch(r"(\d{4})-(\d{1,2})", t):
        year, month = int(m[1]), int(m[2])
    elif m := re.fullmatch(r"(?:Q|QUY|QUÝ)([1-4])[/.-](\d{4})", t) or re.fullmatch(r"(\d{4})-?Q([1-4])", t):
        a, b = int(m[1]), int(m[2])
        year, quarter = (b, a) if a <= 4 else (a, b)
        return Period.quarter(year, quarter)
    elif re.fullmatch(r"\d{4}", t):
        return Period.year(int(t))
    else:
        raise ValueError(f"period {text!r} is not a month (03/2026), a quarter (Q1/2026) or a year (2026)")
    if not 1 <= month <= 12:
        raise ValueError(f"period {text!r}: month {month} does not exist")
    return Period.month(year, month)


def _number(text: str) -> float:
    t = text.strip().replace(" ", "").replace("\u00a0", "")
    if "," in t and "." in t:  # 1.234,5 or 1,234.5: the last separator is the decimal one
        t = t.replace(".", "").replace(",", ".") if t.rfind(",") > t.rfind(".") else t.replace(",", "")
    else:
        t = t.replace(",", ".")
    return float(t)


def _date(text: str) -> date:
    t = text.strip()
    if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", t):
        return date(int(m[3]), int(m[2]), int(m[1]))
    return date.fromisoformat(t)


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScoreImportError(
            str(path), ["file is not UTF-8 (or UTF-16): save it as 'CSV UTF-8' and import again"]
        ) from None


def _rows(path: Path) -> tuple[csv.DictReader, dict[str, str]]:
    text = _decode(path)
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = (
        ";" if first.count(";") > first.count(",") else "\t" if first.count("\t") > first.count(",") else ","
    )
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames:
        raise ScoreImportError(str(path), ["the file is empty"])
    column: dict[str, str] = {}
    for header in reader.fieldnames:
        name = " ".join((header or "").strip().lower().split())
        for key, aliases in _HEADERS.items():
            if name in aliases and key not in column:
                column[key] = header
    return reader, column


def _shape(path: Path, column: Mapping[str, str], period: Period | None) -> str:
    groups = [g for g in _GROUP_MAX if g in column]
    if "unit_code" not in column:
        raise ScoreImportError(
            str(path),
            [
                "not a 766 score file: no unit code column (ma_don_vi / Mã đơn vị); expected the portal's per-group file "
                "(Mã đơn vị; Công khai, minh bạch; Tiến độ giải quyết; …) or per-indicator file (Mã đơn vị; Chỉ tiêu; Điểm)"
            ],
        )
    if "indicator" in column:
        if "points" not in column and "ratio" not in column:
            raise ScoreImportError(
                str(path), ["per-indicator file without a points (Điểm) or ratio (Tỷ lệ) column"]
            )
        shape = "indicators"
    elif groups or "total" in column:
        shape = "groups"
    else:
        raise ScoreImportError(
            str(path),
            [
                "not a 766 score file: no group columns (Công khai, minh bạch; Tiến độ giải quyết; Dịch vụ công trực tuyến; "
                "Thanh toán trực tuyến; Mức độ hài lòng; Số hóa hồ sơ), no total (Tổng điểm) and no indicator (Chỉ tiêu) column"
            ],
        )
    if "period" not in column and period is None:
        raise ScoreImportError(
            str(path), ["the file has no period column (Kỳ): give the period, e.g. --period 2026-10"]
        )
    return shape


def _points(raw_value: str, field: str, limit: float, line: int, problems: list[str]) -> float | None:
    if not raw_value:
        return None
    try:
        number = _number(raw_value)
    except ValueError:
        problems.append(f"line {line}: {field} {raw_value!r} is not a number")
        return None
    if not 0 <= number <= limit:
        problems.append(
            f"line {line}: {field} {raw_value} is outside 0–{limit:g} points"
            if field != "ratio"
            else f"line {line}: ratio {raw_value} is outside 0–1 (or 0–100 %)"
        )
        return None
    return number


def read_scores_file(
    path: str | Path, unit_ids: Mapping[str, int], period: Period | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Parse and validate a 766 score file in the portal's shape: (shape, rows).

    Shapes: per group (one row per unit: the six groups, optional total and period) → rows of
    ``official_score``; per indicator (one row per unit and indicator: points and/or ratio) → rows
    of ``index_indicator_score``. Units are found by ``unit_ids`` (portal codes and our codes).
    ``period`` applies when the file has no period column. Every problem is collected: unknown unit
    codes in one line (listed), duplicate rows, bad numbers; any problem imports nothing.
    """
    path = Path(path)
    if not path.is_file():
        raise ScoreImportError(str(path), ["file not found"])
    reader, column = _rows(path)
    shape = _shape(path, column, period)
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    unknown: dict[str, list[int]] = {}
    seen: dict[tuple, int] = {}
    for raw in reader:
        line = reader.line_num
        values = {f: (raw.get(h) or "").strip() for f, h in column.items()}
        if not any(v for f, v in values.items() if f != "unit_name"):
            continue
        code = values["unit_code"]
        if code not in unit_ids:
            unknown.setdefault(code, []).append(line)
            continue
        row_period = _row_period(values, period, line, problems)
        if row_period is None:
            continue
        row: dict[str, Any] = {
            "unit_id": unit_ids[code],
            "period_start": row_period.start,
            "period_end": row_period.end,
            "source": path.name[:255],
        }
        if shape == "indicators":
            key = _indicator_row(row, values, line, problems)
            if key is None:
                continue
            dup = (unit_ids[code], row_period.start, row_period.end, key)
        else:
            _group_row(row, values, line, problems)
            dup = (unit_ids[code], row_period.start, row_period.end)
        if dup in seen:
            what = f"{code} {values.get('period') or row_period.label()}" + (
                f" {dup[3]}" if len(dup) > 3 else ""
            )
            problems.append(f"line {line}: duplicate row: {what} repeats line {seen[dup]}")
            continue
        seen[dup] = line
        rows.append(row)
    if unknown:
        listed = ", ".join(
            f"{c or '(empty)'} (line {', '.join(map(str, ls))})" for c, ls in sorted(unknown.items())
        )
        problems.insert(
            0,
            f"unknown unit code(s): {listed}; set the units' portal_code (ioc units import) or use our unit codes",
        )
    if problems:
        raise ScoreImportError(str(path), problems)
    if not rows:
        raise ScoreImportError(str(path), ["no score rows found"])
    return shape, rows


def _row_period(
    values: dict[str, str], period: Period | None, line: int, problems: list[str]
) -> Period | None:
    """The row's own period (column Kỳ), else the one given on the command line."""
    if values.get("period"):
        try:
            return parse_score_period(values["period"])
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
            return None
    if period is None:
        problems.append(f"line {line}: no period: fill Kỳ or give --period")
    return period


def _indicator_row(row: dict[str, Any], values: dict[str, str], line: int, problems: list[str]) -> str | None:
    """Fill one per-indicator row (points and/or ratio); the indicator's key, None if unknown."""
    name = " ".join(values.get("indicator", "").lower().split())
    key = _INDICATORS_BY_NAME.get(name)
    if key is None:
        problems.append(
            f"line {line}: unknown indicator {values.get('indicator')!r}; use a key such as "
            f"petitions_on_time or the portal's name (e.g. 'Xử lý phản ánh, kiến nghị đúng hạn')"
        )
        return None
    row["indicator"] = key
    row["points"] = _points(values.get("points", ""), key, INDICATOR_MAX[key], line, problems)
    ratio_value = _points(values.get("ratio", "").replace("%", ""), "ratio", 100, line, problems)
    if ratio_value is not None and ratio_value > 1:
        ratio_value /= 100  # given in per cent
    row["ratio"] = ratio_value
    if (
        row["points"] is None
        and row["ratio"] is None
        and not any(p.startswith(f"line {line}:") for p in problems)
    ):
        problems.append(f"line {line}: {key} has neither points nor a ratio")
    return key


def _group_row(row: dict[str, Any], values: dict[str, str], line: int, problems: list[str]) -> None:
    """Fill one per-group row: the six groups, the total (summed when absent), the publication day."""
    for group, most in _GROUP_MAX.items():
        row[group] = _points(values.get(group, ""), group, most, line, problems)
    row["total"] = _points(values.get("total", ""), "total", 100, line, problems)
    row["total_computed"] = False
    if row["total"] is None and all(row[g] is not None for g in _GROUP_MAX):
        row["total"] = round(sum(row[g] for g in _GROUP_MAX), 2)
        row["total_computed"] = True
    row["published_on"] = None
    if values.get("published_on"):
        try:
            row["published_on"] = _date(values["published_on"])
        except ValueError:
            problems.append(
                f"line {line}: published_on {values['published_on']!r} is not a date (dd/mm/yyyy)"
            )


def import_scores_file(session: Session, path: str | Path, period: Period | None = None) -> ScoreImportReport:
    """Import or update published 766 scores from ``path`` inside the caller's transaction: all or
    nothing. Units are matched by their portal code, else by our code."""
    unit_ids = dict(session.execute(select(OrgUnit.code, OrgUnit.id)).all())
    unit_ids.update({c: i for c, i in session.execute(select(OrgUnit.portal_code, OrgUnit.id)) if c})
    shape, rows = read_scores_file(path, unit_ids, period)
    if shape == "indicators":
        result = upsert(
            session, IndexIndicatorScore, rows, key=("unit_id", "period_start", "period_end", "indicator")
        )
    else:
        result = upsert(session, OfficialScore, rows, key=("unit_id", "period_start", "period_end"))
    if result.inserted or result.updated:
        bump_data_version(session)
    computed = sum(1 for r in rows if r.get("total_computed"))
    return ScoreImportReport(len(rows), result.inserted, result.updated, shape, computed)


@dataclass(frozen=True)
class PublishedScore:
    unit_id: int
    period: Period
    total: float | None  # None: the file gave no total and not every group
    groups: Mapping[str, float | None]
    published_on: date | None
    source: str
    total_computed: bool = False  # the total was added up from the six published groups
    indicators: Mapping[str, float | None] = field(default_factory=dict)  # published per indicator


def published_score(session: Session, unit_id: int, period: Period) -> PublishedScore | None:
    """The official score of ``unit_id`` for exactly this calendar period, if one was imported."""
    row = session.scalar(
        select(OfficialScore).where(
            OfficialScore.unit_id == unit_id,
            OfficialScore.period_start == period.start,
            OfficialScore.period_end == period.end,
        )
    )
    return None if row is None else _published(row)


def published_indicators(session: Session, unit_id: int, period: Period) -> dict[str, float | None]:
    """The points the portal published per indicator for ``unit_id`` and exactly this period
    (the per-indicator file): ``{indicator: points}``; points None where only a ratio was given."""
    rows = session.execute(
        select(IndexIndicatorScore.indicator, IndexIndicatorScore.points, IndexIndicatorScore.ratio).where(
            IndexIndicatorScore.unit_id == unit_id,
            IndexIndicatorScore.period_start == period.start,
            IndexIndicatorScore.period_end == period.end,
        )
    )
    out: dict[str, float | None] = {}
    for key, points, ratio in rows:
        if key not in INDICATOR_MAX:
            continue
        if points is None and ratio is not None:
            points = _indicator_rule(key).score(Fraction(str(ratio)))
        out[key] = points
    return out


def _indicator_rule(key: str) -> Rule:
    for group in INDEX_LAYOUT:
        for indicator in group[5]:
            if indicator[0] == key:
                return indicator[5]
    raise KeyError(key)


def latest_published(session: Session, unit_id: int, before: date) -> PublishedScore | None:
    """The most recent official score of ``unit_id`` for a period ending on or before ``before``."""
    row = session.scalar(
        select(OfficialScore)
        .where(OfficialScore.unit_id == unit_id, OfficialScore.period_end <= before)
        .order_by(OfficialScore.period_end.desc(), OfficialScore.period_start.desc())
        .limit(1)
    )
    return None if row is None else _published(row)


def _published(row: OfficialScore) -> PublishedScore:
    days = (row.period_end - row.period_start).days
    kind = "month" if days < 32 else "quarter" if days < 93 else "year" if days < 367 else "custom"
    return PublishedScore(
        unit_id=row.unit_id,
        period=Period(kind, row.period_start, row.period_end),
        total=row.total,
        groups={g: getattr(row, g) for g in _GROUP_MAX},
        published_on=row.published_on,
        source=row.source,
        total_computed=bool(row.total_computed),
    )
