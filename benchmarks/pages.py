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
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import emit  # noqa: E402
from benchmarks.kpis import build_store  # noqa: E402
from dashboard.timeutil import VN_TZ  # noqa: E402

SCREENS = 50


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(db: Path, data_dir: Path, port: int) -> subprocess.Popen:
    gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).with_name("gunicorn"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update(IOC_DATA_DIR=str(data_dir), IOC_DATABASE_URL=f"sqlite:///{db}")
    if os.environ.get("IOC_BENCH_REDIS_URL"):
        env.update(IOC_CACHE_BACKEND="redis", IOC_REDIS_URL=os.environ["IOC_BENCH_REDIS_URL"])
    proc = subprocess.Popen(
        [gunicorn, "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "benchmarks.bench_app:server"],
        cwd=ROOT, env=env,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_dash-layout", timeout=5):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("gunicorn exited")
            time.sleep(0.5)
    raise SystemExit("gunicorn did not start")


def wall_request(port: int) -> tuple[dict, dict]:
    """The wall's refresh request as the browser sends it, built from the app's dependencies."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_dash-dependencies", timeout=30) as resp:
        deps = json.load(resp)
    wall = next(d for d in deps if any(i["id"] == "wall-poll" for i in d["inputs"]))
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30):
        pass
    # The view a freshly loaded wall holds: whole agency, month to date, Vietnamese.
    view = {"unit": None, "period": "mtd", "lang": "vi", "kiosk": True, "signature": "current"}
    base = {
        "output": wall["output"],
        "outputs": [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]} for o in wall["output"].strip(".").split("...")],
        "inputs": [{"id": "wall-poll", "property": "data", "value": 1}],
        "state": [{"id": "wall-view", "property": "data", "value": view}],
        "changedPropIds": ["wall-poll.data"],
    }
    behind = json.loads(json.dumps(base))
    behind["state"][0]["value"]["signature"] = "stale"
    return base, behind


def current_signature(port: int, request: dict) -> dict:
    """Ask once with a stale signature; the answer carries the current one (what screens hold)."""
    body = post(port, request)[1]
    view = json.loads(body)["response"]["wall-view"]["data"]
    fresh = json.loads(json.dumps(request))
    fresh["state"][0]["value"]["signature"] = view["signature"]
    return fresh


def post(port: int, payload: dict, conn: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", "/_dash-update-component", body=json.dumps(payload), headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    if own:
        conn.close()
    return resp.status, data


def load(port: int, payload: dict, seconds: float, screens: int = SCREENS, follow: bool = False) -> dict:
    """``screens`` clients, each sending ``payload`` back to back on a kept-alive connection.

    With ``follow`` a screen keeps the view the server sends back, as the browser does, so it asks
    "anything new?" with what it shows (a screen redraws when the data or the minute moves)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def screen() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        request = json.loads(json.dumps(payload))
        while time.monotonic() < stop:
            began = time.perf_counter()
            try:
                status, body = post(port, request, conn)
                if follow and status == 200 and b'"wall-view"' in body:
                    request["state"][0]["value"] = json.loads(body)["response"]["wall-view"]["data"]
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                errors[0] += 1
                continue
            if status not in (200, 204):
                errors[0] += 1
            mine.append((time.perf_counter() - began) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)

    began = time.monotonic()
    threads = [threading.Thread(target=screen) for _ in range(screens)]
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


def first_render_ms(port: int, repeat: int = 5) -> float | None:
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
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--window-size=1920,1080"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(options=opts, service=Service(driver_path))
    times = []
    try:
        for _ in range(repeat):
            driver.get("about:blank")
            driver.get(f"http://127.0.0.1:{port}/?kiosk=1")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                done = driver.execute_script(
                    "const t = document.querySelectorAll('.ioc-tile'); return t.length >= 10 ? performance.now() : null;")
                if done:
                    times.append(done)
                    break
                time.sleep(0.02)
    finally:
        driver.quit()
    return round(statistics.median(times), 1) if times else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="load per measurement")
    parser.add_argument("--keep", type=Path, help="store path to keep and reuse")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ioc-pages-") as tmp:
        tmp = Path(tmp)
        db = args.keep or tmp / "pages.sqlite3"
        if not db.exists():
            build_store(db, args.facts, datetime.now(VN_TZ).date())
        port = free_port()
        server = start_gunicorn(db, tmp / "data", port)
        try:
            stale, _ = wall_request(port)
            stale["state"][0]["value"]["signature"] = "stale"
            fresh = current_signature(port, stale)
            floor_payload = {
                "output": "bench-echo.children", "outputs": {"id": "bench-echo", "property": "children"},
                "inputs": [{"id": "bench-ping", "property": "n_clicks", "value": 1}], "changedPropIds": ["bench-ping.n_clicks"],
            }
            floor = load(port, floor_payload, args.seconds)
            nochange = load(port, fresh, args.seconds, follow=True)
            render = load(port, stale, args.seconds)
            cond = {"db": "sqlite", "facts": args.facts, "screens": SCREENS, "workers": 2}
            for name, figures in (("trivial_callback", floor), ("wall_refresh_nochange", nochange), ("wall_refresh_render", render)):
                target_p95 = None if name == "trivial_callback" else 50
                emit(f"{name}_median_ms", figures["median_ms"], "ms", "lower", None, **cond, errors=figures["errors"])
                emit(f"{name}_p95_ms", figures["p95_ms"], "ms", "lower", target_p95, **cond)
                emit(f"{name}_rps", figures["rps"], "requests/s", "higher", None, **cond, requests=figures["requests"])
            emit("wall_vs_floor_throughput_ratio", round(nochange["rps"] / floor["rps"], 3), "ratio", "higher", 0.5,
                 **cond, case="nochange")
            emit("wall_render_vs_floor_throughput_ratio", round(render["rps"] / floor["rps"], 3), "ratio", "higher", 0.5,
                 **cond, case="render")
            first = first_render_ms(port)
            if first is not None:
                emit("wall_first_render_ms", first, "ms", "lower", 2000, **cond, browser="chromium")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
