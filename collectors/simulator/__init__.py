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

The package is split by domain: :mod:`~collectors.simulator.common` (contracts, rates, stable
randomness, the office calendar on the core's :class:`~dashboard.kpi.workdays.WorkingCalendar`,
units, record histories), :mod:`~collectors.simulator.documents`,
:mod:`~collectors.simulator.dossiers`, :mod:`~collectors.simulator.meetings` (each a mixin of
:class:`AgencySimulator` in :mod:`~collectors.simulator.agency`) and
:mod:`~collectors.simulator.sources` (the simulated source systems and the command line).

Command line (writes the simulated sources for the demo hierarchy)::

    python -m collectors.simulator /tmp/sources --days 400
"""

from __future__ import annotations

from datetime import timedelta  # noqa: F401 -- the doctest above uses it

from collectors.simulator.agency import AgencySimulator
from collectors.simulator.common import (
    AXIS_TIME_COLUMNS,
    DOCUMENT_COLUMNS,
    DOCUMENT_STATUSES,
    DOSSIER_COLUMNS,
    DOSSIER_STATUSES,
    HORIZON_DAYS,
    LIVE_CHUNK_S,
    LIVE_HORIZON_S,
    LIVE_ID_PREFIX,
    MEETING_COLUMNS,
    MEETING_CSV_HEADERS,
    MEETING_CSV_TITLE,
    MEETING_LEAD_DAYS,
    PROCEDURE_COLUMNS,
    VN_TZ,
    SimUnit,
    demo_sim_units,
)
from collectors.simulator.sources import SimulatedSources, main

__all__ = [
    "AXIS_TIME_COLUMNS",
    "DOCUMENT_COLUMNS",
    "DOCUMENT_STATUSES",
    "DOSSIER_COLUMNS",
    "DOSSIER_STATUSES",
    "HORIZON_DAYS",
    "LIVE_CHUNK_S",
    "LIVE_HORIZON_S",
    "LIVE_ID_PREFIX",
    "MEETING_COLUMNS",
    "MEETING_CSV_HEADERS",
    "MEETING_CSV_TITLE",
    "MEETING_LEAD_DAYS",
    "PROCEDURE_COLUMNS",
    "VN_TZ",
    "AgencySimulator",
    "SimUnit",
    "SimulatedSources",
    "demo_sim_units",
    "main",
]
