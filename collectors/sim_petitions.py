"""Simulated citizens' petitions (phản ánh, kiến nghị — PAKN) of the demo agency (SIMULATED DATA).

A seeded model in the manner of :class:`collectors.simulator.AgencySimulator`: the same seed and
units always give the same petitions, built per (unit, day) from ``(seed, "pakn", unit, day)``.
Volumes: a provincial department receives about 0,9 petitions a working day (≈ 20 a month) (its size varies
0,5–1,7×; a quarter of that on a day off — the portal and hotline 1022 never close), a central
unit a handful a month. Channels: national portal 35 %, the province's system 25 %, hotline 1022
25 %, in person 10 %, letter 5 %; categories weighted toward land, urban order and environment;
5 % urgent. Deadlines are the working-day rules of :class:`dashboard.petitions.DeadlineRules`
(the portal sets one for its own petitions; for the others the IOC computes it from the category).
3 % are refused and 4 % forwarded to another unit; the rest are handled — late far more often in
the weak units (the same performance factor the agency simulator gives each unit), rated by about
half of the petitioners, dissatisfied more often when late.

:class:`PetitionFeed` serves them in the national portal's shape to the fake portal
(``collectors.platforms.petitions_portal``): every item as it stands at the moment asked, those changed since
the "updated since" parameter — so ``ioc demo`` collects them through the real ``rest`` adapter,
and a petition handled a minute ago shows up on the next collection.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from collectors.simulator.common import VN_TZ, SimUnit, _cum, _pick, _poisson, _rng, _stable_unit
from dashboard.petitions import CATEGORIES, DeadlineRules, add_working_days

PER_WORKING_DAY_PROVINCE = 0.9
PER_WORKING_DAY_CENTRAL = 0.15
DAY_OFF_FACTOR = 0.25
CHANNELS = (1, 2, 3, 4, 5)
CHANNEL_WEIGHTS = _cum((0.35, 0.25, 0.25, 0.10, 0.05))
CATEGORY_CODES = ("dat-dai", "do-thi", "moi-truong", "giao-thong", "hanh-chinh", "y-te", "giao-duc", "khac")
CATEGORY_WEIGHTS = _cum((0.22, 0.16, 0.15, 0.12, 0.12, 0.08, 0.07, 0.08))
URGENT_SHARE = 0.05
REFUSED_SHARE = 0.03
FORWARDED_SHARE = 0.04
RATED_SHARE = 0.55
PUBLISHED_SHARE = 0.6
ID_PREFIX = "PAKN"


@dataclass
class SimPetition:
    """One petition: its fixed facts and its status changes (time, changes), in order."""

    ident: str
    unit: str
    channel: int
    category: str
    urgent: bool
    received: datetime
    deadline: datetime | None  # what the portal states (its own petitions only)
    events: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)

    @property
    def reference(self) -> str:
        """The number shown to people: unit, day received, sequence ("SO-19.261106.01")."""
        seq = int(self.ident.rsplit("-", 1)[1]) + 1
        return f"{self.unit}.{self.received:%y%m%d}.{seq:02d}"

    def at(self, now: datetime) -> dict[str, Any] | None:
        """The petition as it stands at ``now`` (None: not received yet)."""
        if self.received > now:
            return None
        state: dict[str, Any] = {"trangThai": 1, "ngayXuLy": None, "danhGia": None}
        updated = self.received
        for when, changes in self.events:
            if when > now:
                break
            state.update(changes)
            updated = when
        state["ngayCapNhat"] = updated
        return state


class PetitionSimulator:
    def __init__(
        self,
        units: list[SimUnit],
        performance: Callable[[str], float],
        *,
        seed: int = 2026,
        tz: ZoneInfo = VN_TZ,
        rules: DeadlineRules | None = None,
    ):
        self.seed, self.tz = seed, tz
        self.rules = rules or DeadlineRules()
        self.calendar = self.rules.calendar
        self.units = [u for u in units if u.level in ("department", "province", "commune")]
        self._quality = {u.code: min(1.0, max(0.0, (performance(u.code) - 0.55) / 0.45)) for u in self.units}
        self._cache: dict[tuple[str, date], list[SimPetition]] = {}
        self._size = {u.code: 0.5 + 1.2 * _stable_unit(seed, "pakn-size", u.code) for u in self.units}

    def rate(self, unit: SimUnit, day: date) -> float:
        size = self._size[unit.code]
        base = PER_WORKING_DAY_CENTRAL if unit.level == "department" else PER_WORKING_DAY_PROVINCE * size
        return base if self.calendar.is_working_day(day) else base * DAY_OFF_FACTOR

    def day(self, unit: SimUnit, day: date) -> list[SimPetition]:
        key = (unit.code, day)
        found = self._cache.get(key)
        if found is None:
            rng = _rng(self.seed, "pakn", unit.code, day.isoformat())
            found = [self._petition(unit, day, i, rng) for i in range(_poisson(rng, self.rate(unit, day)))]
            self._cache[key] = found
        return found

    def petitions(self, start: date, end: date) -> list[SimPetition]:
        out: list[SimPetition] = []
        day = start
        while day <= end:
            for unit in self.units:
                out.extend(self.day(unit, day))
            day += timedelta(days=1)
        return out

    # -- one petition ----------------------------------------------------------------------------
    def _at(self, day: date, seconds: int) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=self.tz) + timedelta(seconds=seconds)

    def _office(self, day: date, rng) -> datetime:
        return self._at(day, 8 * 3600 + rng.randrange(8 * 3600))

    def _petition(self, unit: SimUnit, day: date, i: int, rng) -> SimPetition:
        channel = _pick(rng, CHANNELS, CHANNEL_WEIGHTS)
        category = _pick(rng, CATEGORY_CODES, CATEGORY_WEIGHTS)
        urgent = rng.random() < URGENT_SHARE
        # The portal and hotline 1022 take petitions from 7:00 to 21:00; counters and letters in office hours.
        received = (
            self._at(day, 7 * 3600 + rng.randrange(14 * 3600))
            if channel in (1, 2, 3)
            else self._office(day, rng)
        )
        deadline_day = self.rules.deadline(day, category, urgent)
        p = SimPetition(
            f"{ID_PREFIX}-{unit.code}-{day:%Y%m%d}-{i:03d}",
            unit.code,
            channel,
            category,
            urgent,
            received,
            self._at(deadline_day, 17 * 3600) if channel == 1 else None,
        )
        roll = rng.random()
        first = add_working_days(self.calendar, day, 1)
        if roll < REFUSED_SHARE:
            p.events.append((self._office(first, rng), {"trangThai": 5}))
            return p
        if roll < REFUSED_SHARE + FORWARDED_SHARE:
            p.events.append((self._office(first, rng), {"trangThai": 6}))
            return p
        p.events.append((received + timedelta(minutes=30 + rng.randrange(300)), {"trangThai": 2}))
        q = self._quality[unit.code]
        late = rng.random() < 0.04 + 0.5 * (1 - q) ** 1.5
        allowed = self.rules.days(category, urgent)
        if late:
            handled_day = add_working_days(self.calendar, deadline_day, 1 + rng.randrange(8))
        else:
            handled_day = add_working_days(
                self.calendar, day, max(1, round(allowed * (0.25 + 0.75 * rng.random())))
            )
        handled = max(self._office(handled_day, rng), p.events[-1][0] + timedelta(minutes=5))
        p.events.append((handled, {"trangThai": 3, "ngayXuLy": handled}))
        if rng.random() < PUBLISHED_SHARE:
            p.events.append(
                (
                    self._office(add_working_days(self.calendar, handled_day, 1 + rng.randrange(2)), rng),
                    {"trangThai": 4},
                )
            )
        if rng.random() < RATED_SHARE:
            unhappy = 0.04 + (0.35 if late else 0.0) + 0.12 * (1 - q)
            r = rng.random()
            rating = 1 if r < unhappy else (3 if r < unhappy + 0.7 * (1 - unhappy) else 2)
            when = max(p.events[-1][0], handled) + timedelta(hours=2 + rng.randrange(70))
            p.events.append((when, {"danhGia": rating}))
        p.events.sort(key=lambda e: e[0])
        return p


def portal_item(p: SimPetition, state: dict[str, Any], unit_names: dict[str, str]) -> dict[str, Any]:
    """The petition in the national portal's shape (nested objects; the fake adds the petitioner)."""
    rating = state.get("danhGia")
    return {
        "maPAKN": p.ident,
        "soHieu": p.reference,
        "kenhTiepNhan": p.channel,
        "linhVuc": {"ma": p.category, "ten": CATEGORIES.get(p.category, (p.category,))[0]},
        "khanCap": p.urgent,
        "donViXuLy": {"ma": p.unit, "ten": unit_names.get(p.unit, p.unit)},
        "ngayTiepNhan": p.received,
        "hanXuLy": p.deadline,
        "trangThai": state["trangThai"],
        "ngayXuLy": state["ngayXuLy"],
        "danhGia": {"mucDo": rating} if rating else None,
        "ngayCapNhat": state["ngayCapNhat"],
    }


class PetitionFeed:
    """The fake portal's data: every simulated petition received since ``start``, as it stands now.

    Called with the "updated since" of a request; the answer for one ``since`` is kept a few
    seconds so the pages of one collection page through the same list (the fake sorts and renders
    it once)."""

    def __init__(
        self,
        simulator: PetitionSimulator,
        start: date,
        clock: Callable[[], datetime],
        unit_names: dict[str, str] | None = None,
    ):
        self.simulator, self.start, self.clock = simulator, start, clock
        self.unit_names = unit_names or {}
        self._lock = threading.Lock()
        self._last: tuple[Any, float, list[dict[str, Any]]] | None = None

    def __call__(self, since: datetime | None) -> list[dict[str, Any]]:
        with self._lock:
            if self._last is not None and self._last[0] == since and time.monotonic() - self._last[1] < 30:
                return self._last[2]
            now = self.clock()
            items = []
            for p in self.simulator.petitions(self.start, now.date()):
                state = p.at(now)
                if state is not None and (since is None or state["ngayCapNhat"] >= since):
                    items.append(portal_item(p, state, self.unit_names))
            self._last = (since, time.monotonic(), items)
            return items
