"""The simulation's common parts: the view contracts, rates, stable randomness, the office
calendar (on the core's working-day calendar), units and record histories."""

from __future__ import annotations

import bisect
import hashlib
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dashboard.kpi.workdays import WorkingCalendar

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# ---------------------------------------------------------------------------------------------
# Contracts: column names and orders of the simulated views (sources.md §2.1)
# ---------------------------------------------------------------------------------------------

DOCUMENT_COLUMNS = (
    "doc_id",
    "unit_code",
    "direction",
    "channel",
    "is_electronic",
    "is_signed",
    "urgency",
    "registered_at",
    "due_at",
    "completed_at",
    "status_code",
    # Axis times a document system records (VB-04: arrival → registration; VB-07: sent → acknowledged).
    *("arrived_at", "sent_at", "acknowledged_at"),
    "updated_at",
)
#: The document columns added for issue 16 (history written before them is otherwise unchanged).
AXIS_TIME_COLUMNS = ("arrived_at", "sent_at", "acknowledged_at")
DOSSIER_COLUMNS = (
    "MaHoSo",
    "MaTTHC",
    "MaDonVi",
    "NgayTiepNhan",
    "NgayHenTra",
    "NgayKetThucXuLy",
    "NgayTraKetQua",
    "TrangThaiHoSo",
    "KenhThucHien",
    "CoPhi",
    "DuocThanhToanTrucTuyen",
    "SoLanBoSung",
    "CoKetQuaDienTu",
    "DaSoHoa",
    "DanhGia",
    "NgayCapNhat",
)
MEETING_COLUMNS = (
    "meeting_id",
    "unit_code",
    "title",
    "platform",
    "status",
    "start_at",
    "end_at",
    "endpoints_scheduled",
    "endpoints_connected",
    "participants",
    "updated_at",
)
PROCEDURE_COLUMNS = ("MaTTHC", "MaDonVi", "TenTTHC", "MucDo", "CoPhi")

# Headers of the meeting export, in MEETING_COLUMNS order.
MEETING_CSV_HEADERS = (
    "Mã cuộc họp",
    "Đơn vị",
    "Tiêu đề",
    "Nền tảng",
    "Trạng thái",
    "Bắt đầu",
    "Kết thúc",
    "Số điểm cầu dự kiến",
    "Số điểm cầu kết nối",
    "Số người tham dự",
    "Cập nhật",
)
MEETING_CSV_TITLE = "BÁO CÁO CUỘC HỌP TRỰC TUYẾN (DỮ LIỆU MÔ PHỎNG)"

DOSSIER_STATUSES = frozenset(range(1, 11))
DOCUMENT_STATUSES = frozenset({"01", "02", "03", "04", "05", "06", "13"})
PRODUCING_LEVELS = frozenset({"department", "province", "commune"})

_TS_KEYS = {
    "documents": ("registered_at", "due_at", "completed_at", "arrived_at", "sent_at", "acknowledged_at"),
    "dossiers": ("NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTraKetQua"),
    "meetings": ("start_at", "end_at"),
}
_UPDATED_KEY = {"documents": "updated_at", "dossiers": "NgayCapNhat", "meetings": "updated_at"}

# ---------------------------------------------------------------------------------------------
# Sizing (domain.md §5) and time rules
# ---------------------------------------------------------------------------------------------

HORIZON_DAYS = 60  # every event of a record lies within this many days after its batch day
MEETING_LEAD_DAYS = 8  # a meeting is created at most this many days before its start

# Documents: ≈ 4.000 a month agency-wide for the demo hierarchy (20 central + 34 provincial
# units); ≈ 21 working days a month once holidays are removed and Saturdays add a trickle.
DOCS_PER_MONTH_CENTRAL = 150.0
DOCS_PER_MONTH_PROVINCE = 37.0
WORKING_DAYS_PER_MONTH = 21.0
SATURDAY_FACTOR = 0.05  # Saturday registrations relative to a weekday
# Dossiers per working day, before the unit's size factor.
DOSSIERS_PER_DAY_PROVINCE = 10.0
DOSSIERS_PER_DAY_CENTRAL = 1.2
CENTRAL_WITH_PROCEDURES = 0.55  # share of central units that handle administrative procedures

OFFICE_START = 7 * 3600 + 30 * 60  # 07:30
LUNCH_START = 11 * 3600 + 30 * 60  # 11:30
AFTERNOON_START = 13 * 3600 + 30 * 60  # 13:30
OFFICE_END = 17 * 3600  # 17:00
DAY = 86_400
HOUR = 3_600

