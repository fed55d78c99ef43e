"""The agency simulator: units' profiles, windows over batches of days and the live stream."""

from __future__ import annotations

import bisect
import math
from collections import OrderedDict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from collectors.simulator.common import (
    _TS_KEYS,
    _UPDATED_KEY,
    CENTRAL_WITH_PROCEDURES,
    DOCS_PER_MONTH_CENTRAL,
    DOCS_PER_MONTH_PROVINCE,
    DOSSIERS_PER_DAY_CENTRAL,
    DOSSIERS_PER_DAY_PROVINCE,
    HORIZON_DAYS,
    LIVE_CHUNK_S,
    LIVE_HORIZON_S,
    MEETING_LEAD_DAYS,
    PRODUCING_LEVELS,
    VN_TZ,
    WORKING_DAYS_PER_MONTH,
    SimUnit,
    _Batch,
    _Calendar,
    _cum,
    _derive_performance,
    _LiveChunk,
    _Procedure,
    _Profile,
    _rng,
    _stable_unit,
    _truncate,
)
from collectors.simulator.documents import DocumentSimulation
from collectors.simulator.dossiers import _CENTRAL_PROCEDURES, _PROVINCIAL_PROCEDURES, DossierSimulation
from collectors.simulator.meetings import MeetingSimulation


class AgencySimulator(DocumentSimulation, DossierSimulation, MeetingSimulation):
    """A seeded model of an agency's documents, dossiers and online meetings.

    The same ``seed`` and ``units`` always give the same records, whatever windows are asked for.
    Windows are half-open on the left: ``(t0, t1]``; all datetimes are timezone-aware and rows
    carry aware datetimes in the agency's time zone ``tz``.

    **Live stream.** With ``live_since`` set, every window also holds the records of a *live
    stream*: a trickle of extra activity from that moment on that follows office hours (about
    ``live_docs_per_min`` documents and ``live_dossiers_per_min`` dossiers a minute agency-wide,
    × 1,5 in office hours and × 0,25 at night, on weekends and holidays — ``_Calendar.live_factor``
    — and an online meeting starting every 20–40 minutes), with compressed life
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
