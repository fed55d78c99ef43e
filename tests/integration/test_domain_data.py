"""The domain pages' reads (dashboard/domain_data.py) on hand-built facts, on SQLite and PostgreSQL.

Facts go through the collector pipeline (Runner + ListAdapter: validation, upsert, incremental
rollups) — straight into the canonical tables only for what the view contract does not carry
(``arrived_at``). "Now" is Friday 20/3/2026 10:00 in Hà Nội: month to date is 1–20/3/2026.
Every expected figure below is counted by hand from the rows of the test.
"""

from datetime import date

import pytest
from flask import Flask

from dashboard import cache as cache_ext
from dashboard import domain_data as dd
from dashboard.db import make_sessionmaker
from dashboard.kpi.periods import Period
from dashboard.models import Document
from dashboard.timeutil import VN_TZ
from dashboard.units import DEMO_UNITS_FILE, import_units_file
from tests.integration.kpis.conftest import MTD, TODAY, doc, dossier, feed, insert, meeting


@pytest.fixture
def store(engine):
    """A migrated store on each backend with the demo units imported."""
    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
    return engine


@pytest.fixture
def app(make_settings):
    """A Flask app with the shared cache bound (in memory), as create_app binds it."""
    settings = make_settings(cache_backend="simple")
    server = Flask("ioc-test")
    server.config["IOC_SETTINGS"] = settings
    cache_ext.init_app(server, settings)
    with server.app_context():
        cache_ext.cache.clear()
        yield server


def read(store, fn, *args, **kwargs):
    with make_sessionmaker(store)() as session:
        return fn(session, *args, today=TODAY, tz=VN_TZ, **kwargs)


# --- documents ---------------------------------------------------------------------------------------
def _documents(store):
    feed(
        store,
        "documents",
        [
            doc("D1", registered_at="2026-03-02 09:00", status_code="06"),  # in, electronic, signed
            doc("D2", registered_at="2026-03-02 14:00", status_code="05", is_signed=0),
            doc("D3", registered_at="2026-03-03 09:00", status_code="04", is_electronic=0, is_signed=0),
            doc(
                "D4", direction="out", registered_at="2026-03-02 10:00", status_code="01"
            ),  # the recipient has not accepted
            doc("D5", direction="out", registered_at="2026-03-03 10:00", status_code="13"),  # we recalled it
            doc("D6", direction="out", registered_at="2026-03-05 10:00", status_code="03"),
            doc(
                "D7",
                direction="internal",
                channel="internal",
                registered_at="2026-03-03 11:00",
                status_code="06",
            ),
            doc("D8", registered_at="2026-02-27 09:00", status_code="06"),  # before the period
            doc("D9", unit_code="SO-79", registered_at="2026-03-02 09:00", status_code="06"),  # another unit
        ],
    )
    insert(
        store,
        Document,
        [
            # Refused before registration: only its arrival day places it in a period.
            dict(
                source_id="D10",
                direction="in",
                channel="axis",
                is_electronic=True,
                arrived_at="2026-03-04 10:00",
                status_code="02",
            ),
            # Awaiting acceptance, and its source gives no arrival time: in no period, but in the clerk's queue.
            dict(source_id="D11", direction="in", channel="axis", is_electronic=True, status_code="01"),
        ],
    )


def test_axis_funnel_counts_current_statuses_of_the_period(store, app):
    _documents(store)
    f = read(store, dd.axis_funnel, "SO-01", MTD)
    assert f.sent == {"01": 1, "13": 1, "03": 1}
    assert f.received == {"06": 1, "05": 1, "04": 1, "02": 1}  # D10 by its arrival day; D8 is February's
    assert f.awaiting_now == 1 and f.undated == 1  # D11
    # A document at 05 went through 01, 03 and 04; the returned one arrived and stopped there.
    assert dd.funnel_stages(f.received) == (("01", 4), ("03", 3), ("04", 3), ("05", 2), ("06", 1))
    assert dd.funnel_stages(f.sent) == (("01", 3), ("03", 1), ("04", 0), ("05", 0), ("06", 0))
    # The whole agency adds SO-79's D9; the provinces' group (BMP-SO) holds both provinces.
    assert read(store, dd.axis_funnel, None, MTD).received["06"] == 2
    assert read(store, dd.axis_funnel, "BMP-SO", MTD).received["06"] == 2
    assert read(store, dd.axis_funnel, "BMP-VP", MTD) == dd.AxisFunnel({}, {}, 0, 0)


