"""Ranking units (competition ranking, ties shared, rank change) and per-unit targets."""

import pytest

from dashboard.db import make_sessionmaker
from dashboard.kpi.periods import Period
from dashboard.kpi.ranking import rank_units
from dashboard.targets import parse_targets
from tests.integration.kpis.conftest import MTD, NOW, dossier, feed, kpis


def _online_shares(store):
    """Online intake (DVC-02) per province, this month and last month."""
    rows = []
    plan = {  # unit: (online, direct) in March, (online, direct) in February
        "SO-01": ((3, 1), (1, 3)),  # 75 %, was 25 %
        "SO-79": ((1, 1), (2, 0)),  # 50 %, was 100 %
        "SO-48": ((2, 2), (1, 1)),  # 50 %, was 50 %
        "SO-31": ((0, 4), (0, 0)),  # 0 %, nothing received in February
    }
    n = 0
    for unit, (march, february) in plan.items():
        for (online, direct), day in ((march, "2026-03-05 09:00"), (february, "2026-02-05 09:00")):
            for channel, count in ((2, online), (1, direct)):
                for _ in range(count):
                    n += 1
                    rows.append(dossier(f"R{n}", MaDonVi=unit, KenhThucHien=channel, NgayTiepNhan=day))
    feed(store, "dossiers", rows)


def test_competition_ranking_with_ties_and_rank_change(store):
    _online_shares(store)
    with make_sessionmaker(store)() as session:
        rows = rank_units(session, "DVC-02", MTD, parent="BMP-SO", now=NOW)
    ranked = {r.code: r for r in rows}
    # 75 % first, the two 50 % share second place, 0 % is fourth (1, 2, 2, 4).
    assert [ranked[c].rank for c in ("SO-01", "SO-79", "SO-48", "SO-31")] == [1, 2, 2, 4]
    # February: SO-79 100 % (1st), SO-48 50 % (2nd), SO-01 25 % (3rd); SO-31 had no dossier → no rank.
    assert [ranked[c].previous_rank for c in ("SO-01", "SO-79", "SO-48", "SO-31")] == [3, 1, 2, None]
    assert [ranked[c].rank_change for c in ("SO-01", "SO-79", "SO-48", "SO-31")] == [2, -1, 0, None]
    # The 30 other provinces received nothing: no value, no rank, listed after the ranked ones.
    unranked = [r for r in rows if r.rank is None]
    assert len(unranked) == 30 and all(
        r.value is None and r.reason.code == "empty_denominator" for r in unranked
    )
    assert [r.code for r in rows[:4]] == ["SO-01", "SO-48", "SO-79", "SO-31"]


def test_ranking_a_downward_kpi_puts_the_smallest_first(store):
    feed(
        store,
        "dossiers",
        [
            dossier("a", MaDonVi="SO-01", NgayHenTra="2026-03-10 17:00"),  # overdue
            dossier("b", MaDonVi="SO-01", NgayHenTra="2026-03-11 17:00"),  # overdue
            dossier("c", MaDonVi="SO-79", NgayHenTra="2026-03-12 17:00"),  # overdue
        ],
    )
    with make_sessionmaker(store)() as session:
        rows = rank_units(session, "DVC-08", MTD, scopes=None, level="province", now=NOW)
    ranked = {r.code: r.rank for r in rows}
    # 32 provinces with 0 overdue share first place; SO-79 (1) is 33rd, SO-01 (2) is 34th.
    assert ranked["SO-48"] == 1 and ranked["SO-79"] == 33 and ranked["SO-01"] == 34


