"""How many wall screens one server holds: N simulated screens speaking the wall's real refresh
protocol against gunicorn (2 workers), with a collector committing new data every 10 s.

    python benchmarks/screens.py                       # SQLite + filesystem cache, N = 100, 250, 500
    python benchmarks/screens.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        --redis redis://127.0.0.1:6379/14 --steps 250,500,750
    python benchmarks/screens.py --facts 1000000 --seconds 60

Each screen is enrolled (``/screens/enrol/<code>``, device cookie, CSRF header) at a unit of a
spread — the whole agency, each central unit, each provincial department — and posts the wall's
refresh every ``REFRESH_MS`` (10 s, the real interval; first ticks spread over the interval), keeping
the view the server sends back; every sixth refresh its playlist moves to the next period (mtd →
week → today …), as a rotating playlist does. A writer commits a new data version every 10 s.

N holds when (a) refresh p95 ≤ 50 ms, (b) after each commit every screen shows the new version
within its interval + 5 s, (c) no request fails. ``screens_held`` is the largest N of the steps
that holds; the trivial-callback floor (p95 and requests/s, 50 connections back to back) is measured
on the same server in the same run. The abusive scenario: 200 screens plus 8 clients cycling units
× periods as fast as the server answers them (each its own enrolled device on the whole agency,
under the production rate limit); the wall's p95 must stay ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import emit  # noqa: E402
from benchmarks._screens import bench_units, enrolled_screens, start_gunicorn, wall_output  # noqa: E402
from benchmarks.pages import free_port, load  # noqa: E402
from dashboard.timeutil import VN_TZ  # noqa: E402

REFRESH_S = 10.0  # layouts/home.py REFRESH_MS
COMMIT_EVERY_S = 10.0
FRESH_WITHIN_S = REFRESH_S + 5
PERIODS = ("mtd", "week", "today", "qtd", "ytd")
_VERSION = re.compile(r"^v(\d+)@")


def build(args, tmp: Path):
    """The store: ``--facts`` generated facts with the demo hierarchy, on SQLite or PostgreSQL."""
    from benchmarks.kpis import build_store, generate
    from dashboard import rollups
    from dashboard.db import make_sessionmaker

    today = datetime.now(VN_TZ).date()
    if not args.pg:
        db = tmp / "screens.sqlite3"
        engine, _ = build_store(db, args.facts, today)
        return engine, f"sqlite:///{db}", None
    from benchmarks._common import store

    ctx = store("postgresql", args.pg)
    engine = ctx.__enter__()
    generate(engine, args.facts, today)
    with make_sessionmaker(engine).begin() as session:
        rollups.rebuild(session)
    return engine, engine.url.render_as_string(hide_password=False), ctx


class Writer(threading.Thread):
    """The collector's commit every 10 s: a new data version (what makes every screen redraw)."""

    def __init__(self, engine):
        super().__init__(daemon=True)
        self.engine, self.stop, self.commits = engine, threading.Event(), []  # (version, time)

    def run(self) -> None:
        from dashboard.db import bump_data_version, make_sessionmaker
        from dashboard.queries import current_data_version

        sessions = make_sessionmaker(self.engine)
        while not self.stop.wait(COMMIT_EVERY_S):
            with sessions.begin() as session:
                bump_data_version(session)
            with sessions() as session:
                self.commits.append((current_data_version(session), time.monotonic()))


class _ScreensRun:
    """One load of wall screens (and abusive clients) against the server, and its tally."""

    def __init__(self, clients, output: str, seconds: float):
        self.clients, self.output = clients, output
        self.latencies: list[float] = []
        self.abusive: list[tuple[float, int]] = []
        self.errors = 0
        self.seen: dict[int, list[tuple[int, float]]] = {}  # client index → [(version, time)]
        self.lock = threading.Lock()
        self.stop_at = time.monotonic() + seconds

    def screen(self, index: int, client) -> None:
        time.sleep(random.random() * REFRESH_S)  # screens were switched on at different moments
        polls = 0
        while time.monotonic() < self.stop_at:
            began = time.monotonic()
            polls += 1
            if polls % 6 == 0:  # the playlist moves on
                client.view["period"] = PERIODS[(PERIODS.index(client.view["period"]) + 1) % len(PERIODS)]
            try:
                status, body = client.refresh(self.output, polls)
                ok = status in (200, 204)
            except OSError as exc:
                status, body, ok = 0, str(exc).encode(), False
            if not ok and self.errors < 3:
                print(f"screen {index}: HTTP {status} {body[:200]!r}", file=sys.stderr)
            took = time.monotonic() - began
            match = _VERSION.match(str(client.view.get("signature", "")))
            with self.lock:
                self.latencies.append(took * 1000)
                self.errors += not ok
                if match:
                    self.seen.setdefault(index, []).append((int(match.group(1)), time.monotonic()))
            time.sleep(max(0.0, REFRESH_S - took))

    def abuser(self, client, units) -> None:
        views = itertools.cycle(itertools.product(units, PERIODS))
        n = 0
        while time.monotonic() < self.stop_at:
            unit, period = next(views)
            client.view = {"unit": unit, "period": period, "lang": "vi", "kiosk": False, "signature": "x"}
            began = time.monotonic()
            n += 1
            try:
                status, _ = client.refresh(self.output, n)
            except OSError:
                status = 0
            with self.lock:
                self.abusive.append(((time.monotonic() - began) * 1000, status))
            if status == 429:
                time.sleep(0.2)

    def late(self, writer: Writer | None) -> int:
        """Screens that showed a committed version later than FRESH_WITHIN_S (or never)."""
        late = 0
        for version, at in writer.commits if writer is not None else ():
            if at > self.stop_at - FRESH_WITHIN_S:
                continue  # too close to the end to judge
            for index in range(len(self.clients)):
                shown = [t for v, t in self.seen.get(index, []) if v >= version]
                if not shown or min(shown) - at > FRESH_WITHIN_S:
                    late += 1
        return late