def test_daily_trend_of_volumes_and_shares(store, app):
    _documents(store)
    tr = read(
        store,
        dd.trend,
        "SO-01",
        MTD,
        metrics=("doc_in", "doc_out", "doc_internal"),
        kpis=("VB-02", "VB-03.axis"),
    )
    assert tr.granularity == "day" and tr.starts == MTD.each_day()
    by_day = {b.start: i for i, b in enumerate(tr.buckets)}
    d2, d3, d5 = by_day[date(2026, 3, 2)], by_day[date(2026, 3, 3)], by_day[date(2026, 3, 5)]
    assert sum(tr.metrics["doc_in"]) == 3 and tr.metrics["doc_in"][d2] == 2 and tr.metrics["doc_in"][d3] == 1
    assert [tr.metrics["doc_out"][i] for i in (d2, d3, d5)] == [1, 1, 1]
    assert tr.metrics["doc_internal"][d3] == 1 and sum(tr.metrics["doc_internal"]) == 1
    # VB-02 per day: 2/3 all three in/out electronic; 3/3 D3 on paper, D5 electronic; 5/3 D6.
    assert (tr.kpis["VB-02"][d2], tr.bases["VB-02"][d2]) == (1.0, 3)
    assert (tr.kpis["VB-02"][d3], tr.bases["VB-02"][d3]) == (0.5, 2)
    assert tr.kpis["VB-02"][d5] == 1.0
    assert tr.kpis["VB-02"][by_day[date(2026, 3, 4)]] is None  # no document that day: no value, not 0 %
    # VB-03 on the axis, 2/3: D1 and D4 signed, D2 not.
    assert tr.kpis["VB-03.axis"][d2] == pytest.approx(2 / 3)
    # A ratio resting on fewer documents than the page's minimum is left out of the line.
    assert tr.kpi_values("VB-02", min_base=3)[d2] == 1.0 and tr.kpi_values("VB-02", min_base=3)[d3] is None
    assert tr.data_since == date(2026, 2, 27)  # D8: the store's first document day, whatever the scope


def test_short_periods_show_a_week_and_long_ones_go_by_week(store, app):
    _documents(store)
    today = read(store, dd.trend, "SO-01", Period.today(TODAY), metrics=("doc_in",))
    assert today.granularity == "day" and today.starts[0] == date(2026, 3, 14) and len(today.buckets) == 7
    ytd = read(
        store, dd.trend, "SO-01", Period.year_to_date(TODAY), metrics=("doc_in", "doc_out"), kpis=("VB-02",)
    )
    assert ytd.granularity == "week"
    assert (ytd.buckets[0].start, ytd.buckets[0].end) == (
        date(2026, 1, 1),
        date(2026, 1, 4),
    )  # cut at the period's start
    assert (ytd.buckets[-1].start, ytd.buckets[-1].end) == (date(2026, 3, 16), date(2026, 3, 20))
    week = {b.start: i for i, b in enumerate(ytd.buckets)}
    assert ytd.metrics["doc_in"][week[date(2026, 2, 23)]] == 1  # D8
    assert (
        ytd.metrics["doc_in"][week[date(2026, 3, 2)]],
        ytd.metrics["doc_out"][week[date(2026, 3, 2)]],
    ) == (3, 3)
    assert ytd.kpis["VB-02"][week[date(2026, 3, 2)]] == pytest.approx(5 / 6)  # D3 on paper
    assert ytd.kpis["VB-02"][0] is None
    # From where the data begins: the week of 27/2 first, nothing lost after it.
    shown = ytd.since_data()
    assert (
        shown.buckets[0].start == date(2026, 2, 23)
        and shown.metrics["doc_in"] == ytd.metrics["doc_in"][week[date(2026, 2, 23)] :]
    )
    assert ytd.total("doc_in") == 4


def test_a_store_without_documents_has_no_values_not_zeros(store, app):
    tr = read(store, dd.trend, "SO-01", MTD, metrics=("doc_in",), kpis=("VB-02", "VB-03.axis"))
    assert set(tr.kpis["VB-02"]) == {None} and set(tr.kpis["VB-03.axis"]) == {None}
    assert tr.data_since is None and tr.since_data() == tr
    f = read(store, dd.axis_funnel, None, MTD)
    assert f == dd.AxisFunnel({}, {}, 0, 0)


def test_trend_refuses_kpis_that_need_more_than_rollups(store, app):
    assert (
        dd.trend_kpi_allowed("VB-02")
        and dd.trend_kpi_allowed("VB-03.axis")
        and dd.trend_kpi_allowed("HOP-06")
    )
    assert not dd.trend_kpi_allowed("DVC-06")  # open at the end of each day
    assert not dd.trend_kpi_allowed("VB-05")  # a point-in-time count
    assert not dd.trend_kpi_allowed("VB-03.nope")
    with pytest.raises(ValueError, match="DVC-06"):
        read(store, dd.trend, None, MTD, kpis=("DVC-06",))


