"""A deterministic, seeded simulation of an agency and of the source systems it would run.

SIMULATED DATA — nothing produced here is real. The simulation feeds the demo and the end-to-end
tests: it models documents, public-service dossiers and online meetings of a ministry-like agency
and writes them into "source systems" the real collectors read:

- ``docsys.sqlite3`` with ``v_documents`` (documents view contract, sources.md §2.1);
- ``onestop.sqlite3`` with ``v_dossiers`` (national sync names) and ``v_procedures``;
- ``meetings/`` a drop folder of meeting exports (CSV as real exports look, sources.md §2.2).

Every record has a deterministic *life history*: a list of ``(timestamp, changes)`` events.
The records created on one local day for one unit (a *batch*) depend only on
``(seed, kind, unit, day)`` and the unit's profile, so any window can be computed on its own and
the same seed always gives the same data, however the windows are cut::

    >>> from datetime import datetime
    >>> sim = AgencySimulator([SimUnit("SO-01", "province")], seed=7)
    >>> t0 = datetime(2026, 3, 2, tzinfo=VN_TZ)
    >>> rows = list(sim.documents_changed(t0, t0 + timedelta(days=7)))
    >>> sorted(rows[0])[:3]
    ['acknowledged_at', 'arrived_at', 'channel']

A record's events lie within ``HORIZON_DAYS`` after the start of its batch day (a meeting's may
start up to ``MEETING_LEAD_DAYS`` before), so a window (t0, t1] only needs the batches of the days
from ``t0 - HORIZON_DAYS`` to ``t1`` (+ the meeting lead): its cost does not grow with the history.

Nights, weekends and holidays are (correctly) quiet, so a wall screen fed by the history alone
would not move. The optional *live stream* (``AgencySimulator(live_since=…)``,
:meth:`SimulatedSources.start_live`) adds a steady trickle of records from a given moment on,
at any hour, with compressed life histories (minutes to hours instead of days) and ids starting
with ``LIVE-``. It is generated in chunks of ``LIVE_CHUNK_S`` seconds from ``live_since``, each
seeded from ``(seed, "live", kind, chunk start)``; the historical records do not change with it.

Command line (writes the simulated sources for the demo hierarchy)::

    python -m collectors.simulator /tmp/sources --days 400
"""

from __future__ import annotations

import argparse
import bisect
import csv
import hashlib
import json
import math
import os
import random
import sqlite3
import time as _time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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

# Lunar new year (Tết) day 1; the simulation treats Tết − 2 … Tết + 4 as holidays.
TET_DAYS = {
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}
# Hùng Kings' commemoration (10/3 lunar), approximated for the later years.
HUNG_KINGS_DAYS = {
    2023: date(2023, 4, 29),
    2024: date(2024, 4, 18),
    2025: date(2025, 4, 7),
    2026: date(2026, 4, 26),
    2027: date(2027, 4, 16),
    2028: date(2028, 4, 4),
    2029: date(2029, 4, 22),
    2030: date(2030, 4, 12),
}
_FIXED_HOLIDAYS = ((1, 1), (4, 30), (5, 1), (9, 2))


def vietnamese_holidays(year: int) -> set[date]:
    """Public holidays the simulation observes in ``year`` (no compensating days).

    >>> date(2026, 2, 17) in vietnamese_holidays(2026), date(2026, 9, 2) in vietnamese_holidays(2026)
    (True, True)
    """
    days = {date(year, m, d) for m, d in _FIXED_HOLIDAYS}
    tet = TET_DAYS.get(year)
    if tet is not None:
        days.update(tet + timedelta(days=k) for k in range(-2, 5))
    hung = HUNG_KINGS_DAYS.get(year)
    if hung is not None:
        days.add(hung)
    # Tết of the next year may start in the last days of this one (never with these dates, but
    # keep the rule honest for any table extension).
    nxt = TET_DAYS.get(year + 1)
    if nxt is not None:
        days.update(d for d in (nxt + timedelta(days=k) for k in range(-2, 5)) if d.year == year)
    return days


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


class _Calendar:
    """Working days (Mon–Fri minus holidays) and office hours, over epoch seconds."""

    def __init__(self, tz: ZoneInfo):
        self.tz = tz
        self._starts: dict[date, int] = {}
        self._working: dict[date, bool] = {}
        self._holidays: dict[int, set[date]] = {}

    def is_holiday(self, d: date) -> bool:
        hol = self._holidays.get(d.year)
        if hol is None:
            hol = self._holidays[d.year] = vietnamese_holidays(d.year)
        return d in hol

    def is_working_day(self, d: date) -> bool:
        w = self._working.get(d)
        if w is None:
            w = self._working[d] = d.weekday() < 5 and not self.is_holiday(d)
        return w

    def day_start(self, d: date) -> int:
        s = self._starts.get(d)
        if s is None:
            s = self._starts[d] = int(datetime(d.year, d.month, d.day, tzinfo=self.tz).timestamp())
        return s

    def local_date(self, ts: float) -> date:
        return datetime.fromtimestamp(ts, self.tz).date()

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """``n`` working days after ``d`` (``n`` = 0: ``d`` itself or the next working day)."""
        if not self.is_working_day(d):
            d = self.next_working_day(d)
        for _ in range(n):
            d = self.next_working_day(d)
        return d

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


# ---------------------------------------------------------------------------------------------
# Procedure catalogues (names are Vietnamese, codes are synthetic)
# ---------------------------------------------------------------------------------------------

# (name, national service level, fee, working days to resolve, relative popularity)
_PROVINCIAL_PROCEDURES = (
    ("Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất", "mot_phan", True, 10, 30),
    ("Đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất", "toan_trinh", True, 3, 22),
    ("Xóa đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất", "toan_trinh", True, 3, 15),
    ("Cung cấp thông tin, dữ liệu đất đai", "toan_trinh", True, 3, 8),
    (
        "Cấp đổi Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
        "mot_phan",
        True,
        7,
        7,
    ),
    ("Cấp lại Giấy chứng nhận quyền sử dụng đất do bị mất", "mot_phan", True, 10, 3),
    ("Đính chính Giấy chứng nhận đã cấp", "khong", False, 10, 2),
    ("Cấp Giấy chứng nhận quyền sử dụng đất lần đầu cho tổ chức", "khong", True, 20, 2),
    ("Giao đất, cho thuê đất không thông qua đấu giá quyền sử dụng đất", "khong", True, 20, 1),
    ("Chuyển mục đích sử dụng đất phải được cơ quan nhà nước có thẩm quyền cho phép", "khong", True, 15, 1.5),
    ("Gia hạn sử dụng đất ngoài khu công nghệ cao, khu kinh tế", "mot_phan", False, 7, 0.2),
    ("Cấp giấy phép môi trường", "mot_phan", True, 20, 0.3),
    ("Thẩm định báo cáo đánh giá tác động môi trường", "mot_phan", True, 20, 0.2),
    ("Cấp giấy phép khai thác nước dưới đất", "mot_phan", True, 15, 0.2),
    ("Cấp giấy phép khai thác, sử dụng nước mặt", "mot_phan", True, 15, 0.1),
    ("Cấp giấy phép xả nước thải vào nguồn nước", "khong", True, 15, 0.2),
    ("Cấp giấy phép thăm dò khoáng sản", "khong", True, 20, 0.1),
    ("Cấp giấy phép khai thác khoáng sản", "khong", True, 20, 0.15),
    ("Đóng cửa mỏ khoáng sản", "khong", False, 20, 0.05),
    ("Giao khu vực biển", "khong", True, 20, 0.05),
    ("Cấp chứng chỉ hành nghề đo đạc và bản đồ hạng II", "toan_trinh", True, 10, 0.08),
    ("Cung cấp thông tin, dữ liệu, sản phẩm đo đạc và bản đồ", "toan_trinh", True, 5, 0.15),
    ("Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm nông lâm thủy sản", "mot_phan", True, 15, 1.2),
    (
        "Cấp Giấy chứng nhận kiểm dịch động vật, sản phẩm động vật vận chuyển ra khỏi địa bàn tỉnh",
        "toan_trinh",
        True,
        3,
        3,
    ),
    ("Cấp Giấy chứng nhận đủ điều kiện buôn bán thuốc bảo vệ thực vật", "mot_phan", True, 15, 0.15),
    ("Cấp Giấy chứng nhận đủ điều kiện buôn bán phân bón", "mot_phan", True, 15, 0.1),
    ("Cấp văn bản chấp thuận khai thác thủy sản", "toan_trinh", True, 5, 0.2),
    ("Đăng ký tàu cá", "mot_phan", True, 3, 0.2),
    ("Cấp văn bản chấp thuận phương án khai thác lâm sản", "khong", False, 10, 0.1),
    ("Phê duyệt phương án quản lý rừng bền vững của chủ rừng là tổ chức", "khong", False, 20, 0.05),
    ("Cấp phép hoạt động trong phạm vi bảo vệ công trình thủy lợi", "mot_phan", True, 7, 0.08),
    ("Công nhận vùng an toàn dịch bệnh động vật", "khong", True, 20, 0.05),
    ("Cấp Giấy chứng nhận đủ điều kiện sản xuất thức ăn thủy sản", "khong", True, 20, 0.1),
    ("Công nhận cây đầu dòng, vườn cây đầu dòng", "khong", True, 20, 0.03),
    ("Cấp giấy phép vận chuyển thuốc bảo vệ thực vật", "mot_phan", True, 5, 0.03),
    ("Đăng ký khai thác nước dưới đất", "toan_trinh", False, 10, 0.1),
    # A long tail of rarely used services: most online services see no dossier in a month.
    (
        "Cấp lại Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm nông lâm thủy sản",
        "mot_phan",
        True,
        10,
        0.04,
    ),
    ("Cấp giấy phép nuôi trồng thủy sản trên biển", "mot_phan", True, 15, 0.02),
    ("Cấp Giấy chứng nhận đăng ký tàu cá tạm thời", "toan_trinh", True, 3, 0.03),
    ("Cấp giấy xác nhận nguồn gốc thủy sản khai thác", "toan_trinh", True, 3, 0.04),
    ("Gia hạn giấy phép khai thác nước dưới đất", "mot_phan", True, 15, 0.03),
    ("Điều chỉnh giấy phép môi trường", "mot_phan", True, 15, 0.03),
    ("Cấp đổi giấy phép môi trường", "mot_phan", True, 10, 0.02),
    ("Cấp lại giấy phép khai thác khoáng sản", "mot_phan", True, 15, 0.01),
    ("Cấp lại chứng chỉ hành nghề đo đạc và bản đồ hạng II", "toan_trinh", True, 5, 0.01),
    ("Cấp Giấy chứng nhận kiểm dịch thực vật nội địa", "toan_trinh", True, 3, 0.04),
    ("Cấp Giấy chứng nhận đủ điều kiện chăn nuôi trang trại quy mô lớn", "mot_phan", True, 15, 0.02),
    (
        "Cấp phép hoạt động du lịch, thể thao trong phạm vi bảo vệ công trình thủy lợi",
        "mot_phan",
        True,
        10,
        0.01,
    ),
    ("Thu hồi đất do chấm dứt việc sử dụng đất theo pháp luật", "khong", False, 20, 0.02),
    ("Chuyển mục đích sử dụng rừng sang mục đích khác", "khong", False, 20, 0.02),
    ("Thẩm định phương án cải tạo, phục hồi môi trường trong khai thác khoáng sản", "khong", True, 20, 0.03),
    (
        "Chấp thuận khảo sát thực địa, lấy mẫu để lựa chọn diện tích thăm dò khoáng sản",
        "khong",
        False,
        10,
        0.01,
    ),
    ("Phê duyệt trữ lượng khoáng sản thuộc thẩm quyền cấp tỉnh", "khong", True, 20, 0.01),
    ("Trả lại giấy phép khai thác khoáng sản", "khong", False, 15, 0.01),
    ("Cấp giấy phép xả nước thải vào công trình thủy lợi", "khong", True, 15, 0.02),
    ("Công nhận làng nghề truyền thống", "khong", False, 20, 0.01),
    ("Công nhận cơ sở an toàn dịch bệnh thủy sản", "khong", True, 20, 0.02),
    ("Xác nhận nguồn gốc lâm sản", "khong", False, 3, 0.05),
    ("Cấp mã số vùng trồng", "khong", False, 15, 0.03),
    ("Giao rừng, cho thuê rừng cho tổ chức", "khong", True, 20, 0.01),
)