def run_screens(clients, output: str, seconds: float, abusers=(), writer: Writer | None = None) -> dict:
    """Every client refreshes every REFRESH_S; abusers cycle units × periods back to back."""
    run = _ScreensRun(clients, output, seconds)
    threads = [threading.Thread(target=run.screen, args=(i, c), daemon=True) for i, c in enumerate(clients)]
    threads += [threading.Thread(target=run.abuser, args=(c, units), daemon=True) for c, units in abusers]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    latencies = sorted(run.latencies)
    pct = lambda q: round(latencies[int(q * (len(latencies) - 1))], 1) if latencies else None  # noqa: E731
    return {
        "p95_ms": pct(0.95),
        "median_ms": pct(0.5),
        "requests": len(latencies),
        "errors": run.errors,
        "late": run.late(writer),
        "abusive_requests": len(run.abusive),
        "abusive_ok": sum(1 for _, s in run.abusive if s == 200),
        "abusive_429": sum(1 for _, s in run.abusive if s == 429),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=200_000)
    parser.add_argument("--steps", default="100,250,500", help="screen counts to try, ascending")
    parser.add_argument("--seconds", type=float, default=45.0, help="load per step (≥ 3 commits)")
    parser.add_argument("--pg", help="PostgreSQL URL (a private schema is used); default SQLite")
    parser.add_argument("--redis", help="Redis URL for the shared cache; default the filesystem cache")
    parser.add_argument("--abusive-screens", type=int, default=200)
    args = parser.parse_args(argv)
    steps = sorted(int(s) for s in args.steps.split(","))
    with tempfile.TemporaryDirectory(prefix="ioc-screens-") as tmp:
        tmp = Path(tmp)
        engine, url, pg_ctx = build(args, tmp)
        port = free_port()
        server = start_gunicorn(url, tmp / "data", port, redis_url=args.redis)
        cond = {
            "db": "postgresql" if args.pg else "sqlite",
            "cache": "redis" if args.redis else "filesystem",
            "facts": args.facts,
            "workers": 2,
            "refresh_s": REFRESH_S,
            "commit_every_s": COMMIT_EVERY_S,
        }
        try:
            units = bench_units(engine)
            floor_clients = enrolled_screens(engine, port, units[:1] * 50, prefix="floor")
            output = wall_output(floor_clients[0])
            floor = load_floor(port, floor_clients)
            emit("trivial_callback_p95_ms", floor["p95_ms"], "ms", "lower", None, **cond)
            emit("trivial_callback_rps", floor["rps"], "requests/s", "higher", None, **cond)
            clients = enrolled_screens(
                engine, port, [units[i % len(units)] for i in range(max(steps + [args.abusive_screens]))]
            )
            held = 0
            for n in steps:
                writer = Writer(engine)
                writer.start()
                result = run_screens(clients[:n], output, args.seconds, writer=writer)
                writer.stop.set()
                ok = (
                    result["p95_ms"] is not None
                    and result["p95_ms"] <= 50
                    and result["late"] == 0
                    and result["errors"] == 0
                )
                emit(
                    "screens_refresh_p95_ms",
                    result["p95_ms"],
                    "ms",
                    "lower",
                    50,
                    **cond,
                    screens=n,
                    median_ms=result["median_ms"],
                    requests=result["requests"],
                    errors=result["errors"],
                    late_screens=result["late"],
                    commits=len(writer.commits),
                    held=ok,
                )
                if ok:
                    held = n
            emit(
                "screens_held",
                held,
                "screens",
                "higher",
                500,
                **cond,
                steps=steps,
                floor_p95_ms=floor["p95_ms"],
                floor_rps=floor["rps"],
            )
            abusers_ = enrolled_screens(engine, port, units[:1] * 8, prefix="abuser")
            writer = Writer(engine)
            writer.start()
            result = run_screens(
                clients[: args.abusive_screens],
                output,
                args.seconds,
                abusers=[(a, [None] + units) for a in abusers_],
                writer=writer,
            )
            writer.stop.set()
            emit(
                "abusive_wall_p95_ms",
                result["p95_ms"],
                "ms",
                "lower",
                100,
                **cond,
                screens=args.abusive_screens,
                abusive_clients=8,
                median_ms=result["median_ms"],
                errors=result["errors"],
                late_screens=result["late"],
                abusive_requests=result["abusive_requests"],
                abusive_ok=result["abusive_ok"],
                abusive_429=result["abusive_429"],
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
            engine.dispose()
            if pg_ctx is not None:
                pg_ctx.__exit__(None, None, None)
    return 0


def load_floor(port: int, clients, seconds: float = 8.0) -> dict:
    """The trivial callback, 50 enrolled clients back to back: what any Dash request costs here."""
    payload = {
        "output": "bench-echo.children",
        "outputs": {"id": "bench-echo", "property": "children"},
        "inputs": [{"id": "bench-ping", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["bench-ping.n_clicks"],
    }
    return load(port, payload, seconds, clients=clients)


if __name__ == "__main__":
    sys.exit(main())
