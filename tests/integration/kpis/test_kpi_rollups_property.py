"""Property: for random facts, scopes and periods, the KPIs the engine reads from the daily
rollups equal a direct computation from the facts.

The facts go through the real pipeline (the collector runner validates them and maintains the
rollups incrementally, batch by batch, with updates of earlier rows). The reference below is an
independent, deliberately naive implementation of domain.md §2 over the fact rows — no SQL, no
rollups, no shared code with the engine except the working-day calendar.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from collectors.base import Batch, RawRow, SourceConfig
from collectors.runner import Runner
from dashboard.db import make_sessionmaker
from dashboard.kpi.engine import compute, resolve_scope
from dashboard.kpi.periods import Period
from dashboard.kpi.workdays import WorkingCalendar
from dashboard.models import CollectorRun, DailyRollup, Document, Dossier, Meeting, RejectedRecord
from dashboard.timeutil import VN_TZ
from tests.integration.collectors.conftest import ListAdapter
from tests.integration.kpis.conftest import insert

UNITS = ["SO-01", "SO-79", "BMP-VP"]
BASE = datetime(2026, 2, 20, 0, 0)
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=VN_TZ)
TODAY = NOW.date()
SCOPES = [(None, True), (None, True), ("BMP-SO", True), ("SO-01", True), ("BMP-SO", False)]


def stamp(hours: int) -> str:
    return (BASE + timedelta(hours=hours)).isoformat(sep=" ")


# Few distinct days and hours, so that equal days (finished on the due day, due on the period's
# last day, received on its first) come up often.
# All within 4/3–16/3, around the periods, which lie within 4/3–15/3 (today): few distinct days,
# so that equal days (finished on the due day, due on the period's last day …) come up often.
DAYS = st.integers(12, 24)
moment = st.builds(lambda d, h: stamp(24 * d + h), DAYS, st.sampled_from([7, 12, 16, 23]))


def maybe(values, present: int = 3, absent: int = 1):
    """A value ``present`` times in ``present + absent``, else None (a bare one_of(none(), …) is
    None most of the time)."""
    return st.sampled_from([True] * present + [False] * absent).flatmap(
        lambda here: values if here else st.none()
    )


documents = st.fixed_dictionaries(
    {
        "unit_code": st.sampled_from(UNITS),
        "direction": st.sampled_from(["in", "out", "internal"]),
        "channel": st.sampled_from(["axis", "internal", "paper"]),
        "is_electronic": st.booleans(),
        "is_signed": st.booleans(),
        "is_secret": st.booleans(),
        "registered_at": maybe(moment),
        "due_at": maybe(moment),
        "completed_at": maybe(moment),
        "acknowledged_at": maybe(moment, 1, 3),
        "updated_at": maybe(moment, 1, 1),
        "status_code": st.sampled_from(["01", "02", "03", "04", "05", "06", "13", "15", "16", None]),
    }
)
dossiers = st.fixed_dictionaries(
    {
        "MaDonVi": st.sampled_from(UNITS),
        "TrangThaiHoSo": st.sampled_from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 9, 4, 4, 2, 5]),
        "KenhThucHien": st.sampled_from([1, 2, 3, None]),
        "CoPhi": st.booleans(),
        "DuocThanhToanTrucTuyen": st.sampled_from([None, 1, 2]),
        "SoLanBoSung": st.integers(0, 3),
        "DaSoHoa": st.booleans(),
        "CoKetQuaDienTu": st.booleans(),
        "DanhGia": st.sampled_from([None, 1, 2, 3]),
        "NgayTiepNhan": maybe(moment),
        "NgayHenTra": maybe(moment),
        "NgayKetThucXuLy": maybe(moment),
    }
)
meetings = st.builds(
    lambda m, start, length, sched, conn, people: {
        **m,
        "start_at": stamp(start),
        "end_at": None if length is None else stamp(start + length),
        "endpoints_scheduled": sched,
        "endpoints_connected": conn,
        "participants": people,
    },
    st.fixed_dictionaries(
        {
            "unit_code": st.sampled_from(UNITS),
            "status": st.sampled_from([1, 2, 2, 2, 3, 4]),
            "is_online": st.booleans(),
        }
    ),
    DAYS.map(lambda d: 24 * d + 9),
    maybe(st.integers(0, 5)),
    maybe(st.integers(0, 30)),
    maybe(st.integers(0, 30)),
    maybe(st.integers(0, 200)),
)
periods = st.sampled_from(
    [
        Period.month_to_date(TODAY),
        Period.today(TODAY),
        Period.rolling(7, TODAY),
        Period.custom(date(2026, 3, 4), date(2026, 3, 9)),
        Period.custom(date(2026, 3, 6), date(2026, 3, 12)),
        Period.custom(date(2026, 3, 10), date(2026, 3, 10)),
        Period.custom(date(2026, 3, 1), date(2026, 3, 31)),  # ends after today
    ]
)


_ID = {"documents": "doc_id", "dossiers": "MaHoSo", "meetings": "meeting_id"}


def batches(rows, domain: str):
    """A few batches of 6–14 rows; row k of every batch is fact k, so a later batch updates the
    facts of an earlier one (and may move them to another unit, day or status)."""

    def number(sequence):
        return [
            [{**row, _ID[domain]: f"{domain[0].upper()}{k}"} for k, row in enumerate(batch)]
            for batch in sequence
        ]

    return st.lists(st.lists(rows, min_size=6, max_size=14), min_size=1, max_size=3).map(number)


def _clear(engine) -> None:
    with make_sessionmaker(engine).begin() as session:
        for model in (DailyRollup, RejectedRecord, CollectorRun, Document, Dossier, Meeting):
            session.query(model).delete()


def _feed(engine, domain: str, sequence) -> None:
    config = SourceConfig(name=f"prop-{domain}", domain=domain, adapter="list", interval_s=60)
    adapter = ListAdapter(config, [Batch(rows=[RawRow(dict(r)) for r in rows]) for rows in sequence])
    assert Runner(engine, config, adapter).run().status == "success"


# --- the reference: domain.md §2, straight from the facts -------------------------------------------
def day(value: datetime | None) -> date | None:
    return None if value is None else value.astimezone(VN_TZ).date()


def frac(n: float, d: float) -> tuple[float | None, float, float]:
    """(value, numerator, denominator) of a ratio; no value for an empty denominator."""
    return (n / d if d else None, n, d)


def reference(facts, units: set[int], period: Period) -> dict[str, tuple | None]:
    """What each KPI (and some parts, "KPI.part") must be: (value, numerator, denominator) for
    ratios, (value,) for counts and means, None for no value."""
    docs, dossiers_, meetings_ = ([f for f in rows if f.unit_id in units] for rows in facts)
    all_docs, all_dossiers, all_meetings = facts
    s, e = period.start, min(period.end, TODAY)
    inside = lambda v: v is not None and s <= day(v) <= e  # noqa: E731
    out: dict[str, tuple | None] = {}
    if all_docs:
        reg = [d for d in docs if inside(d.registered_at)]
        out["VB-01"] = (len(reg),)
        exchange = [d for d in reg if d.direction in ("in", "out") and not d.is_secret]
        out["VB-02"] = frac(sum(d.is_electronic for d in exchange), len(exchange))
        internal = [d for d in reg if d.direction == "internal" and d.is_electronic]
        out["VB-03"] = frac(sum(d.is_signed for d in internal), len(internal))
        axis = [d for d in reg if d.channel == "axis"]
        out["VB-03.axis"] = frac(sum(d.is_signed for d in axis), len(axis))
        sent = [d for d in reg if d.direction == "out" and d.channel == "axis" and d.status_code != "13"]
        acked = [
            d
            for d in sent
            if d.acknowledged_at is not None or d.status_code in ("03", "04", "05", "06", "15", "16")
        ]
        out["VB-06"] = frac(len(acked), len(sent))
        # VB-08 on the day of the status: no status packets here, so the row's last update
        # (its registration when the source gives no update time).
        status_day = lambda d: d.source_updated_at if d.source_updated_at is not None else d.registered_at  # noqa: E731
        out["VB-08.returned"] = (sum(d.status_code == "02" and inside(status_day(d)) for d in docs),)
        out["VB-08.recalled"] = (sum(d.status_code == "13" and inside(status_day(d)) for d in docs),)
        out["VB-09"] = (sum(d.direction in ("in", "out") for d in reg),)
        open_ = [
            d
            for d in docs
            if d.status_code not in ("02", "06", "13") and d.completed_at is None and d.registered_at
        ]
        if period.end >= TODAY:
            out["VB-05"] = (sum(1 for d in open_ if d.due_at is not None and day(d.due_at) < TODAY),)
            out["VB-05.open"] = (len(open_),)
        done = [
            d
            for d in docs
            if inside(d.completed_at) and d.due_at is not None and d.status_code not in ("02", "13")
        ]
        out["VB-05.completed_on_time"] = frac(
            sum(day(d.completed_at) <= day(d.due_at) for d in done), len(done)
        )
    if all_dossiers:
        received = [x for x in dossiers_ if x.status not in (1, 3) and inside(x.received_at)]
        out["DVC-01"] = (len(received),)
        out["DVC-02"] = frac(sum(x.channel == 2 for x in received), len(received))
        fee_ok = any(x.status not in (1, 3) and x.received_at and x.has_fee for x in all_dossiers)
        paid_ok = any(
            x.status not in (1, 3) and x.received_at and x.has_fee and x.paid_online for x in all_dossiers
        )
        fee = [x for x in received if x.has_fee]
        out["DVC-10"] = (
            frac(sum(x.paid_online in (1, 2) for x in fee), len(fee)) if fee_ok and paid_ok else None
        )

        def digitised(x):
            return x.is_digitised and (
                not (x.status in (9, 10) and x.requires_result_document) or x.has_electronic_result
            )

        digitised_ok = any(x.status not in (1, 3) and x.received_at and digitised(x) for x in all_dossiers)
        finished = [x for x in dossiers_ if x.status in (9, 10) and inside(x.finished_at)]
        early = [x for x in finished if x.due_at and day(x.finished_at) < day(x.due_at)]
        on_due = [x for x in finished if not x.due_at or day(x.finished_at) == day(x.due_at)]
        late_finished = [x for x in finished if x.due_at and day(x.finished_at) > day(x.due_at)]
        out["DVC-07"] = frac(len(early) + len(on_due), len(finished))
        out["DVC-07.late"] = frac(len(late_finished), len(finished))
        out["DVC-07.returned"] = (sum(x.status == 7 and inside(x.finished_at) for x in dossiers_),)
        timed = [x for x in finished if x.received_at]
        days = sum((x.finished_at - x.received_at).total_seconds() / 86400 for x in timed)
        out["DVC-09"] = frac(days, len(timed))
        # The 766 population (domain.md §2.2 DVC-06): ended in the period in ANY end state (7, 8, 9,
        # 10), plus open at its end.
        ended = [x for x in dossiers_ if x.status in (7, 8, 9, 10) and inside(x.finished_at)]
        on_time = [
            x
            for x in ended
            if x.supplement_count <= 1 and (not x.due_at or day(x.finished_at) <= day(x.due_at))
        ]

        def open_at_end(x) -> bool:
            if x.status in (1, 3) or x.received_at is None or day(x.received_at) > e:
                return False
            if x.status in (2, 4, 5, 6):
                return True
            return (
                x.finished_at is not None
                and day(x.received_at) <= day(x.finished_at)
                and day(x.finished_at) > e
            )

        open_ = [x for x in dossiers_ if open_at_end(x)]
        late_open = [
            x for x in open_ if x.supplement_count > 1 or (x.due_at is not None and day(x.due_at) < e)
        ]
        numerator, population = len(on_time) + len(open_) - len(late_open), len(ended) + len(open_)
        out["DVC-06"] = frac(numerator, population)
        out["DVC-06.open_late"] = (len(late_open),)
        e_ok = any(
            x.status in (7, 8, 9, 10) and x.finished_at and x.has_electronic_result for x in all_dossiers
        )
        out["DVC-11"] = frac(sum(x.has_electronic_result for x in ended), population) if e_ok else None
        digitised_n = sum(map(digitised, ended)) + sum(x.is_digitised for x in open_)
        out["DVC-12"] = frac(digitised_n, population) if digitised_ok else None
        rated_ok = any(x.status in (9, 10) and x.finished_at and x.rating is not None for x in all_dossiers)
        if rated_ok and population:
            dissatisfied = sum(x.rating == 1 for x in ended)
            out["DVC-13"] = frac(max(0, numerator - dissatisfied), population)
            out["DVC-13.late"] = frac(population - numerator, population)
            out["DVC-13.dissatisfied"] = frac(dissatisfied, population)
        else:
            out["DVC-13"] = None
        if period.end >= TODAY:
            in_progress = [x for x in dossiers_ if x.status in (2, 4) and x.received_at]
            out["DVC-08"] = (sum(1 for x in in_progress if x.due_at and day(x.due_at) < TODAY),)
            out["DVC-08.in_progress"] = (len(in_progress),)
            out["DVC-08.paused"] = (sum(1 for x in dossiers_ if x.status in (5, 6) and x.received_at),)
    if all_meetings:
        held = [m for m in meetings_ if inside(m.start_at)]
        approved = [m for m in held if m.status == 2]
        online = [m for m in approved if m.is_online and (m.endpoints_connected or 0) >= 1]
        out["HOP-01"] = (len(online),)
        out["HOP-02"] = frac(len(online), len(approved))
        out["HOP-03"] = (sum(m.endpoints_connected or 0 for m in online),)
        everywhere = [
            m
            for m in all_meetings
            if m.start_at and m.status == 2 and m.is_online and (m.endpoints_connected or 0) >= 1
        ]
        if any(m.participants_peak is not None for m in everywhere):
            out["HOP-04"] = (sum(m.participants_peak or 0 for m in online),)
        else:
            out["HOP-04"] = None
        if any(m.end_at is not None for m in everywhere):
            out["HOP-05"] = (sum((m.end_at - m.start_at).total_seconds() / 3600 for m in online if m.end_at),)
            out["HOP-05.endpoint_hours"] = (
                sum(
                    (m.end_at - m.start_at).total_seconds() / 3600 * m.endpoints_connected
                    for m in online
                    if m.end_at
                ),
            )
        else:
            out["HOP-05"] = None

        def known(m):
            return (
                m.status == 2 and m.is_online and m.endpoints_scheduled and m.endpoints_connected is not None
            )

        rows = [m for m in approved if known(m)]
        out["HOP-06"] = (
            frac(
                sum(min(m.endpoints_connected, m.endpoints_scheduled) for m in rows),
                sum(m.endpoints_scheduled for m in rows),
            )
            if any(known(m) and m.start_at for m in all_meetings)
            else None
        )
    return out


def _engine(results, key: str) -> tuple:
    kpi_id, _, part = key.partition(".")
    figure = results[kpi_id].parts[part] if part else results[kpi_id]
    return (figure.value, figure.numerator, figure.denominator)


_settings = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_PREFIX = {"documents": "VB-", "dossiers": "DVC-", "meetings": "HOP-"}


def check(store, domain: str, sequence, period: Period, scope) -> None:
    _clear(store)
    _feed(store, domain, sequence)
    with make_sessionmaker(store)() as session:
        facts = tuple(session.query(model).all() for model in (Document, Dossier, Meeting))
        resolved = resolve_scope(session, scope[0], scope[1])
        units = (
            set(resolved.unit_ids)
            if resolved.unit_ids is not None
            else {f.unit_id for rows in facts for f in rows}
        )
        results = compute(session, resolved, period, now=NOW, compare_periods=False, with_series=False)
    expected = reference(facts, units, period)
    assert expected and all(k.startswith(_PREFIX[domain]) for k in expected)
    for key, want in expected.items():
        got = _engine(results, key)
        for position, (w, g) in enumerate(zip(want or (None,), got, strict=False)):
            where = f"{key} {('value', 'numerator', 'denominator')[position]}: engine {g}, facts {w}"
            assert (
                (g is None) if w is None else (g is not None and g == pytest.approx(w, rel=1e-9, abs=1e-9))
            ), where


def _row(defaults: dict, id_field: str, key: str, **fields) -> dict:
    return {**defaults, id_field: key, **fields}


_DOC = dict(
    unit_code="SO-01",
    direction="out",
    channel="axis",
    is_electronic=True,
    is_signed=True,
    is_secret=False,
    registered_at=stamp(24 * 16 + 9),
    due_at=None,
    completed_at=None,
    acknowledged_at=None,
    status_code="03",
)
_DOSSIER = dict(
    MaDonVi="SO-01",
    TrangThaiHoSo=4,
    KenhThucHien=1,
    CoPhi=False,
    DuocThanhToanTrucTuyen=None,
    SoLanBoSung=0,
    DaSoHoa=False,
    CoKetQuaDienTu=False,
    DanhGia=None,
    NgayTiepNhan=stamp(24 * 14 + 9),
    NgayHenTra=None,
    NgayKetThucXuLy=None,
)
E_DAY = 24 * 18  # 10/3, the last day of the explicit examples' period
#: The boundaries a random search meets rarely, every run: 10/3 is the period's last day.
DOC_EDGES = [
    [
        _row(_DOC, "doc_id", "D0"),  # sent, accepted (03) without an acknowledgement time
        _row(_DOC, "doc_id", "D1", status_code="01", acknowledged_at=stamp(24 * 16 + 12)),  # acknowledged
        _row(_DOC, "doc_id", "D2", direction="in", is_secret=True),  # secret: not exchanged
        _row(
            _DOC, "doc_id", "D3", direction="internal", channel="paper", is_electronic=False
        ),  # signed paper
        _row(_DOC, "doc_id", "D4", direction="in", status_code="02"),
        _row(_DOC, "doc_id", "D5", direction="in", status_code="13", is_signed=False),
        _row(
            _DOC,
            "doc_id",
            "D6",
            direction="in",
            due_at=stamp(24 * 16 + 17),
            completed_at=stamp(24 * 16 + 16),
            status_code="06",
        ),
    ]
]
DOSSIER_EDGES = [
    [
        _row(
            _DOSSIER,
            "MaHoSo",
            "H0",
            TrangThaiHoSo=10,
            NgayHenTra=stamp(E_DAY + 17),
            NgayKetThucXuLy=stamp(E_DAY + 9),
        ),  # on the due day = E
        _row(
            _DOSSIER,
            "MaHoSo",
            "H1",
            TrangThaiHoSo=10,
            SoLanBoSung=2,
            NgayTiepNhan=stamp(E_DAY + 8),
            NgayHenTra=stamp(E_DAY + 24 * 5),
            NgayKetThucXuLy=stamp(E_DAY + 24 * 2),
        ),  # late from receipt on E, closed after
        _row(_DOSSIER, "MaHoSo", "H2", NgayHenTra=stamp(E_DAY + 17)),  # open, due on E: on time
        _row(
            _DOSSIER, "MaHoSo", "H3", TrangThaiHoSo=5, SoLanBoSung=3, NgayTiepNhan=stamp(E_DAY + 8)
        ),  # open, late from receipt on E
        _row(
            _DOSSIER,
            "MaHoSo",
            "H4",
            TrangThaiHoSo=9,
            NgayHenTra=stamp(E_DAY - 24),
            NgayKetThucXuLy=stamp(E_DAY + 24),
        ),  # late at E
        _row(_DOSSIER, "MaHoSo", "H5", TrangThaiHoSo=7, NgayKetThucXuLy=stamp(E_DAY + 9)),  # withdrawn on E
        _row(
            _DOSSIER,
            "MaHoSo",
            "H6",
            TrangThaiHoSo=10,
            DanhGia=2,
            NgayHenTra=stamp(E_DAY + 48),
            NgayKetThucXuLy=stamp(E_DAY - 24),
        ),
        _row(
            _DOSSIER,
            "MaHoSo",
            "H7",
            TrangThaiHoSo=10,
            DanhGia=1,
            SoLanBoSung=2,
            NgayHenTra=stamp(E_DAY - 48),
            NgayKetThucXuLy=stamp(E_DAY - 48),
        ),  # on its due day, but two supplement requests
        _row(
            _DOSSIER,
            "MaHoSo",
            "H8",
            TrangThaiHoSo=9,
            NgayHenTra=stamp(E_DAY + 17),
            NgayKetThucXuLy=stamp(E_DAY + 24),
        ),  # due E, closed after
    ]
]
EDGE_PERIOD = Period.custom(date(2026, 3, 6), date(2026, 3, 10))


@_settings
@example(sequence=DOC_EDGES, period=EDGE_PERIOD, scope=(None, True))
@given(sequence=batches(documents, "documents"), period=periods, scope=st.sampled_from(SCOPES))
def test_document_kpis_from_rollups_equal_a_direct_computation(store, sequence, period, scope):
    check(store, "documents", sequence, period, scope)


@_settings
@example(sequence=DOSSIER_EDGES, period=EDGE_PERIOD, scope=(None, True))
@given(sequence=batches(dossiers, "dossiers"), period=periods, scope=st.sampled_from(SCOPES))
def test_dossier_kpis_from_rollups_equal_a_direct_computation(store, sequence, period, scope):
    check(store, "dossiers", sequence, period, scope)


@_settings
@given(sequence=batches(meetings, "meetings"), period=periods, scope=st.sampled_from(SCOPES))
def test_meeting_kpis_from_rollups_equal_a_direct_computation(store, sequence, period, scope):
    check(store, "meetings", sequence, period, scope)


arrivals = st.fixed_dictionaries(
    {
        "unit": st.sampled_from(UNITS),
        "urgency": st.sampled_from(["normal", "normal", "khan", "hoa_toc"]),
        "status_code": st.sampled_from(["01", "02", "03", "06", "13", None]),
        "arrived": st.integers(0, 24 * 24),
        # Hours from arrival to registration: mostly within a few days (the deadline is the next working
        # day), sometimes weeks, sometimes never.
        "lag": st.one_of(st.integers(-2, 100), st.integers(0, 20 * 24), st.none()),
    }
)


ARRIVAL_EDGES = [
    dict(
        unit="SO-01", urgency="normal", status_code="03", arrived=24 * 1 + 2, lag=24 * 10
    ),  # Fri 13/2 → Mon 23/2 (Tết)
    dict(
        unit="SO-01", urgency="normal", status_code="03", arrived=24 * 1 + 2, lag=24 * 11
    ),  # … Tue 24/2: late
    dict(unit="SO-01", urgency="khan", status_code="03", arrived=24 * 12 + 1, lag=5),  # urgent, the same day
    dict(
        unit="SO-01", urgency="hoa_toc", status_code=None, arrived=24 * 12 + 1, lag=20
    ),  # urgent, the next day
    dict(
        unit="SO-01", urgency="normal", status_code="03", arrived=24 * 14 + 1, lag=24 * 3
    ),  # Thu 26/2 → Sun 1/3: after Fri 27/2, late
]


@_settings
@example(rows=ARRIVAL_EDGES, period=Period.custom(date(2026, 2, 10), date(2026, 2, 28)))
@given(
    rows=st.lists(arrivals, min_size=1, max_size=15),
    period=periods | st.just(Period.custom(date(2026, 2, 10), date(2026, 2, 28))),  # Tết 2026: 15–21/2
)
def test_registration_on_time_equals_a_direct_computation(store, rows, period):
    _clear(store)
    base = datetime(2026, 2, 12, 8, 0, tzinfo=VN_TZ)  # the weeks around Tết 2026
    facts = []
    for i, r in enumerate(rows):
        arrived = base + timedelta(hours=r["arrived"])
        registered = None if r["lag"] is None else arrived + timedelta(hours=r["lag"])
        facts.append(
            dict(
                source_id=f"A{i}",
                unit=r["unit"],
                direction="in",
                channel="axis",
                urgency=r["urgency"],
                status_code=r["status_code"],
                arrived_at=arrived,
                registered_at=registered,
            )
        )
    insert(store, Document, facts)
    cal = WorkingCalendar()
    on_time = late = pending = 0
    for f in facts:
        arrived = day(f["arrived_at"])
        if f["status_code"] in ("02", "13") or not period.start <= arrived <= min(period.end, TODAY):
            continue
        deadline = arrived if f["urgency"] != "normal" else cal.next_working_day(arrived)
        if f["registered_at"] is not None:
            on_time, late = (
                (on_time + 1, late) if day(f["registered_at"]) <= deadline else (on_time, late + 1)
            )
        elif deadline < TODAY:
            late += 1
        else:
            pending += 1
    with make_sessionmaker(store)() as session:
        vb04 = compute(
            session,
            resolve_scope(session, None),
            period,
            ["VB-04"],
            now=NOW,
            compare_periods=False,
            with_series=False,
        )["VB-04"]
    assert (vb04.numerator, vb04.denominator, vb04.parts["pending"].value) == (
        on_time,
        on_time + late,
        pending,
    )
    assert vb04.value == (on_time / (on_time + late) if on_time + late else None)