# Live stream (an overlay for the demo, see ``AgencySimulator(live_since=…)``): chunks of
# ``LIVE_CHUNK_S`` seconds from ``live_since`` on; every event of a live record lies within its
# kind's horizon after the start of its chunk.
LIVE_CHUNK_S = 3_600
LIVE_HORIZON_S = {"documents": 12 * 3_600, "dossiers": 4 * 86_400, "meetings": 3 * 3_600}
LIVE_ID_PREFIX = {"documents": "LIVE-VB", "dossiers": "LIVE-HS", "meetings": "LIVE-HOP"}
LIVE_MEETING_SLOT_S = 30 * 60  # one live meeting starts in each slot, 5–15 minutes into it
LIVE_EXTRA_MEETINGS_PER_CHUNK = 0.5  # plus a few more at random moments
LIVE_OPENING_MEETING_S = (
    60  # the first chunk of a live stream opens with a meeting this soon (+ up to a minute)
)


# ---------------------------------------------------------------------------------------------
# Stable randomness
# ---------------------------------------------------------------------------------------------


def _stable_int(*parts: object) -> int:
    """A 64-bit integer from ``parts``, identical in every process (unlike ``hash()``)."""
    text = ":".join(str(p) for p in parts)
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def _stable_unit(*parts: object) -> float:
    """A stable float in [0, 1) from ``parts``."""
    return _stable_int(*parts) / 2**64


def _rng(*parts: object) -> random.Random:
    return random.Random(_stable_int(*parts))


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit = math.exp(-lam)
    k, prod = 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


def _pick(rng: random.Random, options: tuple, cum_weights: tuple[float, ...]):
    return options[bisect.bisect_right(cum_weights, rng.random() * cum_weights[-1])]


def _cum(weights: Iterable[float]) -> tuple[float, ...]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Calendar: working days and office hours in the agency's time zone
# ---------------------------------------------------------------------------------------------


class _Calendar(WorkingCalendar):
    """The official working-day calendar (:class:`dashboard.kpi.workdays.WorkingCalendar`, the one
    the KPI engine uses) plus office hours in the agency's time zone, over epoch seconds."""

    def __init__(self, tz: ZoneInfo):
        super().__init__()
        self.tz = tz
        self._starts: dict[date, int] = {}

    def day_start(self, d: date) -> int:
        s = self._starts.get(d)
        if s is None:
            s = self._starts[d] = int(datetime(d.year, d.month, d.day, tzinfo=self.tz).timestamp())
        return s

    def local_date(self, ts: float) -> date:
        return datetime.fromtimestamp(ts, self.tz).date()

    def live_factor(self, chunk_start: int) -> float:
        """How busy the agency is around ``chunk_start`` (epoch seconds), as a factor of the live
        stream's configured rates: office hours on a working day 1,5; the edges of a working day
        (06:00–07:30, the lunch break, 17:00–21:00) 0,5; nights, weekends and holidays 0,25 — a wall
        that moves every minute in the day and calmly at night, averaging near the configured rate
        over a working week.

        >>> cal = _Calendar(ZoneInfo("Asia/Ho_Chi_Minh"))
        >>> at = lambda *a: int(datetime(*a, tzinfo=cal.tz).timestamp()) - 1800  # the chunk's middle
        >>> cal.live_factor(at(2026, 3, 9, 9, 0)), cal.live_factor(at(2026, 3, 9, 12, 0)), cal.live_factor(at(2026, 3, 8, 9, 0))
        (1.5, 0.5, 0.25)
        """
        local = datetime.fromtimestamp(chunk_start + 1800, self.tz)
        if not self.is_working_day(local.date()):
            return 0.25
        minutes = local.hour * 60 + local.minute
        if 7 * 60 + 30 <= minutes < 11 * 60 + 30 or 13 * 60 <= minutes < 17 * 60:
            return 1.5
        if 6 * 60 <= minutes < 21 * 60:
            return 0.5
        return 0.25

    def office_time(self, d: date, rng: random.Random) -> int:
        """A random moment of office hours on day ``d``."""
        if rng.random() < 0.55:
            tod = OFFICE_START + int(rng.random() * (LUNCH_START - OFFICE_START))
        else:
            tod = AFTERNOON_START + int(rng.random() * (OFFICE_END - AFTERNOON_START))
        return self.day_start(d) + tod

    def to_office(self, ts: int, rng: random.Random, spread: int = 5400) -> int:
        """``ts`` if it falls in office hours of a working day, else soon after the next opening."""
        d = self.local_date(ts)
        tod = ts - self.day_start(d)
        if self.is_working_day(d):
            if OFFICE_START <= tod < OFFICE_END:
                return ts
            if tod < OFFICE_START:
                return self.day_start(d) + OFFICE_START + int(rng.random() * spread)
        return self.day_start(self.next_working_day(d)) + OFFICE_START + int(rng.random() * spread)


