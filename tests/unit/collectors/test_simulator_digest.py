"""The simulator's output is pinned by a digest: refactoring it (splitting it by domain, sharing the
working-day calendar with the KPI engine) must not change a single record for a given seed.

If a change to the simulation is *meant* to alter the data, recompute the digests with
``python -m tests.unit.collectors.test_simulator_digest`` and say why in the commit message.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from collectors.simulator import VN_TZ, AgencySimulator, demo_sim_units

# Tết 2026 falls on 17 February: the window covers it, weekends and 30 April / 1 May.
HISTORY = (datetime(2026, 1, 26, 7, 13, tzinfo=VN_TZ), datetime(2026, 5, 4, 18, 0, tzinfo=VN_TZ))
LIVE_SINCE = datetime(2026, 4, 30, 22, 13, 7, tzinfo=VN_TZ)  # a holiday night
LIVE = (LIVE_SINCE - timedelta(minutes=5), LIVE_SINCE + timedelta(hours=2, minutes=7))

EXPECTED = {
    "procedures": "323210aee7174ab590acac202a9a8ae90755b697b6d84fd16178e9275ccc0980",
    "documents": "6add4605ffa5dc7558a59a9b2f0e6adc4c703126a1e9d5b011fe75d16bb04a44",
    "dossiers": "6b9cdc0c074e2735437090f32aed7cff9f30b0b48935f6d028ea9ed7a026938b",
    "meetings": "26518ff2a9d116ea2550b855caa455602c231e4e3998e3161485634e42ddf264",
    "live_documents": "4189ef8b6b5352cc0c2700fa0c73755eb824e2c774bd7e806cedcba7639c3fd6",
    "live_dossiers": "e7fa27a0b0966786c7f86392e67fde56c7ccef800f185191caa3f7c5d74744ef",
    "live_meetings": "61ae55f80cdff64b4ca3aa5d69dd20b29a48f83f3d4d56277c48d768b09aef37",
}


def _digest(rows) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(json.dumps(row, sort_keys=True, default=str, ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()


def digests() -> dict[str, str]:
    out: dict[str, str] = {}
    sim = AgencySimulator(demo_sim_units(), seed=2026)
    out["procedures"] = _digest(sim.procedures())
    for kind in ("documents", "dossiers", "meetings"):
        out[kind] = _digest(getattr(sim, f"{kind}_changed")(*HISTORY))
    live = AgencySimulator(demo_sim_units(), seed=7, live_since=LIVE_SINCE)
    for kind in ("documents", "dossiers", "meetings"):
        out[f"live_{kind}"] = _digest(getattr(live, f"{kind}_changed")(*LIVE))
    return out


def test_the_same_seed_gives_the_same_records_as_before_the_refactoring():
    assert digests() == EXPECTED


if __name__ == "__main__":  # pragma: no cover - regenerates EXPECTED
    for name, value in digests().items():
        print(f'    "{name}": "{value}",')
