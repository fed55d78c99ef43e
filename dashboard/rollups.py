"""Daily rollups: (local day, unit, metric) → value, kept equal to a full recompute from facts.

Each metric is declared once: the fact table, the local-day column it is counted on, a filter and
an aggregate. Writers call :func:`refresh` with the (unit, day) pairs a batch touched — before and
after the change, ideally per day column — and the rows of those units and days are recomputed
from facts in the same transaction. :func:`recompute_all` rebuilds everything; tests assert both
agree. Writers of the procedure catalogue call :func:`refresh_units` (DVC-03 depends on it).

Statuses follow domain.md: dossiers 1 and 3 are not received; 9 and 10 are finished; documents
02 and 13 are returned / recalled.

Three kinds of metric live in the table, so every KPI can be read without scanning facts:

- **day metrics** count facts on one of their local-day columns (``doc_in`` on the registration
  day, ``dossier_finished`` on the finish day, ``dossier_open_late_u_by_due`` on the due day …);
- **state metrics** (``day_column=None``) count the facts that are open *now*, stored once per unit
  on the sentinel day :data:`STATE_DAY`. Each is the total over all days of a day metric of the
  same facts (``total_of``), so a refresh moves it by that day metric's exact change on the
  touched days — never by re-reading a unit's history;
- **histogram buckets** (``doc_ack_lat_00030`` …) and **lag buckets** (``doc_arrived_lag_03``) are
  day metrics too, each family counted in one grouped query (:class:`Family`): they let a median
  or a working-day rule be evaluated at read time.

"How many dossiers were open (or open and late) at the end of day E" — the 766 on-time rule
(DVC-06) needs it for any E — follows from a state total minus day metrics *after* E, a sum over
the days between E and today whatever the size of the history (see :mod:`dashboard.kpi.engine`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    Column,
    Date,
    Float,
    Integer,
    MetaData,
    Table,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateTable
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import replacement_traverse

from dashboard.db import begin_write
from dashboard.models import (
    PETITION_HANDLED,
    PETITION_OPEN,
    DailyRollup,
    Document,
    Dossier,
    Meeting,
    Petition,
    Procedure,
)
from dashboard.upsert import pg_index_probes, pg_probe_each, upsert

#: The day under which state metrics ("open now") are stored: never a real day of data.
STATE_DAY = date(1, 1, 1)


# --- portable date arithmetic -----------------------------------------------------------------------
class days_between(FunctionElement):
    """Whole days from ``start`` to ``end`` (two DATE columns): ``end - start``."""

    type = Integer()
    name = "days_between"
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    end, start = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"


@compiles(days_between, "postgresql")
def _days_between_pg(element, compiler, **kw):
    end, start = (compiler.process(c, **kw) for c in element.clauses)
    return f"({end} - {start})"


class minutes_between(FunctionElement):
    """Minutes (fractional) from ``start`` to ``end`` (two timestamps stored in UTC)."""

    type = Float()
    name = "minutes_between"
    inherit_cache = True


@compiles(minutes_between, "sqlite")
def _minutes_between_sqlite(element, compiler, **kw):
    # Whole seconds (julianday arithmetic would give 119.9999… for two hours and miss a bucket).
    end, start = (compiler.process(c, **kw) for c in element.clauses)
    return f"((CAST(strftime('%s', {end}) AS INTEGER) - CAST(strftime('%s', {start}) AS INTEGER)) / 60.0)"


@compiles(minutes_between, "postgresql")
def _minutes_between_pg(element, compiler, **kw):
    end, start = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 60.0)"


# --- metrics ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Family:
    """Bucket metrics counted together: each fact passing ``where`` falls in the bucket whose
    index ``bucket`` gives (a histogram). One grouped query over the relevant facts instead of a
    ``SUM(CASE …)`` per bucket over every fact."""

    names: tuple[str, ...]
    where: ColumnElement[bool]
    bucket: ColumnElement[int]


@dataclass(frozen=True)
class Metric:
    name: str
    model: type
    day_column: str | None  # None: a state metric, one value per unit at STATE_DAY
    where: ColumnElement[bool]
    measure: ColumnElement | None = None  # summed over rows passing ``where``; None counts them
    #: A state metric is the total over all days of this day metric (same facts, counted on a
    #: day column every one of them has): refreshes move it by the day metric's exact change.
    total_of: str | None = None
    family: Family | None = None  # a bucket of a histogram, computed with its family

    def aggregate(self, label: str) -> ColumnElement:
        return func.sum(case((self.where, self.measure if self.measure is not None else 1), else_=0)).label(
            label
        )

    @property
    def domain(self) -> str:
        return {Document: "documents", Dossier: "dossiers", Meeting: "meetings"}[self.model]

    @property
    def is_state(self) -> bool:
        return self.day_column is None


# -- documents
DOC_CLOSED_CODES = ("06", "02", "13")
DOC_OPEN_CODES = ("01", "03", "04", "05", "15", "16")  # every edXML code except the closed ones
DOC_ACK_CODES = ("03", "04", "05", "06", "15", "16")  # the recipient took the document in

_IN_OUT = Document.direction.in_(("in", "out"))
#: Open documents: registered (handling has started), not completed, returned or recalled.
DOC_OPEN = and_(
    or_(Document.status_code.is_(None), Document.status_code.in_(DOC_OPEN_CODES)),
    Document.completed_at.is_(None),
    Document.registered_day.is_not(None),
)
_NOT_RETURNED = or_(Document.status_code.is_(None), Document.status_code.not_in(("02", "13")))
_SENT_AXIS = and_(
    Document.direction == "out",
    Document.channel == "axis",
    or_(Document.status_code.is_(None), Document.status_code != "13"),
)
_ACKNOWLEDGED = or_(Document.acknowledged_at.is_not(None), Document.status_code.in_(DOC_ACK_CODES))
_ACK_TIMED = and_(
    _SENT_AXIS,
    Document.acknowledged_at.is_not(None),
    func.coalesce(Document.sent_at, Document.registered_at).is_not(None),
)
_ACK_MINUTES = minutes_between(
    Document.acknowledged_at, func.coalesce(Document.sent_at, Document.registered_at)
)

#: VB-07 latency histogram: lower edges in minutes; the last bucket is open-ended. The median
#: is interpolated inside its bucket, so it is exact to within half a bucket (5–60 min below a day).
ACK_LATENCY_EDGES_MIN: tuple[int, ...] = (
    *range(0, 120, 10),
    *range(120, 480, 30),
    *range(480, 1440, 120),
    1440,
    2160,
    2880,
    4320,
    5760,
    7200,
    10080,
    20160,
)
ACK_LATENCY_METRICS: tuple[str, ...] = tuple(f"doc_ack_lat_{lo:05d}" for lo in ACK_LATENCY_EDGES_MIN)

#: VB-04 registration lag buckets (calendar days from arrival to registration); the last one
#: holds every lag ≥ ARRIVAL_MAX_LAG, longer than any run of days off in a Vietnamese year.
ARRIVAL_MAX_LAG = 15
ARRIVAL_LAG_METRICS: tuple[str, ...] = tuple(f"doc_arrived_lag_{k:02d}" for k in range(ARRIVAL_MAX_LAG + 1))
_ARRIVED_IN = and_(Document.direction == "in", Document.arrived_day.is_not(None), _NOT_RETURNED)
_URGENT = Document.urgency != "normal"
_LAG = days_between(Document.registered_day, Document.arrived_day)


def _ack_bucket(i: int) -> ColumnElement[bool]:
    lo = ACK_LATENCY_EDGES_MIN[i]
    parts = [_ACK_TIMED]
    if i > 0:
        parts.append(lo <= _ACK_MINUTES)
    if i + 1 < len(ACK_LATENCY_EDGES_MIN):
        parts.append(ACK_LATENCY_EDGES_MIN[i + 1] > _ACK_MINUTES)
    return and_(*parts)


def _lag_bucket(k: int) -> ColumnElement[bool]:
    base = and_(_ARRIVED_IN, not_(_URGENT), Document.registered_day.is_not(None))
    if k == 0:
        return and_(base, _LAG <= 0)
    if k == ARRIVAL_MAX_LAG:
        return and_(base, _LAG >= ARRIVAL_MAX_LAG)
    return and_(base, k == _LAG)


ACK_LATENCY = Family(
    ACK_LATENCY_METRICS,
    _ACK_TIMED,
    case(
        *[(hi > _ACK_MINUTES, i) for i, hi in enumerate(ACK_LATENCY_EDGES_MIN[1:])],
        else_=len(ACK_LATENCY_EDGES_MIN) - 1,
    ),
)
ARRIVAL_LAG = Family(
    ARRIVAL_LAG_METRICS,
    and_(_ARRIVED_IN, not_(_URGENT), Document.registered_day.is_not(None)),
    case((_LAG <= 0, 0), (_LAG >= ARRIVAL_MAX_LAG, ARRIVAL_MAX_LAG), else_=_LAG),
)


# -- dossiers
DOSSIER_OPEN = (2, 4, 5, 6)
DOSSIER_IN_PROGRESS = (2, 4)
DOSSIER_PAUSED = (5, 6)
DOSSIER_TERMINAL = (7, 8, 9, 10)

_RECEIVED = Dossier.status.not_in((1, 3))
_FINISHED = Dossier.status.in_((9, 10))
#: Open now (received, not finished): the dossier's "open" interval runs from its receipt to today.
_OPEN_NOW = and_(Dossier.status.in_(DOSSIER_OPEN), Dossier.received_day.is_not(None))
#: Closed with a known day: its open interval is [received, finished).
_CLOSED = and_(
    Dossier.status.in_(DOSSIER_TERMINAL),
    Dossier.received_day.is_not(None),
    Dossier.finished_day.is_not(None),
    Dossier.finished_day >= Dossier.received_day,
)
#: Late from receipt (766): more than one supplement request, or due before it was received.
_LATE_R = or_(
    Dossier.supplement_count > 1,
    and_(Dossier.due_day.is_not(None), Dossier.due_day < Dossier.received_day),
)
#: Late from the day after the due day.
_LATE_U = and_(not_(_LATE_R), Dossier.due_day.is_not(None))
_CLOSED_LATE_U = and_(_CLOSED, _LATE_U, Dossier.due_day < Dossier.finished_day)
#: Ended for the 766 index (DVC-06 and the figures over its population): any end state, 7 withdrawn
#: and 8 stopped included (domain.md §2.2).
_ENDED = Dossier.status.in_(DOSSIER_TERMINAL)
#: Digitised for DVC-12: digitised components, and an electronic result once finished where one is required.
_DIGITISED = and_(
    Dossier.is_digitised.is_(True),
    or_(
        not_(and_(_FINISHED, Dossier.requires_result_document.is_(True))),
        Dossier.has_electronic_result.is_(True),
    ),
)
_FULL_SERVICE = (
    exists()
    .where(
        Procedure.unit_id == Dossier.unit_id,
        Procedure.code == Dossier.procedure_code,
        Procedure.service_level == "full",
        Procedure.active.is_(True),
    )
    # Correlated to whatever table holds the dossiers: the fact table, or a delta's staging table.
    .correlate_except(Procedure)
)
_RESOLUTION_MINUTES = minutes_between(Dossier.finished_at, Dossier.received_at)
_IN_PROGRESS = and_(Dossier.status.in_(DOSSIER_IN_PROGRESS), Dossier.received_day.is_not(None))
_PAUSED = and_(Dossier.status.in_(DOSSIER_PAUSED), Dossier.received_day.is_not(None))

# -- meetings
# Petitions (domain.md §8): refused (5) and forwarded-out (6) ones are outside the unit's competence.
_P_IN = Petition.status.not_in((5, 6))
_P_OPEN = Petition.status.in_(PETITION_OPEN)
_P_HANDLED = and_(Petition.status.in_(PETITION_HANDLED), Petition.handled_day.is_not(None))
_P_ON_TIME = and_(
    _P_HANDLED, or_(Petition.deadline_day.is_(None), Petition.handled_day <= Petition.deadline_day)
)
_P_LATE = and_(_P_HANDLED, Petition.deadline_day < Petition.handled_day)
_P_DISSATISFIED = Petition.rating == 1
_P_OPEN_DUE = and_(_P_OPEN, Petition.deadline_day.is_not(None))

_APPROVED = Meeting.status == 2
_ONLINE_HELD = and_(
    _APPROVED, Meeting.is_online.is_(True), func.coalesce(Meeting.endpoints_connected, 0) >= 1
)
_CONNECTION_KNOWN = and_(
    _APPROVED,
    Meeting.is_online.is_(True),
    Meeting.endpoints_scheduled.is_not(None),
    Meeting.endpoints_scheduled > 0,
    Meeting.endpoints_connected.is_not(None),
)

METRICS: tuple[Metric, ...] = (
    # Documents, by registration day (VB-01…VB-03, VB-06…VB-09).
    Metric("doc_in", Document, "registered_day", Document.direction == "in"),
    Metric("doc_out", Document, "registered_day", Document.direction == "out"),
    Metric("doc_internal", Document, "registered_day", Document.direction == "internal"),
    Metric("doc_exchange_total", Document, "registered_day", and_(_IN_OUT, Document.is_secret.is_(False))),
    Metric(
        "doc_exchange_electronic",
        Document,
        "registered_day",
        and_(_IN_OUT, Document.is_secret.is_(False), Document.is_electronic.is_(True)),
    ),
    Metric(
        "doc_internal_electronic",
        Document,
        "registered_day",
        and_(Document.direction == "internal", Document.is_electronic.is_(True)),
    ),
    Metric(
        "doc_internal_signed",
        Document,
        "registered_day",
        and_(
            Document.direction == "internal", Document.is_electronic.is_(True), Document.is_signed.is_(True)
        ),
    ),
    Metric("doc_axis", Document, "registered_day", Document.channel == "axis"),
    Metric(
        "doc_axis_signed",
        Document,
        "registered_day",
        and_(Document.channel == "axis", Document.is_signed.is_(True)),
    ),
    Metric("doc_returned_recalled", Document, "registered_day", Document.status_code.in_(("02", "13"))),
    Metric("doc_returned", Document, "registered_day", Document.status_code == "02"),
    Metric("doc_recalled", Document, "registered_day", Document.status_code == "13"),
    # VB-08: returned / recalled on the day the document reached that status (``status_day``: the
    # status event's time, else the source row's last update).
    Metric("doc_returned_on_status_day", Document, "status_day", Document.status_code == "02"),
    Metric("doc_recalled_on_status_day", Document, "status_day", Document.status_code == "13"),
    Metric("doc_sent_axis", Document, "registered_day", _SENT_AXIS),
    Metric("doc_sent_axis_acknowledged", Document, "registered_day", and_(_SENT_AXIS, _ACKNOWLEDGED)),
    Metric("doc_ack_timed", Document, "registered_day", _ACK_TIMED),
    *(
        Metric(name, Document, "registered_day", _ack_bucket(i), family=ACK_LATENCY)
        for i, name in enumerate(ACK_LATENCY_METRICS)
    ),
    # Documents refused or recalled before registration have only their arrival day (VB-08).
    Metric(
        "doc_returned_unregistered",
        Document,
        "arrived_day",
        and_(Document.registered_day.is_(None), Document.status_code == "02"),
    ),
    Metric(
        "doc_recalled_unregistered",
        Document,
        "arrived_day",
        and_(Document.registered_day.is_(None), Document.status_code == "13"),
    ),
    # Documents, by arrival day (VB-04): registration lag in calendar days, judged at read time
    # against the working-day calendar.
    Metric(
        "doc_arrival_known",
        Document,
        "arrived_day",
        and_(Document.direction == "in", Document.arrived_day.is_not(None)),
    ),
    Metric("doc_arrived", Document, "arrived_day", _ARRIVED_IN),
    *(
        Metric(name, Document, "arrived_day", _lag_bucket(k), family=ARRIVAL_LAG)
        for k, name in enumerate(ARRIVAL_LAG_METRICS)
    ),
    Metric(
        "doc_arrived_unregistered",
        Document,
        "arrived_day",
        and_(_ARRIVED_IN, not_(_URGENT), Document.registered_day.is_(None)),
    ),
    Metric(
        "doc_arrived_urgent_same_day",
        Document,
        "arrived_day",
        and_(_ARRIVED_IN, _URGENT, Document.registered_day.is_not(None), _LAG <= 0),
    ),
    Metric(
        "doc_arrived_urgent_later",
        Document,
        "arrived_day",
        and_(_ARRIVED_IN, _URGENT, Document.registered_day.is_not(None), _LAG > 0),
    ),
    Metric(
        "doc_arrived_urgent_unregistered",
        Document,
        "arrived_day",
        and_(_ARRIVED_IN, _URGENT, Document.registered_day.is_(None)),
    ),
    # Documents, by completion day (VB-05 ratio): completed by the due day.
    Metric(
        "doc_completed_with_due",
        Document,
        "completed_day",
        and_(Document.due_day.is_not(None), _NOT_RETURNED),
    ),
    Metric(
        "doc_completed_on_time",
        Document,
        "completed_day",
        and_(Document.due_day.is_not(None), _NOT_RETURNED, Document.completed_day <= Document.due_day),
    ),
    # Documents open now (VB-05 count): overdue = open with a due day before today.
    Metric("doc_open_by_due", Document, "due_day", and_(DOC_OPEN, Document.due_day.is_not(None))),
    Metric("doc_open_by_registered", Document, "registered_day", DOC_OPEN),
    Metric("doc_open_now", Document, None, DOC_OPEN, total_of="doc_open_by_registered"),
    Metric(
        "doc_open_due_now",
        Document,
        None,
        and_(DOC_OPEN, Document.due_day.is_not(None)),
        total_of="doc_open_by_due",
    ),
    # Dossiers, by receipt day (DVC-01…DVC-03, DVC-10, DVC-12, 766).
    Metric("dossier_received", Dossier, "received_day", _RECEIVED),
    Metric("dossier_received_online", Dossier, "received_day", and_(_RECEIVED, Dossier.channel == 2)),
    Metric("dossier_received_fee", Dossier, "received_day", and_(_RECEIVED, Dossier.has_fee.is_(True))),
    Metric(
        "dossier_received_paid_online",
        Dossier,
        "received_day",
        and_(_RECEIVED, Dossier.has_fee.is_(True), Dossier.paid_online.in_((1, 2))),
    ),
    Metric(
        "dossier_received_digitised",
        Dossier,
        "received_day",
        and_(_RECEIVED, _DIGITISED),
    ),
    Metric(
        "dossier_received_synced", Dossier, "received_day", and_(_RECEIVED, Dossier.synced_national.is_(True))
    ),
    Metric("dossier_received_full_svc", Dossier, "received_day", and_(_RECEIVED, _FULL_SERVICE)),
    Metric(
        "dossier_received_full_svc_online",
        Dossier,
        "received_day",
        and_(_RECEIVED, Dossier.channel == 2, _FULL_SERVICE),
    ),
    # Dossiers, by finish day (DVC-06, DVC-07, DVC-09, DVC-11, DVC-13): day granularity, no due
    # date counts as on time.
    Metric("dossier_finished", Dossier, "finished_day", _FINISHED),
    Metric(
        "dossier_finished_early",
        Dossier,
        "finished_day",
        and_(_FINISHED, Dossier.due_day.is_not(None), Dossier.finished_day < Dossier.due_day),
    ),
    Metric(
        "dossier_finished_on_time",
        Dossier,
        "finished_day",
        and_(_FINISHED, or_(Dossier.due_day.is_(None), Dossier.finished_day == Dossier.due_day)),
    ),
    Metric(
        "dossier_finished_late",
        Dossier,
        "finished_day",
        and_(_FINISHED, Dossier.due_day.is_not(None), Dossier.finished_day > Dossier.due_day),
    ),
    Metric("dossier_returned", Dossier, "finished_day", Dossier.status == 7),
    Metric("dossier_stopped", Dossier, "finished_day", Dossier.status == 8),
    Metric(
        "dossier_finished_766_on_time",
        Dossier,
        "finished_day",
        and_(
            _FINISHED,
            Dossier.supplement_count <= 1,
            or_(Dossier.due_day.is_(None), Dossier.finished_day <= Dossier.due_day),
        ),
    ),
    # The 766 population (DVC-06, DVC-11…13): dossiers ended in the period in any end state.
    Metric("dossier_ended", Dossier, "finished_day", _ENDED),
    Metric(
        "dossier_ended_766_on_time",
        Dossier,
        "finished_day",
        and_(
            _ENDED,
            Dossier.supplement_count <= 1,
            or_(Dossier.due_day.is_(None), Dossier.finished_day <= Dossier.due_day),
        ),
    ),
    Metric(
        "dossier_ended_e_result",
        Dossier,
        "finished_day",
        and_(_ENDED, Dossier.has_electronic_result.is_(True)),
    ),
    Metric("dossier_ended_digitised", Dossier, "finished_day", and_(_ENDED, _DIGITISED)),
    Metric("dossier_ended_dissatisfied", Dossier, "finished_day", and_(_ENDED, Dossier.rating == 1)),
    Metric("dossier_finished_rated", Dossier, "finished_day", and_(_FINISHED, Dossier.rating.is_not(None))),
    Metric("dossier_finished_dissatisfied", Dossier, "finished_day", and_(_FINISHED, Dossier.rating == 1)),
    Metric(
        "dossier_finished_requires_result",
        Dossier,
        "finished_day",
        and_(_FINISHED, Dossier.requires_result_document.is_(True)),
    ),
    Metric(
        "dossier_finished_e_result",
        Dossier,
        "finished_day",
        and_(_FINISHED, Dossier.requires_result_document.is_(True), Dossier.has_electronic_result.is_(True)),
    ),
    Metric(
        "dossier_finished_timed",
        Dossier,
        "finished_day",
        and_(_FINISHED, Dossier.received_at.is_not(None), Dossier.finished_at.is_not(None)),
    ),
    Metric(
        "dossier_finished_days",
        Dossier,
        "finished_day",
        and_(_FINISHED, Dossier.received_at.is_not(None), Dossier.finished_at.is_not(None)),
        _RESOLUTION_MINUTES / 1440.0,
    ),
    # Open-at-the-end-of-day-E machinery (DVC-06): state totals and the day metrics after E.
    Metric("dossier_open_now", Dossier, None, _OPEN_NOW, total_of="dossier_open_by_received"),
    Metric(
        "dossier_open_late_r_now",
        Dossier,
        None,
        and_(_OPEN_NOW, _LATE_R),
        total_of="dossier_open_late_r_by_received",
    ),
    Metric(
        "dossier_open_late_u_now",
        Dossier,
        None,
        and_(_OPEN_NOW, _LATE_U),
        total_of="dossier_open_late_u_by_due",
    ),
    Metric("dossier_open_by_received", Dossier, "received_day", _OPEN_NOW),
    Metric("dossier_open_late_r_by_received", Dossier, "received_day", and_(_OPEN_NOW, _LATE_R)),
    Metric("dossier_open_late_u_by_due", Dossier, "due_day", and_(_OPEN_NOW, _LATE_U)),
    Metric("dossier_closed", Dossier, "finished_day", _CLOSED),
    Metric("dossier_closed_by_received", Dossier, "received_day", _CLOSED),
    Metric("dossier_closed_late_r", Dossier, "finished_day", and_(_CLOSED, _LATE_R)),
    Metric("dossier_closed_late_r_by_received", Dossier, "received_day", and_(_CLOSED, _LATE_R)),
    Metric("dossier_closed_late_u", Dossier, "finished_day", _CLOSED_LATE_U),
    Metric("dossier_closed_late_u_by_due", Dossier, "due_day", _CLOSED_LATE_U),
    # … and how many of those open at the end of day E were digitised (DVC-12 over the 766 population).
    Metric(
        "dossier_open_digitised_now",
        Dossier,
        None,
        and_(_OPEN_NOW, Dossier.is_digitised.is_(True)),
        total_of="dossier_open_digitised_by_received",
    ),
    Metric(
        "dossier_open_digitised_by_received",
        Dossier,
        "received_day",
        and_(_OPEN_NOW, Dossier.is_digitised.is_(True)),
    ),
    Metric(
        "dossier_closed_digitised", Dossier, "finished_day", and_(_CLOSED, Dossier.is_digitised.is_(True))
    ),
    Metric(
        "dossier_closed_digitised_by_received",
        Dossier,
        "received_day",
        and_(_CLOSED, Dossier.is_digitised.is_(True)),
    ),
    # Dossiers in progress now (DVC-08): 2 and 4 are handled, 5 and 6 paused.
    Metric("dossier_in_progress_by_received", Dossier, "received_day", _IN_PROGRESS),
    Metric(
        "dossier_in_progress_by_due", Dossier, "due_day", and_(_IN_PROGRESS, Dossier.due_day.is_not(None))
    ),
    Metric("dossier_paused_by_received", Dossier, "received_day", _PAUSED),
    Metric(
        "dossier_in_progress_now", Dossier, None, _IN_PROGRESS, total_of="dossier_in_progress_by_received"
    ),
    Metric(
        "dossier_in_progress_due_now",
        Dossier,
        None,
        and_(_IN_PROGRESS, Dossier.due_day.is_not(None)),
        total_of="dossier_in_progress_by_due",
    ),
    Metric("dossier_paused_now", Dossier, None, _PAUSED, total_of="dossier_paused_by_received"),
    # Petitions (PAKN-01…PAKN-05): received, handled, and open at the end of day E as for dossiers.
    Metric("petition_received", Petition, "received_day", _P_IN),
    Metric("petition_handled", Petition, "handled_day", _P_HANDLED),
    Metric("petition_handled_on_time", Petition, "handled_day", _P_ON_TIME),
    Metric("petition_handled_late", Petition, "handled_day", _P_LATE),
    Metric("petition_handled_rated", Petition, "handled_day", and_(_P_HANDLED, Petition.rating.is_not(None))),
    Metric("petition_handled_dissatisfied", Petition, "handled_day", and_(_P_HANDLED, _P_DISSATISFIED)),
    # Handled on time and not rated dissatisfied: PAKN-03's numerator among the handled ones.
    Metric(
        "petition_handled_good",
        Petition,
        "handled_day",
        and_(_P_ON_TIME, or_(Petition.rating.is_(None), Petition.rating != 1)),
    ),
    Metric(
        "petition_handled_workdays",
        Petition,
        "handled_day",
        and_(_P_HANDLED, Petition.handled_workdays.is_not(None)),
        Petition.handled_workdays,
    ),
    Metric(
        "petition_handled_timed",
        Petition,
        "handled_day",
        and_(_P_HANDLED, Petition.handled_workdays.is_not(None)),
    ),
    Metric("petition_open_now", Petition, None, _P_OPEN, total_of="petition_open_by_received"),
    Metric("petition_open_due_now", Petition, None, _P_OPEN_DUE, total_of="petition_open_by_deadline"),
    Metric("petition_open_by_received", Petition, "received_day", _P_OPEN),
    Metric("petition_open_by_deadline", Petition, "deadline_day", _P_OPEN_DUE),
    Metric("petition_handled_by_received", Petition, "received_day", _P_HANDLED),
    Metric("petition_handled_late_by_deadline", Petition, "deadline_day", _P_LATE),
    # Meetings, by start day (HOP-01…HOP-06).
    Metric("meeting_approved", Meeting, "start_day", _APPROVED),
    Metric("meeting_online", Meeting, "start_day", _ONLINE_HELD),
    Metric(
        "meeting_endpoints_connected",
        Meeting,
        "start_day",
        _ONLINE_HELD,
        func.coalesce(Meeting.endpoints_connected, 0),
    ),
    Metric(
        "meeting_endpoints_scheduled",
        Meeting,
        "start_day",
        _ONLINE_HELD,
        func.coalesce(Meeting.endpoints_scheduled, 0),
    ),
    Metric(
        "meeting_participants",
        Meeting,
        "start_day",
        _ONLINE_HELD,
        func.coalesce(Meeting.participants_peak, 0),
    ),
    Metric("meeting_minutes", Meeting, "start_day", _ONLINE_HELD, func.coalesce(Meeting.duration_min, 0.0)),
    Metric(
        "meeting_participants_known",
        Meeting,
        "start_day",
        and_(_ONLINE_HELD, Meeting.participants_peak.is_not(None)),
    ),
    Metric("meeting_timed", Meeting, "start_day", and_(_ONLINE_HELD, Meeting.duration_min.is_not(None))),
    Metric(
        "meeting_endpoint_minutes",
        Meeting,
        "start_day",
        _ONLINE_HELD,
        func.coalesce(Meeting.duration_min, 0.0) * func.coalesce(Meeting.endpoints_connected, 0),
    ),
    Metric(
        "meeting_connection_scheduled", Meeting, "start_day", _CONNECTION_KNOWN, Meeting.endpoints_scheduled
    ),
    Metric(
        "meeting_connection_connected",
        Meeting,
        "start_day",
        _CONNECTION_KNOWN,
        # An endpoint that joined without being invited does not make the rate exceed 100 %.
        case(
            (Meeting.endpoints_connected > Meeting.endpoints_scheduled, Meeting.endpoints_scheduled),
            else_=Meeting.endpoints_connected,
        ),
    ),
)

METRICS_BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
METRICS_BY_MODEL: dict[type, tuple[Metric, ...]] = {
    model: tuple(m for m in METRICS if m.model is model) for model in (Document, Dossier, Meeting, Petition)
}
#: The day columns of each fact table that rollups group by.
DAY_COLUMNS: dict[type, tuple[str, ...]] = {
    model: tuple(sorted({m.day_column for m in metrics if m.day_column is not None}))
    for model, metrics in METRICS_BY_MODEL.items()
}
STATE_METRICS: frozenset[str] = frozenset(m.name for m in METRICS if m.is_state)
for _m in METRICS:  # a development check: every state metric names a day metric of its table
    if _m.is_state and (
        _m.total_of not in METRICS_BY_NAME or METRICS_BY_NAME[_m.total_of].model is not _m.model
    ):
        raise RuntimeError(f"state metric {_m.name} needs total_of = a day metric of the same table")

#: Metrics that depend on the procedure catalogue as well as on dossiers (see refresh_units).
CATALOGUE_DEPENDENT: frozenset[str] = frozenset(
    {"dossier_received_full_svc", "dossier_received_full_svc_online"}
)

Pair = tuple[int, date]


def _compute(
    session: Session, metrics: Iterable[Metric], pairs: set[Pair] | None
) -> dict[tuple[date, int, str], float]:
    """Aggregate ``metrics`` from facts, for ``pairs`` only (or everything when None).

    State metrics are computed for the units of ``pairs`` (or all units).
    """
    values: dict[tuple[date, int, str], float] = {}
    by_column: dict[tuple[type, str | None], list[Metric]] = defaultdict(list)
    families: dict[tuple[type, str], Family] = {}
    for metric in metrics:
        if metric.family is not None:
            families[(metric.model, metric.day_column)] = metric.family
        else:
            by_column[(metric.model, metric.day_column)].append(metric)
    for (model, day_name), group in by_column.items():
        if day_name is None:
            if pairs is None:  # refreshes move state metrics by delta (see _replace)
                _state_values(session, model, group, values)
        elif pairs is None or pairs:
            _daily_values(session, model, day_name, group, pairs, values)
    if pairs is None or pairs:
        for (model, day_name), family in families.items():
            _family_values(session, model, day_name, family, pairs, values)
    return values


def _state_values(session: Session, model: type, group: list[Metric], values: dict) -> None:
    columns = [m.aggregate(f"n{i}") for i, m in enumerate(group)]
    stmt = select(model.unit_id, *columns).group_by(model.unit_id)
    for row in session.execute(stmt):
        for metric, value in zip(group, row[1:], strict=False):
            if value:
                values[(STATE_DAY, row[0], metric.name)] = float(value)


def _daily_values(
    session: Session, model: type, day_name: str, group: list[Metric], pairs: set[Pair] | None, values: dict
) -> None:
    columns = [m.aggregate(f"n{i}") for i, m in enumerate(group)]
    day_col = getattr(model, day_name)
    stmt = (
        select(model.unit_id, day_col, *columns).where(day_col.is_not(None)).group_by(model.unit_id, day_col)
    )
    if pairs is not None:
        stmt = _restrict(session, stmt, model.unit_id, day_col, pairs)
    for row in session.execute(stmt):
        unit_id, day = row[0], row[1]
        for metric, value in zip(group, row[2:], strict=False):
            if value:  # zero rows are not stored: a missing rollup row means 0 for counts
                values[(day, unit_id, metric.name)] = float(value)


def _family_values(
    session: Session, model: type, day_name: str, family: Family, pairs: set[Pair] | None, values: dict
) -> None:
    day_col = getattr(model, day_name)
    bucket = family.bucket.label("bucket")
    stmt = (
        select(model.unit_id, day_col, bucket, func.count())
        .where(day_col.is_not(None), family.where)
        .group_by(model.unit_id, day_col, bucket)
    )
    if pairs is not None:
        stmt = _restrict(session, stmt, model.unit_id, day_col, pairs)
    for unit_id, day, index, n in session.execute(stmt):
        if n and index is not None:
            key = (day, unit_id, family.names[int(index)])
            values[key] = values.get(key, 0.0) + float(n)


def _in_pairs(unit_col, day_col, pairs: set[Pair]) -> ColumnElement[bool]:
    """Every touched unit × every touched day: a superset of ``pairs`` (a batch touches the same
    few days in most units) that the (unit, day) indexes answer, in a statement that compiles
    once whatever the number of pairs. Recomputing a (unit, day) that did not change is harmless."""
    return and_(unit_col.in_(sorted({u for u, _ in pairs})), day_col.in_(sorted({d for _, d in pairs})))


def _restrict(session: Session, stmt, unit_col, day_col, pairs: set[Pair]):
    """``stmt`` limited to the touched (unit, day) pairs.

    PostgreSQL: a join against ``unnest(units[], days[])`` — the exact pairs, two array
    parameters, planned as a nested loop of (unit, day) index probes whatever the statistics
    (an IN list per column is planned, on a table not analysed yet, as a scan of every fact: a
    cost that grows with the table). SQLite: the units × days superset of :func:`_in_pairs`,
    which its planner answers from the (unit, day) indexes.
    """
    if session.get_bind().dialect.name == "postgresql":
        touched = _pg_pairs(pairs)
        return stmt.join(touched, and_(unit_col == touched.c.u, day_col == touched.c.d))
    return stmt.where(_in_pairs(unit_col, day_col, pairs))


def _pg_pairs(pairs: set[Pair]):
    """The (unit, day) pairs as ``unnest(units[], days[]) AS touched(u, d)``: two array parameters."""
    ordered = sorted(pairs)
    return (
        func.unnest(
            bindparam("pair_units", [u for u, _ in ordered], type_=postgresql.ARRAY(Integer())),
            bindparam("pair_days", [d for _, d in ordered], type_=postgresql.ARRAY(Date())),
        )
        .table_valued("u", "d")
        .render_derived(name="touched")
    )


def _stored_values(
    session: Session, names: list[str], pairs: set[Pair]
) -> dict[tuple[date, int, str], float]:
    """Stored rows of day metrics ``names`` on the touched pairs (the same pairs — or superset —
    that :func:`_compute` recomputes)."""
    stmt = select(DailyRollup.day, DailyRollup.unit_id, DailyRollup.metric, DailyRollup.value).where(
        DailyRollup.metric.in_(names)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Each touched (unit, day) probed in the primary key, whatever the statistics.
        touched = _pg_pairs(pairs)
        stmt = pg_probe_each(
            touched, stmt.where(DailyRollup.unit_id == touched.c.u, DailyRollup.day == touched.c.d)
        )
    else:
        stmt = _restrict(session, stmt, DailyRollup.unit_id, DailyRollup.day, pairs)
    return {(d, u, m): v for d, u, m, v in session.execute(stmt)}


def _delete_keys(session: Session, keys: Iterable[tuple[date, int, str]]) -> None:
    params = [{"k_day": d, "k_unit": u, "k_metric": m} for d, u, m in keys]
    if not params:
        return
    table = DailyRollup.__table__
    stmt = delete(table).where(
        table.c.day == bindparam("k_day"),
        table.c.unit_id == bindparam("k_unit"),
        table.c.metric == bindparam("k_metric"),
    )
    session.connection().execute(stmt, params)


def _replace(session: Session, metrics: list[Metric], pairs: set[Pair] | Mapping[str, set[Pair]]) -> int:
    """Recompute the day metrics of ``metrics`` for the touched units × days — per day column when
    ``pairs`` says which column each pair came from — and move their state metrics by the exact
    change of their day metric (the total over all days changes by what changed on the touched
    days), without reading the unit's whole history.

    The stored rows of the touched pairs are read first and compared with the recompute: only
    rows whose value changed are written, only rows that fell to zero are deleted (a re-read
    batch, or a day a batch only partly moved, writes little or nothing)."""
    by_column: dict[str, list[Metric]] = defaultdict(list)
    for metric in metrics:
        if not metric.is_state:
            by_column[metric.day_column].append(metric)
    state_metrics = [m for m in metrics if m.is_state]
    partners = {m.total_of for m in state_metrics}
    before: dict[tuple[int, str], float] = defaultdict(float)
    after: dict[tuple[int, str], float] = defaultdict(float)
    written = 0
    for column, group in by_column.items():
        touched = set(pairs.get(column, ())) if isinstance(pairs, Mapping) else pairs
        if not touched:
            continue
        with pg_index_probes(session):  # the touched pairs, one index probe each (see there)
            old = _stored_values(session, [m.name for m in group], touched)
            values = _compute(session, group, touched)
        rows = [
            {"day": d, "unit_id": u, "metric": m, "value": v}
            for (d, u, m), v in values.items()
            if old.get((d, u, m)) != v
        ]
        _delete_keys(session, [k for k in old if k not in values])
        if rows:
            upsert(session, DailyRollup, rows, key=("day", "unit_id", "metric"), count=False)
        written += len(rows)
        if partners:
            for (_, u, m), v in old.items():
                if m in partners:
                    before[(u, m)] += v
            for (_, u, m), v in values.items():
                if m in partners:
                    after[(u, m)] += v
    if state_metrics:
        _move_states(session, state_metrics, before, after)
    return written


def _move_states(session: Session, state_metrics: list[Metric], before, after) -> None:
    changed: dict[tuple[int, str], float] = {}
    for metric in state_metrics:
        for unit_id in {u for u, m in (*before, *after) if m == metric.total_of}:
            delta = after.get((unit_id, metric.total_of), 0.0) - before.get((unit_id, metric.total_of), 0.0)
            if delta:
                changed[(unit_id, metric.name)] = delta
    if not changed:
        return
    units = sorted({u for u, _ in changed})
    names = sorted({m for _, m in changed})
    stored_rows = session.execute(
        select(DailyRollup.unit_id, DailyRollup.metric, DailyRollup.value).where(
            DailyRollup.day == STATE_DAY, DailyRollup.unit_id.in_(units), DailyRollup.metric.in_(names)
        )
    )
    current = {(u, m): v for u, m, v in stored_rows}
    write, drop = [], []
    for (unit_id, name), delta in changed.items():
        value = current.get((unit_id, name), 0.0) + delta  # counts: exact in floating point
        if value:
            write.append({"day": STATE_DAY, "unit_id": unit_id, "metric": name, "value": value})
        else:
            drop.append((STATE_DAY, unit_id, name))
    if write:
        upsert(session, DailyRollup, write, key=("day", "unit_id", "metric"), count=False)
    _delete_keys(session, drop)


# --- delta refresh ----------------------------------------------------------------------------------
# A writer that knows which facts it changes copies them into a staging table of its connection
# before the change (sign −1) and after it (sign +1). The same metric expressions, aggregated over
# the staging table with the sign, give the exact change of every count on every (unit, day) and
# of every state metric per unit: no fact history is read and the fact table needs no index per
# day column (a bulk load of documents writes 40 % faster without them). Metrics that sum
# non-integer measures (durations) are recomputed from facts on the touched (unit, day) pairs
# instead: adding floating-point changes would drift away from a full recompute.


def exact_by_delta(metric: Metric) -> bool:
    """Whether ``metric`` moves by exact changes: a count, or a sum of integers."""
    return metric.measure is None or isinstance(metric.measure.type, Integer)


_SIGN = "delta_sign"
_STAGES: dict[type, Table] = {}
_ON_STAGE: dict[tuple[type, int], ColumnElement] = {}


def _stage_table(model: type) -> Table:
    stage = _STAGES.get(model)
    if stage is None:
        fact = model.__table__
        stage = Table(
            f"_ioc_delta_{fact.name}",
            MetaData(),
            Column(_SIGN, Integer, nullable=False),
            *(Column(c.name, c.type) for c in fact.columns),
            prefixes=["TEMPORARY"],
            postgresql_on_commit="DELETE ROWS",
        )
        _STAGES[model] = stage
    return stage


def _on_stage(model: type, expression: ColumnElement) -> ColumnElement:
    """``expression`` over the fact table's columns, rewritten over the staging table's."""
    key = (model, id(expression))
    adapted = _ON_STAGE.get(key)
    if adapted is None:
        fact, stage = model.__table__, _stage_table(model)
        if hasattr(expression, "__clause_element__"):  # an ORM attribute (a bare column as measure)
            expression = expression.__clause_element__()

        def swap(element):
            if isinstance(element, Column) and element.table is fact:
                return stage.c[element.name]
            return None

        adapted = _ON_STAGE[key] = replacement_traverse(expression, {}, swap)
    return adapted


class Delta:
    """The rollup change of the facts a writer changes, captured around the change::

        delta = Delta(session, Document)
        delta.capture_keys(-1, ("source", "source_id"), keys_of_rows_about_to_change)
        ...  # insert / update the facts
        delta.capture_keys(+1, ("source", "source_id"), keys_of_rows_written)
        delta.apply()

    Everything happens in the session's transaction; the staging table is a temporary table of
    the connection, emptied before and after use.
    """

    def __init__(self, session: Session, model: type):
        self.session = session
        self.model = model
        self.fact = model.__table__
        self.stage = _stage_table(model)
        self.metrics = METRICS_BY_MODEL.get(model, ())
        self._postgresql = session.get_bind().dialect.name == "postgresql"
        self._mark: int | None = None
        begin_write(session)
        session.execute(CreateTable(self.stage, if_not_exists=True))
        self._clear()

    def _clear(self) -> None:
        if self._postgresql:  # no dead rows in a table autovacuum never visits
            self.session.execute(text(f'TRUNCATE "{self.stage.name}"'))
        else:
            self.session.execute(delete(self.stage))

    def mark(self) -> None:
        """Before a write that may insert facts: on SQLite, note the highest row id, so that
        :meth:`capture_written` copies the rows inserted as one range of ids. The transaction
        holds SQLite's write lock from its start (:func:`dashboard.db.begin_write`, also taken
        here if nothing ran yet), so no other writer can insert between the mark and the copy:
        every id above the mark is one of this transaction's own inserts."""
        if not self._postgresql and "id" in self.fact.c and self.fact.c.id.primary_key:
            self._mark = self.session.execute(select(func.max(self.fact.c.id))).scalar() or 0

    def capture_written(
        self, key: tuple[str, ...], written: Iterable[tuple], changed: Iterable[tuple]
    ) -> None:
        """After the write: copy the rows written (keys ``written``, of which ``changed`` were
        stored before) with sign +1."""
        if self._mark is None:
            self.capture_keys(+1, key, written)
            return
        names = [c.name for c in self.fact.columns]
        stmt = select(literal(1, Integer), *(self.fact.c[n] for n in names)).where(
            self.fact.c.id > self._mark
        )
        self.session.execute(insert(self.stage).from_select([_SIGN, *names], stmt))
        self.capture_keys(+1, key, changed)
        self._mark = None

    def capture_keys(self, sign: int, key: tuple[str, ...], keys: Iterable[tuple]) -> None:
        """Copy the stored rows with these ``key`` values into the staging table with ``sign``."""
        names = [c.name for c in self.fact.columns]
        columns = [self.fact.c[n] for n in names]
        sign_value = literal(sign, Integer)
        key_cols = [self.fact.c[k] for k in key]
        groups: dict[tuple, list] = {}
        for k in keys:
            groups.setdefault(tuple(k[:-1]), []).append(k[-1])
        last = key_cols[-1]
        for prefix, lasts in groups.items():
            fixed = [c == v for c, v in zip(key_cols[:-1], prefix, strict=False)]
            if self._postgresql:
                # One array parameter, each key probed in the unique index (see upsert.pg_probe_each).
                wanted = (
                    func.unnest(bindparam("keys", lasts, type_=postgresql.ARRAY(last.type)))
                    .table_valued("k")
                    .render_derived(name="wanted")
                )
                stmt = pg_probe_each(
                    wanted, select(sign_value.label(_SIGN), *columns).where(*fixed, last == wanted.c.k)
                )
                with pg_index_probes(self.session):
                    self.session.execute(insert(self.stage).from_select([_SIGN, *names], stmt))
                continue
            for start in range(0, len(lasts), 900):
                stmt = select(sign_value, *columns).where(*fixed, last.in_(lasts[start : start + 900]))
                self.session.execute(insert(self.stage).from_select([_SIGN, *names], stmt))

    def apply(self) -> int:
        """Move the rollups by the captured change; returns the number of rollup rows written."""
        session, model = self.session, self.model
        connection = session.connection()
        dialect = connection.dialect
        as_day = (
            date.fromisoformat if dialect.name == "sqlite" else (lambda d: d)
        )  # raw rows: SQLite days are text
        changes: dict[tuple[date, int, str], float] = defaultdict(float)
        for kind, sql, names in _delta_plan(model, dialect):
            for row in connection.exec_driver_sql(sql):
                if kind == "state":
                    for name, value in zip(names, row[1:], strict=False):
                        if value:
                            changes[(STATE_DAY, row[0], name)] += float(value)
                elif kind == "family":
                    unit_id, day, index, n = row
                    if n and index is not None:
                        changes[(as_day(day), unit_id, names[int(index)])] += float(n)
                else:
                    day = as_day(row[1])
                    for name, value in zip(names, row[2:], strict=False):
                        if value:
                            changes[(day, row[0], name)] += float(value)
        written = _add_changes(session, changes)
        recompute = [m for m in self.metrics if not exact_by_delta(m)]
        if recompute:
            stage, unit = self.stage, self.stage.c.unit_id
            pairs: dict[str, set[Pair]] = {}
            for column in {m.day_column for m in recompute}:
                day_col = stage.c[column]
                pairs[column] = {
                    (u, d)
                    for u, d in session.execute(select(unit, day_col).where(day_col.is_not(None)).distinct())
                }
            written += _replace(session, recompute, pairs)
        self._clear()
        return written


