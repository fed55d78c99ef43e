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
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.db import bump_data_version
from dashboard.errors import IocError
from dashboard.kpi.periods import Period
from dashboard.kpi.values import Figure, Reason
from dashboard.models import OfficialScore, OrgUnit
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
    "not_in_dossier_data",
    "Không tính được từ dữ liệu hồ sơ (cần số liệu công bố của Cổng DVC quốc gia)",
    "Not computable from dossier data (needs the national portal's published figures)",
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
    points: float | None  # None: unknown (not computable from the data)
    ratio: float | None
    rule: str  # the scoring rule, as published
    reason: Reason | None = None

    @property
    def lost(self) -> float | None:
        return None if self.points is None else round(self.max_points - self.points, 2)


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
        """The points of the computable indicators (each already rounded to 2 decimals)."""
        return round(min(self.max_points, sum(i.points for i in self.indicators if i.points is not None)), 2)

    @property
    def known_max(self) -> float:
        """The most the computable indicators can give (the group's cap applies)."""
        return round(min(self.max_points, sum(i.max_points for i in self.indicators if i.points is not None)), 2)

    @property
    def unknown_points(self) -> float:
        return round(self.max_points - self.known_max, 2)


@dataclass(frozen=True)
class ServiceIndexEstimate:
    """The 766 index as far as dossier data allows: never a published figure."""

    groups: tuple[Group, ...]

    @property
    def points(self) -> float:
        return round(sum(g.points for g in self.groups), 2)

    @property
    def known_max(self) -> float:
        return round(sum(g.known_max for g in self.groups), 2)

    @property
    def unknown_points(self) -> float:
        return round(sum(g.unknown_points for g in self.groups), 2)

    @property
    def normalised(self) -> float | None:
        """Points on 100, assuming the unknown indicators score like the known ones."""
        if not self.known_max:
            return None
        return round(100 * self.points / self.known_max, 2)

    @property
    def lost(self) -> list[tuple[Group, Indicator, float]]:
        """Where points are lost, most first."""
        out = [(g, i, i.lost) for g in self.groups for i in g.indicators if i.lost]
        return sorted(out, key=lambda row: -row[2])


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


def _scored(figure: Figure | None, score) -> tuple[float | None, float | None, Reason | None]:
    """Apply ``score(r)`` to a figure; an empty denominator scores 0 (the official rules: nothing
    received, no dossiers, no fee dossiers → 0), data the sources do not give is unknown."""
    if figure is None:
        return None, None, UNKNOWN
    if figure.value is None:
        if figure.reason is not None and figure.reason.code == "empty_denominator":
            return 0.0, None, figure.reason
        return None, None, figure.reason or UNKNOWN
    r = _exact(figure)
    return _pts(score(r)), float(r), None


def _linear(points: float, figure: Figure | None) -> tuple[float | None, float | None, Reason | None]:
    """``points × r``."""
    return _scored(figure, lambda r: Fraction(points) * r)


def _capped(points: float, full_at: float, figure: Figure | None) -> tuple[float | None, float | None, Reason | None]:
    """``min(points, points × r ÷ full_at)``: full points from ``full_at`` on."""
    full = Fraction(str(full_at))
    return _scored(figure, lambda r: min(Fraction(points), Fraction(points) * r / full))


def _unknown(key: str, vi: str, en: str, points: float, rule: str) -> Indicator:
    return Indicator(key, vi, en, points, None, None, rule, UNKNOWN)


def _indicator(key: str, vi: str, en: str, points: float, rule: str, scored: tuple) -> Indicator:
    value, r, reason = scored
    return Indicator(key, vi, en, points, value, r, rule, reason)


