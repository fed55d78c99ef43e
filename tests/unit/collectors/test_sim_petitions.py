"""The simulated petitions: deterministic, realistic in volume, channels and deadlines, and late
far more often in the weak units (SIMULATED DATA)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from collectors.sim_petitions import PetitionFeed, PetitionSimulator
from collectors.simulator import AgencySimulator, demo_sim_units
from dashboard.petitions import DeadlineRules
from dashboard.timeutil import VN_TZ

START, END = date(2026, 1, 5), date(2026, 6, 30)
NOW = datetime(2026, 7, 20, 10, 0, tzinfo=VN_TZ)


def simulator(seed: int = 2026) -> tuple[AgencySimulator, PetitionSimulator]:
    agency = AgencySimulator(demo_sim_units(), seed=seed)
    return agency, PetitionSimulator(agency.units, agency.performance, seed=seed)


def test_the_same_seed_gives_the_same_petitions_whatever_the_window():
    _, a = simulator()
    _, b = simulator()
    whole = {p.ident: (p.received, p.events) for p in a.petitions(START, END)}
    part = {p.ident: (p.received, p.events) for p in b.petitions(date(2026, 3, 1), date(2026, 3, 31))}
    assert part and all(whole[k] == v for k, v in part.items())
    _, other = simulator(7)
    assert {p.ident for p in other.petitions(START, END)} != set(whole)


def test_volumes_channels_and_deadlines_are_realistic():
    agency, sim = simulator()
    petitions = sim.petitions(START, END)
    provinces = [u for u in sim.units if u.level == "province"]
    per_unit_month = sum(1 for p in petitions if p.unit in {u.code for u in provinces}) / len(provinces) / 6
    assert 10 < per_unit_month < 35  # about 20 a month for a provincial department
    channels = Counter(p.channel for p in petitions)
    assert channels[1] > channels[2] > channels[4] > channels[5] and channels[3] > channels[4]
    rules = DeadlineRules()
    for p in petitions[:500]:
        if p.deadline is not None:  # the portal's own petitions state the rule's deadline
            assert p.deadline.date() == rules.deadline(p.received.date(), p.category, p.urgent)
            assert p.channel == 1


def _late_share(sim: PetitionSimulator, codes: set[str]) -> float:
    rules, late, handled = DeadlineRules(), 0, 0
    for p in sim.petitions(START, END):
        if p.unit not in codes:
            continue
        state = p.at(NOW)
        if state and state["ngayXuLy"] is not None:
            handled += 1
            late += state["ngayXuLy"].date() > rules.deadline(p.received.date(), p.category, p.urgent)
    return late / handled


def test_weak_units_are_late_far_more_often():
    agency, sim = simulator()
    codes = [u.code for u in sim.units if u.level == "province"]
    weak = {c for c in codes if agency.performance(c) < 0.72}
    strong = {c for c in codes if agency.performance(c) > 0.9}
    assert weak and strong
    assert _late_share(sim, weak) > 2 * _late_share(sim, strong)


def test_the_feed_serves_each_petition_as_it_stands_and_only_what_changed():
    _, sim = simulator()
    clock = [NOW]
    feed = PetitionFeed(sim, START, clock=lambda: clock[0])
    everything = feed(None)
    assert everything and all(item["ngayCapNhat"] <= NOW for item in everything)
    assert all(item["ngayTiepNhan"] <= NOW for item in everything)
    since = NOW - timedelta(days=2)
    recent = feed(since)
    assert recent and len(recent) < len(everything) and all(i["ngayCapNhat"] >= since for i in recent)
    statuses = Counter(i["trangThai"] for i in everything)
    assert statuses[5] and statuses[6] and statuses[4] and statuses[3]
