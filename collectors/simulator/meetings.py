"""Online meetings (họp trực tuyến) on BigBlueButton, Jitsi and TrueConf."""

from __future__ import annotations

import random
from datetime import date, timedelta

from collectors.simulator.common import (
    DAY,
    HORIZON_DAYS,
    HOUR,
    LIVE_CHUNK_S,
    LIVE_EXTRA_MEETINGS_PER_CHUNK,
    LIVE_ID_PREFIX,
    LIVE_MEETING_SLOT_S,
    LIVE_OPENING_MEETING_S,
    MEETING_LEAD_DAYS,
    OFFICE_START,
    _cum,
    _pick,
    _poisson,
    _Profile,
    _Record,
    _rng,
)


class MeetingSimulation:
    """The meetings of :class:`AgencySimulator` (a mixin: it reads the simulator's calendar,
    profiles and live units)."""

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

    # -- live stream -------------------------------------------------------------------------

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