def estimate(figures: Mapping[str, Figure]) -> ServiceIndexEstimate:
    """Score the 766 index from KPI figures of one scope and period.

    ``figures`` holds the figures the rules need, by key: ``DVC-02``, ``DVC-05``, ``DVC-06``,
    ``DVC-10``, ``DVC-11``, ``DVC-12``, ``DVC-13`` (their headline figures), ``provision``
    (procedures offered online ÷ procedures, the current catalogue), ``sync`` (dossiers
    synchronised to the national portal ÷ received), ``fee_procedures_paid`` (fee procedures with
    an online payment ÷ fee procedures). A missing key means the data does not allow it.
    """
    f = figures.get
    transparency = Group(
        "transparency", "Công khai, minh bạch", "Transparency", 18,
        (
            _unknown("published_on_time", "TTHC công bố đúng hạn", "Procedures published on time", 6, "6 × r"),
            _unknown("updated_on_time", "TTHC cập nhật, công khai đúng hạn", "Procedures updated and published on time", 4, "4 × r"),
            _unknown("full_content", "TTHC công khai đầy đủ nội dung", "Procedures published with full content", 2, "2 × r"),
            _indicator("synced", "Hồ sơ đồng bộ lên Cổng DVC quốc gia", "Dossiers synchronised to the national portal", 6, "6 × r",
                       _linear(6, f("sync"))),
        ),
    )  # fmt: skip
    progress = Group(
        "progress", "Tiến độ giải quyết", "Progress", 20,
        (_indicator("on_time", "Hồ sơ giải quyết đúng hạn (DVC-06)", "Dossiers resolved on time (DVC-06)", 20,
                    "20 × đúng hạn ÷ tiếp nhận; 0 khi không tiếp nhận hồ sơ", _linear(20, f("DVC-06"))),),
    )  # fmt: skip
    online = Group(
        "online_services", "Dịch vụ công trực tuyến", "Online services", 12,
        (
            _indicator("provision", "TTHC cung cấp DVCTT (DVC-04)", "Procedures offered online (DVC-04)", 4,
                       "4 × min(1; r ÷ 0,8) — ước tính", _capped(4, 0.8, f("provision"))),
            _indicator("in_use", "DVCTT có phát sinh hồ sơ (DVC-05)", "Online services in use (DVC-05)", 4,
                       "4 × r — ước tính", _linear(4, f("DVC-05"))),
            _indicator("online_intake", "Hồ sơ trực tuyến (DVC-02)", "Online intake (DVC-02)", 4,
                       "4 × min(1; r ÷ 0,5) — ước tính", _capped(4, 0.5, f("DVC-02"))),
        ),
        estimate_split=True,
    )  # fmt: skip
    payment = Group(
        "online_payment", "Thanh toán trực tuyến", "Online payment", 10,
        (
            _indicator("paid_online", "Hồ sơ thanh toán trực tuyến (DVC-10)", "Dossiers paid online (DVC-10)", 6, "6 × A",
                       _linear(6, f("DVC-10"))),
            _indicator("fee_procedures_paid", "TTHC có phí có thanh toán trực tuyến", "Fee procedures with an online payment", 2,
                       "min(2; 2,5 × B)", _capped(2, 0.8, f("fee_procedures_paid"))),
            _unknown("fees_synced", "TTHC có phí đồng bộ thu phí", "Fee procedures synchronised with their fees", 2.5, "2,5 × C"),
        ),
    )  # fmt: skip
    satisfaction = Group(
        "satisfaction", "Mức độ hài lòng", "Satisfaction", 18,
        (
            _unknown("petitions_on_time", "Xử lý phản ánh, kiến nghị đúng hạn", "Petitions handled on time", 6, "6 × r; không có phản ánh → 6"),
            _unknown("petition_satisfaction", "Hài lòng về xử lý phản ánh, kiến nghị", "Satisfaction with petition handling", 6, "6 × r; không có phản ánh → 6"),
            _indicator("dossier_satisfaction", "Hài lòng về giải quyết hồ sơ (DVC-13)", "Satisfaction with dossier handling (DVC-13)", 6,
                       "min(6; 6 × r ÷ 0,9); không có hồ sơ → 0", _capped(6, 0.9, f("DVC-13"))),
        ),
    )  # fmt: skip
    digitisation = Group(
        "digitisation", "Số hóa hồ sơ", "Digitisation", 22,
        (
            _indicator("e_results", "Cấp kết quả điện tử (DVC-11)", "Electronic results (DVC-11)", 6, "6 × r", _linear(6, f("DVC-11"))),
            _indicator("digitised", "Số hóa hồ sơ (DVC-12)", "Digitised dossiers (DVC-12)", 4, "4 × r", _linear(4, f("DVC-12"))),
            _unknown("reuse", "Tái sử dụng dữ liệu số hóa", "Reuse of digitised data", 2, "min(2; 2 × r ÷ 0,8)"),
            _unknown("citizen_store", "Hồ sơ kết nối kho dữ liệu công dân", "Dossiers linked to the citizen's data store", 4, "4 × r"),
            _unknown("population_dossiers", "Hồ sơ sử dụng dữ liệu dân cư", "Dossiers using population data", 2, "2 × r"),
            _unknown("population_procedures", "TTHC sử dụng dữ liệu dân cư", "Procedures using population data", 2, "2 × r"),
            _unknown("certified_copies", "Chứng thực bản sao điện tử", "Electronic certified copies", 2, "2 (cấp xã)"),
        ),
    )  # fmt: skip
    return ServiceIndexEstimate((transparency, progress, online, payment, satisfaction, digitisation))


