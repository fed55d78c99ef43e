"""`ioc demo` as a user runs it: it simulates, collects through the real adapters, serves, and
keeps data arriving — on any day and at any hour."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def query(db, sql):
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute(sql).fetchall()


def test_demo_keeps_data_arriving_and_every_source_healthy(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update(IOC_DATA_DIR=str(tmp_path), IOC_CACHE_BACKEND="simple")
    log = tmp_path / "demo.log"
    demo = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "demo", "--days", "30", "--port", str(port)],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    db = tmp_path / "ioc.sqlite3"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                assert demo.poll() is None, log.read_text()
                time.sleep(0.5)
        else:
            raise AssertionError(f"demo did not serve: {log.read_text()}")
        first_version = query(db, "SELECT version FROM data_version")[0][0]
        first_docs = query(db, "SELECT count(*) FROM document")[0][0]
        assert first_docs > 1000  # 30 days of a ministry's documents
        # Every source is prepared once, then collected every 10 s: wait (polling, with a deadline)
        # until each has three successful runs, failing at once on any run that did not succeed.
        deadline = time.monotonic() + 120
        while True:
            bad = query(
                db,
                "SELECT source, status, error FROM collector_run WHERE status != 'success' AND status != 'running'",
            )
            assert bad == []
            runs = dict(
                query(
                    db, "SELECT source, count(*) FROM collector_run WHERE status = 'success' GROUP BY source"
                )
            )
            if all(
                runs.get(s, 0) >= 3
                for s in ("mo-phong-qlvb", "mo-phong-motcua", "mo-phong-hop", "mo-phong-bbb", "mo-phong-pakn")
            ):
                break
            assert time.monotonic() < deadline, ("fewer than 3 successful runs in 2 minutes", runs)
            assert demo.poll() is None, log.read_text()
            time.sleep(1)
        # The live stream is a Poisson trickle (a few changes a minute agency-wide): the runs above
        # may hold none, so wait up to three minutes for the next one (P(none) < 0,1 %).
        deadline = time.monotonic() + 180
        while query(db, "SELECT version FROM data_version")[0][0] <= first_version:
            assert time.monotonic() < deadline, "no new data arrived in 3 minutes"
            assert demo.poll() is None, log.read_text()
            time.sleep(2)
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            demo.kill()