# --- dossiers ------------------------------------------------------------------------------------------
def test_dossiers_by_channel(store, app):
    feed(
        store,
        "dossiers",
        [
            dossier("S1", KenhThucHien=2, NgayTiepNhan="2026-03-02 09:00"),
            dossier(
                "S2",
                KenhThucHien=1,
                NgayTiepNhan="2026-03-02 10:00",
                TrangThaiHoSo=10,
                NgayKetThucXuLy="2026-03-05 09:00",
            ),
            dossier("S3", KenhThucHien=3, NgayTiepNhan="2026-03-03 09:00"),
            dossier(
                "S4", KenhThucHien=2, NgayTiepNhan="2026-03-03 09:00", TrangThaiHoSo=1
            ),  # registered, not received
            dossier(
                "S5", KenhThucHien=1, NgayTiepNhan="2026-03-03 09:00", TrangThaiHoSo=3
            ),  # refused at intake
            dossier("S6", KenhThucHien=2, NgayTiepNhan="2026-03-16 09:00"),
            dossier("S7", KenhThucHien=None, NgayTiepNhan="2026-03-20 08:00"),  # no channel: direct
            dossier("S8", MaDonVi="SO-79", KenhThucHien=2, NgayTiepNhan="2026-03-02 09:00"),
        ],
    )
    mtd = read(store, dd.dossier_channels, "SO-01", MTD)
    assert mtd.totals == {1: 2, 2: 2, 3: 1} and mtd.received == 5
    day = {b.start: i for i, b in enumerate(mtd.trend.buckets)}
    assert [mtd.trend.metrics[f"channel_{c}"][day[date(2026, 3, 2)]] for c in (1, 2, 3)] == [1, 1, 0]
    assert mtd.trend.metrics["channel_3"][day[date(2026, 3, 3)]] == 1
    assert mtd.trend.data_since == date(2026, 3, 2)
    # Today: the bars show the week before it as well; the totals are today's alone.
    today = read(store, dd.dossier_channels, "SO-01", Period.today(TODAY))
    assert today.totals == {1: 1, 2: 0, 3: 0}
    assert (
        today.trend.starts[0] == date(2026, 3, 14) and sum(today.trend.metrics["channel_2"]) == 1
    )  # S6 on 16/3
    assert read(store, dd.dossier_channels, None, MTD).totals == {1: 2, 2: 3, 3: 1}  # with SO-79's S8


def test_dossier_outcomes_trend_reads_the_rollups(store, app):
    feed(
        store,
        "dossiers",
        [
            # Due 9/3: early, on the day, late; and one withdrawn (status 7) — not among the finished.
            dossier("F1", TrangThaiHoSo=10, NgayKetThucXuLy="2026-03-06 09:00"),
            dossier("F2", TrangThaiHoSo=9, NgayKetThucXuLy="2026-03-09 16:00"),
            dossier("F3", TrangThaiHoSo=10, NgayKetThucXuLy="2026-03-10 09:00"),
            dossier("F4", TrangThaiHoSo=7, NgayKetThucXuLy="2026-03-10 10:00"),
        ],
    )
    metrics = ("dossier_finished_early", "dossier_finished_on_time", "dossier_finished_late")
    tr = read(store, dd.trend, "SO-01", MTD, metrics=metrics, kpis=("DVC-07",))
    day = {b.start: i for i, b in enumerate(tr.buckets)}
    assert tr.metrics["dossier_finished_early"][day[date(2026, 3, 6)]] == 1
    assert tr.metrics["dossier_finished_on_time"][day[date(2026, 3, 9)]] == 1
    assert tr.metrics["dossier_finished_late"][day[date(2026, 3, 10)]] == 1
    assert (
        tr.kpis["DVC-07"][day[date(2026, 3, 6)]] == 1.0 and tr.kpis["DVC-07"][day[date(2026, 3, 10)]] == 0.0
    )
    assert (tr.kpis["DVC-07"][day[date(2026, 3, 11)]], tr.bases["DVC-07"][day[date(2026, 3, 11)]]) == (
        None,
        0,
    )