def test_a_unit_target_overrides_the_deployment_and_the_catalogue(store):
    _online_shares(store)
    targets = parse_targets(
        {
            "kpi": {"DVC-02": {"green": 0.8, "amber": 0.6}},
            "unit": {"SO-79": {"kpi": {"DVC-02": {"green": 0.4, "amber": 0.3, "target": 0.45}}}},
        }
    )
    r = kpis(store, "SO-01", ids=["DVC-02"], targets=targets)["DVC-02"]
    assert r.value == 0.75 and r.status == "amber" and r.target == 0.5  # deployment: green 80 %, amber 60 %
    r = kpis(store, "SO-79", ids=["DVC-02"], targets=targets)["DVC-02"]
    assert r.value == 0.5 and r.status == "green" and r.target == 0.45  # SO-79's own green 40 %
    r = kpis(store, "SO-01", ids=["DVC-02"])["DVC-02"]
    assert r.status == "green"  # the catalogue default: green from 50 %


def test_ranking_on_the_service_index(store):
    _online_shares(store)
    with make_sessionmaker(store)() as session:
        rows = rank_units(session, "DVC-14", Period.month(2026, 3), parent="BMP-SO", now=NOW)
    ranked = {r.code: r for r in rows}
    # Every province with dossiers gets an estimate; SO-01 (75 % online) scores above SO-31 (0 %).
    assert ranked["SO-01"].rank is not None and ranked["SO-31"].rank is not None
    assert ranked["SO-01"].value > ranked["SO-31"].value
    assert ranked["SO-01"].rank < ranked["SO-31"].rank
    assert all(r.value is None or 0 <= r.value <= 100 for r in rows)
    assert pytest.approx(ranked["SO-79"].value) == ranked["SO-48"].value  # same data, same score, same rank
    assert ranked["SO-79"].rank == ranked["SO-48"].rank


def test_units_are_ranked_only_among_units_of_their_level(store):
    """The root's children are 20 central units and the group of 34 provincial departments: the
    group (a total) is never ranked against the units, nor a central unit against a province."""
    _online_shares(store)  # provinces: 75 %, 50 %, 50 %, 0 % → the group BMP-SO 6/14 = 42.9 %
    feed(
        store,
        "dossiers",
        [
            dossier("vp1", MaDonVi="BMP-VP", KenhThucHien=2, NgayTiepNhan="2026-03-05 09:00"),
            dossier("vp2", MaDonVi="BMP-VP", KenhThucHien=1, NgayTiepNhan="2026-03-05 09:00"),  # 50 %
            dossier("kh1", MaDonVi="BMP-KHTC", KenhThucHien=1, NgayTiepNhan="2026-03-05 09:00"),  # 0 %
        ],
    )
    with make_sessionmaker(store)() as session:
        rows = {r.code: r for r in rank_units(session, "DVC-02", MTD, now=NOW)}
    assert rows["BMP-SO"].level == "group" and rows["BMP-SO"].value == pytest.approx(6 / 14)
    # Alone in its level: first of one, although 42.9 % would be second among the central units.
    assert (rows["BMP-SO"].rank, rows["BMP-SO"].peers) == (1, 1)
    assert (rows["BMP-VP"].rank, rows["BMP-VP"].peers, rows["BMP-VP"].level) == (1, 2, "department")
    assert (rows["BMP-KHTC"].rank, rows["BMP-KHTC"].peers) == (2, 2)


def test_a_units_standing_against_the_agency_and_its_peers(store):
    from dashboard.queries import peer_standing

    _online_shares(store)  # March: SO-01 4 dossiers, SO-79 2, SO-48 4, SO-31 4
    with make_sessionmaker(store)() as session:
        received, online = peer_standing(session, "SO-79", MTD, ("DVC-01", "DVC-02"), now=NOW)
        assert peer_standing(session, "BMP", MTD, ("DVC-01",), now=NOW) == ()  # a root has no peers
    assert received.kpi_id == "DVC-01" and received.level == "province"
    # The 30 provinces without a dossier count 0: they are peers too, so the median is 0.
    assert (received.value, received.agency, received.peers_median) == (2, 14, 0)
    assert (received.rank, received.peers) == (4, 34)  # three provinces with 4 share the first place
    # A share over two dossiers is a small sample: shown, but neither ranked nor given a median.
    assert online.value == pytest.approx(0.5) and online.agency == pytest.approx(6 / 14)
    assert (online.rank, online.peers_median) == (None, None)