_PLANS: dict[tuple[type, str], list[tuple[str, str, tuple[str, ...]]]] = {}


def _delta_plan(model: type, dialect) -> list[tuple[str, str, tuple[str, ...]]]:
    """The aggregate queries over the staging table that give a delta's changes, compiled once per
    model and database to plain SQL (their only parameters are the metrics' constants): building
    and compiling ~100 metric expressions per batch cost more than running them.

    Each entry is (kind, sql, metric names): ``day`` rows are (unit, day, change per metric),
    ``family`` rows (unit, day, bucket index, change), ``state`` rows (unit, change per metric)."""
    plan = _PLANS.get((model, dialect.name))
    if plan is not None:
        return plan
    stage = _stage_table(model)
    sign, unit = stage.c[_SIGN], stage.c.unit_id
    by_column: dict[str, list[Metric]] = defaultdict(list)
    families: dict[str, Family] = {}
    states: list[Metric] = []
    for metric in METRICS_BY_MODEL.get(model, ()):
        if not exact_by_delta(metric):
            continue
        if metric.is_state:
            states.append(metric)
        elif metric.family is not None:
            families[metric.day_column] = metric.family
        else:
            by_column[metric.day_column].append(metric)

    def signed(metric: Metric) -> ColumnElement:
        value = sign if metric.measure is None else sign * _on_stage(model, metric.measure)
        return func.sum(case((_on_stage(model, metric.where), value), else_=0))

    def sql(stmt) -> str:
        return str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))

    plan = []
    for column, group in sorted(by_column.items()):
        day = stage.c[column]
        stmt = select(unit, day, *(signed(m) for m in group)).where(day.is_not(None)).group_by(unit, day)
        plan.append(("day", sql(stmt), tuple(m.name for m in group)))
    for column, family in sorted(families.items()):
        day = stage.c[column]
        bucket = _on_stage(model, family.bucket).label("bucket")
        stmt = (
            select(unit, day, bucket, func.sum(sign))
            .where(day.is_not(None), _on_stage(model, family.where))
            .group_by(unit, day, bucket)
        )
        plan.append(("family", sql(stmt), family.names))
    if states:
        stmt = select(unit, *(signed(m) for m in states)).group_by(unit)
        plan.append(("state", sql(stmt), tuple(m.name for m in states)))
    _PLANS[(model, dialect.name)] = plan
    return plan