# --- meetings -------------------------------------------------------------------------------------------
def _meetings(store):
    feed(
        store,
        "meetings",
        [
            meeting(
                "M1",
                title="Giao ban tuần",
                start_at="2026-03-02 09:00",
                end_at="2026-03-02 10:00",
                endpoints_scheduled=3,
                endpoints_connected=3,
                participants=20,
                platform="Zoom",
            ),
            meeting("M2", start_at="2026-03-02 09:30", end_at="2026-03-02 11:00"),
            meeting(
                "M3", is_online=0, start_at="2026-03-03 14:00", end_at="2026-03-03 15:00"
            ),  # on site: still on the calendar
            meeting("M4", status=4, start_at="2026-03-03 15:00", end_at="2026-03-03 16:00"),  # cancelled
            meeting(
                "M5", status=1, start_at="2026-03-20 15:00", end_at="2026-03-20 16:00"
            ),  # awaiting approval
            meeting(
                "M6",
                title="Họp chiều nay",
                start_at="2026-03-20 16:00",
                end_at="2026-03-20 17:00",
                endpoints_scheduled=28,
            ),
            meeting("M7", title="Họp thứ Ba", start_at="2026-03-24 08:00", end_at="2026-03-24 09:00"),
            meeting("M8", start_at="2026-03-30 08:00", end_at="2026-03-30 09:00"),  # beyond the week ahead
            meeting("M9", start_at="2026-03-05 19:30", end_at="2026-03-05 21:00"),  # evening
            meeting("M10", unit_code="SO-79", start_at="2026-03-02 09:00", end_at="2026-03-02 10:00"),
        ],
    )


def test_meeting_calendar_by_local_day_and_hour(store, app):
    _meetings(store)
    cal = read(store, dd.meeting_calendar, "SO-01", MTD)
    # 09:00 in Hà Nội is 02:00 UTC: the calendar speaks local time.
    assert cal.counts == {
        (date(2026, 3, 2), 9): 2,
        (date(2026, 3, 3), 14): 1,
        (date(2026, 3, 5), 19): 1,
        (date(2026, 3, 20), 16): 1,
    }
    assert cal.days == tuple(MTD.each_day())
    assert cal.hours == tuple(range(7, 20))  # office hours, widened to the evening meeting
    assert dd.by_weekday(cal.counts) == {(0, 9): 2, (1, 14): 1, (3, 19): 1, (4, 16): 1}
    # The agenda: today and the six days after it, approved meetings only, by start.
    assert (cal.agenda_from, cal.agenda_to) == (date(2026, 3, 20), date(2026, 3, 26))
    assert [(m.title, m.start.hour, m.endpoints_scheduled) for m in cal.agenda] == [
        ("Họp chiều nay", 16, 28),
        ("Họp thứ Ba", 8, None),
    ]
    assert cal.agenda[0].start.tzinfo is not None and cal.agenda[0].unit_code == "SO-01"
    assert read(store, dd.meeting_calendar, None, MTD).counts[(date(2026, 3, 2), 9)] == 3  # with SO-79


def test_meeting_agenda_of_a_past_period_is_its_last_day(store, app):
    _meetings(store)
    cal = read(store, dd.meeting_calendar, "SO-01", Period.custom(date(2026, 3, 1), date(2026, 3, 5)))
    assert (cal.agenda_from, cal.agenda_to) == (date(2026, 3, 5), date(2026, 3, 5))
    assert [m.start.hour for m in cal.agenda] == [19]
    assert cal.days[0] == date(2026, 2, 27) and cal.days[-1] == date(2026, 3, 5)  # at least a week
    limited = read(store, dd.meeting_calendar, "SO-01", MTD, agenda_days=30, agenda_limit=1)
    assert len(limited.agenda) == 1 and limited.agenda_more == 2  # M6, then M7 and M8 left out


# --- units and the cache ----------------------------------------------------------------------------------
def test_unit_labels(store, app):
    with make_sessionmaker(store)() as session:
        labels = dd.unit_labels(session)
    so01 = labels["SO-01"]
    assert (so01.short("vi"), so01.short("en"), so01.parent_code, so01.has_children) == (
        "TP. Hà Nội",
        "TP. Hà Nội",
        "BMP-SO",
        False,
    )
    assert so01.name("en") == "Ha Noi Department of Agriculture and Environment"
    assert labels["BMP-SO"].has_children and labels["BMP"].parent_code is None
    assert labels["BMP-VP"].short("en") == "Ministry Office"  # no short name: the full one


def test_reads_are_cached_by_data_version(store, app, monkeypatch):
    _documents(store)
    calls = []
    real = dd._scope_ids
    monkeypatch.setattr(dd, "_scope_ids", lambda s, u: calls.append(u) or real(s, u))
    first = read(store, dd.axis_funnel, "SO-01", MTD)
    assert read(store, dd.axis_funnel, "SO-01", MTD) == first and len(calls) == 1
    read(store, dd.axis_funnel, "SO-79", MTD)
    assert len(calls) == 2  # another scope, another entry
    # A collector commits: the version moves and the next read shows it.
    feed(
        store, "documents", [doc("D12", direction="out", registered_at="2026-03-06 09:00", status_code="06")]
    )
    assert read(store, dd.axis_funnel, "SO-01", MTD).sent["06"] == 1 and len(calls) == 3
