"""The demo's fake platforms: the simulator's dossiers over the REST fake and its live
BigBlueButton meetings over the BBB fake, collected by the real adapters into the store."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from collectors.demo import DemoPlatforms, demo_sources
from collectors.runner import Runner
from collectors.simulator import AgencySimulator, SimulatedSources, demo_sim_units
from collectors.sources import make_adapter
from dashboard.db import make_sessionmaker
from dashboard.models import Dossier, Meeting, Petition, RejectedRecord
from dashboard.timeutil import VN_TZ


@pytest.fixture
def platforms(tmp_path):
    simulation = SimulatedSources(tmp_path / "demo", AgencySimulator(demo_sim_units(), seed=7, tz=VN_TZ))
    running = DemoPlatforms(simulation, VN_TZ)
    yield simulation, running
    running.stop()


def by_name(sources, name):
    return next(s for s in sources if s.name == name)


def run(store, config):
    return Runner(store, config, make_adapter(config), sleep=lambda s: None).run()


def live_meeting(now: datetime, **changes) -> dict:
    row = {
        "meeting_id": "LIVE-HOP.SO-01.261122100000.01",
        "unit_code": "SO-01",
        "title": "Họp giao ban trực tuyến",
        "platform": "bigbluebutton",
        "status": 2,
        "start_at": now - timedelta(minutes=10),
        "end_at": now + timedelta(minutes=20),
        "endpoints_scheduled": 5,
        "endpoints_connected": 3,
        "participants": 12,
        "updated_at": now,
    }
    return {**row, **changes}


def test_dossiers_reach_the_store_through_the_rest_fake(store, platforms, tmp_path):
    simulation, running = platforms
    now = datetime.now(VN_TZ).replace(microsecond=0)
    simulation.backfill(now - timedelta(days=3), now)
    with sqlite3.connect(simulation.onestop_path) as conn:
        in_source = conn.execute("SELECT count(*) FROM v_dossiers").fetchone()[0]
    assert in_source > 100
    sources = demo_sources(tmp_path / "demo", platforms=running)
    config = by_name(sources, "mo-phong-motcua")
    assert (config.adapter, config.options["url"]) == ("rest", running.motcua.url)
    result = run(store, config)
    assert (result.status, result.inserted, result.rejected) == ("success", in_source, 0)
    assert run(store, config).inserted == 0  # the next run asks for recent changes only: nothing new
    with make_sessionmaker(store)() as session:
        assert session.scalar(select(func.count()).select_from(Dossier)) == in_source


def test_live_bbb_meetings_go_to_the_fake_server_not_the_csv_export(store, platforms, tmp_path):
    _, running = platforms
    now = datetime.now(VN_TZ).replace(microsecond=0)
    bbb = live_meeting(now)
    jitsi = live_meeting(
        now, meeting_id="LIVE-HOP.SO-79.261122100000.02", platform="jitsi", unit_code="SO-79"
    )
    history = live_meeting(now, meeting_id="HOP.SO-01.2026-11-20.01")  # from the history: stays in the export
    assert running.divert([bbb, jitsi, history]) == [jitsi, history]
    assert running.publish(now) == 1

    config = by_name(demo_sources(tmp_path / "demo", platforms=running), "mo-phong-bbb")
    result = run(store, config)
    assert (result.status, result.inserted) == ("success", 1)
    with make_sessionmaker(store)() as session:
        meeting = session.scalars(select(Meeting).where(Meeting.source == "mo-phong-bbb")).one()
        assert (meeting.participants_peak, meeting.endpoints_connected, meeting.end_at) == (12, 3, None)
        assert meeting.start_at == bbb["start_at"]

    # It ends: BigBlueButton reports its end time, the session closes with it (the peak is what
    # the polls saw while it ran).
    ended = live_meeting(now, end_at=now - timedelta(seconds=30), participants=0, endpoints_connected=0)
    running.divert([ended])
    running.publish(now)
    assert run(store, config).updated == 1
    with make_sessionmaker(store)() as session:
        meeting = session.scalars(select(Meeting).where(Meeting.source == "mo-phong-bbb")).one()
        assert meeting.end_at == ended["end_at"]
        assert (meeting.participants_peak, meeting.endpoints_connected) == (12, 3)

    # Long after, the server forgets it; nothing is listed and the stored meeting stays.
    assert running.publish(now + timedelta(hours=2)) == 0
    assert run(store, config).status == "success"
    with make_sessionmaker(store)() as session:
        assert session.scalar(select(func.count()).select_from(Meeting)) == 1


def test_petitions_reach_the_store_through_the_portal_fake_without_the_petitioner(store, platforms, tmp_path):
    _, running = platforms
    config = by_name(demo_sources(tmp_path / "demo", platforms=running), "mo-phong-pakn")
    assert (config.domain, config.adapter, config.options["url"]) == ("petitions", "rest", running.pakn.url)
    served = running.pakn.provider(None)
    assert len(served) > 5000  # 400 days of 34 provincial departments and the central units
    result = run(store, config)
    assert (result.status, result.inserted, result.rejected) == ("success", len(served), 0), result.error
    assert run(store, config).inserted == 0  # the next run asks for recent changes only
    with make_sessionmaker(store)() as session:
        assert session.scalar(select(func.count()).select_from(Petition)) == len(served)
        notes = session.scalars(select(RejectedRecord).where(RejectedRecord.kind == "personal")).all()
        computed = session.scalar(select(func.count()).where(Petition.deadline_computed.is_(True)))
    # The portal sends the petitioner with every item: dropped, said once (not once per page or run).
    assert len(notes) == 1 and "nguoiPhanAnh" in notes[0].reason and "Người dân" not in notes[0].payload
    assert 0 < computed < len(served)  # the portal's own petitions carry its deadline; others are computed