def _add_changes(session: Session, changes: Mapping[tuple[date, int, str], float]) -> int:
    """Add ``changes`` to the stored rollup values; rows that reach zero are deleted."""
    changes = {k: v for k, v in changes.items() if v}
    if not changes:
        return 0
    pairs = {(u, d) for d, u, _ in changes}
    with pg_index_probes(session):
        current = _stored_values(session, sorted({m for _, _, m in changes}), pairs)
    write, drop = [], []
    for (day, unit_id, name), change in changes.items():
        value = current.get((day, unit_id, name), 0.0) + change  # counts: exact in floating point
        if value:
            write.append({"day": day, "unit_id": unit_id, "metric": name, "value": value})
        elif (day, unit_id, name) in current:
            drop.append((day, unit_id, name))
    if write:
        upsert(session, DailyRollup, write, key=("day", "unit_id", "metric"), count=False)
    _delete_keys(session, drop)
    return len(write) + len(drop)


def refresh(session: Session, model: type, pairs: set[Pair] | Mapping[str, set[Pair]]) -> int:
    """Recompute the rollups of ``model``'s metrics for the touched (unit, day) pairs, and move
    the state metrics of the touched units.

    ``pairs`` is a set of (unit, day) — every day column's metrics are recomputed for all of them
    — or, cheaper, a mapping from each day column (``DAY_COLUMNS[model]``) to the pairs that came
    from that column, before and after the change: then each column's metrics are recomputed
    only for its own days (a batch's due days, say, do not recompute the registration metrics).
    """
    metrics = METRICS_BY_MODEL.get(model, ())
    if not pairs or not metrics:
        return 0
    return _replace(session, list(metrics), pairs if isinstance(pairs, Mapping) else set(pairs))


