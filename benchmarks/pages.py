"""Page speed: the wall's refresh callback under 50 concurrent simulated screens, served by
gunicorn with 2 workers on a 1.000.000-fact SQLite store, against a trivial Dash callback on the
same server (the floor), and the wall's first full render in headless Chromium.

    python benchmarks/pages.py                    # build a 1.000.000-fact store, then measure
    python benchmarks/pages.py --facts 100000 --seconds 10
    python benchmarks/pages.py --keep /tmp/pages-1m.sqlite3   # reuse the store next time

Figures (design.md §6), medians over the run:
- ``wall_refresh_nochange_*``: the refresh every screen sends every few seconds; nothing changed,
  so it answers "no update" after one cheap version check (the common case);
- ``wall_refresh_render_*``: a screen that is behind and gets the whole wall redrawn (KPIs from
  the shared cache: the first request computes, the others read);
- ``trivial_callback_*``: a callback that returns its input (the floor);
- ``wall_vs_floor_throughput_ratio``: wall requests/s ÷ trivial requests/s (target ≥ 0,5);
- ``wall_first_render_ms``: from navigation to every tile drawn, in Chromium (target ≤ 2 s).
Targets: p95 ≤ 50 ms, throughput ≥ 50 % of the floor, first render ≤ 2 s (2 cores).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import emit  # noqa: E402
from benchmarks._screens import (  # noqa: E402
    ScreenClient,
    enrolled_screens,
    refresh_payload,
    register_screens,
    start_gunicorn,
    wall_output,
)
from benchmarks.kpis import build_store  # noqa: E402
from dashboard.db import make_engine  # noqa: E402
from dashboard.timeutil import VN_TZ  # noqa: E402

SCREENS = 50


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wall_request(client: ScreenClient) -> dict:
    """The wall's refresh request as the browser sends it, built from the app's dependencies:
    whole agency, month to date, Vietnamese, a signature the server has not drawn."""
    return refresh_payload(
        wall_output(client),
        {"unit": None, "period": "mtd", "lang": "vi", "kiosk": True, "signature": "stale"},
        1,
    )


def current_signature(client: ScreenClient, request: dict) -> dict:
    """Ask once with a stale signature; the answer carries the current one (what screens hold)."""
    body = client.post(request)[1]
    view = json.loads(body)["response"]["wall-view"]["data"]
    fresh = json.loads(json.dumps(request))
    fresh["state"][0]["value"]["signature"] = view["signature"]
    return fresh


def load(port: int, payload: dict, seconds: float, clients: list[ScreenClient], follow: bool = False) -> dict:
    """Each enrolled client sends ``payload`` back to back on its kept-alive connection.

    With ``follow`` a screen keeps the view the server sends back, as the browser does, so it asks
    "anything new?" with what it shows (a screen redraws when the data or the minute moves)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def screen(client: ScreenClient) -> None:
        mine = []
        request = json.loads(json.dumps(payload))
        while time.monotonic() < stop:
            began = time.perf_counter()
            try:
                status, body = client.post(request)
                if follow and status == 200 and b'"wall-view"' in body:
                    request["state"][0]["value"] = json.loads(body)["response"]["wall-view"]["data"]
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                continue
            if status not in (200, 204):
                errors[0] += 1
            mine.append((time.perf_counter() - began) * 1000)
        with lock:
            latencies.extend(mine)

    began = time.monotonic()
    threads = [threading.Thread(target=screen, args=(c,)) for c in clients]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    return {
        "median_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
        "rps": round(len(latencies) / elapsed, 1),
        "requests": len(latencies),
        "errors": errors[0],
    }


def access_check_cost(engine, token: str, repeat: int = 2000) -> tuple[float, float]:
    """What the access layer adds to a wall refresh, on the same store: the median ms of the real
    before-request hook (``dashboard.auth._load_principal``: the enrolled screen's device token
    looked up with its unit, the principal built, its heartbeat written when due, the gate) for a
    refresh POST, against the same request context without it."""
    from flask import g

    from dashboard import auth
    from dashboard.config import load_settings
    from dashboard.webapp import create_app

    settings = load_settings(
        env={},
        database_url=engine.url.render_as_string(hide_password=False),
        cache_backend="simple",
        create_dirs=False,
    )
    server = create_app(settings, engine).server
    headers = {"Cookie": f"ioc_screen={token}", "X-IOC-Slide": "/?kiosk=1"}
    with_lookup, without = [], []
    for _ in range(repeat):
        with server.test_request_context("/_dash-update-component", method="POST", headers=headers):
            began = time.perf_counter()
            auth._load_principal()
            with_lookup.append((time.perf_counter() - began) * 1000)
            assert g.principal is not None and g.principal.kind == "screen"
        with server.test_request_context("/_dash-update-component", method="POST", headers=headers):
            began = time.perf_counter()
            g.principal = None
            without.append((time.perf_counter() - began) * 1000)
    return statistics.median(with_lookup), statistics.median(without)


def _root(engine) -> str:
    from benchmarks._screens import bench_units

    return bench_units(engine)[0]


