"""Documents (công văn): incoming, outgoing and internal, their registration, handling and signing."""

from __future__ import annotations

import random
from datetime import date, timedelta

from collectors.simulator.common import (
    DAY,
    HORIZON_DAYS,
    HOUR,
    LIVE_CHUNK_S,
    LIVE_ID_PREFIX,
    OFFICE_END,
    SATURDAY_FACTOR,
    _cum,
    _doc_shares,
    _doc_time_of_day,
    _pick,
    _poisson,
    _Profile,
    _Record,
)


class DocumentSimulation:
    """The documents of :class:`AgencySimulator` (a mixin: it reads the simulator's calendar,
    profiles and live units)."""

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

    def _make_documents(self, prof: _Profile, day: date, rng: random.Random) -> list[_Record]:
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
        start = cal.day_start(day)
        shares = _doc_shares(prof.quality)
        records = []
        for seq in range(1, n + 1):
            rec = self._new_document(f"VB.{prof.code}.{day:%y%m%d}.{seq:04d}", prof.code, shares, rng)
            records.append(rec)
            self._document_life(rec, prof.quality, start, rng)
        return records

    def _document_life(self, rec: _Record, q: float, start: int, rng: random.Random) -> None:
        """Registration, due date and handling of one historical document."""
        cal = self.calendar
        horizon = start + HORIZON_DAYS * DAY
        slow = 1.8 - 0.8 * q  # handling-time multiplier
        channel, urgency = rec.base["channel"], rec.base["urgency"]
        urgent = urgency != "normal"
        reg = self._register(rec, start + _doc_time_of_day(rng), urgent, q, slow, rng)
        if reg is None:
            return  # rejected / returned to the sender
        reg_day = cal.local_date(reg)
        # Recall by the sender (axis only): a terminal 13.
        if channel == "axis" and rng.random() < 0.012:
            recall = cal.to_office(rec.times[-1] + int(rng.random() * 2 * DAY), rng)
            if recall < horizon:
                rec.add(recall, {"status_code": "13"})
            return
        # Due dates: urgent documents always, others often, outgoing rarely.
        due = None
        if rec.base["direction"] != "out" and (urgent or rng.random() < 0.35):
            n_days = self._URGENT_DUE_DAYS[urgency] if urgent else 3 + int(rng.random() * 13)
            due = cal.day_start(cal.add_working_days(reg_day, n_days)) + OFFICE_END
            if due <= reg:  # registered after hours: due by the end of the next working day
                due = cal.day_start(cal.next_working_day(reg_day)) + OFFICE_END
            rec.changes[-1]["due_at"] = due
        # Handling: assigned (04), in progress (05), completed (06).
        assign_mean = HOUR * (0.5 if urgent else 4) * slow
        assigned = cal.to_office(rec.times[-1] + int(rng.expovariate(1 / assign_mean)), rng)
        if assigned >= horizon:
            return
        rec.add(assigned, {"status_code": "04"})
        done = self._done_at(assigned, due, reg_day, q, slow, rng)
        if done is None:
            working = cal.to_office(assigned + int(rng.random() * 2 * DAY), rng)
            if working < horizon:
                rec.add(working, {"status_code": "05"})
            return
        working = assigned + int(rng.random() * max(60, done - assigned))
        if working < horizon:
            rec.add(working, {"status_code": "05"})
        if done < horizon:
            rec.add(max(done, working + 60), {"status_code": "06", "completed_at": max(done, working + 60)})

    def _register(
        self, rec: _Record, arrival: int, urgent: bool, q: float, slow: float, rng: random.Random
    ) -> int | None:
        """The moment the document is registered (03), or None when it was rejected (02)."""
        cal = self.calendar
        direction, channel = rec.base["direction"], rec.base["channel"]
        if direction == "in" and channel == "axis":
            # Incoming axis documents first arrive (01) and wait for the clerk.
            rec.add(arrival, {"status_code": "01", "arrived_at": arrival})
            if urgent:
                reg = cal.to_office(arrival + int(rng.random() * HOUR), rng, 1800)
            elif rng.random() < 0.25 - 0.22 * q:  # registered late
                later = cal.add_working_days(cal.local_date(arrival), 1 + int(rng.random() * 3))
                reg = max(arrival + 600, cal.office_time(later, rng))
            else:
                reg = cal.to_office(arrival + int(rng.expovariate(1 / (2 * HOUR * slow))), rng)
            if rng.random() < 0.02:
                rec.add(reg, {"status_code": "02"})
                return None
            rec.add(reg, {"status_code": "03", "registered_at": reg})
        elif direction == "out" and channel == "axis":
            reg = arrival
            rec.add(reg, {"status_code": "01", "registered_at": reg, "sent_at": reg})  # sent, arrived
            ack = cal.to_office(reg + int(rng.expovariate(1 / (3 * HOUR))), rng)
            rec.add(ack, {"status_code": "03", "acknowledged_at": ack})  # accepted by the recipient
        else:
            reg = arrival if direction != "in" else cal.to_office(arrival + int(rng.random() * HOUR), rng)
            rec.add(reg, {"status_code": "03", "registered_at": reg})
        return reg

    def _done_at(
        self, assigned: int, due: int | None, reg_day: date, q: float, slow: float, rng: random.Random
    ) -> int | None:
        """When handling is completed (on time or late against ``due``), or None: never."""
        cal = self.calendar
        if rng.random() < 0.06 - 0.05 * q:
            return None
        if due is None:
            extra = int(rng.expovariate(1 / (3.0 * slow)))
            return max(assigned + 1800, cal.office_time(cal.add_working_days(reg_day, extra), rng))
        due_day = cal.local_date(due)
        if rng.random() < 0.28 - 0.24 * q:
            done_day = cal.add_working_days(due_day, 1 + min(15, int(rng.expovariate(0.35))))
        else:
            span = max(0, (due_day - reg_day).days)
            done_day = reg_day + timedelta(days=int(rng.random() * (span + 1)))
            if not cal.is_working_day(done_day):
                done_day = due_day
        return max(assigned + 1800, cal.office_time(done_day, rng))

    # -- live stream -------------------------------------------------------------------------

    def _make_live_documents(self, c: int, stamp: str, rng: random.Random) -> list[_Record]:
        """Documents arriving in the chunk starting at ``c``: 01 → 03 → 04 → 05 → 06 within
        minutes to an hour; a few rejected (02) or recalled (13), some with a due date of tens of
        minutes (weak units finish late more often), a few never finished."""
        units, cum = self._live_units["documents"]
        n = (
            _poisson(rng, self.live_docs_per_min * self.calendar.live_factor(c) * LIVE_CHUNK_S / 60)
            if units and cum[-1] > 0
            else 0
        )
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