def refresh_units(
    session: Session, unit_ids: Iterable[int], names: Iterable[str] = CATALOGUE_DEPENDENT
) -> int:
    """Recompute day metrics ``names`` for every day of ``unit_ids``.

    For writers of the procedure catalogue: a service level that changes moves dossiers in or
    out of DVC-03, so the catalogue-dependent dossier metrics of that unit must be recomputed.
    """
    units = sorted(set(unit_ids))
    metrics = [METRICS_BY_NAME[n] for n in names]
    if any(m.is_state for m in metrics):
        raise ValueError("refresh_units recomputes day metrics; state metrics follow their day metric")
    if not units or not metrics:
        return 0
    pairs: set[Pair] = set()
    for metric in metrics:
        col = getattr(metric.model, metric.day_column)
        stmt = (
            select(metric.model.unit_id, col)
            .where(metric.model.unit_id.in_(units), col.is_not(None))
            .distinct()
        )
        pairs.update((u, d) for u, d in session.execute(stmt))
        old = select(DailyRollup.unit_id, DailyRollup.day).where(
            DailyRollup.unit_id.in_(units), DailyRollup.metric == metric.name
        )
        pairs.update((u, d) for u, d in session.execute(old))
    if not pairs:
        return 0
    return _replace(session, metrics, pairs)


def recompute_all(session: Session) -> dict[tuple[date, int, str], float]:
    """Every rollup value computed from facts (what the table must equal)."""
    return _compute(session, METRICS, None)


def stored(session: Session) -> dict[tuple[date, int, str], float]:
    return {(r.day, r.unit_id, r.metric): r.value for r in session.scalars(select(DailyRollup))}


def rebuild(session: Session) -> int:
    """Replace the whole rollup table by a full recompute (repair tool, bulk loads)."""
    begin_write(session)  # no collector batch moves the rollups while they are rebuilt
    session.execute(delete(DailyRollup))
    rows = [
        {"day": d, "unit_id": u, "metric": m, "value": v} for (d, u, m), v in recompute_all(session).items()
    ]
    for start in range(0, len(rows), 50_000):
        session.execute(insert(DailyRollup), rows[start : start + 50_000])
    return len(rows)