# --- official scores -------------------------------------------------------------------------------------
_HEADERS = {
    "unit_code": ("unit_code", "ma_don_vi", "mã đơn vị", "ma don vi", "code"),
    "period": ("period", "ky", "kỳ", "ky danh gia", "kỳ đánh giá"),
    "total": ("total", "tong_diem", "tổng điểm", "tong diem", "diem"),
    "transparency": ("transparency", "cong_khai", "công khai, minh bạch", "cong khai"),
    "progress": ("progress", "tien_do", "tiến độ giải quyết", "tien do"),
    "online_services": ("online_services", "dvctt", "dịch vụ công trực tuyến"),
    "online_payment": ("online_payment", "thanh_toan", "thanh toán trực tuyến", "thanh toan"),
    "satisfaction": ("satisfaction", "hai_long", "mức độ hài lòng", "hai long"),
    "digitisation": ("digitisation", "so_hoa", "số hóa hồ sơ", "so hoa"),
    "published_on": ("published_on", "ngay_cong_bo", "ngày công bố", "ngay cong bo"),
}
_GROUP_MAX = {
    "transparency": 18, "progress": 20, "online_services": 12,
    "online_payment": 10, "satisfaction": 18, "digitisation": 22,
}  # fmt: skip


@dataclass
class ScoreImportReport:
    total: int
    inserted: int
    updated: int


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
        raise ScoreImportError(str(path), ["file is not UTF-8 (or UTF-16): save it as 'CSV UTF-8' and import again"]) from None


def read_scores_file(path: str | Path, unit_ids: Mapping[str, int]) -> list[dict[str, Any]]:
    """Parse and validate an official score CSV into ``official_score`` rows (all problems at once)."""
    path = Path(path)
    if not path.is_file():
        raise ScoreImportError(str(path), ["file not found"])
    text = _decode(path)
    first = text.splitlines()[0] if text.strip() else ""
    reader = csv.DictReader(io.StringIO(text), delimiter=";" if first.count(";") > first.count(",") else ",")
    if not reader.fieldnames:
        raise ScoreImportError(str(path), ["the file is empty"])
    column: dict[str, str] = {}
    for header in reader.fieldnames:
        name = (header or "").strip().lower()
        for field, aliases in _HEADERS.items():
            if name in aliases:
                column[field] = header
    missing = [f for f in ("unit_code", "period", "total") if f not in column]
    if missing:
        raise ScoreImportError(str(path), [f"missing column(s) {', '.join(missing)} in the header line (e.g. ma_don_vi;ky;tong_diem)"])
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: dict[tuple, int] = {}
    for raw in reader:
        line = reader.line_num
        values = {f: (raw.get(h) or "").strip() for f, h in column.items()}
        if not any(values.values()):
            continue
        code = values["unit_code"]
        if code not in unit_ids:
            problems.append(f"line {line}: unknown unit {code!r}; import the units first (ioc units import)")
            continue
        try:
            period = parse_score_period(values["period"])
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        row: dict[str, Any] = {
            "unit_id": unit_ids[code],
            "period_start": period.start,
            "period_end": period.end,
            "source": path.name[:255],
            "published_on": None,
        }
        for field in ("total", *_GROUP_MAX):
            raw_value = values.get(field, "")
            if not raw_value:
                if field == "total":
                    problems.append(f"line {line}: missing total score")
                row[field] = None
                continue
            try:
                number = _number(raw_value)
            except ValueError:
                problems.append(f"line {line}: {field} {raw_value!r} is not a number")
                continue
            limit = 100 if field == "total" else _GROUP_MAX[field]
            if not 0 <= number <= limit:
                problems.append(f"line {line}: {field} {raw_value} is outside 0–{limit} points")
                continue
            row[field] = number
        if values.get("published_on"):
            try:
                row["published_on"] = _date(values["published_on"])
            except ValueError:
                problems.append(f"line {line}: published_on {values['published_on']!r} is not a date (dd/mm/yyyy)")
        key = (code, period.start, period.end)
        if key in seen:
            problems.append(f"line {line}: {code} {values['period']} repeats line {seen[key]}")
            continue
        seen[key] = line
        if all(field in row for field in ("total", *_GROUP_MAX)):
            rows.append(row)
    if problems:
        raise ScoreImportError(str(path), problems)
    if not rows:
        raise ScoreImportError(str(path), ["no score rows found"])
    return rows


def import_scores_file(session: Session, path: str | Path) -> ScoreImportReport:
    """Import or update official scores from ``path`` inside the caller's transaction."""
    unit_ids = dict(session.execute(select(OrgUnit.code, OrgUnit.id)).all())
    rows = read_scores_file(path, unit_ids)
    result = upsert(session, OfficialScore, rows, key=("unit_id", "period_start", "period_end"))
    if result.inserted or result.updated:
        bump_data_version(session)
    return ScoreImportReport(total=len(rows), inserted=result.inserted, updated=result.updated)


@dataclass(frozen=True)
class PublishedScore:
    unit_id: int
    period: Period
    total: float
    groups: Mapping[str, float | None]
    published_on: date | None
    source: str


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
    )
