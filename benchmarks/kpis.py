"""KPI engine speed: the full overview — every tile of the agency for the current month, each with
its sparkline and its comparisons — cold (no cache) and warm (cached), on SQLite.

    python benchmarks/kpis.py                          # 100.000 and 1.000.000 facts
    python benchmarks/kpis.py --sizes 100000,1000000,10000000
    python benchmarks/kpis.py --sizes 10000000 --keep /tmp/kpi-10m.sqlite3   # reuse the store later

Facts (half documents, half dossiers, plus ~2.000 meetings and the procedure catalogue of the
demo agency) are generated over the 730 days up to today for the 54 producing demo units and
bulk-inserted straight into a migrated SQLite store; the rollups are then built with
``rollups.rebuild``, exactly as a repair would. Every size spans the same two years, so a bigger
store is a denser one — what an agency with more traffic looks like.

Measured (medians of ``--repeat`` runs):

- ``kpi_overview_cold_ms`` — :func:`dashboard.queries.overview` with the application cache
  cleared and a new database connection (SQLite's page cache empty; the OS file cache warm);
- ``kpi_overview_warm_ms`` — the same call answered from the FileSystemCache;
- ``kpi_overview_cold_ratio_largest_vs_smallest`` — cold at the largest size ÷ cold at the smallest.

Targets (2 cores): cold ≤ 100 ms at 1.000.000 facts; cold at 10.000.000 ≤ 2 × cold at 100.000;
warm ≤ 5 ms. The 10.000.000 store takes several minutes to generate, so it is not in the default
run: pass ``--sizes`` as above.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import emit, median
from dashboard import rollups
from dashboard.db import make_engine, make_sessionmaker, upgrade
from dashboard.models import Document, Dossier
from dashboard.timeutil import VN_TZ
from dashboard.units import DEMO_UNITS_FILE, import_units_file

DAYS = 730
MEETINGS = 2000
COLD_TARGET_MS = 100.0
WARM_TARGET_MS = 5.0
RATIO_TARGET = 2.0


# --- generation ------------------------------------------------------------------------------------
class _Clock:
    """Local (UTC+7, no DST in Vietnam) day + minute → the naive-UTC text SQLite stores."""

    def __init__(self):
        self._days: dict[int, str] = {}

    def day(self, ordinal: int) -> str:
        text = self._days.get(ordinal)
        if text is None:
            text = self._days[ordinal] = date.fromordinal(ordinal).isoformat()
        return text

    def ts(self, ordinal: int, minute: float) -> str:
        """``minute`` minutes after local midnight of day ``ordinal``, as stored (UTC)."""
        total = ordinal * 1440 + minute - 420  # UTC = local − 7 h
        o, m = divmod(total, 1440)
        seconds = int(m * 60)
        return f"{self.day(int(o))} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000000"

    def local_day(self, ordinal: int, minute: float) -> str:
        return self.day(ordinal + int(minute // 1440))


def _working_days(first: date, last: date) -> list[int]:
    from dashboard.kpi.workdays import WorkingCalendar

    cal = WorkingCalendar()
    out, d = [], first
    while d <= last:
        if cal.is_working_day(d):
            out.append(d.toordinal())
        d += timedelta(days=1)
    return out


def _office(rng: random.Random) -> float:
    """A local minute of office hours (07:30–11:30, 13:30–17:00)."""
    m = rng.random() * 450
    return 450 + m if m < 240 else 810 + (m - 240)


def generate(engine, n_facts: int, today: date, seed: int = 7) -> dict[str, int]:
    """Bulk-insert ``n_facts`` documents and dossiers (half each), meetings and procedures."""
    from dashboard.models import OrgUnit

    rng = random.Random(seed)
    clock = _Clock()
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        units = session.query(OrgUnit.id, OrgUnit.code, OrgUnit.level).all()
    producing = [(uid, code, level) for uid, code, level in units if level in ("department", "province")]
    provinces = [u for u in producing if u[2] == "province"]
    days = _working_days(today - timedelta(days=DAYS - 1), today)
    today_o = today.toordinal()

    # The procedure catalogue: 60 per province, a handful per central department.
    procedures = []
    catalogue: dict[int, list[tuple[str, str, bool, int]]] = {}
    for uid, _code, level in producing:
        count = 60 if level == "province" else (5 if rng.random() < 0.6 else 0)
        entries = []
        for i in range(count):
            svc = rng.choices(("full", "partial", "none"), (0.3, 0.4, 0.3))[0]
            fee = rng.random() < 0.6
            entries.append(
                (
                    f"{'1' if level == 'province' else '2'}.00{4100 + 37 * i:04d}",
                    svc,
                    fee,
                    rng.choice((3, 5, 7, 10, 15, 20)),
                )
            )
        catalogue[uid] = entries
        procedures += [("bench", c, uid, f"Thủ tục {c}", svc, int(fee), 1, 1) for c, svc, fee, _ in entries]
    dossier_units = [u for u in producing if catalogue[u[0]]]

    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-400000")
        cur.executemany(
            "INSERT INTO procedure (source, code, unit_id, name_vi, service_level, has_fee, requires_result_document, active) "
            "VALUES (?,?,?,?,?,?,?,?)",
            procedures,
        )
        raw.commit()
        indexes = [ix for table in (Document.__table__, Dossier.__table__) for ix in table.indexes]
        for ix in indexes:
            cur.execute(f'DROP INDEX IF EXISTS "{ix.name}"')
        n_docs = n_facts // 2
        _documents(cur, rng, clock, n_docs, producing, days, today_o)
        raw.commit()
        _dossiers(cur, rng, clock, n_facts - n_docs, dossier_units, catalogue, days, today_o)
        raw.commit()
        _meetings(cur, rng, clock, producing, provinces, days, today_o)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        for ix in indexes:
            ix.create(conn)
    return {"documents": n_docs, "dossiers": n_facts - n_docs, "procedures": len(procedures)}


def _documents(cur, rng, clock, n, units, days, today_o) -> None:
    sql = (
        "INSERT INTO document (source, source_id, unit_id, direction, channel, is_electronic, is_signed, is_secret, urgency, "
        "registered_at, arrived_at, sent_at, acknowledged_at, due_at, completed_at, status_code, registered_day, due_day, "
        "completed_day, arrived_day, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )
    r = rng.random
    n_days, n_units = len(days), len(units)
    stamp = clock.ts(today_o, 600)
    batch = []
    for i in range(n):
        o = days[int(i * n_days / n)]
        uid = units[int(r() * n_units)][0]
        x = r()
        direction = "in" if x < 0.45 else "out" if x < 0.80 else "internal"
        x = r()
        channel = (
            ("axis" if x < 0.5 else "internal" if x < 0.85 else "paper")
            if direction != "internal"
            else ("internal" if x < 0.9 else "paper")
        )
        electronic = channel != "paper"
        signed = electronic and r() < (0.97 if channel == "axis" else 0.9)
        urgency = "normal" if r() < 0.9 else "khan"
        minute = _office(rng)
        reg_o = o
        arrived = arrived_day = sent = ack = None
        status = "03"
        if direction == "in":
            lag = 0 if r() < 0.7 else 1 if r() < 0.7 else int(r() * 5) + 2
            arr_o = o - lag
            arrived, arrived_day = clock.ts(arr_o, minute - 30), clock.day(arr_o)
            if r() < 0.01:
                status = "02"
        elif direction == "out" and channel == "axis":
            sent = clock.ts(o, minute)
            if r() < 0.95:
                ack = clock.ts(o, minute + rng.expovariate(1 / 180))
            else:
                status = "01"
            if r() < 0.01:
                status = "13"
        due = due_day = completed = completed_day = None
        if direction != "out" and status not in ("02", "13"):
            if r() < 0.35:  # a handling deadline: completed by it, or a few days late, or never
                due_o = o + 3 + int(r() * 13)
                due, due_day = clock.ts(due_o, 1020), clock.day(due_o)
                done_o = o + int(r() * (due_o - o + 4))
            else:
                done_o = o + int(rng.expovariate(1 / 3))
            if done_o <= today_o and r() < 0.97:
                completed, completed_day, status = clock.ts(done_o, _office(rng)), clock.day(done_o), "06"
            elif status == "03":
                status = "04" if r() < 0.5 else "05"
        batch.append(
            (
                "bench",
                f"D{i:09d}",
                uid,
                direction,
                channel,
                electronic,
                signed,
                r() < 0.02,
                urgency,
                clock.ts(reg_o, minute),
                arrived,
                sent,
                ack,
                due,
                completed,
                status,
                clock.day(reg_o),
                due_day,
                completed_day,
                arrived_day,
                stamp,
            )
        )
        if len(batch) >= 50_000:
            cur.executemany(sql, batch)
            batch.clear()
    if batch:
        cur.executemany(sql, batch)


def _dossiers(cur, rng, clock, n, units, catalogue, days, today_o) -> None:
    sql = (
        "INSERT INTO dossier (source, source_id, unit_id, procedure_code, channel, received_at, due_at, finished_at, "
        "returned_at, status, supplement_count, has_fee, paid_online, has_electronic_result, requires_result_document, "
        "is_digitised, synced_national, rating, received_day, due_day, finished_day, ingested_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )
    r = rng.random
    n_days, n_units = len(days), len(units)
    stamp = clock.ts(today_o, 600)
    batch = []
    for i in range(n):
        o = days[int(i * n_days / n)]
        uid = units[int(r() * n_units)][0]
        entries = catalogue[uid]
        code, svc, fee, span = entries[min(len(entries) - 1, int(rng.expovariate(0.15)))]
        online = svc != "none" and r() < (0.8 if svc == "full" else 0.45)
        channel = 2 if online else (3 if r() < 0.04 else 1)
        minute = _office(rng)
        due_o = o + int(span * 1.4)
        x = r()
        supplements = 0 if x < 0.85 else 1 if x < 0.95 else 2
        finished = finished_day = returned = rating = None
        if r() < 0.02:
            status = 3
        else:
            x = r()
            finish_o = (
                o + int(r() * (due_o - o))
                if x < 0.6
                else due_o
                if x < 0.85
                else due_o + 1 + int(rng.expovariate(0.3))
            )
            if finish_o > today_o or r() < 0.005:  # a few never finish: the overdue backlog
                status = 4 if r() < 0.8 else 5
            else:
                y = r()
                status = 7 if y < 0.02 else 8 if y < 0.03 else 10 if y < 0.9 else 9
                finished, finished_day = clock.ts(finish_o, _office(rng)), clock.day(finish_o)
                if status == 10:
                    returned = clock.ts(finish_o, 1000)
                    if r() < 0.3:
                        rating = 3 if r() < 0.8 else 2 if r() < 0.75 else 1
        paid = (1 if r() < 0.35 else 2) if fee and online and r() < 0.5 else None
        batch.append(
            (
                "bench",
                f"H{i:09d}",
                uid,
                code,
                channel,
                clock.ts(o, minute),
                clock.ts(due_o, minute),
                finished,
                returned,
                status,
                supplements,
                fee,
                paid,
                status in (9, 10) and r() < 0.7,
                True,
                r() < 0.8,
                r() < 0.95,
                rating,
                clock.day(o),
                clock.day(due_o),
                finished_day,
                stamp,
            )
        )
        if len(batch) >= 50_000:
            cur.executemany(sql, batch)
            batch.clear()
    if batch:
        cur.executemany(sql, batch)


def _meetings(cur, rng, clock, units, provinces, days, today_o) -> None:
    r = rng.random
    rows = []
    for i in range(MEETINGS):
        o = days[int(i * len(days) / MEETINGS)]
        uid = units[int(r() * len(units))][0]
        scheduled = 3 if r() < 0.5 else len(provinces) + 1
        connected = max(0, scheduled - int(rng.expovariate(1.0)))
        start = 480 + int(r() * 420)
        duration = 60 + int(r() * 120)
        status = 2 if r() < 0.95 else 4
        rows.append(
            (
                "bench",
                f"M{i:06d}",
                uid,
                "Họp trực tuyến",
                "bigbluebutton",
                True,
                status,
                clock.ts(o, start),
                clock.ts(o, start + duration),
                scheduled,
                connected,
                connected * 5,
                clock.day(o),
                float(duration),
                clock.ts(today_o, 600),
            )
        )
    cur.executemany(
        "INSERT INTO meeting (source, source_id, unit_id, title, platform, is_online, status, start_at, end_at, "
        "endpoints_scheduled, endpoints_connected, participants_peak, start_day, duration_min, ingested_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )


def build_store(path: Path, n_facts: int, today: date) -> tuple[object, dict]:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
    began = time.perf_counter()
    counts = generate(engine, n_facts, today)
    counts["generate_s"] = round(time.perf_counter() - began, 1)
    began = time.perf_counter()
    with make_sessionmaker(engine).begin() as session:
        counts["rollup_rows"] = rollups.rebuild(session)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    counts["rollups_s"] = round(time.perf_counter() - began, 1)
    return engine, counts


# --- measuring -------------------------------------------------------------------------------------
def measure(path: Path, repeat: int, now: datetime) -> tuple[list[float], list[float], int]:
    """Cold and warm timings (ms) of the full overview of the agency for the current month."""
    from dashboard.config import load_settings
    from dashboard.kpi.periods import Period
    from dashboard.queries import overview
    from dashboard.webapp import create_app

    with tempfile.TemporaryDirectory(prefix="ioc-kpi-cache-") as cache_dir:
        settings = load_settings(env={}, data_dir=cache_dir, database_url=f"sqlite:///{path}")
        app = create_app(settings)
        period = Period.month_to_date(now.astimezone(VN_TZ).date())
        cold, warm, tiles = [], [], 0
        from dashboard.cache import cache

        for _ in range(repeat):
            with app.server.app_context():
                cache.clear()
                engine = make_engine(f"sqlite:///{path}")  # a new connection: SQLite's page cache is empty
                with make_sessionmaker(engine)() as session:
                    began = time.perf_counter()
                    result = overview(session, None, period, now=now)
                    cold.append((time.perf_counter() - began) * 1000)
                    tiles = len(result.tiles)
                    began = time.perf_counter()
                    again = overview(session, None, period, now=now)
                    warm.append((time.perf_counter() - began) * 1000)
                    assert again == result
                engine.dispose()
    return cold, warm, tiles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="100000,1000000", help="comma-separated fact counts (default 100000,1000000)"
    )
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per size (default 15)")
    parser.add_argument(
        "--keep", type=Path, help="keep the store of the (single) size at this path; reuse it if it exists"
    )
    args = parser.parse_args(argv)
    sizes = [int(s.replace(".", "").replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    now = datetime.now(VN_TZ)
    cold_by_size: dict[int, float] = {}
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="ioc-kpi-bench-") as tmp:
            path = args.keep if args.keep and len(sizes) == 1 else Path(tmp) / "bench.sqlite3"
            if path.exists():
                info = {"reused": True}
            else:
                engine, info = build_store(path, n, now.date())
                engine.dispose()
                print(f"# {n:,} facts: {info}".replace(",", "."), file=sys.stderr, flush=True)
            cold, warm, tiles = measure(path, args.repeat, now)
            cold_by_size[n] = median(cold)
            conditions = {"db": "sqlite", "facts": n, "tiles": tiles, "days": DAYS, "runs": len(cold)}
            emit(
                "kpi_overview_cold_ms",
                round(median(cold), 2),
                "ms",
                "lower",
                COLD_TARGET_MS if n == 1_000_000 else None,
                **conditions,
            )
            emit("kpi_overview_warm_ms", round(median(warm), 3), "ms", "lower", WARM_TARGET_MS, **conditions)
    if len(cold_by_size) > 1:
        small, large = min(cold_by_size), max(cold_by_size)
        emit(
            "kpi_overview_cold_ratio_largest_vs_smallest",
            round(cold_by_size[large] / cold_by_size[small], 2),
            "ratio",
            "lower",
            RATIO_TARGET if (small, large) == (100_000, 10_000_000) else None,
            db="sqlite",
            smallest=small,
            largest=large,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