_CENTRAL_PROCEDURES = (
    ("Cấp giấy phép xử lý chất thải nguy hại", "mot_phan", True, 20, 3),
    ("Cấp giấy phép môi trường (thẩm quyền của Bộ)", "mot_phan", True, 20, 2),
    ("Thẩm định báo cáo đánh giá tác động môi trường (thẩm quyền của Bộ)", "mot_phan", True, 20, 1.5),
    ("Cấp Giấy chứng nhận đủ điều kiện hoạt động dịch vụ quan trắc môi trường", "toan_trinh", True, 20, 2),
    ("Cấp giấy phép thăm dò khoáng sản (thẩm quyền của Bộ)", "khong", True, 20, 0.5),
    ("Cấp giấy phép khai thác khoáng sản (thẩm quyền của Bộ)", "khong", True, 20, 0.5),
    ("Phê duyệt trữ lượng khoáng sản", "khong", True, 20, 0.3),
    ("Cấp giấy phép khai thác, sử dụng tài nguyên nước (thẩm quyền của Bộ)", "mot_phan", True, 20, 0.8),
    ("Cấp giấy phép hành nghề khoan nước dưới đất quy mô lớn", "toan_trinh", True, 10, 0.2),
    ("Cấp giấy phép hoạt động dự báo, cảnh báo khí tượng thủy văn", "toan_trinh", True, 15, 0.1),
    ("Cấp giấy phép hoạt động đo đạc và bản đồ", "toan_trinh", True, 10, 1),
    ("Cấp chứng chỉ hành nghề đo đạc và bản đồ hạng I", "toan_trinh", True, 10, 0.2),
    ("Cung cấp thông tin, dữ liệu, sản phẩm đo đạc và bản đồ quốc gia", "toan_trinh", True, 5, 1.5),
    ("Giao khu vực biển (thẩm quyền của Bộ)", "khong", True, 20, 0.1),
    ("Cấp giấy phép nhận chìm ở biển", "khong", True, 20, 0.1),
    ("Xác nhận đăng ký hoạt động tín chỉ các-bon", "mot_phan", False, 15, 0.1),
    ("Cấp giấy phép khai thác loài thuộc Danh mục loài nguy cấp, quý, hiếm", "khong", True, 15, 0.1),
    ("Cấp Giấy chứng nhận cơ sở bảo tồn đa dạng sinh học", "khong", False, 20, 0.1),
    ("Cung cấp thông tin, dữ liệu về tài nguyên và môi trường", "toan_trinh", True, 3, 2),
    (
        "Xác nhận đủ điều kiện về bảo vệ môi trường trong nhập khẩu phế liệu làm nguyên liệu sản xuất",
        "mot_phan",
        True,
        15,
        1,
    ),
    ("Cấp phép nhập khẩu giống cây trồng chưa có trong Danh mục", "khong", True, 15, 0.2),
)


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


# ---------------------------------------------------------------------------------------------
# The simulator
# ---------------------------------------------------------------------------------------------


def _new_dossier(
    rng: random.Random, dossier_id: str, unit_code: str, proc, online_prob: float
) -> tuple[_Record, bool]:
    """A newly submitted dossier (status 1) and whether it came online; the channel draws happen
    in the same order for history and live stream, so both stay deterministic."""
    online = rng.random() < min(0.97, online_prob)
    if online:
        channel = 2
    elif rng.random() < 0.04:
        channel = 3
    else:
        channel = None if rng.random() < 0.02 else 1
    rec = _Record(
        {
            "MaHoSo": dossier_id,
            "MaTTHC": proc.code,
            "MaDonVi": unit_code,
            "NgayTiepNhan": None,
            "NgayHenTra": None,
            "NgayKetThucXuLy": None,
            "NgayTraKetQua": None,
            "TrangThaiHoSo": 1,
            "KenhThucHien": channel,
            "CoPhi": proc.fee,
            "DuocThanhToanTrucTuyen": None,
            "SoLanBoSung": 0,
            "CoKetQuaDienTu": False,
            "DaSoHoa": False,
            "DanhGia": None,
        }
    )
    return rec, online


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