def first_render_ms(port: int, enrol_code: str, repeat: int = 5) -> float | None:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return None
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        return None
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--window-size=1920,1080",
    ):
        opts.add_argument(flag)
    driver = webdriver.Chrome(options=opts, service=Service(driver_path))
    times = []
    try:
        driver.get(f"http://127.0.0.1:{port}/screens/enrol/{enrol_code}")  # the device cookie
        for _ in range(repeat):
            driver.get("about:blank")
            driver.get(f"http://127.0.0.1:{port}/?kiosk=1")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                done = driver.execute_script(
                    "const t = document.querySelectorAll('.ioc-tile'); return t.length >= 10 ? performance.now() : null;"
                )
                if done:
                    times.append(done)
                    break
                time.sleep(0.02)
    finally:
        driver.quit()
    return round(statistics.median(times), 1) if times else None


def access_only(args) -> int:
    """``access_check_added_ms`` alone, on a store of ``--facts`` rows with one enrolled screen."""
    from dashboard import screens
    from dashboard.db import make_sessionmaker

    with tempfile.TemporaryDirectory(prefix="ioc-access-") as tmp:
        db = args.keep or Path(tmp) / "pages.sqlite3"
        if not db.exists():
            build_store(db, args.facts, datetime.now(VN_TZ).date())
        engine = make_engine(f"sqlite:///{db}")
        with make_sessionmaker(engine).begin() as session:
            _, code = screens.add(session, f"access-{os.getpid()}", "tong-quan", _root(engine), 1)
            _, token = screens.enrol(session, code)
        with_lookup, without = access_check_cost(engine, token)
        emit(
            "access_check_added_ms",
            round(with_lookup - without, 3),
            "ms",
            "lower",
            1.0,
            db="sqlite",
            facts=args.facts,
            with_lookup_median_ms=round(with_lookup, 3),
            without_lookup_median_ms=round(without, 3),
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="load per measurement")
    parser.add_argument("--keep", type=Path, help="store path to keep and reuse")
    parser.add_argument(
        "--access-only",
        action="store_true",
        help="only the access layer's cost on a wall refresh (no server, no load)",
    )
    args = parser.parse_args(argv)
    if args.access_only:
        return access_only(args)
    with tempfile.TemporaryDirectory(prefix="ioc-pages-") as tmp:
        tmp = Path(tmp)
        db = args.keep or tmp / "pages.sqlite3"
        if not db.exists():
            build_store(db, args.facts, datetime.now(VN_TZ).date())
        port = free_port()
        server = start_gunicorn(
            f"sqlite:///{db}",
            tmp / "data",
            port,
            redis_url=os.environ.get("IOC_BENCH_REDIS_URL"),
            threads=4,
            rate_limit="1000000/minute",
        )
        try:
            engine = make_engine(f"sqlite:///{db}")
            clients = enrolled_screens(engine, port, [_root(engine)] * SCREENS, prefix="pages")
            stale = wall_request(clients[0])
            fresh = current_signature(clients[0], stale)
            floor_payload = {
                "output": "bench-echo.children",
                "outputs": {"id": "bench-echo", "property": "children"},
                "inputs": [{"id": "bench-ping", "property": "n_clicks", "value": 1}],
                "changedPropIds": ["bench-ping.n_clicks"],
            }
            floor = load(port, floor_payload, args.seconds, clients)
            nochange = load(port, fresh, args.seconds, clients, follow=True)
            render = load(port, stale, args.seconds, clients)
            cond = {"db": "sqlite", "facts": args.facts, "screens": SCREENS, "workers": 2}
            for name, figures in (
                ("trivial_callback", floor),
                ("wall_refresh_nochange", nochange),
                ("wall_refresh_render", render),
            ):
                target_p95 = None if name == "trivial_callback" else 50
                emit(
                    f"{name}_median_ms",
                    figures["median_ms"],
                    "ms",
                    "lower",
                    None,
                    **cond,
                    errors=figures["errors"],
                )
                emit(f"{name}_p95_ms", figures["p95_ms"], "ms", "lower", target_p95, **cond)
                emit(
                    f"{name}_rps",
                    figures["rps"],
                    "requests/s",
                    "higher",
                    None,
                    **cond,
                    requests=figures["requests"],
                )
            emit(
                "wall_vs_floor_throughput_ratio",
                round(nochange["rps"] / floor["rps"], 3),
                "ratio",
                "higher",
                0.5,
                **cond,
                case="nochange",
            )
            emit(
                "wall_render_vs_floor_throughput_ratio",
                round(render["rps"] / floor["rps"], 3),
                "ratio",
                "higher",
                0.5,
                **cond,
                case="render",
            )
            with_lookup, without = access_check_cost(engine, clients[0].cookies["ioc_screen"])
            emit(
                "access_check_added_ms",
                round(with_lookup - without, 3),
                "ms",
                "lower",
                1.0,
                **cond,
                with_lookup_median_ms=round(with_lookup, 3),
                without_lookup_median_ms=round(without, 3),
            )
            first = first_render_ms(port, register_screens(engine, [_root(engine)], prefix="chromium")[0][1])
            if first is not None:
                emit("wall_first_render_ms", first, "ms", "lower", 2000, **cond, browser="chromium")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