def _doc_shares(q: float) -> tuple[float, float, float, float, float]:
    """Electronic and signed shares of a unit of quality ``q``: (electronic in/out, electronic
    internal, signed internal, signed on the axis, signed otherwise)."""
    return (0.80 + 0.16 * q, 0.88 + 0.10 * q, 0.78 + 0.19 * q, 0.93 + 0.065 * q, 0.85 + 0.12 * q)


def _doc_time_of_day(rng: random.Random) -> int:
    """Seconds after midnight: mostly office hours, a lunch dip, a little early and late work."""
    r = rng.random()
    if r < 0.50:
        return OFFICE_START + int(rng.random() * (LUNCH_START - OFFICE_START))
    if r < 0.88:
        return AFTERNOON_START + int(rng.random() * (OFFICE_END - AFTERNOON_START))
    if r < 0.94:
        return LUNCH_START + int(rng.random() * (AFTERNOON_START - LUNCH_START))
    if r < 0.965:
        return 6 * HOUR + 1800 + int(rng.random() * HOUR)  # 06:30–07:30
    return OFFICE_END + int(rng.random() * 4 * HOUR)  # 17:00–21:00


def _online_time_of_day(rng: random.Random) -> int:
    """Online submissions: office hours and evenings, some at night."""
    r = rng.random()
    if r < 0.6:
        return OFFICE_START + int(rng.random() * (OFFICE_END - OFFICE_START))
    if r < 0.9:
        return OFFICE_END + int(rng.random() * 6 * HOUR)  # 17:00–23:00
    return int(rng.random() * OFFICE_START)


@dataclass(frozen=True)
class _Procedure:
    code: str
    name: str
    level: str  # at this unit: toan_trinh / mot_phan / khong
    fee: bool
    days: int
    popularity: float


# ---------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimUnit:
    """A unit of the simulated agency.

    ``performance`` in about 0.55 … 1.0 scales speed, lateness, signing, electronic exchange and
    online uptake; None derives a stable value from the seed and the code (most units 0.78–1.0,
    roughly one in six clearly worse, 0.55–0.70).
    """

    code: str
    level: str  # ministry / group / department / province (/ commune)
    performance: float | None = None


@dataclass
class _Profile:
    code: str
    level: str
    performance: float
    quality: float  # performance mapped to 0 … 1
    central: bool
    doc_rate: float  # documents per working day
    dossier_rate: float  # dossiers per working day
    procedures: list[_Procedure] = field(default_factory=list)
    proc_cum: tuple[float, ...] = ()


def _derive_performance(seed: int, code: str) -> float:
    u1 = _stable_unit(seed, "performance", code)
    u2 = _stable_unit(seed, "performance-band", code)
    if u2 < 0.18:
        return round(0.55 + 0.15 * u1, 3)
    return round(0.78 + 0.22 * u1, 3)


def demo_sim_units() -> list[SimUnit]:
    """The demo hierarchy (dashboard/data/demo_units.toml) as simulation units."""
    from dashboard.units import DEMO_UNITS_FILE, read_units_file

    return [SimUnit(row.code, row.level) for row in read_units_file(DEMO_UNITS_FILE)]


class _Record:
    """One record's life: a base state and time-ordered changes."""

    __slots__ = ("times", "base", "changes")

    def __init__(self, base: dict[str, Any]):
        self.times: list[int] = []
        self.base = base
        self.changes: list[dict[str, Any]] = []

    def add(self, ts: int, changes: dict[str, Any]) -> None:
        if self.times and ts < self.times[-1]:
            ts = self.times[-1]  # keep the history ordered
        self.times.append(ts)
        self.changes.append(changes)

    def state(self, index: int) -> dict[str, Any]:
        out = dict(self.base)
        for ch in self.changes[: index + 1]:
            out.update(ch)
        return out


def _truncate(rec: _Record, horizon: int) -> None:
    """Drop the events at or after ``horizon`` (the first event always stays)."""
    n = bisect.bisect_left(rec.times, horizon)
    if n < len(rec.times):
        n = max(1, n)
        del rec.times[n:], rec.changes[n:]


class _Batch:
    __slots__ = ("records", "first", "last")

    def __init__(self, records: list[_Record]):
        self.records = records
        self.first = min((r.times[0] for r in records), default=0)
        self.last = max((r.times[-1] for r in records), default=0)


class _LiveChunk:
    """The live records of one chunk, with every event time indexed (sorted) to its record.

    Every event lies strictly after the chunk start (so none at ``live_since`` itself: a writer
    that starts the stream at its position writes windows after it) and before the horizon.
    """

    __slots__ = ("records", "times", "owners")

    def __init__(self, records: list[_Record]):
        self.records = records
        pairs = sorted((t, i) for i, rec in enumerate(records) for t in rec.times)
        self.times = [t for t, _ in pairs]
        self.owners = [i for _, i in pairs]