class AgencySimulator:
    """A seeded model of an agency's documents, dossiers and online meetings.

    The same ``seed`` and ``units`` always give the same records, whatever windows are asked for.
    Windows are half-open on the left: ``(t0, t1]``; all datetimes are timezone-aware and rows
    carry aware datetimes in the agency's time zone ``tz``.

    **Live stream.** With ``live_since`` set, every window also holds the records of a *live
    stream*: a steady trickle of extra activity from that moment on, whatever the calendar and the
    hour (about ``live_docs_per_min`` documents and ``live_dossiers_per_min`` dossiers a minute
    agency-wide, and an online meeting starting every 20–40 minutes), with compressed life
    histories so that a wall screen sees changes within minutes. Live ids start with ``LIVE-``
    (``LIVE-VB.…``, ``LIVE-HS.…``, ``LIVE-HOP.…``); the historical records are the same with and
    without it. The stream is cut into chunks of ``LIVE_CHUNK_S`` seconds starting at
    ``live_since`` (to the second); a chunk's records depend only on
    ``(seed, "live", kind, chunk start)``, the unit profiles and the rates, and no chunk exists
    before ``live_since``.
    """

    def __init__(
        self,
        units: list[SimUnit],
        seed: int = 2026,
        tz: ZoneInfo = VN_TZ,
        *,
        cache_batches: int | None = None,
        live_since: datetime | None = None,
        live_docs_per_min: float = 6.0,
        live_dossiers_per_min: float = 4.0,
    ):
        if live_docs_per_min < 0 or live_dossiers_per_min < 0:
            raise ValueError("live rates must not be negative")
        self.seed = seed
        self.tz = tz
        self.units = list(units)
        self.calendar = _Calendar(tz)
        self._profiles: dict[str, _Profile] = {}
        for unit in self.units:
            if unit.level in PRODUCING_LEVELS and unit.code not in self._profiles:
                self._profiles[unit.code] = self._make_profile(unit)
        # Generated batches, least recently used first. The default holds ~120 days of every
        # kind and unit: a window of up to ~7 weeks then reuses the batches its predecessor built.
        self._cache: OrderedDict[tuple[str, str, date], _Batch] = OrderedDict()
        self._cache_max = (
            cache_batches if cache_batches is not None else 3 * 120 * max(1, len(self._profiles))
        )
        self.batches_generated = 0  # how many (kind, unit, day) batches were built: a cost measure
        provinces = [p for p in self._profiles.values() if not p.central]
        centrals = [p for p in self._profiles.values() if p.central]
        # The agency's briefings are hosted by its first central unit (the office, in the demo).
        self._host = (centrals or provinces or [None])[0]
        self._provinces = provinces
        # The live stream: its start (epoch seconds), rates, and chunks built (least recently used
        # first); enough chunks are kept for a sliding window to reuse its predecessor's.
        self.live_docs_per_min = float(live_docs_per_min)
        self.live_dossiers_per_min = float(live_dossiers_per_min)
        self._live0: int | None = None
        self._live_cache: OrderedDict[tuple[str, int], _LiveChunk] = OrderedDict()
        self._live_cache_max = 2 * sum(h // LIVE_CHUNK_S + 2 for h in LIVE_HORIZON_S.values())
        self.live_chunks_generated = 0  # how many (kind, chunk) live chunks were built: a cost measure
        profiles = list(self._profiles.values())
        with_procedures = [p for p in profiles if p.procedures]
        # Live records are spread over the units by their normal volume.
        self._live_units = {
            "documents": (profiles, _cum(p.doc_rate for p in profiles)),
            "dossiers": (with_procedures, _cum(p.dossier_rate for p in with_procedures)),
            "meetings": (profiles, _cum(self._meeting_rate(p) for p in profiles)),
        }
        self.live_since = live_since

    # -- profiles ----------------------------------------------------------------------------

    def _make_profile(self, unit: SimUnit) -> _Profile:
        seed, code = self.seed, unit.code
        perf = unit.performance if unit.performance is not None else _derive_performance(seed, code)
        q = min(1.0, max(0.0, (perf - 0.55) / 0.45))
        central = unit.level == "department"
        size = 0.45 + 1.1 * _stable_unit(seed, "size", code)
        if central:
            doc_rate = DOCS_PER_MONTH_CENTRAL / WORKING_DAYS_PER_MONTH * size
        else:
            # Provincial departments differ a lot in how much they use the shared system (VB-09).
            participation = (0.15 + 0.85 * q) / 0.70
            doc_rate = DOCS_PER_MONTH_PROVINCE / WORKING_DAYS_PER_MONTH * size * participation
        profile = _Profile(code, unit.level, perf, q, central, doc_rate, 0.0)
        rng = _rng(seed, "catalogue", code)
        if central:
            if _stable_unit(seed, "has-procedures", code) < CENTRAL_WITH_PROCEDURES:
                picks = sorted(rng.sample(range(len(_CENTRAL_PROCEDURES)), 3 + rng.randrange(5)))
                catalogue = [(i, _CENTRAL_PROCEDURES[i], "2.00") for i in picks]
                profile.dossier_rate = DOSSIERS_PER_DAY_CENTRAL * size
            else:
                catalogue = []
        else:
            catalogue = [(i, p, "1.00") for i, p in enumerate(_PROVINCIAL_PROCEDURES)]
            profile.dossier_rate = DOSSIERS_PER_DAY_PROVINCE * size
        for i, (name, level, fee, days, pop), prefix in catalogue:
            # Weaker units have not opened some services online; strong ones opened a few more.
            if level != "khong" and rng.random() < 0.35 * (1 - q):
                level = "khong"
            elif level == "khong" and rng.random() < 0.08 * q:
                level = "mot_phan"
            proc_code = f"{prefix}{4100 + 37 * i:04d}"
            profile.procedures.append(_Procedure(proc_code, name, level, fee, days, pop))
        profile.proc_cum = _cum(p.popularity for p in profile.procedures)
        return profile

    @staticmethod
    def _meeting_rate(prof: _Profile) -> float:
        """Ad hoc online meetings a unit holds on a working day."""
        return (0.15 + 0.2 * prof.quality) if prof.central else 0.04 + 0.04 * prof.quality

    # -- live stream -------------------------------------------------------------------------

    @property
    def live_since(self) -> datetime | None:
        """Where the live stream starts (to the second), or None when it is off."""
        return None if self._live0 is None else datetime.fromtimestamp(self._live0, self.tz)

    @live_since.setter
    def live_since(self, value: datetime | None) -> None:
        if value is None:
            live0 = None
        elif value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"live_since={value.isoformat()} is naive: pass a timezone-aware datetime")
        else:
            live0 = math.ceil(value.timestamp())  # whole seconds, never before the given moment
        if live0 != self._live0:
            self._live0 = live0
            self._live_cache.clear()

    def performance(self, code: str) -> float:
        """The performance factor used for unit ``code``."""
        return self._profiles[code].performance

    @property
    def producing_units(self) -> list[str]:
        return list(self._profiles)

    def procedures(self) -> list[dict[str, Any]]:
        """The procedure catalogue per unit (v_procedures rows)."""
        return [
            {"MaTTHC": p.code, "MaDonVi": prof.code, "TenTTHC": p.name, "MucDo": p.level, "CoPhi": p.fee}
            for prof in self._profiles.values()
            for p in prof.procedures
        ]

    # -- windows -----------------------------------------------------------------------------

    def documents_changed(self, t0: datetime, t1: datetime) -> Iterator[dict[str, Any]]:
        """Documents whose latest event at or before ``t1`` lies in (t0, t1], as of ``t1``."""
        return self._changed("documents", t0, t1)

    def dossiers_changed(self, t0: datetime, t1: datetime) -> Iterator[dict[str, Any]]:
        """Dossiers whose latest event at or before ``t1`` lies in (t0, t1], as of ``t1``."""
        return self._changed("dossiers", t0, t1)

    def meetings_changed(self, t0: datetime, t1: datetime) -> Iterator[dict[str, Any]]:
        """Meetings whose latest event at or before ``t1`` lies in (t0, t1], as of ``t1``."""
        return self._changed("meetings", t0, t1)

    def _changed(self, kind: str, t0: datetime, t1: datetime) -> Iterator[dict[str, Any]]:
        for value, name in ((t0, "t0"), (t1, "t1")):
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"{name}={value.isoformat()} is naive: pass a timezone-aware datetime")
        t0s, t1s = t0.timestamp(), t1.timestamp()
        if t1s <= t0s:
            return
        cal, tz = self.calendar, self.tz
        first_day = cal.local_date(t0s) - timedelta(days=HORIZON_DAYS + 1)
        last_day = cal.local_date(t1s)
        if kind == "meetings":
            last_day += timedelta(days=MEETING_LEAD_DAYS + 1)
        ts_keys, updated_key = _TS_KEYS[kind], _UPDATED_KEY[kind]
        n_days = (last_day - first_day).days + 1
        days = [first_day + timedelta(days=i) for i in range(n_days)]
        fromts = datetime.fromtimestamp
        for code in self._profiles:
            for d in days:
                batch = self._batch(kind, code, d)
                if batch.last <= t0s or batch.first > t1s:
                    continue
                for rec in batch.records:
                    times = rec.times
                    if times[-1] <= t0s or times[0] > t1s:
                        continue
                    i = bisect.bisect_right(times, t1s) - 1
                    if times[i] <= t0s:
                        continue
                    row = rec.state(i)
                    for key in ts_keys:
                        v = row[key]
                        if v is not None:
                            row[key] = fromts(v, tz)
                    row[updated_key] = fromts(times[i], tz)
                    yield row
        if self._live0 is not None:
            yield from self._live_changed(kind, t0s, t1s)

    def _live_changed(self, kind: str, t0s: float, t1s: float) -> Iterator[dict[str, Any]]:
        """The live records whose latest event at or before ``t1s`` lies in (t0s, t1s]."""
        live0 = self._live0
        assert live0 is not None
        if t1s < live0:
            return
        first = max(0, math.floor((t0s - LIVE_HORIZON_S[kind] - live0) / LIVE_CHUNK_S))
        last = math.floor((t1s - live0) / LIVE_CHUNK_S)
        ts_keys, updated_key, tz = _TS_KEYS[kind], _UPDATED_KEY[kind], self.tz
        fromts = datetime.fromtimestamp
        for k in range(first, last + 1):
            chunk = self._live_chunk(kind, live0 + k * LIVE_CHUNK_S)
            lo = bisect.bisect_right(chunk.times, t0s)
            hi = bisect.bisect_right(chunk.times, t1s)
            if lo == hi:
                continue
            for j in sorted(set(chunk.owners[lo:hi])):
                rec = chunk.records[j]
                i = bisect.bisect_right(rec.times, t1s) - 1
                row = rec.state(i)
                for key in ts_keys:
                    v = row[key]
                    if v is not None:
                        row[key] = fromts(v, tz)
                row[updated_key] = fromts(rec.times[i], tz)
                yield row

    def _live_chunk(self, kind: str, chunk_start: int) -> _LiveChunk:
        key = (kind, chunk_start)
        cache = self._live_cache
        chunk = cache.get(key)
        if chunk is not None:
            cache.move_to_end(key)
            return chunk
        self.live_chunks_generated += 1
        rng = _rng(self.seed, "live", kind, chunk_start)
        stamp = f"{datetime.fromtimestamp(chunk_start, self.tz):%y%m%d%H%M%S}"
        if kind == "documents":
            records = self._make_live_documents(chunk_start, stamp, rng)
        elif kind == "dossiers":
            records = self._make_live_dossiers(chunk_start, stamp, rng)
        else:
            records = self._make_live_meetings(chunk_start, stamp, rng)
        horizon = chunk_start + LIVE_HORIZON_S[kind]
        for rec in records:
            _truncate(rec, horizon)
        chunk = cache[key] = _LiveChunk(records)
        if len(cache) > self._live_cache_max:
            cache.popitem(last=False)
        return chunk

    def _batch(self, kind: str, code: str, day: date) -> _Batch:
        key = (kind, code, day)
        cache = self._cache
        batch = cache.get(key)
        if batch is not None:
            cache.move_to_end(key)
            return batch
        profile = self._profiles[code]
        self.batches_generated += 1
        rng = _rng(self.seed, kind, code, day.isoformat())
        if kind == "documents":
            records = self._make_documents(profile, day, rng)
        elif kind == "dossiers":
            records = self._make_dossiers(profile, day, rng)
        else:
            records = self._make_meetings(profile, day, rng)
        batch = cache[key] = _Batch(records)
        if len(cache) > self._cache_max:
            cache.popitem(last=False)
        return batch

    # -- documents ---------------------------------------------------------------------------

    _DIRECTIONS = ("in", "out", "internal")
    _DIRECTION_CUM = _cum((0.45, 0.35, 0.20))
    _URGENCIES = ("normal", "khan", "thuong_khan", "hoa_toc")
    _URGENCY_CUM = _cum((0.90, 0.06, 0.03, 0.01))
    _URGENT_DUE_DAYS = {"khan": 2, "thuong_khan": 1, "hoa_toc": 0}

    def _new_document(self, doc_id: str, code: str, shares: tuple[float, ...], rng: random.Random) -> _Record:
        """A document's base record: direction, urgency, channel and signature drawn from ``rng``."""
        p_elec_inout, p_elec_internal, p_signed_internal, p_signed_axis, p_signed_other = shares
        direction = _pick(rng, self._DIRECTIONS, self._DIRECTION_CUM)
        urgency = _pick(rng, self._URGENCIES, self._URGENCY_CUM)
        if direction == "internal":
            channel = "internal" if rng.random() < p_elec_internal else "paper"
        elif rng.random() < p_elec_inout:
            channel = "axis" if rng.random() < 0.55 else "internal"
        else:
            channel = "paper"
        electronic = channel != "paper"
        if not electronic:
            signed = False
        elif channel == "axis":
            signed = rng.random() < p_signed_axis
        elif direction == "internal":
            signed = rng.random() < p_signed_internal
        else:
            signed = rng.random() < p_signed_other
        return _Record(
            {
                "doc_id": doc_id,
                "unit_code": code,
                "direction": direction,
                "channel": channel,
                "is_electronic": electronic,
                "is_signed": signed,
                "urgency": urgency,
                "registered_at": None,
                "due_at": None,
                "completed_at": None,
                "status_code": None,
                "arrived_at": None,
                "sent_at": None,
                "acknowledged_at": None,
            }
        )

    def _make_documents(self, prof: _Profile, day: date, rng: random.Random) -> list[_Record]:  # noqa: C901 -- TODO(issue 15): split
        cal = self.calendar
        if cal.is_working_day(day):
            lam = prof.doc_rate
        elif day.weekday() == 5 and not cal.is_holiday(day):
            lam = prof.doc_rate * SATURDAY_FACTOR
        else:
            return []
        n = _poisson(rng, lam)
        if not n:
            return []
        q = prof.quality
        start = cal.day_start(day)
        horizon = start + HORIZON_DAYS * DAY
        shares = _doc_shares(q)
        p_late_registration = 0.25 - 0.22 * q
        p_late = 0.28 - 0.24 * q
        p_never = 0.06 - 0.05 * q
        slow = 1.8 - 0.8 * q  # handling-time multiplier
        records = []
        for seq in range(1, n + 1):
            rec = self._new_document(f"VB.{prof.code}.{day:%y%m%d}.{seq:04d}", prof.code, shares, rng)
            direction, channel, urgency = rec.base["direction"], rec.base["channel"], rec.base["urgency"]
            arrival = start + _doc_time_of_day(rng)
            urgent = urgency != "normal"
            # Registration: incoming axis documents first arrive (01) and wait for the clerk.
            if direction == "in" and channel == "axis":
                rec.add(arrival, {"status_code": "01", "arrived_at": arrival})
                if urgent:
                    reg = cal.to_office(arrival + int(rng.random() * HOUR), rng, 1800)
                elif rng.random() < p_late_registration:
                    later = cal.add_working_days(cal.local_date(arrival), 1 + int(rng.random() * 3))
                    reg = max(arrival + 600, cal.office_time(later, rng))
                else:
                    reg = cal.to_office(arrival + int(rng.expovariate(1 / (2 * HOUR * slow))), rng)
                if rng.random() < 0.02:
                    rec.add(reg, {"status_code": "02"})  # rejected / returned to the sender
                    records.append(rec)
                    continue
                rec.add(reg, {"status_code": "03", "registered_at": reg})
            elif direction == "out" and channel == "axis":
                reg = arrival
                rec.add(reg, {"status_code": "01", "registered_at": reg, "sent_at": reg})  # sent, arrived
                ack = cal.to_office(reg + int(rng.expovariate(1 / (3 * HOUR))), rng)
                rec.add(ack, {"status_code": "03", "acknowledged_at": ack})  # accepted by the recipient
            else:
                reg = arrival if direction != "in" else cal.to_office(arrival + int(rng.random() * HOUR), rng)
                rec.add(reg, {"status_code": "03", "registered_at": reg})
            reg_day = cal.local_date(reg)
            # Recall by the sender (axis only): a terminal 13.
            if channel == "axis" and rng.random() < 0.012:
                recall = cal.to_office(rec.times[-1] + int(rng.random() * 2 * DAY), rng)
                if recall < horizon:
                    rec.add(recall, {"status_code": "13"})
                records.append(rec)
                continue
            # Due dates: urgent documents always, others often, outgoing rarely.
            due = None
            if direction != "out" and (urgent or rng.random() < 0.35):
                n_days = self._URGENT_DUE_DAYS[urgency] if urgent else 3 + int(rng.random() * 13)
                due = cal.day_start(cal.add_working_days(reg_day, n_days)) + OFFICE_END
                if due <= reg:  # registered after hours: due by the end of the next working day
                    due = cal.day_start(cal.next_working_day(reg_day)) + OFFICE_END
                rec.changes[-1]["due_at"] = due
            # Handling: assigned (04), in progress (05), completed (06).
            assign_mean = HOUR * (0.5 if urgent else 4) * slow
            assigned = cal.to_office(rec.times[-1] + int(rng.expovariate(1 / assign_mean)), rng)
            if assigned >= horizon:
                records.append(rec)
                continue
            rec.add(assigned, {"status_code": "04"})
            if rng.random() < p_never:
                done = None
            elif due is not None:
                due_day = cal.local_date(due)
                if rng.random() < p_late:
                    done_day = cal.add_working_days(due_day, 1 + min(15, int(rng.expovariate(0.35))))
                else:
                    span = max(0, (due_day - reg_day).days)
                    done_day = reg_day + timedelta(days=int(rng.random() * (span + 1)))
                    if not cal.is_working_day(done_day):
                        done_day = due_day
                done = max(assigned + 1800, cal.office_time(done_day, rng))
            else:
                extra = int(rng.expovariate(1 / (3.0 * slow)))
                done = max(assigned + 1800, cal.office_time(cal.add_working_days(reg_day, extra), rng))
            if done is None:
                working = cal.to_office(assigned + int(rng.random() * 2 * DAY), rng)
                if working < horizon:
                    rec.add(working, {"status_code": "05"})
            else:
                working = assigned + int(rng.random() * max(60, done - assigned))
                if working < horizon:
                    rec.add(working, {"status_code": "05"})
                if done < horizon:
                    rec.add(
                        max(done, working + 60),
                        {"status_code": "06", "completed_at": max(done, working + 60)},
                    )
            records.append(rec)
        return records

    # -- dossiers ----------------------------------------------------------------------------

    def _make_dossiers(self, prof: _Profile, day: date, rng: random.Random) -> list[_Record]:  # noqa: C901 -- TODO(issue 15): split
        if not prof.procedures:
            return []
        cal = self.calendar
        working = cal.is_working_day(day)
        q = prof.quality
        # Online submissions arrive any day; counter and postal intake only on working days.
        lam = prof.dossier_rate if working else prof.dossier_rate * 0.12 * (0.3 if cal.is_holiday(day) else 1)
        n = _poisson(rng, lam)
        if not n:
            return []
        start = cal.day_start(day)
        horizon = start + HORIZON_DAYS * DAY
        uptake = 0.60 + 0.60 * q
        p_late = 0.30 - 0.28 * q
        p_supplement = 0.20 - 0.10 * q
        p_second = 0.35 - 0.20 * q
        p_stuck = 0.025 - 0.022 * q
        p_e_result = 0.45 + 0.45 * q
        p_digitised = 0.55 + 0.40 * q
        records = []
        for seq in range(1, n + 1):
            proc = _pick(rng, prof.procedures, prof.proc_cum)
            online_prob = {"toan_trinh": 0.80, "mot_phan": 0.45, "khong": 0.0}[proc.level] * uptake
            if not working:
                online_prob = 1.0 if proc.level != "khong" else 0.0
                if online_prob == 0.0:
                    continue  # nobody queues at a closed counter
            rec, online = _new_dossier(
                rng, f"HS.{prof.code}.{day:%y%m%d}.{seq:04d}", prof.code, proc, online_prob
            )
            records.append(rec)
            # Intake: online dossiers are registered (1) and accepted later in office hours.
            if online:
                submitted = start + _online_time_of_day(rng)
                rec.add(submitted, {"TrangThaiHoSo": 1})
                if rng.random() < 0.01:
                    continue  # never looked at: stays "newly registered"
                received = cal.to_office(submitted + int(rng.expovariate(1 / (5 * HOUR * (2 - q)))), rng)
            else:
                if not working:
                    records.pop()
                    continue
                received = cal.office_time(day, rng)
            if received >= horizon:
                continue
            if rng.random() < 0.03:
                rec.add(received, {"TrangThaiHoSo": 3, "NgayTiepNhan": received})  # refused at intake
                continue
            received_day = cal.local_date(received)
            due_day = cal.add_working_days(received_day, proc.days)
            tod = min(received - cal.day_start(received_day), 16 * HOUR + 1800)
            due = cal.day_start(due_day) + tod
            paid = None
            if proc.fee:
                p_paid = (0.30 + 0.50 * q) if online else (0.03 + 0.07 * q)
                if rng.random() < p_paid:
                    paid = 1 if rng.random() < 0.35 else 2
            rec.add(
                received,
                {
                    "TrangThaiHoSo": 2,
                    "NgayTiepNhan": received,
                    "NgayHenTra": due,
                    "DuocThanhToanTrucTuyen": paid,
                    "DaSoHoa": rng.random() < p_digitised,
                },
            )
            processing = cal.to_office(received + int(rng.random() * 8 * HOUR), rng)
            if processing >= horizon:
                continue
            rec.add(processing, {"TrangThaiHoSo": 4})
            t = processing
            # Supplement requests pause the dossier; the due date moves by the paused working days.
            supplements = 0
            if rng.random() < p_supplement:
                supplements = 2 if rng.random() < p_second else 1
            stalled = False
            requested = 0
            for _ in range(supplements):
                gap = max(HOUR, int((due - t) * (0.2 + 0.4 * rng.random())))
                asked = cal.to_office(t + gap, rng)
                if asked >= horizon:
                    stalled = True
                    break
                requested += 1
                rec.add(asked, {"TrangThaiHoSo": 5, "SoLanBoSung": requested})
                if rng.random() < 0.05 + 0.05 * (1 - q):
                    stalled = True  # the applicant never answers: paused for good
                    break
                paused = 1 + int(rng.expovariate(0.3))
                resumed_day = cal.add_working_days(cal.local_date(asked), paused)
                resumed = max(asked + 600, cal.office_time(resumed_day, rng))
                if resumed >= horizon:
                    stalled = True
                    break
                due_day = cal.add_working_days(due_day, paused)
                due = cal.day_start(due_day) + tod
                rec.add(resumed, {"TrangThaiHoSo": 4, "NgayHenTra": due})
                t = resumed
            if stalled or rng.random() < p_stuck:
                self._work_off(rec, t, due_day, requested > 0 and stalled, q, horizon)
                continue  # open past its due day; worked off late, or (a few) still open
            # Withdrawn by the applicant or stopped: terminal, no result.
            r = rng.random()
            if r < 0.02 or r < 0.03 and supplements:
                when = cal.to_office(t + int(rng.random() * max(HOUR, due - t)), rng)
                if when < horizon:
                    rec.add(when, {"TrangThaiHoSo": 7, "NgayKetThucXuLy": when})
                continue
            if r < 0.03 + 0.01 * (1 - q):
                when = cal.to_office(t + int(rng.random() * max(HOUR, due - t)), rng)
                if when < horizon:
                    rec.add(when, {"TrangThaiHoSo": 8, "NgayKetThucXuLy": when})
                continue
            # Finish early, on the due day, or late.
            t_day = cal.local_date(t)
            late = rng.random() < p_late + (0.25 if supplements > 1 else 0.0)
            if late:
                finish_day = cal.add_working_days(due_day, 1 + min(20, int(rng.expovariate(0.3))))
            elif rng.random() < 0.75 and t_day < due_day:
                finish_day = t_day + timedelta(days=int(rng.random() * (due_day - t_day).days))
                if not cal.is_working_day(finish_day):
                    finish_day = cal.add_working_days(finish_day, 0)
                if finish_day > due_day:
                    finish_day = due_day
            else:
                finish_day = due_day if due_day >= t_day else t_day
            finish = max(t + 1800, cal.office_time(finish_day, rng))
            if proc.fee and paid is None and rng.random() < 0.10:
                asked_pay = finish - int(rng.random() * 2 * HOUR) - 60
                if asked_pay > t and asked_pay < horizon:
                    rec.add(asked_pay, {"TrangThaiHoSo": 6})  # financial obligation requested
            if finish >= horizon:
                continue
            e_result = rng.random() < p_e_result
            rec.add(finish, {"TrangThaiHoSo": 9, "NgayKetThucXuLy": finish, "CoKetQuaDienTu": e_result})
            if rng.random() < 0.92:
                delay = (
                    int(rng.random() * HOUR)
                    if (e_result and online)
                    else int(rng.expovariate(1 / (1.5 * DAY)))
                )
                returned = cal.to_office(finish + delay, rng)
                if returned < horizon:
                    changes: dict[str, Any] = {"TrangThaiHoSo": 10, "NgayTraKetQua": returned}
                    if rng.random() < 0.35:
                        if late:
                            changes["DanhGia"] = _pick(rng, (1, 2, 3), (0.4, 0.7, 1.0))
                        else:
                            changes["DanhGia"] = _pick(rng, (1, 2, 3), (0.04, 0.18, 1.0))
                    rec.add(returned, changes)
        return records

    def _work_off(self, rec: _Record, t: int, due_day: date, waiting: bool, q: float, horizon: int) -> None:
        """A dossier that ran late is worked off the way units do: most days or weeks after its
        due day, a few only much later (beyond the record's horizon: still open). One waiting
        for the applicant's papers is stopped after some weeks; one stuck in processing is
        finished late and its result returned. Its own draws: other dossiers stay as they were."""
        cal, r = self.calendar, _rng(self.seed, "backlog", rec.base["MaHoSo"])
        if waiting:
            stop_day = cal.add_working_days(cal.local_date(t), 10 + int(r.expovariate(1 / 12)))
            stop = max(t + HOUR, cal.office_time(stop_day, r))
            if stop < horizon:
                rec.add(stop, {"TrangThaiHoSo": 8, "NgayKetThucXuLy": stop})
            return
        late_days = 1 + int(r.expovariate(1 / (6 + 14 * (1 - q))))  # a mean of 1–3 weeks late
        finish = max(
            t + HOUR, cal.office_time(cal.add_working_days(max(due_day, cal.local_date(t)), late_days), r)
        )
        if finish >= horizon:
            return
        rec.add(finish, {"TrangThaiHoSo": 9, "NgayKetThucXuLy": finish, "CoKetQuaDienTu": r.random() < 0.5})
        returned = cal.to_office(finish + int(r.expovariate(1 / DAY)), r)
        if returned < horizon:
            rec.add(returned, {"TrangThaiHoSo": 10, "NgayTraKetQua": returned})

    # -- meetings ----------------------------------------------------------------------------

    _CENTRAL_TITLES = (
        "Họp trực tuyến với các Sở",
        "Họp chuyên môn",
        "Hội nghị tập huấn trực tuyến",
        "Họp thẩm định hồ sơ",
        "Họp triển khai nhiệm vụ chuyển đổi số",
        "Hội thảo góp ý dự thảo văn bản",
        "Họp Ban Chỉ đạo",
        "Họp rà soát tiến độ nhiệm vụ",
    )
    _PROVINCE_TITLES = (
        "Họp giao ban cơ quan",
        "Họp trực tuyến với UBND các xã",
        "Họp chuyên môn",
        "Tập huấn trực tuyến",
    )
    _PLATFORMS = ("bigbluebutton", "jitsi", "trueconf")
    _PLATFORM_CUM = _cum((0.5, 0.25, 0.25))

    def _make_meetings(self, prof: _Profile, day: date, rng: random.Random) -> list[_Record]:
        cal = self.calendar
        if not cal.is_working_day(day):
            return []
        start = cal.day_start(day)
        horizon = start + HORIZON_DAYS * DAY
        plans: list[tuple] = []  # (title, platform, start tod, minutes, endpoints, kind)
        if self._host is prof:
            week_first = day - timedelta(days=day.weekday())
            first_working = week_first if cal.is_working_day(week_first) else cal.next_working_day(week_first)
            if day == first_working:
                plans.append(
                    (
                        "Giao ban tuần trực tuyến với các Sở",
                        "trueconf",
                        8 * HOUR,
                        120,
                        len(self._provinces) + 1,
                        "weekly",
                    )
                )
            month_first = day.replace(day=1)
            month_working = (
                month_first if cal.is_working_day(month_first) else cal.next_working_day(month_first)
            )
            if day == month_working:
                plans.append(
                    (
                        "Giao ban tháng (Hà Nội – Đà Nẵng – TP. Hồ Chí Minh)",
                        "trueconf",
                        14 * HOUR,
                        120,
                        3,
                        "monthly",
                    )
                )
        for _ in range(_poisson(rng, self._meeting_rate(prof))):
            titles = self._CENTRAL_TITLES if prof.central else self._PROVINCE_TITLES
            title = titles[int(rng.random() * len(titles))]
            endpoints = 2 + int(rng.random() * (29 if prof.central else 12))
            if title == "Họp trực tuyến với các Sở":
                endpoints = max(endpoints, len(self._provinces) // 2 + 1)
            tod = OFFICE_START + 1800 + 1800 * int(rng.random() * 15)  # 08:00 … 15:00, on the half hour
            plans.append(
                (
                    title,
                    _pick(rng, self._PLATFORMS, self._PLATFORM_CUM),
                    tod,
                    60 + 30 * int(rng.random() * 5),
                    endpoints,
                    "adhoc",
                )
            )
        records = []
        for seq, (title, platform, tod, minutes, endpoints, kind) in enumerate(plans, start=1):
            begin = start + tod
            end = begin + minutes * 60
            rec = _Record(
                {
                    "meeting_id": f"HOP.{prof.code}.{day:%y%m%d}.{seq:02d}",
                    "unit_code": prof.code,
                    "title": title,
                    "platform": platform,
                    "status": 1,
                    "start_at": begin,
                    "end_at": end,
                    "endpoints_scheduled": endpoints,
                    "endpoints_connected": 0,
                    "participants": 0,
                }
            )
            lead = 3 if kind != "adhoc" else 1 + int(rng.random() * (MEETING_LEAD_DAYS - 1))
            created = cal.to_office(cal.office_time(day - timedelta(days=lead), rng), rng)
            if created >= begin - HOUR:
                created = begin - 2 * HOUR
            rec.add(created, {})
            cancel = 0.01 if kind != "adhoc" else 0.04
            r = rng.random()
            if r < cancel + (0.015 if kind == "adhoc" else 0):
                status = 4 if r < cancel else 3
                when = created + int(rng.random() * (begin - created - 600))
                rec.add(when, {"status": status})
                records.append(rec)
                continue
            approved = min(cal.to_office(created + int(rng.random() * 20 * HOUR), rng), begin - 900)
            rec.add(max(approved, created), {"status": 2})
            # Held: the export reports actual start, end and connections once it is over.
            actual_begin = begin + int(rng.random() * 600)
            actual_end = max(actual_begin + 1800, end + int(rng.gauss(0, 900)))
            if kind == "weekly":
                connected = 1 + sum(1 for p in self._provinces if rng.random() < 0.85 + 0.14 * p.quality)
            elif kind == "monthly":
                connected = 3 if rng.random() < 0.95 else 2
            else:
                p_conn = 0.86 + 0.12 * prof.quality
                connected = sum(1 for _ in range(endpoints) if rng.random() < p_conn)
            connected = min(endpoints, max(1 if endpoints else 0, connected))
            participants = sum(2 + int(rng.random() * 7) for _ in range(connected)) + int(rng.random() * 15)
            if actual_end < horizon:
                rec.add(
                    actual_end + 300 + int(rng.random() * 1800),
                    {
                        "start_at": actual_begin,
                        "end_at": actual_end,
                        "endpoints_connected": connected,
                        "participants": participants,
                    },
                )
            records.append(rec)
        return records

    # -- live stream: records with compressed life histories ---------------------------------

    def _make_live_documents(self, c: int, stamp: str, rng: random.Random) -> list[_Record]:
        """Documents arriving in the chunk starting at ``c``: 01 → 03 → 04 → 05 → 06 within
        minutes to an hour; a few rejected (02) or recalled (13), some with a due date of tens of
        minutes (weak units finish late more often), a few never finished."""
        units, cum = self._live_units["documents"]
        n = _poisson(rng, self.live_docs_per_min * LIVE_CHUNK_S / 60) if units and cum[-1] > 0 else 0
        minute = 60
        records = []
        for seq in range(1, n + 1):
            prof = _pick(rng, units, cum)
            q = prof.quality
            slow = 1.8 - 0.8 * q
            rec = self._new_document(
                f"{LIVE_ID_PREFIX['documents']}.{prof.code}.{stamp}.{seq:04d}", prof.code, _doc_shares(q), rng
            )
            records.append(rec)
            direction, channel = rec.base["direction"], rec.base["channel"]
            urgent = rec.base["urgency"] != "normal"
            arrival = c + 1 + int(rng.random() * (LIVE_CHUNK_S - 1))  # strictly after the chunk start
            if direction == "in" and channel == "axis":
                rec.add(
                    arrival, {"status_code": "01", "arrived_at": arrival}
                )  # arrived on the axis, waits for the clerk
                reg = arrival + 30 + int(rng.expovariate(1 / ((1 if urgent else 4) * minute * slow)))
                if rng.random() < 0.03:
                    rec.add(reg, {"status_code": "02"})  # returned to the sender
                    continue
                rec.add(reg, {"status_code": "03", "registered_at": reg})
            elif direction == "out" and channel == "axis":
                reg = arrival
                rec.add(reg, {"status_code": "01", "registered_at": reg, "sent_at": reg})
                ack = reg + 30 + int(rng.expovariate(1 / (3 * minute)))
                rec.add(ack, {"status_code": "03", "acknowledged_at": ack})
            else:
                reg = arrival
                rec.add(reg, {"status_code": "03", "registered_at": reg})
            if channel == "axis" and rng.random() < 0.025:
                rec.add(rec.times[-1] + minute + int(rng.random() * 20 * minute), {"status_code": "13"})
                continue
            due = None
            if direction != "out" and (urgent or rng.random() < 0.35):
                span = (10 + rng.random() * 20) if urgent else (20 + rng.random() * 70)
                due = reg + int(span * minute)
                rec.changes[-1]["due_at"] = due
            assigned = rec.times[-1] + 30 + int(rng.expovariate(1 / ((1 if urgent else 5) * minute * slow)))
            rec.add(assigned, {"status_code": "04"})
            if rng.random() < 0.06 - 0.05 * q:
                rec.add(assigned + minute + int(rng.random() * 20 * minute), {"status_code": "05"})
                continue  # never finished (overdue for good when it has a due date)
            if due is not None and rng.random() < 0.28 - 0.24 * q:
                done = due + minute + int(rng.expovariate(1 / (20 * minute * slow)))  # late
            elif due is not None:
                done = assigned + int(max(0, due - assigned) * (0.3 + 0.65 * rng.random()))
            else:
                done = assigned + 2 * minute + int(rng.expovariate(1 / (15 * minute * slow)))
            done = max(done, assigned + 2 * minute)
            working = assigned + minute + int(rng.random() * (done - assigned - minute))
            rec.add(working, {"status_code": "05"})
            rec.add(done, {"status_code": "06", "completed_at": done})
        return records

    def _make_live_dossiers(self, c: int, stamp: str, rng: random.Random) -> list[_Record]:  # noqa: C901 -- TODO(issue 15): split
        """Dossiers arriving in the chunk starting at ``c``: 1 → 2 → 4 → (5 → 4) → 9 → 10 with due
        dates hours to three days ahead; weak units finish late more often, a few stay open."""
        units, cum = self._live_units["dossiers"]
        n = _poisson(rng, self.live_dossiers_per_min * LIVE_CHUNK_S / 60) if units and cum[-1] > 0 else 0
        minute = 60
        records = []
        for seq in range(1, n + 1):
            prof = _pick(rng, units, cum)
            q = prof.quality
            proc = _pick(rng, prof.procedures, prof.proc_cum)
            online_prob = {"toan_trinh": 0.80, "mot_phan": 0.45, "khong": 0.0}[proc.level] * (0.60 + 0.60 * q)
            rec, online = _new_dossier(
                rng,
                f"{LIVE_ID_PREFIX['dossiers']}.{prof.code}.{stamp}.{seq:04d}",
                prof.code,
                proc,
                online_prob,
            )
            records.append(rec)
            moment = c + 1 + int(rng.random() * (LIVE_CHUNK_S - 1))
            if online:
                rec.add(moment, {"TrangThaiHoSo": 1})
                if rng.random() < 0.01:
                    continue  # never looked at: stays "newly registered"
                received = moment + minute + int(rng.expovariate(1 / (4 * minute * (2 - q))))
            else:
                received = moment
            if rng.random() < 0.03:
                rec.add(received, {"TrangThaiHoSo": 3, "NgayTiepNhan": received})  # refused at intake
                continue
            # The legal time limit in working days, compressed: a day of the limit is half an hour.
            allowed = proc.days * 30 * minute * (0.5 + 1.5 * rng.random())
            if rng.random() < 0.15:
                allowed *= 6
            allowed = int(min(3 * DAY, max(HOUR, allowed)))
            due = received + allowed
            paid = None
            if proc.fee:
                p_paid = (0.30 + 0.50 * q) if online else (0.03 + 0.07 * q)
                if rng.random() < p_paid:
                    paid = 1 if rng.random() < 0.35 else 2
            rec.add(
                received,
                {
                    "TrangThaiHoSo": 2,
                    "NgayTiepNhan": received,
                    "NgayHenTra": due,
                    "DuocThanhToanTrucTuyen": paid,
                    "DaSoHoa": rng.random() < 0.55 + 0.40 * q,
                },
            )
            t = received + 30 + int(rng.expovariate(1 / (5 * minute * (2 - q))))
            rec.add(t, {"TrangThaiHoSo": 4})
            supplements = 0
            if rng.random() < 0.20 - 0.10 * q:
                supplements = 2 if rng.random() < 0.35 - 0.20 * q else 1
            stalled = False
            for requested in range(1, supplements + 1):
                asked = t + max(5 * minute, int((due - t) * (0.1 + 0.3 * rng.random())))
                rec.add(asked, {"TrangThaiHoSo": 5, "SoLanBoSung": requested})
                if rng.random() < 0.05 + 0.05 * (1 - q):
                    stalled = True  # the applicant never answers: paused for good
                    break
                paused = 10 * minute + int(rng.expovariate(1 / (30 * minute)))
                t = asked + paused
                due += paused  # the applicant's time does not count
                rec.add(t, {"TrangThaiHoSo": 4, "NgayHenTra": due})
            if stalled or rng.random() < 0.025 - 0.022 * q:
                continue  # still open (and, sooner or later, overdue)
            r = rng.random()
            if r < 0.02 or r < 0.03 and supplements:
                when = t + minute + int(rng.random() * max(10 * minute, due - t))
                rec.add(when, {"TrangThaiHoSo": 7, "NgayKetThucXuLy": when})  # withdrawn
                continue
            if r < 0.03 + 0.01 * (1 - q):
                when = t + minute + int(rng.random() * max(10 * minute, due - t))
                rec.add(when, {"TrangThaiHoSo": 8, "NgayKetThucXuLy": when})  # stopped
                continue
            late = rng.random() < 0.30 - 0.28 * q + (0.25 if supplements > 1 else 0.0)
            if late:
                finish = (
                    due + 2 * minute + int(min(12 * HOUR, rng.expovariate(1 / (0.3 * allowed + 20 * minute))))
                )
            else:
                # Mostly early: a skewed share of the time left.
                finish = t + 2 * minute + int(max(0, due - t - 3 * minute) * rng.random() ** 1.5)
            if proc.fee and paid is None and rng.random() < 0.10:
                asked_pay = finish - minute - int(rng.random() * 0.5 * (finish - t - minute))
                if asked_pay > t:
                    rec.add(asked_pay, {"TrangThaiHoSo": 6})  # financial obligation requested
            e_result = rng.random() < 0.45 + 0.45 * q
            rec.add(finish, {"TrangThaiHoSo": 9, "NgayKetThucXuLy": finish, "CoKetQuaDienTu": e_result})
            if rng.random() < 0.92:
                if e_result and online:
                    returned = finish + 30 + int(rng.random() * 5 * minute)
                else:
                    returned = finish + minute + int(rng.expovariate(1 / (40 * minute)))
                changes: dict[str, Any] = {"TrangThaiHoSo": 10, "NgayTraKetQua": returned}
                if rng.random() < 0.35:
                    if late:
                        changes["DanhGia"] = _pick(rng, (1, 2, 3), (0.4, 0.7, 1.0))
                    else:
                        changes["DanhGia"] = _pick(rng, (1, 2, 3), (0.04, 0.18, 1.0))
                rec.add(returned, changes)
        return records

    def _make_live_meetings(self, c: int, stamp: str, rng: random.Random) -> list[_Record]:
        """Online meetings starting in the chunk at ``c``: one 5–15 minutes into every slot of
        ``LIVE_MEETING_SLOT_S`` (so one starts every 20–40 minutes) and a few at random moments,
        each 20–60 minutes long, reporting connections while running and a summary at the end."""
        units, cum = self._live_units["meetings"]
        if not units or cum[-1] <= 0:
            return []
        minute = 60
        begins = [
            c + s + 5 * minute + int(rng.random() * 10 * minute)
            for s in range(0, LIVE_CHUNK_S, LIVE_MEETING_SLOT_S)
        ]
        begins += [
            c + 5 * minute + int(rng.random() * (LIVE_CHUNK_S - 5 * minute))
            for _ in range(_poisson(rng, LIVE_EXTRA_MEETINGS_PER_CHUNK))
        ]
        if c == self._live0:
            # A fresh demo shows a meeting under way within its first minutes, not after a quarter
            # of an hour (its own draw: the chunk's other meetings stay as they were).
            begins.append(c + LIVE_OPENING_MEETING_S + int(_rng(self.seed, "opening", c).random() * minute))
        records = []
        for seq, begin in enumerate(begins, start=1):
            prof = _pick(rng, units, cum)
            titles = self._CENTRAL_TITLES if prof.central else self._PROVINCE_TITLES
            title = titles[int(rng.random() * len(titles))]
            endpoints = 2 + int(rng.random() * (29 if prof.central else 12))
            minutes = 20 + 5 * int(rng.random() * 9)  # 20 … 60
            end = begin + minutes * minute
            rec = _Record(
                {
                    "meeting_id": f"{LIVE_ID_PREFIX['meetings']}.{prof.code}.{stamp}.{seq:02d}",
                    "unit_code": prof.code,
                    "title": title,
                    "platform": _pick(rng, self._PLATFORMS, self._PLATFORM_CUM),
                    "status": 1,
                    "start_at": begin,
                    "end_at": end,
                    "endpoints_scheduled": endpoints,
                    "endpoints_connected": 0,
                    "participants": 0,
                }
            )
            records.append(rec)
            created = max(c + 1, begin - 10 * minute - int(rng.random() * 20 * minute))
            rec.add(created, {})
            if rng.random() < 0.01:
                rec.add(created + int((begin - created) * (0.2 + 0.6 * rng.random())), {"status": 4})
                continue  # cancelled
            rec.add(created + int((begin - created) * (0.2 + 0.4 * rng.random())), {"status": 2})
            p_conn = 0.86 + 0.12 * prof.quality
            connected = min(endpoints, max(1, sum(1 for _ in range(endpoints) if rng.random() < p_conn)))
            participants = sum(2 + int(rng.random() * 7) for _ in range(connected)) + int(rng.random() * 15)
            actual_begin = begin + int(rng.random() * 3 * minute)
            actual_end = max(actual_begin + 15 * minute, end + int(rng.gauss(0, 3 * minute)))
            # While running: the endpoints joining, then everyone (the participants' peak).
            early = max(1, connected - int(rng.random() * (connected // 2 + 1)))
            rec.add(
                actual_begin + minute,
                {"endpoints_connected": early, "participants": max(early, participants * early // connected)},
            )
            rec.add(
                begin + minutes * minute // 2,
                {"endpoints_connected": connected, "participants": participants},
            )
            rec.add(
                max(actual_end, end) + minute + int(rng.random() * 9 * minute),
                {
                    "start_at": actual_begin,
                    "end_at": actual_end,
                    "endpoints_connected": connected,
                    "participants": participants,
                },
            )
        return records


# ---------------------------------------------------------------------------------------------
# Simulated source systems
# ---------------------------------------------------------------------------------------------

# Timestamps are TEXT on purpose: a view on SQLite exposes naive local text, and a reader that
# reflects the table must get that text back (a TIMESTAMP declaration would make SQLAlchemy
# parse it and re-format bound values as "… .000000", which no longer compares equal as text).
_DOC_SQL_TYPES = {
    "doc_id": "TEXT PRIMARY KEY",
    "is_electronic": "BOOLEAN",
    "is_signed": "BOOLEAN",
}
_DOSSIER_SQL_TYPES = {
    "MaHoSo": "TEXT PRIMARY KEY",
    "TrangThaiHoSo": "INTEGER",
    "KenhThucHien": "INTEGER",
    "CoPhi": "BOOLEAN",
    "DuocThanhToanTrucTuyen": "INTEGER",
    "SoLanBoSung": "INTEGER",
    "CoKetQuaDienTu": "BOOLEAN",
    "DaSoHoa": "BOOLEAN",
    "DanhGia": "INTEGER",
}
_PROCEDURE_SQL_TYPES = {"CoPhi": "BOOLEAN"}
_WRITE_CHUNK = 5_000  # rows per transaction: short enough for a concurrent reader


def _create_sql(table: str, columns: tuple[str, ...], types: dict[str, str], extra: str = "") -> str:
    cols = ", ".join(f'"{c}" {types.get(c, "TEXT")}' for c in columns)
    return f'CREATE TABLE IF NOT EXISTS "{table}" ({cols}{extra})'


def _upsert_sql(table: str, columns: tuple[str, ...], key: tuple[str, ...]) -> str:
    cols = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    sets = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in key)
    conflict = ", ".join(f'"{c}"' for c in key)
    return f'INSERT INTO "{table}" ({cols}) VALUES ({marks}) ON CONFLICT({conflict}) DO UPDATE SET {sets}'


class SimulatedSources:
    """The simulated source systems of one agency, kept up to date by :meth:`advance`.

    ``root/docsys.sqlite3`` (``v_documents``), ``root/onestop.sqlite3`` (``v_dossiers``,
    ``v_procedures``), ``root/meetings/*.csv`` (meeting exports) and ``root/state.json`` (the
    position reached, so a restarted demo continues). Timestamps in SQLite are local time without
    offset, ``YYYY-MM-DD HH:MM:SS`` (SQLite's own format); booleans are 0/1.

    The first :meth:`advance` needs a starting position: ``start=`` here, or :meth:`backfill`.

    The live stream (see :class:`AgencySimulator`) is part of the state: :meth:`start_live` sets
    where it starts once and ``state.json`` keeps it, so a restarted demo continues the same
    stream. The simulator's ``live_since`` follows the saved value; a simulator created with
    ``live_since`` for a folder that has none starts the stream there (as :meth:`start_live`).
    """

    STATE_FILE = "state.json"

    def __init__(self, root: Path | str, simulator: AgencySimulator, start: datetime | None = None):
        self.root = Path(root)
        self.simulator = simulator
        self.tz = simulator.tz
        self.docsys_path = self.root / "docsys.sqlite3"
        self.onestop_path = self.root / "onestop.sqlite3"
        self.meetings_dir = self.root / "meetings"
        self.state_path = self.root / self.STATE_FILE
        self.meetings_dir.mkdir(parents=True, exist_ok=True)
        self._init_databases()
        #: Takes the meetings changed by an :meth:`advance` and returns those still to export as
        #: CSV: the demo routes the live stream's BigBlueButton meetings to its fake BBB server.
        self.meeting_sink: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None
        self._position: datetime | None = None
        saved = self._load_state()
        saved_live = None
        if saved is not None:
            self._position, saved_live = saved
        elif start is not None:
            self._position = self._aware(start, "start")
        if saved_live is not None:
            simulator.live_since = saved_live
        elif simulator.live_since is not None:
            wanted, simulator.live_since = simulator.live_since, None
            self.start_live(wanted)

    # -- state -------------------------------------------------------------------------------

    @property
    def position(self) -> datetime | None:
        """Every change up to this moment has been written (None: nothing written yet)."""
        return self._position

    def _aware(self, value: datetime, name: str) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name}={value.isoformat()} is naive: pass a timezone-aware datetime")
        return value.astimezone(self.tz)

    @property
    def live_since(self) -> datetime | None:
        """Where the live stream starts (None: not started)."""
        return self.simulator.live_since

    def start_live(self, at: datetime) -> datetime:
        """Start the live stream at ``at`` unless it has started already; returns where it starts.

        The first call decides for good (it is saved with the position): later calls, and a
        restarted writer on the same folder, continue the same stream. A moment before the
        position is moved to the position, since the changes up to it are written already.
        """
        current = self.simulator.live_since
        if current is not None:
            return current
        at = self._aware(at, "at")
        if self._position is not None and at < self._position:
            at = self._position
        self.simulator.live_since = at
        if self._position is not None:
            self._save_state()
        live = self.simulator.live_since
        assert live is not None
        return live

    def _load_state(self) -> tuple[datetime, datetime | None] | None:
        """(position, live_since) from ``state.json``; files without ``live_since`` are read too."""
        if not self.state_path.exists():
            return None
        data = json.loads(self.state_path.read_text(encoding="utf-8"))
        if data.get("seed") != self.simulator.seed:
            raise ValueError(
                f"{self.root} was written with seed {data.get('seed')}, not {self.simulator.seed}: "
                "use the same seed or an empty folder"
            )
        live = data.get("live_since")
        return (
            datetime.fromisoformat(data["position"]).astimezone(self.tz),
            None if live is None else datetime.fromisoformat(live).astimezone(self.tz),
        )

    def _save_state(self) -> None:
        assert self._position is not None
        live = self.simulator.live_since
        payload = {
            "position": self._position.isoformat(),
            "live_since": None if live is None else live.isoformat(),
            "seed": self.simulator.seed,
            "units": len(self.simulator.producing_units),
            "simulated": True,
        }
        tmp = self.state_path.with_name(f".{self.state_path.name}.part")
        tmp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.state_path)

    # -- databases ---------------------------------------------------------------------------

    def _connect(self, path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn

    def _init_databases(self) -> None:
        conn = self._connect(self.docsys_path)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(_create_sql("v_documents", DOCUMENT_COLUMNS, _DOC_SQL_TYPES))
            conn.execute(
                'CREATE INDEX IF NOT EXISTS "ix_v_documents_updated_at" ON "v_documents" ("updated_at")'
            )
        finally:
            conn.close()
        conn = self._connect(self.onestop_path)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(_create_sql("v_dossiers", DOSSIER_COLUMNS, _DOSSIER_SQL_TYPES))
            conn.execute(
                'CREATE INDEX IF NOT EXISTS "ix_v_dossiers_NgayCapNhat" ON "v_dossiers" ("NgayCapNhat")'
            )
            conn.execute(
                _create_sql(
                    "v_procedures",
                    PROCEDURE_COLUMNS,
                    _PROCEDURE_SQL_TYPES,
                    ', PRIMARY KEY ("MaTTHC", "MaDonVi")',
                )
            )
            rows = [
                (p["MaTTHC"], p["MaDonVi"], p["TenTTHC"], p["MucDo"], int(p["CoPhi"]))
                for p in self.simulator.procedures()
            ]
            conn.execute("BEGIN")
            conn.executemany(_upsert_sql("v_procedures", PROCEDURE_COLUMNS, ("MaTTHC", "MaDonVi")), rows)
            conn.execute("COMMIT")
        finally:
            conn.close()

    def _local_text(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        return value.astimezone(self.tz).replace(tzinfo=None).isoformat(" ", "seconds")

    def _write_rows(
        self, path: Path, table: str, columns: tuple[str, ...], key: str, rows: list[tuple]
    ) -> None:
        if not rows:
            return
        sql = _upsert_sql(table, columns, (key,))
        conn = self._connect(path)
        try:
            for i in range(0, len(rows), _WRITE_CHUNK):
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(sql, rows[i : i + _WRITE_CHUNK])
                conn.execute("COMMIT")
        finally:
            conn.close()

    def _row(self, record: dict[str, Any], columns: tuple[str, ...], ts_keys: frozenset[str]) -> tuple:
        out = []
        for c in columns:
            v = record[c]
            if c in ts_keys:
                v = self._local_text(v)
            elif isinstance(v, bool):
                v = int(v)
            out.append(v)
        return tuple(out)

    # -- meetings export ---------------------------------------------------------------------

    def _fmt(self, value: datetime | None) -> str:
        return "" if value is None else value.astimezone(self.tz).strftime("%d/%m/%Y %H:%M")

    def _write_meetings_csv(self, t0: datetime, t1: datetime, meetings: list[dict[str, Any]]) -> Path:
        meetings = sorted(meetings, key=lambda m: (m["start_at"], m["meeting_id"]))
        name = f"cuoc_hop_{t0.astimezone(self.tz):%Y%m%d_%H%M%S}_{t1.astimezone(self.tz):%Y%m%d_%H%M%S}.csv"
        final = self.meetings_dir / name
        tmp = self.meetings_dir / f".{name}.part"
        blank = [""] * (len(MEETING_CSV_HEADERS) - 1)
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
            writer.writerow([f"{MEETING_CSV_TITLE} TỪ {self._fmt(t0)} ĐẾN {self._fmt(t1)}", *blank])
            writer.writerow(MEETING_CSV_HEADERS)
            for m in meetings:
                writer.writerow(
                    [
                        m["meeting_id"],
                        m["unit_code"],
                        m["title"],
                        m["platform"],
                        m["status"],
                        self._fmt(m["start_at"]),
                        self._fmt(m["end_at"]),
                        m["endpoints_scheduled"],
                        m["endpoints_connected"],
                        m["participants"],
                        self._fmt(m["updated_at"]),
                    ]
                )
            writer.writerow(
                [
                    "Tổng cộng",
                    f"{len(meetings)} cuộc họp",
                    "",
                    "",
                    "",
                    "",
                    "",
                    sum(m["endpoints_scheduled"] for m in meetings),
                    sum(m["endpoints_connected"] for m in meetings),
                    sum(m["participants"] for m in meetings),
                    "",
                ]
            )
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        return final

    # -- advancing ---------------------------------------------------------------------------

    def advance(self, to: datetime) -> dict[str, int]:
        """Write every change in (position, to] and move the position to ``to``.

        Returns ``{"documents": n, "dossiers": n, "meetings": n}`` — rows upserted and meetings
        exported. Advancing to the position or before it writes nothing.
        """
        to = self._aware(to, "to")
        counts = {"documents": 0, "dossiers": 0, "meetings": 0}
        if self._position is None:
            raise RuntimeError(
                "the simulated sources have no starting position yet: "
                "pass start= to SimulatedSources or call backfill(start, end)"
            )
        t0 = self._position
        if to <= t0:
            return counts
        sim = self.simulator
        doc_ts = frozenset(_TS_KEYS["documents"] + ("updated_at",))
        docs = [self._row(r, DOCUMENT_COLUMNS, doc_ts) for r in sim.documents_changed(t0, to)]
        self._write_rows(self.docsys_path, "v_documents", DOCUMENT_COLUMNS, "doc_id", docs)
        dos_ts = frozenset(_TS_KEYS["dossiers"] + ("NgayCapNhat",))
        dossiers = [self._row(r, DOSSIER_COLUMNS, dos_ts) for r in sim.dossiers_changed(t0, to)]
        self._write_rows(self.onestop_path, "v_dossiers", DOSSIER_COLUMNS, "MaHoSo", dossiers)
        meetings = list(sim.meetings_changed(t0, to))
        exported = self.meeting_sink(meetings) if self.meeting_sink is not None else meetings
        if exported:
            self._write_meetings_csv(t0, to, exported)
        self._position = to
        self._save_state()
        counts.update(documents=len(docs), dossiers=len(dossiers), meetings=len(meetings))
        return counts

    def backfill(self, start: datetime, end: datetime, step: timedelta = timedelta(days=7)) -> dict[str, int]:
        """Advance to ``end`` in windows of ``step``, from the saved position or else ``start``.

        Each window is committed (and the position saved) before the next, so an interrupted
        backfill resumes where it stopped. Returns the summed counts.
        """
        if step <= timedelta(0):
            raise ValueError("step must be positive")
        start, end = self._aware(start, "start"), self._aware(end, "end")
        if self._position is None:
            self._position = start
        totals = {"documents": 0, "dossiers": 0, "meetings": 0}
        t = self._position
        while t < end:
            t = min(end, t + step)
            for k, v in self.advance(t).items():
                totals[k] += v
        return totals


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write simulated source systems (SIMULATED DATA).")
    parser.add_argument("root", type=Path, help="folder for docsys.sqlite3, onestop.sqlite3, meetings/")
    parser.add_argument("--days", type=int, default=400, help="days of history up to now (default 400)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    now = datetime.now(VN_TZ).replace(microsecond=0)
    sources = SimulatedSources(args.root, AgencySimulator(demo_sim_units(), seed=args.seed))
    began = _time.perf_counter()
    totals = sources.backfill(now - timedelta(days=args.days), now)
    elapsed = _time.perf_counter() - began
    print(json.dumps({**totals, "seconds": round(elapsed, 2), "position": sources.position.isoformat()}))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
