"""Directive-task KPIs (NV-01…NV-07) computed from the task facts: what it costs as the table grows.

    python benchmarks/tasks.py                       # 5.000 and 50.000 tasks on SQLite
    python benchmarks/tasks.py --sizes 5000,200000 --backend postgresql

NV KPIs are counted from the ``task`` table (one indexed read of the scope's tasks, then plain
Python per period and per sparkline day), not from the daily rollups — a ministry or province
tracks a few thousand tasks a year. Tasks are spread over the 730 days up to today across the
demo's producing units, with extensions, completions (some late) and open ones.

Measured (medians of ``--repeat`` runs, no application cache):

- ``nv_kpis_agency_ms`` — NV-01…NV-07 for the whole agency, month to date, with the previous
  period, last year and the daily sparkline (what ``/nhiem-vu`` computes for its tiles);
- ``nv_rank_provinces_ms`` — NV-05 ranked over the 34 provincial departments.

Targets: ≤ 100 ms at 50.000 tasks (ten years of a busy province) for both.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import emit, median, store
from dashboard.db import make_sessionmaker
from dashboard.kpi.engine import compute, resolve_scope
from dashboard.kpi.periods import Period
from dashboard.kpi.ranking import rank_units
from dashboard.models import OrgUnit, Task
from dashboard.timeutil import VN_TZ

TARGET_MS = 100.0
IDS = [f"NV-0{i}" for i in range(1, 8)]


def fill(engine, size: int, today: date, seed: int = 19) -> None:
    rng = random.Random(seed)
    with make_sessionmaker(engine).begin() as session:
        units = [u.id for u in session.query(OrgUnit).all() if u.code not in ("BMP", "BMP-SO")]
        rows = []
        for n in range(size):
            assigned = today - timedelta(days=rng.randint(0, 730))
            due = assigned + timedelta(days=rng.choice((7, 14, 21, 30, 45, 60)))
            extensions = None
            if rng.random() < 0.15:
                extended = due + timedelta(days=rng.choice((7, 14, 30)))
                approved = due - timedelta(days=2)
                extensions = [
                    {"due": extended.isoformat(), "document": f"{n}/VP", "approved": approved.isoformat()}
                ]
                final = extended
            else:
                final = due
            completed = final + timedelta(days=rng.randint(-20, 15))
            done = completed <= today and rng.random() < 0.9
            rows.append(
                {
                    "source": "bench",
                    "source_id": f"NV-{n}",
                    "directive_ref": f"{n % 900}/TB",
                    "lead_unit_id": rng.choice(units),
                    "assigned_at": datetime.combine(assigned, datetime.min.time(), VN_TZ),
                    "assigned_day": assigned,
                    "original_due_day": due,
                    "due_day": final,
                    "extensions": extensions,
                    "recurring": False,
                    "status": "done" if done else "open",
                    "completed_day": max(completed, assigned) if done else None,
                }
            )
        session.bulk_insert_mappings(Task, rows)


def timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    return median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,50000")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    today = datetime.now(VN_TZ).date()
    for size in (int(s) for s in args.sizes.split(",")):
        with store(args.backend) as engine:
            fill(engine, size, today)
            sessions = make_sessionmaker(engine)
            period = Period.parse("mtd", today)

            def agency(sessions=sessions, period=period):
                with sessions() as s:
                    compute(s, resolve_scope(s, None), period, IDS)

            def ranked(sessions=sessions, period=period):
                with sessions() as s:
                    rank_units(s, "NV-05", period, level="province")

            conditions = {"db": args.backend, "tasks": size}
            emit(
                "nv_kpis_agency_ms",
                round(timed(agency, args.repeat), 1),
                "ms",
                "lower",
                TARGET_MS,
                **conditions,
            )
            emit(
                "nv_rank_provinces_ms",
                round(timed(ranked, args.repeat), 1),
                "ms",
                "lower",
                TARGET_MS,
                **conditions,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
