"""Monitoring speed: one evaluation of 100 alert rules over the demo agency's 56 units right after
a commit, on SQLite (and PostgreSQL when it answers), against a floor measured in the same run.

    python benchmarks/monitoring.py                   # 100.000 facts, 100 rules, 7 runs
    python benchmarks/monitoring.py --facts 1000000 --rules 100 --repeat 9

The store is the KPI benchmark's (benchmarks/kpis.py: two years of documents, dossiers and
meetings of the 54 producing demo units, rollups rebuilt). The rules are the hardest reading of
"100 rules over 56 units": every rule watches one KPI with targets for **each** unit under the
ministry (55 states per rule, 5.500 in all), the KPIs and periods (today, month to date, reporting
period) taken in turn. Before each timed run a commit bumps the data version — what a collector
does — and the run is :func:`dashboard.alerts.evaluate_rules` in full: the KPI values, the state
machine of every rule × unit, the notifications queued, one transaction.

Measured (medians):

- ``alerts_eval_100_rules_ms`` — steady state (the states exist; target ≤ 200 ms);
- ``alerts_eval_first_ms`` — the first evaluation, which creates the 5.500 states;
- ``alerts_eval_floor_ms`` — the floor: one rule on the ministry as a whole (one scope, one
  KPI), i.e. the fixed cost of an evaluation pass;
- ``alerts_eval_ratio_vs_floor`` — the 100 rules ÷ the floor.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import emit, median
from benchmarks.kpis import build_store
from dashboard.config import load_settings
from dashboard.db import bump_data_version, make_engine, make_sessionmaker
from dashboard.models import AlertRule, AlertState, OrgUnit
from dashboard.timeutil import VN_TZ

TARGET_MS = 200.0


def _rules(engine, n: int) -> None:
    from sqlalchemy import delete, select

    from dashboard.alerts import RuleSpec, add_rule
    from dashboard.kpi.catalogue import CATALOGUE
    from dashboard.targets import DEFAULT_TARGETS

    kpis = [
        k for k, d in CATALOGUE.items() if d.direction and DEFAULT_TARGETS.thresholds(k).green is not None
    ]
    periods = ("mtd", "today", "reporting")
    with make_sessionmaker(engine).begin() as session:
        session.execute(delete(AlertState))
        session.execute(delete(AlertRule))
        root = session.scalar(select(OrgUnit.code).where(OrgUnit.parent_id.is_(None)))
        for i in range(n):
            kpi = kpis[i % len(kpis)]
            period = periods[(i // len(kpis)) % len(periods)]
            spec = RuleSpec(
                f"r{i:03d}", kpi, root, mode="each" if n > 1 else "subtree", period=period, quiet_hours=False
            )
            add_rule(session, spec)


def _commit(engine) -> None:
    with make_sessionmaker(engine).begin() as session:
        bump_data_version(session)


def _time(engine, settings, repeat: int) -> tuple[float, list[float]]:
    from dashboard.alerts import evaluate_rules

    _commit(engine)
    began = time.perf_counter()
    evaluate_rules(engine, settings)
    first = (time.perf_counter() - began) * 1000
    runs = []
    for _ in range(repeat):
        _commit(engine)
        began = time.perf_counter()
        evaluate_rules(engine, settings)
        runs.append((time.perf_counter() - began) * 1000)
    return first, runs


def run(engine, settings, rules: int, repeat: int, **conditions) -> None:
    _rules(engine, 1)
    _, floor_runs = _time(engine, settings, repeat)
    _rules(engine, rules)
    first, runs = _time(engine, settings, repeat)
    with make_sessionmaker(engine)() as session:
        from sqlalchemy import func, select

        states = session.scalar(select(func.count()).select_from(AlertState))
    floor = median(floor_runs)
    common = {**conditions, "rules": rules, "states": states, "runs": repeat}
    emit("alerts_eval_100_rules_ms", round(median(runs), 1), "ms", "lower", TARGET_MS, **common,
         all_ms=[round(r, 1) for r in runs])  # fmt: skip
    emit("alerts_eval_first_ms", round(first, 1), "ms", "lower", None, **common)
    emit(
        "alerts_eval_floor_ms",
        round(floor, 1),
        "ms",
        "lower",
        None,
        **conditions,
        rules=1,
        states=1,
        runs=repeat,
    )
    emit("alerts_eval_ratio_vs_floor", round(median(runs) / floor, 1), "ratio", "lower", None, **common)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facts", type=int, default=100_000, help="facts in the store (default 100000)")
    parser.add_argument("--rules", type=int, default=100, help="alert rules (default 100)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs (default 7)")
    parser.add_argument("--keep", type=Path, help="keep the SQLite store at this path; reuse it if it exists")
    args = parser.parse_args(argv)
    now = datetime.now(VN_TZ)
    with tempfile.TemporaryDirectory(prefix="ioc-monitoring-bench-") as tmp:
        path = args.keep or Path(tmp) / "bench.sqlite3"
        if not path.exists():
            engine, info = build_store(path, args.facts, now.date())
            engine.dispose()
            print(f"# {args.facts:,} facts: {info}".replace(",", "."), file=sys.stderr, flush=True)
        settings = load_settings(env={}, data_dir=tmp, database_url=f"sqlite:///{path}")
        engine = make_engine(settings.database_url)
        run(engine, settings, args.rules, args.repeat, db="sqlite", facts=args.facts)
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
