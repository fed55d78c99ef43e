"""Morning briefing speed: render the briefing (figures from the KPI engine, the PDF and the XLSX)
for every scope of the demo agency — its 56 units — on SQLite, as the 07:00 job does.

    python benchmarks/monitoring_briefing.py                    # 90 days of demo history, daily
    python benchmarks/monitoring_briefing.py --days 400 --template monthly
    python benchmarks/monitoring_briefing.py --store /tmp/brdemo/ioc.sqlite3   # an existing demo store

The store is the demo's own (``collectors.demo.prepare``: the simulated agency collected through
the real adapters), built in a temporary directory unless ``--store`` names one. Each scope is a
unit with its sub-units; the whole agency is measured on its own line.

Measured (per scope; medians over the 56 scopes unless said):

- ``briefing_render_ms`` — :func:`dashboard.reports.render`: gather + PDF + XLSX (target ≤ 1000 ms);
- ``briefing_render_p95_ms``, ``briefing_gather_ms``, ``briefing_pdf_ms``, ``briefing_xlsx_ms``;
- ``briefing_whole_agency_ms`` — the whole agency's briefing (the demo's subscription);
- ``briefing_floor_engine_ms`` — the floor, in the same run: the engine's figures alone for the same
  scope and period (``engine.compute`` of every KPI with comparisons, what a page's tiles cost);
- ``briefing_vs_floor_ratio`` — ``briefing_render_ms`` ÷ ``briefing_floor_engine_ms``.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import emit, median
from dashboard import briefing, reports
from dashboard.config import load_settings
from dashboard.db import make_engine, make_sessionmaker, upgrade
from dashboard.kpi import engine as kpi_engine
from dashboard.kpi.catalogue import KPI_IDS
from dashboard.models import OrgUnit
from dashboard.units import DEMO_UNITS_FILE, import_units_file

TARGET_MS = 1000.0


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def _build_demo(data_dir: Path, days: int):
    from collectors import demo

    settings = load_settings(env={}, data_dir=data_dir)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
    started = time.perf_counter()
    _simulation, sources, platforms = demo.prepare(settings, engine, days=days, echo=lambda _m: None)
    platforms.stop()
    print(f"demo store: {days} days in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return settings, engine, tuple(sources)


def _measure(settings, engine, sources, template: str, day) -> None:
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        codes = list(session.scalars(select_codes()))
    render_ms, gather_ms, pdf_ms, xlsx_ms, floor_ms = [], [], [], [], []
    from dashboard.briefing_render import to_pdf, to_xlsx

    with sessions() as session:  # warm-up: imports, fonts, the first connection
        reports.render(session, settings, codes[0], day, template, sources=sources)
    for code in codes:
        with sessions() as session:
            t0 = time.perf_counter()
            b = briefing.gather(session, code, day, template, tz=settings.tz, sources=sources)
            t1 = time.perf_counter()
            to_pdf(b)
            t2 = time.perf_counter()
            to_xlsx(b)
            t3 = time.perf_counter()
        gather_ms.append((t1 - t0) * 1000)
        pdf_ms.append((t2 - t1) * 1000)
        xlsx_ms.append((t3 - t2) * 1000)
        render_ms.append((t3 - t0) * 1000)
        with sessions() as session:
            t0 = time.perf_counter()
            scope = kpi_engine.resolve_scope(session, code, True)
            kpi_engine.compute(session, scope, b.period, KPI_IDS, now=b.as_at, tz=settings.tz, as_of=True)
            floor_ms.append((time.perf_counter() - t0) * 1000)
    with sessions() as session:
        t0 = time.perf_counter()
        reports.render(session, settings, None, day, template, sources=sources)
        whole_ms = (time.perf_counter() - t0) * 1000
    conditions = {"db": "sqlite", "scopes": len(codes), "template": template, "day": day.isoformat()}
    emit("briefing_render_ms", round(median(render_ms), 1), "ms", "lower", TARGET_MS, **conditions)
    emit("briefing_render_p95_ms", round(_p95(render_ms), 1), "ms", "lower", None, **conditions)
    emit("briefing_gather_ms", round(median(gather_ms), 1), "ms", "lower", None, **conditions)
    emit("briefing_pdf_ms", round(median(pdf_ms), 1), "ms", "lower", None, **conditions)
    emit("briefing_xlsx_ms", round(median(xlsx_ms), 1), "ms", "lower", None, **conditions)
    emit("briefing_whole_agency_ms", round(whole_ms, 1), "ms", "lower", TARGET_MS, **conditions)
    floor = median(floor_ms)
    emit("briefing_floor_engine_ms", round(floor, 1), "ms", "lower", None, **conditions)
    emit("briefing_vs_floor_ratio", round(median(render_ms) / floor, 2), "ratio", "lower", None, **conditions)


def select_codes():
    from sqlalchemy import select

    return select(OrgUnit.code).where(OrgUnit.active.is_(True)).order_by(OrgUnit.sort_order, OrgUnit.code)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90, help="Days of simulated demo history (default 90).")
    parser.add_argument("--template", choices=list(briefing.TEMPLATES), default="daily")
    parser.add_argument("--store", type=Path, help="An existing demo SQLite file (not modified).")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="ioc-bench-briefing-") as tmp:
        if args.store is not None:
            settings = load_settings(env={}, data_dir=Path(tmp), database_url=f"sqlite:///{args.store}")
            engine, sources = make_engine(settings.database_url), ()
        else:
            settings, engine, sources = _build_demo(Path(tmp), args.days)
        day = datetime.now(settings.tz).date()
        try:
            _measure(settings, engine, sources, args.template, day)
        finally:
            engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
