"""Public-service dossiers (hồ sơ TTHC): procedures, submission, processing, lateness, results."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from collectors.simulator.common import (
    DAY,
    HORIZON_DAYS,
    HOUR,
    LIVE_CHUNK_S,
    LIVE_ID_PREFIX,
    _online_time_of_day,
    _pick,
    _poisson,
    _Profile,
    _Record,
    _rng,
)

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


# -- steps shared by the history and the live stream (same draws, in the same order) -----------

_ONLINE_SHARE = {"toan_trinh": 0.80, "mot_phan": 0.45, "khong": 0.0}


def _online_share(proc, q: float) -> float:
    """The chance a dossier of ``proc`` comes online at a unit of quality ``q``."""
    return _ONLINE_SHARE[proc.level] * (0.60 + 0.60 * q)


def _refused_at_intake(rec: _Record, rng: random.Random, received: int) -> bool:
    if rng.random() < 0.03:
        rec.add(received, {"TrangThaiHoSo": 3, "NgayTiepNhan": received})
        return True
    return False


def _accept(rec: _Record, rng: random.Random, proc, online: bool, received: int, due: int, q: float):
    """Accepted (status 2) with its due date; whether the fee was paid online (1/2) or not."""
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
    return paid


def _supplement_count(rng: random.Random, q: float) -> int:
    """How many times the applicant is asked for more papers (0, 1 or 2)."""
    if rng.random() < 0.20 - 0.10 * q:
        return 2 if rng.random() < 0.35 - 0.20 * q else 1
    return 0


def _never_answered(rng: random.Random, q: float) -> bool:
    """The applicant never brings the papers asked for: paused for good."""
    return rng.random() < 0.05 + 0.05 * (1 - q)


def _stays_open(rng: random.Random, stalled: bool, q: float) -> bool:
    return stalled or rng.random() < 0.025 - 0.022 * q


def _ended_early(
    rec: _Record, rng: random.Random, q: float, supplements: int, when: Callable[[], int], horizon: float
) -> bool:
    """Withdrawn by the applicant (7) or stopped (8): terminal, no result; ``when`` draws the moment."""
    r = rng.random()
    if r < 0.02 or r < 0.03 and supplements:
        status = 7
    elif r < 0.03 + 0.01 * (1 - q):
        status = 8
    else:
        return False
    moment = when()
    if moment < horizon:
        rec.add(moment, {"TrangThaiHoSo": status, "NgayKetThucXuLy": moment})
    return True


def _late(rng: random.Random, q: float, supplements: int) -> bool:
    return rng.random() < 0.30 - 0.28 * q + (0.25 if supplements > 1 else 0.0)


def _finish(
    rec: _Record,
    rng: random.Random,
    finish: int,
    q: float,
    late: bool,
    returned_at: Callable[[bool], int],
    horizon: float,
) -> None:
    """Finished (9) with or without an electronic result, then mostly returned (10) and sometimes
    rated (late dossiers are rated worse); ``returned_at(e_result)`` draws the return moment."""
    e_result = rng.random() < 0.45 + 0.45 * q
    rec.add(finish, {"TrangThaiHoSo": 9, "NgayKetThucXuLy": finish, "CoKetQuaDienTu": e_result})
    if rng.random() < 0.92:
        returned = returned_at(e_result)
        if returned < horizon:
            changes: dict[str, Any] = {"TrangThaiHoSo": 10, "NgayTraKetQua": returned}
            if rng.random() < 0.35:
                weights = (0.4, 0.7, 1.0) if late else (0.04, 0.18, 1.0)
                changes["DanhGia"] = _pick(rng, (1, 2, 3), weights)
            rec.add(returned, changes)


class DossierSimulation:
    """The dossiers of :class:`AgencySimulator` (a mixin: it reads the simulator's calendar,
    profiles and live units)."""

    # -- dossiers ----------------------------------------------------------------------------

    def _make_dossiers(self, prof: _Profile, day: date, rng: random.Random) -> list[_Record]:
        if not prof.procedures:
            return []
        cal = self.calendar
        working = cal.is_working_day(day)
        # Online submissions arrive any day; counter and postal intake only on working days.
        lam = prof.dossier_rate if working else prof.dossier_rate * 0.12 * (0.3 if cal.is_holiday(day) else 1)
        n = _poisson(rng, lam)
        if not n:
            return []
        start = cal.day_start(day)
        records = []
        for seq in range(1, n + 1):
            proc = _pick(rng, prof.procedures, prof.proc_cum)
            online_prob = _online_share(proc, prof.quality)
            if not working:
                online_prob = 1.0 if proc.level != "khong" else 0.0
                if online_prob == 0.0:
                    continue  # nobody queues at a closed counter
            rec, online = _new_dossier(
                rng, f"HS.{prof.code}.{day:%y%m%d}.{seq:04d}", prof.code, proc, online_prob
            )
            if not online and not working:
                continue  # a paper dossier waits for the counter to open: not one of this day's
            records.append(rec)
            self._dossier_life(rec, prof, proc, online, day, start, rng)
        return records

    def _dossier_life(
        self, rec: _Record, prof: _Profile, proc, online: bool, day: date, start: int, rng
    ) -> None:
        """Intake, acceptance, processing with supplements, and the end of one historical dossier."""
        cal, q = self.calendar, prof.quality
        horizon = start + HORIZON_DAYS * DAY
        # Intake: online dossiers are registered (1) and accepted later in office hours.
        if online:
            submitted = start + _online_time_of_day(rng)
            rec.add(submitted, {"TrangThaiHoSo": 1})
            if rng.random() < 0.01:
                return  # never looked at: stays "newly registered"
            received = cal.to_office(submitted + int(rng.expovariate(1 / (5 * HOUR * (2 - q)))), rng)
        else:
            received = cal.office_time(day, rng)
        if received >= horizon or _refused_at_intake(rec, rng, received):
            return
        received_day = cal.local_date(received)
        due_day = cal.add_working_days(received_day, proc.days)
        tod = min(received - cal.day_start(received_day), 16 * HOUR + 1800)
        due = cal.day_start(due_day) + tod
        paid = _accept(rec, rng, proc, online, received, due, q)
        processing = cal.to_office(received + int(rng.random() * 8 * HOUR), rng)
        if processing >= horizon:
            return
        rec.add(processing, {"TrangThaiHoSo": 4})
        supplements = _supplement_count(rng, q)
        t, due_day, requested, stalled = self._supplements(
            rec, rng, processing, due_day, tod, supplements, q, horizon
        )
        due = cal.day_start(due_day) + tod
        if _stays_open(rng, stalled, q):
            self._work_off(rec, t, due_day, requested > 0 and stalled, q, horizon)
            return  # open past its due day; worked off late, or (a few) still open
        if _ended_early(
            rec,
            rng,
            q,
            supplements,
            lambda: cal.to_office(t + int(rng.random() * max(HOUR, due - t)), rng),
            horizon,
        ):
            return
        late = _late(rng, q, supplements)
        finish = max(t + 1800, cal.office_time(self._finish_day(rng, cal.local_date(t), due_day, late), rng))
        if proc.fee and paid is None and rng.random() < 0.10:
            asked_pay = finish - int(rng.random() * 2 * HOUR) - 60
            if asked_pay > t and asked_pay < horizon:
                rec.add(asked_pay, {"TrangThaiHoSo": 6})  # financial obligation requested
        if finish >= horizon:
            return

        def returned_at(e_result: bool) -> int:
            quick = e_result and online
            delay = int(rng.random() * HOUR) if quick else int(rng.expovariate(1 / (1.5 * DAY)))
            return cal.to_office(finish + delay, rng)

        _finish(rec, rng, finish, q, late, returned_at, horizon)

    def _supplements(
        self, rec: _Record, rng, t: int, due_day: date, tod: int, supplements: int, q: float, horizon: int
    ) -> tuple[int, date, int, bool]:
        """Supplement requests pause the dossier; the due date moves by the paused working days.
        Returns the moment processing resumed, the due day, the requests made and whether the
        dossier stalled (the applicant never answered, or the next step lies past the horizon)."""
        cal = self.calendar
        due = cal.day_start(due_day) + tod
        requested = 0
        for _ in range(supplements):
            gap = max(HOUR, int((due - t) * (0.2 + 0.4 * rng.random())))
            asked = cal.to_office(t + gap, rng)
            if asked >= horizon:
                return t, due_day, requested, True
            requested += 1
            rec.add(asked, {"TrangThaiHoSo": 5, "SoLanBoSung": requested})
            if _never_answered(rng, q):
                return t, due_day, requested, True
            paused = 1 + int(rng.expovariate(0.3))
            resumed_day = cal.add_working_days(cal.local_date(asked), paused)
            resumed = max(asked + 600, cal.office_time(resumed_day, rng))
            if resumed >= horizon:
                return t, due_day, requested, True
            due_day = cal.add_working_days(due_day, paused)
            due = cal.day_start(due_day) + tod
            rec.add(resumed, {"TrangThaiHoSo": 4, "NgayHenTra": due})
            t = resumed
        return t, due_day, requested, False

    def _finish_day(self, rng: random.Random, t_day: date, due_day: date, late: bool) -> date:
        """Finish early, on the due day, or late."""
        cal = self.calendar
        if late:
            return cal.add_working_days(due_day, 1 + min(20, int(rng.expovariate(0.3))))
        if rng.random() < 0.75 and t_day < due_day:
            finish_day = t_day + timedelta(days=int(rng.random() * (due_day - t_day).days))
            if not cal.is_working_day(finish_day):
                finish_day = cal.add_working_days(finish_day, 0)
            return min(finish_day, due_day)
        return due_day if due_day >= t_day else t_day

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

    # -- live stream -------------------------------------------------------------------------

    def _make_live_dossiers(self, c: int, stamp: str, rng: random.Random) -> list[_Record]:
        """Dossiers arriving in the chunk starting at ``c``: 1 → 2 → 4 → (5 → 4) → 9 → 10 with due
        dates hours to three days ahead; weak units finish late more often, a few stay open."""
        units, cum = self._live_units["dossiers"]
        n = (
            _poisson(rng, self.live_dossiers_per_min * self.calendar.live_factor(c) * LIVE_CHUNK_S / 60)
            if units and cum[-1] > 0
            else 0
        )
        records = []
        for seq in range(1, n + 1):
            prof = _pick(rng, units, cum)
            proc = _pick(rng, prof.procedures, prof.proc_cum)
            rec, online = _new_dossier(
                rng,
                f"{LIVE_ID_PREFIX['dossiers']}.{prof.code}.{stamp}.{seq:04d}",
                prof.code,
                proc,
                _online_share(proc, prof.quality),
            )
            records.append(rec)
            _live_dossier_life(rec, proc, online, c, prof.quality, rng)
        return records


def _live_dossier_life(rec: _Record, proc, online: bool, c: int, q: float, rng: random.Random) -> None:
    """One live dossier's compressed life: a day of the legal time limit is half an hour."""
    minute = 60
    moment = c + 1 + int(rng.random() * (LIVE_CHUNK_S - 1))
    if online:
        rec.add(moment, {"TrangThaiHoSo": 1})
        if rng.random() < 0.01:
            return  # never looked at: stays "newly registered"
        received = moment + minute + int(rng.expovariate(1 / (4 * minute * (2 - q))))
    else:
        received = moment
    if _refused_at_intake(rec, rng, received):
        return
    allowed = proc.days * 30 * minute * (0.5 + 1.5 * rng.random())
    if rng.random() < 0.15:
        allowed *= 6
    allowed = int(min(3 * DAY, max(HOUR, allowed)))
    due = received + allowed
    paid = _accept(rec, rng, proc, online, received, due, q)
    t = received + 30 + int(rng.expovariate(1 / (5 * minute * (2 - q))))
    rec.add(t, {"TrangThaiHoSo": 4})
    supplements = _supplement_count(rng, q)
    stalled = False
    for requested in range(1, supplements + 1):
        asked = t + max(5 * minute, int((due - t) * (0.1 + 0.3 * rng.random())))
        rec.add(asked, {"TrangThaiHoSo": 5, "SoLanBoSung": requested})
        if _never_answered(rng, q):
            stalled = True
            break
        paused = 10 * minute + int(rng.expovariate(1 / (30 * minute)))
        t = asked + paused
        due += paused  # the applicant's time does not count
        rec.add(t, {"TrangThaiHoSo": 4, "NgayHenTra": due})
    if _stays_open(rng, stalled, q):
        return  # still open (and, sooner or later, overdue)
    if _ended_early(
        rec, rng, q, supplements, lambda: t + minute + int(rng.random() * max(10 * minute, due - t)), math.inf
    ):
        return
    late = _late(rng, q, supplements)
    if late:
        finish = due + 2 * minute + int(min(12 * HOUR, rng.expovariate(1 / (0.3 * allowed + 20 * minute))))
    else:
        # Mostly early: a skewed share of the time left.
        finish = t + 2 * minute + int(max(0, due - t - 3 * minute) * rng.random() ** 1.5)
    if proc.fee and paid is None and rng.random() < 0.10:
        asked_pay = finish - minute - int(rng.random() * 0.5 * (finish - t - minute))
        if asked_pay > t:
            rec.add(asked_pay, {"TrangThaiHoSo": 6})  # financial obligation requested

    def returned_at(e_result: bool) -> int:
        if e_result and online:
            return finish + 30 + int(rng.random() * 5 * minute)
        return finish + minute + int(rng.expovariate(1 / (40 * minute)))

    _finish(rec, rng, finish, q, late, returned_at, math.inf)
